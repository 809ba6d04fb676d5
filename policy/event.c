#include <string.h>

#include "event.h"

static const char *const event_names[UPS_EV_COUNT] = {
	[UPS_EV_ON_BATTERY] = "on_battery",
	[UPS_EV_POWER_RESTORED] = "power_restored",
	[UPS_EV_LOW_BATTERY] = "low_battery",
	[UPS_EV_BATTERY_OK] = "battery_ok",
	[UPS_EV_SHUTDOWN_IMMINENT] = "shutdown_imminent",
	[UPS_EV_COMMS_LOST] = "comms_lost",
	[UPS_EV_COMMS_RESTORED] = "comms_restored",
};

const char *
event_name(enum ups_event ev)
{
	if ((unsigned)ev >= UPS_EV_COUNT)
		return "unknown";
	return event_names[ev];
}

int
event_parse(const char *name, enum ups_event *out)
{
	int	 i;

	for (i = 0; i < UPS_EV_COUNT; i++) {
		if (strcmp(name, event_names[i]) == 0) {
			*out = (enum ups_event)i;
			return 0;
		}
	}
	return -1;
}

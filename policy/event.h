/*
 * UPS events: what a trap or a poll of the card says happened.
 */
#ifndef UPSXEN_EVENT_H
#define UPSXEN_EVENT_H

enum ups_event {
	UPS_EV_ON_BATTERY,
	UPS_EV_POWER_RESTORED,
	UPS_EV_LOW_BATTERY,
	UPS_EV_BATTERY_OK,
	UPS_EV_SHUTDOWN_IMMINENT,
	UPS_EV_COMMS_LOST,
	UPS_EV_COMMS_RESTORED,
	UPS_EV_COUNT
};

const char	*event_name(enum ups_event);
int		 event_parse(const char *, enum ups_event *);

#endif

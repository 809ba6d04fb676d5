/*
 * UPS events into the engine, and their log lines (events.h).
 */
#include <math.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "clock.h"
#include "engine.h"
#include "events.h"
#include "flap.h"
#include "log.h"
#include "policy.h"
#include "upsxen.h"

static struct flap	*flap;
static unsigned int	 flap_alarm;

static void
flap_report(size_t ups, unsigned int held, void *arg)
{
	struct ups_status	 st;

	(void)arg;
	engine_ups_status(ux.engine, ups, &st);
	plog(LOG_WARNING, "ups=%s events_not_logged=%u window_s=%.0f "
	    "power=%s reason=\"more than %d events in the window: the card "
	    "flaps or someone floods its address\"", ux.policy->ups[ups].name,
	    held, FLAP_WINDOW, ups_power_name(st.power), FLAP_BURST);
}

static void
flap_tick(unsigned int id, void *arg)
{
	double		 next, wait;
	struct timeval	 tv;

	(void)id;
	(void)arg;
	flap_alarm = 0;
	next = flap_flush(flap, clock_now(), flap_report, NULL);
	if (next == INFINITY)
		return;
	wait = fmax(next - clock_now(), 0.001);
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - tv.tv_sec) * 1e6);
	flap_alarm = snmp_alarm_register_hr(tv, 0, flap_tick, NULL);
}

static void
event_line(size_t ups, enum ups_event ev, const char *source)
{
	struct timeval	 tv = { (time_t)FLAP_WINDOW, 0 };

	if (flap_allow(flap, ups, clock_now()))
		plog(LOG_NOTICE, "ups=%s event=%s source=%s",
		    ux.policy->ups[ups].name, event_name(ev), source);
	else if (flap_alarm == 0)
		flap_alarm = snmp_alarm_register_hr(tv, 0, flap_tick, NULL);
}

void
events_open(size_t nups)
{
	/* Without it every event is logged: nothing is lost. */
	flap = flap_new(nups);
}

/* What was held back is told before the UPS list changes. */
void
events_close(void)
{
	if (flap_alarm)
		snmp_alarm_unregister(flap_alarm);
	flap_alarm = 0;
	if (ux.engine)
		flap_flush(flap, INFINITY, flap_report, NULL);
	flap_free(flap);
	flap = NULL;
}

void
events_ups(size_t ups, enum ups_event ev, const char *source, int always)
{
	struct ups_status	 before, after;

	engine_ups_status(ux.engine, ups, &before);
	engine_on_ups_event(ux.engine, ups, ev, clock_now());
	engine_ups_status(ux.engine, ups, &after);
	if (always || before.power != after.power)
		event_line(ups, ev, source);
}

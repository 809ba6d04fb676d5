/*
 * Giving memory back after a quiet spell (trim.h). Once for the whole
 * plugin, from snmptrapd's thread: a trim walks every arena, and two
 * hundred of them from the workers would hold the arena locks
 * snmptrapd's thread needs.
 */
#include <malloc.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "engine.h"
#include "trim.h"
#include "upsxen.h"

#define TRIM_INTERVAL	5	/* seconds of quiet before memory goes back */

static unsigned int	 alarm_id;
static int		 busy;		/* since the last tick */
static int		 dirty;		/* busy since the last trim */

static void
tick(unsigned int id, void *arg)
{
	(void)id;
	(void)arg;
	if (busy) {
		busy = 0;
		dirty = 1;
	} else if (dirty && ux.engine && engine_inflight(ux.engine) == 0) {
		malloc_trim(0);
		dirty = 0;
	}
}

void
trim_start(void)
{
	alarm_id = snmp_alarm_register(TRIM_INTERVAL, SA_REPEAT, tick, NULL);
}

void
trim_stop(void)
{
	if (alarm_id)
		snmp_alarm_unregister(alarm_id);
	alarm_id = 0;
	busy = dirty = 0;
}

void
trim_busy(void)
{
	busy = 1;
}

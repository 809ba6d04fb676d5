/*
 * Handing the engine's actions out (pump.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "clock.h"
#include "confirm.h"
#include "engine.h"
#include "log.h"
#include "persist.h"
#include "policy.h"
#include "pump.h"
#include "trim.h"
#include "upsxen.h"
#include "worker.h"

#define ACTIONS_BATCH	64

static struct {
	unsigned int	 alarm;		/* the engine's next deadline */
	double		 alarm_at;
	struct action	*held;		/* waiting for their save */
	size_t		 nheld;
	size_t		 cheld;
	unsigned int	 held_alarm;
} pm;

static const char *
action_host(const struct action *a)
{
	return a->host >= 0 ? ux.policy->hosts[a->host].name : "-";
}

static void
log_action(const struct action *a, double now)
{
	const char	*pool = ux.policy->pools[a->pool].name;

	if (action_op_quiet(a->op))
		return;
	if (a->target)
		plog(LOG_NOTICE, "action=%s pool=%s host=%s target=%s reason=%s",
		    action_op_name(a->op), pool, action_host(a), a->target,
		    a->reason);
	else
		plog(LOG_NOTICE, "action=%s%s pool=%s host=%s reason=%s "
		    "late_ms=%.1f", action_op_name(a->op), a->op ==
		    ACT_STOP_VMS ? (a->hard ? "_hard" : "_clean") : "", pool,
		    action_host(a), a->reason, (now - a->due) * 1e3);
}

static void
dispatch(const struct action *a, double now)
{
	struct action_result	 r = { OUTCOME_TRANSIENT, NULL, 0 };

	log_action(a, now);
	trim_busy();
	if (a->op == ACT_CONFIRM) {
		confirm_start(a, now);
		return;
	}
	if (ux.workers[a->pool] != NULL) {
		worker_submit(ux.workers[a->pool], a, a->host >= 0 ?
		    ux.policy->hosts[a->host].name : NULL);
		return;
	}
	/* No connection to that pool (its password file): the engine
	 * retries, then gives up on the host with this reason. */
	r.error = "no XenAPI connection (see the pool's earlier error)";
	engine_on_result(ux.engine, a->id, &r, now);
}

#define PUMP_MAX_WAIT	3600.0	/* seconds */

static void	 alarm_fired(unsigned int, void *);

static void
schedule(double now)
{
	double		 next = engine_next_deadline(ux.engine), d;
	struct timeval	 tv;

	if (next == pm.alarm_at && pm.alarm)
		return;
	if (pm.alarm) {
		snmp_alarm_unregister(pm.alarm);
		pm.alarm = 0;
	}
	pm.alarm_at = next;
	if (isinf(next))
		return;
	d = next - now;
	if (d < 0)
		d = 0;
	/* Far deadlines are looked at again, never cast out of range. */
	if (d > PUMP_MAX_WAIT)
		d = PUMP_MAX_WAIT;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	/* Never early: snmp_alarm may fire a hair before the deadline. */
	tv.tv_usec += 100;
	pm.alarm = snmp_alarm_register_hr(tv, 0, alarm_fired, NULL);
}

static void
release_held(unsigned int id, void *arg)
{
	double	 now = clock_now();
	size_t	 i, n = pm.nheld;

	(void)id;
	(void)arg;
	pm.held_alarm = 0;
	pm.nheld = 0;
	persist_save_now();
	for (i = 0; i < n; i++)
		dispatch(&pm.held[i], now);
	pump();
}

static int
hold(const struct action *a, size_t n)
{
	struct action	*h;
	size_t		 c;

	if (pm.nheld + n > pm.cheld) {
		c = pm.cheld ? pm.cheld * 2 : 256;
		while (c < pm.nheld + n)
			c *= 2;
		if ((h = realloc(pm.held, c * sizeof(*h))) == NULL)
			return -1;
		pm.held = h;
		pm.cheld = c;
	}
	memcpy(pm.held + pm.nheld, a, n * sizeof(*a));
	pm.nheld += n;
	return 0;
}

/*
 * Actions whose state must be on disk first go at once while saves take
 * less than their share of snmptrapd's thread; beyond that they wait for
 * the next save. A small state saves in microseconds and nothing waits;
 * a thousand cards reporting one outage over 5,000 hosts then cost a few
 * exports a second, not a thousand, and snmptrapd keeps reading its
 * socket. Whatever is held keeps its order; what comes after it waits
 * with it.
 */
static int
must_wait(double now)
{
	return pm.nheld > 0 || persist_must_wait(now);
}

void
pump(void)
{
	struct action	 acts[ACTIONS_BATCH];
	struct timeval	 tv = { 0, 0 };
	double		 now = clock_now();
	size_t		 n, i;

	if (ux.engine == NULL)
		return;
	do {
		n = engine_take_actions(ux.engine, now, acts, ACTIONS_BATCH);
		if (must_wait(now) && hold(acts, n) == 0) {
			if (pm.held_alarm == 0) {
				tv.tv_usec = (suseconds_t)(fmin(fmax(
				    persist_free_at() - now, 0), 0.5) * 1e6);
				pm.held_alarm = snmp_alarm_register_hr(tv, 0,
				    release_held, NULL);
			}
			continue;
		}
		/* On disk before the pool hears of it. */
		persist_maybe_save();
		for (i = 0; i < n; i++)
			dispatch(&acts[i], now);
	} while (n == ACTIONS_BATCH);
	schedule(now);
}

void
pump_flush(int deliver)
{
	if (pm.held_alarm)
		snmp_alarm_unregister(pm.held_alarm);
	pm.held_alarm = 0;
	if (deliver && pm.nheld > 0)
		release_held(0, NULL);
	pm.nheld = 0;
}

static void
alarm_fired(unsigned int id, void *arg)
{
	(void)arg;
	if (id == pm.alarm) {
		pm.alarm = 0;
		pm.alarm_at = NAN;
	}
	pump();
}

void
pump_stop(void)
{
	pump_flush(0);
	if (pm.alarm)
		snmp_alarm_unregister(pm.alarm);
	free(pm.held);
	memset(&pm, 0, sizeof(pm));
}

/*
 * The plugin's lifecycle in snmptrapd: start, reload on SIGHUP, stop;
 * and the entry points of traps and card polls. core.c alone replaces
 * the policy, engine and workers (ux); the other main-thread modules
 * each own one concern: events.c (UPS events and their lines), pump.c
 * (actions out), intake.c (answers in), persist.c (saves), confirm.c
 * (asking the cards), trim.c (memory after a quiet spell).
 *
 * Start-up happens in a one-shot alarm, not in the configuration
 * callback: configuration is read before snmptrapd forks and drops its
 * privileges, and threads do not survive a fork.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "classify.h"
#include "clock.h"
#include "confirm.h"
#include "core.h"
#include "engine.h"
#include "events.h"
#include "intake.h"
#include "log.h"
#include "persist.h"
#include "policy.h"
#include "poll.h"
#include "pump.h"
#include "trim.h"
#include "upsxen.h"
#include "worker.h"
#include "xenapi.h"

#define FACTS_INTERVAL	60	/* refresh pool facts at least this often */

struct upsxen	 ux;

static struct {
	char		*path;		/* upsxenPolicy, this read */
	int		 warned_no_path;
	int		 started;
	int		 start_pending;
	unsigned int	 facts_alarm;
} core;

void
core_set_policy_path(const char *path)
{
	free(core.path);
	core.path = strdup(path);
}

void
core_clear_policy_path(void)
{
	free(core.path);
	core.path = NULL;
}

const struct policy *
core_policy(void)
{
	return ux.policy;
}

double
core_now(void)
{
	return clock_now();
}

void
core_ups_event(size_t ups, enum ups_event ev, const char *source)
{
	if (ux.engine == NULL)
		return;
	/* The card's own word ends an outage, not a packet's. */
	if (ev == UPS_EV_POWER_RESTORED && confirm_restore(ups, source))
		return;
	events_ups(ups, ev, source, 1);
	pump();
}

/*
 * A routine poll: the card's word counts like a trap's, and its own time
 * on battery dates the outage (a lost trap, or timers a forged restore
 * restarted, count from when the card says).
 */
static void
poll_state(size_t ups, enum poll_state st, double on_battery_s)
{
	if (ux.engine == NULL)
		return;
	events_ups(ups, st == POLL_ON_BATTERY ? UPS_EV_ON_BATTERY :
	    UPS_EV_POWER_RESTORED, "poll", 0);
	if (on_battery_s >= 0)
		engine_on_battery_time(ux.engine, ups, on_battery_s,
		    clock_now());
	pump();
}

static void
poll_confirmed(unsigned long id, size_t ups, enum poll_state st)
{
	if (confirm_answered(id, ups, st))
		pump();
}

static void
start_polling(const struct policy *p)
{
	if (poll_start(p, poll_state, poll_confirmed, clock_now) == -1)
		plog(LOG_ERR, "cannot start polling the cards");
}

static void
facts_tick(unsigned int id, void *arg)
{
	size_t	 i;

	(void)id;
	(void)arg;
	for (i = 0; ux.engine && i < ux.policy->npools; i++)
		engine_want_refresh(ux.engine, i);
	pump();
}

static struct worker *
start_worker(const struct policy_pool *pl)
{
	struct worker	*w;
	char		 err[512];

	if ((w = worker_start(pl, &ux.ob, err, sizeof(err))) == NULL)
		plog(LOG_ERR, "pool=%s no XenAPI connection: %s", pl->name,
		    err);
	return w;
}

static struct policy *
load_policy(const char *path)
{
	struct report	 rep;
	struct policy	*p;
	size_t		 i;

	report_init(&rep);
	p = policy_load(path, &rep);
	for (i = 0; i < rep.n; i++)
		plog(rep.items[i].severity == REPORT_ERROR ? LOG_ERR :
		    LOG_WARNING, "policy %s: %s", rep.items[i].severity ==
		    REPORT_ERROR ? "error" : "warning", rep.items[i].msg);
	report_free(&rep);
	return p;
}

static void
install(struct policy *p, struct engine *e, struct worker **workers)
{
	events_open(p->nups);
	ux.policy = p;
	ux.engine = e;
	ux.workers = workers;
}

static void
start(unsigned int id, void *arg)
{
	struct policy	*p = ux.policy;
	struct engine	*e;
	struct worker	**w;
	size_t		 i;

	(void)id;
	(void)arg;
	core.start_pending = 0;
	if (p == NULL || core.started)
		return;
	if (xenapi_global_init() == -1 || outbox_init(&ux.ob) == -1 ||
	    intake_open() == -1) {
		plog(LOG_ERR, "cannot start: no pipe, curl or fd slot");
		return;
	}
	if (persist_start(&ux.ob) == -1)
		plog(LOG_ERR, "cannot start the state writer: protecting the "
		    "pools from memory only");
	e = engine_new(p);
	w = calloc(p->npools, sizeof(*w));
	if (e == NULL || w == NULL) {
		plog(LOG_ERR, "cannot start: out of memory");
		engine_free(e);
		free(w);
		return;
	}
	persist_restore(e, p);
	for (i = 0; i < p->npools; i++)
		w[i] = start_worker(&p->pools[i]);
	install(p, e, w);
	core.started = 1;
	trim_start();
	core.facts_alarm = snmp_alarm_register(FACTS_INTERVAL, SA_REPEAT,
	    facts_tick, NULL);
	start_polling(p);
	plog(LOG_NOTICE, "started: policy=%s ups=%zu pools=%zu hosts=%zu",
	    p->path, p->nups, p->npools, p->nhosts);
	pump();
}

static void
stop_workers(struct worker **w, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		worker_stop_begin(w[i]);
	for (i = 0; i < n; i++)
		worker_stop(w[i]);
}

/*
 * Keep the workers whose pool connection did not change, start the
 * others. A pool whose new worker cannot start (a password file the
 * loader let through but the worker refuses) would lose its XenAPI
 * connection for the next outage: then nothing changes, and the reload
 * is refused as a whole.
 */
static struct worker **
reconcile_workers(const struct policy *old, const struct policy *np,
    char *err, size_t errlen)
{
	struct worker	**w;
	long		*keep;
	size_t		 i;
	char		 why[512];

	w = calloc(np->npools, sizeof(*w));
	keep = calloc(np->npools, sizeof(*keep));
	if (w == NULL || keep == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < np->npools; i++) {
		keep[i] = policy_pool_index(old, np->pools[i].name);
		if (keep[i] >= 0 && ux.workers[keep[i]] &&
		    worker_same_pool(ux.workers[keep[i]], &np->pools[i]))
			continue;
		keep[i] = -1;
		if ((w[i] = worker_start(&np->pools[i], &ux.ob, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "pool=%s no XenAPI connection: "
			    "%s", np->pools[i].name, why);
			goto fail;
		}
	}
	for (i = 0; i < np->npools; i++) {
		if (keep[i] < 0)
			continue;
		w[i] = ux.workers[keep[i]];
		ux.workers[keep[i]] = NULL;
		worker_set_pool(w[i], &np->pools[i]);
	}
	/* Stopped workers answer what they had as transient: the new
	 * engine maps those answers to its own ids and retries. */
	stop_workers(ux.workers, old->npools);
	free(keep);
	return w;
fail:
	if (w)
		stop_workers(w, np->npools);
	free(w);
	free(keep);
	return NULL;
}

static void
reload(void)
{
	struct policy	*np, *old = ux.policy;
	struct engine	*ne;
	struct worker	**w;
	char		 err[700] = "out of memory";

	if ((np = load_policy(core.path)) == NULL) {
		plog(LOG_ERR, "reload: %s is invalid: the previous policy "
		    "stays in force", core.path);
		return;
	}
	pump_flush(1);
	ne = engine_new(np);
	if (ne == NULL || engine_adopt(ne, ux.engine, clock_now()) == -1 ||
	    (w = reconcile_workers(old, np, err, sizeof(err))) == NULL) {
		plog(LOG_ERR, "reload: %s: the previous policy stays in force",
		    err);
		engine_free(ne);
		policy_free(np);
		return;
	}
	confirm_abandon();
	poll_stop();
	events_close();
	engine_free(ux.engine);
	free(ux.workers);
	install(np, ne, w);
	policy_free(old);
	start_polling(np);
	plog(LOG_NOTICE, "reloaded: policy=%s ups=%zu pools=%zu hosts=%zu",
	    np->path, np->nups, np->npools, np->nhosts);
	pump();
}

void
core_config_done(void)
{
	if (core.path == NULL) {
		if (!core.warned_no_path)
			plog(LOG_WARNING, "no upsxenPolicy line in "
			    "snmptrapd.conf: upsxen does nothing");
		core.warned_no_path = 1;
		return;
	}
	core.warned_no_path = 0;
	if (core.started) {
		reload();
		return;
	}
	if (classify_init() == -1) {
		plog(LOG_ERR, "cannot build the trap table");
		return;
	}
	policy_free(ux.policy);
	ux.policy = load_policy(core.path);
	if (ux.policy == NULL) {
		plog(LOG_ERR, "%s is invalid: upsxen does nothing until it is "
		    "fixed (then send SIGHUP)", core.path);
		return;
	}
	if (!core.start_pending) {
		clock_start();
		core.start_pending = 1;
		snmp_alarm_register(0, 0, start, NULL);
	}
}

void
core_shutdown(void)
{
	size_t	 i;

	if (core.started) {
		/* Held actions stay in flight in the saved state: a restart
		 * settles them from the pool's facts. */
		pump_stop();
		for (i = 0; i < ux.policy->npools; i++)
			worker_stop_begin(ux.workers[i]);
		for (i = 0; i < ux.policy->npools; i++)
			worker_stop(ux.workers[i]);
		confirm_abandon();
		poll_stop();
		events_close();
		trim_stop();
		if (core.facts_alarm)
			snmp_alarm_unregister(core.facts_alarm);
		persist_stop();
		intake_close();
		outbox_close(&ux.ob);
		xenapi_global_cleanup();
		plog(LOG_NOTICE, "stopped: sessions logged out");
	}
	engine_free(ux.engine);
	policy_free(ux.policy);
	free(ux.workers);
	free(core.path);
	classify_free();
	memset(&ux, 0, sizeof(ux));
	memset(&core, 0, sizeof(core));
}

/*
 * Main-thread glue between snmptrapd, the engine and the pool workers.
 *
 * Start-up happens in a one-shot alarm, not in the configuration
 * callback: configuration is read before snmptrapd forks and drops its
 * privileges, and threads do not survive a fork.
 */
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/fd_event_manager.h>

#include "classify.h"
#include "core.h"
#include "engine.h"
#include "flap.h"
#include "log.h"
#include "outbox.h"
#include "policy.h"
#include "poll.h"
#include "state.h"
#include "worker.h"
#include "xenapi.h"

#define FACTS_INTERVAL	60	/* refresh pool facts at least this often */
#define TRIM_INTERVAL	5	/* seconds of quiet before memory goes back */
#define ACTIONS_BATCH	64

static struct {
	char			*path;		/* upsxenPolicy, this read */
	int			 warned_no_path;
	struct policy		*policy;
	struct engine		*engine;
	struct worker		**workers;	/* per pool of the policy */
	struct outbox		 ob;
	int			 started;
	int			 start_pending;
	unsigned int		 alarm;
	double			 alarm_at;
	unsigned int		 facts_alarm;
	unsigned int		 trim_alarm;
	int			 busy;		/* actions or results since */
	double			 t0;
	unsigned long		 saved_gen;
	unsigned long		 saved_urgent_gen;
	unsigned long		 saved_power_gen;
	unsigned int		 save_alarm;
	unsigned int		 power_alarm;
	double			 saved_at;
	double			 save_free_at;	/* next save within budget */
	struct state_writer	*writer;
	struct confirm		*confirms;	/* asked, not all answered */
	struct flap		*flap;		/* event lines per UPS */
	unsigned int		 flap_alarm;
	struct action		*held;		/* waiting for their save */
	size_t			 nheld;
	size_t			 cheld;
	unsigned int		 held_alarm;
} ux;

/* A CONFIRM action: the GETs sent to a host's cards. */
struct confirm {
	struct confirm	*next;
	unsigned long	 id;
	long		 host;
	int		 asked;
	int		 answered;
	int		 online;
	int		 unreachable;
};

#define SAVE_DELAY_US	100000	/* coalesce host progress writes */
#define POWER_DELAY_US	20000	/* coalesce UPS power changes */
#define POWER_GAP	0.2	/* seconds: at most 5 such saves a second */
#define SAVE_SHARE	0.1	/* of snmptrapd's thread saves may take */

double
core_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - ux.t0;
}

void
core_set_policy_path(const char *path)
{
	free(ux.path);
	ux.path = strdup(path);
}

void
core_clear_policy_path(void)
{
	free(ux.path);
	ux.path = NULL;
}

const struct policy *
core_policy(void)
{
	return ux.policy;
}

static const char *
action_host(const struct action *a)
{
	return a->host >= 0 ? ux.policy->hosts[a->host].name : "-";
}

static void
log_action(const struct action *a, double now)
{
	const char	*pool = ux.policy->pools[a->pool].name;

	if (a->op == ACT_REFRESH || a->op == ACT_WATCH)
		return;
	if (a->op == ACT_DESIGNATE_MASTER)
		plog(LOG_NOTICE, "action=%s pool=%s host=%s target=%s reason=%s",
		    action_op_name(a->op), pool, action_host(a), a->target,
		    a->reason);
	else
		plog(LOG_NOTICE, "action=%s%s pool=%s host=%s reason=%s "
		    "late_ms=%.1f", action_op_name(a->op), a->op ==
		    ACT_STOP_VMS ? (a->hard ? "_hard" : "_clean") : "", pool,
		    action_host(a), a->reason, (now - a->due) * 1e3);
}

static void	 confirm_start(const struct action *, double);

static void
dispatch(const struct action *a, double now)
{
	struct action_result	 r = { OUTCOME_TRANSIENT, NULL, 0 };

	log_action(a, now);
	ux.busy = 1;
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

static double
wall_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Engine time + this = wall-clock time, for the state file. */
static double
wall_offset(void)
{
	return wall_now() - core_now();
}

static void
save_now(void)
{
	json_t	*j;

	ux.saved_gen = engine_generation(ux.engine);
	ux.saved_urgent_gen = engine_urgent_generation(ux.engine);
	ux.saved_power_gen = engine_power_generation(ux.engine);
	ux.saved_at = core_now();
	if (ux.writer == NULL ||
	    (j = engine_export(ux.engine, wall_offset())) == NULL)
		return;
	json_object_set_new(j, "saved", json_real(wall_now()));
	json_object_set_new(j, "policy", json_string(ux.policy->path));
	state_writer_submit(ux.writer, ux.policy->state_dir, j);
	/* An export walks every host at risk: pay for it with idle time. */
	ux.save_free_at = core_now() + (core_now() - ux.saved_at) *
	    (1 / SAVE_SHARE - 1);
}

static void
save_tick(unsigned int id, void *arg)
{
	(void)arg;
	if (id == ux.save_alarm)
		ux.save_alarm = 0;
	if (id == ux.power_alarm)
		ux.power_alarm = 0;
	if (ux.engine && engine_generation(ux.engine) != ux.saved_gen)
		save_now();
}

/*
 * Urgent changes go to the writer before the actions go to the workers:
 * the write lands a few milliseconds after, and whatever a crash in
 * between loses is an action that is safe to repeat. A UPS's power goes
 * out within POWER_DELAY_US, or POWER_GAP after the last save: soon
 * enough for the timers to survive a crash, and cards flapping thousands
 * of times a second cost five exports a second, not one per trap.
 */
static void
maybe_save(void)
{
	struct timeval	 later = { 0, SAVE_DELAY_US };
	struct timeval	 soon = { 0, POWER_DELAY_US };
	double		 wait = ux.saved_at + POWER_GAP - core_now();

	if (ux.engine == NULL)
		return;
	if (wait * 1e6 > POWER_DELAY_US) {
		soon.tv_sec = (time_t)wait;
		soon.tv_usec = (suseconds_t)((wait - soon.tv_sec) * 1e6);
	}
	if (engine_urgent_generation(ux.engine) != ux.saved_urgent_gen)
		save_now();
	else if (engine_power_generation(ux.engine) != ux.saved_power_gen) {
		if (ux.power_alarm == 0)
			ux.power_alarm = snmp_alarm_register_hr(soon, 0,
			    save_tick, NULL);
	} else if (engine_generation(ux.engine) != ux.saved_gen &&
	    ux.save_alarm == 0)
		ux.save_alarm = snmp_alarm_register_hr(later, 0, save_tick,
		    NULL);
}

static void
restore(struct engine *e, const struct policy *p)
{
	json_t	*j = NULL;
	char	 err[512];
	int	 n;

	if (state_read(p->state_dir, &j, err, sizeof(err)) == -1) {
		plog(LOG_ERR, "state unreadable: %s: starting without it", err);
		return;
	}
	if (j == NULL)
		return;
	n = engine_import(e, j, wall_offset(), core_now());
	if (n < 0)
		plog(LOG_ERR, "state in %s is not upsxen's: starting without "
		    "it", p->state_dir);
	else
		plog(LOG_NOTICE, "state restored: hosts=%d saved_s_ago=%.1f",
		    n, wall_now() - json_number_value(json_object_get(j,
		    "saved")));
	json_decref(j);
}

static void	 alarm_fired(unsigned int, void *);

static void
schedule(double now)
{
	double		 next = engine_next_deadline(ux.engine), d;
	struct timeval	 tv;

	if (next == ux.alarm_at && ux.alarm)
		return;
	if (ux.alarm) {
		snmp_alarm_unregister(ux.alarm);
		ux.alarm = 0;
	}
	ux.alarm_at = next;
	if (isinf(next))
		return;
	d = next - now;
	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	/* Never early: snmp_alarm may fire a hair before the deadline. */
	tv.tv_usec += 100;
	ux.alarm = snmp_alarm_register_hr(tv, 0, alarm_fired, NULL);
}

static void	 pump(void);

static void
release_held(unsigned int id, void *arg)
{
	double	 now = core_now();
	size_t	 i, n = ux.nheld;

	(void)id;
	(void)arg;
	ux.held_alarm = 0;
	ux.nheld = 0;
	save_now();
	for (i = 0; i < n; i++)
		dispatch(&ux.held[i], now);
	pump();
}

static int
hold(const struct action *a, size_t n)
{
	struct action	*h;
	size_t		 c;

	if (ux.nheld + n > ux.cheld) {
		c = ux.cheld ? ux.cheld * 2 : 256;
		while (c < ux.nheld + n)
			c *= 2;
		if ((h = realloc(ux.held, c * sizeof(*h))) == NULL)
			return -1;
		ux.held = h;
		ux.cheld = c;
	}
	memcpy(ux.held + ux.nheld, a, n * sizeof(*a));
	ux.nheld += n;
	return 0;
}

/*
 * Actions whose state must be on disk first go at once while saves take
 * less than SAVE_SHARE of snmptrapd's thread; beyond that they wait for
 * the next save. A small state saves in microseconds and nothing waits;
 * a thousand cards reporting one outage over 5,000 hosts then cost a few
 * exports a second, not a thousand, and snmptrapd keeps reading its
 * socket. Whatever is held keeps its order; what comes after it waits
 * with it.
 */
static int
must_wait(double now)
{
	return ux.nheld > 0 ||
	    (engine_urgent_generation(ux.engine) != ux.saved_urgent_gen &&
	    now < ux.save_free_at);
}

/* Hand every due action to its worker, then re-arm the alarm. */
static void
pump(void)
{
	struct action	 acts[ACTIONS_BATCH];
	struct timeval	 tv = { 0, 0 };
	double		 now = core_now();
	size_t		 n, i;

	if (ux.engine == NULL)
		return;
	do {
		n = engine_take_actions(ux.engine, now, acts, ACTIONS_BATCH);
		if (must_wait(now) && hold(acts, n) == 0) {
			if (ux.held_alarm == 0) {
				tv.tv_usec = (suseconds_t)(fmin(fmax(
				    ux.save_free_at - now, 0), 0.5) * 1e6);
				ux.held_alarm = snmp_alarm_register_hr(tv, 0,
				    release_held, NULL);
			}
			continue;
		}
		/* On disk before the pool hears of it. */
		maybe_save();
		for (i = 0; i < n; i++)
			dispatch(&acts[i], now);
	} while (n == ACTIONS_BATCH);
	schedule(now);
}

/* Before the engine or the workers change: nothing may stay held. */
static void
held_flush(int deliver)
{
	if (ux.held_alarm)
		snmp_alarm_unregister(ux.held_alarm);
	ux.held_alarm = 0;
	if (deliver && ux.nheld > 0)
		release_held(0, NULL);
	ux.nheld = 0;
}

static void
alarm_fired(unsigned int id, void *arg)
{
	(void)arg;
	if (id == ux.alarm) {
		ux.alarm = 0;
		ux.alarm_at = NAN;
	}
	pump();
}

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
	ux.flap_alarm = 0;
	next = flap_flush(ux.flap, core_now(), flap_report, NULL);
	if (next == INFINITY)
		return;
	wait = fmax(next - core_now(), 0.001);
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - tv.tv_sec) * 1e6);
	ux.flap_alarm = snmp_alarm_register_hr(tv, 0, flap_tick, NULL);
}

static void
event_line(size_t ups, enum ups_event ev, const char *source)
{
	struct timeval	 tv = { (time_t)FLAP_WINDOW, 0 };

	if (flap_allow(ux.flap, ups, core_now()))
		plog(LOG_NOTICE, "ups=%s event=%s source=%s",
		    ux.policy->ups[ups].name, event_name(ev), source);
	else if (ux.flap_alarm == 0)
		ux.flap_alarm = snmp_alarm_register_hr(tv, 0, flap_tick, NULL);
}

/* Polls log what changed; traps (`always`) log every event. */
static void
ups_event_from(size_t ups, enum ups_event ev, const char *source,
    int always)
{
	struct ups_status	 before, after;

	engine_ups_status(ux.engine, ups, &before);
	engine_on_ups_event(ux.engine, ups, ev, core_now());
	engine_ups_status(ux.engine, ups, &after);
	if (always || before.power != after.power)
		event_line(ups, ev, source);
}

/* A routine poll: the card's word counts like a trap's. */
static void
poll_state(size_t ups, enum poll_state st)
{
	if (ux.engine == NULL)
		return;
	ups_event_from(ups, st == POLL_ON_BATTERY ? UPS_EV_ON_BATTERY :
	    UPS_EV_POWER_RESTORED, "poll", 0);
	pump();
}

static void
confirm_answer(struct confirm *c, double now)
{
	struct action_result	 r = { OUTCOME_OK, NULL, 0 };
	const char		*host = ux.policy->hosts[c->host].name;

	if (c->online) {
		r.outcome = OUTCOME_BLOCKED;
		r.error = "a card says it is online";
		plog(LOG_WARNING, "action=confirm_on_battery host=%s "
		    "result=blocked reason=\"a card says online: no "
		    "shutdown\"", host);
	} else if (c->unreachable)
		plog(LOG_WARNING, "action=confirm_on_battery host=%s result=ok "
		    "reason=\"%d card(s) unreachable: proceeding (the card "
		    "may be on the failing power)\"", host, c->unreachable);
	else
		plog(LOG_NOTICE, "action=confirm_on_battery host=%s "
		    "result=ok", host);
	engine_on_result(ux.engine, c->id, &r, now);
}

static void
confirm_start(const struct action *a, double now)
{
	const struct policy_host	*h = &ux.policy->hosts[a->host];
	struct confirm			*c;
	size_t				 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->id = a->id;
	c->host = a->host;
	for (i = 0; i < h->npowered_by; i++)
		if (poll_confirm(h->powered_by[i], a->id) == 0)
			c->asked++;
	if (c->asked == 0) {
		/* No card to ask (none polled): nothing contradicts. */
		confirm_answer(c, now);
		free(c);
		return;
	}
	c->next = ux.confirms;
	ux.confirms = c;
}

static void
poll_confirmed(unsigned long id, size_t ups, enum poll_state st)
{
	struct confirm	**cp, *c;

	for (cp = &ux.confirms; (c = *cp) != NULL; cp = &c->next)
		if (c->id == id)
			break;
	if (c == NULL || ux.engine == NULL)
		return;
	c->answered++;
	if (st == POLL_ONLINE) {
		c->online = 1;
		ups_event_from(ups, UPS_EV_POWER_RESTORED, "confirm", 0);
	} else if (st == POLL_UNREACHABLE || st == POLL_UNKNOWN)
		c->unreachable++;
	if (c->answered < c->asked)
		return;
	*cp = c->next;
	confirm_answer(c, core_now());
	free(c);
	pump();
}

/* Before the cards go away: the engine asks again after a backoff. */
static void
confirms_abandon(void)
{
	struct action_result	 r = { OUTCOME_TRANSIENT, "polling restarted",
	    0 };
	struct confirm		*c, *next;

	for (c = ux.confirms; c; c = next) {
		next = c->next;
		if (ux.engine)
			engine_on_result(ux.engine, c->id, &r, core_now());
		free(c);
	}
	ux.confirms = NULL;
}

void
core_ups_event(size_t ups, enum ups_event ev, const char *source)
{
	if (ux.engine == NULL)
		return;
	ups_event_from(ups, ev, source, 1);
	pump();
}

static long
pool_index(const char *name)
{
	return ux.policy ? policy_pool_index(ux.policy, name) : -1;
}

static void
take_result(struct wresult *r, double now)
{
	struct action_result	 ar;
	int			 prio;

	ar.outcome = r->outcome;
	ar.error = r->error[0] ? r->error : NULL;
	ar.count = r->count;
	prio = r->outcome == OUTCOME_OK || r->outcome == OUTCOME_BLOCKED ?
	    LOG_NOTICE : LOG_WARNING;
	if (r->op != ACT_WATCH || r->outcome != OUTCOME_BLOCKED)
		plog(prio, "action=%s pool=%s host=%s result=%s ms=%.1f%s%s%s",
		    action_op_name(r->op), r->pool, r->host[0] ? r->host : "-",
		    action_outcome_name(r->outcome), r->ms,
		    ar.error ? " error=\"" : "", ar.error ? ar.error : "",
		    ar.error ? "\"" : "");
	if (engine_on_result(ux.engine, r->id, &ar, now) == -1)
		plog(LOG_INFO, "action=%s pool=%s host=%s result=ignored "
		    "reason=\"no longer waited for\"", action_op_name(r->op),
		    r->pool, r->host);
}

static void
take_facts(struct wresult *r, double now)
{
	struct pool_facts	 f;
	long			 pi = pool_index(r->pool);

	if (pi < 0)
		return;
	f.ha_enabled = r->ha;
	f.nmembers = r->nmembers;
	f.members = r->members;
	engine_on_pool_facts(ux.engine, (size_t)pi, &f, now);
}

static void
outbox_ready(int fd, void *arg)
{
	struct wresult	*r, *next;
	double		 now = core_now();

	(void)fd;
	(void)arg;
	for (r = outbox_take(&ux.ob); r; r = next) {
		next = r->next;
		ux.busy = 1;
		if (r->kind == WR_LOG)
			plog(r->prio, "%s", r->text);
		else if (r->kind == WR_FACTS && ux.engine)
			take_facts(r, now);
		else if (ux.engine)
			take_result(r, now);
		wresult_free(r);
	}
	pump();
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

/*
 * After a quiet spell, hand back what the workers' parsing left in the
 * malloc arenas: two hundred pools otherwise keep tens of MiB between
 * outages. Once for the whole plugin, from this thread: a trim walks
 * every arena, and two hundred of them from the workers would hold the
 * arena locks snmptrapd's thread needs.
 */
static void
trim_tick(unsigned int id, void *arg)
{
	static int	 dirty;

	(void)id;
	(void)arg;
	if (ux.busy) {
		ux.busy = 0;
		dirty = 1;
	} else if (dirty && ux.engine && engine_inflight(ux.engine) == 0) {
		malloc_trim(0);
		dirty = 0;
	}
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

/* What was held back is told before the UPS list changes. */
static void
flap_close(void)
{
	if (ux.flap_alarm)
		snmp_alarm_unregister(ux.flap_alarm);
	ux.flap_alarm = 0;
	if (ux.engine)
		flap_flush(ux.flap, INFINITY, flap_report, NULL);
	flap_free(ux.flap);
	ux.flap = NULL;
}

static int
install(struct policy *p, struct engine *e, struct worker **workers)
{
	/* Without it every event is logged: nothing is lost. */
	ux.flap = flap_new(p->nups);
	ux.policy = p;
	ux.engine = e;
	ux.workers = workers;
	return 0;
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
	ux.start_pending = 0;
	if (p == NULL || ux.started)
		return;
	if (xenapi_global_init() == -1 || outbox_init(&ux.ob) == -1 ||
	    register_readfd(ux.ob.rfd, outbox_ready, NULL) != 0) {
		plog(LOG_ERR, "cannot start: no pipe, curl or fd slot");
		return;
	}
	if ((ux.writer = state_writer_start(&ux.ob)) == NULL)
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
	restore(e, p);
	for (i = 0; i < p->npools; i++)
		w[i] = start_worker(&p->pools[i]);
	install(p, e, w);
	ux.started = 1;
	ux.trim_alarm = snmp_alarm_register(TRIM_INTERVAL, SA_REPEAT,
	    trim_tick, NULL);
	ux.facts_alarm = snmp_alarm_register(FACTS_INTERVAL, SA_REPEAT,
	    facts_tick, NULL);
	if (poll_start(p, poll_state, poll_confirmed, core_now) == -1)
		plog(LOG_ERR, "cannot start polling the cards");
	plog(LOG_NOTICE, "started: policy=%s ups=%zu pools=%zu hosts=%zu",
	    p->path, p->nups, p->npools, p->nhosts);
	pump();
}

/* Keep the workers whose pool connection did not change. */
static struct worker **
reconcile_workers(const struct policy *old, const struct policy *np)
{
	struct worker	**w;
	size_t		 i;
	long		 o;

	if ((w = calloc(np->npools, sizeof(*w))) == NULL)
		return NULL;
	for (i = 0; i < np->npools; i++) {
		o = policy_pool_index(old, np->pools[i].name);
		if (o >= 0 && ux.workers[o] &&
		    worker_same_pool(ux.workers[o], &np->pools[i])) {
			w[i] = ux.workers[o];
			ux.workers[o] = NULL;
			worker_set_pool(w[i], &np->pools[i]);
		} else
			w[i] = start_worker(&np->pools[i]);
	}
	/* Stopped workers answer what they had as transient: the new
	 * engine maps those answers to its own ids and retries. */
	for (i = 0; i < old->npools; i++)
		worker_stop_begin(ux.workers[i]);
	for (i = 0; i < old->npools; i++)
		worker_stop(ux.workers[i]);
	return w;
}

static void
reload(void)
{
	struct policy	*np, *old = ux.policy;
	struct engine	*ne;
	struct worker	**w;

	if ((np = load_policy(ux.path)) == NULL) {
		plog(LOG_ERR, "reload: %s is invalid: the previous policy "
		    "stays in force", ux.path);
		return;
	}
	held_flush(1);
	ne = engine_new(np);
	if (ne == NULL || engine_adopt(ne, ux.engine, core_now()) == -1 ||
	    (w = reconcile_workers(old, np)) == NULL) {
		plog(LOG_ERR, "reload: out of memory: the previous policy "
		    "stays in force");
		engine_free(ne);
		policy_free(np);
		return;
	}
	confirms_abandon();
	poll_stop();
	flap_close();
	engine_free(ux.engine);
	free(ux.workers);
	install(np, ne, w);
	policy_free(old);
	if (poll_start(np, poll_state, poll_confirmed, core_now) == -1)
		plog(LOG_ERR, "cannot start polling the cards");
	plog(LOG_NOTICE, "reloaded: policy=%s ups=%zu pools=%zu hosts=%zu",
	    np->path, np->nups, np->npools, np->nhosts);
	pump();
}

void
core_config_done(void)
{
	if (ux.path == NULL) {
		if (!ux.warned_no_path)
			plog(LOG_WARNING, "no upsxenPolicy line in "
			    "snmptrapd.conf: upsxen does nothing");
		ux.warned_no_path = 1;
		return;
	}
	ux.warned_no_path = 0;
	if (ux.started) {
		reload();
		return;
	}
	if (classify_init() == -1) {
		plog(LOG_ERR, "cannot build the trap table");
		return;
	}
	policy_free(ux.policy);
	ux.policy = load_policy(ux.path);
	if (ux.policy == NULL) {
		plog(LOG_ERR, "%s is invalid: upsxen does nothing until it is "
		    "fixed (then send SIGHUP)", ux.path);
		return;
	}
	if (!ux.start_pending) {
		ux.t0 = 0;
		ux.t0 = core_now();
		ux.start_pending = 1;
		snmp_alarm_register(0, 0, start, NULL);
	}
}

void
core_shutdown(void)
{
	size_t	 i;

	if (ux.started) {
		/* Held actions stay in flight in the saved state: a restart
		 * settles them from the pool's facts. */
		held_flush(0);
		for (i = 0; i < ux.policy->npools; i++)
			worker_stop_begin(ux.workers[i]);
		for (i = 0; i < ux.policy->npools; i++)
			worker_stop(ux.workers[i]);
		confirms_abandon();
		poll_stop();
		flap_close();
		save_now();
		state_writer_stop(ux.writer);
		unregister_readfd(ux.ob.rfd);
		outbox_close(&ux.ob);
		xenapi_global_cleanup();
		plog(LOG_NOTICE, "stopped: sessions logged out");
	}
	engine_free(ux.engine);
	policy_free(ux.policy);
	free(ux.workers);
	free(ux.held);
	free(ux.path);
	classify_free();
	memset(&ux, 0, sizeof(ux));
}

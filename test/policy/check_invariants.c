/*
 * The engine against its safety invariants over random, reproducible
 * histories (issue 9). Each history: a random valid policy, a simulated
 * pool with random masters, HA, pinned VMs and injected failures
 * (transient and permanent), random UPS events (repeats, flapping, low
 * battery, unknown UPSes), restarts of the process (the engine rebuilt
 * from its exported state while the pool goes on), hosts that crash and
 * masters the pool changes by itself (HA, an operator), then power back
 * everywhere. After every step the invariants are checked; on a
 * violation the history is shrunk to the fewest events that still fail
 * and printed with its seed.
 *
 *   check_invariants [-n HISTORIES] [-t SECONDS] [-s FIRST_SEED] [-v] [-T]
 *                    [-R] [-F] [-M] [-D]
 *
 * -D prints a digest of everything -T would print for every history: two
 * builds that print the same digest took the same actions, with the same
 * reasons and outcomes at the same times, and reported the same stages.
 * A change meant to keep behaviour (a refactoring) keeps the digest.
 *
 * Exit 0 when nothing failed, 1 on a violation.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "policy.h"
#include "sim.h"

#define MAX_EVENTS	40
#define MAX_HOSTS	64
#define MAX_VMS		(MAX_HOSTS * 5)
/* A handover's xapi restarts end by then (restart_after + restart_takes). */
#define HANDOVER_RESTART 45.0

#define RESTART		(-1)	/* an event that restarts the engine */
#define NEW_MASTER	(-2)	/* ... that makes `host` master */
#define CRASH		(-3)	/* ... that crashes `host` */

struct ev {
	double		 t;
	int		 ups;		/* may be out of range: unknown UPS */
	enum ups_event	 ev;
	int		 host;		/* NEW_MASTER, CRASH */
};

struct history {
	uint64_t	 seed;
	struct ev	 ev[MAX_EVENTS];
	int		 nev;
	int		 keep[MAX_EVENTS];	/* for shrinking */
};

static int	 trace;
/*
 * -X: evacuations follow xapi's plan whatever the engine names, and
 * invariants c and d are counted instead of failing: what naming the
 * targets saves.
 */
static int	 xapi_plan_only;
/* -D: FNV-1a over the trace lines of every history. */
static int	 digest;
static uint64_t	 digest_h = 14695981039346656037ULL;
/* -R: no restarts (the process dies and comes back, sim_add_restart). */
static int	 restarts = 1;
/* -F: no crashed hosts. */
static int	 crashes = 1;
/* -M: no master changes made by the pool itself (HA, an operator). */
static int	 new_masters = 1;

/* What the histories found, for the summary. */
static struct {
	unsigned long	 moves, moved_twice, lost_exempt, offs;
	unsigned long	 masterless;	/* hosts not judged at the end */
	unsigned long	 lost, unforced, onto_risk; /* -X: a, c, d counted */
	double		 late_max;
} stats;

struct check {
	const struct policy	*p;
	struct sim		*s;
	int			 evacuating[MAX_HOSTS];	/* in the pool */
	double			 facts_at[8];	/* first answer to a refresh */
	int			 restarted;	/* hosts re-learnt from facts */
	double			 facts_last[8], facts_prev[8];	/* answers */
	/* The master those two answers named: the engine's belief. */
	long			 master_last[8], master_prev[8];
	/* A master handover: from its action to the facts after it. */
	double			 handover_from[8], handover_to[8];
	int			 handover_state[8];
	int			 shutdowns[MAX_HOSTS];	/* this outage */
	int			 disables[MAX_HOSTS];	/* this outage */
	int			 busy[MAX_HOSTS];	/* action in flight */
	double			 idle_at[MAX_HOSTS];	/* its last answer */
	int			 clean[MAX_HOSTS];	/* up, idle at outage start */
	int			 was_master[MAX_HOSTS];	/* at outage start */
	int			 was_at_risk[MAX_HOSTS];
	int			 crashed_before[MAX_HOSTS];
	/* Crashed in this outage: back enabled, unknown to the engine
	 * until its next look (the plugin's is at most a minute away). */
	int			 crashed_now[MAX_HOSTS];
	/* Live and enabled as the engine last heard: facts, its answers. */
	int			 seen_open[MAX_HOSTS];
	/* The engine's last input about a pool: an event, answer, restart. */
	double			 input_at[8];
	/* Issue 17: the deadline and where VMs go. */
	int			 hurt[MAX_HOSTS];	/* failures injected */
	int			 final[MAX_HOSTS];	/* low battery ... */
	int			 off_asked[MAX_HOSTS];	/* this outage */
	double			 outage_at[MAX_HOSTS];	/* it began */
	double			 master_lost[8];	/* its power, last */
	/* Each evacuation: when asked, who was open on good power then. */
	struct {
		unsigned long	 id;
		double		 at;
		uint64_t	 good;
		int		 at_risk;	/* its host, then */
	}			 evac[64];
	size_t			 nevac;
	int			 moves[MAX_VMS];	/* this outage */
	double			 action_takes;
	double			 now;
	char			 why[512];
	int			 failed;
};

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
rint_(uint64_t *x, int lo, int hi)
{
	return lo + (int)(rnd(x) % (uint64_t)(hi - lo + 1));
}

static double
rdur(uint64_t *x, double lo, double hi)
{
	return lo + (hi - lo) * (double)(rnd(x) % 10000) / 10000.0;
}

/* A random policy within the validator's rules, as JSON. */
static char *
gen_policy(uint64_t *x)
{
	static char	 buf[65536];
	int		 nups = rint_(x, 1, 6), npools = rint_(x, 1, 4);
	int		 u, p, h, nh, f, nf, used[6], off = 0, k;
	double		 wp[6], m, s, lim, halt;

	off += snprintf(buf + off, sizeof(buf) - off, "{\"ups\":{");
	for (u = 0; u < nups; u++) {
		wp[u] = rdur(x, 60, 900);
		off += snprintf(buf + off, sizeof(buf) - off, "%s\"u%d\":{"
		    "\"address\":\"10.0.%d.1\",\"warning_period\":%.3f,"
		    "\"low_battery_runtime\":%.3f}", u ? "," : "", u, u, wp[u],
		    rdur(x, 30, 300));
	}
	off += snprintf(buf + off, sizeof(buf) - off, "},\"pools\":{");
	for (p = 0; p < npools; p++) {
		/* The deadline budget (issue 17): host.shutdown to off, the
		 * clean stops before, and a bound on every task. */
		halt = rdur(x, 0, 30);
		off += snprintf(buf + off, sizeof(buf) - off, "%s\"p%d\":{"
		    "\"url\":\"https://p%d\",\"username\":\"u\","
		    "\"password_file\":\"/dev/null\",\"vm_shutdown_timeout\":"
		    "%d,\"halt_time\":%.3f,\"stop_budget\":%.3f,"
		    "\"task_timeout\":%.3f,\"hosts\":{", p ? "," : "", p, p,
		    rint_(x, 5, 120), halt, rdur(x, 5, 60), rint_(x, 0, 1) ?
		    rdur(x, 60, 900) : 3600.0);
		nh = rint_(x, 1, 12);
		for (h = 0; h < nh; h++) {
			nf = rint_(x, 1, nups < 3 ? nups : 3);
			memset(used, 0, sizeof(used));
			lim = 1e9;
			off += snprintf(buf + off, sizeof(buf) - off, "%s\"h%d-%d"
			    "\":{\"powered_by\":[", h ? "," : "", p, h);
			for (f = 0, k = 0; f < nf; f++) {
				u = rint_(x, 0, nups - 1);
				if (used[u]++)
					continue;
				off += snprintf(buf + off, sizeof(buf) - off,
				    "%s\"u%d\"", k++ ? "," : "", u);
				if (wp[u] < lim)
					lim = wp[u];
			}
			s = rdur(x, 0, (lim - halt) * 0.95);
			m = rdur(x, 0, s);
			switch (rint_(x, 0, 2)) {
			case 0:
				off += snprintf(buf + off, sizeof(buf) - off,
				    "],\"shutdown_after\":%.3f}", s);
				break;
			case 1:
				off += snprintf(buf + off, sizeof(buf) - off,
				    "],\"maintenance_after\":%.3f}", m);
				break;
			default:
				off += snprintf(buf + off, sizeof(buf) - off,
				    "],\"maintenance_after\":%.3f,"
				    "\"shutdown_after\":%.3f}", m, s);
			}
		}
		off += snprintf(buf + off, sizeof(buf) - off, "}}");
	}
	snprintf(buf + off, sizeof(buf) - off, "}}");
	return buf;
}

static void
gen_events(uint64_t *x, struct history *hi, int nups, int nhosts)
{
	static const enum ups_event kinds[] = { UPS_EV_ON_BATTERY,
	    UPS_EV_ON_BATTERY, UPS_EV_POWER_RESTORED, UPS_EV_POWER_RESTORED,
	    UPS_EV_LOW_BATTERY, UPS_EV_BATTERY_OK, UPS_EV_SHUTDOWN_IMMINENT,
	    UPS_EV_COMMS_LOST };
	double	 t = 0;
	int	 i;

	hi->nev = rint_(x, 1, MAX_EVENTS);
	for (i = 0; i < hi->nev; i++) {
		/* Mostly minutes apart, sometimes a burst (flapping). */
		t += rint_(x, 0, 3) ? rdur(x, 0, 120) : rdur(x, 0, 0.5);
		hi->ev[i].t = t;
		hi->ev[i].ups = rint_(x, 0, 9) ? rint_(x, 0, nups - 1) : nups;
		/* Now and then the process dies and comes back. */
		if (restarts && rint_(x, 0, 11) == 0)
			hi->ev[i].ups = RESTART;
		/* ... or the pool changes by itself. */
		if ((crashes || new_masters) && rint_(x, 0, 15) == 0) {
			hi->ev[i].ups = !crashes || (new_masters &&
			    rint_(x, 0, 1)) ? NEW_MASTER : CRASH;
			hi->ev[i].host = rint_(x, 0, nhosts - 1);
		}
		hi->ev[i].ev = kinds[rint_(x, 0, 7)];
		hi->keep[i] = 1;
	}
}

static void __attribute__((format(printf, 2, 3)))
violate(struct check *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static int
feeds_on_battery(const struct check *c, long h)
{
	const struct policy_host	*ph = &c->p->hosts[h];
	struct ups_status		 st;
	size_t				 i;

	for (i = 0; i < ph->npowered_by; i++) {
		engine_ups_status(sim_engine(c->s), ph->powered_by[i], &st);
		if (st.power != UPS_ON_BATTERY && st.power != UPS_LOW_BATTERY)
			return 0;
	}
	return 1;
}

/* When every feed of h went on battery, as the engine knows it. */
static double
risk_since(const struct check *c, long h)
{
	const struct policy_host	*ph = &c->p->hosts[h];
	struct ups_status		 st;
	double				 since = -INFINITY;
	size_t				 i;

	for (i = 0; i < ph->npowered_by; i++) {
		engine_ups_status(sim_engine(c->s), ph->powered_by[i], &st);
		if (st.since > since)
			since = st.since;
	}
	return since;
}

/*
 * b: when h must be off at the latest, from the policy and the power
 * alone (DESIGN.md "Engine rules"): shutdown_after after maintenance,
 * or halt_time before its last card cuts the output; INFINITY when no
 * card of it has a warning period.
 */
static double
deadline_of(const struct check *c, long h)
{
	const struct policy_host	*ph = &c->p->hosts[h];
	const struct policy_ups		*u;
	struct ups_status		 st;
	double				 cut = -INFINITY;
	size_t				 i;

	if (!ph->has_shutdown)
		return INFINITY;
	if (ph->has_maintenance)
		return risk_since(c, h) + ph->shutdown_after;
	for (i = 0; i < ph->npowered_by; i++) {
		u = &c->p->ups[ph->powered_by[i]];
		if (!u->has_warning_period)
			return INFINITY;
		engine_ups_status(sim_engine(c->s), ph->powered_by[i], &st);
		if (st.since + u->warning_period > cut)
			cut = st.since + u->warning_period;
	}
	return cut - c->p->pools[ph->pool].halt_time;
}

/*
 * Whether host h must be leaving by now, from the policy and the power
 * alone: every feed on battery since its first deadline, or one of them
 * low on battery.
 */
static int
due_to_leave(const struct check *c, size_t h, double now)
{
	const struct policy_host	*ph = &c->p->hosts[h];
	struct ups_status		 st;
	double				 since = -INFINITY;
	size_t				 i;
	int				 low = 0;

	if (!feeds_on_battery(c, (long)h))
		return 0;
	/* A feed the engine doubts sets nothing off (engine_state.c). */
	for (i = 0; i < ph->npowered_by; i++) {
		engine_ups_status(sim_engine(c->s), ph->powered_by[i], &st);
		if (st.doubt)
			continue;
		if (st.since > since)
			since = st.since;
		low |= st.power == UPS_LOW_BATTERY;
	}
	if (since == -INFINITY)
		return 0;
	return low || now >= since + (ph->has_maintenance ?
	    ph->maintenance_after : ph->shutdown_after);
}

/* What the engine's newest facts of a pool say is open to VMs. */
static void
remember_open(struct check *c, size_t pool)
{
	const struct policy_pool	*pl = &c->p->pools[pool];
	struct sim_host_state		 st;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts &&
	    i < MAX_HOSTS; i++) {
		sim_host_state(c->s, i, &st);
		c->seen_open[i] = st.live && st.enabled;
	}
}

/*
 * 4: an evacuation starts only when no member xapi could send a VM to
 * (live and enabled) is due to leave itself, as far as the engine could
 * know: one that crashed and booted, or came back from a power-off,
 * since the engine last heard of it is not judged (nothing looks at the
 * pool again just before an evacuation). A host the
 * engine gave up on (failed) is left as it is and says why.
 */
static void
check_targets(struct check *c, long from, double now)
{
	const struct policy_pool	*pl = &c->p->pools[c->p->hosts[from].pool];
	struct sim_host_state		 st;
	struct host_status		 hs;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		if ((long)i == from)
			continue;
		sim_host_state(c->s, i, &st);
		engine_host_status(sim_engine(c->s), i, &hs);
		if (st.live && st.enabled && hs.stage != STAGE_FAILED &&
		    (i >= MAX_HOSTS || c->seen_open[i]) &&
		    due_to_leave(c, i, now))
			violate(c, "4: %s evacuated at %.3f while %s, due to "
			    "leave, can take its VMs", c->p->hosts[from].name,
			    now, c->p->hosts[i].name);
	}
}

/* The pool's master in the simulation now, or -1. */
static long
pool_master(const struct check *c, size_t pool)
{
	const struct policy_pool	*pl = &c->p->pools[pool];
	struct sim_host_state		 st;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		sim_host_state(c->s, i, &st);
		if (st.master)
			return (long)i;
	}
	return -1;
}

/*
 * From when a host starts to leave to its deadline: a schedule shorter
 * than its stop budget and the few calls on the way (disable, mark, a
 * look, the power-off) cannot be met, and `upsxenctl check` says so.
 */
static double
window_of(const struct check *c, long h)
{
	const struct policy_host	*ph = &c->p->hosts[h];
	double				 leave;

	leave = risk_since(c, h) + (ph->has_maintenance ?
	    ph->maintenance_after : ph->shutdown_after);
	/* An outage that went on after a short return (the engine keeps
	 * its start): the host can leave only once it is at risk again. */
	if (c->outage_at[h] > leave)
		leave = c->outage_at[h];
	return deadline_of(c, h) - leave;
}

/*
 * b: a host's first power-off of an outage comes by its deadline, plus
 * the steps that take it there once the VMs are gone (a look at the
 * pool, the call): three actions. Not judged where the engine may not
 * meet it by design: the master (it goes last), low battery (no
 * deadline: at once), a host the history hurt (failures injected, a
 * crash, not up and idle when the outage began), a restart of the
 * process, a handover (every xapi restarts).
 */
static void
check_deadline(struct check *c, long h, double now)
{
	struct sim_host_state	 st;
	double			 late;

	late = now - deadline_of(c, h);
	sim_host_state(c->s, (size_t)h, &st);
	if (c->final[h] || c->was_master[h] || st.master || !c->clean[h] ||
	    c->hurt[h] || c->crashed_now[h] || c->restarted ||
	    c->handover_from[c->p->hosts[h].pool] <= now ||
	    window_of(c, h) < c->p->pools[c->p->hosts[h].pool].stop_budget +
	    6 * c->action_takes)
		return;
	stats.offs++;
	if (late > stats.late_max)
		stats.late_max = late;
	if (late > 3 * c->action_takes + 1e-6)
		violate(c, "b: %s powered off at %.3f, %.3f s after its "
		    "deadline %.3f", c->p->hosts[h].name, now, late,
		    deadline_of(c, h));
}

/*
 * a: no VM runs on a host when its last card cuts the power. A host with
 * no shutdown timer is never powered off (its VMs that cannot move die:
 * `upsxenctl check` warns); one the engine gave up on says why; one the
 * history hurt is not judged, nor one whose pool handed its master over
 * in this outage: every xapi restarts after it, and that time is not in
 * the budget (DESIGN.md "Known gaps"); nor one whose pool lost its
 * master to the battery: nothing answers XenAPI calls then; nor one whose
 * policy gives less time than this pool takes: a halt_time shorter than
 * the power-off may be late (b's three actions), or a hard-stop share of
 * the stop budget shorter than a hard stop and the look after it.
 */
static int
budget_too_small(const struct check *c, const struct policy_pool *pl)
{
	return pl->halt_time < 3 * c->action_takes ||
	    pl->stop_budget * ENGINE_HARD_STOP_SHARE < 2 * c->action_takes;
}

static void
check_power_lost(struct check *c, const struct sim_line *l)
{
	const struct policy_host	*ph = &c->p->hosts[l->host];
	struct host_status		 hs;

	struct sim_host_state		 st;

	if (l->host >= MAX_HOSTS)
		return;
	sim_host_state(c->s, (size_t)l->host, &st);
	if (st.master && ph->pool < 8)
		c->master_lost[ph->pool] = l->t;
	if (l->count == 0)
		return;
	engine_host_status(sim_engine(c->s), (size_t)l->host, &hs);
	if (!ph->has_shutdown || hs.stage == STAGE_FAILED ||
	    budget_too_small(c, &c->p->pools[ph->pool]) ||
	    c->hurt[l->host] || c->crashed_now[l->host] ||
	    (ph->pool < 8 && c->master_lost[ph->pool] >=
	    c->outage_at[l->host]) ||
	    (c->handover_from[ph->pool] != INFINITY &&
	    c->handover_from[ph->pool] + HANDOVER_RESTART >=
	    c->outage_at[l->host])) {
		stats.lost_exempt += (unsigned long)l->count;
		return;
	}
	if (xapi_plan_only) {
		stats.lost += (unsigned long)l->count;
		return;
	}
	violate(c, "a: %s lost power at %.3f with %d VMs on it (%s: %s)",
	    ph->name, l->t, l->count, host_stage_name(hs.stage),
	    hs.reason ? hs.reason : "");
}

/* The members open to VMs on good power, as the engine knows them. */
static uint64_t
good_hosts(const struct check *c, long from)
{
	const struct policy_pool	*pl = &c->p->pools[c->p->hosts[from].pool];
	struct sim_host_state		 st;
	struct host_status		 hs;
	uint64_t			 m = 0;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts &&
	    i < MAX_HOSTS; i++) {
		if ((long)i == from)
			continue;
		sim_host_state(c->s, i, &st);
		/* One the engine gave up on is left alone, and says why. */
		engine_host_status(sim_engine(c->s), i, &hs);
		if (st.live && st.enabled && c->seen_open[i] &&
		    hs.stage != STAGE_FAILED &&
		    !feeds_on_battery(c, (long)i))
			m |= (uint64_t)1 << i;
	}
	return m;
}

/*
 * c, d: a VM goes onto a host at risk only when no member on good power,
 * open to VMs as the engine last saw it, could take it. xapi places the
 * VMs of an evacuation when it starts (xapi_host.ml): a target whose
 * power failed since, or a host on good power opened since, is not
 * judged. A VM moved twice in one outage is counted; with d holding,
 * each second move was forced by its host's own deadline.
 */
static void
check_move(struct check *c, const struct sim_line *l)
{
	uint64_t	 good = 0;
	double		 at = -INFINITY;
	size_t		 i;
	int		 risky = 1;

	if (l->host >= MAX_HOSTS || l->to >= MAX_HOSTS || l->count < 0 ||
	    l->count >= MAX_VMS)
		return;
	stats.moves++;
	if (++c->moves[l->count] == 2)
		stats.moved_twice++;
	for (i = 0; i < 64 && i < c->nevac; i++)
		if (c->evac[i].id == l->action->id) {
			at = c->evac[i].at;
			good = c->evac[i].good;
			risky = c->evac[i].at_risk;
		}
	/*
	 * c: a VM moves again in an outage only because the host it went to
	 * had to leave in turn when its evacuation began (one that power
	 * came back during finishes; moving VMs back when power returns is
	 * not a second move of the outage).
	 */
	if (c->moves[l->count] > 1 && l->action->op == ACT_EVACUATE &&
	    !risky && xapi_plan_only)
		stats.unforced++;
	else if (c->moves[l->count] > 1 && l->action->op == ACT_EVACUATE &&
	    !risky)
		violate(c, "c: %s moved at %.3f for the %d%s time in this "
		    "outage, off %s, not at risk", sim_vm_name(c->s, l->count),
		    l->t, c->moves[l->count], c->moves[l->count] == 2 ? "nd" :
		    "th", c->p->hosts[l->host].name);
	/* At risk only since after the evacuation began: no fault of it
	 * (an outage that went on after a short return counts from then). */
	if (!feeds_on_battery(c, l->to) || fmax(risk_since(c, l->to),
	    c->outage_at[l->to]) >= at)
		return;
	good &= good_hosts(c, l->host) & ~((uint64_t)1 << l->to);
	for (i = 0; good && i < MAX_HOSTS; i++)
		if (good & ((uint64_t)1 << i)) {
			if (xapi_plan_only) {
				stats.onto_risk++;
				break;
			}
			violate(c, "d: a VM of %s moved at %.3f onto %s, at "
			    "risk, while %s on good power was open",
			    c->p->hosts[l->host].name, l->t,
			    c->p->hosts[l->to].name, c->p->hosts[i].name);
			break;
		}
}

static void
check_action(struct check *c, const struct sim_line *l)
{
	const struct action		*a = l->action;
	const struct policy_pool	*pl = &c->p->pools[a->pool];
	struct sim_host_state		 st, o;
	size_t				 i;

	if (a->due > l->t + 1e-9)
		violate(c, "3: %s of host %ld at %.3f before its deadline %.3f",
		    action_op_name(a->op), a->host, l->t, a->due);
	if (a->op == ACT_SHUTDOWN && a->host >= 0 && a->host < MAX_HOSTS &&
	    c->off_asked[a->host]++ == 0)
		check_deadline(c, a->host, l->t);
	/*
	 * Any action but an evacuation: due at a time after which the engine
	 * heard nothing about its pool, it goes at that step, not a later one
	 * (a timer the engine forgot to set shows here). An evacuation may
	 * wait, by design, for a member about to fall due (the settle window)
	 * or for xapi to finish one it did not ask for.
	 */
	if (a->op != ACT_EVACUATE && a->pool < 8 && l->t > a->due + 1e-6 &&
	    c->input_at[a->pool] <= a->due)
		violate(c, "3: %s of %s at %.3f, %.3f s after it fell due, "
		    "with nothing heard in between", action_op_name(a->op),
		    a->host >= 0 ? c->p->hosts[a->host].name :
		    c->p->pools[a->pool].name, l->t, l->t - a->due);
	/*
	 * A host's first disable of an outage waits for nothing in its pool:
	 * it must go at the step its deadline falls on, unless the host was
	 * busy with an earlier action (which the engine lets finish), was
	 * not up and idle when the outage began (still booting from the last
	 * one), or is the master (it waits the settle window to see whether
	 * a member on good power can take its role); and only if the pool's
	 * facts were known by then and are newer than the host's last change
	 * (a host that came back since the last look is looked at first).
	 * After a restart every host the state had touched is uncertain
	 * until facts settle it, by design: lateness is not judged then.
	 */
	if (a->op == ACT_DESIGNATE_MASTER && a->host >= 0 &&
	    a->host < MAX_HOSTS) {
		c->disables[a->host]++;
		c->handover_from[a->pool] = l->t;
		c->handover_to[a->pool] = INFINITY;
		c->handover_state[a->pool] = 1;
	}
	if (a->op == ACT_DISABLE && a->host >= 0 && a->host < MAX_HOSTS)
		sim_host_state(c->s, (size_t)a->host, &st);
	if (a->op == ACT_DISABLE && a->host >= 0 && a->host < MAX_HOSTS &&
	    !st.master && !c->was_master[a->host] && !c->restarted &&
	    a->host != (c->facts_last[a->pool] <= a->due ?
	    c->master_last[a->pool] : c->master_prev[a->pool]) &&
	    c->disables[a->host]++ == 0 && !c->busy[a->host] &&
	    c->idle_at[a->host] < a->due &&
	    c->idle_at[a->host] <= (c->facts_last[a->pool] <= a->due ?
	    c->facts_last[a->pool] : c->facts_prev[a->pool]) &&
	    c->clean[a->host] && !c->crashed_now[a->host] &&
	    c->facts_at[a->pool] <= a->due &&
	    !(c->handover_from[a->pool] <= l->t &&
	    c->handover_to[a->pool] >= a->due) &&
	    l->t > fmax(a->due, c->outage_at[a->host]) + 1e-6)
		violate(c, "3: first disable of %s at %.3f, %.3f s after its "
		    "deadline (pool facts %.3f, host last busy %.3f)",
		    c->p->hosts[a->host].name, l->t, l->t - a->due,
		    c->facts_last[a->pool], c->idle_at[a->host]);
	if (a->host >= 0 && a->host < MAX_HOSTS)
		c->busy[a->host] = 1;
	if ((a->op == ACT_EVACUATE || a->op == ACT_SHUTDOWN) &&
	    !feeds_on_battery(c, a->host))
		violate(c, "2: %s of %s at %.3f while a feed is online",
		    action_op_name(a->op), c->p->hosts[a->host].name, l->t);
	/*
	 * Evacuations running in the pool, asked by this engine or by one
	 * before a restart; following a running one is not another.
	 */
	if (a->op == ACT_EVACUATE && !l->follows && a->host < MAX_HOSTS) {
		for (i = pl->first_host; i < pl->first_host + pl->nhosts &&
		    i < MAX_HOSTS; i++)
			if ((long)i != a->host && c->evacuating[i] > 0)
				violate(c, "4: %s evacuated at %.3f while %s "
				    "still is", c->p->hosts[a->host].name, l->t,
				    c->p->hosts[i].name);
		c->evacuating[a->host]++;
		c->evac[c->nevac % 64].id = a->id;
		c->evac[c->nevac % 64].at = l->t;
		c->evac[c->nevac % 64].good = good_hosts(c, a->host);
		c->evac[c->nevac % 64].at_risk = feeds_on_battery(c, a->host);
		c->nevac++;
		check_targets(c, a->host, l->t);
	}
	if (a->op != ACT_SHUTDOWN || l->refused)
		return;
	sim_host_state(c->s, (size_t)a->host, &st);
	c->crashed_before[a->host] = st.crashed;
	/* A dead host powers nothing off: the call fails offline. */
	if (!st.master || !st.live)
		return;
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		sim_host_state(c->s, i, &o);
		if ((long)i != a->host && o.live)
			violate(c, "5: master %s shut down at %.3f while %s is "
			    "live", c->p->hosts[a->host].name, l->t,
			    c->p->hosts[i].name);
	}
}

static void
check_result(struct check *c, const struct sim_line *l)
{
	const struct action	*a = l->action;
	struct sim_host_state	 st;

	if (a->op == ACT_EVACUATE && !l->follows && a->host >= 0 &&
	    a->host < MAX_HOSTS)
		c->evacuating[a->host]--;
	if (a->op == ACT_REFRESH && l->result->outcome == OUTCOME_OK &&
	    !l->orphan) {
		if (c->facts_at[a->pool] == INFINITY)
			c->facts_at[a->pool] = l->t;
		c->facts_prev[a->pool] = c->facts_last[a->pool];
		c->facts_last[a->pool] = l->t;
		c->master_prev[a->pool] = c->master_last[a->pool];
		c->master_last[a->pool] = pool_master(c, a->pool);
		remember_open(c, a->pool);
	}
	if (a->op == ACT_DESIGNATE_MASTER)
		c->handover_state[a->pool] = 2;
	else if (a->op == ACT_REFRESH && c->handover_state[a->pool] == 2 &&
	    l->result->outcome == OUTCOME_OK) {
		/* The first facts after it: a failed look (xapi restarting
		 * after the handover) does not end the wait. */
		c->handover_state[a->pool] = 0;
		c->handover_to[a->pool] = l->t;
	}
	if (a->host >= 0 && a->host < MAX_HOSTS) {
		c->busy[a->host] = 0;
		c->idle_at[a->host] = l->t;
		/* What the engine knows of it since its last facts. */
		if (l->result->outcome == OUTCOME_OK && !l->orphan &&
		    !l->follows && (a->op == ACT_DISABLE ||
		    a->op == ACT_SHUTDOWN))
			c->seen_open[a->host] = 0;
		if (l->result->outcome == OUTCOME_OK && !l->orphan &&
		    !l->follows && a->op == ACT_EXIT_MAINTENANCE)
			c->seen_open[a->host] = 1;
	}
	/* A follower's power-off is its orphan's, counted once. */
	if (a->op != ACT_SHUTDOWN || l->result->outcome != OUTCOME_OK ||
	    l->follows)
		return;
	sim_host_state(c->s, (size_t)a->host, &st);
	if (st.crashed > c->crashed_before[a->host])
		violate(c, "1: %s shut down at %.3f with VMs on it",
		    c->p->hosts[a->host].name, l->t);
	if (++c->shutdowns[a->host] > 1)
		violate(c, "7: %s shut down twice in one outage",
		    c->p->hosts[a->host].name);
}

/* An outage starts when every feed of a host is on battery again: it
 * starts a new count of destructive actions. */
static void
track_outages(struct check *c)
{
	struct sim_host_state	 st;
	struct ups_status	 us;
	size_t			 i;
	int			 risk;

	for (i = 0; i < c->p->nhosts && i < MAX_HOSTS; i++) {
		risk = feeds_on_battery(c, (long)i);
		if (risk && !c->was_at_risk[i]) {
			sim_host_state(c->s, i, &st);
			c->shutdowns[i] = 0;
			c->disables[i] = 0;
			c->clean[i] = st.live && st.enabled && !st.marked &&
			    !c->busy[i];
			c->crashed_now[i] = 0;
			c->was_master[i] = st.master;
			c->final[i] = 0;
			c->off_asked[i] = 0;
			c->outage_at[i] = c->now;
		}
		c->was_at_risk[i] = risk;
	}
	for (i = 0; i < c->p->nups; i++) {
		engine_ups_status(sim_engine(c->s), i, &us);
		if (us.power != UPS_ONLINE)
			return;
	}
	memset(c->moves, 0, sizeof(c->moves));	/* the outage is over */
}

/* Low battery, shutdown imminent: no deadline, everything at once. */
static void
track_final(struct check *c, const struct sim_line *l)
{
	const struct policy_host	*ph;
	size_t				 i, j;

	if (l->ups >= c->p->nups || (l->event != UPS_EV_LOW_BATTERY &&
	    l->event != UPS_EV_SHUTDOWN_IMMINENT))
		return;
	for (i = 0; i < c->p->nhosts && i < MAX_HOSTS; i++) {
		ph = &c->p->hosts[i];
		for (j = 0; j < ph->npowered_by; j++)
			if (ph->powered_by[j] == l->ups)
				c->final[i] = 1;
	}
}

/* A new engine knows its pools only once it has asked them again. */
static void
restarted(struct check *c)
{
	size_t	 i;

	c->restarted = 1;
	for (i = 0; i < c->p->npools && i < 8; i++) {
		c->facts_at[i] = INFINITY;
		c->facts_last[i] = c->facts_prev[i] = -INFINITY;
		c->master_last[i] = c->master_prev[i] = -1;
	}
}

/* A trace line: printed with -T, hashed with -D. */
static void __attribute__((format(printf, 1, 2)))
tline(const char *fmt, ...)
{
	char		 buf[1024];
	va_list		 ap;
	const char	*c;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (trace)
		fputs(buf, stdout);
	if (digest)
		for (c = buf; *c; c++) {
			digest_h ^= (unsigned char)*c;
			digest_h *= 1099511628211ULL;
		}
}

/* -T: what each host of a pool waits for, after a look at it. */
static void
trace_pool(const struct check *c, size_t pool)
{
	const struct policy_pool	*pl = &c->p->pools[pool];
	struct host_status		 hs;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		engine_host_status(sim_engine(c->s), i, &hs);
		if (hs.stage != STAGE_NORMAL)
			tline("	%s %s: %s\n", c->p->hosts[i].name,
			    host_stage_name(hs.stage), hs.reason);
	}
}

static void
on_line(const struct sim_line *l, void *arg)
{
	struct check		*c = arg;
	struct sim_host_state	 st;
	size_t			 i;

	int			 out = trace || digest;

	c->now = l->t;
	if (out && l->kind == SIM_RESTART)
		tline("%.3f restart\n", l->t);
	if (out && l->kind == SIM_EVENT)
		tline("%.3f event u%zu %s\n", l->t, l->ups,
		    event_name(l->event));
	if (out && l->kind == SIM_FAULT && l->host >= 0)
		tline("%.3f fault %s\n", l->t, c->p->hosts[l->host].name);
	if (out && (l->kind == SIM_ACTION || l->kind == SIM_RESULT))
		tline("%.3f %s %s %s %s%s%s%s\n", l->t, l->kind == SIM_ACTION ?
		    "act" : "res", action_op_name(l->action->op),
		    l->action->host >= 0 ? c->p->hosts[l->action->host].name :
		    c->p->pools[l->action->pool].name, l->kind == SIM_RESULT ?
		    action_outcome_name(l->result->outcome) : l->action->reason,
		    l->orphan ? " (orphan)" : "", l->follows ? " (follows)" : "",
		    l->abandoned ? " (abandoned)" : "");

	if (out && l->kind == SIM_ACTION && l->action->op == ACT_EVACUATE &&
	    l->action->targets)
		tline("	targets %s\n", l->action->targets);
	if (out && l->kind == SIM_MOVE)
		tline("%.3f move %s %s\n", l->t, c->p->hosts[l->host].name,
		    c->p->hosts[l->to].name);
	if (out && l->kind == SIM_POWER_LOST)
		tline("%.3f power_lost %s %d\n", l->t,
		    c->p->hosts[l->host].name, l->count);
	if (out && l->kind == SIM_RESULT && l->action->op == ACT_REFRESH)
		trace_pool(c, l->action->pool);
	if (l->kind == SIM_RESTART || l->kind == SIM_EVENT)
		for (i = 0; i < c->p->npools && i < 8; i++)
			c->input_at[i] = l->t;
	else if (l->kind == SIM_RESULT && !l->orphan && l->action->pool < 8)
		c->input_at[l->action->pool] = l->t;
	if (l->kind == SIM_RESTART)
		restarted(c);
	else if (l->kind == SIM_FAULT && l->host < MAX_HOSTS) {
		/* VMs that die in a crash are not a shutdown's doing. */
		sim_host_state(c->s, (size_t)l->host, &st);
		c->crashed_before[l->host] = st.crashed;
		if (!st.live)		/* a crash, not a new master */
			c->crashed_now[l->host] = 1;
		else if (st.master)	/* the master goes last */
			c->was_master[l->host] = 1;
	}
	else if (l->kind == SIM_ACTION)
		check_action(c, l);
	else if (l->kind == SIM_RESULT)
		check_result(c, l);
	else if (l->kind == SIM_POWER_LOST)
		check_power_lost(c, l);
	else if (l->kind == SIM_MOVE)
		check_move(c, l);
	track_outages(c);
	if (l->kind == SIM_EVENT)
		track_final(c, l);
}

/*
 * Whether the host's pool has its master up at the end. A master upsxen
 * powered off whose UPS never cut the output does not boot by itself,
 * and nothing in the pool can wake it (host.power_on runs on the
 * master): its pool waits for a person, or for a UPS that cycles its
 * outlets. Such a pool is not judged on the way back.
 */
static int
master_alive(struct check *c, size_t hi)
{
	const struct policy_pool	*pl = &c->p->pools[c->p->hosts[hi].pool];
	struct sim_host_state		 st;
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		sim_host_state(c->s, i, &st);
		if (st.master)
			return st.live;
	}
	return 1;
}

static void
check_end(struct check *c)
{
	struct sim_host_state	 st;
	struct host_status	 hs;
	size_t			 i;

	for (i = 0; i < c->p->nhosts; i++) {
		sim_host_state(c->s, i, &st);
		engine_host_status(sim_engine(c->s), i, &hs);
		if (hs.stage == STAGE_FAILED) {
			if (hs.reason == NULL || hs.reason[0] == '\0')
				violate(c, "6: %s failed without saying why",
				    c->p->hosts[i].name);
			continue;
		}
		if (!master_alive(c, i)) {
			stats.masterless++;
			continue;
		}
		if (st.live && (!st.enabled || st.marked))
			violate(c, "6: %s left %s after power returned (%s)",
			    c->p->hosts[i].name, st.marked ?
			    "in maintenance" : "disabled",
			    host_stage_name(hs.stage));
		/*
		 * The way back: a host upsxen powered off is powered on
		 * through a live member once its power has held, whether
		 * or not its UPS ever cut the output. A pool none of whose
		 * members is live has no one to ask (DESIGN.md "The way
		 * back").
		 */
		if (!st.live && st.shutdowns > 0)
			violate(c, "7: %s stayed off after power returned (%s)",
			    c->p->hosts[i].name, host_stage_name(hs.stage));
		/* And the VMs upsxen stopped there run again. */
		if (st.live && st.waiting > 0)
			violate(c, "8: %d VMs stopped on %s for the outage not "
			    "started again (%s)", st.waiting,
			    c->p->hosts[i].name, host_stage_name(hs.stage));
	}
}

/* Random faults in the simulated pool, from the history's seed. */
static void
set_up_pool(struct sim *s, const struct policy *p, uint64_t *x, int *hurt)
{
	static const enum action_op ops[] = { ACT_DISABLE, ACT_MARK,
	    ACT_EVACUATE, ACT_STOP_VMS, ACT_SHUTDOWN, ACT_EXIT_MAINTENANCE };
	size_t	 i, h;
	int	 n;

	for (i = 0; i < p->npools; i++) {
		sim_set_master(s, p->pools[i].first_host +
		    (size_t)rint_(x, 0, (int)p->pools[i].nhosts - 1));
		sim_set_ha(s, i, rint_(x, 0, 4) == 0);
	}
	for (n = rint_(x, 0, 4); n > 0; n--) {
		h = (size_t)rint_(x, 0, (int)p->nhosts - 1);
		switch (rint_(x, 0, 4)) {
		case 0:
			sim_set_pinned(s, h, rint_(x, 1, 3));
			break;
		case 1:
			sim_set_stuck_vms(s, h, 1);
			sim_set_pinned(s, h, 1);
			break;
		case 2:
			sim_inject(s, h, ops[rint_(x, 0, 5)], OUTCOME_TRANSIENT,
			    "OTHER_OPERATION_IN_PROGRESS", rint_(x, 1, 3));
			if (h < MAX_HOSTS)
				hurt[h] = 1;
			break;
		case 3:
			/* The host is failed for good, and must say why. */
			sim_inject(s, h, ops[rint_(x, 0, 5)], OUTCOME_PERMANENT,
			    "HOST_OFFLINE", 1);
			if (h < MAX_HOSTS)
				hurt[h] = 1;
			break;
		default:
			/* Slow, or hanging after a few VMs. */
			if (rint_(x, 0, 1))
				sim_set_evacuate_takes(s, h, rdur(x, 1, 600));
			else
				sim_set_hang(s, h, rint_(x, 0, 3));
		}
	}
}

/* Run one history (only the kept events); 1 if an invariant broke. */
static int
run(struct history *hi, char *why, size_t whylen, int verbose)
{
	struct report	 rep;
	struct policy	*p;
	struct sim_opts	 o;
	struct sim	*s;
	struct check	 c;
	uint64_t	 x = hi->seed * 2654435761u + 1;
	const char	*text;
	double		 end = 0;
	int		 i, bad;
	size_t		 u;

	report_init(&rep);
	text = gen_policy(&x);
	p = policy_parse(text, strlen(text), "random", &rep);
	if (p == NULL)
		fprintf(stderr, "seed %llu: generated an invalid policy: %s\n",
		    (unsigned long long)hi->seed,
		    report_first(&rep, REPORT_ERROR));
	report_free(&rep);
	if (p == NULL)
		return 0;
	o.action_takes = rdur(&x, 0.05, 2);
	/* Durations as in real pools (issue 17): a VM's migration takes
	 * up to minutes, a clean stop up to and past its timeout. */
	o.evacuate_takes = rdur(&x, 1, 60);
	o.vm_move_takes = rint_(&x, 0, 1) ? rdur(&x, 5, 180) : 0;
	o.vm_stop_takes = rdur(&x, 1, 200);
	o.card_delay = rint_(&x, 0, 1) ? rdur(&x, 0, 120) : 0;
	o.facts_interval = 60;	/* the plugin's periodic look */
	o.xapi_plan_only = xapi_plan_only;
	o.boot_takes = rdur(&x, 10, 200);
	o.vms_per_host = rint_(&x, 0, 5);
	/* What real pools do (DESIGN.md "XenAPI"): a dead member looks
	 * live for a while, a booted xapi takes time to start, a handover
	 * restarts every xapi, XenCenter disables marked hosts. */
	o.dead_after = rint_(&x, 0, 1) ? rdur(&x, 1, 600) : 0;
	o.xapi_start_takes = rint_(&x, 0, 1) ? rdur(&x, 1, 60) : 0;
	o.restart_after = rdur(&x, 0, 15);
	o.restart_takes = rint_(&x, 0, 1) ? rdur(&x, 1, 30) : 0;
	o.xencenter = rint_(&x, 0, 1);
	s = sim_new(p, &o);
	memset(&c, 0, sizeof(c));
	/* Before the events: a shrunk history keeps the same pool. */
	set_up_pool(s, p, &x, c.hurt);
	if (hi->nev == 0)
		gen_events(&x, hi, (int)p->nups, (int)p->nhosts);
	for (i = 0; i < hi->nev; i++) {
		if (!hi->keep[i])
			continue;
		if (hi->ev[i].ups == RESTART)
			sim_add_restart(s, hi->ev[i].t);
		else if (hi->ev[i].ups == NEW_MASTER)
			sim_add_master_change(s, hi->ev[i].t,
			    (size_t)hi->ev[i].host);
		else if (hi->ev[i].ups == CRASH)
			sim_add_host_crash(s, hi->ev[i].t,
			    (size_t)hi->ev[i].host);
		else
			sim_add_event(s, hi->ev[i].t, (size_t)hi->ev[i].ups,
			    hi->ev[i].ev);
		end = hi->ev[i].t;
	}
	/* Power comes back everywhere; everything must settle. */
	for (u = 0; u < p->nups; u++)
		sim_add_event(s, end + 1, u, UPS_EV_POWER_RESTORED);
	c.p = p;
	c.s = s;
	c.action_takes = o.action_takes;
	for (i = 0; i < 8; i++) {
		c.master_lost[i] = -INFINITY;
		c.facts_at[i] = INFINITY;
		c.facts_last[i] = c.facts_prev[i] = -INFINITY;
		c.master_last[i] = c.master_prev[i] = -1;
		c.handover_from[i] = INFINITY;
		c.handover_to[i] = -INFINITY;
	}
	if (sim_run(s, end + 20000, on_line, &c) == -1)
		violate(&c, "the simulation did not settle");
	if (!c.failed)
		check_end(&c);
	if (verbose && c.failed)
		printf("  %s\n", c.why);
	snprintf(why, whylen, "%s", c.why);
	bad = c.failed;
	sim_free(s);
	policy_free(p);
	return bad;
}

/* Drop events one at a time while the history still fails. */
static void
shrink(struct history *hi, char *why, size_t len)
{
	char	 trial[512];
	int	 i, changed = 1;

	trace = 0;
	while (changed) {
		changed = 0;
		for (i = 0; i < hi->nev; i++) {
			if (!hi->keep[i])
				continue;
			hi->keep[i] = 0;
			if (run(hi, trial, sizeof(trial), 0)) {
				snprintf(why, len, "%s", trial);
				changed = 1;
			} else
				hi->keep[i] = 1;
		}
	}
}

static void
print_history(const struct history *hi, const char *why)
{
	int	 i;

	printf("VIOLATION, seed %llu: %s\n", (unsigned long long)hi->seed,
	    why);
	printf("shortest history that still fails:\n");
	for (i = 0; i < hi->nev; i++)
		if (hi->keep[i] && hi->ev[i].ups == RESTART)
			printf("  t=%.3f restart\n", hi->ev[i].t);
		else if (hi->keep[i] && hi->ev[i].ups == NEW_MASTER)
			printf("  t=%.3f host %d made master\n", hi->ev[i].t,
			    hi->ev[i].host);
		else if (hi->keep[i] && hi->ev[i].ups == CRASH)
			printf("  t=%.3f host %d crashes\n", hi->ev[i].t,
			    hi->ev[i].host);
		else if (hi->keep[i])
			printf("  t=%.3f ups u%d %s\n", hi->ev[i].t,
			    hi->ev[i].ups, event_name(hi->ev[i].ev));
}

int
main(int argc, char **argv)
{
	struct history	 hi;
	char		 why[512];
	unsigned long	 n = 2000, i;
	double		 seconds = 0, t0;
	uint64_t	 first = 1;
	int		 verbose = 0, j;

	for (j = 1; j < argc; j++) {
		if (strcmp(argv[j], "-n") == 0 && j + 1 < argc)
			n = strtoul(argv[++j], NULL, 10);
		else if (strcmp(argv[j], "-t") == 0 && j + 1 < argc)
			seconds = atof(argv[++j]);
		else if (strcmp(argv[j], "-s") == 0 && j + 1 < argc)
			first = strtoull(argv[++j], NULL, 10);
		else if (strcmp(argv[j], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[j], "-T") == 0)
			trace = 1;
		else if (strcmp(argv[j], "-R") == 0)
			restarts = 0;
		else if (strcmp(argv[j], "-F") == 0)
			crashes = 0;
		else if (strcmp(argv[j], "-M") == 0)
			new_masters = 0;
		else if (strcmp(argv[j], "-D") == 0)
			digest = 1;
		else if (strcmp(argv[j], "-X") == 0)
			xapi_plan_only = 1;
		else {
			fprintf(stderr, "usage: check_invariants [-n N] "
			    "[-t SECONDS] [-s SEED] [-v] [-T] [-R] [-F] [-M] [-D] [-X]\n");
			return 2;
		}
	}
	t0 = (double)clock() / CLOCKS_PER_SEC;
	for (i = 0; seconds > 0 ? (double)clock() / CLOCKS_PER_SEC - t0 <
	    seconds : i < n; i++) {
		memset(&hi, 0, sizeof(hi));
		hi.seed = first + i;
		if (run(&hi, why, sizeof(why), verbose)) {
			j = trace;
			shrink(&hi, why, sizeof(why));
			print_history(&hi, why);
			if (j) {
				/* -T: the shortest history, step by step. */
				trace = 1;
				run(&hi, why, sizeof(why), 0);
			}
			printf("%lu histories, 1 failed\n", i + 1);
			return 1;
		}
	}
	printf("%lu histories checked, 0 invariant violations\n", i);
	printf("%lu VMs moved, %lu of them twice in one outage; %lu "
	    "power-offs judged, the latest %.3f s after its deadline; %lu "
	    "VMs lost where not judged (no shutdown timer, given up, "
	    "faults)\n", stats.moves, stats.moved_twice, stats.offs,
	    stats.late_max, stats.lost_exempt);
	printf("%lu hosts not judged on the way back: their pool's master "
	    "stayed off (powered off on power that never went)\n",
	    stats.masterless);
	if (xapi_plan_only)
		printf("with xapi's plan only: %lu VMs moved onto a host at "
		    "risk while one on good power had room, %lu moved twice "
		    "unforced, %lu VMs alive when their host lost power\n",
		    stats.onto_risk, stats.unforced, stats.lost);
	if (digest)
		printf("digest %016llx\n", (unsigned long long)digest_h);
	return 0;
}

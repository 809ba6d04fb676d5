/*
 * Deciding what a pool does next. Each step derives every host's goal from
 * its feeds and the time, then issues at most one action per host towards
 * it, under the pool-wide rules (DESIGN.md "Engine rules"): every due host
 * is disabled before any evacuation starts, one evacuation at a time in
 * deadline order, the master hands its role over or goes last. What an
 * answer means for a host is host.c's; this file only decides.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define EVAC_LOOK_AGAIN	2.0	/* seconds between looks at a running one */
#define POOL_BUSY	2	/* step_handover, step_ha: nothing else moves */

struct step {
	struct engine	*e;
	struct epool	*pl;
	size_t		 pool;
	double		 now;
	double		 next;		/* the pool's next deadline */
	int		 all_due_disabled;
	long		 evac_next;	/* who gets the slot when it frees */
	int		 evac_others;	/* xapi evacuates members not ours */
	long		 evac_running;	/* a host xapi evacuates, unasked */
	int		 evac_nrunning;	/* how many */
};

static void
step_later(struct step *s, double t)
{
	if (t > s->now && t < s->next)
		s->next = t;
}

/*
 * Queue an action of host hi (-1: of the pool) and return it for the
 * caller to complete; NULL when out of memory (decided again in a
 * second).
 */
static struct action *
emit(struct step *s, long hi, enum action_op op, const char *reason,
    double due)
{
	struct ehost	*h = hi >= 0 ? &s->e->hosts[hi] : NULL;
	struct action	*a;

	a = action_emit(s->e, op, s->pool, hi, h ? (unsigned long)hi :
	    ENGINE_POOL_SLOT | s->pool);
	if (a == NULL) {
		step_later(s, s->now + 1);
		return NULL;
	}
	a->reason = reason;
	a->due = due;
	/* A retry, unless something that fell due after it is the cause. */
	if (h && h->attempts > 0 && h->retry_at >= due) {
		a->reason = "retry";
		a->due = h->retry_at;
	}
	if (a->due > s->now)
		a->due = s->now;
	if (h)
		host_flight_begin(h, a, s->now);
	return a;
}

/*
 * When a clean VM shutdown turns hard: after vm_shutdown_timeout, or
 * early enough for a hard stop to be done by the host's deadline if that
 * comes first. The battery does not wait for a slow guest.
 */
static double
stop_hard_at(const struct step *s, const struct ehost *h)
{
	double	 t, hard_by;

	t = h->flight.at + s->pl->cfg->vm_shutdown_timeout;
	hard_by = host_hard_by(s->e, h);
	if (hard_by < t)
		t = hard_by > h->flight.at ? hard_by : h->flight.at;
	return t;
}

static void	 set_targets(struct step *, long, struct action *);

static void
emit_stop(struct step *s, long hi, enum stop_scope scope, int hard,
    const char *reason, double due)
{
	struct ehost	*h = &s->e->hosts[hi];
	struct action	*a;

	/*
	 * A VM stop is the first thing that cannot be undone: with a polled
	 * card, its own answer comes first, not a packet's word (the
	 * confirmation holds for the rest of the outage).
	 */
	if (h->needs_confirm && !host_has(h, HF_CONFIRMED)) {
		h->fresh_asked = -INFINITY;
		emit(s, hi, ACT_CONFIRM, h->g.why, due);
		return;
	}
	/* No time left for a clean stop: hard at once. */
	if (!hard && host_hard_by(s->e, h) <= s->now)
		hard = 1;
	if ((a = emit(s, hi, ACT_STOP_VMS, reason, due)) == NULL)
		return;
	host_stopping(s->e, h);
	a->scope = scope;
	a->hard = hard;
	if (scope == STOP_BLOCKERS)
		set_targets(s, hi, a);
	host_flight_begin(h, a, s->now);
	if (!hard)
		step_later(s, stop_hard_at(s, h));
}

static int
host_on_good_power(const struct ehost *h)
{
	return h->seen.known && h->seen.live && h->seen.enabled && !host_has(h, HF_DISABLED) &&
	    !host_has(h, HF_DOWN) && !host_has(h, HF_FAILED) && h->g.kind == GOAL_NONE;
}

/* A member VMs can go to: live, enabled, and not about to leave. */
static int
pool_has_safe_member(const struct step *s, long except)
{
	const struct policy_pool	*c = s->pl->cfg;
	size_t				 i;

	if (s->pl->spare != NULL)
		return 1;
	for (i = c->first_host; i < c->first_host + c->nhosts; i++)
		if ((long)i != except && host_on_good_power(&s->e->hosts[i]))
			return 1;
	return 0;
}

static int
pool_other_live(const struct step *s, long except)
{
	const struct policy_pool	*c = s->pl->cfg;
	size_t				 i;

	if (s->pl->nother_live > 0)
		return 1;
	for (i = c->first_host; i < c->first_host + c->nhosts; i++)
		if ((long)i != except && s->e->hosts[i].seen.known &&
		    s->e->hosts[i].seen.live &&
		    !host_power_gone(s->e, &s->e->hosts[i], s->now))
			return 1;
	return 0;
}

/* The member the master role goes to: a managed host on good power
 * first (we know its feeds are fine), else any live enabled member. */
static const char *
handover_target(const struct step *s)
{
	const struct policy_pool	*c = s->pl->cfg;
	const struct ehost		*h;
	size_t				 i;

	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		h = &s->e->hosts[i];
		if ((long)i != s->pl->master && !h->power.at_risk &&
		    host_on_good_power(h))
			return h->cfg->name;
	}
	return s->pl->spare;
}

static int
host_needs_evacuation(const struct ehost *h)
{
	return h->g.kind != GOAL_NONE && !host_has(h, HF_FAILED) && !host_has(h, HF_DOWN) &&
	    h->seen.known && !host_has(h, HF_VMS_GONE);
}

static void
step_survey(struct step *s)
{
	const struct policy_pool	*c = s->pl->cfg;
	struct ehost			*h, *best = NULL;
	size_t				 i;

	s->all_due_disabled = 1;
	s->evac_next = -1;
	s->evac_others = s->pl->others_evacuating > 0;
	s->evac_running = -1;
	s->evac_nrunning = 0;
	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		h = &s->e->hosts[i];
		/* Started by someone else, or by us before a restart. */
		if (h->seen.evacuating && (long)i != s->pl->evac_holder &&
		    !(h->flight.id && h->flight.op == ACT_EVACUATE)) {
			s->evac_running = (long)i;
			s->evac_nrunning++;
		}
		/* About to fall due: wait for it, so it is disabled first. */
		if (h->g.kind == GOAL_NONE && h->power.at_risk && !host_has(h, HF_FAILED) &&
		    h->g.next <= s->now + s->e->t.settle)
			s->all_due_disabled = 0;
		/* Whatever it did before: enabled, it can take VMs. */
		if (h->g.kind != GOAL_NONE && !host_has(h, HF_FAILED) && !host_has(h, HF_DOWN) &&
		    h->seen.known && !host_has(h, HF_DISABLED))
			s->all_due_disabled = 0;
		if (!host_needs_evacuation(h) || !host_has(h, HF_DISABLED))
			continue;
		if (!host_has(h, HF_MARKED) || h->flight.id || h->retry_at > s->now)
			continue;
		if (best == NULL || h->g.due < best->g.due)
			best = h;
	}
	if (best)
		s->evac_next = best - s->e->hosts;
}

/* Returns 1 while the master's role is being handed over. */
static int
step_handover(struct step *s)
{
	struct epool	*pl = s->pl;
	struct ehost	*m;
	struct action	*a;
	const char	*target;
	double		 due;

	/*
	 * A handover restarts xapi on every member (xapi_pool_transition.ml):
	 * whatever else ran then is forgotten. Nothing else starts meanwhile.
	 */
	if (pl->designate_inflight)
		return POOL_BUSY;
	if (pl->master < 0)
		return 0;
	m = &s->e->hosts[pl->master];
	if (m->g.kind == GOAL_NONE || host_has(m, HF_FAILED) ||
	    host_has(m, HF_DOWN) || pl->ha || pl->designate_failed)
		return 0;
	/*
	 * A master already disabled stays in maintenance as it is, but one
	 * that must go down hands over too: the pool made it master after
	 * it left (HA, an operator), or a member is back on good power. So
	 * does one whose VMs had nowhere to go: they can, now.
	 */
	if (host_has(m, HF_DISABLED) && m->g.kind != GOAL_DOWN &&
	    !(host_has(m, HF_NOWHERE) && !host_has(m, HF_VMS_CLEAR)))
		return 0;
	if ((target = handover_target(s)) == NULL)
		return 0;
	if (m->flight.id)
		return 1;
	/*
	 * A member on good power now may be on battery a moment later: the
	 * cards of one site speak milliseconds to seconds apart. Hand over
	 * only once they had the settle window to do so.
	 */
	if (s->now < m->g.due + s->e->t.settle) {
		step_later(s, m->g.due + s->e->t.settle);
		return 1;
	}
	if (s->now < pl->designate_at) {
		step_later(s, pl->designate_at);
		return 1;
	}
	free(pl->designate_target);
	if ((pl->designate_target = strdup(target)) == NULL)
		return 1;
	/*
	 * Due after the settle window; a disabled master once it must go;
	 * a retry at its backoff.
	 */
	due = m->g.due + s->e->t.settle;
	if (host_has(m, HF_DISABLED) && m->g.down_due > due)
		due = m->g.down_due;
	if (pl->designate_at > due)
		due = pl->designate_at;
	if ((a = emit(s, -1, ACT_DESIGNATE_MASTER, "master_handover",
	    due)) != NULL) {
		pl->designate_inflight = a->id;
		a->target = pl->designate_target;
		/* A pool action, shown against the master it moves from. */
		a->host = pl->master;
		return POOL_BUSY;
	}
	return 1;
}

/*
 * The whole pool is going down: every member upsxen knows of is on
 * battery or off (one outside the policy may be on good power: upsxen
 * cannot tell), and a host leaves now or powers off within `lead`
 * seconds. *due: when both became so; INFINITY when they never will
 * in this outage as it stands.
 */
static int
pool_doomed(const struct step *s, double lead, double *due)
{
	const struct policy_pool	*c = s->pl->cfg;
	const struct ehost		*h;
	size_t				 i;
	double				 t, all_since = -INFINITY;

	*due = INFINITY;
	if (s->pl->spare != NULL)
		return 0;
	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		h = &s->e->hosts[i];
		if (!h->seen.known || host_has(h, HF_FAILED | HF_DOWN))
			continue;
		if (!h->power.at_risk) {
			*due = INFINITY;
			return 0;
		}
		if (h->power.since > all_since)
			all_since = h->power.since;
		if (h->g.kind != GOAL_NONE)
			t = h->g.due;
		else if (h->cfg->has_shutdown)
			t = h->g.down_due - lead;
		else
			continue;
		if (t < *due)
			*due = t;
	}
	if (isfinite(*due) && all_since > *due)
		*due = all_since;
	return *due <= s->now;
}

/* Every host of the pool back at work, nothing of the outage left. */
static int
pool_back(const struct step *s)
{
	const struct policy_pool	*c = s->pl->cfg;
	const struct ehost		*h;
	size_t				 i;

	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		h = &s->e->hosts[i];
		if (h->power.at_risk || h->g.kind != GOAL_NONE ||
		    !h->seen.known || !h->seen.live || !h->seen.enabled ||
		    h->flight.id || host_has(h, HF_DISABLED | HF_MARKED |
		    HF_DOWN | HF_RESTORE | HF_TOUCHED))
			return 0;
	}
	return 1;
}

/*
 * HA across a whole pool's outage: hosts self-fence when the storage or
 * network they heartbeat through goes away (xapi_ha.ml), so HA goes off
 * once a pool with no member on good power starts to leave, or is about
 * to power a host off, and on again once every host is back. Power-offs
 * wait for it (step_leaving); nothing else does.
 */
static void
step_ha(struct step *s)
{
	struct epool	*pl = s->pl;
	struct action	*a;
	enum action_op	 op;
	double		 due;

	if (pl->ha_inflight || pl->ha_failed)
		return;
	due = INFINITY;
	if (pl->ha && pool_doomed(s, s->e->t.ha_lead, &due))
		op = ACT_HA_OFF;
	else if (!pl->ha && pl->ha_off && pool_back(s)) {
		op = ACT_HA_ON;
		due = s->now;
	} else {
		step_later(s, due);
		return;
	}
	if (s->now < pl->ha_at) {
		step_later(s, pl->ha_at);
		return;
	}
	if ((a = emit(s, -1, op, op == ACT_HA_OFF ? "whole_pool_down" :
	    "pool_back", due)) == NULL)
		return;
	pl->ha_inflight = a->id;
	pl->ha_op = op;
}

/* Look at the pool again in a while (not: push the look on each step). */
static void
look_again_soon(struct step *s)
{
	struct epool	*pl = s->pl;

	if (!pl->refresh_wanted && !pl->refresh_inflight) {
		pl->refresh_wanted = 1;
		if (pl->refresh_at < s->now + EVAC_LOOK_AGAIN)
			pl->refresh_at = s->now + EVAC_LOOK_AGAIN;
	}
}

/*
 * Whether to wake a host upsxen powered off. One whose UPS never cut
 * the output never saw its AC go, so its BIOS will not start it: it is
 * powered on through the master once every feed has held for
 * power_on_after, and only if a look at the pool taken since then shows
 * it still off (a look needs a live master: a pool that went down
 * whole waits for its master to boot by itself or by hand).
 */
static int
power_on_due(struct step *s, struct ehost *h)
{
	const struct policy_pool	*c = s->pl->cfg;
	double				 at;

	if (!c->power_on || host_has(h, HF_POWER_ASKED) || h->seen.live)
		return 0;
	if ((at = host_feeds_back_since(s->e, h) + c->power_on_after) ==
	    INFINITY)
		return 0;
	if (s->now < at) {
		h->wait_why = "waiting for power to hold before powering it on";
		step_later(s, at);
		return 0;
	}
	if (!s->pl->facts_known || s->pl->facts_at < at) {
		h->wait_why = "waiting for the pool to answer: its master "
		    "must be up to power members on";
		/* A look now, not at the next watch. */
		if (!s->pl->refresh_wanted && !s->pl->refresh_inflight)
			s->pl->refresh_wanted = 1;
		return 0;
	}
	if (!h->seen.can_power_on) {
		host_cannot_power_on(h);
		return 0;
	}
	return 1;
}

/* Off: woken when its power has held, watched until it is back. */
static void
step_down(struct step *s, long hi)
{
	struct ehost		*h = &s->e->hosts[hi];
	const struct policy_pool *c = s->pl->cfg;
	struct action		*a;
	double			 late;

	if (power_on_due(s, h)) {
		emit(s, hi, ACT_POWER_ON, "power_held", s->now);
		return;
	}
	if (isfinite(h->powered_on_at))
		h->wait_why = "powered on (host.power_on): waiting for it to "
		    "boot";
	if (s->now < h->watch_at) {
		step_later(s, h->watch_at);
		return;
	}
	late = isfinite(h->powered_on_at) && !host_has(h, HF_BOOT_LATE) &&
	    s->now >= h->powered_on_at + c->boot_timeout;
	if ((a = emit(s, hi, ACT_WATCH, late ? "boot_timeout" :
	    "power_restored", h->watch_at)) != NULL && late) {
		a->overdue = 1;
		host_boot_late(h);
	}
}

/*
 * The VMs upsxen stopped start again on power that has held, as a host
 * is powered on: guests started on a feed that fails again a moment
 * later would only be stopped again, or lost.
 */
static void
step_starts(struct step *s, long hi)
{
	struct ehost	*h = &s->e->hosts[hi];
	double		 at = host_feeds_back_since(s->e, h) +
			    s->pl->cfg->power_on_after;

	if (at == INFINITY)
		return;
	if (s->now < at) {
		h->wait_why = "waiting for power to hold before starting the "
		    "VMs stopped for the outage";
		step_later(s, at);
		return;
	}
	/* Off without us (its card cut the power): it boots first. */
	if (!h->seen.live || !h->seen.enabled) {
		h->wait_why = "waiting for the host to be back before starting "
		    "the VMs stopped for the outage";
		return;
	}
	if (s->now < h->watch_at) {
		step_later(s, h->watch_at);
		return;
	}
	emit(s, hi, ACT_START_VMS, "power_held", s->now);
}

static void
step_returning(struct step *s, long hi)
{
	struct ehost	*h = &s->e->hosts[hi];

	/*
	 * Our evacuation asked before a restart still runs: it finishes
	 * first, as one in flight would, and the pool has no free slot
	 * meanwhile (the survey of this step counted it as ours).
	 */
	if (h->seen.evacuating && !host_has(h, HF_DOWN) && (host_has(h, HF_TOUCHED) || host_has(h, HF_DISABLED) ||
	    host_has(h, HF_MARKED))) {
		h->wait_why = "waiting for the running evacuation to finish";
		if (s->pl->evac_holder == hi) {
			s->pl->evac_holder = -1;
			s->evac_running = hi;
			s->evac_nrunning++;
		}
		look_again_soon(s);
		return;
	}
	if (s->pl->evac_holder == hi)
		s->pl->evac_holder = -1;
	if (host_has(h, HF_DOWN))
		step_down(s, hi);
	else if (host_has(h, HF_DISABLED | HF_MARKED)) {
		if (s->now >= h->watch_at)
			emit(s, hi, ACT_EXIT_MAINTENANCE, "power_restored",
			    s->now);
		else
			step_later(s, h->watch_at);
	}
	else if (host_has(h, HF_RESTORE))
		emit(s, hi, ACT_RESTORE_VMS, "power_restored", s->now);
	else if (host_has(h, HF_STARTS))
		step_starts(s, hi);
}

/*
 * Whether host.evacuate could go wrong: it plans for every enabled
 * member (xapi_host.ml), so one on battery, or off while xapi still
 * believes it live, would get VMs; and one xapi knows is dead but is
 * still enabled fails the whole plan (HOST_NOT_LIVE for every VM). A
 * member we disabled counts too: a booting xapi enables its host by
 * itself once started (xapi_host_helpers.ml), whatever we last saw.
 */
static int
targets_needed(const struct step *s, long except)
{
	const struct policy_pool	*c = s->pl->cfg;
	const struct ehost		*h;
	size_t				 i;

	if (s->pl->others_dead > 0)
		return 1;
	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		h = &s->e->hosts[i];
		if ((long)i == except || !h->seen.known)
			continue;
		if (!h->seen.live || h->power.at_risk ||
		    host_power_gone(s->e, h, s->now))
			return 1;
	}
	return 0;
}

/* Append a name to a comma-separated list being built. */
static void
names_add(char **list, const char *name)
{
	size_t	 old = *list ? strlen(*list) : 0;
	char	*nl;

	if ((nl = realloc(*list, old + strlen(name) + 2)) == NULL)
		return;
	snprintf(nl + old, strlen(name) + 2, "%s%s", old ? "," : "", name);
	*list = nl;
}

/*
 * Where the VMs of host hi may go: the members on good power (ours, and
 * those outside the policy, whose power upsxen cannot see); failing
 * those, members on battery that are not due to leave yet.
 */
static void
set_targets(struct step *s, long hi, struct action *a)
{
	const struct policy_pool	*c = s->pl->cfg;
	struct ehost			*h = &s->e->hosts[hi], *t;
	char				*list = NULL;
	size_t				 i;
	int				 pass;

	if (!targets_needed(s, hi))
		return;
	for (pass = 0; pass < 2 && list == NULL; pass++) {
		for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
			t = &s->e->hosts[i];
			if ((long)i == hi || !t->seen.known || !t->seen.live ||
			    !t->seen.enabled || t->g.kind != GOAL_NONE ||
			    host_has(t, HF_DISABLED | HF_DOWN | HF_FAILED) ||
			    host_power_gone(s->e, t, s->now) ||
			    t->power.at_risk != pass)
				continue;
			names_add(&list, t->cfg->name);
		}
		if (pass == 0 && s->pl->others)
			names_add(&list, s->pl->others);
	}
	free(h->targets);
	h->targets = list ? list : strdup("");
	a->targets = h->targets;
}

/* The master's power-off: members that are off, whatever xapi says. */
static void
set_not_live(struct step *s, long hi, struct action *a)
{
	const struct policy_pool	*c = s->pl->cfg;
	struct ehost			*h = &s->e->hosts[hi];
	char				*list = NULL;
	size_t				 i;

	for (i = c->first_host; i < c->first_host + c->nhosts; i++)
		if ((long)i != hi && s->e->hosts[i].seen.live &&
		    host_power_gone(s->e, &s->e->hosts[i], s->now))
			names_add(&list, s->e->hosts[i].cfg->name);
	free(h->not_live);
	h->not_live = list;
	a->not_live = list;
}

/* Returns 1 when the host is still on its way into maintenance. */
static int
step_evacuation(struct step *s, long hi)
{
	struct ehost	*h = &s->e->hosts[hi];
	struct epool	*pl = s->pl;
	struct action	*a;

	if (host_has(h, HF_VMS_GONE))
		return 0;
	if (pl->master == hi && !pool_has_safe_member(s, hi)) {
		/* Nowhere to go: the VMs are stopped before shutdown. */
		host_no_target(h);
		return 0;
	}
	if (host_has(h, HF_BLOCKED)) {
		emit_stop(s, hi, STOP_BLOCKERS, 0, "evacuation_blocked",
		    s->now);
		return 1;
	}
	/* Already running for this host (we asked before a restart): the
	 * worker follows it rather than starting another. */
	if (pl->evac_holder == -1 && s->evac_running == hi &&
	    s->evac_nrunning == 1 && !s->evac_others)
		pl->evac_holder = hi;
	if (pl->evac_holder == -1 && (s->evac_others ||
	    s->evac_running >= 0)) {
		/* One evacuation per pool, whoever started the other. */
		h->wait_why = "an evacuation is already running in the pool";
		look_again_soon(s);
		return 1;
	}
	/*
	 * VMs go only to members seen since this outage began: one that
	 * came back meanwhile (its battery had died under it) is enabled
	 * again, and must be disabled first if it is due to leave.
	 */
	if (pl->evac_holder != hi && pl->facts_at < h->power.since) {
		h->wait_why = "looking at the pool before sending VMs anywhere";
		pl->refresh_wanted = 1;
		return 1;
	}
	if (pl->evac_holder == -1 && s->all_due_disabled && s->evac_next == hi)
		pl->evac_holder = hi;
	if (pl->evac_holder != hi) {
		h->wait_why = s->all_due_disabled ?
		    "waiting for the pool's evacuation slot" :
		    "waiting until every due host is disabled";
		return 1;
	}
	/* Each try is a new placement: again after blockers stopped. */
	if (!s->all_due_disabled) {
		h->wait_why = "waiting until every due host is disabled";
		return 1;
	}
	if ((a = emit(s, hi, ACT_EVACUATE, h->g.why, h->g.due)) != NULL)
		set_targets(s, hi, a);
	return 1;
}

/*
 * The master shuts down only when no other member is live, as facts
 * fetched after it became due say: a member may have booted since the
 * last look.
 */
static int
master_may_leave(struct step *s, struct ehost *h)
{
	h->wait_why = "the master goes last: looking at the pool again";
	/* Facts that came at this very step are as fresh as a new look. */
	if (h->fresh_asked == -INFINITY && s->pl->facts_at >= s->now)
		h->fresh_asked = s->pl->facts_at;
	if (h->fresh_asked == -INFINITY) {
		h->fresh_asked = s->now;
		s->pl->refresh_wanted = 1;
		return 0;
	}
	if (s->pl->facts_at < h->fresh_asked)
		return 0;
	/* A member changed after that look (and others may have booted
	 * meanwhile): one more. */
	if (s->pl->facts_at < s->pl->changed_at) {
		h->fresh_asked = s->now;
		s->pl->refresh_wanted = 1;
		return 0;
	}
	if (pool_other_live(s, h - s->e->hosts)) {
		/* Look again later: the others are on their way down. */
		h->wait_why = "the master goes last: other members are live";
		h->fresh_asked = -INFINITY;
		step_later(s, s->now + s->e->t.watch_interval);
		return 0;
	}
	h->wait_why = NULL;
	return 1;
}

/*
 * A budget stop falls due at stop_by, or when the host starts to leave
 * if that is later: a schedule whose shutdown_after comes less than
 * stop_budget after maintenance_after leaves no time to evacuate
 * (`upsxenctl check` warns of it), and the host still leaves when told.
 */
static double
no_time_due(const struct engine *e, const struct ehost *h)
{
	double	 t = host_stop_by(e, h);

	return h->g.due > t ? h->g.due : t;
}

static void
step_leaving(struct step *s, long hi)
{
	struct ehost	*h = &s->e->hosts[hi];
	struct action	*a;
	double		 t;

	if (host_has(h, HF_DOWN))
		return;
	if (!host_has(h, HF_DISABLED)) {
		host_leaving(s->e, h);
		emit(s, hi, ACT_DISABLE, h->g.why, h->g.due);
		return;
	}
	if (!host_has(h, HF_MARKED)) {
		emit(s, hi, ACT_MARK, h->g.why, h->g.due);
		return;
	}
	/*
	 * The budget: from stop_by on, what is left is stopped, moved or not
	 * (host_stop_by). Waiting for the pool's evacuation slot never makes
	 * a host late, nor does a master waiting to go last: its VMs stop,
	 * it stays up for the others.
	 */
	if (!host_has(h, HF_EVACUATED | HF_NO_TIME)) {
		t = host_stop_by(s->e, h);
		if (s->now >= t) {
			host_no_time(s->e, h, 0);
			/* One xapi runs (ours from before a restart) holds
			 * the pool until a look shows it over. */
			if (h->seen.evacuating) {
				s->evac_running = hi;
				s->evac_nrunning++;
			}
		} else
			step_later(s, t);
	}
	/*
	 * The pool changed since the last look (an action found it so, or
	 * xapi restarted and forgot a task, re-enabling every host): no VM
	 * moves or stops before facts newer than that. Disabling, always
	 * safe, never waits.
	 */
	if (s->pl->stale) {
		h->wait_why = "looking at the pool again: it changed";
		return;
	}
	if (step_evacuation(s, hi))
		return;
	/* Out of time: what is left stops now, whenever the power-off. */
	if (host_has(h, HF_NO_TIME) && !host_has(h, HF_VMS_CLEAR)) {
		h->fresh_asked = -INFINITY;
		emit_stop(s, hi, STOP_ALL, 0, "no_time_left",
		    no_time_due(s->e, h));
		return;
	}
	/*
	 * The card is asked ahead, as the pool is looked at: its answer is
	 * in when the power-off falls due, which never waits for it.
	 */
	if (h->needs_confirm && !host_has(h, HF_CONFIRMED) &&
	    isfinite(h->g.down_due)) {
		t = h->g.down_due - s->e->t.shutdown_prelook;
		if (s->now >= t) {
			emit(s, hi, ACT_CONFIRM, h->g.why, t);
			return;
		}
		step_later(s, t);
	}
	if (h->g.kind != GOAL_DOWN)
		return;
	if (s->pl->master == hi && !master_may_leave(s, h))
		return;
	/* Anything done to the master first makes its last look stale. */
	if (!host_has(h, HF_VMS_CLEAR)) {
		h->fresh_asked = -INFINITY;
		emit_stop(s, hi, STOP_ALL, 0, h->g.why, s->now);
		return;
	}
	/* A spoofed or stale "on battery" must not power a host off. */
	if (h->needs_confirm && !host_has(h, HF_CONFIRMED)) {
		h->fresh_asked = -INFINITY;
		emit(s, hi, ACT_CONFIRM, h->g.why, h->g.down_due);
		return;
	}
	if (s->pl->ha && !s->pl->ha_failed && pool_doomed(s, 0, &t)) {
		h->wait_why = "HA goes off first: the whole pool goes down";
		return;
	}
	if (s->now - s->pl->facts_at > s->e->t.shutdown_fresh ||
	    s->pl->stale) {
		h->wait_why = "looking at the pool again before the power-off";
		s->pl->refresh_wanted = 1;
		return;
	}
	s->e->urgent_gen++;
	if ((a = emit(s, hi, ACT_SHUTDOWN, h->g.why, h->g.down_due)) != NULL &&
	    (a->as_master = s->pl->master == hi))
		set_not_live(s, hi, a);
}

/* A clean VM shutdown that runs too long turns hard (stop_hard_at). */
static void
step_inflight(struct step *s, long hi)
{
	struct ehost	*h = &s->e->hosts[hi];
	double		 t;
	int		 hard;

	/*
	 * An evacuation still running when the budget says stop: the stop
	 * supersedes it (the worker cancels its task, xapi_task.ml), and the
	 * slot goes to the next host.
	 */
	if (h->flight.op == ACT_EVACUATE && h->g.kind != GOAL_NONE) {
		t = host_stop_by(s->e, h);
		if (s->now < t) {
			step_later(s, t);
			return;
		}
		host_flight_drop(h, 0);
		action_settle(s->e);
		host_no_time(s->e, h, 1);
		s->evac_running = hi;	/* for the rest of this step too */
		s->evac_nrunning++;
		look_again_soon(s);
		emit_stop(s, hi, STOP_ALL, 0, "no_time_left",
		    no_time_due(s->e, h));
		return;
	}
	/*
	 * Stopping only what cannot move when the budget is spent: the rest
	 * has no time to move either. The stop widens to every VM (the
	 * worker cancels the narrower one's clean shutdowns).
	 */
	if (h->flight.op == ACT_STOP_VMS && h->flight.scope == STOP_BLOCKERS &&
	    h->g.kind != GOAL_NONE && !host_has(h, HF_NO_TIME)) {
		t = host_stop_by(s->e, h);
		if (s->now < t)
			step_later(s, t);
		else {
			hard = h->flight.hard;
			host_flight_drop(h, 1);
			action_settle(s->e);
			host_no_time(s->e, h, 0);
			emit_stop(s, hi, STOP_ALL, hard, "no_time_left",
			    no_time_due(s->e, h));
			return;
		}
	}
	if (h->flight.op != ACT_STOP_VMS || h->flight.hard)
		return;
	if (h->g.kind == GOAL_NONE) {
		/*
		 * Power is back: no need to force anything, but a guest that
		 * ignores its clean shutdown must not keep the host in
		 * maintenance forever. After the timeout it is left alone.
		 */
		t = h->flight.at + s->pl->cfg->vm_shutdown_timeout;
		if (s->now < t) {
			step_later(s, t);
			return;
		}
		host_flight_drop(h, 1);
		action_settle(s->e);
		step_returning(s, hi);
		return;
	}
	t = stop_hard_at(s, h);
	if (s->now < t) {
		step_later(s, t);
		return;
	}
	/* The clean shutdown's answer is no longer waited for (due no
	 * sooner than the host is, if it started before it left). */
	host_flight_drop(h, 0);
	action_settle(s->e);
	emit_stop(s, hi, host_has(h, HF_BLOCKED) ? STOP_BLOCKERS : STOP_ALL, 1,
	    "vm_shutdown_timeout", t > h->g.due ? t : h->g.due);
}

/* The host must stop moving VMs by now, and has not stopped yet. */
static int
budget_spent(const struct step *s, const struct ehost *h)
{
	return h->g.kind != GOAL_NONE && !host_has(h, HF_FAILED) &&
	    !host_has(h, HF_EVACUATED | HF_NO_TIME) &&
	    s->now >= host_stop_by(s->e, h);
}

static void
step_host(struct step *s, long hi, int master_busy)
{
	struct ehost	*h = &s->e->hosts[hi];

	if (h->flight.id) {
		step_inflight(s, hi);
		return;
	}
	if (master_busy == POOL_BUSY) {
		h->wait_why = "the pool is changing (master handover, HA)";
		return;
	}

	/* A retry waits, but not past the host's budget (step_leaving). */
	if (h->retry_at > s->now && !budget_spent(s, h)) {
		step_later(s, h->retry_at);
		if (h->g.kind != GOAL_NONE &&
		    !host_has(h, HF_EVACUATED | HF_NO_TIME))
			step_later(s, host_stop_by(s->e, h));
		return;
	}
	if (host_has(h, HF_FAILED))
		return;
	if (!h->seen.known) {
		if (h->g.kind != GOAL_NONE)
			h->wait_why = "not a member of the pool";
		return;
	}
	if (h->g.kind == GOAL_NONE)
		step_returning(s, hi);
	else if (!(master_busy && s->pl->master == hi))
		step_leaving(s, hi);
}

static double
step_refresh(struct step *s)
{
	struct epool	*pl = s->pl;
	struct action	*a;

	if (!pl->refresh_wanted || pl->refresh_inflight)
		return INFINITY;
	if (s->now < pl->refresh_at)
		return pl->refresh_at;
	pl->refresh_wanted = 0;
	if ((a = emit(s, -1, ACT_REFRESH, pl->facts_known ? "outage" :
	    "facts", s->now)) != NULL) {
		pl->refresh_inflight = a->id;
		if (pl->facts_known)
			pl->outage_look_at = s->now;
	}
	return INFINITY;
}

/* Fresh facts just before a power-off falls due (shutdown_fresh). */
static void
step_prelook(struct step *s, const struct ehost *h)
{
	struct epool	*pl = s->pl;
	double		 look;

	if (!h->power.at_risk || !h->cfg->has_shutdown || host_has(h, HF_DOWN) || host_has(h, HF_FAILED) ||
	    !isfinite(h->g.down_due))
		return;
	look = h->g.down_due - s->e->t.shutdown_prelook;
	if (s->now < look) {
		step_later(s, look);
		return;
	}
	if (pl->facts_at >= look)
		return;
	pl->refresh_wanted = 1;
	/* Not held back by the outage-refresh gap; a failure's backoff is
	 * kept. */
	if (pl->refresh_attempts == 0 && pl->refresh_at > look)
		pl->refresh_at = look;
}

/*
 * Where every host of the pool stands at `now`: its goal, derived from
 * its feeds and timers. Nothing is decided; upsxenctl status calls this
 * alone.
 */
void
step_goals(struct engine *e, size_t pool, double now)
{
	const struct policy_pool	*c = e->pools[pool].cfg;
	size_t				 i;

	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		e->hosts[i].g = host_goal(&e->hosts[i], now);
		e->hosts[i].wait_why = NULL;
	}
}

void
step_pool(struct engine *e, size_t pool, double now)
{
	struct step			 s;
	const struct policy_pool	*c = e->pools[pool].cfg;
	size_t				 i;
	int				 master_busy;

	s.e = e;
	s.pl = &e->pools[pool];
	s.pool = pool;
	s.now = now;
	s.next = INFINITY;
	step_goals(e, pool, now);
	for (i = c->first_host; i < c->first_host + c->nhosts; i++) {
		step_later(&s, e->hosts[i].g.next);
		step_prelook(&s, &e->hosts[i]);
	}
	if (!s.pl->facts_known) {
		s.pl->deadline = step_refresh(&s);
		return;
	}
	step_survey(&s);
	step_ha(&s);
	master_busy = step_handover(&s);
	for (i = c->first_host; i < c->first_host + c->nhosts; i++)
		step_host(&s, (long)i, master_busy);
	/* Facts we have are good enough to act on: refresh after acting. */
	step_later(&s, step_refresh(&s));
	s.pl->deadline = s.next;
}

/*
 * A host's progress through an outage, and the one table of action
 * kinds: what every power change, pool fact and action result means for
 * a host. This file is the only writer of a host's facts (enum
 * host_fact); the step (step.c) decides what to do and tells this file
 * what it decided.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

typedef void	 apply_fn(struct engine *, struct ehost *,
		    const struct action_result *);

/* VM starts that find no host, or no pool, are asked again this often,
 * this many times (ten minutes) before they are given up. */
#define START_RETRY	10.0	/* seconds */
#define START_TRIES	60

/* One kind of action: a new kind is a row here (DESIGN.md "The engine"). */
struct action_kind {
	const char	*name;
	enum host_stage	 stage;		/* a host's stage while it runs */
	int		 quiet;		/* routine: no log line when asked */
	int		 quiet_blocked;	/* nor for its "not yet" answer */
	apply_fn	*done;		/* an OK or BLOCKED answer; NULL for
					   a pool's action (engine.c) */
	/* What the last failure means, once retries are spent. */
	enum { GIVE_UP_HOST, GIVE_UP_ACTION, KEEP_WATCHING } give_up;
};

static apply_fn	 done_disable, done_mark, done_evacuate, done_stop_vms,
		 done_shutdown, done_watch, done_exit, done_restore,
		 done_confirm, done_power_on, done_start_vms;

static const struct action_kind kinds[ACT_OP_COUNT] = {
	[ACT_REFRESH] = { "refresh", STAGE_RETURNING, 1, 0, NULL,
	    GIVE_UP_HOST },
	[ACT_DESIGNATE_MASTER] = { "designate_master", STAGE_RETURNING, 0, 0,
	    NULL, GIVE_UP_HOST },
	[ACT_DISABLE] = { "disable", STAGE_DISABLING, 0, 0, done_disable,
	    GIVE_UP_HOST },
	[ACT_MARK] = { "mark_maintenance", STAGE_DISABLING, 0, 0, done_mark,
	    GIVE_UP_HOST },
	[ACT_EVACUATE] = { "evacuate", STAGE_EVACUATING, 0, 0, done_evacuate,
	    GIVE_UP_HOST },
	[ACT_STOP_VMS] = { "stop_vms", STAGE_STOPPING_VMS, 0, 0,
	    done_stop_vms, GIVE_UP_HOST },
	[ACT_SHUTDOWN] = { "shutdown", STAGE_SHUTTING_DOWN, 0, 0,
	    done_shutdown, GIVE_UP_HOST },
	/* A host that is not back yet is looked at again, for ever. */
	[ACT_WATCH] = { "watch", STAGE_DOWN, 1, 1, done_watch,
	    KEEP_WATCHING },
	[ACT_EXIT_MAINTENANCE] = { "exit_maintenance", STAGE_RETURNING, 0, 0,
	    done_exit, GIVE_UP_HOST },
	/* The VMs run elsewhere: nothing is at risk when it fails. */
	[ACT_RESTORE_VMS] = { "restore_vms", STAGE_RETURNING, 0, 0,
	    done_restore, GIVE_UP_ACTION },
	[ACT_CONFIRM] = { "confirm_on_battery", STAGE_RETURNING, 0, 0,
	    done_confirm, GIVE_UP_HOST },
	/* The pool's HA (engine.c): pool actions. */
	[ACT_HA_OFF] = { "ha_off", STAGE_RETURNING, 0, 0, NULL,
	    GIVE_UP_HOST },
	[ACT_HA_ON] = { "ha_on", STAGE_RETURNING, 0, 0, NULL, GIVE_UP_HOST },
	/* A host that cannot be woken may still be booted by hand. */
	[ACT_POWER_ON] = { "power_on", STAGE_DOWN, 0, 0, done_power_on,
	    KEEP_WATCHING },
	/* The host is back: a failure costs the VMs' start, not the host. */
	[ACT_START_VMS] = { "start_vms", STAGE_RETURNING, 0, 0,
	    done_start_vms, GIVE_UP_ACTION },
};

/* The facts a restart must not forget, by their names in the state. */
const struct host_fact_name host_fact_names[] = {
	{ HF_TOUCHED, "touched", 1 },
	{ HF_DISABLED, "disabled", 1 },
	{ HF_MARKED, "marked", 1 },
	{ HF_EVACUATED, "evacuated", 1 },
	{ HF_NOWHERE, "nowhere", 1 },
	{ HF_MOVED, "moved", 1 },
	{ HF_VMS_CLEAR, "vms_clear", 1 },
	{ HF_BLOCKED, "blocked", 0 },	/* saved as its count */
	{ HF_DOWN, "down", 1 },
	{ HF_RESTORE, "restore_pending", 1 },
	{ HF_UNCERTAIN, "uncertain", 0 },
	{ HF_CONFIRMED, "confirmed", 0 },
	{ HF_FAILED, "failed", 1 },
	{ HF_NO_TIME, "no_time", 1 },
	{ HF_POWER_ASKED, "power_on_asked", 1 },
	{ HF_BOOT_LATE, "boot_late", 1 },
	{ HF_STARTS, "start_pending", 1 },
	{ 0, NULL, 0 }
};

const char *
action_op_name(enum action_op op)
{
	return (unsigned)op < ACT_OP_COUNT ? kinds[op].name : "unknown";
}

int
action_op_parse(const char *s, enum action_op *op)
{
	int	 i;

	for (i = 0; i < ACT_OP_COUNT && s; i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*op = (enum action_op)i;
			return 0;
		}
	return -1;
}

int
action_op_quiet(enum action_op op)
{
	return (unsigned)op < ACT_OP_COUNT && kinds[op].quiet;
}

int
action_result_quiet(enum action_op op, enum action_outcome o)
{
	return (unsigned)op < ACT_OP_COUNT && kinds[op].quiet_blocked &&
	    o == OUTCOME_BLOCKED;
}

const char *
action_outcome_name(enum action_outcome o)
{
	switch (o) {
	case OUTCOME_OK:
		return "ok";
	case OUTCOME_BLOCKED:
		return "blocked";
	case OUTCOME_TRANSIENT:
		return "transient";
	case OUTCOME_PERMANENT:
		return "permanent";
	case OUTCOME_STALE:
		return "stale";
	}
	return "unknown";
}

int
action_outcome_parse(const char *s, enum action_outcome *o)
{
	int	 i;

	for (i = OUTCOME_OK; i <= OUTCOME_STALE && s; i++)
		if (strcmp(s, action_outcome_name((enum action_outcome)i)) ==
		    0) {
			*o = (enum action_outcome)i;
			return 0;
		}
	return -1;
}

static void
set(struct ehost *h, unsigned facts)
{
	h->facts |= facts;
}

static void
clear(struct ehost *h, unsigned facts)
{
	h->facts &= ~facts;
}

static void
set_to(struct ehost *h, unsigned facts, int on)
{
	if (on)
		set(h, facts);
	else
		clear(h, facts);
}

static void
set_blocked(struct ehost *h, int n)
{
	h->nblocked = n;
	set_to(h, HF_BLOCKED, n > 0);
}

double
host_backoff(const struct engine *e, int attempts)
{
	double	 d = e->t.retry_base;

	while (--attempts > 0 && d < e->t.retry_max)
		d *= 2;
	return d < e->t.retry_max ? d : e->t.retry_max;
}

/*
 * A new outage wants a fresh look at the pool, but no sooner than
 * outage_refresh_gap after the last look an outage asked for: a flapping
 * card must not turn into a storm of refreshes. Looks at start-up or the
 * periodic ones do not hold a new outage back.
 */
static void
pool_want_outage_refresh(struct engine *e, struct epool *pl)
{
	double	 at = pl->outage_look_at + e->t.outage_refresh_gap;

	pl->refresh_wanted = 1;
	if (at > pl->refresh_at)
		pl->refresh_at = at;
}

/* Low battery, shutdown imminent: the one urgent event waits for no gap. */
static void
pool_want_urgent_refresh(struct engine *e, struct epool *pl, double now)
{
	(void)e;
	pl->refresh_wanted = 1;
	if (pl->refresh_attempts == 0 || pl->refresh_at > now)
		pl->refresh_at = now;
}

/*
 * Every feed on battery, and since when; low battery on one of them.
 * A feed in doubt (engine_state.c) is no good feed, but sets nothing
 * off: a host with no other feed on battery is held, not acted on.
 */
static int
feeds_at_risk(const struct engine *e, const struct ehost *h, double *since,
    const char **final_why, int *held)
{
	const struct eups	*u;
	double			 doubted = -INFINITY;
	size_t			 i;
	int			 risk = 1;

	*since = -INFINITY;
	*final_why = NULL;
	for (i = 0; i < h->cfg->npowered_by; i++) {
		u = &e->ups[h->cfg->powered_by[i]];
		if (u->power != UPS_ON_BATTERY && u->power != UPS_LOW_BATTERY)
			risk = 0;
		else if (u->doubt) {
			doubted = fmax(doubted, u->since);
			continue;
		} else if (u->since > *since)
			*since = u->since;
		if (u->power == UPS_LOW_BATTERY)
			*final_why = u->imminent ? "shutdown_imminent" :
			    "low_battery";
	}
	*held = risk && *since == -INFINITY;
	if (*held)
		*since = doubted;
	return risk;
}

/* The host's feeds changed: is it at risk, since when, how urgently. */
void
host_repower(struct engine *e, size_t hi, double now)
{
	struct ehost	*h = &e->hosts[hi];
	struct epool	*pl = &e->pools[h->cfg->pool];
	const char	*why;
	double		 since;
	int		 risk, held;

	risk = feeds_at_risk(e, h, &since, &why, &held);
	h->power.held = held;
	if (risk && h->power.at_risk)
		h->power.since = since;
	if (risk && !h->power.at_risk) {
		/* A new outage: what failed last time is tried again. */
		h->power.at_risk = 1;
		h->power.since = since;
		clear(h, HF_FAILED | HF_CONFIRMED | HF_POWER_ASKED |
		    HF_BOOT_LATE);
		h->powered_on_at = -INFINITY;
		h->fresh_asked = -INFINITY;
		h->attempts = 0;
		h->retry_at = -INFINITY;
		pool_want_outage_refresh(e, pl);
		pl->designate_failed = 0;
		pl->designate_attempts = 0;
	} else if (!risk && h->power.at_risk) {
		h->power.at_risk = 0;
		clear(h, HF_FAILED);
		h->attempts = 0;
		h->retry_at = -INFINITY;
		h->watch_at = now;
	}
	if (risk && why && !h->power.final) {
		h->power.final = 1;
		h->power.final_since = now;
		h->power.final_why = why;
		pool_want_urgent_refresh(e, pl, now);
	} else if (!(risk && why))
		h->power.final = 0;
	engine_mark_dirty(e, h->cfg->pool);
}

/*
 * The host has no power: upsxen powered it off, or every UPS feeding it
 * has been on battery past its warning period (the card then cuts the
 * output). xapi keeps such a member live for ten minutes (xapi_globs.ml
 * host_assumed_dead_interval): upsxen knows better.
 */
int
host_power_gone(const struct engine *e, const struct ehost *h, double now)
{
	const struct policy_ups	*c;
	const struct eups	*u;
	size_t			 i;

	if (host_has(h, HF_DOWN))
		return 1;
	if (!h->power.at_risk)
		return 0;
	for (i = 0; i < h->cfg->npowered_by; i++) {
		c = &e->p->ups[h->cfg->powered_by[i]];
		u = &e->ups[h->cfg->powered_by[i]];
		if (!c->has_warning_period || now < u->since +
		    c->warning_period)
			return 0;
	}
	return 1;
}

/*
 * Every feed on mains, and since when: the last of them to come back.
 * A feed never heard from has been on mains all along; one whose
 * outage is held in doubt is not back.
 */
double
host_feeds_back_since(const struct engine *e, const struct ehost *h)
{
	const struct eups	*u;
	double			 since = -INFINITY;
	size_t			 i;

	for (i = 0; i < h->cfg->npowered_by; i++) {
		u = &e->ups[h->cfg->powered_by[i]];
		if (u->doubt || u->power == UPS_ON_BATTERY ||
		    u->power == UPS_LOW_BATTERY)
			return INFINITY;
		if (u->power == UPS_ONLINE && u->since > since)
			since = u->since;
	}
	return since;
}

/* Where the timers put the host at `now`. */
struct goal
host_goal(const struct ehost *h, double now)
{
	const struct policy_host	*c = h->cfg;
	struct goal			 g = { GOAL_NONE, INFINITY, INFINITY,
	    INFINITY, NULL };
	double				 m_at, s_at;

	if (!h->power.at_risk || h->power.held)
		return g;
	m_at = h->power.since + c->maintenance_after;
	s_at = h->power.since + c->shutdown_after;
	g.due = c->has_maintenance ? m_at : s_at;
	g.down_due = s_at;
	if (h->power.final) {
		if (h->power.final_since < g.due)
			g.due = h->power.final_since;
		if (h->power.final_since < g.down_due)
			g.down_due = h->power.final_since;
		g.why = h->power.final_why;
		g.kind = c->has_shutdown ? GOAL_DOWN : GOAL_MAINT;
		return g;
	}
	if (c->has_shutdown && now >= s_at) {
		g.why = "shutdown_after";
		g.kind = GOAL_DOWN;
		return g;
	}
	if (c->has_shutdown)
		g.next = s_at;
	/*
	 * Battery ok again, still on battery: what left for low battery in
	 * this outage stays where it is (its VMs are not to move twice),
	 * and powers off when its timer says.
	 */
	if (h->power.final_since >= h->power.since && h->power.final_why) {
		g.why = h->power.final_why;
		g.kind = GOAL_MAINT;
		return g;
	}
	if (c->has_maintenance && now >= m_at) {
		g.why = "maintenance_after";
		g.kind = GOAL_MAINT;
		return g;
	}
	if (c->has_maintenance && m_at < g.next)
		g.next = m_at;
	return g;
}

/*
 * A host back from a power-off: xapi enabled it again and may have
 * started VMs on it since; MAINTENANCE_MODE and the record of the VMs
 * that left are still there. If it must leave again it starts over:
 * a VM may be sent to it, and host.shutdown wants it disabled.
 */
static void
booted(struct ehost *h)
{
	clear(h, HF_DOWN | HF_DISABLED | HF_VMS_GONE | HF_VMS_CLEAR |
	    HF_POWER_ASKED | HF_BOOT_LATE);
	h->powered_on_at = -INFINITY;
	h->seen.live = 1;
	h->seen.enabled = 1;
}

/*
 * After a restart, what the pool says settles what we were doing: a
 * disabled host stays ours, an empty one is evacuated, one that is off
 * is down. Nothing done already is asked again.
 */
static void
reconcile(struct engine *e, struct ehost *h, const struct member_facts *m)
{
	int	 touched = host_has(h, HF_TOUCHED);

	clear(h, HF_UNCERTAIN);
	e->gen++;
	if (!m->live) {
		set_to(h, HF_DOWN, touched);
		return;
	}
	clear(h, HF_DOWN);
	set_to(h, HF_DISABLED, !m->enabled && touched);
	set_to(h, HF_MARKED, m->marked && touched);
	if (host_has(h, HF_DISABLED) && m->nvms == 0) {
		set(h, HF_EVACUATED | HF_VMS_CLEAR);
		set_blocked(h, 0);
	} else if (m->nvms > 0 || !host_has(h, HF_DISABLED)) {
		/* An enabled host may be given VMs at any time. */
		clear(h, HF_VMS_GONE | HF_VMS_CLEAR);
	}
}

/* What a look at the pool says of one of our hosts. */
void
host_on_facts(struct engine *e, struct ehost *h, const struct member_facts *m)
{
	if (host_has(h, HF_UNCERTAIN))
		reconcile(e, h, m);
	else if (host_has(h, HF_DOWN | HF_DISABLED) && m->live &&
	    m->enabled) {
		/*
		 * Enabled again behind our back: back from our power-off
		 * before a watch noticed, from one the battery made, or
		 * enabled by an operator.
		 */
		booted(h);
		set_to(h, HF_MARKED, m->marked);
		e->gen++;
	}
	h->seen.known = 1;
	h->seen.live = m->live;
	h->seen.enabled = m->enabled;
	h->seen.master = m->master;
	h->seen.nvms = m->nvms;
	h->seen.evacuating = m->evacuating;
	h->seen.can_power_on = m->can_power_on;
}

/*
 * A master with nowhere to send its VMs was to stop them; as a member
 * (handed over, or HA moved the role) it evacuates them to the members
 * it left. So is a master whose power-off found VMs back on it.
 */
void
host_on_master_lost(struct ehost *h)
{
	if (host_has(h, HF_VMS_GONE) && !host_has(h, HF_VMS_CLEAR) &&
	    !host_has(h, HF_DOWN))
		clear(h, HF_VMS_GONE);
}

static void
release_slot(struct engine *e, struct ehost *h)
{
	struct epool	*pl = &e->pools[h->cfg->pool];

	if (pl->evac_holder == h - e->hosts)
		pl->evac_holder = -1;
}

static void
done_disable(struct engine *e, struct ehost *h, const struct action_result *r)
{
	(void)e;
	(void)r;
	set(h, HF_DISABLED);
	h->seen.enabled = 0;
}

static void
done_mark(struct engine *e, struct ehost *h, const struct action_result *r)
{
	(void)e;
	(void)r;
	set(h, HF_MARKED);
}

static void
done_evacuate(struct engine *e, struct ehost *h, const struct action_result *r)
{
	if (r->outcome == OUTCOME_BLOCKED) {
		/* Keep the slot: stopping blockers is part of it. */
		set_blocked(h, r->count > 0 ? r->count : 1);
		return;
	}
	/* Enabled again meanwhile: VMs may have come back. */
	if (host_has(h, HF_DISABLED))
		set(h, HF_EVACUATED | HF_VMS_CLEAR);
	else
		clear(h, HF_VMS_GONE | HF_VMS_CLEAR);
	set(h, HF_MOVED);
	set_blocked(h, 0);
	release_slot(e, h);
}

static void
done_stop_vms(struct engine *e, struct ehost *h, const struct action_result *r)
{
	(void)e;
	(void)r;
	if (host_has(h, HF_BLOCKED))
		set_blocked(h, 0);	/* evacuate again, then done */
	else
		set(h, HF_VMS_CLEAR);
}

static void
done_shutdown(struct engine *e, struct ehost *h, const struct action_result *r)
{
	(void)e;
	if (r->outcome == OUTCOME_BLOCKED) {
		clear(h, HF_VMS_CLEAR);
		return;
	}
	set(h, HF_DOWN);
	/* A power-on answered for an earlier power-off does not count. */
	clear(h, HF_POWER_ASKED | HF_BOOT_LATE);
	h->powered_on_at = -INFINITY;
	h->seen.live = 0;
	h->seen.enabled = 0;
}

/* The host is booting: the watch sees it come back, or not in time. */
static void
done_power_on(struct engine *e, struct ehost *h,
    const struct action_result *r)
{
	(void)r;
	set(h, HF_POWER_ASKED);
	h->powered_on_at = e->last_now;
	/* Its plugin may have waited until it was live: look at once. */
	h->watch_at = e->last_now;
}

static void
done_watch(struct engine *e, struct ehost *h, const struct action_result *r)
{
	if (r->outcome == OUTCOME_BLOCKED) {
		h->watch_at = e->last_now + e->t.watch_interval;
		return;
	}
	booted(h);
	/* A mark asked before a crash may have landed unseen: leaving
	 * maintenance clears it either way. */
	if (host_has(h, HF_TOUCHED))
		set(h, HF_MARKED);
}

static void
done_exit(struct engine *e, struct ehost *h, const struct action_result *r)
{
	/* Not reachable yet, or its xapi still starting: ask again (only
	 * the way back waits for this; a new outage does not). */
	if (r->outcome == OUTCOME_BLOCKED) {
		h->watch_at = e->last_now + e->t.watch_interval;
		return;
	}
	set_to(h, HF_RESTORE, host_has(h, HF_TOUCHED) &&
	    host_has(h, HF_MOVED) &&
	    e->pools[h->cfg->pool].cfg->on_restore == POLICY_RESTORE_VMS);
	clear(h, HF_DISABLED | HF_MARKED | HF_VMS_GONE | HF_VMS_CLEAR |
	    HF_MOVED | HF_TOUCHED);
	set_blocked(h, 0);
	/* Open to VMs again, before any look says so: an evacuation that
	 * starts meanwhile must know it (set_targets). */
	h->seen.live = 1;
	h->seen.enabled = 1;
}

static void
done_restore(struct engine *e, struct ehost *h, const struct action_result *r)
{
	(void)e;
	(void)r;
	clear(h, HF_RESTORE);
}

/*
 * No host could take some of them yet (NO_HOSTS_AVAILABLE: the shared
 * storage not attached after the boot, memory): asked again, for a
 * bound; the ones started stay started.
 */
static void
done_start_vms(struct engine *e, struct ehost *h,
    const struct action_result *r)
{
	if (r->outcome == OUTCOME_BLOCKED && ++h->start_tries < START_TRIES) {
		h->watch_at = e->last_now + START_RETRY;
		snprintf(h->error, sizeof(h->error), "%d VMs not started yet: "
		    "%s", r->count, r->error ? r->error : "no host can take "
		    "them");
		return;
	}
	if (r->outcome == OUTCOME_BLOCKED)
		snprintf(h->error, sizeof(h->error), "%d VMs stopped for the "
		    "outage not started: %s", r->count, r->error ? r->error :
		    "no host could take them");
	clear(h, HF_STARTS);
	h->start_tries = 0;
}

static void
done_confirm(struct engine *e, struct ehost *h, const struct action_result *r)
{
	/* "Online": no shutdown on this word; ask again later. */
	if (r->outcome == OUTCOME_BLOCKED)
		h->retry_at = e->last_now + e->t.confirm_retry;
	else
		set(h, HF_CONFIRMED);
}

static void
failed(struct engine *e, struct ehost *h, enum action_op op,
    const struct action_result *r, double now)
{
	snprintf(h->error, sizeof(h->error), "%s",
	    r->error ? r->error : action_outcome_name(r->outcome));
	/* Time passes before a retry: a master looks at its pool again. */
	h->fresh_asked = -INFINITY;
	if (r->outcome == OUTCOME_TRANSIENT &&
	    ++h->attempts < e->t.max_attempts) {
		h->retry_at = now + host_backoff(e, h->attempts);
		return;
	}
	switch (kinds[op].give_up) {
	case GIVE_UP_ACTION:
		/* A pool that does not answer yet (a host still booting,
		 * xapi restarting) is asked again, as NO_HOSTS_AVAILABLE. */
		if (op == ACT_START_VMS && r->outcome == OUTCOME_TRANSIENT &&
		    ++h->start_tries < START_TRIES) {
			h->attempts = 0;
			h->watch_at = now + START_RETRY;
			return;
		}
		/* Its error says what was not done; the pool's list of the
		 * VMs to start stays for an operator. */
		clear(h, op == ACT_START_VMS ? HF_STARTS : HF_RESTORE);
		return;
	case KEEP_WATCHING:
		/*
		 * A power-on refused is not asked again in this return; one
		 * that found no master to run it is, once a look at the pool
		 * shows one again.
		 */
		if (op == ACT_POWER_ON && r->outcome == OUTCOME_PERMANENT)
			set(h, HF_POWER_ASKED);
		h->attempts = 0;
		h->watch_at = now + e->t.watch_interval;
		return;
	case GIVE_UP_HOST:
		break;
	}
	set(h, HF_FAILED);
	release_slot(e, h);
}

/*
 * Not a failure and not an attempt: the pool moved on since the last
 * look (HA or an operator changed its master, a member came back), so
 * nothing more happens to the host before facts newer than this answer.
 */
static void
stale(struct engine *e, struct ehost *h)
{
	struct epool	*pl = &e->pools[h->cfg->pool];

	snprintf(h->error, sizeof(h->error), "%s", "the pool changed since "
	    "the last look");
	h->fresh_asked = -INFINITY;
	pl->stale = 1;
	pl->refresh_wanted = 1;
}

/* The answer to the host's action in flight (the caller settles it). */
void
host_on_result(struct engine *e, struct ehost *h,
    const struct action_result *r, double now)
{
	enum action_op	 op = h->flight.op;

	h->flight.id = 0;
	/* Facts from before this answer no longer tell. */
	if (op == ACT_EVACUATE)
		h->seen.evacuating = 0;
	e->pools[h->cfg->pool].changed_at = now;
	e->gen++;
	h->has_last = 1;
	h->last_op = op;
	h->last_outcome = r->outcome;
	if (r->outcome == OUTCOME_OK || r->outcome == OUTCOME_BLOCKED) {
		h->attempts = 0;
		h->retry_at = -INFINITY;	/* a retry asked early won */
		if (kinds[op].done)
			kinds[op].done(e, h, r);
	} else if (r->outcome == OUTCOME_STALE)
		stale(e, h);
	else
		failed(e, h, op, r, now);
	engine_mark_dirty(e, h->cfg->pool);
}

/* The step takes the host out of the pool: the first disable. */
void
host_leaving(struct engine *e, struct ehost *h)
{
	set(h, HF_TOUCHED);
	e->urgent_gen++;
}

/* The step found no member to take the master's VMs: they are stopped. */
void
host_no_target(struct ehost *h)
{
	set(h, HF_NOWHERE);
	clear(h, HF_VMS_CLEAR);
}

/*
 * When a feed's card cuts the output, as far as the policy says: at the
 * end of its warning period, or low_battery_runtime after it went low
 * on battery (shutdown imminent too) if that comes first.
 */
static double
feed_cut(const struct engine *e, size_t ups)
{
	const struct policy_ups	*c = &e->p->ups[ups];
	const struct eups	*u = &e->ups[ups];
	double			 cut = INFINITY;

	if (c->has_warning_period)
		cut = u->since + c->warning_period;
	if ((u->power == UPS_LOW_BATTERY || u->spent) && u->low_since +
	    c->low_battery_runtime < cut)
		cut = u->low_since + c->low_battery_runtime;
	return cut;
}

/*
 * When the host must be powered off at the latest (DESIGN.md "Engine
 * rules"): halt_time before its last feed's card cuts the output, and
 * at shutdown_after when maintenance_after gave its VMs time to move
 * before (a host with shutdown_after only starts leaving then).
 * INFINITY when there is no limit: no shutdown timer, or a feed the
 * policy knows no end for.
 */
double
host_deadline(const struct engine *e, const struct ehost *h)
{
	double	 cut = -INFINITY, t, d;
	size_t	 i;

	if (!h->power.at_risk || h->power.held || !h->cfg->has_shutdown)
		return INFINITY;
	for (i = 0; i < h->cfg->npowered_by; i++)
		if ((t = feed_cut(e, h->cfg->powered_by[i])) > cut)
			cut = t;
	d = cut - e->pools[h->cfg->pool].cfg->halt_time;
	if (h->cfg->has_maintenance && h->power.since +
	    h->cfg->shutdown_after < d)
		d = h->power.since + h->cfg->shutdown_after;
	return d;
}

/* From then on, what is still on the host is stopped, moved or not. */
double
host_stop_by(const struct engine *e, const struct ehost *h)
{
	return host_deadline(e, h) - e->pools[h->cfg->pool].cfg->stop_budget;
}

/* From then on, a clean stop of what is left turns hard. */
double
host_hard_by(const struct engine *e, const struct ehost *h)
{
	return host_deadline(e, h) - e->t.hard_stop_share *
	    e->pools[h->cfg->pool].cfg->stop_budget;
}

/*
 * The step found the budget spent: its evacuation ends, the rest stops.
 * One that was running is cancelled, but xapi lets the VM in flight
 * arrive first (xapi_task.ml, vm_evacuation.ml): until a look shows it
 * over, it still holds the pool's one evacuation.
 */
void
host_no_time(struct engine *e, struct ehost *h, int was_evacuating)
{
	set(h, HF_NO_TIME);
	clear(h, HF_VMS_CLEAR);
	release_slot(e, h);
	if (was_evacuating)
		h->seen.evacuating = 1;
}

/*
 * The step stops VMs on the host: they are to start again on the way
 * back. Known before the stop goes out (saved first), as the recipe
 * lists them in the pool before it stops them: a restart in between
 * loses neither.
 */
void
host_stopping(struct engine *e, struct ehost *h)
{
	if (!host_has(h, HF_STARTS))
		e->urgent_gen++;
	set(h, HF_STARTS);
	h->start_tries = 0;
}

void
host_cannot_power_on(struct ehost *h)
{
	set(h, HF_POWER_ASKED);
	snprintf(h->error, sizeof(h->error), "%s", "no power_on_mode set in "
	    "the pool: power it on by hand");
}

void
host_boot_late(struct ehost *h)
{
	set(h, HF_BOOT_LATE);
}

void
host_flight_begin(struct ehost *h, const struct action *a, double now)
{
	h->flight.id = a->id;
	h->flight.op = a->op;
	h->flight.at = now;
	h->flight.hard = a->hard;
	h->flight.scope = a->scope;
}

/*
 * The step stops waiting for the answer of a clean VM stop: it turns
 * hard, or power came back and the guests are left alone (`unblock`).
 * The caller settles the action.
 */
void
host_flight_drop(struct ehost *h, int unblock)
{
	h->flight.id = 0;
	if (unblock)
		set_blocked(h, 0);
}

/* A host as a saved state had it; what was under way is uncertain. */
void
host_restore(struct ehost *h, const struct host_saved *sv)
{
	const struct host_fact_name	*f;

	h->power = sv->power;
	h->facts = 0;
	for (f = host_fact_names; f->name; f++)
		if (f->saved)
			set_to(h, f->fact, (sv->facts & f->fact) != 0);
	set_blocked(h, sv->nblocked);
	h->powered_on_at = sv->powered_on_at;
	snprintf(h->error, sizeof(h->error), "%s", sv->error ? sv->error : "");
	h->has_last = sv->has_last;
	h->last_op = sv->last_op;
	h->last_outcome = sv->last_outcome;
	/* Settled by the first facts, not replayed. */
	set_to(h, HF_UNCERTAIN, sv->inflight || host_has(h, HF_TOUCHED));
}

/* A reloaded policy: the host's progress as the old engine had it. */
void
host_adopt(struct ehost *h, const struct ehost *old, unsigned long id)
{
	const struct policy_host	*cfg = h->cfg;
	int				 confirm = h->needs_confirm;

	*h = *old;
	h->cfg = cfg;
	h->needs_confirm = confirm;
	h->flight.id = id;
	/* The old engine's strings: its actions were copied when taken. */
	h->targets = h->not_live = NULL;
}

enum host_stage
host_stage(const struct ehost *h)
{
	if (host_has(h, HF_FAILED))
		return STAGE_FAILED;
	if (h->flight.id)
		return (unsigned)h->flight.op < ACT_OP_COUNT ?
		    kinds[h->flight.op].stage : STAGE_RETURNING;
	if (host_has(h, HF_DOWN))
		return STAGE_DOWN;
	if (h->g.kind == GOAL_NONE) {
		if (host_has(h, HF_DISABLED | HF_MARKED | HF_RESTORE) ||
		    (host_has(h, HF_STARTS) && !h->power.at_risk))
			return STAGE_RETURNING;
		return h->power.at_risk ? STAGE_PENDING : STAGE_NORMAL;
	}
	if (h->g.kind == GOAL_DOWN)
		return STAGE_SHUTTING_DOWN;
	if (!host_has(h, HF_DISABLED) || !host_has(h, HF_MARKED))
		return STAGE_DISABLING;
	return host_has(h, HF_VMS_GONE) ? STAGE_MAINTENANCE :
	    STAGE_EVACUATING;
}

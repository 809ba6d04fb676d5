/*
 * The engine's public calls: UPS events, pool facts and action results
 * in; due actions out; deadlines, reloads and status. What each input
 * means for a host is host.c's; what to do next is step.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

const char *
host_stage_name(enum host_stage s)
{
	static const char *const names[] = { "normal", "pending", "disabling",
	    "evacuating", "maintenance", "stopping_vms", "shutting_down",
	    "down", "returning", "failed" };

	return (unsigned)s <= STAGE_FAILED ? names[s] : "unknown";
}

const char *
ups_power_name(enum ups_power p)
{
	static const char *const names[] = { "unknown", "online",
	    "on_battery", "low_battery" };

	return (unsigned)p <= UPS_LOW_BATTERY ? names[p] : "unknown";
}

static int
build_ups_index(struct engine *e)
{
	const struct policy	*p = e->p;
	size_t			 h, i, u;

	e->ups_hosts = calloc(p->nups, sizeof(*e->ups_hosts));
	e->ups_nhosts = calloc(p->nups, sizeof(*e->ups_nhosts));
	if (e->ups_hosts == NULL || e->ups_nhosts == NULL)
		return -1;
	for (u = 0; u < p->nups; u++) {
		e->ups_hosts[u] = calloc(p->ups[u].nhosts + 1,
		    sizeof(**e->ups_hosts));
		if (e->ups_hosts[u] == NULL)
			return -1;
	}
	for (h = 0; h < p->nhosts; h++)
		for (i = 0; i < p->hosts[h].npowered_by; i++) {
			u = p->hosts[h].powered_by[i];
			e->ups_hosts[u][e->ups_nhosts[u]++] = h;
		}
	return 0;
}

struct engine *
engine_new(const struct policy *p)
{
	struct engine	*e;
	size_t		 i;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->p = p;
	e->t.retry_base = 1.0;
	e->t.retry_max = 30.0;
	e->t.max_attempts = 6;
	e->t.watch_interval = 5.0;
	e->t.settle = 2.0;
	e->t.outage_refresh_gap = 5.0;
	e->t.shutdown_fresh = 5.0;
	e->t.shutdown_prelook = 2.0;
	e->t.ha_lead = 30.0;
	e->t.hard_stop_share = ENGINE_HARD_STOP_SHARE;
	e->t.confirm_retry = 5.0;
	e->ups = calloc(p->nups, sizeof(*e->ups));
	e->hosts = calloc(p->nhosts, sizeof(*e->hosts));
	e->pools = calloc(p->npools, sizeof(*e->pools));
	if (e->ups == NULL || e->hosts == NULL || e->pools == NULL ||
	    build_ups_index(e) == -1)
		goto fail;
	for (i = 0; i < p->nups; i++)
		e->ups[i].restored_at = -INFINITY;
	for (i = 0; i < p->nhosts; i++) {
		size_t j;

		e->hosts[i].cfg = &p->hosts[i];
		e->hosts[i].retry_at = -INFINITY;
		e->hosts[i].watch_at = -INFINITY;
		e->hosts[i].fresh_asked = -INFINITY;
		e->hosts[i].powered_on_at = -INFINITY;
		for (j = 0; j < p->hosts[i].npowered_by; j++)
			if (p->ups[p->hosts[i].powered_by[j]].confirm)
				e->hosts[i].needs_confirm = 1;
	}
	for (i = 0; i < p->npools; i++) {
		e->pools[i].cfg = &p->pools[i];
		e->pools[i].master = -1;
		e->pools[i].evac_holder = -1;
		e->pools[i].deadline = INFINITY;
		e->pools[i].refresh_at = -INFINITY;
		e->pools[i].designate_at = -INFINITY;
		e->pools[i].designated_from = -1;
		e->pools[i].facts_at = -INFINITY;
		e->pools[i].changed_at = -INFINITY;
		e->pools[i].ha_at = -INFINITY;
		e->pools[i].outage_look_at = -INFINITY;
		/* Nothing is done to a pool before its facts are known. */
		e->pools[i].refresh_wanted = 1;
		engine_mark_dirty(e, i);
	}
	return e;
fail:
	engine_free(e);
	return NULL;
}

void
engine_free(struct engine *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	if (e->ups_hosts)
		for (i = 0; i < e->p->nups; i++)
			free(e->ups_hosts[i]);
	if (e->pools)
		for (i = 0; i < e->p->npools; i++) {
			free(e->pools[i].spare);
			free(e->pools[i].others);
			free(e->pools[i].designate_target);
		}
	if (e->hosts)
		for (i = 0; i < e->p->nhosts; i++) {
			free(e->hosts[i].targets);
			free(e->hosts[i].not_live);
		}
	free(e->ups_hosts);
	free(e->ups_nhosts);
	free(e->ups);
	free(e->hosts);
	free(e->pools);
	free(e->queue);
	free(e->remap);
	free(e);
}

struct engine_tuning *
engine_tuning(struct engine *e)
{
	return &e->t;
}

/*
 * How soon after power came back a return to battery continues the same
 * outage: the poll interval of a polled card (a restore its next poll
 * would not have seen). Traps alone are taken as they come: a card that
 * flaps is not an outage that lasts.
 */
static double
ups_return_window(const struct policy_ups *c)
{
	if (c->snmp.version != POLICY_SNMP_NONE)
		return c->snmp.poll_interval;
	return -1;
}

/*
 * The last stage for the UPS's hosts: low on battery, or the UPS about to
 * cut its load (shutdown imminent means that on mains too).
 */
static int
ups_final(struct eups *u, int on_batt, int imminent, double now)
{
	if (imminent)
		u->imminent = 1;
	if (u->power == UPS_LOW_BATTERY)
		return imminent;
	if (!on_batt)
		u->since = now;
	u->power = UPS_LOW_BATTERY;
	if (!u->spent)
		u->low_since = now;
	return 1;
}

static int
ups_apply(struct eups *u, const struct policy_ups *c, enum ups_event ev,
    double now)
{
	int	 on_batt = u->power == UPS_ON_BATTERY ||
		    u->power == UPS_LOW_BATTERY;

	/*
	 * The card speaks again. On battery, after a receiver that kept
	 * watching: the doubted outage goes on from when it began (a card
	 * resending its trap; a battery is never given time it may not
	 * have). After one that was away longer than any timer: a restore
	 * may have gone unseen, so it is an outage from now. Anything else
	 * ends it as it would.
	 */
	if (u->doubt && ev != UPS_EV_COMMS_LOST && ev != UPS_EV_COMMS_RESTORED) {
		if (u->doubt == DOUBT_NEW && on_batt)
			u->since = now;
		u->doubt = DOUBT_NONE;
		if (ev == UPS_EV_ON_BATTERY)
			return 1;
	}
	switch (ev) {
	case UPS_EV_ON_BATTERY:
		/* Cards resend on_battery: timers never restart. */
		if (on_batt)
			return 0;
		/* A battery already low runs for its low-battery runtime. */
		if (u->low_on_mains)
			return ups_final(u, 0, 0, now);
		u->power = UPS_ON_BATTERY;
		/*
		 * Back on battery within the return window: the outage goes
		 * on from where it was (a battery does not recharge in that
		 * time, and a forged restore must not restart the timers).
		 */
		u->since = now - u->restored_at <= ups_return_window(c) ?
		    u->outage_since : now;
		return 1;
	case UPS_EV_POWER_RESTORED:
		if (!on_batt)
			return 0;
		u->outage_since = u->since;
		u->restored_at = now;
		u->power = UPS_ONLINE;
		u->since = now;
		u->imminent = 0;
		u->low_since = -INFINITY;
		u->spent = 0;
		return 1;
	case UPS_EV_LOW_BATTERY:
		/*
		 * Low battery is not on battery (DESIGN.md "The cards"): the
		 * runtime estimate is below its threshold, on mains too (a
		 * worn or charging battery). It escalates a UPS on battery,
		 * or the next outage, at once.
		 */
		if (!on_batt) {
			u->low_on_mains = 1;
			return 0;
		}
		return ups_final(u, on_batt, 0, now);
	case UPS_EV_SHUTDOWN_IMMINENT:
		return ups_final(u, on_batt, 1, now);
	case UPS_EV_BATTERY_OK:
		u->low_on_mains = 0;
		if (u->power != UPS_LOW_BATTERY)
			return 0;
		u->power = UPS_ON_BATTERY;
		u->imminent = 0;
		/* Too late: by the policy, that card has cut the power. */
		u->spent = now >= u->low_since + c->low_battery_runtime;
		if (!u->spent)
			u->low_since = -INFINITY;
		return 1;
	case UPS_EV_COMMS_LOST:
		u->comms_lost = 1;
		return 0;
	case UPS_EV_COMMS_RESTORED:
		u->comms_lost = 0;
		return 0;
	case UPS_EV_COUNT:
		break;
	}
	return 0;
}

int
engine_on_ups_event(struct engine *e, size_t ups, enum ups_event ev,
    double now)
{
	size_t	 i;
	int	 low, doubt;

	if (ups >= e->p->nups || (unsigned)ev >= UPS_EV_COUNT)
		return -1;
	low = e->ups[ups].low_on_mains;
	doubt = e->ups[ups].doubt;
	e->last_now = now;
	if (e->ups[ups].power == UPS_UNKNOWN && ev == UPS_EV_POWER_RESTORED)
		e->ups[ups].power = UPS_ONLINE;
	if (!ups_apply(&e->ups[ups], &e->p->ups[ups], ev, now) &&
	    e->ups[ups].doubt == doubt) {
		/* Nothing at risk, but a restart must remember it. */
		if (e->ups[ups].low_on_mains != low) {
			e->gen++;
			e->power_gen++;
		}
		return 0;
	}
	e->gen++;
	e->power_gen++;
	for (i = 0; i < e->ups_nhosts[ups]; i++)
		host_repower(e, e->ups_hosts[ups][i], now);
	return 0;
}

int
engine_on_battery_time(struct engine *e, size_t ups, double seconds,
    double now)
{
	struct eups	*u;
	size_t		 i;

	if (ups >= e->p->nups || !isfinite(seconds) || seconds < 0 ||
	    seconds > POLICY_MAX_TIMER * 10)
		return -1;
	u = &e->ups[ups];
	/* A second of slack: the card counts in whole seconds. */
	if ((u->power != UPS_ON_BATTERY && u->power != UPS_LOW_BATTERY) ||
	    (!u->doubt && now - seconds >= u->since - 1.0))
		return 0;
	/* The card's own count settles a doubted outage either way. */
	u->doubt = 0;
	u->since = now - seconds;
	e->last_now = now;
	e->gen++;
	e->power_gen++;
	for (i = 0; i < e->ups_nhosts[ups]; i++)
		host_repower(e, e->ups_hosts[ups][i], now);
	return 0;
}

static long
pool_find_host(const struct engine *e, size_t pool, const char *name)
{
	const struct policy_pool	*pl = &e->p->pools[pool];
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (strcmp(e->p->hosts[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Append a name to a comma-separated list; out of memory leaves it. */
static void
list_add(char **list, const char *name)
{
	size_t	 old = *list ? strlen(*list) : 0;
	char	*nl;

	if ((nl = realloc(*list, old + strlen(name) + 2)) == NULL)
		return;
	snprintf(nl + old, strlen(name) + 2, "%s%s", old ? "," : "", name);
	*list = nl;
}

static void
facts_apply_member(struct engine *e, struct epool *pl, size_t pool,
    const struct member_facts *m)
{
	long	 hi;

	hi = pool_find_host(e, pool, m->name);
	if (m->master)
		pl->master = hi;
	if (hi == -1) {
		pl->others_evacuating += m->evacuating;
		if (m->live && m->enabled)
			list_add(&pl->others, m->name);
		pl->others_dead += m->enabled && !m->live;
		if (m->live && !m->master) {
			pl->nother_live++;
			if (m->enabled && pl->spare == NULL)
				pl->spare = strdup(m->name);
		}
		return;
	}
	host_on_facts(e, &e->hosts[hi], m);
}

/*
 * A handover the pool said yes to but whose master is still the old one
 * counts as a failed attempt: asking again at once would loop.
 */
static void
handover_check(struct engine *e, struct epool *pl, double now)
{
	if (pl->designated_from < 0)
		return;
	if (pl->master == pl->designated_from) {
		if (++pl->designate_attempts < e->t.max_attempts)
			pl->designate_at = now + host_backoff(e,
			    pl->designate_attempts);
		else
			pl->designate_failed = 1;
	}
	pl->designated_from = -1;
}

void
engine_on_pool_facts(struct engine *e, size_t pool,
    const struct pool_facts *f, double now)
{
	struct epool			*pl;
	const struct policy_pool	*cfg;
	size_t				 i;
	long				 was;

	if (pool >= e->p->npools)
		return;
	pl = &e->pools[pool];
	was = pl->master;
	cfg = pl->cfg;
	e->last_now = now;
	if (pl->refresh_inflight) {
		pl->refresh_inflight = 0;
		action_settle(e);
	}
	pl->refresh_attempts = 0;
	pl->ha = f->ha_enabled;
	pl->ha_off = f->ha_off;
	pl->master = -1;
	pl->nother_live = 0;
	pl->others_dead = 0;
	pl->others_evacuating = 0;
	free(pl->spare);
	pl->spare = NULL;
	free(pl->others);
	pl->others = NULL;
	for (i = cfg->first_host; i < cfg->first_host + cfg->nhosts; i++)
		e->hosts[i].seen.known = e->hosts[i].seen.master = 0;
	for (i = 0; i < f->nmembers; i++)
		facts_apply_member(e, pl, pool, &f->members[i]);
	if (was >= 0 && was != pl->master)
		host_on_master_lost(&e->hosts[was]);
	pl->facts_known = 1;
	pl->facts_at = now;
	/* Whoever fetched these did so after the stale answer came. */
	pl->stale = 0;
	handover_check(e, pl, now);
	engine_mark_dirty(e, pool);
}

static int
pool_result(struct engine *e, size_t pool, unsigned long id,
    const struct action_result *r, double now)
{
	struct epool	*pl = &e->pools[pool];

	if (id == pl->refresh_inflight) {
		pl->refresh_inflight = 0;
		if (r->outcome == OUTCOME_OK)
			return 0;	/* facts come by on_pool_facts */
		pl->refresh_wanted = 1;
		pl->refresh_at = now + host_backoff(e,
		    ++pl->refresh_attempts);
		return 0;
	}
	if (id == pl->ha_inflight) {
		pl->ha_inflight = 0;
		/* The pool changed: act on fresh facts only. */
		pl->refresh_wanted = 1;
		if (r->outcome == OUTCOME_OK) {
			/* Until the next look says it: as asked. */
			pl->ha_attempts = 0;
			pl->ha = pl->ha_op == ACT_HA_ON;
			pl->ha_off = pl->ha_op == ACT_HA_OFF;
		} else if (++pl->ha_attempts < e->t.max_attempts)
			pl->ha_at = now + host_backoff(e, pl->ha_attempts);
		else
			pl->ha_failed = 1;
		return 0;
	}
	if (id != pl->designate_inflight)
		return -1;
	pl->designate_inflight = 0;
	if (r->outcome == OUTCOME_OK) {
		/* The pool restarts its toolstack: act on fresh facts only. */
		pl->facts_known = 0;
		pl->refresh_wanted = 1;
		pl->designated_from = pl->master;
	} else if (r->outcome == OUTCOME_TRANSIENT &&
	    ++pl->designate_attempts < e->t.max_attempts)
		pl->designate_at = now + host_backoff(e,
		    pl->designate_attempts);
	else
		pl->designate_failed = 1;
	return 0;
}

/* An answer to an action the engine before a reload handed out. */
static unsigned long
remap_id(struct engine *e, unsigned long id)
{
	size_t	 i;

	for (i = 0; i < e->nremap; i++)
		if (e->remap[2 * i] == id) {
			id = e->remap[2 * i + 1];
			e->remap[2 * i] = e->remap[2 * (e->nremap - 1)];
			e->remap[2 * i + 1] = e->remap[2 * (e->nremap - 1) + 1];
			e->nremap--;
			break;
		}
	return id;
}

int
engine_on_result(struct engine *e, unsigned long id,
    const struct action_result *r, double now)
{
	unsigned long	 slot;
	size_t		 pool;

	e->last_now = now;
	if (e->nremap)
		id = remap_id(e, id);
	slot = id & ENGINE_SLOT_MASK;
	if (slot & ENGINE_POOL_SLOT) {
		pool = slot & ~ENGINE_POOL_SLOT;
		if (pool >= e->p->npools || pool_result(e, pool, id, r, now))
			return -1;
		action_settle(e);
		engine_mark_dirty(e, pool);
		return 0;
	}
	if (slot >= e->p->nhosts || e->hosts[slot].flight.id != id)
		return -1;
	host_on_result(e, &e->hosts[slot], r, now);
	action_settle(e);
	return 0;
}

double
engine_next_deadline(const struct engine *e)
{
	double	 d = INFINITY;
	size_t	 i;

	if (e->ndirty > 0 || e->qhead < e->qlen)
		return e->last_now;
	for (i = 0; i < e->p->npools; i++)
		if (e->pools[i].deadline < d)
			d = e->pools[i].deadline;
	return d;
}

size_t
engine_take_actions(struct engine *e, double now, struct action *out,
    size_t max)
{
	size_t	 i, n = 0;

	if (now > e->last_now)
		e->last_now = now;
	for (i = 0; i < e->p->npools; i++) {
		struct epool *pl = &e->pools[i];

		if (!pl->dirty && pl->deadline > now)
			continue;
		if (pl->dirty) {
			pl->dirty = 0;
			e->ndirty--;
		}
		step_pool(e, i, now);
	}
	while (n < max && e->qhead < e->qlen)
		out[n++] = e->queue[e->qhead++];
	return n;
}

void
engine_want_refresh(struct engine *e, size_t pool)
{
	if (pool >= e->p->npools)
		return;
	e->pools[pool].refresh_wanted = 1;
	engine_mark_dirty(e, pool);
}

static long
old_host(const struct engine *old, const char *pool, const char *host)
{
	long	 pi = policy_pool_index(old->p, pool);
	size_t	 i;

	if (pi < 0)
		return -1;
	for (i = old->p->pools[pi].first_host; i < old->p->pools[pi].first_host
	    + old->p->pools[pi].nhosts; i++)
		if (strcmp(old->p->hosts[i].name, host) == 0)
			return (long)i;
	return -1;
}

static long
new_index_of(const struct engine *e, const struct engine *old, long oh)
{
	if (oh < 0)
		return -1;
	return policy_host_index(e->p, old->p->hosts[oh].name);
}

static void
adopt_pool(struct engine *e, size_t pi, const struct engine *old, long opi)
{
	struct epool		*pl = &e->pools[pi];
	const struct epool	*op = &old->pools[opi];

	pl->facts_known = op->facts_known;
	pl->ha = op->ha;
	pl->ha_off = op->ha_off;
	pl->master = new_index_of(e, old, op->master);
	pl->spare = op->spare ? strdup(op->spare) : NULL;
	pl->others = op->others ? strdup(op->others) : NULL;
	pl->ha_inflight = action_adopt(e, op->ha_inflight,
	    ENGINE_POOL_SLOT | pi);
	pl->ha_attempts = op->ha_attempts;
	pl->ha_at = op->ha_at;
	pl->ha_failed = op->ha_failed;
	pl->nother_live = op->nother_live;
	pl->refresh_inflight = action_adopt(e, op->refresh_inflight,
	    ENGINE_POOL_SLOT | pi);
	pl->refresh_wanted = op->refresh_wanted || !op->facts_known;
	pl->refresh_attempts = op->refresh_attempts;
	pl->refresh_at = op->refresh_at;
	pl->designate_target = op->designate_target ?
	    strdup(op->designate_target) : NULL;
	pl->designate_inflight = pl->designate_target ? action_adopt(e,
	    op->designate_inflight, ENGINE_POOL_SLOT | pi) : 0;
	pl->designate_failed = op->designate_failed;
	pl->designate_attempts = op->designate_attempts;
	pl->designate_at = op->designate_at;
	pl->evac_holder = new_index_of(e, old, op->evac_holder);
}

int
engine_adopt(struct engine *e, const struct engine *old, double now)
{
	size_t	 i;
	long	 o;

	e->last_now = now;
	e->seq = old->seq;
	for (i = 0; i < e->p->nups; i++)
		if ((o = policy_ups_index(old->p, e->p->ups[i].name)) >= 0)
			e->ups[i] = old->ups[o];
	e->ninflight = 0;
	for (i = 0; i < e->p->npools; i++) {
		free(e->pools[i].spare);
		free(e->pools[i].others);
		e->pools[i].spare = e->pools[i].others = NULL;
		if ((o = policy_pool_index(old->p, e->p->pools[i].name)) >= 0)
			adopt_pool(e, i, old, o);
		engine_mark_dirty(e, i);
	}
	for (i = 0; i < e->p->nhosts; i++) {
		o = old_host(old, e->p->pools[e->p->hosts[i].pool].name,
		    e->p->hosts[i].name);
		if (o >= 0)
			host_adopt(&e->hosts[i], &old->hosts[o],
			    action_adopt(e, old->hosts[o].flight.id, i));
		/* Feeds may have changed: whether it is at risk, and since
		 * when, follows from the UPS states. */
		host_repower(e, i, now);
	}
	for (i = 0; i < e->p->npools; i++)
		if (e->pools[i].designate_inflight == 0 &&
		    e->pools[i].designate_target != NULL) {
			free(e->pools[i].designate_target);
			e->pools[i].designate_target = NULL;
		}
	return 0;
}

void
engine_ups_status(const struct engine *e, size_t ups, struct ups_status *st)
{
	memset(st, 0, sizeof(*st));
	if (ups >= e->p->nups)
		return;
	st->power = e->ups[ups].power;
	st->since = e->ups[ups].since;
	st->low_on_mains = e->ups[ups].low_on_mains;
	st->comms_lost = e->ups[ups].comms_lost;
	st->doubt = e->ups[ups].doubt;
}

void
engine_host_status(const struct engine *e, size_t hi, struct host_status *st)
{
	const struct ehost	*h;
	double			 next = INFINITY;

	memset(st, 0, sizeof(*st));
	if (hi >= e->p->nhosts)
		return;
	h = &e->hosts[hi];
	st->stage = host_stage(h);
	st->reason = host_has(h, HF_FAILED) ? h->error : h->wait_why ?
	    h->wait_why : h->g.why ? h->g.why : h->power.held ?
	    "held: its feeds' outage is older than their longest timer, "
	    "waiting for a trap or the card" : h->power.at_risk ?
	    "all feeds on battery" : "";
	if (h->power.at_risk && !h->power.final && !h->power.held) {
		if (h->cfg->has_maintenance &&
		    h->power.since + h->cfg->maintenance_after > e->last_now)
			next = h->power.since + h->cfg->maintenance_after;
		else if (h->cfg->has_shutdown &&
		    h->power.since + h->cfg->shutdown_after > e->last_now)
			next = h->power.since + h->cfg->shutdown_after;
	}
	st->next_deadline = next;
	st->has_last = h->has_last;
	st->last_op = h->last_op;
	st->last_outcome = h->last_outcome;
	st->error = h->error[0] ? h->error : NULL;
}

/* Every host's stage as of `now`, without deciding anything. */
void
engine_evaluate(struct engine *e, double now)
{
	size_t	 i;

	if (now > e->last_now)
		e->last_now = now;
	for (i = 0; i < e->p->npools; i++)
		step_goals(e, i, now);
}

unsigned long
engine_urgent_generation(const struct engine *e)
{
	return e->urgent_gen;
}

unsigned long
engine_power_generation(const struct engine *e)
{
	return e->power_gen;
}

size_t
engine_inflight(const struct engine *e)
{
	return e->ninflight;
}

/*
 * A member's power-off must not take the master, and the master's must
 * leave no live member behind (the master goes last).
 */
const char *
engine_poweroff_refusal(const struct action *a, int is_master,
    int other_live)
{
	if (!a->as_master)
		return is_master ? "the host became the pool's master" : NULL;
	if (!is_master)
		return "the host is no longer the pool's master";
	if (other_live)
		return "another member of the pool is live";
	return NULL;
}

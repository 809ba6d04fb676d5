/*
 * Engine inputs and bookkeeping: UPS events, pool facts, action results,
 * the queue of decided actions, deadlines and status. What to do next is
 * decided in engine_step.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static const char *const op_names[ACT_OP_COUNT] = {
	[ACT_REFRESH] = "refresh",
	[ACT_DESIGNATE_MASTER] = "designate_master",
	[ACT_DISABLE] = "disable",
	[ACT_MARK] = "mark_maintenance",
	[ACT_EVACUATE] = "evacuate",
	[ACT_STOP_VMS] = "stop_vms",
	[ACT_SHUTDOWN] = "shutdown",
	[ACT_WATCH] = "watch",
	[ACT_EXIT_MAINTENANCE] = "exit_maintenance",
	[ACT_RESTORE_VMS] = "restore_vms",
	[ACT_CONFIRM] = "confirm_on_battery",
};

const char *
action_op_name(enum action_op op)
{
	return (unsigned)op < ACT_OP_COUNT ? op_names[op] : "unknown";
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
	e->t.confirm_retry = 5.0;
	e->ups = calloc(p->nups, sizeof(*e->ups));
	e->hosts = calloc(p->nhosts, sizeof(*e->hosts));
	e->pools = calloc(p->npools, sizeof(*e->pools));
	if (e->ups == NULL || e->hosts == NULL || e->pools == NULL ||
	    build_ups_index(e) == -1)
		goto fail;
	for (i = 0; i < p->nhosts; i++) {
		size_t j;

		e->hosts[i].cfg = &p->hosts[i];
		e->hosts[i].retry_at = -INFINITY;
		e->hosts[i].watch_at = -INFINITY;
		e->hosts[i].fresh_asked = -INFINITY;
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
			free(e->pools[i].designate_target);
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

void
engine_mark_dirty(struct engine *e, size_t pool)
{
	if (!e->pools[pool].dirty) {
		e->pools[pool].dirty = 1;
		e->ndirty++;
	}
}

/* Ids carry their slot (host, or pool | POOL_SLOT) in the low 24 bits. */
unsigned long
engine_new_id(struct engine *e, unsigned long slot)
{
	e->gen++;
	e->seq++;
	e->ninflight++;
	return (e->seq << 24) | (slot & ENGINE_SLOT_MASK);
}

int
engine_queue(struct engine *e, const struct action *a)
{
	struct action	*q;
	size_t		 cap;

	if (e->qhead > 0 && e->qhead == e->qlen)
		e->qhead = e->qlen = 0;
	if (e->qlen == e->qcap) {
		cap = e->qcap ? e->qcap * 2 : 64;
		if ((q = realloc(e->queue, cap * sizeof(*q))) == NULL)
			return -1;
		e->queue = q;
		e->qcap = cap;
	}
	e->queue[e->qlen++] = *a;
	return 0;
}

/*
 * A new outage wants a fresh look at the pool, but no sooner than
 * outage_refresh_gap after the last: a flapping card must not turn into
 * a storm of refreshes.
 */
static void
pool_want_outage_refresh(struct engine *e, struct epool *pl)
{
	double	 at = pl->facts_at + e->t.outage_refresh_gap;

	pl->refresh_wanted = 1;
	if (at > pl->refresh_at)
		pl->refresh_at = at;
}

/* Recompute whether every feed of a host is on battery, and since when. */
void
engine_host_repower(struct engine *e, size_t hi, double now)
{
	struct ehost		*h = &e->hosts[hi];
	const struct eups	*u;
	size_t			 i;
	int			 risk = 1, final = 0;
	double			 since = -INFINITY;
	const char		*why = NULL;

	for (i = 0; i < h->cfg->npowered_by; i++) {
		u = &e->ups[h->cfg->powered_by[i]];
		if (u->power != UPS_ON_BATTERY && u->power != UPS_LOW_BATTERY)
			risk = 0;
		else if (u->since > since)
			since = u->since;
		if (u->power == UPS_LOW_BATTERY) {
			final = 1;
			why = u->imminent ? "shutdown_imminent" : "low_battery";
		}
	}
	if (risk && h->at_risk)
		h->risk_since = since;
	if (risk && !h->at_risk) {
		/* A new outage: what failed last time is tried again. */
		h->at_risk = 1;
		h->risk_since = since;
		h->failed = 0;
		h->confirmed = 0;
		h->fresh_asked = -INFINITY;
		h->attempts = 0;
		h->retry_at = -INFINITY;
		pool_want_outage_refresh(e, &e->pools[h->cfg->pool]);
		e->pools[h->cfg->pool].designate_failed = 0;
		e->pools[h->cfg->pool].designate_attempts = 0;
	} else if (!risk && h->at_risk) {
		h->at_risk = 0;
		h->failed = 0;
		h->attempts = 0;
		h->retry_at = -INFINITY;
		h->watch_at = now;
	}
	if (risk && final && !h->final) {
		h->final = 1;
		h->final_since = now;
		h->final_why = why;
	} else if (!(risk && final))
		h->final = 0;
	engine_mark_dirty(e, h->cfg->pool);
}

static int
ups_apply(struct eups *u, enum ups_event ev, double now)
{
	int	 on_batt = u->power == UPS_ON_BATTERY ||
		    u->power == UPS_LOW_BATTERY;

	switch (ev) {
	case UPS_EV_ON_BATTERY:
		/* Cards resend on_battery: timers never restart. */
		if (on_batt)
			return 0;
		u->power = UPS_ON_BATTERY;
		u->since = now;
		return 1;
	case UPS_EV_POWER_RESTORED:
		if (!on_batt)
			return 0;
		u->power = UPS_ONLINE;
		u->since = now;
		u->imminent = 0;
		return 1;
	case UPS_EV_LOW_BATTERY:
	case UPS_EV_SHUTDOWN_IMMINENT:
		if (ev == UPS_EV_SHUTDOWN_IMMINENT)
			u->imminent = 1;
		if (u->power == UPS_LOW_BATTERY)
			return ev == UPS_EV_SHUTDOWN_IMMINENT;
		/* Low battery means on battery, even if that trap was lost. */
		if (!on_batt)
			u->since = now;
		u->power = UPS_LOW_BATTERY;
		return 1;
	case UPS_EV_BATTERY_OK:
		if (u->power != UPS_LOW_BATTERY)
			return 0;
		u->power = UPS_ON_BATTERY;
		u->imminent = 0;
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

	if (ups >= e->p->nups || (unsigned)ev >= UPS_EV_COUNT)
		return -1;
	e->last_now = now;
	if (e->ups[ups].power == UPS_UNKNOWN && ev == UPS_EV_POWER_RESTORED)
		e->ups[ups].power = UPS_ONLINE;
	if (!ups_apply(&e->ups[ups], ev, now))
		return 0;
	e->gen++;
	e->power_gen++;
	for (i = 0; i < e->ups_nhosts[ups]; i++)
		engine_host_repower(e, e->ups_hosts[ups][i], now);
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

/*
 * A host back from a power-off: xapi enabled it again and may have
 * started VMs on it since; MAINTENANCE_MODE and the record of the VMs
 * that left are still there. If it must leave again it starts over:
 * a VM may be sent to it, and host.shutdown wants it disabled.
 */
static void
host_booted(struct ehost *h)
{
	h->down = 0;
	h->live = 1;
	h->enabled = 1;
	h->disabled = 0;
	h->evacuated = h->vms_clear = 0;
}

/*
 * After a restart, what the pool says settles what we were doing: a
 * disabled host stays ours, an empty one is evacuated, one that is off
 * is down. Nothing done already is asked again.
 */
static void
reconcile(struct engine *e, struct ehost *h, const struct member_facts *m)
{
	h->uncertain = 0;
	e->gen++;
	if (!m->live) {
		h->down = h->touched;
		return;
	}
	h->down = 0;
	h->disabled = !m->enabled && h->touched;
	h->marked = m->marked && h->touched;
	if (h->disabled && m->nvms == 0) {
		h->evacuated = 1;
		h->vms_clear = 1;
		h->blocked = 0;
	} else if (m->nvms > 0 || !h->disabled) {
		/* An enabled host may be given VMs at any time. */
		h->evacuated = 0;
		h->vms_clear = 0;
	}
}

static void
facts_apply_member(struct engine *e, struct epool *pl, size_t pool,
    const struct member_facts *m)
{
	struct ehost	*h;
	long		 hi;

	hi = pool_find_host(e, pool, m->name);
	if (m->master)
		pl->master = hi;
	if (hi == -1) {
		pl->others_evacuating += m->evacuating;
		if (m->live && !m->master) {
			pl->nother_live++;
			if (m->enabled && pl->spare == NULL)
				pl->spare = strdup(m->name);
		}
		return;
	}
	h = &e->hosts[hi];
	if (h->uncertain)
		reconcile(e, h, m);
	else if ((h->down || h->disabled) && m->live && m->enabled) {
		/*
		 * Enabled again behind our back: back from our power-off
		 * before a watch noticed, from one the battery made, or
		 * enabled by an operator.
		 */
		host_booted(h);
		h->marked = m->marked;
		e->gen++;
	}
	h->known = 1;
	h->live = m->live;
	h->enabled = m->enabled;
	h->master = m->master;
	h->nvms = m->nvms;
	h->xapi_evacuating = m->evacuating;
}

static double	 backoff(const struct engine *, int);

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
			pl->designate_at = now + backoff(e,
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
	struct ehost			*old;
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
		e->ninflight--;
	}
	pl->refresh_attempts = 0;
	pl->ha = f->ha_enabled;
	pl->master = -1;
	pl->nother_live = 0;
	pl->others_evacuating = 0;
	free(pl->spare);
	pl->spare = NULL;
	for (i = cfg->first_host; i < cfg->first_host + cfg->nhosts; i++)
		e->hosts[i].known = e->hosts[i].master = 0;
	for (i = 0; i < f->nmembers; i++)
		facts_apply_member(e, pl, pool, &f->members[i]);
	/*
	 * A master with nowhere to send its VMs was to stop them; as a
	 * member (handed over, or HA moved the role) it evacuates them to
	 * the members it left.
	 */
	old = was >= 0 && was != pl->master ? &e->hosts[was] : NULL;
	if (old && old->evacuated && !old->vms_clear && !old->down)
		old->evacuated = 0;
	pl->facts_known = 1;
	pl->facts_at = now;
	/* Whoever fetched these did so after the stale answer came. */
	pl->stale = 0;
	handover_check(e, pl, now);
	engine_mark_dirty(e, pool);
}

static double
backoff(const struct engine *e, int attempts)
{
	double	 d = e->t.retry_base;

	while (--attempts > 0 && d < e->t.retry_max)
		d *= 2;
	return d < e->t.retry_max ? d : e->t.retry_max;
}

static void
host_result_ok(struct engine *e, struct ehost *h, enum action_op op,
    const struct action_result *r)
{
	struct epool	*pl = &e->pools[h->cfg->pool];
	long		 hi = h - e->hosts;

	h->attempts = 0;
	switch (op) {
	case ACT_DISABLE:
		h->disabled = 1;
		break;
	case ACT_MARK:
		h->marked = 1;
		break;
	case ACT_EVACUATE:
		if (r->outcome == OUTCOME_BLOCKED) {
			/* Keep the slot: stopping blockers is part of it. */
			h->blocked = r->count > 0 ? r->count : 1;
			break;
		}
		/* Enabled again meanwhile: VMs may have come back. */
		h->evacuated = h->vms_clear = h->disabled;
		h->moved = 1;
		h->blocked = 0;
		if (pl->evac_holder == hi)
			pl->evac_holder = -1;
		break;
	case ACT_STOP_VMS:
		if (h->blocked)
			h->blocked = 0;	/* evacuate again, then done */
		else
			h->vms_clear = 1;
		break;
	case ACT_SHUTDOWN:
		if (r->outcome == OUTCOME_BLOCKED) {
			h->vms_clear = 0;
			break;
		}
		h->down = 1;
		h->live = 0;
		h->enabled = 0;
		break;
	case ACT_WATCH:
		if (r->outcome == OUTCOME_BLOCKED) {
			h->watch_at = e->last_now + e->t.watch_interval;
			break;
		}
		host_booted(h);
		/* A mark asked before a crash may have landed unseen:
		 * leaving maintenance clears it either way. */
		if (h->touched)
			h->marked = 1;
		break;
	case ACT_EXIT_MAINTENANCE:
		h->restore_pending = h->touched && h->moved &&
		    pl->cfg->on_restore == POLICY_RESTORE_VMS;
		h->disabled = h->marked = h->evacuated = h->vms_clear = 0;
		h->moved = 0;
		h->blocked = 0;
		h->touched = 0;
		break;
	case ACT_RESTORE_VMS:
		h->restore_pending = 0;
		break;
	case ACT_CONFIRM:
		/* "Online": no shutdown on this word; ask again later. */
		if (r->outcome == OUTCOME_BLOCKED)
			h->retry_at = e->last_now + e->t.confirm_retry;
		else
			h->confirmed = 1;
		break;
	default:
		break;
	}
}

static void
host_result_failed(struct engine *e, struct ehost *h, enum action_op op,
    const struct action_result *r, double now)
{
	struct epool	*pl = &e->pools[h->cfg->pool];
	long		 hi = h - e->hosts;

	snprintf(h->error, sizeof(h->error), "%s",
	    r->error ? r->error : action_outcome_name(r->outcome));
	/* Time passes before a retry: a master looks at its pool again. */
	h->fresh_asked = -INFINITY;
	if (r->outcome == OUTCOME_TRANSIENT &&
	    ++h->attempts < e->t.max_attempts) {
		h->retry_at = now + backoff(e, h->attempts);
		return;
	}
	if (op == ACT_RESTORE_VMS) {
		/* The VMs run elsewhere: nothing is at risk, give up. */
		h->restore_pending = 0;
		return;
	}
	if (op == ACT_WATCH) {
		h->attempts = 0;
		h->watch_at = now + e->t.watch_interval;
		return;
	}
	h->failed = 1;
	if (pl->evac_holder == hi)
		pl->evac_holder = -1;
}

/*
 * Not a failure and not an attempt: the pool moved on since the last
 * look (HA or an operator changed its master, a member came back), so
 * nothing more happens to the host before facts newer than this answer.
 */
static void
host_result_stale(struct engine *e, struct ehost *h)
{
	struct epool	*pl = &e->pools[h->cfg->pool];

	snprintf(h->error, sizeof(h->error), "%s", "the pool changed since "
	    "the last look");
	h->fresh_asked = -INFINITY;
	pl->stale = 1;
	pl->refresh_wanted = 1;
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
		pl->refresh_at = now + backoff(e, ++pl->refresh_attempts);
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
		pl->designate_at = now + backoff(e, pl->designate_attempts);
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
	struct ehost	*h;
	enum action_op	 op;
	size_t		 pool;

	e->last_now = now;
	if (e->nremap)
		id = remap_id(e, id);
	slot = id & ENGINE_SLOT_MASK;
	if (slot & ENGINE_POOL_SLOT) {
		pool = slot & ~ENGINE_POOL_SLOT;
		if (pool >= e->p->npools || pool_result(e, pool, id, r, now))
			return -1;
		e->ninflight--;
		engine_mark_dirty(e, pool);
		return 0;
	}
	if (slot >= e->p->nhosts || e->hosts[slot].inflight != id)
		return -1;
	h = &e->hosts[slot];
	op = h->inflight_op;
	h->inflight = 0;
	/* Facts from before this answer no longer tell. */
	if (op == ACT_EVACUATE)
		h->xapi_evacuating = 0;
	e->pools[h->cfg->pool].changed_at = now;
	e->ninflight--;
	e->gen++;
	h->has_last = 1;
	h->last_op = op;
	h->last_outcome = r->outcome;
	if (r->outcome == OUTCOME_OK || r->outcome == OUTCOME_BLOCKED)
		host_result_ok(e, h, op, r);
	else if (r->outcome == OUTCOME_STALE)
		host_result_stale(e, h);
	else
		host_result_failed(e, h, op, r, now);
	engine_mark_dirty(e, h->cfg->pool);
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
		engine_pool_step(e, i, now);
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

static int
remap_add(struct engine *e, unsigned long from, unsigned long to)
{
	unsigned long	*r;

	if ((r = realloc(e->remap, (e->nremap + 1) * 2 * sizeof(*r))) == NULL)
		return -1;
	e->remap = r;
	r[2 * e->nremap] = from;
	r[2 * e->nremap + 1] = to;
	e->nremap++;
	return 0;
}

/* An id of the old engine, moved to a new slot with its sequence kept. */
static unsigned long
adopt_id(struct engine *e, unsigned long id, unsigned long slot)
{
	unsigned long	 nid;

	if (id == 0)
		return 0;
	nid = (id & ~ENGINE_SLOT_MASK) | slot;
	if (remap_add(e, id, nid) == -1)
		return 0;
	e->ninflight++;
	return nid;
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
	pl->master = new_index_of(e, old, op->master);
	pl->spare = op->spare ? strdup(op->spare) : NULL;
	pl->nother_live = op->nother_live;
	pl->refresh_inflight = adopt_id(e, op->refresh_inflight,
	    ENGINE_POOL_SLOT | pi);
	pl->refresh_wanted = op->refresh_wanted || !op->facts_known;
	pl->refresh_attempts = op->refresh_attempts;
	pl->refresh_at = op->refresh_at;
	pl->designate_target = op->designate_target ?
	    strdup(op->designate_target) : NULL;
	pl->designate_inflight = pl->designate_target ? adopt_id(e,
	    op->designate_inflight, ENGINE_POOL_SLOT | pi) : 0;
	pl->designate_failed = op->designate_failed;
	pl->designate_attempts = op->designate_attempts;
	pl->designate_at = op->designate_at;
	pl->evac_holder = new_index_of(e, old, op->evac_holder);
}

static void
adopt_host(struct engine *e, size_t hi, const struct ehost *oh)
{
	struct ehost			*h = &e->hosts[hi];
	const struct policy_host	*cfg = h->cfg;

	*h = *oh;
	h->cfg = cfg;
	h->inflight = adopt_id(e, oh->inflight, hi);
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
		e->pools[i].spare = NULL;
		if ((o = policy_pool_index(old->p, e->p->pools[i].name)) >= 0)
			adopt_pool(e, i, old, o);
		engine_mark_dirty(e, i);
	}
	for (i = 0; i < e->p->nhosts; i++) {
		o = old_host(old, e->p->pools[e->p->hosts[i].pool].name,
		    e->p->hosts[i].name);
		if (o >= 0)
			adopt_host(e, i, &old->hosts[o]);
		/* Feeds may have changed: whether it is at risk, and since
		 * when, follows from the UPS states. */
		engine_host_repower(e, i, now);
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
	st->comms_lost = e->ups[ups].comms_lost;
}

static enum host_stage
inflight_stage(enum action_op op)
{
	switch (op) {
	case ACT_DISABLE:
	case ACT_MARK:
		return STAGE_DISABLING;
	case ACT_EVACUATE:
		return STAGE_EVACUATING;
	case ACT_STOP_VMS:
		return STAGE_STOPPING_VMS;
	case ACT_SHUTDOWN:
		return STAGE_SHUTTING_DOWN;
	case ACT_WATCH:
		return STAGE_DOWN;
	default:
		return STAGE_RETURNING;
	}
}

static enum host_stage
host_stage(const struct ehost *h)
{
	if (h->failed)
		return STAGE_FAILED;
	if (h->inflight)
		return inflight_stage(h->inflight_op);
	if (h->down)
		return STAGE_DOWN;
	if (h->goal == GOAL_NONE) {
		if (h->disabled || h->marked || h->restore_pending)
			return STAGE_RETURNING;
		return h->at_risk ? STAGE_PENDING : STAGE_NORMAL;
	}
	if (h->goal == GOAL_DOWN)
		return STAGE_SHUTTING_DOWN;
	if (!h->disabled || !h->marked)
		return STAGE_DISABLING;
	return h->evacuated ? STAGE_MAINTENANCE : STAGE_EVACUATING;
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
	st->reason = h->failed ? h->error : h->wait_why ? h->wait_why :
	    h->why ? h->why : h->at_risk ? "all feeds on battery" : "";
	if (h->at_risk && !h->final) {
		if (h->cfg->has_maintenance &&
		    h->risk_since + h->cfg->maintenance_after > e->last_now)
			next = h->risk_since + h->cfg->maintenance_after;
		else if (h->cfg->has_shutdown &&
		    h->risk_since + h->cfg->shutdown_after > e->last_now)
			next = h->risk_since + h->cfg->shutdown_after;
	}
	st->next_deadline = next;
	st->has_last = h->has_last;
	st->last_op = h->last_op;
	st->last_outcome = h->last_outcome;
	st->error = h->error[0] ? h->error : NULL;
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

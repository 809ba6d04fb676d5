/*
 * The simulated pool. Time only moves when nothing is left to do at the
 * present instant: UPS events, battery deaths, boots and action
 * completions are processed in time order, and the engine is asked for
 * actions after each of them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sim.h"

struct shost {
	int	 live;
	int	 enabled;
	int	 master;
	int	 marked;
	int	 vms;
	int	 pinned;
	int	 blockers;	/* found by the last evacuation attempt */
	int	 recorded;	/* VMs recorded when marked */
	int	 crashed;
	int	 stopped;
	int	 shutdowns;
	int	 evacuations;
	int	 stuck;
	double	 evacuate_takes;
	double	 boot_at;
	double	 lost_at;	/* power lost (not shut down) at */
	double	 started_at;	/* its xapi takes host.enable from then */
	double	 enable_at;	/* xapi enables it by itself then */
};

struct sups {
	int	 on_battery;
	int	 dead;
	double	 dies_at;
};

struct sevent {
	double		 t;
	size_t		 ups;		/* or one of the markers below */
	enum ups_event	 ev;
	size_t		 host;		/* MASTER_UPS, CRASH_UPS */
};

struct pending {
	struct action		 a;
	struct action_result	 r;
	double			 done_at;
	int			 orphan;	/* asked before a restart */
	int			 follows;	/* answered by an orphan */
	/* The action's strings outlive the engine that made them. */
	char			 target[128];
	char			*targets;
	char			*not_live;
};

#define RESTART_UPS	((size_t)-1)	/* an event that is a restart */
#define MASTER_UPS	((size_t)-2)	/* ... a master change */
#define CRASH_UPS	((size_t)-3)	/* ... a host crash */

struct inject {
	size_t			 host;
	enum action_op		 op;
	enum action_outcome	 outcome;
	const char		*error;
	int			 times;
};

struct sim {
	const struct policy	*p;
	struct sim_opts		 o;
	struct engine		*e;
	struct shost		*hosts;
	struct sups		*ups;
	int			*ha;
	int			*ha_off;	/* HA turned off by upsxen */
	double			*restart_at;	/* per pool: xapi restarts */
	double			*restart_end;	/* ... and answers again */
	struct sevent		*events;
	size_t			 nevents;
	size_t			 next_event;
	struct pending		*pend;
	size_t			 npend;
	size_t			 cappend;
	struct inject		*inj;
	size_t			 ninj;
	struct member_facts	*members;
	double			 now;
	double			 internal_at;	/* next death or boot */
	int			 internal_dirty;
	sim_cb			*cb;
	void			*arg;
};

struct sim *
sim_new(const struct policy *p, const struct sim_opts *o)
{
	struct sim	*s;
	size_t		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->p = p;
	s->o = *o;
	s->e = engine_new(p);
	s->hosts = calloc(p->nhosts, sizeof(*s->hosts));
	s->ups = calloc(p->nups, sizeof(*s->ups));
	s->ha = calloc(p->npools, sizeof(*s->ha));
	s->ha_off = calloc(p->npools, sizeof(*s->ha_off));
	s->restart_at = calloc(p->npools, sizeof(*s->restart_at));
	s->restart_end = calloc(p->npools, sizeof(*s->restart_end));
	s->members = calloc(p->nhosts, sizeof(*s->members));
	if (s->e == NULL || s->hosts == NULL || s->ups == NULL ||
	    s->ha == NULL || s->ha_off == NULL || s->restart_at == NULL ||
	    s->restart_end == NULL ||
	    s->members == NULL) {
		sim_free(s);
		return NULL;
	}
	for (i = 0; i < p->nhosts; i++) {
		s->hosts[i].live = s->hosts[i].enabled = 1;
		s->hosts[i].vms = o->vms_per_host;
		s->hosts[i].boot_at = INFINITY;
		s->hosts[i].lost_at = INFINITY;
		s->hosts[i].started_at = -INFINITY;
		s->hosts[i].enable_at = INFINITY;
		s->hosts[i].evacuate_takes = o->evacuate_takes;
	}
	for (i = 0; i < p->npools; i++) {
		s->restart_at[i] = INFINITY;
		s->restart_end[i] = -INFINITY;
	}
	for (i = 0; i < p->nups; i++)
		s->ups[i].dies_at = INFINITY;
	s->internal_dirty = 1;
	for (i = 0; i < p->npools; i++)
		s->hosts[p->pools[i].first_host].master = 1;
	return s;
}

void
sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	engine_free(s->e);
	while (s->npend > 0) {
		s->npend--;
		free(s->pend[s->npend].targets);
		free(s->pend[s->npend].not_live);
	}
	free(s->hosts);
	free(s->ups);
	free(s->ha);
	free(s->ha_off);
	free(s->restart_at);
	free(s->restart_end);
	free(s->events);
	free(s->pend);
	free(s->inj);
	free(s->members);
	free(s);
}

struct engine *
sim_engine(struct sim *s)
{
	return s->e;
}

static int
insert_event(struct sim *s, double t, size_t ups, enum ups_event ev,
    size_t host)
{
	struct sevent	*ne;
	size_t		 i;

	ne = realloc(s->events, (s->nevents + 1) * sizeof(*ne));
	if (ne == NULL)
		return -1;
	s->events = ne;
	/* Keep them sorted by time, stable for equal times. */
	for (i = s->nevents; i > s->next_event && ne[i - 1].t > t; i--)
		ne[i] = ne[i - 1];
	ne[i].t = t;
	ne[i].ups = ups;
	ne[i].ev = ev;
	ne[i].host = host;
	s->nevents++;
	return 0;
}

int
sim_add_event(struct sim *s, double t, size_t ups, enum ups_event ev)
{
	return insert_event(s, t, ups, ev, 0);
}

int
sim_add_restart(struct sim *s, double t)
{
	return insert_event(s, t, RESTART_UPS, UPS_EV_COUNT, 0);
}

int
sim_add_master_change(struct sim *s, double t, size_t host)
{
	if (host >= s->p->nhosts)
		return -1;
	return insert_event(s, t, MASTER_UPS, UPS_EV_COUNT, host);
}

int
sim_add_host_crash(struct sim *s, double t, size_t host)
{
	if (host >= s->p->nhosts)
		return -1;
	return insert_event(s, t, CRASH_UPS, UPS_EV_COUNT, host);
}

int
sim_set_master(struct sim *s, size_t host)
{
	const struct policy_pool	*pl;
	size_t				 i;

	if (host >= s->p->nhosts)
		return -1;
	pl = &s->p->pools[s->p->hosts[host].pool];
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		s->hosts[i].master = i == host;
	return 0;
}

void
sim_set_ha(struct sim *s, size_t pool, int on)
{
	if (pool < s->p->npools)
		s->ha[pool] = on;
}

void
sim_set_pinned(struct sim *s, size_t host, int n)
{
	if (host < s->p->nhosts)
		s->hosts[host].pinned = n;
}

void
sim_set_evacuate_takes(struct sim *s, size_t host, double t)
{
	if (host < s->p->nhosts)
		s->hosts[host].evacuate_takes = t;
}

void
sim_set_stuck_vms(struct sim *s, size_t host, int on)
{
	if (host < s->p->nhosts)
		s->hosts[host].stuck = on;
}

void
sim_inject(struct sim *s, size_t host, enum action_op op,
    enum action_outcome outcome, const char *error, int times)
{
	struct inject	*ni;

	ni = realloc(s->inj, (s->ninj + 1) * sizeof(*ni));
	if (ni == NULL)
		return;
	s->inj = ni;
	ni[s->ninj].host = host;
	ni[s->ninj].op = op;
	ni[s->ninj].outcome = outcome;
	ni[s->ninj].error = error;
	ni[s->ninj].times = times;
	s->ninj++;
}

static const struct inject *
take_injection(struct sim *s, const struct action *a)
{
	size_t	 i;

	for (i = 0; i < s->ninj; i++)
		if (s->inj[i].times > 0 && s->inj[i].op == a->op &&
		    (long)s->inj[i].host == a->host) {
			s->inj[i].times--;
			return &s->inj[i];
		}
	return NULL;
}

static void
emit_line(struct sim *s, enum sim_line_kind kind, const struct pending *pd)
{
	struct sim_line	 l = { 0 };

	if (s->cb == NULL)
		return;
	l.kind = kind;
	l.t = s->now;
	l.action = pd ? &pd->a : NULL;
	l.result = kind == SIM_RESULT ? &pd->r : NULL;
	l.orphan = pd ? pd->orphan : 0;
	l.follows = pd ? pd->follows : 0;
	l.refused = pd ? pd->r.outcome == OUTCOME_STALE : 0;
	s->cb(&l, s->arg);
}

/* Whether `name` is in a comma-separated list. */
static int
listed(const char *list, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p;

	for (p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ==
	    ','))
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Live as xapi believes: a member that lost power, for dead_after. */
static int
db_live(const struct sim *s, size_t h)
{
	return s->hosts[h].live || (s->hosts[h].lost_at != INFINITY &&
	    s->now < s->hosts[h].lost_at + s->o.dead_after);
}

/* xapi restarts after a handover: for restart_takes, nothing answers. */
static int
restarting(const struct sim *s, size_t pool)
{
	return s->now < s->restart_end[pool];
}

/* A running XenCenter disables a live, enabled, marked host again. */
static void
xencenter(struct sim *s)
{
	size_t	 i;

	if (!s->o.xencenter)
		return;
	for (i = 0; i < s->p->nhosts; i++)
		if (s->hosts[i].live && s->hosts[i].enabled &&
		    s->hosts[i].marked && s->now >= s->hosts[i].started_at)
			s->hosts[i].enabled = 0;
}

/* An enabled member of h's pool that xapi no longer believes live. */
static int
enabled_not_live(const struct sim *s, size_t h)
{
	const struct policy_pool	*pl = &s->p->pools[s->p->hosts[h].pool];
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (i != h && s->hosts[i].enabled && !db_live(s, i))
			return 1;
	return 0;
}

/*
 * Hosts VMs can be evacuated to: enabled, same pool, not h; the
 * engine's targets only, when it names them. *dead counts those xapi
 * would try that are in fact off (their migrations fail).
 */
static int
count_targets(const struct sim *s, size_t h, const char *targets, int *dead)
{
	const struct policy_pool	*pl = &s->p->pools[s->p->hosts[h].pool];
	size_t				 i;
	int				 n = 0;

	*dead = 0;
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		if (i == h || !s->hosts[i].enabled || (targets &&
		    !listed(targets, s->p->hosts[i].name)))
			continue;
		if (s->hosts[i].live)
			n++;
		else if (db_live(s, i))
			(*dead)++;
	}
	return n;
}

static void
spread_vms(struct sim *s, size_t h, int n, const char *targets)
{
	const struct policy_pool	*pl = &s->p->pools[s->p->hosts[h].pool];
	size_t				 i;

	while (n > 0)
		for (i = pl->first_host; n > 0 &&
		    i < pl->first_host + pl->nhosts; i++)
			if (i != h && s->hosts[i].live &&
			    s->hosts[i].enabled && (targets == NULL ||
			    listed(targets, s->p->hosts[i].name))) {
				s->hosts[i].vms++;
				n--;
			}
}

static void
set_result(struct action_result *r, enum action_outcome o, const char *err,
    int count)
{
	r->outcome = o;
	r->error = err;
	r->count = count;
}

/* Whether a member of h's pool other than h is live. */
static int
other_member_live(const struct sim *s, size_t h)
{
	const struct policy_pool	*pl = &s->p->pools[s->p->hosts[h].pool];
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (i != h && s->hosts[i].live)
			return 1;
	return 0;
}

/* Whether the pool runs op on host h now (to succeed), whoever asked. */
static int
pool_running(const struct sim *s, size_t h, enum action_op op)
{
	size_t	 i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].a.op == op && !s->pend[i].follows &&
		    s->pend[i].a.host == (long)h &&
		    s->pend[i].r.outcome == OUTCOME_OK)
			return 1;
	return 0;
}

static int
host_all_on_battery(const struct sim *s, size_t h)
{
	const struct policy_host	*c = &s->p->hosts[h];
	size_t				 i;

	for (i = 0; i < c->npowered_by; i++)
		if (!s->ups[c->powered_by[i]].on_battery)
			return 0;
	return 1;
}

/* Decide an action's outcome and duration when it starts. */
static double
start_action(struct sim *s, struct pending *pd)
{
	const struct action	*a = &pd->a;
	struct action_result	*r = &pd->r;
	struct shost		*h = a->host >= 0 ? &s->hosts[a->host] : NULL;
	const struct inject	*in;
	const char		*why;
	int			 dead;

	set_result(r, OUTCOME_OK, NULL, 0);
	/* The plugin's worker looks at the pool just before a power-off. */
	if (a->op == ACT_SHUTDOWN && h->live && (why =
	    engine_poweroff_refusal(a, h->master, other_member_live(s,
	    (size_t)a->host))) != NULL) {
		set_result(r, OUTCOME_STALE, why, 0);
		return s->o.action_takes;
	}
	if ((in = take_injection(s, a)) != NULL) {
		set_result(r, in->outcome, in->error, 0);
		return s->o.action_takes;
	}
	/* A member that lost power: CANNOT_CONTACT_HOST while xapi still
	 * thinks it live (message_forwarding.ml), HOST_OFFLINE after. */
	if (h && !h->live && a->op != ACT_WATCH && a->op != ACT_CONFIRM) {
		set_result(r, a->op == ACT_EXIT_MAINTENANCE ? OUTCOME_BLOCKED :
		    OUTCOME_TRANSIENT, db_live(s, (size_t)a->host) ?
		    "CANNOT_CONTACT_HOST" : "HOST_OFFLINE", 0);
		return s->o.action_takes;
	}
	/* While xapi restarts, nothing answers. */
	if (restarting(s, a->pool)) {
		set_result(r, OUTCOME_TRANSIENT, "connection refused", 0);
		return s->o.action_takes;
	}
	switch (a->op) {
	case ACT_EVACUATE:
		h->blockers = h->pinned;
		/* An enabled member xapi knows is dead fails xapi's whole plan
		 * (HOST_NOT_LIVE for every VM, xapi_host.ml). */
		if (count_targets(s, (size_t)a->host, a->targets, &dead) == 0 ||
		    (a->targets == NULL && enabled_not_live(s, (size_t)a->host)))
			h->blockers = h->vms;
		if (h->blockers > 0) {
			set_result(r, OUTCOME_BLOCKED, "VM_CANNOT_MOVE",
			    h->blockers);
			return s->o.action_takes;
		}
		return h->vms > 0 ? h->evacuate_takes : s->o.action_takes;
	case ACT_STOP_VMS:
		if (!a->hard && h->stuck)
			return INFINITY;
		return a->hard ? s->o.action_takes : s->o.vm_stop_takes;
	case ACT_SHUTDOWN:
		if (h->enabled)
			set_result(r, OUTCOME_PERMANENT, "HOST_NOT_DISABLED", 0);
		else if (h->vms > 0)
			set_result(r, OUTCOME_BLOCKED, "VMS_RESIDENT", h->vms);
		return s->o.action_takes;
	case ACT_WATCH:
		/* As the master says (recipe.c): live in its database. */
		if (!db_live(s, (size_t)a->host))
			set_result(r, OUTCOME_BLOCKED, "HOST_OFFLINE", 0);
		return s->o.action_takes;
	case ACT_EXIT_MAINTENANCE:
		if (s->now < h->started_at)
			set_result(r, OUTCOME_BLOCKED, "HOST_STILL_BOOTING", 0);
		return s->o.action_takes;
	case ACT_CONFIRM:
		if (!host_all_on_battery(s, (size_t)a->host))
			set_result(r, OUTCOME_BLOCKED, "card says online", 0);
		return s->o.action_takes;
	default:
		return s->o.action_takes;
	}
}

/* The master moves, and every xapi of the pool restarts a while later. */
static void
designate(struct sim *s, const struct pending *pd)
{
	const struct policy_pool	*pl = &s->p->pools[pd->a.pool];
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		s->hosts[i].master = strcmp(s->p->hosts[i].name,
		    pd->target) == 0;
	if (s->o.restart_takes > 0) {
		s->restart_at[pd->a.pool] = s->now + s->o.restart_after;
		s->internal_dirty = 1;
	}
}

/*
 * A restart forgets tasks and sessions: what was under way is found and
 * done again after it (the recipes look again), so it takes longer; a
 * plain host.disable is not kept (xapi_host_helpers.ml re-enables).
 */
static void
restart_pool(struct sim *s, size_t pool)
{
	const struct policy_pool	*pl = &s->p->pools[pool];
	size_t				 i;

	/*
	 * What was under way is forgotten: the worker finds its tasks gone
	 * once xapi answers again, and answers STALE (recipe_vms.c); a look
	 * fails meanwhile. A power-off already asked goes on: the host is
	 * on its way down, disabled until it reboots (xapi_host.ml).
	 */
	for (i = 0; i < s->npend; i++) {
		if (s->pend[i].a.pool != pool || s->pend[i].done_at <= s->now ||
		    s->pend[i].a.op == ACT_SHUTDOWN)
			continue;
		s->pend[i].done_at = s->now + s->o.restart_takes;
		if (s->pend[i].a.op == ACT_REFRESH)
			set_result(&s->pend[i].r, OUTCOME_TRANSIENT,
			    "connection refused", 0);
		else if (s->pend[i].a.op == ACT_EVACUATE ||
		    s->pend[i].a.op == ACT_STOP_VMS)
			set_result(&s->pend[i].r, OUTCOME_STALE,
			    "xapi restarted and forgot the task", 0);
	}
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (s->hosts[i].live && !pool_running(s, i, ACT_SHUTDOWN))
			s->hosts[i].enabled = 1;
	xencenter(s);
}

static void
host_loses_power(struct shost *h, double now)
{
	h->crashed += h->vms;
	h->vms = 0;
	h->live = 0;
	h->lost_at = now;
	h->boot_at = INFINITY;
}

/* Apply an action's effect on the pool when it finishes. */
static void
finish_action(struct sim *s, struct pending *pd)
{
	const struct action	*a = &pd->a;
	struct shost		*h = a->host >= 0 ? &s->hosts[a->host] : NULL;
	int			 n, dead;

	if (pd->r.outcome != OUTCOME_OK || pd->follows)
		return;
	switch (a->op) {
	case ACT_DESIGNATE_MASTER:
		designate(s, pd);
		break;
	case ACT_DISABLE:
		h->enabled = 0;
		break;
	case ACT_MARK:
		h->marked = 1;
		h->recorded = h->vms;
		break;
	case ACT_EVACUATE:
		/* The targets may have left while it ran: xapi fails it. */
		if (h->vms > 0 && count_targets(s, (size_t)a->host,
		    pd->targets, &dead) == 0) {
			set_result(&pd->r, OUTCOME_TRANSIENT,
			    "NO_HOSTS_AVAILABLE", 0);
			break;
		}
		/* A target that is off but still live for xapi: the VMs
		 * sent there fail to migrate, and the task with them. */
		if (h->vms > 0 && dead > 0) {
			set_result(&pd->r, OUTCOME_TRANSIENT,
			    "CANNOT_CONTACT_HOST", 0);
			break;
		}
		spread_vms(s, (size_t)a->host, h->vms, pd->targets);
		h->vms = 0;
		h->evacuations++;
		break;
	case ACT_STOP_VMS:
		n = a->scope == STOP_BLOCKERS ? h->blockers : h->vms;
		if (n > h->vms)
			n = h->vms;
		h->vms -= n;
		h->stopped += n;
		if (a->scope == STOP_BLOCKERS)
			h->pinned = h->blockers = 0;
		break;
	case ACT_SHUTDOWN:
		h->shutdowns++;
		host_loses_power(h, s->now);
		/* A clean shutdown tells the master at once (xapi). */
		h->lost_at = INFINITY;
		s->internal_dirty = 1;
		break;
	case ACT_EXIT_MAINTENANCE:
		h->marked = 0;
		h->enabled = 1;
		break;
	case ACT_RESTORE_VMS:
		h->vms += h->recorded;
		h->recorded = 0;
		break;
	case ACT_HA_OFF:
		s->ha[a->pool] = 0;
		s->ha_off[a->pool] = 1;
		break;
	case ACT_HA_ON:
		s->ha[a->pool] = 1;
		s->ha_off[a->pool] = 0;
		break;
	default:
		break;
	}
}

static void
deliver_facts(struct sim *s, size_t pool)
{
	const struct policy_pool	*pl = &s->p->pools[pool];
	struct pool_facts		 f;
	size_t				 i, n = 0;

	xencenter(s);
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		s->members[n].name = s->p->hosts[i].name;
		s->members[n].live = db_live(s, i);
		s->members[n].enabled = s->hosts[i].enabled;
		s->members[n].master = s->hosts[i].master;
		s->members[n].marked = s->hosts[i].marked;
		s->members[n].nvms = s->hosts[i].vms;
		s->members[n].evacuating = pool_running(s, i, ACT_EVACUATE);
		n++;
	}
	f.ha_enabled = s->ha[pool];
	f.ha_off = s->ha_off[pool];
	f.nmembers = n;
	f.members = s->members;
	engine_on_pool_facts(s->e, pool, &f, s->now);
}

/*
 * The same operation on the same host, still running from before. A hard
 * VM stop follows nothing: it supersedes a clean one.
 */
static const struct pending *
running_orphan(const struct sim *s, const struct action *a)
{
	const struct action	*o;
	size_t			 i;

	if (a->host < 0 || (a->op == ACT_STOP_VMS && a->hard))
		return NULL;
	for (i = 0; i < s->npend; i++) {
		o = &s->pend[i].a;
		if (s->pend[i].orphan && o->host == a->host && o->op == a->op &&
		    o->hard == a->hard && o->scope == a->scope)
			return &s->pend[i];
	}
	return NULL;
}

static int
add_pending(struct sim *s, const struct action *a)
{
	const struct pending	*run;
	struct pending		*np;
	size_t		 cap;

	if (s->npend == s->cappend) {
		cap = s->cappend ? s->cappend * 2 : 64;
		if ((np = realloc(s->pend, cap * sizeof(*np))) == NULL)
			return -1;
		s->pend = np;
		s->cappend = cap;
	}
	np = &s->pend[s->npend];
	memset(np, 0, sizeof(*np));
	np->a = *a;
	if (a->target)
		snprintf(np->target, sizeof(np->target), "%s", a->target);
	if ((a->targets && (np->targets = strdup(a->targets)) == NULL) ||
	    (a->not_live && (np->not_live = strdup(a->not_live)) == NULL)) {
		free(np->targets);
		return -1;
	}
	/* The engine's strings die with it (a restart): ours stay. */
	np->a.targets = np->targets;
	np->a.not_live = np->not_live;
	if ((run = running_orphan(s, a)) != NULL) {
		np->follows = 1;
		np->r = run->r;
		np->done_at = run->done_at;
	} else
		np->done_at = s->now + start_action(s, np);
	s->npend++;
	return 0;
}

static int
take_all(struct sim *s)
{
	struct action	 acts[64];
	size_t		 n, i;

	do {
		n = engine_take_actions(s->e, s->now, acts, 64);
		for (i = 0; i < n; i++) {
			if (add_pending(s, &acts[i]) == -1)
				return -1;
			emit_line(s, SIM_ACTION, &s->pend[s->npend - 1]);
		}
	} while (n == 64);
	return 0;
}

static void
complete(struct sim *s, size_t i)
{
	struct pending	 pd = s->pend[i];

	memmove(&s->pend[i], &s->pend[i + 1],
	    (s->npend - i - 1) * sizeof(*s->pend));
	s->npend--;
	finish_action(s, &pd);
	emit_line(s, SIM_RESULT, &pd);
	if (!pd.orphan) {	/* else the process that asked is gone */
		if (pd.a.op == ACT_REFRESH && pd.r.outcome == OUTCOME_OK)
			deliver_facts(s, pd.a.pool);
		else
			engine_on_result(s->e, pd.a.id, &pd.r, s->now);
	}
	free(pd.targets);
	free(pd.not_live);
}

/* A crash and restart: a new engine from the old one's durable state. */
static void
restart(struct sim *s)
{
	struct engine	*ne;
	json_t		*j;
	size_t		 i;

	if ((j = engine_export(s->e, 0)) == NULL)
		return;
	if ((ne = engine_new(s->p)) == NULL ||
	    engine_import(ne, j, 0, s->now) < 0) {
		engine_free(ne);
		json_decref(j);
		return;
	}
	json_decref(j);
	*engine_tuning(ne) = *engine_tuning(s->e);
	engine_free(s->e);
	s->e = ne;
	for (i = 0; i < s->npend; i++) {
		s->pend[i].orphan = 1;
		s->pend[i].a.target = NULL;	/* the old engine's string */
	}
	emit_line(s, SIM_RESTART, NULL);
}

static double
next_completion(const struct sim *s, size_t *which)
{
	double	 t = INFINITY;
	size_t	 i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].done_at < t) {
			t = s->pend[i].done_at;
			*which = i;
		}
	return t;
}

static int
host_powered(const struct sim *s, size_t h)
{
	const struct policy_host	*c = &s->p->hosts[h];
	size_t				 i;

	for (i = 0; i < c->npowered_by; i++)
		if (!s->ups[c->powered_by[i]].dead)
			return 1;
	return 0;
}

/* A host whose every feed is dead loses power, VMs and all. */
static void
update_host_power(struct sim *s)
{
	size_t	 i;

	for (i = 0; i < s->p->nhosts; i++)
		if (s->hosts[i].live && !host_powered(s, i))
			host_loses_power(&s->hosts[i], s->now);
}

/*
 * Mains is back on a UPS: the hosts it feeds that are off boot (servers
 * are set to power on when AC returns; a host shut down while its UPS
 * still ran stays off until then).
 */
static void
boot_hosts_of(struct sim *s, size_t ups)
{
	const struct policy_host	*c;
	size_t				 i, j;

	for (i = 0; i < s->p->nhosts; i++) {
		c = &s->p->hosts[i];
		for (j = 0; j < c->npowered_by; j++)
			if (c->powered_by[j] == ups && !s->hosts[i].live &&
			    s->hosts[i].boot_at == INFINITY)
				s->hosts[i].boot_at = s->now + s->o.boot_takes;
	}
}

static int	 host_powered(const struct sim *, size_t);

/* The pool changing by itself: a new master, or a host crashing. */
static void
fault(struct sim *s, const struct sevent *ev)
{
	const struct policy_pool	*pl;
	struct shost			*h = &s->hosts[ev->host];
	struct sim_line			 l = { 0 };
	size_t				 i;

	if (ev->ups == MASTER_UPS) {
		/* xapi makes no dead host master, nor one powering off. */
		if (!h->live || pool_running(s, ev->host, ACT_SHUTDOWN))
			return;
		pl = &s->p->pools[s->p->hosts[ev->host].pool];
		for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
			s->hosts[i].master = i == ev->host;
	} else {
		if (!h->live)
			return;
		host_loses_power(h, s->now);
		if (host_powered(s, ev->host))
			h->boot_at = s->now + s->o.boot_takes;
		s->internal_dirty = 1;
	}
	if (s->cb) {
		l.kind = SIM_FAULT;
		l.t = s->now;
		l.host = (long)ev->host;
		s->cb(&l, s->arg);
	}
}

static void
apply_event(struct sim *s, const struct sevent *ev)
{
	struct sups			*u;
	const struct policy_ups		*c;
	struct sim_line			 l = { 0 };

	if (ev->ups == RESTART_UPS) {
		restart(s);
		return;
	}
	if (ev->ups == MASTER_UPS || ev->ups == CRASH_UPS) {
		fault(s, ev);
		return;
	}
	/* An event for a UPS the policy does not have: the engine must
	 * ignore it, and there is no such UPS to simulate. */
	if (ev->ups >= s->p->nups) {
		engine_on_ups_event(s->e, ev->ups, ev->ev, s->now);
		return;
	}
	u = &s->ups[ev->ups];
	c = &s->p->ups[ev->ups];

	if ((ev->ev == UPS_EV_ON_BATTERY || ev->ev == UPS_EV_LOW_BATTERY ||
	    ev->ev == UPS_EV_SHUTDOWN_IMMINENT) && !u->on_battery) {
		u->on_battery = 1;
		/* The card turns the UPS off after its warning period. */
		if (c->has_warning_period)
			u->dies_at = s->now + c->warning_period;
	} else if (ev->ev == UPS_EV_POWER_RESTORED) {
		u->on_battery = u->dead = 0;
		u->dies_at = INFINITY;
		boot_hosts_of(s, ev->ups);
	}
	s->internal_dirty = 1;
	engine_on_ups_event(s->e, ev->ups, ev->ev, s->now);
	if (s->cb) {
		l.kind = SIM_EVENT;
		l.t = s->now;
		l.ups = ev->ups;
		l.event = ev->ev;
		s->cb(&l, s->arg);
	}
}

/* Battery deaths and boots are rare: their next time is cached. */
static double
next_internal(struct sim *s)
{
	size_t	 i;

	if (!s->internal_dirty)
		return s->internal_at;
	s->internal_dirty = 0;
	s->internal_at = INFINITY;
	for (i = 0; i < s->p->nups; i++)
		if (s->ups[i].dies_at < s->internal_at)
			s->internal_at = s->ups[i].dies_at;
	for (i = 0; i < s->p->nhosts; i++) {
		if (s->hosts[i].boot_at < s->internal_at)
			s->internal_at = s->hosts[i].boot_at;
		if (s->hosts[i].enable_at < s->internal_at)
			s->internal_at = s->hosts[i].enable_at;
	}
	for (i = 0; i < s->p->npools; i++)
		if (s->restart_at[i] < s->internal_at)
			s->internal_at = s->restart_at[i];
	return s->internal_at;
}

static void
run_internal(struct sim *s)
{
	size_t	 i;

	s->internal_dirty = 1;
	for (i = 0; i < s->p->nups; i++)
		if (s->ups[i].dies_at <= s->now) {
			s->ups[i].dies_at = INFINITY;
			s->ups[i].dead = 1;
		}
	update_host_power(s);
	for (i = 0; i < s->p->nhosts; i++) {
		if (s->hosts[i].boot_at <= s->now) {
			/* Live at once; its xapi starts, then enables it by
			 * itself, marks and all (xapi_host_helpers.ml). */
			s->hosts[i].boot_at = INFINITY;
			s->hosts[i].live = 1;
			s->hosts[i].lost_at = INFINITY;
			s->hosts[i].started_at = s->now + s->o.xapi_start_takes;
			s->hosts[i].enable_at = s->hosts[i].started_at;
		}
		if (s->hosts[i].enable_at <= s->now) {
			s->hosts[i].enable_at = INFINITY;
			if (s->hosts[i].live)
				s->hosts[i].enabled = 1;
		}
	}
	for (i = 0; i < s->p->npools; i++)
		if (s->restart_at[i] <= s->now) {
			s->restart_at[i] = INFINITY;
			s->restart_end[i] = s->now + s->o.restart_takes;
			restart_pool(s, i);
		}
	xencenter(s);
}

static double
min4(double a, double b, double c, double d)
{
	double	 m = a;

	if (b < m)
		m = b;
	if (c < m)
		m = c;
	if (d < m)
		m = d;
	return m;
}

int
sim_run(struct sim *s, double until, sim_cb *cb, void *arg)
{
	double		 t, tev, tdone;
	size_t		 which = 0;
	unsigned long	 guard;

	s->cb = cb;
	s->arg = arg;
	for (guard = 0; guard < 50000000UL; guard++) {
		if (take_all(s) == -1)
			return -1;
		tev = s->next_event < s->nevents ?
		    s->events[s->next_event].t : INFINITY;
		tdone = next_completion(s, &which);
		t = min4(tev, tdone, engine_next_deadline(s->e),
		    next_internal(s));
		if (t == INFINITY || t > until)
			return 0;
		if (t > s->now)
			s->now = t;
		if (next_internal(s) <= s->now)
			run_internal(s);
		else if (tev <= s->now)
			apply_event(s, &s->events[s->next_event++]);
		else if (tdone <= s->now)
			complete(s, which);
	}
	return -1;
}

void
sim_host_state(const struct sim *s, size_t h, struct sim_host_state *st)
{
	const struct shost	*sh = &s->hosts[h];

	st->live = sh->live;
	st->enabled = sh->enabled;
	st->master = sh->master;
	st->marked = sh->marked;
	st->vms = sh->vms;
	st->crashed = sh->crashed;
	st->stopped = sh->stopped;
	st->shutdowns = sh->shutdowns;
	st->evacuations = sh->evacuations;
}

int
sim_crashed_total(const struct sim *s)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < s->p->nhosts; i++)
		n += s->hosts[i].crashed;
	return n;
}

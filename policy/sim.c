/*
 * The simulated pool. Time only moves when nothing is left to do at the
 * present instant: UPS events, battery deaths, boots and action
 * completions are processed in time order, and the engine is asked for
 * actions after each of them.
 */
#include <math.h>
#include <stdio.h>
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
	int	 crashed;
	int	 stopped;
	int	 shutdowns;
	int	 evacuations;
	int	 stuck;
	int	 hang;		/* evacuations hang after this many VMs */
	double	 evacuate_takes;
	double	 move_takes;	/* per VM; 0: evacuate_takes for all */
	double	 boot_at;
	/*
	 * Off, it saw its AC go (every feed cut): its BIOS starts it when
	 * AC returns. One shut down while its UPS still ran never does.
	 */
	int	 ac_lost;
	double	 lost_at;	/* power lost (not shut down) at */
	double	 started_at;	/* its xapi takes host.enable from then */
	double	 enable_at;	/* xapi enables it by itself then */
};

/* A VM, for the names a plan gives the ones that die. */
struct svm {
	char	 name[80];
	long	 host;		/* running there; -1 when not running */
	long	 recorded_on;	/* recorded by a host's mark; -1 */
	long	 stopped_on;	/* stopped there by upsxen, not started
				   again; -1 */
};

struct sups {
	int	 on_battery;
	int	 low_on_mains;
	int	 dead;
	double	 since;		/* on battery */
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
	unsigned long		 follow_id;	/* ... that one */
	/* An evacuation in xapi: one VM after another, each per_vm. */
	double			 started;
	double			 per_vm;
	int			 moved;
	int			 cap;		/* stops after this many */
	int			 abandoned;	/* superseded: no answer */
	int			 planned;	/* xapi's plan, not ours */
	double			 answer_at;	/* the worker gave up then */
	int			 answered;
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
	struct svm		*vm;
	size_t			 nvm;
	double			 now;
	double			 internal_at;	/* next death or boot */
	size_t			 rr;		/* where spreading goes on */
	double			 facts_at;	/* the next periodic look */
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
	s->vm = calloc(p->nhosts * (size_t)(o->vms_per_host > 0 ?
	    o->vms_per_host : 1), sizeof(*s->vm));
	if (s->e == NULL || s->hosts == NULL || s->ups == NULL ||
	    s->ha == NULL || s->ha_off == NULL || s->restart_at == NULL ||
	    s->restart_end == NULL || s->members == NULL || s->vm == NULL) {
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
		s->hosts[i].move_takes = o->vm_move_takes;
		s->hosts[i].hang = -1;
	}
	for (i = 0; i < p->nhosts * (size_t)(o->vms_per_host > 0 ?
	    o->vms_per_host : 0); i++) {
		s->vm[i].host = (long)(i / (size_t)o->vms_per_host);
		s->vm[i].recorded_on = -1;
		s->vm[i].stopped_on = -1;
		snprintf(s->vm[i].name, sizeof(s->vm[i].name), "%s-vm%zu",
		    p->hosts[s->vm[i].host].name,
		    i % (size_t)o->vms_per_host + 1);
		s->nvm++;
	}
	for (i = 0; i < p->npools; i++) {
		s->restart_at[i] = INFINITY;
		s->restart_end[i] = -INFINITY;
	}
	for (i = 0; i < p->nups; i++)
		s->ups[i].dies_at = INFINITY;
	s->facts_at = o->facts_interval > 0 ? o->facts_interval : INFINITY;
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
	free(s->vm);
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
	if (host < s->p->nhosts) {
		s->hosts[host].evacuate_takes = t;
		s->hosts[host].move_takes = 0;
	}
}

void
sim_set_hang(struct sim *s, size_t host, int after)
{
	if (host < s->p->nhosts)
		s->hosts[host].hang = after;
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
	l.abandoned = pd ? pd->abandoned : 0;
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

/* A VM running on host h, or -1. */
static long
vm_on(const struct sim *s, size_t h)
{
	size_t	 i;

	for (i = 0; i < s->nvm; i++)
		if (s->vm[i].host == (long)h)
			return (long)i;
	return -1;
}

/* VM v runs on `to` now, or (-1) no longer runs. */
static void
vm_place(struct sim *s, long v, long to)
{
	if (s->vm[v].host >= 0)
		s->hosts[s->vm[v].host].vms--;
	s->vm[v].host = to;
	if (to >= 0)
		s->hosts[to].vms++;
}

/* Stop n of host h's VMs (or all); returns how many there were. */
static int
vms_end(struct sim *s, size_t h, int n)
{
	long	 v;
	int	 k = 0;

	while ((n < 0 || k < n) && (v = vm_on(s, h)) >= 0) {
		vm_place(s, v, -1);
		k++;
	}
	return k;
}

/* Stop n of host h's VMs on purpose (or all): upsxen lists them. */
static int
vms_stop(struct sim *s, size_t h, int n)
{
	long	 v;
	int	 k = 0;

	while ((n < 0 || k < n) && (v = vm_on(s, h)) >= 0) {
		s->vm[v].stopped_on = (long)h;
		vm_place(s, v, -1);
		k++;
	}
	return k;
}

/*
 * The VMs upsxen stopped on host h start again, each where xapi puts
 * it: on h, live and enabled, where they had room. None halted for
 * another reason is touched: only these are listed.
 */
static int
vms_start(struct sim *s, size_t h)
{
	size_t	 i;
	int	 k = 0;

	for (i = 0; i < s->nvm; i++)
		if (s->vm[i].stopped_on == (long)h && s->vm[i].host < 0) {
			s->vm[i].stopped_on = -1;
			vm_place(s, (long)i, (long)h);
			k++;
		}
	return k;
}

/* Live as xapi believes: a member that lost power, for dead_after. */
static int
db_live(const struct sim *s, size_t h)
{
	return s->hosts[h].live || (s->hosts[h].lost_at != INFINITY &&
	    s->now < s->hosts[h].lost_at + s->o.dead_after);
}

/*
 * Whether the pool's master is up: host.power_on runs there, and the
 * looks that watches take go there (recipe.c).
 */
static int
master_up(const struct sim *s, size_t pool)
{
	const struct policy_pool	*pl = &s->p->pools[pool];
	size_t				 i;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (s->hosts[i].master)
			return s->hosts[i].live;
	return 1;	/* a master outside the policy: always up */
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

/*
 * One VM of h to the next host that can take it, round the pool (xapi
 * binpacks; spreading is as good for the schedule); -1 if none can.
 */
static long
move_one_vm(struct sim *s, const struct pending *pd, double at)
{
	size_t				 h = (size_t)pd->a.host;
	const char			*targets = pd->targets;
	const struct policy_pool	*pl = &s->p->pools[s->p->hosts[h].pool];
	struct sim_line			 l = { 0 };
	size_t				 k, i;

	for (k = 0; k < pl->nhosts; k++) {
		i = pl->first_host + (s->rr + k) % pl->nhosts;
		if (i == h || !s->hosts[i].live || !s->hosts[i].enabled ||
		    (targets && !listed(targets, s->p->hosts[i].name)))
			continue;
		/* Our own placement leaves a marked host alone
		 * (recipe_vms.c); xapi's plan does not look. */
		if (!pd->planned && s->hosts[i].marked)
			continue;
		s->rr = (s->rr + k + 1) % pl->nhosts;
		l.count = (int)vm_on(s, h);
		vm_place(s, l.count, (long)i);
		if (s->cb) {
			l.kind = SIM_MOVE;
			l.t = at;
			l.action = &pd->a;
			l.host = (long)h;
			l.to = (long)i;
			s->cb(&l, s->arg);
		}
		return (long)i;
	}
	return -1;
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

/*
 * Whether the pool runs op on host h now (to succeed), whoever asked. An
 * evacuation is in the host's current_operations until its task ends,
 * whatever it ends with and whatever the worker answered; not once a
 * restarted xapi forgot it.
 */
static int
pool_running(const struct sim *s, size_t h, enum action_op op)
{
	const struct pending	*pd;
	size_t			 i;

	for (i = 0; i < s->npend; i++) {
		pd = &s->pend[i];
		if (pd->a.op != op || pd->follows || pd->a.host != (long)h)
			continue;
		if (pd->r.outcome == OUTCOME_OK || (op == ACT_EVACUATE &&
		    pd->r.outcome != OUTCOME_STALE && pd->done_at >= s->now))
			return 1;
	}
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

/*
 * VMs leave one after another (vm_evacuation.ml: one pool_migrate at a
 * time); an evacuation that hangs moves `hang` of them, then nothing.
 */
/*
 * host.evacuate plans at its start, over the members enabled then
 * (xapi_host.ml compute_evacuation_plan): a host enabled later gets none
 * of its VMs. The plan is kept as the action's own target list.
 */
static int
plan_evacuation(struct sim *s, struct pending *pd)
{
	const struct policy_pool	*pl = &s->p->pools[pd->a.pool];
	size_t				 i, len = 1;
	char				*list;

	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		len += strlen(s->p->hosts[i].name) + 1;
	if ((list = calloc(1, len)) == NULL)
		return -1;
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++) {
		if ((long)i == pd->a.host || !s->hosts[i].enabled ||
		    !db_live(s, i))
			continue;
		if (list[0])
			strcat(list, ",");
		strcat(list, s->p->hosts[i].name);
	}
	pd->targets = list;
	pd->a.targets = list;
	pd->planned = 1;
	return 0;
}

static double
start_evacuation(struct sim *s, struct pending *pd, const struct shost *h)
{
	double	 total;

	if (h->vms == 0)
		return s->o.action_takes;
	if (pd->targets == NULL && plan_evacuation(s, pd) == -1)
		return s->o.action_takes;
	total = h->move_takes > 0 ? h->vms * h->move_takes : h->evacuate_takes;
	pd->started = s->now;
	pd->per_vm = total / h->vms;
	pd->cap = h->vms;
	if (h->hang >= 0 && h->hang < h->vms) {
		pd->cap = h->hang;
		return INFINITY;
	}
	return total;
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
	if (h && !h->live && a->op != ACT_WATCH && a->op != ACT_CONFIRM &&
	    a->op != ACT_POWER_ON) {
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
		return start_evacuation(s, pd, h);
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
		if (!master_up(s, a->pool))
			set_result(r, OUTCOME_TRANSIENT, "connection refused",
			    0);
		else if (!db_live(s, (size_t)a->host))
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
	case ACT_POWER_ON:
		if (!master_up(s, a->pool))
			set_result(r, OUTCOME_TRANSIENT, "connection refused",
			    0);
		return s->o.action_takes;
	case ACT_START_VMS:
		/* VM.start: xapi places a VM only on a live, enabled host;
		 * one whose shutdown still runs (a stop asked before a
		 * restart) is waited for (recipe_vms.c). */
		if (!h->live || !h->enabled)
			set_result(r, OUTCOME_BLOCKED, "NO_HOSTS_AVAILABLE",
			    1);
		else if (pool_running(s, (size_t)a->host, ACT_STOP_VMS))
			set_result(r, OUTCOME_BLOCKED, "still stopping", 1);
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
		    s->pend[i].a.op == ACT_STOP_VMS) {
			set_result(&s->pend[i].r, OUTCOME_STALE,
			    "xapi restarted and forgot the task", 0);
			s->pend[i].per_vm = 0;
		}
	}
	for (i = pl->first_host; i < pl->first_host + pl->nhosts; i++)
		if (s->hosts[i].live && !pool_running(s, i, ACT_SHUTDOWN))
			s->hosts[i].enabled = 1;
	xencenter(s);
}

static void
host_loses_power(struct sim *s, size_t hi, double now)
{
	struct shost	*h = &s->hosts[hi];

	h->crashed += vms_end(s, hi, -1);
	h->live = 0;
	h->lost_at = now;
	h->boot_at = INFINITY;
}

/* An evacuation that stops moving VMs, for `why` if it had not failed. */
static void
evac_stop(struct pending *pd, const char *why, double at)
{
	pd->per_vm = 0;
	if (why && !pd->answered && pd->r.outcome == OUTCOME_OK)
		set_result(&pd->r, OUTCOME_TRANSIENT, why, 0);
	if (why && pd->done_at > at)
		pd->done_at = at;
}

/*
 * The VMs of a running evacuation that have arrived by now. Each goes
 * where xapi can send it then: none left (NO_HOSTS_AVAILABLE), or one
 * off but still live for xapi (its migration fails, CANNOT_CONTACT_HOST),
 * fails the task; the VMs moved before stay moved.
 */
static void
evac_progress(struct sim *s, struct pending *pd)
{
	struct shost	*h;
	double		 at;
	int		 dead;

	if (pd->per_vm <= 0 || pd->follows)
		return;
	h = &s->hosts[pd->a.host];
	while (pd->moved < pd->cap && (at = pd->started + pd->per_vm *
	    (pd->moved + 1)) <= s->now + 1e-9) {
		/* A host that went down fails its task; one with nothing
		 * left on it (stopped meanwhile) has its task end. */
		if (!h->live) {
			evac_stop(pd, "HOST_OFFLINE", at);
			return;
		}
		if (h->vms == 0) {
			pd->per_vm = 0;
			if (pd->done_at > at)
				pd->done_at = at;
			return;
		}
		if (count_targets(s, (size_t)pd->a.host, pd->targets,
		    &dead) == 0) {
			evac_stop(pd, "NO_HOSTS_AVAILABLE", at);
			return;
		}
		if (dead > 0) {
			evac_stop(pd, "CANNOT_CONTACT_HOST", at);
			return;
		}
		if (move_one_vm(s, pd, at) == -1) {
			evac_stop(pd, "NO_HOSTS_AVAILABLE", at);
			return;
		}
		pd->moved++;
	}
	if (pd->moved >= pd->cap && pd->done_at <= s->now)
		pd->per_vm = 0;
}

static void
evac_progress_all(struct sim *s)
{
	size_t	 i;

	for (i = 0; i < s->npend; i++)
		evac_progress(s, &s->pend[i]);
}

/*
 * task.cancel of what the worker gave up: a clean VM stop ends at once
 * (xenopsd cancels it), an evacuation after the VM in flight
 * (vm_evacuation.ml polls for cancelling between VMs); one that hangs
 * ends without it. The rest runs to its end.
 */
static void
cancel_task(struct pending *pd, double at)
{
	double	 end, k;

	if (pd->a.op == ACT_STOP_VMS && !pd->a.hard) {
		if (pd->r.outcome == OUTCOME_OK)
			set_result(&pd->r, OUTCOME_TRANSIENT,
			    "TASK_CANCELLED", 0);
		if (pd->done_at > at)
			pd->done_at = at;
		return;
	}
	if (pd->a.op != ACT_EVACUATE || pd->per_vm <= 0)
		return;
	/* The VM in flight at `at` is the last. */
	k = floor((at - pd->started) / pd->per_vm) + 1;
	if (k < pd->cap)
		pd->cap = (int)k;
	end = pd->started + pd->per_vm * pd->cap;
	if (end < at)
		end = at;	/* hung: cancelled then, nothing in flight */
	if (pd->done_at > end)
		pd->done_at = end;
}

/*
 * The worker supersedes a host's unfinished job with a new action for
 * that host (worker.c): its tasks are cancelled, its answer never sent.
 * Following a task from before a restart, it cancels that task.
 */
static void
supersede(struct sim *s, const struct action *a)
{
	struct pending	*pd, *o;
	size_t		 i, j;

	if (a->host < 0 || a->op == ACT_REFRESH || a->op == ACT_WATCH)
		return;
	for (i = 0; i < s->npend; i++) {
		pd = &s->pend[i];
		if (pd->orphan || pd->abandoned || pd->answered ||
		    pd->a.host != a->host || pd->a.op == ACT_REFRESH ||
		    pd->a.op == ACT_WATCH)
			continue;
		pd->abandoned = 1;
		cancel_task(pd, s->now);
		for (j = 0; pd->follows && j < s->npend; j++) {
			o = &s->pend[j];
			if (o->orphan && o->a.id == pd->follow_id &&
			    o->a.host == pd->a.host)
				cancel_task(o, s->now);
		}
	}
}

/*
 * No outcome within the pool's task_timeout: the worker cancels the
 * task and answers a failed try then (worker.c overdue); xapi ends it
 * as cancel_task says.
 */
static void
bound_task(struct sim *s, struct pending *pd)
{
	double	 tt = s->p->pools[pd->a.pool].task_timeout;

	if (pd->follows || pd->done_at <= s->now + tt)
		return;
	pd->answer_at = s->now + tt;
	cancel_task(pd, pd->answer_at);
	if (pd->done_at == INFINITY)
		pd->done_at = pd->answer_at;
	set_result(&pd->r, OUTCOME_TRANSIENT, "no outcome within "
	    "task_timeout: cancelled", 0);
}

static void
end_evacuations(struct sim *s, size_t h)
{
	size_t	 i;

	for (i = 0; i < s->npend; i++)
		if (s->pend[i].a.op == ACT_EVACUATE && !s->pend[i].follows &&
		    s->pend[i].a.host == (long)h && s->pend[i].per_vm > 0) {
			s->pend[i].per_vm = 0;
			if (s->pend[i].done_at > s->now)
				s->pend[i].done_at = s->now;
		}
}

static int	 host_powered(const struct sim *, size_t);

/* Apply an action's effect on the pool when it finishes. */
static void
finish_action(struct sim *s, struct pending *pd)
{
	const struct action	*a = &pd->a;
	struct shost		*h = a->host >= 0 ? &s->hosts[a->host] : NULL;
	size_t			 i;
	int			 n;

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
		for (i = 0; i < s->nvm; i++)
			if (s->vm[i].host == a->host)
				s->vm[i].recorded_on = a->host;
		break;
	case ACT_EVACUATE:
		/* Its VMs moved as it ran (evac_progress). */
		h->evacuations++;
		break;
	case ACT_STOP_VMS:
		n = a->scope == STOP_BLOCKERS ? h->blockers : -1;
		h->stopped += vms_stop(s, (size_t)a->host, n);
		/* A hard stop cancels the VM's migration first
		 * (message_forwarding.ml): nothing is left to move. */
		if (h->vms == 0)
			end_evacuations(s, (size_t)a->host);
		if (a->scope == STOP_BLOCKERS)
			h->pinned = h->blockers = 0;
		break;
	case ACT_SHUTDOWN:
		h->shutdowns++;
		host_loses_power(s, (size_t)a->host, s->now);
		/* A clean shutdown tells the master at once (xapi). */
		h->lost_at = INFINITY;
		s->internal_dirty = 1;
		break;
	case ACT_EXIT_MAINTENANCE:
		h->marked = 0;
		h->enabled = 1;
		break;
	case ACT_RESTORE_VMS:
		/* The recorded VMs still running come home (recipe_vms.c). */
		for (i = 0; i < s->nvm; i++)
			if (s->vm[i].recorded_on == a->host) {
				s->vm[i].recorded_on = -1;
				if (s->vm[i].host >= 0)
					vm_place(s, (long)i, a->host);
			}
		break;
	case ACT_HA_OFF:
		s->ha[a->pool] = 0;
		s->ha_off[a->pool] = 1;
		break;
	case ACT_HA_ON:
		s->ha[a->pool] = 1;
		s->ha_off[a->pool] = 0;
		break;
	case ACT_START_VMS:
		vms_start(s, (size_t)a->host);
		break;
	case ACT_POWER_ON:
		/* Its power_on_mode wakes it; it boots if it has power. */
		if (!h->live && host_powered(s, (size_t)a->host) &&
		    h->boot_at == INFINITY) {
			h->boot_at = s->now + s->o.boot_takes;
			s->internal_dirty = 1;
		}
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
		s->members[n].can_power_on = 1;
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
	/* The newest: an older one may be a task the worker gave up on. */
	for (i = s->npend; i-- > 0;) {
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
	/* For comparison only: xapi's own plan, whatever the engine named. */
	if (s->o.xapi_plan_only && a->op == ACT_EVACUATE)
		np->a.targets = NULL;
	if ((np->a.targets && (np->targets = strdup(a->targets)) == NULL) ||
	    (a->not_live && (np->not_live = strdup(a->not_live)) == NULL)) {
		free(np->targets);
		return -1;
	}
	/* The engine's strings die with it (a restart): ours stay. */
	np->a.targets = np->targets;
	np->a.not_live = np->not_live;
	np->answer_at = INFINITY;
	supersede(s, a);
	if ((run = running_orphan(s, a)) != NULL) {
		np->follows = 1;
		np->follow_id = run->a.id;
		np->r = run->r;
		np->done_at = run->done_at;
	} else {
		np->done_at = s->now + start_action(s, np);
		bound_task(s, np);
	}
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

/* The worker's answer, to the engine that asked (if it still lives). */
static void
answer(struct sim *s, const struct pending *pd)
{
	emit_line(s, SIM_RESULT, pd);
	if (pd->orphan || pd->abandoned)
		return;
	if (pd->a.op == ACT_REFRESH && pd->r.outcome == OUTCOME_OK) {
		deliver_facts(s, pd->a.pool);
		return;
	}
	/* Watches and power-ons look at the pool first and report it. */
	if ((pd->a.op == ACT_WATCH || pd->a.op == ACT_POWER_ON) &&
	    pd->r.outcome != OUTCOME_TRANSIENT && master_up(s, pd->a.pool))
		deliver_facts(s, pd->a.pool);
	engine_on_result(s->e, pd->a.id, &pd->r, s->now);
}

/* The task an orphan ran is over: who follows it answers as it ends. */
static void
end_followers(struct sim *s, const struct pending *o)
{
	struct pending	*pd;
	size_t		 i;

	for (i = 0; i < s->npend; i++) {
		pd = &s->pend[i];
		if (!pd->follows || pd->follow_id != o->a.id ||
		    pd->a.host != o->a.host || pd->a.op != o->a.op)
			continue;
		pd->r = o->r;
		if (pd->done_at > s->now)
			pd->done_at = s->now;
	}
}

/* When pending action i next does something: answered, or over. */
static double
pending_next(const struct pending *pd)
{
	return !pd->answered && pd->answer_at < pd->done_at ? pd->answer_at :
	    pd->done_at;
}

static void
complete(struct sim *s, size_t i)
{
	struct pending	 pd = s->pend[i];

	/* The worker gave up on it; xapi is not done yet. */
	if (!pd.answered && pd.answer_at < pd.done_at) {
		s->pend[i].answered = 1;
		answer(s, &s->pend[i]);
		return;
	}
	memmove(&s->pend[i], &s->pend[i + 1],
	    (s->npend - i - 1) * sizeof(*s->pend));
	s->npend--;
	evac_progress(s, &pd);
	finish_action(s, &pd);
	if (pd.orphan)
		end_followers(s, &pd);
	if (!pd.answered)
		answer(s, &pd);
	free(pd.targets);
	free(pd.not_live);
}

/* A crash and restart: a new engine from the old one's durable state. */
static void
restart(struct sim *s)
{
	struct engine	*ne;
	json_t		*j;
	char		 msg[512];
	size_t		 i;

	if ((j = engine_export(s->e, 0)) == NULL)
		return;
	if ((ne = engine_new(s->p)) == NULL ||
	    engine_import(ne, j, 0, s->now, msg, sizeof(msg)) < 0) {
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
		if (pending_next(&s->pend[i]) < t) {
			t = pending_next(&s->pend[i]);
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
	struct sim_line	 l = { 0 };
	size_t		 i;

	for (i = 0; i < s->p->nhosts; i++) {
		if (host_powered(s, i))
			continue;
		s->hosts[i].ac_lost = 1;
		if (!s->hosts[i].live)
			continue;
		if (s->cb) {
			l.kind = SIM_POWER_LOST;
			l.t = s->now;
			l.host = (long)i;
			l.count = s->hosts[i].vms;
			s->cb(&l, s->arg);
		}
		host_loses_power(s, i, s->now);
	}
}

/*
 * Mains is back on a UPS: the hosts it feeds that are off and saw their
 * AC go boot (servers are set to power on when AC returns). A host shut
 * down while its UPS still ran saw no AC loss: it stays off until
 * someone powers it on (host.power_on).
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
			    s->hosts[i].ac_lost &&
			    s->hosts[i].boot_at == INFINITY)
				s->hosts[i].boot_at = s->now + s->o.boot_takes;
	}
}


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
		host_loses_power(s, ev->host, s->now);
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

	/* A battery low on mains (worn, charging): no outage, yet. */
	if (ev->ev == UPS_EV_LOW_BATTERY && !u->on_battery)
		u->low_on_mains = 1;
	if ((ev->ev == UPS_EV_ON_BATTERY ||
	    ev->ev == UPS_EV_SHUTDOWN_IMMINENT) && !u->on_battery) {
		u->on_battery = 1;
		u->since = s->now;
		/* The card turns the UPS off after its warning period. */
		if (c->has_warning_period)
			u->dies_at = s->now + c->warning_period +
			    s->o.card_delay;
	}
	/* The runtime estimate is back above the card's threshold. */
	if (ev->ev == UPS_EV_BATTERY_OK) {
		u->low_on_mains = 0;
		if (u->on_battery && !u->dead)
			u->dies_at = c->has_warning_period ? u->since +
			    c->warning_period + s->o.card_delay : INFINITY;
	}
	/* Low on battery, the UPS runs as long as the policy says. */
	if ((ev->ev == UPS_EV_LOW_BATTERY ||
	    ev->ev == UPS_EV_SHUTDOWN_IMMINENT || (ev->ev ==
	    UPS_EV_ON_BATTERY && u->low_on_mains)) && u->on_battery &&
	    s->now + c->low_battery_runtime + s->o.card_delay < u->dies_at)
		u->dies_at = s->now + c->low_battery_runtime + s->o.card_delay;
	else if (ev->ev == UPS_EV_POWER_RESTORED) {
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
	if (s->facts_at < s->internal_at)
		s->internal_at = s->facts_at;
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
			s->hosts[i].ac_lost = 0;
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
	/* The plugin's periodic look (core.c). */
	if (s->facts_at <= s->now) {
		s->facts_at += s->o.facts_interval;
		for (i = 0; i < s->p->npools; i++)
			engine_want_refresh(s->e, i);
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
		/* VMs that arrived meanwhile; a task they failed ends first. */
		evac_progress_all(s);
		tdone = next_completion(s, &which);
		if (tdone < s->now)
			complete(s, which);
		else if (next_internal(s) <= s->now)
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
	size_t			 i;

	st->live = sh->live;
	st->enabled = sh->enabled;
	st->master = sh->master;
	st->marked = sh->marked;
	st->vms = sh->vms;
	st->crashed = sh->crashed;
	st->stopped = sh->stopped;
	st->shutdowns = sh->shutdowns;
	st->evacuations = sh->evacuations;
	st->waiting = 0;
	for (i = 0; i < s->nvm; i++)
		st->waiting += s->vm[i].stopped_on == (long)h &&
		    s->vm[i].host < 0;
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

const char *
sim_vm_name(const struct sim *s, int vm)
{
	if (vm < 0 || (size_t)vm >= s->nvm)
		return "?";
	return s->vm[vm].name;
}

size_t
sim_vm_names(const struct sim *s, size_t h, const char **names, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->nvm; i++)
		if (s->vm[i].host == (long)h) {
			if (n < max)
				names[n] = s->vm[i].name;
			n++;
		}
	return n;
}

/*
 * The engine's private state and the seams between its files. Not part
 * of any public face.
 *
 *   engine.c	the public calls: inputs in, actions out, status
 *   host.c	the table of action kinds, and a host's progress: what
 *		every power change, pool fact and action result means for
 *		it (the only writer of its facts)
 *   queue.c	the queue of decided actions, their ids, and the count
 *		of actions in flight
 *   step.c	deciding what a pool does next (DESIGN.md "Engine rules")
 *   engine_state.c  the durable state as JSON
 *
 * Calls go downwards only: engine.c and engine_state.c use step.c,
 * host.c and queue.c; step.c uses host.c and queue.c; host.c uses
 * nothing of them.
 */
#ifndef UPSXEN_ENGINE_INT_H
#define UPSXEN_ENGINE_INT_H

#include "engine.h"
#include "policy.h"

enum goal_kind {
	GOAL_NONE,
	GOAL_MAINT,
	GOAL_DOWN
};

/*
 * Where a host's timers put it at a given time: a pure function of its
 * schedule, its feeds' power and the time (host_goal).
 */
struct goal {
	enum goal_kind	 kind;
	double		 due;		/* when it first had to leave */
	double		 down_due;	/* when it has to be down */
	double		 next;		/* its next timer, INFINITY if none */
	const char	*why;		/* the timer or event behind it */
};

/* Power, as the host's feeds say (host_repower is the only writer). */
struct hpower {
	int		 at_risk;	/* every feed on battery ... */
	double		 since;		/* ... since then */
	int		 final;		/* low battery or shutdown imminent */
	double		 final_since;
	const char	*final_why;
	int		 held;		/* at risk only by feeds in doubt:
					   no good power, no timers */
};

/*
 * What is done to a host in this outage: named facts, one bit each.
 * host.c writes them; everything else reads them with host_has().
 */
enum host_fact {
	HF_TOUCHED	= 1u << 0,	/* upsxen acted on it this outage */
	HF_DISABLED	= 1u << 1,
	HF_MARKED	= 1u << 2,	/* MAINTENANCE_MODE, VMs recorded */
	HF_EVACUATED	= 1u << 3,	/* its VMs left for other members */
	HF_NOWHERE	= 1u << 4,	/* the master, with no member to
					   take its VMs: they are stopped */
	HF_MOVED	= 1u << 5,	/* VMs went elsewhere: on_restore
					   brings them back; a boot keeps it */
	HF_VMS_CLEAR	= 1u << 6,	/* nothing left to stop */
	HF_BLOCKED	= 1u << 7,	/* VMs that could not be evacuated */
	HF_DOWN		= 1u << 8,	/* powered off */
	HF_RESTORE	= 1u << 9,	/* its VMs are to be brought back */
	HF_UNCERTAIN	= 1u << 10,	/* restored: the next facts settle it */
	HF_CONFIRMED	= 1u << 11,	/* its cards confirmed the outage */
	HF_FAILED	= 1u << 12,	/* given up on: error says why */
	HF_NO_TIME	= 1u << 13,	/* its budget for moving VMs ran out:
					   what is left is stopped */
	HF_POWER_ASKED	= 1u << 14,	/* host.power_on was done (or given
					   up on) in this return */
	HF_BOOT_LATE	= 1u << 15,	/* not back boot_timeout after it:
					   reported */
	HF_STARTS	= 1u << 16	/* VMs upsxen stopped there are to be
					   started again */
};

/* "Its VMs are gone": moved away, or to be stopped (no place, no time). */
#define HF_VMS_GONE	(HF_EVACUATED | HF_NOWHERE | HF_NO_TIME)

/* A fact's name in the state file; `saved` facts survive a restart. */
struct host_fact_name {
	unsigned	 fact;
	const char	*name;
	int		 saved;
};

extern const struct host_fact_name host_fact_names[];

/* The one action in flight for a host, if any. */
struct hflight {
	unsigned long	 id;		/* 0: none */
	enum action_op	 op;
	int		 hard;
	enum stop_scope	 scope;		/* ACT_STOP_VMS */
	double		 at;
};

/* What XenAPI last said about the host. */
struct hseen {
	int		 known;		/* a member of the pool */
	int		 live;
	int		 enabled;
	int		 master;
	int		 nvms;
	int		 evacuating;	/* current_operations has evacuate */
	int		 can_power_on;	/* power_on_mode is set */
};

struct ehost {
	const struct policy_host *cfg;
	int		 needs_confirm;	/* a feed has confirm: true */

	struct hpower	 power;
	struct goal	 g;		/* derived at each step */
	unsigned	 facts;		/* enum host_fact */
	int		 nblocked;	/* with HF_BLOCKED: how many VMs */
	struct hflight	 flight;
	struct hseen	 seen;

	/* Retries and looks. */
	int		 attempts;
	double		 retry_at;
	double		 watch_at;
	double		 fresh_asked;	/* master: facts wanted from then */
	double		 powered_on_at;	/* host.power_on answered OK then */
	int		 start_tries;	/* VM starts found no host, in a row */

	/* What the action in flight points to (engine-owned strings). */
	char		*targets;
	char		*not_live;

	/* For status. */
	char		 error[160];
	const char	*wait_why;	/* why it is not acting */
	int		 has_last;
	enum action_op	 last_op;
	enum action_outcome last_outcome;
};

struct epool {
	const struct policy_pool *cfg;
	int		 facts_known;
	double		 facts_at;
	int		 others_evacuating; /* members outside the policy */
	double		 changed_at;	/* last answer about a member */
	int		 stale;		/* an action found it changed since
					   the last facts */
	int		 ha;
	int		 ha_off;	/* upsxen turned HA off (the pool says) */
	long		 master;	/* policy host index; -1 unmanaged */
	char		*spare;		/* unmanaged live enabled non-master */
	char		*others;	/* unmanaged live enabled members, "a,b" */
	int		 nother_live;	/* unmanaged live members, not master */
	int		 others_dead;	/* unmanaged enabled, not live */

	unsigned long	 refresh_inflight;
	int		 refresh_wanted;
	int		 refresh_attempts;
	double		 refresh_at;
	double		 outage_look_at; /* the last outage refresh asked */

	unsigned long	 designate_inflight;
	char		*designate_target;
	int		 designate_failed;
	int		 designate_attempts;
	double		 designate_at;
	long		 designated_from; /* master before a handover, -1 */

	unsigned long	 ha_inflight;	/* ACT_HA_OFF or ACT_HA_ON ... */
	enum action_op	 ha_op;		/* ... this one */
	int		 ha_attempts;
	double		 ha_at;
	int		 ha_failed;

	long		 evac_holder;	/* host holding the evacuation slot */
	int		 dirty;
	double		 deadline;
};

struct eups {
	enum ups_power	 power;
	double		 since;
	double		 low_since;	/* low battery since, when it is */
	int		 spent;		/* its low-battery runtime ran out
					   before battery_ok came */
	int		 imminent;	/* shutdown_imminent seen */
	int		 low_on_mains;	/* low battery reported on mains */
	int		 comms_lost;
	double		 restored_at;	/* power came back, last */
	double		 outage_since;	/* ...ending the outage from then */
	int		 doubt;		/* a restored outage too old to act
					   on alone: DOUBT_* (engine_state.c) */
};

enum {
	DOUBT_NONE,
	DOUBT_RESUME,	/* saved by a receiver that kept watching it */
	DOUBT_NEW	/* the receiver was away: a restore may be missed */
};

struct engine {
	const struct policy	*p;
	struct engine_tuning	 t;
	struct eups		*ups;
	struct ehost		*hosts;
	struct epool		*pools;
	size_t			**ups_hosts;	/* hosts each UPS feeds */
	size_t			*ups_nhosts;
	unsigned long		 seq;
	size_t			 ninflight;	/* action.c keeps it */
	double			 last_now;
	int			 ndirty;
	unsigned long		 gen;		/* durable state changes */
	unsigned long		 urgent_gen;	/* of which: save before acting */
	unsigned long		 power_gen;	/* of which: UPS power changes */

	unsigned long		*remap;		/* adopted ids: old, new pairs */
	size_t			 nremap;

	struct action		*queue;		/* decided, not yet taken */
	size_t			 qhead;
	size_t			 qlen;
	size_t			 qcap;
};

#define ENGINE_POOL_SLOT	0x800000UL
#define ENGINE_SLOT_MASK	0xffffffUL

/* Whether any of the facts holds. */
static inline int
host_has(const struct ehost *h, unsigned facts)
{
	return (h->facts & facts) != 0;
}

/* The pool is stepped at the next engine_take_actions. */
static inline void
engine_mark_dirty(struct engine *e, size_t pool)
{
	if (!e->pools[pool].dirty) {
		e->pools[pool].dirty = 1;
		e->ndirty++;
	}
}

/* What a saved state says of a host (engine_state.c reads it). */
struct host_saved {
	struct hpower	 power;
	unsigned	 facts;
	int		 nblocked;
	int		 inflight;	/* an action was under way */
	double		 powered_on_at;
	const char	*error;
	int		 has_last;
	enum action_op	 last_op;
	enum action_outcome last_outcome;
};

/* queue.c */
struct action	*action_emit(struct engine *, enum action_op, size_t, long,
		    unsigned long);
unsigned long	 action_adopt(struct engine *, unsigned long, unsigned long);
void		 action_settle(struct engine *);

/* host.c: power */
void		 host_repower(struct engine *, size_t, double);
/* Its power is gone: powered off by us, or every feed past its warning. */
int		 host_power_gone(const struct engine *, const struct ehost *,
		    double);
/* Since when every feed of the host is on mains; INFINITY if one is not. */
double		 host_feeds_back_since(const struct engine *,
		    const struct ehost *);
struct goal	 host_goal(const struct ehost *, double);
/* host.c: pool facts and action results */
void		 host_on_facts(struct engine *, struct ehost *,
		    const struct member_facts *);
void		 host_on_master_lost(struct ehost *);
void		 host_on_result(struct engine *, struct ehost *,
		    const struct action_result *, double);
/* host.c: what the step decided */
void		 host_leaving(struct engine *, struct ehost *);
void		 host_no_target(struct ehost *);
void		 host_no_time(struct engine *, struct ehost *, int);
void		 host_stopping(struct engine *, struct ehost *);
/* It is off and the pool has no way to wake it (no power_on_mode). */
void		 host_cannot_power_on(struct ehost *);
/* Its watch past boot_timeout goes out: reported once. */
void		 host_boot_late(struct ehost *);
/* When a host must be off at the latest, and when its VMs start to stop
 * for that: its pool's stop_budget before. */
double		 host_deadline(const struct engine *, const struct ehost *);
double		 host_stop_by(const struct engine *, const struct ehost *);
double		 host_hard_by(const struct engine *, const struct ehost *);
void		 host_flight_begin(struct ehost *, const struct action *,
		    double);
void		 host_flight_drop(struct ehost *, int);
/* host.c: restart, reload and status */
void		 host_restore(struct ehost *, const struct host_saved *);
void		 host_adopt(struct ehost *, const struct ehost *,
		    unsigned long);
enum host_stage	 host_stage(const struct ehost *);
double		 host_backoff(const struct engine *, int);

/* step.c */
void		 step_goals(struct engine *, size_t, double);
void		 step_pool(struct engine *, size_t, double);

#endif

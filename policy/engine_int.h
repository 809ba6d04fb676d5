/*
 * The engine's private state, shared by engine.c (inputs, bookkeeping) and
 * engine_step.c (deciding what to do next). Not part of any public face.
 */
#ifndef UPSXEN_ENGINE_INT_H
#define UPSXEN_ENGINE_INT_H

#include "engine.h"
#include "policy.h"

enum goal {
	GOAL_NONE,
	GOAL_MAINT,
	GOAL_DOWN
};

struct eups {
	enum ups_power	 power;
	double		 since;
	int		 imminent;	/* shutdown_imminent seen */
	int		 comms_lost;
};

struct ehost {
	const struct policy_host *cfg;

	/* Power: every feed on battery since risk_since; final stage now. */
	int		 at_risk;
	double		 risk_since;
	int		 final;
	double		 final_since;
	const char	*final_why;

	/* Derived each step. */
	enum goal	 goal;
	double		 due;		/* when it first had to leave */
	double		 down_due;	/* when it has to be down */
	double		 next_due;	/* its next timer, INFINITY if none */
	const char	*why;

	/* What is done to the real host in this outage. */
	int		 disabled;
	int		 marked;
	int		 evacuated;
	int		 moved;		/* its VMs went elsewhere: on_restore
					   brings them back; a boot keeps it */
	int		 vms_clear;	/* nothing left to stop before shutdown */
	int		 blocked;	/* VMs that could not be evacuated */
	int		 down;
	int		 restore_pending;
	int		 touched;
	int		 uncertain;	/* restored: the next facts settle it */
	int		 needs_confirm;	/* a feed has confirm: true */
	int		 confirmed;	/* in this outage */
	double		 fresh_asked;	/* master: facts wanted from then */

	/* The one action in flight for this host, if any. */
	unsigned long	 inflight;
	enum action_op	 inflight_op;
	int		 inflight_hard;
	double		 inflight_at;

	int		 attempts;
	double		 retry_at;
	double		 watch_at;
	int		 failed;
	char		 error[160];
	const char	*wait_why;	/* why it is not acting, for status */

	int		 has_last;
	enum action_op	 last_op;
	enum action_outcome last_outcome;

	/* Facts from XenAPI. */
	int		 known;
	int		 live;
	int		 enabled;
	int		 master;
	int		 nvms;
	int		 xapi_evacuating; /* as the facts say */
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
	long		 master;	/* policy host index; -1 unmanaged */
	char		*spare;		/* unmanaged live enabled non-master */
	int		 nother_live;	/* unmanaged live members, not master */

	unsigned long	 refresh_inflight;
	int		 refresh_wanted;
	int		 refresh_attempts;
	double		 refresh_at;

	unsigned long	 designate_inflight;
	char		*designate_target;
	int		 designate_failed;
	int		 designate_attempts;
	double		 designate_at;
	long		 designated_from; /* master before a handover, -1 */

	long		 evac_holder;	/* host holding the evacuation slot */
	int		 dirty;
	double		 deadline;
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
	size_t			 ninflight;
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

/* engine.c */
void		 engine_mark_dirty(struct engine *, size_t);
void		 engine_host_repower(struct engine *, size_t, double);
unsigned long	 engine_new_id(struct engine *, unsigned long);
int		 engine_queue(struct engine *, const struct action *);

/* engine_step.c */
void		 engine_pool_step(struct engine *, size_t, double);
enum goal	 engine_host_goal(const struct engine *, struct ehost *,
		    double, double *);

#endif

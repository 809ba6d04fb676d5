/*
 * The engine: a pure, deterministic state machine that turns UPS events,
 * pool facts and action results into XenAPI actions (DESIGN.md "Engine
 * rules").
 *
 * It never reads a clock, sleeps, logs or touches the network: every call
 * takes `now` (seconds, any monotonic origin) and everything it wants done
 * comes out of engine_take_actions(). The caller runs the actions and
 * reports each outcome with engine_on_result(), or engine_on_pool_facts()
 * for refreshes.
 *
 * The engine is a reconciler: for every host it derives a goal (normal,
 * maintenance, down) from the power state of its feeds and the time, and
 * issues the next step from what is done towards that goal. Repeating an
 * action is therefore always safe.
 */
#ifndef UPSXEN_ENGINE_H
#define UPSXEN_ENGINE_H

#include <stddef.h>

#include <jansson.h>

#include "event.h"

struct policy;
struct engine;

enum action_op {
	ACT_REFRESH,		/* fetch pool facts; answered by on_pool_facts */
	ACT_DESIGNATE_MASTER,	/* pool.designate_new_master(target) */
	ACT_DISABLE,		/* host.disable */
	ACT_MARK,		/* MAINTENANCE_MODE=true, record resident VMs */
	ACT_EVACUATE,		/* move every VM off; BLOCKED if some cannot */
	ACT_STOP_VMS,		/* clean (or hard) shutdown of VMs on the host */
	ACT_SHUTDOWN,		/* host.shutdown; BLOCKED if VMs still run */
	ACT_WATCH,		/* is the host back? OK yes, BLOCKED not yet */
	ACT_EXIT_MAINTENANCE,	/* clear the marks, host.enable */
	ACT_RESTORE_VMS,	/* migrate the recorded VMs back */
	ACT_CONFIRM,		/* ask the host's cards: still on battery?
				   OK yes (or unreachable), BLOCKED online */
	ACT_HA_OFF,		/* the whole pool goes down: HA off first */
	ACT_HA_ON,		/* the pool is back: HA on as it was */
	ACT_POWER_ON,		/* host.power_on through the master, for a
				   host upsxen powered off */
	ACT_START_VMS,		/* start the VMs upsxen stopped on the host,
				   in their start order; BLOCKED: no host
				   can take some yet (storage, memory) */
	ACT_OP_COUNT
};

enum stop_scope {
	STOP_BLOCKERS,		/* the VMs that prevent evacuation */
	STOP_ALL		/* every VM still resident (not dom0) */
};

struct action {
	unsigned long	 id;
	enum action_op	 op;
	size_t		 pool;
	long		 host;		/* policy host index, -1 for pool ops */
	const char	*target;	/* DESIGNATE_MASTER: member name_label */
	enum stop_scope	 scope;		/* STOP_VMS */
	int		 hard;		/* STOP_VMS: hard_shutdown */
	const char	*reason;	/* why now: a static word */
	double		 due;		/* when it became due */
	/*
	 * EVACUATE, STOP_VMS: the members VMs may go to ("a,b"), when some
	 * member xapi would send them to is itself on battery or off; NULL:
	 * every enabled member will do (host.evacuate).
	 */
	const char	*targets;
	/*
	 * SHUTDOWN of the master: members that are off whatever xapi says
	 * (their power is gone; xapi believes a dead member live for ten
	 * minutes), "a,b"; NULL none.
	 */
	const char	*not_live;
	/*
	 * SHUTDOWN: the engine takes the host for the pool's master with
	 * no other member live, or (0) for a member. The pool can change
	 * its master after the engine's last look; whoever runs the action
	 * checks this just before the power-off and answers STALE.
	 */
	int		 as_master;
	/*
	 * WATCH: the host was powered on boot_timeout ago or more and is
	 * still not live; a "not yet" is then a failure to report (once).
	 */
	int		 overdue;
};

enum action_outcome {
	OUTCOME_OK,
	OUTCOME_BLOCKED,	/* see the op: VMs in the way, host not back */
	OUTCOME_TRANSIENT,	/* retried with backoff */
	OUTCOME_PERMANENT,	/* the host is failed with this reason */
	/*
	 * Nothing was done: the pool is not as the action assumed (a
	 * power-off for a member found the host master, or the master's
	 * found a member live). The engine looks at the pool again.
	 */
	OUTCOME_STALE
};

struct action_result {
	enum action_outcome	 outcome;
	const char		*error;		/* XenAPI code or text */
	int			 count;		/* BLOCKED: how many VMs */
};

/* What XenAPI says about one member of a pool. */
struct member_facts {
	const char	*name;		/* name_label */
	int		 live;		/* host_metrics.live */
	int		 enabled;
	int		 master;
	int		 marked;	/* other_config MAINTENANCE_MODE=true */
	int		 nvms;		/* running VMs resident, not dom0 */
	int		 evacuating;	/* current_operations has evacuate */
	int		 can_power_on;	/* power_on_mode is set */
};

struct pool_facts {
	int			 ha_enabled;
	size_t			 nmembers;
	const struct member_facts *members;
	int			 ha_off;	/* upsxen turned HA off */
};

enum ups_power {
	UPS_UNKNOWN,
	UPS_ONLINE,
	UPS_ON_BATTERY,
	UPS_LOW_BATTERY
};

enum host_stage {
	STAGE_NORMAL,
	STAGE_PENDING,		/* every feed on battery, timers armed */
	STAGE_DISABLING,
	STAGE_EVACUATING,
	STAGE_MAINTENANCE,
	STAGE_STOPPING_VMS,
	STAGE_SHUTTING_DOWN,
	STAGE_DOWN,
	STAGE_RETURNING,	/* leaving maintenance, restoring VMs */
	STAGE_FAILED
};

struct ups_status {
	enum ups_power	 power;
	double		 since;
	int		 low_on_mains;	/* its battery is low, on mains */
	int		 comms_lost;
	int		 doubt;		/* a restored outage too old to act
					   on until the card speaks */
};

struct host_status {
	enum host_stage	 stage;
	const char	*reason;	/* why it is in that stage */
	double		 next_deadline;	/* INFINITY if none */
	enum action_op	 last_op;
	int		 has_last;
	enum action_outcome last_outcome;
	const char	*error;		/* last error or failure reason */
};

/* Timing knobs; engine_new fills the defaults. */
struct engine_tuning {
	double	 retry_base;		/* first backoff, doubled each time */
	double	 retry_max;
	int	 max_attempts;		/* transient failures before giving up */
	double	 watch_interval;	/* re-check a host that is booting */
	/*
	 * Cards on one feed notice a failure seconds apart. An evacuation
	 * waits while another at-risk host of the pool falls due within
	 * this window, so that no VM is moved onto a host about to leave.
	 */
	double	 settle;
	double	 confirm_retry;		/* after a card said "online" */
	/*
	 * A new outage asks the pool for fresh facts, but not sooner than
	 * this after the last ones: a flapping card must not keep every
	 * master busy answering get_all_records.
	 */
	double	 outage_refresh_gap;
	/*
	 * Who is master can change under us (HA, an operator): no host is
	 * powered off on facts older than shutdown_fresh, and the pool is
	 * looked at shutdown_prelook before a power-off falls due so that
	 * the look does not delay it.
	 */
	double	 shutdown_fresh;
	double	 shutdown_prelook;
	/*
	 * A pool with HA whose every member is on battery turns HA off this
	 * long before its first power-off (or when a host starts to leave).
	 */
	double	 ha_lead;
	/*
	 * The last part of a pool's stop_budget, kept for hard stops: a
	 * clean stop still running then turns hard.
	 */
	double	 hard_stop_share;
};

#define ENGINE_HARD_STOP_SHARE	(1.0 / 3)	/* hard_stop_share's default */


struct engine	*engine_new(const struct policy *);
void		 engine_free(struct engine *);
struct engine_tuning *engine_tuning(struct engine *);

/* Returns -1 for an index that is not a UPS of the policy. */
int		 engine_on_ups_event(struct engine *, size_t, enum ups_event,
		    double);
/*
 * A polled card's own time on battery (its MIB's seconds on battery):
 * an outage that began earlier than the engine heard of it counts from
 * then. It only ever moves the start earlier. -1 for a bad index.
 */
int		 engine_on_battery_time(struct engine *, size_t, double,
		    double);
void		 engine_on_pool_facts(struct engine *, size_t,
		    const struct pool_facts *, double);
/* Returns -1 for an id the engine no longer waits for (it is ignored). */
int		 engine_on_result(struct engine *, unsigned long,
		    const struct action_result *, double);

/* Earliest time engine_take_actions has something to do; INFINITY if none. */
double		 engine_next_deadline(const struct engine *);
/*
 * Fill out[] with up to max actions due at `now`; returns how many. Call
 * again while it returns max. Strings in actions stay valid until the
 * engine is freed.
 */
size_t		 engine_take_actions(struct engine *, double, struct action *,
		    size_t);

/* Ask for fresh pool facts (the plugin does so periodically). */
void		 engine_want_refresh(struct engine *, size_t);
/*
 * A reloaded policy: the new engine takes over the old one's UPS states,
 * pool facts, hosts' progress and actions in flight, matched by name.
 * Answers to the old engine's actions are accepted by the new one.
 * Returns 0, or -1 when out of memory (the new engine is then unusable).
 */
int		 engine_adopt(struct engine *, const struct engine *, double);

/*
 * Durable state. engine_generation changes whenever anything worth saving
 * changes; engine_urgent_generation when it should be saved before the
 * actions just taken go out (a host touched for the first time, a
 * shutdown); engine_power_generation when a UPS's power state changed (it
 * sets the timers: worth saving soon, but a flapping card must not cost a
 * save per trap). `off` turns engine time into the caller's wall clock.
 * engine_import returns the hosts restored, or -1 with the reason in
 * its buffer (a value upsxen never writes, named by JSON path); on
 * success the buffer says what was not taken (a stale outage, clamped
 * times) or is empty.
 */
#define ENGINE_STATE_FILE	"state.json"	/* in the policy's state_dir */

json_t		*engine_export(const struct engine *, double);
int		 engine_import(struct engine *, json_t *, double, double,
		    char *, size_t);
unsigned long	 engine_generation(const struct engine *);
unsigned long	 engine_urgent_generation(const struct engine *);
unsigned long	 engine_power_generation(const struct engine *);

void		 engine_ups_status(const struct engine *, size_t,
		    struct ups_status *);
/*
 * As of the engine's last step; after an import, engine_evaluate derives
 * every host's stage at a given time first, without deciding anything.
 */
void		 engine_host_status(const struct engine *, size_t,
		    struct host_status *);
void		 engine_evaluate(struct engine *, double);
/* Actions handed out and not yet answered. */
size_t		 engine_inflight(const struct engine *);

/*
 * The pool may change between the engine's last look and a power-off
 * (HA, an operator): whoever runs ACT_SHUTDOWN looks just before and asks
 * this. is_master: the host is the pool's master now; other_live: another
 * member is live (read only for a->as_master). NULL: go ahead; else why
 * not, and the answer is OUTCOME_STALE.
 */
const char	*engine_poweroff_refusal(const struct action *, int, int);

const char	*action_op_name(enum action_op);
int		 action_op_parse(const char *, enum action_op *);
const char	*action_outcome_name(enum action_outcome);
int		 action_outcome_parse(const char *, enum action_outcome *);
/* Routine looks: no log line when asked, nor for a "not yet" answer. */
int		 action_op_quiet(enum action_op);
int		 action_result_quiet(enum action_op, enum action_outcome);
const char	*host_stage_name(enum host_stage);
const char	*ups_power_name(enum ups_power);

#endif

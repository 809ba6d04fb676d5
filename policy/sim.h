/*
 * A simulated pool on a virtual clock, to drive the real engine without
 * XenAPI: `upsxenctl plan`, the engine's tests and benchmarks.
 *
 * It is honest in the ways that matter to the schedule: actions take the
 * time they are given, evacuation places VMs only on live enabled hosts,
 * VMs pinned to a host block its evacuation, a shutdown with VMs still
 * resident is refused (as the plugin's worker refuses it) and a host that
 * loses power with VMs on it records them as crashed.
 */
#ifndef UPSXEN_SIM_H
#define UPSXEN_SIM_H

#include <stddef.h>

#include "engine.h"

struct policy;
struct sim;

struct sim_opts {
	double	 action_takes;		/* any XenAPI call */
	/*
	 * A host evacuation: VMs move one at a time, each vm_move_takes,
	 * or evacuate_takes for them all when vm_move_takes is 0. Those
	 * already moved are safe when it stops early.
	 */
	double	 evacuate_takes;
	double	 vm_move_takes;
	double	 vm_stop_takes;		/* a clean VM shutdown */
	double	 boot_takes;		/* power back to host live */
	int	 vms_per_host;
	/*
	 * What real pools do that the schedule must survive (0: not
	 * modelled). A member that lost power stays live and enabled for
	 * xapi this long (600 s in xapi); a booted host's xapi starts
	 * this long before it takes host.enable (HOST_STILL_BOOTING);
	 * a handover restarts every xapi restart_after later, for
	 * restart_takes; a running XenCenter disables every live, enabled
	 * host still marked MAINTENANCE_MODE.
	 */
	double	 dead_after;
	double	 xapi_start_takes;
	double	 restart_after;
	double	 restart_takes;
	int	 xencenter;
	/* The card cuts the output this long after its warning period. */
	double	 card_delay;
	/* The plugin looks at every pool this often (0: only when asked). */
	double	 facts_interval;
	/*
	 * Evacuations ignore the targets the engine names and follow xapi's
	 * plan over every enabled member: to measure what naming them saves.
	 */
	int	 xapi_plan_only;
};

enum sim_line_kind {
	SIM_EVENT,		/* a UPS event was fed to the engine */
	SIM_ACTION,		/* the engine asked for an action */
	SIM_RESULT,		/* an action finished */
	SIM_RESTART,		/* the engine was rebuilt from its state */
	SIM_FAULT,		/* the pool changed by itself (host) */
	SIM_MOVE,		/* a VM migrated (host to `to`) */
	SIM_POWER_LOST		/* host lost power, `count` VMs on it */
};

struct sim_line {
	enum sim_line_kind	 kind;
	double			 t;
	const struct action	*action;	/* ACTION, RESULT, MOVE */
	const struct action_result *result;	/* RESULT */
	/*
	 * RESULT of an action the engine asked for before a restart: the
	 * pool finished it, the new engine never hears of it.
	 */
	int			 orphan;
	/*
	 * RESULT of an action the engine dropped for a newer one on its
	 * host: the worker cancelled its tasks and sends no answer; xapi
	 * finished what it could not stop (the VM in flight).
	 */
	int			 abandoned;
	/*
	 * ACTION, RESULT: the action an operation already running in the
	 * pool (asked for before a restart) answers, as the plugin's worker
	 * follows a running evacuation instead of starting another.
	 */
	int			 follows;
	/*
	 * ACTION: refused before anything was done, as the worker's look
	 * just before a power-off refuses one the pool no longer allows.
	 */
	int			 refused;
	size_t			 ups;		/* EVENT */
	long			 host;		/* FAULT, MOVE, POWER_LOST */
	long			 to;		/* MOVE */
	int			 count;		/* POWER_LOST; MOVE: which VM */
	enum ups_event		 event;		/* EVENT */
};

typedef void	 sim_cb(const struct sim_line *, void *);

struct sim	*sim_new(const struct policy *, const struct sim_opts *);
void		 sim_free(struct sim *);
struct engine	*sim_engine(struct sim *);

int		 sim_add_event(struct sim *, double, size_t, enum ups_event);
/*
 * At time t the engine is rebuilt from what it exported, as after a
 * crash and restart: answers to actions in flight are lost, the pool
 * goes on with them.
 */
int		 sim_add_restart(struct sim *, double);
/*
 * Things the pool does by itself: at time t a member becomes master (HA,
 * or an operator), or a host crashes (its VMs die with it, not by our
 * doing) and boots again if it has power.
 */
int		 sim_add_master_change(struct sim *, double, size_t);
int		 sim_add_host_crash(struct sim *, double, size_t);
/* The master of a pool; by default the first host of each pool. */
int		 sim_set_master(struct sim *, size_t);
void		 sim_set_ha(struct sim *, size_t, int);
/* VMs on a host that cannot be evacuated (PCI, local storage ...). */
void		 sim_set_pinned(struct sim *, size_t, int);
/* The next `times` runs of op on host end with this outcome. */
void		 sim_inject(struct sim *, size_t, enum action_op,
		    enum action_outcome, const char *, int);
void		 sim_set_evacuate_takes(struct sim *, size_t, double);
/* This host's evacuations hang after `after` VMs: no VM moves again. */
void		 sim_set_hang(struct sim *, size_t, int);
/* A clean VM shutdown on this host never finishes. */
void		 sim_set_stuck_vms(struct sim *, size_t, int);

/* Run until nothing is left to do or `until`; -1 if it did not settle. */
int		 sim_run(struct sim *, double, sim_cb *, void *);

struct sim_host_state {
	int	 live;
	int	 enabled;
	int	 master;
	int	 marked;
	int	 vms;
	int	 crashed;	/* VMs that died with the host */
	int	 stopped;	/* VMs shut down on purpose */
	int	 shutdowns;
	int	 evacuations;
	int	 waiting;	/* VMs upsxen stopped there, not started */
};

void		 sim_host_state(const struct sim *, size_t,
		    struct sim_host_state *);
int		 sim_crashed_total(const struct sim *);
/* The names of the VMs running on a host (up to max); how many run. */
const char	*sim_vm_name(const struct sim *, int);
size_t		 sim_vm_names(const struct sim *, size_t, const char **,
		    size_t);

#endif

/*
 * fakexapi: a simulated XenServer pool that answers XenAPI over XML-RPC
 * with xapi's semantics (DESIGN.md "XenAPI"). One process serves every
 * member of the pool, each on its own address; they share one state under
 * one lock.
 *
 * Time: fake_now() is CLOCK_MONOTONIC seconds since start. Delays in the
 * pool JSON are in milliseconds (main.c lists them); those of xapi's own
 * timers default to xapi's values, and tests scale them down, never away.
 */
#ifndef FAKEXAPI_FAKE_H
#define FAKEXAPI_FAKE_H

#include <pthread.h>
#include <stdio.h>

#include <jansson.h>
#include <xmlrpc-c/base.h>

/* A VM's power_state (xapi_vm_lifecycle.ml). */
enum fpower {
	PS_HALTED,
	PS_PAUSED,
	PS_RUNNING,
	PS_SUSPENDED
};

/*
 * Where a host is in its life, as the machine really is (the DB's view is
 * fhost.live and fhost.enabled):
 *   DOWN      powered off: its address answers nothing
 *   BOOTING   powered on, or xapi restarting: connections are dropped
 *   STARTING  xapi runs its start-up: HOST_STILL_BOOTING to every call
 *   UP        xapi has started
 */
enum fphase {
	HP_DOWN,
	HP_BOOTING,
	HP_STARTING,
	HP_UP
};

/* What a CD drive holds (xenadmin EvacuateHostDialog.cs). */
enum fcd {
	CD_EMPTY,
	CD_LOCAL_ISO,	/* an ISO from the host's own ISO SR */
	CD_DVD,		/* the host's physical drive */
	CD_SHARED_ISO	/* an ISO from the pool's shared library */
};

struct fhost {
	char		*name;
	char		 ref[64];
	char		 uuid[64];
	char		 metrics_ref[64];
	char		 address[64];	/* its IP: listened on, and what
					   host.address says */
	int		 port;
	long		 memory_mib;
	int		 enabled;	/* the DB's host.enabled */
	int		 live;		/* host_metrics.live in the DB */
	int		 master;
	int		 hung;		/* accepts, never answers */
	int		 drops;		/* next calls: connection closed */
	int		 no_auto_enable; /* host.disable auto_enable=false */
	/*
	 * power_on_mode ("" the default: host.power_on refused); with
	 * power_on_fails its wake-up never arrives (a BMC unplugged, a
	 * WoL packet lost) and the plugin gives up.
	 */
	char		 power_on_mode[32];
	int		 power_on_fails;
	enum fphase	 phase;
	double		 phase_until;	/* BOOTING, STARTING end */
	double		 dead_at;	/* when the DB gives up on it */
	json_t		*other_config;	/* string -> string */
	/* Its own SRs: local disks, a local ISO library, the DVD drive. */
	char		 local_sr[64];
	char		 iso_sr[64];
	char		 dvd_sr[64];
	char		 dvd_vdi[64];
	/*
	 * Its PBDs to SR_SHARED and SR_SHARED_ISO, both alike:
	 * shared_attached is their currently_attached in the DB,
	 * shared_plugged_at when the host's own plug of them succeeds (at or
	 * before now: plugged there; INFINITY: not plugged, none under way).
	 */
	char		 pbd[2][64];
	int		 shared_attached;
	double		 shared_plugged_at;
	int		 user_disabled;	/* host.disable since xapi started */
};

struct fvm {
	char		*name;
	char		 ref[64];
	char		 uuid[64];
	long		 memory_mib;
	int		 host;		/* resident_on, -1 none */
	int		 home;		/* whose local SRs it uses */
	enum fpower	 power;
	int		 control_domain;
	int		 pci;
	int		 local_storage;
	int		 no_pv_drivers;
	int		 hangs_on_shutdown;
	int		 crashed;	/* died with its host */
	int		 ha_always_run;
	char		 ha_restart_priority[16];
	int		 order;		/* VM.order */
	int		 start_delay_ms; /* VM.start_delay, in ms here */
	enum fcd	 cd;
	char		 disk_vbd[64];
	char		 disk_vdi[64];
	char		 cd_vbd[64];
	char		 cd_vdi[64];	/* the ISO's VDI; "" for none */
	char		 cd_sr[64];	/* and its SR */
};

enum ftask_kind {
	FTASK_EVACUATE,
	FTASK_CLEAN_SHUTDOWN,
	FTASK_HARD_SHUTDOWN,
	FTASK_MIGRATE,
	FTASK_POWER_ON,		/* host.power_on: the plugin waits for live */
	FTASK_START,		/* VM.start */
	FTASK_DONE		/* an instant call's Async task */
};

/* Where an operation task is: see task.c. */
enum fstage {
	TS_START,		/* its checks run at the next step */
	TS_WAIT,		/* another operation holds the object */
	TS_DRAIN,		/* hard_shutdown: cancelled tasks end */
	TS_RUN,			/* registered, working until next_at */
	TS_DONE
};

struct fplan {
	int		 vm;
	int		 target;
};

struct ftask {
	char		 ref[64];
	char		 uuid[64];
	char		 name_label[96];
	enum ftask_kind	 kind;
	enum fstage	 stage;
	int		 host;		/* evacuate: the host */
	int		 vm;
	int		 target;	/* migrate, start: where to */
	int		 start_paused;	/* start: ends Paused */
	int		 started;	/* start: the domain runs */
	int		 resident_on;
	int		 forwarded_to;	/* -1: ran on the master */
	char		 status[16];	/* pending success failure cancelled */
	double		 created;	/* wall clock */
	double		 finished;	/* wall clock, 0: pending */
	double		 next_at;	/* fake_now() of the next step */
	double		 wait_until;	/* TS_WAIT gives up */
	double		 progress;
	int		 cancelling;	/* task.cancel was asked */
	char		 cancel_ref[64]; /* its task: current_operations */
	int		 destroy_when_done;
	int		 sync;		/* a sync call's task */
	int		 destroyed;
	char		*result;	/* the value's XML, or "" */
	json_t		*error_info;	/* array of strings */
	char		 parent[64];	/* subtask_of */
	/* An evacuation's plan, its next entry, and its migration. */
	struct fplan	*plan;
	int		 nplan;
	int		 plan_i;
	char		 child[64];
};

struct ffault {
	char		 method[96];
	int		 count;
	json_t		*desc;		/* [code, params...] */
};

struct fdelay {
	char		 method[96];
	int		 ms;
};

/* After the next `method` call about host: host becomes master. */
struct ftrigger {
	char		 method[96];
	int		 host;
};

struct fake {
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;		/* a call may have started work */
	double		 t0;
	char		 username[64];
	char		 password[128];
	/* Durations, in ms (pool JSON keys of the same names). */
	int		 per_vm_ms;
	int		 evacuate_ms;	/* before the first VM moves */
	int		 shutdown_ms;
	int		 boot_ms;
	int		 xapi_start_ms;
	int		 dead_after_ms;
	int		 restart_after_ms;
	int		 restart_ms;
	int		 op_wait_ms;
	int		 power_on_wait_ms;
	int		 start_ms;
	int		 shared_sr_ready_ms;
	/* HA (pool fields of the same names). */
	int		 ha;
	int		 ha_ntol;
	int		 ha_allow_overcommit;
	int		 xencenter;	/* fake.xencenter(true) */
	json_t		*pool_other_config;
	double		 restart_at;	/* every xapi restarts */
	struct fhost	*hosts;
	int		 nhosts;
	struct fvm	*vms;
	int		 nvms;
	struct ftask	**tasks;
	int		 ntasks;
	int		 ctasks;
	int		 task_seq;
	char		**sessions;
	int		 nsessions;
	int		 csessions;
	int		 session_seq;
	int		 logins;
	struct ffault	 faults[32];
	int		 nfaults;
	struct fdelay	 delays[32];
	int		 ndelays;
	struct ftrigger	 triggers[8];
	int		 ntriggers;
	FILE		*log;
	const char	*listen;	/* members' default address */
	volatile int	 stop;
};

/* The member a call arrived at. */
struct fmember {
	struct fake	*f;
	int		 host;
};

/* The operations on VMs and hosts that can hold them (current_operations). */
enum vmop {
	OP_CLEAN_SHUTDOWN,
	OP_HARD_SHUTDOWN,
	OP_POOL_MIGRATE,
	OP_START
};

/*
 * A date in an answer: api.c writes "FAKE_DATE" followed by the date as
 * xapi prints it, and the server turns the string into a dateTime.iso8601
 * value (main.c).
 */
#define FAKE_DATE	"@@fakexapi-date@@"

/* A void result as the task table keeps it (gen_server.ml). */
#define FAKE_VOID_RESULT	"<value></value>"

#define SR_SHARED	"OpaqueRef:SR-shared"
#define SR_SHARED_ISO	"OpaqueRef:SR-iso-library"
#define VDI_STATEFILE	"OpaqueRef:VDI-statefile"

/* pool.c */
int		 fake_load(struct fake *, const char *);
double		 fake_now(const struct fake *);
int		 fake_host_by_ref(const struct fake *, const char *);
int		 fake_host_by_name(const struct fake *, const char *);
int		 fake_vm_by_ref(const struct fake *, const char *);
int		 fake_master(const struct fake *);
int		 fake_resident(const struct fvm *);
long		 fake_free_mib(const struct fake *, int);
const char	*fake_power_name(enum fpower);
void		 fake_power_off(struct fake *, int, int);
void		 fake_power_on(struct fake *, int);
void		 fake_restart_toolstack(struct fake *);
int		 fake_accepts(const struct fake *, int);
void		 fake_tick(struct fake *);
double		 fake_next_event(const struct fake *);
json_t		*fake_state_json(struct fake *);
json_t		*date_json(double, int);
void		 fake_log(struct fake *, double, const char *, const char *,
		    json_t *, json_t *, json_t *);

/* ops.c: what xapi checks and does, each returning NULL or [code, ...] */
json_t		*fake_forward_error(const struct fake *, int);
json_t		*fake_vm_op_error(struct fake *, int, enum vmop,
		    const struct ftask *, int *);
json_t		*fake_can_boot_here(const struct fake *, int, int, int);
json_t		*fake_memory_error(const struct fake *, int, int);
int		 fake_choose_host(const struct fake *, int, int);
json_t		*fake_host_disable(struct fake *, int, int);
json_t		*fake_host_enable(struct fake *, int);
json_t		*fake_vm_ops(struct fake *, int);
json_t		*fake_vm_allowed(struct fake *, int);
json_t		*fake_host_ops(struct fake *, int);
const char	*fake_vm_sr_needed(const struct fake *, int, int);
const char	*vmop_name(enum vmop);
void		 fake_xencenter(struct fake *);

/* plan.c */
json_t		*fake_blockers(struct fake *, int, struct fplan **,
		    int *);
int		 fake_ha_plan(const struct fake *, int, int);
int		 fake_ha_plan_exists_for(const struct fake *);
int		 fake_ha_max_failures(const struct fake *, json_t *);
json_t		*fake_ha_disable_error(const struct fake *, int);
json_t		*fake_ha_protect_error(const struct fake *, int);

/* task.c */
struct ftask	*fake_task_new(struct fake *, enum ftask_kind,
		    const char *);
struct ftask	*fake_task_by_ref(struct fake *, const char *);
void		 fake_task_step(struct fake *, struct ftask *, double);
void		 fake_task_fail(struct fake *, struct ftask *, json_t *);
void		 fake_task_succeed(struct fake *, struct ftask *,
		    const char *);
void		 fake_task_cancel(struct fake *, struct ftask *);
int		 fake_task_pending(const struct ftask *);
void		 fake_tasks_forget(struct fake *);
void		 fake_tasks_reap(struct fake *);
json_t		*fake_task_record(struct fake *, struct ftask *);

/* api.c */
xmlrpc_value	*fake_dispatch(xmlrpc_env *, const char *, const char *,
		    xmlrpc_value *, void *);
xmlrpc_value	*fake_failure(xmlrpc_env *, json_t *);
xmlrpc_value	*fake_failure_v(xmlrpc_env *, const char *, ...);
xmlrpc_value	*fake_success(xmlrpc_env *, xmlrpc_value *);
json_t		*fake_error(const char *, ...);

/* control.c */
xmlrpc_value	*fake_control(xmlrpc_env *, struct fake *, const char *,
		    xmlrpc_value *);

#endif

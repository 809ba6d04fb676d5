/*
 * fakexapi: a simulated XenServer pool that answers XenAPI over XML-RPC
 * with xapi's semantics (DESIGN.md "XenAPI"). One process serves every
 * member of the pool, each on its own port; they share one state under
 * one lock.
 */
#ifndef FAKEXAPI_FAKE_H
#define FAKEXAPI_FAKE_H

#include <pthread.h>
#include <stdio.h>

#include <jansson.h>
#include <xmlrpc-c/base.h>

struct fhost {
	char		 name[64];
	char		 ref[64];
	char		 uuid[64];
	char		 metrics_ref[64];
	char		 address[64];	/* its IP: listened on, and what
					   host.address says */
	int		 port;
	long		 memory_mib;
	int		 enabled;
	int		 live;
	int		 master;
	int		 hung;		/* accepts, never answers */
	int		 drops;		/* next calls: connection closed */
	double		 boot_at;	/* powered on, xapi starting */
	json_t		*other_config;	/* string -> string */
};

struct fvm {
	char		 name[128];
	char		 ref[64];
	char		 uuid[64];
	long		 memory_mib;
	int		 host;		/* resident_on, -1 none */
	int		 running;
	int		 control_domain;
	int		 pci;
	int		 local_storage;
	int		 no_pv_drivers;
	int		 hangs_on_shutdown;
	int		 crashed;	/* died with its host */
};

enum ftask_kind {
	FTASK_EVACUATE,
	FTASK_CLEAN_SHUTDOWN,
	FTASK_HARD_SHUTDOWN,
	FTASK_MIGRATE
};

struct ftask {
	char		 ref[64];
	char		 uuid[64];
	enum ftask_kind	 kind;
	int		 host;
	int		 vm;
	int		 target;
	char		 status[16];	/* pending success failure cancelled */
	double		 started;
	double		 next_at;	/* when the next step happens */
	int		 done_vms;
	json_t		*error_info;	/* array of strings */
	int		 destroyed;
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
	int		 ha;
	int		 per_vm_ms;
	int		 evacuate_ms;	/* before the first VM moves */
	int		 shutdown_ms;
	int		 boot_ms;
	struct fhost	*hosts;
	int		 nhosts;
	struct fvm	*vms;
	int		 nvms;
	struct ftask	*tasks;
	int		 ntasks;
	int		 ctasks;
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

/*
 * A date in an answer: api.c writes "FAKE_DATE" followed by the date as
 * xapi prints it, and the server turns the string into a dateTime.iso8601
 * value (main.c).
 */
#define FAKE_DATE	"@@fakexapi-date@@"

/* pool.c */
int		 fake_load(struct fake *, const char *);
double		 fake_now(const struct fake *);
int		 fake_host_by_ref(const struct fake *, const char *);
int		 fake_host_by_name(const struct fake *, const char *);
int		 fake_vm_by_ref(const struct fake *, const char *);
int		 fake_master(const struct fake *);
long		 fake_free_mib(const struct fake *, int);
int		 fake_place_vm(const struct fake *, int, int);
void		 fake_power_off(struct fake *, int);
void		 fake_tick(struct fake *);
int		 fake_busy(const struct fake *);
struct ftask	*fake_task_new(struct fake *, enum ftask_kind, int, int, int);
struct ftask	*fake_task_by_ref(struct fake *, const char *);
json_t		*fake_state_json(const struct fake *);
json_t		*fake_blockers(const struct fake *, int);

/* api.c */
xmlrpc_value	*fake_dispatch(xmlrpc_env *, const char *, const char *,
		    xmlrpc_value *, void *);
xmlrpc_value	*fake_failure(xmlrpc_env *, json_t *);
xmlrpc_value	*fake_failure_v(xmlrpc_env *, const char *, ...);
xmlrpc_value	*fake_success(xmlrpc_env *, xmlrpc_value *);

/* control.c */
xmlrpc_value	*fake_control(xmlrpc_env *, struct fake *, const char *,
		    xmlrpc_value *);

#endif

/*
 * A small, typed XenAPI client: libcurl for HTTP(S), xmlrpc-c only to
 * encode calls and decode responses (DESIGN.md "XenAPI" and "xmlrpc-c
 * and libcurl").
 *
 * One connection object per pool, used by one thread at a time. Calls
 * block for at most the configured timeout. It logs in once (originator
 * "upsxen"), follows HOST_IS_SLAVE to the master, logs in again once on
 * SESSION_INVALID, and fails over to the other members it learnt at login
 * when the master stops answering. It knows nothing of snmptrapd or the
 * engine, and never puts the password in a message.
 */
#ifndef UPSXEN_XENAPI_H
#define UPSXEN_XENAPI_H

#include <stddef.h>

#define XENAPI_REF_LEN		64
#define XENAPI_NAME_LEN		128
#define XENAPI_MAX_PARAMS	6

enum xenapi_err_kind {
	XENAPI_OK,
	XENAPI_ERR_FAILURE,	/* xapi said Failure: code + params */
	XENAPI_ERR_TRANSPORT,	/* connect, reset, HTTP error */
	XENAPI_ERR_TIMEOUT,
	XENAPI_ERR_TLS,		/* certificate, name, pin */
	XENAPI_ERR_PROTOCOL	/* not a XenAPI answer */
};

struct xenapi_error {
	enum xenapi_err_kind	 kind;
	char			 code[128];
	char			 params[XENAPI_MAX_PARAMS][128];
	int			 nparams;
	char			 msg[512];
};

struct xenapi_config {
	const char	*url;		/* https://member[:port] */
	const char	*username;
	const char	*password;	/* copied, wiped on free */
	int		 verify;	/* check the certificate chain */
	int		 verify_name;	/* and that it names the host */
	const char	*ca_file;	/* NULL: the system's CAs */
	const char	*pins;		/* "sha256//B64;sha256//B64" or NULL */
	long		 timeout_ms;	/* each HTTP request */
	long		 connect_timeout_ms;
};

/* Warnings (TLS verification off, failover) for the caller to log. */
typedef void	 xenapi_log_fn(void *, const char *);

struct xenapi;

struct xenapi_host {
	char	 ref[XENAPI_REF_LEN];
	char	 name[XENAPI_NAME_LEN];
	char	 address[64];
	int	 enabled;
	int	 live;		/* host_metrics.live, as the master believes */
	int	 master;
	int	 maintenance;	/* other_config MAINTENANCE_MODE=true */
	int	 nvms;		/* VMs resident (Running, Paused), not dom0 */
	int	 evacuating;	/* current_operations has an evacuate */
	int	 power_on;	/* power_on_mode set: host.power_on can
				   wake it (wake-on-LAN, iLO, DRAC, IPMI) */
	long long memory_free;	/* host_metrics, bytes */
};

struct xenapi_pool {
	char			 ref[XENAPI_REF_LEN];
	int			 ha_enabled;
	int			 ha_off;	/* the caller's to fill */
	struct xenapi_host	*hosts;
	size_t			 nhosts;
};

enum xenapi_power {
	XENAPI_RUNNING,
	XENAPI_PAUSED,
	XENAPI_HALTED,
	XENAPI_SUSPENDED,
	XENAPI_POWER_OTHER
};

struct xenapi_vm {
	char		 ref[XENAPI_REF_LEN];
	char		 uuid[40];
	char		 name[XENAPI_NAME_LEN];
	enum xenapi_power power;
	int		 can_clean;	/* clean_shutdown is allowed */
	int		 ha_always_run;
	int		 stopping;	/* a shutdown of it runs */
	long long	 order;		/* its place in the start order */
	long long	 memory;	/* memory_static_max, bytes */
	char		 resident_on[XENAPI_REF_LEN];
	/* Blockers only: why it cannot move, and for VM_REQUIRES_SR the SR. */
	char		 reason[64];
	char		 sr[XENAPI_REF_LEN];
};

/* The pool's HA settings. */
struct xenapi_ha {
	char		 pool[XENAPI_REF_LEN];
	int		 enabled;
	int		 overcommit;
	long long	 ntol;		/* ha_host_failures_to_tolerate */
	long long	 plan_for;	/* ha_plan_exists_for */
};

enum xenapi_task_status {
	XENAPI_TASK_PENDING,
	XENAPI_TASK_SUCCESS,
	XENAPI_TASK_FAILURE,
	XENAPI_TASK_CANCELLED,
	/*
	 * HANDLE_INVALID: xapi restarted (a handover, HA, a toolstack
	 * restart) and forgot its tasks. Finished, outcome unknown: look at
	 * the objects again.
	 */
	XENAPI_TASK_VANISHED
};

/* Once per process, before any thread uses the client. */
int		 xenapi_global_init(void);
void		 xenapi_global_cleanup(void);

struct xenapi	*xenapi_new(const struct xenapi_config *, xenapi_log_fn *,
		    void *);
/* Logs out if logged in, then frees. */
void		 xenapi_free(struct xenapi *);
/*
 * While *flag is non-zero, requests end at once; xenapi_wakeup (the one
 * call safe from another thread) makes a request in progress notice.
 */
void		 xenapi_set_abort(struct xenapi *, const volatile int *);
void		 xenapi_wakeup(struct xenapi *);
int		 xenapi_login(struct xenapi *, struct xenapi_error *);
void		 xenapi_logout(struct xenapi *);
unsigned long	 xenapi_logins(const struct xenapi *);
unsigned long	 xenapi_calls(const struct xenapi *);
const char	*xenapi_url(const struct xenapi *);

int		 xenapi_pool_get(struct xenapi *, struct xenapi_pool *,
		    struct xenapi_error *);
/* The same without VM counts (nvms 0): who is master, who is live. */
int		 xenapi_pool_hosts(struct xenapi *, struct xenapi_pool *,
		    struct xenapi_error *);
/* The master's host ref only: one call. */
int		 xenapi_pool_master(struct xenapi *, char *,
		    struct xenapi_error *);
void		 xenapi_pool_clear(struct xenapi_pool *);
int		 xenapi_host_find(struct xenapi *, const char *, char *,
		    struct xenapi_error *);

int		 xenapi_host_disable(struct xenapi *, const char *,
		    struct xenapi_error *);
int		 xenapi_host_enable(struct xenapi *, const char *,
		    struct xenapi_error *);
/*
 * The master wakes the host by its power_on_mode (xapi_host.ml); the
 * call lasts until the host is live (minutes), so it is asked Async and
 * *task (XENAPI_REF_LEN) is its task.
 */
int		 xenapi_host_power_on_async(struct xenapi *, const char *,
		    char *, struct xenapi_error *);
/*
 * other_config of a "host" or the "pool": set key=value whether or not it
 * was there (remove, then add); get allocates the value ("" if absent).
 */
int		 xenapi_oc_set(struct xenapi *, const char *, const char *,
		    const char *, const char *, struct xenapi_error *);
int		 xenapi_oc_remove(struct xenapi *, const char *, const char *,
		    const char *, struct xenapi_error *);
int		 xenapi_oc_get(struct xenapi *, const char *, const char *,
		    const char *, char **, struct xenapi_error *);
int		 xenapi_host_set_other_config(struct xenapi *, const char *,
		    const char *, const char *, struct xenapi_error *);
int		 xenapi_host_remove_other_config(struct xenapi *, const char *,
		    const char *, struct xenapi_error *);
int		 xenapi_host_get_other_config(struct xenapi *, const char *,
		    const char *, char **, struct xenapi_error *);
/* VMs resident on a host (Running and Paused), control domains left out. */
int		 xenapi_host_vms(struct xenapi *, const char *,
		    struct xenapi_vm **, size_t *, struct xenapi_error *);
int		 xenapi_host_blockers(struct xenapi *, const char *,
		    struct xenapi_vm **, size_t *, struct xenapi_error *);
int		 xenapi_host_evacuate_async(struct xenapi *, const char *,
		    char *, struct xenapi_error *);
/* The task of an operation (e.g. "evacuate") running on the host, if
 * any: *task is "" when none is. */
int		 xenapi_host_current_task(struct xenapi *, const char *,
		    const char *, char *, struct xenapi_error *);
int		 xenapi_host_shutdown(struct xenapi *, const char *,
		    struct xenapi_error *);
int		 xenapi_vm_shutdown_async(struct xenapi *, const char *, int,
		    char *, struct xenapi_error *);
/* Start a halted VM wherever xapi can; *task is its task. */
int		 xenapi_vm_start_async(struct xenapi *, const char *, char *,
		    struct xenapi_error *);
int		 xenapi_vm_migrate_async(struct xenapi *, const char *,
		    const char *, char *, struct xenapi_error *);
int		 xenapi_vm_find(struct xenapi *, const char *, char *,
		    struct xenapi_error *);
int		 xenapi_vm_get(struct xenapi *, const char *,
		    struct xenapi_vm *, struct xenapi_error *);
int		 xenapi_vm_set_ha_always_run(struct xenapi *, const char *, int,
		    struct xenapi_error *);
/* Eject the VM's CDs that hold a disc from the SR; *ejected how many. */
int		 xenapi_vm_eject_cds(struct xenapi *, const char *,
		    const char *, int *, struct xenapi_error *);
int		 xenapi_pool_designate_new_master(struct xenapi *,
		    const char *, struct xenapi_error *);

/* HA: settings, the most failures the pool could tolerate, changes. */
int		 xenapi_pool_ha(struct xenapi *, struct xenapi_ha *,
		    struct xenapi_error *);
int		 xenapi_pool_ha_max(struct xenapi *, long long *,
		    struct xenapi_error *);
int		 xenapi_pool_set_ntol(struct xenapi *, const char *, long long,
		    struct xenapi_error *);
int		 xenapi_pool_ha_disable(struct xenapi *, struct xenapi_error *);
/* The heartbeat SRs, comma-separated, to enable HA with again. */
int		 xenapi_pool_ha_srs(struct xenapi *, char *, size_t,
		    struct xenapi_error *);
int		 xenapi_pool_ha_enable(struct xenapi *, const char *,
		    struct xenapi_error *);

int		 xenapi_task_poll(struct xenapi *, const char *,
		    enum xenapi_task_status *, struct xenapi_error *);
/* Poll until done or timeout_ms, then destroy it; 0 on success. */
int		 xenapi_task_wait(struct xenapi *, const char *, long,
		    struct xenapi_error *);
int		 xenapi_task_cancel(struct xenapi *, const char *,
		    struct xenapi_error *);
int		 xenapi_task_destroy(struct xenapi *, const char *,
		    struct xenapi_error *);

const char	*xenapi_err_kind_name(enum xenapi_err_kind);
/* Whether retrying later may help (timeouts, busy, toolstack restart). */
int		 xenapi_error_transient(const struct xenapi_error *);

#endif

/*
 * The policy: which UPS feeds which XenServer host, and when each host
 * enters maintenance and shuts down after its feeds fail (DESIGN.md
 * "The policy").
 *
 * Hosts are kept in one flat array; the hosts of a pool are contiguous
 * (pool->first_host .. first_host + nhosts), so that both the per-pool and
 * the per-host views are plain indexes.
 */
#ifndef UPSXEN_POLICY_H
#define UPSXEN_POLICY_H

#include <stddef.h>

#include "event.h"
#include "report.h"

#define POLICY_DEFAULT_STATE_DIR	"/var/lib/upsxen"
#define POLICY_DEFAULT_VM_SHUTDOWN	120.0
#define POLICY_DEFAULT_CALL_TIMEOUT	10.0
#define POLICY_DEFAULT_TASK_TIMEOUT	3600.0
#define POLICY_DEFAULT_STOP_BUDGET	30.0
#define POLICY_DEFAULT_HALT_TIME	60.0
#define POLICY_DEFAULT_LOW_BATTERY_RUNTIME 120.0
#define POLICY_DEFAULT_POLL		15.0
#define POLICY_DEFAULT_POWER_ON_AFTER	60.0
#define POLICY_DEFAULT_BOOT_TIMEOUT	900.0
#define POLICY_MAX_TIMER		86400.0
#define POLICY_MAX_OID_LEN		128

struct policy_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 bytes[16];
	char		 text[46];	/* canonical form */
};

enum policy_snmp_version {
	POLICY_SNMP_NONE,
	POLICY_SNMP_V1,
	POLICY_SNMP_V2C,
	POLICY_SNMP_V3
};

struct policy_snmp {
	enum policy_snmp_version version;
	char		*community;
	char		*user;
	char		*auth_protocol;		/* MD5, SHA, SHA-224 ... SHA-512 */
	char		*auth_password_file;
	char		*priv_protocol;		/* DES, AES, AES-192, AES-256 */
	char		*priv_password_file;
	int		 port;
	double		 poll_interval;
};

struct policy_ups {
	char			*name;
	struct policy_addr	*addrs;
	size_t			 naddrs;
	int			 has_warning_period;
	double			 warning_period;
	double			 low_battery_runtime; /* after low battery */
	char			*community;	/* required on traps, or NULL */
	char			*v3_user;	/* required on traps, or NULL */
	int			 v3_priv;	/* v3_level authPriv: encrypted */
	struct policy_snmp	 snmp;		/* version NONE: no polling */
	int			 confirm;
	size_t			 nhosts;	/* hosts it powers */
};

enum policy_on_restore {
	POLICY_RESTORE_SKIP,
	POLICY_RESTORE_VMS
};

struct policy_tls {
	int		 verify;
	int		 verify_name;	/* the certificate names the host */
	char		*ca_file;
	char		**pins;		/* "sha256//BASE64" each */
	size_t		 npins;
};

struct policy_pool {
	char			*name;
	char			*url;
	int			 https;
	char			*url_host;
	int			 url_port;
	int			 allow_plaintext;
	char			*username;
	char			*password_file;
	struct policy_tls	 tls;
	enum policy_on_restore	 on_restore;
	double			 vm_shutdown_timeout;
	double			 call_timeout;	/* each XenAPI request */
	double			 task_timeout;	/* a whole action: no answer
						   by then is a failed try */
	double			 stop_budget;	/* before a host's deadline:
						   stop what is left */
	double			 halt_time;	/* host.shutdown to power off */
	/*
	 * Hosts upsxen powered off are woken (host.power_on) once every
	 * feed has been back this long; power_on false: never. A host not
	 * live boot_timeout after it is reported.
	 */
	int			 power_on;
	double			 power_on_after;
	double			 boot_timeout;
	size_t			 first_host;
	size_t			 nhosts;
};

struct policy_host {
	char		*name;		/* XenAPI name_label */
	size_t		 pool;
	size_t		*powered_by;	/* indexes into policy->ups */
	size_t		 npowered_by;
	int		 has_maintenance;
	double		 maintenance_after;
	int		 has_shutdown;
	double		 shutdown_after;
};

struct policy_trap {
	unsigned long	*oid;
	size_t		 oid_len;
	enum ups_event	 event;
};

/* Every card address of every UPS, sorted: a trap's source in one search. */
struct policy_addr_entry {
	struct policy_addr	 addr;
	size_t			 ups;
};

struct policy {
	char			*path;
	char			*state_dir;
	struct policy_ups	*ups;
	size_t			 nups;
	struct policy_pool	*pools;
	size_t			 npools;
	struct policy_host	*hosts;
	size_t			 nhosts;
	struct policy_trap	*traps;
	size_t			 ntraps;
	struct policy_addr_entry *addr_index;
	size_t			 naddr_index;
};

/*
 * Load and validate. On any error NULL is returned and every error found
 * is in the report; warnings are reported either way. Relative paths in
 * the policy are taken relative to the policy file's directory.
 */
struct policy	*policy_load(const char *, struct report *);
struct policy	*policy_parse(const char *, size_t, const char *,
		    struct report *);
void		 policy_free(struct policy *);

/* Lookups; -1 when absent. */
long		 policy_ups_index(const struct policy *, const char *);
long		 policy_pool_index(const struct policy *, const char *);
long		 policy_host_index(const struct policy *, const char *);
/* The UPS a card address belongs to: a binary search (addr_index.c). */
long		 policy_ups_by_addr(const struct policy *,
		    const struct policy_addr *);
int		 policy_index_addrs(struct policy *);

int		 policy_oid_parse(const char *, unsigned long **, size_t *);

#endif

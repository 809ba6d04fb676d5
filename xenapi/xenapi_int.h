/*
 * The client's private parts, shared by error.c, http.c (the wire),
 * rpc.c (one XML-RPC exchange), session.c (login, redirect, failover),
 * call.c (the shapes of call) and the typed calls: ops.c (pool, hosts,
 * tasks), vm.c (VMs and their CDs), ha.c (the pool's HA). Each uses only
 * those before it.
 */
#ifndef UPSXEN_XENAPI_INT_H
#define UPSXEN_XENAPI_INT_H

#include <curl/curl.h>
#include <xmlrpc-c/base.h>

#include "xenapi.h"

struct xenapi {
	struct xenapi_config	 cfg;
	char			*url_orig;
	char			*username;
	char			*password;
	char			*ca_file;
	char			*pins;
	int			 https;
	int			 port;		/* of the configured url */
	char			 url[320];	/* the member we talk to */
	char			 session[XENAPI_REF_LEN];
	char			**members;	/* addresses learnt at login */
	size_t			 nmembers;
	CURL			*curl;
	CURLM			*multi;		/* so another thread can wake it */
	struct curl_slist	*headers;
	char			 curl_err[CURL_ERROR_SIZE];
	const volatile int	*abort;
	xenapi_log_fn		*log;
	void			*log_arg;
	unsigned long		 logins;
	unsigned long		 calls;
};

/* http.c */
int	 http_open(struct xenapi *);
void	 http_close(struct xenapi *);
int	 http_post(struct xenapi *, const char *, size_t, char **, size_t *,
	    struct xenapi_error *);

/* error.c */
void	 xerr(struct xenapi_error *, enum xenapi_err_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* rpc.c */
typedef void	 rpc_record_fn(void *, const char *, xmlrpc_value *);
int	 rpc_decode(const char *, size_t, xmlrpc_value **,
	    struct xenapi_error *);
int	 rpc_exchange(struct xenapi *, const char *, xmlrpc_value *,
	    xmlrpc_value **, struct xenapi_error *);
int	 rpc_read_string(xmlrpc_value *, const char *, char *, size_t);
int	 rpc_read_bool(xmlrpc_value *, const char *);
char	*rpc_dup_string(xmlrpc_value *, const char *);
long long rpc_read_int64(xmlrpc_value *, const char *);
int	 rpc_string_value(xmlrpc_value *, char *, size_t);
/* Whether a record's current_operations (task -> op) holds op. */
int	 rpc_operation_running(xmlrpc_value *, const char *);
void	 rpc_failure(xmlrpc_value *, const char *, struct xenapi_error *);
/* Walk a {ref: record} map as get_all_records answers it. */
int	 rpc_each_record(xmlrpc_value *, rpc_record_fn *, void *,
	    struct xenapi_error *);

/* session.c */
int	 session_call(struct xenapi *, const char *, xmlrpc_value *,
	    xmlrpc_value **, struct xenapi_error *);

/* call.c: string arguments after the session (NULL ends them) */
int	 call_strings(struct xenapi *, const char *, xmlrpc_value **,
	    struct xenapi_error *, const char *, const char *, const char *);
int	 call_void(struct xenapi *, const char *, struct xenapi_error *,
	    const char *, const char *, const char *);
int	 call_ref(struct xenapi *, const char *, char *,
	    struct xenapi_error *, const char *, const char *, const char *);
int	 call_all_records(struct xenapi *, const char *, rpc_record_fn *,
	    void *, struct xenapi_error *);

/* vm.c: Running or Paused, not a control domain; fills its host */
int	 vm_resident(xmlrpc_value *, char *, size_t);

#endif

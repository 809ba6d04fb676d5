/*
 * Sessions: log in once, follow HOST_IS_SLAVE to the master, log in again
 * once on SESSION_INVALID, and fail over to the other members learnt at
 * login when the one we talk to stops answering.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

#define LOGIN_HOPS	3
#define LOGOUT_MS	500L

/*
 * xapi names the master by its bare address (HOST_IS_SLAVE's parameter,
 * host.address): an IP address or a host name, never a port or a path
 * (session_check.ml, pool_role.ml). Anything else is refused: it would
 * send the login, password included, wherever the answer says.
 */
static int
host_name_ok(const char *s)
{
	size_t	 n = strlen(s), label = 0;
	const char *c;

	if (n == 0 || n > 253)
		return 0;
	for (c = s; *c; c++) {
		if (*c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || (*c == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* A member's address as xapi gives it; the scheme and port stay ours. */
static int
session_set_member(struct xenapi *x, const char *address)
{
	const char	*scheme = x->https ? "https" : "http";
	struct in6_addr	 a6;
	struct in_addr	 a4;
	int		 n;

	if (inet_pton(AF_INET6, address, &a6) == 1)
		n = snprintf(x->url, sizeof(x->url), "%s://[%s]:%d/", scheme,
		    address, x->port);
	else if (inet_pton(AF_INET, address, &a4) == 1 ||
	    host_name_ok(address))
		n = snprintf(x->url, sizeof(x->url), "%s://%s:%d/", scheme,
		    address, x->port);
	else
		return -1;
	return n > 0 && (size_t)n < sizeof(x->url) ? 0 : -1;
}

static int
transport_error(const struct xenapi_error *err)
{
	return err->kind == XENAPI_ERR_TRANSPORT ||
	    err->kind == XENAPI_ERR_TIMEOUT;
}

static int
failure_is(const struct xenapi_error *err, const char *code)
{
	return err->kind == XENAPI_ERR_FAILURE && strcmp(err->code, code) == 0;
}

static int
login_here(struct xenapi *x, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*params, *v = NULL;
	int		 rc;

	xmlrpc_env_init(&env);
	params = xmlrpc_build_value(&env, "(ssss)", x->username, x->password,
	    "1.3", "upsxen");
	if (env.fault_occurred) {
		xerr(err, XENAPI_ERR_PROTOCOL, "cannot encode the login");
		xmlrpc_env_clean(&env);
		return -1;
	}
	rc = rpc_exchange(x, "session.login_with_password", params, &v, err);
	xmlrpc_DECREF(params);
	xmlrpc_env_clean(&env);
	if (rc == 0 && rpc_string_value(v, x->session,
	    sizeof(x->session)) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: login answered no session",
		    x->url);
		rc = -1;
	}
	if (v)
		xmlrpc_DECREF(v);
	if (rc == 0)
		x->logins++;
	return rc;
}

/*
 * Log in where we are, following HOST_IS_SLAVE to the master, but never
 * back to `avoid`: a member that still names the dead master as its
 * master cannot help.
 */
static int
login_follow(struct xenapi *x, const char *avoid, struct xenapi_error *err)
{
	char	 bad[128];
	int	 hop;

	for (hop = 0; hop < LOGIN_HOPS; hop++) {
		if (login_here(x, err) == 0)
			return 0;
		if (!failure_is(err, "HOST_IS_SLAVE") || err->nparams < 1)
			return -1;
		if (session_set_member(x, err->params[0]) == -1) {
			snprintf(bad, sizeof(bad), "%s", err->params[0]);
			xerr(err, XENAPI_ERR_PROTOCOL, "%s: HOST_IS_SLAVE names "
			    "\"%.100s\", which is not an address: not followed",
			    x->url, bad);
			return -1;
		}
		if (avoid && strcmp(x->url, avoid) == 0)
			return -1;
	}
	return -1;
}

static void
forget_members(struct xenapi *x)
{
	size_t	 i;

	for (i = 0; i < x->nmembers; i++)
		free(x->members[i]);
	free(x->members);
	x->members = NULL;
	x->nmembers = 0;
}

static void
member_address(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct xenapi	*x = arg;
	char		 addr[256], **m;

	(void)ref;
	if (rpc_read_string(rec, "address", addr, sizeof(addr)) == -1 ||
	    addr[0] == '\0')
		return;
	if ((m = realloc(x->members, (x->nmembers + 1) * sizeof(*m))) == NULL)
		return;
	x->members = m;
	if ((m[x->nmembers] = strdup(addr)) != NULL)
		x->nmembers++;
}

/*
 * Every member's address, for failover: one host.get_all_records, no
 * VM records. Not fatal when it fails.
 */
static void
learn_members(struct xenapi *x)
{
	struct xenapi_error	 err;
	xmlrpc_value		*v = NULL;

	if (session_call(x, "host.get_all_records", NULL, &v, &err) == -1)
		return;
	forget_members(x);
	rpc_each_record(v, member_address, x, &err);
	xmlrpc_DECREF(v);
}

static int
login_failover(struct xenapi *x, struct xenapi_error *err)
{
	struct xenapi_error	 e2;
	char			 tried[sizeof(x->url)], msg[1280];
	size_t			 i;

	snprintf(tried, sizeof(tried), "%s", x->url);
	for (i = 0; i < x->nmembers; i++) {
		if (session_set_member(x, x->members[i]) == -1 ||
		    strcmp(x->url, tried) == 0)
			continue;
		if (login_follow(x, tried, &e2) == 0) {
			if (x->log) {
				snprintf(msg, sizeof(msg), "%s does not answer "
				    "(%s): now talking to %s", tried, err->msg,
				    x->url);
				x->log(x->log_arg, msg);
			}
			return 0;
		}
	}
	snprintf(x->url, sizeof(x->url), "%s", tried);
	return -1;
}

int
xenapi_login(struct xenapi *x, struct xenapi_error *err)
{
	x->session[0] = '\0';
	if (login_follow(x, NULL, err) == 0 ||
	    (transport_error(err) && login_failover(x, err) == 0)) {
		learn_members(x);
		return 0;
	}
	return -1;
}

void
xenapi_logout(struct xenapi *x)
{
	struct xenapi_error	 err;
	xmlrpc_value		*v = NULL;
	xmlrpc_env		 env;
	xmlrpc_value		*params;

	if (x->session[0] == '\0')
		return;
	xmlrpc_env_init(&env);
	params = xmlrpc_build_value(&env, "(s)", x->session);
	if (!env.fault_occurred) {
		/* Leaving must be quick even when the master is gone. */
		curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS,
		    x->cfg.timeout_ms < LOGOUT_MS ? x->cfg.timeout_ms :
		    LOGOUT_MS);
		rpc_exchange(x, "session.logout", params, &v, &err);
		curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS,
		    x->cfg.timeout_ms);
		xmlrpc_DECREF(params);
	}
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	x->session[0] = '\0';
}

static xmlrpc_value *
with_session(struct xenapi *x, xmlrpc_value *args)
{
	xmlrpc_env	 env;
	xmlrpc_value	*params, *s, *item;
	int		 i, n;

	xmlrpc_env_init(&env);
	params = xmlrpc_array_new(&env);
	s = xmlrpc_string_new(&env, x->session);
	xmlrpc_array_append_item(&env, params, s);
	xmlrpc_DECREF(s);
	n = args ? xmlrpc_array_size(&env, args) : 0;
	for (i = 0; i < n && !env.fault_occurred; i++) {
		xmlrpc_array_read_item(&env, args, i, &item);
		if (env.fault_occurred)
			break;
		xmlrpc_array_append_item(&env, params, item);
		xmlrpc_DECREF(item);
	}
	if (env.fault_occurred) {
		xmlrpc_DECREF(params);
		params = NULL;
	}
	xmlrpc_env_clean(&env);
	return params;
}

/* Whether a failed call may be tried once more, after what fixes it. */
static int
recover(struct xenapi *x, struct xenapi_error *err)
{
	if (failure_is(err, "SESSION_INVALID"))
		return xenapi_login(x, err) == 0;
	if (failure_is(err, "HOST_IS_SLAVE") && err->nparams > 0) {
		/* The master moved (designate_new_master, HA). */
		if (session_set_member(x, err->params[0]) == -1)
			return 0;
		return xenapi_login(x, err) == 0;
	}
	if (transport_error(err))
		return login_failover(x, err) == 0;
	return 0;
}

int
session_call(struct xenapi *x, const char *method, xmlrpc_value *args,
    xmlrpc_value **value, struct xenapi_error *err)
{
	xmlrpc_value	*params;
	int		 attempt, rc = -1;

	*value = NULL;
	if (x->session[0] == '\0' && xenapi_login(x, err) == -1)
		return -1;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((params = with_session(x, args)) == NULL) {
			xerr(err, XENAPI_ERR_PROTOCOL, "%s: cannot encode",
			    method);
			return -1;
		}
		rc = rpc_exchange(x, method, params, value, err);
		xmlrpc_DECREF(params);
		if (rc == 0 || attempt == 1 || !recover(x, err))
			break;
	}
	return rc;
}

/*
 * The shapes of call the typed layers (ops.c, vm.c, ha.c) make: string
 * arguments after the session, an answer that is nothing, a ref, or a
 * get_all_records map walked record by record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

/* A call whose arguments after the session are strings (NULL ends). */
int
call_strings(struct xenapi *x, const char *method, xmlrpc_value **value,
    struct xenapi_error *err, const char *a, const char *b, const char *c)
{
	xmlrpc_env	 env;
	xmlrpc_value	*args;
	int		 rc;

	xmlrpc_env_init(&env);
	if (a == NULL)
		args = xmlrpc_build_value(&env, "()");
	else if (b == NULL)
		args = xmlrpc_build_value(&env, "(s)", a);
	else if (c == NULL)
		args = xmlrpc_build_value(&env, "(ss)", a, b);
	else
		args = xmlrpc_build_value(&env, "(sss)", a, b, c);
	if (env.fault_occurred) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: cannot encode", method);
		xmlrpc_env_clean(&env);
		return -1;
	}
	rc = session_call(x, method, args, value, err);
	xmlrpc_DECREF(args);
	xmlrpc_env_clean(&env);
	return rc;
}

/* A call whose answer does not matter beyond success. */
int
call_void(struct xenapi *x, const char *method, struct xenapi_error *err,
    const char *a, const char *b, const char *c)
{
	xmlrpc_value	*v = NULL;
	int		 rc;

	rc = call_strings(x, method, &v, err, a, b, c);
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

/* A call that answers a ref (a task, a host). */
int
call_ref(struct xenapi *x, const char *method, char *ref,
    struct xenapi_error *err, const char *a, const char *b, const char *c)
{
	xmlrpc_value	*v = NULL;
	int		 rc;

	rc = call_strings(x, method, &v, err, a, b, c);
	if (rc == 0 && rpc_string_value(v, ref, XENAPI_REF_LEN) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: answer is not a ref",
		    method);
		rc = -1;
	}
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

int
call_all_records(struct xenapi *x, const char *cls, rpc_record_fn *fn, void *arg,
    struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	char		 method[64];
	int		 rc;

	snprintf(method, sizeof(method), "%s.get_all_records", cls);
	if ((rc = call_strings(x, method, &v, err, NULL, NULL, NULL)) == 0)
		rc = rpc_each_record(v, fn, arg, err);
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

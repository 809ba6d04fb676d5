/*
 * The pool's HA: its settings, the failures it can tolerate, and turning
 * it off and on (xapi_ha_vm_failover.ml, xapi_pool.ml, xapi_ha.ml).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

static void
ha_record(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct xenapi_ha	*ha = arg;

	snprintf(ha->pool, sizeof(ha->pool), "%s", ref);
	ha->enabled = rpc_read_bool(rec, "ha_enabled");
	ha->overcommit = rpc_read_bool(rec, "ha_allow_overcommit");
	ha->ntol = rpc_read_int64(rec, "ha_host_failures_to_tolerate");
	ha->plan_for = rpc_read_int64(rec, "ha_plan_exists_for");
}

int
xenapi_pool_ha(struct xenapi *x, struct xenapi_ha *ha,
    struct xenapi_error *err)
{
	memset(ha, 0, sizeof(*ha));
	if (call_all_records(x, "pool", ha_record, ha, err) == -1)
		return -1;
	if (ha->pool[0] == '\0') {
		xerr(err, XENAPI_ERR_PROTOCOL, "no pool record");
		return -1;
	}
	return 0;
}

struct restart_walk {
	xmlrpc_env	*env;
	xmlrpc_value	*config;
};

static void
restart_vm(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct restart_walk	*w = arg;
	xmlrpc_value		*p;

	(void)rec;
	p = xmlrpc_string_new(w->env, "restart");
	xmlrpc_struct_set_value(w->env, w->config, ref, p);
	xmlrpc_DECREF(p);
}

/*
 * The most host failures the pool could tolerate with its protected VMs
 * as they are: XenCenter asks with the VMs whose priority is "restart"
 * (HostAbstractAction.cs MaybeReduceNtolBeforeOp).
 */
int
xenapi_pool_ha_max(struct xenapi *x, long long *max, struct xenapi_error *err)
{
	struct restart_walk	 w;
	xmlrpc_env		 env;
	xmlrpc_value		*vms = NULL, *args, *v = NULL;
	char			 buf[32], *end;
	int			 rc;

	*max = 0;
	if (call_strings(x, "VM.get_all_records_where", &vms, err,
	    "field \"ha_restart_priority\" = \"restart\"", NULL, NULL) == -1)
		return -1;
	xmlrpc_env_init(&env);
	w.env = &env;
	w.config = xmlrpc_struct_new(&env);
	rc = rpc_each_record(vms, restart_vm, &w, err);
	xmlrpc_DECREF(vms);
	args = rc == 0 ? xmlrpc_build_value(&env, "(V)", w.config) : NULL;
	xmlrpc_DECREF(w.config);
	if (rc == -1 || env.fault_occurred) {
		if (rc == 0)
			xerr(err, XENAPI_ERR_PROTOCOL, "cannot encode");
		xmlrpc_env_clean(&env);
		return -1;
	}
	rc = session_call(x,
	    "pool.ha_compute_hypothetical_max_host_failures_to_tolerate", args,
	    &v, err);
	xmlrpc_DECREF(args);
	xmlrpc_env_clean(&env);
	if (rc == 0) {
		xmlrpc_env_init(&env);
		if (xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
			int i4;

			xmlrpc_read_int(&env, v, &i4);
			*max = i4;
		} else if (rpc_string_value(v, buf, sizeof(buf)) == 0) {
			*max = strtoll(buf, &end, 10);
			if (end == buf || *end != '\0')
				rc = -1;
		} else
			rc = -1;
		xmlrpc_env_clean(&env);
		if (rc == -1)
			xerr(err, XENAPI_ERR_PROTOCOL, "the pool's answer is "
			    "not a number of host failures");
	}
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

/* XenAPI's int is a 64-bit integer sent as a string. */
int
xenapi_pool_set_ntol(struct xenapi *x, const char *pool, long long n,
    struct xenapi_error *err)
{
	char	 num[32];

	snprintf(num, sizeof(num), "%lld", n);
	return call_void(x, "pool.set_ha_host_failures_to_tolerate", err, pool,
	    num, NULL);
}

int
xenapi_pool_ha_disable(struct xenapi *x, struct xenapi_error *err)
{
	return call_void(x, "pool.disable_ha", err, NULL, NULL, NULL);
}

/* The SRs of the pool's HA state files (pool.ha_statefiles are VDIs). */
int
xenapi_pool_ha_srs(struct xenapi *x, char *srs, size_t len,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL, *rec, *files = NULL, *item, *vdi = NULL;
	char		 ref[XENAPI_REF_LEN], sr[XENAPI_REF_LEN];
	int		 i, n, rc = 0;

	srs[0] = '\0';
	if (call_strings(x, "pool.get_all_records", &v, err, NULL, NULL,
	    NULL) == -1)
		return -1;
	xmlrpc_env_init(&env);
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRUCT ||
	    xmlrpc_struct_size(&env, v) < 1) {
		xmlrpc_env_clean(&env);
		xmlrpc_DECREF(v);
		xerr(err, XENAPI_ERR_PROTOCOL, "no pool record");
		return -1;
	}
	xmlrpc_struct_read_member(&env, v, 0, &item, &rec);
	xmlrpc_DECREF(item);
	xmlrpc_struct_find_value(&env, rec, "ha_statefiles", &files);
	n = files && xmlrpc_value_type(files) == XMLRPC_TYPE_ARRAY ?
	    xmlrpc_array_size(&env, files) : 0;
	for (i = 0; i < n && rc == 0 && !env.fault_occurred; i++) {
		xmlrpc_array_read_item(&env, files, i, &item);
		rpc_string_value(item, ref, sizeof(ref));
		xmlrpc_DECREF(item);
		if ((rc = call_strings(x, "VDI.get_record", &vdi, err, ref,
		    NULL, NULL)) == -1)
			break;
		rpc_read_string(vdi, "SR", sr, sizeof(sr));
		xmlrpc_DECREF(vdi);
		if (sr[0] && strstr(srs, sr) == NULL)
			snprintf(srs + strlen(srs), len - strlen(srs), "%s%s",
			    srs[0] ? "," : "", sr);
	}
	if (files)
		xmlrpc_DECREF(files);
	xmlrpc_DECREF(rec);
	xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return rc;
}

/* HA on again with the heartbeat SRs it had ("a,b"), no configuration. */
int
xenapi_pool_ha_enable(struct xenapi *x, const char *srs,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*args, *list, *s, *v = NULL;
	char		*copy, *sr, *save = NULL;
	int		 rc;

	if ((copy = strdup(srs)) == NULL) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory");
		return -1;
	}
	xmlrpc_env_init(&env);
	list = xmlrpc_array_new(&env);
	for (sr = strtok_r(copy, ",", &save); sr && !env.fault_occurred;
	    sr = strtok_r(NULL, ",", &save)) {
		s = xmlrpc_string_new(&env, sr);
		xmlrpc_array_append_item(&env, list, s);
		xmlrpc_DECREF(s);
	}
	free(copy);
	args = xmlrpc_build_value(&env, "(V{})", list);
	xmlrpc_DECREF(list);
	if (env.fault_occurred) {
		xerr(err, XENAPI_ERR_PROTOCOL, "cannot encode");
		xmlrpc_env_clean(&env);
		return -1;
	}
	rc = session_call(x, "pool.enable_ha", args, &v, err);
	xmlrpc_DECREF(args);
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return rc;
}

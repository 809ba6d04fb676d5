/*
 * The typed XenAPI calls upsxen makes, each a thin layer over
 * session_call() that turns xapi's records into plain C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenapi_int.h"

struct pool_walk {
	struct xenapi_pool	*pool;
	char			 master[XENAPI_REF_LEN];
	char			(*metrics)[XENAPI_REF_LEN];
	size_t			 cap;
	int			 nomem;
};

static void
pool_record(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct pool_walk	*w = arg;

	snprintf(w->pool->ref, sizeof(w->pool->ref), "%s", ref);
	rpc_read_string(rec, "master", w->master, sizeof(w->master));
	w->pool->ha_enabled = rpc_read_bool(rec, "ha_enabled");
}

static int
maintenance_marked(xmlrpc_value *rec)
{
	xmlrpc_env	 env;
	xmlrpc_value	*oc = NULL;
	char		 val[16] = "";

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, rec, "other_config", &oc);
	xmlrpc_env_clean(&env);
	if (oc == NULL)
		return 0;
	if (xmlrpc_value_type(oc) == XMLRPC_TYPE_STRUCT)
		rpc_read_string(oc, "MAINTENANCE_MODE", val, sizeof(val));
	xmlrpc_DECREF(oc);
	return strcmp(val, "true") == 0;
}

/* "" (the default) means no way to power the host on from the pool. */
static int
power_on_set(xmlrpc_value *rec)
{
	char	 mode[64];

	mode[0] = '\0';
	rpc_read_string(rec, "power_on_mode", mode, sizeof(mode));
	return mode[0] != '\0';
}

static void
host_record(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct pool_walk	*w = arg;
	struct xenapi_host	*h, *nh;
	char			(*nm)[XENAPI_REF_LEN];
	size_t			 cap;

	if (w->nomem)
		return;
	if (w->pool->nhosts == w->cap) {
		cap = w->cap ? w->cap * 2 : 16;
		if ((nh = realloc(w->pool->hosts, cap * sizeof(*nh))) != NULL)
			w->pool->hosts = nh;
		if ((nm = realloc(w->metrics, cap * sizeof(*nm))) != NULL)
			w->metrics = nm;
		/* A pool missing a member would look like one that lost it. */
		if (nh == NULL || nm == NULL) {
			w->nomem = 1;
			return;
		}
		w->cap = cap;
	}
	h = &w->pool->hosts[w->pool->nhosts];
	memset(h, 0, sizeof(*h));
	snprintf(h->ref, sizeof(h->ref), "%s", ref);
	rpc_read_string(rec, "name_label", h->name, sizeof(h->name));
	rpc_read_string(rec, "address", h->address, sizeof(h->address));
	rpc_read_string(rec, "metrics", w->metrics[w->pool->nhosts],
	    sizeof(w->metrics[0]));
	h->enabled = rpc_read_bool(rec, "enabled");
	h->power_on = power_on_set(rec);
	h->maintenance = maintenance_marked(rec);
	h->evacuating = rpc_operation_running(rec, "evacuate");
	h->master = strcmp(ref, w->master) == 0;
	w->pool->nhosts++;
}

static void
metrics_record(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct pool_walk	*w = arg;
	size_t			 i;

	for (i = 0; i < w->pool->nhosts; i++)
		if (strcmp(w->metrics[i], ref) == 0) {
			w->pool->hosts[i].live = rpc_read_bool(rec, "live");
			w->pool->hosts[i].memory_free = rpc_read_int64(rec,
			    "memory_free");
		}
}

static void
vm_record_count(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct pool_walk	*w = arg;
	char			 on[XENAPI_REF_LEN];
	size_t			 i;

	(void)ref;
	if (!vm_resident(rec, on, sizeof(on)))
		return;
	for (i = 0; i < w->pool->nhosts; i++)
		if (strcmp(w->pool->hosts[i].ref, on) == 0)
			w->pool->hosts[i].nvms++;
}

static int
pool_walk(struct xenapi *x, struct xenapi_pool *pool, int count_vms,
    struct xenapi_error *err)
{
	struct pool_walk	 w;
	int			 rc;

	memset(pool, 0, sizeof(*pool));
	memset(&w, 0, sizeof(w));
	w.pool = pool;
	rc = call_all_records(x, "pool", pool_record, &w, err);
	if (rc == 0)
		rc = call_all_records(x, "host", host_record, &w, err);
	if (rc == 0)
		rc = call_all_records(x, "host_metrics", metrics_record, &w, err);
	if (rc == 0 && w.nomem) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory for the hosts");
		rc = -1;
	}
	if (rc == 0 && count_vms)
		rc = call_all_records(x, "VM", vm_record_count, &w, err);
	free(w.metrics);
	if (rc == -1)
		xenapi_pool_clear(pool);
	return rc;
}

int
xenapi_pool_get(struct xenapi *x, struct xenapi_pool *pool,
    struct xenapi_error *err)
{
	return pool_walk(x, pool, 1, err);
}

int
xenapi_pool_hosts(struct xenapi *x, struct xenapi_pool *pool,
    struct xenapi_error *err)
{
	return pool_walk(x, pool, 0, err);
}

int
xenapi_pool_master(struct xenapi *x, char *ref, struct xenapi_error *err)
{
	struct xenapi_pool	 pool;
	struct pool_walk	 w;

	memset(&pool, 0, sizeof(pool));
	memset(&w, 0, sizeof(w));
	w.pool = &pool;
	if (call_all_records(x, "pool", pool_record, &w, err) == -1)
		return -1;
	snprintf(ref, XENAPI_REF_LEN, "%s", w.master);
	return 0;
}

void
xenapi_pool_clear(struct xenapi_pool *pool)
{
	free(pool->hosts);
	memset(pool, 0, sizeof(*pool));
}

static int
find_one(struct xenapi *x, const char *method, const char *what,
    const char *key, char *ref, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL, *item;
	int		 n, rc;

	if ((rc = call_strings(x, method, &v, err, key, NULL, NULL)) == -1)
		return -1;
	xmlrpc_env_init(&env);
	n = xmlrpc_value_type(v) == XMLRPC_TYPE_ARRAY ?
	    xmlrpc_array_size(&env, v) : -1;
	if (n < 0) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s answered no list", method);
		rc = -1;
	} else if (n != 1) {
		xerr(err, XENAPI_ERR_FAILURE, "%s \"%s\": %s", what, key,
		    n == 0 ? "no such name in the pool" : "name is ambiguous");
		snprintf(err->code, sizeof(err->code), "%s",
		    n == 0 ? "UPSXEN_NO_SUCH_NAME" : "UPSXEN_AMBIGUOUS_NAME");
		rc = -1;
	} else {
		xmlrpc_array_read_item(&env, v, 0, &item);
		if (env.fault_occurred ||
		    rpc_string_value(item, ref, XENAPI_REF_LEN) == -1) {
			xerr(err, XENAPI_ERR_PROTOCOL, "%s answered no ref",
			    method);
			rc = -1;
		}
		if (!env.fault_occurred)
			xmlrpc_DECREF(item);
	}
	xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return rc;
}

int
xenapi_host_find(struct xenapi *x, const char *name, char *ref,
    struct xenapi_error *err)
{
	return find_one(x, "host.get_by_name_label", "host", name, ref, err);
}

int
xenapi_host_disable(struct xenapi *x, const char *host,
    struct xenapi_error *err)
{
	return call_void(x, "host.disable", err, host, NULL, NULL);
}

int
xenapi_host_enable(struct xenapi *x, const char *host,
    struct xenapi_error *err)
{
	return call_void(x, "host.enable", err, host, NULL, NULL);
}

int
xenapi_host_power_on_async(struct xenapi *x, const char *host, char *task,
    struct xenapi_error *err)
{
	return call_ref(x, "Async.host.power_on", task, err, host, NULL, NULL);
}

/*
 * other_config of a host or the pool ("host", "pool"): XenCenter's
 * maintenance keys live on the host, upsxen's own records on the pool.
 */
int
xenapi_oc_remove(struct xenapi *x, const char *cls, const char *ref,
    const char *key, struct xenapi_error *err)
{
	char	 method[64];

	snprintf(method, sizeof(method), "%s.remove_from_other_config", cls);
	return call_void(x, method, err, ref, key, NULL);
}

int
xenapi_oc_set(struct xenapi *x, const char *cls, const char *ref,
    const char *key, const char *value, struct xenapi_error *err)
{
	char	 method[64];

	/* add_to_other_config fails with MAP_DUPLICATE_KEY: remove first. */
	if (xenapi_oc_remove(x, cls, ref, key, err) == -1)
		return -1;
	snprintf(method, sizeof(method), "%s.add_to_other_config", cls);
	return call_void(x, method, err, ref, key, value);
}

/* *value is malloc'd: "" when the key is absent; NULL on failure. */
int
xenapi_oc_get(struct xenapi *x, const char *cls, const char *ref,
    const char *key, char **value, struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	char		 method[64];
	int		 rc;

	*value = NULL;
	snprintf(method, sizeof(method), "%s.get_other_config", cls);
	rc = call_strings(x, method, &v, err, ref, NULL, NULL);
	if (rc == 0 && (*value = rpc_dup_string(v, key)) == NULL) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory");
		rc = -1;
	}
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

int
xenapi_host_remove_other_config(struct xenapi *x, const char *host,
    const char *key, struct xenapi_error *err)
{
	return xenapi_oc_remove(x, "host", host, key, err);
}

int
xenapi_host_set_other_config(struct xenapi *x, const char *host,
    const char *key, const char *value, struct xenapi_error *err)
{
	return xenapi_oc_set(x, "host", host, key, value, err);
}

int
xenapi_host_get_other_config(struct xenapi *x, const char *host,
    const char *key, char **value, struct xenapi_error *err)
{
	return xenapi_oc_get(x, "host", host, key, value, err);
}

int
xenapi_host_evacuate_async(struct xenapi *x, const char *host, char *task,
    struct xenapi_error *err)
{
	return call_ref(x, "Async.host.evacuate", task, err, host, NULL, NULL);
}

int
xenapi_host_current_task(struct xenapi *x, const char *host, const char *op,
    char *task, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL, *k, *val;
	char		 name[64];
	int		 i, n;

	task[0] = '\0';
	if (call_strings(x, "host.get_current_operations", &v, err, host, NULL,
	    NULL) == -1)
		return -1;
	xmlrpc_env_init(&env);
	n = xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT ?
	    xmlrpc_struct_size(&env, v) : 0;
	for (i = 0; i < n && task[0] == '\0'; i++) {
		xmlrpc_struct_read_member(&env, v, (unsigned)i, &k, &val);
		if (env.fault_occurred)
			break;
		if (rpc_string_value(val, name, sizeof(name)) == 0 &&
		    strcmp(name, op) == 0)
			rpc_string_value(k, task, XENAPI_REF_LEN);
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(val);
	}
	xmlrpc_env_clean(&env);
	xmlrpc_DECREF(v);
	return 0;
}

int
xenapi_host_shutdown(struct xenapi *x, const char *host,
    struct xenapi_error *err)
{
	return call_void(x, "host.shutdown", err, host, NULL, NULL);
}

int
xenapi_pool_designate_new_master(struct xenapi *x, const char *host,
    struct xenapi_error *err)
{
	return call_void(x, "pool.designate_new_master", err, host, NULL,
	    NULL);
}

static void
task_failure(xmlrpc_value *rec, const char *task, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*info = NULL;
	char		 prefix[XENAPI_REF_LEN + 8];

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, rec, "error_info", &info);
	xmlrpc_env_clean(&env);
	snprintf(prefix, sizeof(prefix), "task %s: ", task);
	rpc_failure(info, prefix, err);
	if (strcmp(err->code, "UNKNOWN_FAILURE") == 0)
		snprintf(err->code, sizeof(err->code), "TASK_FAILED");
	if (info)
		xmlrpc_DECREF(info);
}

int
xenapi_task_poll(struct xenapi *x, const char *task,
    enum xenapi_task_status *st, struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	char		 status[16];

	if (call_strings(x, "task.get_record", &v, err, task, NULL, NULL) ==
	    -1) {
		/* xapi keeps no task across a restart (datamodel.ml). */
		if (err->kind == XENAPI_ERR_FAILURE &&
		    strcmp(err->code, "HANDLE_INVALID") == 0) {
			*st = XENAPI_TASK_VANISHED;
			return 0;
		}
		return -1;
	}
	rpc_read_string(v, "status", status, sizeof(status));
	if (strcmp(status, "pending") == 0 ||
	    strcmp(status, "cancelling") == 0)
		*st = XENAPI_TASK_PENDING;
	else if (strcmp(status, "success") == 0)
		*st = XENAPI_TASK_SUCCESS;
	else if (strcmp(status, "cancelled") == 0) {
		*st = XENAPI_TASK_CANCELLED;
		task_failure(v, task, err);
	} else {
		*st = XENAPI_TASK_FAILURE;
		task_failure(v, task, err);
	}
	xmlrpc_DECREF(v);
	return 0;
}

int
xenapi_task_cancel(struct xenapi *x, const char *task,
    struct xenapi_error *err)
{
	return call_void(x, "task.cancel", err, task, NULL, NULL);
}

int
xenapi_task_destroy(struct xenapi *x, const char *task,
    struct xenapi_error *err)
{
	return call_void(x, "task.destroy", err, task, NULL, NULL);
}

static double
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
xenapi_task_wait(struct xenapi *x, const char *task, long timeout_ms,
    struct xenapi_error *err)
{
	struct xenapi_error	 e2;
	enum xenapi_task_status	 st = XENAPI_TASK_PENDING;
	struct timespec		 ts;
	double			 end = mono_ms() + (double)timeout_ms;
	long			 nap = 5;

	for (;;) {
		if (xenapi_task_poll(x, task, &st, err) == -1)
			return -1;
		if (st != XENAPI_TASK_PENDING)
			break;
		if (mono_ms() >= end) {
			xenapi_task_cancel(x, task, &e2);
			xenapi_task_destroy(x, task, &e2);
			xerr(err, XENAPI_ERR_TIMEOUT, "task %s still pending "
			    "after %ld ms (cancelled)", task, timeout_ms);
			return -1;
		}
		/* Poll fast at first (most tasks are short), then back off. */
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = (nap % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		if (nap < 200)
			nap *= 2;
	}
	if (st == XENAPI_TASK_VANISHED) {
		xerr(err, XENAPI_ERR_FAILURE, "task %s vanished: xapi "
		    "restarted, outcome unknown", task);
		snprintf(err->code, sizeof(err->code), "HANDLE_INVALID");
		return -1;
	}
	xenapi_task_destroy(x, task, &e2);
	return st == XENAPI_TASK_SUCCESS ? 0 : -1;
}

/*
 * The XenAPI methods fakexapi answers, with xapi's rules: Success/Failure
 * structs (a Failure is not an XML-RPC fault), sessions checked on every
 * call, HOST_IS_SLAVE from members that are not master, and the error
 * codes xapi gives for each misuse.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xmlrpc-c/abyss.h>

#include "fake.h"

#define ARGMAX	6
#define ARGLEN	256

struct call {
	double		 arrived;	/* CLOCK_MONOTONIC, for latency */
	struct fake	*f;
	xmlrpc_env	*env;
	const char	*method;
	char		 a[ARGMAX][ARGLEN];	/* string arguments */
	xmlrpc_value	*params;
	int		 nparams;
};

typedef xmlrpc_value	*handler_fn(struct call *);

/* JSON <-> XML-RPC, for failure descriptions, maps and the call log. */

static xmlrpc_value *
to_xmlrpc(xmlrpc_env *env, json_t *j)
{
	xmlrpc_value	*v, *item;
	const char	*key;
	json_t		*e;
	size_t		 i;
	char		 num[32];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v = xmlrpc_struct_new(env);
		json_object_foreach(j, key, e) {
			item = to_xmlrpc(env, e);
			xmlrpc_struct_set_value(env, v, key, item);
			xmlrpc_DECREF(item);
		}
		return v;
	case JSON_ARRAY:
		v = xmlrpc_array_new(env);
		json_array_foreach(j, i, e) {
			item = to_xmlrpc(env, e);
			xmlrpc_array_append_item(env, v, item);
			xmlrpc_DECREF(item);
		}
		return v;
	case JSON_TRUE:
	case JSON_FALSE:
		return xmlrpc_bool_new(env, json_is_true(j));
	case JSON_INTEGER:
		/* XenAPI sends 64-bit integers as strings. */
		snprintf(num, sizeof(num), "%lld", json_integer_value(j));
		return xmlrpc_string_new(env, num);
	case JSON_REAL:
		return xmlrpc_double_new(env, json_real_value(j));
	case JSON_STRING:
		return xmlrpc_string_new(env, json_string_value(j));
	case JSON_NULL:
		break;
	}
	return xmlrpc_string_new(env, "");
}

static json_t *
from_xmlrpc(xmlrpc_env *env, xmlrpc_value *v)
{
	json_t		*out;
	xmlrpc_value	*k, *e;
	const char	*s;
	int		 i, n;
	xmlrpc_bool	 b;
	double		 d;
	int		 iv;

	switch (xmlrpc_value_type(v)) {
	case XMLRPC_TYPE_STRING:
		xmlrpc_read_string(env, v, &s);
		if (env->fault_occurred)
			return json_null();
		out = json_string(s);
		free((void *)s);
		return out ? out : json_null();
	case XMLRPC_TYPE_BOOL:
		xmlrpc_read_bool(env, v, &b);
		return json_boolean(b);
	case XMLRPC_TYPE_INT:
		xmlrpc_read_int(env, v, &iv);
		return json_integer(iv);
	case XMLRPC_TYPE_DOUBLE:
		xmlrpc_read_double(env, v, &d);
		return json_real(d);
	case XMLRPC_TYPE_ARRAY:
		out = json_array();
		n = xmlrpc_array_size(env, v);
		for (i = 0; i < n; i++) {
			xmlrpc_array_read_item(env, v, i, &e);
			json_array_append_new(out, from_xmlrpc(env, e));
			xmlrpc_DECREF(e);
		}
		return out;
	case XMLRPC_TYPE_STRUCT:
		out = json_object();
		n = xmlrpc_struct_size(env, v);
		for (i = 0; i < n; i++) {
			xmlrpc_struct_read_member(env, v, (unsigned)i, &k, &e);
			xmlrpc_read_string(env, k, &s);
			if (!env->fault_occurred) {
				json_object_set_new(out, s, from_xmlrpc(env, e));
				free((void *)s);
			}
			xmlrpc_DECREF(k);
			xmlrpc_DECREF(e);
		}
		return out;
	default:
		return json_null();
	}
}

xmlrpc_value *
fake_success(xmlrpc_env *env, xmlrpc_value *value)
{
	xmlrpc_value	*r;

	r = xmlrpc_build_value(env, "{s:s,s:V}", "Status", "Success", "Value",
	    value);
	xmlrpc_DECREF(value);
	return r;
}

/* Takes the reference to desc. */
xmlrpc_value *
fake_failure(xmlrpc_env *env, json_t *desc)
{
	xmlrpc_value	*d, *r;

	d = to_xmlrpc(env, desc);
	json_decref(desc);
	r = xmlrpc_build_value(env, "{s:s,s:V}", "Status", "Failure",
	    "ErrorDescription", d);
	xmlrpc_DECREF(d);
	return r;
}

/* fake_failure_v(env, "CODE", "param", ..., NULL) */
xmlrpc_value *
fake_failure_v(xmlrpc_env *env, const char *code, ...)
{
	json_t		*desc = json_array();
	const char	*p;
	va_list		 ap;

	json_array_append_new(desc, json_string(code));
	va_start(ap, code);
	while ((p = va_arg(ap, const char *)) != NULL)
		json_array_append_new(desc, json_string(p));
	va_end(ap);
	return fake_failure(env, desc);
}

static xmlrpc_value *
ok_string(struct call *c, const char *s)
{
	return fake_success(c->env, xmlrpc_string_new(c->env, s));
}

static xmlrpc_value *
ok_empty(struct call *c)
{
	return ok_string(c, "");
}

static xmlrpc_value *
ok_json(struct call *c, json_t *j)
{
	xmlrpc_value	*v = to_xmlrpc(c->env, j);

	json_decref(j);
	return fake_success(c->env, v);
}

static const char *
vm_host_ref(const struct fake *f, const struct fvm *v)
{
	return v->host >= 0 ? f->hosts[v->host].ref : "OpaqueRef:NULL";
}

static struct ftask	*running_evacuation(struct fake *, int);

/*
 * A date as xapi prints it (date.ml): YYYYMMDDTHH:MM:SS then Z for the
 * dates xapi makes, or the ±HH:MM offset a client stored one with.
 */
static json_t *
date_json(time_t t, int offset_min)
{
	char		 buf[64], zone[8] = "Z";
	struct tm	 tm;

	t += offset_min * 60;
	gmtime_r(&t, &tm);
	if (offset_min != 0)
		snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_min < 0 ?
		    '-' : '+', abs(offset_min) / 60, abs(offset_min) % 60);
	snprintf(buf, sizeof(buf), "%s%04d%02d%02dT%02d:%02d:%02d%s",
	    FAKE_DATE, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return json_string(buf);
}

static json_t *
host_record(struct fake *f, int h)
{
	json_t		*resident = json_array(), *ops = json_object();
	struct ftask	*t;
	int		 i;

	for (i = 0; i < f->nvms; i++)
		if (f->vms[i].running && f->vms[i].host == h)
			json_array_append_new(resident,
			    json_string(f->vms[i].ref));
	if ((t = running_evacuation(f, h)) != NULL)
		json_object_set_new(ops, t->ref, json_string("evacuate"));
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:O, s:o, s:o}", "uuid",
	    f->hosts[h].uuid, "name_label", f->hosts[h].name, "address",
	    f->hosts[h].address, "enabled", f->hosts[h].enabled, "metrics",
	    f->hosts[h].metrics_ref, "other_config", f->hosts[h].other_config,
	    "resident_VMs", resident, "current_operations", ops);
}

static json_t *
metrics_record(const struct fake *f, int h)
{
	return json_pack("{s:s, s:b, s:I, s:I, s:o}", "uuid", f->hosts[h].uuid,
	    "live", f->hosts[h].live, "memory_total",
	    (json_int_t)f->hosts[h].memory_mib << 20, "memory_free",
	    (json_int_t)fake_free_mib(f, h) << 20, "last_updated",
	    date_json(time(NULL), 0));
}

static json_t *
vm_record(const struct fake *f, int i)
{
	const struct fvm	*v = &f->vms[i];

	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:{}}", "uuid",
	    v->uuid, "name_label", v->name, "power_state", v->running ?
	    "Running" : "Halted", "resident_on", vm_host_ref(f, v),
	    "is_control_domain", v->control_domain, "is_a_template", 0,
	    "memory_static_max", (json_int_t)v->memory_mib << 20,
	    "other_config");
}

/* Handles: an unknown one is HANDLE_INVALID [class, ref], as in xapi. */

static int
need_host(struct call *c, const char *ref, xmlrpc_value **fail)
{
	int	 h = fake_host_by_ref(c->f, ref);

	if (h == -1)
		*fail = fake_failure_v(c->env, "HANDLE_INVALID", "host", ref,
		    NULL);
	return h;
}

static int
need_vm(struct call *c, const char *ref, xmlrpc_value **fail)
{
	int	 v = fake_vm_by_ref(c->f, ref);

	if (v == -1)
		*fail = fake_failure_v(c->env, "HANDLE_INVALID", "VM", ref,
		    NULL);
	return v;
}

static xmlrpc_value *
m_logout(struct call *c)
{
	struct fake	*f = c->f;
	int		 i;

	for (i = 0; i < f->nsessions; i++)
		if (strcmp(f->sessions[i], c->a[0]) == 0) {
			free(f->sessions[i]);
			f->sessions[i] = f->sessions[--f->nsessions];
			break;
		}
	return ok_empty(c);
}

static xmlrpc_value *
m_pool_records(struct call *c)
{
	/* A date a client set, with its offset: xapi keeps and prints it. */
	return ok_json(c, json_pack("{s:{s:s, s:s, s:s, s:b, s:{}, s:o}}",
	    "OpaqueRef:pool-1", "uuid", "00000000-0000-0000-0000-000000000001",
	    "name_label", "pool", "master", c->f->hosts[fake_master(c->f)].ref,
	    "ha_enabled", c->f->ha, "other_config",
	    "telemetry_next_collection", date_json(time(NULL) + 86400, 120)));
}

static xmlrpc_value *
m_pool_master(struct call *c)
{
	return ok_string(c, c->f->hosts[fake_master(c->f)].ref);
}

static xmlrpc_value *
m_designate(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h, i;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	if (c->f->ha)
		return fake_failure_v(c->env, "HA_IS_ENABLED", NULL);
	if (!c->f->hosts[h].live)
		return fake_failure_v(c->env, "HOST_OFFLINE", c->a[1], NULL);
	for (i = 0; i < c->f->nhosts; i++)
		c->f->hosts[i].master = i == h;
	return ok_empty(c);
}

static xmlrpc_value *
m_host_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		json_object_set_new(all, c->f->hosts[i].ref,
		    host_record(c->f, i));
	return ok_json(c, all);
}

static xmlrpc_value *
m_host_record(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	return ok_json(c, host_record(c->f, h));
}

static xmlrpc_value *
m_host_by_name(struct call *c)
{
	json_t	*refs = json_array();
	int	 h = fake_host_by_name(c->f, c->a[1]);

	if (h >= 0)
		json_array_append_new(refs, json_string(c->f->hosts[h].ref));
	return ok_json(c, refs);
}

static xmlrpc_value *
m_metrics_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		json_object_set_new(all, c->f->hosts[i].metrics_ref,
		    metrics_record(c->f, i));
	return ok_json(c, all);
}

static xmlrpc_value *
m_metrics_live(struct call *c)
{
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		if (strcmp(c->f->hosts[i].metrics_ref, c->a[1]) == 0)
			return fake_success(c->env, xmlrpc_bool_new(c->env,
			    c->f->hosts[i].live));
	return fake_failure_v(c->env, "HANDLE_INVALID", "host_metrics",
	    c->a[1], NULL);
}

static xmlrpc_value *
m_host_enable(struct call *c, int on)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	if (!c->f->hosts[h].live)
		return fake_failure_v(c->env, "HOST_OFFLINE", c->a[1], NULL);
	c->f->hosts[h].enabled = on;
	return ok_empty(c);
}

static xmlrpc_value *
m_host_disable(struct call *c)
{
	return m_host_enable(c, 0);
}

static xmlrpc_value *
m_host_enable_on(struct call *c)
{
	return m_host_enable(c, 1);
}

static xmlrpc_value *
m_add_other_config(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	if (json_object_get(c->f->hosts[h].other_config, c->a[2]) != NULL)
		return fake_failure_v(c->env, "MAP_DUPLICATE_KEY", "host",
		    "other_config", c->a[1], c->a[2], NULL);
	json_object_set_new(c->f->hosts[h].other_config, c->a[2],
	    json_string(c->a[3]));
	return ok_empty(c);
}

static xmlrpc_value *
m_remove_other_config(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	json_object_del(c->f->hosts[h].other_config, c->a[2]);
	return ok_empty(c);
}

static xmlrpc_value *
m_get_other_config(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	return ok_json(c, json_incref(c->f->hosts[h].other_config));
}

static xmlrpc_value *
m_blockers(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	return ok_json(c, fake_blockers(c->f, h));
}

static xmlrpc_value *
m_resident_vms(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	json_t		*rec;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	rec = host_record(c->f, h);
	json_incref(json_object_get(rec, "resident_VMs"));
	fail = ok_json(c, json_object_get(rec, "resident_VMs"));
	json_decref(rec);
	return fail;
}

/* Wait for a task with the lock released: a synchronous call. */
static struct ftask *
wait_task(struct call *c, struct ftask *t)
{
	char	 ref[64];

	snprintf(ref, sizeof(ref), "%s", t->ref);
	for (;;) {
		t = fake_task_by_ref(c->f, ref);
		if (t == NULL || strcmp(t->status, "pending") != 0 ||
		    c->f->stop)
			return t;
		pthread_mutex_unlock(&c->f->mu);
		usleep(2000);
		pthread_mutex_lock(&c->f->mu);
		fake_tick(c->f);
	}
}

static xmlrpc_value *
task_answer(struct call *c, struct ftask *t, int async)
{
	if (t == NULL)
		return fake_failure_v(c->env, "INTERNAL_ERROR", "no memory",
		    NULL);
	if (async)
		return ok_string(c, t->ref);
	t = wait_task(c, t);
	if (t == NULL || strcmp(t->status, "success") != 0)
		return fake_failure(c->env, t ? json_incref(t->error_info) :
		    json_pack("[s]", "TASK_CANCELLED"));
	return ok_empty(c);
}

static struct ftask *
running_evacuation(struct fake *f, int h)
{
	int	 i;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i].kind == FTASK_EVACUATE &&
		    f->tasks[i].host == h && !f->tasks[i].destroyed &&
		    strcmp(f->tasks[i].status, "pending") == 0)
			return &f->tasks[i];
	return NULL;
}

static xmlrpc_value *
m_current_operations(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	struct ftask	*t;
	json_t		*ops = json_object();
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1) {
		json_decref(ops);
		return fail;
	}
	if ((t = running_evacuation(c->f, h)) != NULL)
		json_object_set_new(ops, t->ref, json_string("evacuate"));
	return ok_json(c, ops);
}

static xmlrpc_value *
m_evacuate(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	struct ftask	*t;
	json_t		*b, *first = NULL;
	const char	*key;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	if ((t = running_evacuation(c->f, h)) != NULL)
		return fake_failure_v(c->env, "OTHER_OPERATION_IN_PROGRESS",
		    "host", c->a[1], t->ref, NULL);
	b = fake_blockers(c->f, h);
	if (json_object_size(b) > 0) {
		/* xapi refuses the whole evacuation for one blocker. */
		json_object_foreach(b, key, first)
			break;
		fail = fake_failure(c->env, json_incref(first));
		json_decref(b);
		return fail;
	}
	json_decref(b);
	return task_answer(c, fake_task_new(c->f, FTASK_EVACUATE, h, -1, -1),
	    strncmp(c->method, "Async.", 6) == 0);
}

static xmlrpc_value *
m_host_shutdown(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 h;

	if ((h = need_host(c, c->a[1], &fail)) == -1)
		return fail;
	if (c->f->hosts[h].enabled)
		return fake_failure_v(c->env, "HOST_NOT_DISABLED", NULL);
	/* xapi does not refuse running VMs: they die with the host. */
	fake_power_off(c->f, h);
	return ok_empty(c);
}

static xmlrpc_value *
m_vm_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nvms; i++)
		json_object_set_new(all, c->f->vms[i].ref, vm_record(c->f, i));
	return ok_json(c, all);
}

/*
 * One clause of xapi's query language: field "NAME" = "VALUE". Returns
 * the text after it, or NULL when it is not one.
 */
static const char *
where_clause(const char *s, char *name, char *value, size_t len)
{
	size_t	 n;

	s += strspn(s, " ");
	if (strncmp(s, "field \"", 7) != 0)
		return NULL;
	s += 7;
	if ((n = strcspn(s, "\"")) >= len || s[n] != '"')
		return NULL;
	memcpy(name, s, n);
	name[n] = '\0';
	s += n + 1;
	s += strspn(s, " ");
	if (*s++ != '=')
		return NULL;
	s += strspn(s, " ");
	if (*s++ != '"' || (n = strcspn(s, "\"")) >= len || s[n] != '"')
		return NULL;
	memcpy(value, s, n);
	value[n] = '\0';
	return s + n + 1;
}

static int
where_match(json_t *rec, const char *name, const char *value)
{
	json_t	*v = json_object_get(rec, name);

	if (json_is_string(v))
		return strcmp(json_string_value(v), value) == 0;
	if (json_is_boolean(v))
		return strcmp(json_is_true(v) ? "true" : "false", value) == 0;
	return 0;
}

/* VM.get_all_records_where: clauses joined by "and", as xapi parses. */
static xmlrpc_value *
m_vm_records_where(struct call *c)
{
	char		 name[ARGLEN], value[ARGLEN];
	const char	*s;
	json_t		*all = json_object(), *rec;
	int		 i, keep;

	for (i = 0; i < c->f->nvms; i++) {
		rec = vm_record(c->f, i);
		keep = 1;
		for (s = c->a[1]; s && *s; ) {
			if ((s = where_clause(s, name, value, sizeof(name))) ==
			    NULL)
				break;
			keep = keep && where_match(rec, name, value);
			s += strspn(s, " ");
			if (*s && strncmp(s, "and ", 4) != 0) {
				s = NULL;
				break;
			}
			if (*s)
				s += 4;
		}
		if (s == NULL) {
			json_decref(rec);
			json_decref(all);
			return fake_failure_v(c->env, "INTERNAL_ERROR",
			    "Db_filter.Expression_error", c->a[1], NULL);
		}
		if (keep)
			json_object_set_new(all, c->f->vms[i].ref, rec);
		else
			json_decref(rec);
	}
	return ok_json(c, all);
}

static xmlrpc_value *
m_vm_record(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 v;

	if ((v = need_vm(c, c->a[1], &fail)) == -1)
		return fail;
	return ok_json(c, vm_record(c->f, v));
}

static xmlrpc_value *
m_vm_by_uuid(struct call *c)
{
	int	 i;

	for (i = 0; i < c->f->nvms; i++)
		if (strcmp(c->f->vms[i].uuid, c->a[1]) == 0)
			return ok_string(c, c->f->vms[i].ref);
	return fake_failure_v(c->env, "UUID_INVALID", "VM", c->a[1], NULL);
}

static xmlrpc_value *
m_vm_shutdown(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	int		 v, hard;

	if ((v = need_vm(c, c->a[1], &fail)) == -1)
		return fail;
	if (c->f->vms[v].control_domain)
		return fake_failure_v(c->env, "OPERATION_NOT_ALLOWED",
		    "control domain", NULL);
	if (!c->f->vms[v].running)
		return fake_failure_v(c->env, "VM_BAD_POWER_STATE", c->a[1],
		    "running", "halted", NULL);
	hard = strstr(c->method, "hard_shutdown") != NULL;
	return task_answer(c, fake_task_new(c->f, hard ? FTASK_HARD_SHUTDOWN :
	    FTASK_CLEAN_SHUTDOWN, c->f->vms[v].host, v, -1),
	    strncmp(c->method, "Async.", 6) == 0);
}

static xmlrpc_value *
m_pool_migrate(struct call *c)
{
	xmlrpc_value	*fail = NULL;
	struct fvm	*vm;
	int		 v, h;

	if ((v = need_vm(c, c->a[1], &fail)) == -1 ||
	    (h = need_host(c, c->a[2], &fail)) == -1)
		return fail;
	vm = &c->f->vms[v];
	if (!vm->running)
		return fake_failure_v(c->env, "VM_BAD_POWER_STATE", c->a[1],
		    "running", "halted", NULL);
	if (vm->pci)
		return fake_failure_v(c->env, "VM_HAS_PCI_ATTACHED", c->a[1],
		    "OpaqueRef:pci-1", NULL);
	if (vm->local_storage)
		return fake_failure_v(c->env, "VM_REQUIRES_SR", c->a[1],
		    "OpaqueRef:sr-local", NULL);
	if (!c->f->hosts[h].live)
		return fake_failure_v(c->env, "HOST_OFFLINE", c->a[2], NULL);
	if (!c->f->hosts[h].enabled)
		return fake_failure_v(c->env, "HOST_DISABLED", c->a[2], NULL);
	if (fake_free_mib(c->f, h) < vm->memory_mib)
		return fake_failure_v(c->env, "HOST_NOT_ENOUGH_FREE_MEMORY",
		    "needed", "available", NULL);
	return task_answer(c, fake_task_new(c->f, FTASK_MIGRATE, vm->host, v,
	    h), strncmp(c->method, "Async.", 6) == 0);
}

static xmlrpc_value *
m_task_record(struct call *c)
{
	struct ftask	*t = fake_task_by_ref(c->f, c->a[1]);
	xmlrpc_value	*v;
	double		 progress;

	if (t == NULL)
		return fake_failure_v(c->env, "HANDLE_INVALID", "task",
		    c->a[1], NULL);
	progress = strcmp(t->status, "pending") == 0 ? 0.5 : 1.0;
	v = to_xmlrpc(c->env, json_pack("{s:s, s:s, s:s, s:f, s:s, s:O}",
	    "uuid", t->uuid, "name_label", t->ref, "status", t->status,
	    "progress", progress, "result", "", "error_info", t->error_info));
	return fake_success(c->env, v);
}

static xmlrpc_value *
m_task_status(struct call *c)
{
	struct ftask	*t = fake_task_by_ref(c->f, c->a[1]);

	if (t == NULL)
		return fake_failure_v(c->env, "HANDLE_INVALID", "task",
		    c->a[1], NULL);
	return ok_string(c, t->status);
}

static xmlrpc_value *
m_task_destroy(struct call *c)
{
	struct ftask	*t = fake_task_by_ref(c->f, c->a[1]);

	if (t == NULL)
		return fake_failure_v(c->env, "HANDLE_INVALID", "task",
		    c->a[1], NULL);
	t->destroyed = 1;
	return ok_empty(c);
}

static xmlrpc_value *
m_task_cancel(struct call *c)
{
	struct ftask	*t = fake_task_by_ref(c->f, c->a[1]);

	if (t == NULL)
		return fake_failure_v(c->env, "HANDLE_INVALID", "task",
		    c->a[1], NULL);
	if (strcmp(t->status, "pending") == 0) {
		snprintf(t->status, sizeof(t->status), "cancelled");
		json_decref(t->error_info);
		t->error_info = json_pack("[s,s]", "TASK_CANCELLED", t->ref);
	}
	return ok_empty(c);
}

static const struct method {
	const char	*name;
	int		 nargs;		/* including the session */
	handler_fn	*fn;
} methods[] = {
	{ "session.logout", 1, m_logout },
	{ "pool.get_all_records", 1, m_pool_records },
	{ "pool.get_master", 1, m_pool_master },
	{ "pool.designate_new_master", 2, m_designate },
	{ "host.get_all_records", 1, m_host_records },
	{ "host.get_record", 2, m_host_record },
	{ "host.get_by_name_label", 2, m_host_by_name },
	{ "host.get_resident_VMs", 2, m_resident_vms },
	{ "host_metrics.get_all_records", 1, m_metrics_records },
	{ "host_metrics.get_live", 2, m_metrics_live },
	{ "host.disable", 2, m_host_disable },
	{ "host.enable", 2, m_host_enable_on },
	{ "host.add_to_other_config", 4, m_add_other_config },
	{ "host.remove_from_other_config", 3, m_remove_other_config },
	{ "host.get_other_config", 2, m_get_other_config },
	{ "host.get_vms_which_prevent_evacuation", 2, m_blockers },
	{ "host.get_current_operations", 2, m_current_operations },
	{ "host.evacuate", 2, m_evacuate },
	{ "Async.host.evacuate", 2, m_evacuate },
	{ "host.shutdown", 2, m_host_shutdown },
	{ "VM.get_all_records", 1, m_vm_records },
	{ "VM.get_all_records_where", 2, m_vm_records_where },
	{ "VM.get_record", 2, m_vm_record },
	{ "VM.get_by_uuid", 2, m_vm_by_uuid },
	{ "VM.clean_shutdown", 2, m_vm_shutdown },
	{ "Async.VM.clean_shutdown", 2, m_vm_shutdown },
	{ "VM.hard_shutdown", 2, m_vm_shutdown },
	{ "Async.VM.hard_shutdown", 2, m_vm_shutdown },
	{ "VM.pool_migrate", 4, m_pool_migrate },
	{ "Async.VM.pool_migrate", 4, m_pool_migrate },
	{ "task.get_record", 2, m_task_record },
	{ "task.get_status", 2, m_task_status },
	{ "task.destroy", 2, m_task_destroy },
	{ "task.cancel", 2, m_task_cancel },
	{ NULL, 0, NULL }
};

static void
read_args(struct call *c)
{
	xmlrpc_value	*v;
	const char	*s;
	int		 i;

	c->nparams = xmlrpc_array_size(c->env, c->params);
	for (i = 0; i < c->nparams && i < ARGMAX; i++) {
		xmlrpc_array_read_item(c->env, c->params, i, &v);
		if (c->env->fault_occurred)
			return;
		if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
			xmlrpc_read_string(c->env, v, &s);
			if (!c->env->fault_occurred) {
				snprintf(c->a[i], ARGLEN, "%s", s);
				free((void *)s);
			}
		}
		xmlrpc_DECREF(v);
	}
}

static int
session_valid(const struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; i < f->nsessions; i++)
		if (strcmp(f->sessions[i], ref) == 0)
			return 1;
	return 0;
}

static xmlrpc_value *
m_login(struct call *c, const struct fmember *m)
{
	struct fake	*f = c->f;
	char		 ref[64], **ns;

	if (!f->hosts[m->host].master)
		return fake_failure_v(c->env, "HOST_IS_SLAVE",
		    f->hosts[fake_master(f)].address, NULL);
	if (c->nparams < 2 || strcmp(c->a[0], f->username) != 0 ||
	    strcmp(c->a[1], f->password) != 0)
		return fake_failure_v(c->env, "SESSION_AUTHENTICATION_FAILED",
		    c->a[0], "Authentication failure", NULL);
	if (f->nsessions == f->csessions) {
		int n = f->csessions ? f->csessions * 2 : 16;
		if ((ns = realloc(f->sessions, (size_t)n * sizeof(*ns))) ==
		    NULL)
			return fake_failure_v(c->env, "INTERNAL_ERROR", NULL);
		f->sessions = ns;
		f->csessions = n;
	}
	snprintf(ref, sizeof(ref), "OpaqueRef:session-%d", ++f->session_seq);
	f->sessions[f->nsessions++] = strdup(ref);
	f->logins++;
	return ok_string(c, ref);
}

static xmlrpc_value *
injected_fault(struct call *c)
{
	struct fake	*f = c->f;
	int		 i;

	for (i = 0; i < f->nfaults; i++)
		if (f->faults[i].count > 0 &&
		    strcmp(f->faults[i].method, c->method) == 0) {
			f->faults[i].count--;
			return fake_failure(c->env,
			    json_incref(f->faults[i].desc));
		}
	return NULL;
}

/* Whether a call names host h: its ref as an argument or quoted in one. */
static int
call_names(const struct call *c, int h)
{
	char	 quoted[80];
	int	 i;

	snprintf(quoted, sizeof(quoted), "\"%s\"", c->f->hosts[h].ref);
	for (i = 0; i < c->nparams && i < ARGMAX; i++)
		if (strcmp(c->a[i], c->f->hosts[h].ref) == 0 ||
		    strstr(c->a[i], quoted) != NULL)
			return 1;
	return 0;
}

static int
succeeded(xmlrpc_env *env, xmlrpc_value *r)
{
	xmlrpc_value	*st = NULL;
	const char	*s;
	int		 ok = 0;

	if (r == NULL || env->fault_occurred)
		return 0;
	xmlrpc_struct_find_value(env, r, "Status", &st);
	if (st != NULL) {
		xmlrpc_read_string(env, st, &s);
		if (!env->fault_occurred) {
			ok = strcmp(s, "Success") == 0;
			free((void *)s);
		}
		xmlrpc_DECREF(st);
	}
	return ok && !env->fault_occurred;
}

/* fake.set_master_after: the pool moves its master under the client. */
static void
fire_triggers(struct call *c)
{
	struct fake	*f = c->f;
	int		 i, j;

	for (i = 0; i < f->ntriggers; i++) {
		if (strcmp(f->triggers[i].method, c->method) != 0 ||
		    !call_names(c, f->triggers[i].host))
			continue;
		for (j = 0; j < f->nhosts; j++)
			f->hosts[j].master = j == f->triggers[i].host;
		f->triggers[i] = f->triggers[--f->ntriggers];
		return;
	}
}

static xmlrpc_value *
api_call(struct call *c, const struct fmember *m)
{
	const struct method	*mt;
	xmlrpc_value		*r;

	if ((r = injected_fault(c)) != NULL)
		return r;
	if (strcmp(c->method, "session.login_with_password") == 0)
		return m_login(c, m);
	for (mt = methods; mt->name; mt++)
		if (strcmp(mt->name, c->method) == 0)
			break;
	if (mt->name == NULL)
		return fake_failure_v(c->env, "MESSAGE_METHOD_UNKNOWN",
		    c->method, NULL);
	if (!c->f->hosts[m->host].master)
		return fake_failure_v(c->env, "HOST_IS_SLAVE",
		    c->f->hosts[fake_master(c->f)].address, NULL);
	if (c->nparams < 1 || !session_valid(c->f, c->a[0]))
		return fake_failure_v(c->env, "SESSION_INVALID", c->a[0],
		    NULL);
	if (c->nparams != mt->nargs) {
		char want[16], got[16];
		snprintf(want, sizeof(want), "%d", mt->nargs);
		snprintf(got, sizeof(got), "%d", c->nparams);
		return fake_failure_v(c->env,
		    "MESSAGE_PARAMETER_COUNT_MISMATCH", c->method, want, got,
		    NULL);
	}
	r = mt->fn(c);
	if (succeeded(c->env, r))
		fire_triggers(c);
	return r;
}

static int
delay_ms(const struct fake *f, const char *method)
{
	int	 i;

	for (i = 0; i < f->ndelays; i++)
		if (strcmp(f->delays[i].method, method) == 0 ||
		    strcmp(f->delays[i].method, "*") == 0)
			return f->delays[i].ms;
	return 0;
}

/* A hung or powered-off member never answers (within 30 s). */
static int
wait_member(struct fake *f, const struct fmember *m)
{
	int	 i;

	for (i = 0; i < 3000 && !f->stop; i++) {
		if (!f->hosts[m->host].hung && f->hosts[m->host].live)
			return 0;
		pthread_mutex_unlock(&f->mu);
		usleep(10000);
		pthread_mutex_lock(&f->mu);
		fake_tick(f);
	}
	return -1;
}

static void
log_call(struct call *c, const struct fmember *m, xmlrpc_value *r)
{
	json_t		*args, *resp, *entry;
	char		*line;

	if (c->f->log == NULL)
		return;
	args = from_xmlrpc(c->env, c->params);
	if (strcmp(c->method, "session.login_with_password") == 0 &&
	    json_array_size(args) > 1)
		json_array_set_new(args, 1, json_string("********"));
	resp = r ? from_xmlrpc(c->env, r) : json_null();
	entry = json_pack("{s:f, s:f, s:s, s:s, s:o, s:O, s:O}", "t",
	    fake_now(c->f), "mono", c->arrived, "member",
	    c->f->hosts[m->host].name, "method",
	    c->method, "args", args, "status",
	    json_object_get(resp, "Status") ? json_object_get(resp, "Status") :
	    json_null(), "error", json_object_get(resp, "ErrorDescription") ?
	    json_object_get(resp, "ErrorDescription") : json_null());
	json_decref(resp);
	if (entry && (line = json_dumps(entry, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) != NULL) {
		fprintf(c->f->log, "%s\n", line);
		fflush(c->f->log);
		free(line);
	}
	json_decref(entry);
}

/*
 * Drop the connection a call came on, as a crashing toolstack or a
 * middlebox would. Abyss does not give the socket out, only the peer's
 * address: find our socket connected to that peer and shut it down.
 */
static void
drop_connection(const char *info)
{
	struct abyss_unix_chaninfo	*ci = NULL;
	struct sockaddr_storage		 peer;
	socklen_t			 len;
	struct dirent			*d;
	DIR				*dir;
	int				 fd;

	SessionGetChannelInfo((TSession *)(uintptr_t)info, (void **)&ci);
	if (ci == NULL || (dir = opendir("/proc/self/fd")) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		fd = atoi(d->d_name);
		len = sizeof(peer);
		if (fd <= 2 || getpeername(fd, (struct sockaddr *)&peer,
		    &len) == -1 || len != ci->peerAddrLen)
			continue;
		if (memcmp(&peer, &ci->peerAddr, len) == 0) {
			shutdown(fd, SHUT_RDWR);
			break;
		}
	}
	closedir(dir);
}

xmlrpc_value *
fake_dispatch(xmlrpc_env *env, const char *info, const char *method,
    xmlrpc_value *params, void *arg)
{
	const struct fmember	*m = arg;
	struct call		 c;
	xmlrpc_value		*r;
	int			 ms;

	memset(&c, 0, sizeof(c));
	c.arrived = fake_now(m->f) + m->f->t0;
	c.f = m->f;
	c.env = env;
	c.method = method;
	c.params = params;
	pthread_mutex_lock(&c.f->mu);
	fake_tick(c.f);
	read_args(&c);
	if (strncmp(method, "fake.", 5) == 0) {
		r = fake_control(env, c.f, method, params);
		pthread_cond_signal(&c.f->wake);
		pthread_mutex_unlock(&c.f->mu);
		return r;
	}
	if (wait_member(c.f, m) == -1) {
		pthread_mutex_unlock(&c.f->mu);
		xmlrpc_faultf(env, "member %s does not answer",
		    c.f->hosts[m->host].name);
		return NULL;
	}
	if (c.f->hosts[m->host].drops > 0) {
		c.f->hosts[m->host].drops--;
		log_call(&c, m, NULL);
		pthread_mutex_unlock(&c.f->mu);
		drop_connection(info);
		xmlrpc_faultf(env, "connection dropped");
		return NULL;
	}
	if ((ms = delay_ms(c.f, method)) > 0) {
		pthread_mutex_unlock(&c.f->mu);
		usleep((useconds_t)ms * 1000);
		pthread_mutex_lock(&c.f->mu);
		fake_tick(c.f);
	}
	r = api_call(&c, m);
	log_call(&c, m, r);
	pthread_cond_signal(&c.f->wake);
	pthread_mutex_unlock(&c.f->mu);
	return r;
}

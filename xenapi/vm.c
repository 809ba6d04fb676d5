/*
 * VM calls: the VMs resident on a host, what keeps them from moving,
 * stopping and migrating them, and their CD drives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

/*
 * Resident on a host: Running or Paused, and not a control domain
 * (xapi_host.ml's evacuation plan takes both; a Paused VM dies with its
 * host like a running one).
 */
int
vm_resident(xmlrpc_value *rec, char *host, size_t len)
{
	char	 state[16];

	if (rpc_read_bool(rec, "is_control_domain"))
		return 0;
	rpc_read_string(rec, "power_state", state, sizeof(state));
	if (strcmp(state, "Running") != 0 && strcmp(state, "Paused") != 0)
		return 0;
	rpc_read_string(rec, "resident_on", host, len);
	return 1;
}

static enum xenapi_power
power_parse(const char *s)
{
	if (strcmp(s, "Running") == 0)
		return XENAPI_RUNNING;
	if (strcmp(s, "Paused") == 0)
		return XENAPI_PAUSED;
	if (strcmp(s, "Halted") == 0)
		return XENAPI_HALTED;
	if (strcmp(s, "Suspended") == 0)
		return XENAPI_SUSPENDED;
	return XENAPI_POWER_OTHER;
}

/* Whether a record's allowed_operations (a set of names) holds op. */
static int
op_allowed(xmlrpc_value *rec, const char *op)
{
	xmlrpc_env	 env;
	xmlrpc_value	*ops = NULL, *item;
	char		 name[64];
	int		 i, n, found = 0;

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, rec, "allowed_operations", &ops);
	n = ops && xmlrpc_value_type(ops) == XMLRPC_TYPE_ARRAY ?
	    xmlrpc_array_size(&env, ops) : 0;
	for (i = 0; i < n && !found && !env.fault_occurred; i++) {
		xmlrpc_array_read_item(&env, ops, i, &item);
		if (env.fault_occurred)
			break;
		found = rpc_string_value(item, name, sizeof(name)) == 0 &&
		    strcmp(name, op) == 0;
		xmlrpc_DECREF(item);
	}
	if (ops)
		xmlrpc_DECREF(ops);
	xmlrpc_env_clean(&env);
	return found;
}

static void
vm_fill(struct xenapi_vm *vm, const char *ref, xmlrpc_value *rec)
{
	char	 state[16];

	snprintf(vm->ref, sizeof(vm->ref), "%s", ref);
	rpc_read_string(rec, "uuid", vm->uuid, sizeof(vm->uuid));
	rpc_read_string(rec, "name_label", vm->name, sizeof(vm->name));
	rpc_read_string(rec, "power_state", state, sizeof(state));
	rpc_read_string(rec, "resident_on", vm->resident_on,
	    sizeof(vm->resident_on));
	vm->power = power_parse(state);
	/* XenCenter stops cleanly only where xapi allows it, else hard
	 * (HostAbstractAction.cs): HVM without PV drivers, Paused. */
	vm->can_clean = op_allowed(rec, "clean_shutdown");
	vm->ha_always_run = rpc_read_bool(rec, "ha_always_run");
	vm->stopping = rpc_operation_running(rec, "clean_shutdown") ||
	    rpc_operation_running(rec, "hard_shutdown");
	vm->order = rpc_read_int64(rec, "order");
	vm->memory = rpc_read_int64(rec, "memory_static_max");
}

struct vm_walk {
	const char		*host;
	struct xenapi_vm	*vms;
	size_t			 n;
	size_t			 cap;
};

static struct xenapi_vm *
vm_push(struct vm_walk *w)
{
	struct xenapi_vm	*nv;
	size_t			 cap;

	if (w->n == w->cap) {
		cap = w->cap ? w->cap * 2 : 16;
		if ((nv = realloc(w->vms, cap * sizeof(*nv))) == NULL)
			return NULL;
		w->vms = nv;
		w->cap = cap;
	}
	memset(&w->vms[w->n], 0, sizeof(w->vms[0]));
	return &w->vms[w->n++];
}

static void
vm_record_on(void *arg, const char *ref, xmlrpc_value *rec)
{
	struct vm_walk		*w = arg;
	struct xenapi_vm	*vm;
	char			 on[XENAPI_REF_LEN];

	if (!vm_resident(rec, on, sizeof(on)) || strcmp(on, w->host) != 0)
		return;
	if ((vm = vm_push(w)) != NULL)
		vm_fill(vm, ref, rec);
}

int
xenapi_host_vms(struct xenapi *x, const char *host, struct xenapi_vm **vms,
    size_t *n, struct xenapi_error *err)
{
	struct vm_walk	 w = { host, NULL, 0, 0 };
	xmlrpc_value	*v = NULL;
	char		 expr[XENAPI_REF_LEN + 32];
	int		 rc;

	/* Only this host's VMs: a big pool's full list is megabytes. */
	if (strchr(host, '"') != NULL) {
		xerr(err, XENAPI_ERR_PROTOCOL, "host reference %s: quote in "
		    "it", host);
		return -1;
	}
	snprintf(expr, sizeof(expr), "field \"resident_on\" = \"%s\"", host);
	if ((rc = call_strings(x, "VM.get_all_records_where", &v, err, expr,
	    NULL, NULL)) == 0)
		rc = rpc_each_record(v, vm_record_on, &w, err);
	if (v)
		xmlrpc_DECREF(v);
	if (rc == -1) {
		free(w.vms);
		return -1;
	}
	*vms = w.vms;
	*n = w.n;
	return 0;
}

/* One entry of get_vms_which_prevent_evacuation: [code, params...]. */
static void
blocker_fill(xmlrpc_env *env, struct xenapi_vm *vm, xmlrpc_value *desc)
{
	xmlrpc_value	*item;
	int		 n;

	if (xmlrpc_value_type(desc) != XMLRPC_TYPE_ARRAY ||
	    (n = xmlrpc_array_size(env, desc)) < 1)
		return;
	xmlrpc_array_read_item(env, desc, 0, &item);
	if (env->fault_occurred)
		return;
	rpc_string_value(item, vm->reason, sizeof(vm->reason));
	xmlrpc_DECREF(item);
	/* VM_REQUIRES_SR [vm, sr]: the SR it cannot see elsewhere. */
	if (strcmp(vm->reason, "VM_REQUIRES_SR") == 0 && n >= 3) {
		xmlrpc_array_read_item(env, desc, 2, &item);
		if (env->fault_occurred)
			return;
		rpc_string_value(item, vm->sr, sizeof(vm->sr));
		xmlrpc_DECREF(item);
	}
}

int
xenapi_host_blockers(struct xenapi *x, const char *host,
    struct xenapi_vm **vms, size_t *n, struct xenapi_error *err)
{
	struct vm_walk		 w = { host, NULL, 0, 0 };
	struct xenapi_vm	*vm;
	xmlrpc_env		 env;
	xmlrpc_value		*v = NULL, *k, *desc;
	int			 i, count;

	if (call_strings(x, "host.get_vms_which_prevent_evacuation", &v, err,
	    host, NULL, NULL) == -1)
		return -1;
	xmlrpc_env_init(&env);
	count = xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT ?
	    xmlrpc_struct_size(&env, v) : 0;
	for (i = 0; i < count && !env.fault_occurred; i++) {
		xmlrpc_struct_read_member(&env, v, (unsigned)i, &k, &desc);
		if (env.fault_occurred)
			break;
		if ((vm = vm_push(&w)) != NULL) {
			rpc_string_value(k, vm->ref, sizeof(vm->ref));
			blocker_fill(&env, vm, desc);
		}
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(desc);
	}
	xmlrpc_env_clean(&env);
	xmlrpc_DECREF(v);
	*vms = w.vms;
	*n = w.n;
	return 0;
}

int
xenapi_vm_find(struct xenapi *x, const char *uuid, char *ref,
    struct xenapi_error *err)
{
	return call_ref(x, "VM.get_by_uuid", ref, err, uuid, NULL, NULL);
}

int
xenapi_vm_get(struct xenapi *x, const char *ref, struct xenapi_vm *vm,
    struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	int		 rc;

	memset(vm, 0, sizeof(*vm));
	rc = call_strings(x, "VM.get_record", &v, err, ref, NULL, NULL);
	if (rc == 0 && xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT)
		vm_fill(vm, ref, v);
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

int
xenapi_vm_shutdown_async(struct xenapi *x, const char *vm, int hard,
    char *task, struct xenapi_error *err)
{
	return call_ref(x, hard ? "Async.VM.hard_shutdown" :
	    "Async.VM.clean_shutdown", task, err, vm, NULL, NULL);
}

/* An Async call with built arguments; *task is the task it started. */
static int
call_task(struct xenapi *x, const char *method, xmlrpc_env *env,
    xmlrpc_value *args, char *task, struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	int		 rc;

	if (env->fault_occurred) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: cannot encode", method);
		xmlrpc_env_clean(env);
		return -1;
	}
	rc = session_call(x, method, args, &v, err);
	if (rc == 0 && rpc_string_value(v, task, XENAPI_REF_LEN) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: no task", method);
		rc = -1;
	}
	xmlrpc_DECREF(args);
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(env);
	return rc;
}

/*
 * VM.start(vm, start_paused false, force false): xapi picks the host
 * (xapi_vm_helpers.ml choose_host_for_vm), NO_HOSTS_AVAILABLE when none
 * can boot it; its start_delay is slept before the task ends.
 */
int
xenapi_vm_start_async(struct xenapi *x, const char *vm, char *task,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*args;

	xmlrpc_env_init(&env);
	args = xmlrpc_build_value(&env, "(sbb)", vm, (xmlrpc_bool)0,
	    (xmlrpc_bool)0);
	return call_task(x, "Async.VM.start", &env, args, task, err);
}

int
xenapi_vm_migrate_async(struct xenapi *x, const char *vm, const char *host,
    char *task, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*args;

	xmlrpc_env_init(&env);
	args = xmlrpc_build_value(&env, "(ss{s:s})", vm, host, "live", "true");
	return call_task(x, "Async.VM.pool_migrate", &env, args, task, err);
}

int
xenapi_vm_set_ha_always_run(struct xenapi *x, const char *vm, int on,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*args, *v = NULL;
	int		 rc;

	xmlrpc_env_init(&env);
	args = xmlrpc_build_value(&env, "(sb)", vm, (xmlrpc_bool)on);
	if (env.fault_occurred) {
		xerr(err, XENAPI_ERR_PROTOCOL, "cannot encode");
		xmlrpc_env_clean(&env);
		return -1;
	}
	rc = session_call(x, "VM.set_ha_always_run", args, &v, err);
	xmlrpc_DECREF(args);
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return rc;
}

/* The refs in a record's set field (e.g. a VM's VBDs). */
static int
ref_set(xmlrpc_value *rec, const char *key, char (**refs)[XENAPI_REF_LEN],
    size_t *n)
{
	xmlrpc_env	 env;
	xmlrpc_value	*set = NULL, *item;
	int		 i, count;

	*refs = NULL;
	*n = 0;
	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, rec, key, &set);
	count = set && xmlrpc_value_type(set) == XMLRPC_TYPE_ARRAY ?
	    xmlrpc_array_size(&env, set) : 0;
	if (count > 0 && (*refs = calloc((size_t)count, sizeof(**refs))) ==
	    NULL)
		count = -1;
	for (i = 0; i < count && !env.fault_occurred; i++) {
		xmlrpc_array_read_item(&env, set, i, &item);
		if (env.fault_occurred)
			break;
		if (rpc_string_value(item, (*refs)[*n], XENAPI_REF_LEN) == 0)
			(*n)++;
		xmlrpc_DECREF(item);
	}
	if (set)
		xmlrpc_DECREF(set);
	xmlrpc_env_clean(&env);
	return count < 0 ? -1 : 0;
}

/* A CD drive of the VM holding a disc from `sr`: eject it (1), or 0. */
static int
eject_if_on(struct xenapi *x, const char *vbd, const char *sr,
    struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL, *vdi_rec = NULL;
	char		 type[16], vdi[XENAPI_REF_LEN], on[XENAPI_REF_LEN];
	int		 rc = 0;

	if (call_strings(x, "VBD.get_record", &v, err, vbd, NULL, NULL) == -1)
		return -1;
	rpc_read_string(v, "type", type, sizeof(type));
	rpc_read_string(v, "VDI", vdi, sizeof(vdi));
	if (strcmp(type, "CD") != 0 || rpc_read_bool(v, "empty"))
		goto done;
	if (call_strings(x, "VDI.get_record", &vdi_rec, err, vdi, NULL,
	    NULL) == -1) {
		rc = -1;
		goto done;
	}
	rpc_read_string(vdi_rec, "SR", on, sizeof(on));
	if (strcmp(on, sr) != 0)
		goto done;
	rc = call_void(x, "VBD.eject", err, vbd, NULL, NULL) == -1 ? -1 : 1;
done:
	if (v)
		xmlrpc_DECREF(v);
	if (vdi_rec)
		xmlrpc_DECREF(vdi_rec);
	return rc;
}

/*
 * VM_REQUIRES_SR for a CD (an ISO on a host's own SR, the DVD drive):
 * XenCenter ejects the disc and migrates (EvacuateHostDialog.cs). Ejects
 * the VM's CDs from `sr`; *ejected says how many.
 */
int
xenapi_vm_eject_cds(struct xenapi *x, const char *vm, const char *sr,
    int *ejected, struct xenapi_error *err)
{
	xmlrpc_value	*v = NULL;
	char		(*vbds)[XENAPI_REF_LEN] = NULL;
	size_t		 n = 0, i;
	int		 rc;

	*ejected = 0;
	if (call_strings(x, "VM.get_record", &v, err, vm, NULL, NULL) == -1)
		return -1;
	rc = ref_set(v, "VBDs", &vbds, &n);
	xmlrpc_DECREF(v);
	if (rc == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory");
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
		switch (eject_if_on(x, vbds[i], sr, err)) {
		case -1:
			rc = -1;
			break;
		case 1:
			(*ejected)++;
			break;
		}
	free(vbds);
	return rc;
}

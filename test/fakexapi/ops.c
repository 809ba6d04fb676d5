/*
 * What xapi checks before it does something, and the instant operations
 * (host.disable, host.enable, host.shutdown). Each check returns NULL when
 * the operation may go on, or a new reference to [code, params...] as
 * xapi would put it in the answer or the task.
 */
#include <stdlib.h>
#include <string.h>

#include "fake.h"

const char *
vmop_name(enum vmop op)
{
	switch (op) {
	case OP_CLEAN_SHUTDOWN:
		return "clean_shutdown";
	case OP_HARD_SHUTDOWN:
		return "hard_shutdown";
	case OP_POOL_MIGRATE:
		return "pool_migrate";
	case OP_START:
		return "start";
	}
	return "";
}

/*
 * message_forwarding.ml do_op_on: the master runs it itself, or forwards
 * it to the member, which must be live in the DB (check_live: HOST_OFFLINE)
 * and reachable (do_op_on_common: CANNOT_CONTACT_HOST); a member still
 * starting answers its emergency-mode error (xapi.ml, api_server.ml).
 */
json_t *
fake_forward_error(const struct fake *f, int h)
{
	const struct fhost	*hp = &f->hosts[h];

	if (hp->master)
		return NULL;
	if (!hp->live)
		return fake_error("HOST_OFFLINE", hp->ref, NULL);
	if (!fake_accepts(f, h))
		return fake_error("CANNOT_CONTACT_HOST", hp->ref, NULL);
	if (hp->phase == HP_STARTING)
		return fake_error("HOST_STILL_BOOTING", NULL);
	return NULL;
}

/* The VM operation a task holds its VM with, or -1. */
static int
task_vmop(const struct ftask *t)
{
	if (!fake_task_pending(t) || (t->stage != TS_RUN &&
	    t->stage != TS_DRAIN))
		return -1;
	switch (t->kind) {
	case FTASK_CLEAN_SHUTDOWN:
		return OP_CLEAN_SHUTDOWN;
	case FTASK_HARD_SHUTDOWN:
		return OP_HARD_SHUTDOWN;
	case FTASK_MIGRATE:
		return OP_POOL_MIGRATE;
	case FTASK_START:
		return OP_START;
	default:
		return -1;
	}
}

/* VM.current_operations: task ref -> operation (xapi_vm_helpers.ml). */
json_t *
fake_vm_ops(struct fake *f, int v)
{
	json_t	*ops = json_object();
	int	 i, op;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i]->vm == v && (op = task_vmop(f->tasks[i])) >= 0)
			json_object_set_new(ops, f->tasks[i]->ref,
			    json_string(vmop_name((enum vmop)op)));
	return ops;
}

/*
 * host.current_operations (xapi_host_helpers.ml with_host_operation): its
 * evacuations, "vm_migrate" for each VM on its way here
 * (message_forwarding.ml reserve_memory_for_vm ~host_op) and "vm_start"
 * for each VM starting here, until its start ends (forward_to_suitable_host
 * ~host_op, allocate_vm_to_host).
 */
json_t *
fake_host_ops(struct fake *f, int h)
{
	json_t	*ops = json_object();
	int	 i;

	for (i = 0; i < f->ntasks; i++) {
		const struct ftask *t = f->tasks[i];

		if (!fake_task_pending(t) || t->stage != TS_RUN)
			continue;
		if (t->kind == FTASK_EVACUATE && t->host == h)
			json_object_set_new(ops, t->ref,
			    json_string("evacuate"));
		else if (t->kind == FTASK_MIGRATE && t->target == h)
			json_object_set_new(ops, t->ref,
			    json_string("vm_migrate"));
		else if (t->kind == FTASK_START && t->target == h)
			json_object_set_new(ops, t->ref,
			    json_string("vm_start"));
	}
	return ops;
}

static const char *
power_lower(enum fpower p)
{
	switch (p) {
	case PS_HALTED:
		return "halted";
	case PS_PAUSED:
		return "paused";
	case PS_RUNNING:
		return "running";
	case PS_SUSPENDED:
		return "suspended";
	}
	return "halted";
}

/*
 * xapi_vm_lifecycle.ml report_concurrent_operations_error, v25.27+: one
 * operation gives ["VM", vm, op, task]; several, {op1,op2} and {t1,t2}.
 */
static json_t *
concurrent_error(const struct fvm *vm, json_t *ops)
{
	char		 names[512] = "", refs[512] = "";
	const char	*key;
	json_t		*val;
	size_t		 n = json_object_size(ops), i = 0;

	json_object_foreach(ops, key, val) {
		if (n == 1)
			return fake_error("OTHER_OPERATION_IN_PROGRESS", "VM",
			    vm->ref, json_string_value(val), key, NULL);
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s", i ? "," : "{", json_string_value(val));
		snprintf(refs + strlen(refs), sizeof(refs) - strlen(refs),
		    "%s%s", i ? "," : "{", key);
		i++;
	}
	strncat(names, "}", sizeof(names) - strlen(names) - 1);
	strncat(refs, "}", sizeof(refs) - strlen(refs) - 1);
	return fake_error("OTHER_OPERATION_IN_PROGRESS", "VM", vm->ref, names,
	    refs, NULL);
}

/*
 * xapi_vm_lifecycle.ml is_allowed_concurrently: hard_shutdown goes along
 * with anything but another hard_shutdown; clean_shutdown only with
 * migrate_send, pool_migrate with nothing fakexapi models.
 */
static int
allowed_concurrently(enum vmop op, json_t *ops)
{
	const char	*key;
	json_t		*val;

	if (op != OP_HARD_SHUTDOWN)
		return json_object_size(ops) == 0;
	json_object_foreach(ops, key, val)
		if (strcmp(json_string_value(val), "hard_shutdown") == 0)
			return 0;
	return 1;
}

/*
 * xapi_vm_lifecycle.ml allowed_power_states and report_power_state_error:
 * the states an operation needs, as the error's second parameter names
 * them.
 */
static const char *
power_needed(enum vmop op, enum fpower p)
{
	switch (op) {
	case OP_HARD_SHUTDOWN:
		return p == PS_HALTED ? "paused, suspended, running" : NULL;
	case OP_START:
		return p == PS_HALTED ? NULL : "halted";
	default:
		return p == PS_RUNNING ? NULL : "running";
	}
}

/*
 * xapi_vm_lifecycle.ml check_operation_error, in its order: the power
 * state (allowed_power_states), other operations in progress, the control
 * domain, guest features (check_op_for_feature: an HVM guest without PV
 * drivers cannot shut down cleanly nor suspend, so cannot migrate), PCI
 * devices. *conflict says the error is OTHER_OPERATION_IN_PROGRESS, which
 * xapi waits out (helpers.ml retry_with_global_lock).
 */
json_t *
fake_vm_op_error(struct fake *f, int v, enum vmop op,
    const struct ftask *self, int *conflict)
{
	struct fvm	*vm = &f->vms[v];
	const char	*needed;
	json_t		*ops, *e;

	*conflict = 0;
	if ((needed = power_needed(op, vm->power)) != NULL)
		return fake_error("VM_BAD_POWER_STATE", vm->ref, needed,
		    power_lower(vm->power), NULL);
	ops = fake_vm_ops(f, v);
	if (self)
		json_object_del(ops, self->ref);
	if (!allowed_concurrently(op, ops)) {
		*conflict = 1;
		e = concurrent_error(vm, ops);
		json_decref(ops);
		return e;
	}
	json_decref(ops);
	if (vm->control_domain && op != OP_START)
		return fake_error("OPERATION_NOT_ALLOWED", "This operation is "
		    "not allowed on a control domain", NULL);
	if (vm->no_pv_drivers && (op == OP_CLEAN_SHUTDOWN ||
	    op == OP_POOL_MIGRATE))
		return fake_error("VM_LACKS_FEATURE", vm->ref, NULL);
	if (op == OP_POOL_MIGRATE && vm->pci)
		return fake_error("VM_HAS_PCI_ATTACHED", vm->ref, NULL);
	return NULL;
}

/*
 * VM.allowed_operations (xapi_vm_lifecycle.ml update_allowed_operations,
 * strict): of the operations fakexapi models, those that would pass.
 */
json_t *
fake_vm_allowed(struct fake *f, int v)
{
	static const enum vmop all[] = { OP_CLEAN_SHUTDOWN, OP_HARD_SHUTDOWN,
	    OP_POOL_MIGRATE, OP_START };
	json_t	*out = json_array(), *e;
	size_t	 i;
	int	 conflict;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if ((e = fake_vm_op_error(f, v, all[i], NULL, &conflict)) ==
		    NULL)
			json_array_append_new(out,
			    json_string(vmop_name(all[i])));
		json_decref(e);
	}
	return out;
}

/*
 * Whether host h has a currently attached PBD to sr (xapi_vm_helpers.ml
 * which_specified_SRs_not_available_on_host): a shared SR's as the DB
 * has it; its own SRs always.
 */
static int
host_sees(const struct fake *f, int h, int home, const char *sr)
{
	if (strcmp(sr, SR_SHARED) == 0 || strcmp(sr, SR_SHARED_ISO) == 0)
		return f->hosts[h].shared_attached;
	return h == home;
}

/*
 * xapi_vm_helpers.ml assert_can_see_SRs: the SR of every VBD but the empty
 * ones, CDs included, must be attached on the host. The first one missing,
 * or NULL.
 */
const char *
fake_vm_sr_needed(const struct fake *f, int v, int h)
{
	const struct fvm	*vm = &f->vms[v];
	const struct fhost	*home = &f->hosts[vm->home];
	const char		*disk, *cd = NULL;

	if (vm->control_domain)
		return NULL;
	disk = vm->local_storage ? home->local_sr : SR_SHARED;
	if (!host_sees(f, h, vm->home, disk))
		return disk;
	switch (vm->cd) {
	case CD_EMPTY:
		return NULL;
	case CD_LOCAL_ISO:
		cd = home->iso_sr;
		break;
	case CD_DVD:
		cd = home->dvd_sr;
		break;
	case CD_SHARED_ISO:
		cd = SR_SHARED_ISO;
		break;
	}
	return host_sees(f, h, vm->home, cd) ? NULL : cd;
}

/*
 * xapi_vm_helpers.ml assert_can_boot_here, the parts fakexapi models, in
 * its order: the host is live in the DB (HOST_NOT_LIVE []), enabled
 * (unless the VM already runs there), sees the VM's SRs, has the memory
 * (assert_enough_memory_available: needed and available, in bytes).
 */
json_t *
fake_can_boot_here(const struct fake *f, int v, int h, int memory_check)
{
	const struct fvm	*vm = &f->vms[v];
	const char		*sr;
	int			 here;

	if (!f->hosts[h].live)
		return fake_error("HOST_NOT_LIVE", NULL);
	here = vm->power == PS_RUNNING && vm->host == h;
	if (!vm->control_domain && !here && !f->hosts[h].enabled)
		return fake_error("HOST_DISABLED", f->hosts[h].ref, NULL);
	if ((sr = fake_vm_sr_needed(f, v, h)) != NULL)
		return fake_error("VM_REQUIRES_SR", vm->ref, sr, NULL);
	if (!memory_check || here)
		return NULL;
	return fake_memory_error(f, v, h);
}

/*
 * VM v's memory does not fit in host h's free memory: needed and
 * available, in bytes. xapi_vm_helpers.ml assert_enough_memory_available
 * says so, and so does a start on a host without the memory, from the
 * reservation (xenops_server_xen.ml Mem.wrap, xapi_xenops.ml
 * Cannot_free_this_much_memory).
 */
json_t *
fake_memory_error(const struct fake *f, int v, int h)
{
	char	 need[32], have[32];
	long	 avail = fake_free_mib(f, h);

	if (avail >= f->vms[v].memory_mib)
		return NULL;
	snprintf(need, sizeof(need), "%lld", (long long)f->vms[v].memory_mib
	    << 20);
	snprintf(have, sizeof(have), "%lld", (long long)(avail > 0 ? avail :
	    0) << 20);
	return fake_error("HOST_NOT_ENOUGH_FREE_MEMORY", need, have, NULL);
}

static int
evacuating(const struct fake *f, int h)
{
	int	 i;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i]->kind == FTASK_EVACUATE &&
		    f->tasks[i]->stage == TS_RUN &&
		    fake_task_pending(f->tasks[i]) && f->tasks[i]->host == h)
			return 1;
	return 0;
}

/*
 * xapi_vm_helpers.ml vm_can_run_on_host: enabled (a control domain need
 * not), live, assert_can_boot_here, no evacuation in progress.
 */
static int
can_run_on(const struct fake *f, int v, int h, int memory_check)
{
	json_t	*e;

	if ((!f->vms[v].control_domain && !f->hosts[h].enabled) ||
	    !f->hosts[h].live || evacuating(f, h))
		return 0;
	e = fake_can_boot_here(f, v, h, memory_check);
	json_decref(e);
	return e == NULL;
}

/*
 * xapi_vm_helpers.ml choose_host_for_vm_no_wlb: among the hosts VM v can
 * run on (vm_can_run_on_host), the one with the most free memory, the
 * first of equals (xapi_vm_placement.ml weighs free memory with a biased
 * random choice). None fits the memory: the same again without the
 * memory check. -1: none at all (NO_HOSTS_AVAILABLE []).
 */
int
fake_choose_host(const struct fake *f, int v, int memory_check)
{
	int	 h, best = -1;

	for (h = 0; h < f->nhosts; h++)
		if (can_run_on(f, v, h, memory_check) && (best == -1 ||
		    fake_free_mib(f, h) > fake_free_mib(f, best)))
			best = h;
	if (best == -1 && memory_check)
		return fake_choose_host(f, v, 0);
	return best;
}

/*
 * message_forwarding.ml Host.disable: the HA plan must survive it
 * (assert_host_disable_preserves_ha_plan), then the host itself does it
 * (xapi_host.ml disable: nothing if already disabled; this xapi will not
 * enable the host again by itself, user_requested_host_disable;
 * auto_enable=false is kept across restarts).
 */
json_t *
fake_host_disable(struct fake *f, int h, int auto_enable)
{
	json_t	*e;

	if ((e = fake_ha_disable_error(f, h)) != NULL ||
	    (e = fake_forward_error(f, h)) != NULL)
		return e;
	if (f->hosts[h].enabled) {
		f->hosts[h].enabled = 0;
		f->hosts[h].user_disabled = 1;
		if (!auto_enable)
			f->hosts[h].no_auto_enable = 1;
	}
	return NULL;
}

/*
 * message_forwarding.ml Host.enable, forwarded to the host; xapi_host.ml
 * enable: nothing if already enabled, else HOST_STILL_BOOTING until xapi
 * has started (assert_startup_complete).
 */
json_t *
fake_host_enable(struct fake *f, int h)
{
	json_t	*e;

	if ((e = fake_forward_error(f, h)) != NULL)
		return e;
	if (f->hosts[h].enabled)
		return NULL;
	if (f->hosts[h].phase != HP_UP)
		return fake_error("HOST_STILL_BOOTING", NULL);
	f->hosts[h].no_auto_enable = 0;
	f->hosts[h].user_disabled = 0;
	f->hosts[h].enabled = 1;
	return NULL;
}

static void
xencenter_log(struct fake *f, const char *method, int h, json_t *args,
    json_t *e)
{
	json_t	*st = json_string(e ? "Failure" : "Success");

	json_array_insert_new(args, 0, json_string(f->hosts[h].ref));
	fake_log(f, fake_now(f) + f->t0, f->hosts[fake_master(f)].name,
	    method, args, st, e ? e : json_null());
	json_decref(st);
	json_decref(args);
}

/*
 * A XenCenter connected to the pool (xenadmin MainWindow.cs
 * CheckMaintenanceMode): every live, enabled host whose other_config has
 * MAINTENANCE_MODE "true" is disabled again (DisableHostAction.cs:
 * Host.async_disable; if that fails, it removes MAINTENANCE_MODE).
 * XenCenter talks to the master: nothing while the master is not up.
 */
void
fake_xencenter(struct fake *f)
{
	const char	*mm;
	json_t		*e;
	int		 m = fake_master(f), h;

	if (!f->xencenter || m == -1 || f->hosts[m].phase != HP_UP)
		return;
	for (h = 0; h < f->nhosts; h++) {
		mm = json_string_value(json_object_get(f->hosts[h].other_config,
		    "MAINTENANCE_MODE"));
		if (!f->hosts[h].live || !f->hosts[h].enabled || mm == NULL ||
		    strcmp(mm, "true") != 0)
			continue;
		e = fake_host_disable(f, h, 1);
		xencenter_log(f, "xencenter:host.disable", h, json_array(), e);
		if (e == NULL)
			continue;
		json_decref(e);
		json_object_del(f->hosts[h].other_config, "MAINTENANCE_MODE");
		xencenter_log(f, "xencenter:host.remove_from_other_config", h,
		    json_pack("[s]", "MAINTENANCE_MODE"), NULL);
	}
}

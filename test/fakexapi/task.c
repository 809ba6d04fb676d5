/*
 * Tasks: every long operation (evacuations, shutdowns, migrations,
 * starts) is a task, called synchronously or not (server_helpers.ml makes
 * one for every call that has an Async form). A task's first step runs
 * its checks, in xapi's order; their failure, like any later one, ends up in
 * the task (status failure, error_info [code, params...]), and a
 * synchronous call answers it. The task record's fields and their values
 * follow taskHelper.ml.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake.h"

static double
wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
fake_task_pending(const struct ftask *t)
{
	return !t->destroyed && strcmp(t->status, "pending") == 0;
}

static void
new_ref(struct fake *f, char *ref, size_t len)
{
	snprintf(ref, len, "OpaqueRef:task-%d", ++f->task_seq);
}

/* taskHelper.ml make: pending, progress 0, finished at the epoch. */
struct ftask *
fake_task_new(struct fake *f, enum ftask_kind kind, const char *label)
{
	struct ftask	*t, **nt;
	int		 n;

	if (f->ntasks == f->ctasks) {
		n = f->ctasks ? f->ctasks * 2 : 64;
		if ((nt = realloc(f->tasks, (size_t)n * sizeof(*nt))) == NULL)
			return NULL;
		f->tasks = nt;
		f->ctasks = n;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	new_ref(f, t->ref, sizeof(t->ref));
	snprintf(t->uuid, sizeof(t->uuid), "00000000-0000-0000-0004-%012d",
	    f->task_seq);
	snprintf(t->name_label, sizeof(t->name_label), "%s", label);
	t->kind = kind;
	t->stage = TS_START;
	t->host = t->vm = t->target = -1;
	t->resident_on = fake_master(f);
	t->forwarded_to = -1;
	snprintf(t->status, sizeof(t->status), "pending");
	t->created = wall();
	t->next_at = INFINITY;
	t->result = strdup("");
	t->error_info = json_array();
	f->tasks[f->ntasks++] = t;
	return t;
}

struct ftask *
fake_task_by_ref(struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; ref && i < f->ntasks; i++)
		if (!f->tasks[i]->destroyed && strcmp(f->tasks[i]->ref, ref) ==
		    0)
			return f->tasks[i];
	return NULL;
}

/* db_gc_util.ml: a task destroyed while pending goes once it is done. */
static void
ended(struct fake *f, struct ftask *t, const char *status)
{
	(void)f;
	snprintf(t->status, sizeof(t->status), "%s", status);
	t->stage = TS_DONE;
	t->progress = 1.0;
	t->finished = wall();
	if (t->destroy_when_done)
		t->destroyed = 1;
}

/* Takes the reference to desc (taskHelper.ml failed). */
void
fake_task_fail(struct fake *f, struct ftask *t, json_t *desc)
{
	if (!fake_task_pending(t)) {
		json_decref(desc);
		return;
	}
	json_decref(t->error_info);
	t->error_info = desc;
	ended(f, t, "failure");
}

/* taskHelper.ml complete: the result is the marshalled value. */
void
fake_task_succeed(struct fake *f, struct ftask *t, const char *result)
{
	if (!fake_task_pending(t))
		return;
	free(t->result);
	t->result = strdup(result ? result : FAKE_VOID_RESULT);
	ended(f, t, "success");
}

/*
 * The operation saw it is being cancelled and raised TASK_CANCELLED:
 * server_helpers.ml exec_with_context calls TaskHelper.cancel, so the
 * status is cancelled and error_info stays [].
 */
static void
cancelled(struct fake *f, struct ftask *t)
{
	if (fake_task_pending(t))
		ended(f, t, "cancelled");
}

/*
 * task.cancel (xapi_task.ml cancel): never refused, whatever the task's
 * state; it marks the task, and the operation stops if and when its code
 * looks (see the steps below).
 */
void
fake_task_cancel(struct fake *f, struct ftask *t)
{
	if (!fake_task_pending(t) || t->cancelling)
		return;
	t->cancelling = 1;
	new_ref(f, t->cancel_ref, sizeof(t->cancel_ref));
}

static void
task_free(struct ftask *t)
{
	free(t->result);
	free(t->plan);
	json_decref(t->error_info);
	free(t);
}

/* Sessions and tasks are PersistNothing (datamodel.ml): a restart. */
void
fake_tasks_forget(struct fake *f)
{
	int	 i;

	for (i = 0; i < f->ntasks; i++)
		task_free(f->tasks[i]);
	f->ntasks = 0;
}

void
fake_tasks_reap(struct fake *f)
{
	int	 i, n = 0;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i]->destroyed)
			task_free(f->tasks[i]);
		else
			f->tasks[n++] = f->tasks[i];
	f->ntasks = n;
}

static enum vmop
kind_op(enum ftask_kind k)
{
	switch (k) {
	case FTASK_HARD_SHUTDOWN:
		return OP_HARD_SHUTDOWN;
	case FTASK_MIGRATE:
		return OP_POOL_MIGRATE;
	case FTASK_START:
		return OP_START;
	default:
		return OP_CLEAN_SHUTDOWN;
	}
}

/*
 * OTHER_OPERATION_IN_PROGRESS: xapi waits for the other operation, up to
 * the policy's total (helpers.ml retry_with_global_lock, Policy.standard),
 * and gives up with that error. Returns whether the task waits on.
 */
static int
wait_for_other(struct fake *f, struct ftask *t, json_t *e, double now)
{
	if (t->stage == TS_START) {
		t->stage = TS_WAIT;
		t->wait_until = now + f->op_wait_ms / 1000.0;
	}
	if (now < t->wait_until) {
		json_decref(e);
		return 1;
	}
	fake_task_fail(f, t, e);
	return 0;
}

/* The member runs it: the task is forwarded (message_forwarding.ml). */
static void
forwarded(struct fake *f, struct ftask *t, int h)
{
	t->resident_on = h;
	if (!f->hosts[h].master)
		t->forwarded_to = h;
}

static void
start_clean(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];
	json_t		*e;

	if ((e = fake_forward_error(f, vm->host)) != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	forwarded(f, t, vm->host);
	/* xapi_vm.ml clean_shutdown_with_timeout */
	vm->ha_always_run = 0;
	t->stage = TS_RUN;
	t->next_at = vm->hangs_on_shutdown ? INFINITY : now +
	    f->shutdown_ms / 1000.0;
}

/*
 * message_forwarding.ml VM.hard_shutdown: first it cancels the VM's
 * clean shutdowns and migrations in flight and waits for them to end.
 */
static void
start_hard(struct fake *f, struct ftask *t, double now)
{
	int	 i;

	for (i = 0; i < f->ntasks; i++) {
		struct ftask *o = f->tasks[i];

		if (o != t && o->vm == t->vm && fake_task_pending(o) &&
		    o->stage == TS_RUN && (o->kind == FTASK_CLEAN_SHUTDOWN ||
		    o->kind == FTASK_MIGRATE))
			fake_task_cancel(f, o);
	}
	t->stage = TS_DRAIN;
	(void)now;
}

static void
drain_hard(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];
	json_t		*e;
	int		 i;

	for (i = 0; i < f->ntasks; i++) {
		struct ftask *o = f->tasks[i];

		if (o != t && o->vm == t->vm && fake_task_pending(o) &&
		    o->stage == TS_RUN && o->cancelling)
			return;
	}
	/* A Suspended VM has no host: the master resets it itself. */
	if (fake_resident(vm)) {
		if ((e = fake_forward_error(f, vm->host)) != NULL) {
			fake_task_fail(f, t, e);
			return;
		}
		forwarded(f, t, vm->host);
	}
	/* xapi_vm.ml hard_shutdown */
	vm->ha_always_run = 0;
	t->stage = TS_RUN;
	t->next_at = now;
}

/*
 * message_forwarding.ml VM.pool_migrate, after the VM's own checks: the
 * target must not be leaving (allocate_vm_to_host: creating and removing
 * operations exclude each other, at once), the VM must be able to boot
 * there (reserve_memory_for_vm, with memory), and the source host must be
 * reachable (forward_vm_op). A target that is down though live in the DB
 * cannot be reached by the source.
 */
static void
start_migrate(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];
	const char	*key;
	json_t		*ops, *val, *e = NULL;

	ops = fake_host_ops(f, t->target);
	json_object_foreach(ops, key, val)
		if (strcmp(json_string_value(val), "evacuate") == 0) {
			e = fake_error("OTHER_OPERATION_IN_PROGRESS", "host",
			    f->hosts[t->target].ref, "evacuate", key, NULL);
			break;
		}
	json_decref(ops);
	if (e == NULL)
		e = fake_can_boot_here(f, t->vm, t->target, 1);
	if (e == NULL)
		e = fake_forward_error(f, vm->host);
	if (e == NULL && !fake_accepts(f, t->target))
		e = fake_error("CANNOT_CONTACT_HOST", f->hosts[t->target].ref,
		    NULL);
	if (e != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	forwarded(f, t, vm->host);
	t->stage = TS_RUN;
	t->next_at = now + f->per_vm_ms / 1000.0;
}

/*
 * message_forwarding.ml VM.start, after the VM's own checks:
 * forward_to_suitable_host chooses a host (choose_host_for_vm), checks
 * the HA plan (check_vm_preserves_ha_plan: a VM that HA will protect
 * once started must not break it), reserves the VM's memory there with
 * the host operation vm_start (allocate_vm_to_host) and forwards the call
 * (do_op_on). There xapi_vm.ml start sets ha_always_run for priority
 * restart first, then xenopsd reserves the memory: a host chosen without
 * the memory check fails here.
 */
static void
start_start(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];
	json_t		*e = NULL;
	int		 h;

	if ((h = fake_choose_host(f, t->vm, 1)) == -1)
		e = fake_error("NO_HOSTS_AVAILABLE", NULL);
	else if (strcmp(vm->ha_restart_priority, "restart") == 0 &&
	    !vm->ha_always_run)
		e = fake_ha_protect_error(f, t->vm);
	if (e == NULL)
		e = fake_forward_error(f, h);
	if (e != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	forwarded(f, t, h);
	if (strcmp(vm->ha_restart_priority, "restart") == 0)
		vm->ha_always_run = 1;
	if ((e = fake_memory_error(f, t->vm, h)) != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	t->target = h;
	t->stage = TS_RUN;
	t->next_at = now + f->start_ms / 1000.0;
}

static void
start_vmop(struct fake *f, struct ftask *t, double now)
{
	json_t	*e;
	int	 conflict;

	/* helpers.ml retry: a cancelled wait raises TASK_CANCELLED. */
	if (t->cancelling) {
		cancelled(f, t);
		return;
	}
	e = fake_vm_op_error(f, t->vm, kind_op(t->kind), t, &conflict);
	if (e != NULL && conflict) {
		wait_for_other(f, t, e, now);
		return;
	}
	if (e != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	switch (t->kind) {
	case FTASK_CLEAN_SHUTDOWN:
		start_clean(f, t, now);
		break;
	case FTASK_HARD_SHUTDOWN:
		start_hard(f, t, now);
		break;
	case FTASK_MIGRATE:
		start_migrate(f, t, now);
		break;
	case FTASK_START:
		start_start(f, t, now);
		break;
	default:
		break;
	}
}

static void
lost(struct fake *f, struct ftask *t, int h)
{
	fake_task_fail(f, t, fake_error("CANNOT_CONTACT_HOST",
	    f->hosts[h].ref, NULL));
}

/*
 * A running start: start_ms until the domain runs there (Running, or
 * Paused with start_paused), then xapi_vm.ml start sleeps the VM's
 * start_delay (xapi_vm_helpers.ml start_delay) before the call returns,
 * holding the VM's start and the host's vm_start meanwhile. It does not
 * look at task.cancel here.
 */
static void
run_start(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];

	if (!fake_accepts(f, t->resident_on)) {
		lost(f, t, t->resident_on);
		return;
	}
	if (now < t->next_at)
		return;
	if (!t->started) {
		t->started = 1;
		vm->power = t->start_paused ? PS_PAUSED : PS_RUNNING;
		vm->host = t->target;
		t->next_at += vm->start_delay_ms / 1000.0;
		if (now < t->next_at)
			return;
	}
	fake_task_succeed(f, t, NULL);
}

/*
 * A running VM operation. A host that goes down under it breaks the
 * forwarded call (CANNOT_CONTACT_HOST). clean_shutdown is cancelled at
 * once (xenopsd cancels the shutdown); hard_shutdown does not look; a
 * migration finishes moving its VM, then stops.
 */
static void
run_vmop(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*vm = &f->vms[t->vm];

	switch (t->kind) {
	case FTASK_CLEAN_SHUTDOWN:
		if (!fake_accepts(f, t->resident_on))
			lost(f, t, t->resident_on);
		else if (t->cancelling)
			cancelled(f, t);
		else if (now >= t->next_at) {
			vm->power = PS_HALTED;
			vm->host = -1;
			fake_task_succeed(f, t, NULL);
		}
		return;
	case FTASK_HARD_SHUTDOWN:
		if (fake_resident(vm) && !fake_accepts(f, t->resident_on))
			lost(f, t, t->resident_on);
		else if (now >= t->next_at) {
			vm->power = PS_HALTED;
			vm->host = -1;
			fake_task_succeed(f, t, NULL);
		}
		return;
	case FTASK_MIGRATE:
		if (!fake_accepts(f, t->resident_on))
			lost(f, t, t->resident_on);
		else if (!fake_accepts(f, t->target))
			lost(f, t, t->target);
		else if (now >= t->next_at) {
			vm->host = t->target;
			if (t->cancelling)
				cancelled(f, t);
			else
				fake_task_succeed(f, t, NULL);
		}
		return;
	case FTASK_START:
		run_start(f, t, now);
		return;
	default:
		return;
	}
}

/*
 * message_forwarding.ml Host.evacuate: the HA plan must survive the host
 * leaving, then with_host_operation evacuate (VMs migrating to it make it
 * wait: creating and removing operations exclude each other,
 * xapi_host_helpers.ml valid_operations), then xapi_host.ml evacuate: the
 * plan, whose first error fails it.
 */
static void
start_evacuate(struct fake *f, struct ftask *t, double now)
{
	const char	*key;
	json_t		*ops, *val, *e = NULL, *b;

	if (t->cancelling) {
		cancelled(f, t);
		return;
	}
	if ((e = fake_ha_disable_error(f, t->host)) != NULL) {
		fake_task_fail(f, t, e);
		return;
	}
	ops = fake_host_ops(f, t->host);
	json_object_foreach(ops, key, val)
		if (strcmp(json_string_value(val), "vm_migrate") == 0) {
			e = fake_error("OTHER_OPERATION_IN_PROGRESS", "host",
			    f->hosts[t->host].ref, "vm_migrate", key, NULL);
			break;
		}
	json_decref(ops);
	if (e != NULL) {
		wait_for_other(f, t, e, now);
		return;
	}
	b = fake_blockers(f, t->host, &t->plan, &t->nplan);
	json_object_foreach(b, key, val) {
		fake_task_fail(f, t, json_incref(val));
		break;
	}
	json_decref(b);
	if (!fake_task_pending(t))
		return;
	t->stage = TS_RUN;
	t->next_at = now + f->evacuate_ms / 1000.0;
}

/*
 * How a finished migration counts (xapi_host.ml evacuate assert_success):
 * VM_BAD_POWER_STATE is ignored, any other failure fails the evacuation,
 * any other status is an internal error. Returns 0 to go on.
 */
static int
evacuation_child_done(struct fake *f, struct ftask *t, struct ftask *c)
{
	const char	*code;
	char		 msg[160];

	if (strcmp(c->status, "failure") == 0) {
		code = json_string_value(json_array_get(c->error_info, 0));
		if (code == NULL || strcmp(code, "VM_BAD_POWER_STATE") != 0) {
			fake_task_fail(f, t, json_deep_copy(c->error_info));
			return -1;
		}
	} else if (strcmp(c->status, "success") != 0) {
		snprintf(msg, sizeof(msg), "%s, unexpected status of migration "
		    "task", c->ref);
		fake_task_fail(f, t, fake_error("INTERNAL_ERROR", msg, NULL));
		return -1;
	}
	return 0;
}

static int
still_resident(const struct fake *f, int h)
{
	int	 i, n = 0;

	for (i = 0; i < f->nvms; i++)
		n += fake_resident(&f->vms[i]) && f->vms[i].host == h &&
		    !f->vms[i].control_domain;
	return n;
}

/*
 * xapi_host.ml evacuate: one Async.VM.pool_migrate per planned VM (one at
 * a time here), each waited for, checked and destroyed. A cancelled
 * evacuation lets the VM in flight arrive, then stops. At the end no VM
 * may be left (INTERNAL_ERROR).
 */
static void
run_evacuate(struct fake *f, struct ftask *t, double now)
{
	struct ftask	*c;
	char		 msg[160];
	int		 n;

	if (t->child[0] == '\0' && now < t->next_at)
		return;
	if ((c = fake_task_by_ref(f, t->child)) != NULL) {
		if (fake_task_pending(c))
			return;
		c->destroyed = 1;
		t->child[0] = '\0';
		if (evacuation_child_done(f, t, c) == -1)
			return;
	}
	if (t->cancelling) {
		cancelled(f, t);
		return;
	}
	if (t->plan_i < t->nplan) {
		if ((c = fake_task_new(f, FTASK_MIGRATE,
		    "Async.VM.pool_migrate")) == NULL)
			return;
		c->vm = t->plan[t->plan_i].vm;
		c->target = t->plan[t->plan_i].target;
		snprintf(c->parent, sizeof(c->parent), "%s", t->ref);
		snprintf(t->child, sizeof(t->child), "%s", c->ref);
		t->next_at = INFINITY;	/* the migration's steps drive */
		t->progress = (double)t->plan_i++ / t->nplan;
		fake_task_step(f, c, now);
		return;
	}
	if ((n = still_resident(f, t->host)) > 0) {
		snprintf(msg, sizeof(msg), "evacuate: %d VMs are still "
		    "resident on %s", n, f->hosts[t->host].ref);
		fake_task_fail(f, t, fake_error("INTERNAL_ERROR", msg, NULL));
		return;
	}
	fake_task_succeed(f, t, NULL);
}

/* The plugin's loop: live in the DB ends it, its last try fails it. */
static void
step_power_on(struct fake *f, struct ftask *t, double now)
{
	if (t->stage == TS_START) {
		t->stage = TS_RUN;
		t->wait_until = now + f->power_on_wait_ms / 1000.0;
	}
	if (f->hosts[t->host].live) {
		fake_task_succeed(f, t, NULL);
		return;
	}
	if (now >= t->wait_until) {
		fake_task_fail(f, t, fake_error("INTERNAL_ERROR",
		    "Failure(\"The host failed to power on.\")", NULL));
		return;
	}
	/* The host's own phases wake the loop; the give-up time too. */
	t->next_at = t->wait_until;
}

void
fake_task_step(struct fake *f, struct ftask *t, double now)
{
	if (!fake_task_pending(t))
		return;
	if (t->kind == FTASK_EVACUATE) {
		if (t->stage == TS_START || t->stage == TS_WAIT)
			start_evacuate(f, t, now);
		else
			run_evacuate(f, t, now);
		return;
	}
	if (t->kind == FTASK_DONE)
		return;
	if (t->kind == FTASK_POWER_ON) {
		step_power_on(f, t, now);
		return;
	}
	switch (t->stage) {
	case TS_START:
	case TS_WAIT:
		start_vmop(f, t, now);
		break;
	case TS_DRAIN:
		drain_hard(f, t, now);
		break;
	case TS_RUN:
		run_vmop(f, t, now);
		break;
	case TS_DONE:
		break;
	}
}

static const char *
host_ref_or_null(const struct fake *f, int h)
{
	return h >= 0 ? f->hosts[h].ref : "OpaqueRef:NULL";
}

/* The task's record, as task.get_record shows it (datamodel.ml). */
json_t *
fake_task_record(struct fake *f, struct ftask *t)
{
	json_t	*ops = json_object(), *allowed = json_array(), *subtasks;
	int	 i;

	/* helpers.ml retry sets the operation tasks cancellable. */
	if (fake_task_pending(t) && t->kind != FTASK_DONE)
		json_array_append_new(allowed, json_string("cancel"));
	if (t->cancelling && fake_task_pending(t))
		json_object_set_new(ops, t->cancel_ref, json_string("cancel"));
	if (t->destroy_when_done)
		json_object_set_new(ops, "task", json_string("destroy"));
	subtasks = json_array();
	for (i = 0; i < f->ntasks; i++)
		if (!f->tasks[i]->destroyed && strcmp(f->tasks[i]->parent,
		    t->ref) == 0)
			json_array_append_new(subtasks,
			    json_string(f->tasks[i]->ref));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:f, "
	    "s:s, s:s, s:O, s:{}, s:s, s:o, s:s}", "uuid", t->uuid,
	    "name_label", t->name_label, "name_description", "",
	    "allowed_operations", allowed, "current_operations", ops,
	    "created", date_json(t->created, 0), "finished",
	    date_json(t->finished, 0), "status", t->status, "resident_on",
	    host_ref_or_null(f, t->resident_on), "progress", t->progress,
	    "type", "<none/>", "result", t->result, "error_info",
	    t->error_info, "other_config", "subtask_of", t->parent[0] ?
	    t->parent : "OpaqueRef:NULL", "subtasks", subtasks, "backtrace",
	    "()");
}

/*
 * fakexapi itself, over real sockets: that it behaves as xapi does where
 * upsxen's tests rely on it (async errors in tasks, power states,
 * evacuation plans, members that are dead but look live, boots and
 * restarts, XenCenter, CDs, HA, VM starts and shared storage attached
 * late). Each test runs its own pool, with xapi's durations scaled down
 * in the pool JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakectl.h"

static int base, npools, port;
static struct fakeproc fake;

static const char *const H1 = "OpaqueRef:host-1";
static const char *const H2 = "OpaqueRef:host-2";
static const char *const H3 = "OpaqueRef:host-3";

/* The VMs' refs follow their order in the pool JSON. */
static const char *
vm(int i)
{
	static char	 refs[16][32];

	snprintf(refs[i], sizeof(refs[i]), "OpaqueRef:vm-%d", i);
	return refs[i];
}

static void
ms_sleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/*
 * Members xs1 (master), xs2, xs3 at 127.0.0.1..3 on one port, 16 GiB
 * each; every duration short. Tests change keys before start_pool. Each
 * pool has a port of its own from base+20 on: the valgrind integration
 * test, which ctest may run alongside, uses base+1 and base+9.
 */
static json_t *
pool3(void)
{
	port = base + 20 + npools++;
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
	    "s:i, s:[{s:s, s:s, s:i, s:b, s:i}, {s:s, s:s, s:i, s:i}, "
	    "{s:s, s:s, s:i, s:i}], s:[]}", "username", "root", "password",
	    "pw", "per_vm_ms", 20, "evacuate_ms", 0, "shutdown_ms", 20,
	    "boot_ms", 100, "xapi_start_ms", 200, "dead_after_ms", 60000,
	    "restart_after_ms", 60000, "restart_ms", 200, "op_wait_ms", 0,
	    "hosts", "name_label", "xs1", "address", "127.0.0.1", "port",
	    port, "master", 1, "memory_mib", 16384, "name_label", "xs2",
	    "address", "127.0.0.2", "port", port, "memory_mib", 16384,
	    "name_label", "xs3", "address", "127.0.0.3", "port", port,
	    "memory_mib", 16384, "vms");
}

static void
set_int(json_t *pool, const char *key, int v)
{
	json_object_set_new(pool, key, json_integer(v));
}

/* A VM; extra is more of its JSON ("{...}") or NULL. */
static void
add_vm(json_t *pool, const char *name, const char *on, const char *extra)
{
	json_t	*v = json_loads(extra ? extra : "{}", 0, NULL);

	assert_non_null(v);
	json_object_set_new(v, "name_label", json_string(name));
	if (on)
		json_object_set_new(v, "resident_on", json_string(on));
	json_array_append_new(json_object_get(pool, "vms"), v);
}

static void
start_pool(json_t *pool)
{
	char	*s = json_dumps(pool, 0);

	json_decref(pool);
	assert_non_null(s);
	assert_int_equal(fake_start(&fake, s), 0);
	free(s);
}

static int
stop_pool(void **state)
{
	(void)state;
	fake_stop(&fake);
	return 0;
}

/* A call to member n (127.0.0.n); NULL when nothing answered. */
static json_t *
xcall(int member, const char *method, const char *fmt, ...)
{
	char	 addr[32];
	json_t	*r;
	va_list	 ap;

	snprintf(addr, sizeof(addr), "127.0.0.%d", member);
	va_start(ap, fmt);
	r = fake_callv(addr, port, method, fmt, ap);
	va_end(ap);
	return r;
}

static void
show(const char *what, json_t *j)
{
	char	*s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	print_message("%s: %s\n", what, s ? s : "(nothing)");
	free(s);
}

/* The Value of a Success (borrowed from r). */
static json_t *
value(json_t *r)
{
	if (r == NULL || strcmp(json_string_value(json_object_get(r,
	    "Status")) ? json_string_value(json_object_get(r, "Status")) :
	    "", "Success") != 0)
		show("not a Success", r);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "Status")),
	    "Success");
	return json_object_get(r, "Value");
}

static void
ok(json_t *r)
{
	value(r);
	json_decref(r);
}

/* A copy of the string Value of a Success. */
static char *
ok_string(json_t *r)
{
	char	*s;

	assert_non_null(json_string_value(value(r)));
	s = strdup(json_string_value(value(r)));
	json_decref(r);
	return s;
}

static json_t *
expected(const char *code, va_list ap)
{
	json_t		*want = json_pack("[s]", code);
	const char	*p;

	while ((p = va_arg(ap, const char *)) != NULL)
		json_array_append_new(want, json_string(p));
	return want;
}

static void
assert_desc(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		show("got", got);
		show("want", want);
	}
	assert_true(json_equal(got, want));
}

/* r is a Failure [code, params...] (NULL ends the params); takes r. */
static void
fails(json_t *r, const char *code, ...)
{
	json_t	*want;
	va_list	 ap;

	va_start(ap, code);
	want = expected(code, ap);
	va_end(ap);
	if (r == NULL)
		show("want", want);
	assert_non_null(r);
	if (strcmp(json_string_value(json_object_get(r, "Status")),
	    "Failure") != 0)
		show("not a Failure", r);
	assert_string_equal(json_string_value(json_object_get(r, "Status")),
	    "Failure");
	assert_desc(json_object_get(r, "ErrorDescription"), want);
	json_decref(want);
	json_decref(r);
}

static char *
login(int member)
{
	return ok_string(xcall(member, "session.login_with_password",
	    "(ssss)", "root", "pw", "1.0", "test"));
}

static json_t *
task_record(const char *s, const char *task)
{
	json_t	*r = xcall(1, "task.get_record", "(ss)", s, task), *rec;

	rec = json_incref(value(r));
	json_decref(r);
	return rec;
}

static const char *
status(json_t *rec)
{
	return json_string_value(json_object_get(rec, "status"));
}

/* Polls the task until it is done (at most ms): its record. */
static json_t *
task_wait(const char *s, const char *task, int ms)
{
	json_t	*rec;
	int	 waited;

	for (waited = 0;; waited += 10) {
		rec = task_record(s, task);
		if (strcmp(status(rec), "pending") != 0 || waited >= ms)
			return rec;
		json_decref(rec);
		ms_sleep(10);
	}
}

/* The task ends in failure [code, params...]. */
static void
task_fails(const char *s, const char *task, const char *code, ...)
{
	json_t	*rec = task_wait(s, task, 5000), *want;
	va_list	 ap;

	va_start(ap, code);
	want = expected(code, ap);
	va_end(ap);
	if (strcmp(status(rec), "failure") != 0)
		show("task", rec);
	assert_string_equal(status(rec), "failure");
	assert_desc(json_object_get(rec, "error_info"), want);
	json_decref(want);
	json_decref(rec);
}

static void
task_succeeds(const char *s, const char *task)
{
	json_t	*rec = task_wait(s, task, 5000);

	if (strcmp(status(rec), "success") != 0)
		show("task", rec);
	assert_string_equal(status(rec), "success");
	json_decref(rec);
}

static json_t *
find_named(json_t *st, const char *list, const char *name)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(json_object_get(st, list), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")),
		    name) == 0)
			return e;
	fail_msg("no %s %s in fake.state", list, name);
	return NULL;
}

/* A field of host or VM `name` in fake.state, as JSON text. */
static char *
state_of(const char *list, const char *name, const char *field)
{
	json_t	*st = fake_state(port);
	char	*s;

	assert_non_null(st);
	s = json_dumps(json_object_get(find_named(st, list, name), field),
	    JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(st);
	return s;
}

static int
state_is(const char *list, const char *name, const char *field,
    const char *want)
{
	char	*s = state_of(list, name, field);
	int	 eq = strcmp(s, want) == 0;

	free(s);
	return eq;
}

static void
assert_state(const char *list, const char *name, const char *field,
    const char *want)
{
	char	*s = state_of(list, name, field);

	if (strcmp(s, want) != 0)
		print_message("%s %s %s: %s, not %s\n", list, name, field, s,
		    want);
	assert_string_equal(s, want);
	free(s);
}

/* Wait (at most ms) until a state field is `want`. */
static void
wait_state(const char *list, const char *name, const char *field,
    const char *want, int ms)
{
	int	 waited;

	for (waited = 0; waited < ms && !state_is(list, name, field, want);
	    waited += 10)
		ms_sleep(10);
	assert_state(list, name, field, want);
}

static json_t *
record_of(const char *s, const char *method, const char *ref)
{
	json_t	*r = xcall(1, method, "(ss)", s, ref), *rec;

	rec = json_incref(value(r));
	json_decref(r);
	return rec;
}

static int
str_in(json_t *array, const char *s)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(array, i, e)
		if (strcmp(json_string_value(e), s) == 0)
			return 1;
	return 0;
}

/* A: only the session, the name and the arity are answered at once. */
static void
test_async_failures_live_in_the_task(void **state)
{
	json_t	*pool = pool3(), *rec;
	char	*s, *task;

	(void)state;
	add_vm(pool, "gpu", "xs2", "{\"pci\": true}");
	add_vm(pool, "web", "xs3", NULL);
	add_vm(pool, "slow", "xs3", "{\"hangs_on_shutdown\": true}");
	start_pool(pool);
	s = login(1);
	fails(xcall(1, "Async.VM.clean_shutdown", "(ss)", "OpaqueRef:bad",
	    vm(1)), "SESSION_INVALID", "OpaqueRef:bad", NULL);
	fails(xcall(1, "Async.VM.no_such_call", "(ss)", s, vm(1)),
	    "MESSAGE_METHOD_UNKNOWN", "VM.no_such_call", NULL);
	fails(xcall(1, "Async.VM.get_record", "(ss)", s, vm(1)), "Fault",
	    "No async mode for this operation (rpc: VM.get_record)", NULL);
	fails(xcall(1, "Async.VM.clean_shutdown", "(s)", s),
	    "MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.clean_shutdown", "1", "0",
	    NULL);
	/* A bad ref is found by the task (exnHelper.ml). */
	task = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s,
	    "OpaqueRef:nope"));
	rec = task_wait(s, task, 2000);
	assert_string_equal(status(rec), "failure");
	assert_string_equal(json_string_value(json_object_get(rec,
	    "name_label")), "Async.VM.clean_shutdown");
	assert_non_null(json_string_value(json_object_get(rec, "uuid")));
	assert_true(json_real_value(json_object_get(rec, "progress")) == 1.0);
	assert_string_equal(json_string_value(json_object_get(rec, "result")),
	    "");
	assert_int_equal(json_array_size(json_object_get(rec,
	    "allowed_operations")), 0);
	assert_int_equal(json_object_size(json_object_get(rec,
	    "current_operations")), 0);
	assert_int_equal(json_object_size(json_object_get(rec,
	    "other_config")), 0);
	assert_string_equal(json_string_value(json_object_get(rec,
	    "resident_on")), H1);
	assert_int_equal(strncmp(json_string_value(json_object_get(rec,
	    "created")), "dateTime:20", 11), 0);
	assert_int_equal(strncmp(json_string_value(json_object_get(rec,
	    "finished")), "dateTime:20", 11), 0);
	json_decref(rec);
	task_fails(s, task, "HANDLE_INVALID", "VM", "OpaqueRef:nope", NULL);
	free(task);
	/* The synchronous form answers what the task says. */
	fails(xcall(1, "VM.clean_shutdown", "(ss)", s, "OpaqueRef:nope"),
	    "HANDLE_INVALID", "VM", "OpaqueRef:nope", NULL);
	/* The evacuation plan's error, too. */
	task = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	task_fails(s, task, "VM_HAS_PCI_ATTACHED", vm(1), NULL);
	free(task);
	fails(xcall(1, "host.evacuate", "(ss)", s, H2), "VM_HAS_PCI_ATTACHED",
	    vm(1), NULL);
	/* A void success: result <value></value>, finished set. */
	task = ok_string(xcall(1, "Async.VM.hard_shutdown", "(ss)", s, vm(2)));
	rec = task_wait(s, task, 2000);
	assert_string_equal(status(rec), "success");
	assert_string_equal(json_string_value(json_object_get(rec, "result")),
	    "<value></value>");
	json_decref(rec);
	free(task);
	/* Pending: progress 0, finished at the epoch, cancellable. */
	task = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s,
	    vm(3)));
	ms_sleep(100);
	rec = task_record(s, task);
	assert_string_equal(status(rec), "pending");
	assert_true(json_real_value(json_object_get(rec, "progress")) == 0.0);
	assert_int_equal(strncmp(json_string_value(json_object_get(rec,
	    "finished")), "dateTime:19700101T00:00:00", 26), 0);
	assert_true(str_in(json_object_get(rec, "allowed_operations"),
	    "cancel"));
	/* A forwarded operation runs on the VM's host. */
	assert_string_equal(json_string_value(json_object_get(rec,
	    "resident_on")), H3);
	json_decref(rec);
	free(task);
	free(s);
}

/* A: task.cancel never fails; who looks, stops. */
static void
test_task_cancel(void **state)
{
	json_t	*pool = pool3(), *rec, *st;
	char	*s, *task, *hung;
	int	 moved = 0, i;

	(void)state;
	set_int(pool, "per_vm_ms", 300);
	add_vm(pool, "a", "xs2", NULL);
	add_vm(pool, "b", "xs2", NULL);
	add_vm(pool, "c", "xs2", NULL);
	add_vm(pool, "slow", "xs3", "{\"hangs_on_shutdown\": true}");
	add_vm(pool, "web", "xs3", NULL);
	start_pool(pool);
	s = login(1);
	/* A finished task. */
	task = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s,
	    "OpaqueRef:nope"));
	task_fails(s, task, "HANDLE_INVALID", "VM", "OpaqueRef:nope", NULL);
	ok(xcall(1, "task.cancel", "(ss)", s, task));
	free(task);
	fails(xcall(1, "task.cancel", "(ss)", s, "OpaqueRef:task-none"),
	    "HANDLE_INVALID", "task", "OpaqueRef:task-none", NULL);
	/* A hung clean shutdown is cancelled: status cancelled, []. */
	hung = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s,
	    vm(4)));
	ms_sleep(50);
	ok(xcall(1, "task.cancel", "(ss)", s, hung));
	rec = task_wait(s, hung, 2000);
	assert_string_equal(status(rec), "cancelled");
	assert_int_equal(json_array_size(json_object_get(rec, "error_info")),
	    0);
	json_decref(rec);
	assert_state("vms", "slow", "power_state", "\"Running\"");
	free(hung);
	/* An evacuation lets the VM in flight arrive, then stops. */
	task = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	ms_sleep(100);
	ok(xcall(1, "task.cancel", "(ss)", s, task));
	rec = task_wait(s, task, 3000);
	assert_string_equal(status(rec), "cancelled");
	assert_int_equal(json_array_size(json_object_get(rec, "error_info")),
	    0);
	json_decref(rec);
	free(task);
	st = fake_state(port);
	for (i = 0; i < 3; i++)
		moved += strcmp(json_string_value(json_object_get(
		    json_array_get(json_object_get(st, "vms"), (size_t)i),
		    "resident_on")), "xs2") != 0;
	json_decref(st);
	assert_int_equal(moved, 1);
	/* hard_shutdown does not look: it runs to the end. */
	task = ok_string(xcall(1, "Async.VM.hard_shutdown", "(ss)", s, vm(5)));
	ok(xcall(1, "task.cancel", "(ss)", s, task));
	task_succeeds(s, task);
	assert_state("vms", "web", "power_state", "\"Halted\"");
	free(task);
	free(s);
}

/* B: power states, what each allows, and the shutdowns' refusals. */
static void
test_power_states_and_shutdowns(void **state)
{
	json_t	*pool = pool3(), *rec, *ops;
	char	*s;

	(void)state;
	add_vm(pool, "run", "xs2", NULL);
	add_vm(pool, "paused", "xs2", "{\"power_state\": \"Paused\"}");
	add_vm(pool, "susp", "xs2", "{\"power_state\": \"Suspended\"}");
	add_vm(pool, "halt", NULL, "{\"power_state\": \"Halted\"}");
	add_vm(pool, "nopv", "xs2", "{\"no_pv_drivers\": true}");
	add_vm(pool, "prot", "xs3", "{\"ha_restart_priority\": \"restart\"}");
	start_pool(pool);
	s = login(1);
	rec = record_of(s, "VM.get_record", vm(1));
	assert_string_equal(json_string_value(json_object_get(rec,
	    "power_state")), "Running");
	assert_string_equal(json_string_value(json_object_get(rec,
	    "resident_on")), H2);
	ops = json_object_get(rec, "allowed_operations");
	assert_true(str_in(ops, "clean_shutdown") && str_in(ops,
	    "hard_shutdown") && str_in(ops, "pool_migrate"));
	assert_int_equal(json_array_size(json_object_get(rec, "VBDs")), 2);
	assert_false(json_is_true(json_object_get(rec, "ha_always_run")));
	assert_string_equal(json_string_value(json_object_get(rec,
	    "ha_restart_priority")), "");
	json_decref(rec);
	/* Paused is resident; only hard_shutdown of the three. */
	rec = record_of(s, "VM.get_record", vm(2));
	assert_string_equal(json_string_value(json_object_get(rec,
	    "resident_on")), H2);
	ops = json_object_get(rec, "allowed_operations");
	assert_true(str_in(ops, "hard_shutdown") && !str_in(ops,
	    "clean_shutdown") && !str_in(ops, "pool_migrate"));
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(3));
	assert_string_equal(json_string_value(json_object_get(rec,
	    "resident_on")), "OpaqueRef:NULL");
	assert_true(str_in(json_object_get(rec, "allowed_operations"),
	    "hard_shutdown"));
	json_decref(rec);
	/* Halted: of the operations fakexapi models, only start. */
	rec = record_of(s, "VM.get_record", vm(4));
	ops = json_object_get(rec, "allowed_operations");
	assert_int_equal(json_array_size(ops), 1);
	assert_true(str_in(ops, "start"));
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(5));
	ops = json_object_get(rec, "allowed_operations");
	assert_true(str_in(ops, "hard_shutdown") && !str_in(ops,
	    "clean_shutdown") && !str_in(ops, "pool_migrate"));
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(6));
	assert_true(json_is_true(json_object_get(rec, "ha_always_run")));
	json_decref(rec);
	rec = record_of(s, "host.get_resident_VMs", H2);
	assert_true(str_in(rec, vm(1)) && str_in(rec, vm(2)) && !str_in(rec,
	    vm(3)));
	json_decref(rec);
	fails(xcall(1, "VM.clean_shutdown", "(ss)", s, vm(2)),
	    "VM_BAD_POWER_STATE", vm(2), "running", "paused", NULL);
	fails(xcall(1, "VM.clean_shutdown", "(ss)", s, vm(3)),
	    "VM_BAD_POWER_STATE", vm(3), "running", "suspended", NULL);
	fails(xcall(1, "VM.clean_shutdown", "(ss)", s, vm(4)),
	    "VM_BAD_POWER_STATE", vm(4), "running", "halted", NULL);
	fails(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(4)),
	    "VM_BAD_POWER_STATE", vm(4), "paused, suspended, running",
	    "halted", NULL);
	fails(xcall(1, "VM.clean_shutdown", "(ss)", s, vm(5)),
	    "VM_LACKS_FEATURE", vm(5), NULL);
	ok(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(2)));
	ok(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(3)));
	ok(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(5)));
	assert_state("vms", "paused", "power_state", "\"Halted\"");
	assert_state("vms", "susp", "power_state", "\"Halted\"");
	assert_state("vms", "nopv", "resident_on", "\"\"");
	/* Both shutdowns clear ha_always_run (xapi_vm.ml). */
	ok(xcall(1, "VM.clean_shutdown", "(ss)", s, vm(6)));
	assert_state("vms", "prot", "ha_always_run", "false");
	assert_state("vms", "prot", "ha_restart_priority", "\"restart\"");
	free(s);
}

/*
 * B: one operation at a time on a VM; xapi waits op_wait_ms for the
 * other to end, then gives up. hard_shutdown cancels a clean one.
 */
static void
test_vm_operations_exclude_each_other(void **state)
{
	json_t	*pool = pool3(), *rec;
	char	*s, *t1, *t2, *t3;

	(void)state;
	add_vm(pool, "slow", "xs2", "{\"hangs_on_shutdown\": true, "
	    "\"ha_restart_priority\": \"restart\"}");
	start_pool(pool);
	s = login(1);
	t1 = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s, vm(1)));
	ms_sleep(50);
	rec = record_of(s, "VM.get_record", vm(1));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rec, "current_operations"), t1)), "clean_shutdown");
	assert_false(str_in(json_object_get(rec, "allowed_operations"),
	    "clean_shutdown"));
	json_decref(rec);
	t2 = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s, vm(1)));
	task_fails(s, t2, "OTHER_OPERATION_IN_PROGRESS", "VM", vm(1),
	    "clean_shutdown", t1, NULL);
	free(t2);
	t2 = ok_string(xcall(1, "Async.VM.pool_migrate", "(sss{})", s, vm(1),
	    H3));
	task_fails(s, t2, "OTHER_OPERATION_IN_PROGRESS", "VM", vm(1),
	    "clean_shutdown", t1, NULL);
	free(t2);
	/* hard_shutdown cancels the clean one in flight, then runs. */
	ok(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(1)));
	rec = task_wait(s, t1, 2000);
	assert_string_equal(status(rec), "cancelled");
	json_decref(rec);
	assert_state("vms", "slow", "power_state", "\"Halted\"");
	assert_state("vms", "slow", "ha_always_run", "false");
	free(t1);
	free(s);
	fake_stop(&fake);

	/* With time to wait: the second waits, then gives up. */
	pool = pool3();
	set_int(pool, "op_wait_ms", 600);
	add_vm(pool, "slow", "xs2", "{\"hangs_on_shutdown\": true}");
	start_pool(pool);
	s = login(1);
	t1 = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s, vm(1)));
	t2 = ok_string(xcall(1, "Async.VM.pool_migrate", "(sss{})", s, vm(1),
	    H3));
	t3 = ok_string(xcall(1, "Async.VM.clean_shutdown", "(ss)", s, vm(1)));
	ms_sleep(300);
	rec = task_record(s, t2);
	assert_string_equal(status(rec), "pending");
	json_decref(rec);
	/* A waiting operation can be cancelled (helpers.ml retry). */
	ok(xcall(1, "task.cancel", "(ss)", s, t3));
	rec = task_wait(s, t3, 2000);
	assert_string_equal(status(rec), "cancelled");
	json_decref(rec);
	task_fails(s, t2, "OTHER_OPERATION_IN_PROGRESS", "VM", vm(1),
	    "clean_shutdown", t1, NULL);
	free(t1);
	free(t2);
	free(t3);
	free(s);
}

/* C: what keeps each VM from leaving, with xapi's codes and params. */
static void
test_evacuation_plan(void **state)
{
	json_t		*pool = pool3(), *b, *want, *r, *e, *v;
	const char	*k;
	char		*s;
	int		 found;

	(void)state;
	add_vm(pool, "paused", "xs2", "{\"power_state\": \"Paused\"}");
	add_vm(pool, "nopv", "xs2", "{\"no_pv_drivers\": true}");
	add_vm(pool, "pci", "xs2", "{\"pci\": true}");
	add_vm(pool, "local", "xs2", "{\"local_storage\": true}");
	add_vm(pool, "cdlocal", "xs2", "{\"cd\": \"local_iso\"}");
	add_vm(pool, "cddvd", "xs2", "{\"cd\": \"dvd\"}");
	add_vm(pool, "cdshared", "xs2", "{\"cd\": \"shared_iso\"}");
	add_vm(pool, "big", "xs2", "{\"memory_mib\": 20000}");
	add_vm(pool, "fine", "xs2", "{\"memory_mib\": 1024}");
	add_vm(pool, "empty", "xs2", "{\"cd\": \"\"}");
	start_pool(pool);
	s = login(1);
	b = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	want = json_pack("{s:[s,s,s,s], s:[s,s], s:[s,s], s:[s,s,s], "
	    "s:[s,s,s], s:[s,s,s], s:[s,s]}", vm(1), "VM_BAD_POWER_STATE",
	    vm(1), "running", "paused", vm(2), "VM_LACKS_FEATURE", vm(2),
	    vm(3), "VM_HAS_PCI_ATTACHED", vm(3), vm(4), "VM_REQUIRES_SR",
	    vm(4), "OpaqueRef:SR-local-2", vm(5), "VM_REQUIRES_SR", vm(5),
	    "OpaqueRef:SR-local-iso-2", vm(6), "VM_REQUIRES_SR", vm(6),
	    "OpaqueRef:SR-dvd-2", vm(8), "HOST_NOT_ENOUGH_FREE_MEMORY",
	    vm(8));
	assert_desc(b, want);
	json_decref(want);
	/* host.evacuate fails with one of them (xapi: the first it meets). */
	r = xcall(1, "host.evacuate", "(ss)", s, H2);
	assert_string_equal(json_string_value(json_object_get(r, "Status")),
	    "Failure");
	found = 0;
	json_object_foreach(b, k, v)
		found |= json_equal(v, json_object_get(r, "ErrorDescription"));
	assert_true(found);
	json_decref(r);
	json_decref(b);
	/* pool_migrate checks the SRs too. */
	fails(xcall(1, "VM.pool_migrate", "(sss{})", s, vm(6), H3),
	    "VM_REQUIRES_SR", vm(6), "OpaqueRef:SR-dvd-2", NULL);
	free(s);
	fake_stop(&fake);

	/* HA on: unprotected VMs may not move. */
	pool = pool3();
	json_object_set_new(pool, "ha_enabled", json_true());
	add_vm(pool, "prot", "xs2", "{\"ha_restart_priority\": \"restart\"}");
	add_vm(pool, "best", "xs2", "{\"ha_restart_priority\": "
	    "\"best-effort\"}");
	add_vm(pool, "off", "xs2", "{\"ha_restart_priority\": \"restart\", "
	    "\"ha_always_run\": false}");
	start_pool(pool);
	s = login(1);
	b = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	want = json_pack("{s:[s,s], s:[s,s]}", vm(2),
	    "HOST_NOT_ENOUGH_FREE_MEMORY", vm(2), vm(3),
	    "HOST_NOT_ENOUGH_FREE_MEMORY", vm(3));
	assert_desc(b, want);
	json_decref(want);
	json_decref(b);
	free(s);
	fake_stop(&fake);

	/* Targets: enabled hosts; live or not as the DB says. */
	pool = pool3();
	set_int(pool, "dead_after_ms", 200);
	add_vm(pool, "a", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	ok(xcall(1, "host.disable", "(ss)", s, H1));
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	b = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	e = json_pack("{s:[s,s]}", vm(1), "NO_HOSTS_AVAILABLE", vm(1));
	assert_desc(b, e);
	json_decref(e);
	json_decref(b);
	ok(xcall(1, "host.enable", "(ss)", s, H1));
	ok(xcall(1, "host.enable", "(ss)", s, H3));
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs3", 0), 0);
	wait_state("hosts", "xs3", "live", "false", 2000);
	assert_state("hosts", "xs3", "enabled", "true");
	b = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	e = json_pack("{s:[s]}", vm(1), "HOST_NOT_LIVE");
	assert_desc(b, e);
	json_decref(e);
	json_decref(b);
	free(s);
}

/*
 * C: a second evacuation of the same host is not refused; both show in
 * current_operations and both end when the host is empty. The optional
 * parameters.
 */
static void
test_two_evacuations(void **state)
{
	json_t	*pool = pool3(), *ops, *want;
	char	*s, *e1, *e2, *e3;

	(void)state;
	set_int(pool, "evacuate_ms", 300);
	set_int(pool, "per_vm_ms", 60);
	set_int(pool, "op_wait_ms", 10000);
	add_vm(pool, "a", "xs2", NULL);
	add_vm(pool, "b", "xs2", NULL);
	add_vm(pool, "c", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	fails(xcall(1, "host.evacuate", "(sssss)", s, H2, "OpaqueRef:NULL",
	    "0", "x"), "MESSAGE_PARAMETER_COUNT_MISMATCH", "host.evacuate",
	    "1", "4", NULL);
	e3 = ok_string(xcall(1, "Async.host.evacuate", "(sss)", s, H2,
	    "OpaqueRef:network-9"));
	task_fails(s, e3, "HANDLE_INVALID", "network", "OpaqueRef:network-9",
	    NULL);
	free(e3);
	e1 = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	e2 = ok_string(xcall(1, "Async.host.evacuate", "(sssi)", s, H2,
	    "OpaqueRef:NULL", 0));
	ops = record_of(s, "host.get_current_operations", H2);
	want = json_pack("{s:s, s:s}", e1, "evacuate", e2, "evacuate");
	assert_desc(ops, want);
	json_decref(want);
	json_decref(ops);
	task_succeeds(s, e1);
	task_succeeds(s, e2);
	assert_state("hosts", "xs2", "vms", "[]");
	ops = record_of(s, "host.get_current_operations", H2);
	assert_int_equal(json_object_size(ops), 0);
	json_decref(ops);
	/* A third with its batch size as XenAPI clients send ints. */
	e3 = ok_string(xcall(1, "Async.host.evacuate", "(ssss)", s, H2,
	    "OpaqueRef:NULL", "10"));
	task_succeeds(s, e3);
	free(e1);
	free(e2);
	free(e3);
	free(s);
}

/* C, D: a target that is down but live in the DB cannot be reached. */
static void
test_migration_to_a_dead_target(void **state)
{
	json_t	*pool = pool3();
	char	*s, *task;

	(void)state;
	add_vm(pool, "a", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	ok(xcall(1, "host.disable", "(ss)", s, H1));
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs3", 0), 0);
	task = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	task_fails(s, task, "CANNOT_CONTACT_HOST", H3, NULL);
	assert_state("vms", "a", "resident_on", "\"xs2\"");
	free(task);
	task = ok_string(xcall(1, "Async.VM.pool_migrate", "(sss{})", s, vm(1),
	    H3));
	task_fails(s, task, "CANNOT_CONTACT_HOST", H3, NULL);
	free(task);
	free(s);
}

/* K: on a member, the session first, then HOST_IS_SLAVE. */
static void
test_member_checks_the_session_first(void **state)
{
	char	*s;

	(void)state;
	start_pool(pool3());
	s = login(1);
	fails(xcall(2, "session.login_with_password", "(ssss)", "root",
	    "wrong", "1.0", "test"), "HOST_IS_SLAVE", "127.0.0.1", NULL);
	fails(xcall(2, "host.get_all_records", "(s)", "OpaqueRef:bogus"),
	    "SESSION_INVALID", "OpaqueRef:bogus", NULL);
	fails(xcall(2, "host.get_all_records", "(s)", s), "HOST_IS_SLAVE",
	    "127.0.0.1", NULL);
	fails(xcall(3, "Async.host.evacuate", "(ss)", s, H2),
	    "HOST_IS_SLAVE", "127.0.0.1", NULL);
	free(s);
}

/*
 * D: a power loss: the host is gone at once, but the DB says live for
 * dead_after_ms and enabled does not change. Forwarding to it: while live
 * CANNOT_CONTACT_HOST, then HOST_OFFLINE. A clean shutdown is dead at once.
 */
static void
test_dead_member_looks_live(void **state)
{
	json_t	*pool = pool3(), *r;
	char	*s, *task;

	(void)state;
	set_int(pool, "dead_after_ms", 600);
	add_vm(pool, "web", "xs2", NULL);
	add_vm(pool, "db", "xs3", NULL);
	start_pool(pool);
	s = login(1);
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs2", 0), 0);
	assert_null(xcall(2, "session.login_with_password", "(ssss)", "root",
	    "pw", "1.0", "test"));
	assert_state("hosts", "xs2", "live", "true");
	assert_state("hosts", "xs2", "enabled", "true");
	assert_state("hosts", "xs2", "up", "false");
	assert_state("vms", "web", "crashed", "true");
	r = xcall(1, "host_metrics.get_live", "(ss)", s,
	    "OpaqueRef:host_metrics-2");
	assert_true(json_is_true(value(r)));
	json_decref(r);
	fails(xcall(1, "host.disable", "(ss)", s, H2), "CANNOT_CONTACT_HOST",
	    H2, NULL);
	fails(xcall(1, "host.enable", "(ss)", s, H2), "CANNOT_CONTACT_HOST",
	    H2, NULL);
	task = ok_string(xcall(1, "Async.host.disable", "(ss)", s, H2));
	task_fails(s, task, "CANNOT_CONTACT_HOST", H2, NULL);
	free(task);
	wait_state("hosts", "xs2", "live", "false", 3000);
	fails(xcall(1, "host.disable", "(ss)", s, H2), "HOST_OFFLINE", H2,
	    NULL);
	assert_state("hosts", "xs2", "enabled", "true");
	/* host.shutdown: disabled first; running VMs do not refuse it. */
	fails(xcall(1, "host.shutdown", "(ss)", s, H3), "HOST_NOT_DISABLED",
	    NULL);
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	ok(xcall(1, "host.shutdown", "(ss)", s, H3));
	assert_state("hosts", "xs3", "live", "false");
	assert_state("vms", "db", "crashed", "true");
	free(s);
}

/*
 * host.power_on (xapi_host_helpers.ml valid_operations, xapi_host.ml
 * power_on): refused on a live host (HOST_IS_LIVE [host]) and without a
 * power_on_mode (HOST_POWER_ON_MODE_DISABLED []); allowed_operations
 * says so. Otherwise the master's plugin wakes the host and the call
 * lasts until it is live; a wake-up that never arrives fails it with
 * INTERNAL_ERROR when the plugin gives up.
 */
static void
test_host_power_on(void **state)
{
	json_t	*pool = pool3(), *hosts, *r;
	char	*s, *task;

	(void)state;
	set_int(pool, "boot_ms", 200);
	set_int(pool, "power_on_wait_ms", 800);
	hosts = json_object_get(pool, "hosts");
	json_object_set_new(json_array_get(hosts, 1), "power_on_mode",
	    json_string("wake-on-lan"));
	json_object_set_new(json_array_get(hosts, 2), "power_on_mode",
	    json_string("IPMI"));
	json_object_set_new(json_array_get(hosts, 2), "power_on_fails",
	    json_true());
	start_pool(pool);
	s = login(1);
	fails(xcall(1, "host.power_on", "(ss)", s, H2), "HOST_IS_LIVE", H2,
	    NULL);
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.shutdown", "(ss)", s, H2));
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	ok(xcall(1, "host.shutdown", "(ss)", s, H3));
	r = xcall(1, "host.get_record", "(ss)", s, H2);
	assert_string_equal(json_string_value(json_object_get(value(r),
	    "power_on_mode")), "wake-on-lan");
	json_decref(r);
	/* Woken: the Async task ends when the host is live again. */
	task = ok_string(xcall(1, "Async.host.power_on", "(ss)", s, H2));
	assert_state("hosts", "xs2", "live", "false");
	task_succeeds(s, task);
	free(task);
	assert_state("hosts", "xs2", "live", "true");
	/* The wake-up that never arrives: the plugin gives up. */
	task = ok_string(xcall(1, "Async.host.power_on", "(ss)", s, H3));
	task_fails(s, task, "INTERNAL_ERROR",
	    "Failure(\"The host failed to power on.\")", NULL);
	free(task);
	assert_state("hosts", "xs3", "live", "false");
	free(s);
}

static void
test_host_power_on_mode_disabled(void **state)
{
	json_t	*pool = pool3(), *r, *ops;
	char	*s;
	size_t	 i;
	int	 allowed = 0;

	(void)state;
	start_pool(pool);
	s = login(1);
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.shutdown", "(ss)", s, H2));
	r = xcall(1, "host.get_record", "(ss)", s, H2);
	assert_string_equal(json_string_value(json_object_get(value(r),
	    "power_on_mode")), "");
	ops = json_object_get(value(r), "allowed_operations");
	for (i = 0; i < json_array_size(ops); i++)
		allowed |= strcmp(json_string_value(json_array_get(ops, i)),
		    "power_on") == 0;
	assert_false(allowed);
	json_decref(r);
	fails(xcall(1, "host.power_on", "(ss)", s, H2),
	    "HOST_POWER_ON_MODE_DISABLED", NULL);
	assert_state("hosts", "xs2", "live", "false");
	free(s);
}

/*
 * E: power back: down for boot_ms, then xapi starts for xapi_start_ms
 * (HOST_STILL_BOOTING to everything, host.enable forwarded too), then it
 * enables the host itself and MAINTENANCE_MODE stays.
 */
static void
test_boot_and_start_up(void **state)
{
	json_t	*pool = pool3();
	char	*s;

	(void)state;
	set_int(pool, "boot_ms", 300);
	set_int(pool, "xapi_start_ms", 600);
	start_pool(pool);
	s = login(1);
	ok(xcall(1, "host.enable", "(ss)", s, H2));	/* a no-op */
	ok(xcall(1, "host.add_to_other_config", "(ssss)", s, H2,
	    "MAINTENANCE_MODE", "true"));
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs2", 0), 0);
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs2", 1), 0);
	assert_null(xcall(2, "session.login_with_password", "(ssss)", "root",
	    "pw", "1.0", "test"));
	wait_state("hosts", "xs2", "phase", "\"starting\"", 2000);
	fails(xcall(2, "session.login_with_password", "(ssss)", "root", "pw",
	    "1.0", "test"), "HOST_STILL_BOOTING", NULL);
	fails(xcall(1, "host.enable", "(ss)", s, H2), "HOST_STILL_BOOTING",
	    NULL);
	assert_state("hosts", "xs2", "live", "true");
	assert_state("hosts", "xs2", "enabled", "false");
	wait_state("hosts", "xs2", "phase", "\"up\"", 2000);
	assert_state("hosts", "xs2", "enabled", "true");
	assert_state("hosts", "xs2", "other_config",
	    "{\"MAINTENANCE_MODE\":\"true\"}");
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	fails(xcall(2, "session.login_with_password", "(ssss)", "root", "pw",
	    "1.0", "test"), "HOST_IS_SLAVE", "127.0.0.1", NULL);
	free(s);
}

static void
wait_all_up(int ms)
{
	wait_state("hosts", "xs1", "phase", "\"up\"", ms);
	wait_state("hosts", "xs2", "phase", "\"up\"", ms);
	wait_state("hosts", "xs3", "phase", "\"up\"", ms);
}

/*
 * F: a new master at once; restart_after_ms later every xapi restarts:
 * refused, then starting, then up, with sessions and tasks forgotten and
 * disabled hosts enabled again.
 */
static void
test_designate_restarts_every_xapi(void **state)
{
	json_t	*pool = pool3(), *r;
	char	*s, *task, *s2;

	(void)state;
	set_int(pool, "restart_after_ms", 400);
	set_int(pool, "restart_ms", 300);
	set_int(pool, "xapi_start_ms", 300);
	add_vm(pool, "halt", NULL, "{\"power_state\": \"Halted\"}");
	start_pool(pool);
	s = login(1);
	task = ok_string(xcall(1, "Async.VM.hard_shutdown", "(ss)", s, vm(1)));
	task_fails(s, task, "VM_BAD_POWER_STATE", vm(1),
	    "paused, suspended, running", "halted", NULL);
	ok(xcall(1, "host.add_to_other_config", "(ssss)", s, H3,
	    "MAINTENANCE_MODE", "true"));
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	assert_int_equal(fake_ctl(port, "fake.set_ha", "(b)", 1), 0);
	fails(xcall(1, "pool.designate_new_master", "(ss)", s, H2),
	    "HA_IS_ENABLED", NULL);
	assert_int_equal(fake_ctl(port, "fake.set_ha", "(b)", 0), 0);
	/* Already master: nothing, no restart. */
	ok(xcall(1, "pool.designate_new_master", "(ss)", s, H1));
	ok(xcall(1, "pool.designate_new_master", "(ss)", s, H2));
	r = xcall(2, "pool.get_master", "(s)", s);
	assert_string_equal(json_string_value(value(r)), H2);
	json_decref(r);
	fails(xcall(1, "session.login_with_password", "(ssss)", "root", "pw",
	    "1.0", "test"), "HOST_IS_SLAVE", "127.0.0.2", NULL);
	wait_state("hosts", "xs2", "phase", "\"booting\"", 2000);
	assert_state("hosts", "xs1", "phase", "\"booting\"");
	assert_null(xcall(2, "pool.get_master", "(s)", s));
	wait_state("hosts", "xs2", "phase", "\"starting\"", 2000);
	fails(xcall(2, "session.login_with_password", "(ssss)", "root", "pw",
	    "1.0", "test"), "HOST_STILL_BOOTING", NULL);
	wait_all_up(2000);
	fails(xcall(2, "host.get_all_records", "(s)", s), "SESSION_INVALID",
	    s, NULL);
	s2 = login(2);
	fails(xcall(2, "task.get_record", "(ss)", s2, task), "HANDLE_INVALID",
	    "task", task, NULL);
	assert_state("hosts", "xs3", "enabled", "true");
	assert_state("hosts", "xs3", "other_config",
	    "{\"MAINTENANCE_MODE\":\"true\"}");
	/* XenCenter's form, already master: a task, done. */
	free(task);
	task = ok_string(xcall(2, "Async.pool.designate_new_master", "(ss)",
	    s2, H2));
	r = xcall(2, "task.get_record", "(ss)", s2, task);
	assert_string_equal(status(value(r)), "success");
	json_decref(r);
	free(task);
	free(s);
	free(s2);
}

/* F: a restart stops an evacuation where it is and forgets its task. */
static void
test_restart_stops_an_evacuation(void **state)
{
	json_t	*pool = pool3(), *st;
	char	*s, *task, *before;

	(void)state;
	set_int(pool, "per_vm_ms", 200);
	add_vm(pool, "a", "xs2", NULL);
	add_vm(pool, "b", "xs2", NULL);
	add_vm(pool, "c", "xs2", NULL);
	add_vm(pool, "d", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	task = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	ms_sleep(300);
	assert_int_equal(fake_ctl(port, "fake.restart_toolstack", "()"), 0);
	assert_null(xcall(1, "host.get_all_records", "(s)", s));
	before = state_of("hosts", "xs2", "vms");
	assert_true(strcmp(before, "[]") != 0);
	assert_true(strcmp(before, "[\"a\",\"b\",\"c\",\"d\"]") != 0);
	wait_all_up(3000);
	ms_sleep(500);
	assert_state("hosts", "xs2", "vms", before);
	st = fake_state(port);
	assert_int_equal(json_integer_value(json_object_get(st,
	    "pending_tasks")), 0);
	json_decref(st);
	free(s);
	s = login(1);
	fails(xcall(1, "task.get_record", "(ss)", s, task), "HANDLE_INVALID",
	    "task", task, NULL);
	free(before);
	free(task);
	free(s);
}

static const char *
str(json_t *j)
{
	return json_is_string(j) ? json_string_value(j) : "";
}

/* How many calls of method on arg the log has with that status. */
static int
logged(const char *method, const char *arg, const char *st)
{
	json_t	*calls = fake_calls(&fake), *c;
	size_t	 i;
	int	 n = 0;

	json_array_foreach(calls, i, c)
		if (strcmp(str(json_object_get(c, "method")), method) == 0 &&
		    strcmp(str(json_array_get(json_object_get(c, "args"), 0)),
		    arg) == 0 && strcmp(str(json_object_get(c, "status")),
		    st) == 0)
			n++;
	json_decref(calls);
	return n;
}

/* G: a running XenCenter disables hosts left in maintenance mode. */
static void
test_xencenter_disables_maintenance_hosts(void **state)
{
	json_t	*pool = pool3();
	char	*s;

	(void)state;
	json_object_set_new(pool, "ha_enabled", json_true());
	add_vm(pool, "p1", "xs1", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p2", "xs2", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p3", "xs3", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	start_pool(pool);
	s = login(1);
	assert_int_equal(fake_ctl(port, "fake.set_ha", "(b)", 0), 0);
	ok(xcall(1, "host.add_to_other_config", "(ssss)", s, H2,
	    "MAINTENANCE_MODE", "true"));
	assert_state("hosts", "xs2", "enabled", "true");
	assert_int_equal(fake_ctl(port, "fake.xencenter", "(b)", 1), 0);
	assert_state("hosts", "xs2", "enabled", "false");
	assert_int_equal(logged("xencenter:host.disable", H2, "Success"), 1);
	/* Enabled again with the key still there: disabled again. */
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	assert_state("hosts", "xs2", "enabled", "false");
	assert_int_equal(logged("xencenter:host.disable", H2, "Success"), 2);
	ok(xcall(1, "host.remove_from_other_config", "(sss)", s, H2,
	    "MAINTENANCE_MODE"));
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	assert_state("hosts", "xs2", "enabled", "true");
	/* A disable that fails: XenCenter removes the key. */
	assert_int_equal(fake_ctl(port, "fake.set_ha", "(b)", 1), 0);
	ok(xcall(1, "host.add_to_other_config", "(ssss)", s, H3,
	    "MAINTENANCE_MODE", "true"));
	assert_state("hosts", "xs3", "enabled", "true");
	assert_state("hosts", "xs3", "other_config", "{}");
	assert_int_equal(logged("xencenter:host.disable", H3, "Failure"), 1);
	assert_int_equal(logged("xencenter:host.remove_from_other_config", H3,
	    "Success"), 1);
	assert_int_equal(fake_ctl(port, "fake.xencenter", "(b)", 0), 0);
	free(s);
}

/* I: VBDs, VDIs and SRs; a CD from a local SR pins a VM until ejected. */
static void
test_cds_and_srs(void **state)
{
	json_t	*pool = pool3(), *rec, *want;
	char	*s, *task;

	(void)state;
	add_vm(pool, "cdlocal", "xs2", "{\"cd\": \"local_iso\"}");
	add_vm(pool, "cddvd", "xs2", "{\"cd\": \"dvd\"}");
	add_vm(pool, "cdshared", "xs2", "{\"cd\": \"shared_iso\"}");
	add_vm(pool, "cdnone", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	rec = record_of(s, "VM.get_VBDs", vm(1));
	want = json_pack("[s,s]", "OpaqueRef:VBD-disk-1", "OpaqueRef:VBD-cd-1");
	assert_desc(rec, want);
	json_decref(want);
	json_decref(rec);
	rec = record_of(s, "VBD.get_record", "OpaqueRef:VBD-cd-1");
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
	    "CD");
	assert_false(json_is_true(json_object_get(rec, "empty")));
	assert_string_equal(json_string_value(json_object_get(rec, "VM")),
	    vm(1));
	assert_string_equal(json_string_value(json_object_get(rec, "VDI")),
	    "OpaqueRef:VDI-iso-1");
	json_decref(rec);
	rec = record_of(s, "VBD.get_record", "OpaqueRef:VBD-disk-1");
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
	    "Disk");
	json_decref(rec);
	rec = record_of(s, "VDI.get_record", "OpaqueRef:VDI-iso-1");
	assert_string_equal(json_string_value(json_object_get(rec, "SR")),
	    "OpaqueRef:SR-local-iso-2");
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-local-iso-2");
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
	    "iso");
	assert_string_equal(json_string_value(json_object_get(rec,
	    "content_type")), "iso");
	assert_false(json_is_true(json_object_get(rec, "shared")));
	json_decref(rec);
	rec = record_of(s, "VBD.get_record", "OpaqueRef:VBD-cd-2");
	assert_string_equal(json_string_value(json_object_get(rec, "VDI")),
	    "OpaqueRef:VDI-dvd-2");
	json_decref(rec);
	rec = record_of(s, "VDI.get_record", "OpaqueRef:VDI-dvd-2");
	assert_string_equal(json_string_value(json_object_get(rec, "SR")),
	    "OpaqueRef:SR-dvd-2");
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-dvd-2");
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
	    "udev");
	assert_string_equal(json_string_value(json_object_get(rec,
	    "content_type")), "iso");
	json_decref(rec);
	rec = record_of(s, "VDI.get_record", "OpaqueRef:VDI-iso-3");
	assert_string_equal(json_string_value(json_object_get(rec, "SR")),
	    "OpaqueRef:SR-iso-library");
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-iso-library");
	assert_true(json_is_true(json_object_get(rec, "shared")));
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-shared");
	assert_string_equal(json_string_value(json_object_get(rec,
	    "content_type")), "user");
	json_decref(rec);
	rec = record_of(s, "VBD.get_record", "OpaqueRef:VBD-cd-4");
	assert_true(json_is_true(json_object_get(rec, "empty")));
	assert_string_equal(json_string_value(json_object_get(rec, "VDI")),
	    "OpaqueRef:NULL");
	json_decref(rec);
	rec = xcall(1, "VBD.get_all_records", "(s)", s);
	assert_int_equal(json_object_size(value(rec)), 8);
	json_decref(rec);
	rec = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	assert_int_equal(json_object_size(rec), 2);
	json_decref(rec);
	fails(xcall(1, "VBD.eject", "(ss)", s, "OpaqueRef:VBD-disk-1"),
	    "VBD_NOT_REMOVABLE_MEDIA", "OpaqueRef:VBD-disk-1", NULL);
	fails(xcall(1, "VBD.eject", "(ss)", s, "OpaqueRef:VBD-cd-4"),
	    "VBD_IS_EMPTY", "OpaqueRef:VBD-cd-4", NULL);
	ok(xcall(1, "VBD.eject", "(ss)", s, "OpaqueRef:VBD-cd-1"));
	fails(xcall(1, "VBD.eject", "(ss)", s, "OpaqueRef:VBD-cd-1"),
	    "VBD_IS_EMPTY", "OpaqueRef:VBD-cd-1", NULL);
	task = ok_string(xcall(1, "Async.VBD.eject", "(ss)", s,
	    "OpaqueRef:VBD-cd-2"));
	task_succeeds(s, task);
	free(task);
	rec = record_of(s, "host.get_vms_which_prevent_evacuation", H2);
	assert_int_equal(json_object_size(rec), 0);
	json_decref(rec);
	ok(xcall(1, "host.evacuate", "(ss)", s, H2));
	assert_state("hosts", "xs2", "vms", "[]");
	free(s);
}

/* J: other_config values are kept whole. */
static void
test_long_other_config(void **state)
{
	json_t	*r;
	char	*s, *big;
	int	 i;

	(void)state;
	start_pool(pool3());
	s = login(1);
	big = malloc(20001);
	assert_non_null(big);
	for (i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	big[20000] = '\0';
	ok(xcall(1, "host.add_to_other_config", "(ssss)", s, H2,
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED", big));
	r = xcall(1, "host.get_other_config", "(ss)", s, H2);
	assert_string_equal(json_string_value(json_object_get(value(r),
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED")), big);
	json_decref(r);
	r = xcall(1, "host.get_record", "(ss)", s, H2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    value(r), "other_config"),
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED")), big);
	json_decref(r);
	/* The pool's other_config, the same way. */
	ok(xcall(1, "pool.add_to_other_config", "(ssss)", s,
	    "OpaqueRef:pool-1", "upsxen", big));
	fails(xcall(1, "pool.add_to_other_config", "(ssss)", s,
	    "OpaqueRef:pool-1", "upsxen", "x"), "MAP_DUPLICATE_KEY", "pool",
	    "other_config", "OpaqueRef:pool-1", "upsxen", NULL);
	r = xcall(1, "pool.get_other_config", "(ss)", s, "OpaqueRef:pool-1");
	assert_string_equal(json_string_value(json_object_get(value(r),
	    "upsxen")), big);
	json_decref(r);
	ok(xcall(1, "pool.remove_from_other_config", "(sss)", s,
	    "OpaqueRef:pool-1", "upsxen"));
	free(big);
	free(s);
}

/*
 * xapi_vm.ml set_ha_restart_priority: ha_always_run follows a running
 * VM's priority only when the priority changes; set_ha_always_run is
 * priority "restart" or "".
 */
static void
test_ha_restart_priority(void **state)
{
	json_t	*pool = pool3();
	char	*s;

	(void)state;
	add_vm(pool, "p", "xs2", "{\"ha_restart_priority\": \"restart\"}");
	add_vm(pool, "stale", "xs2", "{\"ha_restart_priority\": \"restart\", "
	    "\"ha_always_run\": false}");
	start_pool(pool);
	s = login(1);
	ok(xcall(1, "VM.set_ha_restart_priority", "(sss)", s, vm(1), ""));
	assert_state("vms", "p", "ha_always_run", "false");
	ok(xcall(1, "VM.set_ha_always_run", "(ssb)", s, vm(1), 1));
	assert_state("vms", "p", "ha_restart_priority", "\"restart\"");
	assert_state("vms", "p", "ha_always_run", "true");
	ok(xcall(1, "VM.set_ha_always_run", "(ssb)", s, vm(2), 1));
	assert_state("vms", "stale", "ha_always_run", "false");
	fails(xcall(1, "VM.set_ha_restart_priority", "(sss)", s, vm(1),
	    "always"), "INVALID_VALUE", "ha_restart_priority", "always", NULL);
	free(s);
}

static json_t *
pool_record(const char *s)
{
	json_t	*r = xcall(1, "pool.get_all_records", "(s)", s), *rec;

	rec = json_incref(json_object_get(value(r), "OpaqueRef:pool-1"));
	json_decref(r);
	assert_non_null(rec);
	return rec;
}

static const char *
field(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/*
 * H: three hosts of 16 GiB, each with one protected 8 GiB VM: a plan for
 * one failure, none with a host disabled.
 */
static void
test_ha_plan(void **state)
{
	json_t	*pool = pool3(), *rec, *r;
	char	*s, *task;

	(void)state;
	json_object_set_new(pool, "ha_enabled", json_true());
	add_vm(pool, "p1", "xs1", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p2", "xs2", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p3", "xs3", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	start_pool(pool);
	s = login(1);
	rec = pool_record(s);
	assert_true(json_is_true(json_object_get(rec, "ha_enabled")));
	assert_string_equal(field(rec, "ha_host_failures_to_tolerate"), "1");
	assert_string_equal(field(rec, "ha_plan_exists_for"), "1");
	assert_false(json_is_true(json_object_get(rec, "ha_allow_overcommit")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    rec, "ha_statefiles"), 0)), "OpaqueRef:VDI-statefile");
	json_decref(rec);
	rec = record_of(s, "VDI.get_record", "OpaqueRef:VDI-statefile");
	assert_string_equal(field(rec, "SR"), "OpaqueRef:SR-shared");
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-shared");
	assert_true(json_is_true(json_object_get(rec, "shared")));
	json_decref(rec);
	fails(xcall(1, "host.disable", "(ss)", s, H2),
	    "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
	task = ok_string(xcall(1, "Async.host.evacuate", "(ss)", s, H2));
	task_fails(s, task, "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
	free(task);
	r = xcall(1, "pool.ha_compute_hypothetical_max_host_failures_to_"
	    "tolerate", "(s{s:s,s:s,s:s})", s, vm(1), "restart", vm(2),
	    "restart", vm(3), "restart");
	assert_string_equal(json_string_value(value(r)), "1");
	json_decref(r);
	r = xcall(1, "pool.ha_compute_hypothetical_max_host_failures_to_"
	    "tolerate", "(s{s:s,s:s})", s, vm(1), "restart", vm(2),
	    "best-effort");
	assert_string_equal(json_string_value(value(r)), "2");
	json_decref(r);
	fails(xcall(1, "pool.ha_compute_hypothetical_max_host_failures_to_"
	    "tolerate", "(s{s:s})", s, vm(1), "always"), "INVALID_VALUE",
	    "ha_restart_priority", "always", NULL);
	fails(xcall(1, "pool.set_ha_host_failures_to_tolerate", "(sss)", s,
	    "OpaqueRef:pool-1", "-1"), "INVALID_VALUE",
	    "ha_host_failures_to_tolerate", "-1", NULL);
	fails(xcall(1, "pool.set_ha_host_failures_to_tolerate", "(sss)", s,
	    "OpaqueRef:pool-1", "2"), "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN",
	    NULL);
	/* XenCenter lowers ntol first: then the host may leave. */
	ok(xcall(1, "pool.set_ha_host_failures_to_tolerate", "(sss)", s,
	    "OpaqueRef:pool-1", "0"));
	rec = pool_record(s);
	assert_string_equal(field(rec, "ha_host_failures_to_tolerate"), "0");
	assert_string_equal(field(rec, "ha_plan_exists_for"), "0");
	json_decref(rec);
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	ok(xcall(1, "pool.set_ha_host_failures_to_tolerate", "(sss)", s,
	    "OpaqueRef:pool-1", "1"));
	/* Overcommit allowed: nothing is refused for the plan. */
	ok(xcall(1, "pool.set_ha_allow_overcommit", "(ssb)", s,
	    "OpaqueRef:pool-1", 1));
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	ok(xcall(1, "pool.set_ha_allow_overcommit", "(ssb)", s,
	    "OpaqueRef:pool-1", 0));
	/* HA off: nothing to keep; on again: the plan counts again. */
	ok(xcall(1, "pool.disable_ha", "(s)", s));
	fails(xcall(1, "pool.disable_ha", "(s)", s), "HA_NOT_ENABLED", NULL);
	rec = fake_state(port);
	assert_false(json_is_true(json_object_get(rec, "ha_enabled")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    rec, "ha"), "host_failures_to_tolerate")), 1);
	json_decref(rec);
	rec = pool_record(s);
	assert_int_equal(json_array_size(json_object_get(rec,
	    "ha_statefiles")), 0);
	json_decref(rec);
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.enable", "(ss)", s, H2));
	ok(xcall(1, "pool.enable_ha", "(s(s){})", s, "OpaqueRef:SR-shared"));
	fails(xcall(1, "pool.enable_ha", "(s(s){})", s, "OpaqueRef:SR-shared"),
	    "HA_IS_ENABLED", NULL);
	fails(xcall(1, "host.disable", "(ss)", s, H3),
	    "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
	free(s);
}

static double
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * M: VM.start (message_forwarding.ml, xapi_vm.ml): a Halted VM only
 * (VM_BAD_POWER_STATE [vm, "halted", actual]); it starts on the live,
 * enabled host that sees its SRs with the most free memory. A VM that
 * fits nowhere is sent without the memory check and the host's
 * reservation fails; no host at all is NO_HOSTS_AVAILABLE []. The record
 * has order and start_delay (whole seconds).
 */
static void
test_vm_start(void **state)
{
	json_t	*pool = pool3(), *rec, *ops;
	char	*s, *task;

	(void)state;
	set_int(pool, "start_ms", 100);
	add_vm(pool, "halt", NULL, "{\"power_state\": \"Halted\"}");
	add_vm(pool, "run", "xs2", NULL);
	add_vm(pool, "paused", "xs2", "{\"power_state\": \"Paused\"}");
	add_vm(pool, "big", NULL, "{\"power_state\": \"Halted\", "
	    "\"memory_mib\": 20000}");
	add_vm(pool, "later", NULL, "{\"power_state\": \"Halted\", "
	    "\"order\": 3, \"start_delay_ms\": 2999}");
	start_pool(pool);
	s = login(1);
	rec = record_of(s, "VM.get_record", vm(1));
	assert_string_equal(field(rec, "order"), "0");
	assert_string_equal(field(rec, "start_delay"), "0");
	ops = json_object_get(rec, "allowed_operations");
	assert_int_equal(json_array_size(ops), 1);
	assert_true(str_in(ops, "start"));
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(5));
	assert_string_equal(field(rec, "order"), "3");
	assert_string_equal(field(rec, "start_delay"), "2");
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(2));
	assert_false(str_in(json_object_get(rec, "allowed_operations"),
	    "start"));
	json_decref(rec);
	/* xs1 disabled: xs3 has the most free memory (xs2 runs two). */
	ok(xcall(1, "host.disable", "(ss)", s, H1));
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(1), 0,
	    0));
	task_succeeds(s, task);
	rec = task_record(s, task);
	assert_string_equal(field(rec, "resident_on"), H3);
	json_decref(rec);
	free(task);
	assert_state("vms", "halt", "power_state", "\"Running\"");
	assert_state("vms", "halt", "resident_on", "\"xs3\"");
	assert_state("vms", "halt", "ha_always_run", "false");
	fails(xcall(1, "VM.start", "(ssbb)", s, vm(1), 0, 0),
	    "VM_BAD_POWER_STATE", vm(1), "halted", "running", NULL);
	fails(xcall(1, "VM.start", "(ssbb)", s, vm(3), 0, 0),
	    "VM_BAD_POWER_STATE", vm(3), "halted", "paused", NULL);
	fails(xcall(1, "VM.start", "(sssb)", s, vm(5), "yes", 0),
	    "FIELD_TYPE_ERROR", "start_paused", NULL);
	fails(xcall(1, "VM.start", "(ssb)", s, vm(5), 0),
	    "MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "2", NULL);
	/* start_paused: it ends Paused, resident. */
	ok(xcall(1, "VM.hard_shutdown", "(ss)", s, vm(1)));
	ok(xcall(1, "VM.start", "(ssbb)", s, vm(1), 1, 0));
	assert_state("vms", "halt", "power_state", "\"Paused\"");
	assert_state("vms", "halt", "resident_on", "\"xs3\"");
	/*
	 * 20000 MiB fit nowhere: xapi tries again without the memory check
	 * (choose_host_for_vm_no_wlb), sends it to xs3 (14336 MiB free),
	 * and the reservation there fails.
	 */
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(4), 0,
	    0));
	task_fails(s, task, "HOST_NOT_ENOUGH_FREE_MEMORY", "20971520000",
	    "15032385536", NULL);
	free(task);
	assert_state("vms", "big", "power_state", "\"Halted\"");
	/* No host it can run on. */
	ok(xcall(1, "host.disable", "(ss)", s, H2));
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	fails(xcall(1, "VM.start", "(ssbb)", s, vm(5), 0, 0),
	    "NO_HOSTS_AVAILABLE", NULL);
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(5), 0,
	    0));
	task_fails(s, task, "NO_HOSTS_AVAILABLE", NULL);
	free(task);
	free(s);
}

/*
 * M: the domain runs start_ms after the call; xapi then sleeps the VM's
 * start_delay before the task ends (xapi_vm.ml start), holding the VM's
 * start and the host's vm_start meanwhile.
 */
static void
test_vm_start_delay(void **state)
{
	json_t	*pool = pool3(), *rec, *ops;
	char	*s, *task;
	double	 t0;

	(void)state;
	set_int(pool, "start_ms", 300);
	add_vm(pool, "slow", NULL, "{\"power_state\": \"Halted\", "
	    "\"start_delay_ms\": 600}");
	start_pool(pool);
	s = login(1);
	rec = record_of(s, "VM.get_record", vm(1));
	assert_string_equal(field(rec, "start_delay"), "0");
	json_decref(rec);
	t0 = mono_ms();
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(1), 0,
	    0));
	wait_state("vms", "slow", "power_state", "\"Running\"", 2000);
	assert_true(mono_ms() - t0 >= 300);
	/* Past start_ms + 100: running, its task still pending. */
	while (mono_ms() - t0 < 400)
		ms_sleep(10);
	rec = task_record(s, task);
	assert_string_equal(status(rec), "pending");
	json_decref(rec);
	rec = record_of(s, "VM.get_record", vm(1));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rec, "current_operations"), task)), "start");
	ops = json_object_get(rec, "allowed_operations");
	assert_false(str_in(ops, "clean_shutdown"));
	assert_true(str_in(ops, "hard_shutdown"));
	json_decref(rec);
	assert_state("vms", "slow", "resident_on", "\"xs1\"");
	rec = record_of(s, "host.get_current_operations", H1);
	assert_string_equal(json_string_value(json_object_get(rec, task)),
	    "vm_start");
	json_decref(rec);
	task_succeeds(s, task);
	assert_true(mono_ms() - t0 >= 900);
	rec = record_of(s, "host.get_current_operations", H1);
	assert_int_equal(json_object_size(rec), 0);
	json_decref(rec);
	free(task);
	free(s);
}

static int
pbd_attached(const char *s, const char *pbd)
{
	json_t	*rec = record_of(s, "PBD.get_record", pbd);
	int	 yes;

	yes = json_is_true(json_object_get(rec, "currently_attached"));
	json_decref(rec);
	return yes;
}

/*
 * M: shared storage that comes up after the hosts. A host's PBDs to the
 * shared SRs attach shared_sr_ready_ms after its xapi has started; until
 * then it does not see them and VMs on them cannot start there
 * (NO_HOSTS_AVAILABLE []), VMs on its own SRs can. A clean shutdown
 * unplugs them; a power loss leaves the DB's PBDs attached until the
 * host's next start-up.
 */
static void
test_shared_storage_after_boot(void **state)
{
	json_t	*pool = pool3(), *rec, *want;
	char	*s, *task;
	int	 waited;

	(void)state;
	set_int(pool, "start_ms", 100);
	set_int(pool, "shared_sr_ready_ms", 800);
	add_vm(pool, "web", NULL, "{\"power_state\": \"Halted\"}");
	add_vm(pool, "local", "xs2", "{\"power_state\": \"Halted\", "
	    "\"local_storage\": true}");
	start_pool(pool);
	s = login(1);
	rec = xcall(1, "PBD.get_all_records", "(s)", s);
	assert_int_equal(json_object_size(value(rec)), 6);
	json_decref(rec);
	rec = record_of(s, "PBD.get_record", "OpaqueRef:PBD-2-1");
	assert_string_equal(field(rec, "host"), H2);
	assert_string_equal(field(rec, "SR"), "OpaqueRef:SR-shared");
	assert_true(json_is_true(json_object_get(rec, "currently_attached")));
	json_decref(rec);
	rec = record_of(s, "SR.get_record", "OpaqueRef:SR-shared");
	want = json_pack("[s,s,s]", "OpaqueRef:PBD-1-1", "OpaqueRef:PBD-2-1",
	    "OpaqueRef:PBD-3-1");
	assert_desc(json_object_get(rec, "PBDs"), want);
	json_decref(want);
	json_decref(rec);
	rec = record_of(s, "host.get_record", H2);
	want = json_pack("[s,s]", "OpaqueRef:PBD-2-1", "OpaqueRef:PBD-2-2");
	assert_desc(json_object_get(rec, "PBDs"), want);
	json_decref(want);
	json_decref(rec);
	fails(xcall(1, "PBD.get_record", "(ss)", s, "OpaqueRef:PBD-9-1"),
	    "HANDLE_INVALID", "PBD", "OpaqueRef:PBD-9-1", NULL);
	/* Only xs2 could run it: xs1 disabled, xs3 shut down. */
	ok(xcall(1, "host.disable", "(ss)", s, H1));
	ok(xcall(1, "host.disable", "(ss)", s, H3));
	ok(xcall(1, "host.shutdown", "(ss)", s, H3));
	assert_false(pbd_attached(s, "OpaqueRef:PBD-3-1"));
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs2", 0), 0);
	assert_true(pbd_attached(s, "OpaqueRef:PBD-2-1"));
	assert_int_equal(fake_ctl(port, "fake.power", "(sb)", "xs2", 1), 0);
	wait_state("hosts", "xs2", "phase", "\"up\"", 3000);
	assert_state("hosts", "xs2", "enabled", "true");
	assert_false(pbd_attached(s, "OpaqueRef:PBD-2-1"));
	assert_false(pbd_attached(s, "OpaqueRef:PBD-2-2"));
	fails(xcall(1, "VM.start", "(ssbb)", s, vm(1), 0, 0),
	    "NO_HOSTS_AVAILABLE", NULL);
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(1), 0,
	    0));
	task_fails(s, task, "NO_HOSTS_AVAILABLE", NULL);
	free(task);
	ok(xcall(1, "VM.start", "(ssbb)", s, vm(2), 0, 0));
	assert_state("vms", "local", "resident_on", "\"xs2\"");
	/* The storage is there: the PBDs attach, the VM starts. */
	for (waited = 0; waited < 3000 && !pbd_attached(s,
	    "OpaqueRef:PBD-2-1"); waited += 10)
		ms_sleep(10);
	assert_true(pbd_attached(s, "OpaqueRef:PBD-2-1"));
	assert_true(pbd_attached(s, "OpaqueRef:PBD-2-2"));
	task = ok_string(xcall(1, "Async.VM.start", "(ssbb)", s, vm(1), 0,
	    0));
	task_succeeds(s, task);
	free(task);
	assert_state("vms", "web", "resident_on", "\"xs2\"");
	free(s);
}

/*
 * M: xapi_vm.ml start sets ha_always_run for priority "restart". With HA
 * on, a VM HA would then protect must not break the plan
 * (message_forwarding.ml check_vm_preserves_ha_plan).
 */
static void
test_start_sets_ha_always_run(void **state)
{
	json_t	*pool = pool3();
	char	*s;

	(void)state;
	set_int(pool, "start_ms", 100);
	add_vm(pool, "prot", NULL, "{\"power_state\": \"Halted\", "
	    "\"ha_restart_priority\": \"restart\"}");
	start_pool(pool);
	s = login(1);
	assert_state("vms", "prot", "ha_always_run", "false");
	ok(xcall(1, "VM.start", "(ssbb)", s, vm(1), 0, 0));
	assert_state("vms", "prot", "power_state", "\"Running\"");
	assert_state("vms", "prot", "ha_always_run", "true");
	free(s);
	fake_stop(&fake);

	/* Four protected 8 GiB VMs survive a failure; a fifth would not. */
	pool = pool3();
	set_int(pool, "start_ms", 100);
	json_object_set_new(pool, "ha_enabled", json_true());
	add_vm(pool, "p1", "xs1", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p2", "xs2", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p3", "xs3", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p4", "xs1", "{\"ha_restart_priority\": \"restart\", "
	    "\"memory_mib\": 8192}");
	add_vm(pool, "p5", NULL, "{\"power_state\": \"Halted\", "
	    "\"ha_restart_priority\": \"restart\", \"memory_mib\": 8192}");
	start_pool(pool);
	s = login(1);
	fails(xcall(1, "VM.start", "(ssbb)", s, vm(5), 0, 0),
	    "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
	assert_state("vms", "p5", "power_state", "\"Halted\"");
	assert_state("vms", "p5", "ha_always_run", "false");
	free(s);
}

/* L: the controls and the state other tests read are still there. */
static void
test_controls_and_state(void **state)
{
	json_t	*pool = pool3(), *st, *h;
	char	*s;

	(void)state;
	add_vm(pool, "web", "xs2", NULL);
	start_pool(pool);
	s = login(1);
	assert_int_equal(fake_ctl(port, "fake.fail_next", "(siss)",
	    "Async.host.evacuate", 1, "TOO_MANY_PENDING_TASKS", "x"), 0);
	fails(xcall(1, "Async.host.evacuate", "(ss)", s, H2),
	    "TOO_MANY_PENDING_TASKS", "x", NULL);
	st = fake_state(port);
	assert_non_null(st);
	h = find_named(st, "hosts", "xs2");
	assert_true(json_is_boolean(json_object_get(h, "enabled")));
	assert_true(json_is_boolean(json_object_get(h, "live")));
	assert_true(json_is_boolean(json_object_get(h, "master")));
	assert_true(json_is_boolean(json_object_get(h, "up")));
	assert_true(json_is_object(json_object_get(h, "other_config")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(h,
	    "vms"), 0)), "web");
	assert_true(json_is_array(json_object_get(st, "vms")));
	assert_true(json_is_array(json_object_get(st, "crashed")));
	assert_int_equal(json_integer_value(json_object_get(st, "logins")), 1);
	assert_true(json_is_boolean(json_object_get(st, "ha_enabled")));
	json_decref(st);
	free(s);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_async_failures_live_in_the_task,
		    stop_pool),
		cmocka_unit_test_teardown(test_task_cancel, stop_pool),
		cmocka_unit_test_teardown(test_power_states_and_shutdowns,
		    stop_pool),
		cmocka_unit_test_teardown(test_vm_operations_exclude_each_other,
		    stop_pool),
		cmocka_unit_test_teardown(test_evacuation_plan, stop_pool),
		cmocka_unit_test_teardown(test_two_evacuations, stop_pool),
		cmocka_unit_test_teardown(test_migration_to_a_dead_target,
		    stop_pool),
		cmocka_unit_test_teardown(test_member_checks_the_session_first,
		    stop_pool),
		cmocka_unit_test_teardown(test_dead_member_looks_live,
		    stop_pool),
		cmocka_unit_test_teardown(test_boot_and_start_up, stop_pool),
		cmocka_unit_test_teardown(test_host_power_on, stop_pool),
		cmocka_unit_test_teardown(test_host_power_on_mode_disabled,
		    stop_pool),
		cmocka_unit_test_teardown(test_designate_restarts_every_xapi,
		    stop_pool),
		cmocka_unit_test_teardown(test_restart_stops_an_evacuation,
		    stop_pool),
		cmocka_unit_test_teardown(
		    test_xencenter_disables_maintenance_hosts, stop_pool),
		cmocka_unit_test_teardown(test_cds_and_srs, stop_pool),
		cmocka_unit_test_teardown(test_long_other_config, stop_pool),
		cmocka_unit_test_teardown(test_ha_restart_priority, stop_pool),
		cmocka_unit_test_teardown(test_ha_plan, stop_pool),
		cmocka_unit_test_teardown(test_vm_start, stop_pool),
		cmocka_unit_test_teardown(test_vm_start_delay, stop_pool),
		cmocka_unit_test_teardown(test_shared_storage_after_boot,
		    stop_pool),
		cmocka_unit_test_teardown(test_start_sets_ha_always_run,
		    stop_pool),
		cmocka_unit_test_teardown(test_controls_and_state, stop_pool),
	};

	base = argc > 1 ? atoi(argv[1]) : 19500;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The XenAPI client against fakexapi over real sockets: every call upsxen
 * makes, and every error path (redirect, re-login, failover, timeout,
 * XenAPI failures, big answers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakectl.h"
#include "xenapi.h"
#include "xenapi_int.h"

/* Members xs1..xs3 at 127.0.0.1..3, all on port base+1, as xapi's
 * members share a port and differ by address. */
static int base;
static struct fakeproc fake;

static const char pool_fmt[] = "{\"username\":\"root\",\"password\":"
    "\"s3cret-pw\",\"per_vm_ms\":10,\"evacuate_ms\":1000,\"shutdown_ms\":20,"
    "\"hosts\":["
    "{\"name_label\":\"xs1\",\"address\":\"127.0.0.1\",\"port\":%d,"
    "\"master\":true,\"memory_mib\":16384},{\"name_label\":\"xs2\","
    "\"address\":\"127.0.0.2\",\"port\":%d,\"memory_mib\":16384},"
    "{\"name_label\":\"xs3\",\"address\":\"127.0.0.3\",\"port\":%d,"
    "\"memory_mib\":16384}],\"vms\":["
    "{\"name_label\":\"web\",\"resident_on\":\"xs2\",\"memory_mib\":2048},"
    "{\"name_label\":\"db\",\"resident_on\":\"xs2\",\"memory_mib\":4096},"
    "{\"name_label\":\"gpu\",\"resident_on\":\"xs3\",\"pci\":true},"
    "{\"name_label\":\"slow\",\"resident_on\":\"xs3\","
    "\"hangs_on_shutdown\":true}]}";

static int
setup(void **state)
{
	char	 pool[2048];

	(void)state;
	snprintf(pool, sizeof(pool), pool_fmt, base + 1, base + 1, base + 1);
	return fake_start(&fake, pool);
}

static int
teardown(void **state)
{
	(void)state;
	fake_stop(&fake);
	return 0;
}

/* The member at 127.0.0.`member`, on `port`. */
static struct xenapi *
connect_at(int member, int port, const char *password, long timeout_ms)
{
	struct xenapi_config	 cfg = { 0 };
	char			 url[64];

	snprintf(url, sizeof(url), "http://127.0.0.%d:%d", member, port);
	cfg.url = url;
	cfg.username = "root";
	cfg.password = password;
	cfg.timeout_ms = timeout_ms;
	return xenapi_new(&cfg, NULL, NULL);
}

static struct xenapi *
connect_to(int member, const char *password, long timeout_ms)
{
	return connect_at(member, base + 1, password, timeout_ms);
}

static void
host_ref(struct xenapi *x, const char *name, char *ref)
{
	struct xenapi_error	 err;

	if (xenapi_host_find(x, name, ref, &err) == -1)
		print_message("host_find %s: %s\n", name, err.msg);
	assert_int_equal(xenapi_host_find(x, name, ref, &err), 0);
}

static json_t *
state_host(json_t *st, const char *name)
{
	json_t	*h;
	size_t	 i;

	json_array_foreach(json_object_get(st, "hosts"), i, h)
		if (strcmp(json_string_value(json_object_get(h, "name")),
		    name) == 0)
			return h;
	return NULL;
}

static void
test_login_once_and_pool_facts(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	unsigned long		 calls;
	char			 master[XENAPI_REF_LEN];
	int			 i;

	(void)state;
	assert_non_null(x);
	assert_int_equal(xenapi_pool_get(x, &pool, &err), 0);
	assert_int_equal(pool.nhosts, 3);
	assert_false(pool.ha_enabled);
	assert_string_equal(pool.hosts[0].name, "xs1");
	assert_true(pool.hosts[0].master && pool.hosts[0].live);
	assert_false(pool.hosts[1].master);
	assert_int_equal(pool.hosts[1].nvms, 2);	/* dom0 not counted */
	assert_int_equal(pool.hosts[2].nvms, 2);
	xenapi_pool_clear(&pool);
	/* The look before a power-off: roles and liveness, three calls. */
	calls = xenapi_calls(x);
	assert_int_equal(xenapi_pool_hosts(x, &pool, &err), 0);
	assert_int_equal(xenapi_calls(x) - calls, 3);
	assert_int_equal(pool.nhosts, 3);
	assert_true(pool.hosts[0].master && pool.hosts[0].live);
	assert_true(!pool.hosts[1].master && pool.hosts[1].live);
	assert_int_equal(pool.hosts[1].nvms, 0);	/* not counted */
	calls = xenapi_calls(x);
	assert_int_equal(xenapi_pool_master(x, master, &err), 0);
	assert_int_equal(xenapi_calls(x) - calls, 1);
	assert_string_equal(master, pool.hosts[0].ref);
	xenapi_pool_clear(&pool);
	for (i = 0; i < 50; i++)
		assert_int_equal(xenapi_pool_get(x, &pool, &err), 0),
		    xenapi_pool_clear(&pool);
	assert_int_equal(xenapi_logins(x), 1);
	xenapi_free(x);
}

static void
test_redirect_from_slave(void **state)
{
	struct xenapi		*x = connect_to(2, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], want[64];

	(void)state;
	assert_int_equal(xenapi_login(x, &err), 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/", base + 1);
	assert_string_equal(xenapi_url(x), want);
	host_ref(x, "xs2", ref);
	assert_int_equal(xenapi_logins(x), 1);
	xenapi_free(x);
}

static void
test_wrong_password_is_not_shown(void **state)
{
	struct xenapi		*x = connect_to(1, "hunter2-wrong", 2000);
	struct xenapi_error	 err;
	json_t			*calls;
	char			*text;

	(void)state;
	assert_int_equal(xenapi_login(x, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_FAILURE);
	assert_string_equal(err.code, "SESSION_AUTHENTICATION_FAILED");
	assert_null(strstr(err.msg, "hunter2"));
	xenapi_free(x);
	calls = fake_calls(&fake);
	text = json_dumps(calls, 0);
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "s3cret"));
	assert_non_null(strstr(text, "********"));
	free(text);
	json_decref(calls);
}

static void
test_session_invalid_relogs_once(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	(void)state;
	host_ref(x, "xs1", ref);
	assert_int_equal(fake_ctl(base + 1, "fake.invalidate_sessions", "()"),
	    0);
	assert_int_equal(xenapi_host_enable(x, ref, &err), 0);
	assert_int_equal(xenapi_logins(x), 2);
	xenapi_free(x);
}

static void
test_failure_is_typed(void **state)
{
	static const char *const temporary[] = {
	    "OTHER_OPERATION_IN_PROGRESS", "CANNOT_CONTACT_HOST",
	    "HOST_STILL_BOOTING", "TOO_BUSY", "TOO_MANY_PENDING_TASKS",
	    "HOST_OFFLINE", NULL };
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], *val;
	size_t			 i;

	(void)state;
	host_ref(x, "xs3", ref);
	assert_int_equal(xenapi_host_shutdown(x, ref, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_FAILURE);
	assert_string_equal(err.code, "HOST_NOT_DISABLED");
	assert_false(xenapi_error_transient(&err));
	assert_int_equal(xenapi_host_disable(x, "OpaqueRef:nope", &err), -1);
	assert_string_equal(err.code, "HANDLE_INVALID");
	assert_int_equal(err.nparams, 2);
	assert_string_equal(err.params[0], "host");
	/* Setting a key twice works: remove, then add. */
	assert_int_equal(xenapi_host_set_other_config(x, ref,
	    "MAINTENANCE_MODE", "true", &err), 0);
	assert_int_equal(xenapi_host_set_other_config(x, ref,
	    "MAINTENANCE_MODE", "true", &err), 0);
	assert_int_equal(xenapi_host_get_other_config(x, ref,
	    "MAINTENANCE_MODE", &val, &err), 0);
	assert_string_equal(val, "true");
	free(val);
	assert_int_equal(xenapi_host_remove_other_config(x, ref,
	    "MAINTENANCE_MODE", &err), 0);
	/* What xapi says while it restarts or forwards to a member it
	 * cannot reach is worth retrying (api_errors.ml, message_forwarding
	 * .ml); a host disabled until it reboots is not. */
	for (i = 0; temporary[i]; i++) {
		assert_int_equal(fake_ctl(base + 1, "fake.fail_next", "(siss)",
		    "host.enable", 1, temporary[i], ref), 0);
		assert_int_equal(xenapi_host_enable(x, ref, &err), -1);
		assert_string_equal(err.code, temporary[i]);
		assert_true(xenapi_error_transient(&err));
	}
	assert_int_equal(fake_ctl(base + 1, "fake.fail_next", "(siss)",
	    "host.enable", 1, "HOST_DISABLED_UNTIL_REBOOT", ref), 0);
	assert_int_equal(xenapi_host_enable(x, ref, &err), -1);
	assert_false(xenapi_error_transient(&err));
	assert_int_equal(xenapi_host_enable(x, ref, &err), 0);
	xenapi_free(x);
}

/* Whether the pool's facts say host `name` is being evacuated. */
static int
pool_evacuating(struct xenapi *x, const char *name)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	size_t			 i;
	int			 on = -1;

	if (xenapi_pool_get(x, &pool, &err) == -1)
		return -1;
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].name, name) == 0)
			on = pool.hosts[i].evacuating;
	xenapi_pool_clear(&pool);
	return on;
}

static void
test_evacuate_and_blockers(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	size_t			 n;
	char			 ref[XENAPI_REF_LEN], task[XENAPI_REF_LEN];
	json_t			*st;

	(void)state;
	host_ref(x, "xs2", ref);
	assert_int_equal(xenapi_host_blockers(x, ref, &vms, &n, &err), 0);
	assert_int_equal(n, 0);
	free(vms);
	assert_int_equal(xenapi_host_disable(x, ref, &err), 0);
	assert_int_equal(xenapi_host_evacuate_async(x, ref, task, &err), 0);
	/* The pool's facts show it running, as after a restart we ask. */
	assert_true(pool_evacuating(x, "xs2") == 1);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), 0);
	assert_true(pool_evacuating(x, "xs2") == 0);
	assert_int_equal(xenapi_host_vms(x, ref, &vms, &n, &err), 0);
	assert_int_equal(n, 0);
	free(vms);
	st = fake_state(base + 1);
	assert_int_equal(json_array_size(json_object_get(state_host(st,
	    "xs2"), "vms")), 0);
	json_decref(st);
	assert_int_equal(xenapi_host_enable(x, ref, &err), 0);

	host_ref(x, "xs3", ref);
	assert_int_equal(xenapi_host_blockers(x, ref, &vms, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(vms[0].reason, "VM_HAS_PCI_ATTACHED");
	free(vms);
	/* An Async call's errors are in its task (server_helpers.ml). */
	assert_int_equal(xenapi_host_evacuate_async(x, ref, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), -1);
	assert_string_equal(err.code, "VM_HAS_PCI_ATTACHED");
	xenapi_free(x);
}

static void
test_vm_shutdown_clean_hard_and_timeout(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	size_t			 n, i;
	char			 ref[XENAPI_REF_LEN], task[XENAPI_REF_LEN];
	char			 slow[XENAPI_REF_LEN] = "", gpu[XENAPI_REF_LEN] = "";

	(void)state;
	host_ref(x, "xs3", ref);
	assert_int_equal(xenapi_host_vms(x, ref, &vms, &n, &err), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		snprintf(strcmp(vms[i].name, "slow") == 0 ? slow : gpu,
		    XENAPI_REF_LEN, "%s", vms[i].ref);
	free(vms);
	assert_int_equal(xenapi_vm_shutdown_async(x, gpu, 0, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), 0);
	/* A guest that ignores the clean shutdown: the wait times out. */
	assert_int_equal(xenapi_vm_shutdown_async(x, slow, 0, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 200, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_TIMEOUT);
	assert_int_equal(xenapi_vm_shutdown_async(x, slow, 1, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), 0);
	assert_int_equal(xenapi_host_vms(x, ref, &vms, &n, &err), 0);
	assert_int_equal(n, 0);
	free(vms);
	assert_int_equal(xenapi_vm_shutdown_async(x, slow, 1, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), -1);
	assert_string_equal(err.code, "VM_BAD_POWER_STATE");
	xenapi_free(x);
}

static void
test_migrate_back(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	size_t			 n;
	char			 xs1[XENAPI_REF_LEN], xs2[XENAPI_REF_LEN];
	char			 task[XENAPI_REF_LEN], vm[XENAPI_REF_LEN];

	(void)state;
	host_ref(x, "xs1", xs1);
	host_ref(x, "xs2", xs2);
	/* The evacuation test left web and db on xs1: send one back. */
	assert_int_equal(xenapi_host_vms(x, xs1, &vms, &n, &err), 0);
	assert_true(n > 0);
	assert_int_equal(xenapi_vm_find(x, vms[0].uuid, vm, &err), 0);
	assert_string_equal(vm, vms[0].ref);
	free(vms);
	assert_int_equal(xenapi_vm_migrate_async(x, vm, xs2, task, &err), 0);
	assert_int_equal(xenapi_task_wait(x, task, 5000, &err), 0);
	assert_int_equal(xenapi_host_vms(x, xs2, &vms, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(vms[0].ref, vm);
	free(vms);
	assert_int_equal(xenapi_vm_find(x, "no-such-uuid", vm, &err), -1);
	assert_string_equal(err.code, "UUID_INVALID");
	xenapi_free(x);
}

static void
test_timeout_is_its_own_kind(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 300);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	(void)state;
	host_ref(x, "xs1", ref);
	assert_int_equal(fake_ctl(base + 1, "fake.delay", "(si)",
	    "host.enable", 1500), 0);
	assert_int_equal(xenapi_host_enable(x, ref, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_TIMEOUT);
	assert_true(xenapi_error_transient(&err));
	assert_int_equal(fake_ctl(base + 1, "fake.delay", "(si)",
	    "host.enable", 0), 0);
	xenapi_free(x);
}

static void
test_dropped_connection(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 1000);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	(void)state;
	host_ref(x, "xs1", ref);
	/*
	 * Two drops: the call, and libcurl's own retry when a kept-alive
	 * connection turns out dead. Then it is a transport error.
	 */
	assert_int_equal(fake_ctl(base + 1, "fake.drop", "(si)", "xs1", 2),
	    0);
	assert_int_equal(xenapi_host_enable(x, ref, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_TRANSPORT);
	/* The client reconnects by itself on the next call. */
	assert_int_equal(xenapi_host_enable(x, ref, &err), 0);
	xenapi_free(x);
}

/*
 * HOST_IS_SLAVE names the master by bare address; an answer carrying a
 * port and a path must not send the login (and its password) there.
 */
static void
test_host_is_slave_address_not_a_url(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	json_t			*calls;
	char			 evil[64];
	size_t			 i;

	(void)state;
	snprintf(evil, sizeof(evil), "127.0.0.1:%d/evil?x=", base + 1);
	assert_int_equal(fake_ctl(base + 1, "fake.fail_next", "(siss)",
	    "session.login_with_password", 1, "HOST_IS_SLAVE", evil), 0);
	assert_int_equal(xenapi_login(x, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_PROTOCOL);
	assert_non_null(strstr(err.msg, "not an address"));
	/* One login asked, and it was the last call: nothing went on. */
	calls = fake_calls(&fake);
	i = json_array_size(calls);
	assert_true(i > 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    calls, i - 1), "method")), "session.login_with_password");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_array_get(calls, i - 1), "error"), 0)), "HOST_IS_SLAVE");
	json_decref(calls);
	/* A host name and an IPv4 address are followed, with our port. */
	assert_int_equal(fake_ctl(base + 1, "fake.fail_next", "(siss)",
	    "session.login_with_password", 1, "HOST_IS_SLAVE", "localhost"),
	    0);
	assert_int_equal(xenapi_login(x, &err), 0);
	snprintf(evil, sizeof(evil), "http://localhost:%d/", base + 1);
	assert_string_equal(xenapi_url(x), evil);
	xenapi_free(x);
}

/*
 * xapi prints a date with the offset it was stored with; xmlrpc-c 1.33
 * rejects that form. The client hands dates on as strings, an offset
 * turned to UTC, the Z form and what it does not recognise as they are.
 */
static void
test_dates_with_an_offset(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\"?><methodResponse>"
	    "<params><param><value><struct><member><name>Status</name><value>"
	    "Success</value></member><member><name>Value</name><value><array>"
	    "<data><value><dateTime.iso8601>20261201T10:00:00Z"
	    "</dateTime.iso8601></value><value><dateTime.iso8601>"
	    "20261201T10:00:00+02:00</dateTime.iso8601></value><value>"
	    "<dateTime.iso8601>20261231T23:30:00-05:30</dateTime.iso8601>"
	    "</value><value><dateTime.iso8601>1970</dateTime.iso8601></value>"
	    "</data></array></value></member></struct></value></param>"
	    "</params></methodResponse>";
	static const char *const utc[] = { "20261201T10:00:00Z",
	    "20261201T08:00:00Z", "20270101T05:00:00Z", "1970" };
	struct xenapi_error	 err;
	xmlrpc_value		*v = NULL, *item;
	xmlrpc_env		 env;
	const char		*s;
	int			 i;

	(void)state;
	if (rpc_decode(xml, sizeof(xml) - 1, &v, &err) != 0)
		print_message("%s\n", err.msg);
	assert_non_null(v);
	xmlrpc_env_init(&env);
	assert_int_equal(xmlrpc_array_size(&env, v), 4);
	for (i = 0; i < 4; i++) {
		xmlrpc_array_read_item(&env, v, i, &item);
		xmlrpc_read_string(&env, item, &s);
		assert_false(env.fault_occurred);
		assert_string_equal(s, utc[i]);
		free((void *)s);
		xmlrpc_DECREF(item);
	}
	xmlrpc_env_clean(&env);
	xmlrpc_DECREF(v);
}

static void
test_refused_is_transport(void **state)
{
	struct xenapi		*x = connect_to(9, "s3cret-pw", 1000);
	struct xenapi_error	 err;

	(void)state;
	assert_int_equal(xenapi_login(x, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_TRANSPORT);
	assert_non_null(strstr(err.msg, "127.0.0.9"));
	xenapi_free(x);
}

static void
test_designate_then_follow(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 2000);
	struct xenapi_error	 err;
	char			 xs2[XENAPI_REF_LEN], want[64];

	(void)state;
	host_ref(x, "xs2", xs2);
	assert_int_equal(xenapi_pool_designate_new_master(x, xs2, &err), 0);
	/* The next call meets HOST_IS_SLAVE and moves to the new master. */
	assert_int_equal(xenapi_host_enable(x, xs2, &err), 0);
	snprintf(want, sizeof(want), "http://127.0.0.2:%d/", base + 1);
	assert_string_equal(xenapi_url(x), want);
	assert_int_equal(fake_ctl(base + 1, "fake.set_master", "(s)", "xs1"),
	    0);
	xenapi_free(x);
}

static void
test_failover_when_master_hangs(void **state)
{
	struct xenapi		*x = connect_to(1, "s3cret-pw", 300);
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], want[64];

	(void)state;
	host_ref(x, "xs1", ref);	/* logs in, learns the members */
	assert_int_equal(fake_ctl(base + 1, "fake.hang", "(sb)", "xs1", 1), 0);
	/* Nobody took over yet: members point at the dead master. */
	assert_int_equal(xenapi_host_enable(x, ref, &err), -1);
	assert_int_equal(err.kind, XENAPI_ERR_TIMEOUT);
	/* HA (or an operator) promotes xs3: the client finds it. */
	assert_int_equal(fake_ctl(base + 1, "fake.set_master", "(s)", "xs3"),
	    0);
	assert_int_equal(xenapi_host_enable(x, ref, &err), 0);
	snprintf(want, sizeof(want), "http://127.0.0.3:%d/", base + 1);
	assert_string_equal(xenapi_url(x), want);
	assert_int_equal(fake_ctl(base + 1, "fake.hang", "(sb)", "xs1", 0), 0);
	assert_int_equal(fake_ctl(base + 1, "fake.set_master", "(s)", "xs1"),
	    0);
	xenapi_free(x);
}

static void
test_big_pool(void **state)
{
	struct fakeproc		 big;
	struct xenapi		*x;
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	char			*json;
	size_t			 len, off, i, total = 0;
	int			 v;

	(void)state;
	len = 600 * 100;
	json = malloc(len);
	assert_non_null(json);
	off = (size_t)snprintf(json, len, "{\"password\":\"p\",\"hosts\":["
	    "{\"name_label\":\"h0\",\"port\":%d,\"master\":true,"
	    "\"memory_mib\":4000000},{\"name_label\":\"h1\",\"address\":"
	    "\"127.0.0.2\",\"port\":%d,\"memory_mib\":4000000}],\"vms\":[",
	    base + 11, base + 11);
	for (v = 0; v < 500; v++)
		off += (size_t)snprintf(json + off, len - off, "%s{"
		    "\"name_label\":\"vm-%03d\",\"resident_on\":\"h%d\"}",
		    v ? "," : "", v, v % 2);
	snprintf(json + off, len - off, "]}");
	assert_int_equal(fake_start(&big, json), 0);
	free(json);
	x = connect_at(1, base + 11, "p", 5000);
	assert_int_equal(xenapi_pool_get(x, &pool, &err), 0);
	for (i = 0; i < pool.nhosts; i++)
		total += (size_t)pool.hosts[i].nvms;
	assert_int_equal(total, 500);
	xenapi_pool_clear(&pool);
	xenapi_free(x);
	fake_stop(&big);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_once_and_pool_facts),
		cmocka_unit_test(test_redirect_from_slave),
		cmocka_unit_test(test_wrong_password_is_not_shown),
		cmocka_unit_test(test_session_invalid_relogs_once),
		cmocka_unit_test(test_failure_is_typed),
		cmocka_unit_test(test_evacuate_and_blockers),
		cmocka_unit_test(test_vm_shutdown_clean_hard_and_timeout),
		cmocka_unit_test(test_migrate_back),
		cmocka_unit_test(test_timeout_is_its_own_kind),
		cmocka_unit_test(test_dropped_connection),
		cmocka_unit_test(test_host_is_slave_address_not_a_url),
		cmocka_unit_test(test_dates_with_an_offset),
		cmocka_unit_test(test_refused_is_transport),
		cmocka_unit_test(test_designate_then_follow),
		cmocka_unit_test(test_failover_when_master_hangs),
		cmocka_unit_test(test_big_pool),
	};

	base = argc > 1 ? atoi(argv[1]) : 19100;
	xenapi_global_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}

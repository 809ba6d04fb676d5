/*
 * The XenAPI recipes (plugin/recipe.c) against fakexapi over real
 * sockets, one job at a time as the worker steps them: what each kind of
 * action does to the pool, and what it answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fakectl.h"
#include "recipe.h"

static int base;
static struct fakeproc fake;

static const char pool_fmt[] = "{\"username\":\"root\",\"password\":"
    "\"pw\",\"per_vm_ms\":10,\"evacuate_ms\":50,\"shutdown_ms\":20,"
    "\"hosts\":["
    "{\"name_label\":\"xs1\",\"address\":\"127.0.0.1\",\"port\":%d,"
    "\"master\":true,\"memory_mib\":16384},{\"name_label\":\"xs2\","
    "\"address\":\"127.0.0.2\",\"port\":%d,\"memory_mib\":16384},"
    "{\"name_label\":\"xs3\",\"address\":\"127.0.0.3\",\"port\":%d,"
    "\"memory_mib\":16384}],\"vms\":["
    "{\"name_label\":\"web\",\"resident_on\":\"xs2\",\"memory_mib\":2048},"
    "{\"name_label\":\"db\",\"resident_on\":\"xs2\",\"memory_mib\":4096},"
    "{\"name_label\":\"gpu\",\"resident_on\":\"xs3\",\"pci\":true}]}";

struct seen {
	int	 looks;
	size_t	 nhosts;
};

static void
count_facts(void *arg, const struct xenapi_pool *pool)
{
	struct seen	*s = arg;

	s->looks++;
	s->nhosts = pool->nhosts;
}

struct fixture {
	struct recipe_ctx	 c;
	struct seen		 seen;
};

static int
setup(void **state)
{
	struct xenapi_config	 cfg = { 0 };
	struct fixture		*fx;
	char			 pool[2048], url[64];

	snprintf(pool, sizeof(pool), pool_fmt, base + 1, base + 1, base + 1);
	if (fake_start(&fake, pool) == -1)
		return -1;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", base + 1);
	cfg.url = url;
	cfg.username = "root";
	cfg.password = "pw";
	cfg.timeout_ms = 2000;
	fx->c.x = xenapi_new(&cfg, NULL, NULL);
	fx->c.facts = count_facts;
	fx->c.arg = &fx->seen;
	*state = fx;
	return fx->c.x ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	xenapi_free(fx->c.x);
	recipe_ctx_clear(&fx->c);
	free(fx);
	fake_stop(&fake);
	return 0;
}

/* Step a job as the worker does, until it has its outcome (10 s at most). */
static struct job *
run(struct recipe_ctx *c, enum action_op op, const char *host,
    const char *target, int hard, enum stop_scope scope, int as_master)
{
	struct action		 a = { 0 };
	struct job		*j;
	struct timespec		 ts;
	double			 until, wait;

	a.id = 1;
	a.op = op;
	a.hard = hard;
	a.scope = scope;
	a.as_master = as_master;
	a.target = target;
	j = job_new(&a, host, 10000);
	assert_non_null(j);
	until = recipe_now_ms() + 10000;
	while (!j->done && recipe_now_ms() < until) {
		wait = j->next_poll - recipe_now_ms();
		if (wait > 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = (long)(wait * 1e6);
			nanosleep(&ts, NULL);
		}
		recipe_step(c, j);
	}
	assert_true(j->done);
	return j;
}

static json_t *
host_state(const char *name)
{
	json_t	*st = fake_state(base + 1), *h, *copy = NULL;
	size_t	 i;

	json_array_foreach(json_object_get(st, "hosts"), i, h)
		if (strcmp(json_string_value(json_object_get(h, "name")),
		    name) == 0)
			copy = json_deep_copy(h);
	json_decref(st);
	assert_non_null(copy);
	return copy;
}

static void
expect(struct job *j, enum action_outcome o)
{
	if (j->outcome != o)
		print_message("%s on %s: %s %s\n", action_op_name(j->op),
		    j->host, action_outcome_name(j->outcome), j->error);
	assert_int_equal(j->outcome, o);
	job_free(j);
}

static void
test_refresh_reports_the_pool(void **state)
{
	struct fixture	*fx = *state;

	expect(run(&fx->c, ACT_REFRESH, NULL, NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	assert_int_equal(fx->seen.looks, 1);
	assert_int_equal(fx->seen.nhosts, 3);
	/* The refs were learnt: the next recipes find hosts by name. */
	assert_int_equal(fx->c.nrefs, 3);
}

/* Into maintenance as XenCenter: disable, mark, record, evacuate. */
static void
test_maintenance_of_a_member(void **state)
{
	struct fixture	*fx = *state;
	struct job	*j;
	json_t		*h, *oc;

	expect(run(&fx->c, ACT_DISABLE, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs2");
	assert_false(json_is_true(json_object_get(h, "enabled")));
	json_decref(h);

	j = run(&fx->c, ACT_MARK, "xs2", NULL, 0, STOP_ALL, 0);
	assert_int_equal(j->count, 2);		/* web and db recorded */
	expect(j, OUTCOME_OK);
	h = host_state("xs2");
	oc = json_object_get(h, "other_config");
	assert_string_equal(json_string_value(json_object_get(oc,
	    "MAINTENANCE_MODE")), "true");
	assert_non_null(strchr(json_string_value(json_object_get(oc,
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED")), ','));
	json_decref(h);

	expect(run(&fx->c, ACT_EVACUATE, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs2");
	assert_int_equal(json_array_size(json_object_get(h, "vms")), 0);
	json_decref(h);

	/* Out of maintenance: the mark goes, the host is enabled. */
	expect(run(&fx->c, ACT_EXIT_MAINTENANCE, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs2");
	assert_true(json_is_true(json_object_get(h, "enabled")));
	assert_null(json_object_get(json_object_get(h, "other_config"),
	    "MAINTENANCE_MODE"));
	json_decref(h);
}

/* A VM that cannot move blocks the evacuation; it is stopped instead. */
static void
test_blockers_then_power_off(void **state)
{
	struct fixture	*fx = *state;
	struct job	*j;
	json_t		*h;

	expect(run(&fx->c, ACT_DISABLE, "xs3", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	j = run(&fx->c, ACT_EVACUATE, "xs3", NULL, 0, STOP_ALL, 0);
	assert_int_equal(j->count, 1);
	assert_non_null(strstr(j->error, "1 VMs cannot move"));
	expect(j, OUTCOME_BLOCKED);

	/* host.shutdown does not refuse running VMs: the recipe does. */
	j = run(&fx->c, ACT_SHUTDOWN, "xs3", NULL, 0, STOP_ALL, 0);
	assert_int_equal(j->count, 1);
	expect(j, OUTCOME_BLOCKED);
	h = host_state("xs3");
	assert_true(json_is_true(json_object_get(h, "live")));
	json_decref(h);

	expect(run(&fx->c, ACT_STOP_VMS, "xs3", NULL, 0, STOP_BLOCKERS, 0),
	    OUTCOME_OK);
	h = host_state("xs3");
	assert_int_equal(json_array_size(json_object_get(h, "vms")), 0);
	json_decref(h);

	/* Taken for the master while it is a member: refused, untouched. */
	j = run(&fx->c, ACT_SHUTDOWN, "xs3", NULL, 0, STOP_ALL, 1);
	assert_string_equal(j->error, "the host is no longer the pool's "
	    "master");
	expect(j, OUTCOME_STALE);
	h = host_state("xs3");
	assert_true(json_is_true(json_object_get(h, "live")));
	json_decref(h);

	expect(run(&fx->c, ACT_SHUTDOWN, "xs3", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs3");
	assert_false(json_is_true(json_object_get(h, "live")));
	json_decref(h);
}

/*
 * host.power_on of a host the pool cannot wake: xapi's refusal
 * (HOST_POWER_ON_MODE_DISABLED) comes in the task at once and is a
 * failure, not a wait; a live host is left alone.
 */
static void
test_power_on_refused_and_live(void **state)
{
	struct fixture	*fx = *state;
	struct job	*j;
	double		 t0;

	expect(run(&fx->c, ACT_POWER_ON, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	expect(run(&fx->c, ACT_DISABLE, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	expect(run(&fx->c, ACT_EVACUATE, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	expect(run(&fx->c, ACT_SHUTDOWN, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	t0 = recipe_now_ms();
	j = run(&fx->c, ACT_POWER_ON, "xs2", NULL, 0, STOP_ALL, 0);
	assert_true(recipe_now_ms() - t0 < 1500);
	assert_non_null(strstr(j->error, "HOST_POWER_ON_MODE_DISABLED"));
	expect(j, OUTCOME_PERMANENT);
}

/*
 * The VMs stopped are listed on their host first; on the way back they
 * start again and leave the list. A look that fails (not: the VM is
 * gone) keeps the list whole, for the next try.
 */
static void
test_stopped_vms_listed_and_started(void **state)
{
	struct fixture	*fx = *state;
	struct job	*j;
	json_t		*h, *st, *v;
	char		 list[256];
	size_t		 i;

	expect(run(&fx->c, ACT_STOP_VMS, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs2");
	v = json_object_get(json_object_get(h, "other_config"),
	    "upsxen-stopped-vms");
	assert_non_null(v);
	snprintf(list, sizeof(list), "%s", json_string_value(v));
	json_decref(h);
	assert_non_null(strchr(list, ','));	/* web and db */
	assert_int_equal(fake_ctl(base + 1, "fake.fail_next", "(siss)",
	    "VM.get_by_uuid", 1, "INTERNAL_ERROR", "a hiccup"), 0);
	expect(run(&fx->c, ACT_START_VMS, "xs2", NULL, 0, STOP_ALL, 0),
	    OUTCOME_PERMANENT);
	h = host_state("xs2");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(h, "other_config"), "upsxen-stopped-vms")), list);
	json_decref(h);
	j = run(&fx->c, ACT_START_VMS, "xs2", NULL, 0, STOP_ALL, 0);
	assert_int_equal(j->count, 2);
	expect(j, OUTCOME_OK);
	h = host_state("xs2");
	assert_null(json_object_get(json_object_get(h, "other_config"),
	    "upsxen-stopped-vms"));
	json_decref(h);
	st = fake_state(base + 1);
	json_array_foreach(json_object_get(st, "vms"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    "gpu") != 0)
			assert_string_equal(json_string_value(json_object_get(v,
			    "power_state")), "Running");
	json_decref(st);
}

static void
test_designate_and_not_a_pool_action(void **state)
{
	struct fixture	*fx = *state;
	json_t		*h;

	expect(run(&fx->c, ACT_DESIGNATE_MASTER, "xs1", "xs2", 0, STOP_ALL, 0),
	    OUTCOME_OK);
	h = host_state("xs2");
	assert_true(json_is_true(json_object_get(h, "master")));
	json_decref(h);
	/* The cards are the main thread's: no recipe here. */
	expect(run(&fx->c, ACT_CONFIRM, "xs1", NULL, 0, STOP_ALL, 0),
	    OUTCOME_PERMANENT);
}

/*
 * Bringing the recorded VMs back skips one already home: a migration
 * onto the host it is on would need twice its memory (Host.cs).
 */
static void
test_restore_skips_vms_already_home(void **state)
{
	struct fixture		*fx = *state;
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	struct job		*j;
	char			 xs2[XENAPI_REF_LEN], xs3[XENAPI_REF_LEN];
	char			 task[XENAPI_REF_LEN], list[128], db[XENAPI_REF_LEN];
	size_t			 n, i;
	json_t			*h;

	assert_int_equal(xenapi_host_find(fx->c.x, "xs2", xs2, &err), 0);
	assert_int_equal(xenapi_host_find(fx->c.x, "xs3", xs3, &err), 0);
	assert_int_equal(xenapi_host_vms(fx->c.x, xs2, &vms, &n, &err), 0);
	assert_int_equal(n, 2);
	snprintf(list, sizeof(list), "%s,%s", vms[0].uuid, vms[1].uuid);
	for (i = 0; i < n; i++)
		if (strcmp(vms[i].name, "db") == 0)
			snprintf(db, sizeof(db), "%s", vms[i].ref);
	free(vms);
	assert_int_equal(xenapi_host_set_other_config(fx->c.x, xs2,
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED", list, &err), 0);
	/* db went elsewhere; web stayed home. */
	assert_int_equal(xenapi_vm_migrate_async(fx->c.x, db, xs3, task, &err),
	    0);
	assert_int_equal(xenapi_task_wait(fx->c.x, task, 5000, &err), 0);

	j = run(&fx->c, ACT_RESTORE_VMS, "xs2", NULL, 0, STOP_ALL, 0);
	assert_int_equal(j->ntasks, 1);
	assert_string_equal(j->tasks[0].vm, db);
	assert_int_equal(j->count, 1);
	expect(j, OUTCOME_OK);
	h = host_state("xs2");
	assert_int_equal(json_array_size(json_object_get(h, "vms")), 2);
	assert_null(json_object_get(json_object_get(h, "other_config"),
	    "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED"));
	json_decref(h);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refresh_reports_the_pool,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maintenance_of_a_member,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_on_refused_and_live,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_stopped_vms_listed_and_started, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockers_then_power_off,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_designate_and_not_a_pool_action, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restore_skips_vms_already_home, setup, teardown),
	};

	base = argc > 1 ? atoi(argv[1]) : 19300;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

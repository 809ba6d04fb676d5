/*
 * The engine's rules (issue 3), each on a virtual clock. Scenarios run the
 * real engine against the simulated pool and assert on the timeline of
 * actions it asked for; a few drive the engine by hand to pin down exact
 * deadlines. Nothing here sleeps.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "policy.h"
#include "sim.h"

#define TL_MAX	256

/* The timeline: "T HOST ACTION REASON" per action, refreshes left out. */
struct timeline {
	const struct policy	*p;
	char			 line[TL_MAX][128];
	double			 t[TL_MAX];
	size_t			 n;
};

struct fixture {
	struct policy	*p;
	struct sim	*s;
	struct timeline	 tl;
};

static struct policy *
load(const char *squoted)
{
	struct report	 rep;
	struct policy	*p;
	char		*json, *c;

	json = strdup(squoted);
	assert_non_null(json);
	for (c = json; *c; c++)
		if (*c == '\'')
			*c = '"';
	report_init(&rep);
	p = policy_parse(json, strlen(json), "test.json", &rep);
	if (p == NULL)
		print_message("policy: %s\n", report_first(&rep, REPORT_ERROR));
	assert_non_null(p);
	report_free(&rep);
	free(json);
	return p;
}

#define POOL_HEAD "'url':'https://10.0.0.21','username':'root'," \
	"'password_file':'/dev/null'"

static const char seed1[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static const char seed3[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180},"
    "'ups3':{'address':'10.0.0.13','warning_period':180}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-3':{'powered_by':['ups3'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static void
record(const struct sim_line *l, void *arg)
{
	struct timeline		*tl = arg;
	const struct action	*a = l->action;

	if (l->kind != SIM_ACTION || a->op == ACT_REFRESH ||
	    a->op == ACT_WATCH || tl->n == TL_MAX)
		return;
	snprintf(tl->line[tl->n], sizeof(tl->line[0]), "%g %s %s%s %s",
	    l->t, a->host >= 0 ? tl->p->hosts[a->host].name : "-",
	    action_op_name(a->op), a->hard ? "_hard" : "", a->reason);
	tl->t[tl->n] = l->t;
	tl->n++;
}

static void
setup(struct fixture *f, const char *policy)
{
	struct sim_opts	 o = { .action_takes = 0.5, .evacuate_takes = 10,
	    .vm_stop_takes = 5, .boot_takes = 60, .vms_per_host = 3 };

	memset(f, 0, sizeof(*f));
	f->p = load(policy);
	f->s = sim_new(f->p, &o);
	assert_non_null(f->s);
	f->tl.p = f->p;
}

/* The same pool, with what real pools do (DESIGN.md "XenAPI"). */
static void
setup_real(struct fixture *f, const char *policy, const struct sim_opts *more)
{
	struct sim_opts	 o = *more;

	o.action_takes = 0.5;
	o.evacuate_takes = 10;
	o.vm_stop_takes = 5;
	o.boot_takes = 60;
	o.vms_per_host = 3;
	memset(f, 0, sizeof(*f));
	f->p = load(policy);
	f->s = sim_new(f->p, &o);
	assert_non_null(f->s);
	f->tl.p = f->p;
}

static void
teardown_fixture(struct fixture *f)
{
	sim_free(f->s);
	policy_free(f->p);
}

static void
event(struct fixture *f, const char *ups, enum ups_event ev, double t)
{
	long	 u = policy_ups_index(f->p, ups);

	assert_true(u >= 0);
	assert_int_equal(sim_add_event(f->s, t, (size_t)u, ev), 0);
}

static size_t
host(struct fixture *f, const char *name)
{
	long	 h = policy_host_index(f->p, name);

	assert_true(h >= 0);
	return (size_t)h;
}

static void
run(struct fixture *f)
{
	assert_int_equal(sim_run(f->s, 86400, record, &f->tl), 0);
}

static void
dump(const struct timeline *tl)
{
	size_t	 i;

	for (i = 0; i < tl->n; i++)
		print_message("  %s\n", tl->line[i]);
}

/* The whole timeline, line by line. */
static void
expect_timeline(const struct timeline *tl, const char *const *want)
{
	size_t	 i;

	for (i = 0; want[i] != NULL; i++) {
		if (i >= tl->n || strcmp(tl->line[i], want[i]) != 0) {
			print_message("line %zu: want \"%s\", timeline:\n", i,
			    want[i]);
			dump(tl);
			fail();
		}
	}
	if (tl->n != i) {
		print_message("timeline has %zu lines, want %zu:\n", tl->n, i);
		dump(tl);
		fail();
	}
}

/* Index of the first line containing all of a and b, or -1. */
static long
find(const struct timeline *tl, const char *a, const char *b)
{
	size_t	 i;

	for (i = 0; i < tl->n; i++)
		if (strstr(tl->line[i], a) && (b == NULL ||
		    strstr(tl->line[i], b)))
			return (long)i;
	return -1;
}

static size_t
count(const struct timeline *tl, const char *a, const char *b)
{
	size_t	 i, n = 0;

	for (i = 0; i < tl->n; i++)
		if (strstr(tl->line[i], a) && (b == NULL ||
		    strstr(tl->line[i], b)))
			n++;
	return n;
}

static void
test_seed1_outage_and_return(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	static const char *const want[] = {
		"60 xenserver-1 disable maintenance_after",
		"60.5 xenserver-1 mark_maintenance maintenance_after",
		"61 xenserver-1 evacuate maintenance_after",
		"120 xenserver-1 shutdown shutdown_after",
		"260.5 xenserver-1 exit_maintenance power_restored",
		NULL
	};

	(void)state;
	setup(&f, seed1);
	sim_set_master(f.s, host(&f, "xenserver-2"));
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 200);
	run(&f);
	/* Boots at 260; watched at 200, 205.5 ... 260.5: back at 261. */
	expect_timeline(&f.tl, want);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	assert_int_equal(st.vms, 0);	/* Skip: VMs stay where they went */
	assert_int_equal(st.shutdowns, 1);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_int_equal(st.vms, 6);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/* on_restore restore_vms: the VMs come back after a power-off too. */
static void
test_restore_after_power_off(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;

	(void)state;
	setup(&f, "{'ups':{"
	    "'ups1':{'address':'10.0.0.11','warning_period':180},"
	    "'ups2':{'address':'10.0.0.12','warning_period':180}},"
	    "'pools':{'pool1':{" POOL_HEAD ",'on_restore':'restore_vms',"
	    "'hosts':{"
	    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
	    "'shutdown_after':120},"
	    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
	    "'shutdown_after':120}}}}}");
	sim_set_master(f.s, host(&f, "xenserver-2"));
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 200);
	run(&f);
	assert_true(find(&f.tl, "xenserver-1 restore_vms", NULL) >= 0);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	assert_int_equal(st.shutdowns, 1);
	assert_int_equal(st.vms, 3);	/* back where they were */
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_seed2_restored_during_evacuation(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	static const char *const want[] = {
		"60 xenserver-1 disable maintenance_after",
		"60.5 xenserver-1 mark_maintenance maintenance_after",
		"61 xenserver-1 evacuate maintenance_after",
		"71 xenserver-1 exit_maintenance power_restored",
		NULL
	};

	(void)state;
	setup(&f, seed1);
	sim_set_master(f.s, host(&f, "xenserver-2"));
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 65);
	run(&f);
	/* The evacuation (61..71) completes, then maintenance ends at once. */
	expect_timeline(&f.tl, want);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	assert_int_equal(st.evacuations, 1);
	assert_int_equal(st.shutdowns, 0);
	teardown_fixture(&f);
}

static void
test_seed3_two_hosts_one_after_another(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	static const char *const want[] = {
		"60 xenserver-2 disable maintenance_after",
		"60 xenserver-3 disable maintenance_after",
		"60.5 xenserver-2 mark_maintenance maintenance_after",
		"60.5 xenserver-3 mark_maintenance maintenance_after",
		"61 xenserver-2 evacuate maintenance_after",
		"71 xenserver-3 evacuate maintenance_after",
		"120 xenserver-2 shutdown shutdown_after",
		"120 xenserver-3 shutdown shutdown_after",
		"300.5 xenserver-2 exit_maintenance power_restored",
		"300.5 xenserver-3 exit_maintenance power_restored",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 240);
	event(&f, "ups3", UPS_EV_POWER_RESTORED, 240);
	run(&f);
	expect_timeline(&f.tl, want);
	assert_int_equal(find(&f.tl, "xenserver-1", NULL), -1);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.master && st.live && st.enabled);
	assert_int_equal(st.vms, 9);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_near_simultaneous_failures_settle(void **state)
{
	struct fixture	 f;
	static const char *const want[] = {
		"60 xenserver-2 disable maintenance_after",
		"60.5 xenserver-2 mark_maintenance maintenance_after",
		"61.2 xenserver-3 disable maintenance_after",
		/* Not at 60.5: xenserver-3 falls due 1.2 s later and would
		 * receive xenserver-2's VMs. Once it is disabled, go. */
		"61.7 xenserver-2 evacuate maintenance_after",
		"61.7 xenserver-3 mark_maintenance maintenance_after",
		"71.7 xenserver-3 evacuate maintenance_after",
		"120 xenserver-2 shutdown shutdown_after",
		"121.2 xenserver-3 shutdown shutdown_after",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 1.2);
	run(&f);
	expect_timeline(&f.tl, want);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_restored_before_timers_does_nothing(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 59.9);
	run(&f);
	assert_int_equal(f.tl.n, 0);
	teardown_fixture(&f);
}

static void
test_repeated_on_battery_keeps_deadlines(void **state)
{
	struct fixture	 f;
	int		 t;

	(void)state;
	setup(&f, seed3);
	for (t = 0; t <= 150; t++)
		event(&f, "ups2", UPS_EV_ON_BATTERY, t);
	run(&f);
	assert_string_equal(f.tl.line[0],
	    "60 xenserver-2 disable maintenance_after");
	assert_int_equal(find(&f.tl, "120 xenserver-2 shutdown", NULL),
	    (long)f.tl.n - 1);
	assert_int_equal(count(&f.tl, "xenserver-2 disable", NULL), 1);
	assert_int_equal(count(&f.tl, "xenserver-2 evacuate", NULL), 1);
	teardown_fixture(&f);
}

static const char redundant[] = "{'ups':{"
    "'a':{'address':'10.0.0.11','warning_period':180},"
    "'b':{'address':'10.0.0.12','warning_period':180},"
    "'c':{'address':'10.0.0.13'}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xs1':{'powered_by':['c'],'maintenance_after':60},"
    "'xs2':{'powered_by':['a','b'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static void
test_redundant_feeds(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	static const char *const want[] = {
		"90 xs2 disable maintenance_after",
		"90.5 xs2 mark_maintenance maintenance_after",
		"91 xs2 evacuate maintenance_after",
		"101 xs2 exit_maintenance power_restored",
		NULL
	};

	(void)state;
	setup(&f, redundant);
	/* a alone: the host still has b. b at 30: timers count from 30. */
	event(&f, "a", UPS_EV_ON_BATTERY, 0);
	event(&f, "b", UPS_EV_ON_BATTERY, 30);
	event(&f, "a", UPS_EV_POWER_RESTORED, 95);
	run(&f);
	/* a returns mid-evacuation: the shutdown at 150 never comes. */
	expect_timeline(&f.tl, want);
	sim_host_state(f.s, host(&f, "xs2"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	teardown_fixture(&f);
}

static void
test_redundant_one_feed_is_nothing(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, redundant);
	event(&f, "a", UPS_EV_ON_BATTERY, 0);
	event(&f, "a", UPS_EV_LOW_BATTERY, 100);
	run(&f);
	assert_int_equal(f.tl.n, 0);
	teardown_fixture(&f);
}

static void
test_low_battery_goes_to_final_stage(void **state)
{
	struct fixture	 f;
	static const char *const want[] = {
		"10 xenserver-2 disable low_battery",
		"10.5 xenserver-2 mark_maintenance low_battery",
		"11 xenserver-2 evacuate low_battery",
		/* The pool looked at again before the power-off. */
		"21.5 xenserver-2 shutdown low_battery",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_LOW_BATTERY, 10);
	run(&f);
	expect_timeline(&f.tl, want);
	teardown_fixture(&f);
}

/*
 * Low battery on mains (a worn or charging battery) is not an outage:
 * nothing happens, but when that UPS goes on battery its hosts go to
 * their last stage at once. battery_ok on mains clears it.
 */
static void
test_low_battery_on_mains_is_not_an_outage(void **state)
{
	struct fixture		 f;
	struct ups_status	 st;
	static const char *const want[] = {
		"100 xenserver-2 disable low_battery",
		"100.5 xenserver-2 mark_maintenance low_battery",
		"101 xenserver-2 evacuate low_battery",
		"111.5 xenserver-2 shutdown low_battery",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_LOW_BATTERY, 10);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 100);
	assert_int_equal(sim_run(f.s, 50, record, &f.tl), 0);
	assert_int_equal(f.tl.n, 0);
	engine_ups_status(sim_engine(f.s), 1, &st);
	assert_int_not_equal(st.power, UPS_ON_BATTERY);
	assert_int_not_equal(st.power, UPS_LOW_BATTERY);
	assert_true(st.low_on_mains);
	run(&f);
	expect_timeline(&f.tl, want);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * Back on battery within a poll interval of a polled card's power coming
 * back (a restore its next poll would not have seen: forged, or a feed
 * that flaps): the outage goes on from its start. Later than that, or for
 * a card that is not polled, a new outage.
 */
static const char seed3_polled[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180,'snmp':{"
    "'version':'2c','community':'public','poll_interval':60}},"
    "'ups3':{'address':'10.0.0.13','warning_period':180,'snmp':{"
    "'version':'2c','community':'public','poll_interval':60}}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-3':{'powered_by':['ups3'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static void
test_short_return_does_not_restart_timers(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, seed3_polled);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 30);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 50);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_POWER_RESTORED, 30);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 100);
	run(&f);
	assert_true(find(&f.tl, "60 xenserver-2 disable maintenance_after",
	    NULL) >= 0);
	assert_true(find(&f.tl, "160 xenserver-3 disable maintenance_after",
	    NULL) >= 0);
	/* The card is asked ahead, as the pool is looked at, and says on
	 * battery: the power-off does not wait for it. */
	assert_true(find(&f.tl, "118 xenserver-2 confirm_on_battery", NULL) >=
	    0);
	assert_true(find(&f.tl, "120 xenserver-2 shutdown", NULL) >= 0);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_traps_alone_restart_timers(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 30);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 50);
	run(&f);
	assert_true(find(&f.tl, "110 xenserver-2 disable maintenance_after",
	    NULL) >= 0);
	teardown_fixture(&f);
}

/* A polled card's own time on battery only ever dates an outage earlier. */
static void
test_card_time_on_battery(void **state)
{
	struct policy		*p = load(seed3);
	struct engine		*e = engine_new(p);
	struct ups_status	 st;

	(void)state;
	assert_int_equal(engine_on_battery_time(e, 1, 30, 100), 0);
	engine_ups_status(e, 1, &st);
	assert_int_not_equal(st.power, UPS_ON_BATTERY);	/* on mains: no */
	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, 100);
	assert_int_equal(engine_on_battery_time(e, 1, 30, 100), 0);
	engine_ups_status(e, 1, &st);
	assert_true(fabs(st.since - 70) < 1e-9);
	assert_int_equal(engine_on_battery_time(e, 1, 10, 101), 0);
	engine_ups_status(e, 1, &st);
	assert_true(fabs(st.since - 70) < 1e-9);	/* never later */
	assert_int_equal(engine_on_battery_time(e, 9, 10, 101), -1);
	assert_int_equal(engine_on_battery_time(e, 1, NAN, 101), -1);
	engine_free(e);
	policy_free(p);
}

static void
test_battery_ok_on_mains_clears_low(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_LOW_BATTERY, 10);
	event(&f, "ups2", UPS_EV_BATTERY_OK, 20);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 100);
	run(&f);
	/* The normal schedule: maintenance at 60 s into the outage. */
	assert_true(find(&f.tl, "160 xenserver-2 disable maintenance_after",
	    NULL) >= 0);
	assert_int_equal(find(&f.tl, "low_battery", NULL), -1);
	teardown_fixture(&f);
}

static void
test_shutdown_imminent_maintenance_only_host(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, redundant);
	sim_set_master(f.s, host(&f, "xs2"));
	/* The trap that was lost is implied: imminent means on battery. */
	event(&f, "c", UPS_EV_SHUTDOWN_IMMINENT, 5);
	run(&f);
	assert_string_equal(f.tl.line[0],
	    "5 xs1 disable shutdown_imminent");
	assert_true(find(&f.tl, "xs1 evacuate", NULL) >= 0);
	assert_int_equal(find(&f.tl, "shutdown ", NULL), -1);
	teardown_fixture(&f);
}

static void
test_master_hands_over_first(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	/* Handed over once the settle window (2 s) is past. */
	static const char *const want[] = {
		"62 xenserver-1 designate_master master_handover",
		"63 xenserver-1 disable maintenance_after",
		"63.5 xenserver-1 mark_maintenance maintenance_after",
		"64 xenserver-1 evacuate maintenance_after",
		"120 xenserver-1 shutdown shutdown_after",
		NULL
	};

	(void)state;
	setup(&f, seed1);	/* xenserver-1, the first host, is master */
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	run(&f);
	expect_timeline(&f.tl, want);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_true(st.master);
	assert_int_equal(st.vms, 6);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * The other member's card speaks a second after the master falls due:
 * the role must not move to a host about to be on battery too. The
 * master then goes last.
 */
static void
test_master_not_handed_to_member_about_to_fail(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;

	(void)state;
	setup(&f, seed1);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 61);	/* master due at 60 */
	run(&f);
	assert_int_equal(find(&f.tl, "designate_master", NULL), -1);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.master);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_master_never_handed_over_under_ha(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;

	(void)state;
	setup(&f, seed1);
	sim_set_ha(f.s, 0, 1);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	run(&f);
	assert_int_equal(find(&f.tl, "designate_master", NULL), -1);
	/* Its VMs still go to the member on good power... */
	assert_string_equal(f.tl.line[2],
	    "61 xenserver-1 evacuate maintenance_after");
	/*
	 * ...but it is never shut down while a member is live: it stays
	 * master, empty, until its UPS gives out (at 180 s here).
	 */
	assert_int_equal(find(&f.tl, "shutdown", NULL), -1);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.master);
	assert_int_equal(st.vms, 0);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_whole_pool_down_master_last(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	long			 m_stop, m_down, d2, d3;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	run(&f);
	assert_int_equal(find(&f.tl, "designate_master", NULL), -1);
	d2 = find(&f.tl, "xenserver-2 shutdown", NULL);
	d3 = find(&f.tl, "xenserver-3 shutdown", NULL);
	m_stop = find(&f.tl, "xenserver-1 stop_vms", NULL);
	m_down = find(&f.tl, "xenserver-1 shutdown", NULL);
	assert_true(d2 >= 0 && d3 >= 0 && m_stop >= 0 && m_down >= 0);
	/*
	 * The master powers off last, but its VMs do not wait for the
	 * members: they stop by its own deadline less the stop budget
	 * (120 - 30), or the master would still be halting when its UPS
	 * gives out.
	 */
	assert_true(m_down > d2 && m_down > d3 && m_down > m_stop);
	assert_string_equal(f.tl.line[m_stop],
	    "90 xenserver-1 stop_vms no_time_left");
	assert_string_equal(f.tl.line[m_down],
	    "120.5 xenserver-1 shutdown shutdown_after");
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_int_equal(st.shutdowns, 1);
	assert_int_equal(st.stopped, 3);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_blocked_evacuation_stops_blockers(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	static const char *const want[] = {
		"60 xenserver-2 disable maintenance_after",
		"60.5 xenserver-2 mark_maintenance maintenance_after",
		"61 xenserver-2 evacuate maintenance_after",
		"61.5 xenserver-2 stop_vms evacuation_blocked",
		"66.5 xenserver-2 evacuate maintenance_after",
		"120 xenserver-2 shutdown shutdown_after",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	sim_set_pinned(f.s, host(&f, "xenserver-2"), 2);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	run(&f);
	expect_timeline(&f.tl, want);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_int_equal(st.stopped, 2);	/* the pinned ones only */
	assert_int_equal(st.shutdowns, 1);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static const char seed3_vmt30[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180}},"
    "'pools':{'pool1':{" POOL_HEAD ",'vm_shutdown_timeout':30,"
    "'stop_budget':20,'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

/* Returns the delay from the clean VM shutdown to the hard one. */
static double
stuck_vm_delay(const char *policy)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	long			 clean, hard;
	double			 d;

	setup(&f, policy);
	sim_set_pinned(f.s, host(&f, "xenserver-2"), 1);
	sim_set_stuck_vms(f.s, host(&f, "xenserver-2"), 1);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	run(&f);
	clean = find(&f.tl, "xenserver-2 stop_vms evacuation_blocked", NULL);
	hard = find(&f.tl, "xenserver-2 stop_vms_hard vm_shutdown_timeout",
	    NULL);
	if (clean < 0 || hard <= clean)
		dump(&f.tl);
	assert_true(clean >= 0 && hard > clean);
	d = f.tl.t[hard] - f.tl.t[clean];
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_int_equal(st.shutdowns, 1);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
	return d;
}

static void
test_stuck_vm_shutdown_turns_hard(void **state)
{
	(void)state;
	/* Clean at 61.5: hard exactly vm_shutdown_timeout (30 s) later. */
	assert_true(fabs(stuck_vm_delay(seed3_vmt30) - 30) < 1e-9);
	/* The default 120 s would pass the host's shutdown at 120 s: the
	 * hard shutdown comes early enough to be done by that deadline
	 * (the last third of stop_budget, 10 s) instead. */
	assert_true(fabs(stuck_vm_delay(seed3) - (120 - 10 - 61.5)) < 1e-9);
}

/*
 * The VMs that could move wait for the one that cannot to stop; when the
 * budget is spent (stop_by, 120 - 30) they have no time to move either:
 * the stop widens to every VM, and turns hard in the budget's last third.
 */
static void
test_blockers_stop_widens_at_stop_by(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;

	(void)state;
	setup(&f, seed3);
	sim_set_pinned(f.s, host(&f, "xenserver-2"), 1);
	sim_set_stuck_vms(f.s, host(&f, "xenserver-2"), 1);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	run(&f);
	assert_true(find(&f.tl, "61.5 xenserver-2 stop_vms evacuation_blocked",
	    NULL) >= 0);
	assert_true(find(&f.tl, "90 xenserver-2 stop_vms no_time_left",
	    NULL) >= 0);
	assert_true(find(&f.tl, "110 xenserver-2 stop_vms_hard "
	    "vm_shutdown_timeout", NULL) >= 0);
	assert_true(find(&f.tl, "120 xenserver-2 shutdown", NULL) >= 0);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_int_equal(st.vms, 0);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static void
test_transient_failure_retried_with_backoff(void **state)
{
	struct fixture	 f;
	static const char *const want[] = {
		"60 xenserver-2 disable maintenance_after",
		"61.5 xenserver-2 disable retry",
		"64 xenserver-2 disable retry",
		"64.5 xenserver-2 mark_maintenance maintenance_after",
		"65 xenserver-2 evacuate maintenance_after",
		"120 xenserver-2 shutdown shutdown_after",
		NULL
	};

	(void)state;
	setup(&f, seed3);
	sim_inject(f.s, host(&f, "xenserver-2"), ACT_DISABLE,
	    OUTCOME_TRANSIENT, "OTHER_OPERATION_IN_PROGRESS", 2);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	run(&f);
	/* Failed at 60.5: retry 1 s later; failed at 62: retry 2 s later. */
	expect_timeline(&f.tl, want);
	teardown_fixture(&f);
}

static void
test_permanent_failure_fails_one_host(void **state)
{
	struct fixture		 f;
	struct host_status	 hs;
	struct sim_host_state	 st;

	(void)state;
	setup(&f, seed3);
	sim_inject(f.s, host(&f, "xenserver-2"), ACT_EVACUATE,
	    OUTCOME_PERMANENT, "HOST_NOT_ENOUGH_FREE_MEMORY", 1);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	run(&f);
	engine_host_status(sim_engine(f.s), host(&f, "xenserver-2"), &hs);
	assert_int_equal(hs.stage, STAGE_FAILED);
	assert_string_equal(hs.reason, "HOST_NOT_ENOUGH_FREE_MEMORY");
	/* A failed host is not shut down with its VMs on it... */
	assert_int_equal(find(&f.tl, "xenserver-2 shutdown", NULL), -1);
	/* ...and the other host carries on, on time. */
	assert_true(find(&f.tl, "120 xenserver-3 shutdown", NULL) >= 0);
	sim_host_state(f.s, host(&f, "xenserver-3"), &st);
	assert_int_equal(st.shutdowns, 1);
	teardown_fixture(&f);
}

static void
test_ignored_events(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 0);
	event(&f, "ups2", UPS_EV_BATTERY_OK, 1);
	event(&f, "ups3", UPS_EV_COMMS_LOST, 2);
	run(&f);
	assert_int_equal(f.tl.n, 0);
	assert_int_equal(engine_on_ups_event(sim_engine(f.s), 99,
	    UPS_EV_ON_BATTERY, 3), -1);
	teardown_fixture(&f);
}

static const char two_pools[] = "{'ups':{"
    "'ua':{'address':'10.0.0.11'},'ub':{'address':'10.0.0.12'}},"
    "'pools':{"
    "'pa':{" POOL_HEAD ",'hosts':{'a1':{'powered_by':['ua'],"
    "'maintenance_after':10,'shutdown_after':100},'a2':{'powered_by':"
    "['ua'],'maintenance_after':10,'shutdown_after':100},"
    "'a0':{'powered_by':['ub'],'shutdown_after':100}}},"
    "'pb':{'url':'https://10.0.0.31','username':'root','password_file':"
    "'/dev/null','hosts':{'b1':{'powered_by':['ua'],'maintenance_after':"
    "10,'shutdown_after':100},'b0':{'powered_by':['ub'],"
    "'shutdown_after':100}}}}}";

static void
test_pools_are_independent(void **state)
{
	struct fixture	 f;

	(void)state;
	setup(&f, two_pools);
	sim_set_master(f.s, host(&f, "a0"));
	sim_set_master(f.s, host(&f, "b0"));
	sim_set_evacuate_takes(f.s, host(&f, "a1"), 80);
	event(&f, "ua", UPS_EV_ON_BATTERY, 0);
	run(&f);
	/* pa's slow evacuation holds a2 back, never pb's b1. The budget
	 * (stop_budget 30 s before the 100 s deadline) ends both a1's
	 * evacuation and a2's wait at 70: what is left is stopped, and both
	 * go down on time. */
	assert_true(find(&f.tl, "11 b1 evacuate", NULL) >= 0);
	assert_true(find(&f.tl, "11 a1 evacuate", NULL) >= 0);
	assert_int_equal(find(&f.tl, "a2 evacuate", NULL), -1);
	assert_true(find(&f.tl, "70 a1 stop_vms no_time_left", NULL) >= 0);
	assert_true(find(&f.tl, "70 a2 stop_vms no_time_left", NULL) >= 0);
	assert_true(find(&f.tl, "100 a1 shutdown", NULL) >= 0);
	assert_true(find(&f.tl, "100 a2 shutdown", NULL) >= 0);
	assert_true(find(&f.tl, "100 b1 shutdown", NULL) >= 0);
	teardown_fixture(&f);
}

/* The refresh due at t, answered at once with these facts. */
static void
look_at_pool(struct engine *e, const struct pool_facts *pf, double t)
{
	struct action		 a[8];
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };

	assert_int_equal(engine_take_actions(e, t, a, 8), 1);
	assert_int_equal(a[0].op, ACT_REFRESH);
	assert_int_equal(engine_on_result(e, a[0].id, &ok, t), 0);
	engine_on_pool_facts(e, a[0].pool, pf, t);
	assert_int_equal(engine_take_actions(e, t, a, 8), 0);
}

static void
test_exact_deadline_by_hand(void **state)
{
	struct policy		*p;
	struct engine		*e;
	struct action		 a[8];
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	size_t			 n;

	(void)state;
	p = load(seed3);
	e = engine_new(p);
	assert_int_equal(engine_take_actions(e, 0, a, 8), 1);
	assert_int_equal(a[0].op, ACT_REFRESH);
	engine_on_pool_facts(e, 0, &pf, 0);
	assert_int_equal(engine_take_actions(e, 0, a, 8), 0);
	assert_true(isinf(engine_next_deadline(e)));

	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, 1000.25);
	n = engine_take_actions(e, 1000.25, a, 8);
	assert_int_equal(n, 1);		/* a refresh for the outage */
	assert_int_equal(a[0].op, ACT_REFRESH);
	assert_int_equal(engine_on_result(e, a[0].id, &ok, 1000.3), 0);
	engine_on_pool_facts(e, 0, &pf, 1000.3);
	assert_int_equal(engine_take_actions(e, 1000.3, a, 8), 0);
	assert_true(engine_next_deadline(e) == 1060.25);
	assert_int_equal(engine_take_actions(e, 1060.2499, a, 8), 0);
	n = engine_take_actions(e, 1060.25, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].op, ACT_DISABLE);
	assert_int_equal(a[0].host, 1);
	assert_true(a[0].due == 1060.25);
	assert_int_equal(engine_inflight(e), 1);
	/* A stale or unknown id is refused, not applied. */
	assert_int_equal(engine_on_result(e, a[0].id + (1UL << 24), &ok,
	    1061), -1);
	assert_int_equal(engine_on_result(e, a[0].id, &ok, 1061), 0);
	assert_int_equal(engine_on_result(e, a[0].id, &ok, 1061), -1);
	assert_int_equal(engine_inflight(e), 0);
	engine_free(e);
	policy_free(p);
}

/*
 * Answers every action at `t` (facts for refreshes); returns the op of
 * the first host action other than disable and mark, or -1.
 */
static int
answer_all(struct engine *e, const struct pool_facts *pf, double t)
{
	struct action		 a[8];
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	size_t			 n, i;
	int			 other = -1;

	while ((n = engine_take_actions(e, t, a, 8)) > 0)
		for (i = 0; i < n; i++) {
			if (a[i].op == ACT_REFRESH) {
				engine_on_result(e, a[i].id, &ok, t);
				engine_on_pool_facts(e, a[i].pool, pf, t);
				continue;
			}
			if (a[i].op != ACT_DISABLE && a[i].op != ACT_MARK &&
			    other == -1)
				other = (int)a[i].op;
			if (a[i].op == ACT_DISABLE || a[i].op == ACT_MARK)
				engine_on_result(e, a[i].id, &ok, t);
		}
	return other;
}

/*
 * xapi is already evacuating another member (an operator, or this
 * process before a restart): the pool's one evacuation slot is taken
 * until the facts say it is over.
 */
static void
test_evacuation_waits_for_one_running(void **state)
{
	struct policy		*p;
	struct engine		*e;
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 0, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 0, 0, 0, 2, 1, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct host_status	 hs;
	double			 t;

	(void)state;
	p = load(seed3);
	e = engine_new(p);
	answer_all(e, &pf, 0);
	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, 0);	/* ups2 */
	for (t = 0; t <= 70; t += 0.5)
		assert_int_equal(answer_all(e, &pf, t), -1);
	engine_host_status(e, 1, &hs);
	assert_string_equal(hs.reason,
	    "an evacuation is already running in the pool");
	/* It ends: the next look lets xenserver-2 go. */
	m[2].evacuating = 0;
	for (t = 70.5; t <= 75; t += 0.5)
		if (answer_all(e, &pf, t) == ACT_EVACUATE)
			break;
	assert_true(t <= 73);
	engine_free(e);
	policy_free(p);
}

/*
 * Seed 3's pool as xapi answers it, for tests that drive the engine by
 * hand: every action succeeds at once unless the test's hook says
 * otherwise, and the facts follow what was done.
 */
struct pool3 {
	struct policy		*p;
	struct engine		*e;
	struct member_facts	 m[3];
	struct pool_facts	 pf;
	/* Sees each action before it is done; says how it ends. */
	enum action_outcome	(*hook)(struct pool3 *, const struct action *,
				    double);
	int			 keep_master;	/* designations do nothing */
	size_t			 rounds;
	/* What the tests look for. */
	double			 handed_at, stale_at, looked_at;
	double			 evac_at, down_at;
	int			 disables, evacs, shutdowns, stops;
};

static void
pool3_start(struct pool3 *ps, int vms1, int vms2, int vms3)
{
	static const char *const names[] = { "xenserver-1", "xenserver-2",
	    "xenserver-3" };
	int	 vms[3] = { vms1, vms2, vms3 }, i;

	memset(ps, 0, sizeof(*ps));
	for (i = 0; i < 3; i++) {
		ps->m[i].name = names[i];
		ps->m[i].live = ps->m[i].enabled = 1;
		ps->m[i].master = i == 0;
		ps->m[i].nvms = vms[i];
	}
	ps->pf.nmembers = 3;
	ps->pf.members = ps->m;
	ps->handed_at = ps->stale_at = ps->looked_at = -1;
	ps->evac_at = ps->down_at = -1;
	ps->p = load(seed3);
	ps->e = engine_new(ps->p);
	assert_non_null(ps->e);
}

/* What xapi's facts say after an action that worked. */
static void
pool3_mirror(struct pool3 *ps, const struct action *a)
{
	struct member_facts	*h = a->host >= 0 ? &ps->m[a->host] : NULL;
	int			 i;

	switch (a->op) {
	case ACT_DISABLE:
		h->enabled = 0;
		break;
	case ACT_EXIT_MAINTENANCE:
		h->enabled = 1;
		break;
	case ACT_DESIGNATE_MASTER:
		for (i = 0; i < 3 && !ps->keep_master; i++)
			ps->m[i].master = strcmp(ps->m[i].name, a->target) == 0;
		break;
	case ACT_EVACUATE:
		for (i = 0; i < 3; i++)
			if (&ps->m[i] != h && ps->m[i].live &&
			    ps->m[i].enabled) {
				ps->m[i].nvms += h->nvms;
				h->nvms = 0;
				break;
			}
		break;
	case ACT_SHUTDOWN:
		h->live = h->enabled = 0;
		break;
	default:
		break;
	}
}

/* Everything due at t, answered at once; a loop fails the test. */
static void
pool3_step(struct pool3 *ps, double t)
{
	struct action		 a[8];
	struct action_result	 r = { OUTCOME_OK, NULL, 0 };
	size_t			 n, i;

	while ((n = engine_take_actions(ps->e, t, a, 8)) > 0) {
		assert_true(++ps->rounds < 1000);
		for (i = 0; i < n; i++) {
			r.outcome = ps->hook ? ps->hook(ps, &a[i], t) :
			    OUTCOME_OK;
			r.error = r.outcome == OUTCOME_OK ? NULL :
			    "the test's pool said so";
			if (r.outcome == OUTCOME_OK)
				pool3_mirror(ps, &a[i]);
			engine_on_result(ps->e, a[i].id, &r, t);
			if (a[i].op == ACT_REFRESH && r.outcome == OUTCOME_OK)
				engine_on_pool_facts(ps->e, a[i].pool, &ps->pf,
				    t);
		}
	}
}

static void
pool3_end(struct pool3 *ps)
{
	engine_free(ps->e);
	policy_free(ps->p);
}

/* Counts what happens to xenserver-2; a member must not go as master. */
static enum action_outcome
count_x2(struct pool3 *ps, const struct action *a, double t)
{
	if (a->op == ACT_DESIGNATE_MASTER)
		ps->handed_at = t;
	if (a->host != 1)
		return OUTCOME_OK;
	if (a->op == ACT_DISABLE)
		ps->disables++;
	if (a->op == ACT_EVACUATE)
		ps->evacs++;
	if (a->op == ACT_SHUTDOWN) {
		assert_false(ps->m[1].master);
		assert_false(a->as_master);
		assert_false(ps->m[1].enabled);
		ps->shutdowns++;
		ps->down_at = t;
	}
	return OUTCOME_OK;
}

/*
 * HA makes the host about to be powered off the master, long after the
 * engine's last look: the look taken just before the power-off shows it;
 * the role is handed to a member on good power, then it goes.
 */
static void
test_master_change_seen_before_power_off(void **state)
{
	struct pool3	 ps;
	double		 t;

	(void)state;
	pool3_start(&ps, 0, 0, 0);
	ps.hook = count_x2;
	engine_on_ups_event(ps.e, 1, UPS_EV_ON_BATTERY, 0);	/* ups2 */
	for (t = 0; t <= 130 && ps.down_at < 0; t += 0.5) {
		if (t == 100) {
			ps.m[0].master = 0;	/* the role moved to it */
			ps.m[1].master = 1;
		}
		pool3_step(&ps, t);
	}
	/* It is due at 120. */
	assert_true(ps.handed_at >= 120);
	assert_true(ps.down_at >= ps.handed_at);
	pool3_end(&ps);
}

/* The first power-off of xenserver-2 finds it made master meanwhile. */
static enum action_outcome
master_moves_under_power_off(struct pool3 *ps, const struct action *a,
    double t)
{
	if (a->op == ACT_REFRESH && ps->stale_at >= 0 && ps->looked_at < 0)
		ps->looked_at = t;
	if (a->op == ACT_SHUTDOWN && ps->stale_at < 0) {
		assert_false(a->as_master);
		ps->stale_at = t;
		ps->m[0].master = 0;
		ps->m[1].master = 1;
		return OUTCOME_STALE;
	}
	return count_x2(ps, a, t);
}

/*
 * HA makes xenserver-2 master between the engine's last look and its
 * power-off: the worker's check answers STALE. Nothing is retried on the
 * old picture; a new look shows it master, the role goes to a member on
 * good power, and only then is it powered off, as a member.
 */
static void
test_stale_power_off_looks_again(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;

	(void)state;
	pool3_start(&ps, 0, 0, 0);
	ps.hook = master_moves_under_power_off;
	engine_on_ups_event(ps.e, 1, UPS_EV_ON_BATTERY, 0);	/* ups2 */
	for (t = 0; t <= 300; t += 0.5)
		pool3_step(&ps, t);
	assert_true(ps.stale_at >= 120);
	assert_true(ps.looked_at >= ps.stale_at &&
	    ps.looked_at < ps.stale_at + 1);
	assert_true(ps.handed_at >= ps.looked_at);
	assert_int_equal(ps.shutdowns, 1);
	assert_true(ps.down_at >= ps.handed_at);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_DOWN);
	pool3_end(&ps);
}

static enum action_outcome
count_handovers(struct pool3 *ps, const struct action *a, double t)
{
	assert_false(a->op == ACT_SHUTDOWN);
	if (a->op == ACT_DESIGNATE_MASTER) {
		ps->stops++;
		if (ps->handed_at < 0)
			ps->handed_at = t;
		ps->down_at = t;	/* the last one */
	}
	return OUTCOME_OK;
}

/*
 * A pool that says yes to designate_new_master and keeps its master: the
 * engine asks again with backoff and then gives up, never in a loop, and
 * the master still waits for the live members.
 */
static void
test_handover_without_effect_is_not_a_loop(void **state)
{
	struct pool3	 ps;
	double		 t;

	(void)state;
	pool3_start(&ps, 0, 0, 0);
	ps.hook = count_handovers;
	ps.keep_master = 1;
	engine_on_ups_event(ps.e, 0, UPS_EV_ON_BATTERY, 0);	/* the master */
	for (t = 0; t <= 170; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(ps.stops, 6);		/* max_attempts designations */
	assert_true(ps.down_at - ps.handed_at >= 1 + 2 + 4 + 8 + 16);
	pool3_end(&ps);
}

/* What happens to xenserver-1 once it handed its role over. */
static enum action_outcome
watch_old_master(struct pool3 *ps, const struct action *a, double t)
{
	if (a->op == ACT_DESIGNATE_MASTER) {
		assert_string_equal(a->target, "xenserver-3");
		ps->handed_at = t;
	}
	if (a->host != 0 || ps->handed_at < 0)
		return OUTCOME_OK;
	if (a->op == ACT_STOP_VMS)
		ps->stops++;
	if (a->op == ACT_EVACUATE && ps->evac_at < 0)
		ps->evac_at = t;
	if (a->op == ACT_SHUTDOWN)
		ps->down_at = t;
	return OUTCOME_OK;
}

/*
 * The whole pool on battery: the master, with nowhere to send its VMs,
 * stays up in maintenance with them. A member's power comes back before
 * the master's stop budget begins (90 s): the role is handed to it at
 * once, and the old master's VMs are evacuated there, not stopped.
 */
static void
test_master_with_nowhere_to_go_hands_over_when_it_can(void **state)
{
	struct pool3	 ps;
	double		 t;
	size_t		 k;

	(void)state;
	pool3_start(&ps, 3, 2, 1);
	ps.hook = watch_old_master;
	for (k = 0; k < 3; k++)
		engine_on_ups_event(ps.e, k, UPS_EV_ON_BATTERY, 0);
	for (t = 0; t <= 200; t += 0.5) {
		if (t == 70)
			engine_on_ups_event(ps.e, 2, UPS_EV_POWER_RESTORED, t);
		pool3_step(&ps, t);
	}
	assert_true(ps.handed_at >= 70 && ps.handed_at < 90);
	assert_true(ps.evac_at >= ps.handed_at && ps.evac_at < 90);
	assert_int_equal(ps.stops, 0);
	assert_true(ps.down_at >= ps.evac_at);
	assert_int_equal(ps.m[0].nvms, 0);	/* moved, not stopped */
	pool3_end(&ps);
}

/*
 * A host in maintenance is enabled again behind the engine's back (an
 * operator, or its battery died and it booted): the next look shows it,
 * and it is disabled and evacuated again before it goes down; it is
 * never powered off enabled.
 */
static void
test_reenabled_host_is_taken_out_again(void **state)
{
	struct pool3	 ps;
	double		 t;

	(void)state;
	pool3_start(&ps, 0, 2, 0);
	ps.hook = count_x2;
	engine_on_ups_event(ps.e, 1, UPS_EV_ON_BATTERY, 0);	/* ups2 */
	for (t = 0; t <= 130; t += 0.5) {
		if (t == 80) {			/* before its stop budget */
			ps.m[1].enabled = 1;	/* behind our back */
			engine_want_refresh(ps.e, 0);
		}
		pool3_step(&ps, t);
	}
	assert_int_equal(ps.disables, 2);
	assert_int_equal(ps.evacs, 2);
	assert_int_equal(ps.shutdowns, 1);
	pool3_end(&ps);
}

static void
test_status_reports_stage_and_deadline(void **state)
{
	struct policy		*p;
	struct engine		*e;
	struct action		 a[8];
	struct member_facts	 m[1] = { { "xenserver-1", 1, 1, 1, 0, 0, 0, 0 } };
	struct pool_facts	 pf = { 0, 1, m, 0 };
	struct host_status	 hs;
	struct ups_status	 us;

	(void)state;
	p = load(seed3);
	e = engine_new(p);
	engine_take_actions(e, 0, a, 8);
	engine_on_pool_facts(e, 0, &pf, 0);
	engine_on_ups_event(e, 2, UPS_EV_ON_BATTERY, 5);
	engine_take_actions(e, 5, a, 8);
	engine_ups_status(e, 2, &us);
	assert_int_equal(us.power, UPS_ON_BATTERY);
	assert_true(us.since == 5);
	engine_host_status(e, 2, &hs);
	assert_int_equal(hs.stage, STAGE_PENDING);
	assert_true(hs.next_deadline == 65);
	/* xenserver-3 is not in the facts: it is not acted on blindly. */
	engine_take_actions(e, 65, a, 8);
	engine_host_status(e, 2, &hs);
	assert_string_equal(hs.reason, "not a member of the pool");
	engine_free(e);
	policy_free(p);
}

static void
test_adopt_keeps_outage_across_reload(void **state)
{
	struct policy		*p1, *p2;
	struct engine		*e1, *e2;
	struct action		 a[8];
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	struct host_status	 hs;
	unsigned long		 evac;
	size_t			 n;

	(void)state;
	p1 = load(seed3);
	e1 = engine_new(p1);
	engine_take_actions(e1, 0, a, 8);
	engine_on_pool_facts(e1, 0, &pf, 0);
	engine_on_ups_event(e1, 1, UPS_EV_ON_BATTERY, 10);
	n = engine_take_actions(e1, 10, a, 8);	/* refresh */
	engine_on_result(e1, a[0].id, &ok, 10);
	engine_on_pool_facts(e1, 0, &pf, 10);
	assert_int_equal(engine_take_actions(e1, 70, a, 8), 1);
	assert_int_equal(a[0].op, ACT_DISABLE);
	engine_on_result(e1, a[0].id, &ok, 70);
	m[1].enabled = 0;
	assert_int_equal(engine_take_actions(e1, 70, a, 8), 1);
	engine_on_result(e1, a[0].id, &ok, 70);	/* marked */
	assert_int_equal(engine_take_actions(e1, 70, a, 8), 1);
	assert_int_equal(a[0].op, ACT_EVACUATE);
	evac = a[0].id;

	/* Reload mid-evacuation: shutdown_after 120 -> 100, a host added
	 * in front so that every index moves. */
	p2 = load("{'ups':{"
	    "'ups1':{'address':'10.0.0.11','warning_period':180},"
	    "'ups2':{'address':'10.0.0.12','warning_period':180},"
	    "'ups3':{'address':'10.0.0.13','warning_period':180}},"
	    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
	    "'xenserver-0':{'powered_by':['ups1'],'shutdown_after':110},"
	    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
	    "'shutdown_after':120},"
	    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
	    "'shutdown_after':100},"
	    "'xenserver-3':{'powered_by':['ups3'],'maintenance_after':60,"
	    "'shutdown_after':120}}}}}");
	e2 = engine_new(p2);
	assert_int_equal(engine_adopt(e2, e1, 75), 0);
	engine_free(e1);
	policy_free(p1);
	assert_int_equal(engine_inflight(e2), 1);
	engine_host_status(e2, 2, &hs);
	assert_int_equal(hs.stage, STAGE_EVACUATING);
	/* Nothing is asked twice: the evacuation is still in flight. */
	assert_int_equal(engine_take_actions(e2, 75, a, 8), 0);
	assert_int_equal(engine_on_result(e2, evac, &ok, 80), 0);
	assert_int_equal(engine_take_actions(e2, 80, a, 8), 0);
	/* The new rule: shutdown at 10 + 100, from the original outage,
	 * with a look at the pool 2 s before. */
	assert_true(engine_next_deadline(e2) == 108);
	look_at_pool(e2, &pf, 108);
	assert_true(engine_next_deadline(e2) == 110);
	n = engine_take_actions(e2, 110, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].op, ACT_SHUTDOWN);
	assert_int_equal(a[0].host, 2);
	engine_free(e2);
	policy_free(p2);
}

struct evac_watch {
	int	 running, most;
	double	 x2_evac_done, x2_exit;
};

static void
watch_evacuations(const struct sim_line *l, void *arg)
{
	struct evac_watch	*w = arg;

	if (l->kind != SIM_ACTION && l->kind != SIM_RESULT)
		return;
	if (l->action->op == ACT_EVACUATE && !l->follows) {
		w->running += l->kind == SIM_ACTION ? 1 : -1;
		if (w->running > w->most)
			w->most = w->running;
		if (l->kind == SIM_RESULT && l->action->host == 1)
			w->x2_evac_done = l->t;
	}
	if (l->kind == SIM_ACTION && l->action->host == 1 &&
	    l->action->op == ACT_EXIT_MAINTENANCE && w->x2_exit < 0)
		w->x2_exit = l->t;
}

/*
 * The process restarts while xenserver-2's evacuation runs, and its power
 * comes back before the new process has looked at the pool: it leaves
 * maintenance only after that evacuation, and xenserver-3 (due too) does
 * not start one meanwhile.
 */
static void
test_power_back_during_evacuation_from_before_restart(void **state)
{
	struct fixture		 f;
	struct evac_watch	 w = { 0, 0, -1, -1 };

	(void)state;
	setup(&f, seed3);
	sim_set_evacuate_takes(f.s, host(&f, "xenserver-2"), 30);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	assert_int_equal(sim_add_restart(f.s, 70), 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 70.2);
	assert_int_equal(sim_run(f.s, 86400, watch_evacuations, &w), 0);
	assert_int_equal(w.most, 1);
	assert_true(w.x2_evac_done > 71);
	assert_true(w.x2_exit >= w.x2_evac_done);
	teardown_fixture(&f);
}

static void
test_restart_mid_evacuation(void **state)
{
	struct policy		*p = load(seed3);
	struct engine		*e1, *e2;
	struct action		 a[8];
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	json_t			*saved;
	char			*text;
	size_t			 n, i;
	/* Process 1's engine clock = wall - 1000; process 2's = wall - 5000. */
	double			 off1 = 1000, off2 = 5000;
	char			 msg[512];

	(void)state;
	e1 = engine_new(p);
	engine_take_actions(e1, 0, a, 8);
	engine_on_pool_facts(e1, 0, &pf, 0);
	engine_on_ups_event(e1, 1, UPS_EV_ON_BATTERY, 10);
	engine_take_actions(e1, 10, a, 8);
	engine_on_pool_facts(e1, 0, &pf, 10);
	n = engine_take_actions(e1, 70, a, 8);		/* disable */
	engine_on_result(e1, a[0].id, &ok, 70);
	n = engine_take_actions(e1, 70, a, 8);		/* mark */
	engine_on_result(e1, a[0].id, &ok, 70);
	n = engine_take_actions(e1, 70, a, 8);
	assert_int_equal(a[0].op, ACT_EVACUATE);
	/* Crash here: the state as it was last written, through text. */
	saved = engine_export(e1, off1);
	text = json_dumps(saved, JSON_COMPACT);
	json_decref(saved);
	engine_free(e1);
	assert_non_null(strstr(text, "\"inflight\":\"evacuate\""));
	saved = json_loads(text, 0, NULL);
	free(text);

	e2 = engine_new(p);
	/* Restart at wall 1075 = engine time 1075 - 5000. */
	assert_int_equal(engine_import(e2, saved, off2, 1075 - off2, msg,
	    sizeof(msg)), 1);
	json_decref(saved);
	n = engine_take_actions(e2, 1075 - off2, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].op, ACT_REFRESH);
	/* The evacuation finished while we were down. */
	m[1].enabled = 0;
	m[1].marked = 1;
	m[1].nvms = 0;
	engine_on_result(e2, a[0].id, &ok, 1075.1 - off2);
	engine_on_pool_facts(e2, 0, &pf, 1075.1 - off2);
	n = engine_take_actions(e2, 1075.1 - off2, a, 8);
	for (i = 0; i < n; i++)
		print_message("unexpected %s\n", action_op_name(a[i].op));
	assert_int_equal(n, 0);
	/* The shutdown keeps its wall-clock deadline: 1010 + 120, with a
	 * look at the pool 2 s before. */
	assert_true(fabs(engine_next_deadline(e2) - (1128 - off2)) < 1e-6);
	look_at_pool(e2, &pf, 1128 - off2);
	assert_true(fabs(engine_next_deadline(e2) - (1130 - off2)) < 1e-6);
	n = engine_take_actions(e2, 1130 - off2, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].op, ACT_SHUTDOWN);
	assert_int_equal(a[0].host, 1);
	engine_free(e2);
	policy_free(p);
}

static void
test_restart_redoes_what_did_not_happen(void **state)
{
	struct policy		*p = load(seed3);
	struct engine		*e1, *e2;
	struct action		 a[8];
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	json_t			*saved;
	char			 msg[512];
	size_t			 n;

	(void)state;
	e1 = engine_new(p);
	engine_take_actions(e1, 0, a, 8);
	engine_on_pool_facts(e1, 0, &pf, 0);
	engine_on_ups_event(e1, 1, UPS_EV_ON_BATTERY, 10);
	engine_take_actions(e1, 10, a, 8);
	engine_on_pool_facts(e1, 0, &pf, 10);
	n = engine_take_actions(e1, 70, a, 8);
	assert_int_equal(a[0].op, ACT_DISABLE);
	saved = engine_export(e1, 0);
	engine_free(e1);
	/* The disable never reached the pool: after the restart it is
	 * asked again, and the outage keeps its clock. */
	e2 = engine_new(p);
	assert_int_equal(engine_import(e2, saved, 0, 80, msg, sizeof(msg)), 1);
	json_decref(saved);
	n = engine_take_actions(e2, 80, a, 8);
	engine_on_pool_facts(e2, 0, &pf, 80);
	n = engine_take_actions(e2, 80, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].op, ACT_DISABLE);
	assert_true(a[0].due == 70);
	engine_free(e2);
	policy_free(p);
}

/*
 * ups2 on battery from wall time 10, xenserver-2 disabled; the state as
 * saved at wall time `saved_at`, with one of ups2's values replaced.
 */
static json_t *
state_with(struct policy *p, double saved_at, const char *key, json_t *v)
{
	struct engine		*e = engine_new(p);
	struct action		 a[8];
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 1, 0, 0, 2, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	json_t			*j;

	engine_take_actions(e, 0, a, 8);
	engine_on_pool_facts(e, 0, &pf, 0);
	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, 10);
	engine_take_actions(e, 10, a, 8);
	engine_on_pool_facts(e, 0, &pf, 10);
	assert_int_equal(engine_take_actions(e, 70, a, 8), 1);
	assert_int_equal(a[0].op, ACT_DISABLE);
	engine_on_result(e, a[0].id, &ok, 70);
	j = engine_export(e, 0);
	engine_free(e);
	json_object_set_new(j, "saved", json_real(saved_at));
	if (key)
		json_object_set_new(json_object_get(json_object_get(j, "ups"),
		    "ups2"), key, v);
	return j;
}

/* What a restarted engine does with the pool as it was: the ops, in order. */
static void
ops_after(struct engine *e, double t, int *ops, size_t cap)
{
	struct member_facts	 m[3] = {
		{ "xenserver-1", 1, 1, 1, 0, 2, 0, 0 },
		{ "xenserver-2", 1, 0, 0, 1, 0, 0, 0 },
		{ "xenserver-3", 1, 1, 0, 0, 2, 0, 0 },
	};
	struct pool_facts	 pf = { 0, 3, m, 0 };
	struct action_result	 ok = { OUTCOME_OK, NULL, 0 };
	struct action		 a[8];
	size_t			 n, i, k = 0;
	int			 round;

	memset(ops, -1, cap * sizeof(*ops));
	for (round = 0; round < 6; round++) {
		n = engine_take_actions(e, t, a, 8);
		for (i = 0; i < n; i++) {
			if (k < cap && a[i].op != ACT_REFRESH)
				ops[k++] = (int)a[i].op;
			engine_on_result(e, a[i].id, &ok, t);
			if (a[i].op == ACT_REFRESH)
				engine_on_pool_facts(e, 0, &pf, t);
		}
	}
}

static int
has_op(const int *ops, size_t n, enum action_op op)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (ops[i] == (int)op)
			return 1;
	return 0;
}

/* A time upsxen never writes rejects the whole state, named by path. */
static void
test_import_rejects_bad_values(void **state)
{
	struct policy	*p = load(seed3);
	struct engine	*e;
	json_t		*j;
	char		 msg[512];
	int		 ops[16];

	(void)state;
	j = state_with(p, 75, "since", json_real(1e300));
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 80, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "ups.ups2.since: not a time in seconds "
	    "since 1970");
	json_decref(j);
	/* As new: nothing is on battery, no deadline spins. */
	ops_after(e, 80, ops, 16);
	assert_int_equal(ops[0], -1);
	assert_true(isinf(engine_next_deadline(e)) ||
	    engine_next_deadline(e) > 80);
	engine_free(e);

	j = state_with(p, 75, "since", json_string("soon"));
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 80, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "ups.ups2.since: not a number");
	json_decref(j);
	engine_free(e);

	j = state_with(p, 75, NULL, NULL);
	json_object_set_new(json_object_get(json_object_get(j, "hosts"),
	    "pool1/xenserver-2"), "blocked", json_integer(-3));
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 80, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "hosts.pool1/xenserver-2.blocked: -3 is not "
	    "a count of VMs");
	json_decref(j);
	engine_free(e);
	policy_free(p);
}

/*
 * Three days on battery, in the format upsxen writes: older than
 * everything the outage could set off (180 s), so it is not acted on.
 */
static void
test_import_forgets_stale_outage(void **state)
{
	struct policy	*p = load(seed3);
	struct engine	*e;
	json_t		*j;
	char		 msg[512];
	int		 ops[16];
	double		 later = 3 * 86400.0;

	(void)state;
	j = state_with(p, 75, NULL, NULL);
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, later, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "held in doubt: ups=ups2 "
	    "outage_age_s=259190 longest_s=180");
	json_decref(j);
	ops_after(e, later, ops, 16);
	assert_false(has_op(ops, 16, ACT_SHUTDOWN));
	assert_false(has_op(ops, 16, ACT_EVACUATE));
	/*
	 * Saved three days ago: a restore may have gone unseen, so a fresh
	 * trap is an outage from now, with all its time.
	 */
	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, later + 1);
	ops_after(e, later + 119, ops, 16);
	assert_false(has_op(ops, 16, ACT_SHUTDOWN));
	ops_after(e, later + 122, ops, 16);
	assert_true(has_op(ops, 16, ACT_SHUTDOWN));
	engine_free(e);

	/*
	 * Saved a moment ago by a receiver that watched it all along: the
	 * card resending its trap is the same outage, long past its timers.
	 */
	j = state_with(p, later - 1, NULL, NULL);
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, later, msg, sizeof(msg)), 1);
	json_decref(j);
	ops_after(e, later, ops, 16);
	assert_false(has_op(ops, 16, ACT_SHUTDOWN));
	engine_on_ups_event(e, 1, UPS_EV_ON_BATTERY, later + 1);
	ops_after(e, later + 1, ops, 16);
	assert_true(has_op(ops, 16, ACT_SHUTDOWN));
	engine_free(e);

	/* Within the longest timer it is the outage in progress. */
	j = state_with(p, 75, NULL, NULL);
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 131, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "");
	json_decref(j);
	ops_after(e, 131, ops, 16);
	assert_true(has_op(ops, 16, ACT_SHUTDOWN));
	engine_free(e);
	policy_free(p);
}

/*
 * A `since` a week ahead, or a clock set back after the save: restored
 * times are clamped to the save and to now, so the outage counts from
 * no later than the restart.
 */
static void
test_import_clamps_future_times(void **state)
{
	struct policy	*p = load(seed3);
	struct engine	*e;
	json_t		*j;
	char		 msg[512];
	int		 ops[16];

	(void)state;
	j = state_with(p, 75, "since", json_real(75 + 7 * 86400.0));
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 80, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "clamped: 1 time(s)"));
	json_decref(j);
	/* Counted from the save at 75: the shutdown is due at 195. */
	ops_after(e, 194, ops, 16);
	assert_false(has_op(ops, 16, ACT_SHUTDOWN));
	ops_after(e, 196, ops, 16);
	assert_true(has_op(ops, 16, ACT_SHUTDOWN));
	engine_free(e);

	/* Saved at 1000 by a clock since set back to 500. */
	j = state_with(p, 1000, "since", json_real(990));
	e = engine_new(p);
	assert_int_equal(engine_import(e, j, 0, 500, msg, sizeof(msg)), 1);
	json_decref(j);
	ops_after(e, 619, ops, 16);
	assert_false(has_op(ops, 16, ACT_SHUTDOWN));
	ops_after(e, 621, ops, 16);
	assert_true(has_op(ops, 16, ACT_SHUTDOWN));
	engine_free(e);
	policy_free(p);
}

/*
 * xenserver-2 is only ever put in maintenance; its UPS dies under it at
 * 180 s, and xapi keeps it live and enabled for ten minutes. Later the
 * master and xenserver-3 lose power: the master must not wait for the
 * dead member, nor die with its VMs when its own UPS gives out at 380 s.
 */
static const char dead_member[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180},"
    "'ups3':{'address':'10.0.0.13','warning_period':180}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60},"
    "'xenserver-3':{'powered_by':['ups3'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static void
test_master_does_not_wait_for_a_dead_member(void **state)
{
	struct sim_opts		 more = { .dead_after = 600 };
	struct fixture		 f;
	struct sim_host_state	 st;
	long			 down;

	(void)state;
	setup_real(&f, dead_member, &more);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 200);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 200);
	assert_int_equal(sim_run(f.s, 2000, record, &f.tl), 0);
	down = find(&f.tl, "xenserver-1 shutdown", NULL);
	if (down < 0 || f.tl.t[down] >= 380)
		dump(&f.tl);
	assert_true(down >= 0 && f.tl.t[down] < 380);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_int_equal(st.shutdowns, 1);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * The same dead member, enabled in xapi's eyes: host.evacuate would send
 * VMs to it and fail. xenserver-3's VMs go where the power is.
 */
static void
test_no_vm_sent_to_a_dead_member(void **state)
{
	struct sim_opts		 more = { .dead_after = 600 };
	struct fixture		 f;
	struct sim_host_state	 st;

	(void)state;
	setup_real(&f, dead_member, &more);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 200);
	assert_int_equal(sim_run(f.s, 2000, record, &f.tl), 0);
	sim_host_state(f.s, host(&f, "xenserver-3"), &st);
	assert_int_equal(st.evacuations, 1);
	assert_int_equal(st.stopped, 0);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_int_equal(st.vms, 9);	/* its own, 2's and 3's */
	assert_int_equal(count(&f.tl, "xenserver-3 evacuate", NULL), 1);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * A handover restarts xapi on every member a while later; what ran then
 * is forgotten and disabled hosts come back enabled. Nothing else starts
 * while the handover is in flight, and the outage still ends with no VM
 * lost and every host back.
 */
static const char four[] = "{'ups':{"
    "'ups1':{'address':'10.0.0.11','warning_period':180},"
    "'ups2':{'address':'10.0.0.12','warning_period':180},"
    "'ups3':{'address':'10.0.0.13','warning_period':180},"
    "'ups4':{'address':'10.0.0.14','warning_period':180}},"
    "'pools':{'pool1':{" POOL_HEAD ",'hosts':{"
    "'xenserver-1':{'powered_by':['ups1'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-2':{'powered_by':['ups2'],'maintenance_after':60,"
    "'shutdown_after':120},"
    "'xenserver-3':{'powered_by':['ups3'],'maintenance_after':62.2,"
    "'shutdown_after':120},"
    "'xenserver-4':{'powered_by':['ups4'],'maintenance_after':60,"
    "'shutdown_after':120}}}}}";

static void
test_handover_then_xapi_restarts(void **state)
{
	struct sim_opts		 more = { .restart_after = 5,
	    .restart_takes = 8 };
	struct fixture		 f;
	struct sim_host_state	 st;
	long			 d, x3;
	size_t			 i;

	(void)state;
	setup_real(&f, four, &more);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 400);
	event(&f, "ups3", UPS_EV_POWER_RESTORED, 400);
	run(&f);
	/* Handed over at 62 (settle window); xenserver-3 falls due at 62.2,
	 * while it is in flight, and waits for it and a look after it. */
	d = find(&f.tl, "designate_master", NULL);
	x3 = find(&f.tl, "xenserver-3 disable", NULL);
	if (d < 0 || x3 < 0 || f.tl.t[x3] < f.tl.t[d] + 0.5)
		dump(&f.tl);
	assert_true(d >= 0 && x3 > d);
	assert_true(f.tl.t[x3] >= f.tl.t[d] + 0.5);
	for (i = 0; i < 4; i++) {
		sim_host_state(f.s, i, &st);
		assert_true(st.live && st.enabled && !st.marked);
	}
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * HA on, every host on battery: HA goes off before the first power-off
 * (hosts self-fence when storage goes away), and on again once every
 * host is back.
 */
static void
test_ha_off_for_a_whole_pool_and_back(void **state)
{
	struct sim_opts	 more = { 0 };
	struct fixture	 f;
	long		 off, on, first_down, last_exit;
	size_t		 i;

	(void)state;
	setup_real(&f, seed3, &more);
	sim_set_ha(f.s, 0, 1);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups3", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 400);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 400);
	event(&f, "ups3", UPS_EV_POWER_RESTORED, 400);
	run(&f);
	off = find(&f.tl, "ha_off", NULL);
	on = find(&f.tl, "ha_on", NULL);
	first_down = find(&f.tl, " shutdown ", NULL);
	last_exit = -1;
	for (i = 0; i < f.tl.n; i++)
		if (strstr(f.tl.line[i], "exit_maintenance"))
			last_exit = (long)i;
	if (off < 0 || on < 0)
		dump(&f.tl);
	assert_true(off >= 0 && first_down > off);
	assert_true(f.tl.t[first_down] >= f.tl.t[off] + 0.5);
	assert_true(on > last_exit && last_exit >= 0);
	assert_int_equal(count(&f.tl, "ha_off", NULL), 1);
	assert_int_equal(count(&f.tl, "ha_on", NULL), 1);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

/*
 * Power back, the host boots: live at once, but its xapi takes a while
 * before host.enable works (HOST_STILL_BOOTING), and a running XenCenter
 * disables it again while it is marked. It still leaves maintenance.
 */
static void
test_way_back_waits_for_xapi(void **state)
{
	struct sim_opts		 more = { .xapi_start_takes = 30,
	    .xencenter = 1 };
	struct fixture		 f;
	struct sim_host_state	 st;
	struct host_status	 hs;
	long			 exit1;

	(void)state;
	setup_real(&f, seed1, &more);
	event(&f, "ups1", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups1", UPS_EV_POWER_RESTORED, 300);
	run(&f);
	exit1 = find(&f.tl, "xenserver-1 exit_maintenance", NULL);
	assert_true(exit1 >= 0);
	assert_true(count(&f.tl, "xenserver-1 exit_maintenance", NULL) > 1);
	sim_host_state(f.s, host(&f, "xenserver-1"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	engine_host_status(sim_engine(f.s), host(&f, "xenserver-1"), &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	teardown_fixture(&f);
}

/*
 * The UPS came back inside its warning period: it never cut the output,
 * so the host upsxen powered off saw no AC loss and its BIOS does not
 * start it. upsxen powers it on once the power has held power_on_after
 * (60 s by default), once, and it comes back into the pool.
 */
static void
test_host_shut_on_live_power_is_powered_on(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	struct host_status	 hs;
	long			 off, on;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 150);
	run(&f);
	off = find(&f.tl, "xenserver-2 shutdown", NULL);
	on = find(&f.tl, "xenserver-2 power_on", "power_held");
	assert_true(off >= 0 && on > off);
	assert_true(f.tl.t[on] >= 150 + POLICY_DEFAULT_POWER_ON_AFTER);
	assert_true(f.tl.t[on] < 150 + POLICY_DEFAULT_POWER_ON_AFTER + 6);
	assert_int_equal(count(&f.tl, "power_on", NULL), 1);
	assert_true(find(&f.tl, "xenserver-2 exit_maintenance", NULL) > on);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_true(st.live && st.enabled && !st.marked);
	engine_host_status(sim_engine(f.s), host(&f, "xenserver-2"), &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	teardown_fixture(&f);
}

/* Power that comes and goes is not power that held: no wake-up yet. */
static void
test_power_on_waits_for_power_to_hold(void **state)
{
	struct fixture	 f;
	long		 on;

	(void)state;
	setup(&f, seed3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 150);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 200);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 205);
	run(&f);
	on = find(&f.tl, "xenserver-2 power_on", NULL);
	assert_true(on >= 0);
	assert_true(f.tl.t[on] >= 205 + POLICY_DEFAULT_POWER_ON_AFTER);
	assert_int_equal(count(&f.tl, "power_on", NULL), 1);
	teardown_fixture(&f);
}

/* A pool3 whose watches and power-ons report facts, as the recipes do. */
struct wake {
	int	 power_ons;
	int	 overdue;
	int	 watches_after;
	double	 on_at;
	int	 boots;		/* the host comes back when woken */
};

static struct wake	 wk;

static enum action_outcome
waking_pool(struct pool3 *ps, const struct action *a, double t)
{
	if (a->host != 1)
		return OUTCOME_OK;
	if (a->op == ACT_POWER_ON) {
		wk.power_ons++;
		wk.on_at = t;
		engine_on_pool_facts(ps->e, 0, &ps->pf, t);
		return OUTCOME_OK;
	}
	if (a->op != ACT_WATCH)
		return OUTCOME_OK;
	if (wk.boots && wk.on_at >= 0 && t >= wk.on_at + 30)
		ps->m[1].live = ps->m[1].enabled = 1;
	engine_on_pool_facts(ps->e, 0, &ps->pf, t);
	if (wk.overdue)
		wk.watches_after++;
	if (a->overdue) {
		wk.overdue++;
		return ps->m[1].live ? OUTCOME_OK : OUTCOME_PERMANENT;
	}
	return ps->m[1].live ? OUTCOME_OK : OUTCOME_BLOCKED;
}

/* xenserver-2 down at 120 on ups2's outage, power back at 150. */
static void
wake_start(struct pool3 *ps, int can_power_on, int boots)
{
	double	 t;
	int	 i;

	memset(&wk, 0, sizeof(wk));
	wk.on_at = -1;
	wk.boots = boots;
	pool3_start(ps, 0, 0, 0);
	for (i = 0; i < 3; i++)
		ps->m[i].can_power_on = i != 1 || can_power_on;
	ps->hook = waking_pool;
	engine_on_ups_event(ps->e, 1, UPS_EV_ON_BATTERY, 0);
	for (t = 0; t < 150; t += 0.5)
		pool3_step(ps, t);
	assert_int_equal(ps->m[1].live, 0);
	engine_on_ups_event(ps->e, 1, UPS_EV_POWER_RESTORED, 150);
}

/*
 * A host the pool cannot wake (power_on_mode ""): no call that xapi
 * would refuse (HOST_POWER_ON_MODE_DISABLED), the host says why it
 * stays off, and it is still watched: booted by hand, it comes back.
 */
static void
test_host_without_power_on_mode_is_reported(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;

	(void)state;
	wake_start(&ps, 0, 0);
	for (t = 150; t < 400; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 0);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_DOWN);
	assert_non_null(hs.error);
	assert_non_null(strstr(hs.error, "no power_on_mode"));
	ps.m[1].live = ps.m[1].enabled = 1;	/* an operator's doing */
	for (; t < 500; t += 0.5)
		pool3_step(&ps, t);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	pool3_end(&ps);
}

/*
 * Woken, the host does not come back (a BMC unplugged, a WoL packet
 * lost): boot_timeout after the power-on, one watch says so as a
 * failure (a log line, the host's error); it is not said again, and the
 * host is still watched.
 */
static void
test_host_not_back_after_power_on_is_reported_once(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;

	(void)state;
	wake_start(&ps, 1, 0);
	for (t = 150; t < 150 + 60 + 900 - 10; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 1);
	assert_int_equal(wk.overdue, 0);
	for (; t < 3000; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 1);
	assert_int_equal(wk.overdue, 1);
	assert_true(wk.watches_after > 10);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_DOWN);
	assert_non_null(hs.error);
	assert_int_equal(hs.last_outcome, OUTCOME_BLOCKED);
	pool3_end(&ps);
}

/*
 * A restart after the power-on neither asks it again nor forgets when
 * it was asked: the host is still reported boot_timeout after it.
 */
static void
test_power_on_survives_a_restart(void **state)
{
	struct pool3	 ps;
	struct engine	*e2;
	json_t		*saved;
	double		 t;
	char		 msg[256];

	(void)state;
	wake_start(&ps, 1, 0);
	for (t = 150; t < 300; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 1);
	saved = engine_export(ps.e, 0);
	e2 = engine_new(ps.p);
	assert_non_null(e2);
	assert_true(engine_import(e2, saved, 0, t, msg, sizeof(msg)) >= 0);
	json_decref(saved);
	engine_on_ups_event(e2, 1, UPS_EV_POWER_RESTORED, t);
	engine_free(ps.e);
	ps.e = e2;
	engine_on_pool_facts(ps.e, 0, &ps.pf, t);
	for (; t < 3000; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 1);
	assert_int_equal(wk.overdue, 1);
	pool3_end(&ps);
}

/* Woken, the host boots: back in the pool, nothing reported. */
static void
test_woken_host_returns(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;

	(void)state;
	wake_start(&ps, 1, 1);
	for (t = 150; t < 2000; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(wk.power_ons, 1);
	assert_int_equal(wk.overdue, 0);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	pool3_end(&ps);
}

/*
 * VMs that could not move were stopped before the power-off: on the way
 * back they start again, once, after the host is back and its power has
 * held, and they run there at the end.
 */
static void
test_stopped_vms_start_again(void **state)
{
	struct fixture		 f;
	struct sim_host_state	 st;
	long			 stop, exit2, start;

	(void)state;
	setup(&f, seed3);
	sim_set_pinned(f.s, host(&f, "xenserver-2"), 3);
	event(&f, "ups2", UPS_EV_ON_BATTERY, 0);
	event(&f, "ups2", UPS_EV_POWER_RESTORED, 150);
	run(&f);
	stop = find(&f.tl, "xenserver-2 stop_vms", NULL);
	exit2 = find(&f.tl, "xenserver-2 exit_maintenance", NULL);
	start = find(&f.tl, "xenserver-2 start_vms", "power_held");
	assert_true(stop >= 0 && exit2 > stop && start > exit2);
	assert_true(f.tl.t[start] >= 150 + POLICY_DEFAULT_POWER_ON_AFTER);
	assert_int_equal(count(&f.tl, "start_vms", NULL), 1);
	sim_host_state(f.s, host(&f, "xenserver-2"), &st);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.vms, 3);
	assert_int_equal(sim_crashed_total(f.s), 0);
	teardown_fixture(&f);
}

static int	 starts_blocked, start_tries;

/*
 * xenserver-2's VMs cannot move, so they are stopped; back, the pool's
 * storage is not there yet: the first starts find no host.
 */
static enum action_outcome
storage_late(struct pool3 *ps, const struct action *a, double t)
{
	(void)t;
	if (a->host != 1)
		return OUTCOME_OK;
	switch (a->op) {
	case ACT_EVACUATE:
		return ps->m[1].nvms > 0 ? OUTCOME_BLOCKED : OUTCOME_OK;
	case ACT_STOP_VMS:
		ps->m[1].nvms = 0;
		return OUTCOME_OK;
	case ACT_START_VMS:
		start_tries++;
		return starts_blocked-- > 0 ? OUTCOME_BLOCKED : OUTCOME_OK;
	default:
		return OUTCOME_OK;
	}
}

/*
 * NO_HOSTS_AVAILABLE (storage not attached after the boot) is not a
 * failure: the start is asked again every 10 s, the host says why it
 * waits, and the start happens once storage is there.
 */
static void
test_start_waits_for_storage(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;
	int			 seen_wait = 0;

	(void)state;
	pool3_start(&ps, 0, 2, 0);
	ps.hook = storage_late;
	starts_blocked = 3;
	start_tries = 0;
	engine_on_ups_event(ps.e, 1, UPS_EV_ON_BATTERY, 0);
	for (t = 0; t < 150; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(ps.m[1].live, 0);
	engine_on_ups_event(ps.e, 1, UPS_EV_POWER_RESTORED, 150);
	ps.m[1].live = ps.m[1].enabled = 1;	/* its BIOS started it */
	for (; t < 400; t += 0.5) {
		pool3_step(&ps, t);
		engine_host_status(ps.e, 1, &hs);
		if (start_tries == 2 && hs.error &&
		    strstr(hs.error, "not started yet"))
			seen_wait = 1;
	}
	assert_true(seen_wait);
	assert_int_equal(start_tries, 4);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	pool3_end(&ps);
}

/* A start xapi refuses for good: given up once, not asked in a loop. */
static enum action_outcome
start_refused(struct pool3 *ps, const struct action *a, double t)
{
	if (a->host == 1 && a->op == ACT_START_VMS) {
		start_tries++;
		return OUTCOME_PERMANENT;
	}
	return storage_late(ps, a, t);
}

static void
test_start_refused_is_given_up(void **state)
{
	struct pool3		 ps;
	struct host_status	 hs;
	double			 t;

	(void)state;
	pool3_start(&ps, 0, 2, 0);
	ps.hook = start_refused;
	start_tries = 0;
	engine_on_ups_event(ps.e, 1, UPS_EV_ON_BATTERY, 0);
	for (t = 0; t < 150; t += 0.5)
		pool3_step(&ps, t);
	engine_on_ups_event(ps.e, 1, UPS_EV_POWER_RESTORED, 150);
	ps.m[1].live = ps.m[1].enabled = 1;
	for (; t < 600; t += 0.5)
		pool3_step(&ps, t);
	assert_int_equal(start_tries, 1);
	engine_host_status(ps.e, 1, &hs);
	assert_int_equal(hs.stage, STAGE_NORMAL);
	assert_int_equal(hs.last_outcome, OUTCOME_PERMANENT);
	pool3_end(&ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed1_outage_and_return),
		cmocka_unit_test(test_restore_after_power_off),
		cmocka_unit_test(test_seed2_restored_during_evacuation),
		cmocka_unit_test(test_seed3_two_hosts_one_after_another),
		cmocka_unit_test(test_near_simultaneous_failures_settle),
		cmocka_unit_test(test_restored_before_timers_does_nothing),
		cmocka_unit_test(test_repeated_on_battery_keeps_deadlines),
		cmocka_unit_test(test_redundant_feeds),
		cmocka_unit_test(test_redundant_one_feed_is_nothing),
		cmocka_unit_test(test_low_battery_goes_to_final_stage),
		cmocka_unit_test(test_low_battery_on_mains_is_not_an_outage),
		cmocka_unit_test(test_battery_ok_on_mains_clears_low),
		cmocka_unit_test(test_short_return_does_not_restart_timers),
		cmocka_unit_test(test_traps_alone_restart_timers),
		cmocka_unit_test(test_card_time_on_battery),
		cmocka_unit_test(test_shutdown_imminent_maintenance_only_host),
		cmocka_unit_test(test_master_hands_over_first),
		cmocka_unit_test(test_master_not_handed_to_member_about_to_fail),
		cmocka_unit_test(test_evacuation_waits_for_one_running),
		cmocka_unit_test(test_master_change_seen_before_power_off),
		cmocka_unit_test(test_stale_power_off_looks_again),
		cmocka_unit_test(test_handover_without_effect_is_not_a_loop),
		cmocka_unit_test(test_reenabled_host_is_taken_out_again),
		cmocka_unit_test(
		    test_master_with_nowhere_to_go_hands_over_when_it_can),
		cmocka_unit_test(test_master_never_handed_over_under_ha),
		cmocka_unit_test(test_whole_pool_down_master_last),
		cmocka_unit_test(test_blocked_evacuation_stops_blockers),
		cmocka_unit_test(test_stuck_vm_shutdown_turns_hard),
		cmocka_unit_test(test_blockers_stop_widens_at_stop_by),
		cmocka_unit_test(test_transient_failure_retried_with_backoff),
		cmocka_unit_test(test_permanent_failure_fails_one_host),
		cmocka_unit_test(test_ignored_events),
		cmocka_unit_test(test_pools_are_independent),
		cmocka_unit_test(test_exact_deadline_by_hand),
		cmocka_unit_test(test_status_reports_stage_and_deadline),
		cmocka_unit_test(test_adopt_keeps_outage_across_reload),
		cmocka_unit_test(test_restart_mid_evacuation),
		cmocka_unit_test(
		    test_power_back_during_evacuation_from_before_restart),
		cmocka_unit_test(test_restart_redoes_what_did_not_happen),
		cmocka_unit_test(test_import_rejects_bad_values),
		cmocka_unit_test(test_import_forgets_stale_outage),
		cmocka_unit_test(test_import_clamps_future_times),
		cmocka_unit_test(test_master_does_not_wait_for_a_dead_member),
		cmocka_unit_test(test_no_vm_sent_to_a_dead_member),
		cmocka_unit_test(test_handover_then_xapi_restarts),
		cmocka_unit_test(test_ha_off_for_a_whole_pool_and_back),
		cmocka_unit_test(test_way_back_waits_for_xapi),
		cmocka_unit_test(test_host_shut_on_live_power_is_powered_on),
		cmocka_unit_test(test_power_on_waits_for_power_to_hold),
		cmocka_unit_test(test_host_without_power_on_mode_is_reported),
		cmocka_unit_test(
		    test_host_not_back_after_power_on_is_reported_once),
		cmocka_unit_test(test_power_on_survives_a_restart),
		cmocka_unit_test(test_woken_host_returns),
		cmocka_unit_test(test_stopped_vms_start_again),
		cmocka_unit_test(test_start_waits_for_storage),
		cmocka_unit_test(test_start_refused_is_given_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The built-in trap table, row by row, in each form a card sends it: the
 * v2 notification OID, and the v1 enterprise.0.specific of RFC 2576.
 * The rows are written out again here from the MIBs (DESIGN.md "The
 * cards"), not read from classify.c, so that a row lost or mistyped
 * there fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"
#include "policy.h"

struct want {
	const char	*oid;
	enum ups_event	 ev;
};

#define XUPS(tree) \
	{ tree ".3", UPS_EV_ON_BATTERY }, \
	{ tree ".5", UPS_EV_POWER_RESTORED }, \
	{ tree ".17", UPS_EV_POWER_RESTORED }, \
	{ tree ".4", UPS_EV_LOW_BATTERY }, \
	{ tree ".6", UPS_EV_BATTERY_OK }, \
	{ tree ".16", UPS_EV_SHUTDOWN_IMMINENT }, \
	{ tree ".1", UPS_EV_SHUTDOWN_IMMINENT }, \
	{ tree ".27", UPS_EV_SHUTDOWN_IMMINENT }, \
	{ tree ".26", UPS_EV_COMMS_LOST }

static const struct want rows[] = {
	{ "1.3.6.1.2.1.33.2.1", UPS_EV_ON_BATTERY },
	/* APC PowerNet-MIB */
	{ "1.3.6.1.4.1.318.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.318.0.777", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.318.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.318.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.318.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.318.0.13", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.318.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.318.0.8", UPS_EV_COMMS_RESTORED },
	/* Megatec XPPC-MIB (PPC, Winpower) */
	{ "1.3.6.1.4.1.935.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.935.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.935.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.935.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.935.0.67", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.13", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.52", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.57", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.62", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.935.0.8", UPS_EV_COMMS_RESTORED },
	/* Eaton XUPS-MIB, in the three trees its cards send under */
	XUPS("1.3.6.1.4.1.534.1.11.4.1.0"),
	XUPS("1.3.6.1.4.1.534.1.11.4.2.0"),
	XUPS("1.3.6.1.4.1.534.1.0.0.0"),
	/* MG-SNMP-UPS-MIB */
	{ "1.3.6.1.4.1.705.1.11.0.11", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.705.1.11.0.12", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.705.1.11.0.18", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.705.1.11.0.5", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.705.1.11.0.6", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.705.1.11.0.29", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.705.1.11.0.31", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.705.1.11.0.37", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.705.1.11.0.38", UPS_EV_COMMS_RESTORED },
	/* CPS-MIB */
	{ "1.3.6.1.4.1.3808.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.3808.0.58", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.3808.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.3808.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.3808.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.3808.0.13", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.3808.0.29", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.3808.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.3808.0.8", UPS_EV_COMMS_RESTORED },
};

#define NWANT	(sizeof(rows) / sizeof(rows[0]))

/* RFC 1628 upsWellKnownAlarms, added and removed. */
struct alarm {
	unsigned long	 id;
	int		 added_ok, removed_ok;
	enum ups_event	 added, removed;
};

static const struct alarm alarms[] = {
	{ 2, 1, 1, UPS_EV_ON_BATTERY, UPS_EV_POWER_RESTORED },
	{ 3, 1, 1, UPS_EV_LOW_BATTERY, UPS_EV_BATTERY_OK },
	{ 20, 1, 1, UPS_EV_COMMS_LOST, UPS_EV_COMMS_RESTORED },
	/* The load is about to go; their clearing says nothing. */
	{ 14, 1, 0, UPS_EV_SHUTDOWN_IMMINENT, 0 },
	{ 15, 1, 0, UPS_EV_SHUTDOWN_IMMINENT, 0 },
	{ 21, 1, 0, UPS_EV_SHUTDOWN_IMMINENT, 0 },
	{ 22, 1, 0, UPS_EV_SHUTDOWN_IMMINENT, 0 },
	{ 23, 1, 0, UPS_EV_SHUTDOWN_IMMINENT, 0 },
	/* Not about power: a fan, a fuse. */
	{ 6, 0, 0, 0, 0 },
};

static size_t
parse(const char *text, unsigned long *o)
{
	unsigned long	*p;
	size_t		 n;

	assert_int_equal(policy_oid_parse(text, &p, &n), 0);
	memcpy(o, p, n * sizeof(*o));
	free(p);
	return n;
}

/* RFC 2576: a v1 trap's OID is enterprise.0.specific. */
static size_t
v1_form(const unsigned long *o, size_t n, unsigned long *out)
{
	memcpy(out, o, (n - 1) * sizeof(*o));
	if (n >= 2 && o[n - 2] == 0) {
		out[n - 1] = o[n - 1];
		return n;
	}
	out[n - 1] = 0;
	out[n] = o[n - 1];
	return n + 1;
}

static void
test_every_row_in_both_forms(void **state)
{
	unsigned long	 o[POLICY_MAX_OID_LEN], v1[POLICY_MAX_OID_LEN + 1];
	enum ups_event	 ev;
	size_t		 i, n, n1;

	(void)state;
	for (i = 0; i < NWANT; i++) {
		n = parse(rows[i].oid, o);
		ev = UPS_EV_COUNT;
		if (classify_trap(NULL, o, n, NULL, 0, &ev) != 0 ||
		    ev != rows[i].ev)
			print_message("v2 %s: got %d\n", rows[i].oid, (int)ev);
		assert_int_equal(classify_trap(NULL, o, n, NULL, 0, &ev), 0);
		assert_int_equal(ev, rows[i].ev);
		n1 = v1_form(o, n, v1);
		ev = UPS_EV_COUNT;
		assert_int_equal(classify_trap(NULL, v1, n1, NULL, 0, &ev), 0);
		assert_int_equal(ev, rows[i].ev);
	}
}

static void
test_rfc1628_alarms(void **state)
{
	unsigned long	 added[16], removed[16], v1[17], d[16];
	enum ups_event	 ev;
	size_t		 i, na, nr, nd, n1;

	(void)state;
	na = parse("1.3.6.1.2.1.33.2.3", added);
	nr = parse("1.3.6.1.2.1.33.2.4", removed);
	for (i = 0; i < sizeof(alarms) / sizeof(alarms[0]); i++) {
		nd = parse("1.3.6.1.2.1.33.1.6.3.0", d);
		d[nd - 1] = alarms[i].id;
		assert_int_equal(classify_trap(NULL, added, na, d, nd, &ev),
		    alarms[i].added_ok ? 0 : -1);
		if (alarms[i].added_ok)
			assert_int_equal(ev, alarms[i].added);
		n1 = v1_form(added, na, v1);
		assert_int_equal(classify_trap(NULL, v1, n1, d, nd, &ev),
		    alarms[i].added_ok ? 0 : -1);
		assert_int_equal(classify_trap(NULL, removed, nr, d, nd, &ev),
		    alarms[i].removed_ok ? 0 : -1);
		if (alarms[i].removed_ok)
			assert_int_equal(ev, alarms[i].removed);
	}
	/* Without its description an alarm says nothing. */
	assert_int_equal(classify_trap(NULL, added, na, NULL, 0, &ev), -1);
}

static void
test_unknown_oids(void **state)
{
	unsigned long	 o[POLICY_MAX_OID_LEN];
	enum ups_event	 ev;
	size_t		 n;

	(void)state;
	n = parse("1.3.6.1.4.1.935.0.99", o);
	assert_int_equal(classify_trap(NULL, o, n, NULL, 0, &ev), -1);
	n = parse("1.3.6.1.4.1.318.0.5.1", o);
	assert_int_equal(classify_trap(NULL, o, n, NULL, 0, &ev), -1);
	assert_int_equal(classify_trap(NULL, NULL, 0, NULL, 0, &ev), -1);
}

static int
setup(void **state)
{
	(void)state;
	return classify_init();
}

static int
teardown(void **state)
{
	(void)state;
	classify_free();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_in_both_forms),
		cmocka_unit_test(test_rfc1628_alarms),
		cmocka_unit_test(test_unknown_oids),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

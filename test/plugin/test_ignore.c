/*
 * The ignored-trap limiter (plugin/ignore.c) on a virtual clock: a storm
 * of forged sources costs a fixed number of lines and one summary with
 * its count, priorities and reasons do not share a budget, and nothing
 * is lost from the counts.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ignore.h"

struct seen {
	enum ignore_reason	 why[IGN_COUNT];
	unsigned long		 count[IGN_COUNT];
	double			 secs[IGN_COUNT];
	char			 last[IGN_COUNT][IGNORE_SRC_LEN];
	int			 n;
};

static void
record(enum ignore_reason why, unsigned long count, double secs,
    const char *last, void *arg)
{
	struct seen	*s = arg;

	assert_true(s->n < IGN_COUNT);
	s->why[s->n] = why;
	s->count[s->n] = count;
	s->secs[s->n] = secs;
	snprintf(s->last[s->n], sizeof(s->last[0]), "%s", last);
	s->n++;
}

static const char *
addr(unsigned int i)
{
	static char	 buf[IGNORE_SRC_LEN];

	snprintf(buf, sizeof(buf), "127.1.%u.%u", i / 250, i % 250 + 1);
	return buf;
}

static void
test_storm_costs_a_burst_and_a_summary(void **state)
{
	struct ignore	 ig;
	struct seen	 s = { 0 };
	unsigned int	 i, logged = 0;

	(void)state;
	ignore_init(&ig);
	assert_true(isinf(ignore_due(&ig)));
	for (i = 0; i < 20000; i++)
		logged += ignore_allow(&ig, IGN_NOT_UPS, addr(i), 5.0 +
		    i * 0.001);
	assert_int_equal(logged, IGNORE_BURST);
	/* The window is the first line's. */
	assert_true(ignore_due(&ig) == 5.0 + IGNORE_WINDOW);
	assert_true(ignore_flush(&ig, 64.9, 0, record, &s) ==
	    5.0 + IGNORE_WINDOW);
	assert_int_equal(s.n, 0);
	assert_true(isinf(ignore_flush(&ig, 65.0, 0, record, &s)));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.why[0], IGN_NOT_UPS);
	assert_int_equal(s.count[0], 20000 - IGNORE_BURST);
	assert_true(s.secs[0] == IGNORE_WINDOW);
	assert_string_equal(s.last[0], addr(19999));
	/* Reported once; the next window has its budget back. */
	assert_true(isinf(ignore_flush(&ig, 500.0, 0, record, &s)));
	assert_int_equal(s.n, 1);
	assert_true(ignore_allow(&ig, IGN_NOT_UPS, addr(0), 500.0));
}

/* The case: an INFO line muted the same source's warning. */
static void
test_reasons_apart(void **state)
{
	struct ignore	 ig;

	(void)state;
	ignore_init(&ig);
	assert_true(ignore_allow(&ig, IGN_NOT_POWER, "127.0.0.12", 0.0));
	assert_true(ignore_allow(&ig, IGN_COMMUNITY, "127.0.0.12", 0.1));
	assert_true(ignore_allow(&ig, IGN_NOT_UPS, "127.0.0.12", 0.2));
	/* But each (source, reason) once per window. */
	assert_false(ignore_allow(&ig, IGN_COMMUNITY, "127.0.0.12", 0.3));
	assert_false(ignore_allow(&ig, IGN_NOT_POWER, "127.0.0.12", 0.4));
	assert_true(ignore_allow(&ig, IGN_COMMUNITY, "127.0.0.13", 0.5));
}

/* INFO traps cannot spend the warnings' budget, nor the reverse. */
static void
test_priorities_apart(void **state)
{
	struct ignore	 ig;
	struct seen	 s = { 0 };
	unsigned int	 i, logged = 0;

	(void)state;
	assert_int_not_equal(ignore_prio(IGN_NOT_POWER),
	    ignore_prio(IGN_COMMUNITY));
	ignore_init(&ig);
	for (i = 0; i < 1000; i++)
		logged += ignore_allow(&ig, IGN_NOT_POWER, addr(i), 0.0);
	assert_int_equal(logged, IGNORE_BURST);
	assert_true(ignore_allow(&ig, IGN_COMMUNITY, addr(0), 1.0));
	/* Reasons of one priority share its budget. */
	assert_false(ignore_allow(&ig, IGN_NO_OID, addr(5000), 1.0));
	for (i = 0; i < 1000; i++)
		ignore_allow(&ig, IGN_NOT_UPS, addr(i), 10.0);
	/* Each priority's window ends on its own. */
	assert_true(ignore_flush(&ig, IGNORE_WINDOW, 0, record, &s) ==
	    1.0 + IGNORE_WINDOW);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.why[0], IGN_NOT_POWER);
	assert_int_equal(s.count[0], 1000 - IGNORE_BURST);
	assert_int_equal(s.why[1], IGN_NO_OID);
	assert_int_equal(s.count[1], 1);
	assert_true(isinf(ignore_flush(&ig, 1.0 + IGNORE_WINDOW, 0, record,
	    &s)));
	assert_int_equal(s.n, 3);
	assert_int_equal(s.why[2], IGN_NOT_UPS);
	assert_int_equal(s.count[2], 1000 - (IGNORE_BURST - 1));
}

static void
test_quiet_window_lapses(void **state)
{
	struct ignore	 ig;
	struct seen	 s = { 0 };

	(void)state;
	ignore_init(&ig);
	assert_true(ignore_allow(&ig, IGN_COMMUNITY, "::1", 0.0));
	/* Nothing held: no summary, no timer. */
	assert_true(isinf(ignore_due(&ig)));
	assert_true(isinf(ignore_flush(&ig, 100.0, 0, record, &s)));
	assert_int_equal(s.n, 0);
	assert_false(ignore_allow(&ig, IGN_COMMUNITY, "::1",
	    IGNORE_WINDOW - 0.1));
	assert_true(ignore_flush(&ig, IGNORE_WINDOW, 0, record, &s) >=
	    INFINITY);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.count[0], 1);
	assert_true(ignore_allow(&ig, IGN_COMMUNITY, "::1", IGNORE_WINDOW));
}

/* A timer that comes late: the held count is told before new lines. */
static void
test_held_reported_before_new_lines(void **state)
{
	struct ignore	 ig;
	struct seen	 s = { 0 };

	(void)state;
	ignore_init(&ig);
	assert_true(ignore_allow(&ig, IGN_NOT_UPS, "127.0.0.2", 0.0));
	assert_false(ignore_allow(&ig, IGN_NOT_UPS, "127.0.0.2", 1.0));
	assert_false(ignore_allow(&ig, IGN_NOT_UPS, "127.0.0.3",
	    IGNORE_WINDOW + 5));
	ignore_flush(&ig, IGNORE_WINDOW + 6, 0, record, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.count[0], 2);
	assert_string_equal(s.last[0], "127.0.0.3");
	assert_true(s.secs[0] == IGNORE_WINDOW + 6);
	assert_true(ignore_allow(&ig, IGN_NOT_UPS, "127.0.0.3",
	    IGNORE_WINDOW + 7));
}

/* At shutdown, every count is told, whatever its window. */
static void
test_flush_all(void **state)
{
	struct ignore	 ig;
	struct seen	 s = { 0 };

	(void)state;
	ignore_init(&ig);
	ignore_allow(&ig, IGN_V3_USER, "127.0.0.2", 10.0);
	ignore_allow(&ig, IGN_V3_USER, "127.0.0.2", 11.0);
	ignore_allow(&ig, IGN_NO_OID, "127.0.0.2", 12.0);
	ignore_allow(&ig, IGN_NO_OID, "127.0.0.2", 13.0);
	assert_true(isinf(ignore_flush(&ig, 20.0, 1, record, &s)));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.why[0], IGN_V3_USER);
	assert_true(s.secs[0] == 10.0);
	assert_int_equal(s.why[1], IGN_NO_OID);
	assert_true(s.secs[1] == 8.0);
}

static void
test_reason_texts(void **state)
{
	int	 r;

	(void)state;
	for (r = 0; r < IGN_COUNT; r++)
		assert_true(strlen(ignore_why(r)) > 0);
	assert_string_equal(ignore_why(IGN_NOT_POWER), "not a power event");
	assert_string_equal(ignore_why(IGN_COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm_costs_a_burst_and_a_summary),
		cmocka_unit_test(test_reasons_apart),
		cmocka_unit_test(test_priorities_apart),
		cmocka_unit_test(test_quiet_window_lapses),
		cmocka_unit_test(test_held_reported_before_new_lines),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_reason_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

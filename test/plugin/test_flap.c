/*
 * The event-line limiter (plugin/flap.c) on a virtual clock: a burst is
 * logged, the rest is counted and reported once per window, nothing is
 * lost, and UPSes do not share a budget.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flap.h"

struct seen {
	size_t		 ups[8];
	unsigned int	 held[8];
	int		 n;
};

static void
record(size_t ups, unsigned int held, void *arg)
{
	struct seen	*s = arg;

	s->ups[s->n] = ups;
	s->held[s->n++] = held;
}

static void
test_burst_then_held(void **state)
{
	struct flap	*f = flap_new(2);
	struct seen	 s = { 0 };
	int		 i, logged = 0;

	(void)state;
	for (i = 0; i < 50; i++)
		logged += flap_allow(f, 0, i * 0.1);
	assert_int_equal(logged, FLAP_BURST);
	/* The other UPS has its own budget. */
	assert_true(flap_allow(f, 1, 4.9));
	/* Nothing is reported before the window ends ... */
	assert_true(flap_flush(f, 9.9, record, &s) == FLAP_WINDOW);
	assert_int_equal(s.n, 0);
	/* ... then once, with every line held back. */
	assert_true(isinf(flap_flush(f, 10.0, record, &s)));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ups[0], 0);
	assert_int_equal(s.held[0], 50 - FLAP_BURST);
	assert_true(isinf(flap_flush(f, 30.0, record, &s)));
	assert_int_equal(s.n, 1);
	flap_free(f);
}

static void
test_held_lines_come_before_new_ones(void **state)
{
	struct flap	*f = flap_new(1);
	struct seen	 s = { 0 };
	int		 i;

	(void)state;
	for (i = 0; i <= FLAP_BURST; i++)
		flap_allow(f, 0, 0.0);
	/* The window is over, but the held line is not reported yet. */
	assert_false(flap_allow(f, 0, 11.0));
	flap_flush(f, 11.0, record, &s);
	assert_int_equal(s.held[0], 2);
	/* A fresh window logs again. */
	assert_true(flap_allow(f, 0, 11.5));
	flap_free(f);
}

static void
test_quiet_card_always_logged(void **state)
{
	struct flap	*f = flap_new(1);
	int		 i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_true(flap_allow(f, 0, i * 2.0));
	/* Out of range or no limiter: logged, never dropped. */
	assert_true(flap_allow(f, 5, 0));
	assert_true(flap_allow(NULL, 0, 0));
	flap_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_held),
		cmocka_unit_test(test_held_lines_come_before_new_ones),
		cmocka_unit_test(test_quiet_card_always_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

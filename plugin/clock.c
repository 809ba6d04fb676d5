/*
 * Monotonic and wall-clock time for the plugin (clock.h).
 */
#include <time.h>

#include "clock.h"

static double	 t0;

static double
monotonic(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
clock_start(void)
{
	t0 = monotonic();
}

double
clock_now(void)
{
	return monotonic() - t0;
}

double
clock_wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
clock_wall_offset(void)
{
	return clock_wall() - clock_now();
}

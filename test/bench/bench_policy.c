/*
 * bench_policy: time policy_load + validation of a (large) policy and the
 * memory it takes. Prints numbers; asserts nothing.
 *
 *   bench_policy POLICY [RUNS]
 */
#include <sys/resource.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy.h"

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long
maxrss_kib(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct report	 rep;
	struct policy	*p = NULL;
	double		*ms, t0;
	long		 rss0, rss1;
	size_t		 heap0, heap1;
	int		 runs, i;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_policy POLICY [RUNS]\n");
		return 2;
	}
	runs = argc > 2 ? atoi(argv[2]) : 20;
	if (runs < 1 || (ms = calloc((size_t)runs, sizeof(*ms))) == NULL)
		return 2;
	rss0 = maxrss_kib();
	heap0 = mallinfo2().uordblks;
	for (i = 0; i < runs; i++) {
		policy_free(p);
		report_init(&rep);
		t0 = now_ms();
		p = policy_load(argv[1], &rep);
		ms[i] = now_ms() - t0;
		if (p == NULL) {
			fprintf(stderr, "bench_policy: %s: %s\n", argv[1],
			    report_first(&rep, REPORT_ERROR));
			return 1;
		}
		report_free(&rep);
	}
	heap1 = mallinfo2().uordblks;
	rss1 = maxrss_kib();
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("policy load+validate: %zu UPSes, %zu pools, %zu hosts\n",
	    p->nups, p->npools, p->nhosts);
	printf("  time     min %.2f ms  median %.2f ms  max %.2f ms  "
	    "(%d runs; goal < 50 ms)\n", ms[0], ms[runs / 2], ms[runs - 1],
	    runs);
	printf("  memory   peak RSS growth %.1f MiB (goal < 20 MiB), "
	    "policy kept in memory %.2f MiB\n", (rss1 - rss0) / 1024.0,
	    (double)(heap1 - heap0) / (1024.0 * 1024.0));
	policy_free(p);
	free(ms);
	return 0;
}

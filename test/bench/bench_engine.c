/*
 * bench_engine: every UPS of a (large) policy fails at once; the real
 * engine takes every host through maintenance and shutdown against the
 * simulated pool, whose actions complete instantly. Prints the CPU time
 * of the whole outage (events, all actions, all results), then the cost
 * of one durable-state save with every UPS on battery (what the plugin's
 * main thread pays per save). Asserts nothing.
 *
 *   bench_engine POLICY [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "engine.h"
#include "policy.h"
#include "sim.h"

struct counts {
	unsigned long	 actions;
	unsigned long	 results;
	unsigned long	 shutdowns;
};

static void
count_line(const struct sim_line *l, void *arg)
{
	struct counts	*c = arg;

	if (l->kind == SIM_ACTION) {
		c->actions++;
		if (l->action->op == ACT_SHUTDOWN)
			c->shutdowns++;
	} else if (l->kind == SIM_RESULT)
		c->results++;
}

static double
cpu_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
run_once(const struct policy *p, struct counts *c, double *engine_ms)
{
	struct sim_opts	 o = { 0 };
	struct sim	*s;
	double		 t0, t1;
	size_t		 u;

	o.vms_per_host = 4;
	if ((s = sim_new(p, &o)) == NULL)
		return -1;
	for (u = 0; u < p->nups; u++)
		sim_add_event(s, 0, u, UPS_EV_ON_BATTERY);
	t0 = cpu_ms();
	if (sim_run(s, 86400, count_line, c) == -1)
		fprintf(stderr, "bench_engine: the simulation did not settle\n");
	t1 = cpu_ms();
	*engine_ms = t1 - t0;
	if (sim_crashed_total(s) != 0)
		fprintf(stderr, "bench_engine: %d VMs crashed\n",
		    sim_crashed_total(s));
	sim_free(s);
	return t1 - t0;
}

/* engine_export + json_dumps, as the plugin's save does; best of runs. */
static double
export_ms(const struct policy *p, int runs, size_t *bytes)
{
	struct engine	*e;
	json_t		*j;
	char		*text;
	double		 t0, ms, best = -1;
	size_t		 u;
	int		 i;

	if ((e = engine_new(p)) == NULL)
		return -1;
	for (u = 0; u < p->nups; u++)
		engine_on_ups_event(e, u, UPS_EV_ON_BATTERY, 1.0);
	for (i = 0; i < runs; i++) {
		t0 = cpu_ms();
		j = engine_export(e, 1.7e9);
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		ms = cpu_ms() - t0;
		*bytes = text ? strlen(text) : 0;
		free(text);
		if (best < 0 || ms < best)
			best = ms;
	}
	engine_free(e);
	return best;
}

int
main(int argc, char **argv)
{
	struct report	 rep;
	struct policy	*p;
	struct counts	 c;
	double		 best = -1, ms, eng;
	size_t		 bytes = 0;
	int		 runs, i;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_engine POLICY [RUNS]\n");
		return 2;
	}
	runs = argc > 2 ? atoi(argv[2]) : 5;
	report_init(&rep);
	if ((p = policy_load(argv[1], &rep)) == NULL) {
		fprintf(stderr, "bench_engine: %s\n",
		    report_first(&rep, REPORT_ERROR));
		return 1;
	}
	report_free(&rep);
	for (i = 0; i < runs; i++) {
		c = (struct counts){ 0 };
		ms = run_once(p, &c, &eng);
		if (best < 0 || ms < best)
			best = ms;
	}
	printf("engine whole-outage run: %zu hosts in %zu pools, every UPS "
	    "fails at once\n", p->nhosts, p->npools);
	printf("  %lu actions, %lu results, %lu hosts shut down\n",
	    c.actions, c.results, c.shutdowns);
	printf("  CPU time best of %d: %.1f ms, engine and simulated pool "
	    "together (goal < 100 ms)\n", runs, best);
	ms = export_ms(p, runs, &bytes);
	printf("  state save, every UPS on battery: %.2f ms CPU (export + "
	    "encode, best of %d), %zu bytes\n", ms, runs, bytes);
	policy_free(p);
	return 0;
}

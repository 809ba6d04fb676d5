/*
 * Fuzz target: restoring the saved state (engine_import) from arbitrary
 * JSON, with a fixed policy: two pools, a host fed by two UPSes. What it
 * restores is then run as the plugin runs it after a start: actions are
 * taken at every deadline, with no answer coming back. It must never
 * crash, never have a deadline that stays due once its actions are taken
 * (snmptrapd's thread would spin on it, issue 19.2), and what it then
 * saves must restore again.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "engine.h"
#include "policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_policy[] = "{\"ups\":{"
    "\"ups1\":{\"address\":\"10.0.0.11\",\"warning_period\":180},"
    "\"ups2\":{\"address\":\"10.0.0.12\",\"warning_period\":180},"
    "\"ups3\":{\"address\":\"10.0.0.13\",\"warning_period\":120}},"
    "\"pools\":{"
    "\"pool1\":{\"url\":\"https://10.0.0.21\",\"username\":\"root\","
    "\"password_file\":\"/dev/null\",\"hosts\":{"
    "\"xenserver-1\":{\"powered_by\":[\"ups1\"],"
    "\"maintenance_after\":60,\"shutdown_after\":120},"
    "\"xenserver-2\":{\"powered_by\":[\"ups1\",\"ups2\"],"
    "\"maintenance_after\":60,\"shutdown_after\":120},"
    "\"xenserver-3\":{\"powered_by\":[\"ups2\"],"
    "\"maintenance_after\":0,\"shutdown_after\":20}}},"
    "\"pool2\":{\"url\":\"https://10.0.0.31\",\"username\":\"root\","
    "\"password_file\":\"/dev/null\",\"hosts\":{"
    "\"xenserver-4\":{\"powered_by\":[\"ups3\"],"
    "\"shutdown_after\":10}}}}}";

/* The plugin's clocks: engine (monotonic) time, and wall = that + OFF. */
#define NOW	10000.0
#define OFF	1700000000.0
#define BATCH	16
#define STEPS	64

static struct policy	*policy;

/* The pump at time t: take until a batch comes back short. */
static void
pump(struct engine *e, double t)
{
	struct action	 acts[BATCH];
	size_t		 n, i, rounds = 0;

	do {
		n = engine_take_actions(e, t, acts, BATCH);
		for (i = 0; i < n; i++)
			if (action_op_name(acts[i].op) == NULL)
				__builtin_trap();
		/* A few hosts cannot need thousands of actions at once. */
		if (++rounds > 256)
			__builtin_trap();
	} while (n == BATCH);
}

/* Returns the time it got to. */
static double
run(struct engine *e)
{
	struct ups_status	 us;
	struct host_status	 hs;
	double			 t = NOW, d;
	size_t			 i, step;

	engine_evaluate(e, NOW);
	for (i = 0; i < policy->nups; i++)
		engine_ups_status(e, i, &us);
	for (i = 0; i < policy->nhosts; i++) {
		engine_host_status(e, i, &hs);
		if (host_stage_name(hs.stage) == NULL)
			__builtin_trap();
	}
	for (step = 0; step < STEPS; step++) {
		pump(e, t);
		d = engine_next_deadline(e);
		if (isnan(d))
			__builtin_trap();
		/* Still due once taken: the pump's alarm would fire for ever. */
		if (d <= t)
			__builtin_trap();
		if (isinf(d))
			break;
		t = d;
	}
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct report	 rep;
	struct engine	*e = NULL, *e2 = NULL;
	json_error_t	 jerr;
	json_t		*j, *saved = NULL;
	char		 msg[512];
	double		 t;

	if (policy == NULL) {
		report_init(&rep);
		policy = policy_parse(fuzz_policy, strlen(fuzz_policy),
		    "fuzz", &rep);
		if (policy == NULL) {
			fprintf(stderr, "fuzz_state: policy: %s\n",
			    report_first(&rep, REPORT_ERROR));
			__builtin_trap();
		}
		report_free(&rep);
	}
	if ((j = json_loadb((const char *)data, len, 0, &jerr)) == NULL)
		return 0;
	if ((e = engine_new(policy)) == NULL)
		goto done;
	msg[0] = '\0';
	if (engine_import(e, j, OFF, NOW, msg, sizeof(msg)) < 0) {
		if (msg[0] == '\0')
			__builtin_trap();	/* a refusal says why */
		goto done;
	}
	t = run(e);
	/* What upsxen writes, it reads back, as a restart then would. */
	if ((saved = engine_export(e, OFF)) == NULL)
		goto done;
	json_object_set_new(saved, "saved", json_real(OFF + t));
	if ((e2 = engine_new(policy)) == NULL)
		goto done;
	if (engine_import(e2, saved, OFF, t, msg, sizeof(msg)) < 0)
		__builtin_trap();
done:
	engine_free(e2);
	engine_free(e);
	json_decref(saved);
	json_decref(j);
	return 0;
}

/*
 * The engine's durable state as JSON, keyed by names so that it survives
 * a changed policy. Times are written on the caller's wall clock (the
 * engine itself runs on a monotonic one): the caller passes the offset.
 *
 * What a restart needs is what cannot be asked of the pool again: when
 * each UPS went on battery (a restart must never give the battery time
 * it does not have), and what was done to each host in this outage. An
 * action that was in flight is not replayed blindly: the host is marked
 * uncertain and the first pool facts after the restart settle it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine_int.h"

static const char *const why_words[] = { "low_battery",
    "shutdown_imminent", NULL };

static json_t *
export_ups(const struct eups *u, double off)
{
	json_t	*o;

	o = json_pack("{s:s, s:f, s:b, s:b}", "power",
	    ups_power_name(u->power), "since", u->since + off, "imminent",
	    u->imminent, "comms_lost", u->comms_lost);
	if (o != NULL && (u->power == UPS_LOW_BATTERY || u->spent))
		json_object_set_new_nocheck(o, "low_since",
		    json_real(u->low_since + off));
	if (o != NULL && u->spent)
		json_object_set_new_nocheck(o, "spent", json_true());
	if (o != NULL && u->low_on_mains)
		json_object_set_new_nocheck(o, "low_on_mains", json_true());
	if (o != NULL && isfinite(u->restored_at)) {
		json_object_set_new_nocheck(o, "restored_at",
		    json_real(u->restored_at + off));
		json_object_set_new_nocheck(o, "outage_since",
		    json_real(u->outage_since + off));
	}
	return o;
}

static void
set_flag(json_t *o, const char *key, int v)
{
	if (v)
		json_object_set_new_nocheck(o, key, json_true());
}

/*
 * Only what differs from a host at rest is written (import reads a
 * missing key as false, zero or empty): a save runs on snmptrapd's loop,
 * and with thousands of hosts at risk its cost is the number of values.
 */
static json_t *
export_host(const struct ehost *h, double off)
{
	const struct host_fact_name	*f;
	json_t				*o;

	if ((o = json_object()) == NULL)
		return NULL;
	set_flag(o, "at_risk", h->power.at_risk);
	if (h->power.at_risk)
		json_object_set_new_nocheck(o, "risk_since",
		    json_real(h->power.since + off));
	if (h->power.final) {
		set_flag(o, "final", 1);
		json_object_set_new_nocheck(o, "final_since",
		    json_real(h->power.final_since + off));
		json_object_set_new_nocheck(o, "final_why",
		    json_string(h->power.final_why ? h->power.final_why : ""));
	} else if (h->power.at_risk && h->power.final_why &&
	    h->power.final_since >= h->power.since) {
		/* Low battery earlier in this outage: it stays out. */
		json_object_set_new_nocheck(o, "final_since",
		    json_real(h->power.final_since + off));
		json_object_set_new_nocheck(o, "final_why",
		    json_string(h->power.final_why));
	}
	for (f = host_fact_names; f->name; f++)
		if (f->saved)
			set_flag(o, f->name, host_has(h, f->fact));
	if (h->nblocked)
		json_object_set_new_nocheck(o, "blocked",
		    json_integer(h->nblocked));
	if (h->error[0])
		json_object_set_new_nocheck(o, "error", json_string(h->error));
	if (h->flight.id)
		json_object_set_new_nocheck(o, "inflight",
		    json_string(action_op_name(h->flight.op)));
	/* For upsxenctl status: what was done last, and how it went. */
	if (h->has_last) {
		json_object_set_new_nocheck(o, "last_op",
		    json_string(action_op_name(h->last_op)));
		json_object_set_new_nocheck(o, "last_outcome",
		    json_string(action_outcome_name(h->last_outcome)));
	}
	return o;
}

/* `off` turns an engine time into the caller's wall-clock time. */
json_t *
engine_export(const struct engine *e, double off)
{
	const struct policy	*p = e->p;
	json_t			*root, *ups, *hosts;
	char			 key[512];
	size_t			 i;

	root = json_object();
	ups = json_object();
	hosts = json_object();
	if (root == NULL || ups == NULL || hosts == NULL)
		goto fail;
	for (i = 0; i < p->nups; i++)
		if (e->ups[i].power != UPS_UNKNOWN || e->ups[i].low_on_mains)
			json_object_set_new(ups, p->ups[i].name,
			    export_ups(&e->ups[i], off));
	for (i = 0; i < p->nhosts; i++) {
		const struct ehost *h = &e->hosts[i];

		/* A host at rest has nothing to remember. */
		if (!h->power.at_risk && !h->flight.id && !host_has(h,
		    HF_TOUCHED | HF_DOWN | HF_FAILED | HF_RESTORE))
			continue;
		snprintf(key, sizeof(key), "%s/%s",
		    p->pools[p->hosts[i].pool].name, p->hosts[i].name);
		json_object_set_new(hosts, key, export_host(h, off));
	}
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "ups", ups);
	json_object_set_new(root, "hosts", hosts);
	return root;
fail:
	json_decref(root);
	json_decref(ups);
	json_decref(hosts);
	return NULL;
}

static enum ups_power
power_parse(const char *s)
{
	int	 i;

	for (i = UPS_UNKNOWN; i <= UPS_LOW_BATTERY; i++)
		if (s && strcmp(s, ups_power_name((enum ups_power)i)) == 0)
			return (enum ups_power)i;
	return UPS_UNKNOWN;
}

static double
num(json_t *o, const char *key, double off)
{
	json_t	*v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) - off : -INFINITY;
}

static int
flag(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static const char *
why_word(const char *s)
{
	size_t	 i;

	for (i = 0; why_words[i]; i++)
		if (s && strcmp(s, why_words[i]) == 0)
			return why_words[i];
	return "low_battery";
}

static void
import_host(struct ehost *h, json_t *o, double off)
{
	const struct host_fact_name	*f;
	struct host_saved		 sv;

	memset(&sv, 0, sizeof(sv));
	sv.power.at_risk = flag(o, "at_risk");
	sv.power.since = num(o, "risk_since", off);
	sv.power.final = flag(o, "final");
	sv.power.final_since = num(o, "final_since", off);
	sv.power.final_why = sv.power.final || sv.power.final_since !=
	    -INFINITY ? why_word(json_string_value(
	    json_object_get(o, "final_why"))) : NULL;
	for (f = host_fact_names; f->name; f++)
		if (f->saved && flag(o, f->name))
			sv.facts |= f->fact;
	sv.nblocked = (int)json_integer_value(json_object_get(o, "blocked"));
	sv.error = json_string_value(json_object_get(o, "error"));
	sv.has_last = action_op_parse(json_string_value(json_object_get(o,
	    "last_op")), &sv.last_op) == 0 && action_outcome_parse(
	    json_string_value(json_object_get(o, "last_outcome")),
	    &sv.last_outcome) == 0;
	sv.inflight = json_object_get(o, "inflight") != NULL;
	host_restore(h, &sv);
}

static long
host_by_key(const struct policy *p, const char *key)
{
	const char	*slash = strchr(key, '/');
	size_t		 plen, i;

	if (slash == NULL)
		return -1;
	plen = (size_t)(slash - key);
	for (i = 0; i < p->nhosts; i++) {
		const char *pool = p->pools[p->hosts[i].pool].name;

		if (strlen(pool) == plen && strncmp(pool, key, plen) == 0 &&
		    strcmp(p->hosts[i].name, slash + 1) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * Take over a saved state; `off` as for engine_export. UPSes and hosts
 * the policy no longer has are skipped. Returns how many hosts were
 * restored, or -1 when the JSON is not a state of this format.
 */
int
engine_import(struct engine *e, json_t *root, double off, double now)
{
	const struct policy	*p = e->p;
	json_t			*ups, *hosts, *v;
	const char		*key;
	long			 i;
	int			 n = 0;

	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) != 1)
		return -1;
	ups = json_object_get(root, "ups");
	hosts = json_object_get(root, "hosts");
	e->last_now = now;
	json_object_foreach(ups, key, v) {
		if ((i = policy_ups_index(p, key)) < 0)
			continue;
		e->ups[i].power = power_parse(json_string_value(
		    json_object_get(v, "power")));
		e->ups[i].since = num(v, "since", off);
		/* A state from before low_since was kept: as early as can be. */
		e->ups[i].low_since = num(v, "low_since", off);
		if (e->ups[i].power == UPS_LOW_BATTERY &&
		    e->ups[i].low_since == -INFINITY)
			e->ups[i].low_since = e->ups[i].since;
		e->ups[i].spent = flag(v, "spent") &&
		    e->ups[i].low_since != -INFINITY;
		e->ups[i].imminent = flag(v, "imminent");
		e->ups[i].low_on_mains = flag(v, "low_on_mains");
		e->ups[i].restored_at = num(v, "restored_at", off);
		e->ups[i].outage_since = num(v, "outage_since", off);
		e->ups[i].comms_lost = flag(v, "comms_lost");
	}
	json_object_foreach(hosts, key, v) {
		if ((i = host_by_key(p, key)) < 0)
			continue;
		import_host(&e->hosts[i], v, off);
		n++;
	}
	/* Feeds may differ from the saved ones: re-derive who is at risk. */
	for (i = 0; i < (long)p->nhosts; i++)
		host_repower(e, (size_t)i, now);
	for (i = 0; i < (long)p->npools; i++) {
		e->pools[i].refresh_wanted = 1;
		engine_mark_dirty(e, (size_t)i);
	}
	e->gen++;
	return n;
}

unsigned long
engine_generation(const struct engine *e)
{
	return e->gen;
}

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
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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
	if (o != NULL && u->doubt)
		json_object_set_new_nocheck(o, "doubt",
		    json_integer(u->doubt));
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
	if (host_has(h, HF_POWER_ASKED) && isfinite(h->powered_on_at))
		json_object_set_new_nocheck(o, "powered_on_at",
		    json_real(h->powered_on_at + off));
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
		    HF_TOUCHED | HF_DOWN | HF_FAILED | HF_RESTORE | HF_STARTS |
		    HF_POWER_ASKED))
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

/*
 * What an import checks as it reads: every time is a finite wall-clock
 * second in a sane range, and none later than the save or than now (a
 * clock set back between the two must not postpone the next outage).
 * The first bad value rejects the whole state, named by its JSON path.
 */
struct imp {
	double		 off;		/* wall minus engine time */
	double		 now;		/* engine time */
	double		 latest;	/* engine time no restored one passes */
	double		 saved;		/* engine time of the save */
	int		 clamped;
	char		*msg;
	size_t		 msglen;
	int		 bad;
};

#define WALL_MIN	0.0
#define WALL_MAX	1e11	/* year 5138: past it, not a time */

static void __attribute__((format(printf, 2, 3)))
imp_fail(struct imp *im, const char *fmt, ...)
{
	va_list	 ap;

	if (im->bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(im->msg, im->msglen, fmt, ap);
	va_end(ap);
}

/* An engine time, or -INFINITY when the key is absent. */
static double
imp_time(struct imp *im, json_t *o, const char *where, const char *key)
{
	json_t	*v = json_object_get(o, key);
	double	 t;

	if (v == NULL)
		return -INFINITY;
	t = json_number_value(v);
	if (!json_is_number(v) || !isfinite(t) || t < WALL_MIN ||
	    t > WALL_MAX) {
		imp_fail(im, "%s.%s: %s", where, key, json_is_number(v) ?
		    "not a time in seconds since 1970" : "not a number");
		return -INFINITY;
	}
	t -= im->off;
	if (t > im->latest) {
		im->clamped++;
		t = im->latest;
	}
	return t;
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
import_host(struct imp *im, struct ehost *h, json_t *o, const char *key)
{
	const struct host_fact_name	*f;
	struct host_saved		 sv;
	json_int_t			 blocked;
	char				 where[600];

	snprintf(where, sizeof(where), "hosts.%s", key);
	if (!json_is_object(o)) {
		imp_fail(im, "%s: not an object", where);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.power.at_risk = flag(o, "at_risk");
	sv.power.since = imp_time(im, o, where, "risk_since");
	sv.power.final = flag(o, "final");
	sv.power.final_since = imp_time(im, o, where, "final_since");
	sv.power.final_why = sv.power.final || sv.power.final_since !=
	    -INFINITY ? why_word(json_string_value(
	    json_object_get(o, "final_why"))) : NULL;
	for (f = host_fact_names; f->name; f++)
		if (f->saved && flag(o, f->name))
			sv.facts |= f->fact;
	blocked = json_integer_value(json_object_get(o, "blocked"));
	if (blocked < 0 || blocked > INT_MAX)
		imp_fail(im, "%s.blocked: %lld is not a count of VMs", where,
		    (long long)blocked);
	sv.nblocked = (int)(blocked < 0 || blocked > INT_MAX ? 0 : blocked);
	sv.error = json_string_value(json_object_get(o, "error"));
	sv.powered_on_at = imp_time(im, o, where, "powered_on_at");
	sv.has_last = action_op_parse(json_string_value(json_object_get(o,
	    "last_op")), &sv.last_op) == 0 && action_outcome_parse(
	    json_string_value(json_object_get(o, "last_outcome")),
	    &sv.last_outcome) == 0;
	sv.inflight = json_object_get(o, "inflight") != NULL;
	if (!im->bad)
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
 * How long an outage of this UPS can matter: past its warning period,
 * its low-battery runtime and every timer of the hosts it feeds, every
 * host it feeds is off or never had to be.
 */
static double
ups_longest(const struct engine *e, size_t ui)
{
	const struct policy		*p = e->p;
	const struct policy_ups		*u = &p->ups[ui];
	const struct policy_host	*h;
	double				 m;
	size_t				 i;

	m = fmax(u->has_warning_period ? u->warning_period : 0,
	    u->low_battery_runtime);
	for (i = 0; i < e->ups_nhosts[ui]; i++) {
		h = &p->hosts[e->ups_hosts[ui][i]];
		if (h->has_maintenance)
			m = fmax(m, h->maintenance_after);
		if (h->has_shutdown)
			m = fmax(m, h->shutdown_after +
			    p->pools[h->pool].halt_time);
	}
	return m;
}

static void
import_ups(struct imp *im, struct engine *e, size_t i, json_t *v,
    const char *key)
{
	struct eups	*u = &e->ups[i];
	char		 where[300], note[300];
	double		 age, longest;
	json_int_t	 was;
	size_t		 len;

	snprintf(where, sizeof(where), "ups.%s", key);
	if (!json_is_object(v)) {
		imp_fail(im, "%s: not an object", where);
		return;
	}
	u->power = power_parse(json_string_value(json_object_get(v, "power")));
	u->since = imp_time(im, v, where, "since");
	/* A state from before low_since was kept: as early as can be. */
	u->low_since = imp_time(im, v, where, "low_since");
	if (u->power == UPS_LOW_BATTERY && u->low_since == -INFINITY)
		u->low_since = u->since;
	u->spent = flag(v, "spent") && u->low_since != -INFINITY;
	u->imminent = flag(v, "imminent");
	u->low_on_mains = flag(v, "low_on_mains");
	u->restored_at = imp_time(im, v, where, "restored_at");
	u->outage_since = imp_time(im, v, where, "outage_since");
	u->comms_lost = flag(v, "comms_lost");
	if ((u->power == UPS_ON_BATTERY || u->power == UPS_LOW_BATTERY) &&
	    u->since == -INFINITY)
		imp_fail(im, "%s.since: missing for a UPS on battery", where);
	if (im->bad || (u->power != UPS_ON_BATTERY &&
	    u->power != UPS_LOW_BATTERY))
		return;
	/*
	 * An outage older than everything it could set off is not one to
	 * act on at start: the daemon was down through it, or it is over.
	 * It is doubted, not forgotten: it acts on no host by itself, but
	 * a host it feeds is not safe on it when another feed fails. A
	 * fresh trap, or the card's own time on battery, settles it.
	 */
	was = json_integer_value(json_object_get(v, "doubt"));
	age = im->now - fmax(u->since, u->low_since);
	longest = ups_longest(e, i);
	if (was == DOUBT_NONE && age <= longest)
		return;
	u->doubt = was == DOUBT_NEW || im->now - im->saved > longest ?
	    DOUBT_NEW : DOUBT_RESUME;
	snprintf(note, sizeof(note), "%sups=%s outage_age_s=%.0f "
	    "longest_s=%.0f", im->msg[0] ? " " : "held in doubt: ", key, age,
	    longest);
	len = strlen(im->msg);
	if (len + strlen(note) < im->msglen)
		memcpy(im->msg + len, note, strlen(note) + 1);
}

/*
 * Take over a saved state; `off` as for engine_export. UPSes and hosts
 * the policy no longer has are skipped. Returns how many hosts were
 * restored, or -1 when the JSON is not a state of this format or holds
 * a value upsxen would never write (msg says which, by JSON path; the
 * engine is then as new). On success msg lists what was not taken: a
 * stale outage, or times clamped.
 */
int
engine_import(struct engine *e, json_t *root, double off, double now,
    char *msg, size_t msglen)
{
	const struct policy	*p = e->p;
	struct imp		 im;
	struct eups		*ups0 = NULL;
	struct ehost		*hosts0 = NULL;
	json_t			*ups, *hosts, *v;
	const char		*key;
	long			 i;
	int			 n = 0;

	memset(&im, 0, sizeof(im));
	im.off = off;
	im.now = im.latest = now;
	im.msg = msg;
	im.msglen = msglen;
	msg[0] = '\0';
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) != 1) {
		snprintf(msg, msglen, "not upsxen's state (no \"version\": 1)");
		return -1;
	}
	/* Plain values: a rejected state is undone by copying them back. */
	ups0 = calloc(p->nups + 1, sizeof(*ups0));
	hosts0 = calloc(p->nhosts + 1, sizeof(*hosts0));
	if (ups0 == NULL || hosts0 == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto fail;
	}
	memcpy(ups0, e->ups, p->nups * sizeof(*ups0));
	memcpy(hosts0, e->hosts, p->nhosts * sizeof(*hosts0));
	im.saved = fmin(now, imp_time(&im, root, "state", "saved"));
	if (im.saved == -INFINITY && !im.bad)
		im.saved = now;		/* written before "saved" was */
	im.latest = im.saved;
	ups = json_object_get(root, "ups");
	hosts = json_object_get(root, "hosts");
	if ((ups && !json_is_object(ups)) || (hosts && !json_is_object(hosts)))
		imp_fail(&im, "%s: not an object", ups && !json_is_object(ups) ?
		    "ups" : "hosts");
	e->last_now = now;
	json_object_foreach(ups, key, v) {
		if (im.bad)
			break;
		if ((i = policy_ups_index(p, key)) >= 0)
			import_ups(&im, e, (size_t)i, v, key);
	}
	json_object_foreach(hosts, key, v) {
		if (im.bad)
			break;
		if ((i = host_by_key(p, key)) < 0)
			continue;
		import_host(&im, &e->hosts[i], v, key);
		n++;
	}
	if (im.bad) {
		memcpy(e->ups, ups0, p->nups * sizeof(*ups0));
		memcpy(e->hosts, hosts0, p->nhosts * sizeof(*hosts0));
		goto fail;
	}
	free(ups0);
	free(hosts0);
	if (im.clamped) {
		size_t len = strlen(msg);

		snprintf(msg + len, msglen - len, "%sclamped: %d time(s) "
		    "later than the save or now", len ? " " : "", im.clamped);
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
fail:
	free(ups0);
	free(hosts0);
	return -1;
}

unsigned long
engine_generation(const struct engine *e)
{
	return e->gen;
}

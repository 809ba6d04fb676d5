/*
 * upsxenctl plan: the operator's dry run. The real engine runs against a
 * simulated pool on a virtual clock, and the timeline of what it does is
 * printed as a table or as JSON lines.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "engine.h"
#include "policy.h"
#include "sim.h"

struct plan {
	const struct policy	*p;
	struct sim_opts		 o;
	int			 json;
	double			 until;
	FILE			*out;
	struct sim		*s;
	int			 lost;		/* VMs that died */
};

static int
parse_seconds(const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* "ups2:on_battery@30" */
static int
parse_event(struct sim *s, const struct policy *p, const char *arg)
{
	char		 buf[256], *colon, *at;
	long		 ups;
	enum ups_event	 ev;
	double		 t;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return ctl_usage("--event: too long");
	if ((colon = strchr(buf, ':')) == NULL ||
	    (at = strchr(colon, '@')) == NULL)
		return ctl_usage("--event takes UPS:EVENT@SECONDS");
	*colon = *at = '\0';
	if ((ups = policy_ups_index(p, buf)) == -1) {
		fprintf(stderr, "upsxenctl: --event %s: no UPS \"%s\" in %s\n",
		    arg, buf, p->path);
		return 2;
	}
	if (event_parse(colon + 1, &ev) == -1) {
		fprintf(stderr, "upsxenctl: --event %s: \"%s\" is not an "
		    "event\n", arg, colon + 1);
		return 2;
	}
	if (parse_seconds(at + 1, &t) == -1) {
		fprintf(stderr, "upsxenctl: --event %s: \"%s\" is not a time "
		    "in seconds\n", arg, at + 1);
		return 2;
	}
	return sim_add_event(s, t, (size_t)ups, ev) == 0 ? 0 : 1;
}

/* "HOST" or "HOST:N" */
static long
parse_host_arg(const struct policy *p, const char *opt, const char *arg,
    int *n)
{
	char	 buf[256], *colon;
	long	 h;

	snprintf(buf, sizeof(buf), "%s", arg);
	if ((colon = strchr(buf, ':')) != NULL) {
		*colon = '\0';
		*n = atoi(colon + 1);
	}
	if ((h = policy_host_index(p, buf)) == -1)
		fprintf(stderr, "upsxenctl: %s %s: no host \"%s\" in %s\n",
		    opt, arg, buf, p->path);
	return h;
}

static const char *
action_label(const struct action *a)
{
	if (a->op == ACT_STOP_VMS && a->hard)
		return "stop_vms_hard";
	return action_op_name(a->op);
}

static void
line_text(const struct plan *pl, const char *pool, const char *who,
    const char *what, const char *why, double t)
{
	fprintf(pl->out, "%9.3f  %-8s %-16s %-18s %s\n", t, pool, who, what,
	    why);
}

static void
line_json(const struct plan *pl, json_t *o)
{
	char	*s;

	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10))) != NULL) {
		fprintf(pl->out, "%s\n", s);
		free(s);
	}
	json_decref(o);
}

static void
show_event(const struct plan *pl, const struct sim_line *l)
{
	const char	*ups = pl->p->ups[l->ups].name;

	if (!pl->json) {
		line_text(pl, "-", ups, event_name(l->event), "ups event",
		    l->t);
		return;
	}
	line_json(pl, json_pack("{s:f, s:s, s:s}", "t", l->t, "ups", ups,
	    "event", event_name(l->event)));
}

static void
action_why(const struct action *a, char *buf, size_t len)
{
	if (a->op == ACT_DESIGNATE_MASTER)
		snprintf(buf, len, "%s to %s", a->reason, a->target);
	else if (a->op == ACT_STOP_VMS)
		snprintf(buf, len, "%s (%s)", a->reason,
		    a->scope == STOP_BLOCKERS ? "VMs that cannot move" :
		    "every VM left");
	else
		snprintf(buf, len, "%s", a->reason);
}

static const char *
action_host(const struct plan *pl, const struct action *a)
{
	return a->host >= 0 ? pl->p->hosts[a->host].name : "-";
}

static void
show_action(const struct plan *pl, const struct sim_line *l)
{
	const struct action	*a = l->action;
	const char		*pool = pl->p->pools[a->pool].name;
	char			 why[256];

	if (a->op == ACT_REFRESH || a->op == ACT_WATCH)
		return;
	action_why(a, why, sizeof(why));
	if (!pl->json) {
		line_text(pl, pool, action_host(pl, a), action_label(a), why,
		    l->t);
		return;
	}
	line_json(pl, json_pack("{s:f, s:s, s:s, s:s, s:s}", "t", l->t,
	    "pool", pool, "host", action_host(pl, a), "action",
	    action_label(a), "reason", why));
}

/* Only what changes the course: failures, blocks, a host coming back. */
static void
show_result(const struct plan *pl, const struct sim_line *l)
{
	const struct action		*a = l->action;
	const struct action_result	*r = l->result;
	const char			*pool = pl->p->pools[a->pool].name;
	char				 what[64], why[256];

	if (l->abandoned)	/* no answer: a newer action took over */
		return;
	if (a->op == ACT_WATCH && r->outcome == OUTCOME_OK) {
		snprintf(what, sizeof(what), "host_back");
		snprintf(why, sizeof(why), "host is live again");
	} else if (r->outcome == OUTCOME_OK || a->op == ACT_WATCH)
		return;
	else {
		snprintf(what, sizeof(what), "%s:%s", action_label(a),
		    action_outcome_name(r->outcome));
		if (r->count > 0)
			snprintf(why, sizeof(why), "%s (%d VMs)",
			    r->error ? r->error : "", r->count);
		else
			snprintf(why, sizeof(why), "%s",
			    r->error ? r->error : "");
	}
	if (!pl->json) {
		line_text(pl, pool, action_host(pl, a), what, why, l->t);
		return;
	}
	line_json(pl, json_pack("{s:f, s:s, s:s, s:s, s:s}", "t", l->t,
	    "pool", pool, "host", action_host(pl, a), "action", what,
	    "reason", why));
}

static void
show_move(const struct plan *pl, const struct sim_line *l)
{
	const struct policy_host	*from = &pl->p->hosts[l->host];
	const char			*pool = pl->p->pools[from->pool].name;
	const char			*to = pl->p->hosts[l->to].name;
	const char			*vm = sim_vm_name(pl->s, l->count);
	char				 what[160], why[160];

	if (!pl->json) {
		snprintf(what, sizeof(what), "vm_moved %s", vm);
		snprintf(why, sizeof(why), "to %s", to);
		line_text(pl, pool, from->name, what, why, l->t);
		return;
	}
	line_json(pl, json_pack("{s:f, s:s, s:s, s:s, s:s, s:s}", "t", l->t,
	    "pool", pool, "host", from->name, "action", "vm_moved", "vm", vm,
	    "to", to));
}

/* Why a host still had VMs when its power went: what it waited for. */
static void
lost_why(const struct plan *pl, size_t h, char *buf, size_t len)
{
	struct host_status	 hs;

	engine_host_status(sim_engine(pl->s), h, &hs);
	snprintf(buf, len, "its last UPS cut the power with the host %s%s%s",
	    host_stage_name(hs.stage), hs.reason && hs.reason[0] ? ": " : "",
	    hs.reason ? hs.reason : "");
}

/* Every VM that dies is named, with why (the exit status says so too). */
static void
show_lost(struct plan *pl, const struct sim_line *l)
{
	const struct policy_host	*c = &pl->p->hosts[l->host];
	const char			*pool = pl->p->pools[c->pool].name;
	const char			*names[64];
	char				 why[512], what[160];
	size_t				 n, i;

	if (l->count == 0)
		return;
	pl->lost += l->count;
	lost_why(pl, (size_t)l->host, why, sizeof(why));
	n = sim_vm_names(pl->s, (size_t)l->host, names, 64);
	for (i = 0; i < n && i < 64; i++) {
		if (pl->json) {
			line_json(pl, json_pack("{s:f, s:s, s:s, s:s, s:s, "
			    "s:s}", "t", l->t, "pool", pool, "host", c->name,
			    "action", "vm_lost", "vm", names[i], "reason",
			    why));
			continue;
		}
		snprintf(what, sizeof(what), "vm_lost %s", names[i]);
		line_text(pl, pool, c->name, what, why, l->t);
	}
}

static void
show_line(const struct sim_line *l, void *arg)
{
	struct plan	*pl = arg;

	switch (l->kind) {
	case SIM_EVENT:
		show_event(pl, l);
		break;
	case SIM_ACTION:
		show_action(pl, l);
		break;
	case SIM_RESULT:
		show_result(pl, l);
		break;
	case SIM_MOVE:
		show_move(pl, l);
		break;
	case SIM_POWER_LOST:
		show_lost(pl, l);
		break;
	case SIM_RESTART:	/* plans have no restarts or faults */
	case SIM_FAULT:
		break;
	}
}

/* The end state, and whether it is one an operator can live with. */
static int
show_end(const struct plan *pl, struct sim *s)
{
	struct sim_host_state	 st;
	struct host_status	 hs;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < pl->p->nhosts; i++) {
		sim_host_state(s, i, &st);
		engine_host_status(sim_engine(s), i, &hs);
		bad |= st.crashed > 0 || hs.stage == STAGE_FAILED;
		if (pl->json) {
			line_json(pl, json_pack("{s:s, s:s, s:b, s:b, s:b, "
			    "s:b, s:i, s:i, s:i}", "end", pl->p->hosts[i].name,
			    "stage", host_stage_name(hs.stage), "live",
			    st.live, "enabled", st.enabled, "master",
			    st.master, "maintenance", st.marked, "vms", st.vms,
			    "stopped", st.stopped, "crashed", st.crashed));
			continue;
		}
		fprintf(pl->out, "end: %-16s %-12s %s%s%s%s vms=%d stopped=%d "
		    "crashed=%d\n", pl->p->hosts[i].name,
		    host_stage_name(hs.stage), st.live ? "live" : "off",
		    st.enabled ? ",enabled" : ",disabled",
		    st.master ? ",master" : "",
		    st.marked ? ",MAINTENANCE_MODE" : "", st.vms, st.stopped,
		    st.crashed);
	}
	return bad;
}

/* Timing and output options; the rest are kept for apply_options. */
static int
parse_options(struct plan *pl, int argc, char **argv, char **deferred,
    size_t *ndeferred)
{
	int	 i;
	double	 v;

	for (i = 2; i < argc; i++) {
		const char *opt = argv[i], *arg = argv[i + 1];

		if (strcmp(opt, "--json") == 0) {
			pl->json = 1;
			continue;
		}
		if (i + 1 == argc)
			return ctl_usage("plan: an option lacks its value");
		i++;
		if (strcmp(opt, "--event") == 0 ||
		    strcmp(opt, "--master") == 0 ||
		    strcmp(opt, "--pinned") == 0) {
			deferred[(*ndeferred)++] = argv[i - 1];
			deferred[(*ndeferred)++] = argv[i];
		} else if (strcmp(opt, "--vms") == 0) {
			pl->o.vms_per_host = atoi(arg);
			if (pl->o.vms_per_host < 0)
				return ctl_usage("plan: --vms takes a count");
		} else if (parse_seconds(arg, &v) == -1)
			return ctl_usage("plan: a duration must be seconds "
			    ">= 0");
		else if (strcmp(opt, "--evacuate-takes") == 0) {
			pl->o.evacuate_takes = v;
			pl->o.vm_move_takes = 0;
		} else if (strcmp(opt, "--vm-move-takes") == 0)
			pl->o.vm_move_takes = v;
		else if (strcmp(opt, "--card-delay") == 0)
			pl->o.card_delay = v;
		else if (strcmp(opt, "--action-takes") == 0)
			pl->o.action_takes = v;
		else if (strcmp(opt, "--vm-stop-takes") == 0)
			pl->o.vm_stop_takes = v;
		else if (strcmp(opt, "--boot-takes") == 0)
			pl->o.boot_takes = v;
		else if (strcmp(opt, "--until") == 0)
			pl->until = v;
		else
			return ctl_usage("plan: unknown option");
	}
	return 0;
}

/* Events, the master and pinned VMs, once the simulation exists. */
static int
apply_options(struct plan *pl, struct sim *s, char **deferred, size_t n)
{
	size_t	 i;
	long	 h;
	int	 count, rc;

	for (i = 0; i + 1 < n; i += 2) {
		if (strcmp(deferred[i], "--event") == 0) {
			if ((rc = parse_event(s, pl->p, deferred[i + 1])) != 0)
				return rc;
			continue;
		}
		count = 0;
		h = parse_host_arg(pl->p, deferred[i], deferred[i + 1],
		    &count);
		if (h == -1)
			return 2;
		if (strcmp(deferred[i], "--master") == 0)
			sim_set_master(s, (size_t)h);
		else
			sim_set_pinned(s, (size_t)h, count);
	}
	return 0;
}

int
ctl_plan(int argc, char **argv)
{
	struct plan	 pl = { 0 };
	struct report	 rep;
	struct policy	*p;
	struct sim	*s = NULL;
	char		**deferred = NULL;
	size_t		 ndeferred = 0;
	int		 rc = 1;

	if (argc < 2 || argv[1][0] == '-')
		return ctl_usage("plan: which policy?");
	report_init(&rep);
	if ((p = policy_load(argv[1], &rep)) == NULL) {
		ctl_print_report(&rep, 1, stderr);
		report_free(&rep);
		return 1;
	}
	pl.p = p;
	pl.out = stdout;
	pl.until = 7 * 86400.0;
	pl.o.action_takes = 0.5;
	/* As long as real pools take (DESIGN.md "Testing"). */
	pl.o.evacuate_takes = 120;
	pl.o.vm_move_takes = 30;
	pl.o.vm_stop_takes = 60;
	pl.o.boot_takes = 120;
	pl.o.vms_per_host = 4;
	if ((deferred = calloc((size_t)argc, sizeof(*deferred))) == NULL)
		goto done;
	if ((rc = parse_options(&pl, argc, argv, deferred, &ndeferred)) != 0)
		goto done;
	rc = 1;
	if ((s = sim_new(p, &pl.o)) == NULL)
		goto done;
	if ((rc = apply_options(&pl, s, deferred, ndeferred)) != 0)
		goto done;
	pl.s = s;
	if (!pl.json)
		fprintf(pl.out, "%9s  %-8s %-16s %-18s %s\n", "TIME", "POOL",
		    "HOST/UPS", "ACTION", "REASON");
	if (sim_run(s, pl.until, show_line, &pl) == -1) {
		fprintf(stderr, "upsxenctl: plan: the simulation did not "
		    "settle\n");
		rc = 1;
		goto done;
	}
	rc = show_end(&pl, s);
done:
	free(deferred);
	sim_free(s);
	policy_free(p);
	report_free(&rep);
	return rc;
}

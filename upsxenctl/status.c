/*
 * upsxenctl status: what upsxen knows now, read from the state file the
 * plugin keeps (replaced atomically, so reading it while snmptrapd runs
 * is safe). The saved state is loaded into an engine, as the plugin does
 * after a restart, so that stages and deadlines are the engine's own.
 *
 *   upsxenctl status [--state-dir DIR] [--json] [--all] [POLICY]
 *
 * Exit status: 0 fine, 1 a host is failed (for monitoring checks), 2 the
 * state or the policy cannot be read.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "engine.h"
#include "policy.h"

#define DEFAULT_STATE_DIR	"/var/lib/upsxen"

struct status_opts {
	const char	*dir;
	const char	*policy;
	int		 json;
	int		 all;
};

static double
wall_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *
when(double t, char *buf, size_t len)
{
	time_t		 s = (time_t)t;
	struct tm	 tm;

	if (!isfinite(t) || localtime_r(&s, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static int
parse_args(int argc, char **argv, struct status_opts *o)
{
	int	 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (strcmp(argv[i], "--all") == 0)
			o->all = 1;
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			o->dir = argv[++i];
		else if (argv[i][0] == '-' || o->policy)
			return -1;
		else
			o->policy = argv[i];
	}
	return 0;
}

static struct policy *
load_quiet(const char *path)
{
	struct report	 rep;
	struct policy	*p;

	report_init(&rep);
	if ((p = policy_load(path, &rep)) == NULL) {
		fprintf(stderr, "upsxenctl: status: policy %s:\n", path);
		ctl_print_report(&rep, 1, stderr);
	}
	report_free(&rep);
	return p;
}

/*
 * A whole file, read through the descriptor it is checked on: a FIFO
 * does not block, and with nofollow a symlink is refused. NULL with the
 * reason printed, except that *missing (when asked) says the file
 * simply is not there.
 */
static char *
read_whole(const char *path, int nofollow, struct stat *st, size_t *len,
    int *missing)
{
	char	*text = NULL;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if (missing)
		*missing = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (nofollow ? O_NOFOLLOW : 0));
	if (fd == -1) {
		if (missing && errno == ENOENT)
			*missing = 1;
		else
			fprintf(stderr, "upsxenctl: status: %s: %s\n", path,
			    nofollow && errno == ELOOP ? "a symlink, not "
			    "upsxen's file" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) == -1) {
		fprintf(stderr, "upsxenctl: status: %s: %s\n", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "upsxenctl: status: %s is not a regular file\n",
		    path);
		goto fail;
	}
	if ((text = malloc((size_t)st->st_size + 1)) == NULL) {
		fprintf(stderr, "upsxenctl: status: %s: out of memory\n", path);
		goto fail;
	}
	while (off < (size_t)st->st_size) {
		if ((n = read(fd, text + off, (size_t)st->st_size - off)) ==
		    -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "upsxenctl: status: %s: %s\n", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	text[off] = '\0';
	*len = off;
	close(fd);
	return text;
fail:
	free(text);
	close(fd);
	return NULL;
}

/*
 * jansson quotes the text near a syntax error ("near 'root'"): from a
 * file that others cannot read, which need not be a policy or a state
 * at all, that would print a secret. Then only the position is given.
 */
static void
print_json_error(const char *path, const struct stat *st,
    const json_error_t *jerr)
{
	if (st->st_mode & S_IROTH)
		fprintf(stderr, "upsxenctl: status: %s:%d:%d: %s\n", path,
		    jerr->line, jerr->column, jerr->text);
	else
		fprintf(stderr, "upsxenctl: status: %s:%d:%d: not valid JSON "
		    "(the text is not shown: others cannot read the file)\n",
		    path, jerr->line, jerr->column);
}

/*
 * status often runs as root, and the state names its policy by path.
 * The path is followed only when the file could only have come from
 * upsxen or the operator: owned by root or the invoking user, writable
 * by no one else. Otherwise (a --state-dir in /tmp, a state copied from
 * someone's home) root would load whatever the state names and print
 * what it finds there; the operator names the policy instead, as for a
 * state from another machine. The same holds for the policy it names.
 */
static int
trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static void
print_untrusted(const char *path, const struct stat *st, int policy)
{
	fprintf(stderr, "upsxenctl: status: %s (uid %u, mode %03o)%s is not "
	    "root's or yours alone: %s not loaded; give the policy as an "
	    "argument\n", path, (unsigned)st->st_uid,
	    (unsigned)(st->st_mode & 07777), policy ? ", named by the state," :
	    "", policy ? "it is" : "the policy it names is");
}

/* The policy the state names, when both may be trusted; else NULL. */
static struct policy *
load_named(const char *named, const char *state, const struct stat *sst)
{
	struct report	 rep;
	struct policy	*p = NULL;
	struct stat	 st;
	json_error_t	 jerr;
	json_t		*j;
	char		*text;
	size_t		 len;

	if (!trusted(sst)) {
		print_untrusted(state, sst, 0);
		return NULL;
	}
	if ((text = read_whole(named, 0, &st, &len, NULL)) == NULL)
		return NULL;
	if (!trusted(&st)) {
		print_untrusted(named, &st, 1);
		goto done;
	}
	if ((j = json_loadb(text, len, 0, &jerr)) == NULL) {
		print_json_error(named, &st, &jerr);
		goto done;
	}
	json_decref(j);
	report_init(&rep);
	if ((p = policy_parse(text, len, named, &rep)) == NULL) {
		/* The policy's checks quote what they read, too. */
		fprintf(stderr, "upsxenctl: status: policy %s:\n", named);
		if (st.st_mode & S_IROTH)
			ctl_print_report(&rep, 1, stderr);
		else
			fprintf(stderr, "  not a valid policy: %zu errors, not "
			    "shown as others cannot read the file (name it "
			    "as an argument to see them)\n", rep.nerrors);
	}
	report_free(&rep);
done:
	free(text);
	return p;
}

/* The state, or NULL: *missing says the file simply is not there yet. */
static json_t *
read_state(const char *path, struct stat *st, int *missing)
{
	json_error_t	 jerr;
	json_t		*j;
	char		*text;
	size_t		 len;

	/* As the plugin reads it: never through a link, never waiting. */
	if ((text = read_whole(path, 1, st, &len, missing)) == NULL)
		return NULL;
	if ((j = json_loadb(text, len, 0, &jerr)) == NULL)
		print_json_error(path, st, &jerr);
	free(text);
	return j;
}

static json_t *
host_json(const struct host_status *st, double now)
{
	json_t	*o = json_pack("{s:s, s:s}", "stage",
	    host_stage_name(st->stage), "reason", st->reason ? st->reason : "");

	if (isfinite(st->next_deadline)) {
		json_object_set_new(o, "next_deadline",
		    json_real(st->next_deadline));
		json_object_set_new(o, "next_in_s",
		    json_real(st->next_deadline - now));
	}
	if (st->has_last) {
		json_object_set_new(o, "last_action",
		    json_string(action_op_name(st->last_op)));
		json_object_set_new(o, "last_result",
		    json_string(action_outcome_name(st->last_outcome)));
	}
	if (st->error)
		json_object_set_new(o, "error", json_string(st->error));
	return o;
}

static void
print_text(const struct policy *p, struct engine *e, json_t *state,
    const struct status_opts *o, double now)
{
	struct ups_status	 us;
	struct host_status	 hs;
	char			 t1[32], t2[32];
	size_t			 i, shown = 0;
	double			 saved;

	saved = json_number_value(json_object_get(state, "saved"));
	printf("state saved %s (%.0f s ago), policy %s\n",
	    when(saved, t1, sizeof(t1)), now - saved, p->path);
	for (i = 0; i < p->nups; i++) {
		engine_ups_status(e, i, &us);
		if (us.power == UPS_UNKNOWN && !us.low_on_mains && !o->all)
			continue;
		printf("ups  %-20s %-12s since %s%s%s\n", p->ups[i].name,
		    ups_power_name(us.power), when(us.since, t1, sizeof(t1)),
		    us.low_on_mains ? " (battery low, on mains)" : "",
		    us.comms_lost ? " (card not answering)" : "");
	}
	for (i = 0; i < p->nhosts; i++) {
		engine_host_status(e, i, &hs);
		if (hs.stage == STAGE_NORMAL && !hs.has_last && !o->all)
			continue;
		shown++;
		printf("host %s/%s: %s", p->pools[p->hosts[i].pool].name,
		    p->hosts[i].name, host_stage_name(hs.stage));
		if (hs.reason && hs.reason[0])
			printf(" (%s)", hs.reason);
		if (isfinite(hs.next_deadline))
			printf(", next step %s (in %.0f s)",
			    when(hs.next_deadline, t2, sizeof(t2)),
			    hs.next_deadline - now);
		if (hs.has_last)
			printf(", last %s: %s", action_op_name(hs.last_op),
			    action_outcome_name(hs.last_outcome));
		if (hs.error && hs.stage != STAGE_FAILED)
			printf(", error: %s", hs.error);
		printf("\n");
	}
	if (shown == 0)
		printf("all %zu hosts at rest\n", p->nhosts);
}

static void
print_json(const struct policy *p, struct engine *e, json_t *state,
    double now)
{
	struct ups_status	 us;
	struct host_status	 hs;
	json_t			*root, *ups, *hosts;
	char			 key[512];
	size_t			 i;

	root = json_pack("{s:O, s:s, s:f}", "saved", json_object_get(state,
	    "saved"), "policy", p->path, "now", now);
	ups = json_object();
	hosts = json_object();
	for (i = 0; i < p->nups; i++) {
		engine_ups_status(e, i, &us);
		json_object_set_new(ups, p->ups[i].name, json_pack(
		    "{s:s, s:o, s:b, s:b}", "power", ups_power_name(us.power),
		    "since", isfinite(us.since) ? json_real(us.since) :
		    json_null(), "low_on_mains", us.low_on_mains,
		    "comms_lost", us.comms_lost));
	}
	for (i = 0; i < p->nhosts; i++) {
		engine_host_status(e, i, &hs);
		snprintf(key, sizeof(key), "%s/%s",
		    p->pools[p->hosts[i].pool].name, p->hosts[i].name);
		json_object_set_new(hosts, key, host_json(&hs, now));
	}
	json_object_set_new(root, "ups", ups);
	json_object_set_new(root, "hosts", hosts);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	json_decref(root);
}

static int
any_failed(const struct policy *p, struct engine *e)
{
	struct host_status	 hs;
	size_t			 i;

	for (i = 0; i < p->nhosts; i++) {
		engine_host_status(e, i, &hs);
		if (hs.stage == STAGE_FAILED)
			return 1;
	}
	return 0;
}

int
ctl_status(int argc, char **argv)
{
	struct status_opts	 o = { NULL, NULL, 0, 0 };
	struct policy		*p = NULL;
	struct engine		*e = NULL;
	json_t			*state = NULL;
	struct stat		 sst;
	const char		*named;
	char			 msg[512], path[4096];
	double			 now = wall_now();
	int			 missing, rc = 2;

	if (parse_args(argc, argv, &o) == -1)
		return ctl_usage("status: bad arguments");
	if (o.policy && (p = load_quiet(o.policy)) == NULL)
		goto done;
	if (o.dir == NULL)
		o.dir = p ? p->state_dir : DEFAULT_STATE_DIR;
	snprintf(path, sizeof(path), "%s/%s", o.dir, ENGINE_STATE_FILE);
	if ((state = read_state(path, &sst, &missing)) == NULL) {
		if (missing) {
			printf("no state in %s yet: upsxen has not started "
			    "there, or has seen nothing to remember\n", o.dir);
			rc = 0;
		}
		goto done;
	}
	named = json_string_value(json_object_get(state, "policy"));
	if (p == NULL && (named == NULL ||
	    (p = load_named(named, path, &sst)) == NULL)) {
		if (named == NULL)
			fprintf(stderr, "upsxenctl: status: the state names no "
			    "policy: give it as an argument\n");
		goto done;
	}
	if ((e = engine_new(p)) == NULL ||
	    engine_import(e, state, 0.0, now, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "upsxenctl: status: %s/%s: %s\n", o.dir,
		    ENGINE_STATE_FILE, e ? msg : "out of memory");
		goto done;
	}
	engine_evaluate(e, now);
	if (o.json)
		print_json(p, e, state, now);
	else
		print_text(p, e, state, &o, now);
	rc = any_failed(p, e);
done:
	engine_free(e);
	policy_free(p);
	json_decref(state);
	return rc;
}

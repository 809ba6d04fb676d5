/*
 * The XenAPI recipes (recipe.h): what each kind of action is, call by
 * call, as XenCenter and xe do it (DESIGN.md "XenAPI"). This file holds
 * the table, the jobs and tasks, and the recipes made of a few calls;
 * recipe_vms.c those that move and stop VMs, recipe_ha.c the pool's HA.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "recipe_int.h"

typedef void	 recipe_fn(struct recipe_ctx *, struct job *);

double
recipe_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void
rlog(struct recipe_ctx *c, int prio, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->arg, prio, line);
}

int
is_code(const struct xenapi_error *err, const char *code)
{
	return err->kind == XENAPI_ERR_FAILURE && strcmp(err->code, code) == 0;
}

/* Host refs by name_label, learnt from refreshes. */
static const char *
ref_cached(struct recipe_ctx *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nrefs; i++)
		if (strcmp(c->refs[i].name, name) == 0)
			return c->refs[i].ref;
	return NULL;
}

static void
ref_remember(struct recipe_ctx *c, const char *name, const char *ref)
{
	struct hostref	*nr;
	size_t		 i;

	for (i = 0; i < c->nrefs; i++)
		if (strcmp(c->refs[i].name, name) == 0) {
			snprintf(c->refs[i].ref, sizeof(c->refs[i].ref), "%s",
			    ref);
			return;
		}
	if ((nr = realloc(c->refs, (c->nrefs + 1) * sizeof(*nr))) == NULL)
		return;
	c->refs = nr;
	snprintf(nr[c->nrefs].name, sizeof(nr[0].name), "%s", name);
	snprintf(nr[c->nrefs].ref, sizeof(nr[0].ref), "%s", ref);
	c->nrefs++;
}

int
host_ref(struct recipe_ctx *c, const char *name, char *ref,
    struct xenapi_error *err)
{
	const char	*r = ref_cached(c, name);

	if (r) {
		snprintf(ref, XENAPI_REF_LEN, "%s", r);
		return 0;
	}
	if (xenapi_host_find(c->x, name, ref, err) == -1)
		return -1;
	ref_remember(c, name, ref);
	return 0;
}

void
job_finish(struct job *j, enum action_outcome o, const char *error, int count)
{
	j->done = 1;
	j->outcome = o;
	j->count = count;
	if (error == NULL)
		j->error[0] = '\0';
	else if (error != j->error)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

void
job_fail(struct job *j, const struct xenapi_error *err)
{
	job_finish(j, xenapi_error_transient(err) ? OUTCOME_TRANSIENT :
	    OUTCOME_PERMANENT, err->msg, 0);
}

int
tasks_add(struct job *j, const char *task, const char *vm, int hard)
{
	struct jtask	*t;
	size_t		 cap;

	if (j->ntasks == j->cap) {
		cap = j->cap ? j->cap * 2 : 8;
		if ((t = realloc(j->tasks, cap * sizeof(*t))) == NULL)
			return -1;
		j->tasks = t;
		j->cap = cap;
	}
	t = &j->tasks[j->ntasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->ref, sizeof(t->ref), "%s", task);
	snprintf(t->vm, sizeof(t->vm), "%s", vm ? vm : "");
	t->hard = hard;
	return 0;
}

/* The first poll comes soon: most tasks are short. */
void
tasks_wait(struct job *j)
{
	j->phase = 1;
	j->next_poll = recipe_now_ms() + POLL_MS / 4;
}

/*
 * Poll every pending task of a job; `done` hears of each one that ended
 * (it may add tasks). Returns 1 when none is pending any more.
 */
int
tasks_poll(struct recipe_ctx *c, struct job *j, task_done_fn *done)
{
	struct xenapi_error	 err;
	enum xenapi_task_status	 st;
	struct jtask		 t;
	size_t			 i;
	int			 pending = 0;

	for (i = 0; i < j->ntasks; i++) {
		if (j->tasks[i].ref[0] == '\0')
			continue;
		memset(&err, 0, sizeof(err));
		if (xenapi_task_poll(c->x, j->tasks[i].ref, &st, &err) == -1) {
			pending++;	/* asked again at the next poll */
			continue;
		}
		if (st == XENAPI_TASK_PENDING) {
			pending++;
			continue;
		}
		/* done may grow the array: it gets a copy. */
		t = j->tasks[i];
		j->tasks[i].ref[0] = '\0';
		if (st != XENAPI_TASK_VANISHED) {
			struct xenapi_error e2;

			xenapi_task_destroy(c->x, t.ref, &e2);
		}
		done(c, j, &t, st, &err);
	}
	for (i = 0; i < j->ntasks; i++)
		if (j->tasks[i].ref[0] != '\0')
			pending = 1;
	j->next_poll = recipe_now_ms() + POLL_MS;
	return pending == 0;
}

void
recipe_cancel(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	size_t			 i;

	for (i = 0; i < j->ntasks; i++)
		if (j->tasks[i].ref[0]) {
			/* xapi_task.ml: never refused; the task stops where
			 * its code looks for it. */
			xenapi_task_cancel(c->x, j->tasks[i].ref, &err);
			xenapi_task_destroy(c->x, j->tasks[i].ref, &err);
			j->tasks[i].ref[0] = '\0';
		}
}

/* A look at the pool: its host refs are remembered, its facts reported. */
static void
report_facts(struct recipe_ctx *c, const struct xenapi_pool *pool)
{
	size_t	 i;

	for (i = 0; i < pool->nhosts; i++)
		ref_remember(c, pool->hosts[i].name, pool->hosts[i].ref);
	if (c->facts)
		c->facts(c->arg, pool);
}

/*
 * A look at the pool. With HA off, whether upsxen turned it off (the
 * pool's other_config says so, whoever asks): one call more, only then.
 */
static int
look(struct recipe_ctx *c, struct xenapi_pool *pool, struct xenapi_error *err)
{
	char	*off = NULL;

	if (xenapi_pool_get(c->x, pool, err) == -1)
		return -1;
	if (!pool->ha_enabled && xenapi_oc_get(c->x, "pool", pool->ref,
	    KEY_HA_OFF, &off, err) == -1) {
		xenapi_pool_clear(pool);
		return -1;
	}
	pool->ha_off = off && off[0] != '\0';
	free(off);
	return 0;
}

static void
step_refresh(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;

	if (look(c, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	report_facts(c, &pool);
	xenapi_pool_clear(&pool);
	job_finish(j, OUTCOME_OK, NULL, 0);
}

/*
 * Is the host back? Live, as the master says: whether it is also
 * enabled is xapi's to decide once it has started, and a running
 * XenCenter disables it again while MAINTENANCE_MODE is set
 * (MainWindow.cs). Leaving maintenance enables it.
 */
static void
step_watch(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	size_t			 i;
	int			 back = 0;

	if (look(c, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].name, j->host) == 0)
			back = pool.hosts[i].live;
	report_facts(c, &pool);
	xenapi_pool_clear(&pool);
	if (!back && j->overdue)
		job_finish(j, OUTCOME_PERMANENT, "not live boot_timeout after "
		    "host.power_on: check its power, its BMC or its console",
		    0);
	else
		job_finish(j, back ? OUTCOME_OK : OUTCOME_BLOCKED,
		    back ? NULL : "host not live yet", 0);
}

#define POWER_ON_LOOK_MS	2000.0

/*
 * A refusal (HOST_POWER_ON_MODE_DISABLED, a missing plugin, a BMC that
 * says no) comes within moments; a task still pending after that is
 * the plugin waiting for the host to boot, for minutes: it is left to
 * finish, and the watch sees the host come back, or not in time.
 */
static void
power_on_poll(struct recipe_ctx *c, struct job *j)
{
	struct jtask		*t = &j->tasks[0];
	struct xenapi_error	 err;
	enum xenapi_task_status	 st;

	memset(&err, 0, sizeof(err));
	if (xenapi_task_poll(c->x, t->ref, &st, &err) == -1)
		st = XENAPI_TASK_PENDING;	/* asked again */
	if (st == XENAPI_TASK_PENDING &&
	    recipe_now_ms() < j->started + POWER_ON_LOOK_MS) {
		j->next_poll = recipe_now_ms() + POLL_MS;
		return;
	}
	if (st != XENAPI_TASK_PENDING && st != XENAPI_TASK_VANISHED)
		xenapi_task_destroy(c->x, t->ref, &err);
	t->ref[0] = '\0';		/* never cancelled: the host boots */
	if (st == XENAPI_TASK_FAILURE || st == XENAPI_TASK_CANCELLED)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
}

/*
 * host.power_on always runs on the master, which wakes the host as its
 * power_on_mode says (xapi_host.ml power_on, through the power-on-host
 * plugin: wake-on-LAN, IPMI, or a custom module). A host already live
 * is left alone: its watch sees it.
 */
static void
step_power_on(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], task[XENAPI_REF_LEN];
	size_t			 i;
	int			 live = 0;

	if (j->phase == 1) {
		power_on_poll(c, j);
		return;
	}
	if (look(c, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].name, j->host) == 0)
			live = pool.hosts[i].live;
	report_facts(c, &pool);
	xenapi_pool_clear(&pool);
	if (live) {
		job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_power_on_async(c->x, ref, task, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (tasks_add(j, task, NULL, 0) == -1) {
		job_finish(j, OUTCOME_TRANSIENT, "out of memory", 0);
		return;
	}
	tasks_wait(j);
}

/*
 * With HA on, a disable that would break the failover plan is refused
 * (xapi_ha_vm_failover.ml): XenCenter lowers the failures to tolerate
 * first, and so does this, then tries once more if it was still refused.
 */
static void
step_disable(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];
	int			 tries;

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    ha_make_room(c, j->host, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	for (tries = 0; tries < 2; tries++) {
		if (xenapi_host_disable(c->x, ref, &err) == 0) {
			job_finish(j, OUTCOME_OK, NULL, 0);
			return;
		}
		if (!is_code(&err, "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN") ||
		    ha_make_room(c, j->host, &err) == -1)
			break;
	}
	job_fail(j, &err);
}

static void
step_designate(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (host_ref(c, j->target, ref, &err) == -1 ||
	    xenapi_pool_designate_new_master(c->x, ref, &err) == -1)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
}

/* "a,b,c" of the VMs' UUIDs, malloc'd. */
static char *
uuid_list(const struct xenapi_vm *vms, size_t n)
{
	size_t	 i, len = n * (sizeof(vms[0].uuid) + 1) + 1, off = 0;
	char	*list;

	if ((list = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(list + off, len - off, "%s%s",
		    i ? "," : "", vms[i].uuid);
	return list;
}

/*
 * Mark as XenCenter does (Host.cs SaveEvacuatedVMs): every resident VM,
 * Running and Paused, in the MIGRATED list, then MAINTENANCE_MODE.
 */
static void
step_mark(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms = NULL;
	char			 ref[XENAPI_REF_LEN], *old = NULL, *list = NULL;
	size_t			 n = 0;

	memset(&err, 0, sizeof(err));
	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_get_other_config(c->x, ref, KEY_MIGRATED, &old,
	    &err) == -1 ||
	    xenapi_host_vms(c->x, ref, &vms, &n, &err) == -1)
		goto fail;
	/* A repeated mark must not shrink the list of a half-done move. */
	if (old[0] == '\0' && n > 0) {
		if ((list = uuid_list(vms, n)) == NULL) {
			snprintf(err.msg, sizeof(err.msg), "out of memory");
			err.kind = XENAPI_ERR_PROTOCOL;
			goto fail;
		}
		if (xenapi_host_set_other_config(c->x, ref, KEY_MIGRATED, list,
		    &err) == -1)
			goto fail;
	}
	if (xenapi_host_set_other_config(c->x, ref, KEY_MAINT, "true",
	    &err) == -1)
		goto fail;
	job_finish(j, OUTCOME_OK, NULL, (int)n);
	goto done;
fail:
	job_fail(j, &err);
done:
	free(old);
	free(list);
	free(vms);
}

/* The VMs we stopped that HA was to keep running get the flag back. */
static void
ha_always_run_back(struct recipe_ctx *c, struct job *j, const char *ref)
{
	struct xenapi_error	 err;
	char			*list = NULL, *uuid, *save = NULL, vm[XENAPI_REF_LEN];
	int			 n = 0;

	if (xenapi_host_get_other_config(c->x, ref, KEY_HA_RUN, &list,
	    &err) == -1 || list[0] == '\0') {
		free(list);
		return;
	}
	for (uuid = strtok_r(list, ",", &save); uuid;
	    uuid = strtok_r(NULL, ",", &save))
		if (xenapi_vm_find(c->x, uuid, vm, &err) == 0 &&
		    xenapi_vm_set_ha_always_run(c->x, vm, 1, &err) == 0)
			n++;
	free(list);
	xenapi_host_remove_other_config(c->x, ref, KEY_HA_RUN, &err);
	rlog(c, LOG_NOTICE, "action=exit_maintenance host=%s ha_always_run="
	    "%d reason=\"HA protects the VMs stopped for the outage again\"",
	    j->host, n);
}

/*
 * Out of maintenance, as XenCenter and `xe host-enable` do it: the key
 * first (a running XenCenter disables a host that still has it), then
 * host.enable. A host that is not reachable yet, or whose xapi is still
 * starting (xapi_host.ml assert_startup_complete), is not back: BLOCKED,
 * asked again later, not a failure.
 */
static void
step_exit(struct recipe_ctx *c, struct job *j)
{
	static const char *const keys[] = { KEY_MIGRATED, KEY_HALTED,
	    KEY_SUSPENDED, NULL };
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];
	size_t			 i;

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_remove_other_config(c->x, ref, KEY_MAINT, &err) == -1)
		goto fail;
	for (i = 0; keys[i] &&
	    !__atomic_load_n(&c->restore_vms, __ATOMIC_RELAXED); i++)
		if (xenapi_host_remove_other_config(c->x, ref, keys[i],
		    &err) == -1)
			goto fail;
	if (xenapi_host_enable(c->x, ref, &err) == -1)
		goto fail;
	ha_always_run_back(c, j, ref);
	ha_restore(c);
	job_finish(j, OUTCOME_OK, NULL, 0);
	return;
fail:
	if (is_code(&err, "HOST_STILL_BOOTING") ||
	    is_code(&err, "CANNOT_CONTACT_HOST") ||
	    is_code(&err, "HOST_OFFLINE")) {
		job_finish(j, OUTCOME_BLOCKED, err.msg, 0);
		return;
	}
	job_fail(j, &err);
}

/* Whether `name` is in the comma-separated list. */
static int
listed(const char *list, const char *name)
{
	size_t	 n = strlen(name);
	const char *p;

	for (p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ==
	    ','))
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * The engine decided on a look that may be seconds old; HA or an operator
 * can have moved the master since, or a member come back. Look again and
 * let engine_poweroff_refusal judge: NULL when the pool still agrees,
 * why not, or "" when the look failed (err says why). Members the engine
 * knows are off (their power is gone) do not count as live, whatever
 * xapi believes: it keeps a dead member live for ten minutes
 * (xapi_globs.ml host_assumed_dead_interval).
 */
static const char *
shutdown_still_right(struct recipe_ctx *c, struct job *j, const char *ref,
    struct xenapi_error *err)
{
	struct xenapi_pool	 pool;
	struct action		 a = { 0 };
	char			 master[XENAPI_REF_LEN];
	const char		*why;
	size_t			 i;
	int			 is_master = 0, other_live = 0;

	a.as_master = j->as_master;
	/* A member's: one call. Thousands of hosts go down at once. */
	if (!j->as_master) {
		if (xenapi_pool_master(c->x, master, err) == -1)
			return "";
		return engine_poweroff_refusal(&a, strcmp(master, ref) == 0, 0);
	}
	if (xenapi_pool_hosts(c->x, &pool, err) == -1)
		return "";
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].ref, ref) == 0)
			is_master = pool.hosts[i].master;
		else if (pool.hosts[i].live &&
		    !listed(j->not_live, pool.hosts[i].name))
			other_live = 1;
	why = engine_poweroff_refusal(&a, is_master, other_live);
	xenapi_pool_clear(&pool);
	return why;
}

/* host.shutdown does not refuse running VMs: refuse them here. */
static void
step_shutdown(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	const char		*why;
	size_t			 n;

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_vms(c->x, ref, &vms, &n, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	free(vms);
	if (n > 0) {
		job_finish(j, OUTCOME_BLOCKED, "VMs still running", (int)n);
		return;
	}
	if ((why = shutdown_still_right(c, j, ref, &err)) != NULL) {
		if (why[0] == '\0')
			job_fail(j, &err);
		else
			job_finish(j, OUTCOME_STALE, why, 0);
		return;
	}
	if (xenapi_host_shutdown(c->x, ref, &err) == -1)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
}

static recipe_fn *const recipes[ACT_OP_COUNT] = {
	[ACT_REFRESH] = step_refresh,
	[ACT_DESIGNATE_MASTER] = step_designate,
	[ACT_DISABLE] = step_disable,
	[ACT_MARK] = step_mark,
	[ACT_EVACUATE] = step_evacuate,
	[ACT_STOP_VMS] = step_stop_vms,
	[ACT_SHUTDOWN] = step_shutdown,
	[ACT_WATCH] = step_watch,
	[ACT_EXIT_MAINTENANCE] = step_exit,
	[ACT_RESTORE_VMS] = step_restore,
	[ACT_HA_OFF] = step_ha_off,
	[ACT_HA_ON] = step_ha_on,
	[ACT_POWER_ON] = step_power_on,
	[ACT_START_VMS] = step_start_vms,
	/* ACT_CONFIRM: the main thread asks the cards. */
};

void
recipe_step(struct recipe_ctx *c, struct job *j)
{
	if ((unsigned)j->op >= ACT_OP_COUNT || recipes[j->op] == NULL) {
		job_finish(j, OUTCOME_PERMANENT, "not a pool action", 0);
		return;
	}
	recipes[j->op](c, j);
}

struct job *
job_new(const struct action *a, const char *host, double bound_ms)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->id = a->id;
	j->op = a->op;
	j->hard = a->hard;
	j->scope = a->scope;
	j->as_master = a->as_master;
	j->overdue = a->overdue;
	j->started = recipe_now_ms();
	j->deadline = j->started + bound_ms;
	snprintf(j->host, sizeof(j->host), "%s", host ? host : "");
	snprintf(j->target, sizeof(j->target), "%s",
	    a->target ? a->target : "");
	if ((a->targets && (j->targets = strdup(a->targets)) == NULL) ||
	    (a->not_live && (j->not_live = strdup(a->not_live)) == NULL)) {
		job_free(j);
		return NULL;
	}
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->targets);
	free(j->not_live);
	free(j->tasks);
	free(j);
}

void
recipe_ctx_clear(struct recipe_ctx *c)
{
	free(c->refs);
	c->refs = NULL;
	c->nrefs = 0;
}

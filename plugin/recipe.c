/*
 * The XenAPI recipes (recipe.h): what each kind of action is, call by
 * call, as XenCenter and xe do it (DESIGN.md "XenAPI").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recipe.h"

#define POLL_MS		100	/* how often a pending task is asked */
#define KEY_MAINT	"MAINTENANCE_MODE"
#define KEY_MIGRATED	"MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED"

typedef void	 recipe_fn(struct recipe_ctx *, struct job *);

double
recipe_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

static int
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

static void
job_fail(struct job *j, const struct xenapi_error *err)
{
	job_finish(j, xenapi_error_transient(err) ? OUTCOME_TRANSIENT :
	    OUTCOME_PERMANENT, err->msg, 0);
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

static void
step_refresh(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;

	if (xenapi_pool_get(c->x, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	report_facts(c, &pool);
	xenapi_pool_clear(&pool);
	job_finish(j, OUTCOME_OK, NULL, 0);
}

static void
step_watch(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	size_t			 i;
	int			 back = 0;

	if (xenapi_pool_get(c->x, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].name, j->host) == 0)
			back = pool.hosts[i].live && pool.hosts[i].enabled;
	report_facts(c, &pool);
	xenapi_pool_clear(&pool);
	job_finish(j, back ? OUTCOME_OK : OUTCOME_BLOCKED,
	    back ? NULL : "host not live yet", 0);
}

static void
step_disable(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_disable(c->x, ref, &err) == -1)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
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

/* Mark as XenCenter does, and record which VMs to bring back. */
static void
step_mark(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms = NULL;
	char			 ref[XENAPI_REF_LEN], old[8], *list = NULL;
	size_t			 n = 0, i, len;

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_get_other_config(c->x, ref, KEY_MIGRATED, old,
	    sizeof(old), &err) == -1 ||
	    xenapi_host_vms(c->x, ref, &vms, &n, &err) == -1)
		goto fail;
	/* A repeated mark must not shrink the list of a half-done move. */
	if (old[0] == '\0' && n > 0) {
		len = n * 40 + 1;
		if ((list = calloc(1, len)) == NULL)
			goto fail;
		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), len - strlen(list),
			    "%s%s", i ? "," : "", vms[i].uuid);
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
	free(list);
	free(vms);
}

static void
step_exit(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (host_ref(c, j->host, ref, &err) == -1 ||
	    xenapi_host_remove_other_config(c->x, ref, KEY_MAINT, &err) == -1 ||
	    (!__atomic_load_n(&c->restore_vms, __ATOMIC_RELAXED) &&
	    xenapi_host_remove_other_config(c->x, ref,
	    KEY_MIGRATED, &err) == -1) ||
	    xenapi_host_enable(c->x, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	job_finish(j, OUTCOME_OK, NULL, 0);
}

static int
tasks_alloc(struct job *j, size_t n)
{
	free(j->tasks);
	j->ntasks = 0;
	j->tasks = calloc(n ? n : 1, sizeof(*j->tasks));
	return j->tasks ? 0 : -1;
}

/*
 * Poll every pending task of a job. Returns 1 when all are done; failures
 * are counted and the last one kept in j->error.
 */
static int
tasks_poll(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	enum xenapi_task_status	 st;
	size_t			 i;
	int			 pending = 0;

	for (i = 0; i < j->ntasks; i++) {
		if (j->tasks[i][0] == '\0')
			continue;
		if (xenapi_task_poll(c->x, j->tasks[i], &st, &err) == -1) {
			pending++;	/* asked again at the next poll */
			continue;
		}
		if (st == XENAPI_TASK_PENDING) {
			pending++;
			continue;
		}
		if (st != XENAPI_TASK_SUCCESS) {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
		}
		xenapi_task_destroy(c->x, j->tasks[i], &err);
		j->tasks[i][0] = '\0';
	}
	j->next_poll = recipe_now_ms() + POLL_MS;
	return pending == 0;
}

void
recipe_cancel(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	size_t			 i;

	for (i = 0; i < j->ntasks; i++)
		if (j->tasks[i][0]) {
			xenapi_task_cancel(c->x, j->tasks[i], &err);
			xenapi_task_destroy(c->x, j->tasks[i], &err);
			j->tasks[i][0] = '\0';
		}
}

static void
step_evacuate(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	size_t			 n;

	if (j->phase == 1) {
		if (!tasks_poll(c, j))
			return;
		/* Something moved in the way (memory): retry, then blockers. */
		if (j->nfailed)
			job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		else
			job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (host_ref(c, j->host, ref, &err) == -1 || tasks_alloc(j, 1) == -1 ||
	    xenapi_host_current_task(c->x, ref, "evacuate", j->tasks[0],
	    &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->tasks[0][0] != '\0') {
		/* Started before a restart: follow that one, start none. */
		j->ntasks = 1;
		j->phase = 1;
		j->next_poll = recipe_now_ms() + POLL_MS / 4;
		return;
	}
	if (xenapi_host_blockers(c->x, ref, &vms, &n, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (n > 0) {
		snprintf(j->error, sizeof(j->error), "%s (%zu VMs cannot move)",
		    vms[0].reason, n);
		free(vms);
		job_finish(j, OUTCOME_BLOCKED, j->error, (int)n);
		return;
	}
	free(vms);
	if (xenapi_host_evacuate_async(c->x, ref, j->tasks[0], &err) == -1) {
		job_fail(j, &err);
		return;
	}
	j->ntasks = 1;
	j->phase = 1;
	j->next_poll = recipe_now_ms() + POLL_MS / 4;
}

static void
step_stop_vms(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	size_t			 n, i;
	int			 rc;

	if (j->phase == 1) {
		if (!tasks_poll(c, j))
			return;
		if (j->nfailed)
			job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		else
			job_finish(j, OUTCOME_OK, NULL, (int)j->ntasks);
		return;
	}
	if (host_ref(c, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	rc = j->scope == STOP_BLOCKERS ?
	    xenapi_host_blockers(c->x, ref, &vms, &n, &err) :
	    xenapi_host_vms(c->x, ref, &vms, &n, &err);
	if (rc == -1 || tasks_alloc(j, n) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < n; i++)
		if (xenapi_vm_shutdown_async(c->x, vms[i].ref, j->hard,
		    j->tasks[j->ntasks], &err) == 0)
			j->ntasks++;
		else if (strcmp(err.code, "VM_BAD_POWER_STATE") != 0) {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
		}
	free(vms);
	j->phase = 1;
	j->next_poll = recipe_now_ms() + POLL_MS / 4;
}

/*
 * The engine decided on a look that may be seconds old; HA or an operator
 * can have moved the master since, or a member come back. Look again and
 * let engine_poweroff_refusal judge: NULL when the pool still agrees,
 * why not, or "" when the look failed (err says why).
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
		else if (pool.hosts[i].live)
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

static int
start_restores(struct recipe_ctx *c, struct job *j, const char *ref,
    char *list)
{
	struct xenapi_error	 err;
	char			 vm[XENAPI_REF_LEN], *uuid, *save = NULL;
	size_t			 n = 1;
	const char		*p;

	for (p = list; *p; p++)
		n += *p == ',';
	if (tasks_alloc(j, n) == -1)
		return -1;
	for (uuid = strtok_r(list, ",", &save); uuid;
	    uuid = strtok_r(NULL, ",", &save)) {
		if (xenapi_vm_find(c->x, uuid, vm, &err) == 0 &&
		    xenapi_vm_migrate_async(c->x, vm, ref,
		    j->tasks[j->ntasks], &err) == 0)
			j->ntasks++;
		else {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
		}
	}
	return 0;
}

static void
step_restore(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], list[8192];

	if (host_ref(c, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->phase == 1) {
		if (!tasks_poll(c, j))
			return;
		xenapi_host_remove_other_config(c->x, ref, KEY_MIGRATED, &err);
		/* VMs that stay where they are still run: not a failure. */
		job_finish(j, OUTCOME_OK, j->nfailed ? j->error : NULL,
		    (int)(j->ntasks - j->nfailed));
		return;
	}
	if (xenapi_host_get_other_config(c->x, ref, KEY_MIGRATED, list,
	    sizeof(list), &err) == -1 || start_restores(c, j, ref, list) ==
	    -1) {
		job_fail(j, &err);
		return;
	}
	j->phase = 1;
	j->next_poll = recipe_now_ms() + POLL_MS / 4;
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
job_new(const struct action *a, const char *host)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->id = a->id;
	j->op = a->op;
	j->hard = a->hard;
	j->scope = a->scope;
	j->as_master = a->as_master;
	j->started = recipe_now_ms();
	snprintf(j->host, sizeof(j->host), "%s", host ? host : "");
	snprintf(j->target, sizeof(j->target), "%s",
	    a->target ? a->target : "");
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
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

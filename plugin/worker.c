/*
 * The pool worker: a queue of jobs from the main thread, each a small
 * state machine of XenAPI calls. A job that waits on a XenAPI task is
 * polled between the other jobs' calls.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "outbox.h"
#include "policy.h"
#include "thread.h"
#include "worker.h"
#include "xenapi.h"

#define POLL_MS		100	/* how often a pending task is asked */
#define IDLE_MS		1000
#define KEY_MAINT	"MAINTENANCE_MODE"
#define KEY_MIGRATED	"MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED"

struct job {
	struct job		*next;
	unsigned long		 id;
	enum action_op		 op;
	char			 host[128];
	char			 target[128];
	int			 hard;
	enum stop_scope		 scope;
	int			 as_master;
	int			 phase;
	double			 started;
	double			 next_poll;
	char			(*tasks)[XENAPI_REF_LEN];
	size_t			 ntasks;
	size_t			 nfailed;
	int			 done;
	int			 abandoned;
	enum action_outcome	 outcome;
	int			 count;
	char			 error[512];
};

struct hostref {
	char	 name[128];
	char	 ref[XENAPI_REF_LEN];
};

struct worker {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct job		*inbox;
	struct job		*active;
	volatile int		 stop;
	struct outbox		*ob;
	char			 pool[128];
	struct xenapi_config	 cfg;
	char			*url;
	char			*username;
	char			*password;
	char			*ca_file;
	char			*pins;
	int			 restore_vms;
	struct xenapi		*x;
	struct hostref		*refs;
	size_t			 nrefs;
};

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void __attribute__((format(printf, 3, 4)))
wlog(struct worker *w, int prio, const char *fmt, ...)
{
	struct wresult	*r;
	va_list		 ap;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->kind = WR_LOG;
	r->prio = prio;
	snprintf(r->pool, sizeof(r->pool), "%s", w->pool);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	outbox_post(w->ob, r);
}

static void
xenapi_warning(void *arg, const char *msg)
{
	struct worker	*w = arg;

	wlog(w, LOG_WARNING, "pool=%s %s", w->pool, msg);
}

/* Host refs by name_label, learnt from refreshes. */
static const char *
ref_cached(struct worker *w, const char *name)
{
	size_t	 i;

	for (i = 0; i < w->nrefs; i++)
		if (strcmp(w->refs[i].name, name) == 0)
			return w->refs[i].ref;
	return NULL;
}

static void
ref_remember(struct worker *w, const char *name, const char *ref)
{
	struct hostref	*nr;
	size_t		 i;

	for (i = 0; i < w->nrefs; i++)
		if (strcmp(w->refs[i].name, name) == 0) {
			snprintf(w->refs[i].ref, sizeof(w->refs[i].ref), "%s",
			    ref);
			return;
		}
	if ((nr = realloc(w->refs, (w->nrefs + 1) * sizeof(*nr))) == NULL)
		return;
	w->refs = nr;
	snprintf(nr[w->nrefs].name, sizeof(nr[0].name), "%s", name);
	snprintf(nr[w->nrefs].ref, sizeof(nr[0].ref), "%s", ref);
	w->nrefs++;
}

static int
host_ref(struct worker *w, const char *name, char *ref,
    struct xenapi_error *err)
{
	const char	*r = ref_cached(w, name);

	if (r) {
		snprintf(ref, XENAPI_REF_LEN, "%s", r);
		return 0;
	}
	if (xenapi_host_find(w->x, name, ref, err) == -1)
		return -1;
	ref_remember(w, name, ref);
	return 0;
}

static void
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

static void
post_facts(struct worker *w, const struct xenapi_pool *pool)
{
	struct wresult	*r;
	size_t		 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->kind = WR_FACTS;
	snprintf(r->pool, sizeof(r->pool), "%s", w->pool);
	r->ha = pool->ha_enabled;
	r->nmembers = pool->nhosts;
	r->members = calloc(pool->nhosts + 1, sizeof(*r->members));
	r->names = calloc(pool->nhosts + 1, sizeof(*r->names));
	if (r->members == NULL || r->names == NULL) {
		wresult_free(r);
		return;
	}
	for (i = 0; i < pool->nhosts; i++) {
		const struct xenapi_host *h = &pool->hosts[i];

		snprintf(r->names[i], sizeof(r->names[i]), "%s", h->name);
		r->members[i].name = r->names[i];
		r->members[i].live = h->live;
		r->members[i].enabled = h->enabled;
		r->members[i].master = h->master;
		r->members[i].marked = h->maintenance;
		r->members[i].nvms = h->nvms;
		r->members[i].evacuating = h->evacuating;
		ref_remember(w, h->name, h->ref);
	}
	outbox_post(w->ob, r);
}

static void
step_refresh(struct worker *w, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;

	if (xenapi_pool_get(w->x, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	post_facts(w, &pool);
	xenapi_pool_clear(&pool);
	job_finish(j, OUTCOME_OK, NULL, 0);
}

static void
step_watch(struct worker *w, struct job *j)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	size_t			 i;
	int			 back = 0;

	if (xenapi_pool_get(w->x, &pool, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < pool.nhosts; i++)
		if (strcmp(pool.hosts[i].name, j->host) == 0)
			back = pool.hosts[i].live && pool.hosts[i].enabled;
	post_facts(w, &pool);
	xenapi_pool_clear(&pool);
	job_finish(j, back ? OUTCOME_OK : OUTCOME_BLOCKED,
	    back ? NULL : "host not live yet", 0);
}

static void
step_simple(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];
	int			 rc;

	if (host_ref(w, j->op == ACT_DESIGNATE_MASTER ? j->target : j->host,
	    ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->op == ACT_DESIGNATE_MASTER)
		rc = xenapi_pool_designate_new_master(w->x, ref, &err);
	else
		rc = xenapi_host_disable(w->x, ref, &err);
	if (rc == -1)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
}

/* Mark as XenCenter does, and record which VMs to bring back. */
static void
step_mark(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms = NULL;
	char			 ref[XENAPI_REF_LEN], old[8], *list = NULL;
	size_t			 n = 0, i, len;

	if (host_ref(w, j->host, ref, &err) == -1 ||
	    xenapi_host_get_other_config(w->x, ref, KEY_MIGRATED, old,
	    sizeof(old), &err) == -1 ||
	    xenapi_host_vms(w->x, ref, &vms, &n, &err) == -1)
		goto fail;
	/* A repeated mark must not shrink the list of a half-done move. */
	if (old[0] == '\0' && n > 0) {
		len = n * 40 + 1;
		if ((list = calloc(1, len)) == NULL)
			goto fail;
		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), len - strlen(list),
			    "%s%s", i ? "," : "", vms[i].uuid);
		if (xenapi_host_set_other_config(w->x, ref, KEY_MIGRATED, list,
		    &err) == -1)
			goto fail;
	}
	if (xenapi_host_set_other_config(w->x, ref, KEY_MAINT, "true",
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
step_exit(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (host_ref(w, j->host, ref, &err) == -1 ||
	    xenapi_host_remove_other_config(w->x, ref, KEY_MAINT, &err) == -1 ||
	    (!__atomic_load_n(&w->restore_vms, __ATOMIC_RELAXED) &&
	    xenapi_host_remove_other_config(w->x, ref,
	    KEY_MIGRATED, &err) == -1) ||
	    xenapi_host_enable(w->x, ref, &err) == -1) {
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
tasks_poll(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	enum xenapi_task_status	 st;
	size_t			 i;
	int			 pending = 0;

	for (i = 0; i < j->ntasks; i++) {
		if (j->tasks[i][0] == '\0')
			continue;
		if (xenapi_task_poll(w->x, j->tasks[i], &st, &err) == -1) {
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
		xenapi_task_destroy(w->x, j->tasks[i], &err);
		j->tasks[i][0] = '\0';
	}
	j->next_poll = now_ms() + POLL_MS;
	return pending == 0;
}

static void
tasks_cancel(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	size_t			 i;

	for (i = 0; i < j->ntasks; i++)
		if (j->tasks[i][0]) {
			xenapi_task_cancel(w->x, j->tasks[i], &err);
			xenapi_task_destroy(w->x, j->tasks[i], &err);
			j->tasks[i][0] = '\0';
		}
}

static void
step_evacuate(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	size_t			 n;

	if (j->phase == 1) {
		if (!tasks_poll(w, j))
			return;
		/* Something moved in the way (memory): retry, then blockers. */
		if (j->nfailed)
			job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		else
			job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (host_ref(w, j->host, ref, &err) == -1 || tasks_alloc(j, 1) == -1 ||
	    xenapi_host_current_task(w->x, ref, "evacuate", j->tasks[0],
	    &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->tasks[0][0] != '\0') {
		/* Started before a restart: follow that one, start none. */
		j->ntasks = 1;
		j->phase = 1;
		j->next_poll = now_ms() + POLL_MS / 4;
		return;
	}
	if (xenapi_host_blockers(w->x, ref, &vms, &n, &err) == -1) {
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
	if (xenapi_host_evacuate_async(w->x, ref, j->tasks[0], &err) == -1) {
		job_fail(j, &err);
		return;
	}
	j->ntasks = 1;
	j->phase = 1;
	j->next_poll = now_ms() + POLL_MS / 4;
}

static void
step_stop_vms(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	size_t			 n, i;
	int			 rc;

	if (j->phase == 1) {
		if (!tasks_poll(w, j))
			return;
		if (j->nfailed)
			job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		else
			job_finish(j, OUTCOME_OK, NULL, (int)j->ntasks);
		return;
	}
	if (host_ref(w, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	rc = j->scope == STOP_BLOCKERS ?
	    xenapi_host_blockers(w->x, ref, &vms, &n, &err) :
	    xenapi_host_vms(w->x, ref, &vms, &n, &err);
	if (rc == -1 || tasks_alloc(j, n) == -1) {
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < n; i++)
		if (xenapi_vm_shutdown_async(w->x, vms[i].ref, j->hard,
		    j->tasks[j->ntasks], &err) == 0)
			j->ntasks++;
		else if (strcmp(err.code, "VM_BAD_POWER_STATE") != 0) {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
		}
	free(vms);
	j->phase = 1;
	j->next_poll = now_ms() + POLL_MS / 4;
}

/*
 * The engine decided on a look that may be seconds old; HA or an operator
 * can have moved the master since, or a member come back. Look again and
 * let engine_poweroff_refusal judge: NULL when the pool still agrees,
 * why not, or "" when the look failed (err says why).
 */
static const char *
shutdown_still_right(struct worker *w, struct job *j, const char *ref,
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
		if (xenapi_pool_master(w->x, master, err) == -1)
			return "";
		return engine_poweroff_refusal(&a, strcmp(master, ref) == 0, 0);
	}
	if (xenapi_pool_hosts(w->x, &pool, err) == -1)
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
step_shutdown(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	char			 ref[XENAPI_REF_LEN];
	const char		*why;
	size_t			 n;

	if (host_ref(w, j->host, ref, &err) == -1 ||
	    xenapi_host_vms(w->x, ref, &vms, &n, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	free(vms);
	if (n > 0) {
		job_finish(j, OUTCOME_BLOCKED, "VMs still running", (int)n);
		return;
	}
	if ((why = shutdown_still_right(w, j, ref, &err)) != NULL) {
		if (why[0] == '\0')
			job_fail(j, &err);
		else
			job_finish(j, OUTCOME_STALE, why, 0);
		return;
	}
	if (xenapi_host_shutdown(w->x, ref, &err) == -1)
		job_fail(j, &err);
	else
		job_finish(j, OUTCOME_OK, NULL, 0);
}

static int
start_restores(struct worker *w, struct job *j, const char *ref,
    char *list)
{
	struct xenapi_error	 err;
	char			 vm[XENAPI_REF_LEN], *uuid, *save = NULL;
	size_t			 n = 1;
	const char		*c;

	for (c = list; *c; c++)
		n += *c == ',';
	if (tasks_alloc(j, n) == -1)
		return -1;
	for (uuid = strtok_r(list, ",", &save); uuid;
	    uuid = strtok_r(NULL, ",", &save)) {
		if (xenapi_vm_find(w->x, uuid, vm, &err) == 0 &&
		    xenapi_vm_migrate_async(w->x, vm, ref,
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
step_restore(struct worker *w, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], list[8192];

	if (host_ref(w, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->phase == 1) {
		if (!tasks_poll(w, j))
			return;
		xenapi_host_remove_other_config(w->x, ref, KEY_MIGRATED, &err);
		/* VMs that stay where they are still run: not a failure. */
		job_finish(j, OUTCOME_OK, j->nfailed ? j->error : NULL,
		    (int)(j->ntasks - j->nfailed));
		return;
	}
	if (xenapi_host_get_other_config(w->x, ref, KEY_MIGRATED, list,
	    sizeof(list), &err) == -1 || start_restores(w, j, ref, list) ==
	    -1) {
		job_fail(j, &err);
		return;
	}
	j->phase = 1;
	j->next_poll = now_ms() + POLL_MS / 4;
}

static void
job_step(struct worker *w, struct job *j)
{
	switch (j->op) {
	case ACT_REFRESH:
		step_refresh(w, j);
		break;
	case ACT_WATCH:
		step_watch(w, j);
		break;
	case ACT_DESIGNATE_MASTER:
	case ACT_DISABLE:
		step_simple(w, j);
		break;
	case ACT_MARK:
		step_mark(w, j);
		break;
	case ACT_EVACUATE:
		step_evacuate(w, j);
		break;
	case ACT_STOP_VMS:
		step_stop_vms(w, j);
		break;
	case ACT_SHUTDOWN:
		step_shutdown(w, j);
		break;
	case ACT_EXIT_MAINTENANCE:
		step_exit(w, j);
		break;
	case ACT_RESTORE_VMS:
		step_restore(w, j);
		break;
	case ACT_CONFIRM:	/* the main thread asks the cards */
	case ACT_OP_COUNT:
		job_finish(j, OUTCOME_PERMANENT, "not a pool action", 0);
		break;
	}
}

static void
post_result(struct worker *w, struct job *j)
{
	struct wresult	*r;

	if (j->abandoned || (j->op == ACT_REFRESH && j->outcome == OUTCOME_OK))
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->kind = WR_RESULT;
	snprintf(r->pool, sizeof(r->pool), "%s", w->pool);
	r->id = j->id;
	r->op = j->op;
	snprintf(r->host, sizeof(r->host), "%s", j->host);
	r->outcome = j->outcome;
	snprintf(r->error, sizeof(r->error), "%s", j->error);
	r->count = j->count;
	r->ms = now_ms() - j->started;
	outbox_post(w->ob, r);
}

static void
job_free(struct job *j)
{
	free(j->tasks);
	free(j);
}

/* A new action for a host supersedes the old one (a hard VM stop after a
 * clean one): its tasks are cancelled and its answer never sent. */
static void
supersede(struct worker *w, const struct job *nj)
{
	struct job	*j;

	if (nj->host[0] == '\0')
		return;
	for (j = w->active; j; j = j->next)
		if (!j->done && strcmp(j->host, nj->host) == 0 &&
		    j->op != ACT_REFRESH && j->op != ACT_WATCH) {
			tasks_cancel(w, j);
			j->abandoned = 1;
			j->done = 1;
		}
}

static void
take_inbox(struct worker *w)
{
	struct job	*in, *j, *next, **tail;

	pthread_mutex_lock(&w->mu);
	in = w->inbox;
	w->inbox = NULL;
	pthread_mutex_unlock(&w->mu);
	for (tail = &w->active; *tail; tail = &(*tail)->next)
		continue;
	for (j = in; j; j = next) {
		next = j->next;
		j->next = NULL;
		supersede(w, j);
		*tail = j;
		tail = &j->next;
	}
}

/* Run what can run now; returns ms until a task wants polling. */
static double
run_active(struct worker *w)
{
	struct job	**jp, *j;
	double		 wait = IDLE_MS, t;

	for (jp = &w->active; (j = *jp) != NULL && !w->stop;) {
		if (!j->done && now_ms() >= j->next_poll)
			job_step(w, j);
		if (j->done) {
			post_result(w, j);
			*jp = j->next;
			job_free(j);
			continue;
		}
		t = j->next_poll - now_ms();
		if (t < wait)
			wait = t;
		jp = &j->next;
	}
	return wait;
}

static void
wait_for_work(struct worker *w, double ms)
{
	struct timespec	 ts;
	long		 ns;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = ts.tv_nsec + (long)(ms * 1e6);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	pthread_mutex_lock(&w->mu);
	if (w->inbox == NULL && !w->stop)
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	pthread_mutex_unlock(&w->mu);
}

/* Whatever was not finished is answered, so the engine retries it. */
static void
answer_unfinished(struct worker *w)
{
	struct job	*j, *next;

	take_inbox(w);
	for (j = w->active; j; j = next) {
		next = j->next;
		if (!j->done)
			job_finish(j, OUTCOME_TRANSIENT, "worker stopped", 0);
		post_result(w, j);
		job_free(j);
	}
	w->active = NULL;
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct xenapi	*x = xenapi_new(&w->cfg, xenapi_warning, w);

	pthread_mutex_lock(&w->mu);
	w->x = x;
	pthread_mutex_unlock(&w->mu);
	if (w->x == NULL)
		wlog(w, LOG_ERR, "pool=%s cannot set up a XenAPI connection "
		    "to %s", w->pool, w->url);
	else
		xenapi_set_abort(w->x, &w->stop);
	while (!w->stop) {
		take_inbox(w);
		if (w->x == NULL) {
			answer_unfinished(w);
			wait_for_work(w, IDLE_MS);
			continue;
		}
		wait_for_work(w, run_active(w));
	}
	answer_unfinished(w);
	if (w->x) {
		xenapi_set_abort(w->x, NULL);
		pthread_mutex_lock(&w->mu);
		x = w->x;
		w->x = NULL;	/* worker_stop no longer wakes it */
		pthread_mutex_unlock(&w->mu);
		xenapi_free(x);	/* logs out */
	}
	return NULL;
}

static char *
read_secret(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		 buf[1024], *s;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1 || (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s is world-readable: refused (chmod "
		    "600)", path);
		fclose(f);
		return NULL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "%s is empty", path);
		return NULL;
	}
	s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return s;
}

static char *
join_pins(const struct policy_tls *t)
{
	size_t	 i, len = 1;
	char	*s;

	if (t->npins == 0)
		return NULL;
	for (i = 0; i < t->npins; i++)
		len += strlen(t->pins[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < t->npins; i++) {
		if (i)
			strcat(s, ";");
		strcat(s, t->pins[i]);
	}
	return s;
}

/* The main thread changes it on reload while the worker runs. */
void
worker_set_pool(struct worker *w, const struct policy_pool *pl)
{
	__atomic_store_n(&w->restore_vms, pl->on_restore == POLICY_RESTORE_VMS,
	    __ATOMIC_RELAXED);
}

static int
worker_config(struct worker *w, const struct policy_pool *pl, char *err,
    size_t errlen)
{
	snprintf(w->pool, sizeof(w->pool), "%s", pl->name);
	if ((w->password = read_secret(pl->password_file, err, errlen)) ==
	    NULL)
		return -1;
	w->url = strdup(pl->url);
	w->username = strdup(pl->username);
	w->ca_file = pl->tls.ca_file ? strdup(pl->tls.ca_file) : NULL;
	w->pins = join_pins(&pl->tls);
	if (w->url == NULL || w->username == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->cfg.url = w->url;
	w->cfg.username = w->username;
	w->cfg.password = w->password;
	w->cfg.ca_file = w->ca_file;
	w->cfg.pins = w->pins;
	/* A pin alone trusts that key, whoever signed it (as XenCenter). */
	w->cfg.verify = pl->tls.verify && (pl->tls.ca_file || !w->pins);
	w->cfg.verify_name = pl->tls.verify_name;
	w->cfg.timeout_ms = (long)(pl->call_timeout * 1000);
	w->cfg.connect_timeout_ms = w->cfg.timeout_ms < 5000 ?
	    w->cfg.timeout_ms : 5000;
	worker_set_pool(w, pl);
	return 0;
}

static void
config_clear(struct worker *w)
{
	if (w->password) {
		explicit_bzero(w->password, strlen(w->password));
		free(w->password);
	}
	free(w->url);
	free(w->username);
	free(w->ca_file);
	free(w->pins);
	w->password = w->url = w->username = w->ca_file = w->pins = NULL;
}

static void
worker_free(struct worker *w)
{
	config_clear(w);
	free(w->refs);
	free(w);
}

struct worker *
worker_start(const struct policy_pool *pl, struct outbox *ob, char *err,
    size_t errlen)
{
	struct worker	*w;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->ob = ob;
	if (worker_config(w, pl, err, errlen) == -1) {
		worker_free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((rc = thread_start(&w->thread, worker_main, w)) != 0) {
		snprintf(err, errlen, "cannot start a thread: %s",
		    strerror(rc));
		worker_free(w);
		return NULL;
	}
	return w;
}

void
worker_submit(struct worker *w, const struct action *a, const char *host)
{
	struct job	*j, **tail;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->id = a->id;
	j->op = a->op;
	j->hard = a->hard;
	j->scope = a->scope;
	j->as_master = a->as_master;
	j->started = now_ms();
	snprintf(j->host, sizeof(j->host), "%s", host ? host : "");
	snprintf(j->target, sizeof(j->target), "%s",
	    a->target ? a->target : "");
	pthread_mutex_lock(&w->mu);
	for (tail = &w->inbox; *tail; tail = &(*tail)->next)
		continue;
	*tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
worker_stop_begin(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	if (!w->stop) {
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		/* A request in progress ends now; the logout that follows
		 * must not be cut short by a second wakeup. */
		xenapi_wakeup(w->x);
	}
	pthread_mutex_unlock(&w->mu);
}

void
worker_stop(struct worker *w)
{
	if (w == NULL)
		return;
	worker_stop_begin(w);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	worker_free(w);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int
worker_same_pool(const struct worker *w, const struct policy_pool *pl)
{
	struct worker	 tmp;
	char		 err[256];
	int		 same;

	memset(&tmp, 0, sizeof(tmp));
	if (worker_config(&tmp, pl, err, sizeof(err)) == -1) {
		config_clear(&tmp);
		return 0;
	}
	same = strcmp(w->pool, tmp.pool) == 0 && same_str(w->url, tmp.url) &&
	    same_str(w->username, tmp.username) &&
	    same_str(w->password, tmp.password) &&
	    same_str(w->ca_file, tmp.ca_file) && same_str(w->pins, tmp.pins) &&
	    w->cfg.verify == tmp.cfg.verify &&
	    w->cfg.verify_name == tmp.cfg.verify_name &&
	    w->cfg.timeout_ms == tmp.cfg.timeout_ms;
	config_clear(&tmp);
	return same;
}

/*
 * The pool worker: a thread that owns the pool's XenAPI connection, and
 * a queue of jobs from the main thread, each stepped through its recipe
 * (recipe.c). A job that waits on a XenAPI task is polled between the
 * other jobs' calls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "conn.h"
#include "outbox.h"
#include "policy.h"
#include "recipe.h"
#include "thread.h"
#include "worker.h"
#include "xenapi.h"

#define IDLE_MS		1000

struct worker {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct job		*inbox;
	struct job		*active;
	volatile int		 stop;
	struct outbox		*ob;
	char			 pool[128];
	struct conn		 conn;
	struct recipe_ctx	 rc;
	double			 bound_ms;	/* task_timeout; main thread */
};

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

/* A recipe's line for snmptrapd's log. */
static void
post_log(void *arg, int prio, const char *text)
{
	struct worker	*w = arg;

	wlog(w, prio, "pool=%s %s", w->pool, text);
}

/* The recipes' look at the pool, for the engine. */
static void
post_facts(void *arg, const struct xenapi_pool *pool)
{
	struct worker	*w = arg;
	struct wresult	*r;
	size_t		 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->kind = WR_FACTS;
	snprintf(r->pool, sizeof(r->pool), "%s", w->pool);
	r->ha = pool->ha_enabled;
	r->ha_off = pool->ha_off;
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
		r->members[i].can_power_on = h->power_on;
	}
	outbox_post(w->ob, r);
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
	r->ms = recipe_now_ms() - j->started;
	outbox_post(w->ob, r);
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
			recipe_cancel(&w->rc, j);
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

/*
 * Nothing waits for ever: a task that hangs (a guest ignoring its
 * shutdown, an evacuation stuck in xapi) is cancelled after the pool's
 * task_timeout, and the action answered as a failed try.
 */
static void
overdue(struct worker *w, struct job *j)
{
	recipe_cancel(&w->rc, j);
	snprintf(j->error, sizeof(j->error), "no outcome within %.0f s "
	    "(task_timeout): cancelled", (j->deadline - j->started) / 1000);
	job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
}

/* Run what can run now; returns ms until a task wants polling. */
static double
run_active(struct worker *w)
{
	struct job	**jp, *j;
	double		 wait = IDLE_MS, t;

	for (jp = &w->active; (j = *jp) != NULL && !w->stop;) {
		if (!j->done && recipe_now_ms() >= j->deadline)
			overdue(w, j);
		else if (!j->done && recipe_now_ms() >= j->next_poll)
			recipe_step(&w->rc, j);
		if (j->done) {
			post_result(w, j);
			*jp = j->next;
			job_free(j);
			continue;
		}
		t = j->next_poll - recipe_now_ms();
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
	struct xenapi	*x = xenapi_new(&w->conn.cfg, xenapi_warning, w);

	pthread_mutex_lock(&w->mu);
	w->rc.x = x;
	pthread_mutex_unlock(&w->mu);
	if (w->rc.x == NULL)
		wlog(w, LOG_ERR, "pool=%s cannot set up a XenAPI connection "
		    "to %s", w->pool, w->conn.url);
	else
		xenapi_set_abort(w->rc.x, &w->stop);
	while (!w->stop) {
		take_inbox(w);
		if (w->rc.x == NULL) {
			answer_unfinished(w);
			wait_for_work(w, IDLE_MS);
			continue;
		}
		wait_for_work(w, run_active(w));
	}
	answer_unfinished(w);
	if (w->rc.x) {
		xenapi_set_abort(w->rc.x, NULL);
		pthread_mutex_lock(&w->mu);
		x = w->rc.x;
		w->rc.x = NULL;	/* worker_stop no longer wakes it */
		pthread_mutex_unlock(&w->mu);
		xenapi_free(x);	/* logs out */
	}
	return NULL;
}

/* The main thread changes it on reload while the worker runs. */
void
worker_set_pool(struct worker *w, const struct policy_pool *pl)
{
	__atomic_store_n(&w->rc.restore_vms, pl->on_restore == POLICY_RESTORE_VMS,
	    __ATOMIC_RELAXED);
	/* Read by worker_submit, on the main thread too. */
	w->bound_ms = pl->task_timeout * 1000;
}

static void
worker_free(struct worker *w)
{
	conn_clear(&w->conn);
	recipe_ctx_clear(&w->rc);
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
	if (conn_load(&w->conn, pl, err, errlen) == -1) {
		worker_free(w);
		return NULL;
	}
	snprintf(w->pool, sizeof(w->pool), "%s", pl->name);
	w->rc.facts = post_facts;
	w->rc.log = post_log;
	w->rc.arg = w;
	worker_set_pool(w, pl);
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

	if ((j = job_new(a, host, w->bound_ms)) == NULL)
		return;
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
		xenapi_wakeup(w->rc.x);
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

int
worker_same_pool(const struct worker *w, const struct policy_pool *pl)
{
	struct conn	 c;
	char		 err[256];
	int		 same;

	if (conn_load(&c, pl, err, sizeof(err)) == -1) {
		conn_clear(&c);
		return 0;
	}
	same = conn_same(&w->conn, &c);
	conn_clear(&c);
	return same;
}

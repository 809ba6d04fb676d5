/*
 * One worker thread per pool: it owns the pool's XenAPI connection and
 * runs the engine's actions on it. Long XenAPI tasks (evacuations, VM
 * shutdowns, migrations) are polled, so one slow evacuation never holds
 * back another host's shutdown in the same pool. Workers make no net-snmp
 * call: everything they say goes through the outbox.
 */
#ifndef UPSXEN_WORKER_H
#define UPSXEN_WORKER_H

#include "engine.h"

struct outbox;
struct policy_pool;
struct worker;

/* Reads the password file; on failure *err says why and NULL is returned. */
struct worker	*worker_start(const struct policy_pool *, struct outbox *,
		    char *, size_t);
void		 worker_submit(struct worker *, const struct action *,
		    const char *);
/* Stops within a second: requests in progress are aborted, the session
 * logged out, and every action not finished is answered as transient.
 * worker_stop_begin only asks, so that many workers log out at once;
 * worker_stop then waits for it and frees the worker. */
void		 worker_stop_begin(struct worker *);
void		 worker_stop(struct worker *);
/* Whether a reloaded pool can keep this worker (same connection). */
int		 worker_same_pool(const struct worker *,
		    const struct policy_pool *);
void		 worker_set_pool(struct worker *, const struct policy_pool *);

#endif

/*
 * Answers from the threads into the engine (intake.h).
 */
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/fd_event_manager.h>

#include "clock.h"
#include "engine.h"
#include "intake.h"
#include "log.h"
#include "policy.h"
#include "pump.h"
#include "trim.h"
#include "upsxen.h"

static void
take_result(struct wresult *r, double now)
{
	struct action_result	 ar;
	int			 prio;

	ar.outcome = r->outcome;
	ar.error = r->error[0] ? r->error : NULL;
	ar.count = r->count;
	prio = r->outcome == OUTCOME_OK || r->outcome == OUTCOME_BLOCKED ?
	    LOG_NOTICE : LOG_WARNING;
	if (!action_result_quiet(r->op, r->outcome))
		plog(prio, "action=%s pool=%s host=%s result=%s ms=%.1f%s%s%s",
		    action_op_name(r->op), r->pool, r->host[0] ? r->host : "-",
		    action_outcome_name(r->outcome), r->ms,
		    ar.error ? " error=\"" : "", ar.error ? ar.error : "",
		    ar.error ? "\"" : "");
	if (engine_on_result(ux.engine, r->id, &ar, now) == -1)
		plog(LOG_INFO, "action=%s pool=%s host=%s result=ignored "
		    "reason=\"no longer waited for\"", action_op_name(r->op),
		    r->pool, r->host);
}

static void
take_facts(struct wresult *r, double now)
{
	struct pool_facts	 f;
	long			 pi = policy_pool_index(ux.policy, r->pool);

	if (pi < 0)
		return;
	f.ha_enabled = r->ha;
	f.ha_off = r->ha_off;
	f.nmembers = r->nmembers;
	f.members = r->members;
	engine_on_pool_facts(ux.engine, (size_t)pi, &f, now);
}

static void
ready(int fd, void *arg)
{
	struct wresult	*r, *next;
	double		 now = clock_now();

	(void)fd;
	(void)arg;
	for (r = outbox_take(&ux.ob); r; r = next) {
		next = r->next;
		trim_busy();
		if (r->kind == WR_LOG)
			plog(r->prio, "%s", r->text);
		else if (r->kind == WR_FACTS && ux.engine)
			take_facts(r, now);
		else if (ux.engine)
			take_result(r, now);
		wresult_free(r);
	}
	pump();
}

int
intake_open(void)
{
	return register_readfd(ux.ob.rfd, ready, NULL) == 0 ? 0 : -1;
}

void
intake_close(void)
{
	unregister_readfd(ux.ob.rfd);
}

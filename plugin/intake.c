/*
 * Answers from the threads into the engine (intake.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The hosts already told of, "pool/host": once per run each. */
static struct {
	char	**names;
	size_t	  n;
} told;

static int
told_once(const char *pool, const char *host)
{
	char	 key[512], **nn;
	size_t	 i;

	snprintf(key, sizeof(key), "%s/%s", pool, host);
	for (i = 0; i < told.n; i++)
		if (strcmp(told.names[i], key) == 0)
			return 1;
	if ((nn = realloc(told.names, (told.n + 1) * sizeof(*nn))) == NULL)
		return 1;
	told.names = nn;
	if ((told.names[told.n] = strdup(key)) == NULL)
		return 1;
	told.n++;
	return 0;
}

/*
 * A host upsxen may power off but the pool cannot wake is said at the
 * first look, not found out after an outage: its UPS may never cut the
 * output, and then nothing starts it again.
 */
static void
check_power_on(size_t pool, const struct wresult *r)
{
	const struct policy_pool	*pl = &ux.policy->pools[pool];
	const struct policy_host	*h;
	size_t				 i, k;

	if (!pl->power_on)
		return;
	for (i = 0; i < r->nmembers; i++) {
		if (r->members[i].can_power_on)
			continue;
		for (k = pl->first_host; k < pl->first_host + pl->nhosts; k++) {
			h = &ux.policy->hosts[k];
			if (!h->has_shutdown || strcmp(h->name,
			    r->members[i].name) != 0 || told_once(pl->name,
			    h->name))
				continue;
			plog(LOG_WARNING, "pool=%s host=%s power_on_mode is "
			    "not set: after upsxen powers it off, nothing can "
			    "power it on if its UPS never cut the output (set "
			    "wake-on-LAN or IPMI: XenCenter, the host's "
			    "Properties, Power On; or power_on_after false)",
			    pl->name, h->name);
		}
	}
}

static void
take_facts(struct wresult *r, double now)
{
	struct pool_facts	 f;
	long			 pi = policy_pool_index(ux.policy, r->pool);

	if (pi < 0)
		return;
	check_power_on((size_t)pi, r);
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
	size_t	 i;

	unregister_readfd(ux.ob.rfd);
	for (i = 0; i < told.n; i++)
		free(told.names[i]);
	free(told.names);
	memset(&told, 0, sizeof(told));
}

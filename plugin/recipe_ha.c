/*
 * The pool's HA around an outage. One host at a time: with HA on,
 * disabling or evacuating a host is refused when it would break the
 * failover plan (xapi_ha_vm_failover.ml), so the failures to tolerate are
 * lowered first, as XenCenter does (HostAbstractAction.cs), and raised
 * again when no host is left in maintenance. The whole pool: hosts
 * self-fence when storage or network goes away, so HA is turned off
 * before the last hosts go, and on again when the pool is back.
 *
 * What was changed is written in the pool's own other_config, so that a
 * restart of upsxen, or another receiver, puts it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "recipe_int.h"

/* ntol down to one less than the pool could tolerate, never below 0. */
int
ha_make_room(struct recipe_ctx *c, const char *host, struct xenapi_error *err)
{
	struct xenapi_ha	 ha;
	long long		 max, target;
	char			*old = NULL, num[32];
	int			 rc = -1;

	if (xenapi_pool_ha(c->x, &ha, err) == -1)
		return -1;
	if (!ha.enabled || ha.overcommit)
		return 0;
	if (xenapi_pool_ha_max(c->x, &max, err) == -1)
		return -1;
	target = max > 0 ? max - 1 : 0;
	if (ha.ntol <= target)
		return 0;
	/* The first lowering remembers what the operator had set. */
	if (xenapi_oc_get(c->x, "pool", ha.pool, KEY_HA_NTOL, &old, err) == -1)
		return -1;
	snprintf(num, sizeof(num), "%lld", ha.ntol);
	if ((old[0] != '\0' || xenapi_oc_set(c->x, "pool", ha.pool,
	    KEY_HA_NTOL, num, err) == 0) &&
	    xenapi_pool_set_ntol(c->x, ha.pool, target, err) == 0) {
		rlog(c, LOG_NOTICE, "action=ha_tolerate host=%s from=%lld "
		    "to=%lld reason=\"HA would refuse to let the host go: "
		    "failures to tolerate lowered, as XenCenter does\"", host,
		    ha.ntol, target);
		rc = 0;
	}
	free(old);
	return rc;
}

/* Whether a host of the pool is still in maintenance (disabled, marked). */
static int
any_in_maintenance(struct recipe_ctx *c, struct xenapi_error *err)
{
	struct xenapi_pool	 pool;
	size_t			 i;
	int			 any = 0;

	if (xenapi_pool_hosts(c->x, &pool, err) == -1)
		return -1;
	for (i = 0; i < pool.nhosts; i++)
		if (pool.hosts[i].maintenance || !pool.hosts[i].enabled)
			any = 1;
	xenapi_pool_clear(&pool);
	return any;
}

/* ntol back to what it was, or as near as the pool can tolerate now. */
void
ha_restore(struct recipe_ctx *c)
{
	struct xenapi_error	 err;
	struct xenapi_ha	 ha;
	long long		 want, max;
	char			*old = NULL, *end;

	if (xenapi_pool_ha(c->x, &ha, &err) == -1 ||
	    xenapi_oc_get(c->x, "pool", ha.pool, KEY_HA_NTOL, &old, &err) ==
	    -1 || old[0] == '\0')
		goto done;
	want = strtoll(old, &end, 10);
	if (*end != '\0' || want < 0 || any_in_maintenance(c, &err) != 0)
		goto done;
	if (ha.enabled && xenapi_pool_ha_max(c->x, &max, &err) == 0 &&
	    max < want)
		want = max;
	if (ha.enabled && want > ha.ntol &&
	    xenapi_pool_set_ntol(c->x, ha.pool, want, &err) == -1) {
		rlog(c, LOG_WARNING, "action=ha_tolerate to=%lld result=failed "
		    "error=\"%s\"", want, err.msg);
		goto done;
	}
	xenapi_oc_remove(c->x, "pool", ha.pool, KEY_HA_NTOL, &err);
	rlog(c, LOG_NOTICE, "action=ha_tolerate to=%lld reason=\"no host in "
	    "maintenance any more: HA's failures to tolerate restored\"",
	    want);
done:
	free(old);
}

/* HA off for the whole pool, its heartbeat SRs remembered. */
void
step_ha_off(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_ha	 ha;
	char			 srs[1024];

	if (xenapi_pool_ha(c->x, &ha, &err) == -1)
		goto fail;
	if (!ha.enabled) {
		job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (xenapi_pool_ha_srs(c->x, srs, sizeof(srs), &err) == -1 ||
	    xenapi_oc_set(c->x, "pool", ha.pool, KEY_HA_OFF, srs[0] ? srs :
	    "-", &err) == -1 || xenapi_pool_ha_disable(c->x, &err) == -1)
		goto fail;
	job_finish(j, OUTCOME_OK, NULL, 0);
	return;
fail:
	job_fail(j, &err);
}

/* HA on again, on the heartbeat SRs it had. */
void
step_ha_on(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct xenapi_ha	 ha;
	char			*srs = NULL;

	if (xenapi_pool_ha(c->x, &ha, &err) == -1 ||
	    xenapi_oc_get(c->x, "pool", ha.pool, KEY_HA_OFF, &srs, &err) == -1)
		goto fail;
	if (!ha.enabled && srs[0] != '\0' && strcmp(srs, "-") != 0 &&
	    xenapi_pool_ha_enable(c->x, srs, &err) == -1)
		goto fail;
	if (xenapi_oc_remove(c->x, "pool", ha.pool, KEY_HA_OFF, &err) == -1)
		goto fail;
	free(srs);
	job_finish(j, OUTCOME_OK, NULL, 0);
	return;
fail:
	free(srs);
	job_fail(j, &err);
}

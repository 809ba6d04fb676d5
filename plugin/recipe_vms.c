/*
 * The recipes that move and stop VMs: evacuating a host (xapi's own
 * host.evacuate, or one VM at a time onto hosts the engine chose),
 * stopping the VMs that cannot move, and bringing them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "recipe_int.h"

/* Phases of an evacuation. */
#define EV_START	0
#define EV_WAIT		1	/* host.evacuate's task */
#define EV_PLACE	2	/* one VM at a time onto the targets */
#define EV_MOVING	3	/* that VM's migration */

/*
 * What keeps a VM itself from moving, wherever it would go; the rest of
 * the evacuation plan's reasons (memory, a target not live, no target)
 * are about the targets xapi counted (xapi_host.ml).
 */
static int
intrinsic(const char *reason)
{
	static const char *const codes[] = { "VM_HAS_PCI_ATTACHED",
	    "VM_HAS_VGPU", "VM_HAS_VUSBS", "VM_LACKS_FEATURE",
	    "VM_MISSING_PV_DRIVERS", "VM_REQUIRES_SR", "VM_BAD_POWER_STATE",
	    "VM_IS_IMMOBILE", "HOST_EVACUATE_VM_NOT_HA_PROTECTED", NULL };
	size_t	 i;

	for (i = 0; codes[i]; i++)
		if (strcmp(reason, codes[i]) == 0)
			return 1;
	return 0;
}

/* An evacuation plan error: look at what blocks again. */
static int
plan_error(const char *code)
{
	return intrinsic(code) || strcmp(code, "HOST_NOT_ENOUGH_FREE_MEMORY") ==
	    0 || strcmp(code, "NO_HOSTS_AVAILABLE") == 0 ||
	    strcmp(code, "HOST_NOT_LIVE") == 0;
}

/*
 * VM_REQUIRES_SR for a disc in a CD drive (an ISO on a host's own SR,
 * the host's DVD drive): XenCenter ejects it and migrates
 * (EvacuateHostDialog.cs). Returns how many drives were emptied.
 */
static int
eject_cds(struct recipe_ctx *c, struct job *j, const struct xenapi_vm *vms,
    size_t n)
{
	struct xenapi_error	 err;
	size_t			 i;
	int			 ejected, total = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(vms[i].reason, "VM_REQUIRES_SR") != 0 ||
		    vms[i].sr[0] == '\0')
			continue;
		if (xenapi_vm_eject_cds(c->x, vms[i].ref, vms[i].sr, &ejected,
		    &err) == -1) {
			rlog(c, LOG_WARNING, "action=evacuate host=%s vm=%s "
			    "result=cd_not_ejected error=\"%s\"", j->host,
			    vms[i].ref, err.msg);
			continue;
		}
		if (ejected > 0)
			rlog(c, LOG_NOTICE, "action=evacuate host=%s vm=%s "
			    "cd_ejected=%d reason=\"its CD is on a host's own "
			    "SR: ejected so that it can move\"", j->host,
			    vms[i].ref, ejected);
		total += ejected;
	}
	return total;
}

/*
 * What keeps VMs on the host: xapi's plan, CDs ejected first. With
 * targets of its own the engine places the VMs itself, and only what
 * keeps a VM from moving anywhere counts. Leaves the blockers in vms.
 */
static int
blockers(struct recipe_ctx *c, struct job *j, const char *ref,
    struct xenapi_vm **vms, size_t *n, struct xenapi_error *err)
{
	size_t	 i, k;

	if (xenapi_host_blockers(c->x, ref, vms, n, err) == -1)
		return -1;
	if (eject_cds(c, j, *vms, *n) > 0) {
		free(*vms);
		if (xenapi_host_blockers(c->x, ref, vms, n, err) == -1)
			return -1;
	}
	if (j->targets == NULL)
		return 0;
	for (i = k = 0; i < *n; i++)
		if (intrinsic((*vms)[i].reason))
			(*vms)[k++] = (*vms)[i];
	*n = k;
	return 0;
}

static void
evac_done(struct recipe_ctx *c, struct job *j, struct jtask *t,
    enum xenapi_task_status st, const struct xenapi_error *err)
{
	(void)c;
	(void)t;
	if (st == XENAPI_TASK_SUCCESS)
		return;
	if (st == XENAPI_TASK_VANISHED) {
		j->vanished++;
		return;
	}
	j->nfailed++;
	snprintf(j->code, sizeof(j->code), "%s", st ==
	    XENAPI_TASK_CANCELLED ? "TASK_CANCELLED" : err->code);
	snprintf(j->error, sizeof(j->error), "%s", err->msg[0] ? err->msg :
	    "task cancelled");
}

/* Start over from the top (xapi forgot the task, the plan changed). */
static int
evac_again(struct job *j)
{
	if (j->again >= AGAIN_MAX)
		return 0;
	j->again++;
	j->phase = EV_START;
	j->ntasks = 0;
	j->nfailed = 0;
	j->vanished = 0;
	j->next_poll = recipe_now_ms() + POLL_MS;
	return 1;
}

static void
evac_waited(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;

	if (!tasks_poll(c, j, evac_done))
		return;
	if (j->vanished && !j->nfailed) {
		/*
		 * xapi restarted (a handover, HA, a toolstack restart) and
		 * forgot the task: finished, outcome unknown. The restart
		 * also re-enabled every disabled host (xapi_host_helpers.ml):
		 * the engine looks at the pool before anything more.
		 */
		job_finish(j, OUTCOME_STALE, "xapi restarted and forgot the "
		    "evacuation: outcome unknown", 0);
		return;
	}
	if (j->nfailed == 0) {
		job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (strcmp(j->code, "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN") == 0 &&
	    ha_make_room(c, j->host, &err) == 0 && evac_again(j))
		return;
	/* Something moved in the way (memory, a VM): what blocks now? */
	if (plan_error(j->code) && evac_again(j))
		return;
	job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
}

/*
 * The target with the most free memory that takes the VM, or NULL. A
 * host in MAINTENANCE_MODE is none: one that booted during the outage
 * is enabled by its xapi but is still ours, leaving (XenCenter reads
 * the key the same way).
 */
static const struct xenapi_host *
place(const struct xenapi_pool *pool, const char *targets,
    const struct xenapi_vm *vm)
{
	const struct xenapi_host	*best = NULL;
	const char			*p;
	size_t				 i, n;

	for (i = 0; i < pool->nhosts; i++) {
		const struct xenapi_host *h = &pool->hosts[i];

		n = strlen(h->name);
		for (p = targets; (p = strstr(p, h->name)) != NULL; p += n)
			if ((p == targets || p[-1] == ',') &&
			    (p[n] == ',' || p[n] == '\0'))
				break;
		if (p == NULL || !h->live || !h->enabled || h->maintenance ||
		    h->memory_free < vm->memory)
			continue;
		if (best == NULL || h->memory_free > best->memory_free)
			best = h;
	}
	return best;
}

/*
 * One VM at a time onto the hosts the engine chose (on good power, not
 * about to leave): host.evacuate would send VMs to every enabled host,
 * including one whose battery is running down or that died and still
 * looks live (DESIGN.md "XenAPI").
 */
static void
evac_place(struct recipe_ctx *c, struct job *j, const char *ref)
{
	struct xenapi_error		 err;
	struct xenapi_pool		 pool;
	struct xenapi_vm		*vms = NULL;
	const struct xenapi_host	*to = NULL;
	char				 task[XENAPI_REF_LEN];
	size_t				 n = 0, i;

	if (xenapi_host_vms(c->x, ref, &vms, &n, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (n == 0) {
		free(vms);
		job_finish(j, OUTCOME_OK, NULL, 0);
		return;
	}
	if (xenapi_pool_hosts(c->x, &pool, &err) == -1) {
		free(vms);
		job_fail(j, &err);
		return;
	}
	for (i = 0; i < n && to == NULL; i++)
		to = place(&pool, j->targets, &vms[i]);
	if (to == NULL) {
		snprintf(j->error, sizeof(j->error), "no host on good power "
		    "has room for the %zu VMs left", n);
		job_finish(j, OUTCOME_BLOCKED, j->error, (int)n);
	} else if (xenapi_vm_migrate_async(c->x, vms[i - 1].ref, to->ref,
	    task, &err) == -1 || tasks_add(j, task, vms[i - 1].ref, 0) == -1) {
		/* In the way now (memory, a VM op): look again soon. */
		if (!evac_again(j))
			job_fail(j, &err);
	} else {
		j->phase = EV_MOVING;
		j->next_poll = recipe_now_ms() + POLL_MS / 4;
	}
	xenapi_pool_clear(&pool);
	free(vms);
}

static void
evac_moved(struct recipe_ctx *c, struct job *j)
{
	if (!tasks_poll(c, j, evac_done))
		return;
	j->ntasks = 0;
	if (j->nfailed && !evac_again(j)) {
		job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		return;
	}
	j->nfailed = j->vanished = 0;
	j->phase = j->phase == EV_START ? EV_START : EV_PLACE;
}

static void
evac_start(struct recipe_ctx *c, struct job *j, const char *ref)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms = NULL;
	char			 task[XENAPI_REF_LEN];
	size_t			 n = 0;

	if (xenapi_host_current_task(c->x, ref, "evacuate", task, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (task[0] != '\0') {
		/* Started before a restart: follow that one, start none. */
		if (tasks_add(j, task, NULL, 0) == -1)
			job_finish(j, OUTCOME_TRANSIENT, "out of memory", 0);
		else
			tasks_wait(j);
		return;
	}
	if (blockers(c, j, ref, &vms, &n, &err) == -1) {
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
	if (j->targets != NULL) {
		j->phase = EV_PLACE;
		evac_place(c, j, ref);
		return;
	}
	if (ha_make_room(c, j->host, &err) == -1 ||
	    xenapi_host_evacuate_async(c->x, ref, task, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (tasks_add(j, task, NULL, 0) == -1)
		job_finish(j, OUTCOME_TRANSIENT, "out of memory", 0);
	else
		tasks_wait(j);
}

void
step_evacuate(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (host_ref(c, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	switch (j->phase) {
	case EV_START:
		evac_start(c, j, ref);
		break;
	case EV_WAIT:
		evac_waited(c, j);
		break;
	case EV_PLACE:
		evac_place(c, j, ref);
		break;
	case EV_MOVING:
		evac_moved(c, j);
		break;
	}
}

/*
 * The VMs to stop: those that cannot move (scope BLOCKERS; with targets
 * of the engine's own, also those no target has room for), or all.
 */
static int
to_stop(struct recipe_ctx *c, struct job *j, const char *ref,
    struct xenapi_vm **vms, size_t *n, struct xenapi_error *err)
{
	struct xenapi_vm	*all = NULL, *b = NULL;
	size_t			 nall = 0, nb = 0, i, k, out = 0;
	int			 rc = -1;

	*vms = NULL;
	*n = 0;
	if (xenapi_host_vms(c->x, ref, &all, &nall, err) == -1)
		return -1;
	if (j->scope == STOP_ALL) {
		*vms = all;
		*n = nall;
		return 0;
	}
	if (blockers(c, j, ref, &b, &nb, err) == -1)
		goto done;
	for (i = 0; i < nall; i++)
		for (k = 0; k < nb; k++)
			if (strcmp(all[i].ref, b[k].ref) == 0) {
				snprintf(all[i].reason, sizeof(all[i].reason),
				    "%s", b[k].reason);
				all[out++] = all[i];
				break;
			}
	*vms = all;
	*n = out;
	all = NULL;
	rc = 0;
done:
	free(all);
	free(b);
	return rc;
}

/*
 * The VMs about to be stopped, added to a list in the host's
 * other_config (uuids), before they are: the pool's database outlives
 * us. KEY_STOPPED has them all, to start on the way back; KEY_HA_RUN
 * those HA kept running, as an API shutdown clears ha_always_run
 * (xapi_vm.ml).
 */
static void
remember(struct recipe_ctx *c, const char *ref, const char *key,
    const struct xenapi_vm *vms, size_t n, int ha_only)
{
	struct xenapi_error	 err;
	char			*old = NULL, *list;
	size_t			 i, len;

	for (i = 0; i < n && ha_only && !vms[i].ha_always_run; i++)
		continue;
	if (i == n || xenapi_host_get_other_config(c->x, ref, key, &old,
	    &err) == -1)
		return;
	len = strlen(old) + n * (sizeof(vms[0].uuid) + 1) + 1;
	if ((list = malloc(len)) != NULL) {
		snprintf(list, len, "%s", old);
		for (i = 0; i < n; i++)
			if ((!ha_only || vms[i].ha_always_run) &&
			    strstr(list, vms[i].uuid) == NULL)
				snprintf(list + strlen(list), len - strlen(list),
				    "%s%s", list[0] ? "," : "", vms[i].uuid);
		xenapi_host_set_other_config(c->x, ref, key, list, &err);
		free(list);
	}
	free(old);
}

/* A clean stop where xapi allows it, else hard (HostAbstractAction.cs). */
static int
stop_one(struct recipe_ctx *c, struct job *j, const char *vm, int hard,
    struct xenapi_error *err)
{
	char	 task[XENAPI_REF_LEN];

	if (xenapi_vm_shutdown_async(c->x, vm, hard, task, err) == -1)
		return -1;
	return tasks_add(j, task, vm, hard);
}

static void
stop_done(struct recipe_ctx *c, struct job *j, struct jtask *t,
    enum xenapi_task_status st, const struct xenapi_error *err)
{
	struct xenapi_error	 e2;

	if (st == XENAPI_TASK_SUCCESS)
		return;
	if (st == XENAPI_TASK_VANISHED) {
		/* xapi restarted: the engine looks again (evac_waited). */
		j->vanished++;
		return;
	}
	/*
	 * Refused clean (no PV drivers: VM_LACKS_FEATURE; Paused:
	 * VM_BAD_POWER_STATE, xapi_vm_lifecycle.ml): hard at once, as
	 * xapi's own evacuation and XenCenter do. Halted meanwhile is done.
	 */
	if (!t->hard && (is_code(err, "VM_LACKS_FEATURE") ||
	    (is_code(err, "VM_BAD_POWER_STATE") && err->nparams >= 3 &&
	    strcmp(err->params[2], "halted") != 0))) {
		rlog(c, LOG_NOTICE, "action=stop_vms host=%s vm=%s "
		    "reason=\"%s: stopped hard\"", j->host, t->vm, err->code);
		if (stop_one(c, j, t->vm, 1, &e2) == 0)
			return;
		err = &e2;
	} else if (is_code(err, "VM_BAD_POWER_STATE"))
		return;
	j->nfailed++;
	snprintf(j->error, sizeof(j->error), "%s", err->msg);
}

static void
stop_start(struct recipe_ctx *c, struct job *j, const char *ref)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms;
	size_t			 n, i, hard_anyway = 0;
	int			 hard;

	if (to_stop(c, j, ref, &vms, &n, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	remember(c, ref, KEY_STOPPED, vms, n, 0);
	remember(c, ref, KEY_HA_RUN, vms, n, 1);
	for (i = 0; i < n; i++) {
		hard = j->hard || !vms[i].can_clean;
		hard_anyway += hard && !j->hard;
		if (stop_one(c, j, vms[i].ref, hard, &err) == 0)
			continue;
		if (is_code(&err, "VM_BAD_POWER_STATE"))
			continue;	/* it stopped meanwhile */
		j->nfailed++;
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
	}
	if (hard_anyway)
		rlog(c, LOG_NOTICE, "action=stop_vms host=%s hard=%zu "
		    "reason=\"xapi allows no clean shutdown of these (no PV "
		    "drivers, paused)\"", j->host, hard_anyway);
	free(vms);
	tasks_wait(j);
}

void
step_stop_vms(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN];

	if (j->phase == 1) {
		if (!tasks_poll(c, j, stop_done))
			return;
		if (j->nfailed)
			job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
		else if (j->vanished)
			job_finish(j, OUTCOME_STALE, "xapi restarted and forgot "
			    "the shutdowns: outcome unknown", 0);
		else
			job_finish(j, OUTCOME_OK, NULL, (int)j->ntasks);
		return;
	}
	if (host_ref(c, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	stop_start(c, j, ref);
}

static void
restore_done(struct recipe_ctx *c, struct job *j, struct jtask *t,
    enum xenapi_task_status st, const struct xenapi_error *err)
{
	(void)c;
	(void)t;
	if (st == XENAPI_TASK_SUCCESS || st == XENAPI_TASK_VANISHED)
		return;
	j->nfailed++;
	snprintf(j->error, sizeof(j->error), "%s", err->msg);
}

/*
 * The recorded VMs back home: those still running elsewhere; one already
 * home would be a local migration needing twice its memory, one halted
 * meanwhile is left alone (Host.cs, HostMaintenanceModeCommand.cs).
 */
static int
start_restores(struct recipe_ctx *c, struct job *j, const char *ref,
    char *list)
{
	struct xenapi_error	 err;
	struct xenapi_vm	 vm;
	char			 vmref[XENAPI_REF_LEN], task[XENAPI_REF_LEN];
	char			*uuid, *save = NULL;

	for (uuid = strtok_r(list, ",", &save); uuid;
	    uuid = strtok_r(NULL, ",", &save)) {
		if (xenapi_vm_find(c->x, uuid, vmref, &err) == -1 ||
		    xenapi_vm_get(c->x, vmref, &vm, &err) == -1) {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
			continue;
		}
		if (vm.power != XENAPI_RUNNING ||
		    strcmp(vm.resident_on, ref) == 0)
			continue;
		if (xenapi_vm_migrate_async(c->x, vmref, ref, task, &err) ==
		    -1 || tasks_add(j, task, vmref, 0) == -1) {
			j->nfailed++;
			snprintf(j->error, sizeof(j->error), "%s", err.msg);
		}
	}
	return 0;
}

void
step_restore(struct recipe_ctx *c, struct job *j)
{
	static const char *const keys[] = { KEY_MIGRATED, KEY_HALTED,
	    KEY_SUSPENDED, NULL };
	struct xenapi_error	 err;
	char			 ref[XENAPI_REF_LEN], *list = NULL;
	size_t			 i;

	if (host_ref(c, j->host, ref, &err) == -1) {
		job_fail(j, &err);
		return;
	}
	if (j->phase == 1) {
		if (!tasks_poll(c, j, restore_done))
			return;
		/* All three lists go, as XenCenter clears them. */
		for (i = 0; keys[i]; i++)
			xenapi_host_remove_other_config(c->x, ref, keys[i],
			    &err);
		/* VMs that stay where they are still run: not a failure. */
		job_finish(j, OUTCOME_OK, j->nfailed ? j->error : NULL,
		    (int)(j->ntasks - j->nfailed));
		return;
	}
	if (xenapi_host_get_other_config(c->x, ref, KEY_MIGRATED, &list,
	    &err) == -1) {
		job_fail(j, &err);
		return;
	}
	start_restores(c, j, ref, list);
	free(list);
	tasks_wait(j);
}

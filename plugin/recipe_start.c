/*
 * The way back for the VMs upsxen stopped (DESIGN.md "The way back"):
 * the host's KEY_STOPPED list, written before they were stopped, says
 * which; only those still Halted are started (one started by someone
 * else since, or one deleted, leaves the list), so a VM halted before
 * the outage is never started, nor any VM twice.
 *
 * They start in their start order as xapi starts a vApp
 * (xapi_vm_appliance.ml): the VMs of the lowest `order` together, the
 * next order once they all ended; each VM.start task sleeps the VM's
 * start_delay before it ends (xapi_vm.ml), so the delay holds the next
 * group back. NO_HOSTS_AVAILABLE (the shared storage not attached yet
 * after a boot, too little memory) ends the job BLOCKED: the engine
 * asks again, and the later orders wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "recipe_int.h"

/* A listed VM, as the pool has it now. */
struct listed {
	char		 ref[XENAPI_REF_LEN];
	char		 uuid[40];
	long long	 order;
	int		 halted;
	int		 stopping;
};

/*
 * The listed VMs still to be started or waited for; -1 with *err on a
 * XenAPI failure, -2 out of memory.
 */
static int
listed_read(struct recipe_ctx *c, const char *host, struct listed **out,
    size_t *n, struct xenapi_error *err)
{
	struct xenapi_vm	 vm;
	struct listed		*l = NULL, *nl;
	char			*list = NULL, *uuid, *save = NULL;
	size_t			 cap = 0, k = 0;

	*out = NULL;
	*n = 0;
	if (xenapi_host_get_other_config(c->x, host, KEY_STOPPED, &list,
	    err) == -1)
		return -1;
	for (uuid = strtok_r(list, ",", &save); uuid;
	    uuid = strtok_r(NULL, ",", &save)) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nl = realloc(l, cap * sizeof(*nl))) == NULL) {
				free(list);
				free(l);
				return -2;
			}
			l = nl;
		}
		memset(&l[k], 0, sizeof(l[k]));
		/*
		 * A VM deleted since is no longer ours to start; any other
		 * failure keeps the list as it is, to be read again.
		 */
		if (xenapi_vm_find(c->x, uuid, l[k].ref, err) == -1 ||
		    xenapi_vm_get(c->x, l[k].ref, &vm, err) == -1) {
			if (is_code(err, "UUID_INVALID") ||
			    is_code(err, "HANDLE_INVALID"))
				continue;
			goto fail;
		}
		l[k].halted = vm.power == XENAPI_HALTED && !vm.stopping;
		l[k].stopping = vm.stopping;
		l[k].order = vm.order;
		snprintf(l[k].uuid, sizeof(l[k].uuid), "%s", uuid);
		if (l[k].halted || l[k].stopping)
			k++;
	}
	free(list);
	*out = l;
	*n = k;
	return 0;
fail:
	free(list);
	free(l);
	return -1;
}

/*
 * The list, rewritten with what is left; removed when nothing is. -1
 * with *err, -2 out of memory.
 */
static int
listed_write(struct recipe_ctx *c, const char *host, const struct listed *l,
    size_t n, struct xenapi_error *err)
{
	char	*list;
	size_t	 i, len = n * sizeof(l[0].uuid) + 1;
	int	 rc;

	if (n == 0)
		return xenapi_host_remove_other_config(c->x, host, KEY_STOPPED,
		    err);
	if ((list = calloc(1, len)) == NULL)
		return -2;
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), len - strlen(list), "%s%s",
		    i ? "," : "", l[i].uuid);
	rc = xenapi_host_set_other_config(c->x, host, KEY_STOPPED, list, err);
	free(list);
	return rc;
}

static void
start_done(struct recipe_ctx *c, struct job *j, struct jtask *t,
    enum xenapi_task_status st, const struct xenapi_error *err)
{
	(void)c;
	(void)t;
	if (st == XENAPI_TASK_SUCCESS) {
		j->nstarted++;
		return;
	}
	/* Running already (someone started it): it is not ours to wait. */
	if (st == XENAPI_TASK_VANISHED || is_code(err, "VM_BAD_POWER_STATE"))
		return;
	if (is_code(err, "NO_HOSTS_AVAILABLE") ||
	    is_code(err, "HOST_NOT_ENOUGH_FREE_MEMORY"))
		j->nostart++;
	else
		j->nfailed++;
	snprintf(j->error, sizeof(j->error), "%s", err->msg);
}

/* The halted VMs of the lowest order, started together. */
static void
start_group(struct recipe_ctx *c, struct job *j, const struct listed *l,
    size_t n)
{
	struct xenapi_error	 err;
	char			 task[XENAPI_REF_LEN];
	long long		 low = 0;
	size_t			 i;
	int			 first = 1;

	for (i = 0; i < n; i++)
		if (first || l[i].order < low) {
			low = l[i].order;
			first = 0;
		}
	for (i = 0; i < n; i++) {
		if (l[i].order != low)
			continue;
		if (xenapi_vm_start_async(c->x, l[i].ref, task, &err) == -1 ||
		    tasks_add(j, task, l[i].ref, 0) == -1) {
			start_done(c, j, NULL, XENAPI_TASK_FAILURE, &err);
			continue;
		}
	}
	tasks_wait(j);
}

static void
start_finish(struct recipe_ctx *c, struct job *j)
{
	if (j->nstarted)
		rlog(c, LOG_NOTICE, "action=start_vms host=%s started=%d%s",
		    j->host, j->nstarted, j->nostart ? " reason=\"the rest "
		    "wait for a host that can take them\"" : "");
	if (j->nostart)
		job_finish(j, OUTCOME_BLOCKED, j->error, j->nostart);
	else if (j->nfailed)
		job_finish(j, OUTCOME_TRANSIENT, j->error, 0);
	else
		job_finish(j, OUTCOME_OK, NULL, j->nstarted);
}

void
step_start_vms(struct recipe_ctx *c, struct job *j)
{
	struct xenapi_error	 err;
	struct listed		*l = NULL;
	char			 ref[XENAPI_REF_LEN];
	size_t			 n = 0, i, waiting = 0;
	int			 rc;

	if (j->phase == 1) {
		if (!tasks_poll(c, j, start_done))
			return;
		if (j->nostart || j->nfailed) {
			start_finish(c, j);
			return;
		}
		j->phase = 0;		/* the next order */
	}
	if ((rc = host_ref(c, j->host, ref, &err)) == 0 &&
	    (rc = listed_read(c, ref, &l, &n, &err)) == 0)
		rc = listed_write(c, ref, l, n, &err);
	if (rc != 0) {
		free(l);
		if (rc == -2)
			job_finish(j, OUTCOME_TRANSIENT, "out of memory for the "
			    "stopped VMs' list", 0);
		else
			job_fail(j, &err);
		return;
	}
	for (i = 0; i < n; i++)
		waiting += l[i].stopping;
	/* A shutdown asked before a restart still runs: its VM halts
	 * first, and the order is kept. */
	if (waiting) {
		free(l);
		snprintf(j->error, sizeof(j->error), "%zu VMs still shutting "
		    "down", waiting);
		j->nostart = (int)waiting;
		start_finish(c, j);
		return;
	}
	if (n == 0) {
		free(l);
		start_finish(c, j);
		return;
	}
	start_group(c, j, l, n);
	free(l);
}

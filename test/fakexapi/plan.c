/*
 * Plans: where an evacuation sends each VM (xapi_host.ml
 * compute_evacuation_plan_no_wlb), and whether HA can restart the
 * protected VMs after host failures (xapi_ha_vm_failover.ml), both packing
 * memory as binpack.ml does.
 */
#include <stdlib.h>
#include <string.h>

#include "fake.h"

struct item {
	int	 id;
	long	 size;
};

/* Descending by size; ties keep their order, as OCaml's stable sort. */
static int
by_size_desc(const void *a, const void *b)
{
	const struct item	*x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->id - y->id;
}

/*
 * binpack.ml biggest_fit_decreasing: the biggest thing first, always into
 * the bin with the most room; a thing that does not fit there is left out
 * (no other bin is tried). bins[].size is updated; placed[i] gets the bin
 * id of things[i] or -1. Returns how many were left out.
 */
static int
biggest_fit_decreasing(struct item *things, int nthings, struct item *bins,
    int nbins, int *placed)
{
	struct item	*order;
	int		 i, j, best, left = 0;

	if ((order = calloc((size_t)nthings + 1, sizeof(*order))) == NULL)
		return nthings;
	memcpy(order, things, (size_t)nthings * sizeof(*order));
	for (i = 0; i < nthings; i++)
		order[i].id = i;
	qsort(order, (size_t)nthings, sizeof(*order), by_size_desc);
	for (i = 0; i < nthings; i++) {
		placed[order[i].id] = -1;
		for (best = -1, j = 0; j < nbins; j++)
			if (best == -1 || bins[j].size > bins[best].size)
				best = j;
		if (best == -1 || bins[best].size < order[i].size) {
			left++;
			continue;
		}
		bins[best].size -= order[i].size;
		placed[order[i].id] = bins[best].id;
	}
	free(order);
	return left;
}

/* helpers.ml vm_should_always_run: HA protects it. */
static int
protected(const struct fvm *v)
{
	return v->ha_always_run && strcmp(v->ha_restart_priority, "restart") ==
	    0;
}

static void
set_error(json_t *out, const struct fvm *v, json_t *e)
{
	json_object_set_new(out, v->ref, e);
}

/* The user VMs resident on h, in their order. */
static int
resident_vms(const struct fake *f, int h, int *vms)
{
	int	 i, n = 0;

	for (i = 0; i < f->nvms; i++)
		if (fake_resident(&f->vms[i]) && f->vms[i].host == h &&
		    !f->vms[i].control_domain)
			vms[n++] = i;
	return n;
}

/*
 * Pack the migratable VMs into the targets' free memory; those left out
 * get HOST_NOT_ENOUGH_FREE_MEMORY [vm]; the others are checked again on
 * their target and planned there (xapi_host.ml).
 */
static void
pack(struct fake *f, json_t *out, const int *vms, int n, const int *targets,
    int ntargets, int *to)
{
	struct item	*things, *bins;
	int		 i, *placed;
	json_t		*e;

	things = calloc((size_t)n + 1, sizeof(*things));
	bins = calloc((size_t)ntargets + 1, sizeof(*bins));
	placed = calloc((size_t)n + 1, sizeof(*placed));
	if (things == NULL || bins == NULL || placed == NULL)
		goto done;
	for (i = 0; i < n; i++)
		things[i].size = f->vms[vms[i]].memory_mib;
	for (i = 0; i < ntargets; i++) {
		bins[i].id = targets[i];
		bins[i].size = fake_free_mib(f, targets[i]);
	}
	biggest_fit_decreasing(things, n, bins, ntargets, placed);
	for (i = 0; i < n; i++) {
		const struct fvm *v = &f->vms[vms[i]];

		if (placed[i] == -1) {
			set_error(out, v, fake_error(
			    "HOST_NOT_ENOUGH_FREE_MEMORY", v->ref, NULL));
			continue;
		}
		if ((e = fake_can_boot_here(f, vms[i], placed[i], 0)) != NULL)
			set_error(out, v, e);
		else if (json_object_get(out, v->ref) == NULL)
			to[vms[i]] = placed[i];
	}
done:
	free(things);
	free(bins);
	free(placed);
}

/*
 * Every VM that keeps host h from being evacuated, VM ref -> [code,
 * params...] (host.get_vms_which_prevent_evacuation); with plan, also
 * where each of the others goes.
 *
 * xapi_host.ml compute_evacuation_plan_no_wlb: the targets are every
 * enabled host but h, live or not. No target: NO_HOSTS_AVAILABLE [vm].
 * With HA, unprotected VMs may not move: HOST_NOT_ENOUGH_FREE_MEMORY [vm]
 * (v26.17.0 renamed it HOST_EVACUATE_VM_NOT_HA_PROTECTED). The others must
 * be able to boot on every target (assert_can_boot_here, no memory
 * check: one dead target fails them all with HOST_NOT_LIVE). Then
 * pool_migrate's own checks overwrite (VM_BAD_POWER_STATE for a Paused VM,
 * VM_LACKS_FEATURE, VM_HAS_PCI_ATTACHED, OTHER_OPERATION_IN_PROGRESS), and
 * memory is packed.
 */
json_t *
fake_blockers(struct fake *f, int h, struct fplan **plan, int *nplan)
{
	json_t	*out = json_object(), *e;
	int	*vms, *targets, *ok, *to, n, nt = 0, nok = 0, i, j, conflict;

	vms = calloc((size_t)f->nvms + 1, sizeof(*vms));
	ok = calloc((size_t)f->nvms + 1, sizeof(*ok));
	to = calloc((size_t)f->nvms + 1, sizeof(*to));
	targets = calloc((size_t)f->nhosts + 1, sizeof(*targets));
	if (plan)
		*plan = NULL, *nplan = 0;
	if (vms == NULL || ok == NULL || to == NULL || targets == NULL)
		goto done;
	n = resident_vms(f, h, vms);
	for (i = 0; i < f->nhosts; i++)
		if (i != h && f->hosts[i].enabled)
			targets[nt++] = i;
	for (i = 0; i < f->nvms; i++)
		to[i] = -1;
	for (i = 0; i < n && nt == 0; i++)
		set_error(out, &f->vms[vms[i]], fake_error(
		    "NO_HOSTS_AVAILABLE", f->vms[vms[i]].ref, NULL));
	if (nt == 0)
		goto done;
	for (i = 0; i < n; i++) {
		const struct fvm *v = &f->vms[vms[i]];

		if (f->ha && !protected(v)) {
			set_error(out, v, fake_error(
			    "HOST_NOT_ENOUGH_FREE_MEMORY", v->ref, NULL));
			continue;
		}
		for (e = NULL, j = 0; j < nt && e == NULL; j++)
			e = fake_can_boot_here(f, vms[i], targets[j], 0);
		if (e != NULL)
			set_error(out, v, e);
		else
			ok[nok++] = vms[i];
	}
	for (i = 0; i < n; i++)
		if ((e = fake_vm_op_error(f, vms[i], OP_POOL_MIGRATE, NULL,
		    &conflict)) != NULL)
			set_error(out, &f->vms[vms[i]], e);
	pack(f, out, ok, nok, targets, nt, to);
	if (plan == NULL)
		goto done;
	*plan = calloc((size_t)n + 1, sizeof(**plan));
	for (i = 0; *plan && i < n; i++)
		if (to[vms[i]] >= 0) {
			(*plan)[*nplan].vm = vms[i];
			(*plan)[(*nplan)++].target = to[vms[i]];
		}
done:
	free(vms);
	free(ok);
	free(to);
	free(targets);
	return out;
}

/*
 * HA: can the protected VMs survive n host failures, with host `out`
 * disabled too (-1: none)? prot[vm] says which VMs are protected.
 *
 * A simplified xapi_ha_vm_failover.ml plan_for_n_failures: the live set is
 * the live, enabled hosts (get_live_set) but `out`; protected VMs not
 * running on it are restarted first (compute_restart_plan), all of them or
 * no plan; then the n hosts with the most protected memory fail and their
 * protected VMs must fit in the others' free memory (binpack.ml). There
 * is no plan with fewer hosts than failures, nor with as many and
 * something to protect (plan_trivially_never_possible).
 */
static int
ha_plan_for(const struct fake *f, int n, int out, const int *prot)
{
	struct item	*bins, *things, *hosts;
	int		*placed, *where, nb = 0, nthings = 0, i, j, ok = 0;
	int		 nprot;

	bins = calloc((size_t)f->nhosts + 1, sizeof(*bins));
	hosts = calloc((size_t)f->nhosts + 1, sizeof(*hosts));
	things = calloc((size_t)f->nvms + 1, sizeof(*things));
	placed = calloc((size_t)f->nvms + 1, sizeof(*placed));
	where = calloc((size_t)f->nvms + 1, sizeof(*where));
	if (!bins || !hosts || !things || !placed || !where)
		goto done;
	for (i = 0; i < f->nhosts; i++)
		if (i != out && f->hosts[i].live && f->hosts[i].enabled) {
			bins[nb].id = i;
			bins[nb++].size = fake_free_mib(f, i);
		}
	/* Restart what is not running on the live set. */
	for (i = 0, nprot = 0; i < f->nvms; i++) {
		where[i] = -1;
		if (!prot[i])
			continue;
		nprot++;
		for (j = 0; j < nb; j++)
			if (fake_resident(&f->vms[i]) &&
			    f->vms[i].host == bins[j].id)
				where[i] = bins[j].id;
		if (where[i] == -1) {
			things[nthings].id = i;
			things[nthings++].size = f->vms[i].memory_mib;
		}
	}
	if (biggest_fit_decreasing(things, nthings, bins, nb, placed) > 0)
		goto done;
	for (i = 0; i < nthings; i++)
		where[things[i].id] = placed[i];
	if (n == 0) {
		ok = 1;
		goto done;
	}
	if (nb < n || (nb == n && nprot > 0))
		goto done;
	/* The n hosts with the most protected memory fail. */
	for (j = 0; j < nb; j++) {
		hosts[j].id = bins[j].id;
		for (i = 0; i < f->nvms; i++)
			if (where[i] == bins[j].id)
				hosts[j].size += f->vms[i].memory_mib;
	}
	qsort(hosts, (size_t)nb, sizeof(*hosts), by_size_desc);
	for (i = 0, nthings = 0; i < f->nvms; i++)
		for (j = 0; j < n; j++)
			if (where[i] >= 0 && where[i] == hosts[j].id) {
				things[nthings].id = i;
				things[nthings++].size = f->vms[i].memory_mib;
			}
	for (j = 0; j < nb; j++)
		for (i = 0; i < n; i++)
			if (bins[j].id == hosts[i].id)
				bins[j].size = -1;	/* failed */
	ok = biggest_fit_decreasing(things, nthings, bins, nb, placed) == 0;
done:
	free(bins);
	free(hosts);
	free(things);
	free(placed);
	free(where);
	return ok;
}

static int *
protected_set(const struct fake *f)
{
	int	*prot = calloc((size_t)f->nvms + 1, sizeof(*prot));
	int	 i;

	for (i = 0; prot && i < f->nvms; i++)
		prot[i] = !f->vms[i].control_domain && protected(&f->vms[i]);
	return prot;
}

int
fake_ha_plan(const struct fake *f, int n, int out)
{
	int	*prot = protected_set(f), ok;

	ok = prot && ha_plan_for(f, n, out, prot);
	free(prot);
	return ok;
}

/*
 * pool.ha_plan_exists_for (xapi_ha_vm_failover.ml update_pool_status): the
 * failures to tolerate if a plan exists for them, else as many as one
 * exists for. fakexapi works it out when asked.
 */
int
fake_ha_plan_exists_for(const struct fake *f)
{
	int	 n;

	if (!f->ha)
		return 0;
	for (n = f->ha_ntol; n > 0; n--)
		if (fake_ha_plan(f, n, -1))
			return n;
	return 0;
}

/*
 * compute_max_host_failures_to_tolerate for a hypothetical configuration
 * (VM ref -> priority; xapi_pool.ml: only "restart" entries are
 * protected): the most failures a plan exists for, up to the pool's size.
 */
int
fake_ha_max_failures(const struct fake *f, json_t *config)
{
	const char	*key;
	json_t		*val;
	int		*prot = calloc((size_t)f->nvms + 1, sizeof(*prot));
	int		 n, v;

	if (prot == NULL)
		return 0;
	json_object_foreach(config, key, val)
		if ((v = fake_vm_by_ref(f, key)) >= 0 && strcmp(
		    json_string_value(val), "restart") == 0)
			prot[v] = 1;
	for (n = 0; n < f->nhosts && ha_plan_for(f, n + 1, -1, prot); n++)
		;
	if (!ha_plan_for(f, 0, -1, prot))
		n = 0;
	free(prot);
	return n;
}

/*
 * xapi_ha_vm_failover.ml assert_configuration_change_preserves_ha_plan
 * for disabling h: only with HA on and overcommit not allowed, only if a
 * plan for ha_plan_exists_for failures exists now ("cannot get worse").
 */
json_t *
fake_ha_disable_error(const struct fake *f, int h)
{
	int	 n;

	if (!f->ha || f->ha_allow_overcommit)
		return NULL;
	n = fake_ha_plan_exists_for(f);
	if (!fake_ha_plan(f, n, -1) || fake_ha_plan(f, n, h))
		return NULL;
	return fake_error("HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
}

/*
 * xapi_vm.ml set_ha_restart_priority: a VM newly protected must not break
 * the plan (assert_new_vm_preserves_ha_plan), with the same conditions.
 */
json_t *
fake_ha_protect_error(const struct fake *f, int v)
{
	int	*prot, n, before, after;

	if (!f->ha || f->ha_allow_overcommit || (prot = protected_set(f)) ==
	    NULL)
		return NULL;
	n = fake_ha_plan_exists_for(f);
	before = ha_plan_for(f, n, -1, prot);
	prot[v] = 1;
	after = ha_plan_for(f, n, -1, prot);
	free(prot);
	if (!before || after)
		return NULL;
	return fake_error("HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL);
}

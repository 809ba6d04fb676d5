/*
 * The simulated pool's state: loading its description, placing VMs the
 * way xapi does (live, enabled hosts with enough free memory), and the
 * clock that moves tasks and boots forward.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake.h"

double
fake_now(const struct fake *f)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - f->t0;
}

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static int
load_host(struct fake *f, int i, json_t *o)
{
	struct fhost	*h = &f->hosts[i];
	const char	*name = json_string_value(json_object_get(o, "name_label"));
	json_t		*port = json_object_get(o, "port");
	int		 j;

	if (name == NULL || !json_is_integer(port)) {
		fprintf(stderr, "fakexapi: hosts[%d]: name_label and port are "
		    "required\n", i);
		return -1;
	}
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->ref, sizeof(h->ref), "OpaqueRef:host-%d", i + 1);
	snprintf(h->uuid, sizeof(h->uuid), "00000000-0000-0000-0001-%012d",
	    i + 1);
	snprintf(h->metrics_ref, sizeof(h->metrics_ref),
	    "OpaqueRef:host_metrics-%d", i + 1);
	h->port = (int)json_integer_value(port);
	/*
	 * Members are told apart by address, as in a real pool: xapi names
	 * one by its bare IP (host.address, HOST_IS_SLAVE) and the client
	 * keeps its own port. Each member listens on its own address.
	 */
	snprintf(h->address, sizeof(h->address), "%s",
	    str_or(o, "address", f->listen));
	for (j = 0; j < i; j++)
		if (strcmp(f->hosts[j].address, h->address) == 0) {
			fprintf(stderr, "fakexapi: hosts[%d]: address %s is "
			    "hosts[%d]'s too (members need addresses of their "
			    "own)\n", i, h->address, j);
			return -1;
		}
	h->memory_mib = json_integer_value(json_object_get(o, "memory_mib"));
	if (h->memory_mib <= 0)
		h->memory_mib = 65536;
	h->enabled = !json_is_false(json_object_get(o, "enabled"));
	h->live = 1;
	h->master = json_is_true(json_object_get(o, "master"));
	h->boot_at = INFINITY;
	h->other_config = json_object();
	return 0;
}

static int
load_vm(struct fake *f, int i, json_t *o)
{
	struct fvm	*v = &f->vms[i];
	const char	*name = json_string_value(json_object_get(o, "name_label"));
	const char	*on = str_or(o, "resident_on", "");

	if (name == NULL) {
		fprintf(stderr, "fakexapi: vms[%d]: name_label is required\n",
		    i);
		return -1;
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->ref, sizeof(v->ref), "OpaqueRef:vm-%d", i + 1);
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0002-%012d",
	    i + 1);
	v->memory_mib = json_integer_value(json_object_get(o, "memory_mib"));
	if (v->memory_mib <= 0)
		v->memory_mib = 2048;
	v->running = strcmp(str_or(o, "power_state", "Running"),
	    "Running") == 0;
	v->host = v->running ? fake_host_by_name(f, on) : -1;
	if (v->running && v->host == -1) {
		fprintf(stderr, "fakexapi: vms[%d]: resident_on \"%s\" is not "
		    "a host\n", i, on);
		return -1;
	}
	v->pci = json_is_true(json_object_get(o, "pci"));
	v->local_storage = json_is_true(json_object_get(o, "local_storage"));
	v->no_pv_drivers = json_is_true(json_object_get(o, "no_pv_drivers"));
	v->hangs_on_shutdown = json_is_true(json_object_get(o,
	    "hangs_on_shutdown"));
	return 0;
}

/* Every host runs a control domain, as in a real pool. */
static void
add_control_domains(struct fake *f, int first)
{
	int	 i;

	for (i = 0; i < f->nhosts; i++) {
		struct fvm *v = &f->vms[first + i];

		snprintf(v->name, sizeof(v->name), "Control domain on host: %s",
		    f->hosts[i].name);
		snprintf(v->ref, sizeof(v->ref), "OpaqueRef:dom0-%d", i + 1);
		snprintf(v->uuid, sizeof(v->uuid),
		    "00000000-0000-0000-0003-%012d", i + 1);
		v->memory_mib = 0;
		v->host = i;
		v->running = 1;
		v->control_domain = 1;
	}
}

static int
int_or(json_t *o, const char *key, int dflt)
{
	json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

int
fake_load(struct fake *f, const char *path)
{
	json_error_t	 err;
	json_t		*root, *hosts, *vms;
	size_t		 i;
	int		 nuser;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		fprintf(stderr, "fakexapi: %s:%d:%d: %s\n", path, err.line,
		    err.column, err.text);
		return -1;
	}
	hosts = json_object_get(root, "hosts");
	vms = json_object_get(root, "vms");
	if (!json_is_array(hosts) || json_array_size(hosts) == 0) {
		fprintf(stderr, "fakexapi: %s: hosts must be a non-empty "
		    "array\n", path);
		goto fail;
	}
	snprintf(f->username, sizeof(f->username), "%s",
	    str_or(root, "username", "root"));
	snprintf(f->password, sizeof(f->password), "%s",
	    str_or(root, "password", "secret"));
	f->ha = json_is_true(json_object_get(root, "ha_enabled"));
	f->per_vm_ms = int_or(root, "per_vm_ms", 20);
	f->evacuate_ms = int_or(root, "evacuate_ms", 0);
	f->shutdown_ms = int_or(root, "shutdown_ms", 20);
	f->boot_ms = int_or(root, "boot_ms", 100);
	f->nhosts = (int)json_array_size(hosts);
	nuser = json_is_array(vms) ? (int)json_array_size(vms) : 0;
	f->hosts = calloc((size_t)f->nhosts, sizeof(*f->hosts));
	f->vms = calloc((size_t)(nuser + f->nhosts), sizeof(*f->vms));
	if (f->hosts == NULL || f->vms == NULL)
		goto fail;
	for (i = 0; i < (size_t)f->nhosts; i++)
		if (load_host(f, (int)i, json_array_get(hosts, i)) == -1)
			goto fail;
	if (fake_master(f) == -1) {
		fprintf(stderr, "fakexapi: %s: no host is master\n", path);
		goto fail;
	}
	f->nvms = nuser + f->nhosts;
	for (i = 0; i < (size_t)nuser; i++)
		if (load_vm(f, (int)i, json_array_get(vms, i)) == -1)
			goto fail;
	add_control_domains(f, nuser);
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

int
fake_host_by_ref(const struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; ref && i < f->nhosts; i++)
		if (strcmp(f->hosts[i].ref, ref) == 0)
			return i;
	return -1;
}

int
fake_host_by_name(const struct fake *f, const char *name)
{
	int	 i;

	for (i = 0; name && i < f->nhosts; i++)
		if (strcmp(f->hosts[i].name, name) == 0)
			return i;
	return -1;
}

int
fake_vm_by_ref(const struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; ref && i < f->nvms; i++)
		if (strcmp(f->vms[i].ref, ref) == 0)
			return i;
	return -1;
}

int
fake_master(const struct fake *f)
{
	int	 i;

	for (i = 0; i < f->nhosts; i++)
		if (f->hosts[i].master)
			return i;
	return -1;
}

long
fake_free_mib(const struct fake *f, int h)
{
	long	 used = 0;
	int	 i;

	for (i = 0; i < f->nvms; i++)
		if (f->vms[i].running && f->vms[i].host == h)
			used += f->vms[i].memory_mib;
	return f->hosts[h].memory_mib - used;
}

/* Where xapi would start this VM: a live, enabled host other than
 * `except` with room for it; the emptiest first. -1 if none. */
int
fake_place_vm(const struct fake *f, int vm, int except)
{
	long	 best_free = -1, fr;
	int	 i, best = -1;

	for (i = 0; i < f->nhosts; i++) {
		if (i == except || !f->hosts[i].live || !f->hosts[i].enabled)
			continue;
		fr = fake_free_mib(f, i);
		if (fr >= f->vms[vm].memory_mib && fr > best_free) {
			best = i;
			best_free = fr;
		}
	}
	return best;
}

/* Power gone: whatever still runs there dies. */
void
fake_power_off(struct fake *f, int h)
{
	int	 i;

	for (i = 0; i < f->nvms; i++) {
		struct fvm *v = &f->vms[i];

		if (!v->running || v->host != h)
			continue;
		if (!v->control_domain)
			v->crashed = 1;
		v->running = v->control_domain;
		if (!v->control_domain)
			v->host = -1;
	}
	f->hosts[h].live = 0;
	f->hosts[h].boot_at = INFINITY;
}

static void
task_fail(struct ftask *t, json_t *desc)
{
	snprintf(t->status, sizeof(t->status), "failure");
	json_decref(t->error_info);
	t->error_info = desc;
}

static int
next_vm_on(const struct fake *f, int h)
{
	int	 i;

	for (i = 0; i < f->nvms; i++)
		if (f->vms[i].running && f->vms[i].host == h &&
		    !f->vms[i].control_domain)
			return i;
	return -1;
}

static void
tick_evacuate(struct fake *f, struct ftask *t, double now)
{
	int	 vm, to;

	vm = next_vm_on(f, t->host);
	if (vm == -1) {
		snprintf(t->status, sizeof(t->status), "success");
		return;
	}
	if ((to = fake_place_vm(f, vm, t->host)) == -1) {
		task_fail(t, json_pack("[s]", "NO_HOSTS_AVAILABLE"));
		return;
	}
	f->vms[vm].host = to;
	t->done_vms++;
	t->next_at = now + f->per_vm_ms / 1000.0;
}

static void
tick_task(struct fake *f, struct ftask *t, double now)
{
	struct fvm	*v = t->vm >= 0 ? &f->vms[t->vm] : NULL;

	if (strcmp(t->status, "pending") != 0 || now < t->next_at)
		return;
	if (t->host >= 0 && !f->hosts[t->host].live) {
		task_fail(t, json_pack("[s,s]", "HOST_OFFLINE",
		    f->hosts[t->host].ref));
		return;
	}
	switch (t->kind) {
	case FTASK_EVACUATE:
		tick_evacuate(f, t, now);
		return;
	case FTASK_CLEAN_SHUTDOWN:
		if (v->hangs_on_shutdown) {
			t->next_at = INFINITY;
			return;
		}
		/* FALLTHROUGH */
	case FTASK_HARD_SHUTDOWN:
		v->running = 0;
		v->host = -1;
		break;
	case FTASK_MIGRATE:
		if (!f->hosts[t->target].live || !f->hosts[t->target].enabled ||
		    fake_free_mib(f, t->target) < v->memory_mib) {
			task_fail(t, json_pack("[s,s]", "HOST_NOT_ENOUGH_FREE_"
			    "MEMORY", f->hosts[t->target].ref));
			return;
		}
		v->host = t->target;
		break;
	}
	snprintf(t->status, sizeof(t->status), "success");
}

void
fake_tick(struct fake *f)
{
	double	 now = fake_now(f);
	int	 i;

	for (i = 0; i < f->nhosts; i++)
		if (f->hosts[i].boot_at <= now) {
			/* xapi re-enables a booted host; the marks stay. */
			f->hosts[i].boot_at = INFINITY;
			f->hosts[i].live = 1;
			f->hosts[i].enabled = 1;
		}
	for (i = 0; i < f->ntasks; i++)
		tick_task(f, &f->tasks[i], now);
}

/* Whether a task or a boot will move on by itself. */
int
fake_busy(const struct fake *f)
{
	int	 i;

	for (i = 0; i < f->nhosts; i++)
		if (f->hosts[i].boot_at != INFINITY)
			return 1;
	for (i = 0; i < f->ntasks; i++)
		if (strcmp(f->tasks[i].status, "pending") == 0 &&
		    f->tasks[i].next_at != INFINITY)
			return 1;
	return 0;
}

struct ftask *
fake_task_new(struct fake *f, enum ftask_kind kind, int host, int vm,
    int target)
{
	struct ftask	*t;
	double		 now = fake_now(f);
	int		 n;

	if (f->ntasks == f->ctasks) {
		n = f->ctasks ? f->ctasks * 2 : 64;
		if ((t = realloc(f->tasks, (size_t)n * sizeof(*t))) == NULL)
			return NULL;
		f->tasks = t;
		f->ctasks = n;
	}
	t = &f->tasks[f->ntasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->ref, sizeof(t->ref), "OpaqueRef:task-%d", f->ntasks);
	snprintf(t->uuid, sizeof(t->uuid), "00000000-0000-0000-0004-%012d",
	    f->ntasks);
	t->kind = kind;
	t->host = host;
	t->vm = vm;
	t->target = target;
	snprintf(t->status, sizeof(t->status), "pending");
	t->started = now;
	t->error_info = json_array();
	switch (kind) {
	case FTASK_EVACUATE:
		/* xapi's own checks before the first VM moves. */
		t->next_at = now + f->evacuate_ms / 1000.0;
		break;
	case FTASK_CLEAN_SHUTDOWN:
		t->next_at = now + f->shutdown_ms / 1000.0;
		break;
	case FTASK_HARD_SHUTDOWN:
		t->next_at = now;
		break;
	case FTASK_MIGRATE:
		t->next_at = now + f->per_vm_ms / 1000.0;
		break;
	}
	return t;
}

struct ftask *
fake_task_by_ref(struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; ref && i < f->ntasks; i++)
		if (!f->tasks[i].destroyed && strcmp(f->tasks[i].ref, ref) == 0)
			return &f->tasks[i];
	return NULL;
}

/* What xapi's host.get_vms_which_prevent_evacuation returns. */
json_t *
fake_blockers(const struct fake *f, int h)
{
	json_t		*out = json_object();
	long		*spare;
	int		 i, j, to;

	spare = calloc((size_t)f->nhosts, sizeof(*spare));
	for (j = 0; spare && j < f->nhosts; j++)
		spare[j] = j != h && f->hosts[j].live && f->hosts[j].enabled ?
		    fake_free_mib(f, j) : -1;
	for (i = 0; spare && i < f->nvms; i++) {
		const struct fvm *v = &f->vms[i];

		if (!v->running || v->host != h || v->control_domain)
			continue;
		if (v->pci) {
			json_object_set_new(out, v->ref, json_pack("[s,s,s]",
			    "VM_HAS_PCI_ATTACHED", v->ref, "OpaqueRef:pci-1"));
			continue;
		}
		if (v->local_storage) {
			json_object_set_new(out, v->ref, json_pack("[s,s,s]",
			    "VM_REQUIRES_SR", v->ref, "OpaqueRef:sr-local"));
			continue;
		}
		if (v->no_pv_drivers) {
			json_object_set_new(out, v->ref, json_pack("[s,s]",
			    "VM_MISSING_PV_DRIVERS", v->ref));
			continue;
		}
		for (to = -1, j = 0; j < f->nhosts; j++)
			if (spare[j] >= v->memory_mib &&
			    (to == -1 || spare[j] > spare[to]))
				to = j;
		if (to >= 0) {
			spare[to] -= v->memory_mib;
			continue;
		}
		json_object_set_new(out, v->ref, json_pack("[s,s,s]",
		    "HOST_NOT_ENOUGH_FREE_MEMORY", "needed", "available"));
	}
	free(spare);
	return out;
}

static json_t *
host_json(const struct fake *f, int h)
{
	json_t	*vms = json_array();
	int	 i;

	for (i = 0; i < f->nvms; i++)
		if (f->vms[i].running && f->vms[i].host == h &&
		    !f->vms[i].control_domain)
			json_array_append_new(vms, json_string(f->vms[i].name));
	return json_pack("{s:s, s:b, s:b, s:b, s:O, s:o}", "name",
	    f->hosts[h].name, "enabled", f->hosts[h].enabled, "live",
	    f->hosts[h].live, "master", f->hosts[h].master, "other_config",
	    f->hosts[h].other_config, "vms", vms);
}

json_t *
fake_state_json(const struct fake *f)
{
	json_t	*hosts = json_array(), *vms = json_array(), *crashed;
	int	 i;

	crashed = json_array();
	for (i = 0; i < f->nhosts; i++)
		json_array_append_new(hosts, host_json(f, i));
	for (i = 0; i < f->nvms; i++) {
		const struct fvm *v = &f->vms[i];

		if (v->control_domain)
			continue;
		json_array_append_new(vms, json_pack("{s:s, s:s, s:s, s:b}",
		    "name", v->name, "power_state", v->running ? "Running" :
		    "Halted", "resident_on", v->host >= 0 ?
		    f->hosts[v->host].name : "", "crashed", v->crashed));
		if (v->crashed)
			json_array_append_new(crashed, json_string(v->name));
	}
	return json_pack("{s:o, s:o, s:o, s:i, s:b}", "hosts", hosts, "vms",
	    vms, "crashed", crashed, "logins", f->logins, "ha_enabled", f->ha);
}

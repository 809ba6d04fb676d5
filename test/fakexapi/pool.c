/*
 * The simulated pool's state: loading its description, the hosts' lives
 * (power, boot, xapi's start-up and restarts, the DB's view of liveness)
 * and the clock that moves them and the tasks forward.
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

/*
 * A date as xapi prints it (date.ml): YYYYMMDDTHH:MM:SS then Z for the
 * dates xapi makes, or the ±HH:MM offset a client stored one with.
 */
json_t *
date_json(double when, int offset_min)
{
	char		 buf[128], zone[16] = "Z";
	struct tm	 tm;
	time_t		 t = (time_t)when;

	t += offset_min * 60;
	gmtime_r(&t, &tm);
	if (offset_min != 0)
		snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_min < 0 ?
		    '-' : '+', abs(offset_min) / 60, abs(offset_min) % 60);
	snprintf(buf, sizeof(buf), "%s%04d%02d%02dT%02d:%02d:%02d%s",
	    FAKE_DATE, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return json_string(buf);
}

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static int
int_or(json_t *o, const char *key, int dflt)
{
	json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
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
	if ((h->name = strdup(name)) == NULL)
		return -1;
	snprintf(h->ref, sizeof(h->ref), "OpaqueRef:host-%d", i + 1);
	snprintf(h->uuid, sizeof(h->uuid), "00000000-0000-0000-0001-%012d",
	    i + 1);
	snprintf(h->metrics_ref, sizeof(h->metrics_ref),
	    "OpaqueRef:host_metrics-%d", i + 1);
	snprintf(h->local_sr, sizeof(h->local_sr), "OpaqueRef:SR-local-%d",
	    i + 1);
	snprintf(h->iso_sr, sizeof(h->iso_sr), "OpaqueRef:SR-local-iso-%d",
	    i + 1);
	snprintf(h->dvd_sr, sizeof(h->dvd_sr), "OpaqueRef:SR-dvd-%d", i + 1);
	snprintf(h->dvd_vdi, sizeof(h->dvd_vdi), "OpaqueRef:VDI-dvd-%d",
	    i + 1);
	for (j = 0; j < 2; j++)
		snprintf(h->pbd[j], sizeof(h->pbd[j]), "OpaqueRef:PBD-%d-%d",
		    i + 1, j + 1);
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
	snprintf(h->power_on_mode, sizeof(h->power_on_mode), "%s",
	    str_or(o, "power_on_mode", ""));
	h->power_on_fails = json_is_true(json_object_get(o, "power_on_fails"));
	h->live = 1;
	h->master = json_is_true(json_object_get(o, "master"));
	h->phase = HP_UP;
	h->phase_until = INFINITY;
	h->dead_at = INFINITY;
	/* Up and running: its storage was plugged at its start-up. */
	h->shared_attached = 1;
	h->shared_plugged_at = 0;
	h->other_config = json_object();
	return 0;
}

static int
parse_power(const char *s, enum fpower *p)
{
	static const char *const names[] = { "Halted", "Paused", "Running",
	    "Suspended" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*p = (enum fpower)i;
			return 0;
		}
	return -1;
}

const char *
fake_power_name(enum fpower p)
{
	switch (p) {
	case PS_HALTED:
		return "Halted";
	case PS_PAUSED:
		return "Paused";
	case PS_RUNNING:
		return "Running";
	case PS_SUSPENDED:
		return "Suspended";
	}
	return "Halted";
}

static int
parse_cd(const char *s, enum fcd *cd)
{
	if (*s == '\0')
		*cd = CD_EMPTY;
	else if (strcmp(s, "local_iso") == 0)
		*cd = CD_LOCAL_ISO;
	else if (strcmp(s, "dvd") == 0)
		*cd = CD_DVD;
	else if (strcmp(s, "shared_iso") == 0)
		*cd = CD_SHARED_ISO;
	else
		return -1;
	return 0;
}

static int
load_vm_ha(struct fvm *v, json_t *o, int i)
{
	const char	*prio = str_or(o, "ha_restart_priority", "");
	json_t		*always = json_object_get(o, "ha_always_run");

	/* The priorities xapi accepts (xapi_pool.ml, helpers.ml). */
	if (strcmp(prio, "restart") != 0 && strcmp(prio, "best-effort") != 0 &&
	    *prio != '\0') {
		fprintf(stderr, "fakexapi: vms[%d]: ha_restart_priority \"%s\" "
		    "is not restart, best-effort or \"\"\n", i, prio);
		return -1;
	}
	snprintf(v->ha_restart_priority, sizeof(v->ha_restart_priority), "%s",
	    prio);
	/* VM.start sets ha_always_run for priority restart (xapi_vm.ml). */
	v->ha_always_run = json_is_boolean(always) ? json_is_true(always) :
	    strcmp(prio, "restart") == 0 && fake_resident(v);
	return 0;
}

/* Both non-negative, as xapi_vm.ml set_order and set_start_delay want. */
static int
load_vm_start(struct fvm *v, json_t *o, int i)
{
	v->order = int_or(o, "order", 0);
	v->start_delay_ms = int_or(o, "start_delay_ms", 0);
	if (v->order < 0 || v->start_delay_ms < 0) {
		fprintf(stderr, "fakexapi: vms[%d]: order and start_delay_ms "
		    "must be non-negative\n", i);
		return -1;
	}
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
	if ((v->name = strdup(name)) == NULL)
		return -1;
	snprintf(v->ref, sizeof(v->ref), "OpaqueRef:vm-%d", i + 1);
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0002-%012d",
	    i + 1);
	v->memory_mib = json_integer_value(json_object_get(o, "memory_mib"));
	if (v->memory_mib <= 0)
		v->memory_mib = 2048;
	if (parse_power(str_or(o, "power_state", "Running"), &v->power) ==
	    -1) {
		fprintf(stderr, "fakexapi: vms[%d]: power_state is Running, "
		    "Paused, Suspended or Halted\n", i);
		return -1;
	}
	/* Running and Paused VMs have a domain somewhere: resident_on. */
	v->home = fake_host_by_name(f, on);
	v->host = fake_resident(v) ? v->home : -1;
	if (fake_resident(v) && v->host == -1) {
		fprintf(stderr, "fakexapi: vms[%d]: resident_on \"%s\" is not "
		    "a host\n", i, on);
		return -1;
	}
	if (v->home == -1)
		v->home = fake_master(f);
	v->pci = json_is_true(json_object_get(o, "pci"));
	v->local_storage = json_is_true(json_object_get(o, "local_storage"));
	v->no_pv_drivers = json_is_true(json_object_get(o, "no_pv_drivers"));
	v->hangs_on_shutdown = json_is_true(json_object_get(o,
	    "hangs_on_shutdown"));
	if (parse_cd(str_or(o, "cd", ""), &v->cd) == -1) {
		fprintf(stderr, "fakexapi: vms[%d]: cd is local_iso, dvd, "
		    "shared_iso or \"\"\n", i);
		return -1;
	}
	snprintf(v->disk_vbd, sizeof(v->disk_vbd), "OpaqueRef:VBD-disk-%d",
	    i + 1);
	snprintf(v->disk_vdi, sizeof(v->disk_vdi), "OpaqueRef:VDI-disk-%d",
	    i + 1);
	snprintf(v->cd_vbd, sizeof(v->cd_vbd), "OpaqueRef:VBD-cd-%d", i + 1);
	if (v->cd == CD_DVD) {
		snprintf(v->cd_vdi, sizeof(v->cd_vdi), "%s",
		    f->hosts[v->home].dvd_vdi);
		snprintf(v->cd_sr, sizeof(v->cd_sr), "%s",
		    f->hosts[v->home].dvd_sr);
	} else if (v->cd != CD_EMPTY) {
		snprintf(v->cd_vdi, sizeof(v->cd_vdi), "OpaqueRef:VDI-iso-%d",
		    i + 1);
		snprintf(v->cd_sr, sizeof(v->cd_sr), "%s",
		    v->cd == CD_LOCAL_ISO ? f->hosts[v->home].iso_sr :
		    SR_SHARED_ISO);
	}
	return load_vm_start(v, o, i) == -1 ? -1 : load_vm_ha(v, o, i);
}

/* Every host runs a control domain, as in a real pool. */
static int
add_control_domains(struct fake *f, int first)
{
	int	 i;

	for (i = 0; i < f->nhosts; i++) {
		struct fvm *v = &f->vms[first + i];

		if (asprintf(&v->name, "Control domain on host: %s",
		    f->hosts[i].name) == -1)
			return -1;
		snprintf(v->ref, sizeof(v->ref), "OpaqueRef:dom0-%d", i + 1);
		snprintf(v->uuid, sizeof(v->uuid),
		    "00000000-0000-0000-0003-%012d", i + 1);
		v->memory_mib = 0;
		v->host = v->home = i;
		v->power = PS_RUNNING;
		v->control_domain = 1;
	}
	return 0;
}

static void
load_durations(struct fake *f, json_t *root)
{
	f->per_vm_ms = int_or(root, "per_vm_ms", 20);
	f->evacuate_ms = int_or(root, "evacuate_ms", 0);
	f->shutdown_ms = int_or(root, "shutdown_ms", 20);
	f->boot_ms = int_or(root, "boot_ms", 100);
	/* xapi.ml's start-up: dbsync, storage, networks; half a minute. */
	f->xapi_start_ms = int_or(root, "xapi_start_ms", 30000);
	/* xapi_globs.ml host_assumed_dead_interval. */
	f->dead_after_ms = int_or(root, "dead_after_ms", 600000);
	/* xapi_fuse.ml: Constants.fuse_time after the commit. */
	f->restart_after_ms = int_or(root, "restart_after_ms", 10000);
	/* The watchdog starts xapi again (a belief: a few seconds). */
	f->restart_ms = int_or(root, "restart_ms", 5000);
	/* helpers.ml Policy.standard: max_total_wait two hours. */
	f->op_wait_ms = int_or(root, "op_wait_ms", 7200000);
	/* power-on-host's wake-on-lan: 60 tries 5 s apart (wlan.py). */
	f->power_on_wait_ms = int_or(root, "power_on_wait_ms", 300000);
	/* VM.start until the domain runs (a belief: half a second). */
	f->start_ms = int_or(root, "start_ms", 500);
	/* Shared storage ready when xapi starts. */
	f->shared_sr_ready_ms = int_or(root, "shared_sr_ready_ms", 0);
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
	f->ha_ntol = int_or(root, "ha_host_failures_to_tolerate", 1);
	f->ha_allow_overcommit = json_is_true(json_object_get(root,
	    "ha_allow_overcommit"));
	load_durations(f, root);
	f->restart_at = INFINITY;
	f->pool_other_config = json_object();
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
	if (add_control_domains(f, nuser) == -1)
		goto fail;
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

/* Running and Paused VMs have a domain: resident_on (xapi_vm_lifecycle.ml). */
int
fake_resident(const struct fvm *v)
{
	return v->power == PS_RUNNING || v->power == PS_PAUSED;
}

/*
 * Free memory as xapi counts it: resident VMs, and VMs migrating or
 * starting here, whose memory is reserved on the target meanwhile
 * (message_forwarding.ml reserve_memory_for_vm, forward_to_suitable_host:
 * scheduled_to_be_resident_on).
 */
long
fake_free_mib(const struct fake *f, int h)
{
	long	 used = 0;
	int	 i;

	for (i = 0; i < f->nvms; i++)
		if (fake_resident(&f->vms[i]) && f->vms[i].host == h)
			used += f->vms[i].memory_mib;
	for (i = 0; i < f->ntasks; i++) {
		const struct ftask *t = f->tasks[i];

		if ((t->kind == FTASK_MIGRATE || t->kind == FTASK_START) &&
		    t->stage == TS_RUN && fake_task_pending(t) &&
		    t->target == h && f->vms[t->vm].host != h)
			used += f->vms[t->vm].memory_mib;
	}
	return f->hosts[h].memory_mib - used;
}

/* Whether anything answers at the host's address: xapi is running. */
int
fake_accepts(const struct fake *f, int h)
{
	return f->hosts[h].phase == HP_STARTING || f->hosts[h].phase == HP_UP;
}

/*
 * The host stops: whatever runs there dies, its storage with it. A power
 * loss leaves the DB thinking it live until its heartbeats are missed for
 * host_assumed_dead_interval (xapi_globs.ml, db_gc.ml), and its PBDs
 * attached until its next start-up says otherwise; a clean shutdown
 * unplugs them first (xapi_host.ml prepare_for_poweroff unplug_all_pbds),
 * says so in its last heartbeat and is dead at once (db_gc.ml
 * tickle_heartbeat shutting_down). host.enabled does not change: only HA
 * disables hosts (xapi_ha.ml).
 */
void
fake_power_off(struct fake *f, int h, int clean)
{
	struct fhost	*hp = &f->hosts[h];
	int		 i;

	for (i = 0; i < f->nvms; i++) {
		struct fvm *v = &f->vms[i];

		if (!fake_resident(v) || v->host != h || v->control_domain)
			continue;
		v->crashed = 1;
		v->power = PS_HALTED;
		v->host = -1;
	}
	hp->phase = HP_DOWN;
	hp->phase_until = INFINITY;
	hp->shared_plugged_at = INFINITY;
	if (clean) {
		hp->shared_attached = 0;
		hp->live = 0;
		hp->dead_at = INFINITY;
	} else if (hp->live && hp->dead_at == INFINITY)
		hp->dead_at = fake_now(f) + f->dead_after_ms / 1000.0;
}

void
fake_power_on(struct fake *f, int h)
{
	struct fhost	*hp = &f->hosts[h];

	if (hp->phase != HP_DOWN)
		return;
	hp->phase = HP_BOOTING;
	hp->phase_until = fake_now(f) + f->boot_ms / 1000.0;
}

/*
 * Every xapi in the pool restarts (xapi_pool_transition.ml after a new
 * master is committed, xapi_fuse.ml; HA failover; an operator). Sessions
 * and tasks are not persisted (datamodel.ml PersistNothing): they are
 * gone. Running evacuations and migrations stop where they are.
 */
void
fake_restart_toolstack(struct fake *f)
{
	double	 now = fake_now(f);
	int	 i;

	for (i = 0; i < f->nhosts; i++) {
		struct fhost *h = &f->hosts[i];

		/* The heartbeat timers are the master's memory (db_gc.ml). */
		if (h->dead_at != INFINITY)
			h->dead_at = now + f->dead_after_ms / 1000.0;
		if (h->phase == HP_DOWN)
			continue;
		if (h->phase != HP_BOOTING)
			h->phase_until = now + f->restart_ms / 1000.0;
		h->phase = HP_BOOTING;
	}
	for (i = 0; i < f->nsessions; i++)
		free(f->sessions[i]);
	f->nsessions = 0;
	fake_tasks_forget(f);
	f->restart_at = INFINITY;
}

/*
 * xapi is running again. A member says Pool.hello: the master marks it
 * disabled and live until it has started (xapi_pool.ml hello). Its PBDs
 * are set to what the host has plugged (dbsync_slave.ml,
 * storage_access.ml resynchronise_pbds): after a power loss, nothing.
 */
static void
xapi_running(struct fake *f, int h, double now)
{
	struct fhost	*hp = &f->hosts[h];

	hp->phase = HP_STARTING;
	hp->phase_until = now + f->xapi_start_ms / 1000.0;
	if (!hp->master)
		hp->enabled = 0;
	hp->live = 1;
	hp->dead_at = INFINITY;
	hp->user_disabled = 0;
	hp->shared_attached = hp->shared_plugged_at <= now;
}

/*
 * xapi_host_helpers.ml consider_enabling_host, at the end of the start-up
 * and after the PBDs plugged late (create_storage.ml plug_unplugged_pbds):
 * not after a host.disable in this xapi's life (a plain one is only
 * remembered in memory, so it does not survive a restart), nor with
 * auto_enable=false; with HA, only once every PBD is attached.
 */
static void
consider_enabling(struct fake *f, int h)
{
	struct fhost	*hp = &f->hosts[h];

	if (!hp->user_disabled && !hp->no_auto_enable && (!f->ha ||
	    hp->shared_attached))
		hp->enabled = 1;
}

/*
 * The host's plug of its shared SRs succeeds: the PBDs are attached.
 * xapi plugs them in its start-up ("initialising storage", xapi.ml); a
 * shared SR whose storage is not reachable yet stays unplugged
 * (create_storage.ml initialise_storage) and is tried again once the
 * management interface has its address (xapi.ml
 * wait_management_interface, plug_unplugged_pbds). Here the plug
 * succeeds shared_sr_ready_ms after the start-up.
 */
static void
shared_plugged(struct fake *f, int h)
{
	f->hosts[h].shared_attached = 1;
	consider_enabling(f, h);
}

/* Start-up complete. Other_config keys such as MAINTENANCE_MODE stay. */
static void
xapi_started(struct fake *f, int h, double now)
{
	struct fhost	*hp = &f->hosts[h];

	hp->phase = HP_UP;
	hp->phase_until = INFINITY;
	if (hp->shared_plugged_at == INFINITY)
		hp->shared_plugged_at = now + f->shared_sr_ready_ms / 1000.0;
	if (hp->shared_plugged_at <= now)
		hp->shared_attached = 1;
	consider_enabling(f, h);
}

static void
tick_hosts(struct fake *f, double now)
{
	int	 i;

	for (i = 0; i < f->nhosts; i++) {
		struct fhost *h = &f->hosts[i];

		if (h->phase == HP_BOOTING && h->phase_until <= now)
			xapi_running(f, i, now);
		if (h->phase == HP_STARTING && h->phase_until <= now)
			xapi_started(f, i, now);
		if (h->phase == HP_UP && !h->shared_attached &&
		    h->shared_plugged_at <= now)
			shared_plugged(f, i);
		/* db_gc.ml check_host_liveness: heartbeats missed. */
		if (h->dead_at <= now) {
			h->live = 0;
			h->dead_at = INFINITY;
		}
	}
}

void
fake_tick(struct fake *f)
{
	double	 now = fake_now(f);
	int	 pass, i;

	if (f->restart_at <= now)
		fake_restart_toolstack(f);
	tick_hosts(f, now);
	/* A task's end can let another go on: a few passes settle it. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < f->ntasks; i++)
			if (fake_task_pending(f->tasks[i]))
				fake_task_step(f, f->tasks[i], now);
	fake_xencenter(f);
	fake_tasks_reap(f);
}

/* When something will move by itself next; INFINITY when idle. */
double
fake_next_event(const struct fake *f)
{
	double	 next = f->restart_at, now = fake_now(f);
	int	 i;

	for (i = 0; i < f->nhosts; i++) {
		if (f->hosts[i].phase_until < next)
			next = f->hosts[i].phase_until;
		if (f->hosts[i].dead_at < next)
			next = f->hosts[i].dead_at;
		if (f->hosts[i].phase == HP_UP &&
		    !f->hosts[i].shared_attached &&
		    f->hosts[i].shared_plugged_at < next)
			next = f->hosts[i].shared_plugged_at;
	}
	for (i = 0; i < f->ntasks; i++) {
		const struct ftask *t = f->tasks[i];

		if (!fake_task_pending(t))
			continue;
		if (t->stage == TS_RUN && t->next_at < next)
			next = t->next_at;
		else if (t->stage != TS_RUN && now + 0.01 < next)
			next = now + 0.01;
	}
	return next;
}

static const char *
phase_name(enum fphase p)
{
	switch (p) {
	case HP_DOWN:
		return "down";
	case HP_BOOTING:
		return "booting";
	case HP_STARTING:
		return "starting";
	case HP_UP:
		return "up";
	}
	return "down";
}

static json_t *
host_json(const struct fake *f, int h)
{
	const struct fhost	*hp = &f->hosts[h];
	json_t			*vms = json_array();
	int			 i;

	for (i = 0; i < f->nvms; i++)
		if (fake_resident(&f->vms[i]) && f->vms[i].host == h &&
		    !f->vms[i].control_domain)
			json_array_append_new(vms, json_string(f->vms[i].name));
	return json_pack("{s:s, s:b, s:b, s:b, s:O, s:o, s:b, s:b, s:s}",
	    "name", hp->name, "enabled", hp->enabled, "live", hp->live,
	    "master", hp->master, "other_config", hp->other_config, "vms", vms,
	    "up", fake_accepts(f, h), "ready", hp->phase == HP_UP, "phase",
	    phase_name(hp->phase));
}

static const char *const cd_names[] = { "", "local_iso", "dvd",
    "shared_iso" };

json_t *
fake_state_json(struct fake *f)
{
	json_t	*hosts = json_array(), *vms = json_array(), *crashed;
	int	 i, pending = 0;

	crashed = json_array();
	for (i = 0; i < f->nhosts; i++)
		json_array_append_new(hosts, host_json(f, i));
	for (i = 0; i < f->nvms; i++) {
		const struct fvm *v = &f->vms[i];

		if (v->control_domain)
			continue;
		json_array_append_new(vms, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:b, s:s, s:s}", "name", v->name, "power_state",
		    fake_power_name(v->power), "resident_on", v->host >= 0 ?
		    f->hosts[v->host].name : "", "crashed", v->crashed,
		    "ha_always_run", v->ha_always_run, "ha_restart_priority",
		    v->ha_restart_priority, "cd", cd_names[v->cd]));
		if (v->crashed)
			json_array_append_new(crashed, json_string(v->name));
	}
	for (i = 0; i < f->ntasks; i++)
		pending += fake_task_pending(f->tasks[i]);
	return json_pack("{s:o, s:o, s:o, s:i, s:b, s:{s:b, s:i, s:b, s:i}, "
	    "s:b, s:i}", "hosts", hosts, "vms", vms, "crashed", crashed,
	    "logins", f->logins, "ha_enabled", f->ha, "ha", "enabled", f->ha,
	    "host_failures_to_tolerate", f->ha_ntol, "allow_overcommit",
	    f->ha_allow_overcommit, "plan_exists_for",
	    fake_ha_plan_exists_for(f), "xencenter", f->xencenter,
	    "pending_tasks", pending);
}

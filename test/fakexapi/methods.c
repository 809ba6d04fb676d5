/*
 * The XenAPI methods fakexapi answers, with xapi's rules and error codes.
 * The records carry the fields xapi's have that upsxen or XenCenter read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

static json_t *
fail(struct call *c, json_t *e)
{
	c->err = e;
	return NULL;
}

static json_t *
void_ok(void)
{
	return json_string("");
}

/* Handles: an unknown one is HANDLE_INVALID [class, ref], as in xapi. */

static int
need_host(struct call *c, int i)
{
	int	 h = fake_host_by_ref(c->f, c->a[i]);

	if (h == -1)
		c->err = fake_error("HANDLE_INVALID", "host", c->a[i], NULL);
	return h;
}

static int
need_vm(struct call *c, int i)
{
	int	 v = fake_vm_by_ref(c->f, c->a[i]);

	if (v == -1)
		c->err = fake_error("HANDLE_INVALID", "VM", c->a[i], NULL);
	return v;
}

static const char *
host_ref(const struct fake *f, int h)
{
	return h >= 0 ? f->hosts[h].ref : "OpaqueRef:NULL";
}

/* session */

static json_t *
m_logout(struct call *c)
{
	struct fake	*f = c->f;
	int		 i;

	for (i = 0; i < f->nsessions; i++)
		if (strcmp(f->sessions[i], c->a[0]) == 0) {
			free(f->sessions[i]);
			f->sessions[i] = f->sessions[--f->nsessions];
			break;
		}
	return void_ok();
}

/* pool */

static json_t *
pool_record(struct fake *f)
{
	int	 planned = fake_ha_plan_exists_for(f);

	/* A date a client set, with its offset: xapi keeps and prints it. */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:b, s:b, "
	    "s:o, s:{}, s:O, s:o}", "uuid",
	    "00000000-0000-0000-0000-000000000001", "name_label", "pool",
	    "name_description", "", "master", f->hosts[fake_master(f)].ref,
	    "default_SR", SR_SHARED, "ha_enabled", f->ha,
	    "ha_host_failures_to_tolerate", (json_int_t)f->ha_ntol,
	    "ha_plan_exists_for", (json_int_t)planned, "ha_allow_overcommit",
	    f->ha_allow_overcommit, "ha_overcommitted", f->ha &&
	    planned < f->ha_ntol, "ha_statefiles", f->ha ? json_pack("[s]",
	    VDI_STATEFILE) : json_array(), "ha_configuration", "other_config",
	    f->pool_other_config, "telemetry_next_collection",
	    date_json((double)time(NULL) + 86400, 120));
}

static json_t *
m_pool_records(struct call *c)
{
	return json_pack("{s:o}", "OpaqueRef:pool-1", pool_record(c->f));
}

static json_t *
m_pool_all(struct call *c)
{
	(void)c;
	return json_pack("[s]", "OpaqueRef:pool-1");
}

static int
need_pool(struct call *c, int i)
{
	if (strcmp(c->a[i], "OpaqueRef:pool-1") == 0)
		return 0;
	c->err = fake_error("HANDLE_INVALID", "pool", c->a[i], NULL);
	return -1;
}

static json_t *
m_pool_record(struct call *c)
{
	if (need_pool(c, 1) == -1)
		return NULL;
	return pool_record(c->f);
}

static json_t *
m_pool_master(struct call *c)
{
	return json_string(c->f->hosts[fake_master(c->f)].ref);
}

/*
 * message_forwarding.ml Pool.designate_new_master forwards to the new
 * master; xapi_pool.ml designate_new_master: not under HA, nothing if it
 * is master already; else the two-phase commit moves the role at once
 * and answers, and every xapi restarts after the fuse
 * (xapi_pool_transition.ml, xapi_fuse.ml): restart_after_ms.
 */
static json_t *
m_designate(struct call *c)
{
	struct fake	*f = c->f;
	json_t		*e;
	int		 h, i;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	if ((e = fake_forward_error(f, h)) != NULL)
		return fail(c, e);
	if (f->ha)
		return fail(c, fake_error("HA_IS_ENABLED", NULL));
	if (f->hosts[h].master)
		return void_ok();
	for (i = 0; i < f->nhosts; i++)
		f->hosts[i].master = i == h;
	f->restart_at = fake_now(f) + f->restart_after_ms / 1000.0;
	return void_ok();
}

/* xapi_pool.ml ha_compute_hypothetical_max_host_failures_to_tolerate */
static json_t *
m_ha_hypothetical(struct call *c)
{
	const char	*key;
	json_t		*config = arg_json(c, 1), *val;
	int		 n;

	if (!json_is_object(config)) {
		json_decref(config);
		return fail(c, fake_error("FIELD_TYPE_ERROR", "configuration",
		    NULL));
	}
	json_object_foreach(config, key, val) {
		const char *p = json_string_value(val);

		if (p == NULL || (strcmp(p, "restart") != 0 &&
		    strcmp(p, "best-effort") != 0 && *p != '\0')) {
			c->err = fake_error("INVALID_VALUE",
			    "ha_restart_priority", p ? p : "", NULL);
			break;
		}
		if (fake_vm_by_ref(c->f, key) == -1) {
			c->err = fake_error("HANDLE_INVALID", "VM", key, NULL);
			break;
		}
	}
	n = c->err ? 0 : fake_ha_max_failures(c->f, config);
	json_decref(config);
	/* An int: "N" on the wire, as XenAPI sends 64-bit ints. */
	return c->err ? NULL : json_integer(n);
}

static json_t *
m_ha_max(struct call *c)
{
	json_t	*config = json_object();
	int	 i, n;

	for (i = 0; i < c->f->nvms; i++)
		if (c->f->vms[i].ha_always_run && strcmp(
		    c->f->vms[i].ha_restart_priority, "restart") == 0)
			json_object_set_new(config, c->f->vms[i].ref,
			    json_string("restart"));
	n = fake_ha_max_failures(c->f, config);
	json_decref(config);
	return json_integer(n);
}

/* xapi_pool.ml set_ha_host_failures_to_tolerate */
static json_t *
m_set_ntol(struct call *c)
{
	struct fake	*f = c->f;
	long long	 v;
	char		 num[32];

	if (need_pool(c, 1) == -1)
		return NULL;
	if (arg_int(c, 2, &v) == -1)
		return fail(c, fake_error("FIELD_TYPE_ERROR", "value", NULL));
	if (v < 0) {
		snprintf(num, sizeof(num), "%lld", v);
		return fail(c, fake_error("INVALID_VALUE",
		    "ha_host_failures_to_tolerate", num, NULL));
	}
	/* assert_nfailures_change_preserves_ha_plan, if a plan exists. */
	if (fake_ha_plan_exists_for(f) > 0 && !f->ha_allow_overcommit &&
	    fake_ha_plan(f, fake_ha_plan_exists_for(f), -1) &&
	    !fake_ha_plan(f, (int)v, -1))
		return fail(c, fake_error(
		    "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", NULL));
	f->ha_ntol = (int)v;
	return void_ok();
}

/* A plain field setter (datamodel_pool.ml ha_allow_overcommit). */
static json_t *
m_set_overcommit(struct call *c)
{
	xmlrpc_value	*v;
	xmlrpc_bool	 b = 0;

	if (need_pool(c, 1) == -1)
		return NULL;
	xmlrpc_array_read_item(c->env, c->params, 2, &v);
	if (!c->env->fault_occurred) {
		xmlrpc_read_bool(c->env, v, &b);
		xmlrpc_DECREF(v);
	}
	if (c->env->fault_occurred) {
		xmlrpc_env_clean(c->env);
		xmlrpc_env_init(c->env);
		return fail(c, fake_error("FIELD_TYPE_ERROR", "value", NULL));
	}
	c->f->ha_allow_overcommit = b;
	return void_ok();
}

static int
sr_known(const struct fake *f, const char *ref)
{
	int	 i;

	if (strcmp(ref, SR_SHARED) == 0 || strcmp(ref, SR_SHARED_ISO) == 0)
		return 1;
	for (i = 0; i < f->nhosts; i++)
		if (strcmp(ref, f->hosts[i].local_sr) == 0 ||
		    strcmp(ref, f->hosts[i].iso_sr) == 0 ||
		    strcmp(ref, f->hosts[i].dvd_sr) == 0)
			return 1;
	return 0;
}

/* xapi_ha.ml enable: HA_IS_ENABLED if on; the heartbeat SRs must exist. */
static json_t *
m_enable_ha(struct call *c)
{
	json_t	*srs = arg_json(c, 1), *sr;
	size_t	 i;

	if (c->f->ha) {
		json_decref(srs);
		return fail(c, fake_error("HA_IS_ENABLED", NULL));
	}
	json_array_foreach(srs, i, sr)
		if (!json_is_string(sr) || !sr_known(c->f,
		    json_string_value(sr))) {
			c->err = fake_error("HANDLE_INVALID", "SR",
			    json_is_string(sr) ? json_string_value(sr) : "",
			    NULL);
			break;
		}
	json_decref(srs);
	if (c->err)
		return NULL;
	c->f->ha = 1;
	return void_ok();
}

/* xapi_ha.ml disable: HA_NOT_ENABLED if off. */
static json_t *
m_disable_ha(struct call *c)
{
	if (!c->f->ha)
		return fail(c, fake_error("HA_NOT_ENABLED", NULL));
	c->f->ha = 0;
	return void_ok();
}

/* host */

/*
 * host.allowed_operations (xapi_host_helpers.ml valid_operations):
 * creating and removing operations exclude each other; reboot and
 * shutdown need the host disabled; power_on needs it dead.
 */
static json_t *
host_allowed(struct fake *f, int h, json_t *ops)
{
	static const char *const creating[] = { "provision", "vm_resume",
	    "vm_migrate", NULL };
	static const char *const removing[] = { "evacuate", "reboot",
	    "shutdown", NULL };
	const char	*key;
	json_t		*out = json_array(), *val;
	int		 creates = 0, removes = 0, i;

	json_object_foreach(ops, key, val) {
		creates |= strcmp(json_string_value(val), "vm_migrate") == 0;
		removes |= strcmp(json_string_value(val), "evacuate") == 0;
	}
	for (i = 0; creating[i]; i++)
		if (!removes)
			json_array_append_new(out, json_string(creating[i]));
	for (i = 0; removing[i]; i++)
		if (!creates && (i == 0 || !f->hosts[h].enabled))
			json_array_append_new(out, json_string(removing[i]));
	json_array_append_new(out, json_string("vm_start"));
	json_array_append_new(out, json_string("enable"));
	/* xapi_host_helpers.ml valid_operations: not live, a mode set. */
	if (!f->hosts[h].live && f->hosts[h].power_on_mode[0])
		json_array_append_new(out, json_string("power_on"));
	return out;
}

static json_t *
host_record(struct fake *f, int h)
{
	const struct fhost	*hp = &f->hosts[h];
	json_t			*resident = json_array(), *ops;
	int			 i, dom0 = -1;

	for (i = 0; i < f->nvms; i++) {
		if (!fake_resident(&f->vms[i]) || f->vms[i].host != h)
			continue;
		json_array_append_new(resident, json_string(f->vms[i].ref));
		if (f->vms[i].control_domain)
			dom0 = i;
	}
	ops = fake_host_ops(f, h);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:{}, s:O, "
	    "s:o, s:o, s:o, s:s, s:[s,s]}", "uuid", hp->uuid, "name_label",
	    hp->name,
	    "name_description", "", "hostname", hp->name, "address",
	    hp->address, "enabled", hp->enabled, "metrics", hp->metrics_ref,
	    "power_on_mode", hp->power_on_mode, "power_on_config",
	    "other_config", hp->other_config, "resident_VMs", resident,
	    "allowed_operations", host_allowed(f, h, ops),
	    "current_operations", ops, "control_domain", dom0 >= 0 ?
	    f->vms[dom0].ref : "OpaqueRef:NULL", "PBDs", hp->pbd[0],
	    hp->pbd[1]);
}

static json_t *
m_host_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		json_object_set_new(all, c->f->hosts[i].ref,
		    host_record(c->f, i));
	return all;
}

static json_t *
m_host_all(struct call *c)
{
	json_t	*all = json_array();
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		json_array_append_new(all, json_string(c->f->hosts[i].ref));
	return all;
}

static json_t *
m_host_record(struct call *c)
{
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	return host_record(c->f, h);
}

static json_t *
m_host_by_name(struct call *c)
{
	json_t	*refs = json_array();
	int	 h = fake_host_by_name(c->f, c->a[1]);

	if (h >= 0)
		json_array_append_new(refs, json_string(c->f->hosts[h].ref));
	return refs;
}

static json_t *
m_resident_vms(struct call *c)
{
	json_t	*rec, *vms;
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	rec = host_record(c->f, h);
	vms = json_incref(json_object_get(rec, "resident_VMs"));
	json_decref(rec);
	return vms;
}

static json_t *
metrics_record(const struct fake *f, int h)
{
	char	 uuid[64];

	snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0005-%012d", h + 1);
	return json_pack("{s:s, s:b, s:I, s:I, s:o}", "uuid", uuid, "live",
	    f->hosts[h].live, "memory_total",
	    (json_int_t)f->hosts[h].memory_mib << 20, "memory_free",
	    (json_int_t)fake_free_mib(f, h) << 20, "last_updated",
	    date_json((double)time(NULL), 0));
}

static json_t *
m_metrics_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		json_object_set_new(all, c->f->hosts[i].metrics_ref,
		    metrics_record(c->f, i));
	return all;
}

static int
need_metrics(struct call *c)
{
	int	 i;

	for (i = 0; i < c->f->nhosts; i++)
		if (strcmp(c->f->hosts[i].metrics_ref, c->a[1]) == 0)
			return i;
	c->err = fake_error("HANDLE_INVALID", "host_metrics", c->a[1], NULL);
	return -1;
}

static json_t *
m_metrics_record(struct call *c)
{
	int	 h;

	if ((h = need_metrics(c)) == -1)
		return NULL;
	return metrics_record(c->f, h);
}

static json_t *
m_metrics_live(struct call *c)
{
	int	 h;

	if ((h = need_metrics(c)) == -1)
		return NULL;
	return json_boolean(c->f->hosts[h].live);
}

/* host.disable(host [, auto_enable]): auto_enable since 25.31.0. */
static json_t *
m_host_disable(struct call *c)
{
	xmlrpc_value	*v;
	xmlrpc_bool	 b = 1;
	int		 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	if (c->nparams > 2) {
		xmlrpc_array_read_item(c->env, c->params, 2, &v);
		if (!c->env->fault_occurred) {
			xmlrpc_read_bool(c->env, v, &b);
			xmlrpc_DECREF(v);
		}
		if (c->env->fault_occurred) {
			xmlrpc_env_clean(c->env);
			xmlrpc_env_init(c->env);
			return fail(c, fake_error("FIELD_TYPE_ERROR",
			    "auto_enable", NULL));
		}
	}
	if ((c->err = fake_host_disable(c->f, h, b)) != NULL)
		return NULL;
	return void_ok();
}

static json_t *
m_host_enable(struct call *c)
{
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	if ((c->err = fake_host_enable(c->f, h)) != NULL)
		return NULL;
	return void_ok();
}

/*
 * message_forwarding.ml Host.shutdown: with_host_operation shutdown
 * (HOST_NOT_DISABLED [] while enabled, xapi_host_helpers.ml), forwarded to
 * the host. Running VMs do not refuse it (xapi_host.ml): they die with it,
 * and the host's last heartbeat marks it dead at once.
 */
static json_t *
m_host_shutdown(struct call *c)
{
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	if (c->f->hosts[h].enabled)
		return fail(c, fake_error("HOST_NOT_DISABLED", NULL));
	if ((c->err = fake_forward_error(c->f, h)) != NULL)
		return NULL;
	fake_power_off(c->f, h, 1);
	return void_ok();
}

/* The other_config map of the host or pool a call names. */
static json_t *
other_config(struct call *c)
{
	int	 h;

	if (strncmp(c->name, "pool.", 5) == 0)
		return need_pool(c, 1) == -1 ? NULL : c->f->pool_other_config;
	if ((h = need_host(c, 1)) == -1)
		return NULL;
	return c->f->hosts[h].other_config;
}

/*
 * other_config values are kept whole, whatever their length; add refuses
 * an existing key (MAP_DUPLICATE_KEY), remove ignores a missing one.
 */
static json_t *
m_add_other_config(struct call *c)
{
	json_t	*oc;

	if ((oc = other_config(c)) == NULL)
		return NULL;
	if (json_object_get(oc, c->a[2]) != NULL)
		return fail(c, fake_error("MAP_DUPLICATE_KEY", strncmp(c->name,
		    "pool.", 5) == 0 ? "pool" : "host", "other_config",
		    c->a[1], c->a[2], NULL));
	json_object_set_new(oc, c->a[2], json_string(c->a[3]));
	return void_ok();
}

static json_t *
m_remove_other_config(struct call *c)
{
	json_t	*oc;

	if ((oc = other_config(c)) == NULL)
		return NULL;
	json_object_del(oc, c->a[2]);
	return void_ok();
}

static json_t *
m_get_other_config(struct call *c)
{
	json_t	*oc;

	if ((oc = other_config(c)) == NULL)
		return NULL;
	return json_incref(oc);
}

static json_t *
m_blockers(struct call *c)
{
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	return fake_blockers(c->f, h, NULL, NULL);
}

static json_t *
m_current_operations(struct call *c)
{
	int	 h;

	if ((h = need_host(c, 1)) == -1)
		return NULL;
	return fake_host_ops(c->f, h);
}

/* Start a task; a failure before it could run goes in it too. */
static struct ftask *
start(struct call *c, enum ftask_kind kind)
{
	struct ftask	*t;

	if ((t = fake_task_new(c->f, kind, c->method)) == NULL) {
		c->err = fake_error("INTERNAL_ERROR", "out of memory", NULL);
		return NULL;
	}
	t->sync = !c->async;
	c->task = t;
	return t;
}

static json_t *
failed_start(struct call *c)
{
	fake_task_fail(c->f, c->task, c->err);
	c->err = NULL;
	return NULL;
}

/*
 * message_forwarding.ml Host.power_on: run on the master, never
 * forwarded, under with_host_operation power_on, whose checks
 * (xapi_host_helpers.ml valid_operations) refuse a live host
 * (HOST_IS_LIVE [host]) and an empty power_on_mode
 * (HOST_POWER_ON_MODE_DISABLED []). The power-on-host plugin then wakes
 * the host and polls until it is live (xapi_host.ml power_on): the call
 * lasts as long as the boot, and fails with INTERNAL_ERROR when the
 * plugin gives up.
 */
static json_t *
m_host_power_on(struct call *c)
{
	struct ftask	*t;
	int		 h;

	if ((t = start(c, FTASK_POWER_ON)) == NULL)
		return NULL;
	if ((h = need_host(c, 1)) == -1)
		return failed_start(c);
	if (c->f->hosts[h].live) {
		c->err = fake_error("HOST_IS_LIVE", c->f->hosts[h].ref, NULL);
		return failed_start(c);
	}
	if (c->f->hosts[h].power_on_mode[0] == '\0') {
		c->err = fake_error("HOST_POWER_ON_MODE_DISABLED", NULL);
		return failed_start(c);
	}
	t->host = h;
	if (!c->f->hosts[h].power_on_fails)
		fake_power_on(c->f, h);
	fake_task_step(c->f, t, fake_now(c->f));
	return NULL;
}

/*
 * host.evacuate(host [, network [, evacuate_batch_size]]) (datamodel_host.ml:
 * network since 1.297.0, batch size since 23.27.0; both may be left out).
 * fakexapi has no networks: only NULL is a network; it moves one VM at a
 * time whatever the batch size.
 */
static json_t *
m_evacuate(struct call *c)
{
	struct ftask	*t;
	long long	 batch;
	int		 h;

	if ((t = start(c, FTASK_EVACUATE)) == NULL)
		return NULL;
	if ((h = need_host(c, 1)) == -1)
		return failed_start(c);
	if (c->nparams > 2 && strcmp(c->a[2], "OpaqueRef:NULL") != 0) {
		c->err = fake_error("HANDLE_INVALID", "network", c->a[2], NULL);
		return failed_start(c);
	}
	if (c->nparams > 3 && arg_int(c, 3, &batch) == -1) {
		c->err = fake_error("FIELD_TYPE_ERROR", "evacuate_batch_size",
		    NULL);
		return failed_start(c);
	}
	t->host = h;
	fake_task_step(c->f, t, fake_now(c->f));
	return NULL;
}

/* VM */

static json_t *
vm_record(struct fake *f, int i)
{
	const struct fvm	*v = &f->vms[i];
	json_t			*vbds = json_array();

	if (!v->control_domain) {
		json_array_append_new(vbds, json_string(v->disk_vbd));
		json_array_append_new(vbds, json_string(v->cd_vbd));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:I, "
	    "s:I, s:I, s:{}, s:o, s:o, s:b, s:s, s:o, s:I, s:I}", "uuid",
	    v->uuid,
	    "name_label", v->name, "name_description", "", "power_state",
	    fake_power_name(v->power), "resident_on", host_ref(f, v->host),
	    "is_control_domain",
	    v->control_domain, "is_a_template", 0, "is_a_snapshot", 0,
	    "memory_static_max", (json_int_t)v->memory_mib << 20,
	    "memory_dynamic_max", (json_int_t)v->memory_mib << 20,
	    "memory_dynamic_min", (json_int_t)v->memory_mib << 20,
	    "other_config", "allowed_operations", fake_vm_allowed(f, i),
	    "current_operations", fake_vm_ops(f, i), "ha_always_run",
	    v->ha_always_run, "ha_restart_priority", v->ha_restart_priority,
	    "VBDs", vbds, "order", (json_int_t)v->order, "start_delay",
	    (json_int_t)(v->start_delay_ms / 1000));
}

static json_t *
m_vm_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nvms; i++)
		json_object_set_new(all, c->f->vms[i].ref, vm_record(c->f, i));
	return all;
}

/*
 * One clause of xapi's query language: field "NAME" = "VALUE". Returns
 * the text after it, or NULL when it is not one.
 */
static const char *
where_clause(const char *s, char *name, char *value, size_t len)
{
	size_t	 n;

	s += strspn(s, " ");
	if (strncmp(s, "field \"", 7) != 0)
		return NULL;
	s += 7;
	if ((n = strcspn(s, "\"")) >= len || s[n] != '"')
		return NULL;
	memcpy(name, s, n);
	name[n] = '\0';
	s += n + 1;
	s += strspn(s, " ");
	if (*s++ != '=')
		return NULL;
	s += strspn(s, " ");
	if (*s++ != '"' || (n = strcspn(s, "\"")) >= len || s[n] != '"')
		return NULL;
	memcpy(value, s, n);
	value[n] = '\0';
	return s + n + 1;
}

static int
where_match(json_t *rec, const char *name, const char *value)
{
	json_t	*v = json_object_get(rec, name);

	if (json_is_string(v))
		return strcmp(json_string_value(v), value) == 0;
	if (json_is_boolean(v))
		return strcmp(json_is_true(v) ? "true" : "false", value) == 0;
	return 0;
}

/* Whether rec matches the expression: -1 if it cannot be parsed. */
static int
where_all(const char *s, json_t *rec)
{
	size_t	 len = strlen(s) + 1;
	char	*name = malloc(len), *value = malloc(len);
	int	 keep = name && value ? 1 : -1;

	while (keep != -1 && s && *s) {
		if ((s = where_clause(s, name, value, len)) == NULL) {
			keep = -1;
			break;
		}
		keep = keep && where_match(rec, name, value);
		s += strspn(s, " ");
		if (*s && strncmp(s, "and ", 4) != 0) {
			keep = -1;
			break;
		}
		if (*s)
			s += 4;
	}
	free(name);
	free(value);
	return keep;
}

/* VM.get_all_records_where: clauses joined by "and", as xapi parses. */
static json_t *
m_vm_records_where(struct call *c)
{
	json_t	*all = json_object(), *rec;
	int	 i, keep;

	for (i = 0; i < c->f->nvms; i++) {
		rec = vm_record(c->f, i);
		if ((keep = where_all(c->a[1], rec)) == -1) {
			json_decref(rec);
			json_decref(all);
			return fail(c, fake_error("INTERNAL_ERROR",
			    "Db_filter.Expression_error", c->a[1], NULL));
		}
		if (keep)
			json_object_set_new(all, c->f->vms[i].ref, rec);
		else
			json_decref(rec);
	}
	return all;
}

static json_t *
m_vm_record(struct call *c)
{
	int	 v;

	if ((v = need_vm(c, 1)) == -1)
		return NULL;
	return vm_record(c->f, v);
}

static json_t *
m_vm_field(struct call *c, const char *field)
{
	json_t	*rec, *out;
	int	 v;

	if ((v = need_vm(c, 1)) == -1)
		return NULL;
	rec = vm_record(c->f, v);
	out = json_incref(json_object_get(rec, field));
	json_decref(rec);
	return out;
}

static json_t *
m_vm_vbds(struct call *c)
{
	return m_vm_field(c, "VBDs");
}

static json_t *
m_vm_power_state(struct call *c)
{
	return m_vm_field(c, "power_state");
}

static json_t *
m_vm_allowed_operations(struct call *c)
{
	return m_vm_field(c, "allowed_operations");
}

static json_t *
m_vm_by_uuid(struct call *c)
{
	int	 i;

	for (i = 0; i < c->f->nvms; i++)
		if (strcmp(c->f->vms[i].uuid, c->a[1]) == 0)
			return json_string(c->f->vms[i].ref);
	return fail(c, fake_error("UUID_INVALID", "VM", c->a[1], NULL));
}

/*
 * xapi_vm.ml set_ha_restart_priority: a new "restart" must keep the HA
 * plan; a running VM's ha_always_run follows, but only when the priority
 * changes.
 */
static json_t *
set_priority(struct call *c, int v, const char *prio)
{
	struct fvm	*vm = &c->f->vms[v];
	json_t		*e;

	if (strcmp(prio, "restart") != 0 && strcmp(prio, "best-effort") != 0 &&
	    *prio != '\0')
		return fail(c, fake_error("INVALID_VALUE",
		    "ha_restart_priority", prio, NULL));
	if (strcmp(vm->ha_restart_priority, "restart") != 0 &&
	    strcmp(prio, "restart") == 0 && vm->power != PS_HALTED &&
	    (e = fake_ha_protect_error(c->f, v)) != NULL)
		return fail(c, e);
	if (strcmp(vm->ha_restart_priority, prio) != 0) {
		snprintf(vm->ha_restart_priority,
		    sizeof(vm->ha_restart_priority), "%s", prio);
		if (vm->power == PS_RUNNING)
			vm->ha_always_run = strcmp(prio, "restart") == 0;
	}
	return void_ok();
}

static json_t *
m_vm_set_priority(struct call *c)
{
	int	 v;

	if ((v = need_vm(c, 1)) == -1)
		return NULL;
	return set_priority(c, v, c->a[2]);
}

/* xapi_vm.ml set_ha_always_run: true is priority "restart", false "". */
static json_t *
m_vm_set_always_run(struct call *c)
{
	xmlrpc_value	*val;
	xmlrpc_bool	 b = 0;
	int		 v;

	if ((v = need_vm(c, 1)) == -1)
		return NULL;
	xmlrpc_array_read_item(c->env, c->params, 2, &val);
	if (!c->env->fault_occurred) {
		xmlrpc_read_bool(c->env, val, &b);
		xmlrpc_DECREF(val);
	}
	if (c->env->fault_occurred) {
		xmlrpc_env_clean(c->env);
		xmlrpc_env_init(c->env);
		return fail(c, fake_error("FIELD_TYPE_ERROR", "value", NULL));
	}
	return set_priority(c, v, b ? "restart" : "");
}

static json_t *
vm_task(struct call *c, enum ftask_kind kind)
{
	struct ftask	*t;
	int		 v;

	if ((t = start(c, kind)) == NULL)
		return NULL;
	if ((v = need_vm(c, 1)) == -1)
		return failed_start(c);
	t->vm = v;
	fake_task_step(c->f, t, fake_now(c->f));
	return NULL;
}

static json_t *
m_clean_shutdown(struct call *c)
{
	return vm_task(c, FTASK_CLEAN_SHUTDOWN);
}

static json_t *
m_hard_shutdown(struct call *c)
{
	return vm_task(c, FTASK_HARD_SHUTDOWN);
}

/* A bool argument; -1 if it is not one. */
static int
arg_bool(struct call *c, int i)
{
	json_t	*j = arg_json(c, i);
	int	 b = json_is_boolean(j) ? json_is_true(j) : -1;

	json_decref(j);
	return b;
}

/*
 * VM.start(vm, start_paused, force). force only loosens checks fakexapi
 * does not make (with_vm_operation ~strict).
 */
static json_t *
m_vm_start(struct call *c)
{
	struct ftask	*t;
	int		 v, paused;

	if ((t = start(c, FTASK_START)) == NULL)
		return NULL;
	if ((v = need_vm(c, 1)) == -1)
		return failed_start(c);
	if ((paused = arg_bool(c, 2)) == -1 || arg_bool(c, 3) == -1) {
		c->err = fake_error("FIELD_TYPE_ERROR", paused == -1 ?
		    "start_paused" : "force", NULL);
		return failed_start(c);
	}
	t->vm = v;
	t->start_paused = paused;
	fake_task_step(c->f, t, fake_now(c->f));
	return NULL;
}

/* VM.pool_migrate(vm, host, options) */
static json_t *
m_pool_migrate(struct call *c)
{
	struct ftask	*t;
	json_t		*opts;
	int		 v, h;

	if ((t = start(c, FTASK_MIGRATE)) == NULL)
		return NULL;
	if ((v = need_vm(c, 1)) == -1 || (h = need_host(c, 2)) == -1)
		return failed_start(c);
	opts = arg_json(c, 3);
	if (!json_is_object(opts)) {
		json_decref(opts);
		c->err = fake_error("FIELD_TYPE_ERROR", "options", NULL);
		return failed_start(c);
	}
	json_decref(opts);
	t->vm = v;
	t->target = h;
	fake_task_step(c->f, t, fake_now(c->f));
	return NULL;
}

/* VBD, VDI, SR: a disk and a CD drive per VM; the SRs they live on. */

static int
need_vbd(struct call *c, int *cd)
{
	int	 i;

	for (i = 0; i < c->f->nvms; i++) {
		if (c->f->vms[i].control_domain)
			continue;
		if (strcmp(c->f->vms[i].disk_vbd, c->a[1]) == 0) {
			*cd = 0;
			return i;
		}
		if (strcmp(c->f->vms[i].cd_vbd, c->a[1]) == 0) {
			*cd = 1;
			return i;
		}
	}
	c->err = fake_error("HANDLE_INVALID", "VBD", c->a[1], NULL);
	return -1;
}

static json_t *
vbd_record(struct fake *f, int v, int cd)
{
	const struct fvm	*vm = &f->vms[v];
	int			 empty = cd && vm->cd == CD_EMPTY;
	char			 uuid[64];

	snprintf(uuid, sizeof(uuid), "00000000-0000-0000-%s-%012d", cd ?
	    "0007" : "0006", v + 1);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:b, s:b, "
	    "s:o, s:{}, s:{}}", "uuid", uuid, "VM", vm->ref, "VDI", empty ?
	    "OpaqueRef:NULL" : cd ? vm->cd_vdi : vm->disk_vdi, "type", cd ?
	    "CD" : "Disk", "empty", empty, "userdevice", cd ? "3" : "0",
	    "mode", cd ? "RO" : "RW", "device", cd ? "xvdd" : "xvda",
	    "bootable", !cd, "currently_attached", fake_resident(vm),
	    "allowed_operations", cd ? json_pack("[s]", empty ? "insert" :
	    "eject") : json_array(), "current_operations", "other_config");
}

static json_t *
m_vbd_record(struct call *c)
{
	int	 v, cd;

	if ((v = need_vbd(c, &cd)) == -1)
		return NULL;
	return vbd_record(c->f, v, cd);
}

static json_t *
m_vbd_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->nvms; i++) {
		if (c->f->vms[i].control_domain)
			continue;
		json_object_set_new(all, c->f->vms[i].disk_vbd,
		    vbd_record(c->f, i, 0));
		json_object_set_new(all, c->f->vms[i].cd_vbd,
		    vbd_record(c->f, i, 1));
	}
	return all;
}

/*
 * message_forwarding.ml VBD.eject: the VBD's operation checks
 * (xapi_vbd_helpers.ml: a disk is VBD_NOT_REMOVABLE_MEDIA, an empty drive
 * VBD_IS_EMPTY), then a running VM's host does it (forward_vbd_op).
 */
static json_t *
m_vbd_eject(struct call *c)
{
	struct fvm	*vm;
	int		 v, cd;

	if ((v = need_vbd(c, &cd)) == -1)
		return NULL;
	vm = &c->f->vms[v];
	if (!cd)
		return fail(c, fake_error("VBD_NOT_REMOVABLE_MEDIA", c->a[1],
		    NULL));
	if (vm->cd == CD_EMPTY)
		return fail(c, fake_error("VBD_IS_EMPTY", c->a[1], NULL));
	if (fake_resident(vm) && (c->err = fake_forward_error(c->f,
	    vm->host)) != NULL)
		return NULL;
	vm->cd = CD_EMPTY;
	return void_ok();
}

struct vdi {
	const char	*ref;
	const char	*name;
	const char	*sr;
	int		 vm;
};

static int
find_vdi(const struct fake *f, const char *ref, struct vdi *d)
{
	int	 i;

	d->ref = ref;
	d->vm = -1;
	if (strcmp(ref, VDI_STATEFILE) == 0) {
		d->name = "Statefile for HA";
		d->sr = SR_SHARED;
		return 0;
	}
	for (i = 0; i < f->nhosts; i++)
		if (strcmp(ref, f->hosts[i].dvd_vdi) == 0) {
			d->name = "SCSI 0:0:0:0";
			d->sr = f->hosts[i].dvd_sr;
			return 0;
		}
	for (i = 0; i < f->nvms; i++) {
		const struct fvm *v = &f->vms[i];

		if (v->control_domain)
			continue;
		d->vm = i;
		if (strcmp(ref, v->disk_vdi) == 0) {
			d->name = "disk";
			d->sr = v->local_storage ? f->hosts[v->home].local_sr :
			    SR_SHARED;
			return 0;
		}
		if (v->cd_vdi[0] && strcmp(ref, v->cd_vdi) == 0 &&
		    strncmp(ref, "OpaqueRef:VDI-iso-", 18) == 0) {
			d->name = "install.iso";
			d->sr = v->cd_sr;
			return 0;
		}
	}
	return -1;
}

static json_t *
m_vdi_record(struct call *c)
{
	struct vdi	 d;

	if (find_vdi(c->f, c->a[1], &d) == -1)
		return fail(c, fake_error("HANDLE_INVALID", "VDI", c->a[1],
		    NULL));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{}}", "uuid",
	    d.ref + 10, "name_label", d.name, "name_description", "", "SR",
	    d.sr, "type", strcmp(d.ref, VDI_STATEFILE) == 0 ? "ha_statefile" :
	    "user", "read_only", strstr(d.ref, "disk") == NULL, "sharable", 0,
	    "other_config");
}

struct sr {
	const char	*ref;
	const char	*name;
	const char	*type;
	const char	*content_type;
	int		 shared;
	int		 dvd;
	int		 pbd;		/* fhost.pbd[pbd], -1: none */
};

static int
sr_list(const struct fake *f, struct sr *out)
{
	int	 i, n = 0;

	out[n++] = (struct sr){ SR_SHARED, "Shared storage", "nfs", "user", 1,
	    0, 0 };
	out[n++] = (struct sr){ SR_SHARED_ISO, "ISO library", "iso", "iso",
	    1, 0, 1 };
	for (i = 0; i < f->nhosts; i++) {
		out[n++] = (struct sr){ f->hosts[i].local_sr, "Local storage",
		    "lvm", "user", 0, 0, -1 };
		out[n++] = (struct sr){ f->hosts[i].iso_sr,
		    "Local ISO library", "iso", "iso", 0, 0, -1 };
		/*
		 * The physical drive's SR (firstboot makes it): type udev,
		 * sm_config type cd, as xenadmin SR.Physical() reads it.
		 * content_type "iso" is a belief: the research could not
		 * find what the installer writes.
		 */
		out[n++] = (struct sr){ f->hosts[i].dvd_sr, "DVD drives",
		    "udev", "iso", 0, 1, -1 };
	}
	return n;
}

/*
 * The PBDs of the shared SRs, one per host; the hosts' own SRs' are not
 * modelled (their PBDs is empty).
 */
static json_t *
sr_record(const struct fake *f, const struct sr *s)
{
	json_t	*pbds = json_array();
	int	 i;

	for (i = 0; s->pbd >= 0 && i < f->nhosts; i++)
		json_array_append_new(pbds,
		    json_string(f->hosts[i].pbd[s->pbd]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{}, s:o, s:o}",
	    "uuid", s->ref + 10, "name_label", s->name, "name_description", "",
	    "type", s->type, "content_type", s->content_type, "shared",
	    s->shared, "other_config", "sm_config", s->dvd ?
	    json_pack("{s:s}", "type", "cd") : json_object(), "PBDs", pbds);
}

static json_t *
m_sr_record(struct call *c)
{
	struct sr	*srs;
	json_t		*out = NULL;
	int		 i, n;

	srs = calloc((size_t)c->f->nhosts * 3 + 2, sizeof(*srs));
	if (srs == NULL)
		return fail(c, fake_error("INTERNAL_ERROR", "out of memory",
		    NULL));
	n = sr_list(c->f, srs);
	for (i = 0; i < n && out == NULL; i++)
		if (strcmp(srs[i].ref, c->a[1]) == 0)
			out = sr_record(c->f, &srs[i]);
	free(srs);
	if (out == NULL)
		c->err = fake_error("HANDLE_INVALID", "SR", c->a[1], NULL);
	return out;
}

static json_t *
m_sr_records(struct call *c)
{
	struct sr	*srs;
	json_t		*all = json_object();
	int		 i, n;

	srs = calloc((size_t)c->f->nhosts * 3 + 2, sizeof(*srs));
	if (srs == NULL)
		return all;
	n = sr_list(c->f, srs);
	for (i = 0; i < n; i++)
		json_object_set_new(all, srs[i].ref, sr_record(c->f, &srs[i]));
	free(srs);
	return all;
}

/*
 * PBD: each host's to SR_SHARED (OpaqueRef:PBD-<host>-1) and to
 * SR_SHARED_ISO (-2), currently_attached as the DB has it (pool.c).
 */
static json_t *
pbd_record(const struct fake *f, int h, int n)
{
	const struct fhost	*hp = &f->hosts[h];

	return json_pack("{s:s, s:s, s:s, s:{}, s:b, s:{}}", "uuid",
	    hp->pbd[n] + 10, "host", hp->ref, "SR", n ? SR_SHARED_ISO :
	    SR_SHARED, "device_config", "currently_attached",
	    hp->shared_attached, "other_config");
}

static json_t *
m_pbd_record(struct call *c)
{
	int	 h, n;

	for (h = 0; h < c->f->nhosts; h++)
		for (n = 0; n < 2; n++)
			if (strcmp(c->f->hosts[h].pbd[n], c->a[1]) == 0)
				return pbd_record(c->f, h, n);
	return fail(c, fake_error("HANDLE_INVALID", "PBD", c->a[1], NULL));
}

static json_t *
m_pbd_records(struct call *c)
{
	json_t	*all = json_object();
	int	 h, n;

	for (h = 0; h < c->f->nhosts; h++)
		for (n = 0; n < 2; n++)
			json_object_set_new(all, c->f->hosts[h].pbd[n],
			    pbd_record(c->f, h, n));
	return all;
}

/* task */

static struct ftask *
need_task(struct call *c)
{
	struct ftask	*t = fake_task_by_ref(c->f, c->a[1]);

	if (t == NULL)
		c->err = fake_error("HANDLE_INVALID", "task", c->a[1], NULL);
	return t;
}

static json_t *
m_task_record(struct call *c)
{
	struct ftask	*t;

	if ((t = need_task(c)) == NULL)
		return NULL;
	return fake_task_record(c->f, t);
}

static json_t *
m_task_records(struct call *c)
{
	json_t	*all = json_object();
	int	 i;

	for (i = 0; i < c->f->ntasks; i++)
		if (!c->f->tasks[i]->destroyed)
			json_object_set_new(all, c->f->tasks[i]->ref,
			    fake_task_record(c->f, c->f->tasks[i]));
	return all;
}

static json_t *
m_task_status(struct call *c)
{
	struct ftask	*t;

	if ((t = need_task(c)) == NULL)
		return NULL;
	return json_string(t->status);
}

/* xapi_task.ml destroy: a pending task goes once it has completed. */
static json_t *
m_task_destroy(struct call *c)
{
	struct ftask	*t;

	if ((t = need_task(c)) == NULL)
		return NULL;
	if (fake_task_pending(t))
		t->destroy_when_done = 1;
	else
		t->destroyed = 1;
	return void_ok();
}

/*
 * message_forwarding.ml Task.cancel: a task forwarded to a member is
 * cancelled there (do_op_on); xapi_task.ml cancel never refuses.
 */
static json_t *
m_task_cancel(struct call *c)
{
	struct ftask	*t;

	if ((t = need_task(c)) == NULL)
		return NULL;
	if (t->forwarded_to >= 0 && fake_task_pending(t) &&
	    (c->err = fake_forward_error(c->f, t->forwarded_to)) != NULL)
		return NULL;
	fake_task_cancel(c->f, t);
	return void_ok();
}

const struct method fake_methods[] = {
	{ "session.logout", 1, 1, 0, m_logout },
	{ "pool.get_all_records", 1, 1, 0, m_pool_records },
	{ "pool.get_all", 1, 1, 0, m_pool_all },
	{ "pool.get_record", 2, 2, 0, m_pool_record },
	{ "pool.get_master", 1, 1, 0, m_pool_master },
	{ "pool.designate_new_master", 2, 2, 1, m_designate },
	{ "pool.ha_compute_hypothetical_max_host_failures_to_tolerate", 2, 2,
	    1, m_ha_hypothetical },
	{ "pool.ha_compute_max_host_failures_to_tolerate", 1, 1, 1,
	    m_ha_max },
	{ "pool.set_ha_host_failures_to_tolerate", 3, 3, 1, m_set_ntol },
	{ "pool.set_ha_allow_overcommit", 3, 3, 0, m_set_overcommit },
	{ "pool.add_to_other_config", 4, 4, 0, m_add_other_config },
	{ "pool.remove_from_other_config", 3, 3, 0, m_remove_other_config },
	{ "pool.get_other_config", 2, 2, 0, m_get_other_config },
	{ "pool.enable_ha", 3, 3, 1, m_enable_ha },
	{ "pool.disable_ha", 1, 1, 1, m_disable_ha },
	{ "host.get_all_records", 1, 1, 0, m_host_records },
	{ "host.get_all", 1, 1, 0, m_host_all },
	{ "host.get_record", 2, 2, 0, m_host_record },
	{ "host.get_by_name_label", 2, 2, 0, m_host_by_name },
	{ "host.get_resident_VMs", 2, 2, 0, m_resident_vms },
	{ "host_metrics.get_all_records", 1, 1, 0, m_metrics_records },
	{ "host_metrics.get_record", 2, 2, 0, m_metrics_record },
	{ "host_metrics.get_live", 2, 2, 0, m_metrics_live },
	{ "host.disable", 2, 3, 1, m_host_disable },
	{ "host.enable", 2, 2, 1, m_host_enable },
	{ "host.shutdown", 2, 2, 1, m_host_shutdown },
	{ "host.power_on", 2, 2, 1, m_host_power_on },
	{ "host.add_to_other_config", 4, 4, 0, m_add_other_config },
	{ "host.remove_from_other_config", 3, 3, 0, m_remove_other_config },
	{ "host.get_other_config", 2, 2, 0, m_get_other_config },
	{ "host.get_vms_which_prevent_evacuation", 2, 2, 1, m_blockers },
	{ "host.get_current_operations", 2, 2, 0, m_current_operations },
	{ "host.evacuate", 2, 4, 1, m_evacuate },
	{ "VM.get_all_records", 1, 1, 0, m_vm_records },
	{ "VM.get_all_records_where", 2, 2, 0, m_vm_records_where },
	{ "VM.get_record", 2, 2, 0, m_vm_record },
	{ "VM.get_by_uuid", 2, 2, 0, m_vm_by_uuid },
	{ "VM.get_VBDs", 2, 2, 0, m_vm_vbds },
	{ "VM.get_power_state", 2, 2, 0, m_vm_power_state },
	{ "VM.get_allowed_operations", 2, 2, 0, m_vm_allowed_operations },
	{ "VM.set_ha_restart_priority", 3, 3, 0, m_vm_set_priority },
	{ "VM.set_ha_always_run", 3, 3, 0, m_vm_set_always_run },
	{ "VM.clean_shutdown", 2, 2, 1, m_clean_shutdown },
	{ "VM.hard_shutdown", 2, 2, 1, m_hard_shutdown },
	{ "VM.pool_migrate", 4, 4, 1, m_pool_migrate },
	{ "VM.start", 4, 4, 1, m_vm_start },
	{ "VBD.get_record", 2, 2, 0, m_vbd_record },
	{ "VBD.get_all_records", 1, 1, 0, m_vbd_records },
	{ "VBD.eject", 2, 2, 1, m_vbd_eject },
	{ "VDI.get_record", 2, 2, 0, m_vdi_record },
	{ "SR.get_record", 2, 2, 0, m_sr_record },
	{ "SR.get_all_records", 1, 1, 0, m_sr_records },
	{ "PBD.get_record", 2, 2, 0, m_pbd_record },
	{ "PBD.get_all_records", 1, 1, 0, m_pbd_records },
	{ "task.get_record", 2, 2, 0, m_task_record },
	{ "task.get_all_records", 1, 1, 0, m_task_records },
	{ "task.get_status", 2, 2, 0, m_task_status },
	{ "task.destroy", 2, 2, 0, m_task_destroy },
	{ "task.cancel", 2, 2, 1, m_task_cancel },
	{ NULL, 0, 0, 0, NULL }
};

/*
 * fake.* methods: how tests inject faults into the simulated pool and read
 * its state. They need no session and answer on every member, hung or not.
 *
 *   fake.state()                          JSON text of hosts, VMs, crashes
 *   fake.fail_next(method, n, code, p...)  the next n calls fail so
 *   fake.delay(method | "*", ms)           every call waits ms first
 *   fake.hang(host, bool)                  the member stops answering
 *   fake.drop(host, n)                     its next n calls: connection cut
 *   fake.power(host, bool)                 power lost / power back (boots)
 *   fake.invalidate_sessions()             every session becomes invalid
 *   fake.restart_toolstack()               every xapi restarts now
 *   fake.xencenter(bool)                   a XenCenter is connected
 *   fake.set_ha(bool)
 *   fake.set_master(host)                  emergency transition to master
 *   fake.set_master_after(method, host)    the same, once the next call of
 *                                          method naming host is answered
 *                                          (a race with the client, won)
 */
#include <stdlib.h>
#include <string.h>

#include "fake.h"

static xmlrpc_value *
control_ok(xmlrpc_env *env)
{
	return xmlrpc_string_new(env, "OK");
}

static xmlrpc_value *
c_state(xmlrpc_env *env, struct fake *f)
{
	json_t		*st = fake_state_json(f);
	char		*s = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
	xmlrpc_value	*v;

	json_decref(st);
	v = xmlrpc_string_new(env, s ? s : "{}");
	free(s);
	return v;
}

static xmlrpc_value *
c_fail_next(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	struct ffault	*ft;
	xmlrpc_value	*item;
	const char	*s;
	int		 n, i, count;

	n = xmlrpc_array_size(env, params);
	if (n < 3 || f->nfaults == (int)(sizeof(f->faults) /
	    sizeof(f->faults[0]))) {
		xmlrpc_faultf(env, "fake.fail_next(method, count, code, ...)");
		return NULL;
	}
	ft = &f->faults[f->nfaults];
	ft->desc = json_array();
	for (i = 0; i < n && !env->fault_occurred; i++) {
		xmlrpc_array_read_item(env, params, i, &item);
		if (env->fault_occurred)
			break;
		if (i == 1)
			xmlrpc_read_int(env, item, &count);
		else {
			xmlrpc_read_string(env, item, &s);
			if (!env->fault_occurred && i == 0)
				snprintf(ft->method, sizeof(ft->method), "%s", s);
			else if (!env->fault_occurred)
				json_array_append_new(ft->desc, json_string(s));
			if (!env->fault_occurred)
				free((void *)s);
		}
		xmlrpc_DECREF(item);
	}
	if (env->fault_occurred) {
		json_decref(ft->desc);
		return NULL;
	}
	ft->count = count;
	f->nfaults++;
	return control_ok(env);
}

static xmlrpc_value *
c_delay(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	const char	*method;
	int		 ms, i;

	xmlrpc_decompose_value(env, params, "(si)", &method, &ms);
	if (env->fault_occurred)
		return NULL;
	for (i = 0; i < f->ndelays; i++)
		if (strcmp(f->delays[i].method, method) == 0)
			break;
	if (i == f->ndelays && f->ndelays < (int)(sizeof(f->delays) /
	    sizeof(f->delays[0])))
		f->ndelays++;
	if (i < f->ndelays) {
		snprintf(f->delays[i].method, sizeof(f->delays[i].method), "%s",
		    method);
		f->delays[i].ms = ms;
	}
	free((void *)method);
	return control_ok(env);
}

/* The host a control call names; takes (and frees) the name. */
static int
named_host(xmlrpc_env *env, struct fake *f, const char *name)
{
	int	 h = fake_host_by_name(f, name);

	if (h == -1)
		xmlrpc_faultf(env, "no host \"%s\"", name);
	free((void *)name);
	return h;
}

static int
host_arg(xmlrpc_env *env, struct fake *f, xmlrpc_value *params, int *on)
{
	const char	*name;
	xmlrpc_bool	 b;

	xmlrpc_decompose_value(env, params, "(sb)", &name, &b);
	if (env->fault_occurred)
		return -1;
	*on = b;
	return named_host(env, f, name);
}

static xmlrpc_value *
c_hang(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	int	 h, on;

	if ((h = host_arg(env, f, params, &on)) == -1)
		return NULL;
	f->hosts[h].hung = on;
	return control_ok(env);
}

static xmlrpc_value *
c_drop(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	const char	*name;
	int		 n, h;

	xmlrpc_decompose_value(env, params, "(si)", &name, &n);
	if (env->fault_occurred || (h = named_host(env, f, name)) == -1)
		return NULL;
	f->hosts[h].drops = n;
	return control_ok(env);
}

static xmlrpc_value *
c_power(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	int	 h, on;

	if ((h = host_arg(env, f, params, &on)) == -1)
		return NULL;
	if (!on)
		fake_power_off(f, h, 0);
	else
		fake_power_on(f, h);
	return control_ok(env);
}

/* HA failover, an operator, xe-toolstack-restart: as after a handover. */
static xmlrpc_value *
c_restart_toolstack(xmlrpc_env *env, struct fake *f)
{
	fake_restart_toolstack(f);
	return control_ok(env);
}

static xmlrpc_value *
c_xencenter(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	xmlrpc_bool	 b;

	xmlrpc_decompose_value(env, params, "(b)", &b);
	if (env->fault_occurred)
		return NULL;
	f->xencenter = b;
	fake_xencenter(f);
	return control_ok(env);
}

static xmlrpc_value *
c_invalidate(xmlrpc_env *env, struct fake *f)
{
	int	 i;

	for (i = 0; i < f->nsessions; i++)
		free(f->sessions[i]);
	f->nsessions = 0;
	return control_ok(env);
}

static xmlrpc_value *
c_set_ha(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	xmlrpc_bool	 b;

	xmlrpc_decompose_value(env, params, "(b)", &b);
	if (env->fault_occurred)
		return NULL;
	f->ha = b;
	return control_ok(env);
}

static xmlrpc_value *
c_set_master(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	const char	*name;
	int		 h, i;

	xmlrpc_decompose_value(env, params, "(s)", &name);
	if (env->fault_occurred || (h = named_host(env, f, name)) == -1)
		return NULL;
	for (i = 0; i < f->nhosts; i++)
		f->hosts[i].master = i == h;
	return control_ok(env);
}

static xmlrpc_value *
c_set_master_after(xmlrpc_env *env, struct fake *f, xmlrpc_value *params)
{
	const char	*method, *name;
	struct ftrigger	*tr;
	int		 h;

	xmlrpc_decompose_value(env, params, "(ss)", &method, &name);
	if (env->fault_occurred)
		return NULL;
	if ((h = named_host(env, f, name)) == -1 || f->ntriggers ==
	    (int)(sizeof(f->triggers) / sizeof(f->triggers[0]))) {
		if (!env->fault_occurred)
			xmlrpc_faultf(env, "too many fake.set_master_after");
		free((void *)method);
		return NULL;
	}
	tr = &f->triggers[f->ntriggers++];
	snprintf(tr->method, sizeof(tr->method), "%s", method);
	tr->host = h;
	free((void *)method);
	return control_ok(env);
}

xmlrpc_value *
fake_control(xmlrpc_env *env, struct fake *f, const char *method,
    xmlrpc_value *params)
{
	if (strcmp(method, "fake.state") == 0)
		return c_state(env, f);
	if (strcmp(method, "fake.fail_next") == 0)
		return c_fail_next(env, f, params);
	if (strcmp(method, "fake.delay") == 0)
		return c_delay(env, f, params);
	if (strcmp(method, "fake.hang") == 0)
		return c_hang(env, f, params);
	if (strcmp(method, "fake.drop") == 0)
		return c_drop(env, f, params);
	if (strcmp(method, "fake.power") == 0)
		return c_power(env, f, params);
	if (strcmp(method, "fake.invalidate_sessions") == 0)
		return c_invalidate(env, f);
	if (strcmp(method, "fake.set_master") == 0)
		return c_set_master(env, f, params);
	if (strcmp(method, "fake.set_master_after") == 0)
		return c_set_master_after(env, f, params);
	if (strcmp(method, "fake.set_ha") == 0)
		return c_set_ha(env, f, params);
	if (strcmp(method, "fake.restart_toolstack") == 0)
		return c_restart_toolstack(env, f);
	if (strcmp(method, "fake.xencenter") == 0)
		return c_xencenter(env, f, params);
	xmlrpc_faultf(env, "unknown control method %s", method);
	return NULL;
}

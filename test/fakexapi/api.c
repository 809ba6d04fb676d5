/*
 * How xapi answers a call, before and around the method itself: the
 * emergency mode of a member still starting, login and the session check
 * (HOST_IS_SLAVE from members), the method's name and arity, Async calls
 * (only those checks are answered synchronously: everything else ends up
 * in the task, gen_server.ml, server_helpers.ml), Success/Failure structs
 * (a Failure is not an XML-RPC fault), the call log, and the faults tests
 * inject.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xmlrpc-c/abyss.h>

#include "api.h"

/* JSON <-> XML-RPC, for failure descriptions, maps and the call log. */

static xmlrpc_value *
to_xmlrpc(xmlrpc_env *env, json_t *j)
{
	xmlrpc_value	*v, *item;
	const char	*key;
	json_t		*e;
	size_t		 i;
	char		 num[32];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v = xmlrpc_struct_new(env);
		json_object_foreach(j, key, e) {
			item = to_xmlrpc(env, e);
			xmlrpc_struct_set_value(env, v, key, item);
			xmlrpc_DECREF(item);
		}
		return v;
	case JSON_ARRAY:
		v = xmlrpc_array_new(env);
		json_array_foreach(j, i, e) {
			item = to_xmlrpc(env, e);
			xmlrpc_array_append_item(env, v, item);
			xmlrpc_DECREF(item);
		}
		return v;
	case JSON_TRUE:
	case JSON_FALSE:
		return xmlrpc_bool_new(env, json_is_true(j));
	case JSON_INTEGER:
		/*
		 * XenAPI's ints are 64-bit: rpclib writes them as an untyped
		 * <value>N</value>, which every client reads as the string
		 * "N"; a <string> says the same.
		 */
		snprintf(num, sizeof(num), "%lld", json_integer_value(j));
		return xmlrpc_string_new(env, num);
	case JSON_REAL:
		return xmlrpc_double_new(env, json_real_value(j));
	case JSON_STRING:
		return xmlrpc_string_new_lp(env, json_string_length(j),
		    json_string_value(j));
	case JSON_NULL:
		break;
	}
	return xmlrpc_string_new(env, "");
}

static json_t *
from_xmlrpc(xmlrpc_env *env, xmlrpc_value *v)
{
	json_t		*out;
	xmlrpc_value	*k, *e;
	const char	*s;
	size_t		 len;
	int		 i, n;
	xmlrpc_bool	 b;
	double		 d;
	int		 iv;
	xmlrpc_int64	 i8;

	switch (xmlrpc_value_type(v)) {
	case XMLRPC_TYPE_STRING:
		xmlrpc_read_string_lp(env, v, &len, &s);
		if (env->fault_occurred)
			return json_null();
		out = json_stringn(s, len);
		free((void *)s);
		return out ? out : json_null();
	case XMLRPC_TYPE_BOOL:
		xmlrpc_read_bool(env, v, &b);
		return json_boolean(b);
	case XMLRPC_TYPE_INT:
		xmlrpc_read_int(env, v, &iv);
		return json_integer(iv);
	case XMLRPC_TYPE_I8:
		xmlrpc_read_i8(env, v, &i8);
		return json_integer(i8);
	case XMLRPC_TYPE_DOUBLE:
		xmlrpc_read_double(env, v, &d);
		return json_real(d);
	case XMLRPC_TYPE_DATETIME:
		xmlrpc_read_datetime_str(env, v, &s);
		if (env->fault_occurred)
			return json_null();
		out = json_string(s);
		free((void *)s);
		return out;
	case XMLRPC_TYPE_ARRAY:
		out = json_array();
		n = xmlrpc_array_size(env, v);
		for (i = 0; i < n; i++) {
			xmlrpc_array_read_item(env, v, i, &e);
			json_array_append_new(out, from_xmlrpc(env, e));
			xmlrpc_DECREF(e);
		}
		return out;
	case XMLRPC_TYPE_STRUCT:
		out = json_object();
		n = xmlrpc_struct_size(env, v);
		for (i = 0; i < n; i++) {
			xmlrpc_struct_read_member(env, v, (unsigned)i, &k, &e);
			xmlrpc_read_string(env, k, &s);
			if (!env->fault_occurred) {
				json_object_set_new(out, s, from_xmlrpc(env, e));
				free((void *)s);
			}
			xmlrpc_DECREF(k);
			xmlrpc_DECREF(e);
		}
		return out;
	default:
		return json_null();
	}
}

xmlrpc_value *
fake_success(xmlrpc_env *env, xmlrpc_value *value)
{
	xmlrpc_value	*r;

	r = xmlrpc_build_value(env, "{s:s,s:V}", "Status", "Success", "Value",
	    value);
	xmlrpc_DECREF(value);
	return r;
}

/* Takes the reference to desc. */
xmlrpc_value *
fake_failure(xmlrpc_env *env, json_t *desc)
{
	xmlrpc_value	*d, *r;

	d = to_xmlrpc(env, desc);
	json_decref(desc);
	r = xmlrpc_build_value(env, "{s:s,s:V}", "Status", "Failure",
	    "ErrorDescription", d);
	xmlrpc_DECREF(d);
	return r;
}

static json_t *
error_va(const char *code, va_list ap)
{
	json_t		*desc = json_array();
	const char	*p;

	json_array_append_new(desc, json_string(code));
	while ((p = va_arg(ap, const char *)) != NULL)
		json_array_append_new(desc, json_string(p));
	return desc;
}

/* fake_error("CODE", "param", ..., NULL): [code, params...] */
json_t *
fake_error(const char *code, ...)
{
	json_t	*desc;
	va_list	 ap;

	va_start(ap, code);
	desc = error_va(code, ap);
	va_end(ap);
	return desc;
}

/* fake_failure_v(env, "CODE", "param", ..., NULL) */
xmlrpc_value *
fake_failure_v(xmlrpc_env *env, const char *code, ...)
{
	json_t	*desc;
	va_list	 ap;

	va_start(ap, code);
	desc = error_va(code, ap);
	va_end(ap);
	return fake_failure(env, desc);
}

static xmlrpc_value *
ok_json(struct call *c, json_t *j)
{
	xmlrpc_value	*v = to_xmlrpc(c->env, j);

	json_decref(j);
	return fake_success(c->env, v);
}

/* Argument i as JSON (a map, a set), a new reference. */
json_t *
arg_json(struct call *c, int i)
{
	xmlrpc_value	*v;
	json_t		*j;

	if (i >= c->nparams)
		return json_null();
	xmlrpc_array_read_item(c->env, c->params, i, &v);
	if (c->env->fault_occurred)
		return json_null();
	j = from_xmlrpc(c->env, v);
	xmlrpc_DECREF(v);
	return j;
}

/* An int argument: <int>, <i8>, or the string XenAPI clients send. */
int
arg_int(struct call *c, int i, long long *out)
{
	json_t		*j = arg_json(c, i);
	const char	*s;
	char		*end;
	int		 rc = -1;

	if (json_is_integer(j)) {
		*out = json_integer_value(j);
		rc = 0;
	} else if ((s = json_string_value(j)) != NULL && *s) {
		*out = strtoll(s, &end, 10);
		rc = *end == '\0' ? 0 : -1;
	}
	json_decref(j);
	return rc;
}

/* XML-RPC text of a value, as the task table keeps results (rpclib). */
static void
xml_value(json_t *j, FILE *out)
{
	const char	*key, *s;
	json_t		*e;
	size_t		 i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		fputs("<value><struct>", out);
		json_object_foreach(j, key, e) {
			fprintf(out, "<member><name>%s</name>", key);
			xml_value(e, out);
			fputs("</member>", out);
		}
		fputs("</struct></value>", out);
		return;
	case JSON_ARRAY:
		fputs("<value><array><data>", out);
		json_array_foreach(j, i, e)
			xml_value(e, out);
		fputs("</data></array></value>", out);
		return;
	case JSON_TRUE:
	case JSON_FALSE:
		fprintf(out, "<value><boolean>%d</boolean></value>",
		    json_is_true(j));
		return;
	case JSON_INTEGER:
		fprintf(out, "<value>%lld</value>", json_integer_value(j));
		return;
	case JSON_STRING:
		fputs("<value>", out);
		for (s = json_string_value(j); *s; s++)
			if (*s == '<')
				fputs("&lt;", out);
			else if (*s == '>')
				fputs("&gt;", out);
			else if (*s == '&')
				fputs("&amp;", out);
			else
				fputc(*s, out);
		fputs("</value>", out);
		return;
	default:
		fputs("<value></value>", out);
	}
}

static char *
xml_text(json_t *j)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*out;

	if ((out = open_memstream(&buf, &len)) == NULL)
		return NULL;
	xml_value(j, out);
	fclose(out);
	return buf;
}

/* Wait for a task with the lock released: a synchronous call. */
static struct ftask *
wait_task(struct call *c, const char *ref)
{
	struct ftask	*t;

	for (;;) {
		t = fake_task_by_ref(c->f, ref);
		if (t == NULL || !fake_task_pending(t) || c->f->stop)
			return t;
		pthread_mutex_unlock(&c->f->mu);
		usleep(2000);
		pthread_mutex_lock(&c->f->mu);
		fake_tick(c->f);
	}
}

/*
 * The answer to a call whose work is a task. Async: the task. Sync: its
 * outcome, once done (a cancelled one raises TASK_CANCELLED [task]); the
 * task goes with the call (server_helpers.ml). A task gone meanwhile
 * means xapi restarted: the connection is cut.
 */
static xmlrpc_value *
task_answer(struct call *c, int *drop)
{
	struct ftask	*t;
	xmlrpc_value	*r;
	char		 ref[64];

	snprintf(ref, sizeof(ref), "%s", c->task->ref);
	c->task = NULL;
	if (c->async)
		return ok_json(c, json_string(ref));
	if ((t = wait_task(c, ref)) == NULL) {
		*drop = 1;
		return NULL;
	}
	if (strcmp(t->status, "success") == 0)
		r = ok_json(c, json_string(""));
	else if (strcmp(t->status, "cancelled") == 0)
		r = fake_failure_v(c->env, "TASK_CANCELLED", ref, NULL);
	else
		r = fake_failure(c->env, json_incref(t->error_info));
	t->destroyed = 1;
	return r;
}

/* An instant method called Async: a task already done. */
static xmlrpc_value *
async_done(struct call *c, json_t *value)
{
	struct ftask	*t;
	char		*xml;

	if ((t = fake_task_new(c->f, FTASK_DONE, c->method)) == NULL) {
		json_decref(value);
		json_decref(c->err);
		return fake_failure_v(c->env, "INTERNAL_ERROR",
		    "out of memory", NULL);
	}
	if (value == NULL) {
		fake_task_fail(c->f, t, c->err);
		c->err = NULL;
	} else {
		xml = json_is_string(value) && json_string_length(value) == 0 ?
		    NULL : xml_text(value);
		fake_task_succeed(c->f, t, xml);
		free(xml);
		json_decref(value);
	}
	return ok_json(c, json_string(t->ref));
}

static void
read_args(struct call *c)
{
	xmlrpc_value	*v;
	const char	*s;
	size_t		 len;
	int		 i;

	c->nparams = xmlrpc_array_size(c->env, c->params);
	for (i = 0; i < ARGMAX; i++) {
		c->a[i] = NULL;
		if (i < c->nparams) {
			xmlrpc_array_read_item(c->env, c->params, i, &v);
			if (c->env->fault_occurred)
				break;
			if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRING) {
				xmlrpc_read_string_lp(c->env, v, &len, &s);
				if (!c->env->fault_occurred)
					c->a[i] = (char *)s;
			}
			xmlrpc_DECREF(v);
		}
		if (c->a[i] == NULL)
			c->a[i] = strdup("");
	}
	for (; i < ARGMAX; i++)
		c->a[i] = strdup("");
}

static void
free_args(struct call *c)
{
	int	 i;

	for (i = 0; i < ARGMAX; i++)
		free(c->a[i]);
}

static int
session_valid(const struct fake *f, const char *ref)
{
	int	 i;

	for (i = 0; i < f->nsessions; i++)
		if (strcmp(f->sessions[i], ref) == 0)
			return 1;
	return 0;
}

/* xapi_session.ml: a member says HOST_IS_SLAVE before any credential. */
static xmlrpc_value *
m_login(struct call *c)
{
	struct fake	*f = c->f;
	char		 ref[64], **ns;

	if (!f->hosts[c->m->host].master)
		return fake_failure_v(c->env, "HOST_IS_SLAVE",
		    f->hosts[fake_master(f)].address, NULL);
	if (c->nparams < 2 || strcmp(c->a[0], f->username) != 0 ||
	    strcmp(c->a[1], f->password) != 0)
		return fake_failure_v(c->env, "SESSION_AUTHENTICATION_FAILED",
		    c->a[0], "Authentication failure", NULL);
	if (f->nsessions == f->csessions) {
		int n = f->csessions ? f->csessions * 2 : 16;
		if ((ns = realloc(f->sessions, (size_t)n * sizeof(*ns))) ==
		    NULL)
			return fake_failure_v(c->env, "INTERNAL_ERROR", NULL);
		f->sessions = ns;
		f->csessions = n;
	}
	snprintf(ref, sizeof(ref), "OpaqueRef:session-%d", ++f->session_seq);
	f->sessions[f->nsessions++] = strdup(ref);
	f->logins++;
	return ok_json(c, json_string(ref));
}

static xmlrpc_value *
injected_fault(struct call *c)
{
	struct fake	*f = c->f;
	int		 i;

	for (i = 0; i < f->nfaults; i++)
		if (f->faults[i].count > 0 &&
		    strcmp(f->faults[i].method, c->method) == 0) {
			f->faults[i].count--;
			return fake_failure(c->env,
			    json_incref(f->faults[i].desc));
		}
	return NULL;
}

/* Whether a call names host h: its ref as an argument or quoted in one. */
static int
call_names(const struct call *c, int h)
{
	char	 quoted[80];
	int	 i;

	snprintf(quoted, sizeof(quoted), "\"%s\"", c->f->hosts[h].ref);
	for (i = 0; i < c->nparams && i < ARGMAX; i++)
		if (strcmp(c->a[i], c->f->hosts[h].ref) == 0 ||
		    strstr(c->a[i], quoted) != NULL)
			return 1;
	return 0;
}

static int
succeeded(xmlrpc_env *env, xmlrpc_value *r)
{
	xmlrpc_value	*st = NULL;
	const char	*s;
	int		 ok = 0;

	if (r == NULL || env->fault_occurred)
		return 0;
	xmlrpc_struct_find_value(env, r, "Status", &st);
	if (st != NULL) {
		xmlrpc_read_string(env, st, &s);
		if (!env->fault_occurred) {
			ok = strcmp(s, "Success") == 0;
			free((void *)s);
		}
		xmlrpc_DECREF(st);
	}
	return ok && !env->fault_occurred;
}

/* fake.set_master_after: the pool moves its master under the client. */
static void
fire_triggers(struct call *c)
{
	struct fake	*f = c->f;
	int		 i, j;

	for (i = 0; i < f->ntriggers; i++) {
		if (strcmp(f->triggers[i].method, c->method) != 0 ||
		    !call_names(c, f->triggers[i].host))
			continue;
		for (j = 0; j < f->nhosts; j++)
			f->hosts[j].master = j == f->triggers[i].host;
		f->triggers[i] = f->triggers[--f->ntriggers];
		return;
	}
}

static const struct method *
find_method(struct call *c)
{
	const struct method	*mt;

	c->async = strncmp(c->method, "Async.", 6) == 0;
	c->name = c->async ? c->method + 6 : c->method;
	for (mt = fake_methods; mt->name; mt++)
		if (strcmp(mt->name, c->name) == 0)
			return mt;
	return NULL;
}

/* session_check.ml: an unknown session, then a member's HOST_IS_SLAVE. */
static xmlrpc_value *
session_error(struct call *c)
{
	if (!session_valid(c->f, c->a[0]))
		return fake_failure_v(c->env, "SESSION_INVALID", c->a[0],
		    NULL);
	if (!c->f->hosts[c->m->host].master)
		return fake_failure_v(c->env, "HOST_IS_SLAVE",
		    c->f->hosts[fake_master(c->f)].address, NULL);
	return NULL;
}

/*
 * gen_server.ml: a name it does not know is tried as a host extension,
 * after the session check, and there is none.
 */
static xmlrpc_value *
unknown_method(struct call *c)
{
	xmlrpc_value	*r;

	if (c->nparams >= 1 && (r = session_error(c)) != NULL)
		return r;
	return fake_failure_v(c->env, "MESSAGE_METHOD_UNKNOWN", c->name,
	    NULL);
}

/* gen_server.ml: the count leaves the session and defaults out. */
static xmlrpc_value *
count_mismatch(struct call *c, const struct method *mt)
{
	char	 want[16], got[16];

	snprintf(want, sizeof(want), "%d", mt->min - 1);
	snprintf(got, sizeof(got), "%d", c->nparams - 1);
	return fake_failure_v(c->env, "MESSAGE_PARAMETER_COUNT_MISMATCH",
	    c->name, want, got, NULL);
}

/*
 * In xapi's order: a member still starting answers its emergency-mode
 * error to everything (api_server.ml); then the method and its arity
 * (gen_server.ml); then the session, and only then a member says
 * HOST_IS_SLAVE (session_check.ml).
 */
static xmlrpc_value *
api_call(struct call *c, int *drop)
{
	const struct method	*mt;
	xmlrpc_value		*r;
	json_t			*v;
	char			 fault[160];

	if ((r = injected_fault(c)) != NULL)
		return r;
	if (c->f->hosts[c->m->host].phase == HP_STARTING)
		return fake_failure_v(c->env, "HOST_STILL_BOOTING", NULL);
	if (strcmp(c->method, "session.login_with_password") == 0)
		return m_login(c);
	if ((mt = find_method(c)) == NULL)
		return unknown_method(c);
	if (c->nparams < mt->min || c->nparams > mt->max)
		return count_mismatch(c, mt);
	if ((r = session_error(c)) != NULL)
		return r;
	/* server_helpers.ml do_dispatch: API.response_of_fault */
	if (c->async && !mt->async) {
		snprintf(fault, sizeof(fault), "No async mode for this "
		    "operation (rpc: %s)", c->name);
		return fake_failure_v(c->env, "Fault", fault, NULL);
	}
	v = mt->fn(c);
	if (c->task != NULL)
		r = task_answer(c, drop);
	else if (c->async)
		r = async_done(c, v);
	else if (v == NULL) {
		r = fake_failure(c->env, c->err ? c->err :
		    fake_error("INTERNAL_ERROR", c->name, NULL));
		c->err = NULL;
	} else
		r = ok_json(c, v);
	if (succeeded(c->env, r))
		fire_triggers(c);
	return r;
}

static int
delay_ms(const struct fake *f, const char *method)
{
	int	 i;

	for (i = 0; i < f->ndelays; i++)
		if (strcmp(f->delays[i].method, method) == 0 ||
		    strcmp(f->delays[i].method, "*") == 0)
			return f->delays[i].ms;
	return 0;
}

/* A hung member never answers (within 30 s). */
static int
wait_member(struct fake *f, const struct fmember *m)
{
	int	 i;

	for (i = 0; i < 3000 && !f->stop; i++) {
		if (!f->hosts[m->host].hung)
			return 0;
		pthread_mutex_unlock(&f->mu);
		usleep(10000);
		pthread_mutex_lock(&f->mu);
		fake_tick(f);
	}
	return -1;
}

/* One line of the call log; borrows everything. */
void
fake_log(struct fake *f, double mono, const char *member, const char *method,
    json_t *args, json_t *status, json_t *error)
{
	json_t	*entry;
	char	*line;

	if (f->log == NULL)
		return;
	entry = json_pack("{s:f, s:f, s:s, s:s, s:O, s:O, s:O}", "t",
	    fake_now(f), "mono", mono, "member", member, "method", method,
	    "args", args, "status", status, "error", error);
	if (entry && (line = json_dumps(entry, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) != NULL) {
		fprintf(f->log, "%s\n", line);
		fflush(f->log);
		free(line);
	}
	json_decref(entry);
}

static void
log_call(struct call *c, xmlrpc_value *r)
{
	json_t	*args, *resp, *st, *err;

	if (c->f->log == NULL)
		return;
	args = from_xmlrpc(c->env, c->params);
	if (strcmp(c->method, "session.login_with_password") == 0 &&
	    json_array_size(args) > 1)
		json_array_set_new(args, 1, json_string("********"));
	resp = r ? from_xmlrpc(c->env, r) : json_null();
	st = json_object_get(resp, "Status");
	err = json_object_get(resp, "ErrorDescription");
	fake_log(c->f, c->arrived, c->f->hosts[c->m->host].name, c->method,
	    args, st ? st : json_null(), err ? err : json_null());
	json_decref(args);
	json_decref(resp);
}

/*
 * Drop the connection a call came on, as a crashing toolstack or a
 * middlebox would. Abyss does not give the socket out, only the peer's
 * address: find our socket connected to that peer and shut it down.
 */
static void
drop_connection(const char *info)
{
	struct abyss_unix_chaninfo	*ci = NULL;
	struct sockaddr_storage		 peer;
	socklen_t			 len;
	struct dirent			*d;
	DIR				*dir;
	int				 fd;

	SessionGetChannelInfo((TSession *)(uintptr_t)info, (void **)&ci);
	if (ci == NULL || (dir = opendir("/proc/self/fd")) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		fd = atoi(d->d_name);
		len = sizeof(peer);
		if (fd <= 2 || getpeername(fd, (struct sockaddr *)&peer,
		    &len) == -1 || len != ci->peerAddrLen)
			continue;
		if (memcmp(&peer, &ci->peerAddr, len) == 0) {
			shutdown(fd, SHUT_RDWR);
			break;
		}
	}
	closedir(dir);
}

static xmlrpc_value *
dropped(xmlrpc_env *env, struct fake *f, const char *info)
{
	pthread_mutex_unlock(&f->mu);
	drop_connection(info);
	xmlrpc_faultf(env, "connection dropped");
	return NULL;
}

xmlrpc_value *
fake_dispatch(xmlrpc_env *env, const char *info, const char *method,
    xmlrpc_value *params, void *arg)
{
	const struct fmember	*m = arg;
	struct call		 c;
	xmlrpc_value		*r;
	int			 ms, drop = 0;

	memset(&c, 0, sizeof(c));
	c.arrived = fake_now(m->f) + m->f->t0;
	c.f = m->f;
	c.m = m;
	c.env = env;
	c.method = method;
	c.params = params;
	pthread_mutex_lock(&c.f->mu);
	fake_tick(c.f);
	if (strncmp(method, "fake.", 5) == 0) {
		r = fake_control(env, c.f, method, params);
		pthread_cond_signal(&c.f->wake);
		pthread_mutex_unlock(&c.f->mu);
		return r;
	}
	if (wait_member(c.f, m) == -1) {
		pthread_mutex_unlock(&c.f->mu);
		xmlrpc_faultf(env, "member %s does not answer",
		    c.f->hosts[m->host].name);
		return NULL;
	}
	/* Powered off, booting, xapi restarting: nothing answers there. */
	if (!fake_accepts(c.f, m->host))
		return dropped(env, c.f, info);
	read_args(&c);
	if (c.f->hosts[m->host].drops > 0) {
		c.f->hosts[m->host].drops--;
		log_call(&c, NULL);
		free_args(&c);
		return dropped(env, c.f, info);
	}
	if ((ms = delay_ms(c.f, method)) > 0) {
		pthread_mutex_unlock(&c.f->mu);
		usleep((useconds_t)ms * 1000);
		pthread_mutex_lock(&c.f->mu);
		fake_tick(c.f);
	}
	r = api_call(&c, &drop);
	json_decref(c.err);
	free_args(&c);
	if (drop)
		return dropped(env, c.f, info);
	log_call(&c, r);
	fake_xencenter(c.f);
	pthread_cond_signal(&c.f->wake);
	pthread_mutex_unlock(&c.f->mu);
	return r;
}

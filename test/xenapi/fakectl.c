#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <xmlrpc-c/base.h>

#include "fakectl.h"

int
fake_start(struct fakeproc *fp, const char *pool)
{
	char	 path[128], line[256];
	FILE	*f, *out;
	int	 pipefd[2];

	snprintf(fp->dir, sizeof(fp->dir), "/tmp/upsxen-fake-XXXXXX");
	if (mkdtemp(fp->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/pool.json", fp->dir);
	snprintf(fp->log, sizeof(fp->log), "%s/calls.jsonl", fp->dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(pool, f);
	fclose(f);
	if (pipe(pipefd) == -1)
		return -1;
	if ((fp->pid = fork()) == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(FAKEXAPI, FAKEXAPI, path, "--log", fp->log, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	if (fp->pid == -1 || out == NULL || fgets(line, sizeof(line), out) ==
	    NULL || strncmp(line, "fakexapi: ready", 15) != 0) {
		if (out)
			fclose(out);
		fake_stop(fp);
		return -1;
	}
	fclose(out);
	return 0;
}

void
fake_stop(struct fakeproc *fp)
{
	char	 cmd[128];

	if (fp->pid > 0) {
		kill(fp->pid, SIGTERM);
		waitpid(fp->pid, NULL, 0);
		fp->pid = 0;
	}
	if (fp->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", fp->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fakectl: cannot remove %s\n", fp->dir);
		fp->dir[0] = '\0';
	}
}

struct buf {
	char	*p;
	size_t	 n;
};

static size_t
collect(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	char		*np = realloc(b->p, b->n + size * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->n, ptr, size * n);
	b->p = np;
	b->n += size * n;
	b->p[b->n] = '\0';
	return size * n;
}

/*
 * xmlrpc-c rejects the dates with a ±HH:MM offset xapi prints (date.ml):
 * such a value becomes the string "dateTime:TEXT".
 */
static void
offset_dates(struct buf *b)
{
	static const char	 open[] = "<dateTime.iso8601>";
	static const char	 close[] = "</dateTime.iso8601>";
	char			*p, *e, *out, *o;
	size_t			 n;

	if (b->p == NULL || (out = malloc(b->n * 2 + 1)) == NULL)
		return;
	for (o = out, p = b->p; (e = strstr(p, open)) != NULL; ) {
		memcpy(o, p, (size_t)(e - p));
		o += e - p;
		p = e + strlen(open);
		if ((e = strstr(p, close)) == NULL)
			break;
		n = (size_t)(e - p);
		if (n > 6 && (p[n - 6] == '+' || p[n - 6] == '-') &&
		    p[n - 3] == ':')
			o += sprintf(o, "<string>dateTime:%.*s</string>",
			    (int)n, p);
		else
			o += sprintf(o, "%s%.*s%s", open, (int)n, p, close);
		p = e + strlen(close);
	}
	strcpy(o, p);
	free(b->p);
	b->p = out;
	b->n = strlen(out);
}

static xmlrpc_value *
raw_call_at(const char *address, int port, const char *method,
    xmlrpc_value *params)
{
	xmlrpc_env		 env;
	xmlrpc_mem_block	*mb;
	xmlrpc_value		*result = NULL;
	struct buf		 b = { NULL, 0 };
	char			 url[64];
	const char		*fault = NULL;
	int			 code;
	CURL			*c;

	xmlrpc_env_init(&env);
	mb = xmlrpc_mem_block_new(&env, 0);
	xmlrpc_serialize_call(&env, mb, method, params);
	snprintf(url, sizeof(url), "http://%s:%d/", address, port);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    (char *)xmlrpc_mem_block_contents(mb));
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
	    (long)xmlrpc_mem_block_size(mb));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(c) == CURLE_OK && b.p) {
		offset_dates(&b);
		xmlrpc_parse_response2(&env, b.p, b.n, &result, &code, &fault);
	}
	if (fault) {
		fprintf(stderr, "fakectl: %s: %s\n", method, fault);
		free((void *)fault);
	}
	curl_easy_cleanup(c);
	xmlrpc_mem_block_free(mb);
	free(b.p);
	xmlrpc_env_clean(&env);
	return result;
}

static xmlrpc_value *
raw_call(int port, const char *method, xmlrpc_value *params)
{
	return raw_call_at("127.0.0.1", port, method, params);
}

/* dateTime.iso8601 values become "dateTime:" and their text. */
static json_t *
to_json(xmlrpc_env *env, xmlrpc_value *v)
{
	xmlrpc_value	*k, *e;
	json_t		*out;
	const char	*s;
	char		*d;
	xmlrpc_bool	 b;
	double		 dv;
	size_t		 len;
	int		 i, n, iv;

	switch (xmlrpc_value_type(v)) {
	case XMLRPC_TYPE_STRING:
		xmlrpc_read_string_lp(env, v, &len, &s);
		out = env->fault_occurred ? json_null() : json_stringn(s, len);
		free((void *)s);
		return out;
	case XMLRPC_TYPE_INT:
		xmlrpc_read_int(env, v, &iv);
		return json_integer(iv);
	case XMLRPC_TYPE_BOOL:
		xmlrpc_read_bool(env, v, &b);
		return json_boolean(b);
	case XMLRPC_TYPE_DOUBLE:
		xmlrpc_read_double(env, v, &dv);
		return json_real(dv);
	case XMLRPC_TYPE_DATETIME:
		xmlrpc_read_datetime_str(env, v, &s);
		if (env->fault_occurred)
			return json_null();
		if ((d = malloc(strlen(s) + 10)) != NULL)
			sprintf(d, "dateTime:%s", s);
		out = json_string(d ? d : "dateTime:");
		free(d);
		free((void *)s);
		return out;
	case XMLRPC_TYPE_ARRAY:
		out = json_array();
		n = xmlrpc_array_size(env, v);
		for (i = 0; i < n && !env->fault_occurred; i++) {
			xmlrpc_array_read_item(env, v, i, &e);
			json_array_append_new(out, to_json(env, e));
			xmlrpc_DECREF(e);
		}
		return out;
	case XMLRPC_TYPE_STRUCT:
		out = json_object();
		n = xmlrpc_struct_size(env, v);
		for (i = 0; i < n && !env->fault_occurred; i++) {
			xmlrpc_struct_read_member(env, v, (unsigned)i, &k, &e);
			xmlrpc_read_string(env, k, &s);
			if (!env->fault_occurred) {
				json_object_set_new(out, s, to_json(env, e));
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

json_t *
fake_call(const char *address, int port, const char *method,
    const char *fmt, ...)
{
	json_t	*j;
	va_list	 ap;

	va_start(ap, fmt);
	j = fake_callv(address, port, method, fmt, ap);
	va_end(ap);
	return j;
}

json_t *
fake_callv(const char *address, int port, const char *method,
    const char *fmt, va_list ap)
{
	xmlrpc_env	 env;
	xmlrpc_value	*params, *r;
	const char	*tail;
	json_t		*j = NULL;

	xmlrpc_env_init(&env);
	xmlrpc_build_value_va(&env, fmt, ap, &params, &tail);
	if (env.fault_occurred) {
		xmlrpc_env_clean(&env);
		return NULL;
	}
	r = raw_call_at(address, port, method, params);
	xmlrpc_DECREF(params);
	if (r) {
		j = to_json(&env, r);
		xmlrpc_DECREF(r);
	}
	xmlrpc_env_clean(&env);
	return j;
}

int
fake_ctl(int port, const char *method, const char *fmt, ...)
{
	xmlrpc_env	 env;
	xmlrpc_value	*params, *r;
	const char	*tail;
	va_list		 ap;

	xmlrpc_env_init(&env);
	va_start(ap, fmt);
	xmlrpc_build_value_va(&env, fmt, ap, &params, &tail);
	va_end(ap);
	if (env.fault_occurred) {
		xmlrpc_env_clean(&env);
		return -1;
	}
	r = raw_call(port, method, params);
	xmlrpc_DECREF(params);
	xmlrpc_env_clean(&env);
	if (r == NULL)
		return -1;
	xmlrpc_DECREF(r);
	return 0;
}

json_t *
fake_state(int port)
{
	xmlrpc_env	 env;
	xmlrpc_value	*params, *r;
	const char	*s;
	json_t		*j = NULL;

	xmlrpc_env_init(&env);
	params = xmlrpc_array_new(&env);
	r = raw_call(port, "fake.state", params);
	xmlrpc_DECREF(params);
	if (r) {
		xmlrpc_read_string(&env, r, &s);
		if (!env.fault_occurred) {
			j = json_loads(s, 0, NULL);
			free((void *)s);
		}
		xmlrpc_DECREF(r);
	}
	xmlrpc_env_clean(&env);
	return j;
}

json_t *
fake_calls(const struct fakeproc *fp)
{
	json_t	*all = json_array(), *e;
	char	 line[65536];
	FILE	*f;

	if ((f = fopen(fp->log, "r")) == NULL)
		return all;
	while (fgets(line, sizeof(line), f))
		if ((e = json_loads(line, 0, NULL)) != NULL)
			json_array_append_new(all, e);
	fclose(f);
	return all;
}

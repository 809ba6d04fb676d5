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

static xmlrpc_value *
raw_call(int port, const char *method, xmlrpc_value *params)
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
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    (char *)xmlrpc_mem_block_contents(mb));
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
	    (long)xmlrpc_mem_block_size(mb));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(c) == CURLE_OK && b.p)
		xmlrpc_parse_response2(&env, b.p, b.n, &result, &code, &fault);
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

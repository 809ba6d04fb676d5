/*
 * Connection objects: configuration and lifetime.
 */
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

/* The 512 KiB default is too small for the VM records of a big pool. */
#define XENAPI_XML_LIMIT	(256u << 20)

int
xenapi_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, XENAPI_XML_LIMIT);
	return 0;
}

void
xenapi_global_cleanup(void)
{
	curl_global_cleanup();
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* "https://host[:port][/]": remember the scheme and port for members. */
static int
parse_url(struct xenapi *x, const char *url)
{
	const char	*host, *end, *colon;

	if (strncmp(url, "https://", 8) == 0) {
		x->https = 1;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return -1;
	x->port = x->https ? 443 : 80;
	end = host + strcspn(host, "/");
	colon = *host == '[' ? memchr(host, ']', (size_t)(end - host)) : host;
	if (colon == NULL)
		return -1;
	colon = memchr(colon, ':', (size_t)(end - colon));
	if (colon)
		x->port = atoi(colon + 1);
	if (x->port <= 0 || x->port > 65535 || end == host)
		return -1;
	if ((size_t)snprintf(x->url, sizeof(x->url), "%.*s/",
	    (int)(end - url), url) >= sizeof(x->url))
		return -1;
	return 0;
}

struct xenapi *
xenapi_new(const struct xenapi_config *cfg, xenapi_log_fn *log, void *arg)
{
	struct xenapi	*x;

	if (cfg->url == NULL || cfg->username == NULL || cfg->password == NULL)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->cfg = *cfg;
	x->log = log;
	x->log_arg = arg;
	x->url_orig = strdup(cfg->url);
	x->username = strdup(cfg->username);
	x->password = strdup(cfg->password);
	x->ca_file = dup_or_null(cfg->ca_file);
	x->pins = dup_or_null(cfg->pins);
	if (x->cfg.timeout_ms <= 0)
		x->cfg.timeout_ms = 10000;
	if (x->cfg.connect_timeout_ms <= 0)
		x->cfg.connect_timeout_ms = x->cfg.timeout_ms;
	if (x->url_orig == NULL || x->username == NULL ||
	    x->password == NULL || (cfg->ca_file && x->ca_file == NULL) ||
	    (cfg->pins && x->pins == NULL) || parse_url(x, cfg->url) == -1 ||
	    http_open(x) == -1) {
		xenapi_free(x);
		return NULL;
	}
	return x;
}

void
xenapi_free(struct xenapi *x)
{
	size_t	 i;

	if (x == NULL)
		return;
	if (x->curl)
		xenapi_logout(x);
	http_close(x);
	if (x->password) {
		explicit_bzero(x->password, strlen(x->password));
		free(x->password);
	}
	for (i = 0; i < x->nmembers; i++)
		free(x->members[i]);
	free(x->members);
	free(x->url_orig);
	free(x->username);
	free(x->ca_file);
	free(x->pins);
	free(x);
}

void
xenapi_set_abort(struct xenapi *x, const volatile int *flag)
{
	x->abort = flag;
}

unsigned long
xenapi_logins(const struct xenapi *x)
{
	return x->logins;
}

unsigned long
xenapi_calls(const struct xenapi *x)
{
	return x->calls;
}

const char *
xenapi_url(const struct xenapi *x)
{
	return x->url;
}

/*
 * A pool's connection settings, as the worker uses them: the policy's
 * url, user and TLS settings, and the password read from its file (never
 * logged, wiped when cleared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "policy.h"
#include "secret.h"

static char *
join_pins(const struct policy_tls *t)
{
	size_t	 i, len = 1;
	char	*s;

	if (t->npins == 0)
		return NULL;
	for (i = 0; i < t->npins; i++)
		len += strlen(t->pins[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < t->npins; i++) {
		if (i)
			strcat(s, ";");
		strcat(s, t->pins[i]);
	}
	return s;
}

int
conn_load(struct conn *c, const struct policy_pool *pl, char *err,
    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->pool, sizeof(c->pool), "%s", pl->name);
	if ((c->password = secret_read(pl->password_file, err, errlen)) ==
	    NULL)
		return -1;
	c->url = strdup(pl->url);
	c->username = strdup(pl->username);
	c->ca_file = pl->tls.ca_file ? strdup(pl->tls.ca_file) : NULL;
	c->pins = join_pins(&pl->tls);
	if (c->url == NULL || c->username == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->cfg.url = c->url;
	c->cfg.username = c->username;
	c->cfg.password = c->password;
	c->cfg.ca_file = c->ca_file;
	c->cfg.pins = c->pins;
	/* A pin alone trusts that key, whoever signed it (as XenCenter). */
	c->cfg.verify = pl->tls.verify && (pl->tls.ca_file || !c->pins);
	c->cfg.verify_name = pl->tls.verify_name;
	c->cfg.timeout_ms = (long)(pl->call_timeout * 1000);
	c->cfg.connect_timeout_ms = c->cfg.timeout_ms < 5000 ?
	    c->cfg.timeout_ms : 5000;
	return 0;
}

void
conn_clear(struct conn *c)
{
	secret_free(c->password);
	free(c->url);
	free(c->username);
	free(c->ca_file);
	free(c->pins);
	c->password = c->url = c->username = c->ca_file = c->pins = NULL;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int
conn_same(const struct conn *a, const struct conn *b)
{
	return strcmp(a->pool, b->pool) == 0 && same_str(a->url, b->url) &&
	    same_str(a->username, b->username) &&
	    same_str(a->password, b->password) &&
	    same_str(a->ca_file, b->ca_file) && same_str(a->pins, b->pins) &&
	    a->cfg.verify == b->cfg.verify &&
	    a->cfg.verify_name == b->cfg.verify_name &&
	    a->cfg.timeout_ms == b->cfg.timeout_ms;
}

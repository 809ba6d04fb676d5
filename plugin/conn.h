/*
 * A pool's XenAPI connection settings and its secret (conn.c).
 */
#ifndef UPSXEN_CONN_H
#define UPSXEN_CONN_H

#include <stddef.h>

#include "xenapi.h"

struct policy_pool;

struct conn {
	char			 pool[128];
	struct xenapi_config	 cfg;	/* points into the strings below */
	char			*url;
	char			*username;
	char			*password;
	char			*ca_file;
	char			*pins;
};

/* Reads the password file; -1 with *err saying why. */
int	 conn_load(struct conn *, const struct policy_pool *, char *, size_t);
void	 conn_clear(struct conn *);
/* Whether two settings reach the same pool the same way. */
int	 conn_same(const struct conn *, const struct conn *);

#endif

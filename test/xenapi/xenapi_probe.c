/*
 * xenapi_probe: log in to a pool and read its facts, as the plugin would.
 * For TLS tests and for operators checking a pool's settings by hand.
 *
 *   xenapi_probe URL USER PASSWORD_FILE [--ca FILE] [--pin sha256//B64]
 *                [--insecure] [--no-verify-name] [--timeout MS]
 *
 * Exit 0 and "ok" when the pool answered; 1 and "error KIND: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi.h"

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "warning: %s\n", msg);
}

static int
read_password(const char *path, char *buf, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL || fgets(buf, (int)len, f) ==
	    NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	struct xenapi_config	 cfg = { 0 };
	struct xenapi_error	 err;
	struct xenapi_pool	 pool;
	struct xenapi		*x;
	char			 pw[256];
	int			 i, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: xenapi_probe URL USER PASSWORD_FILE "
		    "[--ca FILE] [--pin PIN] [--insecure] [--no-verify-name] "
		    "[--timeout MS]\n");
		return 2;
	}
	if (read_password(argv[3], pw, sizeof(pw)) == -1) {
		fprintf(stderr, "xenapi_probe: cannot read %s\n", argv[3]);
		return 2;
	}
	cfg.url = argv[1];
	cfg.username = argv[2];
	cfg.password = pw;
	cfg.verify = cfg.verify_name = 1;
	cfg.timeout_ms = 5000;
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			cfg.ca_file = argv[++i];
		else if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) {
			/* A pin alone trusts that key, whoever signed it. */
			cfg.pins = argv[++i];
			if (cfg.ca_file == NULL)
				cfg.verify = 0;
		} else if (strcmp(argv[i], "--insecure") == 0)
			cfg.verify = 0;
		else if (strcmp(argv[i], "--no-verify-name") == 0)
			cfg.verify_name = 0;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			cfg.timeout_ms = atol(argv[++i]);
		else {
			fprintf(stderr, "xenapi_probe: bad argument %s\n",
			    argv[i]);
			return 2;
		}
	}
	xenapi_global_init();
	if ((x = xenapi_new(&cfg, warn, NULL)) == NULL) {
		fprintf(stderr, "xenapi_probe: bad configuration\n");
		return 2;
	}
	rc = xenapi_pool_get(x, &pool, &err);
	if (rc == 0) {
		printf("ok: %zu hosts, logins=%lu\n", pool.nhosts,
		    xenapi_logins(x));
		xenapi_pool_clear(&pool);
	} else
		printf("error %s: %s\n", xenapi_err_kind_name(err.kind),
		    err.msg);
	xenapi_free(x);
	xenapi_global_cleanup();
	return rc == 0 ? 0 : 1;
}

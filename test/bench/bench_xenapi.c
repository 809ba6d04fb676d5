/*
 * bench_xenapi: simple XenAPI calls per second on one kept-alive
 * connection to fakexapi on loopback, and how many logins it took.
 * Prints numbers; asserts nothing.
 *
 *   bench_xenapi [CALLS] [PORT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fakectl.h"
#include "xenapi.h"

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct fakeproc		 fp;
	struct xenapi_config	 cfg = { 0 };
	struct xenapi_error	 err;
	struct xenapi		*x;
	char			 pool[256], url[64], ref[XENAPI_REF_LEN];
	int			 calls = argc > 1 ? atoi(argv[1]) : 20000;
	int			 port = argc > 2 ? atoi(argv[2]) : 19300, i;
	double			 t0, t1;

	snprintf(pool, sizeof(pool), "{\"password\":\"p\",\"hosts\":[{"
	    "\"name_label\":\"h\",\"port\":%d,\"master\":true}]}", port);
	if (fake_start(&fp, pool) == -1) {
		fprintf(stderr, "bench_xenapi: fakexapi did not start\n");
		return 1;
	}
	xenapi_global_init();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	cfg.url = url;
	cfg.username = "root";
	cfg.password = "p";
	cfg.timeout_ms = 5000;
	x = xenapi_new(&cfg, NULL, NULL);
	if (x == NULL || xenapi_host_find(x, "h", ref, &err) == -1) {
		fprintf(stderr, "bench_xenapi: %s\n", x ? err.msg : "no client");
		fake_stop(&fp);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < calls; i++)
		if (xenapi_host_enable(x, ref, &err) == -1) {
			fprintf(stderr, "bench_xenapi: call %d: %s\n", i,
			    err.msg);
			break;
		}
	t1 = now_s();
	printf("xenapi client: %d host.enable calls on one kept-alive "
	    "connection to fakexapi (loopback)\n", i);
	printf("  %.0f calls/s (goal >= 5000), %.1f us per call, logins=%lu "
	    "(goal 1)\n", i / (t1 - t0), (t1 - t0) * 1e6 / i,
	    xenapi_logins(x));
	xenapi_free(x);
	fake_stop(&fp);
	return 0;
}

/*
 * genpolicy: write a large valid policy for benchmarks.
 *
 *   genpolicy [-u UPSES] [-p POOLS] [-n HOSTS] [-w PASSWORD_FILE]
 *             [-d STATE_DIR] [-m MAINTENANCE_AFTER -s SHUTDOWN_AFTER]
 *             [-x PORT [-X DIR]]
 *
 * UPS k gets the loopback address 127.1.(k / 250).(k % 250 + 1) so that a
 * benchmark can send traps "from" it on this machine. Every host has both
 * timers (staggered unless -m and -s fix them), every third host a
 * redundant second feed. With -x the pools are fakexapi pools on loopback:
 * pool p's member i listens on PORT + p * HOSTS/POOLS + i, the first
 * member is the master, and -X writes each pool's fakexapi configuration
 * (no VMs, an evacuation takes 0.5 s as an empty host's does in xapi,
 * password "secret") to DIR/poolP.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct gen {
	int		 nups, npools, nhosts, per;
	int		 maint, shut;	/* -1: staggered */
	int		 port;		/* 0: unreachable https pools */
	const char	*pw, *dir, *fakedir;
	int		 budget;	/* stop_budget; -1: the default */
};

static void
write_ups(FILE *f, const struct gen *g)
{
	int	 k;

	fprintf(f, "  \"ups\": {\n");
	for (k = 0; k < g->nups; k++)
		fprintf(f, "    \"ups%d\": { \"address\": \"127.1.%d.%d\", "
		    "\"warning_period\": %d }%s\n", k, k / 250, k % 250 + 1,
		    300 + k % 7, k + 1 < g->nups ? "," : "");
	fprintf(f, "  },\n");
}

static void
write_url(FILE *f, const struct gen *g, int p)
{
	if (g->port)
		fprintf(f, "      \"url\": \"http://127.0.1.1:%d\", "
		    "\"allow_plaintext\": true,\n", g->port + p);
	else
		fprintf(f, "      \"url\": \"https://127.2.%d.%d\",\n", p / 250,
		    p % 250 + 1);
}

static void
write_pool(FILE *f, const struct gen *g, int p, int first, int n)
{
	int	 h, u;

	fprintf(f, "    \"pool%d\": {\n", p);
	write_url(f, g, p);
	fprintf(f, "      \"username\": \"root\", \"password_file\": \"%s\","
	    "\n", g->pw);
	if (g->budget >= 0)
		fprintf(f, "      \"stop_budget\": %d,\n", g->budget);
	fprintf(f, "      \"hosts\": {\n");
	for (h = first; h < first + n; h++) {
		u = h % g->nups;
		fprintf(f, "        \"host%d\": { \"powered_by\": [\"ups%d\"",
		    h, u);
		if (h % 3 == 0 && g->nups > 1)
			fprintf(f, ", \"ups%d\"", (u + 1) % g->nups);
		fprintf(f, "], \"maintenance_after\": %d, \"shutdown_after\": "
		    "%d }%s\n", g->maint >= 0 ? g->maint : 30 + h % 60,
		    g->shut >= 0 ? g->shut : 120 + h % 120,
		    h + 1 < first + n ? "," : "");
	}
	fprintf(f, "      }\n    }%s\n", p + 1 == g->npools ? "" : ",");
}

static int
write_fake(const struct gen *g, int p)
{
	char	 path[4096];
	FILE	*f;
	int	 i;

	snprintf(path, sizeof(path), "%s/pool%d.json", g->fakedir, p);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	fprintf(f, "{ \"password\": \"secret\", \"per_vm_ms\": 20, "
	    "\"evacuate_ms\": 500, \"boot_ms\": 200, \"shutdown_ms\": 20, "
	    "\"vms\": [],\n"
	    "  \"hosts\": [\n");
	/* Members by address, as in a real pool; one port per pool. */
	for (i = 0; i < g->per; i++)
		fprintf(f, "    { \"name_label\": \"host%d\", \"address\": "
		    "\"127.0.%d.%d\", \"port\": %d%s }%s\n", p * g->per + i,
		    1 + i / 250, i % 250 + 1, g->port + p,
		    i == 0 ? ", \"master\": true" : "",
		    i + 1 < g->per ? "," : "");
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: genpolicy [-u ups] [-p pools] [-n hosts] "
	    "[-w password_file] [-d state_dir]\n"
	    "                 [-m maintenance_after -s shutdown_after] "
	    "[-B stop_budget] [-x port [-X dir]]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct gen	 g = { 1000, 200, 5000, 0, -1, -1, 0, "/dev/null",
			    "/tmp/upsxen-bench", NULL, -1 };
	int		 ch, p;

	while ((ch = getopt(argc, argv, "u:p:n:w:d:m:s:B:x:X:")) != -1) {
		switch (ch) {
		case 'u': g.nups = atoi(optarg); break;
		case 'p': g.npools = atoi(optarg); break;
		case 'n': g.nhosts = atoi(optarg); break;
		case 'w': g.pw = optarg; break;
		case 'd': g.dir = optarg; break;
		case 'm': g.maint = atoi(optarg); break;
		case 's': g.shut = atoi(optarg); break;
		case 'B': g.budget = atoi(optarg); break;
		case 'x': g.port = atoi(optarg); break;
		case 'X': g.fakedir = optarg; break;
		default: usage();
		}
	}
	if (g.nups < 1 || g.npools < 1 || g.nhosts < g.npools ||
	    (g.maint >= 0) != (g.shut >= 0) || (g.fakedir && !g.port) ||
	    (g.port && g.nhosts % g.npools)) {
		fprintf(stderr, "genpolicy: need ups >= 1, hosts >= pools >= "
		    "1, -m with -s, -X with -x, and with -x as many hosts in "
		    "every pool\n");
		return 2;
	}
	g.per = g.nhosts / g.npools;
	printf("{\n  \"state_dir\": \"%s\",\n", g.dir);
	write_ups(stdout, &g);
	printf("  \"pools\": {\n");
	for (p = 0; p < g.npools; p++) {
		write_pool(stdout, &g, p, p * g.per, p + 1 < g.npools ?
		    g.per : g.nhosts - p * g.per);
		if (g.fakedir && write_fake(&g, p) == -1)
			return 1;
	}
	printf("  }\n}\n");
	return 0;
}

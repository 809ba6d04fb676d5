/*
 * genpolicy: write a large valid policy for benchmarks.
 *
 *   genpolicy [-u UPSES] [-p POOLS] [-n HOSTS] [-w PASSWORD_FILE]
 *
 * UPS k gets the loopback address 127.1.(k / 250).(k % 250 + 1) so that a
 * benchmark can send traps "from" it on this machine. Every host has both
 * timers, every third host a redundant second feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void
write_ups(FILE *f, int nups)
{
	int	 k;

	fprintf(f, "  \"ups\": {\n");
	for (k = 0; k < nups; k++)
		fprintf(f, "    \"ups%d\": { \"address\": \"127.1.%d.%d\", "
		    "\"warning_period\": %d }%s\n", k, k / 250, k % 250 + 1,
		    300 + k % 7, k + 1 < nups ? "," : "");
	fprintf(f, "  },\n");
}

static void
write_pool(FILE *f, int p, int first, int n, int nups, const char *pw,
    int last)
{
	int	 h, u;

	fprintf(f, "    \"pool%d\": {\n      \"url\": \"https://127.2.%d.%d\","
	    "\n      \"username\": \"root\", \"password_file\": \"%s\",\n"
	    "      \"hosts\": {\n", p, p / 250, p % 250 + 1, pw);
	for (h = first; h < first + n; h++) {
		u = h % nups;
		fprintf(f, "        \"host%d\": { \"powered_by\": [\"ups%d\"",
		    h, u);
		if (h % 3 == 0 && nups > 1)
			fprintf(f, ", \"ups%d\"", (u + 1) % nups);
		fprintf(f, "], \"maintenance_after\": %d, \"shutdown_after\": "
		    "%d }%s\n", 30 + h % 60, 120 + h % 120,
		    h + 1 < first + n ? "," : "");
	}
	fprintf(f, "      }\n    }%s\n", last ? "" : ",");
}

int
main(int argc, char **argv)
{
	int		 nups = 1000, npools = 200, nhosts = 5000, ch, p, per;
	const char	*pw = "/dev/null";

	while ((ch = getopt(argc, argv, "u:p:n:w:")) != -1) {
		switch (ch) {
		case 'u':
			nups = atoi(optarg);
			break;
		case 'p':
			npools = atoi(optarg);
			break;
		case 'n':
			nhosts = atoi(optarg);
			break;
		case 'w':
			pw = optarg;
			break;
		default:
			fprintf(stderr, "usage: genpolicy [-u ups] [-p pools] "
			    "[-n hosts] [-w password_file]\n");
			return 2;
		}
	}
	if (nups < 1 || npools < 1 || nhosts < npools) {
		fprintf(stderr, "genpolicy: need ups >= 1, hosts >= pools >= "
		    "1\n");
		return 2;
	}
	per = nhosts / npools;
	printf("{\n  \"state_dir\": \"/tmp/upsxen-bench\",\n");
	write_ups(stdout, nups);
	printf("  \"pools\": {\n");
	for (p = 0; p < npools; p++)
		write_pool(stdout, p, p * per, p + 1 < npools ? per :
		    nhosts - p * per, nups, pw, p + 1 == npools);
	printf("  }\n}\n");
	return 0;
}

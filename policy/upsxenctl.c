/*
 * upsxenctl: the operator's side of upsxen.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char usage_text[] =
    "usage: upsxenctl check [--quiet] POLICY\n"
    "\n"
    "  check   validate POLICY, print each host's schedule (exit 1 on "
    "errors)\n";

int
ctl_usage(const char *why)
{
	if (why)
		fprintf(stderr, "upsxenctl: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage(NULL);
	if (strcmp(argv[1], "check") == 0)
		return ctl_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return ctl_usage("unknown command");
}

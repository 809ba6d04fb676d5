/*
 * upsxenctl: the operator's side of upsxen.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char usage_text[] =
    "usage: upsxenctl check [--quiet] POLICY\n"
    "       upsxenctl plan POLICY --event UPS:EVENT@SECONDS ... [--json]\n"
    "                 [--master HOST] [--vms N] [--pinned HOST:N]\n"
    "                 [--evacuate-takes S] [--action-takes S] "
    "[--vm-stop-takes S]\n"
    "                 [--boot-takes S] [--until S]\n"
    "       upsxenctl status [--state-dir DIR] [--json] [--all] [POLICY]\n"
    "       upsxenctl enable | disable [--root DIR]\n"
    "\n"
    "  check   validate POLICY, print each host's schedule (exit 1 on "
    "errors)\n"
    "  plan    dry run: what the engine does, against a simulated pool, "
    "when\n"
    "          these UPS events happen (exit 1 if a VM would crash or a "
    "host fail)\n"
    "  status  each UPS's power and each host's stage, next deadline and "
    "last\n"
    "          action, from the state upsxen saves (exit 1 if a host "
    "failed)\n"
    "  enable  install the systemd drop-in that loads upsxen into "
    "snmptrapd\n"
    "  disable remove it (both take effect when snmptrapd restarts)\n";

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
	if (strcmp(argv[1], "plan") == 0)
		return ctl_plan(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return ctl_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "enable") == 0)
		return ctl_enable(argc - 1, argv + 1);
	if (strcmp(argv[1], "disable") == 0)
		return ctl_disable(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return ctl_usage("unknown command");
}

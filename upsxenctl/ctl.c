/*
 * What every upsxenctl command shares: the usage text, and printing a
 * policy's diagnostics.
 */
#include <stdio.h>

#include "ctl.h"
#include "report.h"

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

void
ctl_help(FILE *out)
{
	fputs(usage_text, out);
}

int
ctl_usage(const char *why)
{
	if (why)
		fprintf(stderr, "upsxenctl: %s\n", why);
	ctl_help(stderr);
	return 2;
}

void
ctl_print_report(const struct report *rep, int errors_only, FILE *out)
{
	size_t	 i;

	for (i = 0; i < rep->n; i++)
		if (!errors_only || rep->items[i].severity == REPORT_ERROR)
			fprintf(out, "%s: %s\n",
			    rep->items[i].severity == REPORT_ERROR ? "error" :
			    "warning", rep->items[i].msg);
}

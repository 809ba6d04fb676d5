/*
 * upsxenctl: the operator's side of upsxen. One command per file; this
 * one only finds it.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const struct {
	const char	*name;
	int		(*run)(int, char **);
} commands[] = {
	{ "check", ctl_check },
	{ "plan", ctl_plan },
	{ "status", ctl_status },
	{ "enable", ctl_enable },
	{ "disable", ctl_disable },
};

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc < 2)
		return ctl_usage(NULL);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		ctl_help(stdout);
		return 0;
	}
	return ctl_usage("unknown command");
}

/*
 * upsxenctl enable / disable: install or remove the systemd drop-in that
 * preloads upsxen into snmptrapd. Installing the package changes nothing
 * by itself; this is the operator's explicit step, and snmptrapd is
 * restarted by the operator, not behind their back.
 *
 *   upsxenctl enable [--root DIR]
 *   upsxenctl disable [--root DIR]
 *
 * --root prefixes every path (for tests and image builds).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dropin.h"

static int
parse_root(int argc, char **argv, const char **root)
{
	*root = "";
	if (argc == 3 && strcmp(argv[1], "--root") == 0)
		*root = argv[2];
	else if (argc != 1)
		return -1;
	return 0;
}

static int
make_dirs(char *path)
{
	char	*p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

static int
write_dropin(const char *file)
{
	FILE	*f;

	if ((f = fopen(file, "w")) == NULL)
		return -1;
	if (dropin_write(f) == -1) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int
ctl_enable(int argc, char **argv)
{
	char		 dir[4096], file[4200];
	const char	*root;

	if (parse_root(argc, argv, &root) == -1)
		return ctl_usage("enable: bad arguments");
	if (access(dropin_plugin_path(), R_OK) == -1)
		fprintf(stderr, "upsxenctl: warning: %s: %s (snmptrapd will "
		    "not find the plugin there)\n", dropin_plugin_path(),
		    strerror(errno));
	snprintf(dir, sizeof(dir), "%s%s", root, DROPIN_DIR);
	snprintf(file, sizeof(file), "%s/%s", dir, DROPIN_FILE);
	if (make_dirs(dir) == -1 || write_dropin(file) == -1) {
		fprintf(stderr, "upsxenctl: enable: %s: %s\n", file,
		    strerror(errno));
		return 1;
	}
	printf("wrote %s\nupsxen runs in snmptrapd once it restarts: %s\n",
	    file, DROPIN_RESTART);
	return 0;
}

int
ctl_disable(int argc, char **argv)
{
	char		 dir[4096], file[4200];
	const char	*root;

	if (parse_root(argc, argv, &root) == -1)
		return ctl_usage("disable: bad arguments");
	snprintf(dir, sizeof(dir), "%s%s", root, DROPIN_DIR);
	snprintf(file, sizeof(file), "%s/%s", dir, DROPIN_FILE);
	if (unlink(file) == -1) {
		if (errno == ENOENT) {
			printf("%s is not there: upsxen was not enabled\n",
			    file);
			return 0;
		}
		fprintf(stderr, "upsxenctl: disable: %s: %s\n", file,
		    strerror(errno));
		return 1;
	}
	(void)rmdir(dir);	/* only if nothing else is in it */
	printf("removed %s\nupsxen leaves snmptrapd once it restarts: %s\n",
	    file, DROPIN_RESTART);
	return 0;
}

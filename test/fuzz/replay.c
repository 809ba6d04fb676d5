/*
 * Replays fuzz inputs through a target without libFuzzer (gcc builds,
 * CI): each argument is a file or a directory of files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	uint8_t	*buf;
	long	 len;
	FILE	*f;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int
replay(const char *path, int *n)
{
	struct dirent	*d;
	struct stat	 st;
	char		 sub[4096];
	DIR		*dir;
	int		 rc = 0;

	if (stat(path, &st) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return replay_file(path);
	}
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
		rc |= replay(sub, n);
	}
	closedir(dir);
	return rc;
}

int
main(int argc, char **argv)
{
	int	 i, n = 0, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= replay(argv[i], &n);
	printf("replayed %d inputs: %s\n", n, rc ? "errors" : "ok");
	return rc || n == 0 ? 1 : 0;
}

/*
 * Secrets from their files. Each is read in snmptrapd's main thread at
 * start and on reload, so nothing here may wait: a FIFO named as the
 * password file would block the daemon until someone writes to it. The
 * secret passes through no stdio buffer, and every copy but the one
 * returned is wiped.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"

/* Refuses what is not a private regular file; -1 with *err set. */
static int
secret_check(int fd, const char *path, char *err, size_t errlen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file: refused",
		    path);
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		snprintf(err, errlen, "%s is readable by anyone: refused "
		    "(chmod 600)", path);
		return -1;
	}
	if (st.st_size > SECRET_MAX) {
		snprintf(err, errlen, "%s is larger than %d bytes: refused "
		    "(it holds one password)", path, SECRET_MAX);
		return -1;
	}
	return 0;
}

/* Up to SECRET_MAX + 1 bytes, to tell a file that grew past the limit. */
static ssize_t
secret_fill(int fd, char *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

char *
secret_read(const char *path, char *err, size_t errlen)
{
	char	 buf[SECRET_MAX + 1], *s = NULL;
	ssize_t	 n;
	size_t	 len;
	int	 fd;

	if (path == NULL) {
		snprintf(err, errlen, "no password file");
		return NULL;
	}
	/* A symlink could point the daemon's privileges anywhere. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(err, errlen, "%s is a symbolic link: refused "
			    "(name the file itself)", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (secret_check(fd, path, err, errlen) == -1)
		goto done;
	if ((n = secret_fill(fd, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if ((size_t)n > SECRET_MAX) {
		snprintf(err, errlen, "%s is larger than %d bytes: refused "
		    "(it holds one password)", path, SECRET_MAX);
		goto done;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	if (len == 0) {
		snprintf(err, errlen, "%s is empty", path);
		goto done;
	}
	if ((s = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	memcpy(s, buf, len);
	s[len] = '\0';
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return s;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

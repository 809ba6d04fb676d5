#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "outbox.h"
#include "state.h"
#include "thread.h"

#define ERROR_EVERY	60	/* seconds between repeats of one failure */

struct state_writer {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*dir;		/* of the pending snapshot */
	json_t		*snap;		/* owned; encoded by the thread */
	int		 stop;
	struct outbox	*ob;
	int		 failing;
	time_t		 error_at;
};

/*
 * The directory, opened without following a symlink and checked on the
 * descriptor: whoever can write it can plant a state (hosts shut down at
 * start with no trap, an outage silenced) or a link the writer would
 * follow, so it must be the daemon's own and closed to everyone else.
 */
static int
dir_open(const char *dir, int create, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "state_dir %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			snprintf(err, errlen, "state_dir %s is not a "
			    "directory%s", dir, errno == ELOOP ||
			    (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) ?
			    " (a symlink: name the directory itself)" : "");
		else if (errno == ENOENT)
			return -2;
		else
			snprintf(err, errlen, "state_dir %s: %s", dir,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "state_dir %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "state_dir %s is owned by uid %u, not "
		    "by the uid snmptrapd runs as (%u): refused", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "state_dir %s is writable by %s (mode "
		    "%03o): refused, chmod 750", dir, st.st_mode & S_IWOTH ?
		    "others" : "its group", (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int
read_all(int fd, char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Not following a link, not waiting on a FIFO, and no bigger than any
 * state upsxen writes: a start must never hang on what it finds there.
 */
int
state_read(const char *dir, json_t **out, char *err, size_t errlen)
{
	json_error_t	 jerr;
	struct stat	 st;
	char		*text = NULL;
	int		 dfd, fd = -1;

	*out = NULL;
	if ((dfd = dir_open(dir, 0, err, errlen)) == -2)
		return 0;
	if (dfd == -1)
		return -1;
	fd = openat(dfd, STATE_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		close(dfd);
		return 0;
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, STATE_FILE,
		    errno == ELOOP ? "a symlink, not upsxen's file" :
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s/%s is not a regular file", dir,
		    STATE_FILE);
		goto fail;
	}
	if (st.st_size > STATE_MAX_BYTES) {
		snprintf(err, errlen, "%s/%s is %lld bytes, more than any "
		    "state upsxen writes (%d)", dir, STATE_FILE,
		    (long long)st.st_size, STATE_MAX_BYTES);
		goto fail;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL ||
	    read_all(fd, text, (size_t)st.st_size) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, STATE_FILE,
		    text ? "short read" : "out of memory");
		goto fail;
	}
	if ((*out = json_loadb(text, (size_t)st.st_size, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "%s/%s:%d:%d: %s", dir, STATE_FILE,
		    jerr.line, jerr.column, jerr.text);
		goto fail;
	}
	free(text);
	close(fd);
	close(dfd);
	return 0;
fail:
	free(text);
	if (fd != -1)
		close(fd);
	close(dfd);
	return -1;
}

static int
write_all(int fd, const char *text)
{
	size_t	 len = strlen(text);
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, text, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A name nobody can have planted: O_EXCL fails on whatever is there. */
static int
temp_open(int dfd, char *name, size_t len)
{
	static unsigned long	 seq;
	int			 fd, tries;

	for (tries = 0; tries < 16; tries++) {
		snprintf(name, len, ".%s.%ld.%lu.%lx", STATE_FILE,
		    (long)getpid(), ++seq, (unsigned long)random());
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int
state_write(const char *dir, const char *text, char *err, size_t errlen)
{
	char	 tmp[256];
	int	 dfd, fd;

	if ((dfd = dir_open(dir, 1, err, errlen)) < 0) {
		if (dfd == -2)
			snprintf(err, errlen, "state_dir %s vanished", dir);
		return -1;
	}
	if ((fd = temp_open(dfd, tmp, sizeof(tmp))) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		goto fail;
	}
	if (write_all(fd, text) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, STATE_FILE) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, STATE_FILE,
		    strerror(errno));
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	if (fsync(dfd) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
		goto fail;
	}
	close(dfd);
	return 0;
fail:
	close(dfd);
	return -1;
}

static void __attribute__((format(printf, 3, 4)))
report(struct state_writer *sw, int prio, const char *fmt, ...)
{
	struct wresult	*r;
	va_list		 ap;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->kind = WR_LOG;
	r->prio = prio;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	outbox_post(sw->ob, r);
}

static void
write_one(struct state_writer *sw, const char *dir, json_t *snap)
{
	char	 err[8400];	/* room for two paths and a reason */
	char	*text;
	time_t	 now = time(NULL);

	if ((text = json_dumps(snap, JSON_COMPACT)) == NULL)
		snprintf(err, sizeof(err), "out of memory encoding the state");
	if (text == NULL || state_write(dir, text, err, sizeof(err)) == -1) {
		if (!sw->failing || now - sw->error_at >= ERROR_EVERY)
			report(sw, LOG_ERR, "state not saved: %s (protecting "
			    "the pools from memory; a restart would forget "
			    "this outage)", err);
		sw->failing = 1;
		sw->error_at = now;
	} else if (sw->failing) {
		report(sw, LOG_NOTICE, "state saved again in %.400s", dir);
		sw->failing = 0;
	}
	free(text);
}

static void *
writer_main(void *arg)
{
	struct state_writer	*sw = arg;
	char			*dir;
	json_t			*snap;
	int			 stop;

	for (;;) {
		pthread_mutex_lock(&sw->mu);
		while (sw->snap == NULL && !sw->stop)
			pthread_cond_wait(&sw->cv, &sw->mu);
		dir = sw->dir;
		snap = sw->snap;
		sw->dir = NULL;
		sw->snap = NULL;
		stop = sw->stop;
		pthread_mutex_unlock(&sw->mu);
		if (snap)
			write_one(sw, dir, snap);
		free(dir);
		json_decref(snap);
		if (stop && snap == NULL)
			break;
	}
	return NULL;
}

struct state_writer *
state_writer_start(struct outbox *ob)
{
	struct state_writer	*sw;

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return NULL;
	sw->ob = ob;
	pthread_mutex_init(&sw->mu, NULL);
	pthread_cond_init(&sw->cv, NULL);
	if (thread_start(&sw->thread, writer_main, sw) != 0) {
		free(sw);
		return NULL;
	}
	return sw;
}

/*
 * Takes the snapshot, which nothing else may hold: it is encoded on the
 * writer's thread. An older one not yet written is dropped for it.
 */
void
state_writer_submit(struct state_writer *sw, const char *dir, json_t *snap)
{
	char	*d = strdup(dir);

	if (d == NULL) {
		json_decref(snap);
		return;
	}
	pthread_mutex_lock(&sw->mu);
	free(sw->dir);
	json_decref(sw->snap);
	sw->dir = d;
	sw->snap = snap;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
}

void
state_writer_stop(struct state_writer *sw)
{
	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->stop = 1;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
	pthread_join(sw->thread, NULL);
	pthread_mutex_destroy(&sw->mu);
	pthread_cond_destroy(&sw->cv);
	free(sw->dir);
	json_decref(sw->snap);
	free(sw);
}

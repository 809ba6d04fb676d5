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

int
state_read(const char *dir, json_t **out, char *err, size_t errlen)
{
	json_error_t	 jerr;
	char		 path[4096];

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((*out = json_load_file(path, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return -1;
	}
	return 0;
}

static int
ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "state_dir %s is not a directory", dir);
		return -1;
	}
	if (errno == ENOENT && mkdir(dir, 0750) == 0)
		return 0;
	snprintf(err, errlen, "state_dir %s: %s", dir, strerror(errno));
	return -1;
}

static int
sync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
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

static int
state_write(const char *dir, const char *text, char *err, size_t errlen)
{
	char	 tmp[4096], path[4096];
	int	 fd;

	if (ensure_dir(dir, err, errlen) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, STATE_FILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, text) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (sync_dir(dir) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
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

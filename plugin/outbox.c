#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "outbox.h"

int
outbox_init(struct outbox *ob)
{
	int	 fds[2];

	ob->head = ob->tail = NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	ob->rfd = fds[0];
	ob->wfd = fds[1];
	pthread_mutex_init(&ob->mu, NULL);
	return 0;
}

void
outbox_close(struct outbox *ob)
{
	struct wresult	*r, *next;

	for (r = ob->head; r; r = next) {
		next = r->next;
		wresult_free(r);
	}
	ob->head = ob->tail = NULL;
	close(ob->rfd);
	close(ob->wfd);
	pthread_mutex_destroy(&ob->mu);
}

void
outbox_post(struct outbox *ob, struct wresult *r)
{
	char	 c = 1;
	int	 was_empty;

	r->next = NULL;
	pthread_mutex_lock(&ob->mu);
	was_empty = ob->head == NULL;
	if (ob->tail)
		ob->tail->next = r;
	else
		ob->head = r;
	ob->tail = r;
	pthread_mutex_unlock(&ob->mu);
	/* One byte wakes the main loop; a full pipe already woke it. */
	if (was_empty && write(ob->wfd, &c, 1) == -1 && errno != EAGAIN)
		return;
}

struct wresult *
outbox_take(struct outbox *ob)
{
	struct wresult	*list;
	char		 buf[256];

	while (read(ob->rfd, buf, sizeof(buf)) > 0)
		continue;
	pthread_mutex_lock(&ob->mu);
	list = ob->head;
	ob->head = ob->tail = NULL;
	pthread_mutex_unlock(&ob->mu);
	return list;
}

void
wresult_free(struct wresult *r)
{
	if (r == NULL)
		return;
	free(r->members);
	free(r->names);
	free(r);
}

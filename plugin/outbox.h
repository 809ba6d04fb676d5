/*
 * What worker threads hand to the main thread: action results, pool
 * facts and log lines. A list under a mutex plus a non-blocking pipe that
 * snmptrapd's loop watches (register_readfd): workers never call net-snmp.
 */
#ifndef UPSXEN_OUTBOX_H
#define UPSXEN_OUTBOX_H

#include <pthread.h>
#include <stddef.h>

#include "engine.h"

enum wr_kind {
	WR_RESULT,
	WR_FACTS,
	WR_LOG
};

struct wresult {
	struct wresult		*next;
	enum wr_kind		 kind;
	char			 pool[128];
	/* RESULT */
	unsigned long		 id;
	enum action_op		 op;
	char			 host[128];
	enum action_outcome	 outcome;
	char			 error[512];
	int			 count;
	double			 ms;
	/* FACTS */
	int			 ha;
	int			 ha_off;
	size_t			 nmembers;
	struct member_facts	*members;
	char			(*names)[128];
	/* LOG */
	int			 prio;
	char			 text[512];
};

struct outbox {
	pthread_mutex_t		 mu;
	struct wresult		*head;
	struct wresult		*tail;
	int			 rfd;
	int			 wfd;
};

int		 outbox_init(struct outbox *);
void		 outbox_close(struct outbox *);
void		 outbox_post(struct outbox *, struct wresult *);
/* Main thread: empty the pipe, take the whole list (oldest first). */
struct wresult	*outbox_take(struct outbox *);
void		 wresult_free(struct wresult *);

#endif

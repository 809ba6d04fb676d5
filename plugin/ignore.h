/*
 * Which ignored traps get a log line. Anyone who can reach snmptrapd
 * can send them, from as many forged sources as he likes, so the lines
 * are bounded as a whole: each syslog priority has IGNORE_BURST lines
 * per IGNORE_WINDOW (the INFO lines of a card's temperature traps, which
 * Debian's -LOw hides, cannot spend the warnings'), a (source, reason)
 * is logged once per window (one reason does not mute another), and what
 * was not logged is counted per reason and reported when its window
 * ends. Pure: the caller passes the time, writes the lines and arms the
 * timer for ignore_due().
 */
#ifndef UPSXEN_IGNORE_H
#define UPSXEN_IGNORE_H

#include <stddef.h>

#define IGNORE_WINDOW	60.0	/* seconds */
#define IGNORE_BURST	20	/* lines per priority per window */
#define IGNORE_PRIOS	8	/* syslog's LOG_EMERG .. LOG_DEBUG */
#define IGNORE_SRC_LEN	46	/* an IPv6 address in text */

enum ignore_reason {
	IGN_NOT_UPS,
	IGN_COMMUNITY,
	IGN_V3_USER,
	IGN_V3_UNSIGNED,
	IGN_V3_CLEAR,		/* signed, not encrypted, authPriv required */
	IGN_NOT_POWER,
	IGN_NO_OID,
	IGN_COUNT
};

struct ignore_pair {
	char			 src[IGNORE_SRC_LEN];
	enum ignore_reason	 why;
};

/* One priority's window: what it logged. */
struct ignore_window {
	double			 start;
	unsigned long		 held;	/* not logged, all its reasons */
	unsigned int		 lines;
	struct ignore_pair	 logged[IGNORE_BURST];
};

/* One reason's count of what was not logged, not yet reported. */
struct ignore_held {
	unsigned long		 count;
	char			 last[IGNORE_SRC_LEN];
};

struct ignore {
	struct ignore_window	 win[IGNORE_PRIOS];
	struct ignore_held	 held[IGN_COUNT];
};

/* reason, count, seconds of the window, last source not logged, arg */
typedef void	 ignore_report_fn(enum ignore_reason, unsigned long, double,
		    const char *, void *);

void		 ignore_init(struct ignore *);
const char	*ignore_why(enum ignore_reason);
int		 ignore_prio(enum ignore_reason);
int		 ignore_allow(struct ignore *, enum ignore_reason,
		    const char *, double);
double		 ignore_due(const struct ignore *);
double		 ignore_flush(struct ignore *, double, int,
		    ignore_report_fn *, void *);

#endif

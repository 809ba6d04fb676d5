/*
 * The ignored-trap line limiter (ignore.h). No net-snmp, no clock: the
 * unit test drives it with a virtual one.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ignore.h"

static const struct {
	const char	*why;
	int		 prio;
} reasons[IGN_COUNT] = {
	[IGN_NOT_UPS] = { "source is no UPS of the policy", LOG_WARNING },
	[IGN_COMMUNITY] = { "wrong community", LOG_WARNING },
	[IGN_V3_USER] = { "wrong SNMPv3 user", LOG_WARNING },
	[IGN_V3_UNSIGNED] = { "SNMPv3 trap not signed", LOG_WARNING },
	[IGN_V3_CLEAR] = { "SNMPv3 trap not signed and encrypted "
	    "(v3_level authPriv)", LOG_WARNING },
	/* Cards send temperature, self-test ... traps too. */
	[IGN_NOT_POWER] = { "not a power event", LOG_INFO },
	[IGN_NO_OID] = { "no trap OID", LOG_INFO },
};

void
ignore_init(struct ignore *ig)
{
	size_t	 i;

	memset(ig, 0, sizeof(*ig));
	for (i = 0; i < IGNORE_PRIOS; i++)
		ig->win[i].start = -INFINITY;
}

const char *
ignore_why(enum ignore_reason r)
{
	return (unsigned)r < IGN_COUNT ? reasons[r].why : "?";
}

int
ignore_prio(enum ignore_reason r)
{
	return (unsigned)r < IGN_COUNT ? reasons[r].prio : LOG_WARNING;
}

static int
logged(const struct ignore_window *w, enum ignore_reason r, const char *src)
{
	unsigned int	 i;

	for (i = 0; i < w->lines; i++)
		if (w->logged[i].why == r &&
		    strcmp(w->logged[i].src, src) == 0)
			return 1;
	return 0;
}

static int
hold(struct ignore *ig, struct ignore_window *w, enum ignore_reason r,
    const char *src)
{
	w->held++;
	ig->held[r].count++;
	snprintf(ig->held[r].last, sizeof(ig->held[r].last), "%s", src);
	return 0;
}

/* Whether this ignored trap of `src` gets its own line. */
int
ignore_allow(struct ignore *ig, enum ignore_reason r, const char *src,
    double now)
{
	struct ignore_window	*w;
	struct ignore_pair	*p;

	if ((unsigned)r >= IGN_COUNT)
		r = IGN_NOT_UPS;
	w = &ig->win[ignore_prio(r)];
	/* What was held back is reported before anything newer is logged. */
	if (w->held == 0 && now - w->start >= IGNORE_WINDOW) {
		w->start = now;
		w->lines = 0;
	}
	if (w->held && now - w->start >= IGNORE_WINDOW)
		return hold(ig, w, r, src);
	if (w->lines == IGNORE_BURST || logged(w, r, src))
		return hold(ig, w, r, src);
	p = &w->logged[w->lines++];
	p->why = r;
	snprintf(p->src, sizeof(p->src), "%s", src);
	return 1;
}

/* The end of the earliest window holding lines back, or INFINITY. */
double
ignore_due(const struct ignore *ig)
{
	double	 due = INFINITY;
	size_t	 i;

	for (i = 0; i < IGNORE_PRIOS; i++)
		if (ig->win[i].held && ig->win[i].start + IGNORE_WINDOW < due)
			due = ig->win[i].start + IGNORE_WINDOW;
	return due;
}

static void
report(struct ignore *ig, int prio, double now, ignore_report_fn *fn,
    void *arg)
{
	struct ignore_window	*w = &ig->win[prio];
	size_t			 r;

	for (r = 0; r < IGN_COUNT; r++) {
		if (reasons[r].prio != prio || ig->held[r].count == 0)
			continue;
		fn((enum ignore_reason)r, ig->held[r].count, now - w->start,
		    ig->held[r].last, arg);
		ig->held[r].count = 0;
	}
	/* The next ignored trap opens a new window, with a full budget. */
	w->held = 0;
	w->lines = 0;
	w->start = -INFINITY;
}

/*
 * Reports the windows that have ended holding lines back (all of them
 * if `all`: at shutdown). Returns ignore_due() afterwards.
 */
double
ignore_flush(struct ignore *ig, double now, int all, ignore_report_fn *fn,
    void *arg)
{
	size_t	 i;

	for (i = 0; i < IGNORE_PRIOS; i++)
		if (ig->win[i].held &&
		    (all || now >= ig->win[i].start + IGNORE_WINDOW))
			report(ig, (int)i, now, fn, arg);
	return ignore_due(ig);
}

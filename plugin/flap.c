/*
 * Event-line limiting per UPS (flap.h). Pure: the caller passes the time
 * and writes the lines.
 */
#include <math.h>
#include <stdlib.h>

#include "flap.h"

struct flap_ups {
	double		 start;		/* of the current window */
	unsigned int	 lines;		/* logged in it */
	unsigned int	 held;		/* not logged, not yet reported */
};

struct flap {
	size_t		 n;
	struct flap_ups	 u[];
};

struct flap *
flap_new(size_t n)
{
	struct flap	*f;
	size_t		 i;

	if ((f = calloc(1, sizeof(*f) + n * sizeof(f->u[0]))) == NULL)
		return NULL;
	f->n = n;
	for (i = 0; i < n; i++)
		f->u[i].start = -INFINITY;
	return f;
}

void
flap_free(struct flap *f)
{
	free(f);
}

/* Whether this event of UPS `ups` gets its own line. */
int
flap_allow(struct flap *f, size_t ups, double now)
{
	struct flap_ups	*u;

	if (f == NULL || ups >= f->n)
		return 1;
	u = &f->u[ups];
	/* Lines held back are reported before anything newer is logged. */
	if (u->held == 0 && now - u->start >= FLAP_WINDOW) {
		u->start = now;
		u->lines = 0;
	}
	if (u->held == 0 && u->lines < FLAP_BURST) {
		u->lines++;
		return 1;
	}
	u->held++;
	return 0;
}

/*
 * Reports each UPS whose window has ended with lines held back, and
 * starts it afresh. Returns when to call again: the end of the earliest
 * window still holding lines, or INFINITY.
 */
double
flap_flush(struct flap *f, double now, flap_report_fn *fn, void *arg)
{
	double	 next = INFINITY, end;
	size_t	 i;

	if (f == NULL)
		return INFINITY;
	for (i = 0; i < f->n; i++) {
		if (f->u[i].held == 0)
			continue;
		end = f->u[i].start + FLAP_WINDOW;
		if (now >= end) {
			fn(i, f->u[i].held, arg);
			f->u[i].held = 0;
			f->u[i].lines = 0;
			f->u[i].start = now;
		} else if (end < next)
			next = end;
	}
	return next;
}

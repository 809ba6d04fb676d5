#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

void
report_init(struct report *rep)
{
	rep->items = NULL;
	rep->n = rep->cap = 0;
	rep->nerrors = rep->nwarnings = 0;
	rep->nomem = 0;
}

void
report_free(struct report *rep)
{
	size_t	 i;

	for (i = 0; i < rep->n; i++)
		free(rep->items[i].msg);
	free(rep->items);
	report_init(rep);
}

static int
report_grow(struct report *rep)
{
	struct report_item	*items;
	size_t			 cap;

	if (rep->n < rep->cap)
		return 0;
	cap = rep->cap ? rep->cap * 2 : 8;
	items = realloc(rep->items, cap * sizeof(*items));
	if (items == NULL)
		return -1;
	rep->items = items;
	rep->cap = cap;
	return 0;
}

void
report_add(struct report *rep, enum report_severity sev, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 len;

	/* Count first: a report that ran out of memory must still fail. */
	if (sev == REPORT_ERROR)
		rep->nerrors++;
	else
		rep->nwarnings++;

	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (len < 0) {
		rep->nomem = 1;
		return;
	}
	if (report_grow(rep) == -1) {
		free(msg);
		rep->nomem = 1;
		return;
	}
	rep->items[rep->n].severity = sev;
	rep->items[rep->n].msg = msg;
	rep->n++;
}

const char *
report_first(const struct report *rep, enum report_severity sev)
{
	size_t	 i;

	for (i = 0; i < rep->n; i++)
		if (rep->items[i].severity == sev)
			return rep->items[i].msg;
	return NULL;
}

/*
 * A list of diagnostics: errors and warnings, each one line that starts
 * with where the problem is (a JSON path, a file:line:column).
 */
#ifndef UPSXEN_REPORT_H
#define UPSXEN_REPORT_H

#include <stddef.h>

enum report_severity {
	REPORT_ERROR,
	REPORT_WARNING
};

struct report_item {
	enum report_severity	 severity;
	char			*msg;
};

struct report {
	struct report_item	*items;
	size_t			 n;
	size_t			 cap;
	size_t			 nerrors;
	size_t			 nwarnings;
	int			 nomem;
};

void	report_init(struct report *);
void	report_free(struct report *);
void	report_add(struct report *, enum report_severity, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The first message of a severity, or NULL. */
const char *report_first(const struct report *, enum report_severity);

#endif

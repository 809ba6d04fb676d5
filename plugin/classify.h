/*
 * Trap classification: which UPS event a trap OID means (DESIGN.md "The
 * cards"), from the built-in table of card families plus the policy's
 * rows.
 */
#ifndef UPSXEN_CLASSIFY_H
#define UPSXEN_CLASSIFY_H

#include <stddef.h>

#include "event.h"

struct policy;

/* The RFC 1628 alarm description subtree, upsWellKnownAlarms. */
#define CLASSIFY_ALARM_PREFIX_LEN	10

int	 classify_init(void);
void	 classify_free(void);
/*
 * trapoid: the snmpTrapOID (v2) or enterprise.0.specific (v1). descr: the
 * value of an upsAlarmDescr varbind, or NULL. Returns 0 and sets *ev when
 * the trap means an event, -1 when it means nothing to upsxen.
 */
int	 classify_trap(const struct policy *, const unsigned long *, size_t,
	    const unsigned long *, size_t, enum ups_event *);
/* Whether an OID value lies under upsWellKnownAlarms. */
int	 classify_is_alarm_descr(const unsigned long *, size_t);

#endif

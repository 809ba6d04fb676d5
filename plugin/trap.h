/*
 * The global post-handler snmptrapd calls for every trap it accepts.
 */
#ifndef UPSXEN_TRAP_H
#define UPSXEN_TRAP_H

#include "trapd.h"

struct policy_addr;

int	trap_handle(netsnmp_pdu *, netsnmp_transport *,
	    netsnmp_trapd_handler *);
/* Pieces of it, for tests and fuzzing. */
int	trap_source(const netsnmp_pdu *, struct policy_addr *);
int	trap_oid(const netsnmp_pdu *, oid *, size_t, size_t *);
void	trap_rate_reset(void);

#endif

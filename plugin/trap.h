/*
 * The global post-handler snmptrapd calls for every trap it accepts.
 */
#ifndef UPSXEN_TRAP_H
#define UPSXEN_TRAP_H

#include "trapd.h"

int	trap_handle(netsnmp_pdu *, netsnmp_transport *,
	    netsnmp_trapd_handler *);
/* At shutdown: the summary of what was not logged, its timer gone. */
void	trap_stop(void);

#endif

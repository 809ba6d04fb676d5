/*
 * The parts of snmptrapd's handler API that upsxen uses. libnetsnmptrapd
 * exports them but Debian ships no header (DESIGN.md "snmptrapd"), so
 * the 5.9 layout is declared here.
 *
 * The library allocates the handler struct. Net-snmp after 5.9.5 inserts
 * free_handler_data after handler_data; the fields up to handler_data sit
 * at the same offsets in both layouts, so nothing past it is declared and
 * nothing past it is touched.
 */
#ifndef UPSXEN_TRAPD_H
#define UPSXEN_TRAPD_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#define NETSNMPTRAPD_AUTH_HANDLER	1
#define NETSNMPTRAPD_PRE_HANDLER	2
#define NETSNMPTRAPD_POST_HANDLER	3
#define NETSNMPTRAPD_DEFAULT_HANDLER	4

#define NETSNMPTRAPD_HANDLER_OK		1
#define NETSNMPTRAPD_HANDLER_FAIL	2
#define NETSNMPTRAPD_HANDLER_BREAK	3
#define NETSNMPTRAPD_HANDLER_FINISH	4

/* apps/snmptrapd_ds.h: what -n sets, read as each trap is handled. */
#define NETSNMP_DS_APP_NUMERIC_IP	16

#define TRAP_AUTH_LOG	(1 << VACM_VIEW_LOG)
#define TRAP_AUTH_EXE	(1 << VACM_VIEW_EXECUTE)
#define TRAP_AUTH_NET	(1 << VACM_VIEW_NET)

typedef struct netsnmp_trapd_handler_s netsnmp_trapd_handler;

typedef int	 Netsnmp_Trap_Handler(netsnmp_pdu *, netsnmp_transport *,
		    netsnmp_trapd_handler *);

struct netsnmp_trapd_handler_s {
	oid			*trapoid;
	int			 trapoid_len;
	char			*token;
	char			*format;
	int			 version;
	int			 authtypes;
	int			 flags;
	Netsnmp_Trap_Handler	*handler;
	void			*handler_data;
	/* More fields follow, in a layout that differs between versions. */
};

netsnmp_trapd_handler *netsnmp_add_global_traphandler(int,
		    Netsnmp_Trap_Handler *);

#endif

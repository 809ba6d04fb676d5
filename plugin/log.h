/*
 * Log lines through snmp_log, so they land wherever snmptrapd logs. One
 * line per decision or action, "upsxen: key=value ...". Main thread only.
 */
#ifndef UPSXEN_LOG_H
#define UPSXEN_LOG_H

void	plog(int, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif

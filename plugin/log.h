/*
 * Log lines through snmp_log, so they land wherever snmptrapd logs. One
 * line per decision or action, "upsxen: key=value ...". Main thread only.
 *
 * Every line is escaped before it is written: its text carries what
 * others chose (XenAPI error parameters, names from the pool, trap
 * contents), and a newline there would start a line of their choosing,
 * one that reads like a line of ours. Bytes below 0x20 and 0x7f become
 * \xNN, and a backslash becomes \\: so "\x0a" in a line is always an
 * escaped newline, never a sender's four characters, and the original
 * bytes can be read back from any line. Other bytes (UTF-8 names) pass.
 */
#ifndef UPSXEN_LOG_H
#define UPSXEN_LOG_H

#include <stddef.h>

void	plog(int, const char *, ...) __attribute__((format(printf, 2, 3)));
/* src escaped into dst (always terminated, never split in an escape). */
size_t	log_escape(char *, size_t, const char *);

#endif

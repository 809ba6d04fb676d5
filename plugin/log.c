/*
 * Log lines (log.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "log.h"

#define LINE_MAX_LEN	1024

size_t
log_escape(char *dst, size_t cap, const char *src)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 off = 0, need;

	if (cap == 0)
		return 0;
	for (; *s; s++) {
		need = *s < 0x20 || *s == 0x7f ? 4 : *s == '\\' ? 2 : 1;
		if (off + need >= cap)
			break;
		if (need == 4) {
			dst[off++] = '\\';
			dst[off++] = 'x';
			dst[off++] = hex[*s >> 4];
			dst[off++] = hex[*s & 0xf];
		} else if (need == 2) {
			dst[off++] = '\\';
			dst[off++] = '\\';
		} else
			dst[off++] = (char)*s;
	}
	dst[off] = '\0';
	return off;
}

void
plog(int prio, const char *fmt, ...)
{
	char	 buf[LINE_MAX_LEN];
	/* Room for every byte escaped: the line is never cut for it. */
	char	 safe[LINE_MAX_LEN * 4];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_escape(safe, sizeof(safe), buf);
	snmp_log(prio, "upsxen: %s\n", safe);
}

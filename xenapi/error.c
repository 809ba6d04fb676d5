/*
 * Errors: filling one in, and what a kind or a xapi code means to the
 * caller. Every other file of the client uses this one; it uses none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xenapi_int.h"

void
xerr(struct xenapi_error *err, enum xenapi_err_kind kind, const char *fmt,
    ...)
{
	va_list	 ap;

	memset(err, 0, sizeof(*err));
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *
xenapi_err_kind_name(enum xenapi_err_kind k)
{
	switch (k) {
	case XENAPI_OK:
		return "ok";
	case XENAPI_ERR_FAILURE:
		return "failure";
	case XENAPI_ERR_TRANSPORT:
		return "transport";
	case XENAPI_ERR_TIMEOUT:
		return "timeout";
	case XENAPI_ERR_TLS:
		return "tls";
	case XENAPI_ERR_PROTOCOL:
		return "protocol";
	}
	return "unknown";
}

int
xenapi_error_transient(const struct xenapi_error *err)
{
	/*
	 * What xapi answers while it restarts, or when the master cannot
	 * reach a member (message_forwarding.ml), or when it is loaded.
	 * HOST_DISABLED_UNTIL_REBOOT is not among them.
	 */
	static const char *const codes[] = { "OTHER_OPERATION_IN_PROGRESS",
	    "HOST_STILL_BOOTING", "TOO_MANY_PENDING_TASKS", "SESSION_INVALID",
	    "HOST_IS_SLAVE", "HOST_OFFLINE", "TOO_BUSY", "CANNOT_CONTACT_HOST",
	    NULL };
	size_t	 i;

	if (err->kind == XENAPI_ERR_TRANSPORT || err->kind == XENAPI_ERR_TIMEOUT)
		return 1;
	if (err->kind != XENAPI_ERR_FAILURE)
		return 0;
	for (i = 0; codes[i]; i++)
		if (strcmp(err->code, codes[i]) == 0)
			return 1;
	return 0;
}

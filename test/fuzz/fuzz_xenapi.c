/*
 * Fuzz target: decoding what a XenAPI server answers (arbitrary XML).
 * A Success gives a value, anything else a typed error with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xenapi_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 once;
	struct xenapi_error	 err;
	xmlrpc_value		*v = NULL;
	char			 buf[64];

	if (!once) {
		xenapi_global_init();
		once = 1;
	}
	if (rpc_decode((const char *)data, len, &v, &err) == 0) {
		if (v == NULL)
			__builtin_trap();
		rpc_string_value(v, buf, sizeof(buf));
		if (xmlrpc_value_type(v) == XMLRPC_TYPE_STRUCT)
			rpc_read_string(v, "status", buf, sizeof(buf));
		xmlrpc_DECREF(v);
	} else if (err.kind == XENAPI_OK || err.msg[0] == '\0')
		__builtin_trap();	/* every failure says what it is */
	return 0;
}

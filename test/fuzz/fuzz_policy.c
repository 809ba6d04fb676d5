/*
 * Fuzz target: the policy loader on arbitrary bytes. Whatever comes in,
 * it must return a policy or errors, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct report	 rep;
	struct policy	*p;

	report_init(&rep);
	p = policy_parse((const char *)data, len, "/fuzz/policy.json", &rep);
	if (p != NULL && rep.nerrors != 0)
		__builtin_trap();	/* a policy is never returned with errors */
	policy_free(p);
	report_free(&rep);
	return 0;
}

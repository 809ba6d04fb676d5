/*
 * Polling the UPS cards over SNMP from snmptrapd's main thread.
 */
#ifndef UPSXEN_POLL_H
#define UPSXEN_POLL_H

#include <stddef.h>

struct policy;

enum poll_state {
	POLL_UNKNOWN,
	POLL_ON_BATTERY,
	POLL_ONLINE,
	POLL_UNREACHABLE
};

/* A routine poll's answer: the state, and the card's seconds on battery
 * when it is on battery and its MIB says (else -1). */
typedef void	 poll_state_fn(size_t, enum poll_state, double);
typedef void	 poll_confirm_fn(unsigned long, size_t, enum poll_state);

/* Every UPS with an snmp block is polled every poll_interval. */
int	 poll_start(const struct policy *, poll_state_fn *, poll_confirm_fn *,
	    double (*)(void));
void	 poll_stop(void);
/*
 * Ask one card now; the answer comes to the confirm callback with id.
 * POLL_NOT_POLLED when the UPS has no snmp block (nothing to ask);
 * POLL_CANNOT_ASK when it has one but its session could not be opened
 * (the reason was logged) or the request not sent.
 */
#define POLL_NOT_POLLED	(-1)
#define POLL_CANNOT_ASK	(-2)
int	 poll_confirm(size_t, unsigned long);

#endif

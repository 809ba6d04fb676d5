/*
 * Asking the cards. ACT_CONFIRM: before the first VM stop and the
 * power-off, the host's cards are asked whether they are still on battery
 * (poll.c sends the GETs). One card answering "online" stops them;
 * silence does not (the card may be on the failing power). And a restore
 * trap that would end an outage of a polled UPS waits for its card.
 */
#ifndef UPSXEN_CONFIRM_H
#define UPSXEN_CONFIRM_H

#include <stddef.h>

#include "poll.h"

struct action;

void	 confirm_start(const struct action *, double);
/* A card's answer; 1 when it settled the action (the engine moved). */
int	 confirm_answered(unsigned long, size_t, enum poll_state);
/* Before the cards go away: the engine asks again after a backoff. */
void	 confirm_abandon(void);
/*
 * A power_restored from a trap: 1 when it went to the card instead of
 * the engine (the card's answer decides), 0 to take it as it is.
 */
int	 confirm_restore(size_t, const char *);

#endif

/*
 * ACT_CONFIRM: before a power-off, the host's cards are asked whether
 * they are still on battery (poll.c sends the GETs). One card answering
 * "online" stops the power-off; silence does not (the card may be on the
 * failing power).
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

#endif

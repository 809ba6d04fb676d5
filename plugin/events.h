/*
 * UPS events into the engine, each with its log line. A card that flaps
 * gets FLAP_BURST lines per FLAP_WINDOW (flap.c); the engine still sees
 * every event.
 */
#ifndef UPSXEN_EVENTS_H
#define UPSXEN_EVENTS_H

#include <stddef.h>

#include "event.h"

/* For the policy in force (ux.policy); close before it changes. */
void	 events_open(size_t);
void	 events_close(void);
/* Traps log every event (`always`); polls only a change of power. */
void	 events_ups(size_t, enum ups_event, const char *, int);

#endif

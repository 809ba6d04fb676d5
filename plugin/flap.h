/*
 * A card that flaps, or a storm of traps from a UPS's address, must not
 * flood snmptrapd's log. Per UPS, the first FLAP_BURST event lines of a
 * FLAP_WINDOW are logged; the rest are counted and reported in one line
 * when the window ends. The engine still sees every event: this only
 * decides what is written.
 */
#ifndef UPSXEN_FLAP_H
#define UPSXEN_FLAP_H

#include <stddef.h>

#define FLAP_WINDOW	10.0	/* seconds */
#define FLAP_BURST	10	/* event lines per UPS per window */

struct flap;

typedef void	 flap_report_fn(size_t, unsigned int, void *);

struct flap	*flap_new(size_t);
void		 flap_free(struct flap *);
int		 flap_allow(struct flap *, size_t, double);
double		 flap_flush(struct flap *, double, flap_report_fn *, void *);

#endif

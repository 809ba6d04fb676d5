/*
 * After a quiet spell, hand back what the workers' parsing left in the
 * malloc arenas: two hundred pools otherwise keep tens of MiB between
 * outages.
 */
#ifndef UPSXEN_TRIM_H
#define UPSXEN_TRIM_H

void	 trim_start(void);
void	 trim_stop(void);
/* Actions or results passed: not quiet. */
void	 trim_busy(void);

#endif

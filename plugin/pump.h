/*
 * Actions out of the engine: each due action to its pool's worker (or
 * to the cards, for a confirmation), with its log line, then the alarm
 * for the engine's next deadline. Called after every input.
 */
#ifndef UPSXEN_PUMP_H
#define UPSXEN_PUMP_H

void	 pump(void);
/*
 * Before the engine or the workers change: nothing may stay held for a
 * save. `deliver`: hand the held actions out first (a reload), or drop
 * them (a stop: they stay in flight in the saved state).
 */
void	 pump_flush(int);
void	 pump_stop(void);

#endif

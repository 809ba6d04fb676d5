/*
 * What the threads answer, into the engine: action results, pool facts
 * and log lines from the outbox (ux.ob), read when its pipe is readable.
 */
#ifndef UPSXEN_INTAKE_H
#define UPSXEN_INTAKE_H

int	 intake_open(void);
void	 intake_close(void);

#endif

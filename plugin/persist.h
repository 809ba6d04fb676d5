/*
 * When the engine's state goes to disk. Urgent changes (a host touched
 * for the first time, a power-off) are saved before their actions go
 * out; a UPS's power change soon after; everything else within a tenth
 * of a second. Saves may take a tenth of snmptrapd's thread at most:
 * beyond that, urgent actions wait for the next save (pump.c holds
 * them).
 */
#ifndef UPSXEN_PERSIST_H
#define UPSXEN_PERSIST_H

struct engine;
struct outbox;
struct policy;

int	 persist_start(struct outbox *);
/* A last save, then the writer thread stops. */
void	 persist_stop(void);
/* The saved state into a new engine, as after a restart. */
void	 persist_restore(struct engine *, const struct policy *);
void	 persist_save_now(void);
/* Save now, soon or later, as the engine's changes ask. */
void	 persist_maybe_save(void);
/* Urgent changes unsaved while saves are over budget: actions wait. */
int	 persist_must_wait(double);
/* When the next save is within budget. */
double	 persist_free_at(void);

#endif

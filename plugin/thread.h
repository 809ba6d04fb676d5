/*
 * Threads of the plugin (pool workers, the state writer). Signals are
 * snmptrapd's: a thread of ours must never take one, so each starts
 * with every signal blocked, and THREAD_NICE below snmptrapd's own
 * thread, which reads the traps.
 */
#ifndef UPSXEN_THREAD_H
#define UPSXEN_THREAD_H

#include <pthread.h>

#define THREAD_NICE	10

/* 0, or the pthread_create error (-1 out of memory). */
int	thread_start(pthread_t *, void *(*)(void *), void *);

#endif

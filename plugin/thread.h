/*
 * Threads of the plugin (pool workers, the state writer). Signals are
 * snmptrapd's: a thread of ours must never take one, so each starts
 * with every signal blocked.
 */
#ifndef UPSXEN_THREAD_H
#define UPSXEN_THREAD_H

#include <pthread.h>

/* 0, or the pthread_create error. */
int	thread_start(pthread_t *, void *(*)(void *), void *);

#endif

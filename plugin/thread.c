#include <sys/resource.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "thread.h"

struct start {
	void	*(*fn)(void *);
	void	*arg;
};

/*
 * On Linux a thread has its own nice value. Ours yield to snmptrapd's
 * thread: when a whole site fails, hundreds of workers wake at once, and
 * the thread that reads the traps must not wait behind them for a CPU
 * while its socket overflows.
 */
static void *
trampoline(void *p)
{
	struct start	 s = *(struct start *)p;

	free(p);
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), THREAD_NICE);
	return s.fn(s.arg);
}

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	struct start	*s;
	int		 rc;

	if ((s = malloc(sizeof(*s))) == NULL)
		return -1;
	s->fn = fn;
	s->arg = arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, trampoline, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		free(s);
	return rc;
}

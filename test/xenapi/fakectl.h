/*
 * Test helper: run fakexapi as a child process and drive its fake.*
 * control methods over real XML-RPC.
 */
#ifndef UPSXEN_FAKECTL_H
#define UPSXEN_FAKECTL_H

#include <sys/types.h>

#include <stdarg.h>

#include <jansson.h>

struct fakeproc {
	pid_t	 pid;
	char	 dir[64];
	char	 log[128];
};

/* Writes the pool description, starts fakexapi, waits until it listens. */
int	 fake_start(struct fakeproc *, const char *);
void	 fake_stop(struct fakeproc *);
/* A control call; "(sib)"-style format as xmlrpc_build_value. 0 on OK. */
int	 fake_ctl(int, const char *, const char *, ...);
/*
 * Any call to address:port, its answer as JSON ({"Status": ...} for
 * XenAPI; dates as "dateTime:TEXT"), NULL when nothing answered.
 */
json_t	*fake_call(const char *, int, const char *, const char *, ...);
json_t	*fake_callv(const char *, int, const char *, const char *,
	    va_list);
/* fake.state() of the member on that port, parsed. */
json_t	*fake_state(int);
/* The call log, one JSON object per call. */
json_t	*fake_calls(const struct fakeproc *);

#endif

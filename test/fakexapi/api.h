/*
 * Between api.c (the dispatcher) and methods.c (the XenAPI methods).
 */
#ifndef FAKEXAPI_API_H
#define FAKEXAPI_API_H

#include "fake.h"

#define ARGMAX	8

struct call {
	double		 arrived;	/* CLOCK_MONOTONIC */
	struct fake	*f;
	const struct fmember *m;
	xmlrpc_env	*env;
	const char	*method;	/* as called, Async. included */
	const char	*name;		/* without Async. */
	int		 async;
	char		*a[ARGMAX];	/* string arguments, "" if not */
	xmlrpc_value	*params;
	int		 nparams;
	json_t		*err;		/* the method's failure */
	struct ftask	*task;		/* the task it started */
};

/*
 * A method returns its value (a new reference), or NULL with c->err set
 * to its failure, or NULL with c->task set to the task doing the work.
 */
typedef json_t	*handler_fn(struct call *);

struct method {
	const char	*name;		/* without Async. */
	int		 min, max;	/* arguments, session too */
	int		 async;		/* has an Async. form */
	handler_fn	*fn;
};

extern const struct method fake_methods[];

json_t	*arg_json(struct call *, int);
int	 arg_int(struct call *, int, long long *);

#endif

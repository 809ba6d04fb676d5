/*
 * The XenAPI recipes: one function per kind of action, each a small
 * state machine of calls that a job is stepped through. A job waiting on
 * XenAPI tasks says when it wants polling again, so that one slow
 * evacuation never holds back another host's shutdown in the same pool.
 * No thread and no net-snmp here: worker.c runs the jobs on the pool's
 * thread, and test/plugin runs them against fakexapi.
 */
#ifndef UPSXEN_RECIPE_H
#define UPSXEN_RECIPE_H

#include <stddef.h>

#include "engine.h"
#include "xenapi.h"

struct hostref {
	char	 name[128];
	char	 ref[XENAPI_REF_LEN];
};

typedef void	 recipe_facts_fn(void *, const struct xenapi_pool *);

/* What the recipes of one pool share. */
struct recipe_ctx {
	struct xenapi	*x;
	int		 restore_vms;	/* on_restore: the main thread may
					   change it (atomic) */
	recipe_facts_fn	*facts;		/* a look at the pool, to report */
	void		*arg;
	struct hostref	*refs;		/* host refs by name_label */
	size_t		 nrefs;
};

/* One action being carried out. */
struct job {
	struct job		*next;		/* the worker's lists */
	unsigned long		 id;
	enum action_op		 op;
	char			 host[128];
	char			 target[128];
	int			 hard;
	enum stop_scope		 scope;
	int			 as_master;
	int			 phase;
	double			 started;	/* ms */
	double			 next_poll;	/* ms */
	char			(*tasks)[XENAPI_REF_LEN];
	size_t			 ntasks;
	size_t			 nfailed;
	int			 done;
	int			 abandoned;
	enum action_outcome	 outcome;
	int			 count;
	char			 error[512];
};

double		 recipe_now_ms(void);
struct job	*job_new(const struct action *, const char *);
void		 job_free(struct job *);
void		 job_finish(struct job *, enum action_outcome, const char *,
		    int);
/* Run the job's next calls; j->done when it has its outcome. */
void		 recipe_step(struct recipe_ctx *, struct job *);
/* Cancel what the job started in the pool (it is superseded). */
void		 recipe_cancel(struct recipe_ctx *, struct job *);
void		 recipe_ctx_clear(struct recipe_ctx *);

#endif

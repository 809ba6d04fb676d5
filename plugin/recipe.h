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
typedef void	 recipe_log_fn(void *, int, const char *);

/* What the recipes of one pool share. */
struct recipe_ctx {
	struct xenapi	*x;
	int		 restore_vms;	/* on_restore: the main thread may
					   change it (atomic) */
	recipe_facts_fn	*facts;		/* a look at the pool, to report */
	recipe_log_fn	*log;		/* a line for snmptrapd's log */
	void		*arg;
	struct hostref	*refs;		/* host refs by name_label */
	size_t		 nrefs;
};

/* A XenAPI task the job waits for, and what it is about. */
struct jtask {
	char		 ref[XENAPI_REF_LEN];	/* "" once finished */
	char		 vm[XENAPI_REF_LEN];	/* VM ops: which VM */
	int		 hard;			/* a hard shutdown */
};

/* One action being carried out. */
struct job {
	struct job		*next;		/* the worker's lists */
	unsigned long		 id;
	enum action_op		 op;
	char			 host[128];
	char			 target[128];
	char			*targets;	/* EVACUATE: where VMs may go,
						   "a,b"; NULL: host.evacuate */
	char			*not_live;	/* SHUTDOWN: members known off */
	int			 hard;
	enum stop_scope		 scope;
	int			 as_master;
	int			 overdue;	/* WATCH: past boot_timeout */
	int			 nstarted;	/* START_VMS: VMs started */
	int			 nostart;	/* ... no host could take */
	int			 phase;
	int			 again;		/* times started over */
	double			 started;	/* ms */
	double			 next_poll;	/* ms */
	double			 deadline;	/* ms: no answer by then is
						   answered TRANSIENT */
	struct jtask		*tasks;
	size_t			 ntasks;
	size_t			 cap;
	size_t			 nfailed;
	char			 code[128];	/* the last task error */
	int			 vanished;	/* tasks xapi forgot */
	int			 done;
	int			 abandoned;
	enum action_outcome	 outcome;
	int			 count;
	char			 error[512];
};

double		 recipe_now_ms(void);
/* bound_ms: how long it may take in all before it is answered TRANSIENT. */
struct job	*job_new(const struct action *, const char *, double);
void		 job_free(struct job *);
void		 job_finish(struct job *, enum action_outcome, const char *,
		    int);
/* Run the job's next calls; j->done when it has its outcome. */
void		 recipe_step(struct recipe_ctx *, struct job *);
/* Cancel what the job started in the pool (superseded, or too long). */
void		 recipe_cancel(struct recipe_ctx *, struct job *);
void		 recipe_ctx_clear(struct recipe_ctx *);

#endif

/*
 * What the plugin's main-thread modules share: the policy in force, its
 * engine, one worker per pool, and the pipe the threads answer through.
 * core.c defines it and alone replaces what it holds (start, reload,
 * stop); the others read it. Main thread only.
 */
#ifndef UPSXEN_UPSXEN_H
#define UPSXEN_UPSXEN_H

#include "outbox.h"

struct policy;
struct engine;
struct worker;

struct upsxen {
	struct policy	*policy;
	struct engine	*engine;	/* NULL until started */
	struct worker	**workers;	/* per pool of the policy; NULL:
					   no connection to that pool */
	struct outbox	 ob;
};

extern struct upsxen	 ux;

#endif

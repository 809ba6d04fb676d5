/*
 * The queue of decided actions, their ids, and the count of actions in
 * flight. Every action handed out is counted until it is settled:
 * answered, superseded, or dropped. action_emit, action_adopt and
 * action_settle are the only places the count changes.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static int
queue_grow(struct engine *e)
{
	struct action	*q;
	size_t		 cap;

	if (e->qhead > 0 && e->qhead == e->qlen)
		e->qhead = e->qlen = 0;
	if (e->qlen < e->qcap)
		return 0;
	cap = e->qcap ? e->qcap * 2 : 64;
	if ((q = realloc(e->queue, cap * sizeof(*q))) == NULL)
		return -1;
	e->queue = q;
	e->qcap = cap;
	return 0;
}

/*
 * Queue a new action and count it in flight. Ids carry their slot (the
 * host, or the pool | ENGINE_POOL_SLOT) in the low 24 bits, so that an
 * answer finds its owner without a search. Returns the queued action for
 * the caller to complete, or NULL when out of memory (nothing counted).
 */
struct action *
action_emit(struct engine *e, enum action_op op, size_t pool, long host,
    unsigned long slot)
{
	struct action	*a;

	if (queue_grow(e) == -1)
		return NULL;
	a = &e->queue[e->qlen++];
	memset(a, 0, sizeof(*a));
	e->gen++;
	e->seq++;
	e->ninflight++;
	a->id = (e->seq << 24) | (slot & ENGINE_SLOT_MASK);
	a->op = op;
	a->pool = pool;
	a->host = host;
	return a;
}

/* An id of an engine before a reload, moved to a slot of this one. */
unsigned long
action_adopt(struct engine *e, unsigned long id, unsigned long slot)
{
	unsigned long	*r, nid;

	if (id == 0)
		return 0;
	nid = (id & ~ENGINE_SLOT_MASK) | slot;
	if ((r = realloc(e->remap, (e->nremap + 1) * 2 * sizeof(*r))) == NULL)
		return 0;
	e->remap = r;
	r[2 * e->nremap] = id;
	r[2 * e->nremap + 1] = nid;
	e->nremap++;
	e->ninflight++;
	return nid;
}

/* An action is no longer waited for: answered, superseded or dropped. */
void
action_settle(struct engine *e)
{
	if (e->ninflight > 0)
		e->ninflight--;
}

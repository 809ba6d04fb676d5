/*
 * The state file, state_dir/state.json. Replaced atomically: written to a
 * temporary file, fsync'd, renamed over the old one, and the directory
 * fsync'd, so that after a crash there is always one whole state, the
 * last one written or the one before. A snapshot rather than an append
 * log: the state is small, every XenAPI action is safe to repeat, and a
 * reader (upsxenctl status) needs no replay.
 *
 * Whoever can write state_dir can make upsxen act, so it is refused
 * unless it is a real directory (not a symlink) owned by snmptrapd's
 * user and closed to group and others; the temporary file has a name
 * nobody could have planted and is created O_EXCL|O_NOFOLLOW through
 * the directory's descriptor.
 */
#ifndef UPSXEN_STATE_H
#define UPSXEN_STATE_H

#include <stddef.h>

#include <jansson.h>

#include "engine.h"

#define STATE_FILE	ENGINE_STATE_FILE
#define STATE_MAX_BYTES	(64 * 1024 * 1024)	/* ~200,000 hosts at risk */

struct outbox;
struct state_writer;

/* 0 and *out NULL when there is no state yet; -1 with a reason. */
int	 state_read(const char *, json_t **, char *, size_t);

/*
 * A thread that writes snapshots, so that snmptrapd's loop never waits
 * on a disk. It always writes the newest one it was given; failures and
 * recoveries are reported through the outbox. Stopping writes what is
 * still pending.
 */
struct state_writer *state_writer_start(struct outbox *);
void	 state_writer_submit(struct state_writer *, const char *, json_t *);
void	 state_writer_stop(struct state_writer *);

#endif

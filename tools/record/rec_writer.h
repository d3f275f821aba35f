/*
 * peerscope-record's writer thread: takes the batches the network thread
 * hands over and writes them into every store, one transaction per store
 * per hand-over, then prunes what retention says is too old or too much.
 *
 * Pacing: the network thread hands a batch over at least every
 * REC_COMMIT_MS, so a commit follows every arrival within about that
 * (plus the time a commit takes): that bounds what a kill -9 can lose.
 * A store that is busy (locked, server unreachable) gets the same batches
 * again until it takes them or REC_BUSY_GIVE_UP_MS pass; any other
 * failure stops the writer, which then reports it.
 *
 * Thread-safety: every function is for the network thread (one thread),
 * except that the writer's own thread runs inside.
 */
#ifndef PSC_TOOLS_RECORD_REC_WRITER_H
#define PSC_TOOLS_RECORD_REC_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec_batch.h"
#include "store.h"

#define REC_COMMIT_MS 250u
#define REC_BUSY_GIVE_UP_MS 60000u
/* Bytes of batches waiting before the network thread stops reading (and the servers' queues take over). */
#define REC_MAX_QUEUED_BYTES (256u * 1024u * 1024u)

typedef struct rec_writer rec_writer;

typedef struct rec_writer_stats {
    uint64_t events;        /* rows written (into the first store) */
    uint64_t states;
    uint64_t sessions;
    uint64_t duplicates;    /* events already in the store (a reconnect), skipped */
    uint64_t commits;
    uint64_t max_commit_ms; /* the longest hand-over written, all stores */
    uint64_t pruned;        /* rows deleted by retention, all stores */
    uint64_t size_bytes;    /* the first store's size after its last prune (0: not known yet) */
    uint64_t busy_retries;
} rec_writer_stats;

/*
 * Start the thread. stores stay the caller's (closed after
 * rec_writer_finish); n_nodes is the number of URLs (items name them by
 * index). verbose: a line on stderr for retries and prunes.
 * false: the thread cannot start (err says why).
 */
bool rec_writer_start(rec_store *const *stores, size_t n_stores, size_t n_nodes, const rec_retention *ret,
                      bool verbose, rec_writer **out, char *err, size_t errlen);

/* Hand a batch over (the writer owns it from now on, also on failure). */
void rec_writer_push(rec_writer *w, rec_batch *b);

/*
 * Whether there is room for more (REC_MAX_QUEUED_BYTES); if not, wait up
 * to timeout_ms for some. A failed writer always has room (it drops).
 */
bool rec_writer_wait_room(rec_writer *w, int timeout_ms);

/* Whether the writer has failed; then *status is the exit status to use and msg says why. */
bool rec_writer_failed(rec_writer *w, int *status, char *msg, size_t len);

void rec_writer_get_stats(rec_writer *w, rec_writer_stats *out);

/*
 * Write everything handed over, prune once more, stop and free the
 * writer; *final gets the last statistics. Returns false if it failed
 * (then *status and msg as rec_writer_failed).
 */
bool rec_writer_finish(rec_writer *w, rec_writer_stats *final, int *status, char *msg, size_t len);

#endif

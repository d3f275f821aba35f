/*
 * The flight recorder (src/recorder/, peerscope/recorder.h). This is the
 * one header of the folder: its contract for the transports first (the
 * WebSocket endpoint streams GET /recording through a writer), then what
 * the recorder_*.c files share among themselves.
 *
 * Storage: two FIFOs of reference-counted, immutable items, states and
 * events, each in the order it was taken. The states FIFO always begins
 * with a full state, and every delta in it is based on the state right
 * before it (a segment: one full state and the deltas that follow it).
 * Pruning takes whole segments from the front of the states and single
 * events from the front of the events, so no delta outlives its base.
 *
 * Locks (never taken in the reverse order, and neither ever waited on by
 * psc_emit or by a snapshot):
 *   sample_lock  serialises samplers (the thread's tick and drain,
 *                psc_recorder_sample): the event reader, the base snapshot
 *                and the cadence; held across a snapshot, so it comes
 *                before the introspector's snap_lock: psc_recorder_sample
 *                from inside any snapshot (a provider) is refused.
 *   store_lock   guards the FIFOs and the counters; short critical
 *                sections only (append, prune, pin for a writer, stats),
 *                never held while snapshotting or rebuilding.
 */
#ifndef PSC_RECORDER_RECORDER_H
#define PSC_RECORDER_RECORDER_H

#include <pthread.h>
#include <stdatomic.h>

#include "events/events.h"
#include "util/alloc.h"
#include "peerscope/recorder.h"

/* ======================================== the contract for the transports */

/*
 * A writer: what the recorder held when it was opened, as the payloads of
 * a 2020 recording in order (Runtime, then states whole and events, merged
 * by time). It keeps the items it has yet to produce alive, and lets go of
 * each once produced, so a slow consumer pins at most what was held when
 * it began. Rebuilding a delta into a whole state costs about one
 * snapshot's CPU (decode, apply, encode); everything else is copying.
 * A writer is used by one thread at a time; it may outlive nothing: free
 * it before psc_recorder_free.
 */
typedef struct psc__rec_writer psc__rec_writer;

/* PSC_ERR_INVALID for NULL; PSC_ERR_NOMEM. Thread-safe. */
psc_err psc__rec_writer_new(psc_recorder *r, psc__rec_writer **out);

/*
 * The next record's payload (a serialized ServerMessage), valid until the
 * next call or psc__rec_writer_free; *is_state (may be NULL) tells a state
 * (whose making may have cost a rebuild). PSC_ERR_CLOSED after the last
 * one; PSC_ERR_NOMEM (final: the writer is done for). A delta that cannot
 * be rebuilt is skipped, with the rest of its segment, and remembered
 * (psc__rec_writer_corrupt).
 */
psc_err psc__rec_writer_next(psc__rec_writer *w, const uint8_t **payload, size_t *len, bool *is_state);

/* True once a state had to be skipped because its delta did not apply. */
bool psc__rec_writer_corrupt(const psc__rec_writer *w);

/* NULL is a no-op. */
void psc__rec_writer_free(psc__rec_writer *w);

/* The 8-byte record header of the file format for a payload: FNV-1a, length (LE). */
void psc__rec_record_header(uint8_t out[8], const uint8_t *payload, size_t len);
/* The 4-byte file header (the version). */
void psc__rec_file_header(uint8_t out[4]);

/* The introspector's wall clock, for names of downloads. Thread-safe. */
uint64_t psc__recorder_now_ms(const psc_recorder *r);

/* ================================================ internals of src/recorder */

/* Defaults and floors of psc_recorder_config. */
#define PSC__REC_DEFAULT_KEEP_MS 600000u
#define PSC__REC_DEFAULT_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define PSC__REC_MIN_MAX_BYTES ((size_t)64 * 1024)
#define PSC__REC_DEFAULT_INTERVAL_MS 1000u
#define PSC__REC_MIN_INTERVAL_MS 100u
#define PSC__REC_DEFAULT_FULL_EVERY 60u
/* The thread drains the event ring at most this often (so a busy host
 * costs at most this many wake-ups a second, one syscall in an emit each). */
#define PSC__REC_DRAIN_GAP_MS 10u

typedef enum psc__rec_kind {
    PSC__REC_FULL = 0,
    PSC__REC_DELTA = 1,
    PSC__REC_EVENT = 2,
} psc__rec_kind;

/* One stored item; immutable once in a FIFO, freed by its last reference. */
typedef struct psc__rec_item {
    uint32_t refs;                /* atomic: the FIFO's, plus one per writer still to produce it */
    uint8_t kind;                 /* psc__rec_kind */
    uint64_t t;                   /* states: instant_ts; events: ts (ms since the epoch) */
    uint64_t seq;                 /* the state's or the event's */
    const psc_event_type *type;   /* events */
    size_t len;                   /* bytes of data */
    /* states: the ServerMessage payload; events: the JSON content */
    _Alignas(16) uint8_t data[];
} psc__rec_item;

/* Bytes an item is counted for: itself and its data, as allocated. */
static inline size_t psc__rec_item_bytes(const psc__rec_item *it)
{
    return sizeof(psc__rec_item) + it->len;
}

/* A FIFO of item pointers in a ring buffer that grows by doubling. */
typedef struct psc__rec_fifo {
    psc__rec_item **v;
    size_t cap;
    size_t head;                  /* index of the oldest */
    size_t n;
} psc__rec_fifo;

static inline psc__rec_item *psc__rec_fifo_at(const psc__rec_fifo *f, size_t i)
{
    return f->v[(f->head + i) % f->cap];
}

struct psc_recorder {
    psc_introspector *intro;
    psc__alloc alloc;
    uint64_t keep_ms;
    size_t max_bytes;
    uint32_t interval_ms;         /* PSC_RECORDER_MANUAL: no thread */
    uint32_t full_every;

    pthread_mutex_t sample_lock;
    /* [sample_lock] */
    psc_event_reader *reader;
    bool pending;                 /* rec was read but not stored yet (out of memory): stored first next time */
    psc_event_record rec;
    psc_msg *base;                /* the last state stored, as taken (with its view): the next delta's base
                                     ([store_lock] too: pruning drops it with the last state) */
    uint64_t base_seq;            /* its sequence number */
    uint32_t since_full;          /* deltas stored since the last full state */
    uint64_t segment_t;           /* time of the last full state stored */

    pthread_mutex_t store_lock;
    /* [store_lock] */
    psc__rec_fifo states, events;
    size_t fixed_bytes;           /* the recorder itself and its reader */
    size_t items_bytes;           /* items in both FIFOs */
    size_t base_bytes;            /* what base keeps allocated */
    size_t n_full;                /* full states in the states FIFO */
    uint64_t samples, sample_errors, events_missed, pruned;

    /* the thread (interval mode) */
    psc__listener *listener;
    int wake_fd[2];               /* a pipe: emit's listener and free write a byte, the thread polls */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
};

/* recorder_store.c, all [store_lock] */
/* Bytes counted against max_bytes now. */
size_t psc__rec_bytes(const psc_recorder *r);
/* Append (taking over the caller's reference); PSC_ERR_NOMEM leaves it the caller's. */
psc_err psc__rec_fifo_push(psc_recorder *r, psc__rec_fifo *f, psc__rec_item *it);
/* Take the oldest item out (the FIFO's reference goes to the caller). */
psc__rec_item *psc__rec_fifo_pop(psc_recorder *r, psc__rec_fifo *f);
/* Drop what is older than keep_ms at now_ms (events singly, states by
 * segment). [sample_lock too: may drop base] */
void psc__rec_prune_age(psc_recorder *r, uint64_t now_ms);
/* Drop the oldest (an event, or a segment of states) while over max_bytes. [sample_lock too] */
void psc__rec_prune_bytes(psc_recorder *r);
/* Free everything stored. */
void psc__rec_store_fini(psc_recorder *r);

/* Items (recorder_store.c): len bytes of data, refs 1. Thread-safe. */
psc__rec_item *psc__rec_item_new(const psc__alloc *a, psc__rec_kind kind, size_t len);
void psc__rec_item_ref(psc__rec_item *it);
void psc__rec_item_unref(const psc__alloc *a, psc__rec_item *it);

/* recorder_sample.c, [sample_lock] */
/* Store every event the reader has (PSC_ERR_NOMEM: the rest waits for the next call). */
psc_err psc__rec_drain(psc_recorder *r);
/* Drain, take a state, store it, prune. */
psc_err psc__rec_sample_locked(psc_recorder *r);

/* recorder_thread.c */
psc_err psc__rec_thread_start(psc_recorder *r);
void psc__rec_thread_stop(psc_recorder *r);

#endif

/*
 * The core's interface to the rest of the library: what other modules may
 * reach inside an introspector. The object itself and the contracts between
 * the core's own files are in core/introspector.h, private to src/core.
 */
#ifndef PSC_CORE_CORE_H
#define PSC_CORE_CORE_H

#include "util/alloc.h"
#include "peerscope/introspector.h"
#include "peerscope/model.h"

typedef struct psc__events psc__events;

/* The introspector's allocator; valid for its lifetime. Thread-safe. */
const psc__alloc *psc__intro_alloc(const psc_introspector *intro);
/* The same memory budget with its reserve: only for the notices that say what was lost. */
const psc__alloc *psc__intro_reserve_alloc(const psc_introspector *intro);
/* Its event store; valid for its lifetime. Thread-safe. */
psc__events *psc__intro_events(const psc_introspector *intro);
/* The host's peer id as last set (psc_introspector_set_peer_id) into out,
 * cut to cap; fallback when none is set. Thread-safe. */
void psc__intro_peer_id_copy(psc_introspector *intro, char *out, size_t cap, const char *fallback);
/* Clocks as configured. Thread-safe. */
uint64_t psc__intro_wall_ms(const psc_introspector *intro);
uint64_t psc__intro_mono_ns(const psc_introspector *intro);
/*
 * Memory a message keeps allocated while a reference is held: its block
 * and, for a snapshot, the state view's records (what a consumer that
 * keeps one counts against its own budget). Thread-safe.
 */
size_t psc__msg_held_bytes(const psc_msg *m);
/*
 * Whether the calling thread is inside one of intro's snapshots (a
 * provider's collect): a module whose own lock is taken before the
 * snapshot's refuses such a call instead of waiting. Thread-safe.
 */
bool psc__intro_in_snapshot(psc_introspector *intro);
/* Log through the configured callback, if any and level allows. Thread-safe. */
void psc__log(const psc_introspector *intro, psc_log_level level, const char *fmt, ...) PSC_PRINTF(3, 4);

/*
 * Hooks by which an endpoint (endpoint/endpoint.h) attaches
 * to an introspector so that psc_introspector_free closes it first.
 * close_fn(obj) must be idempotent. Thread-safe.
 */
/*
 * The recording intro's endpoints play (peerscope/replay.h), or NULL for a
 * live introspector. Set before any endpoint exists and constant after,
 * so endpoints read it without a lock. Thread-safe.
 */
struct psc__replay_source;
const struct psc__replay_source *psc__intro_replay(const psc_introspector *intro);
/* Free the replay intro serves (psc_introspector_free, after its endpoints). */
void psc__intro_replay_free(psc_introspector *intro);

psc_err psc__intro_attach(psc_introspector *intro, void *obj, void (*close_fn)(void *obj));
void psc__intro_detach(psc_introspector *intro, void *obj);

/*
 * The analysis hook (src/analyze): at most one per introspector.
 *
 * on_state runs on the snapshotting thread inside psc_introspector_snapshot
 * (under the snapshot lock, so never concurrently with itself), after the
 * state is complete and before it is encoded. view is a STATE message with
 * an empty payload but a complete state view: the psc_state_* readers and
 * psc__view_walk work on it, its bytes do not; it dies after the call.
 * It returns in *pb and *len encoded State fields (alerts, milestones) that the
 * encoder appends to the state; the bytes stay the hook's and must stay
 * valid until the next on_state or until the hook is removed. An error is
 * logged and the state goes out without them.
 *
 * runtime_fields runs inside psc_introspector_runtime on any thread; it
 * returns encoded Runtime fields in a block from the introspector's
 * allocator, which the caller frees.
 *
 * Neither may call psc_introspector_snapshot or psc__intro_set_analysis.
 */
typedef struct psc__analysis {
    psc_err (*on_state)(void *user, const psc_msg *view, const uint8_t **pb, size_t *len);
    psc_err (*runtime_fields)(void *user, uint8_t **pb, size_t *len);
    void *user;
} psc__analysis;

/*
 * Install (a non-NULL a, copied) or remove (NULL) the hook. Waits for a
 * snapshot or runtime in progress, so after removal neither callback runs.
 * Errors: PSC_ERR_EXISTS when another hook is installed; PSC_ERR_STATE
 * from inside a snapshot. Thread-safe.
 */
psc_err psc__intro_set_analysis(psc_introspector *intro, const psc__analysis *a);

/*
 * What the analyzer reads of a state view beyond the public psc_state_*
 * readers. Each callback may be NULL; strings live as long as view.
 * Thread-safe (views are immutable).
 */
typedef struct psc__view_walk {
    void *user;
    void (*topic)(void *user, const char *topic, bool subscribed, size_t mesh_peers);
    void (*mesh_peer)(void *user, const char *topic, const char *peer_id, double score);
    /* the first DHT's buckets that exist, by common prefix length */
    void (*bucket)(void *user, uint32_t cpl, size_t peers);
    void (*scope)(void *user, psc_scope_kind kind, const char *name, const psc_resources *usage,
                  const psc_resources *limit);
    void (*listen_addr)(void *user, const char *addr);
    /* connections and their streams, in report order (peer_id and protocol may be NULL) */
    void (*conn)(void *user, const char *peer_id, psc_status status, uint64_t open_ts, uint64_t close_ts);
    void (*stream)(void *user, const char *protocol, psc_status status, uint64_t open_ts, uint64_t bytes_in,
                   uint64_t bytes_out);
} psc__view_walk;

/* The introspector's start time (Runtime.start_ts). Thread-safe. */
uint64_t psc__intro_start_ts(const psc_introspector *intro);

/* On a sealed state, or on_state's view (both after the size pass, which completes the stream indexes). */
void psc__view_walk_state(const psc_msg *view, const psc__view_walk *w);
/* The dialer's counters; false when the state has none. */
bool psc__view_dialer(const psc_msg *view, psc_dialer *out);
/* The first DHT's query counters; false when the state has no DHT. */
bool psc__view_dht_queries(const psc_msg *view, psc_query_counts *incoming, psc_query_counts *outgoing);

#endif

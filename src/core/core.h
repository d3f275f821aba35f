/*
 * The core's interface to the rest of the library: what other modules may
 * reach inside an introspector. The object itself and the contracts between
 * the core's own files are in core/introspector.h, private to src/core.
 */
#ifndef PSC_CORE_CORE_H
#define PSC_CORE_CORE_H

#include "util/alloc.h"
#include "peerscope/introspector.h"

typedef struct psc__events psc__events;

/* The introspector's allocator; valid for its lifetime. Thread-safe. */
const psc__alloc *psc__intro_alloc(const psc_introspector *intro);
/* The same memory budget with its reserve: only for the notices that say what was lost. */
const psc__alloc *psc__intro_reserve_alloc(const psc_introspector *intro);
/* Its event store; valid for its lifetime. Thread-safe. */
psc__events *psc__intro_events(const psc_introspector *intro);
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

#endif

/*
 * Per-snapshot bump allocator. Chunks come from the introspector's
 * allocator and grow geometrically, so a snapshot of n entities costs
 * O(log n) allocations (O(1) when the first chunk is sized from the
 * previous snapshot). Everything is freed at once with the arena.
 *
 * A mark/rewind pair discards everything allocated after the mark: this is
 * how a failed provider's contributions are rolled back. Chunks after the
 * mark are kept and reused by later allocations.
 *
 * An arena outlives the snapshot (it becomes the message's view), so chunks
 * cannot simply be kept by the introspector. Instead a freed arena hands its
 * largest chunk to a pool that the next snapshot draws from: steady-state
 * snapshots then write to memory that is already mapped (fresh pages cost
 * more than the encoding itself at 10k connections).
 */
#ifndef PSC_UTIL_ARENA_H
#define PSC_UTIL_ARENA_H

#include <stddef.h>

#include "util/alloc.h"

typedef struct psc__chunk psc__chunk;

/*
 * One spare chunk, shared by an introspector and every arena it made;
 * reference-counted because messages (and their arenas) may outlive the
 * introspector. Lock-free: any thread may free a message.
 */
typedef struct psc__chunk_pool psc__chunk_pool;

psc_err psc__pool_new(const psc__alloc *a, psc__chunk_pool **out);
/* Drop a reference; the last one frees the pool and its spare chunk. NULL is a no-op. */
void psc__pool_unref(psc__chunk_pool *pool);

typedef struct psc__arena {
    psc__alloc alloc;
    psc__chunk_pool *pool; /* referenced; may be NULL */
    psc__chunk *head; /* first chunk; never NULL once initialised */
    psc__chunk *cur;  /* chunk being filled; later chunks are spare */
    size_t next_cap;  /* capacity of the next chunk to allocate */
} psc__arena;

typedef struct psc__arena_mark {
    psc__chunk *chunk;
    size_t used;
} psc__arena_mark;

/* Set up with one chunk of at least first_cap bytes, from pool when it has one. */
psc_err psc__arena_init(psc__arena *ar, const psc__alloc *a, psc__chunk_pool *pool, size_t first_cap);
/* Free every chunk (the largest goes back to the pool). ar itself may live inside one of them. */
void psc__arena_free(psc__arena *ar);

/* Allocation aligned for any record type; NULL when memory runs out. */
void *psc__arena_alloc(psc__arena *ar, size_t n);
/* Zeroed variant. */
void *psc__arena_zalloc(psc__arena *ar, size_t n);
/* Unaligned bytes (strings). */
void *psc__arena_bytes(psc__arena *ar, size_t n);

psc__arena_mark psc__arena_mark_get(const psc__arena *ar);
void psc__arena_rewind(psc__arena *ar, psc__arena_mark m);

/* Bytes handed out so far (up to the current position). */
size_t psc__arena_used(const psc__arena *ar);
/* Bytes the arena holds from its allocator: every chunk, headers included. */
size_t psc__arena_held(const psc__arena *ar);
/* Release spare chunks after the current one. */
void psc__arena_trim(psc__arena *ar);

#endif

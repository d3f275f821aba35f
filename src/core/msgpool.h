/*
 * Reuse of big message buffers (a State of 10k connections is ~10 MB).
 *
 * A fresh buffer of that size costs a page fault per 4 KiB the first time
 * it is written, which is more than encoding into it, and glibc hands such
 * blocks back to the kernel on free. The pool keeps the last few freed big
 * blocks and gives them to later messages of about the same size.
 *
 * It is a psc__alloc: psc__msg_new keeps a copy of it in the message and
 * frees through it, so a message goes back to the pool on its last unref,
 * from whatever thread. Messages may outlive the introspector that owns the
 * pool, so every block handed out holds a reference to the pool: the pool
 * (and its spare blocks) goes when the owner released it and the last
 * block came back. Thread-safe.
 */
#ifndef PSC_CORE_MSGPOOL_H
#define PSC_CORE_MSGPOOL_H

#include "util/alloc.h"

typedef struct psc__msgpool psc__msgpool;

/* Blocks below this size are not kept (small messages are cheap). */
#define PSC__MSGPOOL_MIN_BLOCK (256u * 1024u)
/* Spare blocks kept at most (a state in flight plus the one being built). */
#define PSC__MSGPOOL_SPARES 2u

/* A pool drawing from backing (copied). */
psc_err psc__msgpool_new(const psc__alloc *backing, psc__msgpool **out);
/* Drop the owner's reference. NULL is a no-op. */
void psc__msgpool_release(psc__msgpool *pool);
/* The allocator to give psc__msg_new. */
void psc__msgpool_alloc(psc__msgpool *pool, psc__alloc *out);

/* Counters for tests and the benchmark. */
typedef struct psc__msgpool_stats {
    uint64_t hits;      /* big blocks served from the spares */
    uint64_t misses;    /* big blocks allocated from backing */
    size_t spare_bytes; /* held now */
} psc__msgpool_stats;
void psc__msgpool_get_stats(psc__msgpool *pool, psc__msgpool_stats *out);

#endif

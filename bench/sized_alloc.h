/*
 * An allocator that counts the bytes it has live, so a scenario can report
 * the library's own memory (what the introspector's allocator holds) apart
 * from the process's.
 */
#ifndef PSC_BENCH_SIZED_ALLOC_H
#define PSC_BENCH_SIZED_ALLOC_H

#include <stdatomic.h>

#include "peerscope/peerscope.h"

typedef struct sized_alloc {
    atomic_llong live;   /**< bytes allocated and not yet freed */
} sized_alloc;

/** An allocator over malloc that counts into *sa (which must outlive it). Thread-safe. */
psc_allocator sized_allocator(sized_alloc *sa);

#endif

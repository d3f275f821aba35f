/* Allocation through the introspector's allocator (or malloc/free). */
#ifndef PSC_UTIL_ALLOC_H
#define PSC_UTIL_ALLOC_H

#include <string.h>

#include "peerscope/common.h"

/* A copied psc_allocator with the defaults filled in; never has NULL hooks. */
typedef struct psc__alloc {
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} psc__alloc;

/* Copy a (possibly NULL) public allocator, filling in malloc/free. */
void psc__alloc_init(psc__alloc *a, const psc_allocator *from);

/* The malloc-backed default. */
extern const psc__alloc psc__default_alloc;

static inline void *psc__malloc(const psc__alloc *a, size_t n)
{
    return a->alloc(a->user, n ? n : 1);
}

static inline void psc__free(const psc__alloc *a, void *p)
{
    if (p)
        a->free(a->user, p);
}

/* Zeroed allocation of n * size bytes; NULL on overflow or failure. */
void *psc__calloc(const psc__alloc *a, size_t n, size_t size);

/* Copy of s (NULL gives NULL with *ok untouched); sets *ok = false on failure. */
char *psc__strdup(const psc__alloc *a, const char *s, bool *ok);

/*
 * protobuf-c's allocator hooks over a (which must outlive every use of
 * *out), for decoding with the introspector's allocator.
 */
struct ProtobufCAllocator;
void psc__alloc_protobuf(const psc__alloc *a, struct ProtobufCAllocator *out);

#endif

#include "sized_alloc.h"

#include <stdint.h>
#include <stdlib.h>

/* A 16-byte header keeps the size (and the alignment malloc gave). */
static void *sized_malloc(void *user, size_t n)
{
    uint64_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    atomic_fetch_add(&((sized_alloc *)user)->live, (long long)n);
    return p + 2;
}

static void sized_free(void *user, void *ptr)
{
    if (!ptr)
        return;
    uint64_t *p = (uint64_t *)ptr - 2;
    atomic_fetch_sub(&((sized_alloc *)user)->live, (long long)p[0]);
    free(p);
}

psc_allocator sized_allocator(sized_alloc *sa)
{
    return (psc_allocator){sized_malloc, sized_free, sa};
}

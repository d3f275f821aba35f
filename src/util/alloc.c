#include "util/alloc.h"

#include <protobuf-c/protobuf-c.h>

#include <stdlib.h>

static void *sys_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void sys_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

const psc__alloc psc__default_alloc = {sys_alloc, sys_free, NULL};

void psc__alloc_init(psc__alloc *a, const psc_allocator *from)
{
    if (from && from->alloc && from->free) {
        a->alloc = from->alloc;
        a->free = from->free;
        a->user = from->user;
    } else {
        *a = psc__default_alloc;
    }
}

void *psc__calloc(const psc__alloc *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = psc__malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *psc__strdup(const psc__alloc *a, const char *s, bool *ok)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = psc__malloc(a, n);
    if (!d) {
        *ok = false;
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

static void *pb_alloc(void *data, size_t size)
{
    return psc__malloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    psc__free(data, ptr);
}

void psc__alloc_protobuf(const psc__alloc *a, ProtobufCAllocator *out)
{
    out->alloc = pb_alloc;
    out->free = pb_free;
    out->allocator_data = (void *)a;
}

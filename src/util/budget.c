#include "util/budget.h"

#include <stdalign.h>

#define HDR 16u
_Static_assert(HDR >= sizeof(size_t) && HDR % alignof(max_align_t) == 0, "header keeps alignment");

struct psc__budget {
    psc__alloc inner;
    size_t limit;
    size_t soft;       /* what ordinary allocations may reach: limit minus the reserve */
    size_t held, peak; /* atomic */
    uint64_t refused;  /* atomic */
    size_t refs;       /* atomic: the owner + live blocks */
};

static void unref(psc__budget *b)
{
    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        psc__alloc inner = b->inner;
        inner.free(inner.user, b);
    }
}

static void *take(psc__budget *b, size_t size, size_t limit)
{
    if (size > SIZE_MAX - HDR)
        return NULL;
    size_t held = __atomic_add_fetch(&b->held, size, __ATOMIC_RELAXED);
    if (limit && held > limit) {
        __atomic_sub_fetch(&b->held, size, __ATOMIC_RELAXED);
        __atomic_add_fetch(&b->refused, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    unsigned char *p = b->inner.alloc(b->inner.user, size + HDR);
    if (!p) {
        __atomic_sub_fetch(&b->held, size, __ATOMIC_RELAXED);
        return NULL;
    }
    size_t peak = __atomic_load_n(&b->peak, __ATOMIC_RELAXED);
    while (held > peak && !__atomic_compare_exchange_n(&b->peak, &peak, held, true, __ATOMIC_RELAXED,
                                                        __ATOMIC_RELAXED))
        ;
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
    memcpy(p, &size, sizeof size);
    return p + HDR;
}

static void *budget_alloc(void *user, size_t size)
{
    psc__budget *b = user;
    return take(b, size, b->soft);
}

static void *budget_alloc_reserve(void *user, size_t size)
{
    psc__budget *b = user;
    return take(b, size, b->limit);
}

static void budget_free(void *user, void *ptr)
{
    psc__budget *b = user;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof size);
    __atomic_sub_fetch(&b->held, size, __ATOMIC_RELAXED);
    b->inner.free(b->inner.user, p);
    unref(b);
}

psc_err psc__budget_new(const psc__alloc *inner, size_t limit, psc__budget **out, psc__alloc *out_alloc,
                        psc__alloc *out_reserve)
{
    psc__budget *b = inner->alloc(inner->user, sizeof *b);
    if (!b)
        return PSC_ERR_NOMEM;
    memset(b, 0, sizeof *b);
    b->inner = *inner;
    b->limit = limit;
    size_t reserve = limit / 16 < PSC__BUDGET_RESERVE_MAX ? limit / 16 : PSC__BUDGET_RESERVE_MAX;
    b->soft = limit - reserve;
    b->refs = 1;
    *out = b;
    *out_alloc = (psc__alloc){budget_alloc, budget_free, b};
    *out_reserve = (psc__alloc){budget_alloc_reserve, budget_free, b};
    return PSC_OK;
}

void psc__budget_release(psc__budget *b)
{
    if (b)
        unref(b);
}

void psc__budget_get(const psc__budget *b, psc__budget_stats *out)
{
    out->held = __atomic_load_n(&b->held, __ATOMIC_RELAXED);
    out->peak = __atomic_load_n(&b->peak, __ATOMIC_RELAXED);
    out->limit = b->limit;
    out->refused = __atomic_load_n(&b->refused, __ATOMIC_RELAXED);
}

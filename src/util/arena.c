#include "util/arena.h"

#include <stdint.h>

#define ARENA_ALIGN 8u
#define ARENA_MIN_CHUNK 4096u
/* Growth stops doubling here so a huge snapshot does not overshoot by GBs. */
#define ARENA_MAX_GROWTH (64u * 1024u * 1024u)

struct psc__chunk {
    psc__chunk *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

static psc__chunk *chunk_new(const psc__alloc *a, size_t cap)
{
    if (cap > SIZE_MAX - sizeof(psc__chunk))
        return NULL;
    psc__chunk *c = psc__malloc(a, sizeof(psc__chunk) + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

struct psc__chunk_pool {
    uint32_t refs;
    psc__alloc alloc;
    psc__chunk *spare; /* atomic */
};

psc_err psc__pool_new(const psc__alloc *a, psc__chunk_pool **out)
{
    psc__chunk_pool *p = psc__malloc(a, sizeof *p);
    if (!p)
        return PSC_ERR_NOMEM;
    p->refs = 1;
    p->alloc = *a;
    p->spare = NULL;
    *out = p;
    return PSC_OK;
}

static void pool_ref(psc__chunk_pool *p)
{
    __atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
}

void psc__pool_unref(psc__chunk_pool *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    psc__alloc a = p->alloc;
    psc__free(&a, p->spare);
    psc__free(&a, p);
}

/*
 * A spare chunk of at least cap bytes, or NULL. A spare that does not fit
 * is dropped: too small is useless, and far too big (after the host shrank)
 * would be pinned by every message that kept it.
 */
static psc__chunk *pool_take(psc__chunk_pool *p, size_t cap)
{
    if (!p)
        return NULL;
    psc__chunk *c = __atomic_exchange_n(&p->spare, NULL, __ATOMIC_ACQ_REL);
    if (c && (c->cap < cap || c->cap / 2 > cap)) {
        psc__free(&p->alloc, c);
        c = NULL;
    }
    return c;
}

/* Offer c to the pool; the newest offer wins, a displaced one is freed. */
static void pool_give(psc__chunk_pool *p, const psc__alloc *a, psc__chunk *c)
{
    if (p)
        c = __atomic_exchange_n(&p->spare, c, __ATOMIC_ACQ_REL);
    psc__free(a, c);
}

psc_err psc__arena_init(psc__arena *ar, const psc__alloc *a, psc__chunk_pool *pool, size_t first_cap)
{
    if (first_cap < ARENA_MIN_CHUNK)
        first_cap = ARENA_MIN_CHUNK;
    psc__chunk *c = pool_take(pool, first_cap);
    if (c) {
        c->next = NULL;
        c->used = 0;
        first_cap = c->cap;
    } else if (!(c = chunk_new(a, first_cap))) {
        return PSC_ERR_NOMEM;
    }
    if (pool)
        pool_ref(pool);
    ar->alloc = *a;
    ar->pool = pool;
    ar->head = c;
    ar->cur = c;
    ar->next_cap = first_cap < ARENA_MAX_GROWTH / 2 ? first_cap * 2 : ARENA_MAX_GROWTH;
    return PSC_OK;
}

void psc__arena_free(psc__arena *ar)
{
    /* ar may sit inside a chunk: copy what we need first */
    psc__alloc a = ar->alloc;
    psc__chunk_pool *pool = ar->pool;
    psc__chunk *largest = NULL;
    for (psc__chunk *c = ar->head, *next; c; c = next) {
        next = c->next;
        if (!largest || c->cap > largest->cap) {
            psc__free(&a, largest);
            largest = c;
        } else {
            psc__free(&a, c);
        }
    }
    pool_give(pool, &a, largest);
    psc__pool_unref(pool);
}

static void *arena_take(psc__arena *ar, size_t n, size_t align)
{
    psc__chunk *c = ar->cur;
    size_t at = (c->used + (align - 1)) & ~(align - 1);
    if (at <= c->cap && n <= c->cap - at) {
        c->used = at + n;
        return c->data + at;
    }
    /* a spare chunk left by a rewind is reused when it is big enough */
    psc__chunk *spare = c->next;
    if (spare && n <= spare->cap) {
        spare->used = n;
        ar->cur = spare;
        return spare->data;
    }
    size_t cap = ar->next_cap;
    if (cap < n)
        cap = n;
    psc__chunk *fresh = chunk_new(&ar->alloc, cap);
    if (!fresh)
        return NULL;
    fresh->next = spare;
    c->next = fresh;
    fresh->used = n;
    ar->cur = fresh;
    if (ar->next_cap < ARENA_MAX_GROWTH)
        ar->next_cap *= 2;
    return fresh->data;
}

void *psc__arena_alloc(psc__arena *ar, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    return arena_take(ar, n ? n : ARENA_ALIGN, ARENA_ALIGN);
}

void *psc__arena_zalloc(psc__arena *ar, size_t n)
{
    void *p = psc__arena_alloc(ar, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *psc__arena_bytes(psc__arena *ar, size_t n)
{
    return arena_take(ar, n ? n : 1, 1);
}

psc__arena_mark psc__arena_mark_get(const psc__arena *ar)
{
    psc__arena_mark m = {ar->cur, ar->cur->used};
    return m;
}

void psc__arena_rewind(psc__arena *ar, psc__arena_mark m)
{
    ar->cur = m.chunk;
    m.chunk->used = m.used;
}

size_t psc__arena_held(const psc__arena *ar)
{
    size_t total = 0;
    for (psc__chunk *c = ar->head; c; c = c->next)
        total += sizeof(psc__chunk) + c->cap;
    return total;
}

size_t psc__arena_used(const psc__arena *ar)
{
    size_t total = 0;
    for (psc__chunk *c = ar->head; c; c = c->next) {
        total += c->used;
        if (c == ar->cur)
            break;
    }
    return total;
}

void psc__arena_trim(psc__arena *ar)
{
    psc__chunk *c = ar->cur->next;
    ar->cur->next = NULL;
    while (c) {
        psc__chunk *next = c->next;
        psc__free(&ar->alloc, c);
        c = next;
    }
}

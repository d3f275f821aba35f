#include "util/idmap.h"

#define IDMAP_MIN_CAP 64u

/* FNV-1a 64 with a final avalanche: ids are often small counters whose
 * low bits alone would cluster in a power-of-two table. */
static uint64_t id_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void psc__idmap_reset(psc__idmap *m)
{
    m->n = 0;
    if (++m->gen == 0) {
        /* wrapped: stale slots could look live, so clear them once */
        for (size_t i = 0; i < m->cap; i++)
            m->slots[i].gen = 0;
        m->gen = 1;
    }
}

void psc__idmap_free(const psc__alloc *a, psc__idmap *m)
{
    psc__free(a, m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

static psc__idslot *find_slot(const psc__idmap *m, uint64_t h, const uint8_t *key, size_t len)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        psc__idslot *s = &m->slots[i];
        if (s->gen != m->gen)
            return s;
        if (s->hash == h && s->len == len && (len == 0 || memcmp(s->key, key, len) == 0))
            return s;
    }
}

static psc_err grow(const psc__alloc *a, psc__idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : IDMAP_MIN_CAP;
    psc__idslot *slots = psc__calloc(a, cap, sizeof *slots);
    if (!slots)
        return PSC_ERR_NOMEM;
    psc__idmap next = {slots, cap, 0, m->gen ? m->gen : 1};
    for (size_t i = 0; i < m->cap; i++) {
        psc__idslot *s = &m->slots[i];
        if (s->gen != m->gen)
            continue;
        psc__idslot *d = find_slot(&next, s->hash, s->key, s->len);
        *d = *s;
        d->gen = next.gen;
        next.n++;
    }
    psc__free(a, m->slots);
    *m = next;
    return PSC_OK;
}

psc_err psc__idmap_put(const psc__alloc *a, psc__idmap *m, const uint8_t *key, size_t len, void *val)
{
    if (m->gen == 0)
        m->gen = 1; /* a zeroed map: slot gen 0 must read as empty */
    if ((m->n + 1) * 2 > m->cap) {
        psc_err e = grow(a, m);
        if (e != PSC_OK)
            return e;
    }
    uint64_t h = id_hash(key, len);
    psc__idslot *s = find_slot(m, h, key, len);
    if (s->gen == m->gen)
        return PSC_ERR_EXISTS;
    s->hash = h;
    s->key = key;
    s->len = len;
    s->val = val;
    s->gen = m->gen;
    m->n++;
    return PSC_OK;
}

void *psc__idmap_get(const psc__idmap *m, const uint8_t *key, size_t len)
{
    if (m->cap == 0 || m->n == 0)
        return NULL;
    psc__idslot *s = find_slot(m, id_hash(key, len), key, len);
    return s->gen == m->gen ? s->val : NULL;
}

/*
 * Entities kept by key. The id map cannot delete, so it is rebuilt from the
 * dense array at the start of every apply (O(n), and a collect is O(n)
 * anyway); a removal marks the entity gone, and the array is compacted when
 * the apply ends. A put that finds a gone entity of its key revives it.
 */
#include "table/table.h"

#include <string.h>

void psc__keyed_remove(psc_table *t, psc__kent *e)
{
    psc__table_op_free(t, e->rec);
    psc__table_op_free(t, e->mesh);
    psc__table_op_free(t, e->fanout);
    e->rec = e->mesh = e->fanout = NULL;
    e->gone = true;
}

void psc__keyed_fini(psc_table *t, psc__keyed *k)
{
    for (size_t i = 0; i < k->n; i++) {
        psc__keyed_remove(t, k->v[i]);
        psc__free(&t->alloc, k->v[i]);
    }
    psc__free(&t->alloc, k->v);
    psc__idmap_free(&t->alloc, &k->map);
    memset(k, 0, sizeof *k);
}

psc_err psc__keyed_begin(psc_table *t, psc__keyed *k)
{
    psc__idmap_reset(&k->map);
    for (size_t i = 0; i < k->n; i++) {
        psc_err e = psc__idmap_put(&t->alloc, &k->map, k->v[i]->key, k->v[i]->key_len, k->v[i]);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

psc__kent *psc__keyed_find(psc__keyed *k, const uint8_t *key, size_t len)
{
    psc__kent *e = psc__idmap_get(&k->map, key, len);
    return e && !e->gone ? e : NULL;
}

psc__kent *psc__keyed_get(psc_table *t, psc__keyed *k, const uint8_t *key, size_t len)
{
    psc__kent *e = psc__idmap_get(&k->map, key, len);
    if (e) {
        e->gone = false;
        return e;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        psc__kent **v = psc__calloc(&t->alloc, cap, sizeof *v);
        if (!v)
            return NULL;
        if (k->n)
            memcpy(v, k->v, k->n * sizeof *v);
        psc__free(&t->alloc, k->v);
        k->v = v;
        k->cap = cap;
    }
    e = psc__calloc(&t->alloc, 1, sizeof *e + (len ? len : 1));
    if (!e)
        return NULL;
    e->key_len = len;
    if (len)
        memcpy(e->key, key, len);
    if (psc__idmap_put(&t->alloc, &k->map, e->key, e->key_len, e) != PSC_OK) {
        psc__free(&t->alloc, e);
        return NULL;
    }
    k->v[k->n++] = e;
    return e;
}

void psc__keyed_end(psc_table *t, psc__keyed *k)
{
    size_t w = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (k->v[i]->gone)
            psc__free(&t->alloc, k->v[i]);
        else
            k->v[w++] = k->v[i];
    }
    k->n = w;
}

/*
 * Open-addressing hash map from id bytes to a record pointer. Used as
 * reusable scratch: reset is O(1) (a generation bump), so one table serves
 * every provider of every snapshot and only grows, never per entity.
 * The key bytes are not copied: they must outlive the entries (they live
 * in the snapshot arena).
 */
#ifndef PSC_UTIL_IDMAP_H
#define PSC_UTIL_IDMAP_H

#include <stdint.h>

#include "util/alloc.h"

typedef struct psc__idslot {
    uint64_t hash;
    const uint8_t *key;
    size_t len;
    void *val;
    uint32_t gen; /* live when equal to the map's gen */
} psc__idslot;

typedef struct psc__idmap {
    psc__idslot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
    uint32_t gen;
} psc__idmap;

/* Forget every entry (keeps the table). */
void psc__idmap_reset(psc__idmap *m);
void psc__idmap_free(const psc__alloc *a, psc__idmap *m);

/*
 * Insert key -> val. PSC_ERR_EXISTS (and nothing changes) when key is
 * already there; PSC_ERR_NOMEM when the table cannot grow.
 */
psc_err psc__idmap_put(const psc__alloc *a, psc__idmap *m, const uint8_t *key, size_t len, void *val);
/* The value for key, or NULL. */
void *psc__idmap_get(const psc__idmap *m, const uint8_t *key, size_t len);

#endif

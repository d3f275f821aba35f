/*
 * Delta states, private to src/core (delta.c finds the changes, delta_write.c
 * encodes them). The entry point is the public psc_introspector_state_delta.
 *
 * Entities are compared by their encoded bytes in the two messages (see the
 * pb_at pointers in records.h) and changed ones are copied from the newer
 * message as they are: nothing is encoded twice, and whatever a full state
 * would carry, a delta carries too.
 */
#ifndef PSC_CORE_DELTA_H
#define PSC_CORE_DELTA_H

#include "core/records.h"

/* An entity of a keyed list: its key and where its encoded body is. */
typedef struct psc__ditem {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *body;
    size_t size;
    const void *rec;
} psc__ditem;

typedef struct psc__dlist {
    const psc__ditem **v;
    size_t n;
} psc__dlist;

/* What changed in one DHT (the result's i-th: 0 is subsystems.dht). */
typedef struct psc__ddht {
    const psc__dht_rec *b;              /* the newer DHT */
    const psc__bucket_rec **buckets;    /* changed or new, from b */
    size_t n_buckets;
    uint32_t *removed_cpls;
    size_t n_removed;
    size_t body;                        /* encoded size of the DHT message */
} psc__ddht;

typedef struct psc__delta {
    const psc__snap *a, *b;
    uint64_t base_seq;
    psc__dlist conns, conns_gone;       /* changed or new (b's); removed (a's) */
    psc__ddht *dhts;                    /* b->dht (if any) first, then b's extra DHTs */
    size_t n_dhts;
    bool has_dht;                       /* dhts[0] is subsystems.dht */
    psc__dlist topics, topics_gone;
    psc__dlist peers, peers_gone;
    psc__dlist scopes, scopes_gone;
    /* sizes from the size pass */
    size_t pubsub_body, peerstore_body, rcmgr_body, subsystems_body, delta_body, state_body;
} psc__delta;

/* Fill d (its arrays in ar) with what changed from a to b. PSC_ERR_UNSUPPORTED
 * when a key repeats within a list; PSC_ERR_NOMEM. */
psc_err psc__delta_find(const psc__alloc *alloc, psc__arena *ar, const psc__snap *a, const psc__snap *b,
                        psc__delta *d);

/* Size of the State body of the delta message for d (caches body sizes in d), then its bytes. */
size_t psc__delta_pb_size(psc__delta *d);
uint8_t *psc__delta_pb_write(uint8_t *p, const psc__delta *d);

#endif

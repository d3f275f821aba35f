/*
 * peerscope-record: the rows SQL wants, derived from a full State (the
 * client rebuilds full states from deltas): one row per connection, one
 * per protocol (its streams' bytes, and the bytes since the previous
 * state), one per DHT bucket, and the totals of the state's own row.
 */
#ifndef PSC_TOOLS_RECORD_REC_DERIVE_H
#define PSC_TOOLS_RECORD_REC_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/pb.h"
#include "rec_batch.h"
#include "store.h"

/*
 * Stream counters of a node's previous state, keyed by connection and
 * stream id, so that a protocol's bytes per interval can be told. Reset
 * when the node restarts (counters start over) or a session starts
 * without a run to continue.
 */
typedef struct rec_seen_entry {
    uint64_t key;       /* 64-bit FNV-1a of connection id and stream id; 0: empty slot */
    uint64_t in, out;
} rec_seen_entry;

typedef struct rec_seen {
    rec_seen_entry *slots;
    size_t cap;          /* a power of two, or 0 */
    bool valid;          /* holds a previous state */
} rec_seen;

void rec_seen_reset(rec_seen *s);
void rec_seen_free(rec_seen *s);

/*
 * Fill out (ids, blob and delta fields are left to the caller) from the
 * full state st, copying every string into a. seen gives the previous
 * counters and is replaced by st's. Returns false when out of memory
 * (seen is then reset).
 */
bool rec_derive_state(rec_arena *a, const Peerscope__State *st, rec_seen *seen, rec_state_row *out);

/* One type's properties as a JSON array of {name, type, multiple}. NULL: out of memory. */
char *rec_event_props_json(rec_arena *a, const Peerscope__EventType *t);

#endif

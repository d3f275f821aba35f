/*
 * Applying a delta state to the full state it is based on (the rules are in
 * the schema, at StateDelta), over protobuf-c messages: psc_client's
 * apply_deltas option and the flight recorder (rebuilding full states for a
 * 2020 file) use it; tests call it directly.
 */
#ifndef PSC_WIRE_STATE_APPLY_H
#define PSC_WIRE_STATE_APPLY_H

#include "util/alloc.h"
#include "peerscope/pb.h"

/*
 * Make the full state that applying delta (a State with its delta field
 * set) to base (a full State, delta unset) gives, and return it encoded as
 * a ServerMessage{version 1, state} in a new buffer from a (*out, *out_len).
 * The inputs are only read. PSC_ERR_INVALID for a NULL argument or a
 * delta without its delta field; PSC_ERR_STATE when delta is not based on
 * base (base->seq != delta->delta->base_seq); PSC_ERR_PROTOCOL when the
 * delta breaks its own rules (a key twice); PSC_ERR_NOMEM.
 * Thread-safe (no shared state).
 */
psc_err psc__state_apply(const psc__alloc *a, const Peerscope__State *base, const Peerscope__State *delta,
                         uint8_t **out, size_t *out_len);

/*
 * The same in two steps, for a consumer that applies a chain of deltas
 * (the recorder): psc__state_merge makes the full state as a tree whose
 * lists are its own and whose entities are base's or delta's, so that it
 * can be the base of the next merge without being packed and decoded
 * again. It stays valid while base's entities and delta live (for a
 * chain: the first full state and every delta applied since); the base's
 * own lists and containers may go once it is made. Errors as
 * psc__state_apply. *out is freed with psc__state_merged_free (NULL is a
 * no-op). Thread-safe (no shared state).
 */
typedef struct psc__state_merged psc__state_merged;
psc_err psc__state_merge(const psc__alloc *a, const Peerscope__State *base, const Peerscope__State *delta,
                         psc__state_merged **out);
const Peerscope__State *psc__state_merged_state(const psc__state_merged *m);
void psc__state_merged_free(psc__state_merged *m);
/* ServerMessage{version 1, state: st} packed into a new buffer from a. */
psc_err psc__state_pack(const psc__alloc *a, const Peerscope__State *st, uint8_t **out, size_t *out_len);

#endif

/*
 * Canonical form of a decoded State, for comparing a state rebuilt from
 * deltas with the full one: the keyed lists whose order a delta does not
 * keep (connections, DHT buckets, topics, peerstore peers, scopes) are
 * sorted by key, then the state is packed. Shared by the core, endpoint
 * and integration tests. Include after cmocka's prerequisites.
 */
#ifndef PSC_TEST_STATE_CANON_H
#define PSC_TEST_STATE_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "peerscope/pb.h"

/* Sort st's keyed lists in place. */
void canon_sort(Peerscope__State *st);

/* Pack ServerMessage{state: st} after sorting it (malloc'd; asserts). */
uint8_t *canon_pack(Peerscope__State *st, size_t *len);

/* Assert that two decoded states are equal up to the order of keyed lists. */
void canon_assert_equal(Peerscope__State *want, Peerscope__State *got);

#endif

/* Messages made from protobuf-c structs, for tests that fake what the core sends. */
#ifndef PSC_TEST_FAKE_MSG_H
#define PSC_TEST_FAKE_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/alloc.h"
#include "peerscope/message.h"
#include "peerscope/peerscope.pb-c.h"

/*
 * Pack sm into a new sealed message of the given kind, allocated through a
 * (session tests hand such states and runtimes to a session). No cmocka:
 * the fuzz targets use it too.
 */
psc_err psc_test_pack(const psc__alloc *a, psc_msg_kind kind, const Peerscope__ServerMessage *sm, psc_msg **out);

/* A State with seq and instant_ts, and a StateDelta with base_seq unless it is 0. */
psc_err psc_test_fake_state(const psc__alloc *a, uint64_t seq, uint64_t base_seq, uint64_t instant_ts, psc_msg **out);

/* A Runtime naming implementation. */
psc_err psc_test_fake_runtime(const psc__alloc *a, const char *implementation, psc_msg **out);

/*
 * State.seq of a STATE message; *is_delta (may be NULL) tells whether it
 * carries State.delta. Returns 0 for anything that is not a decodable state.
 */
uint64_t psc_test_state_seq(const psc_msg *m, bool *is_delta);

#endif

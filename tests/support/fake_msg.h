/* Messages made from protobuf-c structs, for tests that fake what the core sends. */
#ifndef PSC_TEST_FAKE_MSG_H
#define PSC_TEST_FAKE_MSG_H

#include "util/alloc.h"
#include "peerscope/message.h"
#include "peerscope/peerscope.pb-c.h"

/*
 * Pack sm into a new sealed message of the given kind, allocated through a
 * (session tests hand such states and runtimes to a session). No cmocka:
 * the fuzz targets use it too.
 */
psc_err psc_test_pack(const psc__alloc *a, psc_msg_kind kind, const Peerscope__ServerMessage *sm, psc_msg **out);

#endif

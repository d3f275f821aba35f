/* Helpers shared by the core tests. Include after cmocka's prerequisites. */
#ifndef PSC_CORE_FIXTURE_H
#define PSC_CORE_FIXTURE_H

#include "peerscope/pb.h"
#include "peerscope/peerscope.h"

/* A clock the test moves by hand. */
typedef struct fake_clock {
    uint64_t wall_ms;
    uint64_t mono_ns;
} fake_clock;

/* A psc_clock reading *fc. */
psc_clock fake_clock_iface(fake_clock *fc);

/* Introspector with the fake clock (and alloc, when not NULL); asserts success. */
psc_introspector *fixture_intro(fake_clock *fc, const psc_allocator *alloc);

/* Snapshot, check the frame header against the payload, decode; asserts success. */
Peerscope__ServerMessage *fixture_snapshot(psc_introspector *intro, psc_msg **msg_out);

/* The State inside a decoded ServerMessage (asserts it is one). */
Peerscope__State *fixture_state(Peerscope__ServerMessage *m);

/* True when a protobuf-c bytes field holds exactly len bytes equal to p. */
int fixture_bytes_eq(ProtobufCBinaryData b, const void *p, size_t len);

/* Compare a decoded Traffic with the model's. */
void fixture_check_traffic(const Peerscope__Traffic *t, const psc_traffic *want);

#endif

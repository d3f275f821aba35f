/*
 * Consistency checks of the States a demo host produces, over one State
 * and across consecutive ones. Shared by the in-process test and the
 * WebSocket test. Failures are cmocka failures (main thread only).
 */
#ifndef DEMO_STATE_CHECK_H
#define DEMO_STATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerscope/pb.h>

typedef struct id_pair {
    uint64_t conn, stream;
} id_pair;

typedef struct state_tracker {
    uint8_t local_key[32];
    bool have_local;
    /* connections and streams already reported CLOSED */
    uint64_t *closed_conns;
    size_t n_closed_conns, cap_closed_conns;
    id_pair *closed_streams;
    size_t n_closed_streams, cap_closed_streams;
    /* what was seen, for "a living node" assertions */
    size_t states;
    size_t max_active_conns, max_streams, max_dht_members, max_peerstore, max_mesh;
    size_t relayed_seen, closed_with_reason;
    uint64_t last_seq, last_instant_ts;
} state_tracker;

/* local_peer_id: the host's peer id (Runtime.peer_id), for the DHT checks. */
void state_tracker_init(state_tracker *t, const char *local_peer_id);
void state_tracker_free(state_tracker *t);

/* Check one State, the next one the host produced after the previous call. */
void state_tracker_check(state_tracker *t, const Peerscope__State *st);

/* The SHA-256 Kademlia key of a peer id, recomputed independently. */
void state_kad_key(const char *peer_id, uint8_t key[32]);
unsigned state_cpl(const uint8_t a[32], const uint8_t b[32]);

#endif

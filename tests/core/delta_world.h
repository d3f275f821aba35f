/*
 * A small host whose every snapshot section can be changed between
 * snapshots by a seeded random walk: connections with streams, two DHTs,
 * pubsub, peerstore, resource manager, custom values, transports and
 * identify, and providers that fail now and then. The delta-state tests
 * compare what deltas rebuild with full states of such a host.
 */
#ifndef PSC_TEST_DELTA_WORLD_H
#define PSC_TEST_DELTA_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "peerscope/peerscope.h"

#define W_CONNS 48
#define W_STREAMS 5
#define W_BUCKETS 8
#define W_BPEERS 5
#define W_TOPICS 10
#define W_PEERS 24
#define W_SCOPES 10

typedef struct w_conn {
    uint32_t id;
    int n_streams;
    uint32_t stream_ids[W_STREAMS];
    uint64_t stream_bytes[W_STREAMS];
    uint64_t bytes;
    psc_status status;
} w_conn;

typedef struct w_bucket {
    uint32_t cpl;
    int n;
    char peers[W_BPEERS][12];
    uint32_t ages[W_BPEERS];
} w_bucket;

typedef struct w_dht {
    bool fail;
    int n_buckets;
    w_bucket b[W_BUCKETS];
    uint64_t queries;
} w_dht;

typedef struct world {
    uint64_t rng;
    uint32_t next_id;
    int n_conns;
    w_conn conns[W_CONNS];
    bool swarm_fail;
    uint64_t identify;
    int n_transports;
    w_dht dht[2];
    bool pubsub_fail;
    int n_topics;
    char topics[W_TOPICS][16];
    uint64_t topic_msgs[W_TOPICS];
    bool peerstore_fail;
    int n_peers;
    char peers[W_PEERS][16];
    uint64_t peer_latency[W_PEERS];
    bool rcmgr_fail;
    int n_scopes;
    psc_scope_kind scope_kind[W_SCOPES];
    char scope_name[W_SCOPES][16];
    uint64_t scope_mem[W_SCOPES];
    double custom;
    /* make two swarm providers report the same connection id (deltas then give up) */
    bool dup_conn;
    /* make the pubsub provider report one topic twice */
    bool dup_topic;
} world;

/* A world with a few of everything, from seed. */
void world_init(world *w, uint64_t seed);
/* Register every provider on intro (two swarms, two DHTs, ...). */
psc_err world_register(world *w, psc_introspector *intro);
/* A random step: some entities added, removed or changed, providers failing or recovering. */
void world_step(world *w);
/* Only counters move on about `percent` of the connections (steady churn). */
void world_touch(world *w, int percent);

#endif

/*
 * A consistent copy of the simulated node, taken under the node's lock in
 * one go. The introspector calls the providers one after the other; if
 * each read the live node, the simulation could step in between and the
 * sections of one State would disagree (a mesh peer whose connection is
 * already gone). So the first provider of a snapshot takes a view and the
 * others of the same snapshot build from it, outside the lock.
 *
 * Peers are referred to by index: their immutable fields (id, addresses,
 * agent, protocols) are read from the node without the lock.
 */
#ifndef DEMO_VIEW_H
#define DEMO_VIEW_H

#include "sim.h"

typedef struct view_stream {
    uint64_t id;
    uint8_t proto;
    psc_role role;
    psc_status status;
    uint64_t open_ms, close_ms;
    psc_traffic traffic;
    const char *close_reason;
} view_stream;

typedef struct view_conn {
    uint64_t id;
    uint32_t peer;
    psc_status status;
    psc_role role;
    uint8_t transport, security, muxer;
    bool punched, reservation;
    char local_addr[SIM_ADDR_MAX];
    char remote_addr[SIM_ADDR_MAX];
    uint64_t open_ms, upgraded_ms, close_ms;
    psc_traffic traffic;
    uint64_t latency_ns;
    uint64_t relay_conn_id;
    const char *close_reason;
    uint32_t open_streams;
    size_t first_stream, n_streams; /* slice of view.streams */
} view_conn;

typedef struct view_dht_peer {
    uint32_t cpl;
    uint32_t peer;
    psc_dht_peer_status status;
    uint32_t age_ms;
} view_dht_peer;

typedef struct view_mesh {
    uint32_t peer;
    double score;
    uint64_t time_ms;
} view_mesh;

typedef struct view_topic {
    uint32_t topic; /* index into node->topics (name is immutable) */
    bool subscribed;
    uint32_t peer_count;
    psc_pubsub_counts msgs, bytes;
    size_t first_mesh, n_mesh;     /* slice of view.mesh */
    size_t first_fanout, n_fanout; /* slice of view.fanout */
} view_topic;

typedef struct view_peer {
    uint32_t peer;
    uint64_t first_seen_ms, last_seen_ms, latency_ewma_ns;
    bool in_rt, connected, reservation;
    uint32_t mesh_topics;
} view_peer;

typedef struct view_ping {
    uint32_t peer;
    uint64_t last_ns, avg_ns;
} view_ping;

typedef struct view_dial {
    uint32_t peer;
    uint8_t addr;
    uint64_t start_ms;
} view_dial;

typedef struct demo_view {
    const sim_node *node;   /* for immutable peer and topic data only */
    uint64_t key;           /* the snapshot it was taken for (psc_collect_now_ms) */
    uint32_t used;          /* providers that built from it (demo_provider_bit) */
    uint64_t close_upto;    /* node->close_seq when taken */
    uint64_t now_ms;
    uint32_t tick;

    view_conn *conns;
    size_t n_conns;
    view_stream *streams;
    size_t n_streams;

    view_dht_peer *dht;
    size_t n_dht;
    uint32_t dht_buckets;   /* buckets 0 .. dht_buckets-1 are listed */
    psc_query_counts dht_in, dht_out;
    uint64_t dht_start_ms;

    view_topic *topics;
    size_t n_topics;
    view_mesh *mesh;
    size_t n_mesh;
    uint32_t *fanout;
    size_t n_fanout;

    view_peer *peers;
    size_t n_peers;
    view_ping *pings;
    size_t n_pings;
    uint64_t pings_sent, ping_failures;

    view_dial *dials;
    size_t n_dials;
    psc_dialer dialer;
    psc_identify identify;
    psc_relay relay;
    uint32_t reservations[SIM_MAX_RESERVATIONS];
    uint32_t n_reservations;

    psc_traffic traffic;

    uint64_t height, sync_target, mempool;
    uint8_t head[32];
    bool syncing, synced;
    size_t connected_peers;
    size_t rt_size;
} demo_view;

/*
 * Copy the node. The caller holds the node's lock. Counters are read with
 * psc_counter_read at now_ns (which updates their rate estimates, so there
 * must be one view-taker at a time). Allocates through the node's allocator.
 */
psc_err demo_view_new(sim_node *n, uint64_t now_ns, demo_view **out);
void demo_view_free(demo_view *v);

#endif

/*
 * The simulated P2P node behind peerscope-demo.
 *
 * A deterministic model of a libp2p host: a universe of peers with real
 * Ed25519 identities, connections and streams with churn, a Kademlia
 * routing table built with real XOR distances, gossipsub topics, a
 * peerstore, relays and hole punching, and a blockchain-like lifecycle.
 * sim_node_step advances it by one tick; what happens in a tick depends on
 * the seed and the configuration only, never on the wall clock (which only
 * stamps times), so the same seed replays the same node.
 *
 * Thread-safety: none inside. The demo guards a node with its own mutex
 * (see demo_host in providers.h); tests use it from one thread.
 */
#ifndef DEMO_SIM_H
#define DEMO_SIM_H

#include <peerscope/peerscope.h>

#include "kad.h"
#include "rng.h"

#define SIM_ADDR_MAX 128u
#define SIM_PEER_ADDRS 3u
#define SIM_TOPIC_NAME_MAX 64u

/* Kademlia parameters (go-libp2p's defaults). */
#define SIM_K 20u
#define SIM_ALPHA 3u
#define SIM_BETA 3u
/* Replacement cache and recently rejected peers kept per bucket. */
#define SIM_CANDIDATES 5u
#define SIM_REJECTED 3u
/* A lookup contacts at most this many peers (what an event lists). */
#define SIM_QUERY_MAX_CONTACTS 20u

/* Gossipsub mesh degree: target, low and high watermarks. */
#define SIM_D 8u
#define SIM_D_LO 6u
#define SIM_D_HI 12u

/* Each connected peer is pinged this often. */
#define SIM_PING_EVERY_TICKS 150u

/* Relays on which the node keeps a reservation. */
#define SIM_MAX_RESERVATIONS 2u

/* Closed connections and streams wait this many ticks to be reported in a
 * snapshot (sim_node_release_closed); after that they are dropped anyway,
 * so a node nobody watches does not grow. */
#define SIM_CLOSED_KEEP_TICKS 600u

typedef enum sim_proto {
    SIM_P_ID,
    SIM_P_ID_PUSH,
    SIM_P_PING,
    SIM_P_KAD,
    SIM_P_MESHSUB,
    SIM_P_BITSWAP,
    SIM_P_RELAY_HOP,
    SIM_P_RELAY_STOP,
    SIM_P_DCUTR,
    SIM_P_AUTONAT,
    SIM_P_COUNT
} sim_proto;

extern const char *const sim_proto_names[SIM_P_COUNT];

typedef enum sim_transport { SIM_TR_TCP, SIM_TR_QUIC, SIM_TR_CIRCUIT, SIM_TR_COUNT } sim_transport;

extern const char *const sim_transport_names[SIM_TR_COUNT];

/* Connection security and multiplexer names; index 0 of muxers is "none" (QUIC). */
extern const char *const sim_security_names[3];
extern const char *const sim_muxer_names[3];

typedef struct sim_peer {
    /* Set by sim_node_new and never changed: readable without the lock. */
    char id[PSC_PEERID_STR_MAX];
    uint8_t bin[PSC_PEERID_ED25519_BIN_LEN];
    uint8_t key[KAD_KEY_LEN];
    char addrs[SIM_PEER_ADDRS][SIM_ADDR_MAX];
    uint8_t n_addrs;
    uint8_t agent;      /* index into sim_agents */
    uint32_t protos;    /* bit (1u << sim_proto) per supported protocol */
    bool relay;         /* offers the relay hop service */
    bool nat;           /* not dialable: reachable through relay_peer only */
    bool bootstrap;
    uint32_t relay_peer;
    uint32_t rtt_us;    /* base round trip time */

    /* Mutable. */
    bool known;         /* in the peerstore */
    uint64_t first_seen_ms, last_seen_ms;
    uint32_t n_conns;   /* connections not CLOSED */
    uint32_t n_active;  /* ACTIVE connections */
    uint64_t direct_conn_id; /* an ACTIVE direct connection to it; 0: none */
    bool dialing;
    bool in_rt;         /* a routing-table member */
    uint32_t mesh_topics;
    uint64_t latency_ewma_ns;
    uint64_t ping_last_ns, ping_avg_ns;
    uint32_t next_ping_tick;
} sim_peer;

extern const char *const sim_agents[];
extern const size_t sim_agent_count;
const char *sim_agent_protocol_version(uint8_t agent);

static inline bool sim_peer_speaks(const sim_peer *p, sim_proto proto)
{
    return (p->protos >> proto) & 1u;
}

typedef struct sim_stream {
    uint64_t id;
    uint8_t proto;
    psc_role role;
    psc_status status;       /* ACTIVE or CLOSED */
    uint64_t open_ms, close_ms;
    uint32_t open_tick, end_tick; /* end_tick 0: open until its connection closes */
    uint32_t close_tick;
    uint32_t burst_left;     /* bitswap: ticks left in the current transfer */
    const char *close_reason;
    uint64_t close_seq;
    psc_counter in, out;
} sim_stream;

typedef struct sim_conn {
    uint64_t id;
    uint32_t peer;
    psc_status status;       /* OPENING -> ACTIVE -> CLOSING -> CLOSED, or OPENING -> CLOSED */
    psc_role role;           /* INITIATOR: we dialed */
    uint8_t transport, security, muxer;
    char local_addr[SIM_ADDR_MAX];
    char remote_addr[SIM_ADDR_MAX];
    uint64_t open_ms, upgraded_ms, close_ms;
    uint32_t open_tick, due_tick, close_tick; /* due: end of OPENING or CLOSING */
    bool fail_upgrade;
    bool punched;            /* direct connection made by a hole punch */
    uint64_t relay_conn_id;  /* relayed: the connection to the relay; 0: direct */
    uint64_t hop_stream_id;  /* relayed: the hop stream on the relay connection */
    uint32_t punch_tick;     /* relayed: when to try a hole punch; 0: never */
    uint32_t retire_tick;    /* ACTIVE: when to start closing by itself; 0: never */
    const char *retire_reason;
    bool reservation;        /* holds one of our relay reservations */
    const char *close_reason;
    uint64_t close_seq;
    psc_counter in, out;
    sim_stream **streams;    /* including CLOSED ones not yet released */
    size_t n_streams, cap_streams;
    uint32_t open_streams;
    uint64_t next_stream_id;
} sim_conn;

typedef enum sim_dial_outcome { SIM_DIAL_OK, SIM_DIAL_ERROR, SIM_DIAL_TIMEOUT, SIM_DIAL_CANCELED } sim_dial_outcome;

typedef struct sim_dial {
    uint32_t peer;
    uint8_t addr;            /* index into the peer's addrs */
    uint8_t outcome;
    uint64_t start_ms;
    uint32_t due_tick;
} sim_dial;

typedef struct sim_rt_entry {
    uint32_t peer;
    uint8_t status;          /* psc_dht_peer_status */
    uint8_t fails;           /* consecutive unanswered requests */
    uint32_t added_tick;
} sim_rt_entry;

typedef struct sim_bucket {
    sim_rt_entry members[SIM_K];     /* ACTIVE or MISSING */
    sim_rt_entry cands[SIM_CANDIDATES];
    sim_rt_entry rejected[SIM_REJECTED];
    uint8_t n_members, n_cands, n_rejected;
} sim_bucket;

/* One finished DHT query, as reported in an event. */
typedef struct sim_query {
    uint64_t id;
    bool inbound;
    const char *type;        /* "FIND_NODE", "GET_PROVIDERS", ... */
    const char *trigger;     /* "bootstrap", "refresh", "api", "remote" */
    const char *result;      /* "success", "error", "timeout" */
    uint32_t target;         /* peer index whose key is looked up; UINT32_MAX: the local peer */
    uint32_t steps;
    uint32_t time_ms;
    uint32_t contacted[SIM_QUERY_MAX_CONTACTS];
    size_t n_contacted;
} sim_query;

typedef struct sim_rank {
    uint64_t hi;             /* first 64 bits of the XOR distance to the target */
    uint32_t peer;
} sim_rank;

typedef struct sim_dht {
    sim_bucket buckets[KAD_MAX_CPL + 1];
    psc_query_counts incoming, outgoing;
    uint64_t start_ms;
    uint64_t next_query_id;
    uint32_t boot_rounds, next_boot_tick, next_refresh_tick;
    /* Lookup scratch. rank holds the peers closest to the target, in
     * distance order (a prefix of the whole network's order); pos maps a
     * peer in rank back to its position; members are the routing table's
     * members by distance to the target. */
    sim_rank *rank;
    uint32_t *pos;
    uint64_t *key64;         /* every peer's key, first 64 bits (a compact copy for that search) */
    sim_rank members[(KAD_MAX_CPL + 1) * SIM_K];
} sim_dht;

typedef struct sim_mesh_member {
    uint32_t peer;
    uint32_t since_tick;
    double score;
} sim_mesh_member;

typedef struct sim_topic {
    char name[SIM_TOPIC_NAME_MAX]; /* immutable */
    bool subscribed;               /* immutable; unsubscribed topics are published to through fanout */
    uint8_t profile;               /* immutable: traffic shape */
    sim_mesh_member mesh[SIM_D_HI];
    uint32_t fanout[SIM_D];
    uint8_t n_mesh, n_fanout;
    uint32_t peer_count;
    psc_pubsub_counts msgs, bytes;
    double msg_acc;
} sim_topic;

typedef enum sim_event_kind {
    SIM_EV_IDENTITY,        /* once, first tick */
    SIM_EV_CONN_OPENING,    /* conn */
    SIM_EV_CONN_OPEN,       /* conn became ACTIVE */
    SIM_EV_CONN_CLOSING,    /* conn */
    SIM_EV_CONN_CLOSED,     /* conn */
    SIM_EV_FIRST_PEER,      /* peer, duration_ms since start */
    SIM_EV_DHT_QUERY,       /* query */
    SIM_EV_SYNC_STARTED,    /* height, target */
    SIM_EV_SYNC_COMPLETED,  /* height, duration_ms */
    SIM_EV_NEW_BLOCK,       /* height, hash, peer (from), size */
    SIM_EV_MESSAGE,         /* topic, peer (from), size, hash (message id) */
} sim_event_kind;

typedef struct sim_node sim_node;

typedef struct sim_event {
    sim_event_kind kind;
    const sim_conn *conn;
    const sim_peer *peer;
    const sim_query *query;
    const sim_topic *topic;
    uint64_t height, target, duration_ms, size;
    const char *hash;
} sim_event;

typedef struct sim_config {
    uint64_t seed;
    uint32_t peers;           /* size of the peer universe (>= 1) */
    uint32_t conns;           /* connections to keep open */
    uint32_t streams;         /* streams per connection, on average */
    uint32_t topics;
    double churn;             /* connections closed (and replaced) per minute */
    double event_rate;        /* DHT queries and message samples per second */
    uint32_t tick_ms;         /* simulated time per step; 0: 100 */
    const psc_allocator *allocator; /* NULL: malloc */
    /* Wall clock for timestamps only; NULL: a fixed epoch plus simulated time. */
    uint64_t (*now_ms)(void *user);
    void *clock_user;
    /* Called from inside sim_node_step for everything worth an event. The
     * pointers in ev are valid during the call only. May be NULL. */
    void (*on_event)(void *user, const sim_node *node, const sim_event *ev);
    void *event_user;
} sim_config;

struct sim_node {
    sim_config cfg;
    uint32_t tick;
    uint64_t start_ms;
    sim_rng rng_conns, rng_streams, rng_dht, rng_pubsub, rng_events, rng_chain;

    char local_id[PSC_PEERID_STR_MAX];
    uint8_t local_bin[PSC_PEERID_ED25519_BIN_LEN];
    uint8_t local_key[KAD_KEY_LEN];
    char listen_addrs[3][SIM_ADDR_MAX]; /* tcp, quic, tcp6 */

    sim_peer *peers;
    uint32_t n_peers;

    sim_conn **conns;        /* in opening order, CLOSED ones until released */
    size_t n_conns, cap_conns;
    uint64_t next_conn_id;
    uint64_t close_seq;      /* numbers every close, for sim_node_release_closed */
    sim_dial *dials;
    size_t n_dials, cap_dials;

    sim_dht *dht;
    sim_topic *topics;
    uint32_t n_topics;
    uint32_t *ps_scratch;    /* heartbeat scratch: connected peers, then candidates */
    uint32_t *ps_stamp;      /* per peer: heartbeat generation that listed it */
    uint32_t ps_gen;

    psc_counter traffic_in, traffic_out;
    psc_dialer dialer;
    psc_identify identify;
    psc_relay relay;
    uint32_t reservations[SIM_MAX_RESERVATIONS]; /* relay peer indices */
    uint32_t n_reservations;
    uint64_t pings_sent, ping_failures;

    double churn_acc, event_acc;
    bool first_peer_seen;

    /* chain */
    uint64_t height, sync_target, sync_start_ms, mempool;
    uint8_t head[32];
    bool syncing, synced;
    uint32_t next_block_tick;

    uint64_t nomem;          /* actions skipped for lack of memory */
};

/* -------------------------------------------------------------- node */

/* Validate cfg and build the node (identities, universe, topics). */
psc_err sim_node_new(const sim_config *cfg, sim_node **out);
void sim_node_free(sim_node *n);
/* Advance one tick. */
void sim_node_step(sim_node *n);
/* Current timestamp (ms) as the node stamps it. */
uint64_t sim_node_now_ms(const sim_node *n);
/* Milliseconds from then to now; 0 if the wall clock went backwards. */
uint64_t sim_ms_since(const sim_node *n, uint64_t then);
/* Forget CLOSED connections and streams whose close_seq <= upto: they have
 * been reported. */
void sim_node_release_closed(sim_node *n, uint64_t upto);

/* Internal to the simulation's files. */
void *sim_alloc(const sim_node *n, size_t size);
void sim_free(const sim_node *n, void *p);
/* Grow *arr (elements of elem bytes, *cap of them) to hold need; false on NOMEM. */
bool sim_grow(const sim_node *n, void **arr, size_t *cap, size_t elem, size_t need);
void sim_emit(sim_node *n, const sim_event *ev);

/* ------------------------------------------------------------- peers */

psc_err sim_peers_init(sim_node *n);
/* The peer learned about (dialed, dialed us, returned by a lookup). */
void sim_peer_seen(sim_node *n, uint32_t peer);
/* "/ip4/A.B.C.D" of a directly reachable peer (what it dials us from). */
void sim_peer_ip4(const sim_node *n, uint32_t peer, char *buf, size_t len);
/* The circuit address of a peer reachable through relay: ".../p2p/<relay>/p2p-circuit". */
void sim_circuit_addr(const sim_peer *relay, char *buf, size_t len);

/* ------------------------------------------------------------- conns */

void sim_conns_step(sim_node *n);
sim_conn *sim_conn_find(const sim_node *n, uint64_t id);
void sim_conns_free(sim_node *n);
/* Connections not CLOSED / streams open, over the whole node. */
size_t sim_conns_live(const sim_node *n);
size_t sim_streams_open(const sim_node *n);

/* ----------------------------------------------------------- streams */

/* Open a stream on c (NULL when --streams are open already, or out of memory). */
sim_stream *sim_stream_open(sim_node *n, sim_conn *c, sim_proto proto, psc_role role, uint32_t life_ticks);
/* Close it (no-op when closed) with a reason kept for the report. */
void sim_stream_close(sim_node *n, sim_conn *c, sim_stream *s, const char *reason);
sim_stream *sim_stream_find(const sim_conn *c, uint64_t id);
/* Count bytes that crossed stream s (may be NULL) of c, in `packets` frames. */
void sim_account(sim_node *n, sim_conn *c, sim_stream *s, uint64_t in, uint64_t out, unsigned packets);
/* One tick of an ACTIVE connection's streams. */
void sim_streams_tick(sim_node *n, sim_conn *c);

/* --------------------------------------------------------------- dht */

psc_err sim_dht_init(sim_node *n);
void sim_dht_free(sim_node *n);
void sim_dht_step(sim_node *n);
/* A peer we are connected to speaks the DHT: offer it to the table. */
void sim_dht_peer_connected(sim_node *n, uint32_t peer);
void sim_dht_inbound_query(sim_node *n);
void sim_dht_outbound_query(sim_node *n, const char *type, const char *trigger, uint32_t target);
size_t sim_dht_table_size(const sim_node *n);

/* ------------------------------------------------------------ pubsub */

psc_err sim_pubsub_init(sim_node *n);
void sim_pubsub_free(sim_node *n);
void sim_pubsub_step(sim_node *n);
/* The peer's last ACTIVE connection is gone: leave every mesh and fanout. */
void sim_pubsub_peer_gone(sim_node *n, uint32_t peer);
/* Is the peer subscribed to topic t (fixed per seed)? */
bool sim_pubsub_peer_on_topic(const sim_node *n, uint32_t peer, uint32_t t);
void sim_pubsub_sample_message(sim_node *n);

/* ------------------------------------------------------------- chain */

void sim_chain_init(sim_node *n);
void sim_chain_step(sim_node *n);

#endif

/*
 * peerscope: the plain C description of what a host reports.
 *
 * Providers fill these structs and hand them to a builder (provider.h);
 * the state view (message.h) gives the same structs back. Every struct
 * begins with struct_size so it can grow: initialise it with its
 * PSC_*_INIT macro, which also zeroes every other field.
 *
 * When passed to a builder, every pointer is read during the call only
 * (strings and arrays are copied). When returned by the view, pointers stay
 * valid as long as the psc_msg they came from.
 *
 * A NULL string is reported as absent (the empty string on the wire).
 * Timestamps are ms since the Unix epoch, 0 meaning "not known".
 */
#ifndef PEERSCOPE_MODEL_H
#define PEERSCOPE_MODEL_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Lifecycle status of a connection or stream (2020 Status enum values). */
typedef enum psc_status {
    PSC_STATUS_ACTIVE = 0,
    PSC_STATUS_CLOSED = 1,
    PSC_STATUS_OPENING = 2,
    PSC_STATUS_CLOSING = 3,
    PSC_STATUS_ERROR = 4,
} psc_status;

/** Who opened a connection or stream (2020 Role enum values). */
typedef enum psc_role {
    PSC_ROLE_INITIATOR = 0, /**< we dialed / opened it (outbound) */
    PSC_ROLE_RESPONDER = 1, /**< the remote did (inbound) */
} psc_role;

/** One direction of traffic (2020 DataGauge). */
typedef struct psc_gauge_value {
    uint64_t bytes;   /**< cumulative bytes */
    uint64_t packets; /**< cumulative packets or frames */
    uint64_t rate;    /**< instantaneous bandwidth, bytes per second */
} psc_gauge_value;

typedef struct psc_traffic {
    psc_gauge_value in;
    psc_gauge_value out;
} psc_traffic;

/** A connection (2020 Connection, plus peerscope's additions). */
typedef struct psc_connection {
    size_t struct_size;
    const uint8_t *id;           /**< opaque connection id, unique per provider; required */
    size_t id_len;
    const char *peer_id;         /**< remote peer id */
    psc_status status;
    psc_role role;
    const uint8_t *transport_id; /**< matches psc_transport.id */
    size_t transport_id_len;
    const char *transport_name;  /**< "tcp", "quic-v1", ... */
    const char *local_addr;      /**< local multiaddr (EndpointPair.src) */
    const char *remote_addr;     /**< remote multiaddr (EndpointPair.dst) */
    uint64_t open_ts;
    uint64_t upgraded_ts;
    uint64_t close_ts;
    psc_traffic traffic;
    const char *multiplexer;     /**< "/yamux/1.0.0", ... */
    const char *encryption;      /**< "/noise", "/tls/1.0.0", ... */
    uint64_t latency_ns;
    const uint8_t *relay_conn_id;/**< set for a relayed connection: the id of the relay connection */
    size_t relay_conn_id_len;
    const char *close_reason;
    const char *const *tags;     /**< user_provided_tags */
    size_t n_tags;
    uint32_t stream_count;       /**< open streams; 0: the library counts the streams added */
} psc_connection;

#define PSC_CONNECTION_INIT {.struct_size = sizeof(psc_connection)}

/** A stream inside a connection (2020 Stream). */
typedef struct psc_stream {
    size_t struct_size;
    const uint8_t *id;           /**< opaque stream id, unique within its connection; required */
    size_t id_len;
    const char *protocol;        /**< "/ipfs/kad/1.0.0", ... */
    psc_role role;
    psc_status status;
    uint64_t open_ts;
    uint64_t close_ts;
    psc_traffic traffic;
    uint64_t latency_ns;
    const char *close_reason;
    const char *const *tags;
    size_t n_tags;
} psc_stream;

#define PSC_STREAM_INIT {.struct_size = sizeof(psc_stream)}

/** A transport and its listeners. */
typedef struct psc_transport {
    size_t struct_size;
    const uint8_t *id;
    size_t id_len;
    const char *name;
    const char *const *listen_addrs;
    size_t n_listen_addrs;
    bool listening;
    bool dialing;
} psc_transport;

#define PSC_TRANSPORT_INIT {.struct_size = sizeof(psc_transport)}

/** Dialer state: dials in flight and outcome counters. */
typedef struct psc_dialer {
    size_t struct_size;
    uint32_t in_flight;
    uint64_t success, error, timeout, canceled, backoff;
} psc_dialer;

#define PSC_DIALER_INIT {.struct_size = sizeof(psc_dialer)}

/** One dial in flight (optional detail for the dialer). */
typedef struct psc_dial {
    size_t struct_size;
    const char *peer_id;
    const char *addr;
    uint64_t start_ts;
} psc_dial;

#define PSC_DIAL_INIT {.struct_size = sizeof(psc_dial)}

typedef struct psc_identify {
    size_t struct_size;
    uint64_t requests_in, requests_out, pushes_in, pushes_out, errors;
} psc_identify;

#define PSC_IDENTIFY_INIT {.struct_size = sizeof(psc_identify)}

typedef struct psc_relay {
    size_t struct_size;
    uint32_t reservations_active, circuits_active;
    uint64_t reservations_total, circuits_total;
    uint64_t hole_punch_attempts, hole_punch_successes, hole_punch_failures;
} psc_relay;

#define PSC_RELAY_INIT {.struct_size = sizeof(psc_relay)}

typedef struct psc_ping_peer {
    size_t struct_size;
    const char *peer_id;
    uint64_t last_rtt_ns;
    uint64_t avg_rtt_ns;
} psc_ping_peer;

#define PSC_PING_PEER_INIT {.struct_size = sizeof(psc_ping_peer)}

/** DHT query outcome counters (cumulative). */
typedef struct psc_query_counts {
    uint64_t success, error, timeout;
} psc_query_counts;

/** A DHT (2020 DHT without its buckets, which are added peer by peer). */
typedef struct psc_dht {
    size_t struct_size;
    const char *name;      /**< tells several DHTs apart ("wan", "lan"); may be NULL */
    const char *protocol;  /**< "/ipfs/kad/1.0.0" */
    bool enabled;
    uint64_t start_ts;
    uint64_t k, alpha, disjoint_paths, beta;
    psc_query_counts incoming, outgoing;
} psc_dht;

#define PSC_DHT_INIT {.struct_size = sizeof(psc_dht)}

typedef enum psc_dht_peer_status {
    PSC_DHT_PEER_ACTIVE = 0,
    PSC_DHT_PEER_MISSING = 1,
    PSC_DHT_PEER_REJECTED = 2,
    PSC_DHT_PEER_CANDIDATE = 3,
} psc_dht_peer_status;

typedef struct psc_dht_peer {
    size_t struct_size;
    const char *peer_id;
    psc_dht_peer_status status;
    uint32_t age_in_bucket_ms;
} psc_dht_peer;

#define PSC_DHT_PEER_INIT {.struct_size = sizeof(psc_dht_peer)}

/** Pubsub message or byte counters of one topic. */
typedef struct psc_pubsub_counts {
    uint64_t received, sent, published, forwarded, rejected, duplicate;
} psc_pubsub_counts;

typedef struct psc_topic {
    size_t struct_size;
    const char *name;
    bool subscribed;
    uint32_t peer_count;
    psc_pubsub_counts messages;
    psc_pubsub_counts bytes;
} psc_topic;

#define PSC_TOPIC_INIT {.struct_size = sizeof(psc_topic)}

typedef struct psc_mesh_peer {
    size_t struct_size;
    const char *peer_id;
    double score;
    uint64_t time_in_mesh_ms;
} psc_mesh_peer;

#define PSC_MESH_PEER_INIT {.struct_size = sizeof(psc_mesh_peer)}

typedef struct psc_peer_tag {
    const char *name;
    int64_t value;
} psc_peer_tag;

/** A peerstore entry. */
typedef struct psc_peer_info {
    size_t struct_size;
    const char *peer_id;
    const char *const *addrs;
    size_t n_addrs;
    const char *const *protocols;
    size_t n_protocols;
    const char *agent_version;
    const char *protocol_version;
    uint64_t latency_ewma_ns;
    uint64_t first_seen_ts;
    uint64_t last_seen_ts;
    const psc_peer_tag *tags;
    size_t n_tags;
} psc_peer_info;

#define PSC_PEER_INFO_INIT {.struct_size = sizeof(psc_peer_info)}

typedef enum psc_scope_kind {
    PSC_SCOPE_SYSTEM = 0,
    PSC_SCOPE_TRANSIENT = 1,
    PSC_SCOPE_SERVICE = 2,
    PSC_SCOPE_PROTOCOL = 3,
    PSC_SCOPE_PEER = 4,
    PSC_SCOPE_CONNECTION = 5,
    PSC_SCOPE_STREAM = 6,
} psc_scope_kind;

/** Resource amounts; in a limit, 0 means "no limit". */
typedef struct psc_resources {
    uint64_t conns_in, conns_out, streams_in, streams_out, memory, fds;
} psc_resources;

typedef struct psc_resource_scope {
    size_t struct_size;
    psc_scope_kind kind;
    const char *name; /**< protocol id, peer id or service name; NULL for system/transient */
    psc_resources usage;
    psc_resources limit;
} psc_resource_scope;

#define PSC_RESOURCE_SCOPE_INIT {.struct_size = sizeof(psc_resource_scope)}

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: the plain C description of what a host reports.
 *
 * Providers fill these structs and hand them to a builder (provider.h);
 * the state view (message.h) gives the same structs back. Every struct
 * that a builder takes begins with struct_size so it can grow: initialise
 * it with its PSC_*_INIT macro, which also zeroes every other field (from
 * C++: value-initialise and set struct_size). Zero is a meaningful value
 * for the enums: see psc_role (INITIATOR, shown as outbound),
 * psc_status (ACTIVE), psc_dht_peer_status (ACTIVE) and psc_scope_kind
 * (SYSTEM); and a zeroed psc_dht says enabled = false.
 *
 * When passed to a builder, every pointer is read during the call only
 * (strings and arrays are copied; strings must be UTF-8). When returned by
 * the view, pointers stay valid as long as a reference to the psc_msg they
 * came from is held.
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
    PSC_STATUS_ACTIVE = 0,  /**< open and in use; the zero value */
    PSC_STATUS_CLOSED = 1,  /**< closed; also what the library reports once for one that vanished */
    PSC_STATUS_OPENING = 2, /**< being dialed, negotiated or upgraded */
    PSC_STATUS_CLOSING = 3, /**< being closed */
    PSC_STATUS_ERROR = 4,   /**< failed */
} psc_status;

/**
 * Who opened a connection or stream (2020 Role enum values). The zero
 * value is INITIATOR: a connection or stream whose role is not set is
 * reported as one we opened (outbound), and proto3 leaves it off the wire,
 * so every client reads it so too.
 */
typedef enum psc_role {
    PSC_ROLE_INITIATOR = 0, /**< we dialed / opened it (outbound); the zero value */
    PSC_ROLE_RESPONDER = 1, /**< the remote did (inbound) */
} psc_role;

/** One direction of traffic (2020 DataGauge). */
typedef struct psc_gauge_value {
    uint64_t bytes;   /**< cumulative bytes */
    uint64_t packets; /**< cumulative packets or frames */
    uint64_t rate;    /**< instantaneous bandwidth, bytes per second */
} psc_gauge_value;

/** Traffic in both directions (2020 Traffic); psc_counter_read fills each side. */
typedef struct psc_traffic {
    psc_gauge_value in;  /**< received */
    psc_gauge_value out; /**< sent */
} psc_traffic;

/**
 * A connection (2020 Connection, plus peerscope's additions).
 *
 * Zero values: a zeroed struct, and PSC_CONNECTION_INIT, has status ACTIVE
 * and role PSC_ROLE_INITIATOR, which the 2020 visualizer (and peerscope's
 * own, and peerscope-top) shows as outbound. A host must set role to
 * PSC_ROLE_RESPONDER for every inbound connection.
 */
typedef struct psc_connection {
    size_t struct_size;          /**< sizeof(psc_connection) (PSC_CONNECTION_INIT); fields up to id_len are required */
    const uint8_t *id;           /**< opaque connection id, unique per provider; required */
    size_t id_len;               /**< bytes at id; required, not 0 */
    const char *peer_id;         /**< remote peer id */
    psc_status status;           /**< zero: PSC_STATUS_ACTIVE */
    psc_role role;               /**< zero: PSC_ROLE_INITIATOR (outbound); set PSC_ROLE_RESPONDER for inbound */
    const uint8_t *transport_id; /**< matches psc_transport.id */
    size_t transport_id_len;     /**< bytes at transport_id; 0: none */
    const char *transport_name;  /**< "tcp", "quic-v1", ... */
    const char *local_addr;      /**< local multiaddr (EndpointPair.src) */
    const char *remote_addr;     /**< remote multiaddr (EndpointPair.dst) */
    uint64_t open_ts;            /**< when it opened */
    uint64_t upgraded_ts;        /**< when security and muxer were negotiated */
    uint64_t close_ts;           /**< when it closed; 0 while open (a vanished one gets the snapshot's time) */
    psc_traffic traffic;         /**< bytes, packets and rates in and out */
    const char *multiplexer;     /**< "/yamux/1.0.0", ... */
    const char *encryption;      /**< "/noise", "/tls/1.0.0", ... */
    uint64_t latency_ns;         /**< round-trip time */
    const uint8_t *relay_conn_id;/**< set for a relayed connection: the id of the relay connection */
    size_t relay_conn_id_len;    /**< bytes at relay_conn_id; 0: not relayed */
    const char *close_reason;    /**< why it closed or failed, when known */
    const char *const *tags;     /**< user_provided_tags: n_tags non-NULL strings */
    size_t n_tags;               /**< entries in tags */
    uint32_t stream_count;       /**< open streams; 0: the library counts the streams added */
} psc_connection;

#define PSC_CONNECTION_INIT {.struct_size = sizeof(psc_connection)}

/**
 * A stream inside a connection (2020 Stream). As with psc_connection, a
 * zeroed stream has status ACTIVE and role PSC_ROLE_INITIATOR (we opened
 * it): set PSC_ROLE_RESPONDER for streams the remote opened.
 */
typedef struct psc_stream {
    size_t struct_size;          /**< sizeof(psc_stream) (PSC_STREAM_INIT); fields up to id_len are required */
    const uint8_t *id;           /**< opaque stream id, meant to be unique within its connection (not checked); required */
    size_t id_len;               /**< bytes at id; required, not 0 */
    const char *protocol;        /**< "/ipfs/kad/1.0.0", ... */
    psc_role role;               /**< zero: PSC_ROLE_INITIATOR (we opened it) */
    psc_status status;           /**< zero: PSC_STATUS_ACTIVE */
    uint64_t open_ts;            /**< when it opened */
    uint64_t close_ts;           /**< when it closed; 0 while open */
    psc_traffic traffic;         /**< bytes, packets and rates in and out */
    uint64_t latency_ns;         /**< round-trip time */
    const char *close_reason;    /**< why it closed or failed, when known */
    const char *const *tags;     /**< user_provided_tags: n_tags non-NULL strings */
    size_t n_tags;               /**< entries in tags */
} psc_stream;

#define PSC_STREAM_INIT {.struct_size = sizeof(psc_stream)}

/** A transport and its listeners. */
typedef struct psc_transport {
    size_t struct_size;          /**< sizeof(psc_transport) (PSC_TRANSPORT_INIT) */
    const uint8_t *id;           /**< opaque id that psc_connection.transport_id refers to */
    size_t id_len;               /**< bytes at id */
    const char *name;            /**< "tcp", "quic-v1", ... */
    const char *const *listen_addrs; /**< n_listen_addrs non-NULL multiaddrs it listens on */
    size_t n_listen_addrs;       /**< entries in listen_addrs */
    bool listening;              /**< it accepts inbound connections */
    bool dialing;                /**< it can dial out */
} psc_transport;

#define PSC_TRANSPORT_INIT {.struct_size = sizeof(psc_transport)}

/** Dialer state: dials in flight and outcome counters (cumulative). */
typedef struct psc_dialer {
    size_t struct_size;          /**< sizeof(psc_dialer) (PSC_DIALER_INIT) */
    uint32_t in_flight;          /**< dials in progress */
    uint64_t success, error, timeout, canceled; /**< finished dials by outcome */
    uint64_t backoff;            /**< dials refused because the peer was in dial backoff */
} psc_dialer;

#define PSC_DIALER_INIT {.struct_size = sizeof(psc_dialer)}

/** One dial in flight (optional detail for the dialer). */
typedef struct psc_dial {
    size_t struct_size;          /**< sizeof(psc_dial) (PSC_DIAL_INIT) */
    const char *peer_id;         /**< the peer being dialed */
    const char *addr;            /**< the multiaddr being dialed */
    uint64_t start_ts;           /**< when the dial began */
} psc_dial;

#define PSC_DIAL_INIT {.struct_size = sizeof(psc_dial)}

/** Identify protocol counters (cumulative). */
typedef struct psc_identify {
    size_t struct_size;          /**< sizeof(psc_identify) (PSC_IDENTIFY_INIT) */
    uint64_t requests_in, requests_out; /**< identify requests received / sent */
    uint64_t pushes_in, pushes_out;     /**< identify pushes received / sent */
    uint64_t errors;             /**< failed exchanges */
} psc_identify;

#define PSC_IDENTIFY_INIT {.struct_size = sizeof(psc_identify)}

/** Circuit relay and hole punching counters. */
typedef struct psc_relay {
    size_t struct_size;          /**< sizeof(psc_relay) (PSC_RELAY_INIT) */
    uint32_t reservations_active, circuits_active; /**< now */
    uint64_t reservations_total, circuits_total;   /**< cumulative */
    uint64_t hole_punch_attempts, hole_punch_successes, hole_punch_failures; /**< cumulative */
} psc_relay;

#define PSC_RELAY_INIT {.struct_size = sizeof(psc_relay)}

/** Ping round trips to one peer. */
typedef struct psc_ping_peer {
    size_t struct_size;          /**< sizeof(psc_ping_peer) (PSC_PING_PEER_INIT); fields up to peer_id are required */
    const char *peer_id;         /**< required */
    uint64_t last_rtt_ns;        /**< the latest round trip */
    uint64_t avg_rtt_ns;         /**< the host's running average */
} psc_ping_peer;

#define PSC_PING_PEER_INIT {.struct_size = sizeof(psc_ping_peer)}

/** DHT query outcome counters (cumulative). */
typedef struct psc_query_counts {
    uint64_t success, error, timeout; /**< queries by outcome */
} psc_query_counts;

/** A DHT (2020 DHT without its buckets, which are added peer by peer). */
typedef struct psc_dht {
    size_t struct_size;    /**< sizeof(psc_dht) (PSC_DHT_INIT) */
    const char *name;      /**< tells several DHTs apart ("wan", "lan"); NULL: the provider's name, if it has one */
    const char *protocol;  /**< "/ipfs/kad/1.0.0" */
    bool enabled;          /**< the DHT is running; zero: false, which visualizers show as disabled */
    uint64_t start_ts;     /**< when it started */
    uint64_t k, alpha, disjoint_paths, beta; /**< Kademlia parameters (bucket size, concurrency, ...) */
    psc_query_counts incoming, outgoing; /**< queries served / made */
} psc_dht;

#define PSC_DHT_INIT {.struct_size = sizeof(psc_dht)}

/** State of a peer in a routing-table bucket (2020 PeerInDHT.Status). */
typedef enum psc_dht_peer_status {
    PSC_DHT_PEER_ACTIVE = 0,    /**< in the table and answering; the zero value */
    PSC_DHT_PEER_MISSING = 1,   /**< in the table but not answering */
    PSC_DHT_PEER_REJECTED = 2,  /**< refused from the table */
    PSC_DHT_PEER_CANDIDATE = 3, /**< waiting for a slot */
} psc_dht_peer_status;

/** A routing-table peer (2020 PeerInDHT). */
typedef struct psc_dht_peer {
    size_t struct_size;          /**< sizeof(psc_dht_peer) (PSC_DHT_PEER_INIT); fields up to peer_id are required */
    const char *peer_id;         /**< required */
    psc_dht_peer_status status;  /**< zero: PSC_DHT_PEER_ACTIVE */
    uint32_t age_in_bucket_ms;   /**< how long it has been in its bucket */
} psc_dht_peer;

#define PSC_DHT_PEER_INIT {.struct_size = sizeof(psc_dht_peer)}

/** Pubsub message or byte counters of one topic (cumulative). */
typedef struct psc_pubsub_counts {
    uint64_t received;  /**< in */
    uint64_t sent;      /**< out */
    uint64_t published; /**< originated locally */
    uint64_t forwarded; /**< relayed for others */
    uint64_t rejected;  /**< failed validation */
    uint64_t duplicate; /**< seen before */
} psc_pubsub_counts;

/** A pubsub topic; its mesh and fanout peers are added through its psc_topic_builder. */
typedef struct psc_topic {
    size_t struct_size;          /**< sizeof(psc_topic) (PSC_TOPIC_INIT); fields up to name are required */
    const char *name;            /**< the topic; required */
    bool subscribed;             /**< the host is subscribed */
    uint32_t peer_count;         /**< peers known to be on the topic */
    psc_pubsub_counts messages;  /**< message counters */
    psc_pubsub_counts bytes;     /**< byte counters */
} psc_topic;

#define PSC_TOPIC_INIT {.struct_size = sizeof(psc_topic)}

/** A peer in a topic's mesh. */
typedef struct psc_mesh_peer {
    size_t struct_size;          /**< sizeof(psc_mesh_peer) (PSC_MESH_PEER_INIT); fields up to peer_id are required */
    const char *peer_id;         /**< required */
    double score;                /**< the router's peer score */
    uint64_t time_in_mesh_ms;    /**< how long it has been in the mesh */
} psc_mesh_peer;

#define PSC_MESH_PEER_INIT {.struct_size = sizeof(psc_mesh_peer)}

/** A peerstore tag (no struct_size: it is an array element of psc_peer_info). */
typedef struct psc_peer_tag {
    const char *name;            /**< required */
    int64_t value;               /**< the tag's weight */
} psc_peer_tag;

/** A peerstore entry. */
typedef struct psc_peer_info {
    size_t struct_size;          /**< sizeof(psc_peer_info) (PSC_PEER_INFO_INIT); fields up to peer_id are required */
    const char *peer_id;         /**< required */
    const char *const *addrs;    /**< n_addrs non-NULL known multiaddrs */
    size_t n_addrs;              /**< entries in addrs */
    const char *const *protocols;/**< n_protocols non-NULL supported protocol ids */
    size_t n_protocols;          /**< entries in protocols */
    const char *agent_version;   /**< from identify */
    const char *protocol_version;/**< from identify */
    uint64_t latency_ewma_ns;    /**< moving average of the latency */
    uint64_t first_seen_ts;      /**< when the peer was first seen */
    uint64_t last_seen_ts;       /**< when it was last seen */
    const psc_peer_tag *tags;    /**< n_tags tags, each with a name */
    size_t n_tags;               /**< entries in tags */
} psc_peer_info;

#define PSC_PEER_INFO_INIT {.struct_size = sizeof(psc_peer_info)}

/**
 * Kind of a resource-manager scope. The zero value is SYSTEM: a zeroed
 * psc_resource_scope (and PSC_RESOURCE_SCOPE_INIT) is the system scope, so
 * set kind for every other scope.
 */
typedef enum psc_scope_kind {
    PSC_SCOPE_SYSTEM = 0,     /**< the whole node; the zero value */
    PSC_SCOPE_TRANSIENT = 1,  /**< not yet attributed to a peer or protocol */
    PSC_SCOPE_SERVICE = 2,    /**< name: the service */
    PSC_SCOPE_PROTOCOL = 3,   /**< name: the protocol id */
    PSC_SCOPE_PEER = 4,       /**< name: the peer id */
    PSC_SCOPE_CONNECTION = 5, /**< one connection */
    PSC_SCOPE_STREAM = 6,     /**< one stream */
} psc_scope_kind;

/** Resource amounts; in a limit, 0 means "no limit". */
typedef struct psc_resources {
    uint64_t conns_in, conns_out;     /**< connections */
    uint64_t streams_in, streams_out; /**< streams */
    uint64_t memory;                  /**< bytes */
    uint64_t fds;                     /**< file descriptors */
} psc_resources;

/** A resource-manager scope: its usage and its limits. */
typedef struct psc_resource_scope {
    size_t struct_size;          /**< sizeof(psc_resource_scope) (PSC_RESOURCE_SCOPE_INIT); fields up to kind are required */
    psc_scope_kind kind;         /**< zero: PSC_SCOPE_SYSTEM */
    const char *name;            /**< protocol id, peer id or service name; NULL for system/transient */
    psc_resources usage;         /**< in use now */
    psc_resources limit;         /**< limits; 0 fields mean "no limit" */
} psc_resource_scope;

#define PSC_RESOURCE_SCOPE_INIT {.struct_size = sizeof(psc_resource_scope)}

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: the push table, for hosts that say what changed instead of
 * being asked.
 *
 * The pull providers of provider.h call into the host at snapshot time, on
 * the snapshotting thread (an endpoint's service thread). That fits a host
 * whose state can be read from any thread under its own lock. It does not
 * fit a host whose state lives on one thread that must never wait (an
 * event loop, a JavaScript engine: the Node-API binding is such a host), or
 * one that learns of changes as events anyway. Such a host keeps a
 * psc_table instead: it opens, updates and closes connections and streams,
 * and puts and removes DHT peers, topics, peerstore entries, transports,
 * ping results, resource scopes and custom values, from its own
 * thread(s), by handle or by id.
 *
 * How it works, and what it costs the host:
 * - Every call copies what it is given (strings too) into one allocation,
 *   validates it (the same rules as the builders: UTF-8 text, required
 *   ids, enum ranges) and appends it to the table's list of pending
 *   changes. The only lock a host call takes is held for that append
 *   (a pointer write): the host never waits for a snapshot, a provider or
 *   a socket.
 * - Byte and packet counters live in the connection and stream handles
 *   (psc_table_conn_counters, psc_table_stream_counters) and are bumped with
 *   psc_counter_add: relaxed atomic adds, no call into the library, no
 *   lock.
 * - At snapshot time the table's providers (registered with the
 *   introspector the first time each section is used: swarm, DHT, pubsub,
 *   peerstore, resource manager, each custom section) apply the pending changes in the order the host made them,
 *   then report the result. Every snapshot therefore shows the table as it
 *   was after some prefix of the host's calls, with every entity whole
 *   (never half an update); the counters are read as they are at that
 *   moment.
 * - A closed connection or stream is reported once with its closing status,
 *   time and reason, then forgotten; one opened and closed between two
 *   snapshots is still reported once. A removed DHT peer, topic or
 *   peerstore entry simply disappears from the next snapshot.
 *
 * Handles: psc_table_conn_open and psc_table_stream_open give the host a
 * handle that stays valid until the host closes it (for a stream, also
 * until its connection is closed) or frees the table. Closing ends the
 * host's use of it; the library frees it once the closing was reported.
 *
 * Threads: every call below may be made from any thread, concurrently with
 * snapshots and with each other, except psc_table_free (see there). Calls
 * on one handle from several threads are applied in the order in which
 * they reached the table.
 */
#ifndef PEERSCOPE_TABLE_H
#define PEERSCOPE_TABLE_H

#include "peerscope/common.h"
#include "peerscope/counter.h"
#include "peerscope/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;
/** A push table. */
typedef struct psc_table psc_table;
/** The host's handle to a connection of a table. */
typedef struct psc_table_conn psc_table_conn;
/** The host's handle to a stream of a table's connection. */
typedef struct psc_table_stream psc_table_stream;

/** Options of psc_table_new. */
typedef struct psc_table_config {
    size_t struct_size;   /**< sizeof(psc_table_config) (PSC_TABLE_CONFIG_INIT) */
    const char *name;     /**< name of the table's providers (also the DHT's name); NULL: "table"; copied */
    /**
     * Most changes each section holds pending between two snapshots (a host
     * that changes faster than snapshots are taken, or with no endpoint at
     * all); beyond it a call fails with PSC_ERR_TOO_BIG and changes
     * nothing. 0: 1,000,000.
     */
    size_t max_pending;
} psc_table_config;

/** Defaults for every option; set struct_size. */
#define PSC_TABLE_CONFIG_INIT {.struct_size = sizeof(psc_table_config)}

/**
 * Make a push table for intro. It registers no provider yet: each section's
 * provider is registered the first time the host uses the section, so
 * sections the host never fills are not in its states.
 * Errors: PSC_ERR_INVALID for a NULL intro or out, or a cfg whose
 * struct_size is too small or whose name is not UTF-8; PSC_ERR_NOMEM.
 * Ownership: cfg is copied; on success *out is the caller's, freed with
 * psc_table_free before intro is freed. Thread-safe.
 */
PSC_API psc_err psc_table_new(psc_introspector *intro, const psc_table_config *cfg, psc_table **out);

/**
 * Unregister the table's providers (waiting for a collect of theirs in
 * flight on another thread) and free the table, every entity and every
 * pending change. Every handle of the table becomes invalid. NULL is a
 * no-op. Must not race with any other call on the table or its handles,
 * and must not be called from inside a provider's collect.
 */
PSC_API void psc_table_free(psc_table *t);

/** What a table holds, for tests and operators (psc_table_stats). */
typedef struct psc_table_stats {
    size_t struct_size;       /**< set by the caller: sizeof(psc_table_stats) */
    size_t pending;           /**< changes not applied yet, over every section */
    size_t connections;       /**< applied and not yet forgotten (closed ones included until reported) */
    size_t streams;           /**< the same, for streams */
    size_t dht_peers;         /**< DHT peers applied */
    size_t topics;            /**< topics applied */
    size_t peers;             /**< peerstore entries applied */
    uint64_t applied;         /**< changes applied since the table was made */
    uint64_t rejected;        /**< entities a snapshot could not report (see psc_table_conn_open) */
} psc_table_stats;

/**
 * Fill *out (its struct_size set) with the table's counts as of the last
 * snapshot (pending: now). Errors: PSC_ERR_INVALID for NULL or a too small
 * struct_size. Thread-safe.
 */
PSC_API psc_err psc_table_stats_get(psc_table *t, psc_table_stats *out);

/* ------------------------------------------------------------ connections */

/**
 * Open a connection: conn as for psc_swarm_add_connection (id required and
 * unique within the table, the host's to keep unique; two open
 * connections with one id make the second one unreportable, counted in
 * psc_table_stats.rejected). conn->traffic is ignored: the handle's
 * counters are the connection's traffic. The connection is in the next
 * snapshot.
 * Errors: PSC_ERR_INVALID for NULL arguments or a conn the builders would
 * refuse (no id, text that is not UTF-8, status or role out of range);
 * PSC_ERR_TOO_BIG when max_pending changes are waiting; PSC_ERR_NOMEM.
 * Ownership: conn and everything it points to is copied; on success *out
 * is a handle valid until psc_table_conn_close (or psc_table_free).
 * Thread-safe; never waits for a snapshot.
 */
PSC_API psc_err psc_table_conn_open(psc_table *t, const psc_connection *conn, psc_table_conn **out);

/**
 * Replace everything known about an open connection with conn (its id is
 * kept: conn->id may be NULL; traffic is ignored). Errors and ownership as
 * psc_table_conn_open (nothing changes on error). Thread-safe.
 */
PSC_API psc_err psc_table_conn_update(psc_table_conn *c, const psc_connection *conn);

/**
 * The connection's counters, received (in) and sent (out): bump them with
 * psc_counter_add / psc_counter_add_bytes from any thread, lock-free. Either
 * out-pointer may be NULL. Valid as long as the handle. Thread-safe.
 */
PSC_API void psc_table_conn_counters(psc_table_conn *c, psc_counter **in, psc_counter **out);

/**
 * Close a connection: the next snapshot reports it once with status
 * (PSC_STATUS_CLOSED or PSC_STATUS_ERROR), close_ts (0: that snapshot's
 * time) and reason (may be NULL; cut to 127 bytes, at a character
 * boundary), with its streams still open closed the same way; then it is
 * forgotten (after ERROR the library's usual report of a vanished
 * connection follows: CLOSED, once, in the next snapshot). A close needs no memory (its room was taken at open) and is
 * accepted beyond max_pending: it cannot fail for a valid handle.
 * Errors: PSC_ERR_INVALID for a NULL c, another status, or a reason that
 * is not UTF-8 (the connection stays open).
 * Ownership: on success the handle and its streams' handles are no longer
 * the host's: do not use them again. Thread-safe.
 */
PSC_API psc_err psc_table_conn_close(psc_table_conn *c, psc_status status, const char *reason, uint64_t close_ts);

/* ---------------------------------------------------------------- streams */

/**
 * Open a stream on an open connection: stream as for psc_conn_add_stream
 * (traffic ignored: the handle's counters are its traffic).
 * Errors, ownership and threads as psc_table_conn_open; on success *out is
 * valid until psc_table_stream_close or the connection's close.
 */
PSC_API psc_err psc_table_stream_open(psc_table_conn *c, const psc_stream *stream, psc_table_stream **out);

/** Replace what is known about an open stream (its id is kept). As psc_table_conn_update. */
PSC_API psc_err psc_table_stream_update(psc_table_stream *s, const psc_stream *stream);

/** The stream's counters, as psc_table_conn_counters. Thread-safe. */
PSC_API void psc_table_stream_counters(psc_table_stream *s, psc_counter **in, psc_counter **out);

/** Close a stream: as psc_table_conn_close, for one stream. */
PSC_API psc_err psc_table_stream_close(psc_table_stream *s, psc_status status, const char *reason,
                                       uint64_t close_ts);

/* ------------------------------------------------- the rest of the swarm */

/**
 * Put a transport (keyed by its id bytes; an id of length 0 is one
 * transport too) or replace the one with that id. Errors: PSC_ERR_INVALID
 * for NULL arguments or text that is not UTF-8; PSC_ERR_TOO_BIG;
 * PSC_ERR_NOMEM. Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_table_transport_put(psc_table *t, const psc_transport *tr);

/** Set the dialer's counters (copied). Errors as psc_table_transport_put. Thread-safe. */
PSC_API psc_err psc_table_set_dialer(psc_table *t, const psc_dialer *d);

/** Set identify's counters (copied). Errors as psc_table_transport_put. Thread-safe. */
PSC_API psc_err psc_table_set_identify(psc_table *t, const psc_identify *id);

/** Set ping's totals. Errors: PSC_ERR_INVALID for NULL; PSC_ERR_TOO_BIG; PSC_ERR_NOMEM. Thread-safe. */
PSC_API psc_err psc_table_set_ping(psc_table *t, uint64_t pings_sent, uint64_t failures);

/**
 * Put a peer's ping results (keyed by peer id), replacing earlier ones.
 * Errors as psc_table_transport_put (also for a NULL peer id). Ownership:
 * copied. Thread-safe.
 */
PSC_API psc_err psc_table_ping_peer_put(psc_table *t, const psc_ping_peer *p);

/** Forget a peer's ping results. Errors: PSC_ERR_INVALID for NULL; PSC_ERR_NOMEM. Thread-safe. */
PSC_API psc_err psc_table_ping_peer_remove(psc_table *t, const char *peer_id);

/* -------------------------------------------------------------------- DHT */

/**
 * Set the DHT's description and counters (dht->name is ignored: the DHT is
 * named after the table). Errors as psc_table_transport_put. Ownership:
 * copied. Thread-safe.
 */
PSC_API psc_err psc_table_dht_set(psc_table *t, const psc_dht *dht);

/**
 * Put a peer in the bucket of common prefix length cpl (0..256), or move
 * it there and replace what was known of it. age_in_bucket_ms counts on
 * from the moment of this call: each snapshot reports the given age plus
 * the time since. Errors: PSC_ERR_INVALID for NULL arguments, no peer id,
 * a cpl above 256, a status out of range or text that is not UTF-8;
 * PSC_ERR_TOO_BIG; PSC_ERR_NOMEM. Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_table_dht_peer_put(psc_table *t, uint32_t cpl, const psc_dht_peer *peer);

/** Take a peer out of the routing table (no-op if absent). Errors as psc_table_ping_peer_remove. Thread-safe. */
PSC_API psc_err psc_table_dht_peer_remove(psc_table *t, const char *peer_id);

/* ----------------------------------------------------------------- pubsub */

/** Set the router's name and protocol (copied; NULL leaves one out). Errors as psc_table_transport_put. Thread-safe. */
PSC_API psc_err psc_table_pubsub_set_router(psc_table *t, const char *router, const char *protocol);

/**
 * Put a topic (keyed by name) or replace its description and counters;
 * its mesh and fanout peers are kept. Errors as psc_table_transport_put
 * (also for a NULL name). Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_table_topic_put(psc_table *t, const psc_topic *topic);

/** Forget a topic with its peers (no-op if absent). Errors as psc_table_ping_peer_remove. Thread-safe. */
PSC_API psc_err psc_table_topic_remove(psc_table *t, const char *name);

/**
 * Replace a topic's mesh peers with the n in peers (n may be 0; the topic
 * is created with only its name when absent). time_in_mesh_ms counts on
 * from this call, as a DHT peer's age. Errors: PSC_ERR_INVALID for NULL
 * arguments (peers may be NULL when n is 0), a peer without an id or text
 * that is not UTF-8; PSC_ERR_TOO_BIG; PSC_ERR_NOMEM. Ownership: copied.
 * Thread-safe.
 */
PSC_API psc_err psc_table_topic_set_mesh(psc_table *t, const char *topic, const psc_mesh_peer *peers, size_t n);

/** Replace a topic's fanout peers (n peer ids). As psc_table_topic_set_mesh. */
PSC_API psc_err psc_table_topic_set_fanout(psc_table *t, const char *topic, const char *const *peer_ids, size_t n);

/* -------------------------------------------------------------- peerstore */

/**
 * Put a peerstore entry (keyed by peer id) or replace it. Errors as
 * psc_table_transport_put (also for no peer id, or a tag without a name).
 * Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_table_peer_put(psc_table *t, const psc_peer_info *p);

/** Forget a peerstore entry (no-op if absent). Errors as psc_table_ping_peer_remove. Thread-safe. */
PSC_API psc_err psc_table_peer_remove(psc_table *t, const char *peer_id);

/* ------------------------------------------------------- resource manager */

/**
 * Put a resource scope (keyed by its kind and name) or replace it.
 * Errors: PSC_ERR_INVALID for NULL arguments, a kind out of range or a
 * name that is not UTF-8; PSC_ERR_TOO_BIG; PSC_ERR_NOMEM. Ownership:
 * copied. Thread-safe.
 */
PSC_API psc_err psc_table_scope_put(psc_table *t, const psc_resource_scope *s);

/** Forget a scope (no-op if absent). Errors as psc_table_ping_peer_remove. Thread-safe. */
PSC_API psc_err psc_table_scope_remove(psc_table *t, psc_scope_kind kind, const char *name);

/* -------------------------------------------------------- custom sections */

/*
 * The host's own values, in sections by name: each section is a
 * CustomSection of its own (a custom provider registered the first time
 * the host names it), its values keyed by name, a put replacing the value
 * of that name whatever its kind. Errors for all: PSC_ERR_INVALID for a
 * NULL table, a NULL or empty section, a NULL name, text that is not
 * UTF-8 or (psc_table_custom_json) not one complete JSON value;
 * PSC_ERR_EXISTS when a pull custom provider already has the section's
 * name; PSC_ERR_TOO_BIG; PSC_ERR_NOMEM. Ownership: copied. Thread-safe.
 */

/** Put a number (CustomSection.Value.number). As described above. */
PSC_API psc_err psc_table_custom_number(psc_table *t, const char *section, const char *name, double value);
/** Put an integer (CustomSection.Value.integer). As described above. */
PSC_API psc_err psc_table_custom_integer(psc_table *t, const char *section, const char *name, int64_t value);
/** Put a text (CustomSection.Value.text). As described above. */
PSC_API psc_err psc_table_custom_text(psc_table *t, const char *section, const char *name, const char *text);
/** Put a JSON value (CustomSection.Value.json; validated). As described above. */
PSC_API psc_err psc_table_custom_json(psc_table *t, const char *section, const char *name, const char *json);
/** Forget a value (no-op if absent; the section stays, possibly empty). As described above. */
PSC_API psc_err psc_table_custom_remove(psc_table *t, const char *section, const char *name);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: data providers and the builders they fill.
 *
 * A provider is a const vtable plus a `void *user` that the host registers
 * for one subsystem. At snapshot time the introspector calls its collect
 * function with a typed builder; the provider appends what it sees with the
 * psc_*_add / psc_*_set calls below (plain structs from model.h; every
 * string and array is copied). collect runs on the thread that asked for
 * the snapshot (an endpoint's service thread, or the host's own), never on
 * two threads at once for one provider.
 *
 * If collect returns an error (optionally after psc_collect_fail with a
 * reason), everything it appended in that call is discarded, the error is
 * recorded in State.provider_errors, and the rest of the snapshot is
 * produced as usual. The entities it reported the previous time are NOT
 * taken as closed.
 *
 * Builders and collect contexts are valid only during the collect call.
 * Builder calls are not thread-safe: call them from collect's thread only;
 * a builder or handle kept from another collect gives PSC_ERR_STATE.
 *
 * Strings must be valid UTF-8 (protobuf strings are; a strict decoder
 * would reject the whole State otherwise): anything else is
 * PSC_ERR_INVALID.
 *
 * Several providers of one kind: connections, transports, dials and ping
 * peers are concatenated; dialer, identify, relay, ping and traffic
 * counters are summed over providers (within one provider the last call
 * wins); pubsub topics are merged and the router comes from the first
 * provider that sets it.
 */
#ifndef PEERSCOPE_PROVIDER_H
#define PEERSCOPE_PROVIDER_H

#include "peerscope/common.h"
#include "peerscope/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;

/** Handle of a registered provider. */
typedef struct psc_provider psc_provider;

/** Per-call context handed to every collect function. */
typedef struct psc_collect psc_collect;

/** The snapshot's time (ms since epoch), the same for every provider. */
PSC_API uint64_t psc_collect_now_ms(const psc_collect *ctx);

/**
 * Attach a reason to the failure that collect is about to return. The
 * text is copied (truncated to 255 bytes; bytes that are not valid UTF-8
 * become '?'). Never fails. Returns PSC_ERR_PROVIDER so a
 * provider can write `return psc_collect_fail(ctx, "db locked: %s", why);`.
 */
PSC_API psc_err psc_collect_fail(psc_collect *ctx, const char *fmt, ...) PSC_PRINTF(2, 3);

/* ------------------------------------------------------------------ swarm */

typedef struct psc_swarm_builder psc_swarm_builder;
/** A connection just added, to which streams can be added. */
typedef struct psc_conn_builder psc_conn_builder;

/**
 * Add a connection. id is required and must be unique among this
 * provider's connections (PSC_ERR_EXISTS otherwise). On success *out
 * (if out is not NULL) receives a handle to add its streams with.
 */
PSC_API psc_err psc_swarm_add_connection(psc_swarm_builder *b, const psc_connection *conn,
                                         psc_conn_builder **out);
/** Add a stream to a connection added in the same collect call. */
PSC_API psc_err psc_conn_add_stream(psc_conn_builder *cb, const psc_stream *stream);
/** Add a transport with its listen addresses. */
PSC_API psc_err psc_swarm_add_transport(psc_swarm_builder *b, const psc_transport *t);
/** Set the dialer's counters (last call wins). */
PSC_API psc_err psc_swarm_set_dialer(psc_swarm_builder *b, const psc_dialer *d);
/** List one dial in flight. */
PSC_API psc_err psc_swarm_add_dial(psc_swarm_builder *b, const psc_dial *d);
PSC_API psc_err psc_swarm_set_identify(psc_swarm_builder *b, const psc_identify *id);
PSC_API psc_err psc_swarm_set_relay(psc_swarm_builder *b, const psc_relay *r);
/** Set ping counters and add per-peer round trip times. */
PSC_API psc_err psc_swarm_set_ping(psc_swarm_builder *b, uint64_t pings_sent, uint64_t failures);
PSC_API psc_err psc_swarm_add_ping_peer(psc_swarm_builder *b, const psc_ping_peer *p);
/**
 * Set the node's total traffic (State.traffic). If no provider sets it,
 * the library reports the sum over all connections.
 */
PSC_API psc_err psc_swarm_set_traffic(psc_swarm_builder *b, const psc_traffic *t);

typedef struct psc_swarm_provider {
    size_t struct_size;  /**< sizeof(psc_swarm_provider) */
    const char *name;    /**< shown in provider errors; copied at registration */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_swarm_builder *b);
    /** Optional: called once after unregistration completes (user may be freed there). */
    void (*release)(void *user);
} psc_swarm_provider;

/* -------------------------------------------------------------------- dht */

typedef struct psc_dht_builder psc_dht_builder;

/** Describe the DHT (protocol, params, query counters). Required once per collect. */
PSC_API psc_err psc_dht_set_info(psc_dht_builder *b, const psc_dht *dht);
/** Add a routing-table peer to the bucket with common prefix length cpl (0..256). */
PSC_API psc_err psc_dht_add_peer(psc_dht_builder *b, uint32_t cpl, const psc_dht_peer *peer);
/** Make sure bucket cpl is listed even when it has no peers. */
PSC_API psc_err psc_dht_add_bucket(psc_dht_builder *b, uint32_t cpl);

typedef struct psc_dht_provider {
    size_t struct_size;
    const char *name;
    psc_err (*collect)(void *user, psc_collect *ctx, psc_dht_builder *b);
    void (*release)(void *user);
} psc_dht_provider;

/* ----------------------------------------------------------------- pubsub */

typedef struct psc_pubsub_builder psc_pubsub_builder;
typedef struct psc_topic_builder psc_topic_builder;

/** Router name ("gossipsub") and protocol ("/meshsub/1.1.0"). */
PSC_API psc_err psc_pubsub_set_router(psc_pubsub_builder *b, const char *router, const char *protocol);
PSC_API psc_err psc_pubsub_add_topic(psc_pubsub_builder *b, const psc_topic *t, psc_topic_builder **out);
PSC_API psc_err psc_topic_add_mesh_peer(psc_topic_builder *tb, const psc_mesh_peer *p);
PSC_API psc_err psc_topic_add_fanout_peer(psc_topic_builder *tb, const char *peer_id);

typedef struct psc_pubsub_provider {
    size_t struct_size;
    const char *name;
    psc_err (*collect)(void *user, psc_collect *ctx, psc_pubsub_builder *b);
    void (*release)(void *user);
} psc_pubsub_provider;

/* -------------------------------------------------------------- peerstore */

typedef struct psc_peerstore_builder psc_peerstore_builder;

PSC_API psc_err psc_peerstore_add_peer(psc_peerstore_builder *b, const psc_peer_info *p);

typedef struct psc_peerstore_provider {
    size_t struct_size;
    const char *name;
    psc_err (*collect)(void *user, psc_collect *ctx, psc_peerstore_builder *b);
    void (*release)(void *user);
} psc_peerstore_provider;

/* ------------------------------------------------------- resource manager */

typedef struct psc_rcmgr_builder psc_rcmgr_builder;

PSC_API psc_err psc_rcmgr_add_scope(psc_rcmgr_builder *b, const psc_resource_scope *s);

typedef struct psc_rcmgr_provider {
    size_t struct_size;
    const char *name;
    psc_err (*collect)(void *user, psc_collect *ctx, psc_rcmgr_builder *b);
    void (*release)(void *user);
} psc_rcmgr_provider;

/* ----------------------------------------------------------------- custom */

/** Named values of the host's own; they appear in a section named after the provider. */
typedef struct psc_custom_builder psc_custom_builder;

PSC_API psc_err psc_custom_add_number(psc_custom_builder *b, const char *name, double value);
PSC_API psc_err psc_custom_add_integer(psc_custom_builder *b, const char *name, int64_t value);
PSC_API psc_err psc_custom_add_text(psc_custom_builder *b, const char *name, const char *text);
/** json must be one complete, valid JSON value (PSC_ERR_INVALID otherwise). */
PSC_API psc_err psc_custom_add_json(psc_custom_builder *b, const char *name, const char *json);

typedef struct psc_custom_provider {
    size_t struct_size;
    const char *name; /**< required: the section's name */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_custom_builder *b);
    void (*release)(void *user);
} psc_custom_provider;

/* ----------------------------------------------------------- registration */

/*
 * Register a provider. vt is copied (it need not outlive the call); user is
 * passed to every callback. On success *out (if not NULL) is the handle for
 * psc_provider_unregister. Thread-safe; may be called while a snapshot runs
 * (the provider joins the next snapshot). The DHT provider registered first
 * fills State.subsystems.dht (left out of a snapshot in which it fails);
 * later ones go to additional_dhts; DHT.name defaults to the provider's
 * name. Custom providers need a non-empty name unique among custom
 * providers (PSC_ERR_EXISTS otherwise). Names must be valid UTF-8.
 */
PSC_API psc_err psc_register_swarm(psc_introspector *intro, const psc_swarm_provider *vt, void *user,
                                   psc_provider **out);
PSC_API psc_err psc_register_dht(psc_introspector *intro, const psc_dht_provider *vt, void *user,
                                 psc_provider **out);
PSC_API psc_err psc_register_pubsub(psc_introspector *intro, const psc_pubsub_provider *vt, void *user,
                                    psc_provider **out);
PSC_API psc_err psc_register_peerstore(psc_introspector *intro, const psc_peerstore_provider *vt,
                                       void *user, psc_provider **out);
PSC_API psc_err psc_register_rcmgr(psc_introspector *intro, const psc_rcmgr_provider *vt, void *user,
                                   psc_provider **out);
PSC_API psc_err psc_register_custom(psc_introspector *intro, const psc_custom_provider *vt, void *user,
                                    psc_provider **out);

/**
 * Unregister a provider. Blocks until a collect of this provider that is
 * in flight on another thread has returned; afterwards collect is never
 * called again, vt->release(user) has run, and the handle is freed.
 * Thread-safe from any thread EXCEPT from inside this provider's own
 * collect (PSC_ERR_STATE). NULL gives PSC_ERR_INVALID.
 */
PSC_API psc_err psc_provider_unregister(psc_provider *p);

#ifdef __cplusplus
}
#endif

#endif

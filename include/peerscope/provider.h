/*
 * peerscope: data providers and the builders they fill.
 *
 * Pull or push: the providers below are called at snapshot time, on a
 * collector thread of the library, and read the host's state there. A host whose state
 * lives on a thread that must never wait (an event loop, a JavaScript
 * engine), or that learns of changes as events anyway, pushes them instead
 * into a psc_table (table.h), whose own providers report them. Both can be
 * used side by side: each section merges what every provider reported.
 *
 * A provider is a const vtable plus a `void *user` that the host registers
 * for one subsystem. At snapshot time the introspector calls its collect
 * function with a typed builder; the provider appends what it sees with the
 * psc_*_add / psc_*_set calls below (plain structs from model.h; every
 * string and array is copied). collect runs on a collector thread while
 * the thread that asked for the snapshot (an endpoint's service thread, or
 * the host's own) waits for it, never two at once: snapshots of one
 * introspector are serialised, so no two collects of it overlap. With
 * psc_config.collect_timeout_ms = PSC_COLLECT_INLINE it runs on the asking
 * thread itself.
 *
 * A collect that does not return within the deadline
 * (psc_config.collect_timeout_ms, 2 s by default) is left running: the
 * snapshot goes out without that provider's section and with a
 * ProviderError "timeout", and every snapshot skips the provider, with the
 * same error, until that collect returns (what it appended is then
 * discarded). Events and the other providers are not held up.
 * Unregistering the provider, and freeing the introspector, wait for the
 * late collect to return.
 *
 * If collect returns an error (optionally after psc_collect_fail with a
 * reason), everything it appended in that call is discarded, the error is
 * recorded in State.provider_errors, and the rest of the snapshot is
 * produced as usual. The entities it reported the previous time are NOT
 * taken as closed. An error a builder call returns is the provider's to
 * handle: return it (the section is then left out) or go on without that
 * entry.
 *
 * Builders, handles (psc_conn_builder, psc_topic_builder) and collect
 * contexts are valid only during the collect call that received them.
 * Builder calls are not thread-safe: call them from collect's thread only.
 * A handle kept from an earlier collect of the same snapshot gives
 * PSC_ERR_STATE; anything kept past the snapshot must not be used at all
 * (it points into memory that is gone).
 *
 * Strings must be valid UTF-8 (protobuf strings are; a strict decoder
 * would reject the whole State otherwise): anything else is
 * PSC_ERR_INVALID. Every builder call returns PSC_ERR_INVALID for a NULL
 * builder or struct, a struct_size below sizeof(size_t) or below the
 * required fields that model.h names, a byte length without its pointer,
 * an array count without its array or with a NULL element, and
 * PSC_ERR_NOMEM when memory runs out; a call that fails appends nothing.
 *
 * Caps against absurd data: a string or byte field over PSC_MAX_TEXT bytes
 * is PSC_ERR_TOO_BIG (and is not read past the cap), as is every entity
 * past psc_config.max_entities_per_collect in one collect; the section then
 * keeps what came before the cap and a ProviderError (code
 * PSC_ERR_TOO_BIG) says how many were left out. A duplicate connection id
 * is PSC_ERR_EXISTS.
 *
 * What collect may call: the builder and psc_collect_* functions, psc_emit,
 * the state view of messages it holds, psc_register_* and
 * psc_provider_unregister of OTHER providers. psc_introspector_snapshot
 * and psc_provider_unregister of itself give PSC_ERR_STATE; it must not
 * call psc_introspector_free, psc_endpoint_close or psc_endpoint_free.
 *
 * Several providers of one kind: connections, transports, dials and ping
 * peers are concatenated; dialer, identify, relay, ping and traffic
 * counters are summed over providers (within one provider the last call
 * wins); pubsub topic lists are concatenated and the router comes from
 * the first provider that sets it.
 */
#ifndef PEERSCOPE_PROVIDER_H
#define PEERSCOPE_PROVIDER_H

#include "peerscope/common.h"
#include "peerscope/model.h"

/** Longest string or byte field a builder copies (64 KiB). */
#define PSC_MAX_TEXT 65536u

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;

/** Handle of a registered provider; valid until psc_provider_unregister or psc_introspector_free. */
typedef struct psc_provider psc_provider;

/** Per-call context handed to every collect function. */
typedef struct psc_collect psc_collect;

/**
 * The snapshot's time (ms since epoch), the same for every provider of one
 * snapshot (0 for NULL). Collect's thread only.
 */
PSC_API uint64_t psc_collect_now_ms(const psc_collect *ctx);

/**
 * Attach a reason to the failure that collect is about to return; it
 * replaces psc_strerror's text in State.provider_errors. The text is
 * formatted and copied (truncated to 255 bytes; bytes that are not valid
 * UTF-8 become '?'); a later call replaces it. Never fails. Returns
 * PSC_ERR_PROVIDER (also for a NULL ctx or fmt, which record nothing) so a
 * provider can write `return psc_collect_fail(ctx, "db locked: %s", why);`.
 * Collect's thread only.
 */
PSC_API psc_err psc_collect_fail(psc_collect *ctx, const char *fmt, ...) PSC_PRINTF(2, 3);

/* ------------------------------------------------------------------ swarm */

/** What a swarm provider's collect fills: connections and the swarm's counters. */
typedef struct psc_swarm_builder psc_swarm_builder;
/** A connection just added, to which streams can be added. */
typedef struct psc_conn_builder psc_conn_builder;

/**
 * Add a connection.
 * Errors: PSC_ERR_INVALID (see the top) also for a missing id or a status
 * or role out of range; PSC_ERR_EXISTS when this
 * provider already added a connection with the same id in this collect.
 * Ownership: everything conn points to is copied. On success *out (if out
 * is not NULL) receives a handle to add its streams with, owned by the
 * snapshot and valid until this collect returns.
 * Collect's thread only.
 */
PSC_API psc_err psc_swarm_add_connection(psc_swarm_builder *b, const psc_connection *conn,
                                         psc_conn_builder **out);

/**
 * Add a stream to a connection added in the same collect call. Stream ids
 * are not checked for uniqueness.
 * Errors: PSC_ERR_INVALID (see the top) also for a missing id or a status
 * or role out of range; PSC_ERR_STATE for a handle
 * from an earlier collect of this snapshot.
 * Ownership: everything stream points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_conn_add_stream(psc_conn_builder *cb, const psc_stream *stream);

/**
 * Add a transport with its listen addresses.
 * Errors: PSC_ERR_INVALID (see the top); PSC_ERR_NOMEM.
 * Ownership: everything t points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_add_transport(psc_swarm_builder *b, const psc_transport *t);

/**
 * Set the dialer's counters (within one collect the last call wins).
 * Errors: PSC_ERR_INVALID (see the top).
 * Ownership: *d is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_set_dialer(psc_swarm_builder *b, const psc_dialer *d);

/**
 * List one dial in flight (Dialer.dials).
 * Errors: PSC_ERR_INVALID (see the top); PSC_ERR_NOMEM.
 * Ownership: everything d points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_add_dial(psc_swarm_builder *b, const psc_dial *d);

/**
 * Set the identify counters (within one collect the last call wins).
 * Errors: PSC_ERR_INVALID (see the top).
 * Ownership: *id is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_set_identify(psc_swarm_builder *b, const psc_identify *id);

/**
 * Set the relay and hole punching counters (within one collect the last
 * call wins).
 * Errors: PSC_ERR_INVALID (see the top).
 * Ownership: *r is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_set_relay(psc_swarm_builder *b, const psc_relay *r);

/**
 * Set the ping counters: pings sent and failed (within one collect the
 * last call wins).
 * Errors: PSC_ERR_INVALID for a NULL b. Collect's thread only.
 */
PSC_API psc_err psc_swarm_set_ping(psc_swarm_builder *b, uint64_t pings_sent, uint64_t failures);

/**
 * Add one peer's round trip times (Ping.peers).
 * Errors: PSC_ERR_INVALID (see the top) also for a NULL peer_id;
 * PSC_ERR_NOMEM.
 * Ownership: everything p points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_add_ping_peer(psc_swarm_builder *b, const psc_ping_peer *p);

/**
 * Set the node's total traffic (State.traffic; within one collect the last
 * call wins). If no provider sets it, the library reports the sum over all
 * connections.
 * Errors: PSC_ERR_INVALID for a NULL argument.
 * Ownership: *t is copied. Collect's thread only.
 */
PSC_API psc_err psc_swarm_set_traffic(psc_swarm_builder *b, const psc_traffic *t);

/** Vtable of a swarm provider; copied by psc_register_swarm. */
typedef struct psc_swarm_provider {
    size_t struct_size;  /**< sizeof(psc_swarm_provider); must cover collect */
    const char *name;    /**< shown in provider errors; may be NULL; copied at registration */
    /**
     * Required. Report the swarm into b, at snapshot time, on a collector
     * thread (see the top for where it runs and what it may call). Return
     * PSC_OK, or an error to have this call's contributions discarded and
     * recorded as a provider error.
     */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_swarm_builder *b);
    /**
     * Optional: called once, after unregistration completed (collect is
     * never called again and none is running), on the thread calling
     * psc_provider_unregister or psc_introspector_free; user may be freed
     * there. Called from psc_introspector_free, it must not call into
     * that introspector.
     */
    void (*release)(void *user);
} psc_swarm_provider;

/* -------------------------------------------------------------------- dht */

/** What a DHT provider's collect fills: the table's description and its peers. */
typedef struct psc_dht_builder psc_dht_builder;

/**
 * Describe the DHT (name, protocol, params, query counters). Call it once
 * per collect. That is not enforced: a DHT without it is reported without
 * protocol, params or counters (enabled false), and a second call
 * replaces the first.
 * Errors: PSC_ERR_INVALID (see the top).
 * Ownership: everything dht points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_dht_set_info(psc_dht_builder *b, const psc_dht *dht);

/**
 * Add a routing-table peer to the bucket with common prefix length cpl
 * (0..256), creating the bucket if needed.
 * Errors: PSC_ERR_INVALID (see the top) also for cpl over 256, a NULL
 * peer_id or a status out of range; PSC_ERR_NOMEM.
 * Ownership: everything peer points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_dht_add_peer(psc_dht_builder *b, uint32_t cpl, const psc_dht_peer *peer);

/**
 * Make sure bucket cpl (0..256) is listed even when it has no peers.
 * Errors: PSC_ERR_INVALID for a NULL b or cpl over 256; PSC_ERR_NOMEM.
 * Collect's thread only.
 */
PSC_API psc_err psc_dht_add_bucket(psc_dht_builder *b, uint32_t cpl);

/**
 * Vtable of a DHT provider; copied by psc_register_dht. Members as in
 * psc_swarm_provider; collect fills a psc_dht_builder.
 */
typedef struct psc_dht_provider {
    size_t struct_size;  /**< sizeof(psc_dht_provider); must cover collect */
    const char *name;    /**< shown in provider errors and the default DHT.name; may be NULL; copied */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_dht_builder *b); /**< required; as psc_swarm_provider.collect */
    void (*release)(void *user); /**< optional; as psc_swarm_provider.release */
} psc_dht_provider;

/* ----------------------------------------------------------------- pubsub */

/** What a pubsub provider's collect fills: the router and its topics. */
typedef struct psc_pubsub_builder psc_pubsub_builder;
/** A topic just added, to which mesh and fanout peers can be added. */
typedef struct psc_topic_builder psc_topic_builder;

/**
 * Router name ("gossipsub") and protocol ("/meshsub/1.1.0"); either may be
 * NULL (absent). Within one collect the last call wins; over several
 * providers, the first that sets it.
 * Errors: PSC_ERR_INVALID for a NULL b or a string that is not UTF-8;
 * PSC_ERR_NOMEM.
 * Ownership: both strings are copied. Collect's thread only.
 */
PSC_API psc_err psc_pubsub_set_router(psc_pubsub_builder *b, const char *router, const char *protocol);

/**
 * Add a topic. Topic names are not checked for uniqueness.
 * Errors: PSC_ERR_INVALID (see the top) also for a NULL name; PSC_ERR_NOMEM.
 * Ownership: everything t points to is copied. On success *out (if out is
 * not NULL) receives a handle to add the topic's peers with, valid until
 * this collect returns. Collect's thread only.
 */
PSC_API psc_err psc_pubsub_add_topic(psc_pubsub_builder *b, const psc_topic *t, psc_topic_builder **out);

/**
 * Add a peer of the topic's mesh.
 * Errors: PSC_ERR_INVALID (see the top) also for a NULL peer_id;
 * PSC_ERR_STATE for a handle from an earlier collect of this snapshot;
 * PSC_ERR_NOMEM.
 * Ownership: everything p points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_topic_add_mesh_peer(psc_topic_builder *tb, const psc_mesh_peer *p);

/**
 * Add a fanout peer of the topic (a peer we publish to without being
 * subscribed).
 * Errors: PSC_ERR_INVALID for a NULL argument or a peer_id that is not
 * UTF-8; PSC_ERR_STATE as psc_topic_add_mesh_peer; PSC_ERR_NOMEM.
 * Ownership: peer_id is copied. Collect's thread only.
 */
PSC_API psc_err psc_topic_add_fanout_peer(psc_topic_builder *tb, const char *peer_id);

/**
 * Vtable of a pubsub provider; copied by psc_register_pubsub. Members as
 * in psc_swarm_provider; collect fills a psc_pubsub_builder.
 */
typedef struct psc_pubsub_provider {
    size_t struct_size;  /**< sizeof(psc_pubsub_provider); must cover collect */
    const char *name;    /**< shown in provider errors; may be NULL; copied */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_pubsub_builder *b); /**< required; as psc_swarm_provider.collect */
    void (*release)(void *user); /**< optional; as psc_swarm_provider.release */
} psc_pubsub_provider;

/* -------------------------------------------------------------- peerstore */

/** What a peerstore provider's collect fills. */
typedef struct psc_peerstore_builder psc_peerstore_builder;

/**
 * Add a peerstore entry.
 * Errors: PSC_ERR_INVALID (see the top) also for a NULL peer_id or a tag
 * without a name; PSC_ERR_NOMEM.
 * Ownership: everything p points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_peerstore_add_peer(psc_peerstore_builder *b, const psc_peer_info *p);

/**
 * Vtable of a peerstore provider; copied by psc_register_peerstore.
 * Members as in psc_swarm_provider; collect fills a psc_peerstore_builder.
 */
typedef struct psc_peerstore_provider {
    size_t struct_size;  /**< sizeof(psc_peerstore_provider); must cover collect */
    const char *name;    /**< shown in provider errors; may be NULL; copied */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_peerstore_builder *b); /**< required; as psc_swarm_provider.collect */
    void (*release)(void *user); /**< optional; as psc_swarm_provider.release */
} psc_peerstore_provider;

/* ------------------------------------------------------- resource manager */

/** What a resource-manager provider's collect fills. */
typedef struct psc_rcmgr_builder psc_rcmgr_builder;

/**
 * Add a resource scope with its usage and limits.
 * Errors: PSC_ERR_INVALID (see the top) also for a kind out of range;
 * PSC_ERR_NOMEM.
 * Ownership: everything s points to is copied. Collect's thread only.
 */
PSC_API psc_err psc_rcmgr_add_scope(psc_rcmgr_builder *b, const psc_resource_scope *s);

/**
 * Vtable of a resource-manager provider; copied by psc_register_rcmgr.
 * Members as in psc_swarm_provider; collect fills a psc_rcmgr_builder.
 */
typedef struct psc_rcmgr_provider {
    size_t struct_size;  /**< sizeof(psc_rcmgr_provider); must cover collect */
    const char *name;    /**< shown in provider errors; may be NULL; copied */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_rcmgr_builder *b); /**< required; as psc_swarm_provider.collect */
    void (*release)(void *user); /**< optional; as psc_swarm_provider.release */
} psc_rcmgr_provider;

/* ----------------------------------------------------------------- custom */

/**
 * Named values of the host's own. They appear in a section named after the
 * provider: State.subsystems.custom[] is one CustomSection {name, values[]}
 * per custom provider, each value {name, and one of number, integer, text,
 * json}, in the order added. Value names are not checked for uniqueness.
 */
typedef struct psc_custom_builder psc_custom_builder;

/**
 * Add a floating-point value (CustomSection.Value.number).
 * Errors: PSC_ERR_INVALID for a NULL b or name or a name that is not
 * UTF-8; PSC_ERR_NOMEM.
 * Ownership: name is copied. Collect's thread only.
 */
PSC_API psc_err psc_custom_add_number(psc_custom_builder *b, const char *name, double value);

/**
 * Add an integer value (CustomSection.Value.integer, an int64).
 * Errors and ownership as psc_custom_add_number. Collect's thread only.
 */
PSC_API psc_err psc_custom_add_integer(psc_custom_builder *b, const char *name, int64_t value);

/**
 * Add a text value (CustomSection.Value.text).
 * Errors: PSC_ERR_INVALID for a NULL argument or a name or text that is
 * not UTF-8; PSC_ERR_NOMEM.
 * Ownership: name and text are copied. Collect's thread only.
 */
PSC_API psc_err psc_custom_add_text(psc_custom_builder *b, const char *name, const char *text);

/**
 * Add a JSON value (CustomSection.Value.json), which must be one complete,
 * valid JSON value.
 * Errors: PSC_ERR_INVALID for a NULL argument, a json that is not valid
 * JSON, or a name that is not UTF-8; PSC_ERR_NOMEM.
 * Ownership: name and json are copied. Collect's thread only.
 */
PSC_API psc_err psc_custom_add_json(psc_custom_builder *b, const char *name, const char *json);

/**
 * Vtable of a custom provider; copied by psc_register_custom. Members as
 * in psc_swarm_provider; collect fills a psc_custom_builder.
 */
typedef struct psc_custom_provider {
    size_t struct_size;  /**< sizeof(psc_custom_provider); must cover collect */
    const char *name;    /**< required: the section's name, non-empty and unique among custom providers; copied */
    psc_err (*collect)(void *user, psc_collect *ctx, psc_custom_builder *b); /**< required; as psc_swarm_provider.collect */
    void (*release)(void *user); /**< optional; as psc_swarm_provider.release */
} psc_custom_provider;

/* ----------------------------------------------------------- registration */

/*
 * Every psc_register_* works the same way. Errors: PSC_ERR_INVALID for a
 * NULL intro or vt, a vt->struct_size that does not cover collect, a NULL
 * collect, or a name that is not UTF-8; PSC_ERR_NOMEM. release is read
 * only when struct_size covers it. Ownership: vt is copied (it need not
 * outlive the call; its name too); user is the caller's, passed to every
 * callback until release. On success *out (if not NULL) is the handle for
 * psc_provider_unregister, owned by the introspector. Thread-safe; may be
 * called while a snapshot runs, and from inside another provider's
 * collect (the provider joins the next snapshot).
 */

/**
 * Register a swarm provider: connections, streams, transports, dialer,
 * identify, relay, ping and traffic. Errors, ownership and threads as
 * described above.
 */
PSC_API psc_err psc_register_swarm(psc_introspector *intro, const psc_swarm_provider *vt, void *user,
                                   psc_provider **out);

/**
 * Register a DHT provider. The DHT provider registered first fills
 * State.subsystems.dht (left out of a snapshot in which it fails); later
 * ones go to additional_dhts; DHT.name defaults to the provider's name.
 * Errors, ownership and threads as described above.
 */
PSC_API psc_err psc_register_dht(psc_introspector *intro, const psc_dht_provider *vt, void *user,
                                 psc_provider **out);

/**
 * Register a pubsub provider. Errors, ownership and threads as described
 * above.
 */
PSC_API psc_err psc_register_pubsub(psc_introspector *intro, const psc_pubsub_provider *vt, void *user,
                                    psc_provider **out);

/**
 * Register a peerstore provider. Errors, ownership and threads as
 * described above.
 */
PSC_API psc_err psc_register_peerstore(psc_introspector *intro, const psc_peerstore_provider *vt,
                                       void *user, psc_provider **out);

/**
 * Register a resource-manager provider. Errors, ownership and threads as
 * described above.
 */
PSC_API psc_err psc_register_rcmgr(psc_introspector *intro, const psc_rcmgr_provider *vt, void *user,
                                   psc_provider **out);

/**
 * Register a custom provider: one CustomSection named vt->name. Besides
 * the errors described above: PSC_ERR_INVALID for a NULL or empty name,
 * PSC_ERR_EXISTS when a custom provider of that name is registered.
 * Ownership and threads as described above.
 */
PSC_API psc_err psc_register_custom(psc_introspector *intro, const psc_custom_provider *vt, void *user,
                                    psc_provider **out);

/**
 * Unregister a provider. Blocks until a collect of this provider that is
 * in flight on another thread has returned; afterwards collect is never
 * called again, vt->release(user) has run on this thread, and the handle
 * is freed (do not use it again).
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_STATE from inside this
 * provider's own collect, or while another thread is unregistering it.
 * Thread-safe from any thread (including other providers' collect), but
 * the handle must not be used after a successful unregister or
 * psc_introspector_free.
 */
PSC_API psc_err psc_provider_unregister(psc_provider *p);

#ifdef __cplusplus
}
#endif

#endif

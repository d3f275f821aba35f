/*
 * peerscope: the introspector, the object a host creates once.
 *
 * It holds the registry of data providers, the event types and the event
 * ring, and produces State snapshots and the Runtime message on demand.
 * Endpoints (see endpoint.h) serve what it produces to clients.
 */
#ifndef PEERSCOPE_INTROSPECTOR_H
#define PEERSCOPE_INTROSPECTOR_H

#include "peerscope/common.h"
#include "peerscope/message.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;

/** What the Runtime message says about the host. All strings are copied. */
typedef struct psc_runtime_info {
    const char *implementation; /**< e.g. "my-node"; NULL gives "" */
    const char *version;        /**< the host's version; NULL gives "" */
    const char *platform;       /**< NULL: the library fills in "os/arch" */
    const char *peer_id;        /**< the host's peer id, if known yet; see psc_introspector_set_peer_id */
} psc_runtime_info;

/**
 * Introspector configuration. Initialise with PSC_CONFIG_INIT (which sets
 * struct_size) and then set what you need; zero means "default" everywhere.
 * The struct and everything it points to is copied by psc_introspector_new.
 */
typedef struct psc_config {
    size_t struct_size;             /**< sizeof(psc_config), for ABI growth */
    const psc_allocator *allocator; /**< NULL: malloc/free */
    const psc_clock *clock;         /**< NULL: system clocks */
    psc_runtime_info runtime;
    psc_log_fn log;                 /**< NULL: silent */
    void *log_user;
    psc_log_level log_level;        /**< messages above this level are not formatted */
    size_t event_ring_capacity;     /**< events held for readers; 0: 4096; rounded up to a power of two, at most 2^20 */
    size_t max_event_size;          /**< max bytes of one event's JSON content; 0: 1024; at most 65536 */
} psc_config;

#define PSC_CONFIG_INIT {.struct_size = sizeof(psc_config), .log_level = PSC_LOG_WARN}

/**
 * Create an introspector. config may be NULL for all defaults.
 * Thread-safe (no shared state). On success *out owns a new object that the
 * caller frees with psc_introspector_free.
 */
PSC_API psc_err psc_introspector_new(const psc_config *config, psc_introspector **out);

/**
 * Destroy an introspector: closes every endpoint still attached to it,
 * unregisters every provider (waiting for in-flight collects) and frees
 * everything. Messages (psc_msg) obtained earlier stay valid until unref'd.
 * NULL is a no-op. Must not race with any other call on the same object.
 */
PSC_API void psc_introspector_free(psc_introspector *intro);

/**
 * Set or change the peer id reported in Runtime (hosts often learn it after
 * start). The string is copied; it is not validated (see peerid.h for that).
 * Thread-safe.
 */
PSC_API psc_err psc_introspector_set_peer_id(psc_introspector *intro, const char *peer_id);

/**
 * Collect from every registered provider and encode one
 * ServerMessage{state}. A provider that fails is recorded in
 * State.provider_errors and its section is left out; the call still succeeds.
 * Connections and streams that disappeared since the previous snapshot are
 * reported once more with status CLOSED and close_ts, then dropped. One
 * that the provider itself reported CLOSED is not repeated when it then
 * disappears. Entities of a provider whose collect fails are not taken as
 * closed; those of an unregistered provider simply vanish.
 * On success *out is a new reference (psc_msg_unref it).
 * Thread-safe; concurrent calls are serialised (each gets its own snapshot).
 * From inside a provider callback: PSC_ERR_STATE. A STATE message keeps
 * its entity records alive for the view (about 2-3x the payload size), so
 * consumers that queue messages should bound them by bytes.
 */
PSC_API psc_err psc_introspector_snapshot(psc_introspector *intro, psc_msg **out);

/**
 * A delta state: ServerMessage{state} with State.delta set, holding what
 * changed from base to cur, exactly what the endpoint sends to sessions
 * that asked for delta states (Configuration.delta_states). base and cur
 * must both be full states made by psc_introspector_snapshot of intro,
 * base the older. State.delta.base_seq is base's seq; every other State
 * field is cur's; a client holding base rebuilds cur from it exactly. Built
 * from the encoded bytes of both messages (nothing is encoded twice), so
 * one delta serves every consumer whose previous state is base.
 * PSC_ERR_UNSUPPORTED when a delta cannot describe the change exactly (a
 * key repeats within one list): send cur whole. PSC_ERR_INVALID when a
 * message is not such a full state (a delta itself, a decoded message, a
 * message of another kind). PSC_ERR_NOMEM. On success *out is a new
 * reference (psc_msg_unref it); base and cur are only read.
 * Thread-safe; does not wait for snapshots.
 */
PSC_API psc_err psc_introspector_state_delta(psc_introspector *intro, psc_msg *base, psc_msg *cur, psc_msg **out);

/**
 * Encode ServerMessage{runtime}: the runtime info and every event type
 * declared so far with its property metadata. On success *out is a new
 * reference. Thread-safe.
 */
PSC_API psc_err psc_introspector_runtime(psc_introspector *intro, psc_msg **out);

/** Wall-clock milliseconds from the introspector's clock. Thread-safe. */
PSC_API uint64_t psc_introspector_now_ms(const psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

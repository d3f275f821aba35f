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

/** The introspector: one per host, created by psc_introspector_new. */
typedef struct psc_introspector psc_introspector;

/**
 * What the Runtime message says about the host. Every string is copied by
 * psc_introspector_new and must be valid UTF-8 (PSC_ERR_INVALID otherwise).
 */
typedef struct psc_runtime_info {
    const char *implementation; /**< e.g. "my-node"; NULL gives "" */
    const char *version;        /**< the host's version; NULL gives "" */
    const char *platform;       /**< NULL: the library fills in "os/arch" from uname, lower case */
    const char *peer_id;        /**< the host's peer id, if known yet (NULL gives ""); see psc_introspector_set_peer_id */
} psc_runtime_info;

/**
 * Introspector configuration. Initialise with PSC_CONFIG_INIT (which sets
 * struct_size and log_level) and then set what you need; zero means
 * "default" everywhere else. The struct and everything it points to is
 * copied by psc_introspector_new (the allocator's and clock's functions are
 * called later, see common.h). From C++: `psc_config cfg{};
 * cfg.struct_size = sizeof cfg; cfg.log_level = PSC_LOG_WARN;`.
 */
typedef struct psc_config {
    size_t struct_size;             /**< sizeof(psc_config), for ABI growth */
    const psc_allocator *allocator; /**< NULL: malloc/free */
    const psc_clock *clock;         /**< NULL: system clocks */
    psc_runtime_info runtime;       /**< what Runtime reports */
    psc_log_fn log;                 /**< NULL: silent */
    void *log_user;                 /**< passed to log */
    psc_log_level log_level;        /**< lines above this level are not formatted; 0 is PSC_LOG_ERROR, PSC_CONFIG_INIT sets PSC_LOG_WARN */
    size_t event_ring_capacity;     /**< events held for readers; 0: 4096; rounded up to a power of two, at most 2^20 */
    size_t max_event_size;          /**< max bytes of one event's JSON content; 0: 1024; at most 65536 */
    /**
     * Deadline of one provider's collect, in ms; 0: PSC_COLLECT_TIMEOUT_DEFAULT.
     * Collects run on a collector thread of the library; one that misses
     * the deadline leaves the snapshot without its section (a
     * ProviderError "timeout"), and the provider is skipped, with that
     * error, until its collect returns. PSC_COLLECT_INLINE: no deadline,
     * collects run on the thread taking the snapshot (no extra thread).
     */
    uint32_t collect_timeout_ms;
    /**
     * Entities (connections, streams, peers, topics, scopes, values...) one
     * collect may add; 0: PSC_MAX_ENTITIES_DEFAULT. Builder calls past it
     * return PSC_ERR_TOO_BIG, and the section, cut there, comes with a
     * ProviderError of code PSC_ERR_TOO_BIG saying how many were left out.
     */
    size_t max_entities_per_collect;
    /**
     * A cap on the bytes the library holds through its allocator (event
     * ring, states and their records, pooled buffers, session queues,
     * recorder, everything); 0: none. An allocation past it fails as out
     * of memory, which the library meets by dropping what it cannot keep
     * (a state, events for a slow session, with notices) rather than by
     * failing the host. The ring is allocated at creation: a cap below it
     * fails psc_introspector_new. See psc_introspector_memory.
     */
    size_t max_memory_bytes;
} psc_config;

#define PSC_MAX_ENTITIES_DEFAULT 500000u
#define PSC_COLLECT_TIMEOUT_DEFAULT 2000u
#define PSC_COLLECT_INLINE UINT32_MAX

#define PSC_CONFIG_INIT {.struct_size = sizeof(psc_config), .log_level = PSC_LOG_WARN}

/**
 * Create an introspector. config may be NULL for all defaults (log level
 * PSC_LOG_WARN, as PSC_CONFIG_INIT).
 * Errors: PSC_ERR_INVALID for a NULL out, a struct_size below
 * sizeof(size_t), a log_level above PSC_LOG_DEBUG or a runtime string that
 * is not UTF-8; PSC_ERR_NOMEM. Values of event_ring_capacity and
 * max_event_size above their maximum are lowered to it.
 * Ownership: config is copied (strings included); on success *out owns a
 * new object that the caller frees with psc_introspector_free.
 * Thread-safe (no shared state).
 */
PSC_API psc_err psc_introspector_new(const psc_config *config, psc_introspector **out);

/**
 * Destroy an introspector: closes every endpoint still attached to it
 * (each must still be freed with psc_endpoint_free), unregisters every
 * provider (each release runs here, on this thread) and frees everything
 * else. Every psc_event_reader of it must have been freed before.
 * Ownership: messages (psc_msg) obtained earlier stay valid until
 * unref'd; their memory goes back through the configured allocator, which
 * must outlive them. Handles (psc_provider, psc_event_type) die here.
 * NULL is a no-op. Not thread-safe against any other call on intro, and
 * not from a provider, log or endpoint callback.
 */
PSC_API void psc_introspector_free(psc_introspector *intro);

/** What the library holds (psc_introspector_memory). */
typedef struct psc_memory_stats {
    size_t struct_size;          /**< set by the caller: sizeof(psc_memory_stats) */
    size_t held_bytes;           /**< held now, by this introspector and what it made (messages, sessions) */
    size_t peak_bytes;           /**< the most held at once */
    size_t limit_bytes;          /**< psc_config.max_memory_bytes; 0: none */
    uint64_t refused_allocations;/**< allocations refused for going over it */
} psc_memory_stats;

/**
 * Fill *out (up to out->struct_size) with what the library holds. Bytes
 * are those asked for, without the allocator's own overhead; memory of
 * messages that outlive intro is not reported after it is freed.
 * Errors: PSC_ERR_INVALID for NULL arguments or a struct_size below
 * sizeof(size_t). Thread-safe (the figures are read without a lock and
 * may be a moment apart).
 */
PSC_API psc_err psc_introspector_memory(const psc_introspector *intro, psc_memory_stats *out);

/**
 * Set or change the peer id reported in Runtime (hosts often learn it after
 * start); the next psc_introspector_runtime reports it. It is checked to be
 * UTF-8, not to be a peer id (psc_peerid_is_valid does that).
 * Errors: PSC_ERR_INVALID for a NULL intro or peer_id or one that is not
 * UTF-8; PSC_ERR_NOMEM (the old value stays).
 * Ownership: the string is copied. Thread-safe.
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
 * closed; those of an unregistered provider simply vanish. A snapshot that
 * fails changes nothing (the next one gets the same sequence number). A
 * provider whose collect misses psc_config.collect_timeout_ms is left out
 * with a ProviderError "timeout" (provider.h); the call then takes up to
 * that much longer, once per hung provider.
 * Errors: PSC_ERR_INVALID for NULL arguments; PSC_ERR_STATE from inside a
 * provider's collect (where it would deadlock); PSC_ERR_NOMEM; PSC_ERR_TOO_BIG for a state over 4 GiB;
 * PSC_ERR_INTERNAL if the encoder broke its own size invariant (a bug, logged).
 * Ownership: on success *out is a new reference (psc_msg_unref it); it
 * stays valid after psc_introspector_free. A STATE message keeps its
 * entity records alive for the view (about 2-3x the payload size), so
 * consumers that queue messages should bound them by bytes.
 * Thread-safe; concurrent calls are serialised (each gets its own
 * snapshot, and providers are never called concurrently).
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
 * Errors: PSC_ERR_UNSUPPORTED when a delta cannot describe the change
 * exactly (a key repeats within one list): send cur whole;
 * PSC_ERR_INVALID for NULL arguments or a message that is not such a full
 * state (a delta itself, a decoded message, a message of another kind);
 * PSC_ERR_NOMEM; PSC_ERR_INTERNAL if the encoder broke its own size
 * invariant (a bug, logged).
 * Ownership: base and cur are only read; on success *out is a new
 * reference (psc_msg_unref it).
 * Thread-safe; does not wait for snapshots.
 */
PSC_API psc_err psc_introspector_state_delta(psc_introspector *intro, psc_msg *base, psc_msg *cur, psc_msg **out);

/**
 * Encode ServerMessage{runtime}: the runtime info, the library version,
 * the introspector's start time, the optional features served
 * (capabilities) and every event type declared so far with its property
 * metadata.
 * Errors: PSC_ERR_INVALID for NULL arguments; PSC_ERR_NOMEM;
 * PSC_ERR_INTERNAL if the encoder broke its own size invariant (a bug, logged).
 * Ownership: on success *out is a new reference (psc_msg_unref it).
 * Thread-safe.
 */
PSC_API psc_err psc_introspector_runtime(psc_introspector *intro, psc_msg **out);

/**
 * Wall-clock milliseconds since the Unix epoch from the introspector's
 * clock (0 for NULL). Thread-safe.
 */
PSC_API uint64_t psc_introspector_now_ms(const psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

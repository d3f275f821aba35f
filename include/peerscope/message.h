/*
 * peerscope: encoded server messages (psc_msg) and the in-process view of
 * a State.
 *
 * A psc_msg is one immutable, reference-counted, encoded ServerMessage
 * (state, runtime, event, ...). One message is shared by every consumer:
 * encode once, send many. Its bytes are laid out so that the 12-byte wire
 * header sits right in front of the payload (psc_msg_framed), with spare
 * room before that for transports that need headroom.
 */
#ifndef PEERSCOPE_MESSAGE_H
#define PEERSCOPE_MESSAGE_H

#include "peerscope/common.h"
#include "peerscope/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One immutable, reference-counted, encoded ServerMessage. */
typedef struct psc_msg psc_msg;

/** What a message carries; the values are the ServerMessage.payload field numbers. */
typedef enum psc_msg_kind {
    PSC_MSG_STATE = 2,    /**< State: a full snapshot, or a delta (State.delta set) for sessions that asked */
    PSC_MSG_RUNTIME = 3,  /**< Runtime */
    PSC_MSG_EVENT = 4,    /**< Event */
    PSC_MSG_RESPONSE = 5, /**< CommandResponse */
    PSC_MSG_NOTICE = 6,   /**< ServerNotice */
} psc_msg_kind;

/** Bytes of headroom available in front of psc_msg_framed(). */
#define PSC_MSG_HEADROOM 16u
/** Length of the wire header (version, FNV-1a, length). */
#define PSC_FRAME_HEADER_LEN 12u

/**
 * Take another reference to msg and return it (NULL gives NULL).
 * Ownership: the caller owns the new reference and drops it with
 * psc_msg_unref. Thread-safe.
 */
PSC_API psc_msg *psc_msg_ref(psc_msg *msg);

/**
 * Drop a reference; the last one frees the message (through the allocator
 * of the introspector that made it, even after that introspector was
 * freed). NULL is a no-op. Thread-safe.
 */
PSC_API void psc_msg_unref(psc_msg *msg);

/** What the message carries. msg must not be NULL. Thread-safe. */
PSC_API psc_msg_kind psc_msg_get_kind(const psc_msg *msg);

/**
 * The serialized ServerMessage (no header); its length goes to *len (len
 * may be NULL). msg must not be NULL. Ownership: the bytes belong to the
 * message and stay valid while a reference is held; never write them.
 * Thread-safe.
 */
PSC_API const uint8_t *psc_msg_payload(const psc_msg *msg, size_t *len);

/**
 * The 12-byte header followed by the payload, exactly as one WebSocket
 * message of the 2020 protocol; the length goes to *len (len may be NULL).
 * PSC_MSG_HEADROOM writable-by-nobody bytes precede it in the same
 * allocation (transports may rely on them being there but must not write
 * them: the message is shared). msg must not be NULL. Ownership: as
 * psc_msg_payload. Thread-safe.
 */
PSC_API const uint8_t *psc_msg_framed(const psc_msg *msg, size_t *len);

/* ------------------------------------------------------------ state view */

/*
 * The view reads a full STATE message from psc_introspector_snapshot
 * without decoding it. Delta states (made for sessions that asked for
 * them, State.delta set) and messages of other kinds have no view: the
 * calls below give PSC_ERR_INVALID or 0 for them.
 */

/** Totals of a State message. */
typedef struct psc_state_summary {
    size_t struct_size;      /**< set by the caller (PSC_STATE_SUMMARY_INIT) */
    uint64_t seq;            /**< 1 for the introspector's first snapshot */
    uint64_t instant_ts;     /**< when it was taken */
    uint64_t start_ts;       /**< the previous snapshot's instant_ts (or the introspector's start) */
    uint32_t duration_ms;    /**< instant_ts - start_ts */
    uint64_t collect_ns;     /**< time spent collecting and encoding */
    size_t connections;      /**< including those reported CLOSED */
    size_t connections_closed; /**< connections with status CLOSED */
    size_t streams;          /**< streams over every connection */
    size_t dht_peers;        /**< over every DHT */
    size_t topics;           /**< pubsub topics */
    size_t peerstore_peers;  /**< peerstore entries */
    size_t provider_errors;  /**< providers that failed in this snapshot */
    psc_traffic traffic;     /**< State.traffic: as a provider set it, else the sum over connections */
} psc_state_summary;

#define PSC_STATE_SUMMARY_INIT {.struct_size = sizeof(psc_state_summary)}

/**
 * Fill *out from a STATE message, up to out->struct_size (which the caller
 * sets; it is left as it was).
 * Errors: PSC_ERR_INVALID for a NULL argument, a message without a view
 * (another kind, or a delta) or a struct_size below sizeof(size_t).
 * Ownership: plain values only. Thread-safe.
 */
PSC_API psc_err psc_state_summary_get(const psc_msg *msg, psc_state_summary *out);

/**
 * Number of connections in a STATE message, CLOSED ones included (0 for
 * NULL, other kinds and deltas). Thread-safe.
 */
PSC_API size_t psc_state_connection_count(const psc_msg *msg);

/**
 * The i-th connection, in the order providers reported them (connections
 * that vanished and are reported CLOSED come after each provider's own),
 * filled up to out->struct_size (which the caller sets: PSC_CONNECTION_INIT).
 * stream_count is as reported, or the open streams added when 0 was.
 * Errors: PSC_ERR_INVALID for a NULL argument, a message without a view or
 * a struct_size below sizeof(size_t); PSC_ERR_NOT_FOUND when i is past the
 * last one.
 * Ownership: pointers in *out point into the message and stay valid while
 * a reference to msg is held; never free or write them. Thread-safe.
 */
PSC_API psc_err psc_state_connection(const psc_msg *msg, size_t i, psc_connection *out);

/**
 * Number of streams listed for connection conn_index (0 for a bad index,
 * NULL, other kinds and deltas). Thread-safe.
 */
PSC_API size_t psc_state_stream_count(const psc_msg *msg, size_t conn_index);

/**
 * Stream j of connection conn_index, filled up to out->struct_size (set by
 * the caller: PSC_STREAM_INIT).
 * Errors: PSC_ERR_INVALID as psc_state_connection; PSC_ERR_NOT_FOUND for a
 * bad conn_index or j.
 * Ownership: as psc_state_connection. Thread-safe.
 */
PSC_API psc_err psc_state_stream(const psc_msg *msg, size_t conn_index, size_t j, psc_stream *out);

/**
 * Number of providers that failed in this snapshot (State.provider_errors;
 * 0 for NULL, other kinds and deltas). Thread-safe.
 */
PSC_API size_t psc_state_provider_error_count(const psc_msg *msg);

/**
 * The i-th provider error: the provider's name (its kind, e.g. "swarm",
 * when it registered without one), the reason (from psc_collect_fail, else
 * psc_strerror of the code) and the psc_err its collect returned. Each
 * out-parameter may be NULL.
 * Errors: PSC_ERR_INVALID for a NULL msg or one without a view;
 * PSC_ERR_NOT_FOUND when i is past the last one.
 * Ownership: the strings point into the message and stay valid while a
 * reference to msg is held. Thread-safe.
 */
PSC_API psc_err psc_state_provider_error(const psc_msg *msg, size_t i, const char **provider,
                                         const char **reason, psc_err *code);

#ifdef __cplusplus
}
#endif

#endif

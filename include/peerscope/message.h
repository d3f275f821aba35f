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

typedef struct psc_msg psc_msg;

typedef enum psc_msg_kind {
    PSC_MSG_STATE = 2,    /**< values are the ServerMessage.payload field numbers */
    PSC_MSG_RUNTIME = 3,
    PSC_MSG_EVENT = 4,
    PSC_MSG_RESPONSE = 5,
    PSC_MSG_NOTICE = 6,
} psc_msg_kind;

/** Bytes of headroom available in front of psc_msg_framed(). */
#define PSC_MSG_HEADROOM 16u
/** Length of the wire header (version, FNV-1a, length). */
#define PSC_FRAME_HEADER_LEN 12u

/** Take another reference. Thread-safe. Returns msg. */
PSC_API psc_msg *psc_msg_ref(psc_msg *msg);
/** Drop a reference; the last one frees. NULL is a no-op. Thread-safe. */
PSC_API void psc_msg_unref(psc_msg *msg);
/** What the message carries. Thread-safe. */
PSC_API psc_msg_kind psc_msg_get_kind(const psc_msg *msg);
/** The serialized ServerMessage (no header). Valid while referenced. Thread-safe. */
PSC_API const uint8_t *psc_msg_payload(const psc_msg *msg, size_t *len);
/**
 * The 12-byte header followed by the payload, exactly as one WebSocket
 * message of the 2020 protocol. PSC_MSG_HEADROOM writable-by-nobody bytes
 * precede it in the same allocation (transports may rely on them being
 * there but must not write them: the message is shared). Thread-safe.
 */
PSC_API const uint8_t *psc_msg_framed(const psc_msg *msg, size_t *len);

/* ------------------------------------------------------------ state view */

/** Totals of a State message. */
typedef struct psc_state_summary {
    size_t struct_size;
    uint64_t seq;            /**< 1 for the introspector's first snapshot */
    uint64_t instant_ts;     /**< when it was taken */
    uint64_t start_ts;       /**< the previous snapshot's instant_ts (or the introspector's start) */
    uint32_t duration_ms;    /**< instant_ts - start_ts */
    uint64_t collect_ns;     /**< time spent collecting and encoding */
    size_t connections;      /**< including those reported CLOSED */
    size_t connections_closed;
    size_t streams;
    size_t dht_peers;        /**< over every DHT */
    size_t topics;
    size_t peerstore_peers;
    size_t provider_errors;
    psc_traffic traffic;
} psc_state_summary;

#define PSC_STATE_SUMMARY_INIT {.struct_size = sizeof(psc_state_summary)}

/**
 * Fill *out (whose struct_size must be set) from a STATE message.
 * PSC_ERR_INVALID for other kinds. Thread-safe.
 */
PSC_API psc_err psc_state_summary_get(const psc_msg *msg, psc_state_summary *out);

/** Number of connections in a STATE message (0 for other kinds). Thread-safe. */
PSC_API size_t psc_state_connection_count(const psc_msg *msg);
/**
 * The i-th connection. Pointers in *out stay valid while msg is referenced;
 * out->struct_size must be set. Thread-safe.
 */
PSC_API psc_err psc_state_connection(const psc_msg *msg, size_t i, psc_connection *out);
/** Number of streams listed for connection i. Thread-safe. */
PSC_API size_t psc_state_stream_count(const psc_msg *msg, size_t conn_index);
/** Stream j of connection i, as psc_state_connection. Thread-safe. */
PSC_API psc_err psc_state_stream(const psc_msg *msg, size_t conn_index, size_t j, psc_stream *out);
/** Number of provider errors, and the i-th one's provider name and reason. Thread-safe. */
PSC_API size_t psc_state_provider_error_count(const psc_msg *msg);
PSC_API psc_err psc_state_provider_error(const psc_msg *msg, size_t i, const char **provider,
                                         const char **reason, psc_err *code);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: typed events.
 *
 * The host declares event types (a name plus typed properties) and emits
 * events from any thread. The library formats each event's JSON content
 * (a JSON object whose keys are the property names), stamps its time and
 * puts it into a bounded ring. Every consumer (an endpoint session, a
 * recorder, the host itself) reads the ring through its own cursor; one
 * that falls behind skips ahead and is told how many it missed.
 *
 * psc_emit never blocks and never allocates: it formats into a bounded
 * buffer on the stack and copies into the ring lock-free.
 */
#ifndef PEERSCOPE_EVENT_H
#define PEERSCOPE_EVENT_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;

/** Property types (2020 EventType.EventProperty.PropertyType values). */
typedef enum psc_prop_type {
    PSC_PROP_STRING = 0,
    PSC_PROP_NUMBER = 1,
    PSC_PROP_TIME = 10,      /**< ms since the Unix epoch */
    PSC_PROP_PEERID = 11,
    PSC_PROP_MULTIADDR = 12,
    PSC_PROP_JSON = 90,      /**< a complete JSON value inserted as is (validated) */
} psc_prop_type;

/** One property of an event type. */
typedef struct psc_prop_def {
    const char *name;
    psc_prop_type type;
    bool multiple;           /**< the value is a JSON array of this type */
} psc_prop_def;

/** An event type's declaration; see also the well-known ones below. */
typedef struct psc_event_def {
    const char *name;
    const psc_prop_def *props;
    size_t n_props;
} psc_event_def;

/** Handle of a declared event type; lives as long as its introspector. */
typedef struct psc_event_type psc_event_type;

/**
 * Declare an event type (name and props are copied). Declaring the same
 * name again with identical properties returns the existing handle;
 * with different properties, PSC_ERR_EXISTS. Property names must be unique
 * and non-empty. At most 65535 types (PSC_ERR_TOO_BIG beyond) and 4096
 * properties per type (PSC_ERR_TOO_BIG). Thread-safe.
 */
PSC_API psc_err psc_event_declare(psc_introspector *intro, const psc_event_def *def,
                                  const psc_event_type **out);

/** Look up a declared type by name (PSC_ERR_NOT_FOUND). Thread-safe. */
PSC_API psc_err psc_event_lookup(psc_introspector *intro, const char *name, const psc_event_type **out);

/** The type's name and its declared property list. Thread-safe. */
PSC_API const char *psc_event_type_name(const psc_event_type *type);
PSC_API size_t psc_event_type_prop_count(const psc_event_type *type);
PSC_API const psc_prop_def *psc_event_type_prop(const psc_event_type *type, size_t i);

/**
 * A property value for psc_emit, given positionally in the order the type
 * declares its properties. Use the PSC_V_* macros to build them.
 * For single values: STRING/PEERID/MULTIADDR use str, NUMBER num, TIME
 * time, JSON str (raw JSON). For multiple: strs/nums/times with count.
 * A value with `absent` set is left out of the JSON object.
 */
typedef struct psc_value {
    union {
        const char *str;
        double num;
        uint64_t time;
        const char *const *strs;
        const double *nums;
        const uint64_t *times;
    } u;
    size_t count;
    bool absent;
} psc_value;

#define PSC_V_STR(s) ((psc_value){.u.str = (s)})
#define PSC_V_NUM(x) ((psc_value){.u.num = (double)(x)})
#define PSC_V_TIME(t) ((psc_value){.u.time = (uint64_t)(t)})
#define PSC_V_JSON(j) ((psc_value){.u.str = (j)})
#define PSC_V_STRS(a, n) ((psc_value){.u.strs = (a), .count = (n)})
#define PSC_V_NUMS(a, n) ((psc_value){.u.nums = (a), .count = (n)})
#define PSC_V_TIMES(a, n) ((psc_value){.u.times = (a), .count = (n)})
#define PSC_V_ABSENT ((psc_value){.absent = true})

/**
 * Emit one event of a declared type, stamped with the introspector's
 * clock. n_values must equal the type's property count. Strings are
 * escaped for JSON; non-finite numbers become null; JSON values are
 * validated (PSC_ERR_INVALID). Content longer than the configured
 * max_event_size gives PSC_ERR_TOO_BIG and emits nothing.
 * Never blocks, never allocates. Thread-safe from any thread.
 */
PSC_API psc_err psc_emit(psc_introspector *intro, const psc_event_type *type, const psc_value *values,
                         size_t n_values);

/** As psc_emit with an explicit timestamp (ms since epoch). */
PSC_API psc_err psc_emit_at(psc_introspector *intro, const psc_event_type *type, uint64_t ts_ms,
                            const psc_value *values, size_t n_values);

/* ---------------------------------------------------------------- readers */

/** A consumer's cursor into the event ring. */
typedef struct psc_event_reader psc_event_reader;

/** One event as read back. content is NUL-terminated JSON. */
typedef struct psc_event_record {
    const psc_event_type *type;
    uint64_t ts;             /**< ms since the Unix epoch */
    uint64_t seq;            /**< position in the stream, from 1, no gaps at emit */
    size_t content_len;
    char *content;           /**< points into the reader's own buffer; valid until the next read */
} psc_event_record;

/**
 * Open a cursor. from_oldest: start at the oldest event still in the ring
 * (else only events emitted after this call); misses are counted from
 * where the reader started. Thread-safe; the reader
 * itself is used by one thread at a time. Free with psc_event_reader_free
 * before the introspector.
 */
PSC_API psc_err psc_event_reader_new(psc_introspector *intro, bool from_oldest, psc_event_reader **out);
PSC_API void psc_event_reader_free(psc_event_reader *r);

/**
 * Read the next event. PSC_ERR_AGAIN when there is none yet. *missed
 * (if not NULL) receives how many events were overwritten before this
 * reader got to them since the previous call (0 normally).
 */
PSC_API psc_err psc_event_reader_next(psc_event_reader *r, psc_event_record *out, uint64_t *missed);

/**
 * Events that got a sequence number so far (each psc_emit that returned
 * PSC_OK), including the rare ones dropped because their ring slot was
 * still busy (readers see those as missed). Thread-safe.
 */
PSC_API uint64_t psc_events_emitted(const psc_introspector *intro);

/* ----------------------------------------------------- well-known types */

/*
 * Declarations of event types that clients know by name. The 2020
 * visualizer reads PeerConnecting/PeerDisconnecting (peerId, transport, ...)
 * and InboundDHTQuery/OutboundDHTQuery (peerIds, result, ...).
 * Declare them with psc_event_declare(intro, &PSC_EVENT_PEER_CONNECTED, &t).
 */
/** "PeerConnected": peerId PEERID, transport STRING (e.g. "tcp"), direction
 *  STRING ("inbound" or "outbound"), addr MULTIADDR (the remote address). */
PSC_API extern const psc_event_def PSC_EVENT_PEER_CONNECTED;
/** "PeerDisconnected": peerId PEERID, transport STRING, timeOpen TIME (when
 *  the connection opened), age NUMBER (ms it was open), reason STRING. */
PSC_API extern const psc_event_def PSC_EVENT_PEER_DISCONNECTED;
/** "PeerConnecting" (2020): peerId PEERID, transport STRING, then role STRING
 *  ("INITIATOR" or "RESPONDER"), which 2020 content carried undeclared. */
PSC_API extern const psc_event_def PSC_EVENT_PEER_CONNECTING;
/** "PeerDisconnecting" (2020): peerId PEERID, timeOpen TIME, age NUMBER (ms),
 *  transport STRING. */
PSC_API extern const psc_event_def PSC_EVENT_PEER_DISCONNECTING;
/** "InboundDHTQuery" (2020): result STRING ("SUCCESS", "ERROR", ...),
 *  totalTimeMs NUMBER, totalSteps NUMBER; then what 2020 content carried
 *  undeclared: peerIds PEERID multiple (the visualizer flashes them),
 *  queryId STRING, targetPeerId PEERID, trigger STRING ("API", ...),
 *  type STRING ("VALUE", "CONTENT", "PROVIDER", ...), direction STRING
 *  ("INBOUND"). */
PSC_API extern const psc_event_def PSC_EVENT_INBOUND_DHT_QUERY;
/** "OutboundDHTQuery" (2020): result STRING, totalTimeMs NUMBER, totalSteps
 *  NUMBER, peerIds PEERID multiple; then queryId STRING, targetPeerId PEERID,
 *  trigger STRING, type STRING, direction STRING ("OUTBOUND"). */
PSC_API extern const psc_event_def PSC_EVENT_OUTBOUND_DHT_QUERY;
/** "IdentityKnown": peerId PEERID (the host's own), addrs MULTIADDR multiple
 *  (its listen addresses). */
PSC_API extern const psc_event_def PSC_EVENT_IDENTITY_KNOWN;
/** "FirstPeerConnected": peerId PEERID, sinceStartMs NUMBER (ms from the
 *  host's start to its first connection). */
PSC_API extern const psc_event_def PSC_EVENT_FIRST_PEER_CONNECTED;
/** "SyncStarted": target NUMBER (height to reach), height NUMBER (current). */
PSC_API extern const psc_event_def PSC_EVENT_SYNC_STARTED;
/** "SyncCompleted": height NUMBER (reached), durationMs NUMBER. */
PSC_API extern const psc_event_def PSC_EVENT_SYNC_COMPLETED;
/** "NewBlock": height NUMBER, hash STRING, from PEERID (who sent it), size
 *  NUMBER (bytes). */
PSC_API extern const psc_event_def PSC_EVENT_NEW_BLOCK;
/** "MessageReceived": topic STRING, from PEERID, size NUMBER (bytes), msgId
 *  STRING. */
PSC_API extern const psc_event_def PSC_EVENT_MESSAGE_RECEIVED;

/** Declare every well-known type above at once. Thread-safe. */
PSC_API psc_err psc_event_declare_well_known(psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

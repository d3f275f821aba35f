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
 * psc_emit never blocks and never allocates: it copies the typed values
 * (numbers as numbers, strings as bytes, read bounded by max_event_size)
 * into a bounded buffer on the stack (1 KiB, 8 KiB or 64 KiB, the smallest
 * that holds max_event_size) and from there into the ring lock-free; each
 * reader formats the JSON from that copy when it reads the event, so the
 * host's thread does no JSON work. Only an event whose JSON might come
 * close to max_event_size is formatted at emit, to decide exactly whether
 * it fits. The content is the same either way.
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
    PSC_PROP_STRING = 0,     /**< a JSON string (psc_value.u.str); the zero value */
    PSC_PROP_NUMBER = 1,     /**< a JSON number (psc_value.u.num) */
    PSC_PROP_TIME = 10,      /**< ms since the Unix epoch (psc_value.u.time) */
    PSC_PROP_PEERID = 11,    /**< a peer id, as a JSON string (u.str) */
    PSC_PROP_MULTIADDR = 12, /**< a multiaddr, as a JSON string (u.str) */
    PSC_PROP_JSON = 90,      /**< a complete JSON value inserted as is (validated; u.str) */
} psc_prop_type;

/** One property of an event type. */
typedef struct psc_prop_def {
    const char *name;        /**< the JSON key: non-empty UTF-8, unique within the type */
    psc_prop_type type;      /**< how the value is formatted */
    bool multiple;           /**< the value is a JSON array of this type */
} psc_prop_def;

/** An event type's declaration; see also the well-known ones below. */
typedef struct psc_event_def {
    const char *name;          /**< the type's name: non-empty UTF-8, unique per introspector */
    const psc_prop_def *props; /**< n_props properties, in the order psc_emit takes their values */
    size_t n_props;            /**< entries in props (at most 4096) */
} psc_event_def;

/**
 * Handle of a declared event type. Owned by its introspector: valid until
 * psc_introspector_free, never freed by the caller; usable from any thread.
 */
typedef struct psc_event_type psc_event_type;

/**
 * Declare an event type. Declaring the same name again with identical
 * properties returns the existing handle.
 * Errors: PSC_ERR_INVALID for a NULL argument, a name or property name
 * that is empty or not UTF-8, a repeated property name, an unknown
 * property type, or n_props without props; PSC_ERR_EXISTS when the name
 * is declared with different properties; PSC_ERR_TOO_BIG beyond 65535
 * types or 4096 properties per type; PSC_ERR_NOMEM.
 * Ownership: def is copied (names included); *out is owned by the
 * introspector (see psc_event_type). Thread-safe.
 */
PSC_API psc_err psc_event_declare(psc_introspector *intro, const psc_event_def *def,
                                  const psc_event_type **out);

/**
 * Look up a declared type by name.
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_NOT_FOUND when no
 * type of that name was declared.
 * Ownership: *out is owned by the introspector. Thread-safe.
 */
PSC_API psc_err psc_event_lookup(psc_introspector *intro, const char *name, const psc_event_type **out);

/**
 * The type's name (NULL for a NULL type). Ownership: the string belongs to
 * the type and lives as long as the introspector. Thread-safe.
 */
PSC_API const char *psc_event_type_name(const psc_event_type *type);

/** Number of properties the type declares (0 for NULL). Thread-safe. */
PSC_API size_t psc_event_type_prop_count(const psc_event_type *type);

/**
 * The i-th declared property, or NULL when i is past the last one or type
 * is NULL. Ownership: the struct and its name belong to the type and live
 * as long as the introspector. Thread-safe.
 */
PSC_API const psc_prop_def *psc_event_type_prop(const psc_event_type *type, size_t i);

/**
 * A property value for psc_emit, given positionally in the order the type
 * declares its properties. Use the PSC_V_* macros to build them (C only:
 * they are compound literals; from C++ fill the struct).
 * For single values: STRING/PEERID/MULTIADDR use str, NUMBER num, TIME
 * time, JSON str (raw JSON). For multiple: strs/nums/times with count.
 * A NULL string (or JSON) becomes JSON null. A value with `absent` set is
 * left out of the JSON object. Read during psc_emit only.
 */
typedef struct psc_value {
    union {
        const char *str;         /**< STRING, PEERID, MULTIADDR, JSON */
        double num;              /**< NUMBER; NaN and infinities become null */
        uint64_t time;           /**< TIME: ms since the Unix epoch */
        const char *const *strs; /**< multiple STRING, PEERID, MULTIADDR, JSON: count entries */
        const double *nums;      /**< multiple NUMBER: count entries */
        const uint64_t *times;   /**< multiple TIME: count entries */
    } u;
    size_t count;                /**< entries of a multiple value */
    bool absent;                 /**< leave this property out */
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
 * wall clock. Strings are escaped for JSON (bytes that are not UTF-8
 * become U+FFFD); non-finite numbers become null.
 * Errors: PSC_ERR_INVALID for a NULL intro or type, a type declared on
 * another introspector, n_values other than the type's property count,
 * NULL values with n_values > 0, a multiple value with count > 0 and no
 * array, or a JSON value that is not valid JSON; PSC_ERR_TOO_BIG when the
 * content exceeds the configured max_event_size. On error nothing is
 * emitted.
 * Ownership: values and what they point to are read during the call only.
 * In the rare case that the event's ring slot is still being written by a
 * lapped producer, the event gets its sequence number and PSC_OK but is
 * dropped (readers count it as missed).
 * Never blocks, never allocates. Thread-safe from any thread, including
 * provider and log callbacks.
 */
PSC_API psc_err psc_emit(psc_introspector *intro, const psc_event_type *type, const psc_value *values,
                         size_t n_values);

/**
 * As psc_emit, with an explicit timestamp ts_ms (ms since the Unix epoch)
 * instead of the clock's. Errors, ownership and threads as psc_emit.
 */
PSC_API psc_err psc_emit_at(psc_introspector *intro, const psc_event_type *type, uint64_t ts_ms,
                            const psc_value *values, size_t n_values);

/* ---------------------------------------------------------------- readers */

/** A consumer's cursor into the event ring. */
typedef struct psc_event_reader psc_event_reader;

/** One event as read back. content is NUL-terminated JSON. */
typedef struct psc_event_record {
    const psc_event_type *type; /**< owned by the introspector */
    uint64_t ts;             /**< ms since the Unix epoch */
    uint64_t seq;            /**< position in the stream, from 1, no gaps at emit */
    size_t content_len;      /**< bytes of content, without its NUL */
    char *content;           /**< points into the reader's own buffer; valid until the next read or psc_event_reader_free */
} psc_event_record;

/**
 * Open a cursor. from_oldest: start at the oldest event still in the ring
 * (else only events emitted after this call); misses are counted from
 * where the reader started.
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_NOMEM (the reader
 * holds buffers of about twice max_event_size: a copy of one event and its JSON).
 * Ownership: on success *out is the caller's, to free with
 * psc_event_reader_free before the introspector is freed.
 * Thread-safe; the reader itself is then used by one thread at a time.
 */
PSC_API psc_err psc_event_reader_new(psc_introspector *intro, bool from_oldest, psc_event_reader **out);

/**
 * Free a reader (and the content its last record pointed to). NULL is a
 * no-op. Must come before psc_introspector_free of its introspector.
 * Not thread-safe against other calls on r.
 */
PSC_API void psc_event_reader_free(psc_event_reader *r);

/**
 * Read the next event into *out. *missed (if not NULL) receives how many
 * events this reader lost since the previous successful read: overwritten
 * before it got to them, or dropped at emit (0 normally).
 * Errors: PSC_ERR_INVALID for a NULL r or out; PSC_ERR_AGAIN when there is
 * none yet (nothing is written then, *missed included).
 * Ownership: out->content points into the reader (see psc_event_record);
 * the JSON is formatted here, into the reader's own buffer, from the
 * values emit copied. Never blocks, never allocates. Not thread-safe against other calls on r; safe
 * concurrently with psc_emit and with other readers.
 */
PSC_API psc_err psc_event_reader_next(psc_event_reader *r, psc_event_record *out, uint64_t *missed);

/**
 * Events that got a sequence number so far (each psc_emit that returned
 * PSC_OK), including the rare ones dropped because their ring slot was
 * still busy (readers see those as missed). 0 for NULL. Thread-safe.
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

/**
 * Declare every well-known type above, in the order listed. Stops at the
 * first failure, keeping those declared before it.
 * Errors: PSC_ERR_INVALID for a NULL intro; PSC_ERR_EXISTS when the host
 * already declared one of those names with other properties;
 * PSC_ERR_TOO_BIG, PSC_ERR_NOMEM as psc_event_declare. Look the handles
 * up with psc_event_lookup (or declare the one you need again).
 * Thread-safe.
 */
PSC_API psc_err psc_event_declare_well_known(psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: serving a recording as if it were a live node.
 *
 * A psc_replay holds a recording (states, events and the node's Runtime,
 * from a 2020-format file or added message by message) and, once attached
 * to an introspector with psc_replay_serve, makes every endpoint of that
 * introspector (the WebSocket endpoint with its token, Origin and Host
 * rules, /healthz and the visualizer page; or a host's own transport)
 * play it to its clients with the usual protocol:
 *
 *  - each session plays the recording on its own from its first
 *    PUSH_ENABLE: every recorded state (PUSH_ENABLE STATE) and event
 *    (PUSH_ENABLE EVENTS) in recorded order, paced by their recorded
 *    times at the chosen speed, none dropped (a client that reads slowly
 *    holds its playback back); PUSH_PAUSE holds playback still and
 *    PUSH_RESUME goes on from there;
 *  - states go out whole, whatever the recording held (recorded delta
 *    states are applied when added), so 2020 clients see a live stream;
 *    the first event of each type a session receives carries the type's
 *    property metadata;
 *  - REQUEST RUNTIME answers the recorded Runtime with Runtime.recording
 *    set (start and end time, speed, loop, source, node, counts) and the
 *    capability "at_ts"; REQUEST STATE answers the state at the session's
 *    place in the recording;
 *  - REQUEST STATE with ClientCommand.at_ts answers CommandResponse{id,
 *    OK, state} with the state as it was at that time (the last state
 *    stamped at or before it, or the first state when at_ts precedes
 *    every state), or an ERR response when at_ts is outside
 *    [Recording.start_ts, Recording.end_ts]. On a live endpoint the same
 *    command answers ERR.
 *
 * Lifecycle: psc_replay_new -> psc_replay_load / psc_replay_add_message /
 * psc_replay_add_event (any number, in recorded order) -> psc_replay_serve (ownership moves to the introspector,
 * which frees the replay in psc_introspector_free) or psc_replay_free.
 * Memory: the replay keeps every message of the recording, states whole.
 */
#ifndef PEERSCOPE_REPLAY_H
#define PEERSCOPE_REPLAY_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;
/** A recording to serve (psc_replay_new). */
typedef struct psc_replay psc_replay;

/** How to play. Initialise with PSC_REPLAY_OPTIONS_INIT; copied by psc_replay_new (strings too). */
typedef struct psc_replay_options {
    size_t struct_size;             /**< sizeof(psc_replay_options); must cover node */
    const psc_allocator *allocator; /**< NULL: malloc/free; copied (its functions must outlive the replay) */
    double speed;                   /**< recorded time per played time: 1 real time (also for 0), 10 ten times faster; at most 1e6 */
    bool max_speed;                 /**< as fast as each client takes the messages (speed is ignored) */
    uint64_t start_ts;              /**< ms since the epoch: playback begins at the first message stamped at or after it; 0: at the beginning */
    uint64_t start_offset_ms;       /**< with start_ts 0: begin this many ms after the recording's first message */
    bool loop;                      /**< at the end, start again from the recording's beginning */
    const char *source;             /**< shown in Runtime.recording.source (e.g. the file name); NULL: "" */
    const char *node;               /**< shown in Runtime.recording.node (a store's node); NULL: "" */
} psc_replay_options;

#define PSC_REPLAY_OPTIONS_INIT {.struct_size = sizeof(psc_replay_options), .speed = 1.0}

/** A bad record found by psc_replay_load. */
typedef struct psc_replay_problem {
    uint64_t offset;      /**< byte offset of the record's header in the file */
    uint64_t index;       /**< record number, from 0 */
    psc_err err;          /**< PSC_ERR_CORRUPT (checksum) or PSC_ERR_PROTOCOL (truncated, bad length, not a ServerMessage) */
    bool fatal;           /**< the file cannot be read past it (truncation, impossible length) */
    char what[160];       /**< one line saying what was wrong */
} psc_replay_problem;

/**
 * Told about each bad record, on psc_replay_load's thread, during the
 * call. Return true to go on (a skipped record; after a fatal one the load
 * ends with the records before it), false to stop the load there.
 */
typedef bool (*psc_replay_report_fn)(void *user, const psc_replay_problem *p);

/** What a replay holds (psc_replay_info_get). */
typedef struct psc_replay_info {
    size_t struct_size;   /**< set by the caller to sizeof(psc_replay_info) */
    uint64_t start_ts;    /**< time of the first message (0: empty) */
    uint64_t end_ts;      /**< time of the last message */
    uint64_t states;      /**< states (deltas included, served whole) */
    uint64_t deltas;      /**< of them, recorded as deltas */
    uint64_t events;
    uint64_t runtimes;
    uint64_t skipped;     /**< records not replayed: responses, notices and bad records */
    uint64_t problems;    /**< bad records reported by psc_replay_load */
    size_t event_types;   /**< distinct event type names */
} psc_replay_info;

/**
 * Create an empty replay. opt may be NULL for the defaults (real time,
 * from the beginning, no loop).
 * Errors: PSC_ERR_INVALID for a NULL out, a struct_size that does not
 * cover node, a speed below 0, over 1e6 or not a number; PSC_ERR_NOMEM.
 * Ownership: opt is copied; *out is the caller's until psc_replay_serve.
 * Thread-safe.
 */
PSC_API psc_err psc_replay_new(const psc_replay_options *opt, psc_replay **out);

/**
 * Add a 2020-format recording file held in memory (data, len: the 4-byte
 * version, then [u32 fnv1a][u32 len][ServerMessage] records), as
 * peerscope-dump --raw, psc_recorder_write and peerscope-record --raw
 * write it and the observer-toolkit's .mock files hold it. A record whose
 * checksum does not match or that is not a ServerMessage is reported to
 * fn and skipped; a truncated record or an impossible length is reported
 * as fatal and ends the file (the records before it stay). fn may be NULL.
 * Returns PSC_OK when the file was read to its end or to a fatal problem
 * (see psc_replay_info.problems); PSC_ERR_PROTOCOL when data does not
 * begin with a version 1 header; PSC_ERR_CLOSED when fn returned false or
 * the replay is already served; PSC_ERR_INVALID for NULL r, or NULL data
 * with len > 0; PSC_ERR_NOMEM (what was added stays).
 * Ownership: data is read during the call only.
 * Not thread-safe against other calls on r.
 */
PSC_API psc_err psc_replay_load(psc_replay *r, const uint8_t *data, size_t len, psc_replay_report_fn fn, void *user);

/**
 * Add one serialized ServerMessage (a full or delta State, an Event or a
 * Runtime) after those added before; ts is its time in ms since the epoch
 * (0: the message's own, State.instant_ts or Event.ts; a Runtime takes
 * the time of the message before it). Responses and notices are skipped
 * (PSC_OK, counted in skipped).
 * Errors (nothing added; why, when not NULL, receives a line saying what
 * was wrong, cut to why_len): PSC_ERR_PROTOCOL for bytes that are not a
 * ServerMessage or an event without a type name; PSC_ERR_STATE for a
 * delta state that does not apply to the state added before it;
 * PSC_ERR_CLOSED once served; PSC_ERR_INVALID; PSC_ERR_NOMEM.
 * Ownership: payload is copied. Not thread-safe against other calls on r.
 */
PSC_API psc_err psc_replay_add_message(psc_replay *r, const uint8_t *payload, size_t len, uint64_t ts, char *why,
                                       size_t why_len);

typedef struct psc_event_def psc_event_def;

/**
 * Add one event after the messages added before, for recordings kept as
 * rows rather than messages (a database of events): type is its type
 * (name and properties, as psc_event_declare takes it; only the first
 * event of each name carries the properties on the wire, later ones are
 * given them again for sessions that start after it), ts its time in ms
 * since the epoch, seq its Event.seq (0: none), content its properties as
 * one JSON value (normally an object; NULL: "{}").
 * Errors (nothing added; why as psc_replay_add_message): PSC_ERR_INVALID
 * for a NULL r or type, a type without a name or with a property without
 * one, more than 4096 properties, or content that is not valid JSON;
 * PSC_ERR_CLOSED once served; PSC_ERR_NOMEM.
 * Ownership: everything is copied. Not thread-safe against other calls on r.
 */
PSC_API psc_err psc_replay_add_event(psc_replay *r, const psc_event_def *type, uint64_t ts, uint64_t seq,
                                     const char *content, char *why, size_t why_len);

/**
 * Describe what the replay holds (times as psc_replay_serve will serve
 * them). Errors: PSC_ERR_INVALID for a NULL argument or a struct_size
 * that does not cover event_types. Ownership: a plain copy.
 * Not thread-safe against psc_replay_load or psc_replay_add_message on r;
 * thread-safe once served.
 */
PSC_API psc_err psc_replay_info_get(const psc_replay *r, psc_replay_info *out);

/**
 * Serve the replay from intro's endpoints: attach it before creating any
 * endpoint. On success the replay belongs to intro (psc_introspector_free
 * frees it after closing the endpoints; do not call psc_replay_free) and
 * nothing more can be added; r stays valid for psc_replay_info_get while
 * intro lives. The introspector's own providers and events are not served
 * by its endpoints any more.
 * Errors: PSC_ERR_INVALID for NULL arguments; PSC_ERR_STATE when intro
 * already serves a replay or has an endpoint, or r is served already;
 * PSC_ERR_NOT_FOUND when the replay holds no state and no event;
 * PSC_ERR_NOMEM. On error r stays the caller's.
 * Thread-safe as intro's other calls; no endpoint may be created meanwhile.
 */
PSC_API psc_err psc_replay_serve(psc_replay *r, psc_introspector *intro);

/**
 * Free a replay that was not served (a served one is its introspector's:
 * never free it here). NULL is a no-op. Not thread-safe against other
 * calls on r.
 */
PSC_API void psc_replay_free(psc_replay *r);

/** Whether intro serves a replay (false for NULL). Thread-safe. */
PSC_API bool psc_introspector_replaying(const psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

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
 *
 * Live relay (psc_replay_options.live): the same object re-serves a node
 * that is running now, from its ServerMessages as they arrive (what
 * peerscope-hub does for /node/NAME/introspect). Messages are added while
 * the replay is served, from one producer thread, and the sessions behave
 * as on a live node instead of playing a recording:
 *
 *  - no pacing and no end: PUSH_ENABLE STATE sends the newest state at
 *    once (when there is one), then each state as it is added, whole
 *    (delta states are applied on add); PUSH_ENABLE EVENTS sends the
 *    events added from then on. With ClientCommand.resume_events it first
 *    sends the held events whose seq is above after_seq, after a
 *    ServerNotice DISCARDING_EVENTS counting those past after_seq no
 *    longer held, as a live node does. Event.seq stays the node's own;
 *  - REQUEST RUNTIME answers the newest Runtime added, with the "at_ts"
 *    capability and without Runtime.recording (an empty Runtime before
 *    any); REQUEST STATE answers the newest state, or, before any, an
 *    ERR response "no state yet"; with at_ts it answers
 *    the held state at that time (the last one stamped at or before it),
 *    or ERR outside the held states' times or before any state;
 *  - PUSH_PAUSE holds the session still (nothing is queued for it); on
 *    PUSH_RESUME it gets the newest state and the events still held after
 *    the last one it got (a DISCARDING_EVENTS notice counting the others);
 *  - a slow reader never blocks the producer: a session whose queue is
 *    full keeps only the newest state pending (it replaces an unsent one)
 *    and reads on from its place among the held events once it catches
 *    up, what fell out meanwhile counted in a DISCARDING_EVENTS notice;
 *  - memory is bounded: the newest Runtime, keep_states whole states and
 *    keep_events events (oldest dropped first), plus one event per type
 *    that carries its property metadata and one decoded state (the base
 *    the next delta applies to); psc_replay_live_info_get tells the bytes.
 *
 * Live thread rules: psc_replay_new, then any adds, then psc_replay_serve
 * on one thread; from then on psc_replay_add_message, psc_replay_add_event
 * and psc_replay_live_new_run may be called from one producer thread at a
 * time (not concurrently with each other), concurrently with the
 * endpoints serving the replay on their own threads, until
 * psc_introspector_free begins. psc_replay_info_get and
 * psc_replay_live_info_get are thread-safe on a live replay. An add wakes
 * the endpoints (their transport's wake); it never waits on a client.
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
    /* struct_size may stop at node: what it does not cover takes the defaults (not live). */
    bool live;                      /**< a live relay (see above): messages are added while served; speed, start and loop are ignored */
    size_t keep_states;             /**< live: whole states held for REQUEST STATE at_ts (oldest dropped first); 0: 30 */
    size_t keep_events;             /**< live: events held for resuming sessions and slow readers; 0: 10,000 */
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

/** What a live replay holds (psc_replay_live_info_get). */
typedef struct psc_replay_live_info {
    size_t struct_size;     /**< set by the caller to sizeof(psc_replay_live_info) */
    uint64_t states_held;   /**< at most keep_states */
    uint64_t events_held;   /**< at most keep_events */
    uint64_t bytes_held;    /**< encoded bytes of the states, events, Runtime and metadata carriers held (the decoded delta base comes on top, about one state) */
    uint64_t states_added;  /**< since the replay was made, every run */
    uint64_t deltas;        /**< of them, added as deltas */
    uint64_t events_added;
    uint64_t runtimes;      /**< Runtimes added */
    uint64_t skipped;       /**< responses and notices added (not served) */
    uint64_t runs;          /**< psc_replay_live_new_run calls */
    uint64_t first_seq;     /**< Event.seq of the oldest event held (0: none) */
    uint64_t last_seq;      /**< Event.seq of the newest event held (0: none) */
    size_t event_types;     /**< distinct event type names seen */
} psc_replay_live_info;

/**
 * Create an empty replay. opt may be NULL for the defaults (real time,
 * from the beginning, no loop).
 * With opt->live, a live relay (see above; keep_states and keep_events
 * arrays are allocated here).
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
 * the replay is already served or live; PSC_ERR_INVALID for NULL r, or NULL data
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
 * PSC_ERR_CLOSED once served (not for a live replay); PSC_ERR_INVALID;
 * PSC_ERR_NOMEM.
 * Live: PSC_ERR_TOO_BIG for an event of a new type past 4096 types (the
 * table of type names is bounded too). The message goes in the window at once (a Runtime replaces the
 * one served, a state becomes the newest and is pushed, an event is
 * pushed to the sessions that enabled events) and the endpoints are
 * woken; ts 0 for a Runtime does not matter.
 * Ownership: payload is copied. Not thread-safe against other calls on r,
 * except on a live replay (see the live thread rules above).
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
 * PSC_ERR_CLOSED once served (not for a live replay); PSC_ERR_NOMEM.
 * Ownership: everything is copied. Not thread-safe against other calls on
 * r, except on a live replay (see the live thread rules above).
 */
PSC_API psc_err psc_replay_add_event(psc_replay *r, const psc_event_def *type, uint64_t ts, uint64_t seq,
                                     const char *content, char *why, size_t why_len);

/**
 * Describe what the replay holds (times as psc_replay_serve will serve
 * them; for a live replay: what it holds now, states and events held,
 * deltas, runtimes and skipped since it was made, problems 0). Errors: PSC_ERR_INVALID for a NULL argument or a struct_size
 * that does not cover event_types. Ownership: a plain copy.
 * Not thread-safe against psc_replay_load or psc_replay_add_message on r;
 * thread-safe once served, and always on a live replay.
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
 * PSC_ERR_NOT_FOUND when the replay holds no state and no event (a live
 * replay may be served empty); PSC_ERR_NOMEM. On error r stays the caller's.
 * Thread-safe as intro's other calls; no endpoint may be created meanwhile.
 */
PSC_API psc_err psc_replay_serve(psc_replay *r, psc_introspector *intro);

/**
 * Free a replay that was not served (a served one is its introspector's:
 * never free it here). NULL is a no-op. Not thread-safe against other
 * calls on r.
 */
PSC_API void psc_replay_free(psc_replay *r);

/**
 * A live replay's upstream node restarted (a new Runtime.start_ts): drop
 * every state and event held, so that nothing of the old run is served as
 * current. Sessions stay connected and go on with the new run: the next
 * state added is pushed, events pushed are those added from now on (no
 * notice counts the old run's unsent ones), REQUEST STATE answers ERR
 * until a state is added. Positions, counters and the newest Runtime stay
 * (the new run's Runtime replaces it whenever it is added, before or after
 * this call).
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_STATE when r is not live.
 * Thread rules: the producer's (see above).
 */
PSC_API psc_err psc_replay_live_new_run(psc_replay *r);

/**
 * What a live replay holds now and has taken since it was made (for a
 * hub's memory per node). Errors: PSC_ERR_INVALID for a NULL argument or
 * a struct_size that does not cover event_types; PSC_ERR_STATE when r is
 * not live. Ownership: a plain copy. Thread-safe.
 */
PSC_API psc_err psc_replay_live_info_get(const psc_replay *r, psc_replay_live_info *out);

/** Whether intro serves a replay (false for NULL). Thread-safe. */
PSC_API bool psc_introspector_replaying(const psc_introspector *intro);

#ifdef __cplusplus
}
#endif

#endif

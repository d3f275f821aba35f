/*
 * A recording as a timeline (src/wire/timeline.c): every state, event and
 * runtime it holds, in recorded order, each as the encoded message a
 * session sends. What a replaying endpoint plays and what REQUEST STATE
 * with at_ts looks up.
 *
 * States are kept whole: a delta state of the recording is applied to the
 * full state before it when it is added, so any state can be sent to any
 * client (2020 ones included) and looked up by time without a chain.
 * Events keep their recorded bytes; the timeline remembers, per event
 * type, one recorded event that carried the type's property metadata, so
 * a session that starts in the middle can still send the metadata first.
 *
 * Times are the recording's (State.instant_ts, Event.ts; a runtime takes
 * the time of what came before it), made non-decreasing along the
 * timeline: a message stamped earlier than its predecessor is played at
 * the predecessor's time, so that order and pacing agree.
 *
 * Building is single-threaded; once sealed (psc__timeline_seal) the
 * timeline is immutable and may be read from any number of threads.
 */
#ifndef PSC_WIRE_TIMELINE_H
#define PSC_WIRE_TIMELINE_H

#include "util/alloc.h"
#include "peerscope/message.h"

typedef enum psc__tl_kind {
    PSC__TL_STATE = 0,
    PSC__TL_EVENT = 1,
    PSC__TL_RUNTIME = 2,
} psc__tl_kind;

typedef struct psc__tl_item {
    uint64_t ts;          /* recorded time (ms since the epoch), non-decreasing */
    psc_msg *msg;         /* the message to send; states are always full */
    uint32_t type;        /* EVENT: index of its type in the timeline */
    uint8_t kind;         /* psc__tl_kind */
    bool meta;            /* EVENT: carries its type's property metadata */
} psc__tl_item;

typedef struct psc__timeline psc__timeline;

/*
 * What the sessions of a replaying endpoint play (session/session_replay.c): the
 * recording, its Runtime (with Runtime.recording set) and how to play it.
 * Immutable and shared by every session; owned by the replay attached to
 * the introspector, which outlives them.
 */
typedef struct psc__replay_source {
    const psc__timeline *tl;
    psc_msg *runtime;             /* what REQUEST RUNTIME answers */
    double speed;                 /* recorded ms per played ms; 0: as fast as the client takes them */
    uint64_t start_ts;            /* playback starts at the first message stamped at or after it (0: see start_offset_ms) */
    uint64_t start_offset_ms;     /* with start_ts 0: this long after the recording's first message */
    bool loop;                    /* at the end, start again from the recording's beginning */
    struct psc__relay *live;      /* a live replay's feed (core/relay.h): tl and the rest unused; NULL for a recording */
} psc__replay_source;

/* What was wrong with one record of a recording, and where. */
typedef struct psc__tl_problem {
    uint64_t offset;      /* byte offset of the record (of its header) in the file */
    uint64_t index;       /* record number, from 0 */
    psc_err err;          /* PSC_ERR_CORRUPT, PSC_ERR_PROTOCOL or PSC_ERR_NOMEM */
    bool fatal;           /* nothing after it can be read (truncation, bad length) */
    char what[160];       /* one line, e.g. "checksum mismatch (record of 812 bytes)" */
} psc__tl_problem;

/* Called once per problem found while loading; return false to stop loading there. */
typedef bool (*psc__tl_report_fn)(void *user, const psc__tl_problem *p);

/* A new, empty timeline; a is copied. */
psc_err psc__timeline_new(const psc__alloc *a, psc__timeline **out);
void psc__timeline_free(psc__timeline *tl);

/*
 * Add one serialized ServerMessage. ts 0: the message's own time. A
 * CommandResponse or ServerNotice is not part of a node's history: it is
 * skipped (PSC_OK, counted in skipped). Errors (nothing added, why says
 * what): PSC_ERR_PROTOCOL for bytes that are not a ServerMessage or one
 * without a payload; PSC_ERR_STATE for a delta whose base is not the
 * previous state; PSC_ERR_NOMEM; PSC_ERR_CLOSED once sealed.
 * why (may be NULL) receives at most its size - 1 characters.
 */
psc_err psc__timeline_add(psc__timeline *tl, const uint8_t *payload, size_t len, uint64_t ts, char *why,
                          size_t why_len);

/*
 * Add every record of a 2020 recording file held in memory (data, len;
 * the version header first). Each bad record is reported to fn (may be
 * NULL) with its offset: a checksum mismatch or a record that is not a
 * ServerMessage is skipped, a truncated record or an impossible length
 * ends the file (the records before it stay). Returns PSC_OK when the
 * file was read to its end or a fatal problem ended it (the good prefix
 * is kept; counted in problems), PSC_ERR_PROTOCOL when the header is not
 * a version 1 recording, PSC_ERR_CLOSED when fn returned false (the
 * records before the problem stay), PSC_ERR_NOMEM.
 */
psc_err psc__timeline_load(psc__timeline *tl, const uint8_t *data, size_t len, psc__tl_report_fn fn, void *user);

/* Sort out start/end times and freeze the timeline. Idempotent. */
void psc__timeline_seal(psc__timeline *tl);

/* Read access (after seal, from any thread). */
size_t psc__timeline_count(const psc__timeline *tl);
const psc__tl_item *psc__timeline_item(const psc__timeline *tl, size_t i);
/* The first recorded Runtime, or NULL (no new reference). */
psc_msg *psc__timeline_runtime(const psc__timeline *tl);
/* Times of the first and last message (0 when the timeline is empty). */
uint64_t psc__timeline_start_ts(const psc__timeline *tl);
uint64_t psc__timeline_end_ts(const psc__timeline *tl);
/* Counters: states, events, runtimes added; records skipped (responses, notices, bad records); delta states applied. */
typedef struct psc__tl_counts {
    uint64_t states, events, runtimes, skipped, deltas, problems;
} psc__tl_counts;
void psc__timeline_counts(const psc__timeline *tl, psc__tl_counts *out);
/* Number of distinct event types. */
size_t psc__timeline_type_count(const psc__timeline *tl);
/* Whether an event of the type called name that carries its metadata was added. */
bool psc__timeline_type_has_meta(const psc__timeline *tl, const char *name);

/* Index of the first item with ts >= ts (count when none). */
size_t psc__timeline_find(const psc__timeline *tl, uint64_t ts);
/*
 * The state as it was at ts: the last state stamped at or before ts, or
 * the first state when ts is before every state (NULL when the timeline
 * holds no state). No new reference.
 */
psc_msg *psc__timeline_state_at(const psc__timeline *tl, uint64_t ts);
/* The last state before item i (NULL when none). No new reference. */
psc_msg *psc__timeline_state_before(const psc__timeline *tl, size_t i);

/*
 * Item i (an event) as a message that carries its type's metadata: a new
 * reference to item i's own message when it does or no recorded event of
 * the type does, else a new message. Thread-safe (allocates with a).
 */
psc_err psc__timeline_event_with_meta(const psc__timeline *tl, size_t i, psc_msg **out);

/*
 * event (a ServerMessage{event}) re-encoded with the EventType of
 * with_meta (an event of the same type that carries the property
 * metadata). *out is new. PSC_ERR_NOMEM (also for bytes that no longer
 * decode). Thread-safe.
 */
psc_err psc__event_graft_meta(const psc__alloc *a, const psc_msg *event, const psc_msg *with_meta, psc_msg **out);

/*
 * Decode a ServerMessage with a's memory: PSC_ERR_PROTOCOL for bytes that
 * are not one, PSC_ERR_NOMEM when memory ran out (never taken for a
 * damaged record). Free *out with peerscope__server_message__free_unpacked
 * and a's protobuf allocator.
 */
struct Peerscope__ServerMessage;
psc_err psc__timeline_unpack(const psc__alloc *a, const uint8_t *p, size_t len, struct Peerscope__ServerMessage **out);

/*
 * A sealed message of kind holding the ServerMessage bytes p, len, with
 * its version field set to the protocol's when it is missing or wrong
 * (old recordings). Thread-safe.
 */
psc_err psc__timeline_msg_from(const psc__alloc *a, psc_msg_kind kind, const uint8_t *p, size_t len, psc_msg **out);

#endif

/*
 * The transport-free session protocol (src/session/). This is the one
 * header of the folder: its contract for the endpoint first, then what the
 * session_*.c files share among themselves.
 *
 * One psc__session is one client of the 2020 introspection protocol. The
 * transport feeds it whole inbound messages (psc__session_input), calls
 * psc__session_poll on timers and event wake-ups, and pulls outbound
 * messages (psc__session_pull) when its socket can take them. Nothing here
 * blocks, touches a socket or reads a clock: every call takes `now_ms`, a
 * monotonic millisecond time chosen by the caller (tests inject it).
 *
 * Queues: responses and pushes go to the live queue (bounded; a state that
 * is still unsent when a newer one arrives is replaced; events stop being
 * read from the ring while the queue is full, so a slow client loses the
 * oldest events in the ring and is told with ServerNotice DISCARDING_EVENTS).
 * While paused, pushes go to the held queue with their time, pruned by
 * retention and bounded by count and bytes (evicting the oldest). After
 * PUSH_RESUME the OK response goes out first, then the held queue in order,
 * and new pushes queue behind it until it is empty.
 *
 * Delta states (Configuration.delta_states): the session remembers the full
 * state its client will have once everything queued is sent, and pushes a
 * delta from it (env.delta) in place of the next full state. Full states
 * still go out as the answer to REQUEST STATE, as every full_state_every-th
 * push, as the first push, whenever a held queue is in use (retention may
 * drop any held item, so each must stand alone) and right after a held
 * state was dropped. A pushed state replaced in the live queue (latest
 * wins) becomes a delta from the state the replaced one was based on.
 *
 * Not thread-safe: one thread per session.
 */
#ifndef PSC_SESSION_SESSION_H
#define PSC_SESSION_SESSION_H

#include "util/alloc.h"
#include "wire/timeline.h"
#include "peerscope/endpoint.h"
#include "peerscope/event.h"
#include "peerscope/message.h"

typedef struct psc__session psc__session;

/* Where a session gets what it sends. */
typedef struct psc__session_env {
    /* A State message for this service pass (sessions due together share one). */
    psc_err (*state)(void *user, psc_msg **out);
    /* A Runtime message. */
    psc_err (*runtime)(void *user, psc_msg **out);
    /* A new event cursor that starts after the newest event. */
    psc_err (*reader_new)(void *user, psc_event_reader **out);
    void *user;
    /*
     * A delta state from base to cur (both full states from state()), for
     * sessions that asked for deltas; any error means "send cur whole".
     * NULL: this environment has no deltas (such sessions get full states).
     */
    psc_err (*delta)(void *user, psc_msg *base, psc_msg *cur, psc_msg **out);
    /*
     * Non-NULL on an endpoint that replays a recording: pushed states and
     * events come from it, in recorded order, paced by the session's clock
     * (see session_replay.c), instead of from state() and the event ring.
     */
    const psc__replay_source *replay;
    /*
     * A cursor at the first held event with seq > after_seq (see
     * psc__events_reader_after), for PUSH_ENABLE EVENTS with
     * resume_events; *not_held: the events past after_seq already gone.
     * NULL: resuming is refused with an error response.
     */
    psc_err (*reader_after)(void *user, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out);
} psc__session_env;

/* Effective limits (psc_endpoint_options with defaults applied). */
typedef struct psc__session_limits {
    size_t max_queued;
    size_t max_paused;
    size_t max_paused_bytes;
    uint32_t max_commands_per_sec;
    uint32_t max_malformed_in_row;
} psc__session_limits;

/* Fill lim from options (NULL: defaults). PSC_ERR_INVALID for a bad struct_size. */
psc_err psc__session_limits_from(const psc_endpoint_options *options, psc__session_limits *lim);

/* Events encoded per poll per session before yielding to others. */
#define PSC__SESSION_EVENT_BATCH 256u
/* A notice that found no room or memory is tried again this much later. */
#define PSC__SESSION_NOTICE_RETRY_MS 100u
/* Sessions whose state push falls due within this many ms share a snapshot pass. */
#define PSC__SESSION_COALESCE_MS 20u
/* Queue slots kept free of events, for responses, states and notices. */
#define PSC__SESSION_RESERVE 16u
/* Configuration.full_state_every: default and maximum (1 means no deltas). */
#define PSC__SESSION_FULL_EVERY_DEFAULT 60u
#define PSC__SESSION_FULL_EVERY_MAX 3600u

/* *env and *lim are copied; a is kept by pointer and must outlive the session. */
psc_err psc__session_new(const psc__alloc *a, const psc__session_env *env, const psc__session_limits *lim,
                         uint64_t now_ms, psc__session **out);
void psc__session_free(psc__session *s);

/*
 * One inbound message (a serialized ClientCommand). Replies are queued.
 * PSC_OK, or PSC_ERR_CLOSED once the session wants to be closed (the reason
 * is in psc__session_close_reason). Memory failures turn into ERR replies.
 */
psc_err psc__session_input(psc__session *s, const uint8_t *data, size_t len, uint64_t now_ms);

/*
 * Timed and event work: due state push, new events (at most
 * PSC__SESSION_EVENT_BATCH; *more is set when more are waiting), pruning of
 * the held queue. PSC_ERR_CLOSED once the session wants to be closed.
 */
psc_err psc__session_poll(psc__session *s, uint64_t now_ms, bool *more);

/* True once HELLO was accepted. */
bool psc__session_hello_done(const psc__session *s);
/* True while the session reads the event ring (so wake-ups are wanted). */
bool psc__session_pushes_events(const psc__session *s);

/* When the next state push is due (now_ms scale); UINT64_MAX if none. */
uint64_t psc__session_next_due(const psc__session *s);

/*
 * Next message to send (a new reference). PSC_ERR_AGAIN when none,
 * PSC_ERR_CLOSED when the session wants to be closed. Reading resumes on
 * the event ring when the queue drains.
 */
psc_err psc__session_pull(psc__session *s, psc_msg **out, uint64_t now_ms);
bool psc__session_has_output(const psc__session *s);

/* The reason the session wants to be closed, or NULL. */
const char *psc__session_close_reason(const psc__session *s);
/* The transport gives up on the session (oversize message, ...); reason is static. */
void psc__session_fail(psc__session *s, const char *reason);

/* Counters and flags for psc_session_info (id, remote, opened_ms are the caller's). */
void psc__session_fill_info(const psc__session *s, psc_session_info *out);

/* ================================================ internals of src/session */

/*
 * Bounded FIFO of outbound messages for one session (session_queue.c).
 *
 * Items are addressed by absolute position so that a queued state can be
 * found again and replaced (latest-wins) in O(1). An item whose message
 * is NULL is skipped when popped.
 */
typedef enum psc__qkind {
    PSC__Q_REPLY = 0,   /* a command's answer (response, requested state or runtime) */
    PSC__Q_STATE = 1,   /* a pushed state */
    PSC__Q_EVENT = 2,
    PSC__Q_NOTICE = 3,
} psc__qkind;

typedef struct psc__qitem {
    psc_msg *msg;                 /* owned reference; NULL: skipped */
    psc_msg *base;                /* STATE: owned reference to the full state msg is a delta from; NULL: msg is full */
    uint64_t t;                   /* when it was queued (session clock) */
    uint64_t dropped;             /* NOTICE: the count it reports */
    const psc_event_type *type;   /* EVENT: its type */
    psc__qkind kind;
    bool meta;                    /* EVENT: carries the type's property_types */
} psc__qitem;

typedef struct psc__queue {
    psc__qitem *items;
    size_t cap;
    uint64_t head;                /* absolute position of items[head % cap] */
    size_t count;                 /* items, skipped ones included */
    size_t bytes;                 /* framed bytes of the live items */
} psc__queue;

psc_err psc__queue_init(psc__queue *q, const psc__alloc *a, size_t cap);
/* Drops every reference and frees the slots. */
void psc__queue_fini(psc__queue *q, const psc__alloc *a);

static inline bool psc__queue_full(const psc__queue *q)
{
    return q->count >= q->cap;
}

/* Append (the queue must not be full); takes over it->msg and it->base. Returns the item's position. */
uint64_t psc__queue_push(psc__queue *q, const psc__qitem *it);
/* The item at absolute position pos, or NULL if it left the queue. */
psc__qitem *psc__queue_at(psc__queue *q, uint64_t pos);
/* The first item (its msg may be NULL), or NULL when empty. */
psc__qitem *psc__queue_front(psc__queue *q);
/* Remove the first item into *out (the caller owns out->msg and out->base). The queue must not be empty. */
void psc__queue_pop(psc__queue *q, psc__qitem *out);
/* Replace the message of a live item (takes over m, drops the old one). */
void psc__queue_replace_msg(psc__queue *q, psc__qitem *it, psc_msg *m);

/* Framed size of a message, as counted in bytes. */
size_t psc__queue_msg_bytes(const psc_msg *m);


/*
 * A session's place in a replayed recording (session_replay.c): one
 * position per pushed kind (states, events), merged in recorded order, so
 * that a kind enabled a little after the other (clients send their
 * PUSH_ENABLEs one by one) still gets the recording from the start.
 */
typedef struct psc__replay_cursor {
    bool started;                 /* playback began (first PUSH_ENABLE) */
    size_t cur[2];                /* per kind (0 states, 1 events): the next timeline item to look at */
    bool enabled_once[2];         /* the kind was enabled before (a later enable goes on from the others' place) */
    uint64_t origin_now;          /* session time at which origin_ts plays */
    uint64_t origin_ts;           /* recorded time played at origin_now */
    uint64_t paused_at;           /* session time of PUSH_PAUSE (playback holds still) */
    uint64_t loops;               /* times playback went back to the beginning */
    uint8_t *seen;                /* bit per timeline event type: metadata already sent */
    size_t seen_bytes;
} psc__replay_cursor;

struct psc__session {
    const psc__alloc *a;
    psc__session_env env;
    psc__session_limits lim;

    psc__queue out;               /* sent first: replies, and pushes while live */
    psc__queue held;              /* pushes while paused, and behind them until drained */

    bool hello;
    bool push_state;
    bool push_events;
    bool paused;
    bool events_blocked;          /* stopped reading the ring because the queue is full */
    uint64_t retention_ms;
    uint64_t interval_ms;
    uint64_t next_due;            /* next state push; UINT64_MAX when not pushing */

    psc__queue *state_q;          /* where the latest unsent pushed state sits (latest-wins) */
    uint64_t state_pos;

    bool delta;                   /* the client asked for delta states */
    uint32_t full_every;          /* every full_every-th pushed state is full */
    uint32_t since_full;          /* deltas pushed since the last full state */
    bool force_full;              /* a held state was dropped: the client's state is unknown */
    psc_msg *have;                /* delta sessions: the full state the client has once the queue is sent */

    psc_event_reader *reader;     /* while pushing events */
    uint8_t *seen;                /* bit per event type index: metadata already sent */
    size_t seen_bytes;
    uint64_t dropped_pending;     /* events lost and not reported by a notice yet */
    const psc__alloc *reserve;    /* notices allocate here: a memory cap keeps room for them */
    uint64_t notice_retry;
    size_t notices_queued;        /* notices in a queue, not sent yet */        /* when to try again a notice that found no room or memory; 0: none */

    uint32_t malformed_row;
    uint64_t tokens;              /* command budget, in thousandths of a command */
    uint64_t tokens_t;
    const char *close_reason;     /* static string */

    uint64_t commands;
    uint64_t msgs_sent;
    uint64_t bytes_sent;
    uint64_t events_dropped;
    uint64_t states_replaced;

    psc__replay_cursor rp;        /* env.replay only */
};

/* session_config.c */
void psc__session_config_apply(psc__session *s, uint64_t retention_ms, uint64_t interval_ms);
/* Configuration.delta_states / full_state_every (false and 0 keep the current values). */
void psc__session_delta_apply(psc__session *s, bool delta, uint32_t full_every);
/* Spend one command from the rate budget; false when exhausted. */
bool psc__session_rate_take(psc__session *s, uint64_t now_ms);

/* session_encode.c: ServerMessage{response} (with_config: the session's
 * effective configuration) and ServerMessage{notice}; *out is new and sealed. */
psc_err psc__session_encode_response(const psc__alloc *a, uint64_t id, bool ok, const char *error,
                                     const psc__session *with_config, psc_msg **out);
psc_err psc__session_encode_notice(const psc__alloc *a, uint64_t dropped, psc_msg **out);
/* Allocate notices from a (which outlives s) instead of the session's allocator. */
void psc__session_use_reserve(psc__session *s, const psc__alloc *a);

/* session_push.c */
void psc__session_push_state(psc__session *s, uint64_t now_ms);
/* A full state goes to the client as a reply (REQUEST STATE): delta sessions base the next delta on it. */
void psc__session_state_replied(psc__session *s, psc_msg *full);
void psc__session_drain_events(psc__session *s, uint64_t now_ms, size_t budget, bool *more);
void psc__session_prune_held(psc__session *s, uint64_t now_ms);
void psc__session_events_stop(psc__session *s);
/*
 * PUSH_ENABLE EVENTS with resume_events: read from reader (taken over)
 * instead, after dropping the events still queued from an earlier reader
 * (the client gets them again from the new place) and forgetting which
 * types' metadata were sent. not_held goes into the next notice, before
 * the first event.
 */
void psc__session_events_resume(psc__session *s, psc_event_reader *reader, uint64_t not_held);

/* session_replay.c (env.replay set) */
/* PUSH_ENABLE of states (events false) or events: playback begins with the first. */
void psc__session_replay_enable(psc__session *s, bool events, uint64_t now_ms);
/* PUSH_PAUSE (pause true) holds playback still; PUSH_RESUME goes on from there. */
void psc__session_replay_pause(psc__session *s, bool pause, uint64_t now_ms);
/* Queue what has fallen due, at most budget messages (*more: more are due now). */
void psc__session_replay_drain(psc__session *s, uint64_t now_ms, size_t budget, bool *more);
/* When the next recorded message falls due (UINT64_MAX: none, or blocked, paused or done). */
uint64_t psc__session_replay_next_due(const psc__session *s);
/* REQUEST STATE: the state at the session's place in the recording (a new reference). */
psc_err psc__session_replay_state(psc__session *s, psc_msg **out);
/*
 * REQUEST STATE with at_ts: a CommandResponse{id, OK, state} holding the
 * state as it was at at_ts, or an error response saying why not (every
 * endpoint: a live one has no past to answer from). *out is new.
 */
psc_err psc__session_replay_state_at(psc__session *s, uint64_t id, uint64_t at_ts, psc_msg **out);
void psc__session_replay_free(psc__session *s);

#endif

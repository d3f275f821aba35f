/*
 * The transport-free session protocol (src/endpoint/session*.c).
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
#ifndef PSC_INTERNAL_SESSION_H
#define PSC_INTERNAL_SESSION_H

#include "internal/alloc.h"
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

/* ------------------------------------------------------------ delta states */

/*
 * What the endpoint needs from the core (src/core/delta*.c) for sessions
 * that asked for delta states: a STATE message (ServerMessage{state} with
 * State.delta set) holding what changed from base to cur, both STATE
 * messages made by psc_introspector_snapshot of intro (base the older).
 * Its State.delta.base_seq is base's seq and every other State field is
 * cur's. Built from the bytes of both messages, so it does not depend on
 * the session: every session whose previous state is base can share it.
 * PSC_ERR_UNSUPPORTED when a delta cannot describe the change exactly (a
 * key repeats within one list): send cur whole. PSC_ERR_INVALID when a
 * message is not such a state (a delta itself, say). Thread-safe.
 */
psc_err psc__state_delta(psc_introspector *intro, psc_msg *base, psc_msg *cur, psc_msg **out);

#endif

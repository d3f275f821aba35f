/* Internals shared by the session_*.c files (see internal/session.h). */
#ifndef PSC_ENDPOINT_SESSION_PRIV_H
#define PSC_ENDPOINT_SESSION_PRIV_H

#include "endpoint/session_queue.h"
#include "internal/session.h"

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

    uint32_t malformed_row;
    uint64_t tokens;              /* command budget, in thousandths of a command */
    uint64_t tokens_t;
    const char *close_reason;     /* static string */

    uint64_t commands;
    uint64_t msgs_sent;
    uint64_t bytes_sent;
    uint64_t events_dropped;
    uint64_t states_replaced;
};

/* session_config.c */
void psc__session_config_apply(psc__session *s, uint64_t retention_ms, uint64_t interval_ms);
/* Configuration.delta_states / full_state_every (false and 0 keep the current values). */
void psc__session_delta_apply(psc__session *s, bool delta, uint32_t full_every);
/* Spend one command from the rate budget; false when exhausted. */
bool psc__session_rate_take(psc__session *s, uint64_t now_ms);

/* session_encode.c: ServerMessage{response} and ServerMessage{notice}. */
struct ProtobufCAllocator;
/* A protobuf-c allocator that allocates through a (which must outlive its use). */
void psc__session_pb_allocator(const psc__alloc *a, struct ProtobufCAllocator *out);
psc_err psc__session_encode_response(const psc__alloc *a, uint64_t id, bool ok, const char *error,
                                     const psc__session *with_config, psc_msg **out);
psc_err psc__session_encode_notice(const psc__alloc *a, uint64_t dropped, psc_msg **out);
/* Pack a protobuf-c ServerMessage into a new sealed message of the given kind. */
struct Peerscope__ServerMessage;
psc_err psc__session_pack(const psc__alloc *a, psc_msg_kind kind, const struct Peerscope__ServerMessage *sm,
                          psc_msg **out);
/* Re-encode a queued event message so that it carries its type's metadata. */
psc_err psc__session_event_with_meta(const psc__alloc *a, const psc_event_type *type, const psc_msg *plain,
                                     psc_msg **out);

/* session_push.c */
void psc__session_push_state(psc__session *s, uint64_t now_ms);
/* A full state goes to the client as a reply (REQUEST STATE): delta sessions base the next delta on it. */
void psc__session_state_replied(psc__session *s, psc_msg *full);
void psc__session_drain_events(psc__session *s, uint64_t now_ms, size_t budget, bool *more);
void psc__session_prune_held(psc__session *s, uint64_t now_ms);
void psc__session_events_stop(psc__session *s);

#endif

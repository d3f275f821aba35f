/* The session protocol: lifecycle, commands and the outbound side. */
#include "session/session.h"
#include "session/session_relay.h"
#include "peerscope/peerscope.pb-c.h"

#include <stdio.h>

psc_err psc__session_new(const psc__alloc *a, const psc__session_env *env, const psc__session_limits *lim,
                         uint64_t now_ms, psc__session **out)
{
    if (!a || !env || !env->state || !env->runtime || !env->reader_new || !lim || !out)
        return PSC_ERR_INVALID;
    psc__session *s = psc__calloc(a, 1, sizeof(*s));
    if (!s)
        return PSC_ERR_NOMEM;
    s->a = a;
    s->reserve = a;
    s->env = *env;
    s->lim = *lim;
    /* The held queue is only allocated by the first PUSH_PAUSE. */
    if (psc__queue_init(&s->out, a, lim->max_queued)) {
        psc__session_free(s);
        return PSC_ERR_NOMEM;
    }
    s->retention_ms = PSC_SESSION_RETENTION_DEFAULT_MS;
    s->interval_ms = PSC_SESSION_INTERVAL_DEFAULT_MS;
    s->full_every = PSC__SESSION_FULL_EVERY_DEFAULT;
    s->next_due = UINT64_MAX;
    s->tokens = (uint64_t)lim->max_commands_per_sec * 2000u;
    s->tokens_t = now_ms;
    *out = s;
    return PSC_OK;
}

void psc__session_free(psc__session *s)
{
    if (!s)
        return;
    psc__session_events_stop(s);
    psc__session_replay_free(s);
    psc__queue_fini(&s->out, s->a);
    psc__queue_fini(&s->held, s->a);
    psc_msg_unref(s->have);
    psc__free(s->a, s->seen);
    psc__free(s->a, s);
}

void psc__session_fail(psc__session *s, const char *reason)
{
    if (!s->close_reason)
        s->close_reason = reason;
}

const char *psc__session_close_reason(const psc__session *s)
{
    return s->close_reason;
}

/* Queue a command's answer. A client that sends commands but never reads
 * would fill the queue: that is abuse, not something to buffer. */
static void reply_msg(psc__session *s, psc_msg *m, uint64_t now_ms)
{
    if (psc__queue_full(&s->out)) {
        psc_msg_unref(m);
        psc__session_fail(s, "outbound queue overflow: the client does not read");
        return;
    }
    psc__qitem it = {.msg = m, .t = now_ms, .kind = PSC__Q_REPLY};
    psc__queue_push(&s->out, &it);
}

static void reply(psc__session *s, uint64_t id, bool ok, const char *error, bool with_config, uint64_t now_ms)
{
    psc_msg *m = NULL;
    if (psc__session_encode_response(s->a, id, ok, error, with_config ? s : NULL, &m)) {
        /* The client would wait forever for this answer: better tell it by closing. */
        psc__session_fail(s, "server out of memory");
        return;
    }
    reply_msg(s, m, now_ms);
}

static void reply_err(psc__session *s, uint64_t id, const char *error, uint64_t now_ms)
{
    reply(s, id, false, error, false, now_ms);
}

static void cmd_request(psc__session *s, const Peerscope__ClientCommand *c, uint64_t now_ms)
{
    psc_msg *m = NULL;
    psc_err err;
    if (c->source == PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE && c->at_ts) {
        /* A past state is an answer (CommandResponse.state), not a push: it
         * leaves the client's delta base alone. */
        if (psc__session_replay_state_at(s, c->id, c->at_ts, &m) != PSC_OK)
            psc__session_fail(s, "server out of memory");
        else
            reply_msg(s, m, now_ms);
        return;
    }
    switch (c->source) {
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE:
        err = s->env.replay ? psc__session_replay_state(s, &m) : s->env.state(s->env.user, &m);
        break;
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME:
        err = s->env.runtime(s->env.user, &m);
        break;
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS:
        reply_err(s, c->id, "REQUEST EVENTS is not supported: use PUSH_ENABLE EVENTS", now_ms);
        return;
    default:
        reply_err(s, c->id, "unknown source", now_ms);
        return;
    }
    if (err == PSC_ERR_NOT_FOUND && psc__session_relay(s)) {
        /* a live relay before its node's first state (or after a new run) */
        reply_err(s, c->id, "no state yet", now_ms);
        return;
    }
    if (err) {
        char why[96];
        snprintf(why, sizeof why, "REQUEST failed: %s", psc_strerror(err));
        reply_err(s, c->id, why, now_ms);
        return;
    }
    /* The 2020 protocol answers a REQUEST with the payload itself, no response. */
    if (c->source == PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE && !s->close_reason && !psc__queue_full(&s->out))
        psc__session_state_replied(s, m);
    reply_msg(s, m, now_ms);
}

static void cmd_push(psc__session *s, const Peerscope__ClientCommand *c, bool enable, uint64_t now_ms)
{
    switch (c->source) {
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE:
        if (enable && s->env.replay) {
            psc__session_replay_enable(s, false, now_ms);
            s->push_state = true;
        } else if (enable && !s->push_state) {
            s->push_state = true;
            s->next_due = now_ms + s->interval_ms;
        } else if (!enable) {
            s->push_state = false;
            s->next_due = UINT64_MAX;
        }
        break;
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS:
        if (enable && s->env.replay) {
            psc__session_replay_enable(s, true, now_ms);
            s->push_events = true;
            if (c->resume_events)
                psc__session_replay_resume(s, c->after_seq);
        } else if (enable && c->resume_events) {
            if (!s->env.reader_after) {
                reply_err(s, c->id, "PUSH_ENABLE EVENTS: resume_events is not supported here", now_ms);
                return;
            }
            psc_event_reader *r = NULL;
            uint64_t not_held = 0;
            psc_err err = s->env.reader_after(s->env.user, c->after_seq, &not_held, &r);
            if (err) {
                char why[96];
                snprintf(why, sizeof why, "PUSH_ENABLE EVENTS (resume) failed: %s", psc_strerror(err));
                reply_err(s, c->id, why, now_ms);
                return;
            }
            psc__session_events_resume(s, r, not_held);
        } else if (enable && !s->push_events) {
            psc_event_reader *r = NULL;
            psc_err err = s->env.reader_new(s->env.user, &r);
            if (err) {
                char why[96];
                snprintf(why, sizeof why, "PUSH_ENABLE EVENTS failed: %s", psc_strerror(err));
                reply_err(s, c->id, why, now_ms);
                return;
            }
            s->reader = r;
            s->push_events = true;
        } else if (!enable) {
            psc__session_events_stop(s);
        }
        break;
    case PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME:
        reply_err(s, c->id, "RUNTIME cannot be pushed: use REQUEST RUNTIME", now_ms);
        return;
    default:
        reply_err(s, c->id, "unknown source", now_ms);
        return;
    }
    reply(s, c->id, true, NULL, false, now_ms);
}

static void cmd_update_config(psc__session *s, const Peerscope__ClientCommand *c, uint64_t now_ms)
{
    if (!c->config) {
        reply_err(s, c->id, "UPDATE_CONFIG needs a config", now_ms);
        return;
    }
    uint64_t old_interval = s->interval_ms;
    psc__session_config_apply(s, c->config->retention_period_ms, c->config->state_snapshot_interval_ms);
    psc__session_delta_apply(s, c->config->delta_states, c->config->full_state_every);
    if (s->push_state && s->interval_ms != old_interval)
        s->next_due = now_ms + s->interval_ms;
    reply(s, c->id, true, NULL, true, now_ms);
}

static void dispatch(psc__session *s, const Peerscope__ClientCommand *c, uint64_t now_ms)
{
    if (c->command == PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO) {
        if (s->hello) {
            reply_err(s, c->id, "HELLO was already received", now_ms);
            return;
        }
        if (c->config) {
            psc__session_config_apply(s, c->config->retention_period_ms, c->config->state_snapshot_interval_ms);
            psc__session_delta_apply(s, c->config->delta_states, c->config->full_state_every);
        }
        s->hello = true;
        reply(s, c->id, true, NULL, true, now_ms);
        return;
    }
    if (!s->hello) {
        reply_err(s, c->id, "HELLO must come first", now_ms);
        return;
    }
    switch (c->command) {
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST:
        cmd_request(s, c, now_ms);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE:
        cmd_push(s, c, true, now_ms);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_DISABLE:
        cmd_push(s, c, false, now_ms);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_PAUSE:
        if (!s->held.items && psc__queue_init(&s->held, s->a, s->lim.max_paused)) {
            reply_err(s, c->id, "PUSH_PAUSE failed: out of memory", now_ms);
            break;
        }
        if (s->env.replay)
            psc__session_replay_pause(s, true, now_ms);
        s->paused = true;
        reply(s, c->id, true, NULL, false, now_ms);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_RESUME:
        /* The OK goes to the live queue, which is sent before the held one. */
        if (s->env.replay)
            psc__session_replay_pause(s, false, now_ms);
        s->paused = false;
        reply(s, c->id, true, NULL, false, now_ms);
        break;
    case PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG:
        cmd_update_config(s, c, now_ms);
        break;
    default: {
        char why[64];
        snprintf(why, sizeof why, "unknown command %d", (int)c->command);
        reply_err(s, c->id, why, now_ms);
        break;
    }
    }
}

psc_err psc__session_input(psc__session *s, const uint8_t *data, size_t len, uint64_t now_ms)
{
    if (s->close_reason)
        return PSC_ERR_CLOSED;
    s->commands++;
    if (!psc__session_rate_take(s, now_ms)) {
        psc__session_fail(s, "command rate limit exceeded");
        return PSC_ERR_CLOSED;
    }
    ProtobufCAllocator pa;
    psc__alloc_protobuf(s->a, &pa);
    Peerscope__ClientCommand *c = peerscope__client_command__unpack(&pa, len, data);
    if (!c) {
        /* protobuf-c gives no reason; allocation failure looks the same. */
        reply_err(s, 0, "malformed ClientCommand", now_ms);
        if (++s->malformed_row >= s->lim.max_malformed_in_row)
            psc__session_fail(s, "too many malformed commands");
        return s->close_reason ? PSC_ERR_CLOSED : PSC_OK;
    }
    s->malformed_row = 0;
    dispatch(s, c, now_ms);
    peerscope__client_command__free_unpacked(c, &pa);
    return s->close_reason ? PSC_ERR_CLOSED : PSC_OK;
}

psc_err psc__session_poll(psc__session *s, uint64_t now_ms, bool *more)
{
    bool m = false;
    if (!s->close_reason) {
        psc__session_prune_held(s, now_ms);
        psc__session_push_state(s, now_ms);
        psc__session_drain_events(s, now_ms, PSC__SESSION_EVENT_BATCH, &m);
    }
    if (more)
        *more = m;
    return s->close_reason ? PSC_ERR_CLOSED : PSC_OK;
}

bool psc__session_hello_done(const psc__session *s)
{
    return s->hello;
}

bool psc__session_pushes_events(const psc__session *s)
{
    /* a replay's events come from its recording, not from the ring */
    return s->push_events && !s->close_reason && !s->env.replay;
}

uint64_t psc__session_next_due(const psc__session *s)
{
    if (s->env.replay)
        return psc__session_replay_next_due(s);
    uint64_t due = s->push_state ? s->next_due : UINT64_MAX;
    if (s->dropped_pending && s->notice_retry && s->notice_retry < due)
        due = s->notice_retry;
    return due;
}

static bool take(psc__queue *q, psc__qitem *it)
{
    while (q->count) {
        psc__queue_pop(q, it);
        /* once on its way, nothing can replace it: its base is not needed any more */
        psc_msg_unref(it->base);
        it->base = NULL;
        if (it->msg)
            return true;
    }
    return false;
}

psc_err psc__session_pull(psc__session *s, psc_msg **out, uint64_t now_ms)
{
    if (s->close_reason)
        return PSC_ERR_CLOSED;
    psc__qitem it;
    bool got = take(&s->out, &it);
    if (!got && !s->paused) {
        /* Retention applies while paused only: once resumed, all of it goes. */
        got = take(&s->held, &it);
    }
    if (s->events_blocked) {
        /* Room again: catch up on the ring (what it overwrote meanwhile is counted). */
        s->events_blocked = false;
        bool more;
        psc__session_drain_events(s, now_ms, PSC__SESSION_EVENT_BATCH, &more);
        if (!got)
            got = take(&s->out, &it) || (!s->paused && take(&s->held, &it));
    }
    if (!got)
        return PSC_ERR_AGAIN;
    if (it.kind == PSC__Q_NOTICE)
        s->notices_queued--;
    s->msgs_sent++;
    s->bytes_sent += psc__queue_msg_bytes(it.msg);
    *out = it.msg;
    return PSC_OK;
}

bool psc__session_has_output(const psc__session *s)
{
    return s->close_reason || s->out.count || (!s->paused && s->held.count) || s->events_blocked;
}

void psc__session_fill_info(const psc__session *s, psc_session_info *out)
{
    out->hello_done = s->hello;
    out->push_state = s->push_state;
    out->push_events = s->push_events;
    out->paused = s->paused;
    out->retention_period_ms = s->retention_ms;
    out->state_snapshot_interval_ms = s->interval_ms;
    out->commands = s->commands;
    out->messages_sent = s->msgs_sent;
    out->bytes_sent = s->bytes_sent;
    out->events_dropped = s->events_dropped;
    out->states_replaced = s->states_replaced;
    out->queued = s->out.count + (s->paused ? 0 : s->held.count);
    out->paused_queued = s->paused ? s->held.count : 0;
}

void psc__session_use_reserve(psc__session *s, const psc__alloc *a)
{
    s->reserve = a;
}

/*
 * A session of an endpoint that serves a live replay (peerscope/replay.h,
 * core/relay.h): it pushes what the producer adds, as a session of a live
 * node pushes what the host does, with no clock of its own.
 *
 * The session's place is two positions of the relay (rp.cur[0]: the
 * newest state it was given; rp.cur[1]: the next event) and the run it is
 * in (rp.origin_ts). Nothing is copied into the session beyond its
 * bounded queue: a client that does not read leaves its place behind in
 * the relay, where the window moving on counts what it lost, and a state
 * still unsent is replaced by the newer one (latest wins), so the
 * producer never waits and a stalled session costs one queue.
 */
#include "session/session_relay.h"

#include "wire/relay.h"

struct psc__relay *psc__session_relay(const psc__session *s)
{
    return s->env.replay ? psc__replay_live(s->env.replay) : NULL;
}

static bool room(const psc__session *s)
{
    return s->out.count + PSC__SESSION_RESERVE < s->out.cap;
}

static bool need_meta(void *user, uint32_t type)
{
    return !psc__session_replay_seen_get(user, type);
}

/* A new run upstream: what the session had not got of the old one is gone on purpose, not lost. */
static void follow_run(psc__session *s, const psc__relay_window *w)
{
    if (s->rp.origin_ts == w->run)
        return;
    s->rp.origin_ts = w->run;
    if (s->rp.cur[1] < w->run_first)
        s->rp.cur[1] = w->run_first;
}

void psc__session_relay_enable(psc__session *s, bool events)
{
    psc__relay *rl = psc__session_relay(s);
    psc__relay_window w;
    psc__relay_events(rl, &w);
    if (!s->rp.started) {
        s->rp.started = true;
        s->rp.origin_ts = w.run;
    }
    follow_run(s, &w);
    if (events && !s->push_events) {
        s->rp.cur[1] = w.end; /* from now on, as on a live node */
    } else if (!events && !s->push_state) {
        s->rp.cur[0] = 0; /* the newest state goes out at once */
        s->state_q = NULL;
    }
}

void psc__session_replay_resume(psc__session *s, uint64_t after_seq)
{
    psc__relay *rl = psc__session_relay(s);
    if (!rl || !s->push_events)
        return;
    psc__relay_window w;
    psc__relay_events(rl, &w);
    follow_run(s, &w);
    uint64_t lost = 0;
    s->rp.cur[1] = psc__relay_resume_at(rl, after_seq, &lost);
    s->dropped_pending += lost;
    s->events_dropped += lost;
}

/* Queue the newest state unless the session has it; replaces one still unsent. */
static void push_state(psc__session *s, psc__relay *rl, uint64_t now_ms)
{
    psc_msg *m = NULL;
    uint64_t pos = 0;
    if (psc__relay_state(rl, &m, &pos) != PSC_OK)
        return; /* none in this run yet: pushes start with the first */
    if (pos <= s->rp.cur[0]) {
        psc_msg_unref(m);
        return;
    }
    psc__qitem *old = s->state_q == &s->out ? psc__queue_at(&s->out, s->state_pos) : NULL;
    if (old && old->msg && old->kind == PSC__Q_STATE) {
        psc__queue_replace_msg(&s->out, old, m);
        old->t = now_ms;
        s->states_replaced++;
        s->rp.cur[0] = pos;
        return;
    }
    s->state_q = NULL;
    if (!room(s)) {
        /* psc__session_pull drains again once the client took some */
        s->events_blocked = true;
        psc_msg_unref(m);
        return;
    }
    psc__qitem it = {.msg = m, .t = now_ms, .kind = PSC__Q_STATE};
    s->state_pos = psc__queue_push(&s->out, &it);
    s->state_q = &s->out;
    s->rp.cur[0] = pos;
}

/*
 * The notice of what this session lost goes before the events after the
 * gap, always (stricter than a live node's ring, which may let events
 * pass a notice still waiting): false when it must wait, for room or for
 * the client to take the notice before it (one at a time, so a stalled
 * reader holds one notice, and the next carries what was lost meanwhile).
 */
static bool push_notice(psc__session *s, uint64_t now_ms)
{
    psc_msg *m = NULL;
    if (s->notices_queued || !room(s) || psc__session_encode_notice(s->reserve, s->dropped_pending, &m) != PSC_OK)
        return false;
    psc__qitem it = {.msg = m, .t = now_ms, .kind = PSC__Q_NOTICE, .dropped = s->dropped_pending};
    psc__queue_push(&s->out, &it);
    s->notices_queued++;
    s->dropped_pending = 0;
    return true;
}

void psc__session_relay_drain(psc__session *s, uint64_t now_ms, size_t budget, bool *more)
{
    *more = false;
    if (!s->rp.started || s->paused || s->close_reason)
        return;
    psc__relay *rl = psc__session_relay(s);
    psc__relay_window w;
    psc__relay_events(rl, &w);
    follow_run(s, &w);
    if (s->push_state)
        push_state(s, rl, now_ms);
    if (!s->push_events)
        return;
    for (size_t n = 0;;) {
        if (s->rp.cur[1] < w.first) {
            uint64_t lost = w.first - s->rp.cur[1];
            s->dropped_pending += lost;
            s->events_dropped += lost;
            s->rp.cur[1] = w.first;
        }
        if (s->dropped_pending && !push_notice(s, now_ms)) {
            s->events_blocked = true;
            return;
        }
        if (s->rp.cur[1] >= w.end)
            return;
        if (!room(s)) {
            s->events_blocked = true;
            return;
        }
        if (n == budget) {
            *more = true;
            return;
        }
        psc_msg *m = NULL;
        uint32_t type = 0;
        bool meta = false;
        psc_err e = psc__relay_event(rl, s->rp.cur[1], need_meta, s, &m, &type, &meta);
        if (e == PSC_ERR_NOT_FOUND) {
            /* the window moved on meanwhile: the loop counts what went */
            psc__relay_events(rl, &w);
            follow_run(s, &w);
            continue;
        }
        if (e != PSC_OK)
            return; /* out of memory: the next poll tries again, nothing skipped */
        psc__qitem it = {.msg = m, .t = now_ms, .kind = PSC__Q_EVENT, .meta = meta};
        psc__queue_push(&s->out, &it);
        if (meta)
            psc__session_replay_seen_set(s, type);
        s->rp.cur[1]++;
        n++;
    }
}

psc_err psc__session_relay_state(psc__session *s, psc_msg **out)
{
    return psc__relay_state(psc__session_relay(s), out, NULL);
}

/* The pushing side of a session: state timer, events, the held (pause) queue. */
#include "session/session.h"
#include "events/events.h"

void psc__session_events_stop(psc__session *s)
{
    psc_event_reader_free(s->reader);
    s->reader = NULL;
    s->push_events = false;
    s->events_blocked = false;
}

static void unqueue_events(psc__queue *q)
{
    for (size_t i = 0; q->items && i < q->count; i++) {
        psc__qitem *it = psc__queue_at(q, q->head + i);
        if (it->kind == PSC__Q_EVENT && it->msg)
            psc__queue_replace_msg(q, it, NULL);
    }
}

void psc__session_events_resume(psc__session *s, psc_event_reader *reader, uint64_t not_held)
{
    unqueue_events(&s->out);
    unqueue_events(&s->held);
    if (s->seen_bytes)
        memset(s->seen, 0, s->seen_bytes);
    psc_event_reader_free(s->reader);
    s->reader = reader;
    s->push_events = true;
    s->events_blocked = false;
    /* Reported to the client, not to the analyzer: the node lost nothing
     * now, this client was away while the ring moved on. */
    s->events_dropped += not_held;
    s->dropped_pending += not_held;
}

/* ---------------------------------------------------------- metadata bits */

static bool seen_get(const psc__session *s, size_t idx)
{
    return idx / 8 < s->seen_bytes && (s->seen[idx / 8] >> (idx % 8)) & 1u;
}

/* false when the bitmap could not grow: the caller then just sends the
 * metadata again next time, which costs bytes but loses nothing. */
static bool seen_set(psc__session *s, size_t idx, bool on)
{
    if (idx / 8 >= s->seen_bytes) {
        if (!on)
            return true;
        size_t n = (idx / 8 + 1) * 2;
        uint8_t *bits = psc__calloc(s->a, n, 1);
        if (!bits)
            return false;
        if (s->seen_bytes)
            memcpy(bits, s->seen, s->seen_bytes);
        psc__free(s->a, s->seen);
        s->seen = bits;
        s->seen_bytes = n;
    }
    if (on)
        s->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
    else
        s->seen[idx / 8] &= (uint8_t)~(1u << (idx % 8));
    return true;
}

/* ---------------------------------------------------------- held queue */

/*
 * An event that carried its type's metadata is leaving the held queue
 * unsent: the next queued event of that type must carry it instead, or, if
 * none is queued, the next one read from the ring.
 */
static void meta_lost(psc__session *s, const psc_event_type *type)
{
    psc__queue *q = &s->held;
    for (size_t i = 0; i < q->count; i++) {
        psc__qitem *it = psc__queue_at(q, q->head + i);
        if (it->kind != PSC__Q_EVENT || it->type != type || !it->msg)
            continue;
        psc_msg *m = NULL;
        if (psc__event_msg_with_meta(s->a, type, it->msg, &m) == PSC_OK) {
            psc__queue_replace_msg(q, it, m);
            it->meta = true;
            return;
        }
        break;
    }
    seen_set(s, psc__event_type_index(type), false);
}

/* Drop the oldest held item. count_as_drop: overflow (reported to the
 * client) rather than retention (which the client asked for). */
/* Events this session lost: counted for its notice and its info, and for the analyzer (events_dropped). */
static void lost_events(psc__session *s, uint64_t n)
{
    s->events_dropped += n;
    s->dropped_pending += n;
    psc__event_reader_note_lost(s->reader, n);
}

static void held_drop_front(psc__session *s, bool count_as_drop)
{
    psc__qitem it;
    psc__queue_pop(&s->held, &it);
    psc_msg_unref(it.base);
    if (!it.msg)
        return;
    if (it.kind == PSC__Q_STATE)
        s->force_full = true; /* the client will not have it: the next delta would miss its base */
    if (it.kind == PSC__Q_EVENT && count_as_drop) {
        lost_events(s, 1);
    } else if (it.kind == PSC__Q_NOTICE) {
        /* Its count has not reached the client: carry it to the next notice. */
        s->dropped_pending += it.dropped;
        s->notices_queued--;
    }
    psc_msg_unref(it.msg);
    if (it.kind == PSC__Q_EVENT && it.meta)
        meta_lost(s, it.type);
}

void psc__session_prune_held(psc__session *s, uint64_t now_ms)
{
    if (!s->paused)
        return;
    psc__qitem *it;
    while ((it = psc__queue_front(&s->held)) && (!it->msg || now_ms - it->t > s->retention_ms))
        held_drop_front(s, false);
}

/* Make room for `bytes` more in the held queue while paused (oldest go first). */
static void held_make_room(psc__session *s, size_t bytes, uint64_t now_ms)
{
    psc__session_prune_held(s, now_ms);
    while (s->held.count && (psc__queue_full(&s->held) || s->held.bytes + bytes > s->lim.max_paused_bytes))
        held_drop_front(s, true);
}

/* ---------------------------------------------------------- pushing */

/* The queue pushes go to now: held while paused and until it has drained
 * after a resume (so the order of what was held is kept). */
static psc__queue *push_queue(psc__session *s)
{
    return (s->paused || s->held.count) ? &s->held : &s->out;
}

/* Room for one more event without eating the reserve kept for replies. */
static bool event_room(psc__session *s)
{
    if (s->paused)
        return true; /* the held queue evicts its oldest instead */
    psc__queue *q = push_queue(s);
    size_t reserve = q == &s->out ? PSC__SESSION_RESERVE : 0;
    return q->count + reserve < q->cap;
}

/* Takes over it->msg in every case. Returns false if it was dropped. */
static bool push(psc__session *s, psc__qitem *it, uint64_t now_ms)
{
    psc__queue *q = push_queue(s);
    if (s->paused)
        held_make_room(s, psc__queue_msg_bytes(it->msg), now_ms);
    if (psc__queue_full(q)) {
        psc_msg_unref(it->msg);
        return false;
    }
    it->t = now_ms;
    psc__queue_push(q, it);
    return true;
}

/* ---------------------------------------------------------- delta states */

static void set_have(psc__session *s, psc_msg *full)
{
    psc_msg_ref(full);
    psc_msg_unref(s->have);
    s->have = full;
}

/* A state waits in the held queue; the reply overtakes it (live goes first). */
static bool held_has_state(psc__session *s)
{
    for (size_t i = 0; i < s->held.count; i++) {
        const psc__qitem *it = psc__queue_at(&s->held, s->held.head + i);
        if (it->msg && it->kind == PSC__Q_STATE)
            return true;
    }
    return false;
}

void psc__session_state_replied(psc__session *s, psc_msg *full)
{
    /* The reply goes out after any pushed state still queued: replacing
     * that one now would send the client an older state last. This holds
     * with or without deltas (deltas may be switched on later, and a 2020
     * client would see time go backwards). */
    s->state_q = NULL;
    if (!s->delta)
        return;
    /* the client ends up with the last held state, which is already s->have */
    if (!held_has_state(s)) {
        set_have(s, full);
        s->since_full = 0;
    }
}

/*
 * What to send for the full state cur (a new reference): a delta from base
 * when the session takes deltas, has a base and no full state is due, else
 * cur itself. *delta tells which.
 */
static psc_msg *state_to_send(psc__session *s, psc_msg *base, psc_msg *cur, bool *delta)
{
    *delta = false;
    if (s->delta && base && s->env.delta && s->since_full + 1 < s->full_every) {
        psc_msg *d = NULL;
        if (s->env.delta(s->env.user, base, cur, &d) == PSC_OK) {
            s->since_full++;
            *delta = true;
            return d;
        }
    }
    s->since_full = 0;
    return psc_msg_ref(cur);
}

/* ---------------------------------------------------------- state pushes */

void psc__session_push_state(psc__session *s, uint64_t now_ms)
{
    if (s->env.replay)
        return; /* recorded states are played with the events (psc__session_replay_drain) */
    if (!s->push_state || now_ms + PSC__SESSION_COALESCE_MS < s->next_due)
        return;
    /* Keep the cadence, but do not try to catch up on missed ticks. */
    s->next_due += s->interval_ms;
    if (s->next_due <= now_ms)
        s->next_due = now_ms + s->interval_ms;

    psc_msg *cur = NULL;
    if (s->env.state(s->env.user, &cur))
        return; /* nothing to send this tick; the next one tries again */

    psc__queue *q = push_queue(s);
    bool delta;
    if (!s->paused && s->state_q == q) {
        /* Latest wins, in place: a client that does not read holds one
         * state whatever the time it stays away. */
        psc__qitem *old = psc__queue_at(q, s->state_pos);
        if (old && old->msg && old->kind == PSC__Q_STATE) {
            /* the client never saw the replaced state: start from its base */
            psc_msg *m = state_to_send(s, q == &s->out ? old->base : NULL, cur, &delta);
            psc__queue_replace_msg(q, old, m);
            if (!delta) {
                psc_msg_unref(old->base);
                old->base = NULL;
            }
            old->t = now_ms;
            s->states_replaced++;
            if (s->delta)
                set_have(s, cur);
            psc_msg_unref(cur);
            return;
        }
    }
    s->state_q = NULL;
    /* only the live queue carries deltas: held items may be dropped one by one */
    psc_msg *base = q == &s->out && !s->force_full ? s->have : NULL;
    psc_msg *m = state_to_send(s, base, cur, &delta);
    psc__qitem it = {.msg = m, .base = delta ? psc_msg_ref(base) : NULL, .kind = PSC__Q_STATE};
    if (!push(s, &it, now_ms)) {
        psc_msg_unref(it.base);
        psc_msg_unref(cur);
        s->states_replaced++;
        return;
    }
    if (s->delta) {
        set_have(s, cur);
        if (!delta)
            s->force_full = false;
    }
    psc_msg_unref(cur);
    /* While paused every state is part of the timeline: only live ones are replaced. */
    if (!s->paused) {
        s->state_q = q;
        s->state_pos = q->head + q->count - 1;
    }
}

static void push_notice(psc__session *s, uint64_t now_ms)
{
    /* Evict first: what the eviction drops is then counted in this notice. */
    if (s->paused)
        held_make_room(s, 64, now_ms);
    psc__queue *q = push_queue(s);
    /* A client that does not read gets one notice at a time: the next
     * carries what was lost meanwhile (a stalled reader would otherwise
     * fill its queue, and a memory cap's reserve, with notices). */
    if (s->notices_queued) {
        s->notice_retry = now_ms + PSC__SESSION_NOTICE_RETRY_MS;
        return;
    }
    psc_msg *m = NULL;
    if (psc__queue_full(q) || psc__session_encode_notice(s->reserve, s->dropped_pending, &m)) {
        /* stays pending, reported with the next one; if no event comes to
         * carry it, a poll soon tries again (out of memory passes) */
        s->notice_retry = now_ms + PSC__SESSION_NOTICE_RETRY_MS;
        return;
    }
    psc__qitem it = {.msg = m, .t = now_ms, .kind = PSC__Q_NOTICE, .dropped = s->dropped_pending};
    psc__queue_push(q, &it);
    s->notices_queued++;
    s->dropped_pending = 0;
    s->notice_retry = 0;
}

static void push_event(psc__session *s, const psc_event_record *rec, uint64_t now_ms)
{
    size_t idx = psc__event_type_index(rec->type);
    bool meta = !seen_get(s, idx);
    psc_msg *m = NULL;
    if (psc__event_msg(s->a, rec, meta, &m)) {
        lost_events(s, 1);
        return;
    }
    psc__qitem it = {.msg = m, .kind = PSC__Q_EVENT, .type = rec->type, .meta = meta};
    if (!push(s, &it, now_ms)) {
        lost_events(s, 1);
        return;
    }
    if (meta)
        (void)seen_set(s, idx, true); /* if it cannot grow, the next one carries metadata too */
}

void psc__session_drain_events(psc__session *s, uint64_t now_ms, size_t budget, bool *more)
{
    if (s->env.replay) {
        psc__session_replay_drain(s, now_ms, budget, more);
        return;
    }
    *more = false;
    if (!s->push_events || s->close_reason)
        return;
    for (size_t n = 0;; n++) {
        if (!event_room(s)) {
            /* Leave the rest in the ring: a client that does not read costs
             * nothing more, and what the ring overwrites is counted. */
            s->events_blocked = true;
            return;
        }
        if (n == budget) {
            *more = true;
            return;
        }
        psc_event_record rec;
        uint64_t missed = 0;
        psc_err err = psc_event_reader_next(s->reader, &rec, &missed);
        if (missed)
            lost_events(s, missed);
        /* The notice goes before the events that follow the gap. */
        if (s->dropped_pending)
            push_notice(s, now_ms);
        if (err)
            return; /* PSC_ERR_AGAIN: caught up */
        push_event(s, &rec, now_ms);
    }
}

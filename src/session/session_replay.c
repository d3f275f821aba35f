/*
 * A session of a replaying endpoint (env.replay): what a live session
 * pushes from snapshots and the event ring, it pushes from a recording.
 *
 * Each session plays the recording on its own, from the first PUSH_ENABLE
 * (of states or events) on: the message stamped origin_ts goes out at
 * session time origin_now, and each later one after its recorded distance
 * divided by the speed (at speed 0, as fast as the client takes them). So
 * every client of a replay sees the whole recording from the start (or
 * from the configured start time), and what a live node would have pushed
 * it pushes: every recorded state and event, in recorded order, never
 * dropped (a slow client holds playback back instead: the recording is
 * not going anywhere). PUSH_PAUSE holds playback still; PUSH_RESUME goes
 * on from the same place. States go out whole (the timeline rebuilt the
 * recorded deltas), so 2020 clients see a plain live stream.
 *
 * States and events have a position each, merged in recorded order: a
 * client's PUSH_ENABLEs arrive one message at a time, and one poll between
 * them must not make the second kind miss what the first already played
 * (at speed 0 that would be the whole recording). A kind enabled for the
 * first time starts where playback began, what is already due going out
 * at once; enabled again after a PUSH_DISABLE, it goes on from the other
 * kind's place, as on a live node.
 *
 * A live replay (a relay of a running node) has no recording to play:
 * its sessions are session_relay.c's, and each call here hands over to it.
 */
#include "session/session.h"

#include <stdio.h>

#include "wire/relay.h"
#include "session/session_relay.h"
#include "wire/timeline.h"
#include "wire/wire.h"

static const psc__timeline *timeline(const psc__session *s)
{
    return s->env.replay->tl;
}

bool psc__session_replay_seen_get(const psc__session *s, size_t idx)
{
    return idx / 8 < s->rp.seen_bytes && (s->rp.seen[idx / 8] >> (idx % 8)) & 1u;
}

/* When the bitmap cannot grow, nothing is marked: the next event of the type carries metadata too. */
void psc__session_replay_seen_set(psc__session *s, size_t idx)
{
    if (idx / 8 >= s->rp.seen_bytes) {
        size_t n = (idx / 8 + 1) * 2;
        uint8_t *bits = psc__calloc(s->a, n, 1);
        if (!bits)
            return;
        if (s->rp.seen_bytes)
            memcpy(bits, s->rp.seen, s->rp.seen_bytes);
        psc__free(s->a, s->rp.seen);
        s->rp.seen = bits;
        s->rp.seen_bytes = n;
    }
    s->rp.seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
}

void psc__session_replay_free(psc__session *s)
{
    psc__free(s->a, s->rp.seen);
    s->rp.seen = NULL;
    s->rp.seen_bytes = 0;
}

/* Where playback begins: the configured start, or the recording's. */
static uint64_t begin_ts(const psc__session *s)
{
    uint64_t start = psc__timeline_start_ts(timeline(s));
    const psc__replay_source *rs = s->env.replay;
    if (!rs->start_ts)
        return rs->start_offset_ms > UINT64_MAX - start ? UINT64_MAX : start + rs->start_offset_ms;
    return rs->start_ts > start ? rs->start_ts : start;
}

static bool follows(const psc__session *s, int kind)
{
    return kind ? s->push_events : s->push_state;
}

/* Where a kind's position is: past the items of other kinds from cur[kind] on. */
static size_t advance(psc__session *s, int kind)
{
    const psc__timeline *tl = timeline(s);
    size_t n = psc__timeline_count(tl), i = s->rp.cur[kind];
    uint8_t want = kind ? PSC__TL_EVENT : PSC__TL_STATE;
    while (i < n && psc__timeline_item(tl, i)->kind != want)
        i++;
    return s->rp.cur[kind] = i;
}

/* The next item to play: the earliest of the followed kinds' positions (count when none). */
static size_t next_item(psc__session *s, int *kind)
{
    size_t best = psc__timeline_count(timeline(s));
    for (int k = 0; k < 2; k++) {
        if (!follows(s, k))
            continue;
        size_t i = advance(s, k);
        if (i < best) {
            best = i;
            *kind = k;
        }
    }
    return best;
}

/*
 * next_item without moving anything (for next_due). Cheap: the drain that
 * ran before has moved the positions up to the items it stopped at.
 */
static size_t peek_next(const psc__session *s)
{
    const psc__timeline *tl = timeline(s);
    size_t n = psc__timeline_count(tl), best = n;
    for (int k = 0; k < 2; k++) {
        if (!follows(s, k))
            continue;
        uint8_t want = k ? PSC__TL_EVENT : PSC__TL_STATE;
        size_t i = s->rp.cur[k];
        while (i < best && psc__timeline_item(tl, i)->kind != want)
            i++;
        if (i < best)
            best = i;
    }
    return best;
}

/* Whether the recording holds anything of the kinds followed (a loop over nothing would spin). */
static bool has_followed(const psc__session *s)
{
    psc__tl_counts c;
    psc__timeline_counts(timeline(s), &c);
    return (s->push_state && c.states) || (s->push_events && c.events);
}

void psc__session_replay_enable(psc__session *s, bool events, uint64_t now_ms)
{
    if (psc__session_relay(s)) {
        psc__session_relay_enable(s, events);
        return;
    }
    int kind = events ? 1 : 0;
    if (follows(s, kind))
        return;
    if (!s->rp.started) {
        s->rp.started = true;
        s->rp.origin_ts = begin_ts(s);
        s->rp.cur[0] = s->rp.cur[1] = psc__timeline_find(timeline(s), s->rp.origin_ts);
        s->rp.origin_now = now_ms;
        s->rp.paused_at = now_ms; /* if it starts paused, the clock holds from here */
    } else if (s->rp.enabled_once[kind] && follows(s, !kind) && s->rp.cur[kind] < s->rp.cur[!kind]) {
        /* Enabled again after a PUSH_DISABLE: from where playback is, as live. */
        s->rp.cur[kind] = s->rp.cur[!kind];
    }
    /* enabled for the first time: from where playback began (what came since is due at once) */
    s->rp.enabled_once[kind] = true;
}

void psc__session_replay_pause(psc__session *s, bool pause, uint64_t now_ms)
{
    /* live: a paused session is only not drained; on resume it gets the newest */
    if (!s->rp.started || pause == s->paused || psc__session_relay(s))
        return;
    if (pause)
        s->rp.paused_at = now_ms;
    else if (now_ms > s->rp.paused_at)
        s->rp.origin_now += now_ms - s->rp.paused_at;
}

/* Session time at which item i plays (0 at speed 0: always due). */
static uint64_t due_of(const psc__session *s, size_t i)
{
    double speed = s->env.replay->speed;
    if (speed <= 0)
        return 0;
    const psc__tl_item *it = psc__timeline_item(timeline(s), i);
    uint64_t ts = it->ts > s->rp.origin_ts ? it->ts - s->rp.origin_ts : 0;
    double d = (double)ts / speed;
    if (d >= (double)(UINT64_MAX - s->rp.origin_now))
        return UINT64_MAX - 1;
    return s->rp.origin_now + (uint64_t)d;
}

/* At the end of what is followed: back to the beginning when looping. false when playback is over. */
static bool at_end(psc__session *s, uint64_t now_ms)
{
    int kind = 0;
    if (next_item(s, &kind) < psc__timeline_count(timeline(s)))
        return false;
    if (!s->env.replay->loop || !has_followed(s))
        return true;
    /* The last message played at now (or earlier, when behind): the first
     * one follows it straight away, so a loop has no gap of its own. */
    s->rp.cur[0] = s->rp.cur[1] = 0;
    s->rp.origin_ts = psc__timeline_start_ts(timeline(s));
    s->rp.origin_now = now_ms;
    s->rp.loops++;
    return false;
}

static bool room(const psc__session *s)
{
    return s->out.count + PSC__SESSION_RESERVE < s->out.cap;
}

void psc__session_replay_drain(psc__session *s, uint64_t now_ms, size_t budget, bool *more)
{
    if (psc__session_relay(s)) {
        psc__session_relay_drain(s, now_ms, budget, more);
        return;
    }
    *more = false;
    if (!s->rp.started || s->paused || s->close_reason)
        return;
    const psc__timeline *tl = timeline(s);
    for (size_t n = 0;;) {
        if (at_end(s, now_ms))
            return;
        int kind = 0;
        size_t i = next_item(s, &kind);
        if (due_of(s, i) > now_ms)
            return;
        if (!room(s)) {
            /* psc__session_pull calls back here once the client took some. */
            s->events_blocked = true;
            return;
        }
        if (n == budget) {
            *more = true;
            return;
        }
        const psc__tl_item *it = psc__timeline_item(tl, i);
        psc_msg *m = NULL;
        psc__qitem q = {.t = now_ms};
        if (kind == 0) {
            m = psc_msg_ref(it->msg);
            q.kind = PSC__Q_STATE;
        } else {
            bool meta = !psc__session_replay_seen_get(s, it->type);
            if (!meta)
                m = psc_msg_ref(it->msg);
            else if (psc__timeline_event_with_meta(tl, i, &m) != PSC_OK)
                return; /* out of memory: try again at the next poll, nothing is skipped */
            if (meta)
                psc__session_replay_seen_set(s, it->type);
            q.kind = PSC__Q_EVENT;
        }
        q.msg = m;
        psc__queue_push(&s->out, &q);
        s->rp.cur[kind] = i + 1;
        n++;
    }
}

uint64_t psc__session_replay_next_due(const psc__session *s)
{
    if (psc__session_relay(s))
        return UINT64_MAX; /* what the producer adds wakes the endpoint */
    if (!s->rp.started || s->paused || s->events_blocked || s->close_reason || (!s->push_state && !s->push_events))
        return UINT64_MAX;
    const psc__timeline *tl = timeline(s);
    size_t n = psc__timeline_count(tl), i = peek_next(s);
    if (i < n)
        return due_of(s, i);
    /* At the end: a loop starts again once the last message has played. */
    return s->env.replay->loop && has_followed(s) ? due_of(s, n - 1) : UINT64_MAX;
}

psc_err psc__session_replay_state(psc__session *s, psc_msg **out)
{
    if (psc__session_relay(s))
        return psc__session_relay_state(s, out);
    const psc__timeline *tl = timeline(s);
    /* where playback is: the furthest of the followed kinds */
    size_t at = 0;
    for (int k = 0; k < 2; k++)
        if (follows(s, k) && s->rp.cur[k] > at)
            at = s->rp.cur[k];
    psc_msg *m = s->rp.started ? psc__timeline_state_before(tl, at) : NULL;
    if (!m)
        m = psc__timeline_state_at(tl, begin_ts(s));
    if (!m)
        return PSC_ERR_NOT_FOUND;
    *out = psc_msg_ref(m);
    return PSC_OK;
}

/* The State body inside a ServerMessage{version, state} payload (field 2). */
static bool state_body(const psc_msg *m, const uint8_t **body, size_t *body_len)
{
    size_t len;
    const uint8_t *p = psc_msg_payload(m, &len);
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key = 0, n = 0;
        for (unsigned sh = 0; p < end && sh < 64; sh += 7) {
            key |= (uint64_t)(*p & 0x7f) << sh;
            if (!(*p++ & 0x80))
                break;
        }
        if ((key & 7) == 0) {
            while (p < end && (*p++ & 0x80))
                ;
            continue;
        }
        if ((key & 7) != 2)
            return false; /* a ServerMessage holds nothing else at its top level */
        for (unsigned sh = 0; p < end && sh < 64; sh += 7) {
            n |= (uint64_t)(*p & 0x7f) << sh;
            if (!(*p++ & 0x80))
                break;
        }
        if (n > (uint64_t)(end - p))
            return false;
        if (key >> 3 == PSC__F_SERVER_MESSAGE__STATE) {
            *body = p;
            *body_len = (size_t)n;
            return true;
        }
        p += n;
    }
    return false;
}

static psc_err state_reply(psc__session *s, uint64_t id, const psc_msg *st, psc_msg **out);

psc_err psc__session_replay_state_at(psc__session *s, uint64_t id, uint64_t at_ts, psc_msg **out)
{
    char why[160];
    if (!s->env.replay)
        return psc__session_encode_response(
            s->a, id, false, "at_ts needs an endpoint that replays a recording (Runtime.recording set)", NULL, out);
    psc__relay *rl = psc__session_relay(s);
    if (rl) {
        uint64_t oldest = 0, newest = 0;
        psc_msg *held = NULL;
        psc_err e = psc__relay_state_at(rl, at_ts, &held, &oldest, &newest);
        if (e == PSC_ERR_NOT_FOUND)
            return psc__session_encode_response(s->a, id, false, "no state yet", NULL, out);
        if (e != PSC_OK) {
            snprintf(why, sizeof why, "at_ts %llu is outside the states held (%llu to %llu)",
                     (unsigned long long)at_ts, (unsigned long long)oldest, (unsigned long long)newest);
            return psc__session_encode_response(s->a, id, false, why, NULL, out);
        }
        e = state_reply(s, id, held, out);
        psc_msg_unref(held);
        return e;
    }
    const psc__timeline *tl = timeline(s);
    uint64_t start = psc__timeline_start_ts(tl), end = psc__timeline_end_ts(tl);
    if (at_ts < start || at_ts > end) {
        snprintf(why, sizeof why, "at_ts %llu is outside the recording (%llu to %llu)", (unsigned long long)at_ts,
                 (unsigned long long)start, (unsigned long long)end);
        return psc__session_encode_response(s->a, id, false, why, NULL, out);
    }
    psc_msg *st = psc__timeline_state_at(tl, at_ts);
    if (!st)
        return psc__session_encode_response(s->a, id, false, "the recording holds no state", NULL, out);
    return state_reply(s, id, st, out);
}

/* CommandResponse{id, OK, state} with the State of st (a ServerMessage{state}). */
static psc_err state_reply(psc__session *s, uint64_t id, const psc_msg *st, psc_msg **out)
{
    const uint8_t *body = NULL;
    size_t body_len = 0;
    if (!state_body(st, &body, &body_len))
        return psc__session_encode_response(s->a, id, false, "the recorded state cannot be read", NULL, out);
    size_t n = psc__pb_uint_size_opt(PSC__F_COMMAND_RESPONSE__ID, id) +
               psc__pb_len_size(PSC__F_COMMAND_RESPONSE__STATE, body_len);
    psc_msg *m;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(s->a, PSC_MSG_RESPONSE, n, &m, &p);
    if (e != PSC_OK)
        return e;
    p = psc__pb_put_uint_opt(p, PSC__F_COMMAND_RESPONSE__ID, id);
    p = psc__pb_put_bytes(p, PSC__F_COMMAND_RESPONSE__STATE, body, body_len);
    if ((e = psc__wire_sm_seal(m, p)) != PSC_OK)
        return e;
    *out = m;
    return PSC_OK;
}

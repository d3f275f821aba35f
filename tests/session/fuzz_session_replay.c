/*
 * Fuzz target for a session of a replaying endpoint (session_replay.c):
 * the first input byte chooses how to play a small recording (speed 0,
 * 0.5, 1 or 3; loop; a start time), the rest is a program of commands
 * (PUSH_ENABLE/DISABLE of states and events, PUSH_PAUSE/RESUME, REQUEST
 * STATE with and without at_ts, raw bytes), clock steps with polls, and
 * reads. Invariants beyond "no crash":
 *  - everything sent is a well-formed frame saying version 1, and states
 *    are always whole;
 *  - without a loop, events come in recorded order (they may skip ahead
 *    after PUSH_DISABLE, never go back; states cannot be told from the
 *    answers to REQUEST STATE, so only their form is checked);
 *  - after a poll that says nothing more is waiting, the next due time is
 *    in the future (no busy loop), and the queues stay within bounds;
 *  - at_ts answers carry the state recorded at or before that time.
 * (libFuzzer entry point; tests/fuzz/fuzz_main.c drives it where libFuzzer
 * is not available.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "../support/fake_msg.h"
#include "wire/timeline.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1600000000000ull
#define N_STATES 5
#define N_EVENTS 12

typedef struct ctx {
    bool loop;
    int last_event;       /* n of the last event pushed (-1: none); states cannot be told from REQUEST answers */
} ctx;

static psc_err no_state(void *user, psc_msg **out)
{
    (void)user;
    (void)out;
    abort(); /* a replaying session never takes a live snapshot */
}

static psc_err a_runtime(void *user, psc_msg **out)
{
    (void)user;
    return psc_test_fake_runtime(&psc__default_alloc, "fuzz", out);
}

static psc_err no_reader(void *user, psc_event_reader **out)
{
    (void)user;
    (void)out;
    abort(); /* nor reads the event ring */
}

/* States 1..5 every 1000 ms (2 and 4 recorded as deltas), events n = 0..11 every 400 ms. */
static psc__timeline *recording(void)
{
    psc__timeline *tl = NULL;
    if (psc__timeline_new(&psc__default_alloc, &tl) != PSC_OK)
        return NULL;
    int e = 0;
    for (uint64_t t = 0; t <= 4400; t += 200) {
        if (t % 1000 == 0 && t / 1000 < N_STATES) {
            uint64_t seq = t / 1000 + 1;
            psc_msg *m = NULL;
            if (psc_test_fake_state(&psc__default_alloc, seq, seq % 2 == 0 ? seq - 1 : 0, T0 + t, &m) != PSC_OK)
                abort();
            size_t n;
            const uint8_t *p = psc_msg_payload(m, &n);
            if (psc__timeline_add(tl, p, n, 0, NULL, 0) != PSC_OK)
                abort();
            psc_msg_unref(m);
        }
        if (t % 400 == 0 && e < N_EVENTS) {
            Peerscope__EventType type = PEERSCOPE__EVENT_TYPE__INIT;
            type.name = e % 3 ? "A" : "B";
            char content[32];
            snprintf(content, sizeof content, "{\"n\":%d}", e++);
            Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
            ev.type = &type;
            ev.ts = T0 + t;
            ev.content = content;
            Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
            sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
            sm.event = &ev;
            uint8_t buf[128];
            size_t n = peerscope__server_message__pack(&sm, buf);
            if (psc__timeline_add(tl, buf, n, 0, NULL, 0) != PSC_OK)
                abort();
        }
    }
    psc__timeline_seal(tl);
    return tl;
}

static void check_msg(ctx *c, psc_msg *m)
{
    size_t flen = 0, plen = 0;
    const uint8_t *framed = psc_msg_framed(m, &flen);
    const uint8_t *payload = NULL;
    if (psc_frame_parse(framed, flen, &payload, &plen) != PSC_OK)
        abort();
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, plen, payload);
    if (!sm || !sm->version || sm->version->version != 1)
        abort();
    if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
        if (sm->state->delta)
            abort();
    } else if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT) {
        int n = -1;
        if (sscanf(sm->event->content, "{\"n\":%d}", &n) != 1 || n < 0 || n >= N_EVENTS)
            abort();
        if (!c->loop && n <= c->last_event)
            abort();
        c->last_event = n;
    } else if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE && sm->response->state) {
        /* an at_ts answer: the state recorded at or before id's time (see the program) */
        uint64_t at = T0 + sm->response->id * 50;
        if (sm->response->state->instant_ts > at && sm->response->state->seq != 1)
            abort();
        if (sm->response->state->delta)
            abort();
    }
    peerscope__server_message__free_unpacked(sm, NULL);
}

static void pull_some(ctx *c, psc__session *s, uint64_t now, int k)
{
    for (int i = 0; i < k; i++) {
        psc_msg *m = NULL;
        if (psc__session_pull(s, &m, now) != PSC_OK)
            break;
        check_msg(c, m);
        psc_msg_unref(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const double speeds[4] = {0, 0.5, 1, 3};
    psc__timeline *tl = recording();
    if (!tl)
        return 0;
    ctx c = {.loop = (data[0] & 4) != 0, .last_event = -1};
    psc__replay_source src = {.tl = tl, .speed = speeds[data[0] & 3], .loop = c.loop,
                              .start_offset_ms = (uint64_t)(data[0] >> 3) * 150};
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_queued = PSC__SESSION_RESERVE + 4;
    lim.max_commands_per_sec = 100000;
    lim.max_malformed_in_row = 1000;
    psc__session_env env = {no_state, a_runtime, no_reader, &c, NULL, &src, NULL};
    psc__session *s = NULL;
    uint64_t now = 1000000;
    if (psc__session_new(&psc__default_alloc, &env, &lim, now, &s) != PSC_OK) {
        psc__timeline_free(tl);
        return 0;
    }
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = i < size ? data[i++] : 0;
        switch (op % 5) {
        case 0: { /* raw bytes as a ClientCommand */
            size_t len = arg % 32;
            if (len > size - i)
                len = size - i;
            psc__session_input(s, data + i, len, now);
            i += len;
            break;
        }
        case 1: { /* a well-formed command; REQUEST STATE at T0 + id * 50 when arg says so */
            Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
            cmd.command = (Peerscope__ClientCommand__Command)(arg % 7);
            cmd.source = (Peerscope__ClientCommand__Source)((arg >> 3) % 3);
            cmd.id = (uint64_t)(arg >> 1);
            if (cmd.command == PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST && (arg & 0x40))
                cmd.at_ts = T0 + cmd.id * 50;
            uint8_t buf[64];
            size_t n = peerscope__client_command__pack(&cmd, buf);
            psc__session_input(s, buf, n, now);
            break;
        }
        case 2: { /* time passes, then a poll */
            now += (uint64_t)arg * 25;
            bool more = false;
            psc__session_poll(s, now, &more);
            if (!more && psc__session_next_due(s) <= now)
                abort(); /* the endpoint would spin */
            break;
        }
        default:
            pull_some(&c, s, now, arg % 8);
            break;
        }
        psc_session_info info = {.struct_size = sizeof info};
        psc__session_fill_info(s, &info);
        if (info.queued > lim.max_queued)
            abort();
    }
    psc__session_free(s);
    psc__timeline_free(tl);
    return 0;
}

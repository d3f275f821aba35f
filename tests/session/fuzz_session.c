/*
 * Fuzz target for the session protocol: the input is a little program of
 * inbound messages (raw bytes, or well-formed commands to reach deep
 * states), clock steps, emits, polls and pulls. Everything that comes out
 * must be a well-formed frame, the queues must stay within their bounds,
 * and every delta state must be based on the state the client got last.
 * (libFuzzer entry point; tests/wire/fuzz_main.c drives it where
 * libFuzzer is not available.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "session/session.h"
#include "../support/fake_msg.h"
#include "wire/msg.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
    psc__events *ev;
    uint64_t seq;
    uint64_t client_seq; /* the state the client has: 0 none */
} ctx;

static uint64_t seq_of(const psc_msg *m)
{
    uint64_t seq = psc_test_state_seq(m, NULL);
    if (!seq)
        abort();
    return seq;
}

static psc_err fz_state(void *user, psc_msg **out)
{
    ctx *c = user;
    return psc_test_fake_state(&psc__default_alloc, ++c->seq, 0, 0, out);
}

static psc_err fz_delta(void *user, psc_msg *base, psc_msg *cur, psc_msg **out)
{
    ctx *c = user;
    if (c->seq % 7 == 0)
        return PSC_ERR_UNSUPPORTED; /* sometimes none can be made: a full state goes instead */
    return psc_test_fake_state(&psc__default_alloc, seq_of(cur), seq_of(base), 0, out);
}

static psc_err fz_runtime(void *user, psc_msg **out)
{
    (void)user;
    return psc_test_fake_runtime(&psc__default_alloc, "fuzz", out);
}

static psc_err fz_reader(void *user, psc_event_reader **out)
{
    ctx *c = user;
    return psc__events_reader_new(c->ev, false, out);
}

static psc_err fz_reader_after(void *user, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out)
{
    ctx *c = user;
    return psc__events_reader_after(c->ev, after_seq, not_held, out);
}

static void check_msg(ctx *c, psc_msg *m)
{
    size_t flen = 0, plen = 0;
    const uint8_t *framed = psc_msg_framed(m, &flen);
    const uint8_t *payload = NULL;
    if (psc_frame_parse(framed, flen, &payload, &plen) != PSC_OK)
        abort();
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, plen, payload);
    if (!sm || !sm->version || sm->version->version != 1 ||
        sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD__NOT_SET)
        abort();
    if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
        if (sm->state->delta && sm->state->delta->base_seq != c->client_seq)
            abort(); /* a delta the client could not apply */
        c->client_seq = sm->state->seq;
    }
    peerscope__server_message__free_unpacked(sm, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const psc_prop_def props[] = {{"n", PSC_PROP_NUMBER, false}};
    static const psc_event_def defs[2] = {{"A", props, 1}, {"B", props, 1}};
    ctx c = {0};
    psc__clock clock;
    psc__clock_init(&clock, NULL);
    if (psc__events_new(&psc__default_alloc, &clock, 64, 0, &c.ev))
        return 0;
    const psc_event_type *types[2];
    psc__events_declare(c.ev, &defs[0], &types[0]);
    psc__events_declare(c.ev, &defs[1], &types[1]);
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_queued = 64;
    lim.max_paused = 8;
    lim.max_paused_bytes = 4096;
    lim.max_commands_per_sec = 1000;
    psc__session_env env = {fz_state, fz_runtime, fz_reader, &c, fz_delta, NULL, fz_reader_after};
    psc__session *s = NULL;
    uint64_t now = 1000000;
    if (psc__session_new(&psc__default_alloc, &env, &lim, now, &s)) {
        psc__events_free(c.ev);
        return 0;
    }
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = i < size ? data[i++] : 0;
        switch (op % 6) {
        case 0: { /* raw bytes as a ClientCommand */
            size_t len = arg % 48;
            if (len > size - i)
                len = size - i;
            psc__session_input(s, data + i, len, now);
            i += len;
            break;
        }
        case 1: { /* a well-formed command */
            Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
            Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
            cmd.command = (Peerscope__ClientCommand__Command)(arg % 9);
            cmd.source = (Peerscope__ClientCommand__Source)((arg >> 4) % 4);
            cmd.id = arg;
            if (arg & 0x80) {
                cfg.retention_period_ms = (uint64_t)arg * 100;
                cfg.state_snapshot_interval_ms = (uint64_t)arg * 7;
                cfg.delta_states = (arg & 0x40) != 0;
                cfg.full_state_every = arg % 5;
                cmd.config = &cfg;
            }
            uint8_t buf[64];
            size_t n = peerscope__client_command__pack(&cmd, buf);
            psc__session_input(s, buf, n, now);
            break;
        }
        case 2: { /* time passes, then a poll */
            now += (uint64_t)arg * 20;
            bool more;
            psc__session_poll(s, now, &more);
            break;
        }
        case 3: { /* emits */
            for (int k = 0; k < (arg % 16) + 1; k++) {
                psc_value v = PSC_V_NUM(k);
                psc__events_emit(c.ev, types[(arg + k) & 1], now, &v, 1);
            }
            break;
        }
        default: { /* the client reads some */
            for (int k = 0; k < arg % 32; k++) {
                psc_msg *m = NULL;
                if (psc__session_pull(s, &m, now) != PSC_OK)
                    break;
                check_msg(&c, m);
                psc_msg_unref(m);
            }
            break;
        }
        }
        psc_session_info info = {.struct_size = sizeof info};
        psc__session_fill_info(s, &info);
        if (info.queued + info.paused_queued > lim.max_queued + lim.max_paused)
            abort();
    }
    psc__session_free(s);
    psc__events_free(c.ev);
    return 0;
}

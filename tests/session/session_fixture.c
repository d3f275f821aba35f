#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "../support/fake_msg.h"
#include "wire/msg.h"
#include "peerscope/wire.h"
#include "session_fixture.h"

static psc_err fake_state(void *user, psc_msg **out)
{
    fx *f = user;
    f->state_calls++;
    if (f->fail_state)
        return PSC_ERR_PROVIDER;
    psc_err err = psc_test_fake_state(&f->a, f->state_seq + 1, 0, f->now, out);
    if (!err)
        f->state_seq++;
    return err;
}

static uint64_t seq_of(const psc_msg *m)
{
    bool is_delta = true;
    uint64_t seq = psc_test_state_seq(m, &is_delta);
    assert_true(seq > 0);
    assert_false(is_delta); /* deltas are made from full states only */
    return seq;
}

static psc_err fake_delta(void *user, psc_msg *base, psc_msg *cur, psc_msg **out)
{
    fx *f = user;
    f->delta_calls++;
    if (f->fail_delta)
        return PSC_ERR_UNSUPPORTED;
    return psc_test_fake_state(&f->a, seq_of(cur), seq_of(base), f->now, out);
}

static psc_err fake_runtime(void *user, psc_msg **out)
{
    fx *f = user;
    return psc_test_fake_runtime(&f->a, "fixture", out);
}

static psc_err fake_reader_new(void *user, psc_event_reader **out)
{
    fx *f = user;
    return psc__events_reader_new(f->ev, false, out);
}

static psc_err fake_reader_after(void *user, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out)
{
    fx *f = user;
    return psc__events_reader_after(f->ev, after_seq, not_held, out);
}

static const psc_prop_def props_a[] = {{"n", PSC_PROP_NUMBER, false}};
static const psc_prop_def props_b[] = {{"text", PSC_PROP_STRING, false}, {"peers", PSC_PROP_PEERID, true}};
static const psc_event_def def_a = {"TypeA", props_a, 1};
static const psc_event_def def_b = {"TypeB", props_b, 2};

psc_err fx_init_with(fx *f, const psc__alloc *a, size_t ring_capacity, const psc__session_limits *lim)
{
    memset(f, 0, sizeof *f);
    f->a = *a;
    f->now = 1000000;
    if (lim)
        f->lim = *lim;
    else
        psc__session_limits_from(NULL, &f->lim);
    psc__clock clock;
    psc__clock_init(&clock, NULL);
    psc_err err = psc__events_new(&f->a, &clock, ring_capacity, 0, &f->ev);
    if (err)
        return err;
    if ((err = psc__events_declare(f->ev, &def_a, &f->type_a)) ||
        (err = psc__events_declare(f->ev, &def_b, &f->type_b)) || (err = fx_session(f, &f->s))) {
        psc__events_free(f->ev);
        f->ev = NULL;
        return err;
    }
    return PSC_OK;
}

void fx_init(fx *f, size_t ring_capacity, const psc__session_limits *lim)
{
    assert_int_equal(fx_init_with(f, &psc__default_alloc, ring_capacity, lim), PSC_OK);
}

psc_err fx_session(fx *f, psc__session **out)
{
    psc__session_env env = {fake_state, fake_runtime, fake_reader_new, f, fake_delta, NULL, fake_reader_after};
    return psc__session_new(&f->a, &env, &f->lim, f->now, out);
}

void fx_fini(fx *f)
{
    psc__session_free(f->s);
    f->s = NULL;
    psc__events_free(f->ev);
    f->ev = NULL;
}

psc_err fx_cmd(fx *f, psc__session *s, int command, int source, uint64_t id, const Peerscope__Configuration *cfg)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = (Peerscope__ClientCommand__Command)command;
    c.source = (Peerscope__ClientCommand__Source)source;
    c.id = id;
    c.config = (Peerscope__Configuration *)cfg;
    uint8_t buf[128];
    size_t n = peerscope__client_command__pack(&c, buf);
    return psc__session_input(s, buf, n, f->now);
}

Peerscope__ServerMessage *fx_pull(fx *f, psc__session *s)
{
    psc_msg *m = NULL;
    psc_err err = psc__session_pull(s, &m, f->now);
    if (err == PSC_ERR_AGAIN)
        return NULL;
    assert_int_equal(err, PSC_OK);
    size_t flen = 0, plen = 0;
    const uint8_t *framed = psc_msg_framed(m, &flen);
    const uint8_t *payload = NULL;
    assert_int_equal(psc_frame_parse(framed, flen, &payload, &plen), PSC_OK);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, plen, payload);
    assert_non_null(sm);
    assert_non_null(sm->version);
    assert_int_equal(sm->version->version, 1);
    psc_msg_unref(m);
    return sm;
}

void fx_free_msg(Peerscope__ServerMessage *m)
{
    if (m)
        peerscope__server_message__free_unpacked(m, NULL);
}

Peerscope__ServerMessage *fx_expect_response(fx *f, psc__session *s, uint64_t id, bool ok)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(m->response->id, id);
    if (ok)
        assert_int_equal(m->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    else {
        assert_int_equal(m->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
        assert_true(strlen(m->response->error) > 0);
    }
    return m;
}

void fx_expect_nothing(fx *f, psc__session *s)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    if (m)
        fail_msg("unexpected message, payload case %d", (int)m->payload_case);
}

void fx_hello(fx *f, psc__session *s)
{
    assert_int_equal(fx_cmd(f, s, CMD_HELLO, 0, 1, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(f, s, 1, true));
}

void fx_hello_delta(fx *f, psc__session *s, uint32_t full_every)
{
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.delta_states = true;
    cfg.full_state_every = full_every;
    assert_int_equal(fx_cmd(f, s, CMD_HELLO, 0, 1, &cfg), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(f, s, 1, true);
    assert_non_null(m->response->effective_config);
    assert_true(m->response->effective_config->delta_states);
    fx_free_msg(m);
}

void fx_emit_a(fx *f, double n)
{
    psc_value v = PSC_V_NUM(n);
    assert_int_equal(psc__events_emit(f->ev, f->type_a, f->now, &v, 1), PSC_OK);
}

void fx_emit_b(fx *f, const char *text)
{
    static const char *const peers[] = {"12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"};
    psc_value v[2] = {PSC_V_STR(text), PSC_V_STRS(peers, 1)};
    assert_int_equal(psc__events_emit(f->ev, f->type_b, f->now, v, 2), PSC_OK);
}

/* Session protocol: malformed input, rate limit, outbound overflow, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "session_fixture.h"

static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};

static void malformed_gets_err_then_close(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    /* a few, then a good command: the count starts again */
    for (int i = 0; i < 9; i++) {
        assert_int_equal(psc__session_input(f.s, garbage, sizeof garbage, f.now), PSC_OK);
        Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 0, false);
        assert_non_null(strstr(m->response->error, "malformed"));
        fx_free_msg(m);
    }
    fx_hello(&f, f.s);
    for (int i = 0; i < 9; i++) {
        f.now += 100; /* stay under the rate limit */
        assert_int_equal(psc__session_input(f.s, garbage, sizeof garbage, f.now), PSC_OK);
    }
    assert_null(psc__session_close_reason(f.s));
    f.now += 100;
    assert_int_equal(psc__session_input(f.s, garbage, sizeof garbage, f.now), PSC_ERR_CLOSED);
    assert_non_null(psc__session_close_reason(f.s));
    assert_non_null(strstr(psc__session_close_reason(f.s), "malformed"));
    /* the transport is told to close, and nothing else happens any more */
    assert_true(psc__session_has_output(f.s));
    psc_msg *m = NULL;
    assert_int_equal(psc__session_pull(f.s, &m, f.now), PSC_ERR_CLOSED);
    assert_int_equal(psc__session_input(f.s, garbage, sizeof garbage, f.now), PSC_ERR_CLOSED);
    bool more;
    assert_int_equal(psc__session_poll(f.s, f.now, &more), PSC_ERR_CLOSED);
    fx_fini(&f);
}

static void empty_message_is_a_hello(void **state)
{
    (void)state;
    /* proto3: every field at its default is a valid HELLO with id 0 */
    fx f;
    fx_init(&f, 0, NULL);
    assert_int_equal(psc__session_input(f.s, NULL, 0, f.now), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 0, true));
    fx_fini(&f);
}

static void command_rate_limit(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_commands_per_sec = 10;
    fx f;
    fx_init(&f, 0, &lim);
    fx_hello(&f, f.s);
    /* a burst of twice the rate passes (the HELLO was one of them) */
    for (int i = 0; i < 19; i++) {
        assert_int_equal(fx_cmd(&f, f.s, CMD_PAUSE, 0, 10 + i, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, 10 + i, true));
    }
    /* sustained at the rate passes */
    for (int i = 0; i < 30; i++) {
        f.now += 100;
        assert_int_equal(fx_cmd(&f, f.s, CMD_PAUSE, 0, 100 + i, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, 100 + i, true));
    }
    /* faster does not */
    psc_err err = PSC_OK;
    for (int i = 0; i < 5 && err == PSC_OK; i++)
        err = fx_cmd(&f, f.s, CMD_PAUSE, 0, 200 + i, NULL);
    assert_int_equal(err, PSC_ERR_CLOSED);
    assert_non_null(strstr(psc__session_close_reason(f.s), "rate"));
    fx_fini(&f);
}

static void client_that_never_reads_is_closed(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_queued = 64;
    lim.max_commands_per_sec = 1000;
    fx f;
    fx_init(&f, 0, &lim);
    psc_err err = PSC_OK;
    int n = 0;
    for (; n < 1000 && err == PSC_OK; n++)
        err = fx_cmd(&f, f.s, CMD_REQUEST, SRC_RUNTIME, (uint64_t)n, NULL);
    assert_int_equal(err, PSC_ERR_CLOSED);
    assert_true(n <= 66);
    assert_non_null(strstr(psc__session_close_reason(f.s), "queue"));
    fx_fini(&f);
}

static void limits_from_options(void **state)
{
    (void)state;
    psc__session_limits lim;
    assert_int_equal(psc__session_limits_from(NULL, &lim), PSC_OK);
    assert_int_equal(lim.max_queued, 512);
    assert_int_equal(lim.max_commands_per_sec, 50);
    assert_int_equal(lim.max_malformed_in_row, 10);
    psc_endpoint_options o = PSC_ENDPOINT_OPTIONS_INIT;
    o.max_queued_messages = 3;
    o.max_commands_per_sec = 7;
    assert_int_equal(psc__session_limits_from(&o, &lim), PSC_OK);
    assert_int_equal(lim.max_queued, 64);
    assert_int_equal(lim.max_commands_per_sec, 7);
    o.struct_size = 4;
    assert_int_equal(psc__session_limits_from(&o, &lim), PSC_ERR_INVALID);
}

/* ---------------------------------------------------------- allocation failures */

static psc_err scenario(void *arg, psc_test_alloc *t)
{
    (void)arg;
    psc__alloc a;
    psc__alloc_init(&a, &t->iface);
    fx f;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_paused = 3;
    psc_err err = fx_init_with(&f, &a, 16, &lim);
    if (err)
        return err;
    psc__session *s = f.s;
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.retention_period_ms = 1000;
    fx_cmd(&f, s, CMD_HELLO, 0, 1, &cfg);
    fx_cmd(&f, s, CMD_ENABLE, SRC_EVENTS, 2, NULL);
    fx_cmd(&f, s, CMD_ENABLE, SRC_STATE, 3, NULL);
    fx_cmd(&f, s, CMD_REQUEST, SRC_RUNTIME, 4, NULL);
    fx_emit_a(&f, 1);
    fx_emit_b(&f, "b");
    bool more;
    psc__session_poll(s, f.now, &more);
    fx_cmd(&f, s, CMD_PAUSE, 0, 5, NULL);
    for (int i = 2; i < 8; i++)
        fx_emit_a(&f, i);
    f.now += 1000;
    psc__session_poll(s, f.now, &more);
    f.now += 1100;
    psc__session_poll(s, f.now, &more);
    fx_cmd(&f, s, CMD_RESUME, 0, 6, NULL);
    for (int i = 0; i < 40; i++)
        fx_emit_b(&f, "overflow");
    psc__session_poll(s, f.now, &more);

    /* Whatever failed, what comes out is well-formed and in protocol. */
    psc_msg *m = NULL;
    uint64_t responses = 0;
    while ((err = psc__session_pull(s, &m, f.now)) == PSC_OK) {
        size_t len = 0;
        const uint8_t *p = psc_msg_payload(m, &len);
        Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
        assert_non_null(sm);
        if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE)
            responses++;
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
    }
    const char *why = psc__session_close_reason(s);
    if (err == PSC_ERR_CLOSED)
        assert_non_null(why);
    else
        assert_int_equal(err, PSC_ERR_AGAIN);
    fx_fini(&f);
    if (t->failures)
        return PSC_ERR_NOMEM;
    assert_int_equal(responses, 5); /* HELLO, 2 enables, pause, resume */
    return PSC_OK;
}

static void each_allocation_may_fail(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(scenario, NULL, 2000);
    assert_true(runs > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_gets_err_then_close),
        cmocka_unit_test(empty_message_is_a_hello),
        cmocka_unit_test(command_rate_limit),
        cmocka_unit_test(client_that_never_reads_is_closed),
        cmocka_unit_test(limits_from_options),
        cmocka_unit_test(each_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Session protocol: HELLO, REQUEST, PUSH_* replies, UPDATE_CONFIG, clamping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "session_fixture.h"

static void expect_config(Peerscope__ServerMessage *m, uint64_t retention, uint64_t interval)
{
    assert_non_null(m->response->effective_config);
    assert_int_equal(m->response->effective_config->retention_period_ms, retention);
    assert_int_equal(m->response->effective_config->state_snapshot_interval_ms, interval);
}

static void hello_must_come_first(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    /* the server sends nothing on connect */
    fx_expect_nothing(&f, f.s);
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 5, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 5, false));
    assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_EVENTS, 6, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 6, false));
    assert_int_equal(f.state_calls, 0);

    assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 7, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 7, true);
    expect_config(m, 120000, 1000);
    fx_free_msg(m);

    /* a second HELLO is refused and changes nothing */
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.state_snapshot_interval_ms = 5000;
    assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 8, &cfg), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 8, false));
    cfg.state_snapshot_interval_ms = 0;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, 0, 9, &cfg), PSC_OK);
    m = fx_expect_response(&f, f.s, 9, true);
    expect_config(m, 120000, 1000);
    fx_free_msg(m);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void hello_config_is_clamped(void **state)
{
    (void)state;
    static const struct {
        uint64_t ret_in, int_in, ret_out, int_out;
    } cases[] = {
        {0, 0, 120000, 1000},          /* absent fields: defaults */
        {999999, 100, 120000, 500},    /* above max, below min */
        {60000, 2000, 60000, 2000},    /* the 2020 visualizer's choice, kept */
        {1, 99999999, 1, PSC_SESSION_INTERVAL_MAX_MS},
        {120000, 500, 120000, 500},    /* exactly the bounds */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx f;
        fx_init(&f, 0, NULL);
        Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
        cfg.retention_period_ms = cases[i].ret_in;
        cfg.state_snapshot_interval_ms = cases[i].int_in;
        assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 100 + i, &cfg), PSC_OK);
        Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 100 + i, true);
        expect_config(m, cases[i].ret_out, cases[i].int_out);
        fx_free_msg(m);
        fx_fini(&f);
    }
}

static void versionless_commands_and_ids_echoed(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    /* The visualizer's ids come from a page-wide counter: echo, never renumber. */
    assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 987654321012ull, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 987654321012ull, true));

    /* With a version field too (the fixture's commands have none). */
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.version = &v;
    c.id = 42;
    c.command = CMD_PAUSE;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc__session_input(f.s, buf, n, f.now), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 42, true));
    fx_fini(&f);
}

static void request_state_and_runtime(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);

    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 2, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_pull(&f, f.s);
    assert_non_null(m);
    /* the reply is the payload itself, not a CommandResponse */
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    assert_int_equal(m->state->seq, 1);
    fx_free_msg(m);

    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_RUNTIME, 3, NULL), PSC_OK);
    m = fx_pull(&f, f.s);
    assert_non_null(m);
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    assert_string_equal(m->runtime->implementation, "fixture");
    fx_free_msg(m);

    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_EVENTS, 4, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 4, false));

    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, 77, 5, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 5, false));

    /* a snapshot that fails becomes an ERR with the reason */
    f.fail_state = true;
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_STATE, 6, NULL), PSC_OK);
    m = fx_expect_response(&f, f.s, 6, false);
    assert_non_null(strstr(m->response->error, psc_strerror(PSC_ERR_PROVIDER)));
    fx_free_msg(m);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void push_replies(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    /* idempotent enable/disable, all OK */
    for (uint64_t id = 10; id < 12; id++) {
        assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_STATE, id, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, id, true));
        assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_EVENTS, id + 100, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, id + 100, true));
    }
    for (uint64_t id = 20; id < 22; id++) {
        assert_int_equal(fx_cmd(&f, f.s, CMD_DISABLE, SRC_STATE, id, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, id, true));
        assert_int_equal(fx_cmd(&f, f.s, CMD_DISABLE, SRC_EVENTS, id + 100, NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, id + 100, true));
    }
    assert_int_equal(psc__session_next_due(f.s), UINT64_MAX);
    /* RUNTIME cannot be pushed */
    assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_RUNTIME, 30, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 30, false));
    assert_int_equal(fx_cmd(&f, f.s, CMD_DISABLE, SRC_RUNTIME, 31, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 31, false));
    /* pause and resume are idempotent too */
    uint64_t ids[] = {40, 41, 42, 43};
    int cmds[] = {CMD_PAUSE, CMD_PAUSE, CMD_RESUME, CMD_RESUME};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fx_cmd(&f, f.s, cmds[i], 0, ids[i], NULL), PSC_OK);
        fx_free_msg(fx_expect_response(&f, f.s, ids[i], true));
    }
    fx_fini(&f);
}

static void unknown_command(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    assert_int_equal(fx_cmd(&f, f.s, 6, 0, 50, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 50, false));
    assert_int_equal(fx_cmd(&f, f.s, 99, 0, 51, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 51, false);
    assert_non_null(strstr(m->response->error, "unknown command"));
    fx_free_msg(m);
    assert_null(psc__session_close_reason(f.s));
    fx_fini(&f);
}

static void update_config(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    /* config is compulsory */
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, 0, 60, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 60, false));

    assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_STATE, 61, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 61, true));
    assert_int_equal(psc__session_next_due(f.s), f.now + 1000);

    /* an unchanged interval keeps the timer */
    f.now += 300;
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.retention_period_ms = 500000;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, 0, 62, &cfg), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 62, true);
    expect_config(m, 120000, 1000);
    fx_free_msg(m);
    assert_int_equal(psc__session_next_due(f.s), f.now - 300 + 1000);

    /* a changed one restarts it */
    cfg.retention_period_ms = 0;
    cfg.state_snapshot_interval_ms = 100;
    assert_int_equal(fx_cmd(&f, f.s, CMD_UPDATE, 0, 63, &cfg), PSC_OK);
    m = fx_expect_response(&f, f.s, 63, true);
    expect_config(m, 120000, 500);
    fx_free_msg(m);
    assert_int_equal(psc__session_next_due(f.s), f.now + 500);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_must_come_first),
        cmocka_unit_test(hello_config_is_clamped),
        cmocka_unit_test(versionless_commands_and_ids_echoed),
        cmocka_unit_test(request_state_and_runtime),
        cmocka_unit_test(push_replies),
        cmocka_unit_test(unknown_command),
        cmocka_unit_test(update_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

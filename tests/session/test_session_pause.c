/* Session protocol: PUSH_PAUSE / PUSH_RESUME, the held queue, retention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "session_fixture.h"

static void cmd_ok(fx *f, int command, int source, uint64_t id)
{
    assert_int_equal(fx_cmd(f, f->s, command, source, id, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(f, f->s, id, true));
}

static void poll(fx *f)
{
    bool more = false;
    assert_int_equal(psc__session_poll(f->s, f->now, &more), PSC_OK);
}

/* A compact description of the next message: "S<seq>", "A<n>", "A<n>+" (with
 * metadata), "B", "N<dropped>", "R<id>"; "" when nothing is queued. */
static const char *next(fx *f, char *buf, size_t len)
{
    Peerscope__ServerMessage *m = fx_pull(f, f->s);
    if (!m)
        return "";
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        snprintf(buf, len, "S%llu", (unsigned long long)m->state->seq);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT: {
        int n = 0;
        bool meta = m->event->type->n_property_types > 0;
        if (!strcmp(m->event->type->name, "TypeA")) {
            assert_int_equal(sscanf(m->event->content, "{\"n\":%d}", &n), 1);
            snprintf(buf, len, "A%d%s", n, meta ? "+" : "");
        } else {
            snprintf(buf, len, "B%s", meta ? "+" : "");
        }
        break;
    }
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        snprintf(buf, len, "N%llu", (unsigned long long)m->notice->dropped);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        snprintf(buf, len, "R%llu%s", (unsigned long long)m->response->id,
                 m->response->result == PEERSCOPE__COMMAND_RESPONSE__RESULT__OK ? "" : "!");
        break;
    default:
        snprintf(buf, len, "?%d", (int)m->payload_case);
    }
    fx_free_msg(m);
    return buf;
}

/* Pull everything and compare with a space-separated expectation. */
static void expect_seq(fx *f, const char *want)
{
    char got[1024] = "", item[32];
    const char *it;
    while (*(it = next(f, item, sizeof item))) {
        if (*got)
            strcat(got, " ");
        strcat(got, it);
    }
    assert_string_equal(got, want);
}

static void pause_holds_then_resume_replays_in_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    cmd_ok(&f, CMD_ENABLE, SRC_EVENTS, 2);
    cmd_ok(&f, CMD_ENABLE, SRC_STATE, 3);
    fx_emit_a(&f, 1);
    poll(&f);
    expect_seq(&f, "A1+");

    cmd_ok(&f, CMD_PAUSE, 0, 4);
    fx_emit_a(&f, 2);
    f.now += 1000;
    poll(&f); /* state 1, then event 2 */
    fx_emit_a(&f, 3);
    f.now += 1000;
    poll(&f); /* state 2 (kept: a paused timeline is not replaced), then event 3 */
    /* nothing goes out while paused, but commands are still answered */
    assert_int_equal(fx_cmd(&f, f.s, CMD_REQUEST, SRC_RUNTIME, 5, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_pull(&f, f.s);
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    fx_free_msg(m);
    fx_expect_nothing(&f, f.s);
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_true(info.paused);
    assert_int_equal(info.paused_queued, 4);

    /* resume: the OK first, then the held items in order; what arrives
     * before the held queue drained goes behind it */
    assert_int_equal(fx_cmd(&f, f.s, CMD_RESUME, 0, 6, NULL), PSC_OK);
    fx_emit_a(&f, 4);
    poll(&f);
    expect_seq(&f, "R6 S1 A2 S2 A3 A4");
    /* live again */
    fx_emit_a(&f, 5);
    poll(&f);
    expect_seq(&f, "A5");
    fx_fini(&f);
}

static void retention_prunes_while_paused(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cfg.retention_period_ms = 1000;
    assert_int_equal(fx_cmd(&f, f.s, CMD_HELLO, 0, 1, &cfg), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 1, true));
    cmd_ok(&f, CMD_ENABLE, SRC_EVENTS, 2);
    cmd_ok(&f, CMD_PAUSE, 0, 3);
    uint64_t t0 = f.now;
    fx_emit_a(&f, 1);
    poll(&f);
    f.now = t0 + 600;
    fx_emit_a(&f, 2);
    poll(&f);
    f.now = t0 + 1000; /* exactly the retention: still kept */
    poll(&f);
    f.now = t0 + 1500; /* 1 is too old now, 2 is not */
    poll(&f);
    assert_int_equal(fx_cmd(&f, f.s, CMD_RESUME, 0, 4, NULL), PSC_OK);
    /* retention drops are asked for, not reported as losses; and since the
     * event that carried TypeA's metadata went, the next one carries it */
    expect_seq(&f, "R4 A2+");
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.events_dropped, 0);
    /* no pruning once resumed */
    fx_emit_a(&f, 3);
    poll(&f);
    f.now += 5000;
    poll(&f);
    expect_seq(&f, "A3");
    fx_fini(&f);
}

static void held_queue_is_bounded(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_paused = 4;
    fx f;
    fx_init(&f, 0, &lim);
    fx_hello(&f, f.s);
    cmd_ok(&f, CMD_ENABLE, SRC_EVENTS, 2);
    cmd_ok(&f, CMD_PAUSE, 0, 3);
    for (int i = 1; i <= 5; i++)
        fx_emit_a(&f, i);
    poll(&f);
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_true(info.paused_queued <= 4);
    assert_int_equal(fx_cmd(&f, f.s, CMD_RESUME, 0, 4, NULL), PSC_OK);
    /* the oldest went (1 to fit 5, 2 to fit the notice); metadata moved to 3;
     * the notice counts both */
    expect_seq(&f, "R4 A3+ A4 A5 N2");
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.events_dropped, 2);
    fx_fini(&f);
}

static void held_bytes_are_bounded(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_paused_bytes = 200;
    fx f;
    fx_init(&f, 0, &lim);
    fx_hello(&f, f.s);
    cmd_ok(&f, CMD_ENABLE, SRC_STATE, 2);
    cmd_ok(&f, CMD_PAUSE, 0, 3);
    for (int i = 0; i < 50; i++) {
        f.now += 1000;
        poll(&f);
        psc_session_info info = {.struct_size = sizeof info};
        psc__session_fill_info(f.s, &info);
        assert_true(info.paused_queued < 50);
    }
    assert_int_equal(fx_cmd(&f, f.s, CMD_RESUME, 0, 4, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fx_expect_response(&f, f.s, 4, true);
    fx_free_msg(m);
    /* the newest states survived, oldest first */
    uint64_t last = 0, n = 0;
    while ((m = fx_pull(&f, f.s))) {
        assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
        assert_true(m->state->seq > last);
        last = m->state->seq;
        n++;
        fx_free_msg(m);
    }
    assert_int_equal(last, 50);
    assert_true(n >= 1 && n < 50);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pause_holds_then_resume_replays_in_order),
        cmocka_unit_test(retention_prunes_while_paused),
        cmocka_unit_test(held_queue_is_bounded),
        cmocka_unit_test(held_bytes_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

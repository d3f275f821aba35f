/* Session protocol: state timer, latest-wins, events, metadata, overflow notices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "session_fixture.h"

static void enable(fx *f, psc__session *s, int source, uint64_t id)
{
    assert_int_equal(fx_cmd(f, s, CMD_ENABLE, source, id, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(f, s, id, true));
}

static void poll(fx *f, psc__session *s)
{
    bool more = false;
    assert_int_equal(psc__session_poll(s, f->now, &more), PSC_OK);
}

static uint64_t expect_state(fx *f, psc__session *s)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    uint64_t seq = m->state->seq;
    fx_free_msg(m);
    return seq;
}

/* Pull an event: returns its number ("n" of TypeA, -1 for TypeB) and whether it had metadata. */
static double expect_event(fx *f, psc__session *s, const char *type, bool *meta)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    if (m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT)
        fail_msg("expected an event, got payload case %d", (int)m->payload_case);
    assert_string_equal(m->event->type->name, type);
    *meta = m->event->type->n_property_types > 0;
    double n = -1;
    if (!strcmp(type, "TypeA"))
        assert_int_equal(sscanf(m->event->content, "{\"n\":%lf}", &n), 1);
    fx_free_msg(m);
    return n;
}

static uint64_t expect_notice(fx *f, psc__session *s)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    if (m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE)
        fail_msg("expected a notice, got payload case %d", (int)m->payload_case);
    assert_int_equal(m->notice->kind, PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS);
    uint64_t d = m->notice->dropped;
    fx_free_msg(m);
    return d;
}

static void state_timer(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    uint64_t t0 = f.now;
    enable(&f, f.s, SRC_STATE, 2);
    /* nothing before the interval */
    f.now = t0 + 900;
    poll(&f, f.s);
    fx_expect_nothing(&f, f.s);
    f.now = t0 + 1000;
    poll(&f, f.s);
    assert_int_equal(expect_state(&f, f.s), 1);
    assert_int_equal(psc__session_next_due(f.s), t0 + 2000);
    /* enabling again does not restart the timer */
    enable(&f, f.s, SRC_STATE, 3);
    assert_int_equal(psc__session_next_due(f.s), t0 + 2000);
    /* a late tick keeps the cadence without catching up */
    f.now = t0 + 2300;
    poll(&f, f.s);
    assert_int_equal(expect_state(&f, f.s), 2);
    assert_int_equal(psc__session_next_due(f.s), t0 + 3000);
    f.now = t0 + 9000;
    poll(&f, f.s);
    assert_int_equal(expect_state(&f, f.s), 3);
    assert_int_equal(psc__session_next_due(f.s), t0 + 10000);
    fx_expect_nothing(&f, f.s);
    /* disabled: no more */
    assert_int_equal(fx_cmd(&f, f.s, CMD_DISABLE, SRC_STATE, 4, NULL), PSC_OK);
    fx_free_msg(fx_expect_response(&f, f.s, 4, true));
    f.now = t0 + 20000;
    poll(&f, f.s);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void sessions_due_together_coalesce(void **state)
{
    (void)state;
    /* A session due a few ms after another is served in the same pass, so
     * that the endpoint can hand both the same snapshot. */
    fx f;
    fx_init(&f, 0, NULL);
    psc__session *s2 = NULL;
    assert_int_equal(fx_session(&f, &s2), PSC_OK);
    fx_hello(&f, f.s);
    fx_hello(&f, s2);
    uint64_t t0 = f.now;
    enable(&f, f.s, SRC_STATE, 2);
    f.now = t0 + 10;
    enable(&f, s2, SRC_STATE, 2);
    f.now = t0 + 1000;
    poll(&f, f.s);
    poll(&f, s2);
    assert_int_equal(f.state_calls, 2);
    expect_state(&f, f.s);
    expect_state(&f, s2);
    /* each keeps its own cadence */
    assert_int_equal(psc__session_next_due(f.s), t0 + 2000);
    assert_int_equal(psc__session_next_due(s2), t0 + 2010);
    /* one far from due is not served early */
    psc__session *s3 = NULL;
    assert_int_equal(fx_session(&f, &s3), PSC_OK);
    fx_hello(&f, s3);
    f.now = t0 + 1500;
    enable(&f, s3, SRC_STATE, 2);
    f.now = t0 + 2000;
    poll(&f, s3);
    fx_expect_nothing(&f, s3);
    psc__session_free(s3);
    psc__session_free(s2);
    fx_fini(&f);
}

static void latest_state_wins(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    fx_hello(&f, f.s);
    enable(&f, f.s, SRC_STATE, 2);
    enable(&f, f.s, SRC_EVENTS, 3);
    for (int i = 1; i <= 5; i++) {
        f.now += 1000;
        fx_emit_a(&f, i);
        poll(&f, f.s);
    }
    /* the client read nothing: only the newest state is still queued */
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.states_replaced, 4);
    assert_int_equal(info.queued, 6);
    /* state 1 was replaced in its place by 2, 3, 4 and then 5 */
    bool meta;
    assert_int_equal(expect_state(&f, f.s), 5);
    for (int i = 1; i <= 5; i++)
        assert_true(expect_event(&f, f.s, "TypeA", &meta) == i);
    fx_expect_nothing(&f, f.s);
    /* once sent, the next state is queued anew */
    f.now += 1000;
    poll(&f, f.s);
    assert_int_equal(expect_state(&f, f.s), 6);

    /* a client away for a long time still holds one state, not a backlog */
    for (int i = 0; i < 2000; i++) {
        f.now += 1000;
        poll(&f, f.s);
    }
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.queued, 1);
    assert_int_equal(expect_state(&f, f.s), 2006);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void metadata_first_per_type_per_session(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 0, NULL);
    psc__session *s2 = NULL;
    assert_int_equal(fx_session(&f, &s2), PSC_OK);
    fx_hello(&f, f.s);
    fx_hello(&f, s2);
    enable(&f, f.s, SRC_EVENTS, 2);
    fx_emit_a(&f, 1);
    fx_emit_a(&f, 2);
    fx_emit_b(&f, "x");
    fx_emit_b(&f, "y");
    poll(&f, f.s);
    bool meta;
    assert_true(expect_event(&f, f.s, "TypeA", &meta) == 1);
    assert_true(meta);
    assert_true(expect_event(&f, f.s, "TypeA", &meta) == 2);
    assert_false(meta);
    expect_event(&f, f.s, "TypeB", &meta);
    assert_true(meta);
    expect_event(&f, f.s, "TypeB", &meta);
    assert_false(meta);

    /* s2 starts later: it sees only new events, and gets metadata itself */
    enable(&f, s2, SRC_EVENTS, 2);
    fx_emit_a(&f, 3);
    poll(&f, f.s);
    poll(&f, s2);
    assert_true(expect_event(&f, s2, "TypeA", &meta) == 3);
    assert_true(meta);
    fx_expect_nothing(&f, s2);
    assert_true(expect_event(&f, f.s, "TypeA", &meta) == 3);
    assert_false(meta);
    psc__session_free(s2);
    fx_fini(&f);
}

static void slow_reader_gets_notice(void **state)
{
    (void)state;
    /* The ring (16) overwrites what the session did not read. */
    fx f;
    fx_init(&f, 16, NULL);
    fx_hello(&f, f.s);
    enable(&f, f.s, SRC_EVENTS, 2);
    for (int i = 1; i <= 40; i++)
        fx_emit_a(&f, i);
    poll(&f, f.s);
    assert_int_equal(expect_notice(&f, f.s), 24);
    bool meta;
    for (int i = 25; i <= 40; i++)
        assert_true(expect_event(&f, f.s, "TypeA", &meta) == i);
    fx_expect_nothing(&f, f.s);
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.events_dropped, 24);
    /* and the store knows, for the analyzer's events_dropped rule */
    assert_int_equal(psc__events_consumer_lost(f.ev), 24);
    fx_fini(&f);
}

static void queue_overflow_is_bounded_and_counted(void **state)
{
    (void)state;
    psc__session_limits lim;
    psc__session_limits_from(NULL, &lim);
    lim.max_queued = 64;
    fx f;
    fx_init(&f, 128, &lim);
    fx_hello(&f, f.s);
    enable(&f, f.s, SRC_EVENTS, 2);
    /* A client that stops reading: the queue stops at its bound... */
    for (int i = 1; i <= 300; i++) {
        fx_emit_a(&f, i);
        if (i % 10 == 0)
            poll(&f, f.s);
    }
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_true(info.queued <= 64 - PSC__SESSION_RESERVE);
    /* ... and replies still fit in the reserve. */
    assert_int_equal(fx_cmd(&f, f.s, CMD_ENABLE, SRC_STATE, 3, NULL), PSC_OK);

    /* It reads again: everything it gets is in order, the gap is announced
     * with its size, and nothing is lost without being counted. */
    int received = 0, last = 0;
    uint64_t dropped = 0;
    bool saw_reply = false;
    Peerscope__ServerMessage *m;
    while ((m = fx_pull(&f, f.s))) {
        if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT) {
            int n = 0;
            assert_int_equal(sscanf(m->event->content, "{\"n\":%d}", &n), 1);
            /* the notice stood for exactly the gap before this event */
            assert_int_equal(n, last + 1);
            last = n;
            received++;
        } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE) {
            dropped += m->notice->dropped;
            last += (int)m->notice->dropped;
        } else {
            assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
            assert_int_equal(m->response->id, 3);
            saw_reply = true;
        }
        fx_free_msg(m);
        poll(&f, f.s);
    }
    assert_true(saw_reply);
    assert_true(dropped > 0);
    assert_int_equal(received + (int)dropped, 300);
    assert_int_equal(last, 300);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(state_timer),
        cmocka_unit_test(sessions_due_together_coalesce),
        cmocka_unit_test(latest_state_wins),
        cmocka_unit_test(metadata_first_per_type_per_session),
        cmocka_unit_test(slow_reader_gets_notice),
        cmocka_unit_test(queue_overflow_is_bounded_and_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

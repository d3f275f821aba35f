/*
 * Session protocol: PUSH_ENABLE EVENTS with resume_events, the way a hub
 * picks a node up again after a reconnect (ClientCommand.after_seq).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "session_fixture.h"

/* PUSH_ENABLE EVENTS with resume_events (resume false: as in 2020, after_seq still sent). */
static void enable_events(fx *f, psc__session *s, uint64_t id, bool resume, uint64_t after_seq)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE;
    c.source = PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS;
    c.id = id;
    c.resume_events = resume;
    c.after_seq = after_seq;
    uint8_t buf[128];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc__session_input(s, buf, n, f->now), PSC_OK);
    fx_free_msg(fx_expect_response(f, s, id, true));
}

static void poll(fx *f, psc__session *s)
{
    bool more = false;
    assert_int_equal(psc__session_poll(s, f->now, &more), PSC_OK);
    assert_false(more);
}

/* Pull one TypeA event and check its seq and its "n" (emitted as n == seq). */
static void expect_seq(fx *f, psc__session *s, uint64_t seq, bool meta)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    if (m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT)
        fail_msg("expected event %llu, got payload case %d", (unsigned long long)seq, (int)m->payload_case);
    assert_int_equal(m->event->seq, seq);
    double n = -1;
    assert_int_equal(sscanf(m->event->content, "{\"n\":%lf}", &n), 1);
    assert_true(n == (double)seq);
    assert_int_equal(m->event->type->n_property_types > 0, meta);
    fx_free_msg(m);
}

static void expect_notice(fx *f, psc__session *s, uint64_t dropped)
{
    Peerscope__ServerMessage *m = fx_pull(f, s);
    assert_non_null(m);
    if (m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE)
        fail_msg("expected a notice, got payload case %d", (int)m->payload_case);
    assert_int_equal(m->notice->kind, PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS);
    assert_int_equal(m->notice->dropped, dropped);
    fx_free_msg(m);
}

/* Emit TypeA events with n = their seq, up to seq last. */
static void emit_to(fx *f, uint64_t last)
{
    for (uint64_t seq = psc__events_emitted(f->ev) + 1; seq <= last; seq++)
        fx_emit_a(f, (double)seq);
}

static void resume_inside_ring(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 16, NULL);
    fx_hello(&f, f.s);
    emit_to(&f, 10);
    enable_events(&f, f.s, 2, true, 4);
    poll(&f, f.s);
    for (uint64_t seq = 5; seq <= 10; seq++)
        expect_seq(&f, f.s, seq, seq == 5);
    fx_expect_nothing(&f, f.s);
    /* then live, with no gap and no repeat */
    emit_to(&f, 12);
    poll(&f, f.s);
    expect_seq(&f, f.s, 11, false);
    expect_seq(&f, f.s, 12, false);
    fx_expect_nothing(&f, f.s);
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.events_dropped, 0);
    fx_fini(&f);
}

static void resume_partly_out_of_ring(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 16, NULL);
    fx_hello(&f, f.s);
    emit_to(&f, 40); /* the ring holds 25..40 */
    enable_events(&f, f.s, 2, true, 10);
    poll(&f, f.s);
    expect_notice(&f, f.s, 14); /* 11..24, in one notice, before any event */
    for (uint64_t seq = 25; seq <= 40; seq++)
        expect_seq(&f, f.s, seq, seq == 25);
    fx_expect_nothing(&f, f.s);
    psc_session_info info = {.struct_size = sizeof info};
    psc__session_fill_info(f.s, &info);
    assert_int_equal(info.events_dropped, 14);
    /* the node lost nothing: the analyzer's count stays clean */
    assert_int_equal(psc__events_consumer_lost(f.ev), 0);
    emit_to(&f, 41);
    poll(&f, f.s);
    expect_seq(&f, f.s, 41, false);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void resume_from_zero_and_past_newest(void **state)
{
    (void)state;
    /* 0: every held event; past the newest (another run): the same */
    uint64_t afters[] = {0, 41, 5000};
    for (size_t i = 0; i < sizeof afters / sizeof afters[0]; i++) {
        fx f;
        fx_init(&f, 16, NULL);
        fx_hello(&f, f.s);
        emit_to(&f, 40);
        enable_events(&f, f.s, 2, true, afters[i]);
        poll(&f, f.s);
        expect_notice(&f, f.s, 24);
        for (uint64_t seq = 25; seq <= 40; seq++)
            expect_seq(&f, f.s, seq, seq == 25);
        fx_expect_nothing(&f, f.s);
        fx_fini(&f);
    }
    /* caught up (the newest seq): live from here, nothing again */
    {
        fx f;
        fx_init(&f, 16, NULL);
        fx_hello(&f, f.s);
        emit_to(&f, 40);
        enable_events(&f, f.s, 2, true, 40);
        poll(&f, f.s);
        fx_expect_nothing(&f, f.s);
        emit_to(&f, 41);
        poll(&f, f.s);
        expect_seq(&f, f.s, 41, true);
        fx_expect_nothing(&f, f.s);
        fx_fini(&f);
    }
    /* everything still held: no notice at all */
    fx f;
    fx_init(&f, 16, NULL);
    fx_hello(&f, f.s);
    emit_to(&f, 3);
    enable_events(&f, f.s, 2, true, 99);
    poll(&f, f.s);
    for (uint64_t seq = 1; seq <= 3; seq++)
        expect_seq(&f, f.s, seq, seq == 1);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void resume_repositions_a_pushing_session(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 64, NULL);
    fx_hello(&f, f.s);
    enable_events(&f, f.s, 2, false, 0);
    emit_to(&f, 8);
    poll(&f, f.s); /* 1..8 queued, the client reads only the first three */
    expect_seq(&f, f.s, 1, true);
    expect_seq(&f, f.s, 2, false);
    expect_seq(&f, f.s, 3, false);
    /* it asks again from after 5: 4 and 5 still queued are not sent, 6..8 come once */
    enable_events(&f, f.s, 3, true, 5);
    poll(&f, f.s);
    expect_seq(&f, f.s, 6, true); /* metadata again: the queued event that carried it is gone */
    expect_seq(&f, f.s, 7, false);
    expect_seq(&f, f.s, 8, false);
    fx_expect_nothing(&f, f.s);
    /* and back to an earlier place */
    enable_events(&f, f.s, 4, true, 1);
    poll(&f, f.s);
    for (uint64_t seq = 2; seq <= 8; seq++)
        expect_seq(&f, f.s, seq, seq == 2);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static void without_resume_as_in_2020(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 16, NULL);
    fx_hello(&f, f.s);
    emit_to(&f, 5);
    /* after_seq without resume_events means nothing: only new events */
    enable_events(&f, f.s, 2, false, 2);
    poll(&f, f.s);
    fx_expect_nothing(&f, f.s);
    emit_to(&f, 7);
    poll(&f, f.s);
    expect_seq(&f, f.s, 6, true);
    expect_seq(&f, f.s, 7, false);
    /* enabling again keeps the cursor */
    enable_events(&f, f.s, 3, false, 0);
    emit_to(&f, 8);
    poll(&f, f.s);
    expect_seq(&f, f.s, 8, false);
    fx_expect_nothing(&f, f.s);
    fx_fini(&f);
}

static psc_err no_state(void *user, psc_msg **out)
{
    (void)user;
    (void)out;
    return PSC_ERR_PROVIDER;
}

static psc_err no_reader(void *user, psc_event_reader **out)
{
    (void)user;
    (void)out;
    return PSC_ERR_UNSUPPORTED;
}

static void resume_refused_without_support(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, 16, NULL);
    psc__session_env env = {no_state, no_state, no_reader, &f, NULL, NULL, NULL};
    psc__session *s = NULL;
    assert_int_equal(psc__session_new(&f.a, &env, &f.lim, f.now, &s), PSC_OK);
    fx_hello(&f, s);
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE;
    c.source = PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS;
    c.id = 2;
    c.resume_events = true;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc__session_input(s, buf, n, f.now), PSC_OK);
    fx_free_msg(fx_expect_response(&f, s, 2, false));
    assert_false(psc__session_pushes_events(s));
    psc__session_free(s);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resume_inside_ring),
        cmocka_unit_test(resume_partly_out_of_ring),
        cmocka_unit_test(resume_from_zero_and_past_newest),
        cmocka_unit_test(resume_repositions_a_pushing_session),
        cmocka_unit_test(without_resume_as_in_2020),
        cmocka_unit_test(resume_refused_without_support),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

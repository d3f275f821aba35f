/*
 * Many sessions at once, and a client that stops reading: the server's
 * memory for it stays bounded, the others keep receiving everything, and
 * the stalled one is told what it lost (ServerNotice DISCARDING_EVENTS)
 * when it reads again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_util.h"
#include "test_host.h"

#define T_WAIT 15000

typedef struct all_wait {
    rec **r;
    size_t n;
    size_t events, states, responses;
} all_wait;

static bool cond_all(void *arg)
{
    all_wait *w = arg;
    for (size_t i = 0; i < w->n; i++)
        if (w->r[i]->events < w->events || w->r[i]->states < w->states || w->r[i]->responses < w->responses)
            return false;
    return true;
}

/* ------------------------------------------------------------ 50 sessions */

#define N_SESSIONS 50

static void test_fifty_sessions(void **state)
{
    test_host_opts o = {.n_conns = 5};
    test_host *hp = host_fixture(state, &o);
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);

    rec *r[N_SESSIONS];
    psc_client *c[N_SESSIONS];
    for (size_t i = 0; i < N_SESSIONS; i++) {
        r[i] = calloc(1, sizeof *r[i]);
        assert_non_null(r[i]);
        r[i]->check_frames = true;
        c[i] = watch_host(hp, loop, r[i], 500, true);
    }
    /* every session is up and subscribed before the events go out */
    all_wait w = {r, N_SESSIONS, 0, 0, 3};
    assert_true(wait_loop(loop, cond_all, &w, T_WAIT));
    assert_int_equal(psc_endpoint_session_count(hp->ep), N_SESSIONS);

    host_emit(hp, 100, 16);
    w.events = 100;
    w.states = 2;
    assert_true(wait_loop(loop, cond_all, &w, T_WAIT));
    for (size_t i = 0; i < N_SESSIONS; i++) {
        if (r[i]->events_out_of_order || r[i]->errors || r[i]->bad_frames || r[i]->notices)
            fail_msg("client %zu: order %llu errors %zu bad frames %zu notices %zu", i,
                     (unsigned long long)r[i]->events_out_of_order, r[i]->errors, r[i]->bad_frames,
                     r[i]->notices);
        assert_int_equal(r[i]->events, 100);
        assert_int_equal(r[i]->closes, 0);
    }

    for (size_t i = 0; i < N_SESSIONS; i++)
        assert_int_equal(psc_client_close(c[i]), PSC_OK);
    for (size_t i = 0; i < N_SESSIONS; i++)
        assert_true(wait_loop(loop, cond_closed, r[i], T_WAIT));
    assert_true(wait_sessions(loop, hp, 0, T_WAIT));
    for (size_t i = 0; i < N_SESSIONS; i++) {
        assert_int_equal(r[i]->last_close_err, PSC_OK);
        psc_client_free(c[i]);
        free(r[i]);
    }
    psc_client_loop_free(loop);
}

/* ------------------------------------------------------------ stalled client */

#define N_HEALTHY 3
#define BATCH 200
#define PAD 1500
#define MAX_QUEUED 64

static void test_stalled_client(void **state)
{
    psc_endpoint_options eo = PSC_ENDPOINT_OPTIONS_INIT;
    eo.max_queued_messages = MAX_QUEUED;
    test_host_opts o = {.ep_opts = &eo, .event_ring = 1024, .max_event_size = 2048};
    test_host *hp = host_fixture(state, &o);

    /* the stalled client has a loop of its own, which the test stops polling */
    psc_client_loop *stall_loop = NULL, *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &stall_loop), PSC_OK);
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    rec *sr = calloc(1, sizeof *sr);
    assert_non_null(sr);
    psc_client *stalled = watch_host(hp, stall_loop, sr, 0, true);
    assert_true(wait_kind(stall_loop, sr, 'R', 2, T_WAIT));

    rec *r[N_HEALTHY];
    psc_client *c[N_HEALTHY];
    for (size_t i = 0; i < N_HEALTHY; i++) {
        r[i] = calloc(1, sizeof *r[i]);
        assert_non_null(r[i]);
        c[i] = watch_host(hp, loop, r[i], 0, true);
    }
    all_wait w = {r, N_HEALTHY, 0, 0, 2};
    assert_true(wait_loop(loop, cond_all, &w, T_WAIT));

    /* Feed batches until the stalled session has stopped taking messages
     * for long enough that the ring (1024) has certainly overwritten what
     * it did not read. The others must get every batch in full before the
     * next one goes out. Drops are counted when the session reads again. */
    uint64_t stalled_id = 0, last_sent = UINT64_MAX;
    size_t sent = 0, max_queued_seen = 0;
    int still = 0;
    for (int batch = 0; batch < 400 && still < 7; batch++) {
        host_emit(hp, BATCH, PAD);
        sent += BATCH;
        w.events = sent;
        assert_true(wait_loop(loop, cond_all, &w, T_WAIT));
        psc_session_info info[N_HEALTHY + 1];
        size_t n = host_sessions(hp, info, N_HEALTHY + 1);
        assert_int_equal(n, N_HEALTHY + 1);
        if (!stalled_id) {
            stalled_id = info[0].id; /* the first one opened has the lowest id */
            for (size_t i = 1; i < n; i++)
                if (info[i].id < stalled_id)
                    stalled_id = info[i].id;
        }
        for (size_t i = 0; i < n; i++) {
            if (info[i].id == stalled_id) {
                if (info[i].queued > max_queued_seen)
                    max_queued_seen = info[i].queued;
                still = info[i].messages_sent == last_sent ? still + 1 : 0;
                last_sent = info[i].messages_sent;
            } else {
                assert_int_equal(info[i].events_dropped, 0);
            }
        }
    }
    assert_int_equal(still, 7);
    /* bounded: never more than the configured queue on the server side */
    assert_true(max_queued_seen <= MAX_QUEUED);
    for (size_t i = 0; i < N_HEALTHY; i++) {
        assert_int_equal(r[i]->events, sent);
        assert_int_equal(r[i]->notices, 0);
        assert_int_equal(r[i]->events_out_of_order, 0);
    }

    /* reading again: what was in flight, then the notice, then new events */
    host_emit(hp, 10, 8);
    sent += 10;
    assert_true(wait_counter(stall_loop, &sr->notices, 1, T_WAIT));
    assert_true(sr->notice_dropped > 0);
    w.events = sent;
    assert_true(wait_loop(loop, cond_all, &w, T_WAIT));
    /* the stalled client ends up with the newest event too */
    uint64_t last_seq = r[0]->last_event_seq;
    uint64_t deadline = now_ms() + T_WAIT;
    while (sr->last_event_seq < last_seq && now_ms() < deadline)
        assert_int_equal(psc_client_loop_poll(stall_loop, 50), PSC_OK);
    assert_int_equal(sr->last_event_seq, last_seq);
    /* what it lost is exactly what it was told it lost */
    assert_int_equal(sr->events + sr->notice_dropped, sent);
    psc_session_info info[N_HEALTHY + 1];
    size_t n = host_sessions(hp, info, N_HEALTHY + 1);
    for (size_t i = 0; i < n; i++)
        if (info[i].id == stalled_id)
            assert_int_equal(info[i].events_dropped, sr->notice_dropped);
    assert_int_equal(sr->events_out_of_order, 0);
    assert_int_equal(sr->bad_frames, 0);
    assert_int_equal(sr->errors, 0);

    psc_client_free(stalled);
    for (size_t i = 0; i < N_HEALTHY; i++) {
        psc_client_free(c[i]);
        free(r[i]);
    }
    free(sr);
    psc_client_loop_free(stall_loop);
    psc_client_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fifty_sessions, host_teardown),
        cmocka_unit_test_teardown(test_stalled_client, host_teardown),
    };
    return RUN_TESTS(tests);
}

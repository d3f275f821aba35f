/*
 * The memory cap under a client that stops reading: with a session queue
 * far larger than the cap allows, the library stops at the cap (refusing
 * allocations, never exceeding it), the other clients get every event or
 * are told what they lost, and once the stalled client is gone what it
 * held is given back.
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

#define T_WAIT 20000
#define N_HEALTHY 3
#define BATCH 200
#define PAD 1500
#define CAP (8u << 20)

typedef struct all_wait {
    rec **r;
    size_t n;
    size_t events; /* each has this many events, or was told of the rest */
} all_wait;

static bool cond_all(void *arg)
{
    all_wait *w = arg;
    for (size_t i = 0; i < w->n; i++)
        if (w->r[i]->events + w->r[i]->notice_dropped < w->events)
            return false;
    return true;
}

typedef struct given_back {
    test_host *h;
    size_t below;
} given_back;

static bool cond_given_back(void *arg)
{
    given_back *g = arg;
    psc_memory_stats m = {.struct_size = sizeof m};
    return psc_introspector_memory(g->h->intro, &m) == PSC_OK && m.held_bytes < g->below;
}

static psc_memory_stats mem(test_host *h)
{
    psc_memory_stats m = {.struct_size = sizeof m};
    assert_int_equal(psc_introspector_memory(h->intro, &m), PSC_OK);
    return m;
}

static void test_stalled_client_under_the_cap(void **state)
{
    psc_endpoint_options eo = PSC_ENDPOINT_OPTIONS_INIT;
    eo.max_queued_messages = 20000; /* the queue alone would hold ~32 MB */
    test_host_opts o = {.ep_opts = &eo, .event_ring = 1024, .max_event_size = 2048, .max_memory_bytes = CAP};
    test_host *hp = host_fixture(state, &o);
    assert_int_equal(mem(hp).limit_bytes, CAP);

    psc_client_loop *stall_loop = NULL, *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &stall_loop), PSC_OK);
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    rec *r[N_HEALTHY];
    psc_client *c[N_HEALTHY];
    for (size_t i = 0; i < N_HEALTHY; i++) {
        r[i] = calloc(1, sizeof *r[i]);
        assert_non_null(r[i]);
        c[i] = watch_host(hp, loop, r[i], 0, true);
    }
    for (size_t i = 0; i < N_HEALTHY; i++) /* HELLO and PUSH_ENABLE answered: reading events from here */
        assert_true(wait_kind(loop, r[i], 'R', 2, T_WAIT));
    size_t base = mem(hp).held_bytes;

    rec *sr = calloc(1, sizeof *sr);
    assert_non_null(sr);
    psc_client *stalled = watch_host(hp, stall_loop, sr, 0, true);
    assert_true(wait_kind(stall_loop, sr, 'R', 2, T_WAIT));

    all_wait w = {r, N_HEALTHY, 0};
    size_t sent = 0;
    psc_memory_stats m = mem(hp);
    for (int batch = 0; batch < 2000 && m.refused_allocations == 0; batch++) {
        host_emit(hp, BATCH, PAD);
        sent += BATCH;
        w.events = sent;
        bool okw = wait_loop(loop, cond_all, &w, T_WAIT);
        m = mem(hp);
        if (!okw) fprintf(stderr, "ws_memory: before the cap: sent %zu held %zu peak %zu refused %llu base %zu ev %zu/%zu nd %llu emit_err %llu\n", sent, m.held_bytes, m.peak_bytes, (unsigned long long)m.refused_allocations, base, r[0]->events, r[2]->events, (unsigned long long)r[0]->notice_dropped, (unsigned long long)hp->emit_errors);
        assert_true(okw);
        assert_true(m.held_bytes <= CAP);
    }
    assert_true(m.refused_allocations > 0); /* the cap, not the queue, stopped it */
    assert_true(m.peak_bytes <= CAP);
    size_t at_cap = m.held_bytes;
    for (int batch = 0; batch < 20; batch++) { /* and it stays there */
        host_emit(hp, BATCH, PAD);
        sent += BATCH;
        w.events = sent;
        bool okw = wait_loop(loop, cond_all, &w, T_WAIT);
        m = mem(hp);
        if (!okw) fprintf(stderr, "ws_memory: at the cap: sent %zu held %zu peak %zu refused %llu ev %zu/%zu/%zu nd %llu/%llu/%llu\n", sent, m.held_bytes, m.peak_bytes, (unsigned long long)m.refused_allocations, r[0]->events, r[1]->events, r[2]->events, (unsigned long long)r[0]->notice_dropped, (unsigned long long)r[1]->notice_dropped,(unsigned long long)r[2]->notice_dropped);
        assert_true(okw);
        assert_true(mem(hp).peak_bytes <= CAP);
    }
    for (size_t i = 0; i < N_HEALTHY; i++)
        assert_int_equal(r[i]->events_out_of_order, 0);

    /* the stalled client goes: its queue is given back */
    psc_client_free(stalled);
    psc_client_loop_free(stall_loop);
    assert_true(wait_sessions(loop, hp, N_HEALTHY, T_WAIT));
    given_back gb = {hp, base + (at_cap - base) / 2};
    assert_true(wait_loop(loop, cond_given_back, &gb, T_WAIT));

    for (size_t i = 0; i < N_HEALTHY; i++) {
        psc_client_free(c[i]);
        free(r[i]);
    }
    free(sr);
    psc_client_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stalled_client_under_the_cap, host_teardown),
    };
    return RUN_TESTS(tests);
}

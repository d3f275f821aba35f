/*
 * The tests shared by every loop kind (loop_host.h): the real C client on
 * the test thread gets the runtime, states and events emitted both from the
 * loop (its timer) and from the test thread (the wake-up path through
 * lws_cancel_service); then the host closes on its loop, the loop ends,
 * and the endpoint is freed with nothing of it left on the loop. Every
 * wait is on a condition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client_util.h"
#include "loop_host.h"

#define N_CONNS 3
#define N_LOOP_EVENTS 20
#define N_THREAD_EVENTS 20
#define WAIT_MS 20000

static psc_err collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    loop_host *h = user;
    h->collects++;
    if (!pthread_equal(pthread_self(), h->loop_tid))
        h->collects_off_loop++;
    uint64_t now = psc_collect_now_ms(ctx);
    for (size_t i = 0; i < N_CONNS; i++) {
        char id[16];
        int n = snprintf(id, sizeof id, "loop-%zu", i);
        psc_connection c = {.struct_size = sizeof c};
        c.id = (const uint8_t *)id;
        c.id_len = (size_t)n;
        c.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
        c.status = PSC_STATUS_ACTIVE;
        c.role = PSC_ROLE_INITIATOR;
        c.transport_name = "tcp";
        c.open_ts = now - 1000;
        psc_err err = psc_swarm_add_connection(b, &c, NULL);
        if (err)
            return err;
    }
    return PSC_OK;
}

static const psc_swarm_provider swarm_vt = {sizeof(psc_swarm_provider), "loop-swarm", collect, NULL};
static const psc_prop_def tick_props[] = {{"n", PSC_PROP_NUMBER, false}};
static const psc_event_def loop_def = {"LoopTick", tick_props, 1};
static const psc_event_def thread_def = {"ThreadTick", tick_props, 1};

void loop_host_tick(loop_host *h)
{
    psc_value v = PSC_V_NUM(h->loop_emitted);
    if (psc_emit(h->intro, h->loop_ev, &v, 1))
        h->emit_errors++;
    if (++h->loop_emitted == N_LOOP_EVENTS)
        h->kind->tick_stop(h);
}

static void close_on_loop(loop_host *h)
{
    h->closed = true;
    h->kind->drop_own(h);
    /* Returns at once; the loop ends once nothing of the endpoint is left. */
    psc_endpoint_close(h->ep);
    h->kind->after_close(h);
}

void loop_host_cmd(loop_host *h)
{
    if (atomic_exchange(&h->go, false))
        h->kind->tick_start(h);
    if (atomic_load(&h->stop) && !h->closed) {
        h->done_before_close = psc_ws_loop_done(h->ep);
        close_on_loop(h);
    }
}

static void report_start(loop_host *h, psc_err err, uint16_t port)
{
    pthread_mutex_lock(&h->mu);
    h->started = true;
    h->start_err = err;
    h->port = port;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void *loop_main(void *arg)
{
    loop_host *h = arg;
    h->loop_tid = pthread_self();
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    h->kind->init(h, &wc);
    wc.port = h->busy_port;
    psc_err err = psc_ws_endpoint_new(h->intro, &wc, &h->ep);
    if (!err)
        err = psc_endpoint_start(h->ep);
    uint16_t port = 0;
    if (!err)
        err = psc_ws_port(h->ep, &port);
    report_start(h, err, port);
    if (err)
        close_on_loop(h);
    h->kind->run(h);
    h->done_after_run = psc_ws_loop_done(h->ep);
    psc_endpoint_free(h->ep);
    h->ep = NULL;
    return NULL; /* the loop is freed after the join: a poke may still be on its way */
}

static void to_stderr(void *user, psc_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "log: %s\n", msg);
}

static void host_up(loop_host *h, const loop_kind *k, bool inline_collect, uint16_t busy_port)
{
    memset(h, 0, sizeof *h);
    h->kind = k;
    h->busy_port = busy_port;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-loop-host";
    cfg.runtime.version = "1.0";
    cfg.runtime.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    if (getenv("PSC_TEST_LOOP_LOG")) {
        cfg.log = to_stderr;
        cfg.log_level = PSC_LOG_DEBUG;
    }
    if (inline_collect)
        cfg.collect_timeout_ms = PSC_COLLECT_INLINE;
    assert_int_equal(psc_introspector_new(&cfg, &h->intro), PSC_OK);
    assert_int_equal(psc_event_declare(h->intro, &loop_def, &h->loop_ev), PSC_OK);
    assert_int_equal(psc_event_declare(h->intro, &thread_def, &h->thread_ev), PSC_OK);
    assert_int_equal(psc_register_swarm(h->intro, &swarm_vt, h, NULL), PSC_OK);
    assert_int_equal(pthread_create(&h->thread, NULL, loop_main, h), 0);
    pthread_mutex_lock(&h->mu);
    while (!h->started)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

/* Ask the loop to close, once: after that the loop may be gone. */
static void ask_stop(loop_host *h)
{
    if (!atomic_exchange(&h->stop, true))
        h->kind->poke(h);
}

/* Ask the loop to close (unless its start failed); join it. */
static void host_down(loop_host *h)
{
    if (h->start_err == PSC_OK)
        ask_stop(h);
    pthread_join(h->thread, NULL);
    h->loop_fini_rc = h->kind->fini(h);
    assert_false(h->done_before_close);
    assert_true(h->done_after_run);
    assert_int_equal(h->loop_fini_rc, 0);
    psc_introspector_free(h->intro);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static bool cond_all_events(void *arg)
{
    rec *r = arg;
    return r->events >= N_LOOP_EVENTS + N_THREAD_EVENTS && r->states >= 2;
}

static bool cond_events_only(void *arg)
{
    rec *r = arg;
    return r->events >= N_LOOP_EVENTS + N_THREAD_EVENTS;
}

static void run_session(const loop_kind *k, bool inline_collect, bool states)
{
    static loop_host h;
    host_up(&h, k, inline_collect, 0);
    assert_int_equal(h.start_err, PSC_OK);
    assert_true(h.port > 0);

    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    static rec r;
    rec_init(&r);
    char url[96];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)h.port);
    psc_client_config cc = PSC_CLIENT_CONFIG_INIT;
    cc.url = url;
    cc.loop = loop;
    cc.callbacks = &rec_callbacks;
    cc.user = &r;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cc, &c), PSC_OK);
    psc_client_settings s = {120000, 50};
    uint64_t id = 0;
    assert_int_equal(psc_client_hello(c, &s, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, &id), PSC_OK);
    if (states)
        assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_non_null(wait_response(loop, &r, id, WAIT_MS));
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL), PSC_OK);
    assert_true(wait_kind(loop, &r, 'T', 1, WAIT_MS));

    /* Events from the loop (its timer) and from this thread at once. */
    atomic_store(&h.go, true);
    k->poke(&h);
    for (size_t i = 0; i < N_THREAD_EVENTS; i++) {
        psc_value v = PSC_V_NUM(i);
        assert_int_equal(psc_emit(h.intro, h.thread_ev, &v, 1), PSC_OK);
    }
    assert_true(wait_loop(loop, states ? cond_all_events : cond_events_only, &r, WAIT_MS));

    long t = rec_find(&r, 'T', 0);
    assert_true(t >= 0);
    assert_string_equal(r.items[t].text, "peerscope-loop-host");
    long st = rec_find(&r, 'S', 0);
    if (states) {
        assert_true(st >= 0);
        assert_int_equal(r.items[st].count, N_CONNS);
        assert_int_equal(r.items[st].result, 0);
    } else {
        assert_true(st < 0);
    }
    bool saw_loop = false, saw_thread = false;
    for (size_t i = 0; i < r.n; i++) {
        if (r.items[i].kind != 'E')
            continue;
        saw_loop |= !strcmp(r.items[i].text, "LoopTick");
        saw_thread |= !strcmp(r.items[i].text, "ThreadTick");
    }
    assert_true(saw_loop);
    assert_true(saw_thread);
    assert_int_equal(r.events_out_of_order, 0);
    assert_int_equal(r.errors, 0);

    /* Close on the loop: the client sees its connection end. */
    ask_stop(&h);
    assert_true(wait_loop(loop, cond_closed, &r, WAIT_MS));
    host_down(&h);
    /* After the join: the loop thread's counters are ours to read. */
    assert_int_equal(h.loop_emitted, N_LOOP_EVENTS);
    assert_int_equal(h.emit_errors, 0);
    assert_true(states ? h.collects >= 2 : h.collects == 0);
    if (inline_collect)
        assert_int_equal(h.collects_off_loop, 0); /* the providers ran on the loop thread */
    else
        assert_int_equal(h.collects_off_loop, h.collects); /* on the collector thread */

    psc_client_free(c);
    psc_client_loop_free(loop);
}

void loop_host_test_session_collector_thread(void **state)
{
    run_session(*state, false, true);
}

void loop_host_test_session_inline_collect(void **state)
{
    run_session(*state, true, true);
}

/* Events only: they reach the client through psc_emit's wake of the loop alone. */
void loop_host_test_events_wake_the_loop(void **state)
{
    run_session(*state, false, false);
}

/* Start and close with no client at all: nothing is left on the loop. */
void loop_host_test_start_close_idle(void **state)
{
    const loop_kind *k = *state;
    static loop_host h;
    host_up(&h, k, false, 0);
    assert_int_equal(h.start_err, PSC_OK);
    host_down(&h);
    assert_int_equal(h.collects, 0);
}

/* A start that fails on the loop (the port is taken) leaves nothing behind
 * once the loop has run. */
void loop_host_test_start_on_busy_port(void **state)
{
    const loop_kind *k = *state;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_endpoint *taken = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, NULL, &taken), PSC_OK);
    assert_int_equal(psc_endpoint_start(taken), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(taken, &port), PSC_OK);
    static loop_host h;
    host_up(&h, k, false, port);
    assert_int_equal(h.start_err, PSC_ERR_IO);
    host_down(&h);
    psc_endpoint_free(taken);
    psc_introspector_free(intro);
}

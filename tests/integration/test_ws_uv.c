/*
 * The WebSocket endpoint on a host's own libuv loop (psc_ws_config.uv_loop):
 * a small libuv host (its loop on its own thread, which starts, closes and
 * frees the endpoint), events emitted from the loop (a uv timer) and from
 * another thread, and the real C client on the test thread receiving the
 * runtime, states and events. Then the documented close: close on the
 * loop, the loop runs until psc_ws_loop_done, free, and uv_loop_close
 * finds no handle of the endpoint left. Every wait is on a condition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "client_util.h"
#include "peerscope/peerscope.h"

#define N_CONNS 3
#define N_LOOP_EVENTS 20
#define N_THREAD_EVENTS 20
#define WAIT_MS 20000

typedef struct uv_host {
    uv_loop_t loop;
    uv_async_t cmd;               /* the test thread's requests (go, stop) */
    uv_timer_t tick;              /* emits one LoopTick per run */
    pthread_t thread;
    pthread_t loop_tid;           /* set by the loop thread itself */
    psc_introspector *intro;
    psc_endpoint *ep;
    const psc_event_type *loop_ev, *thread_ev;
    bool inline_collect;

    /* from the test thread to the loop */
    atomic_bool go, stop;
    /* from the loop to the test thread, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;
    psc_err start_err;
    uint16_t port;
    /* loop thread only until it is joined */
    size_t loop_emitted;
    size_t emit_errors;
    atomic_size_t collects, collects_off_loop; /* the providers may run on the collector thread */
    bool done_before_close;       /* psc_ws_loop_done before close (must be false) */
    bool done_after_run;          /* psc_ws_loop_done once uv_run returned */
    int loop_close_rc;            /* uv_loop_close: 0 when nothing was left */
} uv_host;

/* Owned by the loop thread: what the provider reports. */
static psc_err collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    uv_host *h = user;
    h->collects++;
    if (!pthread_equal(pthread_self(), h->loop_tid))
        h->collects_off_loop++;
    uint64_t now = psc_collect_now_ms(ctx);
    for (size_t i = 0; i < N_CONNS; i++) {
        char id[16];
        int n = snprintf(id, sizeof id, "uv-%zu", i);
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

static const psc_swarm_provider swarm_vt = {sizeof(psc_swarm_provider), "uv-swarm", collect, NULL};
static const psc_prop_def tick_props[] = {{"n", PSC_PROP_NUMBER, false}};
static const psc_event_def loop_def = {"LoopTick", tick_props, 1};
static const psc_event_def thread_def = {"ThreadTick", tick_props, 1};

static void on_tick(uv_timer_t *t)
{
    uv_host *h = t->data;
    psc_value v = PSC_V_NUM(h->loop_emitted);
    if (psc_emit(h->intro, h->loop_ev, &v, 1))
        h->emit_errors++;
    if (++h->loop_emitted == N_LOOP_EVENTS)
        uv_timer_stop(t);
}

static void on_cmd(uv_async_t *a)
{
    uv_host *h = a->data;
    if (atomic_exchange(&h->go, false))
        uv_timer_start(&h->tick, on_tick, 1, 1);
    if (atomic_load(&h->stop)) {
        h->done_before_close = psc_ws_loop_done(h->ep);
        uv_timer_stop(&h->tick);
        uv_close((uv_handle_t *)&h->tick, NULL);
        uv_close((uv_handle_t *)&h->cmd, NULL);
        /* Returns at once; the endpoint's handles close as the loop runs on. */
        psc_endpoint_close(h->ep);
    }
}

static void report_start(uv_host *h, psc_err err, uint16_t port)
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
    uv_host *h = arg;
    h->loop_tid = pthread_self();
    uv_loop_init(&h->loop);
    uv_async_init(&h->loop, &h->cmd, on_cmd);
    h->cmd.data = h;
    uv_timer_init(&h->loop, &h->tick);
    h->tick.data = h;

    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.uv_loop = &h->loop;
    psc_err err = psc_ws_endpoint_new(h->intro, &wc, &h->ep);
    if (!err)
        err = psc_endpoint_start(h->ep);
    uint16_t port = 0;
    if (!err)
        err = psc_ws_port(h->ep, &port);
    report_start(h, err, port);
    if (err) {
        uv_close((uv_handle_t *)&h->tick, NULL);
        uv_close((uv_handle_t *)&h->cmd, NULL);
        psc_endpoint_close(h->ep);
    }
    /* Runs until every handle is closed: ours after stop, then the endpoint's. */
    uv_run(&h->loop, UV_RUN_DEFAULT);
    h->done_after_run = psc_ws_loop_done(h->ep);
    psc_endpoint_free(h->ep);
    h->ep = NULL;
    h->loop_close_rc = uv_loop_close(&h->loop);
    return NULL;
}

static void to_stderr(void *user, psc_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "log: %s\n", msg);
}

static void host_up(uv_host *h, bool inline_collect)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-uv-host";
    cfg.runtime.version = "1.0";
    cfg.runtime.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    if (getenv("PSC_TEST_UV_LOG")) {
        cfg.log = to_stderr;
        cfg.log_level = PSC_LOG_DEBUG;
    }
    if (inline_collect)
        cfg.collect_timeout_ms = PSC_COLLECT_INLINE;
    h->inline_collect = inline_collect;
    assert_int_equal(psc_introspector_new(&cfg, &h->intro), PSC_OK);
    assert_int_equal(psc_event_declare(h->intro, &loop_def, &h->loop_ev), PSC_OK);
    assert_int_equal(psc_event_declare(h->intro, &thread_def, &h->thread_ev), PSC_OK);
    assert_int_equal(psc_register_swarm(h->intro, &swarm_vt, h, NULL), PSC_OK);
    assert_int_equal(pthread_create(&h->thread, NULL, loop_main, h), 0);
    pthread_mutex_lock(&h->mu);
    while (!h->started)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    assert_int_equal(h->start_err, PSC_OK);
    assert_true(h->port > 0);
}

/* Ask the loop to close; join it (the loop ends once the endpoint's handles closed). */
static void host_down(uv_host *h)
{
    atomic_store(&h->stop, true);
    uv_async_send(&h->cmd);
    pthread_join(h->thread, NULL);
    assert_false(h->done_before_close);
    assert_true(h->done_after_run);
    assert_int_equal(h->loop_close_rc, 0);
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

/* states: also PUSH_ENABLE STATE (every 50 ms). Without it nothing but the
 * wake-ups of psc_emit makes the loop send the events. */
static void run_session(bool inline_collect, bool states)
{
    static uv_host h;
    host_up(&h, inline_collect);

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
    uv_async_send(&h.cmd);
    for (size_t i = 0; i < N_THREAD_EVENTS; i++) {
        psc_value v = PSC_V_NUM(i);
        assert_int_equal(psc_emit(h.intro, h.thread_ev, &v, 1), PSC_OK);
    }
    assert_true(wait_loop(loop, states ? cond_all_events : cond_events_only, &r, WAIT_MS));

    long t = rec_find(&r, 'T', 0);
    assert_true(t >= 0);
    assert_string_equal(r.items[t].text, "peerscope-uv-host");
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
    atomic_store(&h.stop, true);
    uv_async_send(&h.cmd);
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

static void test_uv_session_collector_thread(void **state)
{
    (void)state;
    run_session(false, true);
}

static void test_uv_session_inline_collect(void **state)
{
    (void)state;
    run_session(true, true);
}

/* Events only: they reach the client through psc_emit's wake of the loop alone. */
static void test_uv_events_wake_the_loop(void **state)
{
    (void)state;
    run_session(false, false);
}

/* Start and close with no client at all: nothing is left on the loop. */
static void test_uv_start_close_idle(void **state)
{
    (void)state;
    static uv_host h;
    host_up(&h, false);
    host_down(&h);
    assert_int_equal(h.collects, 0);
}

static void *busy_port_main(void *arg)
{
    uv_host *h = arg;
    uv_loop_init(&h->loop);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.uv_loop = &h->loop;
    wc.port = h->port;
    psc_err err = psc_ws_endpoint_new(h->intro, &wc, &h->ep);
    if (!err)
        err = psc_endpoint_start(h->ep);
    h->start_err = err;
    uv_run(&h->loop, UV_RUN_DEFAULT);
    h->done_after_run = psc_ws_loop_done(h->ep);
    psc_endpoint_free(h->ep);
    h->loop_close_rc = uv_loop_close(&h->loop);
    return NULL;
}

/* A start that fails on the loop (the port is taken) leaves nothing behind
 * once the loop has run. */
static void test_uv_start_on_busy_port(void **state)
{
    (void)state;
    static uv_host h;
    memset(&h, 0, sizeof h);
    assert_int_equal(psc_introspector_new(NULL, &h.intro), PSC_OK);
    psc_endpoint *taken = NULL;
    assert_int_equal(psc_ws_endpoint_new(h.intro, NULL, &taken), PSC_OK);
    assert_int_equal(psc_endpoint_start(taken), PSC_OK);
    assert_int_equal(psc_ws_port(taken, &h.port), PSC_OK);
    assert_int_equal(pthread_create(&h.thread, NULL, busy_port_main, &h), 0);
    pthread_join(h.thread, NULL);
    assert_int_equal(h.start_err, PSC_ERR_IO);
    assert_true(h.done_after_run);
    assert_int_equal(h.loop_close_rc, 0);
    psc_endpoint_free(taken);
    psc_introspector_free(h.intro);
}

/* An endpoint on a loop that is never started needs no loop run to free. */
static void test_uv_never_started(void **state)
{
    (void)state;
    uv_loop_t l;
    assert_int_equal(uv_loop_init(&l), 0);
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.uv_loop = &l;
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    assert_int_equal(uv_loop_close(&l), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uv_session_collector_thread),
        cmocka_unit_test(test_uv_session_inline_collect),
        cmocka_unit_test(test_uv_events_wake_the_loop),
        cmocka_unit_test(test_uv_start_close_idle),
        cmocka_unit_test(test_uv_start_on_busy_port),
        cmocka_unit_test(test_uv_never_started),
    };
    return RUN_TESTS(tests);
}

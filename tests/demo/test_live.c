/*
 * The demo, headless, checked through its WebSocket: the real program on
 * an ephemeral port, watched by peerscope's C client behaving like the 2020
 * visualizer (no command version, a configured Origin, HELLO then REQUEST
 * RUNTIME, PUSH_ENABLE EVENTS and STATE). Every pushed State must be
 * consistent with itself and with the ones before it; events must carry
 * what the visualizer reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerscope/client.h>
#include <peerscope/peerscope.h>

#include "demo_proc.h"
#include "state_check.h"

#define WANT_STATES 8u
#define ORIGIN "http://127.0.0.1:5000"

typedef struct type_seen {
    char name[48];
    size_t count;
    bool first_had_props;
} type_seen;

typedef struct watch {
    state_tracker tracker;
    char local_id[PSC_PEERID_STR_MAX];
    bool open, closed, runtime;
    psc_err close_err;
    size_t responses_ok, responses_err, states, events, errors;
    size_t runtime_types;
    type_seen types[32];
    size_t n_types;
    size_t queries_with_peers;
} watch;

static void on_open(void *user, psc_client *c)
{
    (void)c;
    ((watch *)user)->open = true;
}

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *r)
{
    (void)c;
    watch *w = user;
    if (r->result == PEERSCOPE__COMMAND_RESPONSE__RESULT__OK)
        w->responses_ok++;
    else
        w->responses_err++;
}

static void on_runtime(void *user, psc_client *c, const Peerscope__Runtime *rt)
{
    (void)c;
    watch *w = user;
    w->runtime = true;
    w->runtime_types = rt->n_event_types;
    if (strcmp(rt->peer_id, w->local_id) != 0)
        fail_msg("Runtime peer id %s, banner said %s", rt->peer_id, w->local_id);
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    (void)c;
    watch *w = user;
    state_tracker_check(&w->tracker, st);
    w->states++;
}

static void on_event(void *user, psc_client *c, const Peerscope__Event *ev)
{
    (void)c;
    watch *w = user;
    w->events++;
    assert_non_null(ev->type);
    type_seen *t = NULL;
    for (size_t i = 0; i < w->n_types; i++)
        if (strcmp(w->types[i].name, ev->type->name) == 0)
            t = &w->types[i];
    if (!t) {
        assert_true(w->n_types < sizeof w->types / sizeof w->types[0]);
        t = &w->types[w->n_types++];
        snprintf(t->name, sizeof t->name, "%s", ev->type->name);
        /* the first event of a type tells its properties (2020 behaviour) */
        t->first_had_props = ev->type->n_property_types > 0;
    }
    t->count++;
    assert_true(ev->content[0] == '{');
    if (strstr(ev->type->name, "DHTQuery")) {
        /* what the 2020 visualizer's DHT view flashes */
        const char *p = strstr(ev->content, "\"peerIds\":[");
        if (!p)
            fail_msg("%s without peerIds: %s", ev->type->name, ev->content);
        if (p[11] == '"')
            w->queries_with_peers++;
    }
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    (void)c;
    (void)err;
    (void)reason;
    ((watch *)user)->errors++;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)code;
    (void)reason;
    watch *w = user;
    w->closed = true;
    w->close_err = err;
}

static const type_seen *seen(const watch *w, const char *name)
{
    for (size_t i = 0; i < w->n_types; i++)
        if (strcmp(w->types[i].name, name) == 0)
            return &w->types[i];
    return NULL;
}

static void test_watch_demo_over_websocket(void **state)
{
    (void)state;
    static demo_proc p;
    const char *args[] = {"--port", "0", "--duration", "60", "--quiet", "--seed", "5", "--peers", "300",
                          "--conns", "30", "--churn", "240", "--event-rate", "20", "--allow-origin", ORIGIN,
                          NULL};
    demo_proc_spawn(&p, args);
    if (!demo_proc_wait_for(&p, "stopping after", DEMO_PROC_TIMEOUT_MS))
        fail_msg("no banner; stderr: %s", p.err);
    char url[256];
    static watch w;
    memset(&w, 0, sizeof w);
    assert_true(demo_proc_banner(p.out, "websocket:", url, sizeof url));
    assert_true(demo_proc_banner(p.out, "local peer id:", w.local_id, sizeof w.local_id));
    state_tracker_init(&w.tracker, w.local_id);

    psc_client_callbacks cb = {.struct_size = sizeof cb};
    cb.on_open = on_open;
    cb.on_response = on_response;
    cb.on_runtime = on_runtime;
    cb.on_state = on_state;
    cb.on_event = on_event;
    cb.on_error = on_error;
    cb.on_close = on_close;
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.origin = ORIGIN;
    cfg.omit_version = true;
    cfg.callbacks = &cb;
    cfg.user = &w;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings hello = {120000, PSC_SESSION_INTERVAL_MIN_MS};
    assert_int_equal(psc_client_hello(c, &hello, NULL), PSC_OK);
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);

    unsigned long long deadline = demo_proc_now_ms() + 30000;
    while (w.states < WANT_STATES && !w.closed && demo_proc_now_ms() < deadline) {
        assert_int_equal(psc_client_poll(c, 100), PSC_OK);
        demo_proc_pump(&p, 0); /* keep its pipes drained */
    }
    if (w.states < WANT_STATES)
        fail_msg("%zu states after 30 s (closed: %d, err %d); demo stderr: %s", w.states, w.closed,
                 (int)w.close_err, p.err);
    assert_int_equal(psc_client_close(c), PSC_OK);
    deadline = demo_proc_now_ms() + 10000;
    while (!w.closed && demo_proc_now_ms() < deadline)
        assert_int_equal(psc_client_poll(c, 100), PSC_OK);
    assert_true(w.closed);
    assert_int_equal(w.close_err, PSC_OK);
    psc_client_free(c);

    assert_int_equal(kill(p.pid, SIGTERM), 0);
    demo_proc_finish(&p);
    assert_int_equal(p.status, 0);

    /* the session went as the visualizer expects */
    assert_true(w.open);
    assert_true(w.runtime);
    assert_true(w.runtime_types >= 12);
    assert_int_equal(w.responses_err, 0);
    assert_int_equal(w.responses_ok, 3); /* HELLO, PUSH_ENABLE x2; REQUEST RUNTIME answers with the Runtime */
    assert_int_equal(w.errors, 0);
    /* a living node */
    assert_true(w.tracker.max_active_conns >= 10);
    assert_true(w.tracker.max_streams >= 20);
    assert_true(w.tracker.max_dht_members >= 20);
    assert_true(w.tracker.max_peerstore >= 20);
    assert_true(w.tracker.n_closed_conns >= 1);
    assert_true(w.events > 20);
    static const char *const must[] = {"PeerConnecting", "PeerConnected", "PeerDisconnected", "OutboundDHTQuery",
                                       "InboundDHTQuery"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        const type_seen *t = seen(&w, must[i]);
        if (!t)
            fail_msg("no %s event", must[i]);
        assert_true(t->first_had_props);
    }
    assert_true(w.queries_with_peers > 0);
    state_tracker_free(&w.tracker);
}

int main(void)
{
    /* the client's libwebsockets would print its start-up notices */
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_demo_over_websocket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

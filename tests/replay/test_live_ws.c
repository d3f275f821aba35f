/*
 * A live replay behind the real WebSocket endpoint: the visualizer page
 * and /introspect are served from it, and psc_client viewers get the
 * node's Runtime, its newest state and its events as they are added (one
 * from now on, one resuming after a seq), while this thread produces and
 * the endpoint's service thread serves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../integration/client_util.h"
#include "../ws/ws_test_client.h"
#include "events/events.h"
#include "util/alloc.h"
#include "peerscope/client.h"
#include "peerscope/pb.h"
#include "peerscope/peerscope.h"
#include "peerscope/replay.h"
#include "peerscope/ws.h"

#define T_WAIT 20000

static const psc_prop_def tick_props[] = {{.name = "n", .type = PSC_PROP_NUMBER}};
static const psc_event_def tick_def = {.name = "Tick", .props = tick_props, .n_props = 1};

typedef struct upstream {
    psc_introspector *intro;
    const psc_event_type *tick;
    psc_event_reader *reader;
    psc__alloc a;
    psc_replay *r;
} upstream;

static void add(upstream *u, psc_msg *m)
{
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    assert_int_equal(psc_replay_add_message(u->r, p, len, 0, NULL, 0), PSC_OK);
    psc_msg_unref(m);
}

static void add_events(upstream *u, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t seq = psc_events_emitted(u->intro) + 1;
        psc_value v = PSC_V_NUM(seq);
        assert_int_equal(psc_emit(u->intro, u->tick, &v, 1), PSC_OK);
        psc_event_record er;
        uint64_t missed = 0;
        assert_int_equal(psc_event_reader_next(u->reader, &er, &missed), PSC_OK);
        psc_msg *m = NULL;
        assert_int_equal(psc__event_msg(&u->a, &er, seq == 1, &m), PSC_OK);
        add(u, m);
    }
}

static void add_state(upstream *u)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(u->intro, &m), PSC_OK);
    add(u, m);
}

static psc_client *viewer(const char *url, psc_client_loop *loop, rec *r, bool state, bool resume, uint64_t after)
{
    rec_init(r);
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    cfg.loop = loop;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings st = {60000, 1000};
    assert_int_equal(psc_client_hello(c, &st, NULL), PSC_OK);
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL), PSC_OK);
    if (state)
        assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
    cmd.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE;
    cmd.source = PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS;
    cmd.id = 77;
    cmd.resume_events = resume;
    cmd.after_seq = after;
    assert_int_equal(psc_client_send_command(c, &cmd), PSC_OK);
    return c;
}

/* The events r got are exactly from..to, in order, with the type's metadata on the first. */
static void check_events(const rec *r, uint64_t from, uint64_t to)
{
    assert_int_equal(r->events, to - from + 1);
    assert_int_equal(r->events_out_of_order, 0);
    assert_int_equal(r->notices, 0);
    uint64_t want = from;
    bool first = true;
    for (size_t i = 0; i < r->n && i < REC_MAX; i++) {
        if (r->items[i].kind != 'E')
            continue;
        assert_int_equal(r->items[i].id, want);
        assert_string_equal(r->items[i].text, "Tick");
        assert_int_equal(r->items[i].count, first ? 1 : 0);
        first = false;
        want++;
    }
}

static void test_live_over_ws(void **state)
{
    (void)state;
    upstream u = {0};
    assert_int_equal(psc_introspector_new(NULL, &u.intro), PSC_OK);
    assert_int_equal(psc_event_declare(u.intro, &tick_def, &u.tick), PSC_OK);
    assert_int_equal(psc_event_reader_new(u.intro, false, &u.reader), PSC_OK);
    psc__alloc_init(&u.a, NULL);

    psc_introspector *relay = NULL;
    assert_int_equal(psc_introspector_new(NULL, &relay), PSC_OK);
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.live = true;
    o.node = "n1";
    assert_int_equal(psc_replay_new(&o, &u.r), PSC_OK);
    assert_int_equal(psc_replay_serve(u.r, relay), PSC_OK);
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(relay, NULL, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(ep, &port), PSC_OK);

    /* the visualizer page comes from the same endpoint */
    wsc_http page;
    assert_int_equal(wsc_http_get(port, "/", NULL, &page), 0);
    assert_int_equal(page.status, 200);
    assert_non_null(strstr(page.body, "peerscope"));

    psc_msg *rt = NULL;
    assert_int_equal(psc_introspector_runtime(u.intro, &rt), PSC_OK);
    add(&u, rt);
    add_state(&u);
    add_events(&u, 150);

    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)port);
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    static rec a, b;
    psc_client *ca = viewer(url, loop, &a, true, false, 0);
    psc_client *cb = viewer(url, loop, &b, false, true, 100);
    assert_non_null(wait_response(loop, &a, 77, T_WAIT));
    assert_non_null(wait_response(loop, &b, 77, T_WAIT));
    assert_true(wait_counter(loop, &a.states, 1, T_WAIT)); /* the newest, at once */
    assert_true(wait_counter(loop, &b.events, 50, T_WAIT)); /* 101..150 */
    assert_true(wait_counter(loop, &a.runtimes, 1, T_WAIT));
    long t = rec_find(&a, 'T', 0);
    assert_true(t >= 0);
    assert_int_equal(a.items[t].count, 1); /* the node's one event type */

    /* what is added from now on reaches both, in order */
    add_events(&u, 60);
    add_state(&u);
    assert_true(wait_counter(loop, &a.events, 60, T_WAIT));
    assert_true(wait_counter(loop, &b.events, 110, T_WAIT));
    assert_true(wait_counter(loop, &a.states, 2, T_WAIT));
    check_events(&a, 151, 210);
    check_events(&b, 101, 210);
    assert_int_equal(a.errors + b.errors, 0);

    psc_client_free(ca);
    psc_client_free(cb);
    psc_client_loop_free(loop);
    psc_endpoint_close(ep);
    psc_endpoint_free(ep);
    psc_introspector_free(relay);
    psc_event_reader_free(u.reader);
    psc_introspector_free(u.intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_over_ws),
    };
    return RUN_TESTS(tests);
}

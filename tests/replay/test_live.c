/*
 * A live replay (psc_replay_options.live) served through a host-transport
 * endpoint, as peerscope-hub serves each node: what a session gets before
 * any state, the newest state and Runtime, a slow reader losing only what
 * the window dropped (and told so), event resume after a seq, pause and
 * resume, a new run upstream, bounded memory, and a producer thread adding
 * a real introspector's snapshots and events while two sessions read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/events.h"
#include "util/alloc.h"
#include "peerscope/pb.h"
#include "peerscope/peerscope.h"
#include "peerscope/replay.h"

#define KEEP_STATES 5u
#define KEEP_EVENTS 64u
#define DEADLINE_S 30

/* ------------------------------------------------------------ the source node */

/* A real introspector whose snapshots, Runtime and events feed the relay. */
typedef struct node {
    psc_introspector *intro;
    const psc_event_type *tick;
    psc_event_reader *reader;
    psc__alloc a;
    uint64_t last_state_seq;
    size_t max_state, max_event, max_runtime;
} node;

static const psc_prop_def tick_props[] = {{.name = "n", .type = PSC_PROP_NUMBER}};
static const psc_event_def tick_def = {.name = "Tick", .props = tick_props, .n_props = 1};

static void node_start(node *n)
{
    memset(n, 0, sizeof *n);
    psc_config cfg = PSC_CONFIG_INIT;
    assert_int_equal(psc_introspector_new(&cfg, &n->intro), PSC_OK);
    assert_int_equal(psc_event_declare(n->intro, &tick_def, &n->tick), PSC_OK);
    assert_int_equal(psc_event_reader_new(n->intro, false, &n->reader), PSC_OK);
    psc__alloc_init(&n->a, NULL);
}

static void node_stop(node *n)
{
    psc_event_reader_free(n->reader);
    psc_introspector_free(n->intro);
}

static void add_msg(psc_replay *r, psc_msg *m)
{
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    char why[160];
    assert_int_equal(psc_replay_add_message(r, p, len, 0, why, sizeof why), PSC_OK);
    psc_msg_unref(m);
}

static size_t msg_len(const psc_msg *m)
{
    size_t len = 0;
    psc_msg_payload(m, &len);
    return len;
}

static void feed_runtime(node *n, psc_replay *r)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_runtime(n->intro, &m), PSC_OK);
    if (msg_len(m) > n->max_runtime)
        n->max_runtime = msg_len(m);
    add_msg(r, m);
}

static void feed_state(node *n, psc_replay *r)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(n->intro, &m), PSC_OK);
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(sm);
    n->last_state_seq = sm->state->seq;
    peerscope__server_message__free_unpacked(sm, NULL);
    if (len > n->max_state)
        n->max_state = len;
    add_msg(r, m);
}

/* Emit one Tick (n = its seq) on the node and add it as the node's endpoint would send it. */
static uint64_t feed_event(node *n, psc_replay *r, bool meta)
{
    uint64_t seq = psc_events_emitted(n->intro) + 1;
    psc_value v = PSC_V_NUM(seq);
    assert_int_equal(psc_emit(n->intro, n->tick, &v, 1), PSC_OK);
    psc_event_record rec;
    uint64_t missed = 0;
    assert_int_equal(psc_event_reader_next(n->reader, &rec, &missed), PSC_OK);
    assert_int_equal(missed, 0);
    assert_int_equal(rec.seq, seq);
    psc_msg *m = NULL;
    assert_int_equal(psc__event_msg(&n->a, &rec, meta, &m), PSC_OK);
    if (msg_len(m) > n->max_event)
        n->max_event = msg_len(m);
    add_msg(r, m);
    return seq;
}

/* ------------------------------------------------------------ the relay, a host transport */

typedef struct host {
    psc_introspector *intro;
    psc_replay *r;
    psc_endpoint *ep;
    int wakes;
} host;

static psc_err h_start(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user;
    return PSC_OK;
}

static void h_close(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user;
}

static void h_wake(void *state, void *user)
{
    (void)state;
    host *h = user;
    __atomic_add_fetch(&h->wakes, 1, __ATOMIC_RELAXED);
}

static const psc_endpoint_vtable host_vt = {
    .struct_size = sizeof(psc_endpoint_vtable),
    .name = "hub",
    .start = h_start,
    .close = h_close,
    .wake = h_wake,
};

static void host_start(host *h)
{
    memset(h, 0, sizeof *h);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.event_ring_capacity = 64;
    assert_int_equal(psc_introspector_new(&cfg, &h->intro), PSC_OK);
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.live = true;
    o.node = "n1";
    o.keep_states = KEEP_STATES;
    o.keep_events = KEEP_EVENTS;
    assert_int_equal(psc_replay_new(&o, &h->r), PSC_OK);
    assert_int_equal(psc_replay_serve(h->r, h->intro), PSC_OK);
    assert_int_equal(psc_endpoint_new(h->intro, &host_vt, NULL, NULL, h, &h->ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(h->ep), PSC_OK);
}

static void host_stop(host *h)
{
    psc_endpoint_close(h->ep);
    psc_endpoint_free(h->ep);
    psc_introspector_free(h->intro);
}

static void service(host *h)
{
    uint64_t next = 0;
    assert_int_equal(psc_endpoint_service(h->ep, &next), PSC_OK);
}

static void send_cmd(psc_endpoint_session *s, int command, int source, uint64_t id, bool resume, uint64_t after_seq,
                     uint64_t at_ts)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = command;
    c.source = source;
    c.id = id;
    c.resume_events = resume;
    c.after_seq = after_seq;
    c.at_ts = at_ts;
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&c, buf);
    assert_int_equal(psc_endpoint_session_recv(s, buf, n), PSC_OK);
}

#define CMD(s, command, source, id)                                                                                  \
    send_cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__##command, PEERSCOPE__CLIENT_COMMAND__SOURCE__##source, id, false, \
             0, 0)

/* The next message of s, decoded (NULL when there is none). */
static Peerscope__ServerMessage *next_msg(psc_endpoint_session *s)
{
    psc_msg *m = NULL;
    psc_err e = psc_endpoint_session_pull(s, &m);
    if (e == PSC_ERR_AGAIN)
        return NULL;
    assert_int_equal(e, PSC_OK);
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(sm);
    psc_msg_unref(m);
    return sm;
}

static Peerscope__ServerMessage *expect(psc_endpoint_session *s, Peerscope__ServerMessage__PayloadCase kind)
{
    Peerscope__ServerMessage *sm = next_msg(s);
    assert_non_null(sm);
    assert_int_equal(sm->payload_case, kind);
    return sm;
}

static void expect_response(psc_endpoint_session *s, uint64_t id, bool ok, const char *error)
{
    Peerscope__ServerMessage *sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(sm->response->id, id);
    assert_int_equal(sm->response->result, ok ? PEERSCOPE__COMMAND_RESPONSE__RESULT__OK
                                               : PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
    if (error)
        assert_string_equal(sm->response->error, error);
    peerscope__server_message__free_unpacked(sm, NULL);
}

static void expect_nothing(psc_endpoint_session *s)
{
    Peerscope__ServerMessage *sm = next_msg(s);
    if (sm)
        fail_msg("unexpected message, payload %d", (int)sm->payload_case);
}

static uint64_t expect_event(psc_endpoint_session *s, uint64_t seq, bool meta)
{
    Peerscope__ServerMessage *sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
    assert_string_equal(sm->event->type->name, "Tick");
    assert_int_equal(sm->event->seq, seq);
    assert_int_equal(sm->event->type->n_property_types, meta ? 1 : 0);
    char want[48];
    snprintf(want, sizeof want, "{\"n\":%llu}", (unsigned long long)seq);
    assert_string_equal(sm->event->content, want);
    peerscope__server_message__free_unpacked(sm, NULL);
    return seq;
}

static void expect_notice(psc_endpoint_session *s, uint64_t dropped)
{
    Peerscope__ServerMessage *sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE);
    assert_int_equal(sm->notice->kind, PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS);
    assert_int_equal(sm->notice->dropped, dropped);
    peerscope__server_message__free_unpacked(sm, NULL);
}

static uint64_t expect_state(psc_endpoint_session *s)
{
    Peerscope__ServerMessage *sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    assert_null(sm->state->delta);
    uint64_t seq = sm->state->seq;
    peerscope__server_message__free_unpacked(sm, NULL);
    return seq;
}

static psc_endpoint_session *viewer(host *h)
{
    psc_endpoint_session *s = NULL;
    assert_int_equal(psc_endpoint_session_open(h->ep, "viewer", &s), PSC_OK);
    CMD(s, HELLO, STATE, 1);
    expect_response(s, 1, true, NULL);
    return s;
}

static psc_replay_live_info live_info(const psc_replay *r)
{
    psc_replay_live_info i = {.struct_size = sizeof i};
    assert_int_equal(psc_replay_live_info_get(r, &i), PSC_OK);
    return i;
}

/* ------------------------------------------------------------ tests */

static void test_api(void **state)
{
    (void)state;
    psc_replay *r = NULL;
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    psc_replay_live_info i = {.struct_size = sizeof i};
    assert_int_equal(psc_replay_live_info_get(r, &i), PSC_ERR_STATE);
    assert_int_equal(psc_replay_live_new_run(r), PSC_ERR_STATE);
    psc_replay_free(r);
    assert_int_equal(psc_replay_live_new_run(NULL), PSC_ERR_INVALID);

    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.live = true;
    assert_int_equal(psc_replay_new(&o, &r), PSC_OK);
    i.struct_size = 8;
    assert_int_equal(psc_replay_live_info_get(r, &i), PSC_ERR_INVALID);
    i = live_info(r);
    assert_int_equal(i.states_held + i.events_held + i.bytes_held, 0);
    /* a recording file is not a live feed */
    static const uint8_t header[4] = {1, 0, 0, 0};
    assert_int_equal(psc_replay_load(r, header, sizeof header, NULL, NULL), PSC_ERR_CLOSED);
    char why[160];
    static const uint8_t junk[3] = {0xff, 0xff, 0xff};
    assert_int_equal(psc_replay_add_message(r, junk, sizeof junk, 0, why, sizeof why), PSC_ERR_PROTOCOL);
    assert_string_equal(why, "not a valid ServerMessage");
    /* type names are bounded like everything else held */
    for (int k = 0; k <= 4096; k++) {
        char name[32];
        snprintf(name, sizeof name, "T%d", k);
        psc_event_def def = {.name = name};
        psc_err e = psc_replay_add_event(r, &def, 1700000000000ull, (uint64_t)k + 1, NULL, why, sizeof why);
        assert_int_equal(e, k < 4096 ? PSC_OK : PSC_ERR_TOO_BIG);
    }
    assert_string_equal(why, "an event of a new type past the 4096 types a relay holds");
    i = live_info(r);
    assert_int_equal(i.event_types, 4096);
    assert_int_equal(i.events_held, 4096);
    psc_replay_free(r);
}

static void test_before_any_state(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    node n;
    node_start(&n);
    psc_endpoint_session *s = viewer(&h);

    CMD(s, REQUEST, STATE, 2);
    expect_response(s, 2, false, "no state yet");
    send_cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 3, false, 0,
             1000);
    expect_response(s, 3, false, "no state yet");
    CMD(s, REQUEST, RUNTIME, 4);
    Peerscope__ServerMessage *sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    assert_null(sm->runtime->recording);
    assert_int_equal(sm->runtime->n_capabilities, 1);
    assert_string_equal(sm->runtime->capabilities[0], "at_ts");
    peerscope__server_message__free_unpacked(sm, NULL);

    CMD(s, PUSH_ENABLE, STATE, 5);
    expect_response(s, 5, true, NULL);
    service(&h);
    expect_nothing(s);

    /* the node's Runtime, as it is, with at_ts added and no recording */
    feed_runtime(&n, h.r);
    CMD(s, REQUEST, RUNTIME, 6);
    sm = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    psc_msg *rt = NULL;
    assert_int_equal(psc_introspector_runtime(n.intro, &rt), PSC_OK);
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(rt, &len);
    Peerscope__ServerMessage *own = peerscope__server_message__unpack(NULL, len, p);
    assert_int_equal(sm->runtime->start_ts, own->runtime->start_ts);
    assert_string_equal(sm->runtime->version, own->runtime->version);
    assert_int_equal(sm->runtime->n_event_types, own->runtime->n_event_types);
    assert_null(sm->runtime->recording);
    bool at_ts = false;
    for (size_t i = 0; i < sm->runtime->n_capabilities; i++)
        at_ts = at_ts || strcmp(sm->runtime->capabilities[i], "at_ts") == 0;
    assert_true(at_ts);
    peerscope__server_message__free_unpacked(own, NULL);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(rt);

    /* the first state is pushed as soon as it is added, and answers REQUEST STATE */
    service(&h); /* arms the wake-up, as after every pass */
    int wakes = __atomic_load_n(&h.wakes, __ATOMIC_RELAXED);
    feed_state(&n, h.r);
    assert_true(__atomic_load_n(&h.wakes, __ATOMIC_RELAXED) > wakes);
    service(&h);
    assert_int_equal(expect_state(s), n.last_state_seq);
    expect_nothing(s);
    CMD(s, REQUEST, STATE, 7);
    assert_int_equal(expect_state(s), n.last_state_seq);
    uint64_t first = n.last_state_seq;
    uint64_t now = psc_introspector_now_ms(n.intro);
    feed_state(&n, h.r);
    service(&h);
    assert_int_equal(expect_state(s), n.last_state_seq);
    send_cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 8, false, 0,
             now - 10000);
    Peerscope__ServerMessage *r = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(r->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
    assert_non_null(strstr(r->response->error, "outside the states held"));
    peerscope__server_message__free_unpacked(r, NULL);
    psc_replay_info ri = {.struct_size = sizeof ri};
    assert_int_equal(psc_replay_info_get(h.r, &ri), PSC_OK);
    send_cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 9, false, 0,
             ri.start_ts);
    r = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(r->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    assert_non_null(r->response->state);
    /* two states may share a millisecond: the newer of them answers */
    assert_true(r->response->state->seq == first || r->response->state->seq == n.last_state_seq);
    peerscope__server_message__free_unpacked(r, NULL);
    expect_nothing(s);

    psc_endpoint_session_close(s);
    node_stop(&n);
    host_stop(&h);
}

/* A session that does not read: only the newest state waits for it; the events the window dropped are counted. */
static void test_slow_reader_bounded(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    node n;
    node_start(&n);
    feed_runtime(&n, h.r);
    psc_endpoint_session *s = viewer(&h);
    CMD(s, PUSH_ENABLE, STATE, 2);
    CMD(s, PUSH_ENABLE, EVENTS, 3);
    expect_response(s, 2, true, NULL);
    expect_response(s, 3, true, NULL);

    /* states added while it does not read replace the one still unsent */
    for (int i = 0; i < 10; i++) {
        feed_state(&n, h.r);
        service(&h);
    }
    assert_int_equal(expect_state(s), n.last_state_seq);
    expect_nothing(s);
    psc_session_info si[1] = {{.struct_size = sizeof si[0]}};
    size_t got = 0;
    assert_int_equal(psc_endpoint_sessions(h.ep, si, 1, &got, NULL), PSC_OK);
    assert_int_equal(got, 1);
    assert_int_equal(si[0].states_replaced, 9);

    /* 2000 events with no service meanwhile: the window holds the last 64 */
    for (int i = 0; i < 2000; i++)
        feed_event(&n, h.r, i == 0);
    feed_state(&n, h.r);
    service(&h);
    assert_int_equal(expect_state(s), n.last_state_seq);
    expect_notice(s, 2000 - KEEP_EVENTS);
    /* the first event it gets carries the type's metadata though the node sent it with the first of all */
    expect_event(s, 2000 - KEEP_EVENTS + 1, true);
    for (uint64_t q = 2000 - KEEP_EVENTS + 2; q <= 2000; q++)
        expect_event(s, q, false);
    expect_nothing(s);

    /* a session whose queue is full holds the producer back in nothing */
    for (int i = 0; i < 3000; i++) {
        feed_event(&n, h.r, false);
        if (i % 100 == 0)
            service(&h);
    }
    service(&h);
    uint64_t want = 2001, lost = 0;
    for (Peerscope__ServerMessage *sm; (sm = next_msg(s));) {
        if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE) {
            lost += sm->notice->dropped;
            want += sm->notice->dropped;
        } else {
            assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
            assert_int_equal(sm->event->seq, want);
            want++;
        }
        peerscope__server_message__free_unpacked(sm, NULL);
    }
    assert_int_equal(want, 5001);
    assert_true(lost > 0);

    psc_replay_live_info i = live_info(h.r);
    assert_int_equal(i.states_held, KEEP_STATES);
    assert_int_equal(i.events_held, KEEP_EVENTS);
    assert_int_equal(i.states_added, 11);
    assert_int_equal(i.events_added, 5000);
    assert_int_equal(i.first_seq, 5000 - KEEP_EVENTS + 1);
    assert_int_equal(i.last_seq, 5000);
    assert_int_equal(i.event_types, 1);
    assert_int_equal(i.runtimes, 1);
    /* held: the states and events of the window, the Runtime and one event with metadata */
    assert_true(i.bytes_held <= KEEP_STATES * n.max_state + (KEEP_EVENTS + 1) * n.max_event + n.max_runtime + 64);
    assert_true(i.bytes_held >= KEEP_EVENTS * 8);

    psc_endpoint_session_close(s);
    node_stop(&n);
    host_stop(&h);
}

static void test_resume_after_seq(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    node n;
    node_start(&n);
    for (int i = 0; i < 100; i++)
        feed_event(&n, h.r, i == 0); /* seqs 37..100 stay */

    /* past what is held: a notice for 11..36, then 37..100, then live */
    psc_endpoint_session *a = viewer(&h);
    send_cmd(a, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, true, 10,
             0);
    /* within what is held: 51..100, no notice */
    psc_endpoint_session *b = viewer(&h);
    send_cmd(b, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, true, 50,
             0);
    /* past the newest seq: another run for the client, so all of this one held */
    psc_endpoint_session *c = viewer(&h);
    send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, true, 5000,
             0);
    /* at the newest seq: caught up, live from there */
    psc_endpoint_session *e = viewer(&h);
    send_cmd(e, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, true, 100,
             0);
    /* no resume: from now on */
    psc_endpoint_session *d = viewer(&h);
    CMD(d, PUSH_ENABLE, EVENTS, 2);
    service(&h);
    feed_event(&n, h.r, false);
    service(&h);

    expect_response(a, 2, true, NULL);
    expect_notice(a, 26);
    expect_event(a, 37, true);
    for (uint64_t q = 38; q <= 101; q++)
        expect_event(a, q, false);
    expect_nothing(a);

    expect_response(b, 2, true, NULL);
    expect_event(b, 51, true);
    for (uint64_t q = 52; q <= 101; q++)
        expect_event(b, q, false);
    expect_nothing(b);

    expect_response(c, 2, true, NULL);
    expect_notice(c, 36);
    expect_event(c, 37, true);
    for (uint64_t q = 38; q <= 101; q++)
        expect_event(c, q, false);

    expect_response(d, 2, true, NULL);
    expect_event(d, 101, true);
    expect_nothing(d);

    expect_response(e, 2, true, NULL);
    expect_event(e, 101, true);
    expect_nothing(e);

    psc_endpoint_session_close(a);
    psc_endpoint_session_close(b);
    psc_endpoint_session_close(c);
    psc_endpoint_session_close(d);
    psc_endpoint_session_close(e);
    node_stop(&n);
    host_stop(&h);
}

static void test_pause_and_new_run(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    node n;
    node_start(&n);
    feed_runtime(&n, h.r);
    feed_state(&n, h.r);
    psc_endpoint_session *s = viewer(&h);
    CMD(s, PUSH_ENABLE, STATE, 2);
    CMD(s, PUSH_ENABLE, EVENTS, 3);
    service(&h);
    expect_response(s, 2, true, NULL);
    expect_response(s, 3, true, NULL);
    assert_int_equal(expect_state(s), n.last_state_seq);
    feed_event(&n, h.r, true);
    service(&h);
    expect_event(s, 1, true);

    CMD(s, PUSH_PAUSE, STATE, 4);
    expect_response(s, 4, true, NULL);
    for (int i = 0; i < 10; i++) {
        feed_event(&n, h.r, false);
        feed_state(&n, h.r);
        service(&h);
    }
    expect_nothing(s);
    CMD(s, PUSH_RESUME, STATE, 5);
    service(&h);
    expect_response(s, 5, true, NULL);
    assert_int_equal(expect_state(s), n.last_state_seq); /* only the newest */
    for (uint64_t q = 2; q <= 11; q++)
        expect_event(s, q, false);
    expect_nothing(s);

    /* the node restarts: nothing of the old run is served as current */
    node_stop(&n);
    node_start(&n);
    assert_int_equal(psc_replay_live_new_run(h.r), PSC_OK);
    psc_replay_live_info i = live_info(h.r);
    assert_int_equal(i.states_held + i.events_held, 0);
    assert_int_equal(i.runs, 1);
    CMD(s, REQUEST, STATE, 6);
    expect_response(s, 6, false, "no state yet");
    service(&h);
    expect_nothing(s);
    feed_runtime(&n, h.r);
    CMD(s, REQUEST, RUNTIME, 7);
    Peerscope__ServerMessage *rt = expect(s, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    psc_msg *own = NULL;
    assert_int_equal(psc_introspector_runtime(n.intro, &own), PSC_OK);
    size_t len = 0;
    const uint8_t *p = psc_msg_payload(own, &len);
    Peerscope__ServerMessage *osm = peerscope__server_message__unpack(NULL, len, p);
    assert_int_equal(rt->runtime->start_ts, osm->runtime->start_ts);
    peerscope__server_message__free_unpacked(osm, NULL);
    peerscope__server_message__free_unpacked(rt, NULL);
    psc_msg_unref(own);
    /* its seqs begin at 1 again: the session follows, no notice for the old run's */
    for (int k = 0; k < 3; k++)
        feed_event(&n, h.r, k == 0);
    feed_state(&n, h.r);
    service(&h);
    assert_int_equal(expect_state(s), n.last_state_seq);
    expect_event(s, 1, true); /* as the node sent it */
    for (uint64_t q = 2; q <= 3; q++)
        expect_event(s, q, false);
    expect_nothing(s);

    psc_endpoint_session_close(s);
    node_stop(&n);
    host_stop(&h);
}

/* Events kept as rows (psc_replay_add_event) go live too, the metadata with the first of the type. */
static void test_add_event_rows(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    char why[160];
    assert_int_equal(psc_replay_add_event(h.r, &tick_def, 1700000000000ull, 1, "{\"n\":1}", why, sizeof why), PSC_OK);
    assert_int_equal(psc_replay_add_event(h.r, &tick_def, 1700000000001ull, 2, "not json", why, sizeof why),
                     PSC_ERR_INVALID);
    assert_string_equal(why, "event content that is not valid JSON");
    psc_endpoint_session *s = viewer(&h);
    send_cmd(s, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, true, 0,
             0);
    assert_int_equal(psc_replay_add_event(h.r, &tick_def, 1700000000002ull, 2, "{\"n\":2}", why, sizeof why), PSC_OK);
    service(&h);
    expect_response(s, 2, true, NULL);
    expect_event(s, 1, true);
    expect_event(s, 2, false);
    expect_nothing(s);
    psc_replay_info ri = {.struct_size = sizeof ri};
    assert_int_equal(psc_replay_info_get(h.r, &ri), PSC_OK);
    assert_int_equal(ri.events, 2);
    assert_int_equal(ri.event_types, 1);
    psc_endpoint_session_close(s);
    host_stop(&h);
}

/* ------------------------------------------------------------ a producer thread, two readers */

#define N_EVENTS 20000u
#define STATE_EVERY 100u
#define RESUME_AFTER 1000u

typedef struct producer {
    node n;
    psc_replay *r;
    uint64_t added;      /* atomic: events added */
    uint64_t last_state; /* atomic: seq of the newest state added */
    bool done;           /* atomic */
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    feed_runtime(&p->n, p->r);
    for (uint64_t i = 1; i <= N_EVENTS; i++) {
        feed_event(&p->n, p->r, i == 1);
        __atomic_store_n(&p->added, i, __ATOMIC_RELEASE);
        if (i % STATE_EVERY == 0) {
            feed_state(&p->n, p->r);
            __atomic_store_n(&p->last_state, p->n.last_state_seq, __ATOMIC_RELEASE);
        }
    }
    __atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* What one reader saw: events in seq order with every gap told by a notice, states newer each time. */
typedef struct reader {
    psc_endpoint_session *s;
    uint64_t next_seq;   /* 0: not known yet (a session from now on) */
    uint64_t gaps, told; /* events skipped, and reported by notices */
    uint64_t events, states, last_state, meta;
} reader;

static void read_some(reader *rd, size_t max)
{
    for (size_t k = 0; k < max; k++) {
        Peerscope__ServerMessage *sm = next_msg(rd->s);
        if (!sm)
            return;
        switch (sm->payload_case) {
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT: {
            uint64_t seq = sm->event->seq;
            if (!rd->next_seq)
                rd->next_seq = seq;
            if (seq < rd->next_seq)
                fail_msg("event %llu again or out of order (expected %llu)", (unsigned long long)seq,
                         (unsigned long long)rd->next_seq);
            rd->gaps += seq - rd->next_seq;
            rd->next_seq = seq + 1;
            char want[48];
            snprintf(want, sizeof want, "{\"n\":%llu}", (unsigned long long)seq);
            assert_string_equal(sm->event->content, want);
            rd->meta += sm->event->type->n_property_types > 0;
            rd->events++;
            break;
        }
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
            rd->told += sm->notice->dropped;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
            assert_null(sm->state->delta);
            assert_true(sm->state->seq > rd->last_state);
            rd->last_state = sm->state->seq;
            rd->states++;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
            assert_int_equal(sm->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
            break;
        default:
            fail_msg("unexpected payload %d", (int)sm->payload_case);
        }
        peerscope__server_message__free_unpacked(sm, NULL);
    }
}

static void test_producer_thread(void **state)
{
    (void)state;
    host h;
    host_start(&h);
    producer p = {.r = h.r};
    node_start(&p.n);
    reader a = {.s = viewer(&h), .next_seq = 1}, b = {0};
    CMD(a.s, PUSH_ENABLE, STATE, 2);
    CMD(a.s, PUSH_ENABLE, EVENTS, 3);
    service(&h);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);

    time_t end = time(NULL) + DEADLINE_S;
    for (;;) {
        assert_true(time(NULL) < end);
        if (!b.s && __atomic_load_n(&p.added, __ATOMIC_ACQUIRE) > RESUME_AFTER + 200) {
            b.s = viewer(&h);
            b.next_seq = RESUME_AFTER + 1;
            send_cmd(b.s, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2,
                     true, RESUME_AFTER, 0);
        }
        service(&h);
        read_some(&a, SIZE_MAX);
        if (b.s)
            read_some(&b, 3); /* the slow one */
        bool done = __atomic_load_n(&p.done, __ATOMIC_ACQUIRE);
        if (done && b.s && a.next_seq == N_EVENTS + 1 && b.next_seq == N_EVENTS + 1 &&
            a.last_state == __atomic_load_n(&p.last_state, __ATOMIC_ACQUIRE))
            break;
        if (!done)
            sched_yield();
    }
    pthread_join(t, NULL);
    /* every event skipped was reported, and nothing more */
    assert_int_equal(a.gaps, a.told);
    assert_int_equal(b.gaps, b.told);
    assert_int_equal(a.events + a.gaps, N_EVENTS);
    assert_int_equal(b.events + b.gaps, N_EVENTS - RESUME_AFTER);
    assert_true(a.meta >= 1 && b.meta >= 1);
    assert_true(a.states >= 1);
    psc_replay_live_info i = live_info(h.r);
    assert_int_equal(i.events_added, N_EVENTS);
    assert_int_equal(i.events_held, KEEP_EVENTS);
    assert_int_equal(i.states_held, KEEP_STATES);
    assert_int_equal(i.last_seq, N_EVENTS);
    assert_true(i.bytes_held <=
                KEEP_STATES * p.n.max_state + (KEEP_EVENTS + 1) * p.n.max_event + p.n.max_runtime + 64);
    psc_endpoint_session_close(a.s);
    psc_endpoint_session_close(b.s);
    node_stop(&p.n);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_before_any_state),
        cmocka_unit_test(test_slow_reader_bounded),
        cmocka_unit_test(test_resume_after_seq),
        cmocka_unit_test(test_pause_and_new_run),
        cmocka_unit_test(test_add_event_rows),
        cmocka_unit_test(test_producer_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

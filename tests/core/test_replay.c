/*
 * psc_replay (peerscope/replay.h) and the timeline under it: reading 2020
 * files (good, damaged, truncated, not one), messages added one by one
 * (deltas rebuilt, version 0 sent as 1), the Runtime a replaying endpoint
 * answers, attaching to an introspector, and every allocation failing in
 * turn while a real recording is loaded and served.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "session/session.h"
#include "wire/timeline.h"
#include "peerscope/peerscope.h"
#include "peerscope/peerscope.pb-c.h"
#include "../support/test_support.h"

#define T0 1600000000000ull

/* ------------------------------------------------------------ building recordings */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put32(buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static size_t pack(const Peerscope__ServerMessage *sm, uint8_t *out, size_t cap)
{
    size_t n = peerscope__server_message__get_packed_size(sm);
    assert_true(n <= cap);
    return peerscope__server_message__pack(sm, out);
}

/* A state (seq, ts), with version v (0: the field absent). */
static size_t state_msg(uint64_t seq, uint64_t ts, uint32_t v, uint8_t *out, size_t cap)
{
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    st.seq = seq;
    st.instant_ts = ts;
    Peerscope__Version ver = PEERSCOPE__VERSION__INIT;
    ver.version = v;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = v ? &ver : NULL;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &st;
    return pack(&sm, out, cap);
}

static size_t event_msg(const char *type, uint64_t ts, uint8_t *out, size_t cap)
{
    Peerscope__EventType t = PEERSCOPE__EVENT_TYPE__INIT;
    t.name = (char *)type;
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    ev.type = &t;
    ev.ts = ts;
    ev.content = "{}";
    Peerscope__Version ver = PEERSCOPE__VERSION__INIT;
    ver.version = 1;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = &ver;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    sm.event = &ev;
    return pack(&sm, out, cap);
}

static void record(buf *b, const uint8_t *p, size_t n)
{
    put32(b, psc_fnv1a32(p, n));
    put32(b, (uint32_t)n);
    put(b, p, n);
}

/* header, S1@T0, E@T0+10, S2@T0+20; *offs receives each record's offset */
static void small_file(buf *b, size_t offs[3])
{
    uint8_t m[256];
    memset(b, 0, sizeof *b);
    put32(b, 1);
    offs[0] = b->len;
    record(b, m, state_msg(1, T0, 1, m, sizeof m));
    offs[1] = b->len;
    record(b, m, event_msg("Ping", T0 + 10, m, sizeof m));
    offs[2] = b->len;
    record(b, m, state_msg(2, T0 + 20, 1, m, sizeof m));
}

typedef struct seen {
    size_t n;
    psc_replay_problem p[4];
    bool stop;
} seen;

static bool collect(void *user, const psc_replay_problem *p)
{
    seen *s = user;
    if (s->n < 4)
        s->p[s->n] = *p;
    s->n++;
    return !s->stop;
}

static psc_replay_info info_of(const psc_replay *r)
{
    psc_replay_info i = {.struct_size = sizeof i};
    assert_int_equal(psc_replay_info_get(r, &i), PSC_OK);
    return i;
}

/* ------------------------------------------------------------ tests */

static void test_options(void **state)
{
    (void)state;
    psc_replay *r = NULL;
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    assert_int_equal(psc_replay_new(&o, NULL), PSC_ERR_INVALID);
    o.speed = -1;
    assert_int_equal(psc_replay_new(&o, &r), PSC_ERR_INVALID);
    o.speed = NAN;
    assert_int_equal(psc_replay_new(&o, &r), PSC_ERR_INVALID);
    o.speed = 2e6;
    assert_int_equal(psc_replay_new(&o, &r), PSC_ERR_INVALID);
    o.speed = 1;
    o.struct_size = sizeof(size_t);
    assert_int_equal(psc_replay_new(&o, &r), PSC_ERR_INVALID);
    assert_null(r);
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    psc_replay_info i = {.struct_size = 8};
    assert_int_equal(psc_replay_info_get(r, &i), PSC_ERR_INVALID);
    psc_replay_free(r);
    psc_replay_free(NULL);
}

static void test_load_good(void **state)
{
    (void)state;
    buf b;
    size_t offs[3];
    small_file(&b, offs);
    psc_replay *r = NULL;
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    seen s = {0};
    assert_int_equal(psc_replay_load(r, b.p, b.len, collect, &s), PSC_OK);
    assert_int_equal(s.n, 0);
    psc_replay_info i = info_of(r);
    assert_int_equal(i.states, 2);
    assert_int_equal(i.events, 1);
    assert_int_equal(i.event_types, 1);
    assert_int_equal(i.start_ts, T0);
    assert_int_equal(i.end_ts, T0 + 20);
    psc_replay_free(r);
    free(b.p);
}

static void test_load_damaged(void **state)
{
    (void)state;
    buf b;
    size_t offs[3];
    small_file(&b, offs);
    b.p[offs[1] + 8 + 3] ^= 0x55; /* the event's payload */
    psc_replay *r = NULL;
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    seen s = {0};
    assert_int_equal(psc_replay_load(r, b.p, b.len - 3, collect, &s), PSC_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.p[0].err, PSC_ERR_CORRUPT);
    assert_int_equal(s.p[0].offset, offs[1]);
    assert_int_equal(s.p[0].index, 1);
    assert_false(s.p[0].fatal);
    assert_non_null(strstr(s.p[0].what, "checksum mismatch"));
    assert_int_equal(s.p[1].err, PSC_ERR_PROTOCOL);
    assert_int_equal(s.p[1].offset, offs[2]);
    assert_true(s.p[1].fatal);
    assert_non_null(strstr(s.p[1].what, "truncated record"));
    psc_replay_info i = info_of(r);
    assert_int_equal(i.states, 1); /* the good prefix stays */
    assert_int_equal(i.events, 0);
    assert_int_equal(i.problems, 2);
    psc_replay_free(r);

    /* a reporter that stops: nothing after the problem */
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    seen stop = {.stop = true};
    assert_int_equal(psc_replay_load(r, b.p, b.len, collect, &stop), PSC_ERR_CLOSED);
    assert_int_equal(stop.n, 1);
    assert_int_equal(info_of(r).states, 1);
    psc_replay_free(r);

    /* an impossible length, a header cut short, not a recording */
    buf c = {0};
    put32(&c, 1);
    put32(&c, 0);
    put32(&c, PSC_RECORDING_MAX_RECORD + 1);
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    seen big = {0};
    assert_int_equal(psc_replay_load(r, c.p, c.len, collect, &big), PSC_OK);
    assert_int_equal(big.n, 1);
    assert_true(big.p[0].fatal);
    assert_non_null(strstr(big.p[0].what, "over the"));
    seen cut = {0};
    assert_int_equal(psc_replay_load(r, c.p, 6, collect, &cut), PSC_OK);
    assert_non_null(strstr(cut.p[0].what, "truncated record header"));
    c.p[0] = 2;
    assert_int_equal(psc_replay_load(r, c.p, c.len, collect, NULL), PSC_ERR_PROTOCOL);
    assert_int_equal(psc_replay_load(r, c.p, 3, collect, NULL), PSC_ERR_PROTOCOL);
    psc_replay_free(r);
    free(c.p);
    free(b.p);
}

static void test_add_message(void **state)
{
    (void)state;
    psc_replay *r = NULL;
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    char why[160];
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(psc_replay_add_message(r, junk, sizeof junk, 0, why, sizeof why), PSC_ERR_PROTOCOL);
    assert_string_equal(why, "not a valid ServerMessage");

    /* a delta with no state before it */
    Peerscope__StateDelta d = PEERSCOPE__STATE_DELTA__INIT;
    d.base_seq = 1;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    st.seq = 2;
    st.delta = &d;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &st;
    uint8_t m[256];
    size_t n = pack(&sm, m, sizeof m);
    assert_int_equal(psc_replay_add_message(r, m, n, T0, why, sizeof why), PSC_ERR_STATE);
    assert_non_null(strstr(why, "no full state before it"));

    /* a full state without version (as the 2020 visualizer writes), then the delta on it */
    size_t n1 = state_msg(1, T0, 0, m + 128, 128);
    assert_int_equal(psc_replay_add_message(r, m + 128, n1, 0, why, sizeof why), PSC_OK);
    assert_int_equal(psc_replay_add_message(r, m, n, T0 + 5, why, sizeof why), PSC_OK);
    /* a response is not history */
    Peerscope__CommandResponse cr = PEERSCOPE__COMMAND_RESPONSE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE;
    sm.response = &cr;
    n = pack(&sm, m, sizeof m);
    assert_int_equal(psc_replay_add_message(r, m, n, 0, NULL, 0), PSC_OK);
    psc_replay_info i = info_of(r);
    assert_int_equal(i.states, 2);
    assert_int_equal(i.deltas, 1);
    assert_int_equal(i.skipped, 1);

    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    assert_false(psc_introspector_replaying(intro));
    assert_int_equal(psc_replay_serve(r, intro), PSC_OK);
    assert_true(psc_introspector_replaying(intro));
    assert_int_equal(psc_replay_add_message(r, m, n, 0, NULL, 0), PSC_ERR_CLOSED);

    /* both states are sent whole and say version 1 */
    const psc__replay_source *src = psc__intro_replay(intro);
    assert_non_null(src);
    assert_int_equal(psc__timeline_count(src->tl), 2);
    for (size_t k = 0; k < 2; k++) {
        size_t len;
        const uint8_t *p = psc_msg_payload(psc__timeline_item(src->tl, k)->msg, &len);
        Peerscope__ServerMessage *got = peerscope__server_message__unpack(NULL, len, p);
        assert_non_null(got);
        assert_non_null(got->version);
        assert_int_equal(got->version->version, 1);
        assert_null(got->state->delta);
        assert_int_equal(got->state->seq, k + 1);
        peerscope__server_message__free_unpacked(got, NULL);
    }
    /* the served runtime: no recorded one, so an empty one with the recording and at_ts */
    size_t len;
    const uint8_t *p = psc_msg_payload(src->runtime, &len);
    Peerscope__ServerMessage *rt = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(rt);
    assert_non_null(rt->runtime->recording);
    assert_int_equal(rt->runtime->recording->start_ts, T0);
    assert_int_equal(rt->runtime->recording->end_ts, T0 + 5);
    assert_int_equal(rt->runtime->recording->state_count, 2);
    assert_true(rt->runtime->recording->speed == 1.0);
    assert_int_equal(rt->runtime->n_capabilities, 1);
    assert_string_equal(rt->runtime->capabilities[0], "at_ts");
    peerscope__server_message__free_unpacked(rt, NULL);
    psc_introspector_free(intro); /* frees the replay */
}

static void test_serve_rules(void **state)
{
    (void)state;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_replay *empty = NULL, *a = NULL, *b = NULL;
    assert_int_equal(psc_replay_new(NULL, &empty), PSC_OK);
    assert_int_equal(psc_replay_serve(empty, intro), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_replay_serve(NULL, intro), PSC_ERR_INVALID);
    psc_replay_free(empty);

    buf f;
    size_t offs[3];
    small_file(&f, offs);
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.source = "small.rec";
    o.node = "node-a";
    o.max_speed = true;
    o.loop = true;
    assert_int_equal(psc_replay_new(&o, &a), PSC_OK);
    assert_int_equal(psc_replay_new(&o, &b), PSC_OK);
    assert_int_equal(psc_replay_load(a, f.p, f.len, NULL, NULL), PSC_OK);
    assert_int_equal(psc_replay_load(b, f.p, f.len, NULL, NULL), PSC_OK);

    /* an endpoint first: too late to replay */
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, NULL, &ep), PSC_OK);
    assert_int_equal(psc_replay_serve(a, intro), PSC_ERR_STATE);
    psc_endpoint_free(ep);

    assert_int_equal(psc_replay_serve(a, intro), PSC_OK);
    assert_int_equal(psc_replay_serve(a, intro), PSC_ERR_STATE);
    assert_int_equal(psc_replay_serve(b, intro), PSC_ERR_STATE); /* one replay per introspector */
    psc_replay_info i = info_of(a);
    assert_int_equal(i.states, 2);

    const psc__replay_source *src = psc__intro_replay(intro);
    size_t len;
    const uint8_t *p = psc_msg_payload(src->runtime, &len);
    Peerscope__ServerMessage *rt = peerscope__server_message__unpack(NULL, len, p);
    assert_string_equal(rt->runtime->recording->source, "small.rec");
    assert_string_equal(rt->runtime->recording->node, "node-a");
    assert_true(rt->runtime->recording->loop);
    assert_true(rt->runtime->recording->speed == 0.0); /* as fast as possible */
    assert_int_equal(rt->runtime->recording->event_count, 1);
    peerscope__server_message__free_unpacked(rt, NULL);

    /* lookups */
    assert_int_equal(psc__timeline_find(src->tl, T0 + 10), 1);
    assert_int_equal(psc__timeline_find(src->tl, T0 + 21), 3);
    assert_ptr_equal(psc__timeline_state_at(src->tl, T0 + 19), psc__timeline_item(src->tl, 0)->msg);
    assert_ptr_equal(psc__timeline_state_at(src->tl, T0 + 20), psc__timeline_item(src->tl, 2)->msg);
    psc_introspector_free(intro);
    psc_replay_free(b);
    free(f.p);
}

static bool carries_meta(const psc_msg *m)
{
    size_t len;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(sm);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
    bool meta = sm->event->type->n_property_types > 0;
    if (meta) {
        assert_string_equal(sm->event->type->property_types[0]->name, "peer");
        assert_int_equal(sm->event->type->property_types[0]->type,
                         PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID);
        assert_true(sm->event->type->property_types[1]->has_multiple);
    }
    peerscope__server_message__free_unpacked(sm, NULL);
    return meta;
}

static void test_add_event(void **state)
{
    (void)state;
    static const psc_prop_def props[] = {{"peer", PSC_PROP_PEERID, false}, {"addrs", PSC_PROP_MULTIADDR, true}};
    const psc_event_def def = {"PeerConnected", props, 2};
    const psc_event_def nameless = {"", props, 2};
    const psc_prop_def bad_props[] = {{NULL, PSC_PROP_STRING, false}};
    const psc_event_def bad = {"Bad", bad_props, 1};
    psc_replay *r = NULL;
    assert_int_equal(psc_replay_new(NULL, &r), PSC_OK);
    char why[160];
    assert_int_equal(psc_replay_add_event(r, &def, T0, 1, "{\"peer\":", why, sizeof why), PSC_ERR_INVALID);
    assert_non_null(strstr(why, "not valid JSON"));
    assert_int_equal(psc_replay_add_event(r, &nameless, T0, 1, NULL, why, sizeof why), PSC_ERR_INVALID);
    assert_int_equal(psc_replay_add_event(r, &bad, T0, 1, NULL, why, sizeof why), PSC_ERR_INVALID);
    assert_non_null(strstr(why, "without a name"));
    assert_int_equal(psc_replay_add_event(r, NULL, T0, 1, NULL, why, sizeof why), PSC_ERR_INVALID);
    assert_int_equal(psc_replay_add_event(r, &def, T0, 7, "{\"peer\":\"a\",\"addrs\":[]}", why, sizeof why), PSC_OK);
    assert_int_equal(psc_replay_add_event(r, &def, T0 + 1, 8, "{\"peer\":\"b\",\"addrs\":[]}", why, sizeof why), PSC_OK);
    psc_replay_info i = info_of(r);
    assert_int_equal(i.events, 2);
    assert_int_equal(i.event_types, 1);
    assert_int_equal(i.problems, 0);

    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    assert_int_equal(psc_replay_serve(r, intro), PSC_OK);
    assert_int_equal(psc_replay_add_event(r, &def, T0 + 2, 9, NULL, why, sizeof why), PSC_ERR_CLOSED);
    const psc__replay_source *src = psc__intro_replay(intro);
    /* the first carries the properties, the second only its name; a session starting there gets them */
    assert_true(carries_meta(psc__timeline_item(src->tl, 0)->msg));
    assert_false(carries_meta(psc__timeline_item(src->tl, 1)->msg));
    psc_msg *m = NULL;
    assert_int_equal(psc__timeline_event_with_meta(src->tl, 1, &m), PSC_OK);
    assert_true(carries_meta(m));
    psc_msg_unref(m);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ allocation failures */

typedef struct fault_arg {
    const uint8_t *data;
    size_t len;
} fault_arg;

static psc_err load_and_serve(void *arg, psc_test_alloc *t)
{
    const fault_arg *fa = arg;
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.allocator = &t->iface;
    psc_replay *r = NULL;
    psc_err e = psc_replay_new(&o, &r);
    if (e != PSC_OK)
        return e;
    e = psc_replay_load(r, fa->data, fa->len, NULL, NULL);
    if (e == PSC_OK) {
        psc_config cfg = PSC_CONFIG_INIT;
        cfg.allocator = &t->iface;
        psc_introspector *intro = NULL;
        e = psc_introspector_new(&cfg, &intro);
        if (e == PSC_OK && (e = psc_replay_serve(r, intro)) == PSC_OK)
            r = NULL; /* the introspector's now */
        psc_introspector_free(intro);
    }
    psc_replay_free(r);
    return e;
}

static void test_each_allocation_fails(void **state)
{
    (void)state;
    /* the first 60 records of a real recording: states, events of several types, a runtime */
    size_t len = 0;
    uint8_t *data = psc_test_read_file(psc_test_vector_path("sample-1min.mock"), &len);
    assert_non_null(data);
    size_t off = 4;
    for (int k = 0; k < 60 && off + 8 <= len; k++)
        off += 8 + ((size_t)data[off + 4] | (size_t)data[off + 5] << 8 | (size_t)data[off + 6] << 16 |
                    (size_t)data[off + 7] << 24);
    assert_true(off <= len);
    fault_arg fa = {data, off};
    uint64_t runs = psc_test_each_alloc_fails(load_and_serve, &fa, 100000);
    assert_true(runs > 60);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_load_damaged),
        cmocka_unit_test(test_add_message),
        cmocka_unit_test(test_serve_rules),
        cmocka_unit_test(test_add_event),
        cmocka_unit_test(test_each_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

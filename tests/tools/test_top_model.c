/* peerscope-top's model, fed the 2020 vector recordings, a made-up state,
 * and every allocation failing in turn; the views on top of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "peerscope/wire.h"
#include "support/test_support.h"
#include "top.h"
#include "top_test_util.h"
#include "top_views.h"

/* ---------------------------------------------------------------- model */

static void test_model_from_the_1min_recording(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-1min.mock", &v);
    top_model m;
    top_model_init(&m, NULL, 0);
    apply_vector(&m, &v, 1000, 1);
    assert_int_equal(m.messages_total, 969);
    assert_int_equal(m.states_total, 30);
    assert_int_equal(m.events_total, 937);
    assert_int_equal(m.ev_count, 937);
    assert_int_equal(m.hist_len, 30);
    const Peerscope__Runtime *rt = top_model_runtime(&m);
    assert_non_null(rt);
    assert_string_equal(rt->peer_id, "8de3166db28fddb199f05be0acea65772e7a1b289086902160d1060e83dac2fd");
    assert_int_equal(m.n_types, 4);
    size_t in = top_model_find_type(&m, "InboundDHTQuery"), out = top_model_find_type(&m, "OutboundDHTQuery");
    assert_int_not_equal(in, (size_t)-1);
    assert_int_equal(m.types[in].count, 465);
    assert_int_equal(m.types[out].count, 462);
    assert_int_equal(m.types[top_model_find_type(&m, "PeerDisconnecting")].count, 6);
    assert_true(m.types[out].props_known);
    assert_int_equal(m.types[out].n_props, 4);
    assert_true(m.types[out].props[3].multiple);
    /* the derived values agree with the last state */
    const Peerscope__State *st = top_model_state(&m);
    assert_non_null(st);
    assert_int_equal(m.n_conns, st->subsystems->n_connections);
    assert_int_equal(m.conns_open + m.conns_closed, m.n_conns);
    assert_true(m.peers <= m.conns_open);
    assert_int_equal(top_model_apply(&m, (const uint8_t *)"\xff\xff\xff", 3, 0), PSC_ERR_PROTOCOL);
    assert_int_equal(m.rejected, 1);
    top_model_free(&m);
    free_vector(&v);
}

static void test_model_event_ring_keeps_the_newest(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-dht-2min.mock", &v);
    top_model m;
    top_model_init(&m, NULL, 100);
    apply_vector(&m, &v, 0, 0);
    assert_int_equal(m.events_total, 535);
    assert_int_equal(m.ev_count, 100);
    assert_int_equal(m.states_total, 60);
    const Peerscope__State *st = top_model_state(&m);
    assert_non_null(st->subsystems->dht);
    /* the last event kept is the last in the file */
    const top_event *last = top_model_event(&m, 99);
    Peerscope__ServerMessage *lm = NULL;
    for (size_t i = v.n; i-- > 0 && !lm;) {
        Peerscope__ServerMessage *x = peerscope__server_message__unpack(NULL, v.lens[i], v.msgs[i]);
        if (x->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT)
            lm = x;
        else
            peerscope__server_message__free_unpacked(x, NULL);
    }
    assert_string_equal(last->content, lm->event->content);
    peerscope__server_message__free_unpacked(lm, NULL);
    assert_null(top_model_event(&m, 100));
    top_model_free(&m);
    free_vector(&v);
}

typedef struct fault_arg {
    vec *v;
    size_t n; /* messages applied */
} fault_arg;

/* Apply messages with allocations failing; each failure must leave the
 * model as it was, so applying the same message again must work. */
static psc_err model_body(void *arg, psc_test_alloc *a)
{
    fault_arg *fa = arg;
    top_model m;
    top_model_init(&m, &a->iface, 8);
    psc_err first = PSC_OK;
    uint64_t ok = 0;
    for (size_t i = 0; i < fa->n; i++) {
        psc_err e = top_model_apply(&m, fa->v->msgs[i], fa->v->lens[i], 0);
        if (e == PSC_ERR_NOMEM) {
            if (!first)
                first = e;
            uint64_t before = m.messages_total;
            a->fail_at = 0; /* memory is back: the same message goes in */
            assert_int_equal(top_model_apply(&m, fa->v->msgs[i], fa->v->lens[i], 0), PSC_OK);
            assert_int_equal(m.messages_total, before + 1);
        } else {
            assert_int_equal(e, PSC_OK);
        }
        ok++;
    }
    assert_int_equal(ok, fa->n);
    assert_int_equal(m.messages_total, fa->n);
    top_model_free(&m);
    return first;
}

static void test_model_survives_every_allocation_failure(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-dht-2min.mock", &v);
    fault_arg fa = {&v, 40}; /* runtime, states with DHT buckets, events */
    assert_true(psc_test_each_alloc_fails(model_body, &fa, 100000) > 10);
    free_vector(&v);
}


/* A state made here: one closed connection without details, and one with
 * 200 streams of distinct protocols and byte counters but no inst_bw. */
static size_t pack_state(uint8_t **out, uint64_t ts, uint64_t in_bytes)
{
    static char protos[200][16];
    static char sids[200][8];
    Peerscope__Stream st[200], *stp[200];
    for (int i = 0; i < 200; i++) {
        peerscope__stream__init(&st[i]);
        snprintf(protos[i], sizeof protos[i], "/p/%d", i);
        snprintf(sids[i], sizeof sids[i], "s%d", i);
        st[i].protocol = protos[i];
        st[i].id.data = (uint8_t *)sids[i];
        st[i].id.len = strlen(sids[i]);
        stp[i] = &st[i];
    }
    Peerscope__StreamList sl = PEERSCOPE__STREAM_LIST__INIT;
    sl.n_streams = 200;
    sl.streams = stp;
    Peerscope__DataGauge gin = PEERSCOPE__DATA_GAUGE__INIT;
    gin.cum_bytes = in_bytes;
    Peerscope__Traffic tr = PEERSCOPE__TRAFFIC__INIT;
    tr.traffic_in = &gin;
    Peerscope__Connection a, b;
    peerscope__connection__init(&a);
    peerscope__connection__init(&b);
    a.id.data = (uint8_t *)"a";
    a.id.len = 1;
    a.status = PEERSCOPE__STATUS__CLOSED;
    b.id.data = (uint8_t *)"b";
    b.id.len = 1;
    b.peer_id = "QmPeerB";
    b.streams = &sl;
    b.traffic = &tr;
    Peerscope__Connection *cs[] = {&a, &b};
    Peerscope__Subsystems ss = PEERSCOPE__SUBSYSTEMS__INIT;
    ss.n_connections = 2;
    ss.connections = cs;
    Peerscope__State state = PEERSCOPE__STATE__INIT;
    state.subsystems = &ss;
    state.instant_ts = ts;
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    m.state = &state;
    size_t n = peerscope__server_message__get_packed_size(&m);
    *out = malloc(n);
    peerscope__server_message__pack(&m, *out);
    return n;
}

static void test_views_of_a_made_up_state(void **state)
{
    (void)state;
    top_model m;
    top_model_init(&m, NULL, 0);
    uint8_t *p;
    size_t n = pack_state(&p, 1000, 1000);
    assert_int_equal(top_model_apply(&m, p, n, 0), PSC_OK);
    free(p);
    n = pack_state(&p, 3000, 5000);
    assert_int_equal(top_model_apply(&m, p, n, 0), PSC_OK);
    free(p);
    /* no inst_bw: 4000 bytes over 2 s */
    assert_true(m.conns[1].rate_in > 1999.0 && m.conns[1].rate_in < 2001.0);
    assert_int_equal(m.conns_open, 1);
    assert_int_equal(m.conns_closed, 1);
    assert_int_equal(m.streams, 200);
    assert_int_equal(m.peers, 1);

    top_table t;
    table_init(&t, NULL);
    char summary[256];
    top_view_ctx ctx = {5000, true, (size_t)-1};
    top_view_streams(&m, &ctx, &t, summary, sizeof summary);
    /* 128 protocols, then the rest summed in one row */
    assert_int_equal(t.nrows, 129);
    assert_string_equal(table_cell(&t, 128, 0), "(other)");
    assert_string_equal(table_cell(&t, 128, 1), "72");
    top_view_conns(&m, &ctx, &t, summary, sizeof summary);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(table_cell(&t, 0, 11), "closed");
    assert_string_equal(table_cell(&t, 0, 1), "-");
    assert_string_equal(table_cell(&t, 1, 7), "2.00 KB/s");
    assert_non_null(strstr(summary, "1 open, 1 closed"));
    /* views of subsystems this state lacks say so */
    top_view_dht(&m, &ctx, &t, summary, sizeof summary);
    assert_string_equal(summary, "this node reports no DHT");
    top_view_pubsub(&m, &ctx, &t, summary, sizeof summary);
    assert_string_equal(summary, "this node reports no pubsub");
    top_view_limits(&m, &ctx, &t, summary, sizeof summary);
    assert_int_equal(t.nrows, 0);
    table_free(&t);
    top_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_from_the_1min_recording),
        cmocka_unit_test(test_model_event_ring_keeps_the_newest),
        cmocka_unit_test(test_model_survives_every_allocation_failure),
        cmocka_unit_test(test_views_of_a_made_up_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

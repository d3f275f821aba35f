/* The state view (message.h) agrees with the decoded message and outlives the introspector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core_fixture.h"
#include "../support/test_support.h"

static const char *const TAGS[] = {"alpha", "beta"};
static fake_clock *g_clock;
static uint64_t seen_now;

static psc_err rich_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    seen_now = psc_collect_now_ms(ctx);
    g_clock->mono_ns += 1234; /* collecting "takes" 1234 ns */
    psc_connection c = {.struct_size = sizeof c};
    c.id = (const uint8_t *)"conn-1";
    c.id_len = 6;
    c.peer_id = "peer-1";
    c.status = PSC_STATUS_OPENING;
    c.role = PSC_ROLE_RESPONDER;
    c.transport_id = (const uint8_t *)"\x01";
    c.transport_id_len = 1;
    c.transport_name = "quic-v1";
    c.local_addr = "/ip4/1.2.3.4/udp/1/quic-v1";
    c.remote_addr = "/ip4/5.6.7.8/udp/2/quic-v1";
    c.open_ts = 11;
    c.upgraded_ts = 12;
    c.close_ts = 13;
    c.traffic = (psc_traffic){{1, 2, 3}, {4, 5, 6}};
    c.multiplexer = "/yamux/1.0.0";
    c.encryption = "/tls/1.0.0";
    c.latency_ns = 99;
    c.relay_conn_id = (const uint8_t *)"relay";
    c.relay_conn_id_len = 5;
    c.close_reason = "why";
    c.tags = TAGS;
    c.n_tags = 2;
    psc_conn_builder *cb;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    for (int i = 0; e == PSC_OK && i < 3; i++) {
        char id[4] = {'s', (char)('0' + i), 0, 0};
        psc_stream s = {.struct_size = sizeof s};
        s.id = (const uint8_t *)id;
        s.id_len = 2;
        s.protocol = i == 1 ? NULL : "/proto";
        s.role = i % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        s.status = i == 2 ? PSC_STATUS_CLOSED : PSC_STATUS_ACTIVE;
        s.open_ts = 20 + (uint64_t)i;
        s.close_ts = i == 2 ? 30 : 0;
        s.traffic = (psc_traffic){{(uint64_t)i, 0, 0}, {0, (uint64_t)i, 0}};
        s.latency_ns = 5;
        s.close_reason = i == 2 ? "done" : NULL;
        s.tags = i == 0 ? TAGS : NULL;
        s.n_tags = i == 0 ? 1 : 0;
        e = psc_conn_add_stream(cb, &s);
    }
    psc_connection c2 = {.struct_size = sizeof c2, .id = (const uint8_t *)"conn-2", .id_len = 6,
                         .status = PSC_STATUS_CLOSED};
    c2.traffic = (psc_traffic){{10, 0, 0}, {0, 0, 0}};
    if (e == PSC_OK)
        e = psc_swarm_add_connection(b, &c2, NULL);
    return e;
}

static psc_err two_dht_peers(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht_peer p = {.struct_size = sizeof p, .peer_id = "a"};
    psc_err e = psc_dht_add_peer(b, 1, &p);
    if (e == PSC_OK)
        e = psc_dht_add_peer(b, 2, &p);
    return e;
}

static psc_err topics(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    (void)ctx;
    psc_topic t = {.struct_size = sizeof t, .name = "x"};
    psc_err e = psc_pubsub_add_topic(b, &t, NULL);
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, NULL);
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, NULL);
    return e;
}

static psc_err peers(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)user;
    (void)ctx;
    psc_peer_info p = {.struct_size = sizeof p, .peer_id = "p"};
    return psc_peerstore_add_peer(b, &p);
}

static psc_err failing(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)b;
    return psc_collect_fail(ctx, "nope");
}

static void register_view_providers(psc_introspector *intro)
{
    static const psc_swarm_provider v1 = {sizeof v1, "s", rich_swarm, NULL};
    static const psc_dht_provider v2 = {sizeof v2, "d1", two_dht_peers, NULL};
    static const psc_dht_provider v3 = {sizeof v3, "d2", two_dht_peers, NULL};
    static const psc_pubsub_provider v4 = {sizeof v4, "p", topics, NULL};
    static const psc_peerstore_provider v5 = {sizeof v5, "ps", peers, NULL};
    static const psc_custom_provider v6 = {sizeof v6, "bad", failing, NULL};
    assert_int_equal(psc_register_swarm(intro, &v1, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &v2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &v3, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_pubsub(intro, &v4, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_peerstore(intro, &v5, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &v6, NULL, NULL), PSC_OK);
}

/* NULL (absent) and "" both decode as "" */
static void str_agrees(const char *view, const char *decoded)
{
    assert_string_equal(view ? view : "", decoded);
}

static void traffic_agrees(const psc_traffic *v, const Peerscope__Traffic *d)
{
    fixture_check_traffic(d, v);
}

static void check_view_against(const psc_msg *msg, const Peerscope__State *st)
{
    const Peerscope__Subsystems *ss = st->subsystems;
    assert_int_equal(psc_state_connection_count(msg), ss->n_connections);
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *d = ss->connections[i];
        psc_connection c = {.struct_size = sizeof c};
        assert_int_equal(psc_state_connection(msg, i, &c), PSC_OK);
        assert_int_equal(c.struct_size, sizeof c);
        assert_true(fixture_bytes_eq(d->id, c.id, c.id_len));
        str_agrees(c.peer_id, d->peer_id);
        assert_int_equal(c.status, (int)d->status);
        assert_int_equal(c.role, (int)d->role);
        assert_true(fixture_bytes_eq(d->transport_id, c.transport_id, c.transport_id_len));
        str_agrees(c.transport_name, d->transport_name);
        str_agrees(c.local_addr, d->endpoints->src_multiaddr);
        str_agrees(c.remote_addr, d->endpoints->dst_multiaddr);
        assert_int_equal(c.open_ts, d->timeline->open_ts);
        assert_int_equal(c.upgraded_ts, d->timeline->upgraded_ts);
        assert_int_equal(c.close_ts, d->timeline->close_ts);
        traffic_agrees(&c.traffic, d->traffic);
        str_agrees(c.multiplexer, d->attribs->multiplexer);
        str_agrees(c.encryption, d->attribs->encryption);
        assert_int_equal(c.latency_ns, d->latency_ns);
        if (c.relay_conn_id_len) {
            assert_int_equal(d->relayed_over_case, PEERSCOPE__CONNECTION__RELAYED_OVER_CONN_ID);
            assert_true(fixture_bytes_eq(d->conn_id, c.relay_conn_id, c.relay_conn_id_len));
        } else {
            assert_int_equal(d->relayed_over_case, PEERSCOPE__CONNECTION__RELAYED_OVER__NOT_SET);
        }
        str_agrees(c.close_reason, d->close_reason);
        assert_int_equal(c.n_tags, d->n_user_provided_tags);
        for (size_t t = 0; t < c.n_tags; t++)
            assert_string_equal(c.tags[t], d->user_provided_tags[t]);
        assert_int_equal(c.stream_count, d->stream_count);

        assert_int_equal(psc_state_stream_count(msg, i), d->streams->n_streams);
        for (size_t j = 0; j < d->streams->n_streams; j++) {
            const Peerscope__Stream *ds = d->streams->streams[j];
            psc_stream s = {.struct_size = sizeof s};
            assert_int_equal(psc_state_stream(msg, i, j, &s), PSC_OK);
            assert_true(fixture_bytes_eq(ds->id, s.id, s.id_len));
            str_agrees(s.protocol, ds->protocol);
            assert_int_equal(s.role, (int)ds->role);
            assert_int_equal(s.status, (int)ds->status);
            assert_int_equal(s.open_ts, ds->timeline->open_ts);
            assert_int_equal(s.close_ts, ds->timeline->close_ts);
            traffic_agrees(&s.traffic, ds->traffic);
            assert_int_equal(s.latency_ns, ds->latency_ns);
            str_agrees(s.close_reason, ds->close_reason);
            assert_int_equal(s.n_tags, ds->n_user_provided_tags);
            for (size_t t = 0; t < s.n_tags; t++)
                assert_string_equal(s.tags[t], ds->user_provided_tags[t]);
        }
        psc_stream none = {.struct_size = sizeof none};
        assert_int_equal(psc_state_stream(msg, i, d->streams->n_streams, &none), PSC_ERR_NOT_FOUND);
    }

    psc_state_summary sum = {.struct_size = sizeof sum};
    assert_int_equal(psc_state_summary_get(msg, &sum), PSC_OK);
    assert_int_equal(sum.seq, st->seq);
    assert_int_equal(sum.instant_ts, st->instant_ts);
    assert_int_equal(sum.start_ts, st->start_ts);
    assert_int_equal(sum.duration_ms, st->snapshot_duration_ms);
    assert_int_equal(sum.connections, ss->n_connections);
    size_t closed = 0, streams = 0;
    for (size_t i = 0; i < ss->n_connections; i++) {
        closed += ss->connections[i]->status == PEERSCOPE__STATUS__CLOSED;
        streams += ss->connections[i]->streams->n_streams;
    }
    assert_int_equal(sum.connections_closed, closed);
    assert_int_equal(sum.streams, streams);
    size_t dht_peers = 0;
    for (size_t k = 0; ss->dht && k < ss->dht->n_buckets; k++)
        dht_peers += ss->dht->buckets[k]->n_peers;
    for (size_t a = 0; a < ss->n_additional_dhts; a++)
        for (size_t k = 0; k < ss->additional_dhts[a]->n_buckets; k++)
            dht_peers += ss->additional_dhts[a]->buckets[k]->n_peers;
    assert_int_equal(sum.dht_peers, dht_peers);
    assert_int_equal(sum.topics, ss->pubsub ? ss->pubsub->n_topics : 0);
    assert_int_equal(sum.peerstore_peers, ss->peerstore ? ss->peerstore->n_peers : 0);
    assert_int_equal(sum.provider_errors, st->n_provider_errors);
    traffic_agrees(&sum.traffic, st->traffic);

    assert_int_equal(psc_state_provider_error_count(msg), st->n_provider_errors);
    for (size_t i = 0; i < st->n_provider_errors; i++) {
        const char *prov, *reason;
        psc_err code;
        assert_int_equal(psc_state_provider_error(msg, i, &prov, &reason, &code), PSC_OK);
        assert_string_equal(prov, st->provider_errors[i]->provider);
        assert_string_equal(reason, st->provider_errors[i]->error);
        assert_int_equal(code, st->provider_errors[i]->code);
    }
}

static void test_view_agrees(void **state)
{
    (void)state;
    fake_clock fc = {500, 1000};
    g_clock = &fc;
    psc_test_alloc ta;
    psc_test_alloc_init(&ta);
    psc_introspector *intro = fixture_intro(&fc, &ta.iface);
    register_view_providers(intro);
    fc.wall_ms = 800;
    assert_int_equal(psc_introspector_now_ms(intro), 800);
    psc_msg *msg = NULL;
    Peerscope__ServerMessage *m = fixture_snapshot(intro, &msg);
    Peerscope__State *st = fixture_state(m);
    assert_int_equal(seen_now, 800);
    check_view_against(msg, st);

    psc_state_summary sum = {.struct_size = sizeof sum};
    assert_int_equal(psc_state_summary_get(msg, &sum), PSC_OK);
    assert_int_equal(sum.collect_ns, 1234);
    assert_int_equal(sum.connections, 2);
    assert_int_equal(sum.connections_closed, 1);
    assert_int_equal(sum.streams, 3);
    assert_int_equal(sum.dht_peers, 4);
    assert_int_equal(sum.topics, 3);
    assert_int_equal(sum.peerstore_peers, 1);
    assert_int_equal(sum.provider_errors, 1);
    assert_int_equal(sum.traffic.in.bytes, 11);

    psc_connection c = {.struct_size = sizeof c};
    assert_int_equal(psc_state_connection(msg, 0, &c), PSC_OK);
    assert_string_equal(c.peer_id, "peer-1");
    assert_int_equal(c.stream_count, 2);
    psc_stream s = {.struct_size = sizeof s};
    assert_int_equal(psc_state_stream(msg, 0, 1, &s), PSC_OK);
    assert_null(s.protocol); /* absent stays absent in the view */

    /* the message outlives the introspector, view and bytes alike */
    peerscope__server_message__free_unpacked(m, NULL);
    psc_introspector_free(intro);
    assert_int_equal(psc_state_connection(msg, 0, &c), PSC_OK);
    assert_string_equal(c.peer_id, "peer-1");
    assert_int_equal(psc_msg_decode(msg, &m), PSC_OK);
    check_view_against(msg, fixture_state(m));
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);
    assert_int_equal(ta.live, 0);
}

static void test_view_misuse(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    g_clock = &fc;
    psc_introspector *intro = fixture_intro(&fc, NULL);
    register_view_providers(intro);
    psc_msg *msg = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &msg), PSC_OK);
    psc_msg *rt = NULL;
    assert_int_equal(psc_introspector_runtime(intro, &rt), PSC_OK);

    psc_state_summary sum = {.struct_size = sizeof sum};
    assert_int_equal(psc_state_summary_get(NULL, &sum), PSC_ERR_INVALID);
    assert_int_equal(psc_state_summary_get(msg, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_state_summary_get(rt, &sum), PSC_ERR_INVALID);
    psc_state_summary zero = {.struct_size = 0};
    assert_int_equal(psc_state_summary_get(msg, &zero), PSC_ERR_INVALID);
    assert_int_equal(psc_state_connection_count(rt), 0);
    assert_int_equal(psc_state_connection_count(NULL), 0);
    assert_int_equal(psc_state_stream_count(msg, 99), 0);
    assert_int_equal(psc_state_provider_error_count(rt), 0);
    psc_connection c = {.struct_size = sizeof c};
    assert_int_equal(psc_state_connection(rt, 0, &c), PSC_ERR_INVALID);
    assert_int_equal(psc_state_connection(msg, 2, &c), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_state_connection(msg, 0, NULL), PSC_ERR_INVALID);
    psc_stream s = {.struct_size = sizeof s};
    assert_int_equal(psc_state_stream(msg, 5, 0, &s), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_state_stream(rt, 0, 0, &s), PSC_ERR_INVALID);
    assert_int_equal(psc_state_provider_error(rt, 0, NULL, NULL, NULL), PSC_ERR_INVALID);

    /* a caller built against an older, smaller struct gets only its fields */
    psc_connection old;
    memset(&old, 0xAB, sizeof old);
    old.struct_size = offsetof(psc_connection, status);
    assert_int_equal(psc_state_connection(msg, 0, &old), PSC_OK);
    assert_int_equal(old.struct_size, offsetof(psc_connection, status));
    assert_int_equal(old.id_len, 6);
    assert_string_equal(old.peer_id, "peer-1");
    unsigned char sentinel[sizeof old.status];
    memset(sentinel, 0xAB, sizeof sentinel);
    assert_memory_equal(&old.status, sentinel, sizeof sentinel);

    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_msg_decode(NULL, &m), PSC_ERR_INVALID);
    assert_int_equal(psc_msg_decode(msg, NULL), PSC_ERR_INVALID);

    psc_msg_unref(rt);
    psc_msg_unref(msg);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_agrees),
        cmocka_unit_test(test_view_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Every section of a State, as reported by providers, decoded back with
 * protobuf-c and checked field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core_fixture.h"

/* ------------------------------------------------------------ the swarm */

static const uint8_t C1_ID[] = {'c', 0, '1'}; /* an embedded NUL: ids are bytes */
static const uint8_t C2_ID[] = {'c', '2'};
static const uint8_t T_ID[] = {1, 2};
static const char *const C1_TAGS[] = {"t1", ""};
static const char *const S3_TAGS[] = {"hot"};
static const char *const TCP_ADDRS[] = {"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"};

static const psc_traffic C1_TRAFFIC = {{100, 10, 5}, {200, 20, 7}};
static const psc_traffic C2_TRAFFIC = {{1, 2, 3}, {4, 5, 6}};
static const psc_traffic S1_TRAFFIC = {{11, 1, 0}, {22, 2, 0}};

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c};
    c.id = C1_ID;
    c.id_len = sizeof C1_ID;
    c.peer_id = "peerA";
    c.status = PSC_STATUS_ACTIVE;
    c.role = PSC_ROLE_INITIATOR;
    c.transport_id = T_ID;
    c.transport_id_len = sizeof T_ID;
    c.transport_name = "tcp";
    c.local_addr = "/ip4/1.1.1.1/tcp/1";
    c.remote_addr = "/ip4/2.2.2.2/tcp/2";
    c.open_ts = 1000;
    c.upgraded_ts = 1005;
    c.traffic = C1_TRAFFIC;
    c.multiplexer = "/yamux/1.0.0";
    c.encryption = "/noise";
    c.latency_ns = 12345;
    c.tags = C1_TAGS;
    c.n_tags = 2;
    psc_conn_builder *cb = NULL;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    if (e != PSC_OK)
        return e;

    psc_stream s = {.struct_size = sizeof s};
    s.id = (const uint8_t *)"s1";
    s.id_len = 2;
    s.protocol = "/ipfs/id/1.0.0";
    s.role = PSC_ROLE_RESPONDER;
    s.status = PSC_STATUS_ACTIVE;
    s.open_ts = 1010;
    s.traffic = S1_TRAFFIC;
    if ((e = psc_conn_add_stream(cb, &s)) != PSC_OK)
        return e;
    psc_stream s2 = {.struct_size = sizeof s2};
    s2.id = (const uint8_t *)"s2";
    s2.id_len = 2;
    s2.status = PSC_STATUS_CLOSED;
    s2.open_ts = 1011;
    s2.close_ts = 1020;
    if ((e = psc_conn_add_stream(cb, &s2)) != PSC_OK)
        return e;
    psc_stream s3 = {.struct_size = sizeof s3};
    s3.id = (const uint8_t *)"s3";
    s3.id_len = 2;
    s3.protocol = "/meshsub/1.1.0";
    s3.status = PSC_STATUS_OPENING;
    s3.latency_ns = 77;
    s3.close_reason = "not yet";
    s3.tags = S3_TAGS;
    s3.n_tags = 1;
    if ((e = psc_conn_add_stream(cb, &s3)) != PSC_OK)
        return e;

    psc_connection c2 = {.struct_size = sizeof c2};
    c2.id = C2_ID;
    c2.id_len = sizeof C2_ID;
    c2.peer_id = "peerB";
    c2.status = PSC_STATUS_CLOSING;
    c2.role = PSC_ROLE_RESPONDER;
    c2.relay_conn_id = C1_ID;
    c2.relay_conn_id_len = sizeof C1_ID;
    c2.close_reason = "bye";
    c2.traffic = C2_TRAFFIC;
    c2.stream_count = 7;
    if ((e = psc_swarm_add_connection(b, &c2, NULL)) != PSC_OK)
        return e;

    psc_transport t = {.struct_size = sizeof t};
    t.id = T_ID;
    t.id_len = sizeof T_ID;
    t.name = "tcp";
    t.listen_addrs = TCP_ADDRS;
    t.n_listen_addrs = 2;
    t.listening = true;
    t.dialing = true;
    if ((e = psc_swarm_add_transport(b, &t)) != PSC_OK)
        return e;
    psc_transport t2 = {.struct_size = sizeof t2};
    t2.name = "quic-v1";
    if ((e = psc_swarm_add_transport(b, &t2)) != PSC_OK)
        return e;

    psc_dialer d = {.struct_size = sizeof d, .in_flight = 2, .success = 10, .error = 3, .timeout = 1,
                    .canceled = 4, .backoff = 5};
    if ((e = psc_swarm_set_dialer(b, &d)) != PSC_OK)
        return e;
    psc_dial dl = {.struct_size = sizeof dl, .peer_id = "peerC", .addr = "/ip4/3.3.3.3/tcp/3", .start_ts = 900};
    if ((e = psc_swarm_add_dial(b, &dl)) != PSC_OK)
        return e;
    psc_identify id = {.struct_size = sizeof id, .requests_in = 1, .requests_out = 2, .pushes_in = 3,
                       .pushes_out = 4, .errors = 5};
    if ((e = psc_swarm_set_identify(b, &id)) != PSC_OK)
        return e;
    psc_relay r = {.struct_size = sizeof r, .reservations_active = 1, .circuits_active = 2,
                   .reservations_total = 3, .circuits_total = 4, .hole_punch_attempts = 5,
                   .hole_punch_successes = 6, .hole_punch_failures = 7};
    if ((e = psc_swarm_set_relay(b, &r)) != PSC_OK)
        return e;
    if ((e = psc_swarm_set_ping(b, 40, 2)) != PSC_OK)
        return e;
    psc_ping_peer pp = {.struct_size = sizeof pp, .peer_id = "peerA", .last_rtt_ns = 500, .avg_rtt_ns = 450};
    return psc_swarm_add_ping_peer(b, &pp);
}

/* A second swarm: ids are per provider, so "c\01" again is fine. */
static const psc_traffic B_TRAFFIC = {{1000, 0, 0}, {0, 0, 9}};

static psc_err swarm2_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c};
    c.id = C1_ID;
    c.id_len = sizeof C1_ID;
    c.traffic = B_TRAFFIC;
    return psc_swarm_add_connection(b, &c, NULL);
}

/* ----------------------------------------------------------------- DHTs */

static psc_err dht1_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht info = {.struct_size = sizeof info};
    info.name = "wan";
    info.protocol = "/ipfs/kad/1.0.0";
    info.enabled = true;
    info.start_ts = 555;
    info.k = 20;
    info.alpha = 3;
    info.disjoint_paths = 10;
    info.beta = 4;
    info.incoming = (psc_query_counts){1, 2, 3};
    info.outgoing = (psc_query_counts){4, 5, 6};
    psc_err e = psc_dht_set_info(b, &info);
    psc_dht_peer p = {.struct_size = sizeof p};
    p.peer_id = "d3a";
    p.status = PSC_DHT_PEER_CANDIDATE;
    p.age_in_bucket_ms = 6000;
    if (e == PSC_OK)
        e = psc_dht_add_peer(b, 3, &p);
    p.peer_id = "d0";
    p.status = PSC_DHT_PEER_ACTIVE;
    p.age_in_bucket_ms = 0;
    if (e == PSC_OK)
        e = psc_dht_add_peer(b, 0, &p);
    p.peer_id = "d3b";
    p.status = PSC_DHT_PEER_MISSING;
    if (e == PSC_OK)
        e = psc_dht_add_peer(b, 3, &p);
    if (e == PSC_OK)
        e = psc_dht_add_bucket(b, 7);
    if (e == PSC_OK)
        e = psc_dht_add_bucket(b, 3); /* already there: no second bucket */
    return e;
}

/* No set_info: reported with defaults, named after the provider. */
static psc_err dht2_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht_peer p = {.struct_size = sizeof p, .peer_id = "far", .status = PSC_DHT_PEER_REJECTED};
    return psc_dht_add_peer(b, 256, &p);
}

/* --------------------------------------------------------------- pubsub */

static psc_err pubsub1_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    psc_topic t = {.struct_size = sizeof t};
    t.name = "blocks";
    t.subscribed = true;
    t.peer_count = 12;
    t.messages = (psc_pubsub_counts){1, 2, 3, 4, 5, 6};
    t.bytes = (psc_pubsub_counts){10, 20, 30, 40, 50, 60};
    psc_topic_builder *tb = NULL;
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, &tb);
    psc_mesh_peer mp = {.struct_size = sizeof mp, .peer_id = "m1", .score = 1.25, .time_in_mesh_ms = 3000};
    if (e == PSC_OK)
        e = psc_topic_add_mesh_peer(tb, &mp);
    mp.peer_id = "m2";
    mp.score = -0.5;
    mp.time_in_mesh_ms = 0;
    if (e == PSC_OK)
        e = psc_topic_add_mesh_peer(tb, &mp);
    if (e == PSC_OK)
        e = psc_topic_add_fanout_peer(tb, "f1");
    return e;
}

static psc_err pubsub2_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_pubsub_set_router(b, "floodsub", "/floodsub/1.0.0"); /* the first provider's wins */
    psc_topic t = {.struct_size = sizeof t, .name = "chat"};
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, NULL);
    return e;
}

/* ------------------------------------------------------------ peerstore */

static const char *const P1_ADDRS[] = {"/ip4/4.4.4.4/tcp/4", "/dns4/x/tcp/5"};
static const char *const P1_PROTOS[] = {"/ipfs/id/1.0.0"};
static const psc_peer_tag P1_TAGS[] = {{"kbucket", 5}, {"neg", -7}};

static psc_err peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)user;
    (void)ctx;
    psc_peer_info p = {.struct_size = sizeof p};
    p.peer_id = "peer1";
    p.addrs = P1_ADDRS;
    p.n_addrs = 2;
    p.protocols = P1_PROTOS;
    p.n_protocols = 1;
    p.agent_version = "go-ipfs/0.5";
    p.protocol_version = "ipfs/0.1.0";
    p.latency_ewma_ns = 999;
    p.first_seen_ts = 100;
    p.last_seen_ts = 200;
    p.tags = P1_TAGS;
    p.n_tags = 2;
    psc_err e = psc_peerstore_add_peer(b, &p);
    psc_peer_info q = {.struct_size = sizeof q, .peer_id = "peer2"};
    if (e == PSC_OK)
        e = psc_peerstore_add_peer(b, &q);
    return e;
}

/* ------------------------------------------------------------- rcmgr */

static psc_err rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)user;
    (void)ctx;
    psc_resource_scope s = {.struct_size = sizeof s};
    s.kind = PSC_SCOPE_SYSTEM;
    s.usage = (psc_resources){1, 2, 3, 4, 5, 6};
    s.limit = (psc_resources){10, 20, 30, 40, 50, 60};
    psc_err e = psc_rcmgr_add_scope(b, &s);
    psc_resource_scope p = {.struct_size = sizeof p, .kind = PSC_SCOPE_PROTOCOL, .name = "/ipfs/bitswap"};
    if (e == PSC_OK)
        e = psc_rcmgr_add_scope(b, &p);
    return e;
}

/* -------------------------------------------------------------- custom */

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_custom_add_number(b, "ratio", 1.5);
    if (e == PSC_OK)
        e = psc_custom_add_integer(b, "delta", -3);
    if (e == PSC_OK)
        e = psc_custom_add_text(b, "mode", "fast");
    if (e == PSC_OK)
        e = psc_custom_add_json(b, "cfg", "{\"a\":[1,2,{\"b\":null}]}");
    if (e == PSC_OK)
        e = psc_custom_add_number(b, "zero", 0.0); /* a oneof member at its default is still there */
    return e;
}

static psc_err custom2_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_custom_add_integer(b, "nil", 0);
    if (e == PSC_OK)
        e = psc_custom_add_text(b, "empty", "");
    return e;
}

/* --------------------------------------------------------------- setup */

static void register_all(psc_introspector *intro)
{
    static const psc_swarm_provider sw = {sizeof sw, "swarm-main", swarm_collect, NULL};
    static const psc_swarm_provider sw2 = {sizeof sw2, NULL, swarm2_collect, NULL};
    static const psc_dht_provider d1 = {sizeof d1, "kad", dht1_collect, NULL};
    static const psc_dht_provider d2 = {sizeof d2, "lan", dht2_collect, NULL};
    static const psc_pubsub_provider p1 = {sizeof p1, "ps1", pubsub1_collect, NULL};
    static const psc_pubsub_provider p2 = {sizeof p2, "ps2", pubsub2_collect, NULL};
    static const psc_peerstore_provider ps = {sizeof ps, "pstore", peerstore_collect, NULL};
    static const psc_rcmgr_provider rc = {sizeof rc, "rcmgr", rcmgr_collect, NULL};
    static const psc_custom_provider cu = {sizeof cu, "app", custom_collect, NULL};
    static const psc_custom_provider cu2 = {sizeof cu2, "app2", custom2_collect, NULL};
    assert_int_equal(psc_register_swarm(intro, &sw, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &d1, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_pubsub(intro, &p1, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_peerstore(intro, &ps, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_rcmgr(intro, &rc, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &cu, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &d2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_pubsub(intro, &p2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &cu2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &sw2, NULL, NULL), PSC_OK);
}

/* -------------------------------------------------------------- checks */

static void check_connections(const Peerscope__Subsystems *ss)
{
    assert_int_equal(ss->n_connections, 3);

    const Peerscope__Connection *c = ss->connections[0];
    assert_true(fixture_bytes_eq(c->id, C1_ID, sizeof C1_ID));
    assert_string_equal(c->peer_id, "peerA");
    assert_int_equal(c->status, PEERSCOPE__STATUS__ACTIVE);
    assert_int_equal(c->role, PEERSCOPE__ROLE__INITIATOR);
    assert_true(fixture_bytes_eq(c->transport_id, T_ID, sizeof T_ID));
    assert_non_null(c->endpoints);
    assert_string_equal(c->endpoints->src_multiaddr, "/ip4/1.1.1.1/tcp/1");
    assert_string_equal(c->endpoints->dst_multiaddr, "/ip4/2.2.2.2/tcp/2");
    assert_non_null(c->timeline);
    assert_int_equal(c->timeline->open_ts, 1000);
    assert_int_equal(c->timeline->upgraded_ts, 1005);
    assert_int_equal(c->timeline->close_ts, 0);
    fixture_check_traffic(c->traffic, &C1_TRAFFIC);
    assert_non_null(c->attribs);
    assert_string_equal(c->attribs->multiplexer, "/yamux/1.0.0");
    assert_string_equal(c->attribs->encryption, "/noise");
    assert_int_equal(c->latency_ns, 12345);
    assert_int_equal(c->relayed_over_case, PEERSCOPE__CONNECTION__RELAYED_OVER__NOT_SET);
    assert_int_equal(c->n_user_provided_tags, 2);
    assert_string_equal(c->user_provided_tags[0], "t1");
    assert_string_equal(c->user_provided_tags[1], "");
    assert_string_equal(c->transport_name, "tcp");
    assert_string_equal(c->close_reason, "");
    assert_int_equal(c->stream_count, 2); /* s1 ACTIVE + s3 OPENING; s2 is CLOSED */

    assert_non_null(c->streams);
    assert_int_equal(c->streams->n_stream_ids, 0);
    assert_int_equal(c->streams->n_streams, 3);
    const Peerscope__Stream *s = c->streams->streams[0];
    assert_true(fixture_bytes_eq(s->id, "s1", 2));
    assert_string_equal(s->protocol, "/ipfs/id/1.0.0");
    assert_int_equal(s->role, PEERSCOPE__ROLE__RESPONDER);
    fixture_check_traffic(s->traffic, &S1_TRAFFIC);
    assert_non_null(s->conn);
    assert_int_equal(s->conn->connection_case, PEERSCOPE__STREAM__CONNECTION_REF__CONNECTION_CONN_ID);
    assert_true(fixture_bytes_eq(s->conn->conn_id, C1_ID, sizeof C1_ID));
    assert_non_null(s->timeline);
    assert_int_equal(s->timeline->open_ts, 1010);
    assert_int_equal(s->timeline->close_ts, 0);
    assert_int_equal(s->status, PEERSCOPE__STATUS__ACTIVE);
    assert_int_equal(s->latency_ns, 0);
    assert_int_equal(s->n_user_provided_tags, 0);

    s = c->streams->streams[1];
    assert_true(fixture_bytes_eq(s->id, "s2", 2));
    assert_int_equal(s->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(s->timeline->open_ts, 1011);
    assert_int_equal(s->timeline->close_ts, 1020);
    assert_string_equal(s->protocol, "");
    psc_traffic zero = {{0, 0, 0}, {0, 0, 0}};
    fixture_check_traffic(s->traffic, &zero);

    s = c->streams->streams[2];
    assert_true(fixture_bytes_eq(s->id, "s3", 2));
    assert_string_equal(s->protocol, "/meshsub/1.1.0");
    assert_int_equal(s->status, PEERSCOPE__STATUS__OPENING);
    assert_int_equal(s->latency_ns, 77);
    assert_string_equal(s->close_reason, "not yet");
    assert_int_equal(s->n_user_provided_tags, 1);
    assert_string_equal(s->user_provided_tags[0], "hot");
    assert_true(fixture_bytes_eq(s->conn->conn_id, C1_ID, sizeof C1_ID));

    c = ss->connections[1];
    assert_true(fixture_bytes_eq(c->id, C2_ID, sizeof C2_ID));
    assert_string_equal(c->peer_id, "peerB");
    assert_int_equal(c->status, PEERSCOPE__STATUS__CLOSING);
    assert_int_equal(c->role, PEERSCOPE__ROLE__RESPONDER);
    assert_int_equal(c->relayed_over_case, PEERSCOPE__CONNECTION__RELAYED_OVER_CONN_ID);
    assert_true(fixture_bytes_eq(c->conn_id, C1_ID, sizeof C1_ID));
    assert_string_equal(c->close_reason, "bye");
    assert_int_equal(c->stream_count, 7); /* as given */
    assert_int_equal(c->streams->n_streams, 0);
    assert_string_equal(c->endpoints->src_multiaddr, "");
    fixture_check_traffic(c->traffic, &C2_TRAFFIC);

    c = ss->connections[2]; /* the second swarm provider's */
    assert_true(fixture_bytes_eq(c->id, C1_ID, sizeof C1_ID));
    assert_string_equal(c->peer_id, "");
    fixture_check_traffic(c->traffic, &B_TRAFFIC);
}

static void check_swarm_extras(const Peerscope__Subsystems *ss)
{
    assert_int_equal(ss->n_transports, 2);
    const Peerscope__Transport *t = ss->transports[0];
    assert_true(fixture_bytes_eq(t->id, T_ID, sizeof T_ID));
    assert_string_equal(t->name, "tcp");
    assert_int_equal(t->n_listen_multiaddrs, 2);
    assert_string_equal(t->listen_multiaddrs[0], TCP_ADDRS[0]);
    assert_string_equal(t->listen_multiaddrs[1], TCP_ADDRS[1]);
    assert_true(t->listening);
    assert_true(t->dialing);
    t = ss->transports[1];
    assert_int_equal(t->id.len, 0);
    assert_string_equal(t->name, "quic-v1");
    assert_false(t->listening);
    assert_int_equal(t->n_listen_multiaddrs, 0);

    const Peerscope__Dialer *d = ss->dialer;
    assert_non_null(d);
    assert_int_equal(d->in_flight, 2);
    assert_non_null(d->outcomes);
    assert_int_equal(d->outcomes->success, 10);
    assert_int_equal(d->outcomes->error, 3);
    assert_int_equal(d->outcomes->timeout, 1);
    assert_int_equal(d->outcomes->canceled, 4);
    assert_int_equal(d->outcomes->backoff, 5);
    assert_int_equal(d->n_dials, 1);
    assert_string_equal(d->dials[0]->peer_id, "peerC");
    assert_string_equal(d->dials[0]->multiaddr, "/ip4/3.3.3.3/tcp/3");
    assert_int_equal(d->dials[0]->start_ts, 900);

    const Peerscope__Identify *id = ss->identify;
    assert_non_null(id);
    assert_int_equal(id->requests_in, 1);
    assert_int_equal(id->requests_out, 2);
    assert_int_equal(id->pushes_in, 3);
    assert_int_equal(id->pushes_out, 4);
    assert_int_equal(id->errors, 5);

    const Peerscope__Relay *r = ss->relay;
    assert_non_null(r);
    assert_int_equal(r->reservations_active, 1);
    assert_int_equal(r->circuits_active, 2);
    assert_int_equal(r->reservations_total, 3);
    assert_int_equal(r->circuits_total, 4);
    assert_int_equal(r->hole_punch_attempts, 5);
    assert_int_equal(r->hole_punch_successes, 6);
    assert_int_equal(r->hole_punch_failures, 7);

    const Peerscope__Ping *p = ss->ping;
    assert_non_null(p);
    assert_int_equal(p->pings_sent, 40);
    assert_int_equal(p->failures, 2);
    assert_int_equal(p->n_peers, 1);
    assert_string_equal(p->peers[0]->peer_id, "peerA");
    assert_int_equal(p->peers[0]->last_rtt_ns, 500);
    assert_int_equal(p->peers[0]->avg_rtt_ns, 450);
}

static void check_dhts(const Peerscope__Subsystems *ss)
{
    const Peerscope__DHT *d = ss->dht;
    assert_non_null(d);
    assert_string_equal(d->name, "wan");
    assert_string_equal(d->protocol, "/ipfs/kad/1.0.0");
    assert_true(d->enabled);
    assert_int_equal(d->start_ts, 555);
    assert_non_null(d->params);
    assert_int_equal(d->params->k, 20);
    assert_int_equal(d->params->alpha, 3);
    assert_int_equal(d->params->disjoint_paths, 10);
    assert_int_equal(d->params->beta, 4);
    assert_non_null(d->incoming_queries);
    assert_int_equal(d->incoming_queries->success, 1);
    assert_int_equal(d->incoming_queries->error, 2);
    assert_int_equal(d->incoming_queries->timeout, 3);
    assert_non_null(d->outgoing_queries);
    assert_int_equal(d->outgoing_queries->success, 4);
    assert_int_equal(d->outgoing_queries->error, 5);
    assert_int_equal(d->outgoing_queries->timeout, 6);
    /* buckets come out sorted by cpl, whatever the order they were filled */
    assert_int_equal(d->n_buckets, 3);
    assert_int_equal(d->buckets[0]->cpl, 0);
    assert_int_equal(d->buckets[0]->n_peers, 1);
    assert_string_equal(d->buckets[0]->peers[0]->peer_id, "d0");
    assert_int_equal(d->buckets[0]->peers[0]->status, PEERSCOPE__DHT__PEER_IN_DHT__STATUS__ACTIVE);
    assert_int_equal(d->buckets[1]->cpl, 3);
    assert_int_equal(d->buckets[1]->n_peers, 2);
    assert_string_equal(d->buckets[1]->peers[0]->peer_id, "d3a");
    assert_int_equal(d->buckets[1]->peers[0]->status, PEERSCOPE__DHT__PEER_IN_DHT__STATUS__CANDIDATE);
    assert_int_equal(d->buckets[1]->peers[0]->age_in_bucket, 6000);
    assert_string_equal(d->buckets[1]->peers[1]->peer_id, "d3b");
    assert_int_equal(d->buckets[1]->peers[1]->status, PEERSCOPE__DHT__PEER_IN_DHT__STATUS__MISSING);
    assert_int_equal(d->buckets[2]->cpl, 7);
    assert_int_equal(d->buckets[2]->n_peers, 0);

    assert_int_equal(ss->n_additional_dhts, 1);
    d = ss->additional_dhts[0];
    assert_string_equal(d->name, "lan"); /* no set_info: the provider's name */
    assert_string_equal(d->protocol, "");
    assert_false(d->enabled);
    assert_non_null(d->params);
    assert_int_equal(d->params->k, 0);
    assert_int_equal(d->n_buckets, 1);
    assert_int_equal(d->buckets[0]->cpl, 256);
    assert_string_equal(d->buckets[0]->peers[0]->peer_id, "far");
    assert_int_equal(d->buckets[0]->peers[0]->status, PEERSCOPE__DHT__PEER_IN_DHT__STATUS__REJECTED);
}

static void check_counters(const Peerscope__PubSubCounters *c, uint64_t k)
{
    assert_non_null(c);
    assert_int_equal(c->received, 1 * k);
    assert_int_equal(c->sent, 2 * k);
    assert_int_equal(c->published, 3 * k);
    assert_int_equal(c->forwarded, 4 * k);
    assert_int_equal(c->rejected, 5 * k);
    assert_int_equal(c->duplicate, 6 * k);
}

static void check_pubsub(const Peerscope__Subsystems *ss)
{
    const Peerscope__PubSub *ps = ss->pubsub;
    assert_non_null(ps);
    assert_string_equal(ps->router, "gossipsub");
    assert_string_equal(ps->protocol, "/meshsub/1.1.0");
    assert_int_equal(ps->n_topics, 2);
    const Peerscope__PubSub__Topic *t = ps->topics[0];
    assert_string_equal(t->name, "blocks");
    assert_true(t->subscribed);
    assert_int_equal(t->peer_count, 12);
    check_counters(t->messages, 1);
    check_counters(t->bytes, 10);
    assert_int_equal(t->n_mesh_peers, 2);
    assert_string_equal(t->mesh_peers[0]->peer_id, "m1");
    assert_true(t->mesh_peers[0]->score == 1.25);
    assert_int_equal(t->mesh_peers[0]->time_in_mesh_ms, 3000);
    assert_string_equal(t->mesh_peers[1]->peer_id, "m2");
    assert_true(t->mesh_peers[1]->score == -0.5);
    assert_int_equal(t->n_fanout_peers, 1);
    assert_string_equal(t->fanout_peers[0], "f1");
    t = ps->topics[1];
    assert_string_equal(t->name, "chat");
    assert_false(t->subscribed);
    check_counters(t->messages, 0);
}

static void check_peerstore(const Peerscope__Subsystems *ss)
{
    const Peerscope__Peerstore *p = ss->peerstore;
    assert_non_null(p);
    assert_int_equal(p->n_peers, 2);
    const Peerscope__Peerstore__Peer *a = p->peers[0];
    assert_string_equal(a->peer_id, "peer1");
    assert_int_equal(a->n_multiaddrs, 2);
    assert_string_equal(a->multiaddrs[0], P1_ADDRS[0]);
    assert_string_equal(a->multiaddrs[1], P1_ADDRS[1]);
    assert_int_equal(a->n_protocols, 1);
    assert_string_equal(a->protocols[0], P1_PROTOS[0]);
    assert_string_equal(a->agent_version, "go-ipfs/0.5");
    assert_string_equal(a->protocol_version, "ipfs/0.1.0");
    assert_int_equal(a->latency_ewma_ns, 999);
    assert_int_equal(a->first_seen_ts, 100);
    assert_int_equal(a->last_seen_ts, 200);
    assert_int_equal(a->n_tags, 2);
    assert_string_equal(a->tags[0]->name, "kbucket");
    assert_int_equal(a->tags[0]->value, 5);
    assert_string_equal(a->tags[1]->name, "neg");
    assert_int_equal(a->tags[1]->value, -7);
    assert_string_equal(p->peers[1]->peer_id, "peer2");
    assert_int_equal(p->peers[1]->n_multiaddrs, 0);
}

static void check_resources(const Peerscope__ResourceManager__Resources *r, uint64_t k)
{
    assert_non_null(r);
    assert_int_equal(r->conns_in, 1 * k);
    assert_int_equal(r->conns_out, 2 * k);
    assert_int_equal(r->streams_in, 3 * k);
    assert_int_equal(r->streams_out, 4 * k);
    assert_int_equal(r->memory, 5 * k);
    assert_int_equal(r->fds, 6 * k);
}

static void check_rcmgr(const Peerscope__Subsystems *ss)
{
    const Peerscope__ResourceManager *rm = ss->resource_manager;
    assert_non_null(rm);
    assert_int_equal(rm->n_scopes, 2);
    assert_int_equal(rm->scopes[0]->kind, PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__SYSTEM);
    assert_string_equal(rm->scopes[0]->name, "");
    check_resources(rm->scopes[0]->usage, 1);
    check_resources(rm->scopes[0]->limit, 10);
    assert_int_equal(rm->scopes[1]->kind, PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__PROTOCOL);
    assert_string_equal(rm->scopes[1]->name, "/ipfs/bitswap");
    check_resources(rm->scopes[1]->usage, 0);
}

static void check_custom(const Peerscope__Subsystems *ss)
{
    assert_int_equal(ss->n_custom, 2);
    const Peerscope__CustomSection *c = ss->custom[0];
    assert_string_equal(c->name, "app");
    assert_int_equal(c->n_values, 5);
    assert_string_equal(c->values[0]->name, "ratio");
    assert_int_equal(c->values[0]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_NUMBER);
    assert_true(c->values[0]->number == 1.5);
    assert_string_equal(c->values[1]->name, "delta");
    assert_int_equal(c->values[1]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_INTEGER);
    assert_int_equal(c->values[1]->integer, -3);
    assert_string_equal(c->values[2]->name, "mode");
    assert_int_equal(c->values[2]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_TEXT);
    assert_string_equal(c->values[2]->text, "fast");
    assert_string_equal(c->values[3]->name, "cfg");
    assert_int_equal(c->values[3]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_JSON);
    assert_string_equal(c->values[3]->json, "{\"a\":[1,2,{\"b\":null}]}");
    assert_string_equal(c->values[4]->name, "zero");
    assert_int_equal(c->values[4]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_NUMBER);
    assert_true(c->values[4]->number == 0.0);

    c = ss->custom[1];
    assert_string_equal(c->name, "app2");
    assert_int_equal(c->n_values, 2);
    assert_int_equal(c->values[0]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_INTEGER);
    assert_int_equal(c->values[0]->integer, 0);
    assert_int_equal(c->values[1]->value_case, PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_TEXT);
    assert_string_equal(c->values[1]->text, "");
}

static void test_every_section(void **state)
{
    (void)state;
    fake_clock fc = {1000, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    register_all(intro);

    fc.wall_ms = 5000;
    Peerscope__ServerMessage *m = fixture_snapshot(intro, NULL);
    Peerscope__State *st = fixture_state(m);
    assert_int_equal(st->seq, 1);
    assert_int_equal(st->instant_ts, 5000);
    assert_int_equal(st->start_ts, 1000); /* the introspector's creation */
    assert_int_equal(st->snapshot_duration_ms, 4000);
    assert_int_equal(st->n_provider_errors, 0);

    const Peerscope__Subsystems *ss = st->subsystems;
    check_connections(ss);
    check_swarm_extras(ss);
    check_dhts(ss);
    check_pubsub(ss);
    check_peerstore(ss);
    check_rcmgr(ss);
    check_custom(ss);

    /* nobody set the traffic: the sum over every connection */
    psc_traffic sum = {{100 + 1 + 1000, 10 + 2, 5 + 3}, {200 + 4, 20 + 5, 7 + 6 + 9}};
    fixture_check_traffic(st->traffic, &sum);
    peerscope__server_message__free_unpacked(m, NULL);

    fc.wall_ms = 7500;
    m = fixture_snapshot(intro, NULL);
    st = fixture_state(m);
    assert_int_equal(st->seq, 2);
    assert_int_equal(st->instant_ts, 7500);
    assert_int_equal(st->start_ts, 5000); /* the previous snapshot */
    assert_int_equal(st->snapshot_duration_ms, 2500);
    check_connections(st->subsystems);
    peerscope__server_message__free_unpacked(m, NULL);

    psc_introspector_free(intro);
}

/* ----------------------------------------------- traffic set explicitly */

static const psc_traffic SET_A = {{5, 6, 7}, {8, 9, 10}};
static const psc_traffic SET_B = {{1, 1, 1}, {2, 2, 2}};

static psc_err traffic_a(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"x", .id_len = 1};
    c.traffic = C1_TRAFFIC; /* ignored for State.traffic once set */
    psc_err e = psc_swarm_add_connection(b, &c, NULL);
    if (e == PSC_OK)
        e = psc_swarm_set_traffic(b, &SET_B); /* last call wins */
    if (e == PSC_OK)
        e = psc_swarm_set_traffic(b, &SET_A);
    return e;
}

static psc_err traffic_b(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    return psc_swarm_set_traffic(b, &SET_B);
}

static void test_traffic_set(void **state)
{
    (void)state;
    fake_clock fc = {10, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    static const psc_swarm_provider a = {sizeof a, "a", traffic_a, NULL};
    static const psc_swarm_provider b = {sizeof b, "b", traffic_b, NULL};
    assert_int_equal(psc_register_swarm(intro, &a, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &b, NULL, NULL), PSC_OK);
    Peerscope__ServerMessage *m = fixture_snapshot(intro, NULL);
    Peerscope__State *st = fixture_state(m);
    /* several swarms: their totals add up */
    psc_traffic want = {{6, 7, 8}, {10, 11, 12}};
    fixture_check_traffic(st->traffic, &want);
    /* no section was filled: none is encoded */
    assert_null(st->subsystems->dialer);
    assert_null(st->subsystems->identify);
    assert_null(st->subsystems->relay);
    assert_null(st->subsystems->ping);
    assert_null(st->subsystems->dht);
    assert_null(st->subsystems->pubsub);
    assert_null(st->subsystems->peerstore);
    assert_null(st->subsystems->resource_manager);
    assert_int_equal(st->subsystems->n_custom, 0);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_introspector_free(intro);
}

/* An empty introspector still produces a well-formed State. */
static void test_empty(void **state)
{
    (void)state;
    fake_clock fc = {42, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    fc.wall_ms = 43;
    Peerscope__ServerMessage *m = fixture_snapshot(intro, NULL);
    Peerscope__State *st = fixture_state(m);
    assert_int_equal(st->subsystems->n_connections, 0);
    assert_int_equal(st->instant_ts, 43);
    assert_int_equal(st->start_ts, 42);
    assert_int_equal(st->snapshot_duration_ms, 1);
    assert_int_equal(st->seq, 1);
    psc_traffic zero = {{0, 0, 0}, {0, 0, 0}};
    fixture_check_traffic(st->traffic, &zero);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_section),
        cmocka_unit_test(test_traffic_set),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The push table from one thread: every section, what a snapshot shows
 * after changes, closes reported once, ages that count on, validation,
 * limits, sections registered on first use, and allocation failure at
 * every step. States are decoded with protobuf-c (independent of the
 * encoder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../core/core_fixture.h"
#include "../support/test_support.h"

typedef struct env {
    fake_clock clock;
    psc_introspector *intro;
    psc_table *t;
    psc_msg *msg;
    Peerscope__ServerMessage *sm;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->clock.wall_ms = 1700000000000ull;
    e->intro = fixture_intro(&e->clock, NULL);
    psc_table_config cfg = PSC_TABLE_CONFIG_INIT;
    cfg.name = "libp2p";
    assert_int_equal(psc_table_new(e->intro, &cfg, &e->t), PSC_OK);
    *state = e;
    return 0;
}

static void drop_snapshot(env *e)
{
    if (e->sm)
        peerscope__server_message__free_unpacked(e->sm, NULL);
    psc_msg_unref(e->msg);
    e->sm = NULL;
    e->msg = NULL;
}

static int teardown(void **state)
{
    env *e = *state;
    drop_snapshot(e);
    psc_table_free(e->t);
    psc_introspector_free(e->intro);
    free(e);
    return 0;
}

/* A fresh snapshot's State (the previous one dropped). */
static Peerscope__State *snap(env *e)
{
    drop_snapshot(e);
    e->sm = fixture_snapshot(e->intro, &e->msg);
    return fixture_state(e->sm);
}

static const Peerscope__Connection *conn_by_id(const Peerscope__State *st, const char *id)
{
    for (size_t i = 0; st->subsystems && i < st->subsystems->n_connections; i++)
        if (fixture_bytes_eq(st->subsystems->connections[i]->id, id, strlen(id)))
            return st->subsystems->connections[i];
    return NULL;
}

static size_t n_conns(const Peerscope__State *st)
{
    return st->subsystems ? st->subsystems->n_connections : 0;
}

static psc_connection conn_of(const char *id, const char *peer)
{
    psc_connection c = PSC_CONNECTION_INIT;
    c.id = (const uint8_t *)id;
    c.id_len = strlen(id);
    c.peer_id = peer;
    c.remote_addr = "/ip4/127.0.0.1/tcp/4001";
    c.transport_name = "tcp";
    return c;
}

static psc_stream stream_of(const char *id, const char *protocol)
{
    psc_stream s = PSC_STREAM_INIT;
    s.id = (const uint8_t *)id;
    s.id_len = strlen(id);
    s.protocol = protocol;
    return s;
}

/* ------------------------------------------------------------ connections */

static void test_connections_and_streams(void **state)
{
    env *e = *state;
    psc_connection c1 = conn_of("c1", "12D3KooWA"), c2 = conn_of("c2", "12D3KooWB");
    c2.role = PSC_ROLE_RESPONDER;
    static const char *const tags[] = {"bootstrap"};
    c1.tags = tags;
    c1.n_tags = 1;
    psc_table_conn *h1, *h2;
    assert_int_equal(psc_table_conn_open(e->t, &c1, &h1), PSC_OK);
    assert_int_equal(psc_table_conn_open(e->t, &c2, &h2), PSC_OK);
    psc_stream s = stream_of("s1", "/ipfs/ping/1.0.0");
    psc_table_stream *hs;
    assert_int_equal(psc_table_stream_open(h1, &s, &hs), PSC_OK);

    psc_counter *in, *out, *sin;
    psc_table_conn_counters(h1, &in, &out);
    psc_table_stream_counters(hs, &sin, NULL);
    psc_counter_add(in, 1000);
    psc_counter_add(in, 24);
    psc_counter_add(out, 7);
    psc_counter_add(sin, 32);

    Peerscope__State *st = snap(e);
    assert_int_equal(n_conns(st), 2);
    const Peerscope__Connection *pc = conn_by_id(st, "c1");
    assert_non_null(pc);
    assert_string_equal(pc->peer_id, "12D3KooWA");
    assert_int_equal(pc->traffic->traffic_in->cum_bytes, 1024);
    assert_int_equal(pc->traffic->traffic_in->cum_packets, 2);
    assert_int_equal(pc->traffic->traffic_out->cum_bytes, 7);
    assert_int_equal(pc->n_user_provided_tags, 1);
    assert_string_equal(pc->user_provided_tags[0], "bootstrap");
    assert_int_equal(pc->streams->n_streams, 1);
    assert_string_equal(pc->streams->streams[0]->protocol, "/ipfs/ping/1.0.0");
    assert_int_equal(pc->streams->streams[0]->traffic->traffic_in->cum_bytes, 32);
    assert_int_equal(conn_by_id(st, "c2")->role, PEERSCOPE__ROLE__RESPONDER);

    /* An update replaces the description and keeps id and counters. */
    psc_connection u = conn_of("ignored", "12D3KooWA");
    u.id = NULL;
    u.id_len = 0;
    u.multiplexer = "/yamux/1.0.0";
    u.latency_ns = 1500000;
    assert_int_equal(psc_table_conn_update(h1, &u), PSC_OK);
    psc_counter_add(in, 1);
    st = snap(e);
    pc = conn_by_id(st, "c1");
    assert_non_null(pc);
    assert_string_equal(pc->attribs->multiplexer, "/yamux/1.0.0");
    assert_int_equal(pc->latency_ns, 1500000);
    assert_int_equal(pc->traffic->traffic_in->cum_bytes, 1025);
    assert_int_equal(pc->n_user_provided_tags, 0); /* replaced whole */

    /* A closed stream is reported once, with its reason, then forgotten. */
    assert_int_equal(psc_table_stream_close(hs, PSC_STATUS_CLOSED, "reset by peer", 1234), PSC_OK);
    st = snap(e);
    pc = conn_by_id(st, "c1");
    assert_int_equal(pc->streams->n_streams, 1);
    assert_int_equal(pc->streams->streams[0]->status, PEERSCOPE__STATUS__CLOSED);
    assert_string_equal(pc->streams->streams[0]->close_reason, "reset by peer");
    assert_int_equal(pc->streams->streams[0]->timeline->close_ts, 1234);
    st = snap(e);
    assert_int_equal(conn_by_id(st, "c1")->streams->n_streams, 0);

    /* Closing a connection closes its open streams with it. */
    psc_stream s2 = stream_of("s2", "/meshsub/1.1.0");
    assert_int_equal(psc_table_stream_open(h2, &s2, &hs), PSC_OK);
    snap(e);
    e->clock.wall_ms += 5000;
    assert_int_equal(psc_table_conn_close(h2, PSC_STATUS_ERROR, "handshake timed out", 0), PSC_OK);
    st = snap(e);
    pc = conn_by_id(st, "c2");
    assert_non_null(pc);
    assert_int_equal(pc->status, PEERSCOPE__STATUS__ERROR);
    assert_string_equal(pc->close_reason, "handshake timed out");
    assert_int_equal(pc->timeline->close_ts, e->clock.wall_ms); /* 0: the snapshot's time */
    assert_int_equal(pc->streams->streams[0]->status, PEERSCOPE__STATUS__ERROR);
    /* ERROR is not an end for the core: the vanished connection is then reported CLOSED once */
    st = snap(e);
    pc = conn_by_id(st, "c2");
    assert_non_null(pc);
    assert_int_equal(pc->status, PEERSCOPE__STATUS__CLOSED);
    st = snap(e);
    assert_null(conn_by_id(st, "c2"));
    assert_int_equal(n_conns(st), 1);

    psc_table_stats stats = {.struct_size = sizeof stats};
    assert_int_equal(psc_table_stats_get(e->t, &stats), PSC_OK);
    assert_int_equal(stats.connections, 1);
    assert_int_equal(stats.streams, 0);
    assert_int_equal(stats.pending, 0);
    assert_int_equal(stats.rejected, 0);
}

/* Changes between two snapshots show as their end result, a short-lived connection once. */
static void test_changes_between_snapshots(void **state)
{
    env *e = *state;
    psc_connection c = conn_of("brief", "12D3KooWC");
    psc_table_conn *h;
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_OK);
    c.status = PSC_STATUS_OPENING;
    c.id = NULL;
    assert_int_equal(psc_table_conn_update(h, &c), PSC_OK);
    c.status = PSC_STATUS_ACTIVE;
    c.encryption = "/noise";
    assert_int_equal(psc_table_conn_update(h, &c), PSC_OK);
    psc_table_stats stats = {.struct_size = sizeof stats};
    assert_int_equal(psc_table_stats_get(e->t, &stats), PSC_OK);
    assert_int_equal(stats.pending, 3);
    assert_int_equal(psc_table_conn_close(h, PSC_STATUS_CLOSED, NULL, 42), PSC_OK);
    Peerscope__State *st = snap(e);
    const Peerscope__Connection *pc = conn_by_id(st, "brief");
    assert_non_null(pc);
    assert_int_equal(pc->status, PEERSCOPE__STATUS__CLOSED);
    assert_string_equal(pc->attribs->encryption, "/noise");
    assert_int_equal(pc->timeline->close_ts, 42);
    assert_null(conn_by_id(snap(e), "brief"));
    assert_int_equal(psc_table_stats_get(e->t, &stats), PSC_OK);
    assert_int_equal(stats.applied, 4);
    assert_int_equal(stats.connections, 0);
}

/* What a builder would refuse is refused at the call, and nothing is queued. */
static void test_validation(void **state)
{
    env *e = *state;
    psc_table_conn *h = NULL;
    psc_connection c = conn_of("v", "12D3KooWD");
    c.id_len = 0;
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_ERR_INVALID);
    c = conn_of("v", "bad\xff");
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_ERR_INVALID);
    c = conn_of("v", "12D3KooWD");
    c.status = (psc_status)9;
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_ERR_INVALID);
    static const char *const bad_tags[] = {"ok", NULL};
    c = conn_of("v", "12D3KooWD");
    c.tags = bad_tags;
    c.n_tags = 2;
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_ERR_INVALID);
    c.struct_size = 4;
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_ERR_INVALID);
    assert_int_equal(psc_table_conn_open(NULL, &c, &h), PSC_ERR_INVALID);
    assert_int_equal(psc_table_conn_open(e->t, NULL, &h), PSC_ERR_INVALID);
    assert_null(h);

    c = conn_of("v", "12D3KooWD");
    assert_int_equal(psc_table_conn_open(e->t, &c, &h), PSC_OK);
    assert_int_equal(psc_table_conn_close(h, PSC_STATUS_ACTIVE, NULL, 0), PSC_ERR_INVALID);
    assert_int_equal(psc_table_conn_close(h, PSC_STATUS_CLOSED, "\xc3", 0), PSC_ERR_INVALID);
    psc_dht_peer p = PSC_DHT_PEER_INIT;
    assert_int_equal(psc_table_dht_peer_put(e->t, 3, &p), PSC_ERR_INVALID); /* no peer id */
    p.peer_id = "12D3KooWE";
    assert_int_equal(psc_table_dht_peer_put(e->t, 257, &p), PSC_ERR_INVALID);
    psc_mesh_peer m = PSC_MESH_PEER_INIT;
    assert_int_equal(psc_table_topic_set_mesh(e->t, "t", &m, 1), PSC_ERR_INVALID);
    assert_int_equal(psc_table_topic_set_mesh(e->t, NULL, NULL, 0), PSC_ERR_INVALID);
    psc_peer_tag tag = {NULL, 1};
    psc_peer_info pi = PSC_PEER_INFO_INIT;
    pi.peer_id = "12D3KooWF";
    pi.tags = &tag;
    pi.n_tags = 1;
    assert_int_equal(psc_table_peer_put(e->t, &pi), PSC_ERR_INVALID);
    psc_table_stats stats = {.struct_size = sizeof stats};
    assert_int_equal(psc_table_stats_get(e->t, &stats), PSC_OK);
    assert_int_equal(stats.pending, 1); /* the one valid open */
    /* A close reason is cut at a character boundary. */
    char reason[300];
    memset(reason, 'a', sizeof reason);
    memcpy(reason + 125, "\xc3\xa9", 2); /* é across the cut */
    reason[sizeof reason - 1] = 0;
    assert_int_equal(psc_table_conn_close(h, PSC_STATUS_CLOSED, reason, 0), PSC_OK);
    const Peerscope__Connection *pc = conn_by_id(snap(e), "v");
    assert_int_equal(strlen(pc->close_reason), 127);
    assert_memory_equal(pc->close_reason + 125, "\xc3\xa9", 2);
}

/* Past max_pending, changes are refused; closes and removes never are. */
static void test_pending_limit(void **state)
{
    env *e = *state;
    psc_table *t;
    psc_table_config cfg = PSC_TABLE_CONFIG_INIT;
    cfg.name = "small";
    cfg.max_pending = 3;
    assert_int_equal(psc_table_new(e->intro, &cfg, &t), PSC_OK);
    psc_table_conn *h;
    psc_connection c = conn_of("p1", "12D3KooWG");
    assert_int_equal(psc_table_conn_open(t, &c, &h), PSC_OK);
    c.id = NULL;
    assert_int_equal(psc_table_conn_update(h, &c), PSC_OK);
    assert_int_equal(psc_table_conn_update(h, &c), PSC_OK);
    assert_int_equal(psc_table_conn_update(h, &c), PSC_ERR_TOO_BIG);
    psc_table_conn *h2 = NULL;
    c = conn_of("p2", "12D3KooWG");
    assert_int_equal(psc_table_conn_open(t, &c, &h2), PSC_ERR_TOO_BIG);
    assert_null(h2);
    assert_int_equal(psc_table_conn_close(h, PSC_STATUS_CLOSED, NULL, 0), PSC_OK);
    snap(e); /* applies them */
    c = conn_of("p2", "12D3KooWG");
    assert_int_equal(psc_table_conn_open(t, &c, &h2), PSC_OK);
    drop_snapshot(e);
    psc_table_free(t); /* h2 never applied: freed with its open */
}

/* Two open connections with one id: the second is not reportable, counted. */
static void test_duplicate_ids(void **state)
{
    env *e = *state;
    psc_connection c = conn_of("same", "12D3KooWH");
    psc_table_conn *a, *b;
    assert_int_equal(psc_table_conn_open(e->t, &c, &a), PSC_OK);
    assert_int_equal(psc_table_conn_open(e->t, &c, &b), PSC_OK);
    c = conn_of("other", "12D3KooWI");
    psc_table_conn *o;
    assert_int_equal(psc_table_conn_open(e->t, &c, &o), PSC_OK);
    Peerscope__State *st = snap(e);
    assert_int_equal(n_conns(st), 2);
    assert_int_equal(st->n_provider_errors, 0);
    psc_table_stats stats = {.struct_size = sizeof stats};
    assert_int_equal(psc_table_stats_get(e->t, &stats), PSC_OK);
    assert_int_equal(stats.rejected, 1);
}

/* ------------------------------------------------------------ the other sections */

static const Peerscope__DHT__Bucket *bucket(const Peerscope__State *st, uint32_t cpl)
{
    const Peerscope__DHT *d = st->subsystems->dht;
    for (size_t i = 0; d && i < d->n_buckets; i++)
        if (d->buckets[i]->cpl == cpl)
            return d->buckets[i];
    return NULL;
}

static void test_dht(void **state)
{
    env *e = *state;
    psc_dht d = PSC_DHT_INIT;
    d.protocol = "/ipfs/kad/1.0.0";
    d.enabled = true;
    d.k = 20;
    d.outgoing.success = 3;
    assert_int_equal(psc_table_dht_set(e->t, &d), PSC_OK);
    const char *ids[] = {"12D3KooWP1", "12D3KooWP2", "12D3KooWP3"};
    for (int i = 0; i < 3; i++) {
        psc_dht_peer p = PSC_DHT_PEER_INIT;
        p.peer_id = ids[i];
        p.age_in_bucket_ms = 100;
        assert_int_equal(psc_table_dht_peer_put(e->t, (uint32_t)(i == 2 ? 5 : 2), &p), PSC_OK);
    }
    e->clock.wall_ms += 2500;
    Peerscope__State *st = snap(e);
    const Peerscope__DHT *dht = st->subsystems->dht;
    assert_non_null(dht);
    assert_string_equal(dht->protocol, "/ipfs/kad/1.0.0");
    assert_string_equal(dht->name, "libp2p");
    assert_true(dht->enabled);
    assert_int_equal(dht->params->k, 20);
    assert_int_equal(dht->outgoing_queries->success, 3);
    assert_int_equal(bucket(st, 2)->n_peers, 2);
    assert_int_equal(bucket(st, 5)->n_peers, 1);
    assert_int_equal(bucket(st, 2)->peers[0]->age_in_bucket, 2600); /* 100 given, 2500 since */

    /* A put moves a peer; a remove takes it out; an unknown remove is a no-op. */
    psc_dht_peer p = PSC_DHT_PEER_INIT;
    p.peer_id = ids[0];
    p.status = PSC_DHT_PEER_MISSING;
    assert_int_equal(psc_table_dht_peer_put(e->t, 5, &p), PSC_OK);
    assert_int_equal(psc_table_dht_peer_remove(e->t, ids[1]), PSC_OK);
    assert_int_equal(psc_table_dht_peer_remove(e->t, "12D3KooWnobody"), PSC_OK);
    st = snap(e);
    assert_null(bucket(st, 2));
    const Peerscope__DHT__Bucket *b5 = bucket(st, 5);
    assert_int_equal(b5->n_peers, 2);
    bool moved = false;
    for (size_t i = 0; i < b5->n_peers; i++)
        if (!strcmp(b5->peers[i]->peer_id, ids[0]))
            moved = b5->peers[i]->status == PEERSCOPE__DHT__PEER_IN_DHT__STATUS__MISSING;
    assert_true(moved);
    /* removed then put again in one batch: there */
    assert_int_equal(psc_table_dht_peer_remove(e->t, ids[2]), PSC_OK);
    p.peer_id = ids[2];
    p.status = PSC_DHT_PEER_ACTIVE;
    assert_int_equal(psc_table_dht_peer_put(e->t, 7, &p), PSC_OK);
    st = snap(e);
    assert_int_equal(bucket(st, 7)->n_peers, 1);
    assert_int_equal(bucket(st, 5)->n_peers, 1);
}

static const Peerscope__PubSub__Topic *topic(const Peerscope__State *st, const char *name)
{
    const Peerscope__PubSub *ps = st->subsystems->pubsub;
    for (size_t i = 0; ps && i < ps->n_topics; i++)
        if (!strcmp(ps->topics[i]->name, name))
            return ps->topics[i];
    return NULL;
}

static void test_pubsub(void **state)
{
    env *e = *state;
    assert_int_equal(psc_table_pubsub_set_router(e->t, "gossipsub", "/meshsub/1.1.0"), PSC_OK);
    psc_topic tp = PSC_TOPIC_INIT;
    tp.name = "blocks";
    tp.subscribed = true;
    tp.messages.received = 10;
    assert_int_equal(psc_table_topic_put(e->t, &tp), PSC_OK);
    psc_mesh_peer mesh[2] = {PSC_MESH_PEER_INIT, PSC_MESH_PEER_INIT};
    mesh[0].peer_id = "12D3KooWM1";
    mesh[0].score = 1.5;
    mesh[1].peer_id = "12D3KooWM2";
    mesh[1].time_in_mesh_ms = 1000;
    assert_int_equal(psc_table_topic_set_mesh(e->t, "blocks", mesh, 2), PSC_OK);
    const char *fanout[] = {"12D3KooWF1"};
    assert_int_equal(psc_table_topic_set_fanout(e->t, "txs", fanout, 1), PSC_OK); /* a topic known by its peers */
    e->clock.wall_ms += 500;
    Peerscope__State *st = snap(e);
    assert_string_equal(st->subsystems->pubsub->router, "gossipsub");
    const Peerscope__PubSub__Topic *b = topic(st, "blocks");
    assert_non_null(b);
    assert_true(b->subscribed);
    assert_int_equal(b->messages->received, 10);
    assert_int_equal(b->n_mesh_peers, 2);
    assert_true(b->mesh_peers[0]->score == 1.5);
    assert_int_equal(b->mesh_peers[1]->time_in_mesh_ms, 1500);
    const Peerscope__PubSub__Topic *x = topic(st, "txs");
    assert_non_null(x);
    assert_false(x->subscribed);
    assert_int_equal(x->n_fanout_peers, 1);

    /* A put keeps the peers; a new mesh replaces the old; a remove forgets all. */
    tp.messages.received = 11;
    assert_int_equal(psc_table_topic_put(e->t, &tp), PSC_OK);
    assert_int_equal(psc_table_topic_set_mesh(e->t, "blocks", mesh + 1, 1), PSC_OK);
    assert_int_equal(psc_table_topic_remove(e->t, "txs"), PSC_OK);
    st = snap(e);
    b = topic(st, "blocks");
    assert_int_equal(b->messages->received, 11);
    assert_int_equal(b->n_mesh_peers, 1);
    assert_string_equal(b->mesh_peers[0]->peer_id, "12D3KooWM2");
    assert_null(topic(st, "txs"));
}

static void test_peerstore_and_swarm_values(void **state)
{
    env *e = *state;
    static const char *const addrs[] = {"/ip4/127.0.0.1/tcp/4001"};
    static const char *const protos[] = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
    psc_peer_tag tag = {"kbucket", 5};
    psc_peer_info p = PSC_PEER_INFO_INIT;
    p.peer_id = "12D3KooWS1";
    p.addrs = addrs;
    p.n_addrs = 1;
    p.protocols = protos;
    p.n_protocols = 2;
    p.agent_version = "js-libp2p/3.3.9";
    p.tags = &tag;
    p.n_tags = 1;
    assert_int_equal(psc_table_peer_put(e->t, &p), PSC_OK);
    p.peer_id = "12D3KooWS2";
    p.n_tags = 0;
    assert_int_equal(psc_table_peer_put(e->t, &p), PSC_OK);

    psc_identify id = PSC_IDENTIFY_INIT;
    id.requests_in = 4;
    assert_int_equal(psc_table_set_identify(e->t, &id), PSC_OK);
    assert_int_equal(psc_table_set_ping(e->t, 9, 1), PSC_OK);
    psc_ping_peer pp = PSC_PING_PEER_INIT;
    pp.peer_id = "12D3KooWS1";
    pp.last_rtt_ns = 250000;
    assert_int_equal(psc_table_ping_peer_put(e->t, &pp), PSC_OK);
    psc_dialer dl = PSC_DIALER_INIT;
    dl.in_flight = 2;
    assert_int_equal(psc_table_set_dialer(e->t, &dl), PSC_OK);
    static const uint8_t tid[] = {1};
    psc_transport tr = PSC_TRANSPORT_INIT;
    tr.id = tid;
    tr.id_len = 1;
    tr.name = "tcp";
    tr.listening = true;
    assert_int_equal(psc_table_transport_put(e->t, &tr), PSC_OK);
    tr.name = "tcp (replaced)";
    assert_int_equal(psc_table_transport_put(e->t, &tr), PSC_OK);

    Peerscope__State *st = snap(e);
    const Peerscope__Peerstore *ps = st->subsystems->peerstore;
    assert_non_null(ps);
    assert_int_equal(ps->n_peers, 2);
    assert_string_equal(ps->peers[0]->agent_version, "js-libp2p/3.3.9");
    assert_int_equal(ps->peers[0]->n_protocols, 2);
    assert_int_equal(ps->peers[0]->n_tags, 1);
    assert_int_equal(ps->peers[0]->tags[0]->value, 5);
    assert_int_equal(st->subsystems->identify->requests_in, 4);
    assert_int_equal(st->subsystems->ping->pings_sent, 9);
    assert_int_equal(st->subsystems->ping->n_peers, 1);
    assert_int_equal(st->subsystems->ping->peers[0]->last_rtt_ns, 250000);
    assert_int_equal(st->subsystems->dialer->in_flight, 2);
    assert_int_equal(st->subsystems->n_transports, 1);
    assert_string_equal(st->subsystems->transports[0]->name, "tcp (replaced)");

    assert_int_equal(psc_table_peer_remove(e->t, "12D3KooWS1"), PSC_OK);
    assert_int_equal(psc_table_ping_peer_remove(e->t, "12D3KooWS1"), PSC_OK);
    st = snap(e);
    assert_int_equal(st->subsystems->peerstore->n_peers, 1);
    assert_string_equal(st->subsystems->peerstore->peers[0]->peer_id, "12D3KooWS2");
    assert_int_equal(st->subsystems->ping->n_peers, 0);
}

static void test_resource_scopes_and_custom_sections(void **state)
{
    env *e = *state;
    psc_resource_scope sc = PSC_RESOURCE_SCOPE_INIT;
    sc.kind = PSC_SCOPE_PROTOCOL;
    sc.name = "/ipfs/kad/1.0.0";
    sc.usage.streams_in = 3;
    sc.limit.streams_in = 64;
    assert_int_equal(psc_table_scope_put(e->t, &sc), PSC_OK);
    sc.kind = PSC_SCOPE_SYSTEM;
    sc.name = NULL;
    sc.usage.memory = 1 << 20;
    assert_int_equal(psc_table_scope_put(e->t, &sc), PSC_OK);
    sc.kind = (psc_scope_kind)42;
    assert_int_equal(psc_table_scope_put(e->t, &sc), PSC_ERR_INVALID);

    assert_int_equal(psc_table_custom_integer(e->t, "chain", "height", 8066176), PSC_OK);
    assert_int_equal(psc_table_custom_text(e->t, "chain", "head", "0xabc"), PSC_OK);
    assert_int_equal(psc_table_custom_json(e->t, "chain", "sync", "{\"synced\":true}"), PSC_OK);
    assert_int_equal(psc_table_custom_number(e->t, "node", "load", 0.5), PSC_OK);
    assert_int_equal(psc_table_custom_json(e->t, "chain", "bad", "{nope"), PSC_ERR_INVALID);
    assert_int_equal(psc_table_custom_text(e->t, "", "x", "y"), PSC_ERR_INVALID);
    assert_int_equal(psc_table_custom_text(e->t, "chain", "x", "\xff"), PSC_ERR_INVALID);
    Peerscope__State *st = snap(e);
    const Peerscope__ResourceManager *rm = st->subsystems->resource_manager;
    assert_non_null(rm);
    assert_int_equal(rm->n_scopes, 2);
    assert_int_equal(st->subsystems->n_custom, 2);
    const Peerscope__CustomSection *chain = NULL;
    for (size_t i = 0; i < st->subsystems->n_custom; i++)
        if (!strcmp(st->subsystems->custom[i]->name, "chain"))
            chain = st->subsystems->custom[i];
    assert_non_null(chain);
    assert_int_equal(chain->n_values, 3);
    assert_int_equal(chain->values[0]->integer, 8066176);
    assert_string_equal(chain->values[1]->text, "0xabc");
    assert_string_equal(chain->values[2]->json, "{\"synced\":true}");

    /* a put replaces by name whatever the kind; a remove forgets */
    assert_int_equal(psc_table_custom_text(e->t, "chain", "height", "unknown"), PSC_OK);
    assert_int_equal(psc_table_custom_remove(e->t, "chain", "head"), PSC_OK);
    assert_int_equal(psc_table_scope_remove(e->t, PSC_SCOPE_PROTOCOL, "/ipfs/kad/1.0.0"), PSC_OK);
    st = snap(e);
    assert_int_equal(st->subsystems->resource_manager->n_scopes, 1);
    for (size_t i = 0; i < st->subsystems->n_custom; i++) {
        const Peerscope__CustomSection *c = st->subsystems->custom[i];
        if (strcmp(c->name, "chain"))
            continue;
        assert_int_equal(c->n_values, 2);
        assert_string_equal(c->values[0]->text, "unknown");
    }
}

static psc_err never(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    (void)b;
    return PSC_OK;
}

/* A section name a pull custom provider already has is refused. */
static void test_custom_name_taken(void **state)
{
    env *e = *state;
    psc_custom_provider vt = {.struct_size = sizeof vt, .name = "taken", .collect = never};
    assert_int_equal(psc_register_custom(e->intro, &vt, NULL, NULL), PSC_OK);
    assert_int_equal(psc_table_custom_integer(e->t, "taken", "x", 1), PSC_ERR_EXISTS);
    assert_int_equal(psc_table_custom_integer(e->t, "free", "x", 1), PSC_OK);
}

/* A section the host never used is not in the state at all. */
static void test_sections_on_first_use(void **state)
{
    env *e = *state;
    Peerscope__State *st = snap(e);
    assert_null(st->subsystems->dht);
    assert_null(st->subsystems->pubsub);
    assert_null(st->subsystems->peerstore);
    psc_topic tp = PSC_TOPIC_INIT;
    tp.name = "only";
    assert_int_equal(psc_table_topic_put(e->t, &tp), PSC_OK);
    st = snap(e);
    assert_null(st->subsystems->dht);
    assert_non_null(st->subsystems->pubsub);
    assert_null(st->subsystems->peerstore);
}

/* ------------------------------------------------------------ allocation failure */

/* Every step of a table's life with one allocation failing: an error, nothing leaked. */
static psc_err table_life(void *arg, psc_test_alloc *alloc)
{
    (void)arg;
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &alloc->iface;
    psc_introspector *intro;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e)
        return e;
    psc_table *t = NULL;
    psc_msg *m = NULL;
    psc_table_conn *h = NULL;
    psc_table_stream *s = NULL;
    if ((e = psc_table_new(intro, NULL, &t)))
        goto out;
    psc_connection c = conn_of("a", "12D3KooWA");
    if ((e = psc_table_conn_open(t, &c, &h)))
        goto out;
    psc_stream st = stream_of("s", "/x/1");
    if ((e = psc_table_stream_open(h, &st, &s)))
        goto out;
    psc_dht_peer p = PSC_DHT_PEER_INIT;
    p.peer_id = "12D3KooWB";
    if ((e = psc_table_dht_peer_put(t, 1, &p)))
        goto out;
    psc_mesh_peer mp = PSC_MESH_PEER_INIT;
    mp.peer_id = "12D3KooWC";
    if ((e = psc_table_topic_set_mesh(t, "t", &mp, 1)))
        goto out;
    psc_peer_info pi = PSC_PEER_INFO_INIT;
    pi.peer_id = "12D3KooWD";
    if ((e = psc_table_peer_put(t, &pi)))
        goto out;
    psc_resource_scope rs = PSC_RESOURCE_SCOPE_INIT;
    rs.kind = PSC_SCOPE_PEER;
    rs.name = "12D3KooWD";
    if ((e = psc_table_scope_put(t, &rs)))
        goto out;
    if ((e = psc_table_custom_integer(t, "chain", "height", 7)))
        goto out;
    /* A snapshot that fails for memory keeps every change pending: the next one has them all. */
    e = psc_introspector_snapshot(intro, &m);
    psc_msg_unref(m);
    m = NULL;
    if (e)
        goto out;
    if ((e = psc_table_stream_close(s, PSC_STATUS_CLOSED, "done", 0)))
        goto out;
    if ((e = psc_table_conn_close(h, PSC_STATUS_CLOSED, NULL, 0)))
        goto out;
    e = psc_introspector_snapshot(intro, &m);
    if (e == PSC_OK) {
        Peerscope__ServerMessage *sm;
        if (psc_msg_decode(m, &sm) != PSC_OK)
            e = PSC_ERR_CORRUPT;
        else {
            const Peerscope__Subsystems *ss = sm->state->subsystems;
            /* what the failed snapshots lost nothing of */
            bool whole = ss->n_connections == 1 && ss->connections[0]->status == PEERSCOPE__STATUS__CLOSED &&
                         ss->dht && ss->dht->n_buckets == 1 && ss->pubsub && ss->pubsub->n_topics == 1 &&
                         ss->peerstore && ss->peerstore->n_peers == 1 && ss->resource_manager &&
                         ss->resource_manager->n_scopes == 1 && ss->n_custom == 1 &&
                         ss->custom[0]->n_values == 1;
            /* a provider that failed is left out (a ProviderError): then the state is partial, legitimately */
            if (!whole && sm->state->n_provider_errors == 0)
                e = PSC_ERR_STATE;
            peerscope__server_message__free_unpacked(sm, NULL);
        }
    }
out:
    psc_msg_unref(m);
    psc_table_free(t);
    psc_introspector_free(intro);
    return e;
}

static void test_allocation_failure(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(table_life, NULL, 2000);
    assert_true(runs > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connections_and_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_between_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dht, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubsub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peerstore_and_swarm_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_scopes_and_custom_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_name_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections_on_first_use, setup, teardown),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

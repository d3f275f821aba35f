#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const bench_scenario bench_scenarios[] = {
    {"S", 50, 60, 10, 0, 0, 0, 0},
    {"M", 1000, 1000, 10, 20, 20, 50, 1000},
    {"L", 10000, 10000, 10, 256, 20, 500, 10000},
};
const size_t bench_scenario_count = sizeof bench_scenarios / sizeof bench_scenarios[0];

static const char *const protocols[] = {
    "/ipfs/kad/1.0.0", "/meshsub/1.1.0", "/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ipfs/bitswap/1.2.0",
};

typedef struct bench_stream {
    uint64_t id;
    const char *protocol;
    psc_counter in, out;
} bench_stream;

typedef struct bench_conn {
    uint64_t id;
    size_t peer;
    char remote[64];
    psc_counter in, out;
    bench_stream *streams;
} bench_conn;

struct bench_node {
    const bench_scenario *sc;
    char (*peer_ids)[PSC_PEERID_STR_MAX];
    bench_conn *conns;
    char (*topic_names)[32];
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

bench_node *bench_node_new(const bench_scenario *sc, uint64_t seed)
{
    bench_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->sc = sc;
    n->peer_ids = calloc(sc->peers, sizeof *n->peer_ids);
    n->conns = calloc(sc->conns, sizeof *n->conns);
    n->topic_names = calloc(sc->topics ? sc->topics : 1, sizeof *n->topic_names);
    if (!n->peer_ids || !n->conns || !n->topic_names) {
        bench_node_free(n);
        return NULL;
    }
    for (size_t i = 0; i < sc->peers; i++) {
        uint8_t s[32], pk[32], sk[64];
        for (int j = 0; j < 4; j++) {
            uint64_t r = splitmix(&seed);
            memcpy(s + 8 * j, &r, 8);
        }
        psc_ed25519_keypair_from_seed(s, pk, sk);
        psc_peerid_from_ed25519(pk, n->peer_ids[i], sizeof n->peer_ids[i]);
    }
    for (size_t i = 0; i < sc->conns; i++) {
        bench_conn *c = &n->conns[i];
        c->id = i + 1;
        c->peer = i % sc->peers;
        snprintf(c->remote, sizeof c->remote, "/ip4/203.0.%u.%u/tcp/4001", (unsigned)(i >> 8) & 255,
                 (unsigned)i & 255);
        c->streams = calloc(sc->streams_per_conn, sizeof *c->streams);
        if (!c->streams) {
            bench_node_free(n);
            return NULL;
        }
        psc_counter_add(&c->in, splitmix(&seed) % 100000);
        psc_counter_add(&c->out, splitmix(&seed) % 100000);
        for (size_t j = 0; j < sc->streams_per_conn; j++) {
            c->streams[j].id = j + 1;
            c->streams[j].protocol = protocols[j % 5];
            psc_counter_add(&c->streams[j].in, splitmix(&seed) % 10000);
            psc_counter_add(&c->streams[j].out, splitmix(&seed) % 10000);
        }
    }
    for (size_t t = 0; t < sc->topics; t++)
        snprintf(n->topic_names[t], sizeof n->topic_names[t], "/chain/topic-%zu", t);
    return n;
}

void bench_node_free(bench_node *n)
{
    if (!n)
        return;
    if (n->conns)
        for (size_t i = 0; i < n->sc->conns; i++)
            free(n->conns[i].streams);
    free(n->conns);
    free(n->peer_ids);
    free(n->topic_names);
    free(n);
}

psc_counter *bench_node_counter(bench_node *n, size_t conn)
{
    return &n->conns[conn % n->sc->conns].in;
}

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    bench_node *n = user;
    uint64_t now_ns = psc_counter_now_ns();
    uint64_t now = psc_collect_now_ms(ctx);
    for (size_t i = 0; i < n->sc->conns; i++) {
        bench_conn *c = &n->conns[i];
        psc_connection pc = PSC_CONNECTION_INIT;
        pc.id = (const uint8_t *)&c->id;
        pc.id_len = sizeof c->id;
        pc.peer_id = n->peer_ids[c->peer];
        pc.role = (i & 1) ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        pc.transport_name = "tcp";
        pc.local_addr = "/ip4/192.0.2.1/tcp/4001";
        pc.remote_addr = c->remote;
        pc.open_ts = now - 60000;
        pc.upgraded_ts = now - 59990;
        pc.multiplexer = "/yamux/1.0.0";
        pc.encryption = "/noise";
        pc.latency_ns = 1000000 + i;
        psc_counter_read(&c->in, now_ns, &pc.traffic.in);
        psc_counter_read(&c->out, now_ns, &pc.traffic.out);
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e)
            return e;
        for (size_t j = 0; j < n->sc->streams_per_conn; j++) {
            bench_stream *s = &c->streams[j];
            psc_stream ps = PSC_STREAM_INIT;
            ps.id = (const uint8_t *)&s->id;
            ps.id_len = sizeof s->id;
            ps.protocol = s->protocol;
            ps.role = (j & 1) ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
            ps.open_ts = now - 1000;
            psc_counter_read(&s->in, now_ns, &ps.traffic.in);
            psc_counter_read(&s->out, now_ns, &ps.traffic.out);
            e = psc_conn_add_stream(cb, &ps);
            if (e)
                return e;
        }
    }
    return PSC_OK;
}

static psc_err dht_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    bench_node *n = user;
    psc_dht d = PSC_DHT_INIT;
    d.protocol = "/ipfs/kad/1.0.0";
    d.enabled = true;
    d.k = 20;
    d.alpha = 3;
    d.start_ts = psc_collect_now_ms(ctx) - 3600000;
    psc_err e = psc_dht_set_info(b, &d);
    for (size_t bk = 0; !e && bk < n->sc->dht_buckets; bk++)
        for (size_t p = 0; !e && p < n->sc->dht_peers_per_bucket; p++) {
            psc_dht_peer dp = PSC_DHT_PEER_INIT;
            dp.peer_id = n->peer_ids[(bk * 20 + p) % n->sc->peers];
            dp.age_in_bucket_ms = (uint32_t)(p * 1000);
            e = psc_dht_add_peer(b, (uint32_t)bk, &dp);
        }
    return e;
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    bench_node *n = user;
    psc_err e = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    for (size_t t = 0; !e && t < n->sc->topics; t++) {
        psc_topic tp = PSC_TOPIC_INIT;
        tp.name = n->topic_names[t];
        tp.subscribed = true;
        tp.peer_count = 30;
        tp.messages.received = 1000 + t;
        psc_topic_builder *tb;
        e = psc_pubsub_add_topic(b, &tp, &tb);
        for (size_t p = 0; !e && p < 8; p++) {
            psc_mesh_peer mp = PSC_MESH_PEER_INIT;
            mp.peer_id = n->peer_ids[(t + p) % n->sc->peers];
            mp.score = 1.5;
            mp.time_in_mesh_ms = 10000;
            e = psc_topic_add_mesh_peer(tb, &mp);
        }
    }
    return e;
}

static psc_err peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    bench_node *n = user;
    static const char *const protos[] = {"/ipfs/kad/1.0.0", "/meshsub/1.1.0", "/ipfs/id/1.0.0"};
    for (size_t i = 0; i < n->sc->peerstore; i++) {
        const char *addr = n->conns[i % n->sc->conns].remote;
        psc_peer_info p = PSC_PEER_INFO_INIT;
        p.peer_id = n->peer_ids[i % n->sc->peers];
        p.addrs = &addr;
        p.n_addrs = 1;
        p.protocols = protos;
        p.n_protocols = 3;
        p.agent_version = "bench/1.0";
        p.latency_ewma_ns = 2000000;
        psc_err e = psc_peerstore_add_peer(b, &p);
        if (e)
            return e;
    }
    return PSC_OK;
}

psc_err bench_node_register(bench_node *n, psc_introspector *intro)
{
    static const psc_swarm_provider swarm = {sizeof swarm, "bench-swarm", swarm_collect, NULL};
    static const psc_dht_provider dht = {sizeof dht, "bench-dht", dht_collect, NULL};
    static const psc_pubsub_provider ps = {sizeof ps, "bench-pubsub", pubsub_collect, NULL};
    static const psc_peerstore_provider pst = {sizeof pst, "bench-peerstore", peerstore_collect, NULL};
    psc_err e = psc_register_swarm(intro, &swarm, n, NULL);
    if (!e && n->sc->dht_buckets)
        e = psc_register_dht(intro, &dht, n, NULL);
    if (!e && n->sc->topics)
        e = psc_register_pubsub(intro, &ps, n, NULL);
    if (!e && n->sc->peerstore)
        e = psc_register_peerstore(intro, &pst, n, NULL);
    return e;
}

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

const bench_scenario *bench_scenario_find(const char *name)
{
    for (size_t i = 0; i < bench_scenario_count; i++)
        if (!strcmp(bench_scenarios[i].name, name))
            return &bench_scenarios[i];
    return NULL;
}

static const char *const protocols[] = {
    "/ipfs/kad/1.0.0", "/meshsub/1.1.0", "/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ipfs/bitswap/1.2.0",
};

typedef char peer_id[PSC_PEERID_STR_MAX];

typedef struct bench_stream {
    uint64_t id;
    const char *protocol;
    psc_counter in, out;
} bench_stream;

typedef struct bench_conn {
    uint64_t id;
    size_t peer;
    uint64_t open_ts;
    char remote[64];
    psc_counter in, out;
    bench_stream *streams;
} bench_conn;

struct bench_node {
    const bench_scenario *sc;
    uint64_t rng;
    uint64_t born_ms;       /* wall clock when made: the base of every timestamp */
    uint64_t next_conn_id;
    peer_id *peer_ids;
    bench_conn *conns;
    size_t *dht_slots;      /* peer index of each DHT slot, bucket by bucket */
    peer_id *store_ids;     /* peerstore entries' own ids (replaced by churn) */
    char (*topic_names)[48];
    uint64_t *topic_msgs;
    double churn;           /* percent per snapshot */
    double churn_debt[4];   /* fractional entities carried to the next interval */
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void new_peer_id(uint64_t *rng, char *out, size_t len)
{
    uint8_t s[32], pk[32], sk[64];
    for (int j = 0; j < 4; j++) {
        uint64_t r = splitmix(rng);
        memcpy(s + 8 * j, &r, 8);
    }
    psc_ed25519_keypair_from_seed(s, pk, sk);
    psc_peerid_from_ed25519(pk, out, len);
}

static void conn_init(bench_node *n, bench_conn *c, size_t i)
{
    c->id = ++n->next_conn_id;
    c->peer = i % n->sc->peers;
    c->open_ts = n->born_ms - 60000 + (c->id % 1000);
    snprintf(c->remote, sizeof c->remote, "/ip4/203.0.%u.%u/tcp/4001", (unsigned)(c->id >> 8) & 255,
             (unsigned)c->id & 255);
    memset(&c->in, 0, sizeof c->in);
    memset(&c->out, 0, sizeof c->out);
    psc_counter_add(&c->in, splitmix(&n->rng) % 100000);
    psc_counter_add(&c->out, splitmix(&n->rng) % 100000);
    for (size_t j = 0; j < n->sc->streams_per_conn; j++) {
        bench_stream *s = &c->streams[j];
        memset(s, 0, sizeof *s);
        s->id = j + 1;
        s->protocol = protocols[j % 5];
        psc_counter_add(&s->in, splitmix(&n->rng) % 10000);
        psc_counter_add(&s->out, splitmix(&n->rng) % 10000);
    }
}

bench_node *bench_node_new(const bench_scenario *sc, uint64_t seed)
{
    bench_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->sc = sc;
    n->rng = seed;
    n->born_ms = psc_counter_now_ns() / 1000000u + 1700000000000ull;
    size_t dht_slots = sc->dht_buckets * sc->dht_peers_per_bucket;
    n->peer_ids = calloc(sc->peers, sizeof *n->peer_ids);
    n->conns = calloc(sc->conns, sizeof *n->conns);
    n->dht_slots = calloc(dht_slots ? dht_slots : 1, sizeof *n->dht_slots);
    n->store_ids = calloc(sc->peerstore ? sc->peerstore : 1, sizeof *n->store_ids);
    n->topic_names = calloc(sc->topics ? sc->topics : 1, sizeof *n->topic_names);
    n->topic_msgs = calloc(sc->topics ? sc->topics : 1, sizeof *n->topic_msgs);
    if (!n->peer_ids || !n->conns || !n->dht_slots || !n->store_ids || !n->topic_names || !n->topic_msgs) {
        bench_node_free(n);
        return NULL;
    }
    for (size_t i = 0; i < sc->peers; i++)
        new_peer_id(&n->rng, n->peer_ids[i], sizeof n->peer_ids[i]);
    for (size_t i = 0; i < sc->conns; i++) {
        n->conns[i].streams = calloc(sc->streams_per_conn ? sc->streams_per_conn : 1, sizeof(bench_stream));
        if (!n->conns[i].streams) {
            bench_node_free(n);
            return NULL;
        }
        conn_init(n, &n->conns[i], i);
    }
    for (size_t i = 0; i < dht_slots; i++)
        n->dht_slots[i] = i % sc->peers;
    for (size_t i = 0; i < sc->peerstore; i++)
        memcpy(n->store_ids[i], n->peer_ids[i % sc->peers], sizeof n->store_ids[i]);
    for (size_t t = 0; t < sc->topics; t++) {
        snprintf(n->topic_names[t], sizeof n->topic_names[t], "/chain/topic-%zu", t);
        n->topic_msgs[t] = 1000 + t;
    }
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
    free(n->dht_slots);
    free(n->store_ids);
    free(n->topic_names);
    free(n->topic_msgs);
    free(n);
}

psc_counter *bench_node_counter(bench_node *n, size_t conn)
{
    return &n->conns[conn % n->sc->conns].in;
}

/* ------------------------------------------------------------ churn */

void bench_node_set_churn(bench_node *n, double percent)
{
    n->churn = percent;
}

/* How many of total change this interval (fractions carry over). */
static size_t due(bench_node *n, int kind, size_t total)
{
    n->churn_debt[kind] += (double)total * n->churn / 100.0;
    size_t k = (size_t)n->churn_debt[kind];
    n->churn_debt[kind] -= (double)k;
    return k < total ? k : total;
}

static void churn(bench_node *n)
{
    const bench_scenario *sc = n->sc;
    if (n->churn <= 0)
        return;
    size_t k = due(n, 0, sc->conns);
    for (size_t i = 0; i < k; i++) {
        size_t at = splitmix(&n->rng) % sc->conns;
        conn_init(n, &n->conns[at], at); /* the old one vanishes (closes), a new one opens */
    }
    size_t slots = sc->dht_buckets * sc->dht_peers_per_bucket;
    k = due(n, 1, slots);
    for (size_t i = 0; i < k; i++)
        n->dht_slots[splitmix(&n->rng) % slots] = splitmix(&n->rng) % sc->peers;
    k = due(n, 2, sc->topics);
    for (size_t i = 0; i < k; i++)
        n->topic_msgs[splitmix(&n->rng) % sc->topics] += 1 + splitmix(&n->rng) % 100;
    k = due(n, 3, sc->peerstore);
    for (size_t i = 0; i < k; i++) {
        size_t at = splitmix(&n->rng) % sc->peerstore;
        new_peer_id(&n->rng, n->store_ids[at], sizeof n->store_ids[at]);
    }
}

/* ------------------------------------------------------------ providers */

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    bench_node *n = user;
    (void)ctx;
    /* the swarm provider is registered first: the node changes before anything reads it */
    churn(n);
    uint64_t now_ns = psc_counter_now_ns();
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
        pc.open_ts = c->open_ts;
        pc.upgraded_ts = c->open_ts + 10;
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
            ps.open_ts = c->open_ts + 1000;
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
    (void)ctx;
    psc_dht d = PSC_DHT_INIT;
    d.protocol = "/ipfs/kad/1.0.0";
    d.enabled = true;
    d.k = 20;
    d.alpha = 3;
    d.start_ts = n->born_ms - 3600000;
    psc_err e = psc_dht_set_info(b, &d);
    size_t per = n->sc->dht_peers_per_bucket;
    for (size_t bk = 0; !e && bk < n->sc->dht_buckets; bk++)
        for (size_t p = 0; !e && p < per; p++) {
            psc_dht_peer dp = PSC_DHT_PEER_INIT;
            dp.peer_id = n->peer_ids[n->dht_slots[bk * per + p]];
            dp.age_in_bucket_ms = (uint32_t)(p * 1000);
            e = psc_dht_add_peer(b, (uint32_t)bk, &dp);
        }
    return e;
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    bench_node *n = user;
    (void)ctx;
    psc_err e = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    for (size_t t = 0; !e && t < n->sc->topics; t++) {
        psc_topic tp = PSC_TOPIC_INIT;
        tp.name = n->topic_names[t];
        tp.subscribed = true;
        tp.peer_count = 30;
        tp.messages.received = n->topic_msgs[t];
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
    (void)ctx;
    static const char *const protos[] = {"/ipfs/kad/1.0.0", "/meshsub/1.1.0", "/ipfs/id/1.0.0"};
    for (size_t i = 0; i < n->sc->peerstore; i++) {
        const char *addr = n->conns[i % n->sc->conns].remote;
        psc_peer_info p = PSC_PEER_INFO_INIT;
        p.peer_id = n->store_ids[i];
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

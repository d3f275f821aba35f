#include <stdio.h>
#include <string.h>

#include "delta_world.h"

static uint64_t rnd(world *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int pick(world *w, int n)
{
    return n > 0 ? (int)(rnd(w) % (uint64_t)n) : 0;
}

static bool chance(world *w, int percent)
{
    return pick(w, 100) < percent;
}

/* ------------------------------------------------------------ entities */

static void conn_new(world *w, w_conn *c)
{
    memset(c, 0, sizeof *c);
    c->id = w->next_id++;
    c->n_streams = pick(w, W_STREAMS + 1);
    for (int i = 0; i < c->n_streams; i++) {
        c->stream_ids[i] = w->next_id++;
        c->stream_bytes[i] = rnd(w) % 5000;
    }
    c->bytes = rnd(w) % 100000;
}

static void bucket_peer(world *w, w_bucket *b, int i)
{
    snprintf(b->peers[i], sizeof b->peers[i], "Qm%u", (unsigned)w->next_id++);
    b->ages[i] = (uint32_t)(rnd(w) % 100000);
}

static void bucket_new(world *w, w_dht *d, w_bucket *b)
{
    /* cpls are distinct within a DHT (a bucket per cpl) */
    for (;;) {
        b->cpl = (uint32_t)pick(w, 257);
        bool used = false;
        for (int i = 0; i < d->n_buckets; i++)
            used = used || (&d->b[i] != b && d->b[i].cpl == b->cpl);
        if (!used)
            break;
    }
    b->n = pick(w, W_BPEERS + 1); /* empty buckets exist too */
    for (int i = 0; i < b->n; i++)
        bucket_peer(w, b, i);
}

static void topic_new(world *w, int i)
{
    snprintf(w->topics[i], sizeof w->topics[i], "/t/%u", (unsigned)w->next_id++);
    w->topic_msgs[i] = rnd(w) % 1000;
}

static void peer_new(world *w, int i)
{
    snprintf(w->peers[i], sizeof w->peers[i], "12D3Koo%u", (unsigned)w->next_id++);
    w->peer_latency[i] = rnd(w) % 1000000;
}

static void scope_new(world *w, int i)
{
    w->scope_kind[i] = (psc_scope_kind)pick(w, 7);
    /* system and transient scopes have no name; the rest are named */
    if (w->scope_kind[i] <= PSC_SCOPE_TRANSIENT)
        w->scope_kind[i] = PSC_SCOPE_PROTOCOL;
    snprintf(w->scope_name[i], sizeof w->scope_name[i], "/s/%u", (unsigned)w->next_id++);
    w->scope_mem[i] = rnd(w) % 4096;
}

void world_init(world *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->rng = seed;
    w->next_id = 1;
    w->n_conns = W_CONNS / 2;
    for (int i = 0; i < w->n_conns; i++)
        conn_new(w, &w->conns[i]);
    for (int k = 0; k < 2; k++) {
        w->dht[k].n_buckets = W_BUCKETS / 2;
        for (int i = 0; i < w->dht[k].n_buckets; i++)
            bucket_new(w, &w->dht[k], &w->dht[k].b[i]);
    }
    w->n_topics = W_TOPICS / 2;
    for (int i = 0; i < w->n_topics; i++)
        topic_new(w, i);
    w->n_peers = W_PEERS / 2;
    for (int i = 0; i < w->n_peers; i++)
        peer_new(w, i);
    w->n_scopes = W_SCOPES / 2;
    for (int i = 0; i < w->n_scopes; i++)
        scope_new(w, i);
    w->n_transports = 2;
}

/* ------------------------------------------------------------ the walk */

static void step_conns(world *w)
{
    int ops = pick(w, 4);
    for (int k = 0; k < ops; k++) {
        int i = pick(w, w->n_conns);
        switch (pick(w, 6)) {
        case 0:
            if (w->n_conns < W_CONNS)
                conn_new(w, &w->conns[w->n_conns++]);
            break;
        case 1: /* vanishes: retention reports it CLOSED once, then it is removed */
            if (w->n_conns)
                w->conns[i] = w->conns[--w->n_conns];
            break;
        case 2:
            if (w->n_conns)
                w->conns[i].bytes += 1 + rnd(w) % 1000;
            break;
        case 3: /* a stream opens or goes away */
            if (w->n_conns) {
                w_conn *c = &w->conns[i];
                if (c->n_streams < W_STREAMS && chance(w, 50)) {
                    c->stream_ids[c->n_streams] = w->next_id++;
                    c->stream_bytes[c->n_streams++] = 0;
                } else if (c->n_streams) {
                    int j = pick(w, c->n_streams);
                    c->stream_ids[j] = c->stream_ids[c->n_streams - 1];
                    c->stream_bytes[j] = c->stream_bytes[--c->n_streams];
                }
            }
            break;
        case 4:
            if (w->n_conns)
                w->conns[i].status = (psc_status)pick(w, 5);
            break;
        default:
            if (w->n_conns && w->conns[i].n_streams)
                w->conns[i].stream_bytes[0] += 7;
            break;
        }
    }
}

static void step_dht(world *w, w_dht *d)
{
    int i = pick(w, d->n_buckets);
    switch (pick(w, 7)) {
    case 0:
        if (d->n_buckets < W_BUCKETS) {
            bucket_new(w, d, &d->b[d->n_buckets]);
            d->n_buckets++;
        }
        break;
    case 1:
        if (d->n_buckets)
            d->b[i] = d->b[--d->n_buckets];
        break;
    case 2:
        if (d->n_buckets && d->b[i].n < W_BPEERS) {
            bucket_peer(w, &d->b[i], d->b[i].n);
            d->b[i].n++;
        }
        break;
    case 3:
        if (d->n_buckets && d->b[i].n)
            d->b[i].n--;
        break;
    case 4:
        if (d->n_buckets && d->b[i].n)
            d->b[i].ages[0] += 1000;
        break;
    case 5:
        d->queries++;
        break;
    default:
        break;
    }
}

static void topic_remove(world *w, int i)
{
    w->n_topics--;
    memcpy(w->topics[i], w->topics[w->n_topics], sizeof w->topics[i]);
    w->topic_msgs[i] = w->topic_msgs[w->n_topics];
}

static void peer_remove(world *w, int i)
{
    w->n_peers--;
    memcpy(w->peers[i], w->peers[w->n_peers], sizeof w->peers[i]);
    w->peer_latency[i] = w->peer_latency[w->n_peers];
}

static void scope_remove(world *w, int i)
{
    w->n_scopes--;
    w->scope_kind[i] = w->scope_kind[w->n_scopes];
    memcpy(w->scope_name[i], w->scope_name[w->n_scopes], sizeof w->scope_name[i]);
    w->scope_mem[i] = w->scope_mem[w->n_scopes];
}

/* Each keyed list: an entity added, removed or changed, or nothing. */
static void step_lists(world *w)
{
    int op = pick(w, 4), i = pick(w, w->n_topics);
    if (op == 0 && w->n_topics < W_TOPICS)
        topic_new(w, w->n_topics++);
    else if (op == 1 && w->n_topics)
        topic_remove(w, i);
    else if (op == 2 && w->n_topics)
        w->topic_msgs[i]++;

    op = pick(w, 4);
    i = pick(w, w->n_peers);
    if (op == 0 && w->n_peers < W_PEERS)
        peer_new(w, w->n_peers++);
    else if (op == 1 && w->n_peers)
        peer_remove(w, i);
    else if (op == 2 && w->n_peers)
        w->peer_latency[i] += 10;

    op = pick(w, 4);
    i = pick(w, w->n_scopes);
    if (op == 0 && w->n_scopes < W_SCOPES)
        scope_new(w, w->n_scopes++);
    else if (op == 1 && w->n_scopes)
        scope_remove(w, i);
    else if (op == 2 && w->n_scopes)
        w->scope_mem[i] += 64;
}

void world_step(world *w)
{
    step_conns(w);
    step_dht(w, &w->dht[0]);
    step_dht(w, &w->dht[1]);
    step_lists(w);
    if (chance(w, 30))
        w->custom += 0.5;
    if (chance(w, 30))
        w->identify++;
    if (chance(w, 10))
        w->n_transports = pick(w, 3);
    /* providers fail now and then, and recover */
    w->swarm_fail = chance(w, 8);
    w->dht[0].fail = chance(w, 10);
    w->dht[1].fail = chance(w, 10);
    w->pubsub_fail = chance(w, 10);
    w->peerstore_fail = chance(w, 10);
    w->rcmgr_fail = chance(w, 10);
}

void world_touch(world *w, int percent)
{
    for (int i = 0; i < w->n_conns; i++)
        if (chance(w, percent))
            w->conns[i].bytes += 100;
}

/* ------------------------------------------------------------ providers */

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    world *w = user;
    if (w->swarm_fail)
        return psc_collect_fail(ctx, "swarm is down");
    for (int i = 0; i < w->n_conns; i++) {
        const w_conn *c = &w->conns[i];
        char peer[24];
        snprintf(peer, sizeof peer, "peer-%u", (unsigned)(c->id % 7));
        psc_connection pc = PSC_CONNECTION_INIT;
        pc.id = (const uint8_t *)&c->id;
        pc.id_len = sizeof c->id;
        pc.peer_id = peer;
        pc.status = c->status;
        pc.open_ts = 1000 + c->id;
        pc.traffic.in.bytes = c->bytes;
        pc.multiplexer = "/yamux/1.0.0";
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e)
            return e;
        for (int j = 0; j < c->n_streams; j++) {
            psc_stream ps = PSC_STREAM_INIT;
            ps.id = (const uint8_t *)&c->stream_ids[j];
            ps.id_len = sizeof c->stream_ids[j];
            ps.protocol = "/ipfs/ping/1.0.0";
            ps.traffic.out.bytes = c->stream_bytes[j];
            if ((e = psc_conn_add_stream(cb, &ps)) != PSC_OK)
                return e;
        }
    }
    for (int t = 0; t < w->n_transports; t++) {
        static const char *const addrs[] = {"/ip4/0.0.0.0/tcp/4001"};
        uint8_t id = (uint8_t)t;
        psc_transport tr = PSC_TRANSPORT_INIT;
        tr.id = &id;
        tr.id_len = 1;
        tr.name = t ? "quic-v1" : "tcp";
        tr.listen_addrs = addrs;
        tr.n_listen_addrs = 1;
        tr.listening = true;
        psc_err e = psc_swarm_add_transport(b, &tr);
        if (e)
            return e;
    }
    psc_identify id = PSC_IDENTIFY_INIT;
    id.requests_in = w->identify;
    return psc_swarm_set_identify(b, &id);
}

/* The second swarm: one connection, which takes the first's id when asked. */
static psc_err swarm2_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    world *w = user;
    (void)ctx;
    uint32_t id = w->dup_conn && w->n_conns ? w->conns[0].id : 0xfffffff0u;
    psc_connection pc = PSC_CONNECTION_INIT;
    pc.id = (const uint8_t *)&id;
    pc.id_len = sizeof id;
    pc.peer_id = "other-swarm";
    return psc_swarm_add_connection(b, &pc, NULL);
}

static psc_err dht_collect(world *w, int k, psc_collect *ctx, psc_dht_builder *b)
{
    const w_dht *d = &w->dht[k];
    if (d->fail)
        return psc_collect_fail(ctx, "dht %d is down", k);
    psc_dht info = PSC_DHT_INIT;
    info.protocol = "/ipfs/kad/1.0.0";
    info.enabled = true;
    info.k = 20;
    info.incoming.success = d->queries;
    psc_err e = psc_dht_set_info(b, &info);
    for (int i = 0; !e && i < d->n_buckets; i++) {
        const w_bucket *bk = &d->b[i];
        if (!bk->n)
            e = psc_dht_add_bucket(b, bk->cpl);
        for (int j = 0; !e && j < bk->n; j++) {
            psc_dht_peer p = PSC_DHT_PEER_INIT;
            p.peer_id = bk->peers[j];
            p.age_in_bucket_ms = bk->ages[j];
            e = psc_dht_add_peer(b, bk->cpl, &p);
        }
    }
    return e;
}

static psc_err wan_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    return dht_collect(user, 0, ctx, b);
}

static psc_err lan_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    return dht_collect(user, 1, ctx, b);
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    world *w = user;
    if (w->pubsub_fail)
        return psc_collect_fail(ctx, "pubsub is down");
    psc_err e = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    for (int i = 0; !e && i < w->n_topics + (w->dup_topic && w->n_topics); i++) {
        psc_topic t = PSC_TOPIC_INIT;
        t.name = w->topics[i < w->n_topics ? i : 0];
        t.subscribed = true;
        t.messages.received = w->topic_msgs[i < w->n_topics ? i : 0];
        psc_topic_builder *tb;
        e = psc_pubsub_add_topic(b, &t, &tb);
        if (!e) {
            psc_mesh_peer mp = PSC_MESH_PEER_INIT;
            mp.peer_id = "peer-1";
            mp.score = 0.25 * i;
            e = psc_topic_add_mesh_peer(tb, &mp);
        }
    }
    return e;
}

static psc_err peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    world *w = user;
    if (w->peerstore_fail)
        return psc_collect_fail(ctx, "peerstore is down");
    static const char *const protos[] = {"/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"};
    for (int i = 0; i < w->n_peers; i++) {
        psc_peer_info p = PSC_PEER_INFO_INIT;
        p.peer_id = w->peers[i];
        p.protocols = protos;
        p.n_protocols = 2;
        p.latency_ewma_ns = w->peer_latency[i];
        psc_err e = psc_peerstore_add_peer(b, &p);
        if (e)
            return e;
    }
    return PSC_OK;
}

static psc_err rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    world *w = user;
    if (w->rcmgr_fail)
        return psc_collect_fail(ctx, "rcmgr is down");
    psc_resource_scope sys = PSC_RESOURCE_SCOPE_INIT;
    sys.kind = PSC_SCOPE_SYSTEM;
    sys.usage.conns_in = (uint64_t)w->n_conns;
    psc_err e = psc_rcmgr_add_scope(b, &sys);
    for (int i = 0; !e && i < w->n_scopes; i++) {
        psc_resource_scope s = PSC_RESOURCE_SCOPE_INIT;
        s.kind = w->scope_kind[i];
        s.name = w->scope_name[i];
        s.usage.memory = w->scope_mem[i];
        e = psc_rcmgr_add_scope(b, &s);
    }
    return e;
}

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    world *w = user;
    (void)ctx;
    psc_err e = psc_custom_add_number(b, "height", w->custom);
    return e ? e : psc_custom_add_text(b, "mode", "archive");
}

psc_err world_register(world *w, psc_introspector *intro)
{
    static const psc_swarm_provider swarm = {sizeof swarm, "swarm", swarm_collect, NULL};
    static const psc_swarm_provider swarm2 = {sizeof swarm2, "swarm2", swarm2_collect, NULL};
    static const psc_dht_provider wan = {sizeof wan, "wan", wan_collect, NULL};
    static const psc_dht_provider lan = {sizeof lan, "lan", lan_collect, NULL};
    static const psc_pubsub_provider ps = {sizeof ps, "pubsub", pubsub_collect, NULL};
    static const psc_peerstore_provider pst = {sizeof pst, "peerstore", peerstore_collect, NULL};
    static const psc_rcmgr_provider rc = {sizeof rc, "rcmgr", rcmgr_collect, NULL};
    static const psc_custom_provider cu = {sizeof cu, "chain", custom_collect, NULL};
    psc_err e;
    if ((e = psc_register_swarm(intro, &swarm, w, NULL)) || (e = psc_register_swarm(intro, &swarm2, w, NULL)) ||
        (e = psc_register_dht(intro, &wan, w, NULL)) || (e = psc_register_dht(intro, &lan, w, NULL)) ||
        (e = psc_register_pubsub(intro, &ps, w, NULL)) || (e = psc_register_peerstore(intro, &pst, w, NULL)) ||
        (e = psc_register_rcmgr(intro, &rc, w, NULL)))
        return e;
    return psc_register_custom(intro, &cu, w, NULL);
}

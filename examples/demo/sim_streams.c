/*
 * Streams: opening and closing them on real protocol ids, what each
 * protocol's traffic looks like, pings, and the byte and packet counts a
 * host's I/O path would make with psc_counter_add.
 */
#include <string.h>

#include "sim.h"

sim_stream *sim_stream_find(const sim_conn *c, uint64_t id)
{
    for (size_t i = 0; i < c->n_streams; i++)
        if (c->streams[i]->id == id)
            return c->streams[i];
    return NULL;
}

size_t sim_streams_open(const sim_node *n)
{
    size_t k = 0;
    for (size_t i = 0; i < n->n_conns; i++)
        k += n->conns[i]->open_streams;
    return k;
}

/* ----------------------------------------------------------- traffic */

/* Count what crossed stream s of connection c, as the host's read and
 * write paths would. Bytes of a relayed connection physically cross the
 * relay connection too, so they are counted there (once for the node). */
void sim_account(sim_node *n, sim_conn *c, sim_stream *s, uint64_t in, uint64_t out, unsigned packets)
{
    if (!in && !out)
        return;
    if (!packets)
        packets = 1;
    for (unsigned k = 0; k < packets; k++) {
        uint64_t pi = in / packets + (k == 0 ? in % packets : 0);
        uint64_t po = out / packets + (k == 0 ? out % packets : 0);
        if (pi) {
            if (s)
                psc_counter_add(&s->in, pi);
            psc_counter_add(&c->in, pi);
        }
        if (po) {
            if (s)
                psc_counter_add(&s->out, po);
            psc_counter_add(&c->out, po);
        }
    }
    if (c->relay_conn_id) {
        sim_conn *rc = sim_conn_find(n, c->relay_conn_id);
        if (!rc || rc->status != PSC_STATUS_ACTIVE)
            return;
        sim_stream *hop = sim_stream_find(rc, c->hop_stream_id);
        if (hop && hop->status == PSC_STATUS_ACTIVE) {
            if (in)
                psc_counter_add(&hop->in, in);
            if (out)
                psc_counter_add(&hop->out, out);
        }
        if (in)
            psc_counter_add(&rc->in, in);
        if (out)
            psc_counter_add(&rc->out, out);
    }
    if (in)
        psc_counter_add(&n->traffic_in, in);
    if (out)
        psc_counter_add(&n->traffic_out, out);
}

/* ----------------------------------------------------------- streams */

sim_stream *sim_stream_open(sim_node *n, sim_conn *c, sim_proto proto, psc_role role, uint32_t life)
{
    if (c->open_streams >= n->cfg.streams)
        return NULL;
    if (!sim_grow(n, (void **)&c->streams, &c->cap_streams, sizeof *c->streams, c->n_streams + 1)) {
        n->nomem++;
        return NULL;
    }
    sim_stream *s = sim_alloc(n, sizeof *s);
    if (!s) {
        n->nomem++;
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->id = ++c->next_stream_id;
    s->proto = (uint8_t)proto;
    s->role = role;
    s->status = PSC_STATUS_ACTIVE;
    s->open_ms = sim_node_now_ms(n);
    s->open_tick = n->tick;
    s->end_tick = life ? n->tick + life : 0;
    c->streams[c->n_streams++] = s;
    c->open_streams++;
    /* multistream-select negotiation */
    uint64_t neg = 20 + strlen(sim_proto_names[proto]);
    if (role == PSC_ROLE_INITIATOR)
        sim_account(n, c, s, neg, neg + 20, 2);
    else
        sim_account(n, c, s, neg + 20, neg, 2);
    return s;
}

void sim_stream_close(sim_node *n, sim_conn *c, sim_stream *s, const char *reason)
{
    if (s->status == PSC_STATUS_CLOSED)
        return;
    s->status = PSC_STATUS_CLOSED;
    s->close_ms = sim_node_now_ms(n);
    s->close_tick = n->tick;
    s->close_seq = ++n->close_seq;
    s->close_reason = reason;
    c->open_streams--;
}

/* ---------------------------------------------------- stream traffic */

static void stream_traffic(sim_node *n, sim_conn *c, sim_stream *s)
{
    sim_rng *r = &n->rng_streams;
    uint32_t age = n->tick - s->open_tick;
    switch (s->proto) {
    case SIM_P_MESHSUB: {
        /* steady gossip: a few messages and IHAVE/IWANT control frames */
        unsigned frames = (unsigned)sim_rng_range(r, 0, 3);
        uint64_t bytes = frames * sim_rng_range(r, 120, 1400);
        if (s->role == PSC_ROLE_RESPONDER)
            sim_account(n, c, s, bytes, frames ? 60 : 0, frames);
        else
            sim_account(n, c, s, frames ? 60 : 0, bytes, frames);
        break;
    }
    case SIM_P_BITSWAP:
        if (s->burst_left) {
            /* a block transfer, in muxer frames of up to 16 KiB */
            s->burst_left--;
            unsigned frames = (unsigned)sim_rng_range(r, 1, 4);
            sim_account(n, c, s, frames * sim_rng_range(r, 4096, 16384), 48, frames);
        } else if (sim_rng_chance(r, 0.01)) {
            s->burst_left = (uint32_t)sim_rng_range(r, 5, 30);
            sim_account(n, c, s, 0, sim_rng_range(r, 80, 600), 1); /* want list */
        }
        break;
    case SIM_P_KAD:
        if (age == 0)
            sim_account(n, c, s, 0, sim_rng_range(r, 80, 300), 1);
        else if (age == 1)
            sim_account(n, c, s, sim_rng_range(r, 400, 4000), 0, 2);
        break;
    case SIM_P_PING:
        sim_account(n, c, s, 32, 32, 1);
        break;
    case SIM_P_ID_PUSH:
        if (age == 0)
            sim_account(n, c, s, sim_rng_range(r, 300, 1500), 0, 1);
        break;
    case SIM_P_AUTONAT:
        if (age == 0)
            sim_account(n, c, s, 120, 180, 1);
        break;
    default:
        break;
    }
}

static sim_proto pick_stream_proto(sim_node *n, const sim_peer *p)
{
    /* weights of short-lived streams a host opens on a busy connection */
    static const struct {
        sim_proto proto;
        unsigned weight;
    } mix[] = {{SIM_P_KAD, 45}, {SIM_P_BITSWAP, 25}, {SIM_P_ID_PUSH, 5}, {SIM_P_AUTONAT, 5}};
    unsigned total = 0;
    for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
        if (sim_peer_speaks(p, mix[i].proto))
            total += mix[i].weight;
    if (!total)
        return SIM_P_COUNT;
    unsigned x = (unsigned)sim_rng_below(&n->rng_streams, total);
    for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++) {
        if (!sim_peer_speaks(p, mix[i].proto))
            continue;
        if (x < mix[i].weight)
            return mix[i].proto;
        x -= mix[i].weight;
    }
    return SIM_P_COUNT;
}

static uint32_t stream_life(sim_node *n, sim_proto proto)
{
    switch (proto) {
    case SIM_P_KAD:
        return (uint32_t)sim_rng_range(&n->rng_streams, 2, 20);
    case SIM_P_BITSWAP:
        return (uint32_t)sim_rng_range(&n->rng_streams, 20, 150);
    case SIM_P_AUTONAT:
        return (uint32_t)sim_rng_range(&n->rng_streams, 3, 10);
    default:
        return (uint32_t)sim_rng_range(&n->rng_streams, 1, 2);
    }
}

static void ping(sim_node *n, sim_conn *c)
{
    sim_peer *p = &n->peers[c->peer];
    p->next_ping_tick = n->tick + SIM_PING_EVERY_TICKS;
    n->pings_sent++;
    sim_stream *s = sim_stream_open(n, c, SIM_P_PING, PSC_ROLE_INITIATOR, 1);
    if (sim_rng_chance(&n->rng_streams, 0.01)) {
        n->ping_failures++;
        if (s)
            sim_stream_close(n, c, s, "ping timeout");
        return;
    }
    double jitter = 0.8 + 0.7 * sim_rng_unit(&n->rng_streams);
    uint64_t rtt = (uint64_t)((double)p->rtt_us * 1000.0 * jitter);
    p->ping_last_ns = rtt;
    p->ping_avg_ns = p->ping_avg_ns ? (p->ping_avg_ns * 7 + rtt) / 8 : rtt;
    p->latency_ewma_ns = p->latency_ewma_ns ? (p->latency_ewma_ns * 9 + rtt) / 10 : rtt;
}

/* One tick of an ACTIVE connection's streams: the due ones end, the others
 * carry traffic, maybe a new one opens, and the peer is pinged when due. */
void sim_streams_tick(sim_node *n, sim_conn *c)
{
    sim_peer *p = &n->peers[c->peer];
    for (size_t j = 0; j < c->n_streams; j++) {
        sim_stream *s = c->streams[j];
        if (s->status != PSC_STATUS_ACTIVE)
            continue;
        if (s->end_tick && n->tick >= s->end_tick) {
            sim_stream_close(n, c, s, sim_rng_chance(&n->rng_streams, 0.03) ? "stream reset" : "EOF");
            continue;
        }
        stream_traffic(n, c, s);
    }
    if (c->open_streams < n->cfg.streams && sim_rng_chance(&n->rng_streams, 0.15)) {
        sim_proto proto = pick_stream_proto(n, p);
        if (proto != SIM_P_COUNT) {
            psc_role role = sim_rng_chance(&n->rng_streams, 0.5) ? PSC_ROLE_INITIATOR : PSC_ROLE_RESPONDER;
            sim_stream *s = sim_stream_open(n, c, proto, role, stream_life(n, proto));
            if (s && proto == SIM_P_BITSWAP && sim_rng_chance(&n->rng_streams, 0.5))
                s->burst_left = (uint32_t)sim_rng_range(&n->rng_streams, 3, 20);
            if (s && proto == SIM_P_ID_PUSH)
                n->identify.pushes_in++;
        }
    }
    if (p->next_ping_tick && n->tick >= p->next_ping_tick)
        ping(n, c);
}

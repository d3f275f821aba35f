#include <string.h>

#include "view.h"

static void *alloc_array(const sim_node *n, size_t count, size_t elem, bool *ok)
{
    if (!*ok || count == 0)
        return NULL;
    if (count > SIZE_MAX / elem) {
        *ok = false;
        return NULL;
    }
    void *p = sim_alloc(n, count * elem);
    if (!p)
        *ok = false;
    return p;
}

static void read_traffic(psc_counter *in, psc_counter *out, uint64_t now_ns, bool closed, psc_traffic *t)
{
    psc_counter_read(in, now_ns, &t->in);
    psc_counter_read(out, now_ns, &t->out);
    if (closed) {
        /* nothing flows on a closed connection, whatever the last estimate */
        t->in.rate = 0;
        t->out.rate = 0;
    }
}

static void copy_conns(sim_node *n, demo_view *v, uint64_t now_ns)
{
    size_t si = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        sim_conn *c = n->conns[i];
        view_conn *vc = &v->conns[i];
        vc->id = c->id;
        vc->peer = c->peer;
        vc->status = c->status;
        vc->role = c->role;
        vc->transport = c->transport;
        vc->security = c->security;
        vc->muxer = c->muxer;
        vc->punched = c->punched;
        vc->reservation = c->reservation;
        memcpy(vc->local_addr, c->local_addr, sizeof vc->local_addr);
        memcpy(vc->remote_addr, c->remote_addr, sizeof vc->remote_addr);
        vc->open_ms = c->open_ms;
        vc->upgraded_ms = c->upgraded_ms;
        vc->close_ms = c->close_ms;
        read_traffic(&c->in, &c->out, now_ns, c->status == PSC_STATUS_CLOSED, &vc->traffic);
        vc->latency_ns = (uint64_t)n->peers[c->peer].rtt_us * 1000u;
        vc->relay_conn_id = c->relay_conn_id;
        vc->close_reason = c->status == PSC_STATUS_CLOSED || c->status == PSC_STATUS_CLOSING ? c->close_reason : NULL;
        vc->open_streams = c->open_streams;
        vc->first_stream = si;
        vc->n_streams = c->n_streams;
        for (size_t j = 0; j < c->n_streams; j++) {
            sim_stream *s = c->streams[j];
            view_stream *vs = &v->streams[si++];
            vs->id = s->id;
            vs->proto = s->proto;
            vs->role = s->role;
            vs->status = s->status;
            vs->open_ms = s->open_ms;
            vs->close_ms = s->close_ms;
            read_traffic(&s->in, &s->out, now_ns, s->status == PSC_STATUS_CLOSED, &vs->traffic);
            vs->close_reason = s->status == PSC_STATUS_CLOSED ? s->close_reason : NULL;
        }
    }
}

static void copy_dht(const sim_node *n, demo_view *v)
{
    const sim_dht *d = n->dht;
    size_t k = 0;
    uint32_t top = 0;
    for (unsigned c = 0; c <= KAD_MAX_CPL; c++) {
        const sim_bucket *b = &d->buckets[c];
        const sim_rt_entry *groups[3] = {b->members, b->cands, b->rejected};
        uint8_t counts[3] = {b->n_members, b->n_cands, b->n_rejected};
        for (int g = 0; g < 3; g++) {
            for (uint8_t i = 0; i < counts[g]; i++) {
                const sim_rt_entry *e = &groups[g][i];
                view_dht_peer *vp = &v->dht[k++];
                vp->cpl = c;
                vp->peer = e->peer;
                vp->status = (psc_dht_peer_status)e->status;
                uint64_t age = (uint64_t)(n->tick - e->added_tick) * n->cfg.tick_ms;
                vp->age_ms = age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
                top = c + 1;
            }
        }
        v->rt_size += b->n_members;
    }
    v->n_dht = k;
    v->dht_buckets = top;
    v->dht_in = d->incoming;
    v->dht_out = d->outgoing;
    v->dht_start_ms = d->start_ms;
}

static void copy_pubsub(const sim_node *n, demo_view *v)
{
    size_t mi = 0, fi = 0;
    for (uint32_t t = 0; t < n->n_topics; t++) {
        const sim_topic *tp = &n->topics[t];
        view_topic *vt = &v->topics[t];
        vt->topic = t;
        vt->subscribed = tp->subscribed;
        vt->peer_count = tp->peer_count;
        vt->msgs = tp->msgs;
        vt->bytes = tp->bytes;
        vt->first_mesh = mi;
        vt->n_mesh = tp->n_mesh;
        for (uint8_t i = 0; i < tp->n_mesh; i++) {
            view_mesh *m = &v->mesh[mi++];
            m->peer = tp->mesh[i].peer;
            m->score = tp->mesh[i].score;
            m->time_ms = (uint64_t)(n->tick - tp->mesh[i].since_tick) * n->cfg.tick_ms;
        }
        vt->first_fanout = fi;
        vt->n_fanout = tp->n_fanout;
        for (uint8_t i = 0; i < tp->n_fanout; i++)
            v->fanout[fi++] = tp->fanout[i];
    }
    v->n_topics = n->n_topics;
    v->n_mesh = mi;
    v->n_fanout = fi;
}

static void copy_peers(const sim_node *n, demo_view *v)
{
    size_t k = 0, pk = 0;
    for (uint32_t i = 0; i < n->n_peers; i++) {
        const sim_peer *p = &n->peers[i];
        if (p->n_active)
            v->connected_peers++;
        if (p->known) {
            view_peer *vp = &v->peers[k++];
            vp->peer = i;
            vp->first_seen_ms = p->first_seen_ms;
            /* a connected peer is being seen right now */
            vp->last_seen_ms = p->n_active ? v->now_ms : p->last_seen_ms;
            vp->latency_ewma_ns = p->latency_ewma_ns;
            vp->in_rt = p->in_rt;
            vp->connected = p->n_active > 0;
            vp->mesh_topics = p->mesh_topics;
            for (uint32_t r = 0; r < n->n_reservations; r++)
                vp->reservation |= n->reservations[r] == i;
        }
        if (p->n_active && p->ping_last_ns) {
            view_ping *vp = &v->pings[pk++];
            vp->peer = i;
            vp->last_ns = p->ping_last_ns;
            vp->avg_ns = p->ping_avg_ns;
        }
    }
    v->n_peers = k;
    v->n_pings = pk;
}

psc_err demo_view_new(sim_node *n, uint64_t now_ns, demo_view **out)
{
    demo_view *v = sim_alloc(n, sizeof *v);
    if (!v)
        return PSC_ERR_NOMEM;
    memset(v, 0, sizeof *v);
    v->node = n;

    size_t n_streams = 0, n_dht = 0, n_mesh = 0, n_fanout = 0, n_known = 0, n_pings = 0;
    for (size_t i = 0; i < n->n_conns; i++)
        n_streams += n->conns[i]->n_streams;
    for (unsigned c = 0; c <= KAD_MAX_CPL; c++) {
        const sim_bucket *b = &n->dht->buckets[c];
        n_dht += (size_t)b->n_members + b->n_cands + b->n_rejected;
    }
    for (uint32_t t = 0; t < n->n_topics; t++) {
        n_mesh += n->topics[t].n_mesh;
        n_fanout += n->topics[t].n_fanout;
    }
    for (uint32_t i = 0; i < n->n_peers; i++) {
        n_known += n->peers[i].known;
        n_pings += n->peers[i].n_active && n->peers[i].ping_last_ns;
    }

    bool ok = true;
    v->conns = alloc_array(n, n->n_conns, sizeof *v->conns, &ok);
    v->streams = alloc_array(n, n_streams, sizeof *v->streams, &ok);
    v->dht = alloc_array(n, n_dht, sizeof *v->dht, &ok);
    v->topics = alloc_array(n, n->n_topics, sizeof *v->topics, &ok);
    v->mesh = alloc_array(n, n_mesh, sizeof *v->mesh, &ok);
    v->fanout = alloc_array(n, n_fanout, sizeof *v->fanout, &ok);
    v->peers = alloc_array(n, n_known, sizeof *v->peers, &ok);
    v->pings = alloc_array(n, n_pings, sizeof *v->pings, &ok);
    v->dials = alloc_array(n, n->n_dials, sizeof *v->dials, &ok);
    if (!ok) {
        demo_view_free(v);
        return PSC_ERR_NOMEM;
    }
    if (v->conns)
        memset(v->conns, 0, n->n_conns * sizeof *v->conns);
    if (v->peers)
        memset(v->peers, 0, n_known * sizeof *v->peers);

    v->close_upto = n->close_seq;
    v->now_ms = sim_node_now_ms(n);
    v->tick = n->tick;
    v->n_conns = n->n_conns;
    v->n_streams = n_streams;
    copy_conns(n, v, now_ns);
    copy_dht(n, v);
    copy_pubsub(n, v);
    copy_peers(n, v);

    for (size_t i = 0; i < n->n_dials; i++) {
        v->dials[i].peer = n->dials[i].peer;
        v->dials[i].addr = n->dials[i].addr;
        v->dials[i].start_ms = n->dials[i].start_ms;
    }
    v->n_dials = n->n_dials;
    v->dialer = n->dialer;
    v->dialer.in_flight = (uint32_t)n->n_dials;
    v->identify = n->identify;
    v->relay = n->relay;
    memcpy(v->reservations, n->reservations, sizeof v->reservations);
    v->n_reservations = n->n_reservations;
    v->pings_sent = n->pings_sent;
    v->ping_failures = n->ping_failures;
    read_traffic(&n->traffic_in, &n->traffic_out, now_ns, false, &v->traffic);

    v->height = n->height;
    v->sync_target = n->sync_target;
    v->mempool = n->mempool;
    memcpy(v->head, n->head, sizeof v->head);
    v->syncing = n->syncing;
    v->synced = n->synced;
    *out = v;
    return PSC_OK;
}

void demo_view_free(demo_view *v)
{
    if (!v)
        return;
    const sim_node *n = v->node;
    sim_free(n, v->conns);
    sim_free(n, v->streams);
    sim_free(n, v->dht);
    sim_free(n, v->topics);
    sim_free(n, v->mesh);
    sim_free(n, v->fanout);
    sim_free(n, v->peers);
    sim_free(n, v->pings);
    sim_free(n, v->dials);
    sim_free(n, v);
}

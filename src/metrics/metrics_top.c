/*
 * The opt-in top-K peers family: the K peers that moved the most bytes
 * over the connections in the state (in + out), each with its in and out.
 * K is capped (PSC__METRICS_TOP_PEERS_MAX) so that a node with 10,000
 * peers still makes a bounded number of series.
 */
#include "metrics/metrics_int.h"

#include <stdlib.h>

typedef struct peer_bytes {
    const char *peer;
    uint64_t in, out;
} peer_bytes;

static int by_peer(const void *a, const void *b)
{
    return strcmp(((const peer_bytes *)a)->peer, ((const peer_bytes *)b)->peer);
}

/* Most bytes first; ties by peer id, so the cut is the same every time. */
static int by_bytes(const void *a, const void *b)
{
    const peer_bytes *x = a, *y = b;
    uint64_t tx = x->in + x->out, ty = y->in + y->out;
    if (tx != ty)
        return tx > ty ? -1 : 1;
    return strcmp(x->peer, y->peer);
}

psc_err psc__metrics_add_top_peers(psc__metrics *m, const Peerscope__State *st)
{
    const Peerscope__Subsystems *sub = st->subsystems;
    if (!sub || !sub->n_connections)
        return PSC_OK;
    peer_bytes *v = psc__calloc(&m->alloc, sub->n_connections, sizeof *v);
    if (!v)
        return PSC_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < sub->n_connections; i++) {
        const Peerscope__Connection *c = sub->connections[i];
        if (!c->peer_id || !*c->peer_id)
            continue;
        v[n].peer = c->peer_id;
        if (c->traffic) {
            v[n].in = c->traffic->traffic_in ? c->traffic->traffic_in->cum_bytes : 0;
            v[n].out = c->traffic->traffic_out ? c->traffic->traffic_out->cum_bytes : 0;
        }
        n++;
    }
    /* one entry per peer (a peer may have several connections) */
    qsort(v, n, sizeof *v, by_peer);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && !strcmp(v[u - 1].peer, v[i].peer)) {
            v[u - 1].in += v[i].in;
            v[u - 1].out += v[i].out;
        } else {
            v[u++] = v[i];
        }
    }
    qsort(v, u, sizeof *v, by_bytes);
    size_t k = u < m->top_peers ? u : m->top_peers;
    psc_err e = PSC_OK;
    for (size_t i = 0; i < k && e == PSC_OK; i++) {
        psc__lb_add(m, "peer", v[i].peer);
        psc__lb_add(m, "direction", "in");
        e = psc__metrics_put(m, PSC__FAM_PEER_BYTES, (double)v[i].in);
        if (e != PSC_OK)
            break;
        psc__lb_add(m, "peer", v[i].peer);
        psc__lb_add(m, "direction", "out");
        e = psc__metrics_put(m, PSC__FAM_PEER_BYTES, (double)v[i].out);
    }
    psc__free(&m->alloc, v);
    return e;
}

/*
 * Connections and streams, summed before they become series. They are
 * counted by (name, role, status) in a table keyed by the raw bytes of
 * the name: 100,000 streams cost a hash of their protocol each, and only
 * the few distinct tuples are escaped and put as series. Both ways in
 * use it: a decoded tree (psc__metrics_add) and the encoded connections
 * walked in place (metrics_walk.c).
 *
 * The opt-in top-K peers family is made here too: the K peers that moved
 * the most bytes over the connections (in + out), capped at
 * PSC__METRICS_TOP_PEERS_MAX so that a node with 10,000 peers still makes
 * a bounded number of series.
 */
#include "metrics/metrics_int.h"

#include <stdlib.h>

static uint64_t tuple_hash(const char *s, size_t len, uint32_t role, uint32_t status)
{
    uint64_t h = 1469598103934665603ull ^ ((uint64_t)role << 8 | status);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void tuples_free(const psc__alloc *a, psc__tuples *t)
{
    psc__free(a, t->v);
    psc__free(a, t->slots);
}

static psc__tuple *tuple_get(const psc__alloc *a, psc__tuples *t, const char *name, size_t len, uint32_t role,
                             uint32_t status)
{
    if (!len) {
        name = "unknown";
        len = 7;
    }
    uint64_t h = tuple_hash(name, len, role, status);
    if ((t->n + 1) * 2 > t->n_slots) {
        size_t n_slots = t->n_slots ? t->n_slots * 2 : 32;
        uint32_t *slots = psc__calloc(a, n_slots, sizeof *slots);
        if (!slots)
            return NULL;
        for (size_t i = 0; i < t->n; i++) {
            size_t at = (size_t)t->v[i].hash & (n_slots - 1);
            while (slots[at])
                at = (at + 1) & (n_slots - 1);
            slots[at] = (uint32_t)(i + 1);
        }
        psc__free(a, t->slots);
        t->slots = slots;
        t->n_slots = n_slots;
    }
    size_t at = (size_t)h & (t->n_slots - 1);
    for (; t->slots[at]; at = (at + 1) & (t->n_slots - 1)) {
        psc__tuple *x = &t->v[t->slots[at] - 1];
        if (x->hash == h && x->role == role && x->status == status && x->len == len && !memcmp(x->name, name, len))
            return x;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        psc__tuple *v = psc__malloc(a, cap * sizeof *v);
        if (!v)
            return NULL;
        if (t->n)
            memcpy(v, t->v, t->n * sizeof *v);
        psc__free(a, t->v);
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n] = (psc__tuple){name, len, role, status, h, 0, 0, 0};
    t->slots[at] = (uint32_t)(t->n + 1);
    return &t->v[t->n++];
}

void psc__acc_init(psc__conn_acc *acc, const psc__alloc *a, bool peers)
{
    memset(acc, 0, sizeof *acc);
    acc->alloc = a;
    acc->want_peers = peers;
}

void psc__acc_fini(psc__conn_acc *acc)
{
    tuples_free(acc->alloc, &acc->conns);
    tuples_free(acc->alloc, &acc->streams);
    psc__free(acc->alloc, acc->peers);
}

psc_err psc__acc_conn(psc__conn_acc *acc, const char *transport, size_t tlen, uint32_t role, uint32_t status,
                      uint64_t in, uint64_t out, const char *peer, size_t plen)
{
    psc__tuple *x = tuple_get(acc->alloc, &acc->conns, transport, tlen, role, status);
    if (!x)
        return PSC_ERR_NOMEM;
    x->count += 1;
    x->in += (double)in;
    x->out += (double)out;
    if (!acc->want_peers || !plen)
        return PSC_OK;
    if (acc->n_peers == acc->cap_peers) {
        size_t cap = acc->cap_peers ? acc->cap_peers * 2 : 64;
        psc__peer_bytes *v = psc__malloc(acc->alloc, cap * sizeof *v);
        if (!v)
            return PSC_ERR_NOMEM;
        if (acc->n_peers)
            memcpy(v, acc->peers, acc->n_peers * sizeof *v);
        psc__free(acc->alloc, acc->peers);
        acc->peers = v;
        acc->cap_peers = cap;
    }
    acc->peers[acc->n_peers++] = (psc__peer_bytes){peer, plen, in, out};
    return PSC_OK;
}

psc_err psc__acc_stream(psc__conn_acc *acc, const char *protocol, size_t plen, uint32_t role, uint32_t status,
                        uint64_t in, uint64_t out)
{
    psc__tuple *x = tuple_get(acc->alloc, &acc->streams, protocol, plen, role, status);
    if (!x)
        return PSC_ERR_NOMEM;
    x->count += 1;
    x->in += (double)in;
    x->out += (double)out;
    return PSC_OK;
}

const char *psc__status_name(uint32_t s)
{
    static const char *const names[] = {"active", "closed", "opening", "closing", "error"};
    return s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *psc__direction_name(uint32_t role)
{
    /* who opened it: we did (outbound) or the remote did (inbound) */
    return role == PEERSCOPE__ROLE__RESPONDER ? "inbound" : "outbound";
}

const char *psc__transport_by_id(const Peerscope__Subsystems *sub, const uint8_t *id, size_t len, size_t *name_len)
{
    for (size_t i = 0; sub && len && i < sub->n_transports; i++) {
        const Peerscope__Transport *t = sub->transports[i];
        if (t->id.len == len && !memcmp(t->id.data, id, len) && t->name) {
            *name_len = strlen(t->name);
            return t->name;
        }
    }
    *name_len = 0;
    return "";
}

/* The tuples as series: counts by name, direction and status; bytes by name and direction. */
static psc_err put_tuples(psc__metrics *m, const psc__tuples *t, const char *label, psc__fam count_fam,
                          psc__fam bytes_fam)
{
    for (size_t i = 0; i < t->n; i++) {
        const psc__tuple *x = &t->v[i];
        psc_err e;
        psc__lb_addn(m, label, x->name, x->len);
        psc__lb_add(m, "direction", psc__direction_name(x->role));
        psc__lb_add(m, "status", psc__status_name(x->status));
        if ((e = psc__metrics_put(m, count_fam, x->count)) != PSC_OK)
            return e;
        psc__lb_addn(m, label, x->name, x->len);
        psc__lb_add(m, "direction", "in");
        if ((e = psc__metrics_put(m, bytes_fam, x->in)) != PSC_OK)
            return e;
        psc__lb_addn(m, label, x->name, x->len);
        psc__lb_add(m, "direction", "out");
        if ((e = psc__metrics_put(m, bytes_fam, x->out)) != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static int peer_cmp(const psc__peer_bytes *x, const psc__peer_bytes *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->peer, y->peer, n);
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static int by_peer(const void *a, const void *b)
{
    return peer_cmp(a, b);
}

/* Most bytes first; ties by peer id, so the cut is the same every time. */
static int by_bytes(const void *a, const void *b)
{
    const psc__peer_bytes *x = a, *y = b;
    uint64_t tx = x->in + x->out, ty = y->in + y->out;
    if (tx != ty)
        return tx > ty ? -1 : 1;
    return peer_cmp(x, y);
}

static psc_err put_top_peers(psc__metrics *m, psc__conn_acc *acc)
{
    psc__peer_bytes *v = acc->peers;
    size_t n = acc->n_peers;
    if (!n)
        return PSC_OK;
    /* one entry per peer (a peer may have several connections) */
    qsort(v, n, sizeof *v, by_peer);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && !peer_cmp(&v[u - 1], &v[i])) {
            v[u - 1].in += v[i].in;
            v[u - 1].out += v[i].out;
        } else {
            v[u++] = v[i];
        }
    }
    qsort(v, u, sizeof *v, by_bytes);
    size_t k = u < m->top_peers ? u : m->top_peers;
    for (size_t i = 0; i < k; i++) {
        psc_err e;
        psc__lb_addn(m, "peer", v[i].peer, v[i].len);
        psc__lb_add(m, "direction", "in");
        if ((e = psc__metrics_put(m, PSC__FAM_PEER_BYTES, (double)v[i].in)) != PSC_OK)
            return e;
        psc__lb_addn(m, "peer", v[i].peer, v[i].len);
        psc__lb_add(m, "direction", "out");
        if ((e = psc__metrics_put(m, PSC__FAM_PEER_BYTES, (double)v[i].out)) != PSC_OK)
            return e;
    }
    return PSC_OK;
}

psc_err psc__acc_put(psc__metrics *m, psc__conn_acc *acc)
{
    psc_err e = put_tuples(m, &acc->conns, "transport", PSC__FAM_CONNECTIONS, PSC__FAM_CONNECTION_BYTES);
    if (e == PSC_OK)
        e = put_tuples(m, &acc->streams, "protocol", PSC__FAM_STREAMS, PSC__FAM_STREAM_BYTES);
    if (e == PSC_OK && m->top_peers)
        e = put_top_peers(m, acc);
    return e;
}

static uint64_t cum(const Peerscope__Traffic *t, bool in)
{
    const Peerscope__DataGauge *g = t ? (in ? t->traffic_in : t->traffic_out) : NULL;
    return g ? g->cum_bytes : 0;
}

psc_err psc__acc_tree(psc__conn_acc *acc, const Peerscope__Subsystems *sub)
{
    for (size_t i = 0; sub && i < sub->n_connections; i++) {
        const Peerscope__Connection *c = sub->connections[i];
        const char *tr = c->transport_name ? c->transport_name : "";
        size_t tl = strlen(tr);
        if (!tl)
            tr = psc__transport_by_id(sub, c->transport_id.data, c->transport_id.len, &tl);
        const char *peer = c->peer_id ? c->peer_id : "";
        psc_err e = psc__acc_conn(acc, tr, tl, (uint32_t)c->role, (uint32_t)c->status, cum(c->traffic, true),
                                  cum(c->traffic, false), peer, strlen(peer));
        for (size_t j = 0; e == PSC_OK && c->streams && j < c->streams->n_streams; j++) {
            const Peerscope__Stream *s = c->streams->streams[j];
            const char *proto = s->protocol ? s->protocol : "";
            e = psc__acc_stream(acc, proto, strlen(proto), (uint32_t)s->role, (uint32_t)s->status,
                                cum(s->traffic, true), cum(s->traffic, false));
        }
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

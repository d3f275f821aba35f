/* Finishing a collected snapshot: totals, State.traffic and the view's indexes. */
#include "core/collect.h"

static void add_gauge(psc_gauge_value *t, const psc_gauge_value *g)
{
    t->bytes += g->bytes;
    t->packets += g->packets;
    t->rate += g->rate;
}

psc_err psc__finalize(psc__build *bld)
{
    psc__snap *s = bld->snap;
    psc__arena *ar = bld->arena;

    size_t n_streams = 0;
    PSC__EACH(psc__conn_rec, c, s->conns) {
        if (c->streams.n > SIZE_MAX / sizeof(void *) - n_streams)
            return PSC_ERR_NOMEM;
        n_streams += c->streams.n;
    }
    if (s->conns.n > SIZE_MAX / sizeof(void *) || s->errors.n > SIZE_MAX / sizeof(void *))
        return PSC_ERR_NOMEM;
    psc__conn_rec **conns = psc__arena_alloc(ar, s->conns.n * sizeof *conns);
    psc__stream_rec **streams = psc__arena_alloc(ar, n_streams * sizeof *streams);
    psc__error_rec **errors = psc__arena_alloc(ar, s->errors.n * sizeof *errors);
    if (!conns || !streams || !errors)
        return PSC_ERR_NOMEM;

    /* Only connections are walked here: the size pass visits every stream
     * anyway, so it fills each connection's stream_index slice and counts
     * its open streams (psc__state_pb_size must run before the view is used). */
    psc_traffic sum = {{0, 0, 0}, {0, 0, 0}};
    size_t ci = 0, si = 0;
    PSC__EACH(psc__conn_rec, c, s->conns) {
        conns[ci++] = c;
        c->stream_index = streams + si;
        si += c->streams.n;
        if (c->status == PSC_STATUS_CLOSED)
            s->n_closed++;
        add_gauge(&sum.in, &c->traffic.in);
        add_gauge(&sum.out, &c->traffic.out);
    }
    s->conn_index = conns;
    s->n_streams = n_streams;

    size_t ei = 0;
    PSC__EACH(psc__error_rec, e, s->errors)
        errors[ei++] = e;
    s->error_index = errors;

    if (!s->has_traffic)
        s->traffic = sum;

    s->n_dht_peers = s->dht ? s->dht->n_peers : 0;
    PSC__EACH(psc__dht_rec, d, s->extra_dhts)
        s->n_dht_peers += d->n_peers;
    return PSC_OK;
}

/* DHT builder: the table's description and its peers, bucketed by common prefix length. */
#include <stddef.h>

#include "core/records.h"

psc_err psc_dht_set_info(psc_dht_builder *b, const psc_dht *dht)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_dht in;
    psc_err e = psc__copy_in(&in, sizeof in, dht, sizeof(size_t));
    if (e != PSC_OK)
        return e;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark = psc__arena_mark_get(ar);
    psc__str name, protocol;
    if ((e = psc__copy_str(ar, in.name, &name)) != PSC_OK ||
        (e = psc__copy_str(ar, in.protocol, &protocol)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    psc__dht_rec *d = b->dht;
    d->name = name;
    d->protocol = protocol;
    d->enabled = in.enabled;
    d->start_ts = in.start_ts;
    d->k = in.k;
    d->alpha = in.alpha;
    d->disjoint_paths = in.disjoint_paths;
    d->beta = in.beta;
    d->incoming = in.incoming;
    d->outgoing = in.outgoing;
    b->info_set = true;
    return PSC_OK;
}

static psc__bucket_rec *bucket_get(psc_dht_builder *b, uint32_t cpl)
{
    psc__dht_rec *d = b->dht;
    psc__arena *ar = b->bld->arena;
    if (!d->by_cpl) {
        d->by_cpl = psc__arena_zalloc(ar, (PSC__DHT_MAX_CPL + 1) * sizeof(psc__bucket_rec *));
        if (!d->by_cpl)
            return NULL;
    }
    if (!d->by_cpl[cpl]) {
        psc__bucket_rec *k = psc__arena_zalloc(ar, sizeof *k);
        if (!k)
            return NULL;
        k->cpl = cpl;
        d->by_cpl[cpl] = k;
    }
    return d->by_cpl[cpl];
}

psc_err psc_dht_add_bucket(psc_dht_builder *b, uint32_t cpl)
{
    if (!b || cpl > PSC__DHT_MAX_CPL)
        return PSC_ERR_INVALID;
    return bucket_get(b, cpl) ? PSC_OK : PSC_ERR_NOMEM;
}

psc_err psc_dht_add_peer(psc_dht_builder *b, uint32_t cpl, const psc_dht_peer *peer)
{
    if (!b || cpl > PSC__DHT_MAX_CPL)
        return PSC_ERR_INVALID;
    psc_dht_peer in;
    psc_err e = psc__copy_in(&in, sizeof in, peer, PSC__END_OF(psc_dht_peer, peer_id));
    if (e != PSC_OK)
        return e;
    if (!in.peer_id || (unsigned)in.status > PSC_DHT_PEER_CANDIDATE)
        return PSC_ERR_INVALID;
    psc__dht_rec *d = b->dht;
    bool had_index = d->by_cpl != NULL;
    bool had_bucket = had_index && d->by_cpl[cpl] != NULL;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__dht_peer_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    psc__bucket_rec *k = NULL;
    if ((e = psc__copy_str(ar, in.peer_id, &r->peer_id)) != PSC_OK || !(k = bucket_get(b, cpl))) {
        /* what bucket_get made after the mark is about to be rewound */
        if (!had_index)
            d->by_cpl = NULL;
        else if (!had_bucket)
            d->by_cpl[cpl] = NULL;
        psc__arena_rewind(ar, mark);
        return e != PSC_OK ? e : PSC_ERR_NOMEM;
    }
    r->status = in.status;
    r->age_ms = in.age_in_bucket_ms;
    psc__list_push(&k->peers, &r->node);
    d->n_peers++;
    return PSC_OK;
}

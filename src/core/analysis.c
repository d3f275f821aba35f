/*
 * The analysis hook and the parts of a state view the analyzer reads
 * beyond the public readers (see core.h).
 */
#include "core/records.h"
#include "wire/msg.h"

psc_err psc__intro_set_analysis(psc_introspector *intro, const psc__analysis *a)
{
    if (!intro)
        return PSC_ERR_INVALID;
    if (psc__intro_in_snapshot(intro))
        return PSC_ERR_STATE;
    psc_err e = PSC_OK;
    pthread_mutex_lock(&intro->snap_lock);
    pthread_mutex_lock(&intro->analysis_lock);
    if (a && intro->has_analysis) {
        e = PSC_ERR_EXISTS;
    } else if (a) {
        intro->analysis = *a;
        intro->has_analysis = true;
    } else {
        intro->has_analysis = false;
        memset(&intro->analysis, 0, sizeof intro->analysis);
    }
    pthread_mutex_unlock(&intro->analysis_lock);
    pthread_mutex_unlock(&intro->snap_lock);
    return e;
}

static const psc__snap *snap_of(const psc_msg *m)
{
    if (!m || psc_msg_get_kind(m) != PSC_MSG_STATE)
        return NULL;
    const psc__view *v = psc__msg_view(m);
    return v ? &v->snap : NULL;
}

void psc__view_walk_state(const psc_msg *view, const psc__view_walk *w)
{
    const psc__snap *s = snap_of(view);
    if (!s || !w)
        return;
    PSC__EACH(const psc__topic_rec, t, s->topics) {
        if (w->topic)
            w->topic(w->user, t->name.p, t->subscribed, t->mesh.n);
        if (w->mesh_peer)
            PSC__EACH(const psc__mesh_rec, m, t->mesh)
                w->mesh_peer(w->user, t->name.p, m->peer_id.p, m->score);
    }
    if (w->bucket && s->dht && s->dht->by_cpl)
        for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++)
            if (s->dht->by_cpl[cpl])
                w->bucket(w->user, cpl, s->dht->by_cpl[cpl]->peers.n);
    if (w->scope)
        PSC__EACH(const psc__scope_rec, r, s->scopes)
            w->scope(w->user, r->kind, r->name.p, &r->usage, &r->limit);
    /* through the view's index arrays, not the lists: independent loads, not a chain of them */
    if (w->conn || w->stream)
        for (size_t i = 0; i < s->conns.n; i++) {
            const psc__conn_rec *c = s->conn_index[i];
            if (w->conn)
                w->conn(w->user, c->peer_id.p, c->status, c->open_ts, c->close_ts);
            for (size_t j = 0; w->stream && j < c->streams.n; j++) {
                const psc__stream_rec *st = c->stream_index[j];
                w->stream(w->user, st->protocol.p, st->status, st->open_ts, st->traffic.in.bytes,
                          st->traffic.out.bytes);
            }
        }
    if (w->listen_addr)
        PSC__EACH(const psc__transport_rec, t, s->transports)
            for (size_t i = 0; i < t->listen.n; i++)
                w->listen_addr(w->user, t->listen.v[i]);
}

bool psc__view_dialer(const psc_msg *view, psc_dialer *out)
{
    const psc__snap *s = snap_of(view);
    if (!s || !s->has_dialer)
        return false;
    *out = s->dialer;
    return true;
}

bool psc__view_dht_queries(const psc_msg *view, psc_query_counts *incoming, psc_query_counts *outgoing)
{
    const psc__snap *s = snap_of(view);
    if (!s || !s->dht)
        return false;
    *incoming = s->dht->incoming;
    *outgoing = s->dht->outgoing;
    return true;
}

uint64_t psc__intro_start_ts(const psc_introspector *intro)
{
    return intro ? intro->start_ts : 0;
}

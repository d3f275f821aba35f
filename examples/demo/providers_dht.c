/* The DHT provider: the routing table bucket by bucket, and query counters. */
#include "providers.h"

psc_err demo_collect_dht(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_DHT, &v);
    if (e == PSC_OK) {
        psc_dht d = PSC_DHT_INIT;
        d.name = "wan";
        d.protocol = sim_proto_names[SIM_P_KAD];
        d.enabled = true;
        d.start_ts = v->dht_start_ms;
        d.k = SIM_K;
        d.alpha = SIM_ALPHA;
        d.beta = SIM_BETA;
        d.disjoint_paths = 1;
        d.incoming = v->dht_in;
        d.outgoing = v->dht_out;
        e = psc_dht_set_info(b, &d);
    }
    /* every bucket up to the deepest used one, as a routing table has them */
    for (uint32_t c = 0; e == PSC_OK && c < v->dht_buckets; c++)
        e = psc_dht_add_bucket(b, c);
    for (size_t i = 0; e == PSC_OK && i < v->n_dht; i++) {
        const view_dht_peer *vp = &v->dht[i];
        psc_dht_peer p = PSC_DHT_PEER_INIT;
        p.peer_id = v->node->peers[vp->peer].id;
        p.status = vp->status;
        p.age_in_bucket_ms = vp->age_ms;
        e = psc_dht_add_peer(b, vp->cpl, &p);
    }
    pthread_mutex_unlock(&h->view_lock);
    return e;
}

#include <string.h>

#include "providers.h"

void demo_be64(uint64_t v, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xffu);
        v >>= 8;
    }
}

int demo_host_init(demo_host *h, sim_node *node)
{
    memset(h, 0, sizeof *h);
    h->node = node;
    int rc = pthread_mutex_init(&h->lock, NULL);
    if (rc)
        return rc;
    rc = pthread_mutex_init(&h->view_lock, NULL);
    if (rc)
        pthread_mutex_destroy(&h->lock);
    return rc;
}

void demo_host_fini(demo_host *h)
{
    demo_host_unregister(h);
    demo_view_free(h->view);
    h->view = NULL;
    pthread_mutex_destroy(&h->view_lock);
    pthread_mutex_destroy(&h->lock);
}

void demo_host_step(demo_host *h)
{
    pthread_mutex_lock(&h->lock);
    sim_node_step(h->node);
    pthread_mutex_unlock(&h->lock);
}

psc_err demo_host_view(demo_host *h, psc_collect *ctx, uint32_t bit, demo_view **out)
{
    uint64_t key = psc_collect_now_ms(ctx);
    demo_view *v = h->view;
    /* A provider that already built from this view belongs to an earlier
     * snapshot (even one taken in the same millisecond): take a new one. */
    if (!v || v->key != key || (v->used & bit)) {
        pthread_mutex_lock(&h->lock);
        psc_err e = demo_view_new(h->node, psc_counter_now_ns(), &v);
        pthread_mutex_unlock(&h->lock);
        if (e != PSC_OK)
            return e;
        demo_view_free(h->view);
        h->view = v;
        v->key = key;
    }
    v->used |= bit;
    *out = v;
    return PSC_OK;
}

psc_err demo_host_register(demo_host *h, psc_introspector *intro)
{
    static const psc_swarm_provider swarm = {sizeof swarm, "demo-swarm", demo_collect_swarm, NULL};
    static const psc_dht_provider dht = {sizeof dht, "demo-dht", demo_collect_dht, NULL};
    static const psc_pubsub_provider pubsub = {sizeof pubsub, "demo-gossipsub", demo_collect_pubsub, NULL};
    static const psc_peerstore_provider peerstore = {sizeof peerstore, "demo-peerstore", demo_collect_peerstore,
                                                     NULL};
    static const psc_rcmgr_provider rcmgr = {sizeof rcmgr, "demo-rcmgr", demo_collect_rcmgr, NULL};
    static const psc_custom_provider custom = {sizeof custom, "chain", demo_collect_custom, NULL};

    psc_provider *p[DEMO_PROV_COUNT] = {NULL};
    psc_err e = psc_register_swarm(intro, &swarm, h, &p[0]);
    if (e == PSC_OK)
        e = psc_register_dht(intro, &dht, h, &p[1]);
    if (e == PSC_OK)
        e = psc_register_pubsub(intro, &pubsub, h, &p[2]);
    if (e == PSC_OK)
        e = psc_register_peerstore(intro, &peerstore, h, &p[3]);
    if (e == PSC_OK)
        e = psc_register_rcmgr(intro, &rcmgr, h, &p[4]);
    if (e == PSC_OK)
        e = psc_register_custom(intro, &custom, h, &p[5]);
    if (e != PSC_OK) {
        for (size_t i = 0; i < DEMO_PROV_COUNT; i++)
            if (p[i])
                psc_provider_unregister(p[i]);
        return e;
    }
    memcpy(h->providers, p, sizeof p);
    h->n_providers = DEMO_PROV_COUNT;
    return PSC_OK;
}

void demo_host_unregister(demo_host *h)
{
    for (size_t i = 0; i < h->n_providers; i++)
        psc_provider_unregister(h->providers[i]);
    h->n_providers = 0;
}

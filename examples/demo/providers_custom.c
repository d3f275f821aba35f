/* A host's own values: the blockchain client's view of its chain. */
#include <stdio.h>

#include "providers.h"

psc_err demo_collect_custom(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_CUSTOM, &v);
    if (e != PSC_OK) {
        pthread_mutex_unlock(&h->view_lock);
        return e;
    }
    char head[67] = "0x";
    for (size_t i = 0; i < sizeof v->head; i++)
        snprintf(head + 2 + 2 * i, 3, "%02x", v->head[i]);
    const char *state = v->synced ? "synced" : v->syncing ? "syncing" : "waiting for peers";
    double progress = v->synced ? 1.0 : v->sync_target ? (double)v->height / (double)v->sync_target : 0.0;
    char status[256];
    snprintf(status, sizeof status, "{\"state\":\"%s\",\"height\":%llu,\"target\":%llu,\"progress\":%.4f}", state,
             (unsigned long long)v->height, (unsigned long long)v->sync_target, progress);

    e = psc_custom_add_integer(b, "height", (int64_t)v->height);
    if (e == PSC_OK)
        e = psc_custom_add_text(b, "head", head);
    if (e == PSC_OK)
        e = psc_custom_add_json(b, "sync", status);
    if (e == PSC_OK)
        e = psc_custom_add_integer(b, "mempool_size", (int64_t)v->mempool);
    if (e == PSC_OK)
        e = psc_custom_add_integer(b, "connected_peers", (int64_t)v->connected_peers);
    if (e == PSC_OK)
        e = psc_custom_add_integer(b, "routing_table_size", (int64_t)v->rt_size);
    if (e == PSC_OK)
        e = psc_custom_add_number(b, "sync_progress", progress);
    if (e == PSC_OK)
        e = psc_custom_add_text(b, "client", "demo-chain/1.0.0");
    pthread_mutex_unlock(&h->view_lock);
    return e;
}

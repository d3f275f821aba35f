/* The peerstore provider: every peer the node has learned about. */
#include "providers.h"

static psc_err add_peer(const demo_view *v, const view_peer *vp, psc_peerstore_builder *b)
{
    const sim_peer *p = &v->node->peers[vp->peer];
    const char *addrs[SIM_PEER_ADDRS];
    for (uint8_t i = 0; i < p->n_addrs; i++)
        addrs[i] = p->addrs[i];
    const char *protos[SIM_P_COUNT];
    size_t n_protos = 0;
    for (unsigned i = 0; i < SIM_P_COUNT; i++)
        if (sim_peer_speaks(p, (sim_proto)i))
            protos[n_protos++] = sim_proto_names[i];
    /* connection-manager style tags: what keeps a peer worth keeping */
    psc_peer_tag tags[4];
    size_t n_tags = 0;
    if (p->bootstrap)
        tags[n_tags++] = (psc_peer_tag){"bootstrap", 50};
    if (vp->reservation)
        tags[n_tags++] = (psc_peer_tag){"relay-reservation", 100};
    if (vp->in_rt)
        tags[n_tags++] = (psc_peer_tag){"kbucket", 5};
    if (vp->mesh_topics)
        tags[n_tags++] = (psc_peer_tag){"pubsub-mesh", 10 * (int64_t)vp->mesh_topics};

    psc_peer_info info = PSC_PEER_INFO_INIT;
    info.peer_id = p->id;
    info.addrs = p->n_addrs ? addrs : NULL;
    info.n_addrs = p->n_addrs;
    info.protocols = n_protos ? protos : NULL;
    info.n_protocols = n_protos;
    info.agent_version = sim_agents[p->agent];
    info.protocol_version = sim_agent_protocol_version(p->agent);
    info.latency_ewma_ns = vp->latency_ewma_ns;
    info.first_seen_ts = vp->first_seen_ms;
    info.last_seen_ts = vp->last_seen_ms;
    info.tags = n_tags ? tags : NULL;
    info.n_tags = n_tags;
    return psc_peerstore_add_peer(b, &info);
}

psc_err demo_collect_peerstore(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_PEERSTORE, &v);
    for (size_t i = 0; e == PSC_OK && i < v->n_peers; i++)
        e = add_peer(v, &v->peers[i], b);
    pthread_mutex_unlock(&h->view_lock);
    return e;
}

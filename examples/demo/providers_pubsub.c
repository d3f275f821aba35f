/* The pubsub provider: gossipsub topics with mesh (and scores) and fanout peers. */
#include "providers.h"

psc_err demo_collect_pubsub(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_PUBSUB, &v);
    if (e == PSC_OK)
        e = psc_pubsub_set_router(b, "gossipsub", sim_proto_names[SIM_P_MESHSUB]);
    for (size_t t = 0; e == PSC_OK && t < v->n_topics; t++) {
        const view_topic *vt = &v->topics[t];
        psc_topic topic = PSC_TOPIC_INIT;
        topic.name = v->node->topics[vt->topic].name;
        topic.subscribed = vt->subscribed;
        topic.peer_count = vt->peer_count;
        topic.messages = vt->msgs;
        topic.bytes = vt->bytes;
        psc_topic_builder *tb;
        e = psc_pubsub_add_topic(b, &topic, &tb);
        for (size_t i = 0; e == PSC_OK && i < vt->n_mesh; i++) {
            const view_mesh *m = &v->mesh[vt->first_mesh + i];
            psc_mesh_peer mp = PSC_MESH_PEER_INIT;
            mp.peer_id = v->node->peers[m->peer].id;
            mp.score = m->score;
            mp.time_in_mesh_ms = m->time_ms;
            e = psc_topic_add_mesh_peer(tb, &mp);
        }
        for (size_t i = 0; e == PSC_OK && i < vt->n_fanout; i++)
            e = psc_topic_add_fanout_peer(tb, v->node->peers[v->fanout[vt->first_fanout + i]].id);
    }
    pthread_mutex_unlock(&h->view_lock);
    return e;
}

/* Pubsub rules: a subscribed topic's mesh under D_low or over D_high, and peers with a negative score. */
#include "analyze/analyze.h"

typedef struct walk {
    psc_analyzer *an;
    psc__rule *r;
    uint64_t now;
    psc_err err;
} walk;

static void on_topic(void *user, const char *topic, bool subscribed, size_t mesh)
{
    walk *w = user;
    if (subscribed && w->err == PSC_OK)
        w->err = psc__observe(w->an, w->r, topic, "topic", (double)mesh, NULL, w->now);
}

/* A peer in several meshes counts with its lowest score (the memory's a). */
static void on_mesh_peer(void *user, const char *topic, const char *peer, double score)
{
    walk *w = user;
    if (w->err != PSC_OK)
        return;
    size_t i;
    bool fresh = !psc__strmap_get(&w->r->mems.index, peer, &i) || !w->r->mems.v[i].seen;
    psc__mem *m = psc__mem_get(w->an, &w->r->mems, peer);
    if (!m) {
        w->err = PSC_ERR_NOMEM;
        return;
    }
    if (fresh || score < m->a)
        m->a = score;
}

psc_err psc__eval_pubsub(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    walk w = {an, r, f->now, PSC_OK};
    psc__view_walk vw = {.user = &w};
    if (r->cfg.kind == PSC_RULE_NEGATIVE_SCORE)
        vw.mesh_peer = on_mesh_peer;
    else
        vw.topic = on_topic;
    psc__view_walk_state(f->view, &vw);
    if (w.err != PSC_OK || r->cfg.kind != PSC_RULE_NEGATIVE_SCORE)
        return w.err;
    for (size_t i = 0; i < r->mems.n; i++) {
        if (!r->mems.v[i].seen)
            continue;
        psc_err e = psc__observe(an, r, r->mems.v[i].key, "peer", r->mems.v[i].a, NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}

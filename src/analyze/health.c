/* The library's own health: events sessions (and the analyzer) lost, providers failing snapshot after snapshot. */
#include "analyze/analyze.h"
#include "events/events.h"

psc_err psc__eval_health(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    if (r->cfg.kind == PSC_RULE_EVENTS_DROPPED) {
        double d, unused;
        double lost = (double)psc__events_consumer_lost(psc__intro_events(an->intro)) + (double)an->events_missed;
        if (!psc__series_add(an, &r->series, f->now, lost, 0, r->cfg.window_ms, &d, &unused))
            return PSC_ERR_NOMEM;
        return psc__observe(an, r, "events", "node", d, NULL, f->now);
    }
    /* provider_errors: the memory's a counts the snapshots in a row a provider failed in */
    size_t n = psc_state_provider_error_count(f->view);
    for (size_t i = 0; i < n; i++) {
        const char *provider = NULL;
        if (psc_state_provider_error(f->view, i, &provider, NULL, NULL) != PSC_OK || !provider)
            continue;
        /* the same provider twice in one state counts once */
        size_t k;
        bool fresh = !psc__strmap_get(&r->mems.index, provider, &k) || !r->mems.v[k].seen;
        psc__mem *m = psc__mem_get(an, &r->mems, provider);
        if (!m)
            return PSC_ERR_NOMEM;
        if (fresh)
            m->a++;
    }
    for (size_t i = 0; i < r->mems.n; i++) {
        psc__mem *m = &r->mems.v[i];
        psc_err e = psc__observe(an, r, m->key, "provider", m->seen ? m->a : 0, NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}

/* Peer rules: too few or too many peers, connection churn, dial failures. */
#include "analyze/analyze.h"

psc_err psc__eval_peers(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    switch (r->cfg.kind) {
    case PSC_RULE_PEERS_LOW:
    case PSC_RULE_PEERS_HIGH:
        return psc__observe(an, r, "peers", "node", (double)f->n_peers, NULL, f->now);
    case PSC_RULE_CONNECTION_CHURN: {
        /* the memory's a accumulates the churn the states showed (opened and closed by their times) */
        psc__mem *m = psc__mem_get(an, &r->mems, "churn");
        if (!m)
            return PSC_ERR_NOMEM;
        m->a += (double)(f->opened + f->closed);
        double d, unused;
        if (!psc__series_add(an, &r->series, f->now, m->a, 0, r->cfg.window_ms, &d, &unused))
            return PSC_ERR_NOMEM;
        return psc__observe(an, r, "connections", "node", d * 60000.0 / (double)r->cfg.window_ms, NULL, f->now);
    }
    case PSC_RULE_DIAL_FAILURES: {
        psc_dialer d = {.struct_size = sizeof d};
        if (!psc__view_dialer(f->view, &d))
            return PSC_OK; /* no dialer: nothing to say (its alerts resolve) */
        double failed = (double)(d.error + d.timeout), done = (double)(d.success + d.error + d.timeout);
        double dfail, ddone;
        if (!psc__series_add(an, &r->series, f->now, failed, done, r->cfg.window_ms, &dfail, &ddone))
            return PSC_ERR_NOMEM;
        if (ddone <= 0)
            return PSC_OK;
        return psc__observe(an, r, "dialer", "node", dfail / ddone, NULL, f->now);
    }
    default:
        return PSC_ERR_INTERNAL;
    }
}

/* DHT rules: buckets of low common prefix lengths under a fill level, and the outbound query failure ratio. */
#include <stdio.h>

#include "analyze/analyze.h"

typedef struct fill {
    size_t *peers;
    uint32_t max_cpl;
    bool any;
} fill;

static void on_bucket(void *user, uint32_t cpl, size_t peers)
{
    fill *f = user;
    f->any = true;
    if (cpl <= f->max_cpl)
        f->peers[cpl] = peers;
}

psc_err psc__eval_dht(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    psc_query_counts in, out;
    if (!psc__view_dht_queries(f->view, &in, &out))
        return PSC_OK; /* no DHT in this state: its alerts resolve */
    if (r->cfg.kind == PSC_RULE_DHT_QUERY_FAILURES) {
        double failed = (double)(out.error + out.timeout), done = failed + (double)out.success;
        double dfail, ddone;
        if (!psc__series_add(an, &r->series, f->now, failed, done, r->cfg.window_ms, &dfail, &ddone))
            return PSC_ERR_NOMEM;
        return ddone > 0 ? psc__observe(an, r, "queries", "node", dfail / ddone, NULL, f->now) : PSC_OK;
    }
    size_t peers[257] = {0};
    fill fl = {peers, r->cfg.max_cpl, false};
    psc__view_walk w = {.user = &fl, .bucket = on_bucket};
    psc__view_walk_state(f->view, &w);
    for (uint32_t cpl = 0; cpl <= r->cfg.max_cpl; cpl++) {
        char subject[16];
        snprintf(subject, sizeof subject, "%u", cpl);
        psc_err e = psc__observe(an, r, subject, "bucket", (double)peers[cpl], NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

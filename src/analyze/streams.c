/*
 * Stream rules: open streams of a protocol growing snapshot after
 * snapshot (a leak), and streams open longer than T that never carried a
 * byte.
 */
#include "analyze/analyze.h"

/* Streams of each protocol open longer than T without a byte, from the facts' quiet streams. */
static psc_err eval_idle(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    for (size_t i = 0; i < r->mems.n; i++)
        r->mems.v[i].b = 0;
    for (size_t i = 0; i < f->n_quiet; i++) {
        if (f->quiet[i].open_ts + r->cfg.window_ms > f->now)
            continue;
        psc__mem *m = psc__mem_get(an, &r->mems, f->protocol_names[f->quiet[i].protocol]);
        if (!m)
            return PSC_ERR_NOMEM;
        m->b++;
    }
    for (size_t i = 0; i < r->mems.n; i++) {
        psc__mem *m = &r->mems.v[i];
        psc_err e = psc__observe(an, r, m->key, "protocol", m->seen ? m->b : 0, NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}

/*
 * The memory per protocol: a the count at the previous evaluation, ts - 1
 * the growths since it last fell. A flat snapshot is neither a leak's
 * proof nor its end; a drop ends it.
 */
static psc_err eval_growth(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    for (size_t i = 0; i < f->n_protocols; i++) {
        psc__mem *m = psc__mem_get(an, &r->mems, f->protocol_names[i]);
        if (!m)
            return PSC_ERR_NOMEM;
        double n = (double)f->protocol_counts[i];
        if (!m->ts || n < m->a)
            m->ts = 1;
        else if (n > m->a)
            m->ts++;
        m->a = n;
    }
    for (size_t i = 0; i < r->mems.n; i++) {
        psc__mem *m = &r->mems.v[i];
        /* a protocol with no open stream left is no leak */
        double value = m->seen ? (double)(m->ts - 1) : 0;
        psc_err e = psc__observe(an, r, m->key, "protocol", value, NULL, f->now);
        if (e != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}

psc_err psc__eval_streams(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    return r->cfg.kind == PSC_RULE_STREAM_IDLE ? eval_idle(an, r, f) : eval_growth(an, r, f);
}

/*
 * Stream rules: open streams of a protocol growing snapshot after
 * snapshot (a leak), and streams open longer than T that never carried a
 * byte.
 */
#include "analyze/analyze.h"

/* Open streams per protocol in the rule's memories: b the count now, a what the last evaluation saw. */
static psc_err count_streams(psc_analyzer *an, psc__rule *r, const psc__facts *f, bool idle_only)
{
    const psc_msg *v = f->view;
    for (size_t i = 0; i < r->mems.n; i++)
        r->mems.v[i].b = 0;
    size_t nc = psc_state_connection_count(v);
    for (size_t i = 0; i < nc; i++) {
        size_t ns = psc_state_stream_count(v, i);
        for (size_t j = 0; j < ns; j++) {
            psc_stream s = {.struct_size = sizeof s};
            if (psc_state_stream(v, i, j, &s) != PSC_OK || s.status != PSC_STATUS_ACTIVE)
                continue;
            if (idle_only && (s.open_ts + r->cfg.window_ms > f->now || s.traffic.in.bytes ||
                              s.traffic.out.bytes))
                continue;
            psc__mem *m = psc__mem_get(an, &r->mems, s.protocol && *s.protocol ? s.protocol : "(none)");
            if (!m)
                return PSC_ERR_NOMEM;
            m->b++;
        }
    }
    return PSC_OK;
}

psc_err psc__eval_streams(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    bool idle = r->cfg.kind == PSC_RULE_STREAM_IDLE;
    psc_err e = count_streams(an, r, f, idle);
    if (e != PSC_OK)
        return e;
    for (size_t i = 0; i < r->mems.n; i++) {
        psc__mem *m = &r->mems.v[i];
        double value;
        if (idle) {
            value = m->b;
        } else {
            /* ts - 1 counts growths since the last drop; a fresh protocol starts from its first count */
            /* a flat snapshot is neither a leak's proof nor its end; a drop ends it */
            if (!m->ts || m->b < m->a)
                m->ts = 1;
            else if (m->b > m->a)
                m->ts++;
            m->a = m->b;
            value = (double)(m->ts - 1);
        }
        if (!m->seen && !idle)
            value = 0;
        if ((e = psc__observe(an, r, m->key, "protocol", value, NULL, f->now)) != PSC_OK)
            return e;
    }
    psc__mem_sweep(an, &r->mems);
    return PSC_OK;
}

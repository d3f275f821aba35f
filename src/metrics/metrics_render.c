/*
 * Encoded states into a set, and one encoded state to one exposition.
 * What is decoded (metrics_walk.c) goes into a scratch arena: bump
 * allocated and freed at once, its largest chunk kept for the next decode.
 */
#include "metrics/metrics_int.h"

psc_err psc__metrics_scratch_init(psc__metrics_scratch *s, const psc__alloc *a)
{
    s->hint = 0;
    return psc__pool_new(a, &s->pool);
}

void psc__metrics_scratch_fini(psc__metrics_scratch *s)
{
    psc__pool_unref(s->pool);
    s->pool = NULL;
}

psc_err psc__metrics_add_payload(psc__metrics *m, const char *node, const uint8_t *payload, size_t payload_len,
                                 const psc__metrics_extra *x, psc__metrics_scratch *scratch)
{
    if (!m || (!payload && payload_len))
        return PSC_ERR_INVALID;
    psc__arena ar;
    /* a decoded tree takes a few times its encoding; the last one's size is a better guess */
    size_t hint = scratch && scratch->hint ? scratch->hint : payload_len * 2 + 4096;
    if (psc__arena_init(&ar, &m->alloc, scratch ? scratch->pool : NULL, hint) != PSC_OK)
        return PSC_ERR_NOMEM;
    psc_err e = psc__metrics_add_walked(m, &ar, node, payload, payload_len, x);
    if (scratch) {
        size_t used = psc__arena_used(&ar);
        scratch->hint = used + used / 16;
    }
    psc__arena_free(&ar);
    return e;
}

psc_err psc__metrics_render_state(const psc__alloc *a, const uint8_t *payload, size_t payload_len,
                                  const psc__metrics_extra *x, size_t top_peers, psc__metrics_format f,
                                  uint8_t **out, size_t *len)
{
    if (!a || !out || !len)
        return PSC_ERR_INVALID;
    psc__metrics *m = NULL;
    psc_err e = psc__metrics_new(a, top_peers, &m);
    if (e == PSC_OK)
        e = psc__metrics_add_payload(m, NULL, payload, payload_len, x, NULL);
    if (e == PSC_OK)
        e = psc__metrics_write(m, f, out, len);
    psc__metrics_free(m);
    return e;
}

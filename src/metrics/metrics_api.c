/* The public face of the metrics renderer (peerscope/metrics.h): sets of many nodes for peerscope-hub. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "peerscope/metrics.h"

struct psc_metrics {
    psc__metrics *set;
};

psc_err psc_metrics_new(psc_metrics **out)
{
    if (!out)
        return PSC_ERR_INVALID;
    psc_metrics *m = malloc(sizeof *m);
    if (!m)
        return PSC_ERR_NOMEM;
    psc_err err = psc__metrics_new(&psc__default_alloc, 0, &m->set);
    if (err) {
        free(m);
        return err;
    }
    *out = m;
    return PSC_OK;
}

void psc_metrics_free(psc_metrics *m)
{
    if (!m)
        return;
    psc__metrics_free(m->set);
    free(m);
}

psc_err psc_metrics_add_state(psc_metrics *m, const char *node, const uint8_t *payload, size_t len)
{
    if (!m || !payload)
        return PSC_ERR_INVALID;
    return psc__metrics_add_payload(m->set, node, payload, len, NULL, NULL);
}

psc_err psc_metrics_write(const psc_metrics *m, uint8_t **out, size_t *len)
{
    if (!m || !out || !len)
        return PSC_ERR_INVALID;
    return psc__metrics_write(m->set, PSC__METRICS_PROMETHEUS, out, len);
}

void psc_metrics_text_free(uint8_t *text)
{
    psc__free(&psc__default_alloc, text);
}

const char *psc_metrics_content_type(void)
{
    return psc__metrics_content_type(PSC__METRICS_PROMETHEUS);
}

size_t psc_metrics_escape_label(char *dst, size_t cap, const char *v)
{
    if (!dst || !cap)
        return v ? psc__metrics_escape_label(NULL, 0, v) : 0;
    size_t n = psc__metrics_escape_label(dst, cap - 1, v ? v : "");
    /* what did not fit is not half written: an empty string rather than a cut escape */
    dst[n < cap ? n : 0] = 0;
    return n;
}

/*
 * Fuzz target of the /metrics renderer (src/metrics): the input is an
 * encoded ServerMessage, rendered as the endpoint renders a snapshot (its
 * connections walked in place, the rest unpacked) in both formats, with
 * the top-K family on. Beyond "no crash": every line of the text is a
 * comment or a sample of a peerscope_ series (so no label value let a
 * newline through), both formats hold the same samples, OpenMetrics ends
 * with "# EOF", and whenever protobuf-c decodes the input as a State, the
 * text is byte for byte the one made from that decoded tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t samples_checked(const uint8_t *t, size_t n)
{
    size_t samples = 0;
    for (size_t i = 0; i < n;) {
        const uint8_t *nl = memchr(t + i, '\n', n - i);
        if (!nl)
            abort(); /* every line ends with a newline */
        size_t len = (size_t)(nl - (t + i));
        if (len >= 2 && t[i] == '#' && t[i + 1] == ' ')
            ;
        else if (len > 10 && !memcmp(t + i, "peerscope_", 10))
            samples++;
        else
            abort();
        i += len + 1;
    }
    return samples;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const psc__alloc *a = &psc__default_alloc;
    uint8_t *prom = NULL, *om = NULL;
    size_t prom_len = 0, om_len = 0;
    psc_err e1 = psc__metrics_render_state(a, data, size, NULL, 3, PSC__METRICS_PROMETHEUS, &prom, &prom_len);
    psc_err e2 = psc__metrics_render_state(a, data, size, NULL, 3, PSC__METRICS_OPENMETRICS, &om, &om_len);
    if ((e1 == PSC_OK) != (e2 == PSC_OK))
        abort();
    if (e1 == PSC_OK) {
        if (samples_checked(prom, prom_len) != samples_checked(om, om_len))
            abort();
        if (om_len < 6 || memcmp(om + om_len - 6, "# EOF\n", 6))
            abort();
    }
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, size, data);
    if (sm && sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE && sm->state) {
        if (e1 != PSC_OK)
            abort();
        psc__metrics *m = NULL;
        uint8_t *tree = NULL;
        size_t tree_len = 0;
        if (psc__metrics_new(a, 3, &m) == PSC_OK && psc__metrics_add(m, NULL, sm->state, NULL) == PSC_OK &&
            psc__metrics_write(m, PSC__METRICS_PROMETHEUS, &tree, &tree_len) == PSC_OK) {
            if (tree_len != prom_len || memcmp(tree, prom, prom_len))
                abort();
        }
        psc__free(a, tree);
        psc__metrics_free(m);
    }
    if (sm)
        peerscope__server_message__free_unpacked(sm, NULL);
    psc__free(a, prom);
    psc__free(a, om);
    return 0;
}

/*
 * GET /metrics: the latest state as Prometheus or OpenMetrics text.
 *
 * A scrape reuses the series of the snapshot the last scrape took while
 * that is under PSC__WS_METRICS_MAX_AGE_MS old (Prometheus replicas and
 * dashboards scraping together share one snapshot and one render), else
 * takes a snapshot, decodes it once and sums it into a set of series. The
 * text of each format is written on first demand and kept with the set.
 */
#include "endpoint/endpoint.h"
#include "transport/ws/ws.h"
#include "core/core.h"
#include "events/events.h"

#include "peerscope/message.h"

_Static_assert(PSC_WS_METRICS_TOP_PEERS_MAX == PSC__METRICS_TOP_PEERS_MAX, "one cap for the top-K family");

#define ACCEPT_MAX 512

static void drop_cache(psc__ws *ws)
{
    psc__ws_metrics *mc = &ws->metrics_cache;
    psc__metrics_free(mc->set);
    mc->set = NULL;
    for (int f = 0; f < 2; f++) {
        psc__free(&ws->alloc, mc->text[f]);
        mc->text[f] = NULL;
        mc->len[f] = 0;
    }
}

void psc__ws_metrics_fini(psc__ws *ws)
{
    drop_cache(ws);
    psc__metrics_scratch_fini(&ws->metrics_cache.scratch);
}

/* The event store's counters: beside the state, read at the same time. */
static psc_err event_counts(psc__ws *ws, psc__metrics_extra *x, psc__metrics_event_count **owned)
{
    psc__events *ev = psc__intro_events(psc_endpoint_introspector(ws->ep));
    *owned = NULL;
    if (!ev)
        return PSC_OK;
    size_t n = psc__events_type_count(ev);
    psc__metrics_event_count *v = n ? psc__calloc(&ws->alloc, n, sizeof *v) : NULL;
    if (n && !v)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const psc_event_type *t = psc__events_type_at(ev, i);
        v[i].type = psc_event_type_name(t);
        v[i].emitted = psc__event_type_emitted(t);
    }
    x->has_events = true;
    x->events_dropped = psc__events_dropped(ev);
    x->event_types = v;
    x->n_event_types = n;
    *owned = v;
    return PSC_OK;
}

/* A new snapshot's series into the cache. */
static psc_err refresh(psc__ws *ws, uint64_t now_ms)
{
    psc_msg *msg = NULL;
    psc_err e = psc_introspector_snapshot(psc_endpoint_introspector(ws->ep), &msg);
    if (e != PSC_OK)
        return e;
    psc__metrics_extra x = {0};
    psc__metrics_event_count *types = NULL;
    psc_state_summary sum = {.struct_size = sizeof sum};
    size_t len = 0;
    const uint8_t *payload = psc_msg_payload(msg, &len);
    if (psc_state_summary_get(msg, &sum) == PSC_OK) {
        x.has_snapshot = true;
        x.snapshot_collect_ns = sum.collect_ns;
        x.snapshot_bytes = len;
    }
    psc__metrics *set = NULL;
    e = ws->metrics_cache.scratch.pool ? PSC_OK : psc__metrics_scratch_init(&ws->metrics_cache.scratch, &ws->alloc);
    if (e == PSC_OK)
        e = event_counts(ws, &x, &types);
    if (e == PSC_OK)
        e = psc__metrics_new(&ws->alloc, ws->metrics_top, &set);
    if (e == PSC_OK)
        e = psc__metrics_add_payload(set, NULL, payload, len, &x, &ws->metrics_cache.scratch);
    psc__free(&ws->alloc, types);
    psc_msg_unref(msg);
    if (e != PSC_OK) {
        psc__metrics_free(set);
        return e;
    }
    drop_cache(ws);
    ws->metrics_cache.set = set;
    ws->metrics_cache.taken_ms = now_ms;
    return PSC_OK;
}

int psc__ws_metrics_request(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    if (!psc__ws_host_ok(ws, wsi))
        return psc__ws_refuse(ws, c, wsi, "/metrics", HTTP_STATUS_FORBIDDEN,
                              "Host not allowed (DNS rebinding protection)");
    if (!psc__ws_origin_ok(ws, wsi))
        return psc__ws_refuse(ws, c, wsi, "/metrics", HTTP_STATUS_FORBIDDEN, "Origin not allowed");
    uint64_t retry_ms = 0;
    unsigned status = 0;
    char why_buf[96];
    const char *why = psc__ws_auth_refusal(psc__ws_authorize(ws, wsi, true, &retry_ms), retry_ms, why_buf,
                                           sizeof why_buf, &status);
    if (why)
        return psc__ws_refuse(ws, c, wsi, "/metrics", status, why);

    char accept[ACCEPT_MAX];
    accept[0] = 0;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT);
    /* an Accept too long to read asks for nothing in particular */
    if (n > 0 && (n >= (int)sizeof accept || lws_hdr_copy(wsi, accept, sizeof accept, WSI_TOKEN_HTTP_ACCEPT) < 0))
        accept[0] = 0;
    psc__metrics_format f = psc__metrics_negotiate(accept);

    psc__ws_metrics *mc = &ws->metrics_cache;
    uint64_t now = psc__endpoint_now_ms(ws->ep);
    if (!mc->set || now - mc->taken_ms >= PSC__WS_METRICS_MAX_AGE_MS) {
        psc_err e = refresh(ws, now);
        if (e != PSC_OK) {
            psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_WARN, "ws: GET /metrics: no snapshot: %s",
                     psc_strerror(e));
            return psc__ws_respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
                                        e == PSC_ERR_NOMEM ? "server out of memory\n" : "no snapshot, try again\n");
        }
    }
    if (!mc->text[f] && psc__metrics_write(mc->set, f, &mc->text[f], &mc->len[f]) != PSC_OK)
        return psc__ws_respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server out of memory\n");
    return psc__ws_respond_copy(ws, c, wsi, psc__metrics_content_type(f), mc->text[f], mc->len[f]);
}

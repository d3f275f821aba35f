/* WebSocket endpoint: the plain HTTP routes (/, assets, /healthz). */
#include "endpoint/endpoint_priv.h"
#include "endpoint/ws_priv.h"
#include "internal/assets.h"

#include <stdio.h>

#define HTTP_CHUNK 4096u

static int respond_full(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body,
                        size_t len, const char *cache, const char *etag)
{
    uint8_t buf[LWS_PRE + 1024];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    c->body = body;
    c->body_len = len;
    c->body_sent = 0;
    /* With the vhost's security option lws adds CSP, nosniff, frame and
     * referrer headers to every status line it writes, 304 included. */
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)cache,
                                    (int)strlen(cache), &p, end) ||
        (etag && lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:", (const unsigned char *)etag,
                                             (int)strlen(etag), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int respond(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body,
                   size_t len)
{
    return respond_full(c, wsi, status, type, body, len, "no-store", NULL);
}

/* The embedded visualizer: revalidated by ETag rather than refetched. */
static int respond_asset(psc__ws_conn *c, struct lws *wsi, const psc__asset *a)
{
    char inm[128];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    if (n > 0 && n < (int)sizeof inm && lws_hdr_copy(wsi, inm, sizeof inm, WSI_TOKEN_HTTP_IF_NONE_MATCH) >= 0 &&
        (!strcmp(inm, a->etag) || !strcmp(inm, "*")))
        return respond_full(c, wsi, HTTP_STATUS_NOT_MODIFIED, a->mime, NULL, 0, "no-cache", a->etag);
    return respond_full(c, wsi, HTTP_STATUS_OK, a->mime, a->data, a->len, "no-cache", a->etag);
}

static int respond_text(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *text)
{
    return respond(c, wsi, status, "text/plain; charset=utf-8", (const uint8_t *)text, strlen(text));
}

static int healthz(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    /* Probes cannot always carry a token: they get the status, not the details. */
    /* token_required lets the visualizer ask for a token at once instead
     * of after refused upgrades. */
    bool authorized = (!ws->token || psc__ws_token_ok(ws, wsi)) && psc__ws_host_ok(ws, wsi);
    if (!authorized)
        snprintf(c->small_body, sizeof c->small_body,
                 "{\"status\":\"ok\",\"token_required\":%s,\"authorized\":false}\n",
                 ws->token ? "true" : "false");
    else
        snprintf(c->small_body, sizeof c->small_body,
                 "{\"status\":\"ok\",\"token_required\":%s,\"authorized\":true,\"endpoint\":\"ws\","
                 "\"path\":\"%s\",\"sessions\":%zu,\"max_sessions\":%zu,\"visualizer\":%s}\n",
                 ws->token ? "true" : "false", ws->path, psc_endpoint_session_count(ws->ep), ws->ep->max_sessions,
                 ws->n_assets || psc__assets_complete() ? "true" : "false");
    return respond(c, wsi, HTTP_STATUS_OK, "application/json", (const uint8_t *)c->small_body,
                   strlen(c->small_body));
}

int psc__ws_http_request(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    memset(c, 0, sizeof *c);
    char uri[256];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (n <= 0)
        return respond_text(c, wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET is served here\n");
    if (n >= (int)sizeof uri || lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return respond_text(c, wsi, HTTP_STATUS_REQ_URI_TOO_LONG, "URI too long\n");
    if (!strcmp(uri, "/healthz"))
        return healthz(ws, c, wsi);
    if (!strcmp(uri, ws->path))
        return respond_text(c, wsi, 426 /* Upgrade Required */,
                            "this is a WebSocket endpoint: connect with a WebSocket client\n");
    if (ws->n_assets) {
        for (size_t i = 0; i < ws->n_assets; i++)
            if (!strcmp(uri, ws->assets[i].path))
                return respond(c, wsi, HTTP_STATUS_OK, ws->assets[i].content_type, ws->assets[i].data,
                               ws->assets[i].len);
    } else {
        const psc__asset *a = psc__asset_find(uri);
        if (a)
            return respond_asset(c, wsi, a);
    }
    return respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
}

int psc__ws_http_writeable(psc__ws_conn *c, struct lws *wsi)
{
    if (!c || !c->body)
        return 0;
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    size_t chunk = c->body_len - c->body_sent;
    if (chunk > HTTP_CHUNK)
        chunk = HTTP_CHUNK;
    bool last = c->body_sent + chunk == c->body_len;
    if (chunk)
        memcpy(buf + LWS_PRE, c->body + c->body_sent, chunk);
    if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)chunk)
        return 1;
    c->body_sent += chunk;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    c->body = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* peerscope-hub: the one listening port, its HTTP routes and WebSocket upgrades (the server thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_server.h"

#define HDR_MAX 512
#define HTTP_CHUNK 16384u

static hub_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ------------------------------------------------------------ sending */

bool hub_conn_send(hub_conn *c, const uint8_t *data, size_t len)
{
    hub_tx *t = malloc(sizeof *t + LWS_PRE + len);
    if (!t)
        return false;
    t->next = NULL;
    t->len = len;
    memcpy(t->data + LWS_PRE, data, len);
    if (c->tx_tail)
        c->tx_tail->next = t;
    else
        c->tx_head = t;
    c->tx_tail = t;
    c->tx_count++;
    lws_callback_on_writable(c->wsi);
    return true;
}

bool hub_conn_send_owned(hub_conn *c, uint8_t *frame, size_t len)
{
    bool ok = frame && hub_conn_send(c, frame, len);
    free(frame);
    return ok;
}

void hub_conn_close(hub_conn *c, enum lws_close_status code, const char *why)
{
    if (!c->close_code) {
        c->close_code = code;
        c->close_why = why;
    }
    lws_callback_on_writable(c->wsi);
}

static void conn_drop_queue(hub_conn *c)
{
    for (hub_tx *t = c->tx_head, *next; t; t = next) {
        next = t->next;
        free(t);
    }
    c->tx_head = c->tx_tail = NULL;
    c->tx_count = 0;
}

static int conn_writeable(hub_server *s, hub_conn *c, struct lws *wsi)
{
    if (c->close_code) {
        const char *why = c->close_why ? c->close_why : "";
        lws_close_reason(wsi, c->close_code, (unsigned char *)why, strlen(why));
        return -1;
    }
    if (!c->tx_head && !(c->kind == HUB_CONN_FLEET && hub_fleet_next_event(s, c)) &&
        !(c->kind == HUB_CONN_NODE && hub_relay_next(s, c)))
        return 0;
    hub_tx *t = c->tx_head;
    /* lws keeps what the socket does not take at once and sends it before the next WRITEABLE */
    if (lws_write(wsi, t->data + LWS_PRE, t->len, LWS_WRITE_BINARY) < (int)t->len)
        return -1;
    c->tx_head = t->next;
    if (!c->tx_head)
        c->tx_tail = NULL;
    c->tx_count--;
    free(t);
    if (c->tx_head || c->kind == HUB_CONN_FLEET || (c->kind == HUB_CONN_NODE && c->sess &&
                                                     psc_endpoint_session_wants_write(c->sess)))
        lws_callback_on_writable(wsi);
    return 0;
}

/* ------------------------------------------------------------ HTTP */

static void body_release(hub_conn *c)
{
    if (c->body_owned)
        free(c->body);
    c->body = NULL;
    c->body_owned = false;
    c->body_len = c->body_sent = 0;
}

int hub_respond(hub_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body, size_t len,
                bool owned)
{
    body_release(c);
    if (owned) {
        c->body = (uint8_t *)body;
    } else if (len) {
        c->body = malloc(len);
        if (!c->body)
            return 1;
        memcpy(c->body, body, len);
    }
    c->body_owned = c->body != NULL;
    c->body_len = len;
    uint8_t buf[LWS_PRE + 1024];
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
                                    8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    if (!len) {
        body_release(c);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    c->http_pending = true;
    lws_callback_on_writable(wsi);
    return 0;
}

int hub_respond_text(hub_conn *c, struct lws *wsi, unsigned status, const char *text)
{
    return hub_respond(c, wsi, status, "text/plain; charset=utf-8", (const uint8_t *)text, strlen(text), false);
}

static int http_writeable(hub_conn *c, struct lws *wsi)
{
    if (!c || !c->http_pending)
        return 0;
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    size_t chunk = c->body_len - c->body_sent;
    if (chunk > HTTP_CHUNK)
        chunk = HTTP_CHUNK;
    bool last = c->body_sent + chunk == c->body_len;
    memcpy(buf + LWS_PRE, c->body + c->body_sent, chunk);
    if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)chunk) {
        body_release(c);
        c->http_pending = false;
        return 1;
    }
    c->body_sent += chunk;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    c->http_pending = false;
    body_release(c);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static bool header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t cap)
{
    int n = lws_hdr_total_length(wsi, t);
    buf[0] = 0;
    if (n <= 0)
        return true;
    return n < (int)cap && lws_hdr_copy(wsi, buf, (int)cap, t) >= 0;
}

/* The Bearer token of the Authorization header, else the token= query argument ("": none). */
static void given_token(struct lws *wsi, bool query_too, char *out, size_t cap)
{
    char buf[HDR_MAX];
    out[0] = 0;
    if (header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof buf) && buf[0]) {
        const char *v = NULL;
        size_t len = 0;
        if (psc_serve_bearer(buf, &v, &len))
            snprintf(out, cap, "%.*s", (int)len, v);
        else
            snprintf(out, cap, "%s", "\x01"); /* some other scheme: wrong, never equal */
        return;
    }
    if (query_too) {
        const char *q = lws_get_urlarg_by_name(wsi, "token=", buf, (int)sizeof buf);
        if (q)
            snprintf(out, cap, "%s", q);
    }
}

/* Token check through the guard: NULL when right, else why and *status. */
static const char *check_token(hub_server *s, struct lws *wsi, const char *expected, bool query_too,
                               unsigned *status)
{
    if (!expected)
        return NULL;
    char given[HDR_MAX];
    given_token(wsi, query_too, given, sizeof given);
    *status = HTTP_STATUS_UNAUTHORIZED;
    if (!given[0])
        return "missing access token";
    char peer[64];
    lws_get_peer_simple(wsi, peer, sizeof peer);
    uint64_t now = hub_mono_ms();
    if (!psc_serve_guard_allows(s->guard, peer, now, NULL)) {
        *status = 429;
        return "too many wrong access tokens from this address: try again later";
    }
    if (psc_serve_token_equal(expected, given)) {
        psc_serve_guard_succeeded(s->guard, peer);
        return NULL;
    }
    psc_serve_guard_failed(s->guard, peer, now);
    return "wrong access token";
}

static const char *host_origin_refusal(hub_server *s, struct lws *wsi, unsigned *status)
{
    char host[HDR_MAX], origin[HDR_MAX];
    *status = HTTP_STATUS_FORBIDDEN;
    if (!header(wsi, WSI_TOKEN_HOST, host, sizeof host) ||
        !psc_serve_host_allowed(host, s->h->opt.bind, s->local_only))
        return "Host not allowed (DNS rebinding protection)";
    if (!header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin) ||
        !psc_serve_origin_allowed(origin, host, false, NULL, 0, false))
        return "Origin not allowed";
    return NULL;
}

const char *hub_viewer_refusal(hub_server *s, struct lws *wsi, unsigned *status)
{
    const char *why = host_origin_refusal(s, wsi, status);
    return why ? why : check_token(s, wsi, s->h->opt.token, true, status);
}

const char *hub_push_token_refusal(hub_server *s, struct lws *wsi, const char *expected, unsigned *status)
{
    /* a node is no browser: its token comes in the Authorization header only */
    return check_token(s, wsi, expected, false, status);
}

static int healthz(hub_server *s, hub_conn *c, struct lws *wsi)
{
    hub *h = s->h;
    size_t up = 0, n;
    pthread_mutex_lock(&h->lock);
    n = h->n_nodes;
    for (size_t i = 0; i < n; i++)
        up += h->nodes[i]->up;
    pthread_mutex_unlock(&h->lock);
    char body[256];
    snprintf(body, sizeof body, "{\"status\":\"ok\",\"hub\":true,\"token_required\":%s,\"nodes\":%zu,\"up\":%zu}\n",
             h->opt.token ? "true" : "false", n, up);
    return hub_respond(c, wsi, HTTP_STATUS_OK, "application/json", (const uint8_t *)body, strlen(body), false);
}

static int refuse(hub_conn *c, struct lws *wsi, hub *h, const char *route, unsigned status, const char *why)
{
    char peer[64], body[160];
    hub_log(h, true, "refused GET %s from %s: %s", route, lws_get_peer_simple(wsi, peer, sizeof peer), why);
    snprintf(body, sizeof body, "%s\n", why);
    return hub_respond_text(c, wsi, status, body);
}

/* The embedded visualizer at uri, which is "/..." with any /node/NAME prefix taken off. */
static int asset(hub_conn *c, struct lws *wsi, const char *uri)
{
    psc_serve_asset a;
    if (!psc_serve_asset_find(uri, &a))
        return hub_respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
    return hub_respond(c, wsi, HTTP_STATUS_OK, a.mime, a.data, a.len, false);
}

static int http_request(hub_server *s, hub_conn *c, struct lws *wsi)
{
    body_release(c);
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    char uri[1024];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (n <= 0)
        return hub_respond(c, wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", NULL, 0, false);
    if (n >= (int)sizeof uri || lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return hub_respond_text(c, wsi, HTTP_STATUS_REQ_URI_TOO_LONG, "URI too long\n");
    if (!strcmp(uri, "/healthz"))
        return healthz(s, c, wsi);
    if (!strcmp(uri, "/metrics")) {
        unsigned status = 0;
        const char *why = hub_viewer_refusal(s, wsi, &status);
        if (why)
            return refuse(c, wsi, s->h, uri, status, why);
        return hub_metrics_request(s, c, wsi);
    }
    if (!strcmp(uri, "/introspect") || !strcmp(uri, "/push"))
        return hub_respond_text(c, wsi, 426, "this is a WebSocket endpoint: connect with a WebSocket client\n");
    if (!strncmp(uri, "/node/", 6)) {
        const char *rest = strchr(uri + 6, '/');
        if (!rest)
            return hub_respond_text(c, wsi, HTTP_STATUS_NOT_FOUND, "not found\n");
        if (!strcmp(rest, "/introspect"))
            return hub_respond_text(c, wsi, 426, "this is a WebSocket endpoint: connect with a WebSocket client\n");
        return asset(c, wsi, rest);
    }
    return asset(c, wsi, uri);
}

/* ------------------------------------------------------------ WebSocket */

static bool ws_path(struct lws *wsi, char *uri, size_t cap)
{
    return header(wsi, WSI_TOKEN_GET_URI, uri, cap) && uri[0];
}

static const char *upgrade_refusal(hub_server *s, struct lws *wsi, unsigned *status)
{
    char uri[1024];
    *status = HTTP_STATUS_NOT_FOUND;
    if (!ws_path(wsi, uri, sizeof uri))
        return "no WebSocket at this path";
    if (!strcmp(uri, "/push"))
        return hub_push_refusal(s, wsi, status);
    if (!strcmp(uri, "/introspect"))
        return hub_viewer_refusal(s, wsi, status);
    if (!strncmp(uri, "/node/", 6)) {
        const char *why = hub_viewer_refusal(s, wsi, status);
        return why ? why : hub_relay_refusal(s, uri, status);
    }
    return "no WebSocket at this path";
}

static int confirm_upgrade(hub_server *s, struct lws *wsi, const char *to)
{
    if (!to || strcmp(to, "websocket"))
        return -1;
    unsigned status = 0;
    const char *why = upgrade_refusal(s, wsi, &status);
    if (!why)
        return 0;
    char peer[64], uri[256];
    if (!header(wsi, WSI_TOKEN_GET_URI, uri, sizeof uri))
        uri[0] = 0;
    hub_log(s->h, false, "refused a WebSocket on %s from %s: %s (HTTP %u)", uri,
            lws_get_peer_simple(wsi, peer, sizeof peer), why, status);
    if (lws_return_http_status(wsi, status, why))
        return -1;
    return 1;
}

static void conn_link(hub_server *s, hub_conn *c)
{
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
}

static void conn_unlink(hub_server *s, hub_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static int ws_established(hub_server *s, hub_conn *c, struct lws *wsi)
{
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
    char uri[256];
    if (!ws_path(wsi, uri, sizeof uri))
        return -1;
    conn_link(s, c);
    if (!strcmp(uri, "/push")) {
        c->kind = HUB_CONN_PUSH;
        hub_push_open(s, c, wsi);
    } else if (!strncmp(uri, "/node/", 6)) {
        c->kind = HUB_CONN_NODE;
        hub_relay_open(s, c, uri);
    } else {
        c->kind = HUB_CONN_FLEET;
        hub_fleet_open(s, c);
    }
    return 0;
}

static int ws_receive(hub_server *s, hub_conn *c, struct lws *wsi, const uint8_t *in, size_t len)
{
    if (c->close_code)
        return 0;
    size_t max = c->kind == HUB_CONN_PUSH ? HUB_PUSH_MAX_MESSAGE : HUB_VIEWER_MAX_MESSAGE;
    size_t remaining = lws_remaining_packet_payload(wsi);
    if (c->rx_len + len + remaining > max) {
        hub_conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
        return 0;
    }
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_len + len + remaining;
        if (cap < 4096)
            cap = 4096;
        uint8_t *rx = realloc(c->rx, cap);
        if (!rx) {
            hub_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "hub out of memory");
            return 0;
        }
        c->rx = rx;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || remaining)
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    if (c->kind == HUB_CONN_PUSH)
        hub_push_message(s, c, c->rx, n);
    else if (c->kind == HUB_CONN_NODE)
        hub_relay_message(s, c, c->rx, n);
    else
        hub_fleet_command(s, c, c->rx, n);
    if (c->rx_cap > (1u << 20)) {
        /* one big state must not pin its buffer for the link's life */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    return 0;
}

static void ws_closed(hub_server *s, hub_conn *c)
{
    if (c->kind == HUB_CONN_PUSH)
        hub_push_closed(s, c);
    if (c->kind == HUB_CONN_NODE)
        hub_relay_closed(s, c);
    conn_drop_queue(c);
    free(c->rx);
    c->rx = NULL;
    conn_unlink(s, c);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    hub_server *s = server_of(wsi);
    hub_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (s) {
            /* cleared before looking: what is added from now on wakes us again */
            atomic_store(&s->wake_pending, false);
            hub_fleet_events_ready(s);
            hub_relay_service_all(s);
        }
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(s, wsi, in);
    case LWS_CALLBACK_ESTABLISHED:
        return ws_established(s, c, wsi);
    case LWS_CALLBACK_RECEIVE:
        return ws_receive(s, c, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn_writeable(s, c, wsi);
    case LWS_CALLBACK_CLOSED:
        ws_closed(s, c);
        return 0;
    case LWS_CALLBACK_HTTP:
        return http_request(s, c, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(c, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c && c->kind == HUB_CONN_HTTP)
            body_release(c);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ------------------------------------------------------------ thread */

static void tick(lws_sorted_usec_list_t *sul)
{
    hub_server *s = lws_container_of(sul, hub_server, tick);
    hub_fleet_tick(s);
    hub_relay_service_all(s);
    lws_sul_schedule(s->ctx, 0, &s->tick, tick, LWS_US_PER_SEC);
}

static void *server_main(void *arg)
{
    hub_server *s = arg;
    lws_sul_schedule(s->ctx, 0, &s->tick, tick, LWS_US_PER_SEC);
    while (!atomic_load(&s->h->stop))
        if (lws_service(s->ctx, 0) < 0)
            break;
    lws_sul_cancel(&s->tick);
    for (hub_conn *c = s->conns; c; c = c->next)
        hub_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "hub shutting down");
    /* a few passes so that the close frames go out */
    uint64_t until = hub_mono_ms() + 300;
    while (s->conns && hub_mono_ms() < until)
        if (lws_service(s->ctx, 0) < 0)
            break;
    pthread_mutex_lock(&s->wake_lock);
    s->ctx_alive = false;
    pthread_mutex_unlock(&s->wake_lock);
    lws_context_destroy(s->ctx);
    s->ctx = NULL;
    return NULL;
}

psc_err hub_server_start(hub *h, uint16_t *port)
{
    hub_server *s = calloc(1, sizeof *s);
    if (!s)
        return PSC_ERR_NOMEM;
    s->h = h;
    s->local_only = !h->opt.token;
    if (psc_serve_guard_new(&s->guard)) {
        free(s);
        return PSC_ERR_NOMEM;
    }
    pthread_mutex_init(&s->wake_lock, NULL);
    atomic_init(&s->wake_pending, false);
    s->protocols[0].name = "hub";
    s->protocols[0].callback = callback;
    s->protocols[0].per_session_data_size = sizeof(hub_conn);
    s->protocols[0].rx_buffer_size = 65536;
    s->mount.mountpoint = "/";
    s->mount.mountpoint_len = 1;
    s->mount.origin = "hub";
    s->mount.origin_protocol = LWSMPRO_CALLBACK;

    uint64_t opts = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | opts;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    info.count_threads = 1;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        psc_serve_guard_free(s->guard);
        free(s);
        return PSC_ERR_IO;
    }
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.options = opts;
    if (!strchr(h->opt.bind, ':'))
        vi.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    vi.port = h->opt.port;
    vi.iface = h->opt.bind;
    vi.protocols = s->protocols;
    vi.mounts = &s->mount;
    vi.vhost_name = "hub";
    s->vh = lws_create_vhost(s->ctx, &vi);
    int p = s->vh ? lws_get_vhost_listen_port(s->vh) : -1;
    if (p <= 0 || p > 65535) {
        lws_context_destroy(s->ctx);
        psc_serve_guard_free(s->guard);
        free(s);
        return PSC_ERR_IO;
    }
    s->ctx_alive = true;
    h->server = s;
    if (pthread_create(&s->thread, NULL, server_main, s)) {
        h->server = NULL;
        lws_context_destroy(s->ctx);
        psc_serve_guard_free(s->guard);
        free(s);
        return PSC_ERR_NOMEM;
    }
    *port = (uint16_t)p;
    return PSC_OK;
}

void hub_server_wake(hub *h)
{
    hub_server *s = h->server;
    if (!s || atomic_exchange(&s->wake_pending, true))
        return;
    pthread_mutex_lock(&s->wake_lock);
    if (s->ctx_alive)
        lws_cancel_service(s->ctx);
    pthread_mutex_unlock(&s->wake_lock);
}

void hub_server_stop(hub *h)
{
    hub_server *s = h->server;
    if (!s)
        return;
    atomic_store(&s->wake_pending, false);
    hub_server_wake(h);
    pthread_join(s->thread, NULL);
    h->server = NULL;
    pthread_mutex_destroy(&s->wake_lock);
    psc_serve_guard_free(s->guard);
    free(s);
}

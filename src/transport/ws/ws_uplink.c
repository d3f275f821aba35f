/*
 * WebSocket endpoint: the push link. The node dials the hub (hub_url) and,
 * once upgraded, serves an ordinary session on that socket (ws_session.c
 * maps the client-side callbacks to the same session calls as accepted
 * connections). Attempts are lws_sul timers on the service thread (or the
 * host's uv loop): no thread and no sleep of their own.
 */
#include "endpoint/endpoint.h"
#include "transport/ws/ws.h"
#include "core/core.h"
#include "peerscope/client.h"

#include <sodium.h>
#include <stdio.h>
#include <time.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static psc_introspector *intro_of(const psc__ws *ws)
{
    return psc_endpoint_introspector(ws->ep);
}

/* ------------------------------------------------------------ configuration */

/* The rules of access_token: it goes into a header verbatim. */
static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 16 || n > 256)
        return false;
    for (; *t; t++)
        if (*t <= ' ' || *t == 0x7f || *t == '&' || *t == '#')
            return false;
    return true;
}

static bool node_ok(const char *n)
{
    size_t len = strlen(n);
    if (!len || len > PSC__WS_HUB_NODE_MAX)
        return false;
    for (; *n; n++)
        if ((unsigned char)*n < ' ' || *n == 0x7f)
            return false;
    return true;
}

psc_err psc__ws_uplink_init(psc__ws *ws, const psc_ws_config *cfg)
{
    psc__ws_uplink *h = &ws->hub;
    h->min_ms = PSC__WS_HUB_MIN_BACKOFF_MS;
    h->max_ms = PSC__WS_HUB_MAX_BACKOFF_MS;
    if (pthread_mutex_init(&h->lock, NULL))
        return PSC_ERR_NOMEM;
    h->lock_ready = true;
    h->info.struct_size = sizeof h->info;

#define HAS(field) (cfg->struct_size >= offsetof(psc_ws_config, field) + sizeof(cfg->field))
    const char *url = HAS(hub_url) ? cfg->hub_url : NULL;
    const char *token = HAS(hub_token) ? cfg->hub_token : NULL;
    const char *node = HAS(hub_node) ? cfg->hub_node : NULL;
    const char *ca = HAS(hub_tls_ca_path) ? cfg->hub_tls_ca_path : NULL;
#undef HAS
    psc_introspector *in = intro_of(ws);
    if (!url) {
        if (token || node || ca) {
            psc__log(in, PSC_LOG_ERROR, "ws: hub_token, hub_node and hub_tls_ca_path need a hub_url");
            return PSC_ERR_INVALID;
        }
        return PSC_OK;
    }
    psc_client_url u;
    if (psc_client_parse_url(url, &u) != PSC_OK) {
        psc__log(in, PSC_LOG_ERROR, "ws: hub_url is not a ws:// or wss:// URL");
        return PSC_ERR_INVALID;
    }
    if (token && !token_ok(token)) {
        psc__log(in, PSC_LOG_ERROR,
                 "ws: hub_token must be 16 to 256 characters, none a space, control character, '&' or '#'");
        return PSC_ERR_INVALID;
    }
    if (node && !node_ok(node)) {
        psc__log(in, PSC_LOG_ERROR, "ws: hub_node must be 1 to %u bytes without control characters",
                 PSC__WS_HUB_NODE_MAX);
        return PSC_ERR_INVALID;
    }
    if (ca && (!ca[0] || !u.tls)) {
        psc__log(in, PSC_LOG_ERROR, "ws: hub_tls_ca_path is for a wss:// hub_url only");
        return PSC_ERR_INVALID;
    }
    const psc__alloc *a = &ws->alloc;
    bool ok = true;
    h->host = psc__strdup(a, u.host, &ok);
    h->path = psc__strdup(a, u.path, &ok);
    h->token = psc__strdup(a, token, &ok);
    h->node = psc__strdup(a, node, &ok);
    h->ca_path = psc__strdup(a, ca, &ok);
    if (!ok)
        return PSC_ERR_NOMEM;
    h->token_len = token ? strlen(token) : 0;
    h->tls = u.tls;
    h->port = u.port;
    h->on = true;
    bool v6 = strchr(u.host, ':') != NULL;
    snprintf(h->host_header, sizeof h->host_header, "%s%s%s:%u", v6 ? "[" : "", u.host, v6 ? "]" : "",
             (unsigned)u.port);
    snprintf(h->remote, sizeof h->remote, "hub %.59s", h->host_header);
    return PSC_OK;
}

void psc__ws_uplink_fini(psc__ws *ws)
{
    psc__ws_uplink *h = &ws->hub;
    const psc__alloc *a = &ws->alloc;
    psc__free(a, h->host);
    psc__free(a, h->path);
    if (h->token)
        sodium_memzero(h->token, h->token_len);
    psc__free(a, h->token);
    psc__free(a, h->node);
    psc__free(a, h->ca_path);
    if (h->lock_ready)
        pthread_mutex_destroy(&h->lock);
}

void psc__ws_hub_set_backoff(psc_endpoint *ep, uint32_t min_ms, uint32_t max_ms)
{
    psc__ws *ws = psc_endpoint_state(ep);
    if (min_ms)
        ws->hub.min_ms = min_ms;
    if (max_ms)
        ws->hub.max_ms = max_ms;
    if (ws->hub.max_ms < ws->hub.min_ms)
        ws->hub.max_ms = ws->hub.min_ms;
}

/* ------------------------------------------------------------ status */

static void set_error(psc__ws_uplink *h, const char *why)
{
    pthread_mutex_lock(&h->lock);
    snprintf(h->info.last_error, sizeof h->info.last_error, "%s", why);
    pthread_mutex_unlock(&h->lock);
}

psc_err psc_ws_hub_status(psc_endpoint *ep, psc_ws_hub_info *out)
{
    if (!ep || !out || out->struct_size < offsetof(psc_ws_hub_info, last_error) || ep->vt.start != psc__ws_start)
        return PSC_ERR_INVALID;
    psc__ws *ws = psc_endpoint_state(ep);
    if (!ws->hub.on)
        return PSC_ERR_NOT_FOUND;
    size_t n = out->struct_size < sizeof *out ? out->struct_size : sizeof *out;
    pthread_mutex_lock(&ws->hub.lock);
    psc_ws_hub_info info = ws->hub.info;
    pthread_mutex_unlock(&ws->hub.lock);
    info.struct_size = out->struct_size;
    memcpy(out, &info, n);
    return PSC_OK;
}

/* ------------------------------------------------------------ attempts */

/* Percent-encode everything but RFC 3986's unreserved characters. */
static void url_encode(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = 0;
}

/* hub_node, else the peer id as it is now, else "node". */
static void node_name(psc__ws *ws, char *out, size_t cap)
{
    if (ws->hub.node) {
        snprintf(out, cap, "%s", ws->hub.node);
        return;
    }
    psc_introspector *in = intro_of(ws);
    psc__intro_peer_id_copy(in, out, cap, "node");
    out[PSC__WS_HUB_NODE_MAX] = 0; /* a peer id is far shorter; the hub's limit holds anyway */
}

static void attempt(lws_sorted_usec_list_t *sul);

static void schedule(psc__ws *ws, uint32_t ms)
{
    /* +-20%, so that a fleet cut off at once does not come back at once */
    uint32_t span = ms / 5;
    uint32_t wait = ms - span + (span ? randombytes_uniform(2 * span + 1) : 0);
    lws_sul_schedule(ws->ctx, 0, &ws->hub.sul, attempt, (lws_usec_t)wait * LWS_US_PER_MS);
}

static void attempt(lws_sorted_usec_list_t *sul)
{
    psc__ws_uplink *h = lws_container_of(sul, psc__ws_uplink, sul);
    psc__ws *ws = lws_container_of(h, psc__ws, hub);
    if (atomic_load(&ws->stop) || h->wsi || !ws->ctx)
        return;
    char name[PSC__WS_HUB_NODE_MAX + 1];
    node_name(ws, name, sizeof name);
    char enc[3 * PSC__WS_HUB_NODE_MAX + 1];
    url_encode(enc, sizeof enc, name);
    snprintf(h->target, sizeof h->target, "%s%snode=%s", h->path, strchr(h->path, '?') ? "&" : "?", enc);

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = ws->ctx;
    i.vhost = h->vh;
    i.address = h->host;
    i.port = h->port;
    i.path = h->target;
    i.host = h->host_header;
    /* A redirect would carry the token to wherever it points. */
    i.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT | (h->tls ? LCCSCF_USE_SSL : 0);
    /* No subprotocol is offered; the link binds to the endpoint's handler by name. */
    i.protocol = NULL;
    i.local_protocol_name = ws->protocols[0].name;
    i.retry_and_idle_policy = &ws->idle_policy;
    i.pwsi = &h->wsi;
    pthread_mutex_lock(&h->lock);
    h->info.attempts++;
    pthread_mutex_unlock(&h->lock);
    h->refused = false;
    uint64_t downs = h->downs;
    if (!lws_client_connect_via_info(&i)) {
        h->wsi = NULL;
        /* lws may have reported the failure already (and scheduled the next attempt) */
        if (h->downs == downs)
            psc__ws_uplink_down(ws, NULL, "could not start the connection");
    }
}

psc_err psc__ws_uplink_start(psc__ws *ws)
{
    psc__ws_uplink *h = &ws->hub;
    if (!h->on)
        return PSC_OK;
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.protocols = ws->protocols;
    vi.vhost_name = "peerscope-hub";
    /* TLS on this vhost only (see psc__ws_start on OpenSSL 3 and global init). */
    if (h->tls) {
        vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        vi.client_ssl_ca_filepath = h->ca_path;
    }
    h->vh = lws_create_vhost(ws->ctx, &vi);
    if (!h->vh) {
        psc__log(intro_of(ws), PSC_LOG_ERROR, "ws: cannot set up the hub link%s",
                 h->ca_path ? " (is hub_tls_ca_path a readable PEM file?)" : "");
        return PSC_ERR_IO;
    }
    h->wsi = NULL;
    h->backoff_ms = h->min_ms;
    h->up_mono_ms = 0;
    memset(&h->sul, 0, sizeof h->sul);
    lws_sul_schedule(ws->ctx, 0, &h->sul, attempt, 1);
    return PSC_OK;
}

void psc__ws_uplink_stop(psc__ws *ws)
{
    if (ws->hub.on && ws->ctx)
        lws_sul_cancel(&ws->hub.sul);
}

/* ------------------------------------------------------------ link callbacks */

void psc__ws_uplink_headers(psc__ws *ws, struct lws *wsi, void *in, size_t len, int *ret)
{
    psc__ws_uplink *h = &ws->hub;
    *ret = 0;
    if (!h->token)
        return;
    unsigned char **p = in, *end = *p + len;
    char value[8 + 256 + 1];
    int n = snprintf(value, sizeof value, "Bearer %s", h->token);
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (const unsigned char *)value, n, p, end))
        *ret = -1;
    sodium_memzero(value, sizeof value);
}

void psc__ws_uplink_up(psc__ws *ws, struct lws *wsi)
{
    psc__ws_uplink *h = &ws->hub;
    (void)wsi;
    h->up_mono_ms = mono_ms();
    pthread_mutex_lock(&h->lock);
    h->info.connected = true;
    h->info.connects++;
    h->info.connected_since_ms = psc_introspector_now_ms(intro_of(ws));
    pthread_mutex_unlock(&h->lock);
    psc__log(intro_of(ws), PSC_LOG_INFO, "ws: linked to the hub at %s as node \"%s\"", h->host_header, h->target);
}

void psc__ws_uplink_down(psc__ws *ws, struct lws *wsi, const char *why)
{
    psc__ws_uplink *h = &ws->hub;
    if (!h->on || (wsi && h->wsi && wsi != h->wsi))
        return;
    h->downs++;
    bool was_up = h->up_mono_ms != 0;
    uint64_t up_for = was_up ? mono_ms() - h->up_mono_ms : 0;
    h->wsi = NULL;
    h->up_mono_ms = 0;
    if (why) {
        /* The status of a refused upgrade is in the answer lws read. */
        unsigned status = wsi ? lws_http_client_http_response(wsi) : 0;
        char buf[128];
        if (status == 401 || status == 403) {
            h->refused = true;
            snprintf(buf, sizeof buf, "the hub refused the token (HTTP %u)", status);
        } else if (status && status != 101) {
            snprintf(buf, sizeof buf, "the hub answered HTTP %u: %s", status, why);
        } else {
            snprintf(buf, sizeof buf, "%s", why);
        }
        pthread_mutex_lock(&h->lock);
        bool repeated = !strcmp(h->info.last_error, buf);
        pthread_mutex_unlock(&h->lock);
        set_error(h, buf);
        /* a hub that stays away is logged once, not every attempt */
        if (!atomic_load(&ws->stop) && (!repeated || h->refused))
            psc__log(intro_of(ws), h->refused ? PSC_LOG_ERROR : PSC_LOG_WARN, "ws: hub link to %s: %s%s",
                     h->host_header, buf, h->refused ? " (check hub_token; retrying at the longest interval)" : "");
    } else if (was_up) {
        set_error(h, "the link closed");
        if (!atomic_load(&ws->stop))
            psc__log(intro_of(ws), PSC_LOG_WARN, "ws: hub link to %s closed", h->host_header);
    }
    pthread_mutex_lock(&h->lock);
    h->info.connected = false;
    h->info.connected_since_ms = 0;
    pthread_mutex_unlock(&h->lock);
    if (atomic_load(&ws->stop) || !ws->ctx)
        return;
    schedule(ws, psc__ws_hub_backoff(&h->backoff_ms, h->min_ms, h->max_ms, h->refused, was_up ? up_for : 0));
}

uint32_t psc__ws_hub_backoff(uint32_t *backoff_ms, uint32_t min_ms, uint32_t max_ms, bool refused, uint64_t up_for_ms)
{
    if (up_for_ms >= PSC__WS_HUB_STABLE_MS)
        *backoff_ms = min_ms;
    if (refused)
        return max_ms; /* a wrong token stays wrong: no point in hurrying */
    uint32_t wait = *backoff_ms;
    *backoff_ms = *backoff_ms > max_ms / 2 ? max_ms : *backoff_ms * 2;
    return wait;
}

/* WebSocket endpoint: configuration, the vtable, and the public helpers. */
#include "endpoint/endpoint.h"
#include "transport/ws/ws.h"
#include "core/core.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <strings.h>

#define CFG_MIN_SIZE (offsetof(psc_ws_config, n_assets) + sizeof(size_t))
/* Fields after n_assets are read only from callers built with them. */
#define CFG_HAS(cfg, field) ((cfg)->struct_size >= offsetof(psc_ws_config, field) + sizeof((cfg)->field))

static void ws_fini(void *state, void *user)
{
    (void)user;
    psc__ws *ws = state;
    const psc__alloc *a = &ws->alloc;
    if (!a->free)
        return; /* init failed before anything was copied */
    psc__ws_loop_fini(ws);
    psc__ws_http_fini(ws);
    psc__ws_metrics_fini(ws);
    psc__free(a, ws->bind_address);
    psc__free(a, ws->path);
    if (ws->token)
        sodium_memzero(ws->token, ws->token_len); /* a secret: not left in freed memory */
    psc__free(a, ws->token);
    for (size_t i = 0; ws->origins && i < ws->n_origins; i++)
        psc__free(a, ws->origins[i]);
    psc__free(a, ws->origins);
    psc__free(a, ws->tls_cert);
    psc__free(a, ws->tls_key);
    psc__ws_uplink_fini(ws);
    if (ws->wake_lock_ready)
        pthread_mutex_destroy(&ws->wake_lock);
}

static bool valid_path(const char *p)
{
    if (p[0] != '/' || strlen(p) > 128)
        return false;
    for (; *p; p++)
        if (*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f)
            return false;
    return true;
}

static psc_err ws_init(psc_endpoint *ep, void *state, const void *config, void *user)
{
    (void)user;
    psc__ws *ws = state;
    const psc_ws_config defaults = PSC_WS_CONFIG_INIT;
    const psc_ws_config *cfg = config ? config : &defaults;
    if (cfg->struct_size < CFG_MIN_SIZE)
        return PSC_ERR_INVALID;
    if ((cfg->tls_cert_path == NULL) != (cfg->tls_key_path == NULL))
        return PSC_ERR_INVALID;
    if (cfg->path && !valid_path(cfg->path))
        return PSC_ERR_INVALID;
    if (cfg->n_allowed_origins && !cfg->allowed_origins)
        return PSC_ERR_INVALID;
    if (cfg->n_assets && !cfg->assets)
        return PSC_ERR_INVALID;
    const char *assets_dir = CFG_HAS(cfg, assets_dir) ? cfg->assets_dir : NULL;
    if (assets_dir && !assets_dir[0])
        return PSC_ERR_INVALID;
    for (size_t i = 0; i < cfg->n_assets; i++)
        if (!cfg->assets[i].path || cfg->assets[i].path[0] != '/' || !cfg->assets[i].content_type ||
            (cfg->assets[i].len && !cfg->assets[i].data))
            return PSC_ERR_INVALID;
    if (cfg->access_token && (strlen(cfg->access_token) < 16 || strlen(cfg->access_token) > 256))
        return PSC_ERR_INVALID; /* too short to be a secret, or longer than a header we read */
    if (cfg->access_token)
        for (const char *p = cfg->access_token; *p; p++)
            if (*p <= ' ' || *p == 0x7f || *p == '&' || *p == '#')
                return PSC_ERR_INVALID; /* must survive a query string and a header */
    if (cfg->bind_address && !psc__ws_is_loopback(cfg->bind_address)) {
        struct in6_addr probe;
        if (inet_pton(AF_INET, cfg->bind_address, &probe) != 1 && inet_pton(AF_INET6, cfg->bind_address, &probe) != 1)
            return PSC_ERR_INVALID;
        /* Reachable from other machines: someone must have said who may connect. */
        if (!cfg->access_token && !cfg->insecure_allow_unauthenticated_remote)
            return PSC_ERR_AUTH;
    }

    ws->ep = ep;
    ws->alloc = *psc__intro_alloc(psc_endpoint_introspector(ep));
    const psc__alloc *a = &ws->alloc;
    bool ok = true;
    const char *bind = cfg->bind_address && strcasecmp(cfg->bind_address, "localhost") ? cfg->bind_address
                                                                                        : "127.0.0.1";
    ws->bind_address = psc__strdup(a, bind, &ok);
    ws->path = psc__strdup(a, cfg->path ? cfg->path : PSC_WS_DEFAULT_PATH, &ok);
    ws->token = psc__strdup(a, cfg->access_token, &ok);
    ws->token_len = cfg->access_token ? strlen(cfg->access_token) : 0;
    ws->tls_cert = psc__strdup(a, cfg->tls_cert_path, &ok);
    ws->tls_key = psc__strdup(a, cfg->tls_key_path, &ok);
    if (!ok)
        return PSC_ERR_NOMEM;
    if (cfg->n_allowed_origins) {
        ws->origins = psc__calloc(a, cfg->n_allowed_origins, sizeof(char *));
        if (!ws->origins)
            return PSC_ERR_NOMEM;
        for (size_t i = 0; i < cfg->n_allowed_origins; i++) {
            if (!cfg->allowed_origins[i])
                return PSC_ERR_INVALID;
            if (!strcmp(cfg->allowed_origins[i], "*"))
                ws->any_origin = true;
            ws->origins[i] = psc__strdup(a, cfg->allowed_origins[i], &ok);
            ws->n_origins = i + 1;
            if (!ok)
                return PSC_ERR_NOMEM;
        }
    }
    ws->local_only = psc__ws_is_loopback(cfg->bind_address) && !cfg->access_token;
    ws->cfg_port = cfg->port;
    ws->max_message = cfg->max_message_size ? cfg->max_message_size : PSC__WS_DEFAULT_MAX_MESSAGE;
    ws->fragment = cfg->fragment_size ? cfg->fragment_size : PSC__WS_DEFAULT_FRAGMENT;
    if (ws->fragment < PSC__WS_MIN_FRAGMENT)
        ws->fragment = PSC__WS_MIN_FRAGMENT;
    /* Without host assets the embedded visualizer is served (assets/assets.h). */
    ws->assets = cfg->n_assets ? cfg->assets : NULL;
    ws->n_assets = cfg->n_assets;
    ws->recorder = CFG_HAS(cfg, recorder) ? cfg->recorder : NULL;
    ws->metrics = !(CFG_HAS(cfg, disable_metrics) && cfg->disable_metrics);
    ws->metrics_top = CFG_HAS(cfg, metrics_top_peers) ? cfg->metrics_top_peers : 0;
    if (ws->metrics_top > PSC_WS_METRICS_TOP_PEERS_MAX)
        ws->metrics_top = PSC_WS_METRICS_TOP_PEERS_MAX;
    psc_err lerr = psc__ws_loop_init(ws, CFG_HAS(cfg, uv_loop) ? cfg->uv_loop : NULL,
                                     CFG_HAS(cfg, glib_context) ? cfg->glib_context : NULL,
                                     CFG_HAS(cfg, ev_loop) ? cfg->ev_loop : NULL);
    if (lerr)
        return lerr;
    if (pthread_mutex_init(&ws->wake_lock, NULL))
        return PSC_ERR_NOMEM;
    ws->wake_lock_ready = true;
    psc_err err = psc__ws_uplink_init(ws, cfg);
    if (err)
        return err;
    /* Opened now so that a wrong path fails here, not at the first request. */
    if (assets_dir)
        return psc__ws_http_open_dir(ws, assets_dir);
    return PSC_OK;
}

static psc_err ws_listen_addr(void *state, size_t i, char *buf, size_t len, void *user)
{
    (void)user;
    psc__ws *ws = state;
    uint16_t port = atomic_load(&ws->port);
    if (!port)
        return PSC_ERR_STATE;
    if (i > 0)
        return PSC_ERR_NOT_FOUND;
    bool v6 = strchr(ws->bind_address, ':') != NULL;
    int n = snprintf(buf, len, "%s://%s%s%s:%u%s", ws->tls_cert ? "wss" : "ws", v6 ? "[" : "", ws->bind_address,
                     v6 ? "]" : "", (unsigned)port, ws->path);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = 0;
        return PSC_ERR_TOO_BIG;
    }
    return PSC_OK;
}

static const psc_endpoint_vtable ws_vtable = {
    .struct_size = sizeof(psc_endpoint_vtable),
    .name = "ws",
    .state_size = sizeof(psc__ws),
    .init = ws_init,
    .start = psc__ws_start,
    .close = psc__ws_close,
    .fini = ws_fini,
    .wake = psc__ws_wake,
    .listen_addr = ws_listen_addr,
    .session_ready = psc__ws_session_ready,
};

const psc_endpoint_vtable *psc_ws_vtable(void)
{
    return &ws_vtable;
}

psc_err psc_ws_endpoint_new(psc_introspector *intro, const psc_ws_config *cfg, psc_endpoint **out)
{
    if (cfg && cfg->struct_size < CFG_MIN_SIZE)
        return PSC_ERR_INVALID;
    return psc_endpoint_new(intro, &ws_vtable, cfg, cfg ? cfg->options : NULL, NULL, out);
}

bool psc_ws_loop_done(psc_endpoint *ep)
{
    if (!ep || ep->vt.start != psc__ws_start)
        return true;
    psc__ws *ws = psc_endpoint_state(ep);
    return psc__ws_loop_done(ws);
}

psc_err psc_ws_port(psc_endpoint *ep, uint16_t *port)
{
    if (!ep || !port || ep->vt.start != psc__ws_start)
        return PSC_ERR_INVALID;
    psc__ws *ws = psc_endpoint_state(ep);
    uint16_t p = atomic_load(&ws->port);
    if (!p)
        return PSC_ERR_STATE;
    *port = p;
    return PSC_OK;
}

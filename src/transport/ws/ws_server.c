/* WebSocket endpoint: the libwebsockets context, its service thread, timers, wake-ups. */
#include "transport/ws/ws.h"
#include "core/core.h"

#include <time.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ service timer */

static void service_timer(lws_sorted_usec_list_t *sul)
{
    psc__ws *ws = lws_container_of(sul, psc__ws, sul);
    psc__ws_service(ws);
}

void psc__ws_service(psc__ws *ws)
{
    uint64_t next = UINT64_MAX;
    psc_endpoint_service(ws->ep, &next);
    if (next == UINT64_MAX) {
        lws_sul_cancel(&ws->sul);
        return;
    }
    /* 0 means more events are waiting: come back right after other sockets. */
    lws_usec_t us = next == 0 ? 1 : (next > 3600000u ? 3600000u : next) * LWS_US_PER_MS;
    lws_sul_schedule(ws->ctx, 0, &ws->sul, service_timer, us);
    if (ws->loop_ops && ws->loop_ops->timer)
        ws->loop_ops->timer(ws, us);
}

void psc__ws_service_soon(psc__ws *ws)
{
    lws_sul_schedule(ws->ctx, 0, &ws->sul, service_timer, 1);
    if (ws->loop_ops && ws->loop_ops->timer)
        ws->loop_ops->timer(ws, 1);
}

/* ------------------------------------------------------------ cross-thread */

void psc__ws_wake(void *state, void *user)
{
    (void)user;
    psc__ws *ws = state;
    /* The one lws call allowed off the service thread; the lock keeps the
     * context alive while we are in it. */
    pthread_mutex_lock(&ws->wake_lock);
    if (ws->ctx_alive)
        lws_cancel_service(ws->ctx);
    pthread_mutex_unlock(&ws->wake_lock);
}

void psc__ws_session_ready(void *state, psc_endpoint_session *s, void *user)
{
    (void)state;
    (void)user;
    psc__ws_conn *c = psc_endpoint_session_user(s);
    if (c && c->wsi)
        lws_callback_on_writable(c->wsi);
}

/* ------------------------------------------------------------ thread */

static void stop_tick(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to make lws_service return */
}

/* Send every client a close frame with a reason before the context goes. */
static void close_gracefully(psc__ws *ws)
{
    lws_sul_cancel(&ws->sul);
    psc__ws_uplink_stop(ws);
    for (psc__ws_conn *c = ws->conns; c; c = c->next)
        psc__ws_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
    lws_sorted_usec_list_t tick;
    memset(&tick, 0, sizeof tick);
    uint64_t deadline = mono_ms() + PSC__WS_CLOSE_GRACE_MS;
    while (ws->n_conns && mono_ms() < deadline) {
        lws_sul_schedule(ws->ctx, 0, &tick, stop_tick, 20 * LWS_US_PER_MS);
        if (lws_service(ws->ctx, 0) < 0)
            break;
    }
    lws_sul_cancel(&tick);
}

/* Undo a start that failed after the context was made. A context on the
 * host's loop is left to the close machinery (a uv one ends only as the
 * loop runs): the host sees PSC_ERR_IO and psc_ws_loop_done says when it
 * may free. */
static void drop_context(psc__ws *ws)
{
    if (ws->loop_ops) {
        psc__ws_loop_end(ws);
        return; /* the log sink stays until fini */
    }
    lws_context_destroy(ws->ctx);
    ws->ctx = NULL;
    psc__ws_log_detach(ws);
}

static void *service_main(void *arg)
{
    psc__ws *ws = arg;
    while (!atomic_load(&ws->stop))
        if (lws_service(ws->ctx, 0) < 0)
            break;
    close_gracefully(ws);
    pthread_mutex_lock(&ws->wake_lock);
    ws->ctx_alive = false;
    pthread_mutex_unlock(&ws->wake_lock);
    /* Closes what is left; CLOSED callbacks end their sessions. */
    lws_context_destroy(ws->ctx);
    ws->ctx = NULL;
    return NULL;
}

/* On the host's loop thread: end every connection now (their CLOSED
 * callbacks end the sessions) and let lws close its handles (ws_loop.c
 * and the kind's file end the context and set loop_finished, a uv one as
 * the loop runs on). No close frame is waited for: that would take loop
 * iterations close must not run. */
static void close_on_loop(psc__ws *ws)
{
    if (!ws->ctx)
        return;
    lws_sul_cancel(&ws->sul);
    psc__ws_uplink_stop(ws);
    pthread_mutex_lock(&ws->wake_lock);
    ws->ctx_alive = false;
    pthread_mutex_unlock(&ws->wake_lock);
    psc__ws_loop_end(ws);
}

/* ------------------------------------------------------------ start / close */

psc_err psc__ws_start(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)user;
    psc__ws *ws = state;
    memset(ws->protocols, 0, sizeof ws->protocols);
    ws->protocols[0].name = "peerscope";
    ws->protocols[0].callback = psc__ws_callback;
    ws->protocols[0].per_session_data_size = sizeof(psc__ws_conn);
    ws->protocols[0].rx_buffer_size = 4096;

    /* Everything over HTTP goes to the callback, which routes it; a later
     * mount (a directory of assets, say) can sit beside this one. */
    memset(&ws->mount, 0, sizeof ws->mount);
    ws->mount.mountpoint = "/";
    ws->mount.mountpoint_len = 1;
    ws->mount.origin = "peerscope";
    ws->mount.origin_protocol = LWSMPRO_CALLBACK;

    uint64_t opts = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    /* TLS is initialised on the vhost only: with OpenSSL 3, a context that
     * also asks for the global init leaks its trust store when another
     * such context is alive in the process (two TLS endpoints, or an
     * endpoint and a wss client). */
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | opts;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = ws;
    info.count_threads = 1;
    if (ws->loop_ops && psc__ws_loop_prepare(ws, &info) != PSC_OK)
        return PSC_ERR_IO;
    psc__ws_log_attach(ws);
    ws->ctx = lws_create_context(&info);
    if (!ws->ctx) {
        psc__ws_log_detach(ws);
        return PSC_ERR_IO;
    }

    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.options = opts;
    /* With IPv6 on, lws 4.1 binds every interface when given an IPv4
     * address: an IPv4 bind must be an IPv4-only socket. */
    if (!strchr(ws->bind_address, ':'))
        vi.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    /* lws decides per vhost, from the vhost's own options, whether to use TLS. */
    if (ws->tls_cert)
        vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    vi.port = ws->cfg_port;
    vi.iface = ws->bind_address;
    vi.protocols = ws->protocols;
    vi.mounts = &ws->mount;
    vi.vhost_name = "peerscope";
    memset(&ws->idle_policy, 0, sizeof ws->idle_policy);
    ws->idle_policy.secs_since_valid_ping = PSC__WS_PING_AFTER_S;
    ws->idle_policy.secs_since_valid_hangup = PSC__WS_HANGUP_AFTER_S;
    vi.retry_and_idle_policy = &ws->idle_policy;
    vi.ssl_cert_filepath = ws->tls_cert;
    vi.ssl_private_key_filepath = ws->tls_key;
    /* TLS 1.2 and newer only, whatever the system's OpenSSL configuration
     * allows (lws hands these to SSL_CTX_set_options). */
    if (ws->tls_cert)
        vi.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    ws->vh = lws_create_vhost(ws->ctx, &vi);
    if (!ws->vh) {
        drop_context(ws);
        psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR,
                 "ws: cannot listen on %s port %u%s", ws->bind_address, (unsigned)ws->cfg_port,
                 ws->tls_cert ? " (or the TLS certificate/key could not be loaded)" : "");
        return PSC_ERR_IO;
    }
    int port = lws_get_vhost_listen_port(ws->vh);
    if (port <= 0 || port > 65535) {
        drop_context(ws);
        return PSC_ERR_IO;
    }
    if (psc__ws_uplink_start(ws) != PSC_OK) {
        drop_context(ws);
        return PSC_ERR_IO;
    }

    atomic_store(&ws->stop, false);
    pthread_mutex_lock(&ws->wake_lock);
    ws->ctx_alive = true;
    pthread_mutex_unlock(&ws->wake_lock);
    if (ws->loop_ops) {
        /* No thread: the host's loop services the context from now on. */
    } else if (pthread_create(&ws->thread, NULL, service_main, ws)) {
        pthread_mutex_lock(&ws->wake_lock);
        ws->ctx_alive = false;
        pthread_mutex_unlock(&ws->wake_lock);
        lws_context_destroy(ws->ctx);
        ws->ctx = NULL;
        psc__ws_log_detach(ws);
        return PSC_ERR_NOMEM;
    } else {
        ws->thread_started = true;
    }
    atomic_store(&ws->port, (uint16_t)port);
    psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_INFO, "ws: listening on %s://%s:%d%s",
             ws->tls_cert ? "wss" : "ws", ws->bind_address, port, ws->path);
    return PSC_OK;
}

void psc__ws_close(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)user;
    psc__ws *ws = state;
    atomic_store(&ws->stop, true);
    if (ws->loop_ops) {
        close_on_loop(ws);
        atomic_store(&ws->port, 0);
        return;
    }
    psc__ws_wake(ws, NULL);
    if (ws->thread_started) {
        pthread_join(ws->thread, NULL);
        psc__ws_log_detach(ws); /* the service thread destroyed the context */
    }
    ws->thread_started = false;
    atomic_store(&ws->port, 0);
}

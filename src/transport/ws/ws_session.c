/* WebSocket endpoint: the lws protocol callback and the WebSocket side of a connection. */
#include "endpoint/endpoint.h"
#include "transport/ws/ws.h"
#include "core/core.h"

#include <stdio.h>

/* RFC 6455 "try again later"; lws 4.1 has no name for it. */
#define CLOSE_TRY_AGAIN_LATER ((enum lws_close_status)1013)
/* The reassembly buffer is given back above this size once a message is done. */
#define RX_KEEP 4096u

static psc__ws *ws_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

void psc__ws_conn_close(psc__ws_conn *c, enum lws_close_status code, const char *why)
{
    if (!c->close_code) {
        c->close_code = code;
        c->close_why = why;
    }
    lws_callback_on_writable(c->wsi);
}

/* ------------------------------------------------------------ upgrade checks */

static bool path_is_ws(const psc__ws *ws, struct lws *wsi)
{
    char uri[256];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    if (n <= 0 || n >= (int)sizeof uri || lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return false;
    return strcmp(uri, ws->path) == 0;
}

/* Why an upgrade is refused (and the HTTP status), or NULL to let it in. */
static const char *upgrade_refusal(psc__ws *ws, struct lws *wsi, bool count, unsigned *status, char *buf, size_t cap)
{
    if (!path_is_ws(ws, wsi)) {
        *status = HTTP_STATUS_NOT_FOUND;
        return "no WebSocket at this path";
    }
    if (!psc__ws_host_ok(ws, wsi)) {
        *status = HTTP_STATUS_FORBIDDEN;
        return "Host not allowed (DNS rebinding protection)";
    }
    if (!psc__ws_origin_ok(ws, wsi)) {
        *status = HTTP_STATUS_FORBIDDEN;
        return "Origin not allowed";
    }
    uint64_t retry_ms = 0;
    psc__ws_auth auth = psc__ws_authorize(ws, wsi, count, &retry_ms);
    if (auth != PSC__WS_AUTH_OK)
        return psc__ws_auth_refusal(auth, retry_ms, buf, cap, status);
    if (psc__endpoint_sessions_counted(ws->ep) >= ws->ep->max_sessions) {
        *status = HTTP_STATUS_SERVICE_UNAVAILABLE;
        return "too many sessions";
    }
    return NULL;
}

static int confirm_upgrade(psc__ws *ws, struct lws *wsi, const char *to)
{
    if (!to || strcmp(to, "websocket"))
        return -1; /* h2c and the like: not offered */
    unsigned status = 0;
    char buf[96];
    const char *why = upgrade_refusal(ws, wsi, true, &status, buf, sizeof buf);
    if (!why)
        return 0;
    char peer[64];
    psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_INFO, "ws: refused a WebSocket from %s: %s",
             lws_get_peer_simple(wsi, peer, sizeof peer), why);
    if (lws_return_http_status(wsi, status, why))
        return -1;
    return 1;
}

/* ------------------------------------------------------------ WebSocket */

static void conn_unlink(psc__ws *ws, psc__ws_conn *c)
{
    if (!c->established)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        ws->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->established = false;
    ws->n_conns--;
}

/* An upgraded connection, accepted or (hub) dialled to the hub, becomes a
 * session; both sides of the link then take the same calls. */
static int conn_open(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, bool hub)
{
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    c->established = true;
    c->next = ws->conns;
    if (ws->conns)
        ws->conns->prev = c;
    ws->conns = c;
    ws->n_conns++;

    char peer[64];
    if (hub)
        snprintf(peer, sizeof peer, "%s", ws->hub.remote);
    else
        lws_get_peer_simple(wsi, peer, sizeof peer);
    psc_endpoint_session *s = NULL;
    psc_err err = psc__endpoint_session_open(ws->ep, peer, hub, &s);
    if (err == PSC_ERR_TOO_BIG) {
        psc__ws_conn_close(c, CLOSE_TRY_AGAIN_LATER, "too many sessions");
        return 0;
    }
    if (err) {
        psc__ws_conn_close(c, err == PSC_ERR_CLOSED ? LWS_CLOSE_STATUS_GOINGAWAY : LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                           err == PSC_ERR_CLOSED ? "server shutting down" : "server out of memory");
        return 0;
    }
    c->scratch = psc__malloc(&ws->alloc, LWS_PRE + ws->fragment);
    if (!c->scratch) {
        psc_endpoint_session_close(s);
        psc__ws_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "server out of memory");
        return 0;
    }
    psc_endpoint_session_set_user(s, c);
    c->sess = s;
    /* A slot is not held by a client that never says HELLO. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE, PSC__WS_HELLO_TIMEOUT_S);
    return 0;
}

static void conn_closed(psc__ws *ws, psc__ws_conn *c)
{
    if (c->sess) {
        psc_endpoint_session_close(c->sess);
        c->sess = NULL;
    }
    psc_msg_unref(c->tx);
    c->tx = NULL;
    psc__free(&ws->alloc, c->rx);
    c->rx = NULL;
    psc__free(&ws->alloc, c->scratch);
    c->scratch = NULL;
    conn_unlink(ws, c);
}

/* Make room for `more` bytes of the message being received. */
static bool rx_reserve(psc__ws *ws, psc__ws_conn *c, size_t more, size_t hint)
{
    size_t need = c->rx_len + more;
    if (need <= c->rx_cap)
        return true;
    size_t cap = need + hint;
    if (cap < RX_KEEP)
        cap = RX_KEEP;
    if (cap > ws->max_message)
        cap = ws->max_message;
    uint8_t *rx = psc__malloc(&ws->alloc, cap);
    if (!rx)
        return false;
    if (c->rx_len)
        memcpy(rx, c->rx, c->rx_len);
    psc__free(&ws->alloc, c->rx);
    c->rx = rx;
    c->rx_cap = cap;
    return true;
}

static int conn_receive(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const uint8_t *in, size_t len)
{
    if (!c->sess || c->close_code)
        return 0; /* closing: whatever else arrives is ignored */
    size_t remaining = lws_remaining_packet_payload(wsi);
    if (c->rx_len + len > ws->max_message || c->rx_len + len + remaining > ws->max_message) {
        psc__ws_conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
        return 0;
    }
    if (!rx_reserve(ws, c, len, remaining)) {
        psc__ws_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "server out of memory");
        return 0;
    }
    if (len)
        memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || remaining)
        return 0;

    psc_err err = psc_endpoint_session_recv(c->sess, c->rx, c->rx_len);
    c->rx_len = 0;
    if (!c->hello && psc__endpoint_session_hello_done(c->sess)) {
        c->hello = true;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    }
    if (c->rx_cap > RX_KEEP) {
        /* One big message must not pin its buffer for the session's life. */
        psc__free(&ws->alloc, c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    if (err == PSC_ERR_CLOSED) {
        const char *why = psc_endpoint_session_close_reason(c->sess);
        psc__ws_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, why ? why : "closed by the server");
    }
    /* The command may have changed what is due when (PUSH_ENABLE, UPDATE_CONFIG). */
    psc__ws_service_soon(ws);
    return 0;
}

static int conn_writeable(psc__ws *ws, psc__ws_conn *c, struct lws *wsi)
{
    if (c->close_code) {
        const char *why = c->close_why ? c->close_why : "";
        lws_close_reason(wsi, c->close_code, (unsigned char *)why, strlen(why));
        return -1;
    }
    if (!c->sess)
        return 0;
    if (!c->tx) {
        psc_err err = psc_endpoint_session_pull(c->sess, &c->tx);
        if (err == PSC_ERR_AGAIN)
            return 0; /* WRITEABLE can come with nothing to send */
        if (err) {
            const char *why = psc_endpoint_session_close_reason(c->sess);
            c->tx = NULL;
            psc__ws_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, why ? why : "closed by the server");
            return 0;
        }
        c->tx_off = 0;
    }
    /* The message is shared with other sessions and lws writes the frame
     * header in front of what it sends: send a private copy of each chunk. */
    size_t flen = 0;
    const uint8_t *framed = psc_msg_framed(c->tx, &flen);
    size_t chunk = flen - c->tx_off;
    if (chunk > ws->fragment)
        chunk = ws->fragment;
    memcpy(c->scratch + LWS_PRE, framed + c->tx_off, chunk);
    int flags = lws_write_ws_flags(LWS_WRITE_BINARY, c->tx_off == 0, c->tx_off + chunk == flen);
    int n = lws_write(wsi, c->scratch + LWS_PRE, chunk, (enum lws_write_protocol)flags);
    if (n < (int)chunk)
        return -1;
    c->tx_off += chunk;
    if (c->tx_off == flen) {
        psc_msg_unref(c->tx);
        c->tx = NULL;
    }
    if (c->tx || psc_endpoint_session_wants_write(c->sess))
        lws_callback_on_writable(wsi);
    return 0;
}

/* ------------------------------------------------------------ dispatcher */

int psc__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    psc__ws *ws = ws_of(wsi);
    psc__ws_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* Events were emitted (or close began): drain them on this thread
         * (once: every vhost's protocols hear it). */
        if (ws && ws->ctx && !atomic_load(&ws->stop) && lws_get_vhost(wsi) == ws->vh)
            psc__ws_service(ws);
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(ws, wsi, in);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        /* Checked again here: no path into a session without passing them
         * (not counted again: CONFIRM_UPGRADE counted this request). */
        unsigned status = 0;
        char buf[96];
        return upgrade_refusal(ws, wsi, false, &status, buf, sizeof buf) ? 1 : 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        return conn_open(ws, c, wsi, false);
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return conn_receive(ws, c, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return conn_writeable(ws, c, wsi);
    case LWS_CALLBACK_CLOSED:
        conn_closed(ws, c);
        return 0;
    /* The push link: the node dialled the hub and serves a session on it. */
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        int ret = 0;
        psc__ws_uplink_headers(ws, wsi, in, len, &ret);
        return ret;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        psc__ws_uplink_up(ws, wsi);
        return conn_open(ws, c, wsi, true);
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c)
            conn_closed(ws, c);
        psc__ws_uplink_down(ws, wsi, NULL);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        psc__ws_uplink_down(ws, wsi, in ? (const char *)in : "connection failed");
        return 0;
    case LWS_CALLBACK_HTTP:
        return psc__ws_http_request(ws, c, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return psc__ws_http_writeable(c, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
        /* a client gone mid-body must not keep its file buffer */
        psc__ws_http_closed(ws, c);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

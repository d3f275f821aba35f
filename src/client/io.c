/* The libwebsockets side of the client: one protocol callback for every loop. */
#include <stdio.h>
#include <string.h>

#include "client/client.h"

/* The client bound to wsi, if that wsi is still its current connection.
 * Freed or superseded clients have their wsi's opaque pointer cleared. */
static psc_client *client_of(struct lws *wsi)
{
    psc_client *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!c || c->wsi != wsi)
        return NULL;
    return c;
}

static bool contains(const void *in, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    const char *s = in;
    for (size_t i = 0; in && i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return true;
    return false;
}

static void connection_error(psc_client *c, struct lws *wsi, const void *in, size_t len)
{
    char why[96];
    int wl = (int)(len < sizeof why - 1 ? len : sizeof why - 1);
    snprintf(why, sizeof why, "%.*s", in ? wl : 0, in ? (const char *)in : "");

    psc_err err = PSC_ERR_IO;
    char reason[128];
    unsigned status = lws_http_client_http_response(wsi);
    if (c->timed_out) {
        err = PSC_ERR_TIMEOUT;
        snprintf(reason, sizeof reason, "not connected within %u ms", (unsigned)c->connect_timeout_ms);
    } else if (c->user_closed) {
        err = PSC_OK;
        snprintf(reason, sizeof reason, "closed by the client before it connected");
    } else if (contains(in, len, "unauthorized") || status == 401 || status == 403) {
        err = PSC_ERR_AUTH;
        snprintf(reason, sizeof reason, "upgrade refused with HTTP %u", status ? status : 401u);
    } else if (status == 429) {
        /* the endpoint locked this address out after wrong tokens */
        err = PSC_ERR_AUTH;
        snprintf(reason, sizeof reason, "upgrade refused with HTTP 429: too many wrong access tokens, try again later");
    } else if (status && status != 101) {
        err = PSC_ERR_PROTOCOL;
        snprintf(reason, sizeof reason, "upgrade refused with HTTP %u", status);
    } else if (contains(in, len, "OOM")) {
        err = PSC_ERR_NOMEM;
        snprintf(reason, sizeof reason, "%s", why);
    } else if (contains(in, len, "HS:")) {
        err = PSC_ERR_PROTOCOL;
        snprintf(reason, sizeof reason, "bad handshake: %s", why);
    } else {
        snprintf(reason, sizeof reason, "%s", why[0] ? why : "connection failed");
    }
    psc__client_finish(c, err, 0, reason);
}

static void closed(psc_client *c)
{
    if (c->timed_out)
        psc__client_finish(c, PSC_ERR_TIMEOUT, 0, "connection attempt timed out");
    else if (c->user_closed)
        psc__client_finish(c, PSC_OK, c->peer_closed ? c->peer_close_code : 0, "closed by the client");
    else if (c->peer_closed)
        psc__client_finish(c, PSC_ERR_CLOSED, c->peer_close_code, c->peer_close_reason);
    else
        psc__client_finish(c, PSC_ERR_IO, 0, "connection lost");
}

static void peer_close(psc_client *c, const uint8_t *in, size_t len)
{
    c->peer_closed = true;
    c->peer_close_code = len >= 2 ? (int)in[0] << 8 | in[1] : 0;
    size_t rl = len > 2 ? len - 2 : 0;
    if (rl > sizeof c->peer_close_reason - 1)
        rl = sizeof c->peer_close_reason - 1;
    if (rl)
        memcpy(c->peer_close_reason, in + 2, rl);
    c->peer_close_reason[rl] = 0;
    /* A close reason is UTF-8 text from the network: keep it printable
     * for the logs and terminals it ends up in. */
    for (size_t i = 0; i < rl; i++)
        if ((unsigned char)c->peer_close_reason[i] < 0x20 || c->peer_close_reason[i] == 0x7f)
            c->peer_close_reason[i] = '?';
}

static int writeable(psc_client *c, struct lws *wsi)
{
    if (c->close_requested) {
        static const char bye[] = "client closing";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)bye, sizeof bye - 1);
        return -1;
    }
    psc__cmd *cmd = c->q_head;
    if (!cmd)
        return 0; /* WRITEABLE may come with nothing to send */
    c->q_head = cmd->next;
    if (!c->q_head)
        c->q_tail = NULL;
    int n = lws_write(wsi, cmd->buf + LWS_PRE, cmd->len, LWS_WRITE_BINARY);
    bool ok = n >= 0 && (size_t)n >= cmd->len;
    psc__free(&c->alloc, cmd);
    if (!ok)
        return -1; /* ends in CLIENT_CLOSED: reported as a lost connection */
    c->commands_sent++;
    if (c->q_head)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    psc_client *c;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        c = client_of(wsi);
        if (!c || !c->auth_header)
            break;
        unsigned char **p = in;
        unsigned char *end = *p + len;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (const unsigned char *)c->auth_header,
                                         (int)strlen(c->auth_header), p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c = client_of(wsi);
        if (!c)
            break;
        if (c->connect_sul_armed) {
            lws_sul_cancel(&c->connect_sul);
            c->connect_sul_armed = false;
        }
        if (c->user_closed) {
            /* closed by the user while connecting: finish the handshake's
             * close instead of announcing it */
            c->close_requested = true;
            lws_callback_on_writable(wsi);
            break;
        }
        c->state = PSC_CLIENT_OPEN;
        if (c->q_head)
            lws_callback_on_writable(wsi);
        if (c->cb.on_open && !c->doomed)
            c->cb.on_open(c->user, c);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        c = client_of(wsi);
        if (c)
            psc__client_rx(c, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        c = client_of(wsi);
        if (c)
            return writeable(c, wsi);
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c = client_of(wsi);
        if (c)
            peer_close(c, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c = client_of(wsi);
        if (c)
            connection_error(c, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c = client_of(wsi);
        if (c)
            closed(c);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        /* The catch-all: whatever path freed the wsi, the client must not
         * keep pointing at it. */
        c = client_of(wsi);
        if (c)
            closed(c);
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols psc__client_protocols[] = {
    {PSC__CLIENT_PROTOCOL, callback, 0, PSC__CLIENT_RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

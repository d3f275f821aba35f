#include <stdio.h>
#include <string.h>

#include "client/client.h"
#include "util/lws_log.h"

psc_err psc__loop_new(const psc__alloc *a, psc_client_loop **out)
{
    psc_client_loop *loop = psc__calloc(a, 1, sizeof *loop);
    if (!loop)
        return PSC_ERR_NOMEM;
    loop->alloc = *a;

    /* TLS lives on vhosts made when a wss:// client needs one, never on
     * the context: with libwebsockets 4.1 and OpenSSL 3, every context
     * made with LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT while another such
     * context is alive leaks its whole trust store (~700 KB), and a host
     * that serves wss already has one. */
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = psc__client_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = loop;
    /* Without this lws prefixes the configured Origin with "http://". */
    info.options = LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
    /* nothing on stderr unless the host asked: the client reports through its callbacks */
    psc__lws_log_default();
    loop->ctx = lws_create_context(&info);
    if (!loop->ctx) {
        psc__free(a, loop);
        return PSC_ERR_IO;
    }
    *out = loop;
    return PSC_OK;
}

struct lws_vhost *psc__loop_tls_vhost(psc_client_loop *loop, const char *ca_file)
{
    if (!ca_file && loop->tls_vhost)
        return loop->tls_vhost;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = psc__client_protocols;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
    info.client_ssl_ca_filepath = ca_file;
    /* lws keeps the name by pointer: static strings only */
    info.vhost_name = ca_file ? "psc-client-ca" : "psc-client-tls";
    struct lws_vhost *vh = lws_create_vhost(loop->ctx, &info);
    if (!ca_file)
        loop->tls_vhost = vh;
    return vh;
}

psc_err psc_client_loop_new(const psc_client_loop_config *cfg, psc_client_loop **out)
{
    if (!out || (cfg && cfg->struct_size < sizeof(size_t)))
        return PSC_ERR_INVALID;
    psc_client_loop_config c = PSC_CLIENT_LOOP_CONFIG_INIT;
    if (cfg)
        memcpy(&c, cfg, cfg->struct_size < sizeof c ? cfg->struct_size : sizeof c);
    psc__alloc a;
    psc__alloc_init(&a, c.allocator);
    return psc__loop_new(&a, out);
}

void psc__loop_attach(psc_client_loop *loop, psc_client *c)
{
    c->loop = loop;
    c->prev = loop->tail;
    c->next = NULL;
    if (loop->tail)
        loop->tail->next = c;
    else
        loop->head = c;
    loop->tail = c;
}

void psc__loop_detach(psc_client_loop *loop, psc_client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        loop->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        loop->tail = c->prev;
    c->prev = c->next = NULL;
    c->loop = NULL;
}

static void loop_destroy(psc_client_loop *loop)
{
    /* Cut every client loose first: their wsi die with the context and
     * must find no client behind them. */
    while (loop->head) {
        psc_client *c = loop->head;
        if (c->wsi)
            lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
        if (c->connect_sul_armed) {
            lws_sul_cancel(&c->connect_sul);
            c->connect_sul_armed = false;
        }
        c->vhost = NULL; /* dies with the context */
        c->own_vhost = false;
        psc__client_drop_queue(c);
        psc__client_rx_reset(c);
        psc__client_drop_base(c);
        if (c->state != PSC_CLIENT_CLOSED || c->close_pending) {
            c->state = PSC_CLIENT_CLOSED;
            c->close_pending = false;
            c->close_err = PSC_ERR_CLOSED;
            c->close_code = 0;
            snprintf(c->close_reason, sizeof c->close_reason, "client loop freed");
        }
        psc__loop_detach(loop, c);
    }
    lws_context_destroy(loop->ctx);
    psc__alloc a = loop->alloc;
    psc__free(&a, loop);
}

void psc_client_loop_free(psc_client_loop *loop)
{
    if (!loop)
        return;
    if (loop->dispatching) {
        loop->free_pending = true;
        return;
    }
    loop_destroy(loop);
}

void psc_client_loop_wake(psc_client_loop *loop)
{
    if (loop)
        lws_cancel_service(loop->ctx);
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    /* Firing is all it takes: lws_service returns after running a ripe
     * timer, which bounds the poll's wait. */
    (void)sul;
}

/* Deliver the on_close callbacks pending when called. A callback may free
 * or create clients, so restart from the head after each delivery; a close
 * that a callback causes (a reconnect that fails at once) waits for the
 * next poll, so a client that reconnects from on_close cannot spin here. */
static void deliver_closes(psc_client_loop *loop)
{
    for (psc_client *c = loop->head; c; c = c->next)
        c->close_due = c->close_pending && !c->doomed;
    bool again = true;
    while (again && !loop->free_pending) {
        again = false;
        for (psc_client *c = loop->head; c; c = c->next) {
            if (!c->close_due)
                continue;
            c->close_due = false;
            if (psc__client_deliver_close(c)) {
                again = true;
                break;
            }
        }
    }
}

/* Release clients freed during dispatch. Returns true if the loop itself
 * is gone (private loop of a released client, or psc_client_loop_free). */
static bool reap(psc_client_loop *loop)
{
    bool free_loop = loop->free_pending;
    psc_client *c = loop->head;
    while (c) {
        psc_client *next = c->next;
        if (c->doomed) {
            if (c == loop->owner)
                free_loop = true;
            psc__client_release(c);
        }
        c = next;
    }
    if (free_loop) {
        loop->free_pending = false;
        loop_destroy(loop);
        return true;
    }
    return false;
}

psc_err psc_client_loop_poll(psc_client_loop *loop, int timeout_ms)
{
    if (!loop || timeout_ms < 0)
        return PSC_ERR_INVALID;
    if (loop->dispatching)
        return PSC_ERR_STATE;
    loop->dispatching = true;

    /* Closes that happened outside a poll (a connect that failed at once)
     * are due now; with them delivered, do not wait as well. */
    bool had_pending = false;
    for (psc_client *c = loop->head; c; c = c->next)
        if (c->close_pending && !c->doomed)
            had_pending = true;
    deliver_closes(loop);

    int n = 0;
    if (!loop->free_pending) {
        if (timeout_ms > 0 && !had_pending) {
            lws_sul_schedule(loop->ctx, 0, &loop->wake_sul, wake_cb, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
            n = lws_service(loop->ctx, 0);
            lws_sul_cancel(&loop->wake_sul);
        } else {
            n = lws_service(loop->ctx, -1);
        }
        deliver_closes(loop);
    }

    loop->dispatching = false;
    if (reap(loop))
        return PSC_OK;
    return n < 0 ? PSC_ERR_IO : PSC_OK;
}

/*
 * peerscope-hub: each node re-served at /node/NAME/introspect. A node has
 * an introspector of its own serving a live psc_replay (peerscope/replay.h)
 * that its link feeds with the node's ServerMessages as they arrive (the
 * link's thread is the one producer), and an endpoint whose transport is
 * the hub's server: sessions are its WebSocket connections, driven from
 * the server thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_server.h"
#include "peerscope/endpoint.h"
#include "peerscope/introspector.h"
#include "peerscope/message.h"
#include "peerscope/replay.h"

/* What a relay holds for late viewers: enough to resume a short drop. */
#define RELAY_KEEP_STATES 4u
#define RELAY_KEEP_EVENTS 2048u

struct hub_relay {
    hub *h;
    psc_introspector *intro;
    psc_replay *replay;           /* the introspector's once served */
    psc_endpoint *ep;
    size_t sessions;              /* server thread */
    uint64_t add_errors;          /* producer thread */
};

static psc_err t_start(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user;
    return PSC_OK; /* the hub's server is already listening */
}

static void t_close(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user; /* the server thread closed every session before */
}

static void t_wake(void *state, void *user)
{
    (void)state;
    hub_relay *r = user;
    hub_server_wake(r->h);
}

static void t_session_ready(void *state, psc_endpoint_session *s, void *user)
{
    (void)state;
    (void)user;
    hub_conn *c = psc_endpoint_session_user(s);
    if (c && c->wsi)
        lws_callback_on_writable(c->wsi);
}

static const psc_endpoint_vtable relay_vt = {
    .struct_size = sizeof(psc_endpoint_vtable),
    .name = "hub",
    .start = t_start,
    .close = t_close,
    .wake = t_wake,
    .session_ready = t_session_ready,
};

hub_relay *hub_relay_new(hub *h, const char *name)
{
    hub_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->h = h;
    psc_config cfg = PSC_CONFIG_INIT;
    /* no providers of its own: no collector thread, a small ring of its own events */
    cfg.collect_timeout_ms = PSC_COLLECT_INLINE;
    cfg.event_ring_capacity = 16;
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.live = true;
    o.node = name;
    o.source = "peerscope-hub";
    o.keep_states = RELAY_KEEP_STATES;
    o.keep_events = RELAY_KEEP_EVENTS;
    if (psc_introspector_new(&cfg, &r->intro) || psc_replay_new(&o, &r->replay))
        goto fail;
    if (psc_replay_serve(r->replay, r->intro)) {
        psc_replay_free(r->replay);
        r->replay = NULL;
        goto fail;
    }
    if (psc_endpoint_new(r->intro, &relay_vt, NULL, NULL, r, &r->ep) || psc_endpoint_start(r->ep))
        goto fail;
    return r;
fail:
    hub_relay_free(r);
    return NULL;
}

void hub_relay_free(hub_relay *r)
{
    if (!r)
        return;
    if (r->ep)
        psc_endpoint_close(r->ep);
    psc_introspector_free(r->intro); /* frees the replay it serves */
    psc_endpoint_free(r->ep);
    free(r);
}

void hub_relay_add(hub_relay *r, const uint8_t *payload, size_t len)
{
    char why[128];
    if (psc_replay_add_message(r->replay, payload, len, 0, why, sizeof why))
        r->add_errors++;
}

void hub_relay_new_run(hub_relay *r)
{
    psc_replay_live_new_run(r->replay);
}

/* ------------------------------------------------------------ server side */

void hub_relay_service_all(hub_server *s)
{
    hub *h = s->h;
    hub_relay *todo[HUB_MAX_NODES];
    size_t n = 0;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n_nodes; i++)
        if (h->nodes[i]->relay && h->nodes[i]->relay->sessions)
            todo[n++] = h->nodes[i]->relay;
    pthread_mutex_unlock(&h->lock);
    /* relays are freed only after the server thread is gone: safe outside the lock */
    for (size_t i = 0; i < n; i++)
        psc_endpoint_service(todo[i]->ep, NULL);
}

const char *hub_relay_refusal(hub_server *s, const char *uri, unsigned *status)
{
    char name[HUB_NAME_MAX + 1];
    const char *rest = strchr(uri + 6, '/');
    *status = HTTP_STATUS_NOT_FOUND;
    if (!rest || strcmp(rest, "/introspect") || (size_t)(rest - (uri + 6)) > HUB_NAME_MAX)
        return "no WebSocket at this path";
    snprintf(name, sizeof name, "%.*s", (int)(rest - (uri + 6)), uri + 6);
    pthread_mutex_lock(&s->h->lock);
    hub_node *n = hub_find_locked(s->h, name);
    bool ok = n && n->relay;
    pthread_mutex_unlock(&s->h->lock);
    return ok ? NULL : "no such node";
}

void hub_relay_open(hub_server *s, hub_conn *c, const char *uri)
{
    char name[HUB_NAME_MAX + 1];
    const char *rest = strchr(uri + 6, '/');
    snprintf(name, sizeof name, "%.*s", rest ? (int)(rest - (uri + 6)) : 0, uri + 6);
    pthread_mutex_lock(&s->h->lock);
    hub_node *n = hub_find_locked(s->h, name);
    hub_relay *r = n ? n->relay : NULL;
    pthread_mutex_unlock(&s->h->lock);
    psc_endpoint_session *sess = NULL;
    psc_err err = r ? psc_endpoint_session_open(r->ep, c->peer, &sess) : PSC_ERR_NOT_FOUND;
    if (err) {
        hub_conn_close(c, err == PSC_ERR_TOO_BIG ? (enum lws_close_status)1013 : LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                       err == PSC_ERR_TOO_BIG ? "too many sessions" : "node not available");
        return;
    }
    psc_endpoint_session_set_user(sess, c);
    c->relay = r;
    c->sess = sess;
    r->sessions++;
}

void hub_relay_message(hub_server *s, hub_conn *c, const uint8_t *data, size_t len)
{
    (void)s;
    if (!c->sess)
        return;
    if (psc_endpoint_session_recv(c->sess, data, len) == PSC_ERR_CLOSED) {
        const char *why = psc_endpoint_session_close_reason(c->sess);
        hub_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, why ? why : "closed by the hub");
        return;
    }
    /* the command may have made something due (PUSH_ENABLE, REQUEST) */
    psc_endpoint_service(c->relay->ep, NULL);
    if (psc_endpoint_session_wants_write(c->sess))
        lws_callback_on_writable(c->wsi);
}

bool hub_relay_next(hub_server *s, hub_conn *c)
{
    (void)s;
    if (!c->sess)
        return false;
    psc_msg *m = NULL;
    psc_err err = psc_endpoint_session_pull(c->sess, &m);
    if (err == PSC_ERR_AGAIN)
        return false;
    if (err) {
        const char *why = psc_endpoint_session_close_reason(c->sess);
        hub_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, why ? why : "closed by the hub");
        return false;
    }
    size_t len = 0;
    const uint8_t *framed = psc_msg_framed(m, &len);
    bool ok = hub_conn_send(c, framed, len);
    psc_msg_unref(m);
    return ok;
}

void hub_relay_closed(hub_server *s, hub_conn *c)
{
    (void)s;
    if (c->sess) {
        psc_endpoint_session_close(c->sess);
        c->relay->sessions--;
    }
    c->sess = NULL;
    c->relay = NULL;
}

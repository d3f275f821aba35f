/*
 * peerscope-hub: the links of pushing nodes (/push). The node dialled us
 * but stays the server of the protocol: we send it ClientCommands and
 * read its framed ServerMessages, as a pulled link does (the server thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_server.h"
#include "peerscope/wire.h"

/* Names a node may take: they appear in paths and metric labels. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= HUB_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.' || ch == ':'))
            return false;
    }
    return true;
}

static bool node_arg(struct lws *wsi, char *name, size_t cap)
{
    const char *v = lws_get_urlarg_by_name(wsi, "node=", name, (int)cap);
    if (!v)
        return false;
    memmove(name, v, strlen(v) + 1);
    return true;
}

const char *hub_push_refusal(hub_server *s, struct lws *wsi, unsigned *status)
{
    hub *h = s->h;
    char name[HUB_NAME_MAX + 8];
    *status = HTTP_STATUS_BAD_REQUEST;
    if (!node_arg(wsi, name, sizeof name) || !name_ok(name))
        return "missing or malformed node= (1-63 characters of A-Z a-z 0-9 - _ . :)";
    /* the token to compare is copied out: the table may grow meanwhile */
    char expected[512];
    bool have = false, pulled = false;
    pthread_mutex_lock(&h->lock);
    hub_node *n = hub_find_locked(h, name);
    if (n && !n->push)
        pulled = true;
    else if (n && n->token)
        have = snprintf(expected, sizeof expected, "%s", n->token) > 0;
    else if (h->opt.push_token)
        have = snprintf(expected, sizeof expected, "%s", h->opt.push_token) > 0;
    pthread_mutex_unlock(&h->lock);
    const char *why = NULL;
    if (pulled) {
        *status = HTTP_STATUS_FORBIDDEN;
        why = "that node name belongs to a pulled node";
    } else if (!have) {
        *status = HTTP_STATUS_UNAUTHORIZED;
        why = "pushing is not enabled for this node (no --push-token, not in --nodes)";
    } else {
        why = hub_push_token_refusal(s, wsi, expected, status);
    }
    if (why) {
        pthread_mutex_lock(&h->lock);
        h->push_refused++;
        pthread_mutex_unlock(&h->lock);
    }
    return why;
}

static psc_err push_send(void *link, const Peerscope__ClientCommand *cmd)
{
    hub_conn *c = link;
    size_t n = peerscope__client_command__get_packed_size(cmd);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return PSC_ERR_NOMEM;
    peerscope__client_command__pack(cmd, buf);
    bool ok = hub_conn_send(c, buf, n);
    free(buf);
    return ok ? PSC_OK : PSC_ERR_NOMEM;
}

void hub_push_open(hub_server *s, hub_conn *c, struct lws *wsi)
{
    hub *h = s->h;
    char name[HUB_NAME_MAX + 8];
    if (!node_arg(wsi, name, sizeof name) || !name_ok(name)) {
        hub_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "malformed node name");
        return;
    }
    hub_conn *old = NULL;
    pthread_mutex_lock(&h->lock);
    hub_node *n = hub_push_node_locked(h, name);
    if (n) {
        old = n->push_conn;
        n->push_conn = c;
    }
    pthread_mutex_unlock(&h->lock);
    if (!n) {
        hub_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "the hub cannot take more nodes");
        return;
    }
    if (old) {
        /* the newer link wins: the old one may be half-dead behind a NAT */
        hub_log(h, true, "node %s: a new push link from %s replaces the one from %s", name, c->peer, old->peer);
        old->node = NULL;
        hub_conn_close(old, LWS_CLOSE_STATUS_NORMAL, "replaced by a newer link of this node");
    }
    char source[160];
    snprintf(source, sizeof source, "push %s", c->peer);
    c->node = n;
    c->next_id = 1;
    c->gen = hub_link_up(h, n, source);
    if (hub_link_greet(push_send, c, &c->next_id))
        hub_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "hub out of memory");
}

void hub_push_message(hub_server *s, hub_conn *c, const uint8_t *data, size_t len)
{
    if (!c->node)
        return;
    bool current = false, resume = false;
    uint64_t after = 0;
    psc_err err = hub_link_frame(s->h, c->node, c->gen, data, len, &current, &resume, &after);
    if (err) {
        /* one bad frame is lost, the link goes on (as in the C client) */
        hub_log(s->h, false, "node %s: dropped a frame: %s", c->node->name,
                err == PSC_ERR_PROTOCOL ? "not a ServerMessage" : psc_strerror(err));
        return;
    }
    if (current && resume && hub_link_subscribe(push_send, c, &c->next_id, after))
        hub_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "hub out of memory");
}

void hub_push_closed(hub_server *s, hub_conn *c)
{
    hub *h = s->h;
    hub_node *n = c->node;
    if (!n)
        return;
    pthread_mutex_lock(&h->lock);
    if (n->push_conn == c)
        n->push_conn = NULL;
    pthread_mutex_unlock(&h->lock);
    hub_link_down(h, n, c->gen, "push link closed");
    c->node = NULL;
}

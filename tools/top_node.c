/*
 * One watched node: its client, the session commands sent on every
 * (re)connect, and the reconnect backoff (1 s doubling to 30 s, reset once
 * a connection delivers data).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "top.h"
#include "top_views.h"

#define RETENTION_MS 120000u

void top_say(top_app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->message, sizeof app->message, fmt, ap);
    va_end(ap);
    app->message_until = tool_now_ms() + 4000;
    app->dirty = true;
}

/* HELLO, runtime, a first state, pushes (and the pause the user asked for) for a new session. */
static psc_err queue_session(top_node *n)
{
    top_app *app = n->app;
    psc_client_settings set = {RETENTION_MS, app->interval_ms};
    psc_err e = psc_client_hello(n->client, &set, &n->hello_id);
    if (!e)
        e = psc_client_request(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL);
    /* a state right away: pushes only start one interval later */
    if (!e)
        e = psc_client_request(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL);
    if (!e)
        e = psc_client_push_enable(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL);
    if (!e)
        e = psc_client_push_enable(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL);
    if (!e && app->paused)
        e = psc_client_pause(n->client, NULL);
    return e;
}

static void on_open(void *user, psc_client *c)
{
    top_node *n = user;
    (void)c;
    n->phase = NODE_OPEN;
    n->app->dirty = true;
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload,
                       size_t len)
{
    top_node *n = user;
    (void)c;
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE) {
        const Peerscope__CommandResponse *r = m->response;
        if (r->result != PEERSCOPE__COMMAND_RESPONSE__RESULT__OK) {
            snprintf(n->server_error, sizeof n->server_error, "server refused a command: %s",
                     r->error && *r->error ? r->error : "(no reason)");
        } else if ((r->id == n->hello_id || r->id == n->config_id) && r->effective_config) {
            n->interval_ms = r->effective_config->state_snapshot_interval_ms;
        }
    }
    psc_err e = top_model_apply(&n->model, payload, len, tool_now_ms());
    if (e == PSC_ERR_NOMEM)
        top_say(n->app, "out of memory: a message was dropped");
    bool fleet = m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET;
    if (fleet && !e && !n->fleet_seen) {
        n->fleet_seen = true;
        /* a hub: its table of nodes is what to look at first */
        top_app *app = n->app;
        if (!app->opts.view_given && &app->nodes[app->cur] == n)
            app->view = VIEW_FLEET;
    }
    if (fleet || m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE ||
        m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME) {
        if (!n->got_data)
            n->backoff_ms = TOP_BACKOFF_FIRST_MS; /* a working connection: start over next time */
        n->got_data = n->ever_data = true;
    }
    n->app->dirty = true;
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    top_node *n = user;
    (void)c;
    (void)err;
    (void)reason;
    n->corrupt++;
    n->app->dirty = true;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    top_node *n = user;
    (void)c;
    (void)code;
    uint64_t now = tool_now_ms();
    n->close_err = err;
    snprintf(n->close_reason, sizeof n->close_reason, "%s", reason ? reason : "");
    n->app->dirty = true;
    if (err == PSC_ERR_AUTH) {
        /* retrying would send the same token again: stop here and say why */
        n->phase = NODE_REFUSED;
        return;
    }
    n->phase = NODE_WAITING;
    n->retry_at = now + n->backoff_ms;
    n->backoff_ms = n->backoff_ms >= TOP_BACKOFF_MAX_MS / 2 ? TOP_BACKOFF_MAX_MS : n->backoff_ms * 2;
}

psc_err top_node_start(top_app *app, top_node *n, const char *url)
{
    memset(n, 0, sizeof *n);
    n->app = app;
    n->url = url;
    n->backoff_ms = TOP_BACKOFF_FIRST_MS;
    top_model_init(&n->model, NULL, 0);

    const psc_client_callbacks cb = {
        .struct_size = sizeof cb,
        .on_open = on_open,
        .on_message = on_message,
        .on_error = on_error,
        .on_close = on_close,
    };
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cli_conn_apply(&app->opts.conn, url, &cfg);
    cfg.connect_timeout_ms = 5000;
    cfg.loop = app->loop;
    cfg.callbacks = &cb;
    cfg.user = n;
    psc_err e = psc_client_new(&cfg, &n->client);
    if (e)
        return e;
    n->attempts = 1;
    e = queue_session(n);
    if (e) {
        psc_client_free(n->client);
        n->client = NULL;
    }
    return e;
}

void top_node_free(top_node *n)
{
    psc_client_free(n->client);
    n->client = NULL;
    top_model_free(&n->model);
    free(n->own_url);
    n->own_url = NULL;
}

void top_select_node(top_app *app, size_t i)
{
    if (i >= app->n_nodes)
        return;
    app->cur = i;
    bool fleet = top_model_fleet(&app->nodes[i].model) != NULL;
    if (fleet && app->view != VIEW_FLEET && !app->opts.view_given)
        app->view = VIEW_FLEET;
    else if (!fleet && app->view == VIEW_FLEET)
        app->view = app->opts.view == VIEW_FLEET ? VIEW_CONNS : app->opts.view;
    app->dirty = true;
}

/* scheme://authority of base followed by path (which begins with '/'); NULL when out of memory or base has no scheme. */
static char *url_with_path(const char *base, const char *path)
{
    const char *p = strstr(base, "://");
    if (!p)
        return NULL;
    size_t end = (size_t)(p + 3 - base) + strcspn(p + 3, "/?#");
    size_t n = strlen(path);
    char *u = malloc(end + n + 1);
    if (u) {
        memcpy(u, base, end);
        memcpy(u + end, path, n + 1);
    }
    return u;
}

void top_open_fleet_node(top_app *app)
{
    top_node *hub = &app->nodes[app->cur];
    top_view_state *vs = &app->vs[VIEW_FLEET];
    top_table *t = &app->table;
    if (app->view != VIEW_FLEET || vs->cursor >= t->norder)
        return;
    const char *name = table_cell(t, t->order[vs->cursor], 0);
    const Peerscope__Fleet__Node *nd = top_fleet_node(&hub->model, name);
    if (!nd || !nd->path || nd->path[0] != '/') {
        top_say(app, "the hub gives no path for node %s", name);
        return;
    }
    char *url = url_with_path(hub->url, nd->path);
    if (!url) {
        top_say(app, "cannot open node %s: out of memory or a URL without scheme", name);
        return;
    }
    for (size_t i = 0; i < app->n_nodes; i++) {
        if (strcmp(app->nodes[i].url, url) == 0) {
            free(url);
            top_select_node(app, i);
            return;
        }
    }
    if (app->n_nodes >= app->cap_nodes) {
        free(url);
        top_say(app, "cannot open node %s: %zu tabs at most", name, app->cap_nodes);
        return;
    }
    top_node *n = &app->nodes[app->n_nodes];
    psc_err e = top_node_start(app, n, url);
    if (e) {
        top_model_free(&n->model);
        free(url);
        top_say(app, "cannot open node %s: %s", name, psc_strerror(e));
        return;
    }
    n->own_url = url;
    app->n_nodes++;
    top_select_node(app, app->n_nodes - 1);
    top_say(app, "node %s opened in tab %zu (Tab switches)", name, app->n_nodes);
}

void top_node_tick(top_node *n, uint64_t now)
{
    if (n->phase != NODE_WAITING || now < n->retry_at)
        return;
    psc_err e = psc_client_reconnect(n->client);
    if (!e)
        e = queue_session(n);
    if (e) {
        /* try again after the next backoff step */
        n->retry_at = now + n->backoff_ms;
        n->close_err = e;
        snprintf(n->close_reason, sizeof n->close_reason, "cannot reconnect: %s", psc_strerror(e));
        return;
    }
    n->attempts++;
    n->phase = NODE_CONNECTING;
    n->got_data = false;
    n->server_error[0] = 0;
    n->app->dirty = true;
}

void top_nodes_pause(top_app *app, bool pause)
{
    app->paused = pause;
    for (size_t i = 0; i < app->n_nodes; i++) {
        top_node *n = &app->nodes[i];
        /* a node that is down gets it with its next session */
        if (!top_node_down(n))
            (void)(pause ? psc_client_pause(n->client, NULL) : psc_client_resume(n->client, NULL));
    }
    app->dirty = true;
}

void top_nodes_interval(top_app *app, uint64_t interval_ms)
{
    app->interval_ms = interval_ms;
    psc_client_settings set = {RETENTION_MS, interval_ms};
    for (size_t i = 0; i < app->n_nodes; i++) {
        top_node *n = &app->nodes[i];
        if (!top_node_down(n))
            psc_client_update_config(n->client, &set, &n->config_id);
    }
    app->dirty = true;
}

const char *top_node_close_text(const top_node *n)
{
    switch (n->close_err) {
    case PSC_ERR_AUTH: return "authentication refused: wrong or missing token (--token / $PEERSCOPE_TOKEN)";
    case PSC_ERR_TIMEOUT: return "connect timeout";
    case PSC_ERR_PROTOCOL: return "protocol error";
    case PSC_ERR_CLOSED: return "closed by the node";
    case PSC_OK: return "closed";
    default: return n->ever_data ? "connection lost" : "connection failed";
    }
}

bool top_node_down(const top_node *n)
{
    return n->phase == NODE_WAITING || n->phase == NODE_REFUSED;
}

void top_node_status(const top_node *n, uint64_t now, top_status_detail detail, char *buf, size_t len,
                     uint8_t *attr)
{
    switch (n->phase) {
    case NODE_CONNECTING:
        snprintf(buf, len, n->attempts > 1 ? "reconnecting..." : "connecting...");
        *attr = SCR_YELLOW | SCR_BOLD;
        break;
    case NODE_OPEN:
        snprintf(buf, len, "connected");
        *attr = SCR_GREEN | SCR_BOLD;
        break;
    case NODE_WAITING: {
        uint64_t left = n->retry_at > now ? n->retry_at - now : 0;
        unsigned secs = (unsigned)((left + 999) / 1000);
        const char *why = top_node_close_text(n);
        if (detail == TOP_STATUS_SHORT)
            snprintf(buf, len, "%s, retry in %us", why, secs);
        else if (n->close_reason[0] && detail == TOP_STATUS_FULL)
            snprintf(buf, len, "disconnected (%s: %s), retrying in %us", why, n->close_reason, secs);
        else
            snprintf(buf, len, "disconnected (%s), retrying in %us", why, secs);
        *attr = SCR_RED | SCR_BOLD;
        break;
    }
    case NODE_REFUSED:
        if (detail == TOP_STATUS_FULL)
            snprintf(buf, len, "%s, not retrying", top_node_close_text(n));
        else
            snprintf(buf, len, "authentication refused, not retrying");
        *attr = SCR_RED | SCR_BOLD;
        break;
    }
}

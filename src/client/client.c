/* psc_client lifecycle and commands. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "peerscope/version.h"

/* Header values travel inside the HTTP request: a CR or LF would let them
 * inject headers of their own. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

static char *concat(const psc__alloc *a, const char *x, const char *y, bool *ok)
{
    size_t nx = strlen(x), ny = strlen(y);
    char *s = psc__malloc(a, nx + ny + 1);
    if (!s) {
        *ok = false;
        return NULL;
    }
    memcpy(s, x, nx);
    memcpy(s + nx, y, ny + 1);
    return s;
}

static void free_strings(psc_client *c)
{
    psc__free(&c->alloc, c->host_header);
    psc__free(&c->alloc, c->auth_header);
    psc__free(&c->alloc, c->origin);
    psc__free(&c->alloc, c->ca_file);
    c->host_header = c->auth_header = c->origin = c->ca_file = NULL;
}

static psc_err copy_config(psc_client *c, const psc_client_config *cf)
{
    bool ok = true;
    char hostport[sizeof c->url.host + 16];
    if (strchr(c->url.host, ':'))
        snprintf(hostport, sizeof hostport, "[%s]:%u", c->url.host, (unsigned)c->url.port);
    else
        snprintf(hostport, sizeof hostport, "%s:%u", c->url.host, (unsigned)c->url.port);
    c->host_header = psc__strdup(&c->alloc, hostport, &ok);
    if (cf->token)
        c->auth_header = concat(&c->alloc, "Bearer ", cf->token, &ok);
    c->origin = psc__strdup(&c->alloc, cf->origin, &ok);
    c->ca_file = psc__strdup(&c->alloc, cf->ca_file, &ok);
    return ok ? PSC_OK : PSC_ERR_NOMEM;
}

psc_err psc_client_new(const psc_client_config *cfg, psc_client **out)
{
    if (!cfg || !out || cfg->struct_size < offsetof(psc_client_config, url) + sizeof cfg->url)
        return PSC_ERR_INVALID;
    psc_client_config cf = PSC_CLIENT_CONFIG_INIT;
    memcpy(&cf, cfg, cfg->struct_size < sizeof cf ? cfg->struct_size : sizeof cf);
    cf.struct_size = sizeof cf;

    psc_client_url url;
    psc_err err = psc_client_parse_url(cf.url, &url);
    if (err)
        return err;
    if ((cf.token && (!cf.token[0] || !header_safe(cf.token))) || (cf.origin && !header_safe(cf.origin)))
        return PSC_ERR_INVALID;
    if (cf.callbacks && cf.callbacks->struct_size < sizeof(size_t))
        return PSC_ERR_INVALID;

    /* libwebsockets only logs an unreadable CA file and then trusts the
     * system store instead: refuse it here. */
    if (url.tls && cf.ca_file && access(cf.ca_file, R_OK) != 0)
        return PSC_ERR_IO;

    psc__alloc a;
    psc__alloc_init(&a, cf.allocator);
    psc_client *c = psc__calloc(&a, 1, sizeof *c);
    if (!c)
        return PSC_ERR_NOMEM;
    c->alloc = a;
    c->url = url;
    c->state = PSC_CLIENT_CLOSED;
    if (cf.callbacks) {
        size_t n = cf.callbacks->struct_size < sizeof c->cb ? cf.callbacks->struct_size : sizeof c->cb;
        memcpy(&c->cb, cf.callbacks, n);
    }
    c->user = cf.user;
    c->allow_insecure = cf.allow_insecure;
    c->omit_version = cf.omit_version;
    c->delta_states = cf.delta_states;
    c->full_state_every = cf.full_state_every;
    c->apply_deltas = cf.apply_deltas;
    c->next_id = cf.first_command_id ? cf.first_command_id : 1;
    c->max_message_size = cf.max_message_size ? cf.max_message_size : PSC_CLIENT_MAX_MESSAGE_DEFAULT;
    if (c->max_message_size > UINT32_MAX)
        c->max_message_size = UINT32_MAX; /* the frame header's length field is a u32 */
    c->connect_timeout_ms = cf.connect_timeout_ms ? cf.connect_timeout_ms : 10000;

    err = copy_config(c, &cf);
    if (err)
        goto fail;

    psc_client_loop *loop = cf.loop;
    if (!loop) {
        err = psc__loop_new(&a, &loop);
        if (err)
            goto fail;
        loop->owner = c;
    }
    psc__loop_attach(loop, c);
    if (url.tls) {
        /* the trust store belongs to the vhost in libwebsockets */
        c->vhost = psc__loop_tls_vhost(loop, c->ca_file);
        c->own_vhost = c->ca_file != NULL;
        if (!c->vhost) {
            err = PSC_ERR_IO;
            psc__loop_detach(loop, c);
            if (!cf.loop)
                psc_client_loop_free(loop);
            goto fail;
        }
    }

    err = psc__client_connect(c);
    if (err) {
        psc__client_release(c);
        if (!cf.loop)
            psc_client_loop_free(loop);
        return err;
    }
    *out = c;
    return PSC_OK;

fail:
    free_strings(c);
    psc__free(&a, c);
    return err;
}

static void connect_timeout(lws_sorted_usec_list_t *sul)
{
    psc_client *c = lws_container_of(sul, psc_client, connect_sul);
    c->connect_sul_armed = false;
    if (c->wsi && c->state != PSC_CLIENT_OPEN) {
        c->timed_out = true;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

psc_err psc__client_connect(psc_client *c)
{
    c->state = PSC_CLIENT_CONNECTING;
    c->close_requested = c->user_closed = c->timed_out = c->peer_closed = false;
    c->peer_close_code = 0;
    c->peer_close_reason[0] = 0;
    c->close_err = PSC_OK;
    c->close_code = 0;
    c->close_reason[0] = 0;
    psc__client_rx_reset(c);
    psc__client_drop_base(c);

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->loop->ctx;
    i.address = c->url.host;
    i.port = c->url.port;
    i.path = c->url.path;
    i.host = c->host_header;
    i.origin = c->origin;
    /* A redirect would carry the token to wherever it points. */
    i.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    if (c->url.tls) {
        i.ssl_connection |= LCCSCF_USE_SSL;
        if (c->allow_insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    /* No subprotocol is offered (the 2020 visualizer offers none); the
     * connection binds to our handler by its local name. */
    i.protocol = NULL;
    i.local_protocol_name = PSC__CLIENT_PROTOCOL;
    i.vhost = c->vhost;
    i.pwsi = &c->wsi;
    i.opaque_user_data = c;

    c->wsi = NULL;
    struct lws *w = lws_client_connect_via_info(&i);
    if (!w) {
        /* the wsi, if there was one, is gone: never touch it again */
        c->wsi = NULL;
        if (c->state != PSC_CLIENT_CLOSED)
            psc__client_finish(c, PSC_ERR_IO, 0, "could not start the connection");
        return PSC_OK;
    }
    if (c->state == PSC_CLIENT_CONNECTING) {
        lws_sul_schedule(c->loop->ctx, 0, &c->connect_sul, connect_timeout,
                         (lws_usec_t)c->connect_timeout_ms * LWS_US_PER_MS);
        c->connect_sul_armed = true;
    }
    return PSC_OK;
}

void psc__client_drop_queue(psc_client *c)
{
    psc__cmd *q = c->q_head;
    while (q) {
        psc__cmd *next = q->next;
        psc__free(&c->alloc, q);
        q = next;
    }
    c->q_head = c->q_tail = NULL;
}

void psc__client_finish(psc_client *c, psc_err err, int code, const char *reason)
{
    if (c->state == PSC_CLIENT_CLOSED)
        return;
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
    }
    if (c->connect_sul_armed) {
        lws_sul_cancel(&c->connect_sul);
        c->connect_sul_armed = false;
    }
    psc__client_drop_queue(c);
    psc__client_rx_reset(c);
    psc__client_drop_base(c);
    c->state = PSC_CLIENT_CLOSED;
    c->close_pending = true;
    c->close_err = err;
    c->close_code = code;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
}

bool psc__client_deliver_close(psc_client *c)
{
    if (!c->close_pending || c->doomed)
        return false;
    c->close_pending = false;
    if (c->cb.on_close)
        c->cb.on_close(c->user, c, c->close_err, c->close_code, c->close_reason);
    return true;
}

void psc__client_release(psc_client *c)
{
    psc_client_loop *loop = c->loop;
    if (loop) {
        if (c->wsi) {
            struct lws *w = c->wsi;
            lws_set_opaque_user_data(w, NULL);
            c->wsi = NULL;
            lws_set_timeout(w, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
        }
        if (c->connect_sul_armed) {
            lws_sul_cancel(&c->connect_sul);
            c->connect_sul_armed = false;
        }
        if (c->vhost && c->own_vhost)
            lws_vhost_destroy(c->vhost);
        c->vhost = NULL;
        psc__loop_detach(loop, c);
    }
    psc__client_drop_queue(c);
    psc__client_rx_reset(c);
    psc__client_drop_base(c);
    free_strings(c);
    psc__alloc a = c->alloc;
    psc__free(&a, c);
}

void psc_client_free(psc_client *c)
{
    if (!c)
        return;
    psc_client_loop *loop = c->loop;
    if (loop && loop->dispatching) {
        /* user callbacks may be on the stack: release after the poll */
        if (!c->doomed) {
            c->doomed = true;
            if (c->wsi)
                lws_set_opaque_user_data(c->wsi, NULL);
        }
        return;
    }
    bool own = loop && loop->owner == c;
    psc__client_release(c);
    if (own)
        psc_client_loop_free(loop);
}

psc_err psc_client_close(psc_client *c)
{
    if (!c)
        return PSC_ERR_INVALID;
    if (!c->loop || c->doomed || c->state == PSC_CLIENT_CLOSED || c->state == PSC_CLIENT_CLOSING)
        return PSC_ERR_CLOSED;
    psc__client_drop_queue(c);
    c->user_closed = true;
    if (c->state == PSC_CLIENT_OPEN && c->wsi) {
        c->state = PSC_CLIENT_CLOSING;
        c->close_requested = true;
        lws_callback_on_writable(c->wsi);
    } else if (c->wsi) {
        c->state = PSC_CLIENT_CLOSING;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    } else {
        psc__client_finish(c, PSC_OK, 0, "closed by the client");
    }
    return PSC_OK;
}

psc_err psc_client_reconnect(psc_client *c)
{
    if (!c)
        return PSC_ERR_INVALID;
    if (!c->loop || c->doomed)
        return PSC_ERR_CLOSED;
    if (c->state != PSC_CLIENT_CLOSED || c->close_pending)
        return PSC_ERR_STATE;
    return psc__client_connect(c);
}

psc_client_loop *psc_client_get_loop(const psc_client *c)
{
    return c ? c->loop : NULL;
}

psc_err psc_client_poll(psc_client *c, int timeout_ms)
{
    if (!c)
        return PSC_ERR_INVALID;
    if (!c->loop)
        return PSC_ERR_CLOSED;
    return psc_client_loop_poll(c->loop, timeout_ms);
}

psc_client_state psc_client_get_state(const psc_client *c)
{
    return c ? c->state : PSC_CLIENT_CLOSED;
}

psc_err psc_client_get_info(const psc_client *c, psc_client_info *out)
{
    if (!c || !out || out->struct_size < sizeof(size_t))
        return PSC_ERR_INVALID;
    psc_client_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    i.state = c->state;
    i.close_err = c->state == PSC_CLIENT_CLOSED ? c->close_err : PSC_OK;
    i.close_code = c->state == PSC_CLIENT_CLOSED ? c->close_code : 0;
    if (c->state == PSC_CLIENT_CLOSED)
        snprintf(i.close_reason, sizeof i.close_reason, "%s", c->close_reason);
    i.messages = c->messages;
    i.bytes = c->bytes;
    i.errors = c->errors;
    i.commands_sent = c->commands_sent;
    i.next_command_id = c->next_id;
    i.deltas_applied = c->deltas_applied;
    i.resyncs = c->resyncs;
    size_t n = out->struct_size < sizeof i ? out->struct_size : sizeof i;
    i.struct_size = out->struct_size;
    memcpy(out, &i, n);
    return PSC_OK;
}

/* ------------------------------------------------------------ commands */

static psc_err enqueue(psc_client *c, const uint8_t *data, size_t len, const Peerscope__ClientCommand *cmd)
{
    if (!c->loop || c->doomed || c->state == PSC_CLIENT_CLOSING || c->state == PSC_CLIENT_CLOSED)
        return PSC_ERR_CLOSED;
    size_t n = cmd ? peerscope__client_command__get_packed_size(cmd) : len;
    psc__cmd *q = psc__malloc(&c->alloc, sizeof *q + LWS_PRE + n);
    if (!q)
        return PSC_ERR_NOMEM;
    q->next = NULL;
    q->len = n;
    if (cmd)
        peerscope__client_command__pack(cmd, q->buf + LWS_PRE);
    else if (data && n)
        memcpy(q->buf + LWS_PRE, data, n);
    if (c->q_tail)
        c->q_tail->next = q;
    else
        c->q_head = q;
    c->q_tail = q;
    if (c->state == PSC_CLIENT_OPEN && c->wsi)
        lws_callback_on_writable(c->wsi);
    return PSC_OK;
}

/* The peerscope fields of a command beyond command and source (zero: none). */
typedef struct cmd_extra {
    uint64_t at_ts;
    bool resume_events;
    uint64_t after_seq;
} cmd_extra;

static psc_err send_cmd_at(psc_client *c, Peerscope__ClientCommand__Command command,
                           Peerscope__ClientCommand__Source source, const psc_client_settings *s,
                           const cmd_extra *extra, uint64_t *id)
{
    if (!c || (int)source < 0)
        return PSC_ERR_INVALID;
    Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__Configuration conf = PEERSCOPE__CONFIGURATION__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    if (!c->omit_version)
        cmd.version = &v;
    cmd.id = c->next_id;
    cmd.command = command;
    cmd.source = source;
    if (extra) {
        cmd.at_ts = extra->at_ts;
        cmd.resume_events = extra->resume_events;
        cmd.after_seq = extra->after_seq;
    }
    if (s) {
        conf.retention_period_ms = s->retention_period_ms;
        conf.state_snapshot_interval_ms = s->state_snapshot_interval_ms;
        cmd.config = &conf;
    }
    bool configures = command == PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO ||
                      command == PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG;
    if (configures && c->delta_states) {
        conf.delta_states = true;
        conf.full_state_every = c->full_state_every;
        cmd.config = &conf;
    }
    psc_err err = enqueue(c, NULL, 0, &cmd);
    if (err)
        return err;
    if (id)
        *id = c->next_id;
    c->next_id++;
    return PSC_OK;
}

static psc_err send_cmd(psc_client *c, Peerscope__ClientCommand__Command command,
                        Peerscope__ClientCommand__Source source, const psc_client_settings *s, uint64_t *id)
{
    return send_cmd_at(c, command, source, s, NULL, id);
}

psc_err psc_client_request_state_at(psc_client *c, uint64_t at_ts, uint64_t *id)
{
    if (!at_ts)
        return PSC_ERR_INVALID;
    cmd_extra x = {.at_ts = at_ts};
    return send_cmd_at(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE,
                       NULL, &x, id);
}

psc_err psc_client_push_events_after(psc_client *c, uint64_t after_seq, uint64_t *id)
{
    cmd_extra x = {.resume_events = true, .after_seq = after_seq};
    return send_cmd_at(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS,
                       NULL, &x, id);
}

psc_err psc_client_hello(psc_client *c, const psc_client_settings *settings, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE,
                    settings, id);
}

psc_err psc_client_request(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, source, NULL, id);
}

psc_err psc_client_push_enable(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, source, NULL, id);
}

psc_err psc_client_push_disable(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_DISABLE, source, NULL, id);
}

psc_err psc_client_pause(psc_client *c, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_PAUSE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE,
                    NULL, id);
}

psc_err psc_client_resume(psc_client *c, uint64_t *id)
{
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_RESUME, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE,
                    NULL, id);
}

psc_err psc_client_update_config(psc_client *c, const psc_client_settings *settings, uint64_t *id)
{
    if (!settings)
        return PSC_ERR_INVALID;
    return send_cmd(c, PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE,
                    settings, id);
}

psc_err psc_client_send_command(psc_client *c, const Peerscope__ClientCommand *cmd)
{
    if (!c || !cmd || cmd->base.descriptor != &peerscope__client_command__descriptor)
        return PSC_ERR_INVALID;
    return enqueue(c, NULL, 0, cmd);
}

/* lws_write takes the length as size_t but answers with an int */
#define PSC__RAW_MAX ((size_t)1 << 30)

psc_err psc_client_send_raw(psc_client *c, const uint8_t *data, size_t len)
{
    if (!c || (!data && len))
        return PSC_ERR_INVALID;
    if (len > PSC__RAW_MAX)
        return PSC_ERR_TOO_BIG;
    return enqueue(c, data, len, NULL);
}

/* peerscope-dump URL: a live endpoint through the client library. */
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "peerscope/client.h"
#include "peerscope/ws.h"
#include "tool_util.h"

/* After deciding to stop, how long a clean close handshake may take. */
#define CLOSE_GRACE_MS 2000u
#define MAX_COMMANDS 8

typedef struct live {
    const dump_opts *o;
    dump_sink *sink;
    psc_client *c;
    struct {
        uint64_t id;
        const char *name;
    } cmds[MAX_COMMANDS];
    size_t n_cmds;
    bool want_runtime, want_state; /* one-shot answers still missing */
    bool want_state_at;            /* --state-at: its answer is still missing */
    uint64_t state_at_id;          /* the id of its REQUEST */
    bool opened;
    bool finished;                 /* the outcome is known; closing */
    bool closed;                   /* on_close ran */
    int status;
    uint64_t messages;             /* received, for warnings */
} live;

static void finish(live *l, int status)
{
    if (l->finished)
        return;
    l->finished = true;
    l->status = status;
    if (!l->closed)
        psc_client_close(l->c); /* PSC_ERR_CLOSED while connecting: on_close still comes */
}

static const char *command_name(const live *l, uint64_t id)
{
    for (size_t i = 0; i < l->n_cmds; i++)
        if (l->cmds[i].id == id)
            return l->cmds[i].name;
    return "a command";
}

static void on_open(void *user, psc_client *c)
{
    live *l = user;
    l->opened = true;
    (void)c;
}

/* The answer to --state-at: its state goes out as a ServerMessage{state}, like --state-once's. */
static void state_at_answer(live *l, const Peerscope__ServerMessage *m)
{
    l->want_state_at = false;
    if (!m->response->state) {
        dump_errorf("the server answered REQUEST STATE at %llu without a state (not a replaying endpoint?)",
                    (unsigned long long)l->o->state_at);
        finish(l, TOOL_EXIT_PROTOCOL);
        return;
    }
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = m->version;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = m->response->state;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        dump_errorf("out of memory");
        finish(l, TOOL_EXIT_FAILURE);
        return;
    }
    peerscope__server_message__pack(&sm, buf);
    dump_put p = dump_sink_put(l->sink, &sm, buf, n);
    free(buf);
    if (p == DUMP_PUT_FAILED)
        finish(l, TOOL_EXIT_FAILURE);
    else if (p == DUMP_PUT_DONE ||
             (!l->o->follow_states && !l->o->follow_events && !l->want_runtime && !l->want_state))
        finish(l, TOOL_EXIT_OK);
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload,
                       size_t len)
{
    live *l = user;
    (void)c;
    l->messages++;
    if (l->finished)
        return;
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE &&
        m->response->result != PEERSCOPE__COMMAND_RESPONSE__RESULT__OK) {
        dump_errorf("the server refused %s: %s", command_name(l, m->response->id),
                    m->response->error && *m->response->error ? m->response->error : "(no reason given)");
        finish(l, TOOL_EXIT_PROTOCOL);
        return;
    }
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE && l->want_state_at &&
        m->response->id == l->state_at_id) {
        state_at_answer(l, m);
        return;
    }
    dump_put p = dump_sink_put(l->sink, m, payload, len);
    if (p == DUMP_PUT_FAILED) {
        finish(l, TOOL_EXIT_FAILURE);
        return;
    }
    if (p == DUMP_PUT_DONE) {
        finish(l, TOOL_EXIT_OK);
        return;
    }
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME)
        l->want_runtime = false;
    else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE)
        l->want_state = false;
    if (!l->o->follow_states && !l->o->follow_events && !l->want_runtime && !l->want_state && !l->want_state_at)
        finish(l, TOOL_EXIT_OK);
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    live *l = user;
    (void)c;
    if (l->finished)
        return;
    dump_warnf("message %llu: %s (%s), skipped", (unsigned long long)l->messages, reason ? reason : "",
               psc_strerror(err));
    l->messages++;
    if (err == PSC_ERR_NOMEM)
        finish(l, TOOL_EXIT_FAILURE);
    else if (l->o->strict)
        finish(l, TOOL_EXIT_PROTOCOL);
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    live *l = user;
    (void)c;
    l->closed = true;
    if (l->finished)
        return;
    l->finished = true;
    const char *url = l->o->url;
    const char *why = reason && *reason ? reason : "";
    switch (err) {
    case PSC_ERR_AUTH:
        dump_errorf("%s: authentication refused (%s)%s", url, why,
                    l->o->conn.token ? "" : "; the endpoint wants a token (--token or $PEERSCOPE_TOKEN)");
        l->status = TOOL_EXIT_AUTH;
        break;
    case PSC_ERR_PROTOCOL:
        dump_errorf("%s: protocol error: %s", url, *why ? why : "WebSocket handshake failed");
        l->status = TOOL_EXIT_PROTOCOL;
        break;
    case PSC_ERR_TIMEOUT:
        dump_errorf("%s: no connection within %.1f s", url, (double)l->o->connect_timeout_ms / 1000.0);
        l->status = TOOL_EXIT_CONNECT;
        break;
    case PSC_ERR_CLOSED:
        /* A server that says it is going away ends a follow cleanly; any
         * other close before the requested data came is a failure. */
        if ((code == 1000 || code == 1001) && (l->o->follow_states || l->o->follow_events) &&
            !l->want_runtime && !l->want_state) {
            dump_warnf("%s: the server closed the connection (%d%s%s)", url, code, *why ? ": " : "", why);
            l->status = TOOL_EXIT_OK;
        } else {
            dump_errorf("%s: the server closed the connection (code %d%s%s)", url, code, *why ? ": " : "", why);
            l->status = (code == 1002 || code == 1003 || code == 1007 || code == 1008 || code == 1009)
                            ? TOOL_EXIT_PROTOCOL
                            : TOOL_EXIT_CONNECT;
        }
        break;
    case PSC_ERR_NOMEM:
        dump_errorf("out of memory");
        l->status = TOOL_EXIT_FAILURE;
        break;
    default: {
        const char *what = l->opened ? "connection lost" : "cannot connect";
        if (strcmp(why, what) == 0) /* the client's reason may say the same */
            why = "";
        dump_errorf("%s: %s%s%s", url, what, *why ? ": " : "", why);
        l->status = TOOL_EXIT_CONNECT;
        break;
    }
    }
}

static psc_err send_commands(live *l)
{
    const dump_opts *o = l->o;
    psc_client_settings set = {0, o->conn.interval_ms};
    struct {
        bool on;
        const char *name;
        int kind; /* 0 hello, 1 request, 2 push */
        Peerscope__ClientCommand__Source src;
    } plan[] = {
        {true, "HELLO", 0, 0},
        {o->runtime, "REQUEST RUNTIME", 1, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME},
        {o->state_once, "REQUEST STATE", 1, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE},
        {o->follow_states, "PUSH_ENABLE STATE", 2, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE},
        {o->follow_events, "PUSH_ENABLE EVENTS", 2, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS},
    };
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        if (!plan[i].on)
            continue;
        uint64_t id = 0;
        psc_err e = plan[i].kind == 0   ? psc_client_hello(l->c, o->conn.interval_ms ? &set : NULL, &id)
                    : plan[i].kind == 1 ? psc_client_request(l->c, plan[i].src, &id)
                                        : psc_client_push_enable(l->c, plan[i].src, &id);
        if (e != PSC_OK)
            return e;
        l->cmds[l->n_cmds].id = id;
        l->cmds[l->n_cmds].name = plan[i].name;
        l->n_cmds++;
    }
    if (o->state_at) {
        uint64_t id = 0;
        psc_err e = psc_client_request_state_at(l->c, o->state_at, &id);
        if (e != PSC_OK)
            return e;
        l->state_at_id = id;
        l->cmds[l->n_cmds].id = id;
        l->cmds[l->n_cmds].name = "REQUEST STATE with at_ts";
        l->n_cmds++;
    }
    return PSC_OK;
}

int dump_run_live(const dump_opts *o, dump_sink *s)
{
    /* libwebsockets would print its own notices on stderr, mixed with ours */
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);

    live l;
    memset(&l, 0, sizeof l);
    l.o = o;
    l.sink = s;
    l.want_runtime = o->runtime;
    l.want_state = o->state_once;
    l.want_state_at = o->state_at != 0;

    const psc_client_callbacks cb = {
        .struct_size = sizeof cb,
        .on_open = on_open,
        .on_message = on_message,
        .on_error = on_error,
        .on_close = on_close,
    };
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cli_conn_apply(&o->conn, o->url, &cfg);
    cfg.connect_timeout_ms = (uint32_t)o->connect_timeout_ms;
    cfg.callbacks = &cb;
    cfg.user = &l;
    psc_err e = psc_client_new(&cfg, &l.c);
    if (e == PSC_ERR_INVALID) {
        /* the command line checked both already; kept for a client that grows stricter */
        dump_errorf("invalid URL or token: %s", o->url);
        return TOOL_EXIT_USAGE;
    }
    if (e != PSC_OK) {
        dump_errorf("cannot create the client: %s", psc_strerror(e));
        return e == PSC_ERR_NOMEM ? TOOL_EXIT_FAILURE : TOOL_EXIT_CONNECT;
    }
    e = send_commands(&l);
    if (e != PSC_OK) {
        dump_errorf("cannot queue the commands: %s", psc_strerror(e));
        psc_client_free(l.c);
        return TOOL_EXIT_FAILURE;
    }

    uint64_t start = tool_now_ms();
    uint64_t close_deadline = 0;
    while (!l.closed) {
        uint64_t now = tool_now_ms();
        if (!l.finished && (tool_stop_signal || (o->duration_ms && now - start >= o->duration_ms)))
            finish(&l, TOOL_EXIT_OK);
        if (l.finished) {
            if (!close_deadline)
                close_deadline = now + CLOSE_GRACE_MS;
            else if (now >= close_deadline)
                break; /* the server does not answer the close: drop it */
        }
        e = psc_client_poll(l.c, 100);
        if (e != PSC_OK && !l.finished) {
            dump_errorf("client loop failed: %s", psc_strerror(e));
            finish(&l, TOOL_EXIT_FAILURE);
        }
    }
    psc_client_free(l.c);
    return l.status;
}

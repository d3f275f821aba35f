/*
 * peerscope-record's network side: every endpoint on one caller-driven
 * client loop (client.h), on the main thread. Per connection: HELLO
 * (asking for delta states unless --full-every 1) and REQUEST RUNTIME;
 * once the Runtime is in, the session exists for the writer and the
 * state and event pushes are enabled. What arrives becomes items of the
 * current batch, handed to the writer at least every REC_COMMIT_MS.
 *
 * Reconnect: 1 s doubling to 30 s, back to 1 s once a connection
 * delivered its Runtime; not after a refused token (it will not change).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerscope/client.h"
#include "peerscope/ws.h"
#include "rec_derive.h"
#include "rec_raw.h"
#include "rec_text.h"
#include "rec_writer.h"
#include "record.h"
#include "tool_util.h"

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 30000u
#define CLOSE_GRACE_MS 2000u
#define STATUS_EVERY_MS 10000u
#define HOUSEKEEP_MS 10u
/*
 * After a poll that brought messages, wait this long before the next: many
 * endpoints each sending small messages would otherwise wake the recorder
 * (and the kernel) for nearly every one; a couple of milliseconds later
 * each wake-up and read takes several. Nothing waits on a recorder's
 * latency at this scale (batches are committed every REC_COMMIT_MS).
 */
#define GATHER_US 2000
/* A batch goes to the writer at REC_COMMIT_MS, or sooner when it is this big. */
#define BATCH_MAX_ITEMS 50000u
#define BATCH_MAX_BYTES (32u * 1024u * 1024u)

typedef enum node_phase {
    NODE_CONNECTING,
    NODE_OPEN,
    NODE_WAITING, /* retry at retry_at */
    NODE_REFUSED, /* the token was refused: not retried */
    NODE_DONE,    /* closed at the end */
} node_phase;

struct rec_app;

typedef struct rec_node {
    struct rec_app *app;
    uint32_t index;
    const char *url;
    psc_client *client;
    node_phase phase;
    uint64_t retry_at;
    uint32_t backoff_ms;
    bool recording;         /* this connection's Runtime came: the writer has its session */
    bool ever_recorded;

    /* the last Runtime, to tell a reconnect (counters go on) from a restart */
    char last_peer[128];
    uint64_t last_start_ts;
    bool have_last;
    rec_seen seen;

    /* the last frame, when it held a state: the bytes stored as the state's blob */
    uint8_t *frame;
    size_t frame_len, frame_cap;
    uint64_t deltas_seen;   /* the client's deltas_applied at the previous state */
    uint64_t prev_state_seq;

    rec_raw raw;
    uint64_t last_event_seq;
    uint64_t events, states, dropped, gaps, lost;
    char close_reason[192];
} rec_node;

typedef struct rec_app {
    const rec_opts *o;
    rec_writer *w;
    psc_client_loop *loop;
    rec_node *nodes;
    size_t n_nodes;
    rec_batch *batch;
    bool stopping;
    bool nomem;
    bool raw_failed;
    uint64_t wrapped_contents;
    uint64_t messages;       /* received, all endpoints: tells a busy poll */
} rec_app;

void rec_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-record", NULL, fmt, ap);
    va_end(ap);
}

void rec_warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-record", "warning", fmt, ap);
    va_end(ap);
}

static void notef(rec_app *app, const char *fmt, ...) PSC_PRINTF(2, 3);

static void notef(rec_app *app, const char *fmt, ...)
{
    if (app->o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-record", NULL, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- items */

static rec_item *add_item(rec_app *app, rec_item_kind kind, uint32_t node)
{
    if (app->nomem)
        return NULL;
    if (!app->batch) {
        app->batch = rec_batch_new();
        if (!app->batch) {
            app->nomem = true;
            return NULL;
        }
        app->batch->created_ms = tool_now_ms();
    }
    rec_item *it = rec_batch_add(app->batch, kind, node, tool_wall_ms());
    if (!it)
        app->nomem = true;
    return it;
}

static rec_arena *arena(rec_app *app)
{
    return &app->batch->arena;
}

/* A string copied into the batch; marks the app out of memory on failure. */
static const char *text(rec_app *app, const char *s)
{
    char *p = rec_text(arena(app), s);
    if (!p)
        app->nomem = true;
    return p;
}

/*
 * The URL as stored: a token in its query (as browsers must send it) is
 * not written into the database.
 */
static const char *url_for_store(rec_app *app, const char *url)
{
    const char *q = strchr(url, '?');
    if (!q)
        return text(app, url);
    rec_buf b;
    rec_buf_init(&b);
    rec_buf_add(&b, url, (size_t)(q - url));
    const char *p = q;
    while (*p) {
        char sep = *p++; /* '?' or '&' */
        size_t n = strcspn(p, "&#");
        rec_buf_add(&b, &sep, 1);
        if (n >= 6 && strncmp(p, "token=", 6) == 0)
            rec_buf_str(&b, "token=***");
        else
            rec_buf_add(&b, p, n);
        p += n;
        if (*p == '#')
            break;
    }
    const char *out = b.ok ? text(app, b.p) : NULL;
    if (!b.ok)
        app->nomem = true;
    rec_buf_free(&b);
    return out;
}

static void hand_over(rec_app *app)
{
    if (!app->batch)
        return;
    rec_writer_push(app->w, app->batch);
    app->batch = NULL;
}

/* ---------------------------------------------------------- frame peek */

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* Whether a ServerMessage payload carries a State (field 2), without decoding it. */
static bool payload_is_state(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t tag, v;
        if (!read_varint(&p, end, &tag))
            return false;
        unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
        if (field == 2 && wt == 2)
            return true;
        switch (wt) {
        case 0:
            if (!read_varint(&p, end, &v))
                return false;
            break;
        case 1:
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2:
            if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            p += v;
            break;
        case 5:
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default: return false;
        }
    }
    return false;
}

/* ------------------------------------------------------------ messages */

static void send_pushes(rec_node *n)
{
    psc_err e = psc_client_request(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL);
    if (!e)
        e = psc_client_push_enable(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL);
    if (!e)
        e = psc_client_push_enable(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL);
    if (e == PSC_ERR_NOMEM)
        n->app->nomem = true;
}

static void got_runtime(rec_node *n, const Peerscope__Runtime *rt)
{
    rec_app *app = n->app;
    if (n->recording)
        return; /* only the answer to our one REQUEST RUNTIME opens the session */
    const char *peer = rt->peer_id ? rt->peer_id : "";
    /* the same run again (a reconnect): stream counters carry over; else they start over */
    bool same_run = n->have_last && rt->start_ts && rt->start_ts == n->last_start_ts && strcmp(peer, n->last_peer) == 0;
    if (!same_run)
        rec_seen_reset(&n->seen);
    n->have_last = true;
    n->last_start_ts = rt->start_ts;
    snprintf(n->last_peer, sizeof n->last_peer, "%s", peer);
    n->last_event_seq = 0;
    n->prev_state_seq = 0;

    rec_item *it = add_item(app, REC_ITEM_OPEN, n->index);
    if (!it)
        return;
    rec_runtime *r = &it->u.open.rt;
    r->peer_id = text(app, rt->peer_id);
    r->implementation = text(app, rt->implementation);
    r->version = text(app, rt->version);
    r->platform = text(app, rt->platform);
    r->peerscope_version = text(app, rt->peerscope_version);
    r->start_ts = rt->start_ts;
    it->u.open.url = url_for_store(app, n->url);
    if (rt->n_event_types) {
        rec_event_type *types = rec_arena_alloc(arena(app), rt->n_event_types * sizeof *types);
        if (!types) {
            app->nomem = true;
            return;
        }
        for (size_t i = 0; i < rt->n_event_types; i++) {
            types[i].name = text(app, rt->event_types[i]->name);
            types[i].props = rec_event_props_json(arena(app), rt->event_types[i]);
            if (!types[i].props)
                app->nomem = true;
        }
        it->u.open.types = types;
        it->u.open.n_types = rt->n_event_types;
    }
    if (app->nomem)
        return;
    n->recording = n->ever_recorded = true;
    n->backoff_ms = BACKOFF_FIRST_MS;
    notef(app, "%s: recording %s (%s%s%s)%s", n->url, *peer ? peer : "(no peer id)",
          rt->implementation && *rt->implementation ? rt->implementation : "?",
          rt->version && *rt->version ? " " : "", rt->version ? rt->version : "",
          same_run ? ", the same run as before" : "");
    send_pushes(n);
}

static void got_state(rec_node *n, const Peerscope__State *st, const uint8_t *payload, size_t len)
{
    rec_app *app = n->app;
    psc_client_info info = PSC_CLIENT_INFO_INIT;
    psc_client_get_info(n->client, &info);
    /* a delta was rebuilt into this full state: its bytes are the frame that came */
    bool delta = info.deltas_applied > n->deltas_seen;
    n->deltas_seen = info.deltas_applied;

    rec_item *it = add_item(app, REC_ITEM_STATE, n->index);
    if (!it)
        return;
    rec_state_row *row = rec_arena_alloc(arena(app), sizeof *row);
    if (!row) {
        app->nomem = true;
        return;
    }
    memset(row, 0, sizeof *row);
    if (!rec_derive_state(arena(app), st, &n->seen, row)) {
        app->nomem = true;
        return;
    }
    const uint8_t *blob = payload;
    size_t blob_len = len;
    if (n->frame_len >= PSC_FRAME_HEADER_LEN) {
        blob = n->frame + PSC_FRAME_HEADER_LEN;
        blob_len = n->frame_len - PSC_FRAME_HEADER_LEN;
    }
    uint8_t *copy = rec_arena_alloc(arena(app), blob_len ? blob_len : 1);
    if (!copy) {
        app->nomem = true;
        return;
    }
    memcpy(copy, blob, blob_len);
    row->blob = copy;
    row->blob_len = blob_len;
    row->delta = delta;
    /* the client applies a delta only onto the state whose seq it names: the previous one */
    row->base_seq = delta ? n->prev_state_seq : 0;
    n->prev_state_seq = st->seq;
    it->u.state = row;
    app->batch->states++;
    n->states++;
}

static void got_event(rec_node *n, const Peerscope__Event *e)
{
    rec_app *app = n->app;
    const char *type = e->type && e->type->name ? e->type->name : "";
    if (e->type && e->type->n_property_types) {
        /* the first event of each type carries its properties: types declared after the Runtime */
        rec_item *t = add_item(app, REC_ITEM_EVENT_TYPE, n->index);
        if (!t)
            return;
        t->u.etype.name = text(app, type);
        t->u.etype.props = rec_event_props_json(arena(app), e->type);
        if (!t->u.etype.props)
            app->nomem = true;
    }
    rec_item *it = add_item(app, REC_ITEM_EVENT, n->index);
    if (!it)
        return;
    bool wrapped = false;
    it->u.event.ts = e->ts;
    it->u.event.seq = e->seq;
    it->u.event.type = text(app, type);
    it->u.event.props = rec_json_props(arena(app), e->content, &wrapped);
    if (!it->u.event.props)
        app->nomem = true;
    if (wrapped)
        app->wrapped_contents++;
    if (e->seq && n->last_event_seq && e->seq > n->last_event_seq + 1)
        n->gaps += e->seq - n->last_event_seq - 1;
    if (e->seq > n->last_event_seq)
        n->last_event_seq = e->seq;
    app->batch->events++;
    n->events++;
}

static void on_open(void *user, psc_client *c)
{
    rec_node *n = user;
    (void)c;
    n->phase = NODE_OPEN;
}

static void on_frame(void *user, psc_client *c, const uint8_t *frame, size_t len)
{
    rec_node *n = user;
    (void)c;
    n->frame_len = 0;
    if (len < PSC_FRAME_HEADER_LEN || !payload_is_state(frame + PSC_FRAME_HEADER_LEN, len - PSC_FRAME_HEADER_LEN))
        return;
    if (len > n->frame_cap) {
        uint8_t *p = realloc(n->frame, len);
        if (!p)
            return; /* the state is then stored as rebuilt, in full */
        n->frame = p;
        n->frame_cap = len;
    }
    memcpy(n->frame, frame, len);
    n->frame_len = len;
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload,
                       size_t len)
{
    rec_node *n = user;
    rec_app *app = n->app;
    (void)c;
    app->messages++;
    if (app->stopping && m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT &&
        m->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE)
        return;
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        got_runtime(n, m->runtime);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        if (n->recording)
            got_state(n, m->state, payload, len);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        if (n->recording)
            got_event(n, m->event);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        if (n->recording && m->notice->kind == PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS) {
            rec_item *it = add_item(app, REC_ITEM_NOTICE, n->index);
            if (it)
                it->u.dropped = m->notice->dropped;
            n->dropped += m->notice->dropped;
            rec_warnf("%s: the node dropped %llu events for the recorder (it fell behind)", n->url,
                      (unsigned long long)m->notice->dropped);
        }
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        if (m->response->result != PEERSCOPE__COMMAND_RESPONSE__RESULT__OK)
            rec_warnf("%s: the node refused a command: %s", n->url,
                      m->response->error && *m->response->error ? m->response->error : "(no reason given)");
        return; /* not recorded: they answer our own commands */
    default:
        return;
    }
    if (n->recording && n->raw.f) {
        char err[512];
        if (!rec_raw_write(&n->raw, payload, len, err, sizeof err)) {
            rec_errorf("%s", err);
            app->raw_failed = true;
        }
    }
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    rec_node *n = user;
    (void)c;
    n->lost++;
    if (err == PSC_ERR_NOMEM)
        n->app->nomem = true;
    else if (err != PSC_ERR_STATE) /* a delta that did not apply: the client asks for a full state itself */
        rec_warnf("%s: a message was lost: %s", n->url, reason ? reason : psc_strerror(err));
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    rec_node *n = user;
    rec_app *app = n->app;
    (void)c;
    const char *why = reason && *reason ? reason : "";
    switch (err) {
    case PSC_OK: snprintf(n->close_reason, sizeof n->close_reason, "closed by the recorder"); break;
    case PSC_ERR_CLOSED:
        snprintf(n->close_reason, sizeof n->close_reason, "closed by the node (code %d%s%s)", code, *why ? ": " : "",
                 why);
        break;
    case PSC_ERR_AUTH:
        snprintf(n->close_reason, sizeof n->close_reason, "authentication refused%s%s", *why ? ": " : "", why);
        break;
    case PSC_ERR_TIMEOUT: snprintf(n->close_reason, sizeof n->close_reason, "connect timeout"); break;
    default:
        snprintf(n->close_reason, sizeof n->close_reason, "%s%s%s",
                 n->phase == NODE_OPEN ? "connection lost" : "cannot connect", *why ? ": " : "", why);
        break;
    }
    if (n->recording) {
        rec_item *it = add_item(app, REC_ITEM_CLOSE, n->index);
        if (it)
            it->u.close_reason = text(app, n->close_reason);
        n->recording = false;
    }
    n->frame_len = 0;
    if (app->stopping) {
        n->phase = NODE_DONE;
        return;
    }
    if (err == PSC_ERR_AUTH) {
        rec_errorf("%s: %s%s; not retrying", n->url, n->close_reason,
                   app->o->conn.token ? "" : " (the endpoint wants a token: --token or $PEERSCOPE_TOKEN)");
        n->phase = NODE_REFUSED;
        return;
    }
    n->phase = NODE_WAITING;
    n->retry_at = tool_now_ms() + n->backoff_ms;
    notef(app, "%s: %s; retrying in %u s", n->url, n->close_reason, (unsigned)(n->backoff_ms / 1000));
    n->backoff_ms = n->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : n->backoff_ms * 2;
}

/* ---------------------------------------------------------- sessions */

static psc_err queue_hello(rec_node *n)
{
    psc_client_settings set = {0, n->app->o->interval_ms};
    psc_err e = psc_client_hello(n->client, &set, NULL);
    if (!e)
        e = psc_client_request(n->client, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL);
    return e;
}

static psc_err node_start(rec_app *app, rec_node *n)
{
    static const psc_client_callbacks cb = {
        .struct_size = sizeof cb,
        .on_open = on_open,
        .on_frame = on_frame,
        .on_message = on_message,
        .on_error = on_error,
        .on_close = on_close,
    };
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cli_conn_apply(&app->o->conn, n->url, &cfg);
    cfg.connect_timeout_ms = (uint32_t)app->o->connect_timeout_ms;
    cfg.loop = app->loop;
    cfg.callbacks = &cb;
    cfg.user = n;
    cfg.delta_states = app->o->full_every != 1;
    cfg.full_state_every = app->o->full_every;
    cfg.apply_deltas = true;
    psc_err e = psc_client_new(&cfg, &n->client);
    if (e)
        return e;
    n->phase = NODE_CONNECTING;
    e = queue_hello(n);
    if (e) {
        psc_client_free(n->client);
        n->client = NULL;
    }
    return e;
}

static void node_tick(rec_node *n, uint64_t now)
{
    if (n->phase != NODE_WAITING || now < n->retry_at)
        return;
    psc_err e = psc_client_reconnect(n->client);
    if (!e)
        e = queue_hello(n);
    if (e) {
        n->retry_at = now + n->backoff_ms;
        return;
    }
    n->phase = NODE_CONNECTING;
}

static void status_line(rec_app *app, uint64_t elapsed_ms, uint64_t *last_events)
{
    rec_writer_stats ws;
    rec_writer_get_stats(app->w, &ws);
    size_t open = 0;
    uint64_t dropped = 0, gaps = 0, received = 0;
    for (size_t i = 0; i < app->n_nodes; i++) {
        open += app->nodes[i].recording;
        dropped += app->nodes[i].dropped;
        gaps += app->nodes[i].gaps;
        received += app->nodes[i].events;
    }
    double rate = (double)(received - *last_events) / (STATUS_EVERY_MS / 1000.0);
    *last_events = received;
    fprintf(stderr,
            "peerscope-record: %.0f s: %zu/%zu recording, %.0f events/s; stored %llu events, %llu states; "
            "dropped by nodes %llu, gaps %llu; longest commit %llu ms\n",
            (double)elapsed_ms / 1000.0, open, app->n_nodes, rate, (unsigned long long)ws.events,
            (unsigned long long)ws.states, (unsigned long long)dropped, (unsigned long long)gaps,
            (unsigned long long)ws.max_commit_ms);
}

static void net_stats(const rec_app *app, uint64_t elapsed_ms, rec_net_stats *out)
{
    memset(out, 0, sizeof *out);
    out->elapsed_ms = elapsed_ms;
    out->wrapped = app->wrapped_contents;
    for (size_t i = 0; i < app->n_nodes; i++) {
        const rec_node *n = &app->nodes[i];
        out->events += n->events;
        out->states += n->states;
        out->dropped += n->dropped;
        out->gaps += n->gaps;
        out->lost += n->lost;
    }
}

static bool open_raw_files(rec_app *app)
{
    if (!app->o->raw)
        return true;
    for (size_t i = 0; i < app->n_nodes; i++) {
        char path[4096], err[600];
        uint64_t cut = 0;
        rec_raw_path(app->o->raw, i, path, sizeof path);
        if (!rec_raw_open(&app->nodes[i].raw, path, &cut, err, sizeof err)) {
            rec_errorf("%s", err);
            return false;
        }
        if (cut)
            rec_warnf("%s: cut %llu bytes of a record the last run did not finish", path, (unsigned long long)cut);
    }
    return true;
}

static void flush_raw(rec_app *app)
{
    for (size_t i = 0; i < app->n_nodes; i++) {
        char err[600];
        if (!rec_raw_flush(&app->nodes[i].raw, err, sizeof err)) {
            rec_errorf("%s", err);
            app->raw_failed = true;
        }
    }
}

/* Close every connection cleanly (within CLOSE_GRACE_MS) so that each session's end is stored. */
static void close_all(rec_app *app)
{
    app->stopping = true;
    for (size_t i = 0; i < app->n_nodes; i++) {
        rec_node *n = &app->nodes[i];
        if (!n->client)
            continue;
        if (n->phase == NODE_CONNECTING || n->phase == NODE_OPEN) {
            if (psc_client_close(n->client) != PSC_OK)
                n->phase = NODE_DONE;
        } else if (n->phase != NODE_REFUSED) {
            n->phase = NODE_DONE;
        }
    }
    uint64_t deadline = tool_now_ms() + CLOSE_GRACE_MS;
    for (;;) {
        bool waiting = false;
        for (size_t i = 0; i < app->n_nodes; i++)
            waiting |= app->nodes[i].client && app->nodes[i].phase != NODE_DONE && app->nodes[i].phase != NODE_REFUSED;
        if (!waiting || tool_now_ms() >= deadline)
            break;
        psc_client_loop_poll(app->loop, 50);
    }
    for (size_t i = 0; i < app->n_nodes; i++) {
        rec_node *n = &app->nodes[i];
        if (n->recording) { /* the node did not answer the close */
            rec_item *it = add_item(app, REC_ITEM_CLOSE, n->index);
            if (it)
                it->u.close_reason = text(app, "closed by the recorder");
            n->recording = false;
        }
    }
}

int rec_net_run(const rec_opts *o, rec_writer *w, rec_net_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    /* libwebsockets would print its own notices on stderr, mixed with ours */
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);

    rec_app app;
    memset(&app, 0, sizeof app);
    app.o = o;
    app.w = w;
    app.n_nodes = o->n_urls;
    app.nodes = calloc(o->n_urls, sizeof *app.nodes);
    if (!app.nodes) {
        rec_errorf("out of memory");
        return REC_EXIT_FAILURE;
    }
    int status = REC_EXIT_OK;
    for (size_t i = 0; i < app.n_nodes; i++) {
        rec_node *n = &app.nodes[i];
        n->app = &app;
        n->index = (uint32_t)i;
        n->url = o->urls[i];
        n->backoff_ms = BACKOFF_FIRST_MS;
    }
    psc_err e = psc_client_loop_new(NULL, &app.loop);
    if (e) {
        rec_errorf("cannot create the client loop: %s", psc_strerror(e));
        free(app.nodes);
        return REC_EXIT_FAILURE;
    }
    if (!open_raw_files(&app)) {
        status = REC_EXIT_FAILURE;
        goto out;
    }
    for (size_t i = 0; i < app.n_nodes; i++) {
        e = node_start(&app, &app.nodes[i]);
        if (e) {
            rec_errorf("%s: cannot start a client: %s", app.nodes[i].url, psc_strerror(e));
            status = e == PSC_ERR_NOMEM ? REC_EXIT_FAILURE : REC_EXIT_CONNECT;
            goto out;
        }
    }

    uint64_t start = tool_now_ms(), next_status = start + STATUS_EVERY_MS, status_events = 0, next_chores = start;
    int wstatus = 0;
    char wmsg[1100];
    for (;;) {
        uint64_t now = tool_now_ms();
        if (tool_stop_signal || (o->duration_ms && now - start >= o->duration_ms))
            break;
        if (app.nomem || app.raw_failed || rec_writer_failed(w, &wstatus, wmsg, sizeof wmsg))
            break;
        bool all_refused = true;
        for (size_t i = 0; i < app.n_nodes; i++)
            all_refused &= app.nodes[i].phase == NODE_REFUSED;
        if (all_refused)
            break;
        /* the writer is behind: stop reading, and let the nodes' queues hold what comes */
        if (!rec_writer_wait_room(w, 100))
            continue;
        uint64_t before = app.messages;
        e = psc_client_loop_poll(app.loop, 50);
        if (!e && app.messages != before) {
            struct timespec gather = {0, GATHER_US * 1000L};
            nanosleep(&gather, NULL);
        }
        if (e) {
            rec_errorf("client loop failed: %s", psc_strerror(e));
            status = REC_EXIT_FAILURE;
            break;
        }
        now = tool_now_ms();
        /* a busy loop polls thousands of times a second: the per-node chores every HOUSEKEEP_MS */
        if (now >= next_chores) {
            for (size_t i = 0; i < app.n_nodes; i++)
                node_tick(&app.nodes[i], now);
            flush_raw(&app);
            next_chores = now + HOUSEKEEP_MS;
        }
        if (app.batch && (now - app.batch->created_ms >= REC_COMMIT_MS || app.batch->n >= BATCH_MAX_ITEMS ||
                          rec_batch_bytes(app.batch) >= BATCH_MAX_BYTES))
            hand_over(&app);
        if (o->verbose && now >= next_status) {
            status_line(&app, now - start, &status_events);
            next_status += STATUS_EVERY_MS;
        }
    }
    close_all(&app);
    flush_raw(&app);
    hand_over(&app);
    net_stats(&app, tool_now_ms() - start, stats);

    if (status == REC_EXIT_OK) {
        bool all_refused = true, any = false;
        for (size_t i = 0; i < app.n_nodes; i++) {
            all_refused &= app.nodes[i].phase == NODE_REFUSED;
            any |= app.nodes[i].ever_recorded;
        }
        if (app.nomem) {
            rec_errorf("out of memory");
            status = REC_EXIT_FAILURE;
        } else if (app.raw_failed) {
            status = REC_EXIT_FAILURE;
        } else if (all_refused) {
            status = REC_EXIT_AUTH;
        } else if (!any) {
            rec_errorf("no endpoint could be recorded");
            status = REC_EXIT_CONNECT;
        }
    }
out:
    for (size_t i = 0; i < app.n_nodes; i++) {
        rec_node *n = &app.nodes[i];
        char err[600];
        psc_client_free(n->client);
        rec_seen_free(&n->seen);
        free(n->frame);
        if (!rec_raw_close(&n->raw, err, sizeof err)) {
            rec_errorf("%s", err);
            if (status == REC_EXIT_OK)
                status = REC_EXIT_FAILURE;
        }
    }
    psc_client_loop_free(app.loop);
    rec_batch_free(app.batch);
    free(app.nodes);
    return status;
}

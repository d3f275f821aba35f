/* peerscope-hub: the node table, event resume bookkeeping, the fleet event ring and the Fleet table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "tool_util.h"
#include "peerscope/message.h"
#include "peerscope/version.h"
#include "peerscope/wire.h"

uint64_t hub_wall_ms(void)
{
    return tool_wall_ms();
}

uint64_t hub_mono_ms(void)
{
    return tool_now_ms();
}

void hub_log(hub *h, bool info, const char *fmt, ...)
{
    if (info && h->opt.quiet)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "peerscope-hub: %s\n", line);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void hub_init(hub *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    h->start_ts = hub_wall_ms();
    atomic_init(&h->stop, false);
}

void hub_fini(hub *h)
{
    for (size_t i = 0; i < h->n_nodes; i++) {
        hub_relay_free(h->nodes[i]->relay);
        free(h->nodes[i]->state_payload);
        free(h->nodes[i]->token);
        free(h->nodes[i]);
    }
    h->n_nodes = 0;
    for (size_t i = 0; i < HUB_RING_EVENTS; i++)
        free(h->ring[i].frame);
    pthread_mutex_destroy(&h->lock);
}

hub_node *hub_find_locked(hub *h, const char *name)
{
    for (size_t i = 0; i < h->n_nodes; i++)
        if (!strcmp(h->nodes[i]->name, name))
            return h->nodes[i];
    return NULL;
}

static hub_node *add_locked(hub *h, const char *name, bool push, const char *url, const char *token)
{
    if (h->n_nodes >= HUB_MAX_NODES || strlen(name) >= HUB_NAME_MAX)
        return NULL;
    hub_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    copy_str(n->name, sizeof n->name, name);
    n->push = push;
    copy_str(n->url, sizeof n->url, url);
    if (token && !(n->token = strdup(token))) {
        free(n);
        return NULL;
    }
    if (push)
        snprintf(n->source, sizeof n->source, "push");
    else
        snprintf(n->source, sizeof n->source, "pull %s", url ? url : "");
    copy_str(n->error, sizeof n->error, "not connected yet");
    n->relay = hub_relay_new(h, n->name);
    if (!n->relay)
        hub_log(h, false, "node %s: cannot re-serve it (out of memory)", n->name);
    n->since_ts = hub_wall_ms();
    h->nodes[h->n_nodes++] = n;
    return n;
}

hub_node *hub_add_node(hub *h, const char *name, bool push, const char *url, const char *token)
{
    pthread_mutex_lock(&h->lock);
    hub_node *n = hub_find_locked(h, name) ? NULL : add_locked(h, name, push, url, token);
    if (n)
        n->configured = true;
    pthread_mutex_unlock(&h->lock);
    return n;
}

hub_node *hub_push_node_locked(hub *h, const char *name)
{
    hub_node *n = hub_find_locked(h, name);
    if (n)
        return n->push ? n : NULL;
    return add_locked(h, name, true, NULL, NULL);
}

uint64_t hub_link_up(hub *h, hub_node *n, const char *source)
{
    pthread_mutex_lock(&h->lock);
    if (n->ever_up)
        n->reconnects++;
    n->ever_up = true;
    n->up = true;
    n->since_ts = hub_wall_ms();
    n->error[0] = 0;
    n->awaiting_runtime = true;
    if (source)
        copy_str(n->source, sizeof n->source, source);
    uint64_t gen = ++n->link_gen;
    pthread_mutex_unlock(&h->lock);
    hub_log(h, true, "node %s up (%s)", n->name, source ? source : n->source);
    return gen;
}

void hub_link_down(hub *h, hub_node *n, uint64_t gen, const char *why)
{
    pthread_mutex_lock(&h->lock);
    bool current = gen == n->link_gen;
    bool was_up = n->up;
    if (current) {
        n->up = false;
        if (was_up)
            n->since_ts = hub_wall_ms();
        copy_str(n->error, sizeof n->error, why);
    }
    pthread_mutex_unlock(&h->lock);
    if (current && was_up)
        hub_log(h, true, "node %s down: %s", n->name, why ? why : "");
}

/* ------------------------------------------------------------ messages */

static void take_runtime(hub *h, hub_node *n, const Peerscope__Runtime *rt, bool *resume, uint64_t *after_seq,
                         bool *new_run)
{
    copy_str(n->peer_id, sizeof n->peer_id, rt->peer_id);
    copy_str(n->implementation, sizeof n->implementation, rt->implementation);
    copy_str(n->version, sizeof n->version, rt->version);
    copy_str(n->platform, sizeof n->platform, rt->platform);
    if (!n->has_runtime || rt->start_ts != n->start_ts) {
        /* A new run of the node numbers its events from 1 again. */
        if (n->has_runtime) {
            hub_log(h, true, "node %s restarted (new run)", n->name);
            *new_run = true;
        }
        n->runs++;
        n->last_seq = 0;
        n->start_ts = rt->start_ts;
    }
    n->has_runtime = true;
    if (n->awaiting_runtime) {
        n->awaiting_runtime = false;
        *resume = true;
        *after_seq = n->last_seq;
    }
}

static bool conn_open(const Peerscope__Connection *c)
{
    return c->status == PEERSCOPE__STATUS__ACTIVE || c->status == PEERSCOPE__STATUS__OPENING;
}

static void take_state(hub_node *n, const Peerscope__State *st, const uint8_t *payload, size_t len)
{
    if (st->delta)
        return; /* the hub asks for full states only */
    uint8_t *copy = malloc(len ? len : 1);
    if (copy) {
        memcpy(copy, payload, len);
        free(n->state_payload);
        n->state_payload = copy;
        n->state_len = len;
    }
    n->state_ts = st->instant_ts;
    uint32_t conns = 0, streams = 0, peers = 0;
    uint64_t in = 0, out = 0;
    const Peerscope__Subsystems *ss = st->subsystems;
    size_t nc = ss ? ss->n_connections : 0;
    for (size_t i = 0; i < nc; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (!conn_open(c))
            continue;
        conns++;
        /* distinct peers: connections to the same peer are few, a scan back is cheap */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = conn_open(ss->connections[j]) && !strcmp(ss->connections[j]->peer_id, c->peer_id);
        if (!seen)
            peers++;
        if (c->streams) {
            size_t open = 0;
            for (size_t k = 0; k < c->streams->n_streams; k++)
                if (c->streams->streams[k]->status == PEERSCOPE__STATUS__ACTIVE)
                    open++;
            streams += (uint32_t)(c->streams->n_streams ? open : c->streams->n_stream_ids);
        }
        if (c->traffic) {
            in += c->traffic->traffic_in ? c->traffic->traffic_in->inst_bw : 0;
            out += c->traffic->traffic_out ? c->traffic->traffic_out->inst_bw : 0;
        }
    }
    if (st->traffic && (st->traffic->traffic_in || st->traffic->traffic_out)) {
        in = st->traffic->traffic_in ? st->traffic->traffic_in->inst_bw : 0;
        out = st->traffic->traffic_out ? st->traffic->traffic_out->inst_bw : 0;
    }
    n->connections = conns;
    n->peers = peers;
    n->streams = streams;
    n->rate_in = in;
    n->rate_out = out;
    memset(n->alerts, 0, sizeof n->alerts);
    for (size_t i = 0; i < st->n_alerts; i++) {
        unsigned s = (unsigned)st->alerts[i]->severity;
        if (s < 3)
            n->alerts[s]++;
    }
    n->n_milestones = 0;
    for (size_t i = 0; i < st->n_milestones && n->n_milestones < HUB_MAX_MILESTONES; i++) {
        hub_milestone *m = &n->milestones[n->n_milestones++];
        copy_str(m->name, sizeof m->name, st->milestones[i]->name);
        copy_str(m->from, sizeof m->from, st->milestones[i]->from);
        m->reached_ts = st->milestones[i]->reached_ts;
        m->duration_ms = st->milestones[i]->duration_ms;
    }
}

static void ring_add_locked(hub *h, uint8_t *frame, size_t len)
{
    hub_ring_item *it = &h->ring[h->ring_next % HUB_RING_EVENTS];
    free(it->frame);
    it->frame = frame;
    it->len = len;
    h->ring_next++;
}

/* false when the event was held already (resent across a reconnect). */
static bool take_event(hub *h, hub_node *n, const Peerscope__Event *ev)
{
    if (ev->seq && ev->seq <= n->last_seq) {
        n->duplicates++;
        return false;
    }
    if (ev->seq)
        n->last_seq = ev->seq;
    n->events++;
    Peerscope__Event copy = *ev;
    copy.node = n->name;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    sm.event = &copy;
    size_t len = 0;
    uint8_t *frame = hub_frame_message(&sm, &len);
    if (frame)
        ring_add_locked(h, frame, len);
    return true;
}

psc_err hub_link_frame(hub *h, hub_node *n, uint64_t gen, const uint8_t *data, size_t len, bool *current,
                       bool *resume, uint64_t *after_seq)
{
    *current = false;
    *resume = false;
    const uint8_t *payload = NULL;
    size_t plen = 0;
    psc_err err = psc_frame_parse(data, len, &payload, &plen);
    if (err)
        return err;
    Peerscope__ServerMessage *msg = peerscope__server_message__unpack(NULL, plen, payload);
    if (!msg)
        return PSC_ERR_PROTOCOL;
    *current = hub_link_message(h, n, gen, msg, payload, plen, resume, after_seq);
    peerscope__server_message__free_unpacked(msg, NULL);
    return PSC_OK;
}

bool hub_link_message(hub *h, hub_node *n, uint64_t gen, const Peerscope__ServerMessage *msg, const uint8_t *payload,
                      size_t len, bool *resume, uint64_t *after_seq)
{
    *resume = false;
    bool event = false, forward = false, new_run = false;
    pthread_mutex_lock(&h->lock);
    bool current = gen == n->link_gen && n->up;
    if (current) {
        switch (msg->payload_case) {
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
            take_runtime(h, n, msg->runtime, resume, after_seq, &new_run);
            forward = true;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
            take_state(n, msg->state, payload, len);
            forward = !msg->state->delta;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
            /* events before the Runtime of this link would be counted against the wrong run */
            if (!n->awaiting_runtime)
                forward = event = take_event(h, n, msg->event);
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
            if (msg->notice->kind == PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS)
                n->dropped += msg->notice->dropped;
            break;
        default:
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
    /* the relay is fed outside the lock: this thread is its one producer */
    if (n->relay && new_run)
        hub_relay_new_run(n->relay);
    if (n->relay && forward)
        hub_relay_add(n->relay, payload, len);
    if (event)
        hub_server_wake(h);
    return current;
}

/* ------------------------------------------------------------ frames */

uint8_t *hub_frame_message(const Peerscope__ServerMessage *msg, size_t *len)
{
    /* every message the hub makes carries the protocol version */
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    Peerscope__ServerMessage sm = *msg;
    if (!sm.version)
        sm.version = &v;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *f = malloc(PSC_FRAME_HEADER_LEN + n);
    if (!f)
        return NULL;
    peerscope__server_message__pack(&sm, f + PSC_FRAME_HEADER_LEN);
    psc_frame_header(f, f + PSC_FRAME_HEADER_LEN, n);
    *len = PSC_FRAME_HEADER_LEN + n;
    return f;
}

uint8_t *hub_ring_copy_locked(hub *h, uint64_t idx, size_t *len)
{
    if (idx >= h->ring_next || h->ring_next - idx > HUB_RING_EVENTS)
        return NULL;
    const hub_ring_item *it = &h->ring[idx % HUB_RING_EVENTS];
    if (!it->frame)
        return NULL;
    uint8_t *f = malloc(it->len);
    if (f) {
        memcpy(f, it->frame, it->len);
        *len = it->len;
    }
    return f;
}

uint8_t *hub_fleet_frame(hub *h, size_t *len)
{
    pthread_mutex_lock(&h->lock);
    size_t nn = h->n_nodes, nm = 0;
    for (size_t i = 0; i < nn; i++)
        nm += h->nodes[i]->n_milestones;
    Peerscope__Fleet__Node *rows = calloc(nn ? nn : 1, sizeof *rows);
    Peerscope__Fleet__Node **rowp = calloc(nn ? nn : 1, sizeof *rowp);
    Peerscope__Milestone *ms = calloc(nm ? nm : 1, sizeof *ms);
    Peerscope__Milestone **msp = calloc(nm ? nm : 1, sizeof *msp);
    char (*paths)[HUB_NAME_MAX + 24] = calloc(nn ? nn : 1, sizeof *paths);
    uint8_t *out = NULL;
    if (rows && rowp && ms && msp && paths) {
        size_t mi = 0;
        for (size_t i = 0; i < nn; i++) {
            hub_node *n = h->nodes[i];
            Peerscope__Fleet__Node *r = &rows[i];
            Peerscope__Fleet__Node init = PEERSCOPE__FLEET__NODE__INIT;
            *r = init;
            rowp[i] = r;
            snprintf(paths[i], sizeof paths[i], "/node/%s/introspect", n->name);
            r->name = n->name;
            r->source = n->source;
            r->up = n->up;
            r->since_ts = n->since_ts;
            r->error = n->error;
            r->path = paths[i];
            r->peer_id = n->peer_id;
            r->implementation = n->implementation;
            r->version = n->version;
            r->platform = n->platform;
            r->start_ts = n->start_ts;
            r->state_ts = n->state_ts;
            r->peers = n->peers;
            r->connections = n->connections;
            r->streams = n->streams;
            r->rate_in = n->rate_in;
            r->rate_out = n->rate_out;
            r->alerts_info = n->alerts[0];
            r->alerts_warning = n->alerts[1];
            r->alerts_critical = n->alerts[2];
            r->last_seq = n->last_seq;
            r->events = n->events;
            r->dropped = n->dropped;
            r->reconnects = n->reconnects;
            r->milestones = &msp[mi];
            r->n_milestones = n->n_milestones;
            for (size_t k = 0; k < n->n_milestones; k++, mi++) {
                Peerscope__Milestone mini = PEERSCOPE__MILESTONE__INIT;
                ms[mi] = mini;
                ms[mi].name = n->milestones[k].name;
                ms[mi].from = n->milestones[k].from;
                ms[mi].reached_ts = n->milestones[k].reached_ts;
                ms[mi].duration_ms = n->milestones[k].duration_ms;
                msp[mi] = &ms[mi];
            }
        }
        Peerscope__Fleet fleet = PEERSCOPE__FLEET__INIT;
        fleet.n_nodes = nn;
        fleet.nodes = rowp;
        fleet.ts = hub_wall_ms();
        fleet.hub_version = (char *)PSC_VERSION_STRING;
        Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
        sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET;
        sm.fleet = &fleet;
        out = hub_frame_message(&sm, len);
    }
    pthread_mutex_unlock(&h->lock);
    free(rows);
    free(rowp);
    free(ms);
    free(msp);
    free(paths);
    return out;
}

uint8_t *hub_runtime_frame(hub *h, size_t *len)
{
    static char *caps[] = {(char *)"fleet"};
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    rt.implementation = (char *)"peerscope-hub";
    rt.version = (char *)PSC_VERSION_STRING;
    rt.platform = (char *)"fleet";
    rt.peerscope_version = (char *)PSC_VERSION_STRING;
    rt.start_ts = h->start_ts;
    rt.n_capabilities = 1;
    rt.capabilities = caps;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    sm.runtime = &rt;
    return hub_frame_message(&sm, len);
}

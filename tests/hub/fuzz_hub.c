/*
 * Fuzz target: what a node can send peerscope-hub. The input is a program
 * for one pushed node: raw frames as they come off its socket, well-formed
 * Runtimes, events, states, notices with values from the input, and its
 * link going down and up, each taken by hub_link_frame as the push link
 * does; then the Fleet table and /metrics are rendered from what the hub
 * made of it. Checks, besides the sanitizers: the Fleet table always
 * decodes, the events counted are exactly the ones with a seq above the
 * newest of their run, and /metrics always renders.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub.h"
#include "peerscope/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-hub: %s\n", what);
        abort();
    }
}

typedef struct prog {
    hub *h;
    hub_node *n;
    uint64_t gen;
    bool up;
    /* the model the hub must agree with */
    bool runtime_seen;   /* a Runtime arrived on this link */
    bool has_runtime;    /* one arrived on any link */
    uint64_t start_ts;   /* of the run events count against */
    uint64_t last_seq;
    uint64_t events;
} prog;

/* What the hub must make of a message of the current link (docs/hub.md):
 * a Runtime with another start_ts begins a new run; events count from the
 * link's first Runtime on, unless their seq is not above the newest of the
 * run (seq 0: a node that numbers none, always counted). */
static void model(prog *p, const uint8_t *frame, size_t len)
{
    const uint8_t *payload = NULL;
    size_t plen = 0;
    if (!p->up || psc_frame_parse(frame, len, &payload, &plen) != PSC_OK)
        return;
    Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, plen, payload);
    if (!m)
        return;
    if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME) {
        if (!p->has_runtime || m->runtime->start_ts != p->start_ts) {
            p->start_ts = m->runtime->start_ts;
            p->last_seq = 0;
        }
        p->has_runtime = p->runtime_seen = true;
    } else if (m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT && p->runtime_seen) {
        uint64_t seq = m->event->seq;
        if (!seq || seq > p->last_seq) {
            if (seq)
                p->last_seq = seq;
            p->events++;
        }
    }
    peerscope__server_message__free_unpacked(m, NULL);
}

static void feed(prog *p, const uint8_t *frame, size_t len)
{
    model(p, frame, len);
    bool current = false, resume = false;
    uint64_t after = 0;
    (void)hub_link_frame(p->h, p->n, p->gen, frame, len, &current, &resume, &after);
    must(!current || p->up, "a message of a link that is down counted as current");
}

static void feed_msg(prog *p, Peerscope__ServerMessage *m)
{
    size_t len = 0;
    uint8_t *frame = hub_frame_message(m, &len);
    if (frame)
        feed(p, frame, len);
    free(frame);
}

static void send_runtime(prog *p, uint8_t arg)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    char peer[32];
    snprintf(peer, sizeof peer, "12D3KooWfuzz%u", arg & 7u);
    rt.peer_id = peer;
    rt.implementation = "fuzz";
    rt.start_ts = 1000u + (arg & 3u); /* few values: runs repeat and change */
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    m.runtime = &rt;
    feed_msg(p, &m);
}

static void send_event(prog *p, uint8_t arg, uint8_t arg2)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    Peerscope__EventType ty = PEERSCOPE__EVENT_TYPE__INIT;
    char name[8];
    snprintf(name, sizeof name, "T%u", arg2 % 3u);
    ty.name = name;
    ev.type = &ty;
    ev.ts = 1700000000000u + arg;
    ev.content = "{\"k\":1}";
    ev.seq = arg;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    m.event = &ev;
    feed_msg(p, &m);
}

static void send_state(prog *p, const uint8_t *d, size_t n, uint8_t arg)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    Peerscope__Subsystems sub = PEERSCOPE__SUBSYSTEMS__INIT;
    Peerscope__Connection conns[4], *cp[4];
    Peerscope__Alert alerts[3], *ap[3];
    Peerscope__Milestone ms[3], *mp[3];
    char text[3][17];
    size_t k = arg & 3u;
    for (size_t i = 0; i < k; i++) {
        peerscope__connection__init(&conns[i]);
        conns[i].status = (Peerscope__Status)(i < n ? d[i] % 6 : 0);
        conns[i].peer_id = i & 1 ? "12D3KooWa" : "12D3KooWb";
        cp[i] = &conns[i];
    }
    for (size_t i = 0; i < 3; i++) {
        size_t len = n > i * 16 ? n - i * 16 : 0;
        len = len > 16 ? 16 : len;
        memcpy(text[i], d + i * 16, len); /* any bytes, unterminated-in-spirit names */
        text[i][len] = 0;
        peerscope__alert__init(&alerts[i]);
        alerts[i].severity = (Peerscope__Alert__Severity)((arg >> 2) + i);
        alerts[i].rule = text[i];
        ap[i] = &alerts[i];
        peerscope__milestone__init(&ms[i]);
        ms[i].name = text[i];
        ms[i].from = text[(i + 1) % 3];
        ms[i].duration_ms = (uint64_t)arg << (i * 20);
        mp[i] = &ms[i];
    }
    sub.n_connections = k;
    sub.connections = cp;
    st.subsystems = &sub;
    st.instant_ts = 1700000000000u + arg;
    st.n_alerts = (arg >> 4) & 3u;
    st.alerts = ap;
    st.n_milestones = (arg >> 6) & 3u;
    st.milestones = mp;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    m.state = &st;
    feed_msg(p, &m);
}

static void send_notice(prog *p, uint8_t arg)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__ServerNotice no = PEERSCOPE__SERVER_NOTICE__INIT;
    no.dropped = (uint64_t)arg << 56; /* sums may wrap: the hub must not care */
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    m.notice = &no;
    feed_msg(p, &m);
}

static void check_views(prog *p)
{
    size_t len = 0;
    uint8_t *frame = hub_fleet_frame(p->h, &len);
    if (frame) {
        const uint8_t *payload = NULL;
        size_t plen = 0;
        must(psc_frame_parse(frame, len, &payload, &plen) == PSC_OK, "the Fleet frame does not parse");
        Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, plen, payload);
        must(m && m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET && m->fleet->n_nodes == 1,
             "the Fleet table does not decode");
        must(m->fleet->nodes[0]->events == p->events, "events counted differ from the seqs above each run's newest");
        must(m->fleet->nodes[0]->up == p->up, "the row's up differs from the link");
        peerscope__server_message__free_unpacked(m, NULL);
        free(frame);
    }
    char *text = hub_metrics_render(p->h, &len);
    must(text && len > 0, "/metrics did not render");
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hub *h = calloc(1, sizeof *h);
    if (!h)
        return 0;
    hub_init(h);
    h->opt.quiet = true;
    prog p = {.h = h, .n = hub_add_node(h, "fuzz", true, NULL, NULL)};
    if (!p.n) {
        hub_fini(h);
        free(h);
        return 0;
    }
    p.gen = hub_link_up(h, p.n, "push fuzz");
    p.up = true;
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = i < size ? data[i++] : 0;
        switch (op % 7) {
        case 0: { /* raw bytes as a frame off the socket */
            size_t len = (size_t)arg * 4;
            if (len > size - i)
                len = size - i;
            feed(&p, data + i, len);
            i += len;
            break;
        }
        case 1:
            send_runtime(&p, arg);
            break;
        case 2:
            send_event(&p, arg, op);
            break;
        case 3: {
            size_t len = size - i < 48 ? size - i : 48;
            send_state(&p, data + i, len, arg);
            i += len;
            break;
        }
        case 4:
            send_notice(&p, arg);
            break;
        case 5: /* the link drops; maybe comes back (a new generation, a new Runtime awaited) */
            if (p.up) {
                hub_link_down(h, p.n, p.gen, "fuzz");
                p.up = false;
            }
            if (arg & 1) {
                p.gen = hub_link_up(h, p.n, "push fuzz");
                p.up = true;
                p.runtime_seen = false;
            }
            break;
        default:
            check_views(&p);
            break;
        }
    }
    check_views(&p);
    hub_fini(h);
    free(h);
    return 0;
}

/*
 * peerscope-hub: GET /metrics. Every node's families from its newest
 * State, each series labelled node="NAME" (the library's renderer), then
 * the hub's own peerscope_hub_* families; Prometheus text 0.0.4.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_server.h"
#include "peerscope/metrics.h"

typedef struct node_copy {
    char name[HUB_NAME_MAX];
    uint8_t *state;
    size_t state_len;
    bool up;
    uint64_t events, dropped, duplicates;
    uint32_t reconnects;
} node_copy;

/* A growing text buffer; on out of memory it stops growing and says so. */
typedef struct text {
    char *buf;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !t->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n + 1;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->failed = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

static void family(text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void per_node(text *t, const node_copy *nodes, size_t n, const char *name, const char *type,
                     const char *help, uint64_t (*value)(const node_copy *))
{
    family(t, name, type, help);
    for (size_t i = 0; i < n; i++) {
        char label[HUB_NAME_MAX * 2 + 1];
        /* names are at most 63 bytes: escaped, they fit */
        psc_metrics_escape_label(label, sizeof label, nodes[i].name);
        put(t, "%s{node=\"%s\"} %llu\n", name, label, (unsigned long long)value(&nodes[i]));
    }
}

static uint64_t v_up(const node_copy *n) { return n->up; }
static uint64_t v_events(const node_copy *n) { return n->events; }
static uint64_t v_dropped(const node_copy *n) { return n->dropped; }
static uint64_t v_dups(const node_copy *n) { return n->duplicates; }
static uint64_t v_reconnects(const node_copy *n) { return n->reconnects; }

static void hub_families(text *t, hub *h, const node_copy *nodes, size_t n, uint64_t refused)
{
    size_t up = 0;
    for (size_t i = 0; i < n; i++)
        up += nodes[i].up;
    family(t, "peerscope_hub_nodes", "gauge", "Nodes the hub knows, by the state of their link.");
    put(t, "peerscope_hub_nodes{state=\"down\"} %zu\npeerscope_hub_nodes{state=\"up\"} %zu\n", n - up, up);
    per_node(t, nodes, n, "peerscope_hub_node_up", "gauge", "1 while the hub holds a live link to the node.", v_up);
    per_node(t, nodes, n, "peerscope_hub_events_total", "counter", "Events received from the node (all its runs).",
             v_events);
    per_node(t, nodes, n, "peerscope_hub_events_dropped_total", "counter",
             "Events the node lost before the hub got them (DISCARDING_EVENTS).", v_dropped);
    per_node(t, nodes, n, "peerscope_hub_events_duplicate_total", "counter",
             "Events received again after a reconnect and not counted twice.", v_dups);
    per_node(t, nodes, n, "peerscope_hub_reconnects_total", "counter", "Times the node's link came back.",
             v_reconnects);
    family(t, "peerscope_hub_push_refused_total", "counter", "Push links refused (token, name).");
    put(t, "peerscope_hub_push_refused_total %llu\n", (unsigned long long)refused);
    family(t, "peerscope_hub_start_time_seconds", "gauge", "When the hub started (Unix time).");
    put(t, "peerscope_hub_start_time_seconds %.3f\n", (double)h->start_ts / 1000.0);
}

char *hub_metrics_render(hub *h, size_t *len)
{
    /* copy under the lock, render outside it: the pull thread is not held up by a scrape */
    pthread_mutex_lock(&h->lock);
    size_t n = h->n_nodes;
    uint64_t refused = h->push_refused;
    node_copy *nodes = calloc(n ? n : 1, sizeof *nodes);
    bool nomem = !nodes;
    for (size_t i = 0; nodes && i < n; i++) {
        const hub_node *src = h->nodes[i];
        node_copy *d = &nodes[i];
        snprintf(d->name, sizeof d->name, "%s", src->name);
        d->up = src->up;
        d->events = src->events;
        d->dropped = src->dropped;
        d->duplicates = src->duplicates;
        d->reconnects = src->reconnects;
        if (src->state_payload && (d->state = malloc(src->state_len))) {
            memcpy(d->state, src->state_payload, src->state_len);
            d->state_len = src->state_len;
        }
    }
    pthread_mutex_unlock(&h->lock);

    psc_metrics *set = NULL;
    uint8_t *body = NULL;
    size_t body_len = 0;
    if (!nomem && psc_metrics_new(&set) == PSC_OK) {
        for (size_t i = 0; i < n; i++)
            if (nodes[i].state && psc_metrics_add_state(set, nodes[i].name, nodes[i].state, nodes[i].state_len) ==
                                       PSC_ERR_NOMEM)
                nomem = true;
        if (!nomem && psc_metrics_write(set, &body, &body_len))
            nomem = true;
    } else {
        nomem = true;
    }
    text t = {0};
    if (!nomem) {
        put(&t, "%.*s", (int)body_len, (const char *)body);
        hub_families(&t, h, nodes, n, refused);
    }
    psc_metrics_text_free(body);
    psc_metrics_free(set);
    for (size_t i = 0; nodes && i < n; i++)
        free(nodes[i].state);
    free(nodes);
    if (nomem || t.failed) {
        free(t.buf);
        return NULL;
    }
    *len = t.len;
    return t.buf;
}

int hub_metrics_request(hub_server *s, hub_conn *c, struct lws *wsi)
{
    size_t len = 0;
    char *body = hub_metrics_render(s->h, &len);
    if (!body)
        return hub_respond_text(c, wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "hub out of memory\n");
    return hub_respond(c, wsi, HTTP_STATUS_OK, psc_metrics_content_type(), (const uint8_t *)body, len, true);
}

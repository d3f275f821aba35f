/*
 * The sample table: series keyed by family and labels in a hash table (a
 * State with 100,000 streams sums into a few dozen series without sorting
 * them), and the writer that sorts the series once and prints them.
 */
#include "metrics/metrics_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Help texts hold no backslash, double quote or newline (the tests check):
 * the same bytes are then right in both formats. */
const psc__fam_def psc__fams[PSC__FAM_COUNT] = {
    [PSC__FAM_CONNECTIONS] = {"peerscope_connections", false, NULL,
                              "Connections in the latest state, by transport, direction (who opened it) and status."},
    [PSC__FAM_CONNECTION_BYTES] = {"peerscope_connection_bytes", false, "bytes",
                                   "Bytes moved by the connections in the latest state (closed ones leave it after "
                                   "the retention period), by transport and direction (in, out)."},
    [PSC__FAM_STREAMS] = {"peerscope_streams", false, NULL,
                          "Streams in the latest state, by protocol, direction (who opened it) and status."},
    [PSC__FAM_STREAM_BYTES] = {"peerscope_stream_bytes", false, "bytes",
                               "Bytes moved by the streams in the latest state, by protocol and direction (in, out)."},
    [PSC__FAM_TRAFFIC_BYTES] = {"peerscope_traffic_bytes", true, "bytes",
                                "Bytes the node moved since it started, by direction (in, out)."},
    [PSC__FAM_TRAFFIC_RATE] = {"peerscope_traffic_rate_bytes_per_second", false, "bytes_per_second",
                               "The node's bandwidth as its host measures it, by direction (in, out)."},
    [PSC__FAM_DIALS] = {"peerscope_dials", true, NULL, "Outbound dials finished, by outcome."},
    [PSC__FAM_DIALS_IN_FLIGHT] = {"peerscope_dials_in_flight", false, NULL, "Outbound dials in progress."},
    [PSC__FAM_DHT_BUCKET_PEERS] = {"peerscope_dht_bucket_peers", false, NULL,
                                   "Peers in each routing table bucket (by common prefix length) of each DHT."},
    [PSC__FAM_DHT_QUERIES] = {"peerscope_dht_queries", true, NULL,
                              "DHT queries, by DHT, direction (incoming, outgoing) and outcome."},
    [PSC__FAM_PUBSUB_MESH_PEERS] = {"peerscope_pubsub_mesh_peers", false, NULL, "Mesh peers of each pubsub topic."},
    [PSC__FAM_PUBSUB_TOPIC_PEERS] = {"peerscope_pubsub_topic_peers", false, NULL,
                                     "Peers known to be on each pubsub topic."},
    [PSC__FAM_PUBSUB_MESSAGES] = {"peerscope_pubsub_messages", true, NULL,
                                  "Pubsub messages of each topic, by kind (received, sent, published, forwarded, "
                                  "rejected, duplicate)."},
    [PSC__FAM_PUBSUB_BYTES] = {"peerscope_pubsub_bytes", true, "bytes",
                               "Bytes of the pubsub messages of each topic, by kind."},
    [PSC__FAM_PEERSTORE_PEERS] = {"peerscope_peerstore_peers", false, NULL, "Peers in the peerstore."},
    [PSC__FAM_RESOURCE_USAGE] = {"peerscope_resource_usage", false, NULL,
                                 "Resource manager usage, by scope kind, scope and resource (memory in bytes); "
                                 "peer, connection and stream scopes are summed per kind (scope empty)."},
    [PSC__FAM_RESOURCE_LIMIT] = {"peerscope_resource_limit", false, NULL,
                                 "Resource manager limits (+Inf: none), by scope kind, scope and resource; "
                                 "only for the scopes that are not summed."},
    [PSC__FAM_PROVIDER_ERRORS] = {"peerscope_provider_errors", false, NULL,
                                  "Providers that failed in the latest snapshot, by subsystem."},
    [PSC__FAM_CUSTOM] = {"peerscope_custom_value", false, NULL,
                         "The host's own numeric values (custom sections), by section and name."},
    [PSC__FAM_EVENTS] = {"peerscope_events", true, NULL, "Events emitted, by type."},
    [PSC__FAM_EVENTS_DROPPED] = {"peerscope_events_dropped", true, NULL,
                                 "Events lost at emit (given a sequence number, never stored)."},
    [PSC__FAM_ALERTS] = {"peerscope_alerts_active", false, NULL, "Alerts firing, by rule and severity."},
    [PSC__FAM_MILESTONE] = {"peerscope_milestone_duration_seconds", false, "seconds",
                            "Derived durations: time from a milestone's origin until it was reached, by name."},
    [PSC__FAM_SNAPSHOTS] = {"peerscope_snapshots", true, NULL, "Snapshots taken (the latest state's sequence number)."},
    [PSC__FAM_SNAPSHOT_TIME] = {"peerscope_snapshot_timestamp_seconds", false, "seconds",
                                "When the latest state was taken (Unix time)."},
    [PSC__FAM_SNAPSHOT_COLLECT] = {"peerscope_snapshot_collect_seconds", false, "seconds",
                                   "CPU-side time the latest snapshot took to collect and encode."},
    [PSC__FAM_SNAPSHOT_BYTES] = {"peerscope_snapshot_bytes", false, "bytes", "Size of the latest encoded state."},
    [PSC__FAM_PEER_BYTES] = {"peerscope_peer_bytes", false, "bytes",
                             "Bytes moved with the top peers by bytes (opt-in, capped), by peer and direction."},
};

psc_err psc__metrics_new(const psc__alloc *a, size_t top_peers, psc__metrics **out)
{
    if (!a || !out)
        return PSC_ERR_INVALID;
    psc__metrics *m = psc__calloc(a, 1, sizeof *m);
    if (!m)
        return PSC_ERR_NOMEM;
    m->alloc = *a;
    m->top_peers = top_peers > PSC__METRICS_TOP_PEERS_MAX ? PSC__METRICS_TOP_PEERS_MAX : top_peers;
    if (psc__arena_init(&m->arena, a, NULL, 4096) != PSC_OK) {
        psc__free(a, m);
        return PSC_ERR_NOMEM;
    }
    *out = m;
    return PSC_OK;
}

void psc__metrics_free(psc__metrics *m)
{
    if (!m)
        return;
    psc__arena_free(&m->arena);
    psc__free(&m->alloc, m->samples);
    psc__free(&m->alloc, m->slots);
    psc__free(&m->alloc, m->lb);
    psc__free(&m->alloc, m);
}

/* ------------------------------------------------------------ labels */

static bool lb_room(psc__metrics *m, size_t more)
{
    if (m->failed)
        return false;
    if (m->lb_len + more <= m->lb_cap)
        return true;
    size_t cap = m->lb_cap ? m->lb_cap : 256;
    while (cap < m->lb_len + more)
        cap *= 2;
    char *lb = psc__malloc(&m->alloc, cap);
    if (!lb) {
        m->failed = true;
        return false;
    }
    if (m->lb_len)
        memcpy(lb, m->lb, m->lb_len);
    psc__free(&m->alloc, m->lb);
    m->lb = lb;
    m->lb_cap = cap;
    return true;
}

void psc__lb_reset(psc__metrics *m)
{
    m->lb_len = m->lb_base;
}

void psc__lb_add(psc__metrics *m, const char *name, const char *value)
{
    if (!value)
        value = "";
    psc__lb_addn(m, name, value, strlen(value));
}

void psc__lb_addn(psc__metrics *m, const char *name, const char *value, size_t len)
{
    size_t nl = strlen(name);
    size_t vl = psc__metrics_escape_labeln(NULL, 0, value, len);
    /* ,name="value" */
    if (!lb_room(m, nl + vl + 4))
        return;
    char *p = m->lb + m->lb_len;
    if (m->lb_len)
        *p++ = ',';
    memcpy(p, name, nl);
    p += nl;
    *p++ = '=';
    *p++ = '"';
    psc__metrics_escape_labeln(p, vl, value, len);
    p += vl;
    *p++ = '"';
    m->lb_len = (size_t)(p - m->lb);
}

void psc__lb_add_uint(psc__metrics *m, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    psc__lb_add(m, name, buf);
}

void psc__lb_node(psc__metrics *m, const char *node)
{
    m->lb_base = 0;
    m->lb_len = 0;
    if (node)
        psc__lb_add(m, "node", node);
    m->lb_base = m->lb_len;
}

/* ------------------------------------------------------------ series */

static uint64_t key_hash(uint32_t fam, const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ fam;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

static psc_err grow_slots(psc__metrics *m)
{
    size_t n_slots = m->n_slots ? m->n_slots * 2 : 64;
    uint32_t *slots = psc__calloc(&m->alloc, n_slots, sizeof *slots);
    if (!slots)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t at = (size_t)m->samples[i].hash & (n_slots - 1);
        while (slots[at])
            at = (at + 1) & (n_slots - 1);
        slots[at] = (uint32_t)(i + 1);
    }
    psc__free(&m->alloc, m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    return PSC_OK;
}

psc_err psc__metrics_put(psc__metrics *m, psc__fam fam, double v)
{
    if (m->failed) {
        psc__lb_reset(m);
        return PSC_ERR_NOMEM;
    }
    const char *key = m->lb ? m->lb : "";
    size_t len = m->lb_len;
    uint64_t h = key_hash((uint32_t)fam, key, len);
    psc_err e = PSC_OK;
    if ((m->n + 1) * 2 > m->n_slots && (e = grow_slots(m)) != PSC_OK)
        goto out;
    size_t at = (size_t)h & (m->n_slots - 1);
    for (; m->slots[at]; at = (at + 1) & (m->n_slots - 1)) {
        psc__sample *s = &m->samples[m->slots[at] - 1];
        if (s->hash == h && s->fam == (uint32_t)fam && s->key_len == len && !memcmp(s->key, key, len)) {
            s->value += v;
            goto out;
        }
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        psc__sample *ns = psc__malloc(&m->alloc, cap * sizeof *ns);
        if (!ns) {
            e = PSC_ERR_NOMEM;
            goto out;
        }
        if (m->n)
            memcpy(ns, m->samples, m->n * sizeof *ns);
        psc__free(&m->alloc, m->samples);
        m->samples = ns;
        m->cap = cap;
    }
    char *k = psc__arena_bytes(&m->arena, len + 1);
    if (!k) {
        e = PSC_ERR_NOMEM;
        goto out;
    }
    memcpy(k, key, len);
    k[len] = 0;
    m->samples[m->n] = (psc__sample){(uint32_t)fam, (uint32_t)len, h, k, v};
    m->slots[at] = (uint32_t)(++m->n);
out:
    psc__lb_reset(m);
    return e;
}

/* ------------------------------------------------------------ nodes */

psc_err psc__metrics_add(psc__metrics *m, const char *node, const Peerscope__State *st, const psc__metrics_extra *x)
{
    if (!m)
        return PSC_ERR_INVALID;
    psc__lb_node(m, node);
    psc_err e = PSC_OK;
    if (st) {
        psc__conn_acc acc;
        psc__acc_init(&acc, &m->alloc, m->top_peers > 0);
        e = psc__acc_tree(&acc, st->subsystems);
        if (e == PSC_OK)
            e = psc__acc_put(m, &acc);
        psc__acc_fini(&acc);
        if (e == PSC_OK)
            e = psc__metrics_add_state(m, st);
    }
    if (e == PSC_OK)
        e = psc__metrics_add_extra(m, x);
    return e;
}

psc_err psc__metrics_add_extra(psc__metrics *m, const psc__metrics_extra *x)
{
    psc_err e = PSC_OK;
    if (x && x->has_events) {
        for (size_t i = 0; i < x->n_event_types && e == PSC_OK; i++) {
            psc__lb_add(m, "type", x->event_types[i].type);
            e = psc__metrics_put(m, PSC__FAM_EVENTS, (double)x->event_types[i].emitted);
        }
        if (e == PSC_OK)
            e = psc__metrics_put(m, PSC__FAM_EVENTS_DROPPED, (double)x->events_dropped);
    }
    if (x && x->has_snapshot && e == PSC_OK) {
        if ((e = psc__metrics_put(m, PSC__FAM_SNAPSHOT_COLLECT, (double)x->snapshot_collect_ns / 1e9)) == PSC_OK)
            e = psc__metrics_put(m, PSC__FAM_SNAPSHOT_BYTES, (double)x->snapshot_bytes);
    }
    return e;
}

/* ------------------------------------------------------------ writing */

static int sample_cmp(const void *a, const void *b)
{
    const psc__sample *x = *(const psc__sample *const *)a, *y = *(const psc__sample *const *)b;
    if (x->fam != y->fam)
        return x->fam < y->fam ? -1 : 1;
    return strcmp(x->key, y->key);
}

typedef struct out_buf {
    const psc__alloc *a;
    uint8_t *p;
    size_t len, cap;
    bool failed;
} out_buf;

static void put(out_buf *o, const void *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n)
            cap *= 2;
        uint8_t *p = psc__malloc(o->a, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        if (o->len)
            memcpy(p, o->p, o->len);
        psc__free(o->a, o->p);
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out_buf *o, const char *s)
{
    put(o, s, strlen(s));
}

static void header(out_buf *o, const psc__fam_def *d, psc__metrics_format f)
{
    bool om = f == PSC__METRICS_OPENMETRICS;
    /* 0.0.4 names a counter by its samples' name; OpenMetrics by the family's. */
    const char *suffix = d->counter && !om ? "_total" : "";
    puts_(o, "# HELP ");
    puts_(o, d->name);
    puts_(o, suffix);
    puts_(o, " ");
    puts_(o, d->help);
    puts_(o, "\n# TYPE ");
    puts_(o, d->name);
    puts_(o, suffix);
    puts_(o, d->counter ? " counter\n" : " gauge\n");
    if (om && d->unit) {
        puts_(o, "# UNIT ");
        puts_(o, d->name);
        puts_(o, " ");
        puts_(o, d->unit);
        puts_(o, "\n");
    }
}

psc_err psc__metrics_write(const psc__metrics *m, psc__metrics_format f, uint8_t **out, size_t *len)
{
    if (!m || !out || !len)
        return PSC_ERR_INVALID;
    const psc__sample **order = psc__calloc(&m->alloc, m->n ? m->n : 1, sizeof *order);
    if (!order)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < m->n; i++)
        order[i] = &m->samples[i];
    qsort(order, m->n, sizeof *order, sample_cmp);
    out_buf o = {.a = &m->alloc};
    size_t k = 0;
    for (uint32_t fam = 0; fam < PSC__FAM_COUNT; fam++) {
        const psc__fam_def *d = &psc__fams[fam];
        if (fam == PSC__FAM_PEER_BYTES && !m->top_peers)
            continue;
        header(&o, d, f);
        for (; k < m->n && order[k]->fam == fam; k++) {
            const psc__sample *s = order[k];
            puts_(&o, d->name);
            if (d->counter)
                puts_(&o, "_total");
            if (s->key_len) {
                puts_(&o, "{");
                put(&o, s->key, s->key_len);
                puts_(&o, "}");
            }
            char num[40];
            num[0] = ' ';
            size_t n = psc__metrics_number(num + 1, sizeof num - 2, s->value);
            num[1 + n] = '\n';
            put(&o, num, n + 2);
        }
    }
    if (f == PSC__METRICS_OPENMETRICS)
        puts_(&o, "# EOF\n");
    psc__free(&m->alloc, order);
    if (o.failed) {
        psc__free(&m->alloc, o.p);
        return PSC_ERR_NOMEM;
    }
    *out = o.p;
    *len = o.len;
    return PSC_OK;
}

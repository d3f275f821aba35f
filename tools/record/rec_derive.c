#include "rec_derive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_text.h"

static uint64_t fnv64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t stream_key(const Peerscope__Connection *c, const Peerscope__Stream *s)
{
    uint64_t h = fnv64(0xcbf29ce484222325ull, c->id.data, c->id.len);
    h = fnv64(h, (const uint8_t *)"/", 1); /* keeps "ab"+"c" apart from "a"+"bc" */
    h = fnv64(h, s->id.data, s->id.len);
    return h ? h : 1; /* 0 marks an empty slot */
}

void rec_seen_reset(rec_seen *s)
{
    if (s->slots)
        memset(s->slots, 0, s->cap * sizeof *s->slots);
    s->valid = false;
}

void rec_seen_free(rec_seen *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static rec_seen_entry *seen_find(rec_seen_entry *slots, size_t cap, uint64_t key)
{
    size_t i = (size_t)key & (cap - 1);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v, char *buf, size_t len)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    if (ev)
        return ev->name;
    snprintf(buf, len, "%d", v);
    return buf;
}

static uint64_t gauge_bytes(const Peerscope__DataGauge *g)
{
    return g ? g->cum_bytes : 0;
}

static uint64_t gauge_rate(const Peerscope__DataGauge *g)
{
    return g ? g->inst_bw : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct peers of the ACTIVE connections. */
static uint32_t count_peers(const Peerscope__Subsystems *ss)
{
    if (!ss->n_connections)
        return 0;
    const char **ids = malloc(ss->n_connections * sizeof *ids);
    if (!ids)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (c->status == PEERSCOPE__STATUS__ACTIVE && c->peer_id && *c->peer_id)
            ids[n++] = c->peer_id;
    }
    qsort(ids, n, sizeof *ids, cmp_str);
    uint32_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0)
            distinct++;
    free(ids);
    return distinct;
}

static bool derive_conns(rec_arena *a, const Peerscope__Subsystems *ss, rec_state_row *out)
{
    out->connections = (uint32_t)ss->n_connections;
    if (!ss->n_connections)
        return true;
    rec_conn_row *rows = rec_arena_alloc(a, ss->n_connections * sizeof *rows);
    if (!rows)
        return false;
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        rec_conn_row *r = &rows[i];
        char nbuf[16];
        size_t listed = c->streams ? c->streams->n_streams : 0;
        r->conn_id = rec_hex(a, c->id.data, c->id.len);
        r->peer_id = rec_text(a, c->peer_id);
        r->transport = rec_text(a, c->transport_name);
        r->direction = c->role == PEERSCOPE__ROLE__RESPONDER ? "in" : "out";
        r->status = rec_text(a, enum_name(&peerscope__status__descriptor, (int)c->status, nbuf, sizeof nbuf));
        r->remote_addr = rec_text(a, c->endpoints ? c->endpoints->dst_multiaddr : NULL);
        if (!r->conn_id || !r->peer_id || !r->transport || !r->status || !r->remote_addr)
            return false;
        r->streams = c->stream_count ? c->stream_count : (uint32_t)listed;
        r->bytes_in = gauge_bytes(c->traffic ? c->traffic->traffic_in : NULL);
        r->bytes_out = gauge_bytes(c->traffic ? c->traffic->traffic_out : NULL);
        r->rate_in = gauge_rate(c->traffic ? c->traffic->traffic_in : NULL);
        r->rate_out = gauge_rate(c->traffic ? c->traffic->traffic_out : NULL);
        r->latency_ns = c->latency_ns;
        r->open_ts = c->timeline ? c->timeline->open_ts : 0;
        r->close_ts = c->timeline ? c->timeline->close_ts : 0;
        if (c->status == PEERSCOPE__STATUS__ACTIVE)
            out->connections_open++;
        out->streams += r->streams;
    }
    out->conns = rows;
    out->n_conns = ss->n_connections;
    return true;
}

/*
 * Streams by protocol, with the bytes each stream moved since the
 * previous state (all of it for a stream that is new since then).
 */
static bool derive_protos(rec_arena *a, const Peerscope__Subsystems *ss, rec_seen *seen, rec_state_row *out)
{
    size_t n_streams = 0;
    for (size_t i = 0; i < ss->n_connections; i++)
        if (ss->connections[i]->streams)
            n_streams += ss->connections[i]->streams->n_streams;

    /* the new counters go into a fresh table, at most half full */
    size_t cap = 16;
    while (cap < n_streams * 2)
        cap *= 2;
    rec_seen_entry *next = calloc(cap, sizeof *next);
    if (!next)
        return false;
    rec_proto_row *rows = n_streams ? rec_arena_alloc(a, n_streams * sizeof *rows) : NULL;
    /* the protocols as received, to group by (rows hold cleaned copies) */
    const char **raw = n_streams ? malloc(n_streams * sizeof *raw) : NULL;
    if (n_streams && (!rows || !raw)) {
        free(raw);
        free(next);
        return false;
    }
    size_t n_rows = 0;
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (!c->streams)
            continue;
        for (size_t j = 0; j < c->streams->n_streams; j++) {
            const Peerscope__Stream *s = c->streams->streams[j];
            const char *proto = s->protocol ? s->protocol : "";
            uint64_t in = gauge_bytes(s->traffic ? s->traffic->traffic_in : NULL);
            uint64_t outb = gauge_bytes(s->traffic ? s->traffic->traffic_out : NULL);
            uint64_t key = stream_key(c, s);
            uint64_t d_in = in, d_out = outb;
            if (seen->valid) {
                const rec_seen_entry *e = seen_find(seen->slots, seen->cap, key);
                /* counters that went down belong to a new stream with the same ids */
                if (e->key && e->in <= in && e->out <= outb) {
                    d_in = in - e->in;
                    d_out = outb - e->out;
                }
            }
            rec_seen_entry *ne = seen_find(next, cap, key);
            ne->key = key;
            ne->in = in;
            ne->out = outb;

            rec_proto_row *r = NULL;
            for (size_t k = 0; k < n_rows; k++)
                if (strcmp(raw[k], proto) == 0) {
                    r = &rows[k];
                    break;
                }
            if (!r) {
                raw[n_rows] = proto;
                r = &rows[n_rows++];
                memset(r, 0, sizeof *r);
                r->protocol = rec_text(a, proto);
                if (!r->protocol) {
                    free(raw);
                    free(next);
                    return false;
                }
                r->has_delta = seen->valid;
            }
            r->streams++;
            r->bytes_in += in;
            r->bytes_out += outb;
            r->delta_in += d_in;
            r->delta_out += d_out;
        }
    }
    free(raw);
    free(seen->slots);
    seen->slots = next;
    seen->cap = cap;
    seen->valid = true;
    out->protos = rows;
    out->n_protos = n_rows;
    return true;
}

static bool derive_dht(rec_arena *a, const Peerscope__DHT *d, rec_bucket_row *rows, size_t *n, uint32_t *peers)
{
    const char *name = d->name && *d->name ? d->name : d->protocol;
    const char *copy = rec_text(a, name);
    if (!copy)
        return false;
    for (size_t i = 0; i < d->n_buckets; i++) {
        const Peerscope__DHT__Bucket *b = d->buckets[i];
        rec_bucket_row *r = &rows[(*n)++];
        r->dht = copy;
        r->cpl = b->cpl;
        r->peers = (uint32_t)b->n_peers;
        r->active = 0;
        for (size_t j = 0; j < b->n_peers; j++)
            if (b->peers[j]->status == PEERSCOPE__DHT__PEER_IN_DHT__STATUS__ACTIVE)
                r->active++;
        *peers += r->peers;
    }
    return true;
}

static bool derive_buckets(rec_arena *a, const Peerscope__Subsystems *ss, rec_state_row *out)
{
    size_t total = ss->dht ? ss->dht->n_buckets : 0;
    for (size_t i = 0; i < ss->n_additional_dhts; i++)
        total += ss->additional_dhts[i]->n_buckets;
    if (!total)
        return true;
    rec_bucket_row *rows = rec_arena_alloc(a, total * sizeof *rows);
    if (!rows)
        return false;
    size_t n = 0;
    if (ss->dht && !derive_dht(a, ss->dht, rows, &n, &out->dht_peers))
        return false;
    for (size_t i = 0; i < ss->n_additional_dhts; i++)
        if (!derive_dht(a, ss->additional_dhts[i], rows, &n, &out->dht_peers))
            return false;
    out->buckets = rows;
    out->n_buckets = n;
    return true;
}

bool rec_derive_state(rec_arena *a, const Peerscope__State *st, rec_seen *seen, rec_state_row *out)
{
    out->seq = st->seq;
    out->ts = st->instant_ts;
    if (st->traffic) {
        out->bytes_in = gauge_bytes(st->traffic->traffic_in);
        out->bytes_out = gauge_bytes(st->traffic->traffic_out);
        out->rate_in = gauge_rate(st->traffic->traffic_in);
        out->rate_out = gauge_rate(st->traffic->traffic_out);
    }
    const Peerscope__Subsystems *ss = st->subsystems;
    if (!ss) {
        rec_seen_reset(seen);
        seen->valid = true; /* a state without streams is a valid base: every later stream is new */
        return true;
    }
    out->peers = count_peers(ss);
    out->peerstore_peers = ss->peerstore ? (uint32_t)ss->peerstore->n_peers : 0;
    out->topics = ss->pubsub ? (uint32_t)ss->pubsub->n_topics : 0;
    if (!derive_conns(a, ss, out) || !derive_protos(a, ss, seen, out) || !derive_buckets(a, ss, out)) {
        rec_seen_reset(seen);
        return false;
    }
    return true;
}

char *rec_event_props_json(rec_arena *a, const Peerscope__EventType *t)
{
    rec_buf b;
    rec_buf_init(&b);
    rec_buf_add(&b, "[", 1);
    for (size_t i = 0; i < t->n_property_types; i++) {
        const Peerscope__EventType__EventProperty *p = t->property_types[i];
        char nbuf[16];
        if (i)
            rec_buf_add(&b, ",", 1);
        rec_buf_str(&b, "{\"name\":");
        rec_buf_json_string(&b, p->name);
        rec_buf_str(&b, ",\"type\":");
        rec_buf_json_string(&b, enum_name(&peerscope__event_type__event_property__property_type__descriptor,
                                          (int)p->type, nbuf, sizeof nbuf));
        rec_buf_str(&b, p->has_multiple ? ",\"multiple\":true}" : ",\"multiple\":false}");
    }
    rec_buf_add(&b, "]", 1);
    char *out = b.ok ? rec_arena_strndup(a, b.p, b.len) : NULL;
    rec_buf_free(&b);
    return out;
}

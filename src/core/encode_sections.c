/*
 * Encoders of the State sections other than connections. Each *_size
 * returns a message body's size (caching it where the record has room);
 * each *_write writes that body (the caller writes tag and length).
 * Scalars at their proto3 default are left out; sub-messages that are part
 * of a record (params, gauges, counters, usage, limit) are always written
 * so that readers never meet a missing one.
 */
#include "core/encode.h"

static uint8_t *put_double(uint8_t *p, uint32_t f, double v)
{
    p = psc__pb_put_tag(p, f, PSC__WT_I64);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(bits >> (8 * i));
    return p;
}

/* ----------------------------------------------------------------- DHT */

static size_t dht_params_body(const psc__dht_rec *d)
{
    return psc__pb_uint_size_opt(1, d->k) + psc__pb_uint_size_opt(2, d->alpha) +
           psc__pb_uint_size_opt(3, d->disjoint_paths) + psc__pb_uint_size_opt(4, d->beta);
}

static size_t query_body(const psc_query_counts *q)
{
    return psc__pb_uint_size_opt(1, q->success) + psc__pb_uint_size_opt(2, q->error) +
           psc__pb_uint_size_opt(3, q->timeout);
}

static uint8_t *query_write(uint8_t *p, uint32_t f, const psc_query_counts *q)
{
    p = psc__pb_put_len_prefix(p, f, query_body(q));
    p = psc__pb_put_uint_opt(p, 1, q->success);
    p = psc__pb_put_uint_opt(p, 2, q->error);
    return psc__pb_put_uint_opt(p, 3, q->timeout);
}

static size_t dht_peer_body(const psc__dht_peer_rec *r)
{
    return enc_str_size(1, r->peer_id) + psc__pb_enum_size_opt(2, (int32_t)r->status) +
           psc__pb_uint_size_opt(3, r->age_ms);
}

size_t psc__dht_pb_size(psc__dht_rec *d)
{
    size_t n = enc_str_size(1, d->protocol) + enc_bool_size(2, d->enabled) + psc__pb_uint_size_opt(3, d->start_ts) +
               enc_msg_size(4, dht_params_body(d)) + enc_msg_size(6, query_body(&d->incoming)) +
               enc_msg_size(7, query_body(&d->outgoing)) + enc_str_size(16, d->name);
    if (d->by_cpl) {
        for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
            psc__bucket_rec *k = d->by_cpl[cpl];
            if (!k)
                continue;
            size_t b = psc__pb_uint_size_opt(1, k->cpl);
            PSC__EACH(const psc__dht_peer_rec, r, k->peers)
                b += enc_msg_size(2, dht_peer_body(r));
            k->pb_size = b;
            n += enc_msg_size(5, b);
        }
    }
    d->pb_size = n;
    return n;
}

uint8_t *psc__dht_pb_write(uint8_t *p, psc__dht_rec *d)
{
    d->pb_at = p;
    p = enc_str(p, 1, d->protocol);
    p = enc_bool(p, 2, d->enabled);
    p = psc__pb_put_uint_opt(p, 3, d->start_ts);
    p = psc__pb_put_len_prefix(p, 4, dht_params_body(d));
    p = psc__pb_put_uint_opt(p, 1, d->k);
    p = psc__pb_put_uint_opt(p, 2, d->alpha);
    p = psc__pb_put_uint_opt(p, 3, d->disjoint_paths);
    p = psc__pb_put_uint_opt(p, 4, d->beta);
    d->pb_buckets_at = p;
    if (d->by_cpl) {
        for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
            psc__bucket_rec *k = d->by_cpl[cpl];
            if (!k)
                continue;
            p = psc__pb_put_len_prefix(p, 5, k->pb_size);
            k->pb_at = p;
            p = psc__pb_put_uint_opt(p, 1, k->cpl);
            PSC__EACH(const psc__dht_peer_rec, r, k->peers) {
                p = psc__pb_put_len_prefix(p, 2, dht_peer_body(r));
                p = enc_str(p, 1, r->peer_id);
                p = psc__pb_put_enum_opt(p, 2, (int32_t)r->status);
                p = psc__pb_put_uint_opt(p, 3, r->age_ms);
            }
        }
    }
    d->pb_buckets_end = p;
    p = query_write(p, 6, &d->incoming);
    p = query_write(p, 7, &d->outgoing);
    return enc_str(p, 16, d->name);
}

/* -------------------------------------------------------------- pubsub */

/* A message whose fields 1..n are all uint64 (counters, resources). */
static size_t u64s_body(const uint64_t *v, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += psc__pb_uint_size_opt((uint32_t)i + 1, v[i]);
    return len;
}

static uint8_t *u64s_write(uint8_t *p, uint32_t f, const uint64_t *v, size_t n)
{
    p = psc__pb_put_len_prefix(p, f, u64s_body(v, n));
    for (size_t i = 0; i < n; i++)
        p = psc__pb_put_uint_opt(p, (uint32_t)i + 1, v[i]);
    return p;
}

static uint8_t *counters_write(uint8_t *p, uint32_t f, const psc_pubsub_counts *c)
{
    const uint64_t v[] = {c->received, c->sent, c->published, c->forwarded, c->rejected, c->duplicate};
    return u64s_write(p, f, v, 6);
}

static size_t counters_body(const psc_pubsub_counts *c)
{
    const uint64_t v[] = {c->received, c->sent, c->published, c->forwarded, c->rejected, c->duplicate};
    return u64s_body(v, 6);
}

static size_t mesh_body(const psc__mesh_rec *m)
{
    return enc_str_size(1, m->peer_id) + psc__pb_double_size_opt(2, m->score) +
           psc__pb_uint_size_opt(3, m->time_in_mesh_ms);
}

size_t psc__topic_pb_size(psc__topic_rec *t)
{
    size_t n = enc_str_size(1, t->name) + enc_bool_size(2, t->subscribed) + psc__pb_uint_size_opt(5, t->peer_count) +
               enc_msg_size(6, counters_body(&t->messages)) + enc_msg_size(7, counters_body(&t->bytes));
    PSC__EACH(const psc__mesh_rec, m, t->mesh)
        n += enc_msg_size(3, mesh_body(m));
    PSC__EACH(const psc__str_rec, f, t->fanout)
        n += psc__pb_len_size(4, f->s.len);
    t->pb_size = n;
    return n;
}

uint8_t *psc__topic_pb_write(uint8_t *p, psc__topic_rec *t)
{
    t->pb_at = p;
    p = enc_str(p, 1, t->name);
    p = enc_bool(p, 2, t->subscribed);
    PSC__EACH(const psc__mesh_rec, m, t->mesh) {
        p = psc__pb_put_len_prefix(p, 3, mesh_body(m));
        p = enc_str(p, 1, m->peer_id);
        p = psc__pb_put_double_opt(p, 2, m->score);
        p = psc__pb_put_uint_opt(p, 3, m->time_in_mesh_ms);
    }
    PSC__EACH(const psc__str_rec, f, t->fanout)
        p = psc__pb_put_bytes(p, 4, f->s.p, f->s.len);
    p = psc__pb_put_uint_opt(p, 5, t->peer_count);
    p = counters_write(p, 6, &t->messages);
    return counters_write(p, 7, &t->bytes);
}

/* ----------------------------------------------------------- peerstore */

static size_t tag_body(const psc__tag_rec *t)
{
    return enc_str_size(1, t->name) + psc__pb_int64_size_opt(2, t->value);
}

size_t psc__peer_pb_size(psc__peer_rec *r)
{
    size_t n = enc_str_size(1, r->peer_id) + enc_strv_size(2, r->addrs) + enc_strv_size(3, r->protocols) +
               enc_str_size(4, r->agent_version) + enc_str_size(5, r->protocol_version) +
               psc__pb_uint_size_opt(6, r->latency_ewma_ns) + psc__pb_uint_size_opt(7, r->first_seen_ts) +
               psc__pb_uint_size_opt(8, r->last_seen_ts);
    for (size_t i = 0; i < r->n_tags; i++)
        n += enc_msg_size(9, tag_body(&r->tags[i]));
    r->pb_size = n;
    return n;
}

uint8_t *psc__peer_pb_write(uint8_t *p, psc__peer_rec *r)
{
    r->pb_at = p;
    p = enc_str(p, 1, r->peer_id);
    p = enc_strv(p, 2, r->addrs);
    p = enc_strv(p, 3, r->protocols);
    p = enc_str(p, 4, r->agent_version);
    p = enc_str(p, 5, r->protocol_version);
    p = psc__pb_put_uint_opt(p, 6, r->latency_ewma_ns);
    p = psc__pb_put_uint_opt(p, 7, r->first_seen_ts);
    p = psc__pb_put_uint_opt(p, 8, r->last_seen_ts);
    for (size_t i = 0; i < r->n_tags; i++) {
        p = psc__pb_put_len_prefix(p, 9, tag_body(&r->tags[i]));
        p = enc_str(p, 1, r->tags[i].name);
        p = psc__pb_put_int64_opt(p, 2, r->tags[i].value);
    }
    return p;
}

/* ---------------------------------------------------------- transports */

size_t psc__transport_pb_size(psc__transport_rec *t)
{
    t->pb_size = enc_bytes_size(1, t->id) + enc_str_size(2, t->name) + enc_strv_size(3, t->listen) +
                 enc_bool_size(4, t->listening) + enc_bool_size(5, t->dialing);
    return t->pb_size;
}

uint8_t *psc__transport_pb_write(uint8_t *p, const psc__transport_rec *t)
{
    p = enc_bytes(p, 1, t->id);
    p = enc_str(p, 2, t->name);
    p = enc_strv(p, 3, t->listen);
    p = enc_bool(p, 4, t->listening);
    return enc_bool(p, 5, t->dialing);
}

/* ---------------------------------------------------- resource manager */

static size_t resources_body(const psc_resources *r)
{
    const uint64_t v[] = {r->conns_in, r->conns_out, r->streams_in, r->streams_out, r->memory, r->fds};
    return u64s_body(v, 6);
}

static uint8_t *resources_write(uint8_t *p, uint32_t f, const psc_resources *r)
{
    const uint64_t v[] = {r->conns_in, r->conns_out, r->streams_in, r->streams_out, r->memory, r->fds};
    return u64s_write(p, f, v, 6);
}

size_t psc__scope_pb_size(const psc__scope_rec *r)
{
    return psc__pb_enum_size_opt(1, (int32_t)r->kind) + enc_str_size(2, r->name) +
           enc_msg_size(3, resources_body(&r->usage)) + enc_msg_size(4, resources_body(&r->limit));
}

uint8_t *psc__scope_pb_write(uint8_t *p, psc__scope_rec *r)
{
    r->pb_at = p;
    p = psc__pb_put_enum_opt(p, 1, (int32_t)r->kind);
    p = enc_str(p, 2, r->name);
    p = resources_write(p, 3, &r->usage);
    return resources_write(p, 4, &r->limit);
}

/* -------------------------------------------------------------- custom */

/* oneof members are written even at their default value: presence matters */
static size_t value_body(const psc__value_rec *v)
{
    size_t n = enc_str_size(1, v->name);
    switch (v->kind) {
    case PSC__VAL_NUMBER: return n + psc__pb_tag_size(2) + 8;
    case PSC__VAL_TEXT:
    case PSC__VAL_JSON: return n + psc__pb_len_size((uint32_t)v->kind, v->text.len);
    case PSC__VAL_INTEGER: return n + psc__pb_uint_size(5, (uint64_t)v->integer);
    }
    return n;
}

size_t psc__custom_pb_size(psc__custom_rec *c)
{
    size_t n = enc_str_size(1, c->name);
    PSC__EACH(const psc__value_rec, v, c->values)
        n += enc_msg_size(2, value_body(v));
    c->pb_size = n;
    return n;
}

uint8_t *psc__custom_pb_write(uint8_t *p, const psc__custom_rec *c)
{
    p = enc_str(p, 1, c->name);
    PSC__EACH(const psc__value_rec, v, c->values) {
        p = psc__pb_put_len_prefix(p, 2, value_body(v));
        p = enc_str(p, 1, v->name);
        switch (v->kind) {
        case PSC__VAL_NUMBER: p = put_double(p, 2, v->number); break;
        case PSC__VAL_TEXT:
        case PSC__VAL_JSON: p = psc__pb_put_bytes(p, (uint32_t)v->kind, v->text.p, v->text.len); break;
        case PSC__VAL_INTEGER: p = psc__pb_put_uint(p, 5, (uint64_t)v->integer); break;
        }
    }
    return p;
}

/* ------------------------------------------------------ provider errors */

size_t psc__error_pb_size(const psc__error_rec *e)
{
    return enc_str_size(1, e->provider) + enc_str_size(2, e->subsystem) + enc_str_size(3, e->reason) +
           psc__pb_enum_size_opt(4, (int32_t)e->code);
}

uint8_t *psc__error_pb_write(uint8_t *p, const psc__error_rec *e)
{
    p = enc_str(p, 1, e->provider);
    p = enc_str(p, 2, e->subsystem);
    p = enc_str(p, 3, e->reason);
    return psc__pb_put_enum_opt(p, 4, (int32_t)e->code);
}

/* ---------------------------------------- dialer, identify, relay, ping */

static size_t outcomes_body(const psc_dialer *d)
{
    return psc__pb_uint_size_opt(1, d->success) + psc__pb_uint_size_opt(2, d->error) +
           psc__pb_uint_size_opt(3, d->timeout) + psc__pb_uint_size_opt(4, d->canceled) +
           psc__pb_uint_size_opt(5, d->backoff);
}

static size_t dial_body(const psc__dial_rec *r)
{
    return enc_str_size(1, r->peer_id) + enc_str_size(2, r->addr) + psc__pb_uint_size_opt(3, r->start_ts);
}

size_t psc__dialer_pb_size(const psc__snap *s)
{
    size_t n = psc__pb_uint_size_opt(1, s->dialer.in_flight) + enc_msg_size(2, outcomes_body(&s->dialer));
    PSC__EACH(const psc__dial_rec, r, s->dials)
        n += enc_msg_size(3, dial_body(r));
    return n;
}

uint8_t *psc__dialer_pb_write(uint8_t *p, const psc__snap *s)
{
    const psc_dialer *d = &s->dialer;
    p = psc__pb_put_uint_opt(p, 1, d->in_flight);
    p = psc__pb_put_len_prefix(p, 2, outcomes_body(d));
    p = psc__pb_put_uint_opt(p, 1, d->success);
    p = psc__pb_put_uint_opt(p, 2, d->error);
    p = psc__pb_put_uint_opt(p, 3, d->timeout);
    p = psc__pb_put_uint_opt(p, 4, d->canceled);
    p = psc__pb_put_uint_opt(p, 5, d->backoff);
    PSC__EACH(const psc__dial_rec, r, s->dials) {
        p = psc__pb_put_len_prefix(p, 3, dial_body(r));
        p = enc_str(p, 1, r->peer_id);
        p = enc_str(p, 2, r->addr);
        p = psc__pb_put_uint_opt(p, 3, r->start_ts);
    }
    return p;
}

size_t psc__identify_pb_size(const psc_identify *id)
{
    return psc__pb_uint_size_opt(1, id->requests_in) + psc__pb_uint_size_opt(2, id->requests_out) +
           psc__pb_uint_size_opt(3, id->pushes_in) + psc__pb_uint_size_opt(4, id->pushes_out) +
           psc__pb_uint_size_opt(5, id->errors);
}

uint8_t *psc__identify_pb_write(uint8_t *p, const psc_identify *id)
{
    p = psc__pb_put_uint_opt(p, 1, id->requests_in);
    p = psc__pb_put_uint_opt(p, 2, id->requests_out);
    p = psc__pb_put_uint_opt(p, 3, id->pushes_in);
    p = psc__pb_put_uint_opt(p, 4, id->pushes_out);
    return psc__pb_put_uint_opt(p, 5, id->errors);
}

size_t psc__relay_pb_size(const psc_relay *r)
{
    return psc__pb_uint_size_opt(1, r->reservations_active) + psc__pb_uint_size_opt(2, r->circuits_active) +
           psc__pb_uint_size_opt(3, r->reservations_total) + psc__pb_uint_size_opt(4, r->circuits_total) +
           psc__pb_uint_size_opt(5, r->hole_punch_attempts) + psc__pb_uint_size_opt(6, r->hole_punch_successes) +
           psc__pb_uint_size_opt(7, r->hole_punch_failures);
}

uint8_t *psc__relay_pb_write(uint8_t *p, const psc_relay *r)
{
    p = psc__pb_put_uint_opt(p, 1, r->reservations_active);
    p = psc__pb_put_uint_opt(p, 2, r->circuits_active);
    p = psc__pb_put_uint_opt(p, 3, r->reservations_total);
    p = psc__pb_put_uint_opt(p, 4, r->circuits_total);
    p = psc__pb_put_uint_opt(p, 5, r->hole_punch_attempts);
    p = psc__pb_put_uint_opt(p, 6, r->hole_punch_successes);
    return psc__pb_put_uint_opt(p, 7, r->hole_punch_failures);
}

static size_t ping_peer_body(const psc__ping_rec *r)
{
    return enc_str_size(1, r->peer_id) + psc__pb_uint_size_opt(2, r->last_rtt_ns) +
           psc__pb_uint_size_opt(3, r->avg_rtt_ns);
}

size_t psc__ping_pb_size(const psc__snap *s)
{
    size_t n = psc__pb_uint_size_opt(1, s->pings_sent) + psc__pb_uint_size_opt(2, s->ping_failures);
    PSC__EACH(const psc__ping_rec, r, s->ping_peers)
        n += enc_msg_size(3, ping_peer_body(r));
    return n;
}

uint8_t *psc__ping_pb_write(uint8_t *p, const psc__snap *s)
{
    p = psc__pb_put_uint_opt(p, 1, s->pings_sent);
    p = psc__pb_put_uint_opt(p, 2, s->ping_failures);
    PSC__EACH(const psc__ping_rec, r, s->ping_peers) {
        p = psc__pb_put_len_prefix(p, 3, ping_peer_body(r));
        p = enc_str(p, 1, r->peer_id);
        p = psc__pb_put_uint_opt(p, 2, r->last_rtt_ns);
        p = psc__pb_put_uint_opt(p, 3, r->avg_rtt_ns);
    }
    return p;
}

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
    return psc__pb_uint_size_opt(PSC__F_DHT_PARAMS__K, d->k) + psc__pb_uint_size_opt(PSC__F_DHT_PARAMS__ALPHA, d->alpha) +
           psc__pb_uint_size_opt(PSC__F_DHT_PARAMS__DISJOINT_PATHS, d->disjoint_paths) +
           psc__pb_uint_size_opt(PSC__F_DHT_PARAMS__BETA, d->beta);
}

static size_t query_body(const psc_query_counts *q)
{
    return psc__pb_uint_size_opt(PSC__F_DHT_QUERY_GAUGE__SUCCESS, q->success) +
           psc__pb_uint_size_opt(PSC__F_DHT_QUERY_GAUGE__ERROR, q->error) +
           psc__pb_uint_size_opt(PSC__F_DHT_QUERY_GAUGE__TIMEOUT, q->timeout);
}

static uint8_t *query_write(uint8_t *p, uint32_t f, const psc_query_counts *q)
{
    p = psc__pb_put_len_prefix(p, f, query_body(q));
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_QUERY_GAUGE__SUCCESS, q->success);
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_QUERY_GAUGE__ERROR, q->error);
    return psc__pb_put_uint_opt(p, PSC__F_DHT_QUERY_GAUGE__TIMEOUT, q->timeout);
}

static size_t dht_peer_body(const psc__dht_peer_rec *r)
{
    return enc_str_size(PSC__F_DHT_PEER_IN_DHT__PEER_ID, r->peer_id) +
           psc__pb_enum_size_opt(PSC__F_DHT_PEER_IN_DHT__STATUS, (int32_t)r->status) +
           psc__pb_uint_size_opt(PSC__F_DHT_PEER_IN_DHT__AGE_IN_BUCKET, r->age_ms);
}

size_t psc__dht_pb_size(psc__dht_rec *d)
{
    size_t n = enc_str_size(PSC__F_DHT__PROTOCOL, d->protocol) + enc_bool_size(PSC__F_DHT__ENABLED, d->enabled) +
               psc__pb_uint_size_opt(PSC__F_DHT__START_TS, d->start_ts) +
               enc_msg_size(PSC__F_DHT__PARAMS, dht_params_body(d)) +
               enc_msg_size(PSC__F_DHT__INCOMING_QUERIES, query_body(&d->incoming)) +
               enc_msg_size(PSC__F_DHT__OUTGOING_QUERIES, query_body(&d->outgoing)) +
               enc_str_size(PSC__F_DHT__NAME, d->name);
    if (d->by_cpl) {
        for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
            psc__bucket_rec *k = d->by_cpl[cpl];
            if (!k)
                continue;
            size_t b = psc__pb_uint_size_opt(PSC__F_DHT_BUCKET__CPL, k->cpl);
            PSC__EACH(const psc__dht_peer_rec, r, k->peers)
                b += enc_msg_size(PSC__F_DHT_BUCKET__PEERS, dht_peer_body(r));
            k->pb_size = b;
            n += enc_msg_size(PSC__F_DHT__BUCKETS, b);
        }
    }
    d->pb_size = n;
    return n;
}

uint8_t *psc__dht_pb_write(uint8_t *p, psc__dht_rec *d)
{
    d->pb_at = p;
    p = enc_str(p, PSC__F_DHT__PROTOCOL, d->protocol);
    p = enc_bool(p, PSC__F_DHT__ENABLED, d->enabled);
    p = psc__pb_put_uint_opt(p, PSC__F_DHT__START_TS, d->start_ts);
    p = psc__pb_put_len_prefix(p, PSC__F_DHT__PARAMS, dht_params_body(d));
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_PARAMS__K, d->k);
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_PARAMS__ALPHA, d->alpha);
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_PARAMS__DISJOINT_PATHS, d->disjoint_paths);
    p = psc__pb_put_uint_opt(p, PSC__F_DHT_PARAMS__BETA, d->beta);
    d->pb_buckets_at = p;
    if (d->by_cpl) {
        for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
            psc__bucket_rec *k = d->by_cpl[cpl];
            if (!k)
                continue;
            p = psc__pb_put_len_prefix(p, PSC__F_DHT__BUCKETS, k->pb_size);
            k->pb_at = p;
            p = psc__pb_put_uint_opt(p, PSC__F_DHT_BUCKET__CPL, k->cpl);
            PSC__EACH(const psc__dht_peer_rec, r, k->peers) {
                p = psc__pb_put_len_prefix(p, PSC__F_DHT_BUCKET__PEERS, dht_peer_body(r));
                p = enc_str(p, PSC__F_DHT_PEER_IN_DHT__PEER_ID, r->peer_id);
                p = psc__pb_put_enum_opt(p, PSC__F_DHT_PEER_IN_DHT__STATUS, (int32_t)r->status);
                p = psc__pb_put_uint_opt(p, PSC__F_DHT_PEER_IN_DHT__AGE_IN_BUCKET, r->age_ms);
            }
            PSC__PB_BODY_END(k->pb_at, p, k->pb_size, "DHT.Bucket");
        }
    }
    d->pb_buckets_end = p;
    p = query_write(p, PSC__F_DHT__INCOMING_QUERIES, &d->incoming);
    p = query_write(p, PSC__F_DHT__OUTGOING_QUERIES, &d->outgoing);
    p = enc_str(p, PSC__F_DHT__NAME, d->name);
    PSC__PB_BODY_END(d->pb_at, p, d->pb_size, "DHT");
    return p;
}

/* -------------------------------------------------------------- pubsub */

static size_t counters_body(const psc_pubsub_counts *c)
{
    return psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__RECEIVED, c->received) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__SENT, c->sent) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__PUBLISHED, c->published) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__FORWARDED, c->forwarded) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__REJECTED, c->rejected) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_COUNTERS__DUPLICATE, c->duplicate);
}

static uint8_t *counters_write(uint8_t *p, uint32_t f, const psc_pubsub_counts *c)
{
    p = psc__pb_put_len_prefix(p, f, counters_body(c));
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__RECEIVED, c->received);
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__SENT, c->sent);
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__PUBLISHED, c->published);
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__FORWARDED, c->forwarded);
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__REJECTED, c->rejected);
    return psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_COUNTERS__DUPLICATE, c->duplicate);
}

static size_t mesh_body(const psc__mesh_rec *m)
{
    return enc_str_size(PSC__F_PUB_SUB_MESH_PEER__PEER_ID, m->peer_id) +
           psc__pb_double_size_opt(PSC__F_PUB_SUB_MESH_PEER__SCORE, m->score) +
           psc__pb_uint_size_opt(PSC__F_PUB_SUB_MESH_PEER__TIME_IN_MESH_MS, m->time_in_mesh_ms);
}

size_t psc__topic_pb_size(psc__topic_rec *t)
{
    size_t n = enc_str_size(PSC__F_PUB_SUB_TOPIC__NAME, t->name) +
               enc_bool_size(PSC__F_PUB_SUB_TOPIC__SUBSCRIBED, t->subscribed) +
               psc__pb_uint_size_opt(PSC__F_PUB_SUB_TOPIC__PEER_COUNT, t->peer_count) +
               enc_msg_size(PSC__F_PUB_SUB_TOPIC__MESSAGES, counters_body(&t->messages)) +
               enc_msg_size(PSC__F_PUB_SUB_TOPIC__BYTES, counters_body(&t->bytes));
    PSC__EACH(const psc__mesh_rec, m, t->mesh)
        n += enc_msg_size(PSC__F_PUB_SUB_TOPIC__MESH_PEERS, mesh_body(m));
    PSC__EACH(const psc__str_rec, f, t->fanout)
        n += psc__pb_len_size(PSC__F_PUB_SUB_TOPIC__FANOUT_PEERS, f->s.len);
    t->pb_size = n;
    return n;
}

uint8_t *psc__topic_pb_write(uint8_t *p, psc__topic_rec *t)
{
    t->pb_at = p;
    p = enc_str(p, PSC__F_PUB_SUB_TOPIC__NAME, t->name);
    p = enc_bool(p, PSC__F_PUB_SUB_TOPIC__SUBSCRIBED, t->subscribed);
    PSC__EACH(const psc__mesh_rec, m, t->mesh) {
        p = psc__pb_put_len_prefix(p, PSC__F_PUB_SUB_TOPIC__MESH_PEERS, mesh_body(m));
        p = enc_str(p, PSC__F_PUB_SUB_MESH_PEER__PEER_ID, m->peer_id);
        p = psc__pb_put_double_opt(p, PSC__F_PUB_SUB_MESH_PEER__SCORE, m->score);
        p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_MESH_PEER__TIME_IN_MESH_MS, m->time_in_mesh_ms);
    }
    PSC__EACH(const psc__str_rec, f, t->fanout)
        p = psc__pb_put_bytes(p, PSC__F_PUB_SUB_TOPIC__FANOUT_PEERS, f->s.p, f->s.len);
    p = psc__pb_put_uint_opt(p, PSC__F_PUB_SUB_TOPIC__PEER_COUNT, t->peer_count);
    p = counters_write(p, PSC__F_PUB_SUB_TOPIC__MESSAGES, &t->messages);
    p = counters_write(p, PSC__F_PUB_SUB_TOPIC__BYTES, &t->bytes);
    PSC__PB_BODY_END(t->pb_at, p, t->pb_size, "PubSub.Topic");
    return p;
}

/* ----------------------------------------------------------- peerstore */

static size_t tag_body(const psc__tag_rec *t)
{
    return enc_str_size(PSC__F_PEERSTORE_TAG__NAME, t->name) + psc__pb_int64_size_opt(PSC__F_PEERSTORE_TAG__VALUE, t->value);
}

size_t psc__peer_pb_size(psc__peer_rec *r)
{
    size_t n = enc_str_size(PSC__F_PEERSTORE_PEER__PEER_ID, r->peer_id) +
               enc_strv_size(PSC__F_PEERSTORE_PEER__MULTIADDRS, r->addrs) +
               enc_strv_size(PSC__F_PEERSTORE_PEER__PROTOCOLS, r->protocols) +
               enc_str_size(PSC__F_PEERSTORE_PEER__AGENT_VERSION, r->agent_version) +
               enc_str_size(PSC__F_PEERSTORE_PEER__PROTOCOL_VERSION, r->protocol_version) +
               psc__pb_uint_size_opt(PSC__F_PEERSTORE_PEER__LATENCY_EWMA_NS, r->latency_ewma_ns) +
               psc__pb_uint_size_opt(PSC__F_PEERSTORE_PEER__FIRST_SEEN_TS, r->first_seen_ts) +
               psc__pb_uint_size_opt(PSC__F_PEERSTORE_PEER__LAST_SEEN_TS, r->last_seen_ts);
    for (size_t i = 0; i < r->n_tags; i++)
        n += enc_msg_size(PSC__F_PEERSTORE_PEER__TAGS, tag_body(&r->tags[i]));
    r->pb_size = n;
    return n;
}

uint8_t *psc__peer_pb_write(uint8_t *p, psc__peer_rec *r)
{
    r->pb_at = p;
    p = enc_str(p, PSC__F_PEERSTORE_PEER__PEER_ID, r->peer_id);
    p = enc_strv(p, PSC__F_PEERSTORE_PEER__MULTIADDRS, r->addrs);
    p = enc_strv(p, PSC__F_PEERSTORE_PEER__PROTOCOLS, r->protocols);
    p = enc_str(p, PSC__F_PEERSTORE_PEER__AGENT_VERSION, r->agent_version);
    p = enc_str(p, PSC__F_PEERSTORE_PEER__PROTOCOL_VERSION, r->protocol_version);
    p = psc__pb_put_uint_opt(p, PSC__F_PEERSTORE_PEER__LATENCY_EWMA_NS, r->latency_ewma_ns);
    p = psc__pb_put_uint_opt(p, PSC__F_PEERSTORE_PEER__FIRST_SEEN_TS, r->first_seen_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_PEERSTORE_PEER__LAST_SEEN_TS, r->last_seen_ts);
    for (size_t i = 0; i < r->n_tags; i++) {
        p = psc__pb_put_len_prefix(p, PSC__F_PEERSTORE_PEER__TAGS, tag_body(&r->tags[i]));
        p = enc_str(p, PSC__F_PEERSTORE_TAG__NAME, r->tags[i].name);
        p = psc__pb_put_int64_opt(p, PSC__F_PEERSTORE_TAG__VALUE, r->tags[i].value);
    }
    PSC__PB_BODY_END(r->pb_at, p, r->pb_size, "Peerstore.Peer");
    return p;
}

/* ---------------------------------------------------------- transports */

size_t psc__transport_pb_size(psc__transport_rec *t)
{
    t->pb_size = enc_bytes_size(PSC__F_TRANSPORT__ID, t->id) + enc_str_size(PSC__F_TRANSPORT__NAME, t->name) +
                 enc_strv_size(PSC__F_TRANSPORT__LISTEN_MULTIADDRS, t->listen) +
                 enc_bool_size(PSC__F_TRANSPORT__LISTENING, t->listening) +
                 enc_bool_size(PSC__F_TRANSPORT__DIALING, t->dialing);
    return t->pb_size;
}

uint8_t *psc__transport_pb_write(uint8_t *p, const psc__transport_rec *t)
{
    uint8_t *b = p;
    p = enc_bytes(p, PSC__F_TRANSPORT__ID, t->id);
    p = enc_str(p, PSC__F_TRANSPORT__NAME, t->name);
    p = enc_strv(p, PSC__F_TRANSPORT__LISTEN_MULTIADDRS, t->listen);
    p = enc_bool(p, PSC__F_TRANSPORT__LISTENING, t->listening);
    p = enc_bool(p, PSC__F_TRANSPORT__DIALING, t->dialing);
    PSC__PB_BODY_END(b, p, t->pb_size, "Transport");
    return p;
}

/* ---------------------------------------------------- resource manager */

static size_t resources_body(const psc_resources *r)
{
    return psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__CONNS_IN, r->conns_in) +
           psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__CONNS_OUT, r->conns_out) +
           psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__STREAMS_IN, r->streams_in) +
           psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__STREAMS_OUT, r->streams_out) +
           psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__MEMORY, r->memory) +
           psc__pb_uint_size_opt(PSC__F_RESOURCE_MANAGER_RESOURCES__FDS, r->fds);
}

static uint8_t *resources_write(uint8_t *p, uint32_t f, const psc_resources *r)
{
    p = psc__pb_put_len_prefix(p, f, resources_body(r));
    p = psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__CONNS_IN, r->conns_in);
    p = psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__CONNS_OUT, r->conns_out);
    p = psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__STREAMS_IN, r->streams_in);
    p = psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__STREAMS_OUT, r->streams_out);
    p = psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__MEMORY, r->memory);
    return psc__pb_put_uint_opt(p, PSC__F_RESOURCE_MANAGER_RESOURCES__FDS, r->fds);
}

size_t psc__scope_pb_size(const psc__scope_rec *r)
{
    return psc__pb_enum_size_opt(PSC__F_RESOURCE_MANAGER_SCOPE__KIND, (int32_t)r->kind) +
           enc_str_size(PSC__F_RESOURCE_MANAGER_SCOPE__NAME, r->name) +
           enc_msg_size(PSC__F_RESOURCE_MANAGER_SCOPE__USAGE, resources_body(&r->usage)) +
           enc_msg_size(PSC__F_RESOURCE_MANAGER_SCOPE__LIMIT, resources_body(&r->limit));
}

uint8_t *psc__scope_pb_write(uint8_t *p, psc__scope_rec *r)
{
    r->pb_at = p;
    p = psc__pb_put_enum_opt(p, PSC__F_RESOURCE_MANAGER_SCOPE__KIND, (int32_t)r->kind);
    p = enc_str(p, PSC__F_RESOURCE_MANAGER_SCOPE__NAME, r->name);
    p = resources_write(p, PSC__F_RESOURCE_MANAGER_SCOPE__USAGE, &r->usage);
    p = resources_write(p, PSC__F_RESOURCE_MANAGER_SCOPE__LIMIT, &r->limit);
    PSC__PB_BODY_END(r->pb_at, p, r->pb_size, "ResourceManager.Scope");
    return p;
}

/* -------------------------------------------------------------- custom */

/* oneof members are written even at their default value: presence matters */
static size_t value_body(const psc__value_rec *v)
{
    size_t n = enc_str_size(PSC__F_CUSTOM_SECTION_VALUE__NAME, v->name);
    switch (v->kind) {
    case PSC__VAL_NUMBER: return n + psc__pb_tag_size(PSC__F_CUSTOM_SECTION_VALUE__NUMBER) + 8;
    case PSC__VAL_TEXT:
    case PSC__VAL_JSON: return n + psc__pb_len_size((uint32_t)v->kind, v->text.len);
    case PSC__VAL_INTEGER: return n + psc__pb_uint_size(PSC__F_CUSTOM_SECTION_VALUE__INTEGER, (uint64_t)v->integer);
    }
    return n;
}

size_t psc__custom_pb_size(psc__custom_rec *c)
{
    size_t n = enc_str_size(PSC__F_CUSTOM_SECTION__NAME, c->name);
    PSC__EACH(const psc__value_rec, v, c->values)
        n += enc_msg_size(PSC__F_CUSTOM_SECTION__VALUES, value_body(v));
    c->pb_size = n;
    return n;
}

uint8_t *psc__custom_pb_write(uint8_t *p, const psc__custom_rec *c)
{
    uint8_t *b = p;
    p = enc_str(p, PSC__F_CUSTOM_SECTION__NAME, c->name);
    PSC__EACH(const psc__value_rec, v, c->values) {
        p = psc__pb_put_len_prefix(p, PSC__F_CUSTOM_SECTION__VALUES, value_body(v));
        p = enc_str(p, PSC__F_CUSTOM_SECTION_VALUE__NAME, v->name);
        switch (v->kind) {
        case PSC__VAL_NUMBER: p = put_double(p, PSC__F_CUSTOM_SECTION_VALUE__NUMBER, v->number); break;
        case PSC__VAL_TEXT:
        case PSC__VAL_JSON: p = psc__pb_put_bytes(p, (uint32_t)v->kind, v->text.p, v->text.len); break;
        case PSC__VAL_INTEGER: p = psc__pb_put_uint(p, PSC__F_CUSTOM_SECTION_VALUE__INTEGER, (uint64_t)v->integer); break;
        }
    }
    PSC__PB_BODY_END(b, p, c->pb_size, "CustomSection");
    return p;
}

/* ------------------------------------------------------ provider errors */

size_t psc__error_pb_size(const psc__error_rec *e)
{
    return enc_str_size(PSC__F_PROVIDER_ERROR__PROVIDER, e->provider) +
           enc_str_size(PSC__F_PROVIDER_ERROR__SUBSYSTEM, e->subsystem) +
           enc_str_size(PSC__F_PROVIDER_ERROR__ERROR, e->reason) +
           psc__pb_enum_size_opt(PSC__F_PROVIDER_ERROR__CODE, (int32_t)e->code);
}

uint8_t *psc__error_pb_write(uint8_t *p, const psc__error_rec *e)
{
    p = enc_str(p, PSC__F_PROVIDER_ERROR__PROVIDER, e->provider);
    p = enc_str(p, PSC__F_PROVIDER_ERROR__SUBSYSTEM, e->subsystem);
    p = enc_str(p, PSC__F_PROVIDER_ERROR__ERROR, e->reason);
    return psc__pb_put_enum_opt(p, PSC__F_PROVIDER_ERROR__CODE, (int32_t)e->code);
}

/* ---------------------------------------- dialer, identify, relay, ping */

static size_t outcomes_body(const psc_dialer *d)
{
    return psc__pb_uint_size_opt(PSC__F_DIALER_OUTCOMES__SUCCESS, d->success) +
           psc__pb_uint_size_opt(PSC__F_DIALER_OUTCOMES__ERROR, d->error) +
           psc__pb_uint_size_opt(PSC__F_DIALER_OUTCOMES__TIMEOUT, d->timeout) +
           psc__pb_uint_size_opt(PSC__F_DIALER_OUTCOMES__CANCELED, d->canceled) +
           psc__pb_uint_size_opt(PSC__F_DIALER_OUTCOMES__BACKOFF, d->backoff);
}

static size_t dial_body(const psc__dial_rec *r)
{
    return enc_str_size(PSC__F_DIALER_DIAL__PEER_ID, r->peer_id) + enc_str_size(PSC__F_DIALER_DIAL__MULTIADDR, r->addr) +
           psc__pb_uint_size_opt(PSC__F_DIALER_DIAL__START_TS, r->start_ts);
}

size_t psc__dialer_pb_size(const psc__snap *s)
{
    size_t n = psc__pb_uint_size_opt(PSC__F_DIALER__IN_FLIGHT, s->dialer.in_flight) +
               enc_msg_size(PSC__F_DIALER__OUTCOMES, outcomes_body(&s->dialer));
    PSC__EACH(const psc__dial_rec, r, s->dials)
        n += enc_msg_size(PSC__F_DIALER__DIALS, dial_body(r));
    return n;
}

uint8_t *psc__dialer_pb_write(uint8_t *p, const psc__snap *s)
{
    const psc_dialer *d = &s->dialer;
    uint8_t *b = p;
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER__IN_FLIGHT, d->in_flight);
    p = psc__pb_put_len_prefix(p, PSC__F_DIALER__OUTCOMES, outcomes_body(d));
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER_OUTCOMES__SUCCESS, d->success);
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER_OUTCOMES__ERROR, d->error);
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER_OUTCOMES__TIMEOUT, d->timeout);
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER_OUTCOMES__CANCELED, d->canceled);
    p = psc__pb_put_uint_opt(p, PSC__F_DIALER_OUTCOMES__BACKOFF, d->backoff);
    PSC__EACH(const psc__dial_rec, r, s->dials) {
        p = psc__pb_put_len_prefix(p, PSC__F_DIALER__DIALS, dial_body(r));
        p = enc_str(p, PSC__F_DIALER_DIAL__PEER_ID, r->peer_id);
        p = enc_str(p, PSC__F_DIALER_DIAL__MULTIADDR, r->addr);
        p = psc__pb_put_uint_opt(p, PSC__F_DIALER_DIAL__START_TS, r->start_ts);
    }
    PSC__PB_BODY_END(b, p, s->pb_dialer, "Dialer");
    return p;
}

size_t psc__identify_pb_size(const psc_identify *id)
{
    return psc__pb_uint_size_opt(PSC__F_IDENTIFY__REQUESTS_IN, id->requests_in) +
           psc__pb_uint_size_opt(PSC__F_IDENTIFY__REQUESTS_OUT, id->requests_out) +
           psc__pb_uint_size_opt(PSC__F_IDENTIFY__PUSHES_IN, id->pushes_in) +
           psc__pb_uint_size_opt(PSC__F_IDENTIFY__PUSHES_OUT, id->pushes_out) +
           psc__pb_uint_size_opt(PSC__F_IDENTIFY__ERRORS, id->errors);
}

uint8_t *psc__identify_pb_write(uint8_t *p, const psc_identify *id)
{
    p = psc__pb_put_uint_opt(p, PSC__F_IDENTIFY__REQUESTS_IN, id->requests_in);
    p = psc__pb_put_uint_opt(p, PSC__F_IDENTIFY__REQUESTS_OUT, id->requests_out);
    p = psc__pb_put_uint_opt(p, PSC__F_IDENTIFY__PUSHES_IN, id->pushes_in);
    p = psc__pb_put_uint_opt(p, PSC__F_IDENTIFY__PUSHES_OUT, id->pushes_out);
    return psc__pb_put_uint_opt(p, PSC__F_IDENTIFY__ERRORS, id->errors);
}

size_t psc__relay_pb_size(const psc_relay *r)
{
    return psc__pb_uint_size_opt(PSC__F_RELAY__RESERVATIONS_ACTIVE, r->reservations_active) +
           psc__pb_uint_size_opt(PSC__F_RELAY__CIRCUITS_ACTIVE, r->circuits_active) +
           psc__pb_uint_size_opt(PSC__F_RELAY__RESERVATIONS_TOTAL, r->reservations_total) +
           psc__pb_uint_size_opt(PSC__F_RELAY__CIRCUITS_TOTAL, r->circuits_total) +
           psc__pb_uint_size_opt(PSC__F_RELAY__HOLE_PUNCH_ATTEMPTS, r->hole_punch_attempts) +
           psc__pb_uint_size_opt(PSC__F_RELAY__HOLE_PUNCH_SUCCESSES, r->hole_punch_successes) +
           psc__pb_uint_size_opt(PSC__F_RELAY__HOLE_PUNCH_FAILURES, r->hole_punch_failures);
}

uint8_t *psc__relay_pb_write(uint8_t *p, const psc_relay *r)
{
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__RESERVATIONS_ACTIVE, r->reservations_active);
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__CIRCUITS_ACTIVE, r->circuits_active);
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__RESERVATIONS_TOTAL, r->reservations_total);
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__CIRCUITS_TOTAL, r->circuits_total);
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__HOLE_PUNCH_ATTEMPTS, r->hole_punch_attempts);
    p = psc__pb_put_uint_opt(p, PSC__F_RELAY__HOLE_PUNCH_SUCCESSES, r->hole_punch_successes);
    return psc__pb_put_uint_opt(p, PSC__F_RELAY__HOLE_PUNCH_FAILURES, r->hole_punch_failures);
}

static size_t ping_peer_body(const psc__ping_rec *r)
{
    return enc_str_size(PSC__F_PING_PEER__PEER_ID, r->peer_id) +
           psc__pb_uint_size_opt(PSC__F_PING_PEER__LAST_RTT_NS, r->last_rtt_ns) +
           psc__pb_uint_size_opt(PSC__F_PING_PEER__AVG_RTT_NS, r->avg_rtt_ns);
}

size_t psc__ping_pb_size(const psc__snap *s)
{
    size_t n = psc__pb_uint_size_opt(PSC__F_PING__PINGS_SENT, s->pings_sent) +
               psc__pb_uint_size_opt(PSC__F_PING__FAILURES, s->ping_failures);
    PSC__EACH(const psc__ping_rec, r, s->ping_peers)
        n += enc_msg_size(PSC__F_PING__PEERS, ping_peer_body(r));
    return n;
}

uint8_t *psc__ping_pb_write(uint8_t *p, const psc__snap *s)
{
    uint8_t *b = p;
    p = psc__pb_put_uint_opt(p, PSC__F_PING__PINGS_SENT, s->pings_sent);
    p = psc__pb_put_uint_opt(p, PSC__F_PING__FAILURES, s->ping_failures);
    PSC__EACH(const psc__ping_rec, r, s->ping_peers) {
        p = psc__pb_put_len_prefix(p, PSC__F_PING__PEERS, ping_peer_body(r));
        p = enc_str(p, PSC__F_PING_PEER__PEER_ID, r->peer_id);
        p = psc__pb_put_uint_opt(p, PSC__F_PING_PEER__LAST_RTT_NS, r->last_rtt_ns);
        p = psc__pb_put_uint_opt(p, PSC__F_PING_PEER__AVG_RTT_NS, r->avg_rtt_ns);
    }
    PSC__PB_BODY_END(b, p, s->pb_ping, "Ping");
    return p;
}

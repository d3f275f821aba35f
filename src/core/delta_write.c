/*
 * Encoding a delta state: the body of ServerMessage.state{subsystems, the
 * newer state's other fields, delta}. Changed entities, the sections a
 * delta carries whole and the State fields after subsystems are copied
 * from the newer message's bytes; only the StateDelta itself is encoded.
 */
#include "core/delta.h"
#include "core/encode.h"

static size_t span(const uint8_t *at, const uint8_t *end)
{
    return at ? (size_t)(end - at) : 0;
}

static uint8_t *put_span(uint8_t *p, const uint8_t *at, const uint8_t *end)
{
    size_t n = span(at, end);
    if (n)
        memcpy(p, at, n);
    return p + n;
}

static size_t items_size(uint32_t field, const psc__dlist *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += psc__pb_len_size(field, l->v[i]->size);
    return n;
}

static uint8_t *items_write(uint8_t *p, uint32_t field, const psc__dlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        p = psc__pb_put_bytes(p, field, l->v[i]->body, l->v[i]->size);
    return p;
}

/* keys of removed entities, as a repeated bytes or string field */
static size_t keys_size(uint32_t field, const psc__dlist *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += psc__pb_len_size(field, l->v[i]->key_len);
    return n;
}

static uint8_t *keys_write(uint8_t *p, uint32_t field, const psc__dlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        p = psc__pb_put_bytes(p, field, l->v[i]->key, l->v[i]->key_len);
    return p;
}

/* ---------------------------------------------------------------- DHT */

static size_t dht_body(psc__ddht *x)
{
    const psc__dht_rec *b = x->b;
    size_t n = span(b->pb_at, b->pb_buckets_at) + span(b->pb_buckets_end, b->pb_at + b->pb_size);
    for (size_t i = 0; i < x->n_buckets; i++)
        n += psc__pb_len_size(PSC__F_DHT__BUCKETS, x->buckets[i]->pb_size);
    x->body = n;
    return n;
}

static uint8_t *dht_write(uint8_t *p, uint32_t field, const psc__ddht *x)
{
    const psc__dht_rec *b = x->b;
    p = psc__pb_put_len_prefix(p, field, x->body);
    uint8_t *body = p;
    p = put_span(p, b->pb_at, b->pb_buckets_at);
    for (size_t i = 0; i < x->n_buckets; i++)
        p = psc__pb_put_bytes(p, PSC__F_DHT__BUCKETS, x->buckets[i]->pb_at, x->buckets[i]->pb_size);
    p = put_span(p, b->pb_buckets_end, b->pb_at + b->pb_size);
    PSC__PB_BODY_END(body, p, x->body, "DHT (delta)");
    return p;
}

/* StateDelta.RemovedBuckets{dht, cpls (packed)} */
static size_t cpls_size(const psc__ddht *x)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_removed; i++)
        n += psc__pb_varint_size(x->removed_cpls[i]);
    return n;
}

static size_t removed_buckets_body(const psc__ddht *x, uint32_t index)
{
    return psc__pb_uint_size_opt(PSC__F_STATE_DELTA_REMOVED_BUCKETS__DHT, index) +
           psc__pb_len_size(PSC__F_STATE_DELTA_REMOVED_BUCKETS__CPLS, cpls_size(x));
}

static uint32_t dht_index(const psc__delta *d, size_t i)
{
    return (uint32_t)(d->has_dht ? i : i + 1);
}

/* ---------------------------------------------------------- subsystems */

static size_t subsystems_size(psc__delta *d)
{
    const psc__snap *b = d->b;
    size_t n = items_size(PSC__F_SUBSYSTEMS__CONNECTIONS, &d->conns);
    for (size_t i = 0; i < d->n_dhts; i++) {
        size_t body = dht_body(&d->dhts[i]);
        if (i == 0 && d->has_dht)
            n += psc__pb_len_size(PSC__F_SUBSYSTEMS__DHT, body);
    }
    if (b->has_pubsub) {
        d->pubsub_body = span(b->pb_pubsub_head, b->pb_pubsub_head_end) + items_size(PSC__F_PUB_SUB__TOPICS, &d->topics);
        n += psc__pb_len_size(PSC__F_SUBSYSTEMS__PUBSUB, d->pubsub_body);
    }
    if (b->has_peerstore) {
        d->peerstore_body = items_size(PSC__F_PEERSTORE__PEERS, &d->peers);
        n += psc__pb_len_size(PSC__F_SUBSYSTEMS__PEERSTORE, d->peerstore_body);
    }
    n += span(b->pb_plain_at, b->pb_plain_end);
    if (b->has_rcmgr) {
        d->rcmgr_body = items_size(PSC__F_RESOURCE_MANAGER__SCOPES, &d->scopes);
        n += psc__pb_len_size(PSC__F_SUBSYSTEMS__RESOURCE_MANAGER, d->rcmgr_body);
    }
    n += span(b->pb_custom_at, b->pb_custom_end);
    for (size_t i = d->has_dht ? 1 : 0; i < d->n_dhts; i++)
        n += psc__pb_len_size(PSC__F_SUBSYSTEMS__ADDITIONAL_DHTS, d->dhts[i].body);
    return n;
}

static uint8_t *subsystems_write(uint8_t *p, const psc__delta *d)
{
    const psc__snap *b = d->b;
    p = psc__pb_put_len_prefix(p, PSC__F_STATE__SUBSYSTEMS, d->subsystems_body);
    uint8_t *body = p, *sb;
    p = items_write(p, PSC__F_SUBSYSTEMS__CONNECTIONS, &d->conns);
    if (d->has_dht)
        p = dht_write(p, PSC__F_SUBSYSTEMS__DHT, &d->dhts[0]);
    if (b->has_pubsub) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__PUBSUB, d->pubsub_body);
        sb = p;
        p = put_span(p, b->pb_pubsub_head, b->pb_pubsub_head_end);
        p = items_write(p, PSC__F_PUB_SUB__TOPICS, &d->topics);
        PSC__PB_BODY_END(sb, p, d->pubsub_body, "PubSub (delta)");
    }
    if (b->has_peerstore) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__PEERSTORE, d->peerstore_body);
        sb = p;
        p = items_write(p, PSC__F_PEERSTORE__PEERS, &d->peers);
        PSC__PB_BODY_END(sb, p, d->peerstore_body, "Peerstore (delta)");
    }
    p = put_span(p, b->pb_plain_at, b->pb_plain_end);
    if (b->has_rcmgr) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__RESOURCE_MANAGER, d->rcmgr_body);
        sb = p;
        p = items_write(p, PSC__F_RESOURCE_MANAGER__SCOPES, &d->scopes);
        PSC__PB_BODY_END(sb, p, d->rcmgr_body, "ResourceManager (delta)");
    }
    p = put_span(p, b->pb_custom_at, b->pb_custom_end);
    for (size_t i = d->has_dht ? 1 : 0; i < d->n_dhts; i++)
        p = dht_write(p, PSC__F_SUBSYSTEMS__ADDITIONAL_DHTS, &d->dhts[i]);
    PSC__PB_BODY_END(body, p, d->subsystems_body, "Subsystems (delta)");
    return p;
}

/* ---------------------------------------------------------- StateDelta */

static size_t scope_key_body(const psc__scope_rec *r)
{
    return psc__pb_enum_size_opt(PSC__F_STATE_DELTA_SCOPE_KEY__KIND, (int32_t)r->kind) +
           enc_str_size(PSC__F_STATE_DELTA_SCOPE_KEY__NAME, r->name);
}

static size_t delta_size(const psc__delta *d)
{
    size_t n = psc__pb_uint_size_opt(PSC__F_STATE_DELTA__BASE_SEQ, d->base_seq) +
               keys_size(PSC__F_STATE_DELTA__REMOVED_CONNECTIONS, &d->conns_gone);
    for (size_t i = 0; i < d->n_dhts; i++)
        if (d->dhts[i].n_removed)
            n += psc__pb_len_size(PSC__F_STATE_DELTA__REMOVED_BUCKETS, removed_buckets_body(&d->dhts[i], dht_index(d, i)));
    n += keys_size(PSC__F_STATE_DELTA__REMOVED_TOPICS, &d->topics_gone) +
         keys_size(PSC__F_STATE_DELTA__REMOVED_PEERS, &d->peers_gone);
    for (size_t i = 0; i < d->scopes_gone.n; i++)
        n += psc__pb_len_size(PSC__F_STATE_DELTA__REMOVED_SCOPES, scope_key_body(d->scopes_gone.v[i]->rec));
    return n;
}

static uint8_t *delta_write(uint8_t *p, const psc__delta *d)
{
    p = psc__pb_put_len_prefix(p, PSC__F_STATE__DELTA, d->delta_body);
    uint8_t *body = p;
    p = psc__pb_put_uint_opt(p, PSC__F_STATE_DELTA__BASE_SEQ, d->base_seq);
    p = keys_write(p, PSC__F_STATE_DELTA__REMOVED_CONNECTIONS, &d->conns_gone);
    for (size_t i = 0; i < d->n_dhts; i++) {
        const psc__ddht *x = &d->dhts[i];
        if (!x->n_removed)
            continue;
        uint32_t index = dht_index(d, i);
        p = psc__pb_put_len_prefix(p, PSC__F_STATE_DELTA__REMOVED_BUCKETS, removed_buckets_body(x, index));
        p = psc__pb_put_uint_opt(p, PSC__F_STATE_DELTA_REMOVED_BUCKETS__DHT, index);
        p = psc__pb_put_len_prefix(p, PSC__F_STATE_DELTA_REMOVED_BUCKETS__CPLS, cpls_size(x));
        for (size_t k = 0; k < x->n_removed; k++)
            p = psc__pb_put_varint(p, x->removed_cpls[k]);
    }
    p = keys_write(p, PSC__F_STATE_DELTA__REMOVED_TOPICS, &d->topics_gone);
    p = keys_write(p, PSC__F_STATE_DELTA__REMOVED_PEERS, &d->peers_gone);
    for (size_t i = 0; i < d->scopes_gone.n; i++) {
        const psc__scope_rec *r = d->scopes_gone.v[i]->rec;
        p = psc__pb_put_len_prefix(p, PSC__F_STATE_DELTA__REMOVED_SCOPES, scope_key_body(r));
        p = psc__pb_put_enum_opt(p, PSC__F_STATE_DELTA_SCOPE_KEY__KIND, (int32_t)r->kind);
        p = enc_str(p, PSC__F_STATE_DELTA_SCOPE_KEY__NAME, r->name);
    }
    PSC__PB_BODY_END(body, p, d->delta_body, "StateDelta");
    return p;
}

/* ---------------------------------------------------------------- state */

size_t psc__delta_pb_size(psc__delta *d)
{
    const psc__snap *b = d->b;
    d->subsystems_body = subsystems_size(d);
    d->delta_body = delta_size(d);
    d->state_body = psc__pb_len_size(PSC__F_STATE__SUBSYSTEMS, d->subsystems_body) +
                    span(b->pb_tail_at, b->pb_tail_end) + psc__pb_len_size(PSC__F_STATE__DELTA, d->delta_body);
    return d->state_body;
}

uint8_t *psc__delta_pb_write(uint8_t *p, const psc__delta *d)
{
    const psc__snap *b = d->b;
    p = subsystems_write(p, d);
    p = put_span(p, b->pb_tail_at, b->pb_tail_end);
    return delta_write(p, d);
}

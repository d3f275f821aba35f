/* The push table's DHT, pubsub and peerstore sections. */
#include "table/table.h"

#include <string.h>

/* Queue the change that made made (the argument is evaluated first: *op is set then). */
static psc_err queue(psc_table *t, psc__sec sec, psc_err made, psc__op **op, bool may_refuse)
{
    return made != PSC_OK ? made : psc__table_push(t, sec, *op, may_refuse);
}

/* ------------------------------------------------------------ host side */

psc_err psc_table_dht_set(psc_table *t, const psc_dht *dht)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_DHT, psc__op_dht(t, dht, &op), &op, true);
}

psc_err psc_table_dht_peer_put(psc_table *t, uint32_t cpl, const psc_dht_peer *peer)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_DHT, psc__op_dht_peer(t, cpl, peer, &op), &op, true);
}

psc_err psc_table_dht_peer_remove(psc_table *t, const char *peer_id)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_DHT, psc__op_key(t, PSC__OP_DHT_PEER_REMOVE, peer_id, &op), &op, false);
}

psc_err psc_table_pubsub_set_router(psc_table *t, const char *router, const char *protocol)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PUBSUB, psc__op_router(t, router, protocol, &op), &op, true);
}

psc_err psc_table_topic_put(psc_table *t, const psc_topic *topic)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PUBSUB, psc__op_topic(t, topic, &op), &op, true);
}

psc_err psc_table_topic_remove(psc_table *t, const char *name)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PUBSUB, psc__op_key(t, PSC__OP_TOPIC_REMOVE, name, &op), &op, false);
}

psc_err psc_table_topic_set_mesh(psc_table *t, const char *topic, const psc_mesh_peer *peers, size_t n)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PUBSUB, psc__op_mesh(t, topic, peers, n, &op), &op, true);
}

psc_err psc_table_topic_set_fanout(psc_table *t, const char *topic, const char *const *peer_ids, size_t n)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PUBSUB, psc__op_fanout(t, topic, peer_ids, n, &op), &op, true);
}

psc_err psc_table_peer_put(psc_table *t, const psc_peer_info *p)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PEERSTORE, psc__op_peer(t, p, &op), &op, true);
}

psc_err psc_table_peer_remove(psc_table *t, const char *peer_id)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_PEERSTORE, psc__op_key(t, PSC__OP_PEER_REMOVE, peer_id, &op), &op, false);
}

psc_err psc_table_scope_put(psc_table *t, const psc_resource_scope *s)
{
    if (!t || !s)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_RCMGR, psc__op_scope(t, s, PSC_SCOPE_SYSTEM, NULL, &op), &op, true);
}

psc_err psc_table_scope_remove(psc_table *t, psc_scope_kind kind, const char *name)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op = NULL;
    return queue(t, PSC__SEC_RCMGR, psc__op_scope(t, NULL, kind, name, &op), &op, false);
}

/* ------------------------------------------------------------ applying */

static void replace(psc_table *t, psc__op **slot, psc__op *op)
{
    psc__table_op_free(t, *slot);
    *slot = op;
}

/* slot: which of a keyed entity's records the change replaces */
static bool put_into(psc_table *t, psc__keyed *k, psc__op *op, size_t slot)
{
    psc__kent *e = psc__keyed_get(t, k, op->key, op->key_len);
    if (!e)
        return false;
    replace(t, slot == 0 ? &e->rec : slot == 1 ? &e->mesh : &e->fanout, op);
    return true;
}

static void drop_from(psc_table *t, psc__keyed *k, psc__op *op)
{
    psc__kent *e = psc__keyed_find(k, op->key, op->key_len);
    if (e)
        psc__keyed_remove(t, e);
    psc__table_op_free(t, op);
}

static bool apply_dht(psc_table *t, psc__op *op)
{
    switch (op->kind) {
    case PSC__OP_DHT_SET: replace(t, &t->dht, op); return true;
    case PSC__OP_DHT_PEER_PUT: return put_into(t, &t->dht_peers, op, 0);
    case PSC__OP_DHT_PEER_REMOVE: drop_from(t, &t->dht_peers, op); return true;
    default: psc__table_op_free(t, op); return true;
    }
}

static bool apply_pubsub(psc_table *t, psc__op *op)
{
    switch (op->kind) {
    case PSC__OP_ROUTER: replace(t, &t->router, op); return true;
    case PSC__OP_TOPIC_PUT: return put_into(t, &t->topics, op, 0);
    case PSC__OP_MESH: return put_into(t, &t->topics, op, 1);
    case PSC__OP_FANOUT: return put_into(t, &t->topics, op, 2);
    case PSC__OP_TOPIC_REMOVE: drop_from(t, &t->topics, op); return true;
    default: psc__table_op_free(t, op); return true;
    }
}

static bool apply_peerstore(psc_table *t, psc__op *op)
{
    switch (op->kind) {
    case PSC__OP_PEER_PUT: return put_into(t, &t->peers, op, 0);
    case PSC__OP_PEER_REMOVE: drop_from(t, &t->peers, op); return true;
    default: psc__table_op_free(t, op); return true;
    }
}

static bool apply_rcmgr(psc_table *t, psc__op *op)
{
    switch (op->kind) {
    case PSC__OP_SCOPE_PUT: return put_into(t, &t->scopes, op, 0);
    case PSC__OP_SCOPE_REMOVE: drop_from(t, &t->scopes, op); return true;
    default: psc__table_op_free(t, op); return true;
    }
}

/* Apply a keyed section's changes, the key map rebuilt first and the removed compacted after. */
static psc_err apply_keyed(psc_table *t, psc__sec sec, psc__keyed *k, psc__apply_fn fn)
{
    psc_err e = psc__keyed_begin(t, k);
    if (e == PSC_OK)
        e = psc__table_apply_all(t, sec, fn);
    psc__keyed_end(t, k);
    return e;
}

/* A duration given at put time, grown by the time since (capped at what the field holds). */
static uint64_t aged(uint64_t given, uint64_t at_ms, uint64_t now_ms)
{
    uint64_t since = now_ms > at_ms ? now_ms - at_ms : 0;
    return given > UINT64_MAX - since ? UINT64_MAX : given + since;
}

/* ------------------------------------------------------------ reporting */

psc_err psc__table_dht_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    psc_table *t = user;
    psc_err e = apply_keyed(t, PSC__SEC_DHT, &t->dht_peers, apply_dht);
    if (e == PSC_OK && t->dht)
        e = psc_dht_set_info(b, &t->dht->b.dht);
    uint64_t now = psc__table_now_ms(t);
    for (size_t i = 0; e == PSC_OK && i < t->dht_peers.n; i++) {
        const psc__op *r = t->dht_peers.v[i]->rec;
        psc_dht_peer p = r->b.dht_peer.peer;
        uint64_t age = aged(p.age_in_bucket_ms, r->at_ms, now);
        p.age_in_bucket_ms = age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
        if ((e = psc_dht_add_peer(b, r->b.dht_peer.cpl, &p)) != PSC_OK)
            e = psc__table_skip(t, e);
    }
    psc__table_publish(t);
    return e;
}

static psc_err report_topic(psc_table *t, psc_pubsub_builder *b, const psc__kent *k, uint64_t now)
{
    psc_topic tp = PSC_TOPIC_INIT;
    if (k->rec)
        tp = k->rec->b.topic;
    else
        tp.name = k->mesh ? k->mesh->b.mesh.topic : k->fanout->b.fanout.topic;
    psc_topic_builder *tb;
    psc_err e = psc_pubsub_add_topic(b, &tp, &tb);
    if (e != PSC_OK)
        return psc__table_skip(t, e);
    if (k->mesh) {
        for (size_t i = 0; i < k->mesh->b.mesh.n; i++) {
            psc_mesh_peer p = k->mesh->b.mesh.peers[i];
            p.time_in_mesh_ms = aged(p.time_in_mesh_ms, k->mesh->at_ms, now);
            if ((e = psc_topic_add_mesh_peer(tb, &p)) != PSC_OK && (e = psc__table_skip(t, e)) != PSC_OK)
                return e;
        }
    }
    if (k->fanout) {
        for (size_t i = 0; i < k->fanout->b.fanout.n; i++)
            if ((e = psc_topic_add_fanout_peer(tb, k->fanout->b.fanout.peers[i])) != PSC_OK &&
                (e = psc__table_skip(t, e)) != PSC_OK)
                return e;
    }
    return PSC_OK;
}

psc_err psc__table_pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)ctx;
    psc_table *t = user;
    psc_err e = apply_keyed(t, PSC__SEC_PUBSUB, &t->topics, apply_pubsub);
    if (e == PSC_OK && t->router)
        e = psc_pubsub_set_router(b, t->router->b.router.router, t->router->b.router.protocol);
    uint64_t now = psc__table_now_ms(t);
    for (size_t i = 0; e == PSC_OK && i < t->topics.n; i++)
        e = report_topic(t, b, t->topics.v[i], now);
    psc__table_publish(t);
    return e;
}

psc_err psc__table_peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)ctx;
    psc_table *t = user;
    psc_err e = apply_keyed(t, PSC__SEC_PEERSTORE, &t->peers, apply_peerstore);
    for (size_t i = 0; e == PSC_OK && i < t->peers.n; i++)
        if ((e = psc_peerstore_add_peer(b, &t->peers.v[i]->rec->b.peer)) != PSC_OK)
            e = psc__table_skip(t, e);
    psc__table_publish(t);
    return e;
}

psc_err psc__table_rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)ctx;
    psc_table *t = user;
    psc_err e = apply_keyed(t, PSC__SEC_RCMGR, &t->scopes, apply_rcmgr);
    for (size_t i = 0; e == PSC_OK && i < t->scopes.n; i++)
        if ((e = psc_rcmgr_add_scope(b, &t->scopes.v[i]->rec->b.scope.s)) != PSC_OK)
            e = psc__table_skip(t, e);
    return e;
}

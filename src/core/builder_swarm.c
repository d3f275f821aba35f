/* Swarm builder: connections, streams, transports, dialer, identify, relay, ping, traffic. */
#include <stddef.h>

#include "core/records.h"

static bool status_ok(psc_status s)
{
    return (unsigned)s <= PSC_STATUS_ERROR;
}

static bool role_ok(psc_role r)
{
    return (unsigned)r <= PSC_ROLE_RESPONDER;
}

psc_err psc_swarm_add_connection(psc_swarm_builder *b, const psc_connection *conn, psc_conn_builder **out)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_connection c;
    psc_err e = psc__copy_in(&c, sizeof c, conn, PSC__END_OF(psc_connection, id_len));
    if (e != PSC_OK)
        return e;
    if (!c.id || !c.id_len || !status_ok(c.status) || !role_ok(c.role))
        return PSC_ERR_INVALID;

    /* a duplicate id is found by the final put (one hash per connection);
     * the copy made before it is rewound, which only costs on that error */
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__conn_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_bytes(ar, c.id, c.id_len, &r->id)) != PSC_OK ||
        (e = psc__copy_bytes(ar, c.transport_id, c.transport_id_len, &r->transport_id)) != PSC_OK ||
        (e = psc__copy_bytes(ar, c.relay_conn_id, c.relay_conn_id_len, &r->relay_conn_id)) != PSC_OK ||
        (e = psc__copy_str(ar, c.peer_id, &r->peer_id)) != PSC_OK ||
        (e = psc__copy_str(ar, c.transport_name, &r->transport_name)) != PSC_OK ||
        (e = psc__copy_str(ar, c.local_addr, &r->local_addr)) != PSC_OK ||
        (e = psc__copy_str(ar, c.remote_addr, &r->remote_addr)) != PSC_OK ||
        (e = psc__copy_str(ar, c.multiplexer, &r->multiplexer)) != PSC_OK ||
        (e = psc__copy_str(ar, c.encryption, &r->encryption)) != PSC_OK ||
        (e = psc__copy_str(ar, c.close_reason, &r->close_reason)) != PSC_OK ||
        (e = psc__copy_strv(ar, c.tags, c.n_tags, &r->tags)) != PSC_OK ||
        (e = psc__idmap_put(&b->bld->intro->alloc, b->conn_map, r->id.p, r->id.len, r)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->status = c.status;
    r->role = c.role;
    r->open_ts = c.open_ts;
    r->upgraded_ts = c.upgraded_ts;
    r->close_ts = c.close_ts;
    r->latency_ns = c.latency_ns;
    r->traffic = c.traffic;
    r->stream_count = c.stream_count;
    r->bld = b->bld;
    r->epoch = b->epoch;
    psc__list_push(&b->conns, &r->node);
    if (out)
        *out = r;
    return PSC_OK;
}

psc_err psc_conn_add_stream(psc_conn_builder *cb, const psc_stream *stream)
{
    if (!cb)
        return PSC_ERR_INVALID;
    /* a handle kept from an earlier collect call of this snapshot */
    if (cb->epoch != cb->bld->epoch)
        return PSC_ERR_STATE;
    psc_stream s;
    psc_err e = psc__copy_in(&s, sizeof s, stream, PSC__END_OF(psc_stream, id_len));
    if (e != PSC_OK)
        return e;
    if (!s.id || !s.id_len || !status_ok(s.status) || !role_ok(s.role))
        return PSC_ERR_INVALID;

    psc__arena *ar = cb->bld->arena;
    psc__arena_mark mark;
    psc__stream_rec *r = psc__rec_new(cb->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(cb->bld);
    psc__build *bld = cb->bld;
    if (bld->protos_epoch != cb->epoch) {
        /* another collect call: what it copied may have been discarded with it */
        bld->protos_epoch = cb->epoch;
        bld->n_protos = bld->next_proto = 0;
    }
    bool shared = false;
    for (unsigned k = 0; s.protocol && k < bld->n_protos && !shared; k++)
        if (strcmp(bld->protos[k].p, s.protocol) == 0) {
            r->protocol = bld->protos[k];
            shared = true;
        }
    if ((e = psc__copy_bytes(ar, s.id, s.id_len, &r->id)) != PSC_OK ||
        (!shared && (e = psc__copy_str(ar, s.protocol, &r->protocol)) != PSC_OK) ||
        (e = psc__copy_str(ar, s.close_reason, &r->close_reason)) != PSC_OK ||
        (e = psc__copy_strv(ar, s.tags, s.n_tags, &r->tags)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    if (!shared && r->protocol.p) {
        /* only now: a failed add rewinds the arena over its copies */
        bld->protos[bld->next_proto] = r->protocol;
        bld->next_proto = (bld->next_proto + 1) % 8u;
        if (bld->n_protos < 8u)
            bld->n_protos++;
    }
    r->role = s.role;
    r->status = s.status;
    r->open_ts = s.open_ts;
    r->close_ts = s.close_ts;
    r->latency_ns = s.latency_ns;
    r->traffic = s.traffic;
    psc__list_push(&cb->streams, &r->node);
    return PSC_OK;
}

psc_err psc_swarm_add_transport(psc_swarm_builder *b, const psc_transport *t)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_transport in;
    psc_err e = psc__copy_in(&in, sizeof in, t, sizeof(size_t));
    if (e != PSC_OK)
        return e;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__transport_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_bytes(ar, in.id, in.id_len, &r->id)) != PSC_OK ||
        (e = psc__copy_str(ar, in.name, &r->name)) != PSC_OK ||
        (e = psc__copy_strv(ar, in.listen_addrs, in.n_listen_addrs, &r->listen)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->listening = in.listening;
    r->dialing = in.dialing;
    psc__list_push(&b->transports, &r->node);
    return PSC_OK;
}

psc_err psc_swarm_set_dialer(psc_swarm_builder *b, const psc_dialer *d)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_err e = psc__copy_in(&b->dialer, sizeof b->dialer, d, sizeof(size_t));
    if (e == PSC_OK)
        b->has_dialer = true;
    return e;
}

psc_err psc_swarm_add_dial(psc_swarm_builder *b, const psc_dial *d)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_dial in;
    psc_err e = psc__copy_in(&in, sizeof in, d, sizeof(size_t));
    if (e != PSC_OK)
        return e;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__dial_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_str(ar, in.peer_id, &r->peer_id)) != PSC_OK ||
        (e = psc__copy_str(ar, in.addr, &r->addr)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->start_ts = in.start_ts;
    psc__list_push(&b->dials, &r->node);
    return PSC_OK;
}

psc_err psc_swarm_set_identify(psc_swarm_builder *b, const psc_identify *id)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_err e = psc__copy_in(&b->identify, sizeof b->identify, id, sizeof(size_t));
    if (e == PSC_OK)
        b->has_identify = true;
    return e;
}

psc_err psc_swarm_set_relay(psc_swarm_builder *b, const psc_relay *r)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_err e = psc__copy_in(&b->relay, sizeof b->relay, r, sizeof(size_t));
    if (e == PSC_OK)
        b->has_relay = true;
    return e;
}

psc_err psc_swarm_set_ping(psc_swarm_builder *b, uint64_t pings_sent, uint64_t failures)
{
    if (!b)
        return PSC_ERR_INVALID;
    b->pings_sent = pings_sent;
    b->ping_failures = failures;
    b->has_ping = true;
    return PSC_OK;
}

psc_err psc_swarm_add_ping_peer(psc_swarm_builder *b, const psc_ping_peer *p)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_ping_peer in;
    psc_err e = psc__copy_in(&in, sizeof in, p, PSC__END_OF(psc_ping_peer, peer_id));
    if (e != PSC_OK)
        return e;
    if (!in.peer_id)
        return PSC_ERR_INVALID;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__ping_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_str(ar, in.peer_id, &r->peer_id)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->last_rtt_ns = in.last_rtt_ns;
    r->avg_rtt_ns = in.avg_rtt_ns;
    psc__list_push(&b->ping_peers, &r->node);
    return PSC_OK;
}

psc_err psc_swarm_set_traffic(psc_swarm_builder *b, const psc_traffic *t)
{
    if (!b || !t)
        return PSC_ERR_INVALID;
    b->traffic = *t;
    b->has_traffic = true;
    return PSC_OK;
}

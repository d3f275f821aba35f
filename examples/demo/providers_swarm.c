/* The swarm provider: connections and their streams, transports, dialer,
 * identify, relay, ping and the node's total traffic. */
#include <string.h>

#include "providers.h"

static const uint8_t transport_ids[SIM_TR_COUNT][1] = {{1}, {2}, {3}};

static psc_err add_streams(const demo_view *v, const view_conn *vc, psc_conn_builder *cb)
{
    for (size_t j = 0; j < vc->n_streams; j++) {
        const view_stream *vs = &v->streams[vc->first_stream + j];
        uint8_t id[8];
        demo_be64(vs->id, id);
        psc_stream s = PSC_STREAM_INIT;
        s.id = id;
        s.id_len = sizeof id;
        s.protocol = sim_proto_names[vs->proto];
        s.role = vs->role;
        s.status = vs->status;
        s.open_ts = vs->open_ms;
        s.close_ts = vs->close_ms;
        s.traffic = vs->traffic;
        s.close_reason = vs->close_reason;
        psc_err e = psc_conn_add_stream(cb, &s);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static psc_err add_conn(const demo_view *v, const view_conn *vc, psc_swarm_builder *b)
{
    const sim_peer *p = &v->node->peers[vc->peer];
    uint8_t id[8], relay_id[8];
    demo_be64(vc->id, id);
    const char *tags[4];
    size_t n_tags = 0;
    if (vc->reservation)
        tags[n_tags++] = "relay-reservation";
    if (vc->relay_conn_id)
        tags[n_tags++] = "relayed";
    if (vc->punched)
        tags[n_tags++] = "hole-punched";
    if (p->bootstrap)
        tags[n_tags++] = "bootstrap";

    psc_connection c = PSC_CONNECTION_INIT;
    c.id = id;
    c.id_len = sizeof id;
    c.peer_id = p->id;
    c.status = vc->status;
    c.role = vc->role;
    c.transport_id = transport_ids[vc->transport];
    c.transport_id_len = sizeof transport_ids[vc->transport];
    c.transport_name = sim_transport_names[vc->transport];
    c.local_addr = vc->local_addr;
    c.remote_addr = vc->remote_addr;
    c.open_ts = vc->open_ms;
    c.upgraded_ts = vc->upgraded_ms;
    c.close_ts = vc->close_ms;
    c.traffic = vc->traffic;
    /* security and muxer are only known once the upgrade is done */
    if (vc->status != PSC_STATUS_OPENING) {
        c.multiplexer = sim_muxer_names[vc->muxer];
        c.encryption = sim_security_names[vc->security];
    }
    c.latency_ns = vc->status == PSC_STATUS_ACTIVE ? vc->latency_ns : 0;
    if (vc->relay_conn_id) {
        demo_be64(vc->relay_conn_id, relay_id);
        c.relay_conn_id = relay_id;
        c.relay_conn_id_len = sizeof relay_id;
    }
    c.close_reason = vc->close_reason;
    c.tags = n_tags ? tags : NULL;
    c.n_tags = n_tags;
    c.stream_count = vc->open_streams;
    psc_conn_builder *cb;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    if (e != PSC_OK)
        return e;
    return add_streams(v, vc, cb);
}

static psc_err add_transports(const demo_view *v, psc_swarm_builder *b)
{
    const sim_node *n = v->node;
    const char *tcp[] = {n->listen_addrs[0], n->listen_addrs[2]};
    const char *quic[] = {n->listen_addrs[1]};
    char circuit[SIM_MAX_RESERVATIONS][SIM_ADDR_MAX];
    const char *circuit_p[SIM_MAX_RESERVATIONS];
    for (uint32_t i = 0; i < v->n_reservations; i++) {
        sim_circuit_addr(&n->peers[v->reservations[i]], circuit[i], sizeof circuit[i]);
        circuit_p[i] = circuit[i];
    }
    struct {
        sim_transport tr;
        const char *const *addrs;
        size_t n;
    } list[] = {{SIM_TR_TCP, tcp, 2}, {SIM_TR_QUIC, quic, 1}, {SIM_TR_CIRCUIT, circuit_p, v->n_reservations}};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        psc_transport t = PSC_TRANSPORT_INIT;
        t.id = transport_ids[list[i].tr];
        t.id_len = 1;
        t.name = sim_transport_names[list[i].tr];
        t.listen_addrs = list[i].n ? list[i].addrs : NULL;
        t.n_listen_addrs = list[i].n;
        t.listening = list[i].n > 0;
        t.dialing = true;
        psc_err e = psc_swarm_add_transport(b, &t);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static psc_err add_services(const demo_view *v, psc_swarm_builder *b)
{
    psc_err e = psc_swarm_set_dialer(b, &v->dialer);
    for (size_t i = 0; e == PSC_OK && i < v->n_dials; i++) {
        const sim_peer *p = &v->node->peers[v->dials[i].peer];
        psc_dial d = PSC_DIAL_INIT;
        d.peer_id = p->id;
        d.addr = p->addrs[v->dials[i].addr];
        d.start_ts = v->dials[i].start_ms;
        e = psc_swarm_add_dial(b, &d);
    }
    if (e == PSC_OK)
        e = psc_swarm_set_identify(b, &v->identify);
    if (e == PSC_OK)
        e = psc_swarm_set_relay(b, &v->relay);
    if (e == PSC_OK)
        e = psc_swarm_set_ping(b, v->pings_sent, v->ping_failures);
    for (size_t i = 0; e == PSC_OK && i < v->n_pings; i++) {
        psc_ping_peer pp = PSC_PING_PEER_INIT;
        pp.peer_id = v->node->peers[v->pings[i].peer].id;
        pp.last_rtt_ns = v->pings[i].last_ns;
        pp.avg_rtt_ns = v->pings[i].avg_ns;
        e = psc_swarm_add_ping_peer(b, &pp);
    }
    if (e == PSC_OK)
        e = psc_swarm_set_traffic(b, &v->traffic);
    return e;
}

psc_err demo_collect_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_SWARM, &v);
    for (size_t i = 0; e == PSC_OK && i < v->n_conns; i++)
        e = add_conn(v, &v->conns[i], b);
    if (e == PSC_OK)
        e = add_transports(v, b);
    if (e == PSC_OK)
        e = add_services(v, b);
    uint64_t upto = e == PSC_OK ? v->close_upto : 0;
    pthread_mutex_unlock(&h->view_lock);
    if (e != PSC_OK)
        return e;
    /* The closes in this view have now been reported (as CLOSED, once):
     * the node can forget them. After a failed collect they stay. */
    pthread_mutex_lock(&h->lock);
    sim_node_release_closed(h->node, upto);
    pthread_mutex_unlock(&h->lock);
    return PSC_OK;
}

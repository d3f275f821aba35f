/*
 * The resource-manager provider: system, transient, service, protocol and
 * peer scopes, with usage derived from the connections and streams of the
 * view and limits in the spirit of go-libp2p's defaults.
 */
#include <string.h>

#include "providers.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define CONN_MEMORY (64u * KIB)
#define STREAM_MEMORY (16u * KIB)

enum { SVC_IDENTIFY, SVC_RELAY, SVC_AUTONAT, SVC_HOLEPUNCH, SVC_PING, SVC_COUNT };
static const char *const service_names[SVC_COUNT] = {"libp2p.identify", "libp2p.relay/v2", "libp2p.autonat",
                                                     "libp2p.holepunch", "libp2p.ping"};

static int service_of(uint8_t proto)
{
    switch (proto) {
    case SIM_P_ID:
    case SIM_P_ID_PUSH:
        return SVC_IDENTIFY;
    case SIM_P_RELAY_HOP:
    case SIM_P_RELAY_STOP:
        return SVC_RELAY;
    case SIM_P_AUTONAT:
        return SVC_AUTONAT;
    case SIM_P_DCUTR:
        return SVC_HOLEPUNCH;
    case SIM_P_PING:
        return SVC_PING;
    default:
        return -1;
    }
}

static void count_stream(psc_resources *r, psc_role role)
{
    if (role == PSC_ROLE_INITIATOR)
        r->streams_out++;
    else
        r->streams_in++;
    r->memory += STREAM_MEMORY;
}

static psc_err add_scope(psc_rcmgr_builder *b, psc_scope_kind kind, const char *name, const psc_resources *usage,
                         const psc_resources *limit)
{
    psc_resource_scope s = PSC_RESOURCE_SCOPE_INIT;
    s.kind = kind;
    s.name = name;
    s.usage = *usage;
    s.limit = *limit;
    return psc_rcmgr_add_scope(b, &s);
}

static uint64_t at_least(uint64_t floor, uint64_t v)
{
    return v > floor ? v : floor;
}

static psc_err build(const demo_view *v, psc_rcmgr_builder *b, uint32_t *slot, psc_resources *per_peer,
                     uint32_t *slot_peer)
{
    const sim_node *n = v->node;
    psc_resources sys = {0}, transient = {0}, svc[SVC_COUNT], proto[SIM_P_COUNT];
    memset(svc, 0, sizeof svc);
    memset(proto, 0, sizeof proto);
    uint32_t n_slots = 0;
    for (size_t i = 0; i < v->n_conns; i++) {
        const view_conn *vc = &v->conns[i];
        if (vc->status == PSC_STATUS_CLOSED)
            continue;
        psc_resources *scope = vc->status == PSC_STATUS_OPENING ? &transient : &sys;
        if (vc->role == PSC_ROLE_INITIATOR)
            scope->conns_out++;
        else
            scope->conns_in++;
        scope->memory += CONN_MEMORY;
        /* QUIC connections share the listener's UDP socket */
        if (vc->transport == SIM_TR_TCP)
            scope->fds++;
        if (slot[vc->peer] == UINT32_MAX) {
            slot[vc->peer] = n_slots;
            slot_peer[n_slots] = vc->peer;
            memset(&per_peer[n_slots], 0, sizeof per_peer[n_slots]);
            n_slots++;
        }
        psc_resources *pr = &per_peer[slot[vc->peer]];
        if (vc->role == PSC_ROLE_INITIATOR)
            pr->conns_out++;
        else
            pr->conns_in++;
        pr->memory += CONN_MEMORY;
        for (size_t j = 0; j < vc->n_streams; j++) {
            const view_stream *vs = &v->streams[vc->first_stream + j];
            if (vs->status == PSC_STATUS_CLOSED)
                continue;
            count_stream(&sys, vs->role);
            count_stream(pr, vs->role);
            count_stream(&proto[vs->proto], vs->role);
            int s = service_of(vs->proto);
            if (s >= 0)
                count_stream(&svc[s], vs->role);
        }
    }
    transient.conns_out += v->n_dials;
    sys.fds += 3; /* listeners */
    sys.memory += 8u * MIB;

    uint64_t cap = at_least(512, 2u * (uint64_t)n->cfg.conns);
    psc_resources sys_limit = {cap, cap, 16 * cap, 16 * cap, 1024u * (uint64_t)MIB, 4096};
    psc_resources transient_limit = {64, 128, 256, 256, 32u * (uint64_t)MIB, 128};
    psc_resources svc_limit = {0, 0, 1024, 1024, 64u * (uint64_t)MIB, 0};
    psc_resources proto_limit = {0, 0, 2048, 2048, 128u * (uint64_t)MIB, 0};
    psc_resources peer_limit = {8, 8, 512, 512, 64u * (uint64_t)MIB, 0};

    psc_err e = add_scope(b, PSC_SCOPE_SYSTEM, NULL, &sys, &sys_limit);
    if (e == PSC_OK)
        e = add_scope(b, PSC_SCOPE_TRANSIENT, NULL, &transient, &transient_limit);
    for (int s = 0; e == PSC_OK && s < SVC_COUNT; s++)
        e = add_scope(b, PSC_SCOPE_SERVICE, service_names[s], &svc[s], &svc_limit);
    for (unsigned p = 0; e == PSC_OK && p < SIM_P_COUNT; p++)
        if (proto[p].streams_in || proto[p].streams_out)
            e = add_scope(b, PSC_SCOPE_PROTOCOL, sim_proto_names[p], &proto[p], &proto_limit);
    for (uint32_t i = 0; e == PSC_OK && i < n_slots; i++)
        e = add_scope(b, PSC_SCOPE_PEER, n->peers[slot_peer[i]].id, &per_peer[i], &peer_limit);
    return e;
}

psc_err demo_collect_rcmgr(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    demo_host *h = user;
    pthread_mutex_lock(&h->view_lock);
    demo_view *v;
    psc_err e = demo_host_view(h, ctx, DEMO_PROV_RCMGR, &v);
    if (e != PSC_OK) {
        pthread_mutex_unlock(&h->view_lock);
        return e;
    }
    const sim_node *n = v->node;
    size_t n_slots = v->n_conns ? v->n_conns : 1;
    uint32_t *slot = sim_alloc(n, (size_t)n->n_peers * sizeof *slot);
    uint32_t *slot_peer = sim_alloc(n, n_slots * sizeof *slot_peer);
    psc_resources *per_peer = sim_alloc(n, n_slots * sizeof *per_peer);
    if (slot && slot_peer && per_peer) {
        memset(slot, 0xff, (size_t)n->n_peers * sizeof *slot);
        e = build(v, b, slot, per_peer, slot_peer);
    } else {
        e = psc_collect_fail(ctx, "out of memory for per-peer scopes");
    }
    sim_free(n, slot);
    sim_free(n, slot_peer);
    sim_free(n, per_peer);
    pthread_mutex_unlock(&h->view_lock);
    return e;
}

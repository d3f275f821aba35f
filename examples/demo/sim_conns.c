/*
 * Connections: dials and their outcomes, inbound connections, upgrade,
 * churn and closing, relayed connections, relay reservations and hole
 * punching. Their streams and traffic are in sim_streams.c.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define EPHEMERAL_LO 32768u
#define EPHEMERAL_HI 60999u

/* ------------------------------------------------------------ lookup */

sim_conn *sim_conn_find(const sim_node *n, uint64_t id)
{
    /* ids are handed out in increasing order and the array keeps that order */
    size_t lo = 0, hi = n->n_conns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t v = n->conns[mid]->id;
        if (v == id)
            return n->conns[mid];
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t sim_conns_live(const sim_node *n)
{
    size_t k = 0;
    for (size_t i = 0; i < n->n_conns; i++)
        k += n->conns[i]->status != PSC_STATUS_CLOSED;
    return k;
}

/* ------------------------------------------------------- connections */

static sim_conn *conn_new(sim_node *n, uint32_t peer, psc_role role, uint8_t transport)
{
    if (!sim_grow(n, (void **)&n->conns, &n->cap_conns, sizeof *n->conns, n->n_conns + 1)) {
        n->nomem++;
        return NULL;
    }
    sim_conn *c = sim_alloc(n, sizeof *c);
    if (!c) {
        n->nomem++;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->id = n->next_conn_id++;
    c->peer = peer;
    c->status = PSC_STATUS_OPENING;
    c->role = role;
    c->transport = transport;
    c->open_ms = sim_node_now_ms(n);
    c->open_tick = n->tick;
    n->conns[n->n_conns++] = c;
    n->peers[peer].n_conns++;
    sim_peer_seen(n, peer);
    return c;
}

static void conn_announce(sim_node *n, sim_conn *c)
{
    sim_event ev = {.kind = SIM_EV_CONN_OPENING, .conn = c, .peer = &n->peers[c->peer]};
    sim_emit(n, &ev);
}

static void close_hop_stream(sim_node *n, const sim_conn *c)
{
    sim_conn *rc = c->relay_conn_id ? sim_conn_find(n, c->relay_conn_id) : NULL;
    sim_stream *hop = rc ? sim_stream_find(rc, c->hop_stream_id) : NULL;
    if (hop)
        sim_stream_close(n, rc, hop, "circuit closed");
}

static void conn_closed(sim_node *n, sim_conn *c, const char *reason)
{
    for (size_t i = 0; i < c->n_streams; i++)
        sim_stream_close(n, c, c->streams[i], "connection closed");
    close_hop_stream(n, c);
    c->status = PSC_STATUS_CLOSED;
    if (!c->close_reason)
        c->close_reason = reason;
    c->close_ms = sim_node_now_ms(n);
    c->close_tick = n->tick;
    c->close_seq = ++n->close_seq;
    n->peers[c->peer].n_conns--;
    sim_event ev = {.kind = SIM_EV_CONN_CLOSED, .conn = c, .peer = &n->peers[c->peer]};
    sim_emit(n, &ev);
}

static void conn_begin_close(sim_node *n, sim_conn *c, const char *reason);

/* Everything that rides on connection c (relayed connections, their hop
 * streams) goes down with it. */
static void close_dependents(sim_node *n, sim_conn *c)
{
    for (size_t i = 0; i < n->n_conns; i++) {
        sim_conn *d = n->conns[i];
        if (d->relay_conn_id != c->id)
            continue;
        if (d->status == PSC_STATUS_OPENING)
            conn_closed(n, d, "relay connection closed");
        else if (d->status == PSC_STATUS_ACTIVE)
            conn_begin_close(n, d, "relay connection closed");
        /* the relay connection is gone last, so that a relayed connection
         * never points at one that was already reported closed and forgotten */
        if (d->status == PSC_STATUS_CLOSING && d->due_tick > c->due_tick)
            c->due_tick = d->due_tick;
    }
}

static void conn_begin_close(sim_node *n, sim_conn *c, const char *reason)
{
    if (c->status != PSC_STATUS_ACTIVE)
        return;
    sim_peer *p = &n->peers[c->peer];
    c->status = PSC_STATUS_CLOSING;
    c->close_reason = reason;
    c->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 1, 3);
    for (size_t i = 0; i < c->n_streams; i++)
        sim_stream_close(n, c, c->streams[i], "connection closing");
    if (p->direct_conn_id == c->id)
        p->direct_conn_id = 0;
    if (--p->n_active == 0)
        sim_pubsub_peer_gone(n, c->peer);
    if (c->relay_conn_id) {
        n->relay.circuits_active--;
        close_hop_stream(n, c);
    }
    if (c->reservation) {
        c->reservation = false;
        for (uint32_t i = 0; i < n->n_reservations; i++) {
            if (n->reservations[i] == c->peer) {
                n->reservations[i] = n->reservations[--n->n_reservations];
                break;
            }
        }
        n->relay.reservations_active = n->n_reservations;
    }
    sim_event ev = {.kind = SIM_EV_CONN_CLOSING, .conn = c, .peer = p};
    sim_emit(n, &ev);
    close_dependents(n, c);
}

static void open_identify(sim_node *n, sim_conn *c)
{
    /* both sides ask who the other is */
    sim_stream *out = sim_stream_open(n, c, SIM_P_ID, PSC_ROLE_INITIATOR, 1);
    sim_stream *in = sim_stream_open(n, c, SIM_P_ID, PSC_ROLE_RESPONDER, (uint32_t)sim_rng_range(&n->rng_streams, 1, 2));
    n->identify.requests_out++;
    n->identify.requests_in++;
    if (sim_rng_chance(&n->rng_streams, 0.01))
        n->identify.errors++;
    uint64_t theirs = sim_rng_range(&n->rng_streams, 600, 2600);
    uint64_t ours = 900;
    if (out)
        sim_account(n, c, out, theirs, 40, 3);
    if (in)
        sim_account(n, c, in, 40, ours, 3);
}

static void conn_activate(sim_node *n, sim_conn *c)
{
    sim_peer *p = &n->peers[c->peer];
    c->status = PSC_STATUS_ACTIVE;
    c->upgraded_ms = sim_node_now_ms(n);
    p->n_active++;
    if (!c->relay_conn_id && !p->direct_conn_id)
        p->direct_conn_id = c->id;
    sim_peer_seen(n, c->peer);
    /* handshake bytes: security and muxer negotiation */
    sim_account(n, c, NULL, sim_rng_range(&n->rng_conns, 800, 1600), sim_rng_range(&n->rng_conns, 800, 1600), 4);

    sim_event ev = {.kind = SIM_EV_CONN_OPEN, .conn = c, .peer = p};
    sim_emit(n, &ev);
    if (!n->first_peer_seen) {
        n->first_peer_seen = true;
        sim_event fp = {.kind = SIM_EV_FIRST_PEER, .peer = p, .duration_ms = sim_ms_since(n, n->start_ms)};
        sim_emit(n, &fp);
    }

    open_identify(n, c);
    if (sim_peer_speaks(p, SIM_P_MESHSUB) && n->n_topics > 0) {
        sim_stream_open(n, c, SIM_P_MESHSUB, PSC_ROLE_INITIATOR, 0);
        sim_stream_open(n, c, SIM_P_MESHSUB, PSC_ROLE_RESPONDER, 0);
    }
    if (sim_peer_speaks(p, SIM_P_KAD))
        sim_dht_peer_connected(n, c->peer);
    if (p->relay && !c->relay_conn_id && n->n_reservations < SIM_MAX_RESERVATIONS) {
        bool have = false;
        for (uint32_t i = 0; i < n->n_reservations; i++)
            have |= n->reservations[i] == c->peer;
        if (!have) {
            n->reservations[n->n_reservations++] = c->peer;
            c->reservation = true;
            n->relay.reservations_active = n->n_reservations;
            n->relay.reservations_total++;
            /* our addresses changed: tell every connected peer */
            n->identify.pushes_out += sim_conns_live(n);
        }
    }
    if (c->relay_conn_id) {
        n->relay.circuits_active++;
        n->relay.circuits_total++;
        if (sim_peer_speaks(p, SIM_P_DCUTR) && sim_rng_chance(&n->rng_conns, 0.7))
            c->punch_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 5, 30);
    }
    if (!p->next_ping_tick || p->next_ping_tick < n->tick)
        p->next_ping_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 5, SIM_PING_EVERY_TICKS);
}

static const char *pick_close_reason(sim_node *n)
{
    double r = sim_rng_unit(&n->rng_conns);
    if (r < 0.35)
        return "remote closed";
    if (r < 0.55)
        return "idle timeout";
    if (r < 0.80)
        return "connection manager trim";
    if (r < 0.90)
        return "keepalive timeout";
    return "local close";
}

/* -------------------------------------------------------- new conns */

static bool peer_free(const sim_peer *p)
{
    return p->n_conns == 0 && !p->dialing;
}

/* A peer nobody is connected to, scanning from a random start so the
 * choice is uniform-ish yet costs one draw. */
static bool pick_peer(sim_node *n, bool nat, bool need_relay_conn, uint32_t *out)
{
    uint32_t start = (uint32_t)sim_rng_below(&n->rng_conns, n->n_peers);
    for (uint32_t k = 0; k < n->n_peers; k++) {
        uint32_t i = (start + k) % n->n_peers;
        const sim_peer *p = &n->peers[i];
        if (!peer_free(p) || p->nat != nat)
            continue;
        if (need_relay_conn && !n->peers[p->relay_peer].direct_conn_id)
            continue;
        *out = i;
        return true;
    }
    return false;
}

static void dial_start(sim_node *n, uint32_t peer)
{
    sim_peer *p = &n->peers[peer];
    if (sim_rng_chance(&n->rng_conns, 0.02)) {
        /* failed recently: the swarm refuses to dial again yet */
        n->dialer.backoff++;
        return;
    }
    if (!sim_grow(n, (void **)&n->dials, &n->cap_dials, sizeof *n->dials, n->n_dials + 1)) {
        n->nomem++;
        return;
    }
    sim_dial *d = &n->dials[n->n_dials++];
    memset(d, 0, sizeof *d);
    d->peer = peer;
    d->addr = (uint8_t)sim_rng_below(&n->rng_conns, p->n_addrs);
    d->start_ms = sim_node_now_ms(n);
    double r = sim_rng_unit(&n->rng_conns);
    if (r < 0.85) {
        d->outcome = SIM_DIAL_OK;
        d->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 1, 4);
    } else if (r < 0.93) {
        d->outcome = SIM_DIAL_ERROR;
        d->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 1, 3);
    } else if (r < 0.97) {
        d->outcome = SIM_DIAL_TIMEOUT;
        d->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 50, 100);
    } else {
        d->outcome = SIM_DIAL_CANCELED;
        d->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 1, 5);
    }
    p->dialing = true;
    sim_peer_seen(n, peer);
}

static const char *upgrade_failure(sim_node *n)
{
    return sim_rng_chance(&n->rng_conns, 0.7) ? "protocol negotiation failed" : "security handshake failed";
}

/* Security and muxer as negotiated for a new connection. */
static void negotiate(sim_node *n, sim_conn *c)
{
    if (c->transport == SIM_TR_QUIC) {
        c->security = 2; /* QUIC's built-in TLS 1.3 */
        c->muxer = 0;    /* QUIC has native streams */
    } else {
        c->security = sim_rng_chance(&n->rng_conns, 0.75) ? 0 : 1;
        c->muxer = sim_rng_chance(&n->rng_conns, 0.85) ? 1 : 2;
    }
    c->fail_upgrade = sim_rng_chance(&n->rng_conns, 0.04);
}

static void dial_finish(sim_node *n, const sim_dial *d)
{
    sim_peer *p = &n->peers[d->peer];
    p->dialing = false;
    switch (d->outcome) {
    case SIM_DIAL_ERROR:
        n->dialer.error++;
        return;
    case SIM_DIAL_TIMEOUT:
        n->dialer.timeout++;
        return;
    case SIM_DIAL_CANCELED:
        n->dialer.canceled++;
        return;
    default:
        break;
    }
    n->dialer.success++;
    const char *addr = p->addrs[d->addr];
    bool quic = strstr(addr, "/quic-v1") != NULL;
    sim_conn *c = conn_new(n, d->peer, PSC_ROLE_INITIATOR, quic ? SIM_TR_QUIC : SIM_TR_TCP);
    if (!c)
        return;
    snprintf(c->remote_addr, sizeof c->remote_addr, "%s", addr);
    if (quic)
        snprintf(c->local_addr, sizeof c->local_addr, "%s", n->listen_addrs[1]);
    else if (strncmp(addr, "/ip6/", 5) == 0)
        snprintf(c->local_addr, sizeof c->local_addr, "/ip6/2001:db8::10/tcp/%u",
                 (unsigned)sim_rng_range(&n->rng_conns, EPHEMERAL_LO, EPHEMERAL_HI));
    else
        snprintf(c->local_addr, sizeof c->local_addr, "/ip4/192.0.2.10/tcp/%u",
                 (unsigned)sim_rng_range(&n->rng_conns, EPHEMERAL_LO, EPHEMERAL_HI));
    negotiate(n, c);
    c->due_tick = n->tick + (quic ? 1u : (uint32_t)sim_rng_range(&n->rng_conns, 1, 3));
    conn_announce(n, c);
}

static void open_inbound(sim_node *n)
{
    uint32_t peer;
    if (!pick_peer(n, false, false, &peer))
        return;
    const sim_peer *p = &n->peers[peer];
    bool quic = p->n_addrs > 1 && strstr(p->addrs[1], "/quic-v1") && sim_rng_chance(&n->rng_conns, 0.4);
    sim_conn *c = conn_new(n, peer, PSC_ROLE_RESPONDER, quic ? SIM_TR_QUIC : SIM_TR_TCP);
    if (!c)
        return;
    char ip[32];
    sim_peer_ip4(n, peer, ip, sizeof ip);
    if (quic) {
        snprintf(c->remote_addr, sizeof c->remote_addr, "%s", p->addrs[1]);
        snprintf(c->local_addr, sizeof c->local_addr, "%s", n->listen_addrs[1]);
    } else {
        snprintf(c->remote_addr, sizeof c->remote_addr, "%s/tcp/%u", ip,
                 (unsigned)sim_rng_range(&n->rng_conns, EPHEMERAL_LO, EPHEMERAL_HI));
        snprintf(c->local_addr, sizeof c->local_addr, "%s", n->listen_addrs[0]);
    }
    negotiate(n, c);
    c->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 1, 3);
    conn_announce(n, c);
}

/* A connection through a relay: outbound to a NAT'd peer over its relay
 * (we open a hop stream on the relay), or inbound over one of our
 * reservations (the relay opens a stop stream to us). */
static void open_relayed(sim_node *n)
{
    bool inbound = n->n_reservations > 0 && sim_rng_chance(&n->rng_conns, 0.4);
    uint32_t peer;
    if (!pick_peer(n, true, !inbound, &peer))
        return;
    uint32_t relay = inbound ? n->reservations[sim_rng_below(&n->rng_conns, n->n_reservations)]
                             : n->peers[peer].relay_peer;
    sim_conn *rc = sim_conn_find(n, n->peers[relay].direct_conn_id);
    if (!rc || rc->status != PSC_STATUS_ACTIVE)
        return;
    /* the relay circuit needs a stream slot on the relay connection */
    sim_stream *hop = sim_stream_open(n, rc, inbound ? SIM_P_RELAY_STOP : SIM_P_RELAY_HOP,
                                  inbound ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR, 0);
    if (!hop)
        return;
    sim_conn *c = conn_new(n, peer, inbound ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR, SIM_TR_CIRCUIT);
    if (!c) {
        sim_stream_close(n, rc, hop, "circuit failed");
        return;
    }
    c->relay_conn_id = rc->id;
    c->hop_stream_id = hop->id;
    const sim_peer *rp = &n->peers[relay];
    sim_circuit_addr(rp, c->remote_addr, sizeof c->remote_addr);
    snprintf(c->local_addr, sizeof c->local_addr, "%s", rc->local_addr);
    c->security = 0;
    c->muxer = 1;
    c->fail_upgrade = sim_rng_chance(&n->rng_conns, 0.05);
    c->due_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 2, 6);
    conn_announce(n, c);
}

static void hole_punch(sim_node *n, sim_conn *relayed)
{
    relayed->punch_tick = 0;
    n->relay.hole_punch_attempts++;
    if (!sim_rng_chance(&n->rng_conns, 0.6)) {
        n->relay.hole_punch_failures++;
        return;
    }
    n->relay.hole_punch_successes++;
    sim_conn *c = conn_new(n, relayed->peer, relayed->role, SIM_TR_QUIC);
    if (!c)
        return;
    char ip[32];
    sim_peer_ip4(n, relayed->peer, ip, sizeof ip);
    /* the address the peer's NAT mapped for us, as seen by dcutr */
    snprintf(c->remote_addr, sizeof c->remote_addr, "%s/udp/%u/quic-v1", ip,
             (unsigned)sim_rng_range(&n->rng_conns, EPHEMERAL_LO, EPHEMERAL_HI));
    snprintf(c->local_addr, sizeof c->local_addr, "%s", n->listen_addrs[1]);
    negotiate(n, c);
    c->fail_upgrade = false;
    c->punched = true;
    c->due_tick = n->tick + 1;
    conn_announce(n, c);
    /* the relayed connection is no longer needed once the direct one works */
    relayed->retire_tick = n->tick + (uint32_t)sim_rng_range(&n->rng_conns, 3, 10);
    relayed->retire_reason = "migrated to direct connection";
}

static void active_conn_tick(sim_node *n, sim_conn *c)
{
    sim_streams_tick(n, c);
    if (c->punch_tick && n->tick >= c->punch_tick)
        hole_punch(n, c);
    if (c->retire_tick && n->tick >= c->retire_tick)
        conn_begin_close(n, c, c->retire_reason);
}

/* ------------------------------------------------------------- step */

static void dials_step(sim_node *n)
{
    size_t w = 0;
    for (size_t i = 0; i < n->n_dials; i++) {
        sim_dial d = n->dials[i];
        if (n->tick < d.due_tick) {
            n->dials[w++] = d;
            continue;
        }
        dial_finish(n, &d);
    }
    n->n_dials = w;
    n->dialer.in_flight = (uint32_t)n->n_dials;
}

static void churn(sim_node *n)
{
    n->churn_acc += n->cfg.churn * (double)n->cfg.tick_ms / 60000.0;
    while (n->churn_acc >= 1.0) {
        n->churn_acc -= 1.0;
        size_t active = 0;
        for (size_t i = 0; i < n->n_conns; i++)
            active += n->conns[i]->status == PSC_STATUS_ACTIVE;
        if (!active) {
            n->churn_acc = 0;
            break;
        }
        size_t pick = (size_t)sim_rng_below(&n->rng_conns, active);
        for (size_t i = 0; i < n->n_conns; i++) {
            sim_conn *c = n->conns[i];
            if (c->status == PSC_STATUS_ACTIVE && pick-- == 0) {
                conn_begin_close(n, c, pick_close_reason(n));
                break;
            }
        }
    }
}

static void top_up(sim_node *n)
{
    size_t have = n->n_dials;
    for (size_t i = 0; i < n->n_conns; i++) {
        psc_status st = n->conns[i]->status;
        have += st == PSC_STATUS_OPENING || st == PSC_STATUS_ACTIVE;
    }
    if (have >= n->cfg.conns)
        return;
    /* ramp up over the first seconds instead of all at once, like a node
     * that is still discovering peers */
    size_t budget = n->cfg.conns / 8 ? n->cfg.conns / 8 : 1;
    size_t missing = n->cfg.conns - have;
    if (missing > budget)
        missing = budget;
    for (size_t k = 0; k < missing; k++) {
        double r = sim_rng_unit(&n->rng_conns);
        if (r < 0.12)
            open_relayed(n);
        else if (r < 0.5)
            open_inbound(n);
        else {
            uint32_t peer;
            if (pick_peer(n, false, false, &peer))
                dial_start(n, peer);
        }
    }
}

static void bootstrap(sim_node *n)
{
    uint32_t budget = n->cfg.conns;
    for (uint32_t i = 0; i < n->n_peers && budget; i++) {
        if (!n->peers[i].bootstrap)
            continue;
        dial_start(n, i);
        budget--;
    }
    /* a relay early, for a reservation */
    for (uint32_t i = 0; i < n->n_peers && budget; i++) {
        if (n->peers[i].relay && peer_free(&n->peers[i])) {
            dial_start(n, i);
            break;
        }
    }
    n->dialer.in_flight = (uint32_t)n->n_dials;
}

void sim_conns_step(sim_node *n)
{
    if (n->tick == 1)
        bootstrap(n);
    dials_step(n);
    /* New connections may be appended while iterating: go by index and
     * only over those that existed at the start of the tick. */
    size_t count = n->n_conns;
    for (size_t i = 0; i < count && i < n->n_conns; i++) {
        sim_conn *c = n->conns[i];
        switch (c->status) {
        case PSC_STATUS_OPENING:
            if (n->tick < c->due_tick)
                break;
            if (c->fail_upgrade)
                conn_closed(n, c, upgrade_failure(n));
            else
                conn_activate(n, c);
            break;
        case PSC_STATUS_ACTIVE:
            active_conn_tick(n, c);
            break;
        case PSC_STATUS_CLOSING:
            if (n->tick >= c->due_tick)
                conn_closed(n, c, c->close_reason);
            break;
        default:
            break;
        }
    }
    churn(n);
    top_up(n);
}

void sim_conns_free(sim_node *n)
{
    for (size_t i = 0; i < n->n_conns; i++) {
        sim_conn *c = n->conns[i];
        for (size_t j = 0; j < c->n_streams; j++)
            sim_free(n, c->streams[j]);
        sim_free(n, c->streams);
        sim_free(n, c);
    }
    sim_free(n, n->conns);
    sim_free(n, n->dials);
    n->conns = NULL;
    n->dials = NULL;
    n->n_conns = n->n_dials = 0;
}

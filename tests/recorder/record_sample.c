/*
 * record-sample PATH: a small deterministic host recorded by hand and
 * written to PATH, for the checks that read it with other programs
 * (peerscope-dump, the independent Node.js decoder). Public API only.
 *
 * On a fixed clock (from 1700000000000 ms, one second per state), state k
 * (0..9) has connections 1..k+1, connection i (opened for state i-1)
 * having received 1000 * i bytes in each second of the k-i+2 it has been
 * counted; before each state come a
 * PeerConnected for the new connection and a NewBlock of height k. A full
 * state every 3rd, deltas in between.
 */
#include <stdio.h>
#include <string.h>

#include "peerscope/peerscope.h"

#define STATES 10

typedef struct host {
    uint64_t wall_ms;
    int conns;
    int tick;
} host;

static uint64_t wall(void *user)
{
    return ((host *)user)->wall_ms;
}

static uint64_t mono(void *user)
{
    return ((host *)user)->wall_ms * 1000000u;
}

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    host *h = user;
    for (int i = 1; i <= h->conns; i++) {
        uint8_t id[4] = {'c', 0, 0, (uint8_t)i};
        char peer[64], addr[64];
        snprintf(peer, sizeof peer, "12D3KooWPeer%02d", i);
        snprintf(addr, sizeof addr, "/ip4/192.0.2.%d/tcp/4001", i);
        psc_connection c = PSC_CONNECTION_INIT;
        c.id = id;
        c.id_len = sizeof id;
        c.peer_id = peer;
        c.remote_addr = addr;
        c.transport_name = "tcp";
        c.traffic.in.bytes = (uint64_t)(1000 * i * (h->tick - i + 2));
        psc_err e = psc_swarm_add_connection(b, &c, NULL);
        if (e)
            return e;
    }
    return PSC_OK;
}

static int fail(const char *what, psc_err e)
{
    fprintf(stderr, "record-sample: %s: %s\n", what, psc_strerror(e));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: record-sample PATH\n");
        return 2;
    }
    host h = {.wall_ms = 1700000000000ull};
    psc_clock clk = {wall, mono, &h};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.runtime.implementation = "record-sample";
    cfg.runtime.version = "1.0";
    cfg.runtime.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    psc_introspector *intro = NULL;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e)
        return fail("introspector", e);
    static const psc_swarm_provider vt = {.struct_size = sizeof vt, .name = "swarm", .collect = swarm_collect};
    const psc_event_type *connected = NULL, *block = NULL;
    psc_recorder *rec = NULL;
    psc_recorder_config rc = PSC_RECORDER_CONFIG_INIT;
    rc.interval_ms = PSC_RECORDER_MANUAL;
    rc.full_every = 3;
    if ((e = psc_register_swarm(intro, &vt, &h, NULL)) || (e = psc_event_declare_well_known(intro)) ||
        (e = psc_event_lookup(intro, "PeerConnected", &connected)) || (e = psc_event_lookup(intro, "NewBlock", &block)) ||
        (e = psc_recorder_new(intro, &rc, &rec))) {
        psc_introspector_free(intro);
        return fail("setup", e);
    }
    for (int k = 0; k < STATES && !e; k++) {
        h.wall_ms += 1000;
        h.tick = k;
        h.conns = k + 1;
        char peer[64], addr[64], hash[32];
        snprintf(peer, sizeof peer, "12D3KooWPeer%02d", k + 1);
        snprintf(addr, sizeof addr, "/ip4/192.0.2.%d/tcp/4001", k + 1);
        snprintf(hash, sizeof hash, "0x%04x", k);
        psc_value cv[] = {PSC_V_STR(peer), PSC_V_STR("tcp"), PSC_V_STR("outbound"), PSC_V_STR(addr)};
        psc_value bv[] = {PSC_V_NUM(k), PSC_V_STR(hash), PSC_V_STR(peer), PSC_V_NUM(1024)};
        if ((e = psc_emit(intro, connected, cv, 4)) || (e = psc_emit(intro, block, bv, 4)))
            break;
        e = psc_recorder_sample(rec);
    }
    if (!e)
        e = psc_recorder_write(rec, argv[1]);
    psc_recorder_stats st = {.struct_size = sizeof st};
    if (!e)
        e = psc_recorder_stats_get(rec, &st);
    psc_recorder_free(rec);
    psc_introspector_free(intro);
    if (e)
        return fail("recording", e);
    printf("states %zu (%zu whole, %zu deltas), events %zu\n", st.full_states + st.delta_states, st.full_states,
           st.delta_states, st.events);
    return 0;
}

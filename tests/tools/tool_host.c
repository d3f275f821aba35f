/*
 * tool-host: a small, deterministic peerscope host for the tests of
 * peerscope-dump and peerscope-top. It serves the real WebSocket endpoint
 * and reports:
 *   - N connections (--conns): connection i goes to the peer whose Ed25519
 *     seed is all bytes i+1, remote address /ip4/10.0.0.<i+1>/tcp/<4001+i>;
 *     its bytes in grow with i (the last connection has the most) and its
 *     bytes out shrink with i (the first has the most), so sorting by IN
 *     and by OUT give opposite orders; i%3+1 streams each;
 *   - a DHT, pubsub topics, a peerstore and resource scopes;
 *   - an event "TestTick" {n NUMBER, peer PEERID, at TIME, addr MULTIADDR}
 *     every 100 ms, and a well-known PeerConnected every tenth tick.
 * The local peer id comes from the all-zero seed:
 * 12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN.
 *
 * Prints "ws://127.0.0.1:PORT/introspect" on stdout, then runs until
 * SIGINT/SIGTERM or --duration. Usage:
 *   tool-host [--port N] [--token T] [--conns N] [--duration S]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerscope/peerscope.h"
#include "peerscope/ws.h"

#define MAX_CONNS 64
#define TICK_MS 100

typedef struct host {
    size_t n_conns;
    char peers[MAX_CONNS][64];
    char addrs[MAX_CONNS][48];
    uint64_t start_ms;
    psc_introspector *intro;
} host;

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int peer_from_seed(uint8_t fill, char *out, size_t len)
{
    uint8_t seed[32], pk[32], sk[64];
    memset(seed, fill, sizeof seed);
    if (psc_ed25519_keypair_from_seed(seed, pk, sk) || psc_peerid_from_ed25519(pk, out, len))
        return -1;
    return 0;
}

/* Seconds since start, so that counters grow and rates are not zero. */
static uint64_t elapsed_s(const host *h, uint64_t now)
{
    return now > h->start_ms ? (now - h->start_ms) / 1000u : 0;
}

static psc_err swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    host *h = user;
    uint64_t now = psc_collect_now_ms(ctx);
    uint64_t t = elapsed_s(h, now);
    static const char *const protos[] = {"/ipfs/kad/1.0.0", "/meshsub/1.1.0", "/ipfs/bitswap/1.2.0"};
    for (size_t i = 0; i < h->n_conns; i++) {
        char id[32];
        snprintf(id, sizeof id, "conn-%zu", i);
        psc_connection c = PSC_CONNECTION_INIT;
        c.id = (const uint8_t *)id;
        c.id_len = strlen(id);
        c.peer_id = h->peers[i];
        c.status = PSC_STATUS_ACTIVE;
        c.role = i % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        c.transport_name = i % 2 ? "quic-v1" : "tcp";
        c.local_addr = "/ip4/127.0.0.1/tcp/4001";
        c.remote_addr = h->addrs[i];
        c.open_ts = h->start_ms - 60000u * (i + 1);
        c.traffic.in.bytes = 100000u * (i + 1) + 1000u * (i + 1) * t;
        c.traffic.out.bytes = 100000u * (h->n_conns - i) + 500u * (h->n_conns - i) * t;
        c.traffic.in.rate = 1000u * (i + 1);
        c.traffic.out.rate = 500u * (h->n_conns - i);
        c.latency_ns = 1000000u * (10 + 7 * i);
        c.multiplexer = "/yamux/1.0.0";
        c.encryption = "/noise";
        psc_conn_builder *cb;
        psc_err err = psc_swarm_add_connection(b, &c, &cb);
        if (err)
            return err;
        for (size_t s = 0; s < i % 3 + 1; s++) {
            char sid[32];
            snprintf(sid, sizeof sid, "s%zu", s);
            psc_stream st = PSC_STREAM_INIT;
            st.id = (const uint8_t *)sid;
            st.id_len = strlen(sid);
            st.protocol = protos[s];
            st.role = s % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
            st.status = PSC_STATUS_ACTIVE;
            st.open_ts = c.open_ts;
            st.traffic.in.bytes = 1000u * (s + 1);
            st.traffic.out.bytes = 500u * (s + 1);
            if ((err = psc_conn_add_stream(cb, &st)))
                return err;
        }
    }
    return PSC_OK;
}

static psc_err dht(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    host *h = user;
    (void)ctx;
    psc_dht d = PSC_DHT_INIT;
    d.name = "wan";
    d.protocol = "/ipfs/kad/1.0.0";
    d.enabled = true;
    d.start_ts = h->start_ms;
    d.k = 20;
    d.alpha = 3;
    d.disjoint_paths = 10;
    d.beta = 3;
    d.incoming.success = 5;
    d.outgoing.success = 7;
    psc_err err = psc_dht_set_info(b, &d);
    for (size_t i = 0; !err && i < h->n_conns; i++) {
        psc_dht_peer p = PSC_DHT_PEER_INIT;
        p.peer_id = h->peers[i];
        p.status = i == 0 ? PSC_DHT_PEER_MISSING : PSC_DHT_PEER_ACTIVE;
        p.age_in_bucket_ms = 1000u * (uint32_t)(i + 1);
        err = psc_dht_add_peer(b, (uint32_t)(i % 3), &p);
    }
    return err;
}

static psc_err pubsub(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    host *h = user;
    (void)ctx;
    psc_err err = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    static const char *const names[] = {"blocks", "transactions"};
    for (size_t i = 0; !err && i < 2; i++) {
        psc_topic t = PSC_TOPIC_INIT;
        t.name = names[i];
        t.subscribed = i == 0;
        t.peer_count = (uint32_t)h->n_conns;
        t.messages.received = 100 * (i + 1);
        t.messages.sent = 50 * (i + 1);
        psc_topic_builder *tb;
        err = psc_pubsub_add_topic(b, &t, &tb);
        for (size_t k = 0; !err && k < h->n_conns && k < 3; k++) {
            psc_mesh_peer mp = PSC_MESH_PEER_INIT;
            mp.peer_id = h->peers[k];
            mp.score = 1.5;
            err = psc_topic_add_mesh_peer(tb, &mp);
        }
    }
    return err;
}

static psc_err peerstore(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    host *h = user;
    uint64_t now = psc_collect_now_ms(ctx);
    psc_err err = PSC_OK;
    for (size_t i = 0; !err && i < h->n_conns; i++) {
        const char *addrs[1] = {h->addrs[i]};
        const char *protos[2] = {"/ipfs/kad/1.0.0", "/meshsub/1.1.0"};
        psc_peer_info p = PSC_PEER_INFO_INIT;
        p.peer_id = h->peers[i];
        p.addrs = addrs;
        p.n_addrs = 1;
        p.protocols = protos;
        p.n_protocols = 2;
        p.agent_version = "tool-host-peer/1.0";
        p.protocol_version = "ipfs/0.1.0";
        p.first_seen_ts = h->start_ms;
        p.last_seen_ts = now;
        err = psc_peerstore_add_peer(b, &p);
    }
    return err;
}

static psc_err rcmgr(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    host *h = user;
    (void)ctx;
    psc_resource_scope s = PSC_RESOURCE_SCOPE_INIT;
    s.kind = PSC_SCOPE_SYSTEM;
    s.usage.conns_in = h->n_conns / 2;
    s.usage.conns_out = h->n_conns - h->n_conns / 2;
    s.limit.conns_in = 8;
    s.limit.conns_out = 8;
    s.usage.memory = 48u << 20;
    s.limit.memory = 64u << 20;
    psc_err err = psc_rcmgr_add_scope(b, &s);
    for (size_t i = 0; !err && i < h->n_conns; i++) {
        psc_resource_scope p = PSC_RESOURCE_SCOPE_INIT;
        p.kind = PSC_SCOPE_PEER;
        p.name = h->peers[i];
        p.usage.conns_in = 1;
        p.limit.conns_in = 4;
        p.limit.conns_out = 4;
        err = psc_rcmgr_add_scope(b, &p);
    }
    return err;
}

static const psc_prop_def tick_props[] = {
    {"n", PSC_PROP_NUMBER, false},
    {"peer", PSC_PROP_PEERID, false},
    {"at", PSC_PROP_TIME, false},
    {"addr", PSC_PROP_MULTIADDR, false},
};
static const psc_event_def tick_def = {"TestTick", tick_props, 4};

static int usage(void)
{
    fprintf(stderr, "usage: tool-host [--port N] [--token T] [--conns N] [--duration S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned long port = 0, conns = 6;
    double duration = 0;
    const char *token = NULL;
    /* every option takes a value: they come in pairs */
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!v)
            return usage();
        if (strcmp(argv[i], "--port") == 0)
            port = strtoul(v, &end, 10);
        else if (strcmp(argv[i], "--conns") == 0)
            conns = strtoul(v, &end, 10);
        else if (strcmp(argv[i], "--duration") == 0)
            duration = strtod(v, &end);
        else if (strcmp(argv[i], "--token") == 0)
            token = v, end = (char *)"";
        else
            return usage();
        if (!end || *end || port > 65535 || conns > MAX_CONNS)
            return usage();
    }

    /* signals are taken with sigtimedwait: block them before any thread starts */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    static host h;
    h.n_conns = conns;
    h.start_ms = wall_ms();
    for (size_t i = 0; i < conns; i++) {
        if (peer_from_seed((uint8_t)(i + 1), h.peers[i], sizeof h.peers[i]))
            return 1;
        snprintf(h.addrs[i], sizeof h.addrs[i], "/ip4/10.0.0.%zu/tcp/%zu", i + 1, 4001 + i);
    }
    char self[64];
    if (peer_from_seed(0, self, sizeof self))
        return 1;

    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "tool-host";
    cfg.runtime.version = "1.0";
    cfg.runtime.peer_id = self;
    const psc_swarm_provider sw = {sizeof sw, "swarm", swarm, NULL};
    const psc_dht_provider dh = {sizeof dh, "dht", dht, NULL};
    const psc_pubsub_provider ps = {sizeof ps, "pubsub", pubsub, NULL};
    const psc_peerstore_provider pst = {sizeof pst, "peerstore", peerstore, NULL};
    const psc_rcmgr_provider rm = {sizeof rm, "rcmgr", rcmgr, NULL};
    const psc_event_type *tick = NULL, *connected = NULL;
    psc_endpoint *ep = NULL;
    if (psc_introspector_new(&cfg, &h.intro) || psc_event_declare_well_known(h.intro) ||
        psc_event_declare(h.intro, &tick_def, &tick) || psc_event_lookup(h.intro, "PeerConnected", &connected) ||
        psc_register_swarm(h.intro, &sw, &h, NULL) || psc_register_dht(h.intro, &dh, &h, NULL) ||
        psc_register_pubsub(h.intro, &ps, &h, NULL) || psc_register_peerstore(h.intro, &pst, &h, NULL) ||
        psc_register_rcmgr(h.intro, &rm, &h, NULL)) {
        fprintf(stderr, "tool-host: cannot set up the introspector\n");
        return 1;
    }
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.port = (uint16_t)port;
    wc.access_token = token;
    uint16_t bound = 0;
    psc_err err = psc_ws_endpoint_new(h.intro, &wc, &ep);
    if (!err)
        err = psc_endpoint_start(ep);
    if (!err)
        err = psc_ws_port(ep, &bound);
    if (err) {
        fprintf(stderr, "tool-host: cannot start the endpoint on port %lu: %s\n", port, psc_strerror(err));
        psc_endpoint_free(ep);
        psc_introspector_free(h.intro);
        return 1;
    }
    printf("ws://127.0.0.1:%u/introspect\n", (unsigned)bound);
    fflush(stdout);

    uint64_t deadline = duration > 0 ? h.start_ms + (uint64_t)(duration * 1000.0) : UINT64_MAX;
    for (uint64_t n = 1;; n++) {
        struct timespec ts = {0, TICK_MS * 1000000L};
        int sig = sigtimedwait(&stop, NULL, &ts);
        if (sig > 0 || wall_ms() >= deadline)
            break;
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            break;
        size_t i = h.n_conns ? n % h.n_conns : 0;
        psc_value v[4] = {PSC_V_NUM(n), PSC_V_STR(h.n_conns ? h.peers[i] : self), PSC_V_TIME(wall_ms()),
                          PSC_V_STR(h.n_conns ? h.addrs[i] : "/ip4/127.0.0.1/tcp/1")};
        psc_emit(h.intro, tick, v, 4);
        if (n % 10 == 0 && h.n_conns) {
            psc_value pc[4] = {PSC_V_STR(h.peers[i]), PSC_V_STR("tcp"), PSC_V_STR("outbound"),
                               PSC_V_STR(h.addrs[i])};
            psc_emit(h.intro, connected, pc, 4);
        }
    }
    psc_endpoint_free(ep);
    psc_introspector_free(h.intro);
    return 0;
}

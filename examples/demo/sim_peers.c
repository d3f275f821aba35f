#include <stdio.h>
#include <string.h>

#include "sim.h"

const char *const sim_proto_names[SIM_P_COUNT] = {
    [SIM_P_ID] = "/ipfs/id/1.0.0",
    [SIM_P_ID_PUSH] = "/ipfs/id/push/1.0.0",
    [SIM_P_PING] = "/ipfs/ping/1.0.0",
    [SIM_P_KAD] = "/ipfs/kad/1.0.0",
    [SIM_P_MESHSUB] = "/meshsub/1.1.0",
    [SIM_P_BITSWAP] = "/ipfs/bitswap/1.2.0",
    [SIM_P_RELAY_HOP] = "/libp2p/circuit/relay/0.2.0/hop",
    [SIM_P_RELAY_STOP] = "/libp2p/circuit/relay/0.2.0/stop",
    [SIM_P_DCUTR] = "/libp2p/dcutr",
    [SIM_P_AUTONAT] = "/libp2p/autonat/1.0.0",
};

const char *const sim_transport_names[SIM_TR_COUNT] = {"tcp", "quic-v1", "p2p-circuit"};
const char *const sim_security_names[3] = {"/noise", "/tls/1.0.0", "/tls/1.0.0"};
const char *const sim_muxer_names[3] = {NULL, "/yamux/1.0.0", "/mplex/6.7.0"};

const char *const sim_agents[] = {
    "go-libp2p/0.33.0",
    "kubo/0.27.0/",
    "rust-libp2p/0.53.2",
    "Lighthouse/v5.1.3-3058b96/x86_64-linux",
    "Prysm/v5.0.3/a2e4d6b2",
    "teku/v24.3.1/linux-x86_64/-eclipseadoptium-openjdk64bitservervm-java-21",
    "nimbus",
    "js-libp2p/1.2.4 UserAgent=v20.11.1",
    "lodestar/v1.17.0/ab3c7ca",
};
const size_t sim_agent_count = sizeof sim_agents / sizeof sim_agents[0];

static bool agent_is_ipfs(uint8_t agent)
{
    return agent == 0 || agent == 1 || agent == 2 || agent == 7;
}

const char *sim_agent_protocol_version(uint8_t agent)
{
    return agent_is_ipfs(agent) ? "ipfs/0.1.0" : "eth2/1.0.0";
}

/* Documentation ranges only (RFC 5737, RFC 3849): nothing here is routable. */
static const char *const doc_nets[3] = {"192.0.2", "198.51.100", "203.0.113"};

static unsigned peer_host(const sim_node *n, uint32_t i)
{
    return 1u + (unsigned)(sim_mix64(n->cfg.seed ^ ((uint64_t)i << 20)) % 254u);
}

void sim_peer_ip4(const sim_node *n, uint32_t peer, char *buf, size_t len)
{
    snprintf(buf, len, "/ip4/%s.%u", doc_nets[peer % 3], peer_host(n, peer));
}

static void write_direct_addrs(sim_node *n, sim_peer *p, uint32_t i, sim_rng *rng)
{
    char ip[32];
    sim_peer_ip4(n, i, ip, sizeof ip);
    unsigned host = peer_host(n, i);
    unsigned port = sim_rng_chance(rng, 0.7) ? 4001u : (unsigned)sim_rng_range(rng, 1024, 65535);
    p->n_addrs = 0;
    snprintf(p->addrs[p->n_addrs++], SIM_ADDR_MAX, "%s/tcp/%u", ip, port);
    if (sim_rng_chance(rng, 0.6))
        snprintf(p->addrs[p->n_addrs++], SIM_ADDR_MAX, "%s/udp/%u/quic-v1", ip, port);
    if (sim_rng_chance(rng, 0.2))
        snprintf(p->addrs[p->n_addrs++], SIM_ADDR_MAX, "/ip6/2001:db8:%x::%x/tcp/%u", (unsigned)(i & 0xffffu),
                 host, port);
}

static psc_err make_identity(sim_rng *rng, char id[PSC_PEERID_STR_MAX], uint8_t bin[PSC_PEERID_ED25519_BIN_LEN],
                             uint8_t key[KAD_KEY_LEN])
{
    uint8_t seed[PSC_ED25519_SEED_LEN], pk[PSC_ED25519_PUBKEY_LEN], sk[PSC_ED25519_SECKEY_LEN];
    sim_rng_bytes(rng, seed, sizeof seed);
    psc_err e = psc_ed25519_keypair_from_seed(seed, pk, sk);
    if (e == PSC_OK)
        e = psc_peerid_from_ed25519(pk, id, PSC_PEERID_STR_MAX);
    if (e == PSC_OK)
        e = psc_peerid_bin_from_ed25519(pk, bin);
    if (e == PSC_OK && kad_key(bin, PSC_PEERID_ED25519_BIN_LEN, key) != 0)
        e = PSC_ERR_STATE;
    /* the secret key is never used: a simulated peer signs nothing */
    memset(sk, 0, sizeof sk);
    return e;
}

psc_err sim_peers_init(sim_node *n)
{
    sim_rng idr, propr;
    sim_rng_seed(&idr, n->cfg.seed, "identity-local");
    psc_err e = make_identity(&idr, n->local_id, n->local_bin, n->local_key);
    if (e != PSC_OK)
        return e;
    snprintf(n->listen_addrs[0], SIM_ADDR_MAX, "/ip4/192.0.2.10/tcp/4001");
    snprintf(n->listen_addrs[1], SIM_ADDR_MAX, "/ip4/192.0.2.10/udp/4001/quic-v1");
    snprintf(n->listen_addrs[2], SIM_ADDR_MAX, "/ip6/2001:db8::10/tcp/4001");

    uint32_t np = n->cfg.peers;
    n->peers = sim_alloc(n, (size_t)np * sizeof *n->peers);
    if (!n->peers)
        return PSC_ERR_NOMEM;
    memset(n->peers, 0, (size_t)np * sizeof *n->peers);
    n->n_peers = np;

    /* Identities come from their own stream so that a peer's id depends
     * only on the seed and its index (--peers 50 is a prefix of --peers 500). */
    sim_rng_seed(&idr, n->cfg.seed, "identity");
    sim_rng_seed(&propr, n->cfg.seed, "peers");
    uint32_t n_boot = np >= 8 ? 4 : 1;
    uint32_t n_relays = 0;
    for (uint32_t i = 0; i < np; i++) {
        sim_peer *p = &n->peers[i];
        e = make_identity(&idr, p->id, p->bin, p->key);
        if (e != PSC_OK)
            return e;
        p->bootstrap = i < n_boot;
        /* the first relay comes right after the bootstrap peers, so that
         * every universe of 8 peers or more has one */
        p->relay = np >= 8 && (i == n_boot || (i > n_boot && sim_rng_chance(&propr, 0.06)));
        n_relays += p->relay;
        p->agent = (uint8_t)sim_rng_below(&propr, sim_agent_count);
        p->rtt_us = 5000u + (uint32_t)(sim_rng_unit(&propr) * sim_rng_unit(&propr) * 245000.0);
        uint32_t protos = (1u << SIM_P_ID) | (1u << SIM_P_ID_PUSH) | (1u << SIM_P_PING) | (1u << SIM_P_MESHSUB);
        if (p->bootstrap || sim_rng_chance(&propr, 0.9))
            protos |= 1u << SIM_P_KAD;
        if (agent_is_ipfs(p->agent) && sim_rng_chance(&propr, 0.8))
            protos |= 1u << SIM_P_BITSWAP;
        if (p->relay)
            protos |= 1u << SIM_P_RELAY_HOP;
        if (sim_rng_chance(&propr, 0.7))
            protos |= 1u << SIM_P_RELAY_STOP;
        if (sim_rng_chance(&propr, 0.6))
            protos |= 1u << SIM_P_DCUTR;
        if (sim_rng_chance(&propr, 0.5))
            protos |= 1u << SIM_P_AUTONAT;
        p->protos = protos;
        p->nat = !p->bootstrap && !p->relay && sim_rng_chance(&propr, 0.12);
        write_direct_addrs(n, p, i, &propr);
    }

    /* NAT'd peers advertise circuit addresses through one relay each. */
    for (uint32_t i = 0; i < np; i++) {
        sim_peer *p = &n->peers[i];
        if (!p->nat)
            continue;
        if (n_relays == 0) {
            p->nat = false;
            continue;
        }
        uint32_t pick = (uint32_t)sim_rng_below(&propr, n_relays);
        for (uint32_t r = 0; r < np; r++) {
            if (n->peers[r].relay && pick-- == 0) {
                p->relay_peer = r;
                break;
            }
        }
        sim_circuit_addr(&n->peers[p->relay_peer], p->addrs[0], SIM_ADDR_MAX);
        p->n_addrs = 1;
        p->protos |= (1u << SIM_P_RELAY_STOP) | (1u << SIM_P_DCUTR);
    }
    return PSC_OK;
}

void sim_circuit_addr(const sim_peer *relay, char *buf, size_t len)
{
    /* a relay's first address is its short /ip4/.../tcp/... one; the
     * precisions only bound what the compiler must assume */
    snprintf(buf, len, "%.48s/p2p/%.60s/p2p-circuit", relay->addrs[0], relay->id);
}

void sim_peer_seen(sim_node *n, uint32_t peer)
{
    sim_peer *p = &n->peers[peer];
    uint64_t now = sim_node_now_ms(n);
    if (!p->known) {
        p->known = true;
        p->first_seen_ms = now;
        p->latency_ewma_ns = (uint64_t)p->rtt_us * 1000u;
    }
    p->last_seen_ms = now;
}

/*
 * Gossipsub: topics with a mesh kept between D_lo and D_hi connected
 * peers by a heartbeat, fanout peers for topics we only publish to, peer
 * scores, and message/byte counters per topic.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define HEARTBEAT_TICKS 10u

typedef struct topic_profile {
    double msgs_per_sec;
    uint32_t size_lo, size_hi;
    double publish_per_sec;
} topic_profile;

/* Traffic shapes: blocks are rare and big, transactions small and many. */
static const topic_profile profiles[] = {
    {1.0 / 12.0, 40000, 120000, 0.0}, /* beacon blocks */
    {8.0, 150, 900, 0.3},             /* transactions */
    {0.2, 2000, 20000, 0.0},          /* generic blocks */
    {20.0, 300, 500, 0.5},            /* aggregates */
    {1.0, 100, 4000, 0.05},           /* anything else */
};

static const struct {
    const char *name;
    uint8_t profile;
} known_topics[] = {
    {"/eth2/beacon_block", 0},
    {"/chain/tx", 1},
    {"blocks", 2},
    {"/eth2/beacon_aggregate_and_proof", 3},
    {"/fil/msgs/mainnet", 1},
    {"/ipfs/pubsub/announce", 4},
    {"/chain/headers", 2},
    {"/eth2/voluntary_exit", 4},
};

psc_err sim_pubsub_init(sim_node *n)
{
    uint32_t nt = n->cfg.topics;
    if (nt) {
        n->topics = sim_alloc(n, (size_t)nt * sizeof *n->topics);
        if (!n->topics)
            return PSC_ERR_NOMEM;
        memset(n->topics, 0, (size_t)nt * sizeof *n->topics);
    }
    /* connected peers, then as many candidates at most */
    n->ps_scratch = sim_alloc(n, 2 * (size_t)n->n_peers * sizeof *n->ps_scratch);
    n->ps_stamp = sim_alloc(n, (size_t)n->n_peers * sizeof *n->ps_stamp);
    if (!n->ps_scratch || !n->ps_stamp)
        return PSC_ERR_NOMEM;
    memset(n->ps_stamp, 0, (size_t)n->n_peers * sizeof *n->ps_stamp);
    n->n_topics = nt;
    size_t nk = sizeof known_topics / sizeof known_topics[0];
    for (uint32_t t = 0; t < nt; t++) {
        sim_topic *tp = &n->topics[t];
        if (t < nk) {
            snprintf(tp->name, sizeof tp->name, "%s", known_topics[t].name);
            tp->profile = known_topics[t].profile;
        } else {
            snprintf(tp->name, sizeof tp->name, "/demo/topic/%u", (unsigned)t);
            tp->profile = 4;
        }
        /* every fifth topic is one we publish to without subscribing */
        tp->subscribed = t % 5 != 4;
    }
    return PSC_OK;
}

void sim_pubsub_free(sim_node *n)
{
    sim_free(n, n->topics);
    sim_free(n, n->ps_scratch);
    sim_free(n, n->ps_stamp);
    n->topics = NULL;
    n->ps_scratch = n->ps_stamp = NULL;
    n->n_topics = 0;
}

bool sim_pubsub_peer_on_topic(const sim_node *n, uint32_t peer, uint32_t t)
{
    if (!sim_peer_speaks(&n->peers[peer], SIM_P_MESHSUB))
        return false;
    uint64_t h = sim_mix64(n->cfg.seed ^ ((uint64_t)peer * 0x9e3779b97f4a7c15u) ^ ((uint64_t)(t + 1) << 40));
    return h % 100 < 65;
}

static int mesh_index(const sim_topic *tp, uint32_t peer)
{
    for (int i = 0; i < tp->n_mesh; i++)
        if (tp->mesh[i].peer == peer)
            return i;
    return -1;
}

static void mesh_remove(sim_node *n, sim_topic *tp, int i)
{
    n->peers[tp->mesh[i].peer].mesh_topics--;
    memmove(&tp->mesh[i], &tp->mesh[i + 1], (size_t)(tp->n_mesh - i - 1) * sizeof tp->mesh[0]);
    tp->n_mesh--;
}

void sim_pubsub_peer_gone(sim_node *n, uint32_t peer)
{
    for (uint32_t t = 0; t < n->n_topics; t++) {
        sim_topic *tp = &n->topics[t];
        int i = mesh_index(tp, peer);
        if (i >= 0)
            mesh_remove(n, tp, i);
        for (uint8_t f = 0; f < tp->n_fanout; f++) {
            if (tp->fanout[f] == peer) {
                tp->fanout[f] = tp->fanout[--tp->n_fanout];
                break;
            }
        }
    }
}

/* Distinct peers with an ACTIVE connection, in connection order. */
static uint32_t connected_peers(sim_node *n, uint32_t *out)
{
    uint32_t k = 0;
    if (++n->ps_gen == 0) {
        memset(n->ps_stamp, 0, (size_t)n->n_peers * sizeof *n->ps_stamp);
        n->ps_gen = 1;
    }
    for (size_t i = 0; i < n->n_conns; i++) {
        const sim_conn *c = n->conns[i];
        if (c->status != PSC_STATUS_ACTIVE || n->ps_stamp[c->peer] == n->ps_gen)
            continue;
        n->ps_stamp[c->peer] = n->ps_gen;
        out[k++] = c->peer;
    }
    return k;
}

static void update_scores(sim_node *n, sim_topic *tp)
{
    sim_rng *r = &n->rng_pubsub;
    for (int i = 0; i < tp->n_mesh; i++) {
        sim_mesh_member *m = &tp->mesh[i];
        double secs = (double)(n->tick - m->since_tick) * n->cfg.tick_ms / 1000.0;
        double p1 = secs * 0.05 < 5.0 ? secs * 0.05 : 5.0;   /* time in mesh */
        double p2 = 3.0 * sim_rng_unit(r);                   /* first deliveries */
        double target = p1 + p2;
        if (sim_rng_chance(r, 0.01))
            target -= 40.0;                                  /* invalid message */
        m->score = m->score * 0.8 + target * 0.2;
    }
    /* negative scores are pruned, as gossipsub does */
    for (int i = tp->n_mesh - 1; i >= 0; i--)
        if (tp->mesh[i].score < 0)
            mesh_remove(n, tp, i);
}

static void heartbeat(sim_node *n, const uint32_t *conn_peers, uint32_t n_conn_peers)
{
    sim_rng *r = &n->rng_pubsub;
    uint32_t *cand = n->ps_scratch + n_conn_peers;
    for (uint32_t t = 0; t < n->n_topics; t++) {
        sim_topic *tp = &n->topics[t];
        uint32_t nc = 0;
        tp->peer_count = 0;
        for (uint32_t i = 0; i < n_conn_peers; i++) {
            uint32_t p = conn_peers[i];
            if (!sim_pubsub_peer_on_topic(n, p, t))
                continue;
            tp->peer_count++;
            bool taken = tp->subscribed ? mesh_index(tp, p) >= 0 : false;
            for (uint8_t f = 0; !tp->subscribed && f < tp->n_fanout; f++)
                taken |= tp->fanout[f] == p;
            if (!taken)
                cand[nc++] = p;
        }
        if (tp->subscribed) {
            update_scores(n, tp);
            if (tp->n_mesh > SIM_D_LO && sim_rng_chance(r, 0.05)) {
                /* opportunistic churn: drop the lowest-scoring member */
                int worst = 0;
                for (int i = 1; i < tp->n_mesh; i++)
                    if (tp->mesh[i].score < tp->mesh[worst].score)
                        worst = i;
                mesh_remove(n, tp, worst);
            }
            if (tp->n_mesh < SIM_D_LO) {
                while (tp->n_mesh < SIM_D && nc > 0) {
                    uint32_t k = (uint32_t)sim_rng_below(r, nc);
                    uint32_t p = cand[k];
                    cand[k] = cand[--nc];
                    sim_mesh_member *m = &tp->mesh[tp->n_mesh++];
                    m->peer = p;
                    m->since_tick = n->tick;
                    m->score = 0;
                    n->peers[p].mesh_topics++;
                }
            }
        } else {
            while (tp->n_fanout < SIM_D && nc > 0) {
                uint32_t k = (uint32_t)sim_rng_below(r, nc);
                tp->fanout[tp->n_fanout++] = cand[k];
                cand[k] = cand[--nc];
            }
        }
    }
}

static void topic_traffic(sim_node *n, sim_topic *tp)
{
    sim_rng *r = &n->rng_pubsub;
    const topic_profile *pf = &profiles[tp->profile];
    double dt = (double)n->cfg.tick_ms / 1000.0;
    if (tp->subscribed && tp->n_mesh > 0) {
        tp->msg_acc += pf->msgs_per_sec * dt;
        while (tp->msg_acc >= 1.0) {
            tp->msg_acc -= 1.0;
            uint64_t size = sim_rng_range(r, pf->size_lo, pf->size_hi);
            uint64_t dups = sim_rng_below(r, (uint64_t)tp->n_mesh / 2 + 1);
            tp->msgs.received += 1 + dups;
            tp->bytes.received += size * (1 + dups);
            tp->msgs.duplicate += dups;
            tp->bytes.duplicate += size * dups;
            if (sim_rng_chance(r, 0.005)) {
                tp->msgs.rejected++;
                tp->bytes.rejected += size;
                continue;
            }
            uint64_t copies = tp->n_mesh > 1 ? (uint64_t)tp->n_mesh - 1 : 0;
            tp->msgs.forwarded++;
            tp->bytes.forwarded += size;
            tp->msgs.sent += copies;
            tp->bytes.sent += size * copies;
        }
    }
    uint32_t fan = tp->subscribed ? tp->n_mesh : tp->n_fanout;
    double pub_rate = tp->subscribed ? pf->publish_per_sec : 0.2;
    if (fan > 0 && sim_rng_chance(r, pub_rate * dt)) {
        uint64_t size = sim_rng_range(r, pf->size_lo, pf->size_hi);
        tp->msgs.published++;
        tp->bytes.published += size;
        tp->msgs.sent += fan;
        tp->bytes.sent += size * fan;
    }
}

void sim_pubsub_step(sim_node *n)
{
    if (!n->n_topics)
        return;
    if (n->tick % HEARTBEAT_TICKS == 0) {
        uint32_t k = connected_peers(n, n->ps_scratch);
        heartbeat(n, n->ps_scratch, k);
    }
    for (uint32_t t = 0; t < n->n_topics; t++)
        topic_traffic(n, &n->topics[t]);
}

void sim_pubsub_sample_message(sim_node *n)
{
    sim_rng *r = &n->rng_pubsub;
    uint32_t with_mesh = 0;
    for (uint32_t t = 0; t < n->n_topics; t++)
        with_mesh += n->topics[t].n_mesh > 0;
    if (!with_mesh)
        return;
    uint32_t pick = (uint32_t)sim_rng_below(r, with_mesh);
    sim_topic *tp = NULL;
    for (uint32_t t = 0; t < n->n_topics; t++) {
        if (n->topics[t].n_mesh > 0 && pick-- == 0) {
            tp = &n->topics[t];
            break;
        }
    }
    const topic_profile *pf = &profiles[tp->profile];
    uint32_t from = tp->mesh[sim_rng_below(r, tp->n_mesh)].peer;
    uint8_t raw[10];
    char msg_id[2 * sizeof raw + 1];
    sim_rng_bytes(r, raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(msg_id + 2 * i, 3, "%02x", raw[i]);
    sim_event ev = {.kind = SIM_EV_MESSAGE,
                    .topic = tp,
                    .peer = &n->peers[from],
                    .size = sim_rng_range(r, pf->size_lo, pf->size_hi),
                    .hash = msg_id};
    sim_emit(n, &ev);
}

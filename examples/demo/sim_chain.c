/*
 * The node's own application: a blockchain client that syncs once it has
 * a few peers and then follows the chain head, block by block.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

void sim_chain_init(sim_node *n)
{
    n->height = 8000000u + sim_rng_below(&n->rng_chain, 2000000u);
    sim_rng_bytes(&n->rng_chain, n->head, sizeof n->head);
}

static void head_hex(const sim_node *n, char out[67])
{
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < sizeof n->head; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", n->head[i]);
}

/* Who relayed the block to us: a mesh peer of a block topic if we have
 * one, else any connected peer. */
static const sim_peer *block_source(sim_node *n)
{
    for (uint32_t t = 0; t < n->n_topics; t++) {
        const sim_topic *tp = &n->topics[t];
        if (tp->n_mesh && (strstr(tp->name, "block") != NULL))
            return &n->peers[tp->mesh[sim_rng_below(&n->rng_chain, tp->n_mesh)].peer];
    }
    size_t active = 0;
    for (size_t i = 0; i < n->n_conns; i++)
        active += n->conns[i]->status == PSC_STATUS_ACTIVE;
    if (!active)
        return NULL;
    size_t pick = (size_t)sim_rng_below(&n->rng_chain, active);
    for (size_t i = 0; i < n->n_conns; i++)
        if (n->conns[i]->status == PSC_STATUS_ACTIVE && pick-- == 0)
            return &n->peers[n->conns[i]->peer];
    return NULL;
}

void sim_chain_step(sim_node *n)
{
    sim_rng *r = &n->rng_chain;
    char hex[67];
    if (n->mempool < 50000)
        n->mempool += sim_rng_below(r, 7);

    if (!n->syncing && !n->synced) {
        size_t active = 0;
        for (size_t i = 0; i < n->n_conns; i++)
            active += n->conns[i]->status == PSC_STATUS_ACTIVE;
        size_t need = n->cfg.conns < 3 ? n->cfg.conns : 3;
        if (active > 0 && active >= need) {
            n->syncing = true;
            n->sync_target = n->height + sim_rng_range(r, 300, 900);
            n->sync_start_ms = sim_node_now_ms(n);
            sim_event ev = {.kind = SIM_EV_SYNC_STARTED, .height = n->height, .target = n->sync_target};
            sim_emit(n, &ev);
        }
        return;
    }
    if (n->syncing) {
        n->height += sim_rng_range(r, 15, 40);
        if (n->height > n->sync_target)
            n->height = n->sync_target;
        sim_rng_bytes(r, n->head, sizeof n->head);
        if (n->height == n->sync_target) {
            n->syncing = false;
            n->synced = true;
            n->next_block_tick = n->tick + (uint32_t)sim_rng_range(r, 20, 60);
            sim_event ev = {.kind = SIM_EV_SYNC_COMPLETED,
                            .height = n->height,
                            .duration_ms = sim_ms_since(n, n->sync_start_ms)};
            sim_emit(n, &ev);
        }
        return;
    }
    if (n->tick >= n->next_block_tick) {
        n->height++;
        n->sync_target = n->height;
        sim_rng_bytes(r, n->head, sizeof n->head);
        n->next_block_tick = n->tick + (uint32_t)sim_rng_range(r, 40, 80);
        uint64_t included = sim_rng_range(r, 100, 300);
        n->mempool -= included < n->mempool ? included : n->mempool;
        head_hex(n, hex);
        sim_event ev = {.kind = SIM_EV_NEW_BLOCK,
                        .height = n->height,
                        .hash = hex,
                        .peer = block_source(n),
                        .size = sim_rng_range(r, 40000, 120000)};
        sim_emit(n, &ev);
    }
}

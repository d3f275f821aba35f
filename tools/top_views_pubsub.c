/* View 4: pubsub topics. */
#include <stdio.h>

#include "top_views.h"

enum { P_TOPIC, P_SUB, P_PEERS, P_MESH, P_FANOUT, P_RECV, P_SENT, P_PUB, P_REJ, P_DUP, P_BIN, P_BOUT, P_N };

static const top_col cols[P_N] = {
    [P_TOPIC] = {"TOPIC", 10, 40, false, 0, false},
    [P_SUB] = {"SUB", 3, 3, false, 0, true},
    [P_PEERS] = {"PEERS", 5, 6, true, 0, false},
    [P_MESH] = {"MESH", 4, 5, true, 0, false},
    [P_FANOUT] = {"FANOUT", 6, 6, true, 3, false},
    [P_RECV] = {"MSGS IN", 7, 9, true, 0, false},
    [P_SENT] = {"MSGS OUT", 8, 9, true, 0, false},
    [P_PUB] = {"PUBLISHED", 9, 9, true, 4, false},
    [P_REJ] = {"REJECTED", 8, 8, true, 2, false},
    [P_DUP] = {"DUPS", 4, 8, true, 4, false},
    [P_BIN] = {"BYTES IN", 8, 10, true, 1, false},
    [P_BOUT] = {"BYTES OUT", 9, 10, true, 1, false},
};

static void count(top_table *t, int col, uint64_t v)
{
    table_setf(t, col, (double)v, "%llu", (unsigned long long)v);
}

void top_view_pubsub(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    (void)ctx;
    table_reset(t, cols, P_N);
    const Peerscope__State *st = top_model_state(m);
    const Peerscope__PubSub *ps = st && st->subsystems ? st->subsystems->pubsub : NULL;
    if (!ps) {
        snprintf(summary, len, st ? "this node reports no pubsub" : "waiting for the first state");
        return;
    }
    size_t subscribed = 0;
    for (size_t i = 0; i < ps->n_topics; i++) {
        const Peerscope__PubSub__Topic *tp = ps->topics[i];
        if (!table_add_row(t))
            break;
        char buf[32];
        table_set(t, P_TOPIC, tp->name && *tp->name ? tp->name : "-", 0);
        table_set(t, P_SUB, tp->subscribed ? "yes" : "", tp->subscribed);
        subscribed += tp->subscribed ? 1 : 0;
        table_setf(t, P_PEERS, tp->peer_count, "%u", (unsigned)tp->peer_count);
        table_setf(t, P_MESH, (double)tp->n_mesh_peers, "%zu", tp->n_mesh_peers);
        table_setf(t, P_FANOUT, (double)tp->n_fanout_peers, "%zu", tp->n_fanout_peers);
        const Peerscope__PubSubCounters *mc = tp->messages, *bc = tp->bytes;
        count(t, P_RECV, mc ? mc->received : 0);
        count(t, P_SENT, mc ? mc->sent : 0);
        count(t, P_PUB, mc ? mc->published : 0);
        count(t, P_REJ, mc ? mc->rejected : 0);
        count(t, P_DUP, mc ? mc->duplicate : 0);
        fmt_bytes(buf, sizeof buf, bc ? bc->received : 0);
        table_set(t, P_BIN, buf, bc ? (double)bc->received : 0);
        fmt_bytes(buf, sizeof buf, bc ? bc->sent : 0);
        table_set(t, P_BOUT, buf, bc ? (double)bc->sent : 0);
        if (!tp->subscribed)
            table_set_attr(t, SCR_DIM);
    }
    snprintf(summary, len, "%s %s | %zu topics, %zu subscribed", ps->router && *ps->router ? ps->router : "pubsub",
             ps->protocol ? ps->protocol : "", ps->n_topics, subscribed);
}

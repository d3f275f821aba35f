/* View 5: the peerstore. */
#include <stdio.h>
#include <string.h>

#include "top_views.h"

enum { E_PEER, E_CONN, E_AGENT, E_PVER, E_ADDRS, E_PROTOS, E_LAT, E_SEEN, E_FIRST, E_TAGS, E_N };

static const top_col cols[E_N] = {
    [E_PEER] = {"PEER", 16, 18, false, 0, false},
    [E_CONN] = {"CONN", 4, 4, false, 0, true},
    [E_AGENT] = {"AGENT", 8, 28, false, 0, false},
    [E_PVER] = {"PROTO VER", 8, 14, false, 5, false},
    [E_ADDRS] = {"ADDRS", 5, 5, true, 3, false},
    [E_PROTOS] = {"PROTOS", 6, 6, true, 3, false},
    [E_LAT] = {"LATENCY", 7, 8, true, 0, false},
    [E_SEEN] = {"SEEN", 5, 7, true, 0, false},
    [E_FIRST] = {"FIRST", 5, 7, true, 4, false},
    [E_TAGS] = {"TAGS", 4, 40, false, 6, false},
};

/* Whether an open connection to peer exists in the state. */
static bool connected(const Peerscope__State *st, const char *peer)
{
    const Peerscope__Subsystems *ss = st->subsystems;
    for (size_t i = 0; ss && peer && *peer && i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (c->status != PEERSCOPE__STATUS__CLOSED && c->status != PEERSCOPE__STATUS__ERROR && c->peer_id &&
            strcmp(c->peer_id, peer) == 0)
            return true;
    }
    return false;
}

void top_view_peers(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    table_reset(t, cols, E_N);
    const Peerscope__State *st = top_model_state(m);
    const Peerscope__Peerstore *ps = st && st->subsystems ? st->subsystems->peerstore : NULL;
    if (!ps) {
        snprintf(summary, len, st ? "this node reports no peerstore" : "waiting for the first state");
        return;
    }
    size_t n_conn = 0;
    for (size_t i = 0; i < ps->n_peers; i++) {
        const Peerscope__Peerstore__Peer *p = ps->peers[i];
        if (!table_add_row(t))
            break;
        char buf[160];
        fmt_peer(buf, sizeof buf, p->peer_id, 16, ctx->utf8);
        table_set(t, E_PEER, buf, 0);
        table_set_search(t, p->peer_id);
        bool conn = connected(st, p->peer_id);
        n_conn += conn ? 1 : 0;
        table_set(t, E_CONN, conn ? "yes" : "", conn);
        table_set(t, E_AGENT, p->agent_version && *p->agent_version ? p->agent_version : "-", 0);
        table_set(t, E_PVER, p->protocol_version && *p->protocol_version ? p->protocol_version : "-", 0);
        table_setf(t, E_ADDRS, (double)p->n_multiaddrs, "%zu", p->n_multiaddrs);
        table_setf(t, E_PROTOS, (double)p->n_protocols, "%zu", p->n_protocols);
        fmt_ns(buf, sizeof buf, p->latency_ewma_ns);
        table_set(t, E_LAT, buf, (double)p->latency_ewma_ns);
        fmt_age(buf, sizeof buf, p->last_seen_ts, ctx->wall_ms);
        table_set(t, E_SEEN, buf, p->last_seen_ts ? (double)ctx->wall_ms - (double)p->last_seen_ts : 1e300);
        fmt_age(buf, sizeof buf, p->first_seen_ts, ctx->wall_ms);
        table_set(t, E_FIRST, buf, p->first_seen_ts ? (double)ctx->wall_ms - (double)p->first_seen_ts : 1e300);
        size_t o = 0;
        buf[0] = 0;
        for (size_t k = 0; k < p->n_tags && o < sizeof buf; k++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s=%lld", k ? "," : "", p->tags[k]->name,
                                  (long long)p->tags[k]->value);
        table_set(t, E_TAGS, buf, (double)p->n_tags);
        if (!conn)
            table_set_attr(t, SCR_DIM);
    }
    snprintf(summary, len, "%zu peers known, %zu connected", ps->n_peers, n_conn);
}

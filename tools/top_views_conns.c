/* View 1: connections. */
#include <stdio.h>
#include <string.h>

#include "top_views.h"

enum { C_PEER, C_ADDR, C_DIR, C_TRANSPORT, C_STREAMS, C_IN, C_OUT, C_RIN, C_ROUT, C_LAT, C_AGE, C_STATUS, C_N };

static const top_col cols[C_N] = {
    [C_PEER] = {"PEER", 16, 18, false, 0, false},
    [C_ADDR] = {"REMOTE ADDR", 16, 42, false, 0, false},
    [C_DIR] = {"DIR", 3, 3, false, 0, true},
    [C_TRANSPORT] = {"TRANSPORT", 4, 12, false, 5, false},
    [C_STREAMS] = {"STRMS", 5, 6, true, 0, false},
    [C_IN] = {"IN", 7, 9, true, 0, false},
    [C_OUT] = {"OUT", 7, 9, true, 0, false},
    [C_RIN] = {"RATE IN", 9, 11, true, 2, false},
    [C_ROUT] = {"RATE OUT", 9, 11, true, 2, false},
    [C_LAT] = {"LATENCY", 6, 8, true, 3, false},
    [C_AGE] = {"AGE", 5, 7, true, 4, false},
    [C_STATUS] = {"STATUS", 6, 8, false, 6, true},
};

typedef struct tcount {
    const char *name;
    size_t n;
} tcount;

static uint64_t cum(const Peerscope__Traffic *t, bool in)
{
    const Peerscope__DataGauge *g = t ? (in ? t->traffic_in : t->traffic_out) : NULL;
    return g ? g->cum_bytes : 0;
}

void top_view_conns(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    table_reset(t, cols, C_N);
    const Peerscope__State *st = top_model_state(m);
    if (!st) {
        snprintf(summary, len, "waiting for the first state");
        return;
    }
    /* connections per transport, for the summary */
    tcount tr[8];
    size_t ntr = 0;
    for (size_t i = 0; i < m->n_conns; i++) {
        const Peerscope__Connection *c = st->subsystems->connections[i];
        const top_conn_derived *d = &m->conns[i];
        if (!table_add_row(t))
            break;
        char buf[96];
        fmt_peer(buf, sizeof buf, c->peer_id, 16, ctx->utf8);
        table_set(t, C_PEER, buf, 0);
        const char *addr = c->endpoints && c->endpoints->dst_multiaddr ? c->endpoints->dst_multiaddr : "";
        table_set(t, C_ADDR, *addr ? addr : "-", 0);
        table_set(t, C_DIR, fmt_role_dir((int)c->role), c->role);
        const char *tname = c->transport_name && *c->transport_name ? c->transport_name : NULL;
        char hex[20];
        if (!tname) { /* 2020 hosts only give the transport's id */
            fmt_hex(hex, sizeof hex, c->transport_id.data, c->transport_id.len < 4 ? c->transport_id.len : 4);
            tname = *hex ? hex : "-";
        }
        table_set(t, C_TRANSPORT, tname, 0);
        table_setf(t, C_STREAMS, d->streams, "%u", (unsigned)d->streams);
        uint64_t bin = cum(c->traffic, true), bout = cum(c->traffic, false);
        fmt_bytes(buf, sizeof buf, bin);
        table_set(t, C_IN, buf, (double)bin);
        fmt_bytes(buf, sizeof buf, bout);
        table_set(t, C_OUT, buf, (double)bout);
        fmt_rate(buf, sizeof buf, d->rate_in);
        table_set(t, C_RIN, buf, d->rate_in);
        fmt_rate(buf, sizeof buf, d->rate_out);
        table_set(t, C_ROUT, buf, d->rate_out);
        fmt_ns(buf, sizeof buf, c->latency_ns);
        table_set(t, C_LAT, buf, (double)c->latency_ns);
        uint64_t open_ts = c->timeline ? c->timeline->open_ts : 0;
        fmt_age(buf, sizeof buf, open_ts, ctx->wall_ms);
        table_set(t, C_AGE, buf, open_ts ? (double)(ctx->wall_ms - (open_ts < ctx->wall_ms ? open_ts : ctx->wall_ms)) : -1);
        table_set(t, C_STATUS, fmt_status((int)c->status), c->status);
        snprintf(buf, sizeof buf, "%s %s", c->peer_id ? c->peer_id : "", c->close_reason ? c->close_reason : "");
        table_set_search(t, buf);
        switch (c->status) {
        case PEERSCOPE__STATUS__CLOSED: table_set_attr(t, SCR_DIM); break;
        case PEERSCOPE__STATUS__ERROR: table_set_attr(t, SCR_RED); break;
        case PEERSCOPE__STATUS__OPENING:
        case PEERSCOPE__STATUS__CLOSING: table_set_attr(t, SCR_YELLOW); break;
        default: break;
        }
        size_t k = 0;
        while (k < ntr && strcmp(tr[k].name, tname) != 0)
            k++;
        if (k < ntr)
            tr[k].n++;
        else if (ntr < sizeof tr / sizeof tr[0] && tname != hex)
            tr[ntr++] = (tcount){c->transport_name, 1};
    }
    size_t o = (size_t)snprintf(summary, len, "%zu open, %zu closed", m->conns_open, m->conns_closed);
    for (size_t k = 0; k < ntr && o < len; k++)
        o += (size_t)snprintf(summary + o, len - o, "%s %s %zu", k ? "," : " |", tr[k].name, tr[k].n);
}

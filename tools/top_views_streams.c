/* View 2: streams grouped by protocol. */
#include <stdio.h>
#include <string.h>

#include "top_views.h"

enum { S_PROTO, S_COUNT, S_INB, S_OUTB, S_CONNS, S_BIN, S_BOUT, S_RIN, S_ROUT, S_N };

static const top_col cols[S_N] = {
    [S_PROTO] = {"PROTOCOL", 12, 48, false, 0, false},
    [S_COUNT] = {"STREAMS", 7, 8, true, 0, false},
    [S_INB] = {"INBOUND", 7, 8, true, 3, false},
    [S_OUTB] = {"OUTBOUND", 8, 8, true, 3, false},
    [S_CONNS] = {"CONNS", 5, 6, true, 2, false},
    [S_BIN] = {"BYTES IN", 8, 10, true, 0, false},
    [S_BOUT] = {"BYTES OUT", 9, 10, true, 0, false},
    [S_RIN] = {"RATE IN", 8, 11, true, 1, false},
    [S_ROUT] = {"RATE OUT", 8, 11, true, 1, false},
};

/* Protocols beyond this many are summed under "(other)": the view needs no allocation. */
#define MAX_PROTOS 128

typedef struct proto_sum {
    const char *name;
    size_t streams, inbound, outbound, conns;
    const void *last_conn; /* to count each connection once */
    uint64_t bin, bout;
    double rin, rout;
} proto_sum;

static proto_sum *find(proto_sum *p, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(p[i].name, name) == 0)
            return &p[i];
    if (*n >= MAX_PROTOS) {
        /* the spare slot, made once, takes every protocol that does not fit */
        if (*n == MAX_PROTOS) {
            memset(&p[MAX_PROTOS], 0, sizeof p[MAX_PROTOS]);
            p[MAX_PROTOS].name = "(other)";
            (*n)++;
        }
        return &p[MAX_PROTOS];
    }
    memset(&p[*n], 0, sizeof p[*n]);
    p[*n].name = name;
    return &p[(*n)++];
}

void top_view_streams(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    (void)ctx;
    table_reset(t, cols, S_N);
    const Peerscope__State *st = top_model_state(m);
    if (!st) {
        snprintf(summary, len, "waiting for the first state");
        return;
    }
    proto_sum p[MAX_PROTOS + 1];
    size_t np = 0, listed = 0;
    for (size_t i = 0; i < m->n_conns; i++) {
        const Peerscope__Connection *c = st->subsystems->connections[i];
        if (!c->streams)
            continue;
        for (size_t j = 0; j < c->streams->n_streams; j++) {
            const Peerscope__Stream *s = c->streams->streams[j];
            if (s->status == PEERSCOPE__STATUS__CLOSED || s->status == PEERSCOPE__STATUS__ERROR)
                continue;
            proto_sum *ps = find(p, &np, s->protocol && *s->protocol ? s->protocol : "(unknown)");
            listed++;
            ps->streams++;
            if (s->role == PEERSCOPE__ROLE__RESPONDER)
                ps->inbound++;
            else
                ps->outbound++;
            if (ps->last_conn != c) {
                ps->conns++;
                ps->last_conn = c;
            }
            if (s->traffic && s->traffic->traffic_in) {
                ps->bin += s->traffic->traffic_in->cum_bytes;
                ps->rin += (double)s->traffic->traffic_in->inst_bw;
            }
            if (s->traffic && s->traffic->traffic_out) {
                ps->bout += s->traffic->traffic_out->cum_bytes;
                ps->rout += (double)s->traffic->traffic_out->inst_bw;
            }
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (!table_add_row(t))
            break;
        char buf[32];
        table_set(t, S_PROTO, p[i].name, 0);
        table_setf(t, S_COUNT, (double)p[i].streams, "%zu", p[i].streams);
        table_setf(t, S_INB, (double)p[i].inbound, "%zu", p[i].inbound);
        table_setf(t, S_OUTB, (double)p[i].outbound, "%zu", p[i].outbound);
        table_setf(t, S_CONNS, (double)p[i].conns, "%zu", p[i].conns);
        fmt_bytes(buf, sizeof buf, p[i].bin);
        table_set(t, S_BIN, buf, (double)p[i].bin);
        fmt_bytes(buf, sizeof buf, p[i].bout);
        table_set(t, S_BOUT, buf, (double)p[i].bout);
        fmt_rate(buf, sizeof buf, p[i].rin);
        table_set(t, S_RIN, buf, p[i].rin);
        fmt_rate(buf, sizeof buf, p[i].rout);
        table_set(t, S_ROUT, buf, p[i].rout);
    }
    if (listed == 0 && m->streams > 0)
        snprintf(summary, len, "%zu open streams; the host reports counts only, no stream details", m->streams);
    else
        snprintf(summary, len, "%zu open streams over %zu protocols", listed, np);
}

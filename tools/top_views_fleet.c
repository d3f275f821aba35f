/*
 * View 9: peerscope-hub's fleet table (ServerMessage.fleet), one row per
 * node, each derived duration (Fleet.Node.milestones) its own column;
 * Enter opens the selected node as a node tab (top_keys.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "top_alerts.h"
#include "top_views.h"

enum { F_NAME, F_STATE, F_SINCE, F_PEER, F_IMPL, F_PEERS, F_CONNS, F_STREAMS, F_IN, F_OUT, F_ALERTS, F_FIXED };
enum { F_LSEQ, F_DROP, F_RECON, F_ERROR, F_TAIL };

/* Milestone columns beyond these are left out (TABLE_MAX_COLS). */
#define F_MAX_MS (TABLE_MAX_COLS - F_FIXED - F_TAIL)

static const top_col head_cols[F_FIXED] = {
    [F_NAME] = {"NODE", 8, 20, false, 0, false},
    [F_STATE] = {"STATE", 5, 5, false, 0, true},
    [F_SINCE] = {"SINCE", 5, 8, true, 5, false},
    [F_PEER] = {"PEER", 14, 14, false, 6, false},
    [F_IMPL] = {"IMPL", 10, 22, false, 7, false},
    [F_PEERS] = {"PEERS", 5, 6, true, 0, false},
    [F_CONNS] = {"CONNS", 5, 6, true, 3, false},
    [F_STREAMS] = {"STRMS", 5, 7, true, 4, false},
    [F_IN] = {"IN", 10, 11, true, 0, false},
    [F_OUT] = {"OUT", 10, 11, true, 2, false},
    [F_ALERTS] = {"ALERTS", 6, 9, true, 0, false},
};
static const top_col tail_cols[F_TAIL] = {
    [F_LSEQ] = {"LAST SEQ", 4, 10, true, 8, false},
    [F_DROP] = {"DROP", 4, 8, true, 9, false},
    [F_RECON] = {"RECON", 5, 6, true, 9, false},
    [F_ERROR] = {"ERROR", 5, 0, false, 10, false},
};

/* A milestone's column title, short: "first_peer" -> "FIRST PEER", "peers_8" -> "8 PEERS", "sync_completed" -> "SYNC". */
static void ms_title(char *out, size_t len, const char *name)
{
    static const char *const known[][2] = {
        {"identity", "IDENTITY"},   {"first_listen", "LISTEN"}, {"first_peer", "FIRST PEER"},
        {"sync_started", "SYNC START"}, {"sync_completed", "SYNC"},
    };
    unsigned n;
    char tail;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i][0]) == 0) {
            snprintf(out, len, "%s", known[i][1]);
            return;
        }
    }
    if (sscanf(name, "peers_%u%c", &n, &tail) == 1)
        snprintf(out, len, "%u PEERS", n);
    else {
        size_t i = 0;
        for (; name[i] && i + 1 < len; i++)
            out[i] = name[i] == '_' ? ' ' : (char)toupper((unsigned char)name[i]);
        out[i] = 0;
    }
}

/* The union of milestone names over the nodes, in order of first appearance (at most F_MAX_MS). */
static size_t ms_names(const Peerscope__Fleet *f, const char **names)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_nodes; i++) {
        const Peerscope__Fleet__Node *nd = f->nodes[i];
        for (size_t k = 0; k < nd->n_milestones && n < F_MAX_MS; k++) {
            const char *name = nd->milestones[k]->name;
            if (!name || !*name)
                continue;
            size_t j = 0;
            while (j < n && strcmp(names[j], name) != 0)
                j++;
            if (j == n)
                names[n++] = name;
        }
    }
    return n;
}

static const Peerscope__Milestone *node_ms(const Peerscope__Fleet__Node *nd, const char *name)
{
    for (size_t k = 0; k < nd->n_milestones; k++)
        if (nd->milestones[k]->name && strcmp(nd->milestones[k]->name, name) == 0)
            return nd->milestones[k];
    return NULL;
}

const Peerscope__Fleet__Node *top_fleet_node(const top_model *m, const char *name)
{
    const Peerscope__Fleet *f = top_model_fleet(m);
    for (size_t i = 0; f && name && i < f->n_nodes; i++)
        if (f->nodes[i]->name && strcmp(f->nodes[i]->name, name) == 0)
            return f->nodes[i];
    return NULL;
}

void top_fleet_totals(const top_model *m, char *buf, size_t len)
{
    const Peerscope__Fleet *f = top_model_fleet(m);
    if (!f) {
        snprintf(buf, len, "no fleet table yet");
        return;
    }
    size_t up = 0;
    unsigned long long peers = 0, conns = 0, streams = 0, crit = 0, alerts = 0;
    for (size_t i = 0; i < f->n_nodes; i++) {
        const Peerscope__Fleet__Node *nd = f->nodes[i];
        up += nd->up;
        peers += nd->peers;
        conns += nd->connections;
        streams += nd->streams;
        crit += nd->alerts_critical;
        alerts += (unsigned long long)nd->alerts_critical + nd->alerts_warning + nd->alerts_info;
    }
    int o = snprintf(buf, len, "nodes %zu  up %zu  down %zu  peers %llu  conns %llu  streams %llu", f->n_nodes, up,
                     f->n_nodes - up, peers, conns, streams);
    if (alerts && o > 0 && (size_t)o < len)
        snprintf(buf + o, len - (size_t)o, crit ? "  ALERTS %llu (%llu critical)" : "  alerts %llu", alerts, crit);
}

void top_view_fleet(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    const Peerscope__Fleet *f = top_model_fleet(m);
    top_col cols[TABLE_MAX_COLS];
    const char *names[F_MAX_MS];
    size_t n_ms = f ? ms_names(f, names) : 0;
    memcpy(cols, head_cols, sizeof head_cols);
    for (size_t k = 0; k < n_ms; k++) {
        top_col c = {"", 6, 12, true, 6, false};
        ms_title(c.title, sizeof c.title, names[k]);
        /* a title cut short would leave durations nobody can tell apart: drop the column instead */
        int tw = (int)strlen(c.title);
        c.min_w = tw > 12 ? 12 : tw < 6 ? 6 : tw;
        cols[F_FIXED + k] = c;
    }
    int tail = F_FIXED + (int)n_ms;
    memcpy(cols + tail, tail_cols, sizeof tail_cols);
    table_reset(t, cols, tail + F_TAIL);
    if (!f) {
        snprintf(summary, len, "not a fleet: this endpoint sends no Fleet table (peerscope-hub's /introspect does)");
        return;
    }
    for (size_t i = 0; i < f->n_nodes; i++) {
        const Peerscope__Fleet__Node *nd = f->nodes[i];
        if (!table_add_row(t))
            break;
        char buf[64];
        table_set(t, F_NAME, nd->name ? nd->name : "", 0);
        /* up sorts before down */
        table_set(t, F_STATE, nd->up ? "up" : "down", nd->up ? 0 : 1);
        fmt_age(buf, sizeof buf, nd->since_ts, ctx->wall_ms);
        table_set(t, F_SINCE, buf, nd->since_ts ? (double)(ctx->wall_ms > nd->since_ts ? ctx->wall_ms - nd->since_ts : 0) : 0);
        fmt_peer(buf, sizeof buf, nd->peer_id, 14, ctx->utf8);
        table_set(t, F_PEER, buf, 0);
        table_setf(t, F_IMPL, 0, "%s%s%s", nd->implementation ? nd->implementation : "",
                   nd->version && *nd->version ? " " : "", nd->version ? nd->version : "");
        table_setf(t, F_PEERS, nd->peers, "%u", nd->peers);
        table_setf(t, F_CONNS, nd->connections, "%u", nd->connections);
        table_setf(t, F_STREAMS, nd->streams, "%u", nd->streams);
        fmt_rate(buf, sizeof buf, (double)nd->rate_in);
        table_set(t, F_IN, buf, (double)nd->rate_in);
        fmt_rate(buf, sizeof buf, (double)nd->rate_out);
        table_set(t, F_OUT, buf, (double)nd->rate_out);
        /* the worst first: critical outweighs any number of warnings */
        table_setf(t, F_ALERTS, (double)nd->alerts_critical * 1e12 + (double)nd->alerts_warning * 1e6 + nd->alerts_info,
                   "%u/%u/%u", nd->alerts_critical, nd->alerts_warning, nd->alerts_info);
        for (size_t k = 0; k < n_ms; k++) {
            const Peerscope__Milestone *ms = node_ms(nd, names[k]);
            if (!ms) {
                table_set(t, F_FIXED + (int)k, "", 1e300); /* not reached: after every node that did */
                continue;
            }
            fmt_took(buf, sizeof buf, ms->duration_ms);
            table_set(t, F_FIXED + (int)k, buf, (double)ms->duration_ms);
        }
        table_setf(t, tail + F_LSEQ, (double)nd->last_seq, "%llu", (unsigned long long)nd->last_seq);
        table_setf(t, tail + F_DROP, (double)nd->dropped, "%llu", (unsigned long long)nd->dropped);
        table_setf(t, tail + F_RECON, nd->reconnects, "%u", nd->reconnects);
        table_set(t, tail + F_ERROR, nd->up || !nd->error ? "" : nd->error, 0);
        char search[512];
        snprintf(search, sizeof search, "%s %s %s", nd->peer_id ? nd->peer_id : "", nd->source ? nd->source : "",
                 nd->error ? nd->error : "");
        table_set_search(t, search);
        if (!nd->up)
            table_set_attr(t, SCR_RED);
        else if (nd->alerts_critical)
            table_set_attr(t, SCR_YELLOW | SCR_BOLD);
    }
    snprintf(summary, len, "fleet of %zu nodes  Enter: open the selected node in a tab", f->n_nodes);
}

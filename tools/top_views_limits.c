/* View 6: resource manager scopes, usage against limits. */
#include <stdio.h>

#include "top_views.h"

enum { L_KIND, L_NAME, L_USE, L_CONNS, L_CBAR, L_STREAMS, L_SBAR, L_MEM, L_MBAR, L_FDS, L_N };

static const top_col cols[L_N] = {
    [L_KIND] = {"SCOPE", 5, 10, false, 0, true},
    [L_NAME] = {"NAME", 6, 30, false, 0, false},
    [L_USE] = {"USE", 4, 5, true, 0, false},
    [L_CONNS] = {"CONNS", 5, 11, true, 0, false},
    [L_CBAR] = {"", 10, 10, true, 3, false},
    [L_STREAMS] = {"STREAMS", 7, 11, true, 0, false},
    [L_SBAR] = {"", 10, 10, true, 2, false},
    [L_MEM] = {"MEMORY", 6, 19, true, 0, false},
    [L_MBAR] = {"", 10, 10, true, 1, false},
    [L_FDS] = {"FDS", 3, 11, true, 4, false},
};

#define BAR_W 8

static const char *kind_name(int k)
{
    static const char *const names[] = {"system", "transient", "service", "protocol", "peer", "conn", "stream"};
    return k >= 0 && k < 7 ? names[k] : "?";
}

/* "[###-----]" for used of limit; "" when there is no limit. Returns the fraction used. */
static double bar(char *buf, size_t len, uint64_t used, uint64_t limit)
{
    if (!limit) {
        snprintf(buf, len, "%s", "");
        return 0;
    }
    double f = (double)used / (double)limit;
    int fill = (int)(f * BAR_W + 0.5);
    if (fill > BAR_W)
        fill = BAR_W;
    if (used && !fill)
        fill = 1;
    size_t o = 0;
    buf[o++] = '[';
    for (int i = 0; i < BAR_W; i++)
        buf[o++] = i < fill ? '#' : '-';
    buf[o++] = ']';
    buf[o] = 0;
    return f;
}

static double amount(top_table *t, int col, int bar_col, uint64_t used, uint64_t limit, bool bytes)
{
    char u[32], l[32], b[16];
    if (bytes) {
        fmt_bytes(u, sizeof u, used);
        fmt_bytes(l, sizeof l, limit);
    } else {
        snprintf(u, sizeof u, "%llu", (unsigned long long)used);
        snprintf(l, sizeof l, "%llu", (unsigned long long)limit);
    }
    double f = bar(b, sizeof b, used, limit);
    if (limit)
        table_setf(t, col, (double)used, "%s/%s", u, l);
    else
        table_set(t, col, u, (double)used);
    if (bar_col >= 0)
        table_set(t, bar_col, b, f);
    return f;
}

void top_view_limits(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    (void)ctx;
    table_reset(t, cols, L_N);
    const Peerscope__State *st = top_model_state(m);
    const Peerscope__ResourceManager *rm = st && st->subsystems ? st->subsystems->resource_manager : NULL;
    if (!rm) {
        snprintf(summary, len, st ? "this node reports no resource manager" : "waiting for the first state");
        return;
    }
    size_t hot = 0;
    for (size_t i = 0; i < rm->n_scopes; i++) {
        const Peerscope__ResourceManager__Scope *s = rm->scopes[i];
        if (!table_add_row(t))
            break;
        table_set(t, L_KIND, kind_name((int)s->kind), s->kind);
        table_set(t, L_NAME, s->name && *s->name ? s->name : "-", 0);
        static const Peerscope__ResourceManager__Resources none = PEERSCOPE__RESOURCE_MANAGER__RESOURCES__INIT;
        const Peerscope__ResourceManager__Resources *u = s->usage ? s->usage : &none;
        const Peerscope__ResourceManager__Resources *l = s->limit ? s->limit : &none;
        /* an in+out total against the in+out limit, when both directions are limited */
        double f = amount(t, L_CONNS, L_CBAR, u->conns_in + u->conns_out,
                          l->conns_in && l->conns_out ? l->conns_in + l->conns_out : 0, false);
        double g = amount(t, L_STREAMS, L_SBAR, u->streams_in + u->streams_out,
                          l->streams_in && l->streams_out ? l->streams_in + l->streams_out : 0, false);
        double h = amount(t, L_MEM, L_MBAR, u->memory, l->memory, true);
        double k = amount(t, L_FDS, -1, u->fds, l->fds, false);
        double worst = f > g ? f : g;
        worst = worst > h ? worst : h;
        worst = worst > k ? worst : k;
        table_setf(t, L_USE, worst, "%.0f%%", worst * 100.0);
        if (worst >= 0.9) {
            table_set_attr(t, SCR_RED);
            hot++;
        } else if (worst >= 0.7) {
            table_set_attr(t, SCR_YELLOW);
        }
    }
    snprintf(summary, len, "%zu scopes, %zu at 90%% of a limit or more", rm->n_scopes, hot);
}

/* View 3: DHT routing table buckets. */
#include <stdio.h>
#include <string.h>

#include "tool_util.h"
#include "top_views.h"

enum { D_DHT, D_CPL, D_PEERS, D_ACTIVE, D_MISSING, D_REJECTED, D_CAND, D_FILL, D_OLDEST, D_N };

static const top_col cols[D_N] = {
    [D_DHT] = {"DHT", 3, 16, false, 3, false},
    [D_CPL] = {"CPL", 3, 4, true, 0, false},
    [D_PEERS] = {"PEERS", 5, 6, true, 0, false},
    [D_ACTIVE] = {"ACTIVE", 6, 7, true, 0, false},
    [D_MISSING] = {"MISSING", 7, 8, true, 2, false},
    [D_REJECTED] = {"REJECTED", 8, 8, true, 2, false},
    [D_CAND] = {"CANDIDATE", 9, 9, true, 2, false},
    [D_FILL] = {"FILL (of k)", 12, 24, true, 1, false},
    [D_OLDEST] = {"OLDEST", 6, 8, true, 0, false},
};

static void text_bar(char *buf, size_t len, size_t used, uint64_t cap, int width)
{
    int fill = cap ? (int)((double)used / (double)cap * width + 0.5) : 0;
    if (fill > width)
        fill = width;
    if (used && !fill)
        fill = 1;
    size_t o = 0;
    buf[o++] = '[';
    for (int i = 0; i < width && o + 2 < len; i++)
        buf[o++] = i < fill ? '#' : '-';
    buf[o++] = ']';
    buf[o] = 0;
}

static void add_dht(const Peerscope__DHT *dht, const top_view_ctx *ctx, top_table *t, size_t *peers)
{
    (void)ctx;
    const char *name = dht->name && *dht->name ? dht->name : dht->protocol && *dht->protocol ? dht->protocol : "dht";
    uint64_t k = dht->params ? dht->params->k : 0;
    for (size_t b = 0; b < dht->n_buckets; b++) {
        const Peerscope__DHT__Bucket *bk = dht->buckets[b];
        size_t st[4] = {0};
        uint32_t oldest = 0;
        for (size_t i = 0; i < bk->n_peers; i++) {
            unsigned s = (unsigned)bk->peers[i]->status;
            if (s < 4)
                st[s]++;
            if (bk->peers[i]->age_in_bucket > oldest)
                oldest = bk->peers[i]->age_in_bucket;
        }
        *peers += bk->n_peers;
        if (!table_add_row(t))
            return;
        char buf[48];
        table_set(t, D_DHT, name, 0);
        table_setf(t, D_CPL, bk->cpl, "%u", (unsigned)bk->cpl);
        table_setf(t, D_PEERS, (double)bk->n_peers, "%zu", bk->n_peers);
        table_setf(t, D_ACTIVE, (double)st[0], "%zu", st[0]);
        table_setf(t, D_MISSING, (double)st[1], "%zu", st[1]);
        table_setf(t, D_REJECTED, (double)st[2], "%zu", st[2]);
        table_setf(t, D_CAND, (double)st[3], "%zu", st[3]);
        text_bar(buf, sizeof buf, bk->n_peers, k, 10);
        size_t o = strlen(buf);
        snprintf(buf + o, sizeof buf - o, " %zu", bk->n_peers);
        table_set(t, D_FILL, buf, k ? (double)bk->n_peers / (double)k : 0);
        tool_fmt_duration(buf, sizeof buf, oldest);
        table_set(t, D_OLDEST, bk->n_peers ? buf : "-", oldest);
        if (st[1] || st[2])
            table_set_attr(t, SCR_YELLOW);
    }
}

void top_view_dht(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    table_reset(t, cols, D_N);
    const Peerscope__State *st = top_model_state(m);
    const Peerscope__Subsystems *ss = st ? st->subsystems : NULL;
    if (!ss || !ss->dht) {
        snprintf(summary, len, st ? "this node reports no DHT" : "waiting for the first state");
        return;
    }
    size_t peers = 0;
    add_dht(ss->dht, ctx, t, &peers);
    for (size_t i = 0; i < ss->n_additional_dhts; i++)
        add_dht(ss->additional_dhts[i], ctx, t, &peers);
    const Peerscope__DHT *d = ss->dht;
    const Peerscope__DHT__QueryGauge *qi = d->incoming_queries, *qo = d->outgoing_queries;
    snprintf(summary, len,
             "%s %s | k=%llu alpha=%llu | %zu peers in %zu buckets | queries in %llu ok %llu err %llu t/o, "
             "out %llu ok %llu err %llu t/o",
             d->protocol && *d->protocol ? d->protocol : "dht", d->enabled ? "enabled" : "DISABLED",
             (unsigned long long)(d->params ? d->params->k : 0), (unsigned long long)(d->params ? d->params->alpha : 0),
             peers, d->n_buckets, (unsigned long long)(qi ? qi->success : 0), (unsigned long long)(qi ? qi->error : 0),
             (unsigned long long)(qi ? qi->timeout : 0), (unsigned long long)(qo ? qo->success : 0),
             (unsigned long long)(qo ? qo->error : 0), (unsigned long long)(qo ? qo->timeout : 0));
}

/* View 8: the alerts firing in the latest state (peerscope analyzers). */
#include <stdio.h>
#include <string.h>

#include "top_alerts.h"
#include "top_views.h"

enum { A_SEV, A_RULE, A_SUBJECT, A_KIND, A_VALUE, A_LIMIT, A_SINCE, A_MSG, A_N };

static const top_col cols[A_N] = {
    [A_SEV] = {"SEVERITY", 8, 9, false, 0, true}, /* 9: room for the sort arrow */
    [A_RULE] = {"RULE", 4, 24, false, 0, false},
    [A_SUBJECT] = {"SUBJECT", 7, 24, false, 0, false},
    [A_KIND] = {"OF", 2, 8, false, 3, false},
    [A_VALUE] = {"VALUE", 5, 10, true, 0, false},
    [A_LIMIT] = {"THRESHOLD", 9, 10, true, 2, false},
    [A_SINCE] = {"SINCE", 5, 8, true, 1, false},
    [A_MSG] = {"MESSAGE", 7, 0, false, 4, false},
};

/* A value the way a person writes it: 3, 912.5, 0.906. */
static void number(top_table *t, int col, double v)
{
    table_setf(t, col, v, "%.6g", v);
}

void top_view_alerts(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    table_reset(t, cols, A_N);
    const Peerscope__State *st = top_model_state(m);
    if (!st) {
        snprintf(summary, len, "waiting for the first state");
        return;
    }
    for (size_t i = 0; i < st->n_alerts; i++) {
        const Peerscope__Alert *a = st->alerts[i];
        if (!table_add_row(t))
            break;
        char buf[64];
        table_set(t, A_SEV, top_severity_name(a->severity), a->severity);
        table_set(t, A_RULE, a->rule && *a->rule ? a->rule : "-", 0);
        const char *subject = a->subject && *a->subject ? a->subject : "-";
        const char *kind = a->subject_kind ? a->subject_kind : "";
        if (strcmp(kind, "peer") == 0) {
            fmt_peer(buf, sizeof buf, subject, 20, ctx->utf8);
            table_set(t, A_SUBJECT, buf, 0);
        } else {
            table_set(t, A_SUBJECT, subject, 0);
        }
        table_set(t, A_KIND, kind, 0);
        number(t, A_VALUE, a->value);
        number(t, A_LIMIT, a->threshold);
        fmt_age(buf, sizeof buf, a->since_ts, ctx->wall_ms);
        /* the oldest condition is the largest age */
        table_set(t, A_SINCE, buf, a->since_ts ? (double)(ctx->wall_ms > a->since_ts ? ctx->wall_ms - a->since_ts : 0) : 0);
        table_set(t, A_MSG, a->message ? a->message : "", 0);
        /* the filter finds an alert by the whole subject and its rule's kind */
        char search[512];
        snprintf(search, sizeof search, "%s %s", subject, a->kind ? a->kind : "");
        table_set_search(t, search);
        if (a->severity == PEERSCOPE__ALERT__SEVERITY__CRITICAL)
            table_set_attr(t, SCR_RED | SCR_BOLD);
        else if (a->severity == PEERSCOPE__ALERT__SEVERITY__WARNING)
            table_set_attr(t, SCR_YELLOW);
    }
    top_alert_counts c = top_alerts_count(m);
    if (!c.total)
        snprintf(summary, len, "no alert fires (or this node has no analyzers)");
    else
        snprintf(summary, len, "%zu firing: %zu critical, %zu warning, %zu info", c.total, c.critical, c.warning,
                 c.info);
}

#include "top_alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"

top_alert_counts top_alerts_count(const top_model *m)
{
    top_alert_counts c = {0, 0, 0, 0};
    const Peerscope__State *st = top_model_state(m);
    if (!st)
        return c;
    for (size_t i = 0; i < st->n_alerts; i++) {
        switch (st->alerts[i]->severity) {
        case PEERSCOPE__ALERT__SEVERITY__CRITICAL:
            c.critical++;
            break;
        case PEERSCOPE__ALERT__SEVERITY__WARNING:
            c.warning++;
            break;
        default:
            c.info++;
            break;
        }
    }
    c.total = st->n_alerts;
    return c;
}

const char *top_severity_name(int severity)
{
    switch (severity) {
    case PEERSCOPE__ALERT__SEVERITY__CRITICAL:
        return "critical";
    case PEERSCOPE__ALERT__SEVERITY__WARNING:
        return "warning";
    default:
        return "info";
    }
}

/* The list the milestones are read from: the state's when it has any. */
static Peerscope__Milestone *const *milestones(const top_model *m, size_t *n)
{
    const Peerscope__State *st = top_model_state(m);
    if (st && st->n_milestones) {
        *n = st->n_milestones;
        return st->milestones;
    }
    const Peerscope__Runtime *rt = top_model_runtime(m);
    *n = rt ? rt->n_milestones : 0;
    return rt ? rt->milestones : NULL;
}

const Peerscope__Milestone *top_milestone(const top_model *m, const char *name)
{
    size_t n;
    Peerscope__Milestone *const *ms = milestones(m, &n);
    for (size_t i = 0; i < n; i++)
        if (ms[i]->name && strcmp(ms[i]->name, name) == 0)
            return ms[i];
    return NULL;
}

const Peerscope__Milestone *top_milestone_most_peers(const top_model *m, unsigned *n_peers)
{
    size_t n;
    Peerscope__Milestone *const *ms = milestones(m, &n);
    const Peerscope__Milestone *best = NULL;
    unsigned long best_n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = ms[i]->name;
        if (!name || strncmp(name, "peers_", 6) != 0 || name[6] < '0' || name[6] > '9')
            continue;
        char *end;
        unsigned long k = strtoul(name + 6, &end, 10);
        if (*end || k > 0xffffffffu)
            continue;
        if (!best || k > best_n) {
            best = ms[i];
            best_n = k;
        }
    }
    if (best && n_peers)
        *n_peers = (unsigned)best_n;
    return best;
}

void fmt_took(char *buf, size_t len, uint64_t ms)
{
    /* below a minute the fraction of a second matters (time to first peer) */
    if (ms < 1000)
        snprintf(buf, len, "%llums", (unsigned long long)ms);
    else if (ms < 10000)
        snprintf(buf, len, "%.2fs", (double)ms / 1000.0);
    else if (ms < 60000)
        snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
    else
        tool_fmt_duration(buf, len, ms);
}

void top_durations_line(const top_model *m, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
#define ADD(...)                                                                                            \
    do {                                                                                                    \
        if (o < len) {                                                                                      \
            int w_ = snprintf(buf + o, len - o, __VA_ARGS__);                                               \
            o = w_ < 0 ? len : o + (size_t)w_;                                                              \
        }                                                                                                   \
    } while (0)
    char t[32];
    const Peerscope__Milestone *first = top_milestone(m, "first_peer");
    if (first) {
        fmt_took(t, sizeof t, first->duration_ms);
        ADD("%sfirst peer %s", o ? "  " : "", t);
    }
    unsigned np = 0;
    const Peerscope__Milestone *most = top_milestone_most_peers(m, &np);
    if (most) {
        fmt_took(t, sizeof t, most->duration_ms);
        ADD("%s%u peers %s", o ? "  " : "", np, t);
    }
    const Peerscope__Milestone *done = top_milestone(m, "sync_completed");
    const Peerscope__Milestone *started = top_milestone(m, "sync_started");
    if (done) {
        fmt_took(t, sizeof t, done->duration_ms);
        ADD("%ssync %s", o ? "  " : "", t);
    } else if (started) {
        fmt_took(t, sizeof t, started->duration_ms);
        ADD("%ssyncing since %s", o ? "  " : "", t);
    }
#undef ADD
}

/* Formatting shared by the views, and the view table. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tool_util.h"
#include "top_views.h"
#include "peerscope/model.h"

const top_view_def top_view_defs[] = {
    {"Conns", 'c', 5, true, top_view_conns},    /* most bytes in first */
    {"Streams", 't', 1, true, top_view_streams}, /* by stream count */
    {"DHT", 'd', 1, false, top_view_dht},         /* by CPL */
    {"PubSub", 'g', 0, false, top_view_pubsub},   /* by topic */
    {"Peers", 'a', 0, false, top_view_peers},     /* by peer id */
    {"Limits", 'l', 2, true, top_view_limits},    /* closest to a limit first */
    {"Events", 'e', 0, true, top_view_events},    /* newest first */
    {"Alerts", '!', 0, true, top_view_alerts},    /* the worst first */
    {"Fleet", 'f', 0, false, top_view_fleet},     /* by node name (the hub's order) */
};

void fmt_peer(char *buf, size_t len, const char *id, size_t max, bool utf8)
{
    size_t n = strlen(id ? id : "");
    if (!id || !*id) {
        snprintf(buf, len, "-");
    } else if (n <= max || max < 10) {
        snprintf(buf, len, "%s", id);
    } else {
        size_t tail = (max - 1) / 2 - 1;
        size_t head = max - 1 - tail;
        snprintf(buf, len, "%.*s%s%s", (int)head, id, utf8 ? "\xe2\x80\xa6" : "~", id + n - tail);
    }
}

void fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
    tool_fmt_bytes(buf, len, bytes);
}

void fmt_rate(char *buf, size_t len, double rate)
{
    if (rate < 0.5) {
        snprintf(buf, len, "0 B/s");
        return;
    }
    char b[32];
    tool_fmt_bytes(b, sizeof b, (uint64_t)(rate + 0.5));
    snprintf(buf, len, "%s/s", b);
}

void fmt_ns(char *buf, size_t len, uint64_t ns)
{
    if (ns == 0)
        snprintf(buf, len, "-");
    else if (ns < 1000000)
        snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
    else if (ns < 1000000000)
        snprintf(buf, len, "%.1fms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}

void fmt_age(char *buf, size_t len, uint64_t ts_ms, uint64_t now_ms)
{
    if (ts_ms == 0)
        snprintf(buf, len, "-");
    else
        tool_fmt_duration(buf, len, now_ms > ts_ms ? now_ms - ts_ms : 0);
}

void fmt_clock(char *buf, size_t len, uint64_t ts_ms)
{
    time_t t = (time_t)(ts_ms / 1000);
    struct tm tm;
    if (ts_ms == 0 || !localtime_r(&t, &tm)) {
        snprintf(buf, len, "-");
        return;
    }
    snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts_ms % 1000));
}

void fmt_hex(char *buf, size_t len, const uint8_t *d, size_t n)
{
    size_t o = 0;
    if (len == 0)
        return;
    for (size_t i = 0; i < n && o + 3 <= len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%02x", d[i]);
    buf[o < len ? o : len - 1] = 0;
}

const char *fmt_status(int status)
{
    switch (status) {
    case PSC_STATUS_ACTIVE: return "active";
    case PSC_STATUS_CLOSED: return "closed";
    case PSC_STATUS_OPENING: return "opening";
    case PSC_STATUS_CLOSING: return "closing";
    case PSC_STATUS_ERROR: return "error";
    default: return "?";
    }
}

const char *fmt_role_dir(int role)
{
    return role == PSC_ROLE_INITIATOR ? "out" : role == PSC_ROLE_RESPONDER ? "in" : "?";
}

/*
 * GET /metrics of a scenario's node over a real endpoint, next to the
 * snapshot it is made from, in the same run.
 *
 * Each run: a psc_introspector_snapshot on this thread (its CPU time: the
 * snapshot), then the introspector's monotonic clock is moved on so that
 * the endpoint's rendered snapshot is stale, and one scrape (the service
 * thread's CPU time across it: a snapshot of its own, the decode, the sum
 * into series, the text, the send), then a second scrape of the same
 * snapshot (the text is shared: only the send). The render is the first
 * scrape less the snapshot of the same run (the node does not change, so
 * both snapshots are the same work).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_net.h"

static _Atomic uint64_t clock_offset_ns;

static uint64_t moved_mono_ns(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + atomic_load(&clock_offset_ns);
}

typedef struct scrape {
    int status;
    size_t body_len;
    size_t lines;       /* sample lines */
    bool openmetrics;   /* the Content-Type said so */
} scrape;

/* One GET /metrics to the end of the response (Connection: close). */
static int get_metrics(uint16_t port, const char *accept, scrape *out, char **keep)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%sConnection: close\r\n\r\n",
                     (unsigned)port, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return -1;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            close(fd);
            return -1;
        }
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return -1;
            }
            buf = nb;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0) {
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = 0;
    char *body = strstr(buf, "\r\n\r\n");
    if (!body || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1) {
        free(buf);
        return -1;
    }
    *body = 0;
    out->openmetrics = strstr(buf, "openmetrics") != NULL;
    body += 4;
    out->body_len = len - (size_t)(body - buf);
    for (const char *p = body; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (*p != '#' && *p != '\n')
            out->lines++;
    if (keep)
        *keep = buf;
    else
        free(buf);
    return 0;
}

int bench_metrics(const bench_scenario *sc, const bench_opts *o, metrics_result *r)
{
    memset(r, 0, sizeof *r);
    r->scenario = sc->name;
    static const psc_clock clk = {.mono_ns = moved_mono_ns};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    psc_introspector *intro = NULL;
    bench_node *node = bench_node_new(sc, 42);
    if (!node || psc_introspector_new(&cfg, &intro) || bench_node_register(node, intro)) {
        psc_introspector_free(intro);
        bench_node_free(node);
        return -1;
    }
    bench_server srv;
    if (bench_server_start(&srv, intro, 8) || !srv.service_tid) {
        bench_server_stop(&srv);
        psc_introspector_free(intro);
        bench_node_free(node);
        return -1;
    }
    uint16_t port = 0;
    psc_ws_port(srv.ep, &port);

    double snap[BENCH_MAX_RUNS], fresh[BENCH_MAX_RUNS], cached[BENCH_MAX_RUNS], render[BENCH_MAX_RUNS];
    int rc = 0;
    /* a warm-up of both (first-touch pages, the arena hint) */
    for (int run = -1; run < o->runs && !rc; run++) {
        psc_msg *m = NULL;
        uint64_t t0 = bench_thread_cpu_ns();
        if (psc_introspector_snapshot(intro, &m)) {
            rc = -1;
            break;
        }
        uint64_t t1 = bench_thread_cpu_ns();
        size_t len = 0;
        psc_msg_payload(m, &len);
        r->state_bytes = len;
        psc_msg_unref(m);

        atomic_fetch_add(&clock_offset_ns, 2000000000u); /* the last render is stale */
        scrape a, b;
        uint64_t s0 = bench_server_cpu_ns(&srv);
        if (get_metrics(port, NULL, &a, NULL) || a.status != 200) {
            rc = -1;
            break;
        }
        uint64_t s1 = bench_server_cpu_ns(&srv);
        if (get_metrics(port, NULL, &b, NULL) || b.status != 200 || b.body_len != a.body_len) {
            rc = -1;
            break;
        }
        uint64_t s2 = bench_server_cpu_ns(&srv);
        if (run < 0)
            continue;
        snap[run] = (double)(t1 - t0) / 1e6;
        fresh[run] = (double)(s1 - s0) / 1e6;
        cached[run] = (double)(s2 - s1) / 1e6;
        /* clamped: on a loaded machine the difference of two samples can go below 0 */
        render[run] = fresh[run] > snap[run] ? fresh[run] - snap[run] : 0;
        r->text_bytes = a.body_len;
        r->series = a.lines;
    }
    if (!rc) {
        /* the other format of the last snapshot: written once, then shared too */
        scrape om;
        if (get_metrics(port, "application/openmetrics-text; version=1.0.0", &om, NULL) || om.status != 200 ||
            !om.openmetrics)
            rc = -1;
        r->om_bytes = om.body_len;
    }
    bench_server_stop(&srv);
    psc_introspector_free(intro);
    bench_node_free(node);
    if (rc)
        return rc;
    r->snapshot_ms = bench_summarise(snap, (size_t)o->runs);
    r->scrape_ms = bench_summarise(fresh, (size_t)o->runs);
    r->cached_ms = bench_summarise(cached, (size_t)o->runs);
    r->render_ms = bench_summarise(render, (size_t)o->runs);
    return 0;
}

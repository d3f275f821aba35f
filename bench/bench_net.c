#include "bench_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIDS 256

static bool known(const int *tids, size_t n, int tid)
{
    for (size_t i = 0; i < n; i++)
        if (tids[i] == tid)
            return true;
    return false;
}

int bench_server_start(bench_server *s, psc_introspector *intro, size_t max_sessions)
{
    memset(s, 0, sizeof *s);
    s->intro = intro;
    psc_endpoint_options eo = PSC_ENDPOINT_OPTIONS_INIT;
    eo.max_sessions = max_sessions;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.options = &eo;
    if (psc_ws_endpoint_new(intro, &cfg, &s->ep))
        return -1;
    int before[MAX_TIDS], after[MAX_TIDS];
    size_t nb = bench_tids(before, MAX_TIDS);
    if (psc_endpoint_start(s->ep)) {
        psc_endpoint_free(s->ep);
        s->ep = NULL;
        return -1;
    }
    size_t na = bench_tids(after, MAX_TIDS);
    for (size_t i = 0; i < na; i++)
        if (!known(before, nb, after[i]))
            s->service_tid = after[i];
    uint16_t port = 0;
    psc_ws_port(s->ep, &port);
    snprintf(s->url, sizeof s->url, "ws://127.0.0.1:%u/introspect", (unsigned)port);
    return 0;
}

void bench_server_stop(bench_server *s)
{
    psc_endpoint_free(s->ep);
    s->ep = NULL;
}

uint64_t bench_server_cpu_ns(const bench_server *s)
{
    uint64_t ns = 0;
    if (s->service_tid)
        bench_tid_cpu_ns(s->service_tid, &ns);
    return ns;
}

void bench_server_totals(bench_server *s, uint64_t *bytes_sent, uint64_t *states_replaced, uint64_t *events_dropped)
{
    psc_session_info info[128];
    for (size_t i = 0; i < 128; i++)
        info[i] = (psc_session_info){.struct_size = sizeof info[i]};
    size_t n = 0;
    psc_endpoint_sessions(s->ep, info, 128, &n, NULL);
    uint64_t b = 0, r = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        b += info[i].bytes_sent;
        r += info[i].states_replaced;
        d += info[i].events_dropped;
    }
    if (bytes_sent)
        *bytes_sent = b;
    if (states_replaced)
        *states_replaced = r;
    if (events_dropped)
        *events_dropped = d;
}

bool bench_poll_until(psc_client_loop *loop, bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (!cond(arg)) {
        if (bench_now_ns() > end)
            return false;
        if (psc_client_loop_poll(loop, 20) != PSC_OK)
            return false;
    }
    return true;
}

double bench_json_number(const char *content, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = content ? strstr(content, pat) : NULL;
    return p ? strtod(p + strlen(pat), NULL) : 0;
}

/*
 * Shared by the network sections: a WebSocket endpoint serving a bench
 * node on an ephemeral loopback port, the tid of its service thread, and
 * psc_client clients on one caller-driven loop.
 */
#ifndef PSC_BENCH_NET_H
#define PSC_BENCH_NET_H

#include <peerscope/client.h>

#include "bench.h"

typedef struct bench_server {
    psc_introspector *intro;
    psc_endpoint *ep;
    char url[96];
    int service_tid;    /* the endpoint's service thread; 0 if it was not found */
} bench_server;

/*
 * Start an endpoint for intro (already set up) with room for max_sessions.
 * The service thread is the one thread that appears while the endpoint
 * starts: no other thread may be started meanwhile.
 */
int bench_server_start(bench_server *s, psc_introspector *intro, size_t max_sessions);
/* Close and free the endpoint (not the introspector). */
void bench_server_stop(bench_server *s);
/* CPU time the service thread has used so far, ns. */
uint64_t bench_server_cpu_ns(const bench_server *s);
/* Sum of the endpoint's per-session counters. */
void bench_server_totals(bench_server *s, uint64_t *bytes_sent, uint64_t *states_replaced, uint64_t *events_dropped);

/* Poll loop until cond(arg) holds or timeout_ms passes; true if it held. */
bool bench_poll_until(psc_client_loop *loop, bool (*cond)(void *arg), void *arg, int timeout_ms);

/* The numeric property "key" of an event's JSON content (0 when absent). */
double bench_json_number(const char *content, const char *key);

#endif

/*
 * peerscope-bench-relay: what a live replay (psc_replay_options.live, the
 * relay peerscope-hub runs per node) costs per state added, with two
 * sessions that push states and events, both read to the end after each
 * add, on one thread (the producer's add plus the endpoint's service and
 * the sessions' pulls: the hub's whole work per state of a node).
 *
 *   peerscope-bench-relay [--scenario S|M|L] [--states N]
 *
 * States come from a real introspector over the benchmark's synthetic node
 * (1% churn per snapshot), made before the clock starts: once whole, once
 * as the delta states a node sends to a hub that asks for them (the relay
 * applies each delta on add). Prints adds per second for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <peerscope/peerscope.h>
#include <peerscope/pb.h>
#include <peerscope/replay.h>

#include "scenario.h"

static psc_err t_start(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user;
    return PSC_OK;
}

static void t_close(psc_endpoint *ep, void *state, void *user)
{
    (void)ep;
    (void)state;
    (void)user;
}

static const psc_endpoint_vtable vt = {
    .struct_size = sizeof(psc_endpoint_vtable), .name = "bench", .start = t_start, .close = t_close};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_cmd(psc_endpoint_session *s, int command, int source, uint64_t id)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    c.command = command;
    c.source = source;
    c.id = id;
    uint8_t buf[32];
    size_t n = peerscope__client_command__pack(&c, buf);
    return psc_endpoint_session_recv(s, buf, n) == PSC_OK ? 0 : -1;
}

/* Add every state, serving both sessions after each; states pushed per second. */
static int run(psc_msg **states, size_t n, const char *what, size_t *pushed)
{
    psc_introspector *intro = NULL;
    psc_replay *r = NULL;
    psc_endpoint *ep = NULL;
    psc_endpoint_session *s[2] = {0};
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    o.live = true;
    if (psc_introspector_new(NULL, &intro) || psc_replay_new(&o, &r) || psc_replay_serve(r, intro) ||
        psc_endpoint_new(intro, &vt, NULL, NULL, NULL, &ep) || psc_endpoint_start(ep))
        return -1;
    for (int i = 0; i < 2; i++) {
        if (psc_endpoint_session_open(ep, "bench", &s[i]) ||
            send_cmd(s[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1) ||
            send_cmd(s[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 2) ||
            send_cmd(s[i], PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 3))
            return -1;
    }
    *pushed = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *p = psc_msg_payload(states[i], &len);
        char why[160];
        if (psc_replay_add_message(r, p, len, 0, why, sizeof why)) {
            fprintf(stderr, "peerscope-bench-relay: add: %s\n", why);
            return -1;
        }
        uint64_t next = 0;
        psc_endpoint_service(ep, &next);
        for (int k = 0; k < 2; k++) {
            psc_msg *m = NULL;
            while (psc_endpoint_session_pull(s[k], &m) == PSC_OK) {
                if (psc_msg_get_kind(m) == PSC_MSG_STATE)
                    (*pushed)++;
                psc_msg_unref(m);
            }
        }
    }
    double dt = now_s() - t0;
    psc_replay_live_info info = {.struct_size = sizeof info};
    psc_replay_live_info_get(r, &info);
    printf("%-7s %6zu adds in %6.3f s: %9.0f adds/s (%.1f us each), %zu states pushed, %llu KiB held\n", what, n, dt,
           (double)n / dt, dt * 1e6 / (double)n, *pushed, (unsigned long long)(info.bytes_held / 1024));
    for (int i = 0; i < 2; i++)
        psc_endpoint_session_close(s[i]);
    psc_endpoint_close(ep);
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = "S";
    size_t n = 500;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--states") && i + 1 < argc)
            n = (size_t)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: peerscope-bench-relay [--scenario S|M|L] [--states N]\n");
            return 2;
        }
    }
    const bench_scenario *sc = bench_scenario_find(name);
    if (!sc || n < 2 || n > 100000) {
        fprintf(stderr, "peerscope-bench-relay: no scenario %s, or --states outside 2..100000\n", name);
        return 2;
    }
    bench_node *node = bench_node_new(sc, 7);
    psc_introspector *src = NULL;
    if (!node || psc_introspector_new(NULL, &src) || bench_node_register(node, src))
        return 1;
    bench_node_set_churn(node, 1.0);
    psc_msg **full = calloc(n, sizeof *full), **delta = calloc(n, sizeof *delta);
    if (!full || !delta)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (psc_introspector_snapshot(src, &full[i]))
            return 1;
        /* a delta that cannot describe the change goes whole, as an endpoint sends it */
        if (!i || psc_introspector_state_delta(src, full[i - 1], full[i], &delta[i]))
            delta[i] = psc_msg_ref(full[i]);
    }
    size_t full_len = 0, delta_len = 0;
    psc_msg_payload(full[n - 1], &full_len);
    psc_msg_payload(delta[n - 1], &delta_len);
    printf("scenario %s: state %zu bytes whole, %zu as a delta (1%% churn); 2 sessions pushing states and events\n",
           sc->name, full_len, delta_len);
    size_t pushed = 0;
    int rc = run(full, n, "whole", &pushed) || run(delta, n, "deltas", &pushed);
    for (size_t i = 0; i < n; i++) {
        psc_msg_unref(full[i]);
        psc_msg_unref(delta[i]);
    }
    free(full);
    free(delta);
    psc_introspector_free(src);
    bench_node_free(node);
    return rc ? 1 : 0;
}

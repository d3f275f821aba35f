/*
 * 4. Fan-out on loopback: the CPU time the endpoint's service thread spends
 * per state push with 1, 8 and 64 sessions, for 2020 clients (full states)
 * and for clients that asked for delta states, with the node changing by
 * 1% per interval.
 *
 * Method: real psc_client clients on one loop in this thread, the real
 * WebSocket endpoint's service thread in this process. The service thread
 * is found as the thread that appears when the endpoint starts; its CPU
 * time is read from /proc (schedstat) at push boundaries: once every client
 * has received state k, and again once every client has received state
 * k + P. Everything it does in between is counted: the snapshot, the delta,
 * framing and sending to every session. Clients enable pushes together so
 * that every push is one pass with one snapshot (checked: they must all
 * see the same sequence numbers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"

const int bench_fanout_sizes[FANOUT_SIZES] = {1, 8, 64};

/* 64 clients decode a full state of M each per push on this thread: leave them time */
#define INTERVAL_MS 1000
#define QUICK_INTERVAL_MS 500
#define CHURN_PERCENT 1.0

typedef struct fclient {
    psc_client *c;
    uint64_t responses;
    uint64_t states;
    uint64_t last_seq;
    bool closed;
} fclient;

typedef struct fanout_run {
    fclient *clients;
    int n;
    uint64_t want_seq;  /* every client has a state at least this recent */
    uint64_t want_responses;
} fanout_run;

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *r)
{
    (void)c;
    (void)r;
    ((fclient *)user)->responses++;
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    (void)c;
    fclient *f = user;
    f->states++;
    f->last_seq = st->seq;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)err;
    (void)code;
    (void)reason;
    ((fclient *)user)->closed = true;
}

static const psc_client_callbacks fanout_cb = {
    .struct_size = sizeof(psc_client_callbacks),
    .on_response = on_response,
    .on_state = on_state,
    .on_close = on_close,
};

static bool all_responded(void *arg)
{
    fanout_run *r = arg;
    for (int i = 0; i < r->n; i++)
        if (r->clients[i].responses < r->want_responses || r->clients[i].closed)
            return false;
    return true;
}

static bool all_have_seq(void *arg)
{
    fanout_run *r = arg;
    for (int i = 0; i < r->n; i++)
        if (r->clients[i].last_seq < r->want_seq || r->clients[i].closed)
            return false;
    return true;
}

static uint64_t max_seq(const fanout_run *r)
{
    uint64_t m = 0;
    for (int i = 0; i < r->n; i++)
        if (r->clients[i].last_seq > m)
            m = r->clients[i].last_seq;
    return m;
}

static int run_one(const bench_scenario *sc, const bench_opts *o, int n, bool deltas, fanout_result *out,
                   size_t *state_bytes)
{
    int rc = -1;
    psc_introspector *intro = NULL;
    bench_node *node = bench_node_new(sc, 11);
    bench_server srv = {0};
    psc_client_loop *loop = NULL;
    fclient *cl = calloc((size_t)n, sizeof *cl);
    if (!node || !cl || psc_introspector_new(NULL, &intro) || bench_node_register(node, intro))
        goto out;
    bench_node_set_churn(node, CHURN_PERCENT);
    if (state_bytes) {
        psc_msg *m = NULL;
        if (psc_introspector_snapshot(intro, &m))
            goto out;
        psc_msg_payload(m, state_bytes);
        psc_msg_unref(m);
    }
    if (bench_server_start(&srv, intro, (size_t)n + 8) || psc_client_loop_new(NULL, &loop))
        goto out;
    fanout_run run = {cl, n, 0, 1};
    psc_client_settings st = {60000, o->quick ? QUICK_INTERVAL_MS : INTERVAL_MS};
    for (int i = 0; i < n; i++) {
        psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
        cfg.url = srv.url;
        cfg.loop = loop;
        cfg.callbacks = &fanout_cb;
        cfg.user = &cl[i];
        cfg.delta_states = deltas;
        if (psc_client_new(&cfg, &cl[i].c) || psc_client_hello(cl[i].c, &st, NULL))
            goto out;
    }
    if (!bench_poll_until(loop, all_responded, &run, 30000))
        goto out;
    /* all together, so that every push serves every session in one pass */
    for (int i = 0; i < n; i++)
        if (psc_client_push_enable(cl[i].c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL))
            goto out;
    run.want_seq = 1;
    if (!bench_poll_until(loop, all_have_seq, &run, 30000))
        goto out;
    /* a push boundary: everyone has the latest state, the server is idle until the next */
    run.want_seq = max_seq(&run) + 1;
    if (!bench_poll_until(loop, all_have_seq, &run, 30000))
        goto out;
    uint64_t seq0 = max_seq(&run);
    uint64_t cpu0 = bench_server_cpu_ns(&srv), bytes0, repl0;
    bench_server_totals(&srv, &bytes0, &repl0, NULL);
    unsigned pushes = o->quick ? 2 : 5;
    run.want_seq = seq0 + pushes;
    if (!bench_poll_until(loop, all_have_seq, &run, 60000))
        goto out;
    uint64_t cpu1 = bench_server_cpu_ns(&srv), bytes1, repl1;
    bench_server_totals(&srv, &bytes1, &repl1, NULL);
    uint64_t seq1 = max_seq(&run);
    for (int i = 0; i < n; i++)
        if (cl[i].last_seq != seq1)
            fprintf(stderr, "peerscope-bench: fan-out %d: sessions out of step (%llu vs %llu)\n", n,
                    (unsigned long long)cl[i].last_seq, (unsigned long long)seq1);
    out->sessions = n;
    out->deltas = deltas;
    out->pushes = (unsigned)(seq1 - seq0);
    out->cpu_ms_per_push = (double)(cpu1 - cpu0) / 1e6 / out->pushes;
    out->bytes_per_push = (double)(bytes1 - bytes0) / out->pushes;
    out->states_replaced = repl1 - repl0;
    rc = srv.service_tid ? 0 : -1;
out:
    if (rc)
        fprintf(stderr, "peerscope-bench: fan-out with %d sessions (%s) failed\n", n, deltas ? "deltas" : "full");
    for (int i = 0; cl && i < n; i++)
        psc_client_free(cl[i].c);
    psc_client_loop_free(loop);
    bench_server_stop(&srv);
    psc_introspector_free(intro);
    bench_node_free(node);
    free(cl);
    return rc;
}

int bench_fanout(const bench_scenario *sc, const bench_opts *o, fanout_results *r)
{
    memset(r, 0, sizeof *r);
    r->scenario = sc->name;
    for (int i = 0; i < FANOUT_SIZES; i++) {
        if (run_one(sc, o, bench_fanout_sizes[i], false, &r->full[i], i == 0 ? &r->state_bytes : NULL) ||
            run_one(sc, o, bench_fanout_sizes[i], true, &r->delta[i], NULL))
            return -1;
    }
    return 0;
}

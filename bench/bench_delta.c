/*
 * 6. Delta states: bytes per push at 1% churn per interval, next to the
 * full states of the same snapshots, and the CPU time to make a delta next
 * to the snapshot's. In process: the same functions the endpoint calls for
 * a session that asked for deltas (the endpoint then shares each delta
 * among the sessions in step).
 */
#include <stdio.h>

#include "bench.h"

#define CHURN_PERCENT 1.0
#define WARMUP 3          /* vanished connections are reported CLOSED once: reach steady state */
#define FULL_EVERY 60.0   /* the server's default full_state_every */

static size_t payload_len(const psc_msg *m)
{
    size_t n = 0;
    psc_msg_payload(m, &n);
    return n;
}

int bench_delta(const bench_scenario *sc, const bench_opts *o, delta_result *r)
{
    psc_introspector *intro = NULL;
    bench_node *node = bench_node_new(sc, 7);
    psc_msg *prev = NULL, *cur = NULL, *d = NULL;
    int rc = -1;
    if (!node || psc_introspector_new(NULL, &intro) || bench_node_register(node, intro))
        goto out;
    bench_node_set_churn(node, CHURN_PERCENT);
    for (int i = 0; i < WARMUP; i++) {
        psc_msg_unref(prev);
        prev = NULL;
        if (psc_introspector_snapshot(intro, &prev))
            goto out;
    }
    unsigned n = (unsigned)(o->runs < 10 ? 10 : o->runs);
    if (o->quick)
        n = 3;
    double full = 0, delta = 0, dms[BENCH_MAX_RUNS], sms[BENCH_MAX_RUNS];
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = bench_thread_cpu_ns();
        if (psc_introspector_snapshot(intro, &cur))
            goto out;
        uint64_t t1 = bench_thread_cpu_ns();
        psc_err e = psc_introspector_state_delta(intro, prev, cur, &d);
        uint64_t t2 = bench_thread_cpu_ns();
        if (e) {
            fprintf(stderr, "peerscope-bench: delta failed: %s\n", psc_strerror(e));
            goto out;
        }
        full += (double)payload_len(cur);
        delta += (double)payload_len(d);
        if (i < BENCH_MAX_RUNS) {
            sms[i] = (double)(t1 - t0) / 1e6;
            dms[i] = (double)(t2 - t1) / 1e6;
        }
        psc_msg_unref(d);
        d = NULL;
        psc_msg_unref(prev);
        prev = cur;
        cur = NULL;
    }
    r->name = sc->name;
    r->churn_percent = CHURN_PERCENT;
    r->intervals = n;
    r->full_bytes = full / n;
    r->delta_bytes = delta / n;
    r->ratio = r->delta_bytes / r->full_bytes;
    r->amortized_ratio = ((FULL_EVERY - 1) * r->delta_bytes + r->full_bytes) / FULL_EVERY / r->full_bytes;
    size_t k = n < BENCH_MAX_RUNS ? n : BENCH_MAX_RUNS;
    r->delta_ms = bench_summarise(dms, k);
    r->snapshot_ms = bench_summarise(sms, k);
    rc = 0;
out:
    psc_msg_unref(d);
    psc_msg_unref(cur);
    psc_msg_unref(prev);
    psc_introspector_free(intro);
    bench_node_free(node);
    return rc;
}

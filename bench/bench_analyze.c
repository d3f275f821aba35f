/*
 * 10. Analyzers: the CPU time 20 rules add to a snapshot, next to the
 * snapshot's own time in the same run. Two introspectors over two
 * identical nodes, one with an analyzer (every kind of built-in rule, the
 * expected sets filled, a custom rule walking every connection), the other
 * without; each run snapshots both back to back on this thread. The
 * rules' cost is what the analyzer measures of its own evaluation (thread
 * CPU time, psc_analyzer_get_stats); the difference between the two
 * snapshots is reported next to it as a cross-check (noisier: two heaps).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define N_EXPECTED 100

static psc_err walk_conns(void *user, psc_rule_ctx *ctx)
{
    const psc_msg *st = psc_rule_ctx_state(ctx);
    size_t n = psc_state_connection_count(st), open = 0;
    for (size_t i = 0; i < n; i++) {
        psc_connection c = PSC_CONNECTION_INIT;
        open += psc_state_connection(st, i, &c) == PSC_OK && c.status == PSC_STATUS_ACTIVE;
    }
    return psc_rule_ctx_observe(ctx, "connections", NULL, (double)open, NULL);
}

static int add_rules(psc_analyzer *an)
{
    static const struct {
        const char *name;
        psc_rule_kind kind;
        double threshold;
    } rules[] = {
        {"expected-peers", PSC_RULE_EXPECTED_PEERS, NAN},     {"votes", PSC_RULE_EXPECTED_EVENTS, NAN},
        {"peers-low", PSC_RULE_PEERS_LOW, 10},               {"peers-high", PSC_RULE_PEERS_HIGH, 100000},
        {"churn", PSC_RULE_CONNECTION_CHURN, NAN},           {"dials", PSC_RULE_DIAL_FAILURES, NAN},
        {"stream-growth", PSC_RULE_STREAM_GROWTH, NAN},      {"stream-idle", PSC_RULE_STREAM_IDLE, NAN},
        {"dht-buckets", PSC_RULE_DHT_BUCKETS_LOW, NAN},      {"dht-queries", PSC_RULE_DHT_QUERY_FAILURES, NAN},
        {"mesh-low", PSC_RULE_MESH_LOW, NAN},                {"mesh-high", PSC_RULE_MESH_HIGH, NAN},
        {"negative-score", PSC_RULE_NEGATIVE_SCORE, NAN},    {"resources", PSC_RULE_RESOURCE_USAGE, NAN},
        {"events-dropped", PSC_RULE_EVENTS_DROPPED, NAN},    {"providers", PSC_RULE_PROVIDER_ERRORS, NAN},
        {"peers-low-2", PSC_RULE_PEERS_LOW, 100},            {"mesh-low-2", PSC_RULE_MESH_LOW, 8},
        {"stream-growth-2", PSC_RULE_STREAM_GROWTH, 3},      {"custom", PSC_RULE_CUSTOM, 1e9},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        psc_rule r = PSC_RULE_INIT;
        r.name = rules[i].name;
        r.kind = rules[i].kind;
        r.threshold = rules[i].threshold;
        r.set = "validators";
        r.event_type = "Vote";
        r.property = "validator";
        r.window_ms = 60000;
        r.custom = walk_conns;
        if (psc_analyzer_add_rule(an, &r) != PSC_OK)
            return -1;
    }
    return 0;
}

static int setup(const bench_scenario *sc, psc_introspector **intro, bench_node **node, bool analyze,
                 psc_analyzer **an)
{
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-bench";
    if (psc_introspector_new(&cfg, intro))
        return -1;
    if (!(*node = bench_node_new(sc, 42)) || bench_node_register(*node, *intro))
        return -1;
    if (!analyze)
        return 0;
    if (psc_analyzer_new(*intro, NULL, an))
        return -1;
    const char *ids[N_EXPECTED];
    char names[N_EXPECTED][24];
    for (int i = 0; i < N_EXPECTED; i++) {
        snprintf(names[i], sizeof names[i], "validator-%d", i);
        ids[i] = names[i];
    }
    if (psc_analyzer_set_expected(*an, "validators", ids, N_EXPECTED))
        return -1;
    return add_rules(*an);
}

/* process CPU: collects run on the library's collector thread */
static double snap_ms(psc_introspector *intro)
{
    psc_msg *m = NULL;
    uint64_t t0 = bench_cpu_ns();
    psc_err e = psc_introspector_snapshot(intro, &m);
    uint64_t t1 = bench_cpu_ns();
    psc_msg_unref(m);
    return e == PSC_OK ? (double)(t1 - t0) / 1e6 : -1;
}

int bench_analyze(const bench_scenario *sc, const bench_opts *o, analyze_result *r)
{
    memset(r, 0, sizeof *r);
    r->name = sc->name;
    r->rules = 20;
    psc_introspector *plain = NULL, *watched = NULL;
    bench_node *n1 = NULL, *n2 = NULL;
    psc_analyzer *an = NULL;
    int rc = -1;
    if (setup(sc, &plain, &n1, false, NULL) || setup(sc, &watched, &n2, true, &an))
        goto out;
    double base[BENCH_MAX_RUNS], with[BENCH_MAX_RUNS], cost[BENCH_MAX_RUNS], eval[BENCH_MAX_RUNS];
    for (int i = 0; i < 2; i++) /* warm-up: buffers, and the rules' first evaluation */
        if (snap_ms(plain) < 0 || snap_ms(watched) < 0)
            goto out;
    for (int run = 0; run < o->runs; run++) {
        base[run] = snap_ms(plain);
        with[run] = snap_ms(watched);
        psc_analyzer_stats st;
        if (base[run] < 0 || with[run] < 0 || psc_analyzer_get_stats(an, &st) != PSC_OK)
            goto out;
        cost[run] = with[run] - base[run];
        eval[run] = (double)st.last_cpu_ns / 1e6;
    }
    r->alerts = psc_analyzer_alerts(an, NULL, NULL);
    r->snapshot_ms = bench_summarise(base, (size_t)o->runs);
    r->with_rules_ms = bench_summarise(with, (size_t)o->runs);
    r->difference_ms = bench_summarise(cost, (size_t)o->runs);
    r->rules_ms = bench_summarise(eval, (size_t)o->runs);
    r->share = r->snapshot_ms.median > 0 ? r->rules_ms.median / r->snapshot_ms.median : 0;
    rc = 0;
out:
    psc_analyzer_free(an);
    psc_introspector_free(plain);
    psc_introspector_free(watched);
    bench_node_free(n1);
    bench_node_free(n2);
    return rc;
}

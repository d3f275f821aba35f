/* Deterministic benchmark scenarios: a synthetic node of a given size. */
#ifndef PSC_BENCH_SCENARIO_H
#define PSC_BENCH_SCENARIO_H

#include <peerscope/peerscope.h>

typedef struct bench_scenario {
    const char *name;
    size_t peers;
    size_t conns;
    size_t streams_per_conn;
    size_t dht_buckets;
    size_t dht_peers_per_bucket;
    size_t topics;
    size_t peerstore;
} bench_scenario;

extern const bench_scenario bench_scenarios[];
extern const size_t bench_scenario_count;

/* The synthetic node: every entity with counters the host would update. */
typedef struct bench_node bench_node;

bench_node *bench_node_new(const bench_scenario *sc, uint64_t seed);
void bench_node_free(bench_node *n);
/* Register providers for every subsystem the scenario has. */
psc_err bench_node_register(bench_node *n, psc_introspector *intro);
/* The counter the hot-path benchmark updates (connection 0, inbound). */
psc_counter *bench_node_counter(bench_node *n, size_t conn);

#endif

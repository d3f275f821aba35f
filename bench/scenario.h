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
/* The scenario named name, or NULL. */
const bench_scenario *bench_scenario_find(const char *name);

/*
 * The synthetic node: every entity with counters the host would update.
 * Timestamps are fixed when the node is made, so an entity nobody touches
 * reads the same in every snapshot (as in a real host).
 */
typedef struct bench_node bench_node;

bench_node *bench_node_new(const bench_scenario *sc, uint64_t seed);
void bench_node_free(bench_node *n);
/*
 * Register providers for every subsystem the scenario has. A node with
 * churn set (bench_node_set_churn) changes itself at the start of each
 * snapshot (in its swarm provider, the first one), on the snapshotting
 * thread: nothing else may touch it meanwhile.
 */
psc_err bench_node_register(bench_node *n, psc_introspector *intro);
/* The counter the hot-path benchmark updates (connection conn, inbound). */
psc_counter *bench_node_counter(bench_node *n, size_t conn);

/*
 * Churn per snapshot, in percent of each kind of entity: that many
 * connections close and as many new ones open (with their streams), DHT
 * peers and peerstore entries are replaced by new peers, topics count new
 * messages. 0: the node stays as it is.
 */
void bench_node_set_churn(bench_node *n, double percent);

#endif

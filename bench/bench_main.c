/*
 * peerscope-bench: what introspection costs the host.
 *
 *   peerscope-bench [--scenario S|M|L|all] [--json] [--runs N]
 *
 * Measures, each as median/min/max over repeated runs in one process:
 * the hot path (counter update next to a bare relaxed atomic add; event
 * emit, one thread and two contending), and per scenario the snapshot
 * (collect + encode, next to protobuf-c's pack of the identical State and
 * memcpy of the same bytes), allocations per snapshot and peak memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <peerscope/pb.h>
#include <peerscope/peerscope.h>

#include "scenario.h"
#include "stats.h"

#define MAX_RUNS 64

static int g_runs = 15;
static FILE *g_table; /* the readable table goes here (stderr with --json) */

/* ------------------------------------------------------------ allocator */

typedef struct counting_alloc {
    uint64_t calls;
} counting_alloc;

static void *count_alloc(void *user, size_t n)
{
    __atomic_fetch_add(&((counting_alloc *)user)->calls, 1, __ATOMIC_RELAXED);
    return malloc(n);
}

static void count_free(void *user, void *p)
{
    (void)user;
    free(p);
}

/* ------------------------------------------------------------- hot path */

typedef struct hot_result {
    bench_stat atomic_add_ns, counter_add_ns, counter_add_2t_ns, emit_ns, emit_2t_ns;
} hot_result;

#define HOT_ITERS 2000000

static uint64_t g_sink;

static double time_atomic_add(void)
{
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < HOT_ITERS; i++)
        __atomic_fetch_add(&g_sink, (uint64_t)i, __ATOMIC_RELAXED);
    return (double)(bench_now_ns() - t0) / HOT_ITERS;
}

static psc_counter g_counter;

static double time_counter_add(void)
{
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < HOT_ITERS; i++)
        psc_counter_add(&g_counter, 1200);
    return (double)(bench_now_ns() - t0) / HOT_ITERS;
}

static void *counter_thread(void *arg)
{
    *(double *)arg = time_counter_add();
    return NULL;
}

typedef struct emit_ctx {
    psc_introspector *intro;
    const psc_event_type *type;
    int iters;
    double ns;
} emit_ctx;

static void *emit_thread(void *arg)
{
    emit_ctx *c = arg;
    const char *peer = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < c->iters; i++) {
        psc_value v[3] = {PSC_V_STR(peer), PSC_V_STR("tcp"), PSC_V_STR("outbound")};
        psc_emit(c->intro, c->type, v, 3);
    }
    c->ns = (double)(bench_now_ns() - t0) / c->iters;
    return NULL;
}

static int bench_hot_path(hot_result *r)
{
    double a[MAX_RUNS], c[MAX_RUNS], c2[MAX_RUNS], e[MAX_RUNS], e2[MAX_RUNS];
    psc_introspector *intro;
    if (psc_introspector_new(NULL, &intro))
        return -1;
    static const psc_prop_def props[] = {
        {"peerId", PSC_PROP_PEERID, false}, {"transport", PSC_PROP_STRING, false}, {"direction", PSC_PROP_STRING, false}};
    static const psc_event_def def = {"BenchEvent", props, 3};
    const psc_event_type *type;
    if (psc_event_declare(intro, &def, &type)) {
        psc_introspector_free(intro);
        return -1;
    }
    for (int run = 0; run < g_runs; run++) {
        a[run] = time_atomic_add();
        c[run] = time_counter_add();
        pthread_t t;
        double other = 0;
        pthread_create(&t, NULL, counter_thread, &other);
        c2[run] = time_counter_add();
        pthread_join(t, NULL);
        c2[run] = (c2[run] + other) / 2;

        emit_ctx one = {intro, type, 200000, 0};
        emit_thread(&one);
        e[run] = one.ns;
        emit_ctx x = {intro, type, 200000, 0}, y = {intro, type, 200000, 0};
        pthread_create(&t, NULL, emit_thread, &x);
        emit_thread(&y);
        pthread_join(t, NULL);
        e2[run] = (x.ns + y.ns) / 2;
    }
    r->atomic_add_ns = bench_summarise(a, g_runs);
    r->counter_add_ns = bench_summarise(c, g_runs);
    r->counter_add_2t_ns = bench_summarise(c2, g_runs);
    r->emit_ns = bench_summarise(e, g_runs);
    r->emit_2t_ns = bench_summarise(e2, g_runs);
    psc_introspector_free(intro);
    return 0;
}

/* ------------------------------------------------------------- snapshot */

typedef struct snap_result {
    const char *name;
    size_t conns, streams;
    size_t bytes;
    bench_stat snapshot_ms, pbc_pack_ms, memcpy_ms;
    double allocs_per_snapshot;
    long peak_rss_kb;
} snap_result;

static int bench_snapshot(const bench_scenario *sc, snap_result *r)
{
    counting_alloc ca = {0};
    psc_allocator alloc = {count_alloc, count_free, &ca};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &alloc;
    cfg.runtime.implementation = "peerscope-bench";
    psc_introspector *intro;
    if (psc_introspector_new(&cfg, &intro))
        return -1;
    bench_node *node = bench_node_new(sc, 42);
    if (!node || bench_node_register(node, intro)) {
        bench_node_free(node);
        psc_introspector_free(intro);
        return -1;
    }
    double snap[MAX_RUNS], pack[MAX_RUNS], copy[MAX_RUNS];
    uint64_t alloc_total = 0;
    psc_msg *last = NULL;
    /* one warm-up snapshot so steady-state buffers exist, as in a running host */
    if (psc_introspector_snapshot(intro, &last))
        goto fail;
    for (int run = 0; run < g_runs; run++) {
        psc_msg *m;
        uint64_t calls0 = __atomic_load_n(&ca.calls, __ATOMIC_RELAXED);
        uint64_t t0 = bench_now_ns();
        psc_err e = psc_introspector_snapshot(intro, &m);
        snap[run] = (double)(bench_now_ns() - t0) / 1e6;
        alloc_total += __atomic_load_n(&ca.calls, __ATOMIC_RELAXED) - calls0;
        if (e)
            goto fail;
        psc_msg_unref(last);
        last = m;
    }
    size_t len;
    const uint8_t *payload = psc_msg_payload(last, &len);
    Peerscope__ServerMessage *tree = peerscope__server_message__unpack(NULL, len, payload);
    if (!tree)
        goto fail;
    uint8_t *buf = malloc(len + 64), *dst = malloc(len + 64);
    for (int run = 0; run < g_runs; run++) {
        uint64_t t0 = bench_now_ns();
        size_t n = peerscope__server_message__get_packed_size(tree);
        size_t w = peerscope__server_message__pack(tree, buf);
        pack[run] = (double)(bench_now_ns() - t0) / 1e6;
        if (n != w || n != len) {
            fprintf(stderr, "bench: protobuf-c repack size %zu differs from ours %zu\n", n, len);
        }
        t0 = bench_now_ns();
        memcpy(dst, payload, len);
        __asm__ volatile("" : : "r"(dst) : "memory");
        copy[run] = (double)(bench_now_ns() - t0) / 1e6;
    }
    free(buf);
    free(dst);
    peerscope__server_message__free_unpacked(tree, NULL);

    psc_state_summary sum = PSC_STATE_SUMMARY_INIT;
    psc_state_summary_get(last, &sum);
    r->name = sc->name;
    r->conns = sum.connections;
    r->streams = sum.streams;
    r->bytes = len;
    r->snapshot_ms = bench_summarise(snap, g_runs);
    r->pbc_pack_ms = bench_summarise(pack, g_runs);
    r->memcpy_ms = bench_summarise(copy, g_runs);
    r->allocs_per_snapshot = (double)alloc_total / g_runs;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_rss_kb = ru.ru_maxrss;
    psc_msg_unref(last);
    psc_introspector_free(intro);
    bench_node_free(node);
    return 0;
fail:
    psc_msg_unref(last);
    psc_introspector_free(intro);
    bench_node_free(node);
    return -1;
}

/* --------------------------------------------------------------- output */

static void json_stat(FILE *f, const char *key, bench_stat s, int last)
{
    fprintf(f, "\"%s\":{\"median\":%.4f,\"min\":%.4f,\"max\":%.4f}%s", key, s.median, s.min, s.max, last ? "" : ",");
}

static void usage(void)
{
    fprintf(stderr, "usage: peerscope-bench [--scenario S|M|L|all] [--json] [--runs N]\n");
}

int main(int argc, char **argv)
{
    const char *which = "all";
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
            which = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            g_runs = atoi(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (g_runs < 1 || g_runs > MAX_RUNS) {
        fprintf(stderr, "peerscope-bench: --runs must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    g_table = json ? stderr : stdout;
    struct utsname un;
    uname(&un);

    hot_result hot;
    if (bench_hot_path(&hot)) {
        fprintf(stderr, "peerscope-bench: hot path benchmark failed\n");
        return 1;
    }
    fprintf(g_table, "peerscope %s bench, %s %s, %d runs each (median [min..max])\n", psc_version_string(),
            un.sysname, un.machine, g_runs);
    fprintf(g_table, "hot path                     ns/op\n");
    fprintf(g_table, "  relaxed atomic add       %7.2f [%.2f..%.2f]\n", hot.atomic_add_ns.median, hot.atomic_add_ns.min, hot.atomic_add_ns.max);
    fprintf(g_table, "  counter add (1 thread)   %7.2f [%.2f..%.2f]  ratio %.2fx\n", hot.counter_add_ns.median,
            hot.counter_add_ns.min, hot.counter_add_ns.max, hot.counter_add_ns.median / hot.atomic_add_ns.median);
    fprintf(g_table, "  counter add (2 threads)  %7.2f [%.2f..%.2f]\n", hot.counter_add_2t_ns.median, hot.counter_add_2t_ns.min, hot.counter_add_2t_ns.max);
    fprintf(g_table, "  event emit (1 thread)    %7.1f [%.1f..%.1f]\n", hot.emit_ns.median, hot.emit_ns.min, hot.emit_ns.max);
    fprintf(g_table, "  event emit (2 threads)   %7.1f [%.1f..%.1f]\n", hot.emit_2t_ns.median, hot.emit_2t_ns.min, hot.emit_2t_ns.max);

    snap_result res[8];
    size_t nres = 0;
    for (size_t i = 0; i < bench_scenario_count; i++) {
        if (strcmp(which, "all") && strcmp(which, bench_scenarios[i].name))
            continue;
        if (bench_snapshot(&bench_scenarios[i], &res[nres])) {
            fprintf(stderr, "peerscope-bench: scenario %s failed\n", bench_scenarios[i].name);
            return 1;
        }
        nres++;
    }
    if (!nres) {
        usage();
        return 2;
    }
    fprintf(g_table, "snapshot  conns  streams     bytes  collect+encode ms  protobuf-c pack ms  memcpy ms  ratio/pack ratio/memcpy allocs\n");
    for (size_t i = 0; i < nres; i++) {
        snap_result *r = &res[i];
        fprintf(g_table, "  %-5s %7zu %8zu %9zu  %8.3f [%.3f..%.3f] %8.3f [%.3f..%.3f] %9.4f  %6.2f  %8.1f  %6.1f\n",
                r->name, r->conns, r->streams, r->bytes, r->snapshot_ms.median, r->snapshot_ms.min, r->snapshot_ms.max,
                r->pbc_pack_ms.median, r->pbc_pack_ms.min, r->pbc_pack_ms.max, r->memcpy_ms.median,
                r->snapshot_ms.median / r->pbc_pack_ms.median, r->snapshot_ms.median / r->memcpy_ms.median,
                r->allocs_per_snapshot);
    }
    fprintf(g_table, "peak RSS after all scenarios: %ld KiB\n", res[nres - 1].peak_rss_kb);

    if (json) {
        printf("{\"version\":\"%s\",\"machine\":\"%s %s\",\"runs\":%d,\"hot_path_ns\":{", psc_version_string(),
               un.sysname, un.machine, g_runs);
        json_stat(stdout, "atomic_add", hot.atomic_add_ns, 0);
        json_stat(stdout, "counter_add", hot.counter_add_ns, 0);
        json_stat(stdout, "counter_add_2threads", hot.counter_add_2t_ns, 0);
        json_stat(stdout, "emit", hot.emit_ns, 0);
        json_stat(stdout, "emit_2threads", hot.emit_2t_ns, 1);
        printf("},\"snapshots\":[");
        for (size_t i = 0; i < nres; i++) {
            snap_result *r = &res[i];
            printf("%s{\"scenario\":\"%s\",\"connections\":%zu,\"streams\":%zu,\"bytes\":%zu,", i ? "," : "", r->name,
                   r->conns, r->streams, r->bytes);
            json_stat(stdout, "collect_encode_ms", r->snapshot_ms, 0);
            json_stat(stdout, "protobuf_c_pack_ms", r->pbc_pack_ms, 0);
            json_stat(stdout, "memcpy_ms", r->memcpy_ms, 0);
            printf("\"allocs_per_snapshot\":%.1f,\"peak_rss_kb\":%ld}", r->allocs_per_snapshot, r->peak_rss_kb);
        }
        printf("]}\n");
    }
    return 0;
}

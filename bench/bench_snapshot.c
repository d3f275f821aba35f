/*
 * 2 and 3. Snapshots: collect + encode CPU time and encoded bytes, next to
 * protobuf-c packing the identical State from a message tree and memcpy of
 * the same bytes, in the same run; allocations per snapshot; peak RSS.
 * The snapshot time includes the FNV-1a checksum of the frame header (the
 * wire format requires it); its share is reported on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <peerscope/pb.h>
#include <peerscope/wire.h>

#include "bench.h"

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

/* Repeat small operations until a sample lasts this long (CPU clock resolution). */
#define MIN_SAMPLE_NS 2000000u

static volatile uint32_t g_fnv_sink;

int bench_snapshot(const bench_scenario *sc, const bench_opts *o, snap_result *r)
{
    counting_alloc ca = {0};
    psc_allocator alloc = {count_alloc, count_free, &ca};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &alloc;
    cfg.runtime.implementation = "peerscope-bench";
    psc_introspector *intro, *inl = NULL;
    if (psc_introspector_new(&cfg, &intro))
        return -1;
    /* the same node, its collects on the snapshotting thread: what the
     * collector thread and its deadline cost */
    psc_config icfg = cfg;
    icfg.allocator = NULL;
    icfg.collect_timeout_ms = PSC_COLLECT_INLINE;
    if (psc_introspector_new(&icfg, &inl)) {
        psc_introspector_free(intro);
        return -1;
    }
    bench_node *node = bench_node_new(sc, 42);
    uint8_t *buf = NULL, *dst = NULL;
    Peerscope__ServerMessage *tree = NULL;
    psc_msg *last = NULL, *ilast = NULL;
    if (!node || bench_node_register(node, intro) || bench_node_register(node, inl))
        goto fail;
    double snap[BENCH_MAX_RUNS], pack[BENCH_MAX_RUNS], copy[BENCH_MAX_RUNS], fnv[BENCH_MAX_RUNS];
    double inline_ms[BENCH_MAX_RUNS];
    uint64_t alloc_total = 0;
    /* warm-up snapshots so steady-state buffers exist, as in a running host */
    for (int i = 0; i < 2; i++) {
        psc_msg_unref(last);
        last = NULL;
        if (psc_introspector_snapshot(intro, &last))
            goto fail;
        psc_msg *im = NULL;
        if (psc_introspector_snapshot(inl, &im))
            goto fail;
        psc_msg_unref(im);
    }
    /* protobuf-c's input: the identical State as a message tree */
    size_t len;
    const uint8_t *payload = psc_msg_payload(last, &len);
    tree = peerscope__server_message__unpack(NULL, len, payload);
    buf = malloc(len + 64);
    dst = malloc(len + 64);
    if (!tree || !buf || !dst)
        goto fail;
    memset(buf, 0, len + 64); /* mapped before it is timed, like the snapshot's pooled buffers */
    memset(dst, 0, len + 64);
    size_t tree_len = len;
    size_t reps = len < 4096 ? 256 : len < 262144 ? 16 : 1;
    /* Each run measures all four back to back, so that they see the same
     * machine: on a shared machine the load changes from second to second. */
    for (int run = 0; run < o->runs; run++) {
        psc_msg *m;
        uint64_t calls0 = __atomic_load_n(&ca.calls, __ATOMIC_RELAXED);
        /* process CPU: the collect runs on the library's collector thread */
        uint64_t t0 = bench_cpu_ns();
        psc_err e = psc_introspector_snapshot(intro, &m);
        snap[run] = (double)(bench_cpu_ns() - t0) / 1e6;
        alloc_total += __atomic_load_n(&ca.calls, __ATOMIC_RELAXED) - calls0;
        if (e)
            goto fail;
        psc_msg *im;
        t0 = bench_cpu_ns();
        e = psc_introspector_snapshot(inl, &im);
        inline_ms[run] = (double)(bench_cpu_ns() - t0) / 1e6;
        if (e)
            goto fail;
        psc_msg_unref(ilast);
        ilast = im;
        /* the previous one is dropped after the next is made, as when clients still send it */
        psc_msg_unref(last);
        last = m;
        payload = psc_msg_payload(last, &len);

        t0 = bench_thread_cpu_ns();
        size_t n = peerscope__server_message__get_packed_size(tree);
        size_t w = peerscope__server_message__pack(tree, buf);
        pack[run] = (double)(bench_thread_cpu_ns() - t0) / 1e6;
        if (n != w || n != tree_len) {
            fprintf(stderr, "bench: protobuf-c repack size %zu differs from ours %zu\n", n, tree_len);
            goto fail;
        }
        size_t k = 0;
        t0 = bench_thread_cpu_ns();
        do {
            memcpy(dst, payload, len);
            __asm__ volatile("" : : "r"(dst) : "memory");
        } while (++k < reps || bench_thread_cpu_ns() - t0 < MIN_SAMPLE_NS);
        copy[run] = (double)(bench_thread_cpu_ns() - t0) / 1e6 / (double)k;
        k = 0;
        t0 = bench_thread_cpu_ns();
        do {
            g_fnv_sink = psc_fnv1a32(payload, len);
        } while (++k < reps || bench_thread_cpu_ns() - t0 < MIN_SAMPLE_NS);
        fnv[run] = (double)(bench_thread_cpu_ns() - t0) / 1e6 / (double)k;
    }

    psc_state_summary sum = PSC_STATE_SUMMARY_INIT;
    psc_state_summary_get(last, &sum);
    r->name = sc->name;
    r->conns = sum.connections;
    r->streams = sum.streams;
    r->bytes = len;
    r->snapshot_ms = bench_summarise(snap, (size_t)o->runs);
    r->inline_ms = bench_summarise(inline_ms, (size_t)o->runs);
    r->pbc_pack_ms = bench_summarise(pack, (size_t)o->runs);
    r->memcpy_ms = bench_summarise(copy, (size_t)o->runs);
    r->fnv_ms = bench_summarise(fnv, (size_t)o->runs);
    r->allocs_per_snapshot = (double)alloc_total / o->runs;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_rss_kb = ru.ru_maxrss;
    free(buf);
    free(dst);
    peerscope__server_message__free_unpacked(tree, NULL);
    psc_msg_unref(last);
    psc_msg_unref(ilast);
    psc_introspector_free(intro);
    psc_introspector_free(inl);
    bench_node_free(node);
    return 0;
fail:
    free(buf);
    free(dst);
    if (tree)
        peerscope__server_message__free_unpacked(tree, NULL);
    psc_msg_unref(last);
    psc_msg_unref(ilast);
    psc_introspector_free(intro);
    psc_introspector_free(inl);
    bench_node_free(node);
    return -1;
}

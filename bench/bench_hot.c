/*
 * 1. The host's hot path: what a byte counter update and an event emit
 * cost, next to one relaxed atomic add measured in the same run. Times are
 * the calling thread's CPU time per operation, so other load on the
 * machine does not count against the library.
 */
#include <pthread.h>

#include "bench.h"

#define HOT_ITERS 2000000
#define EMIT_ITERS 200000

static uint64_t g_sink;
static psc_counter g_counter;

/* The loops are kept from being folded away by the atomics themselves. */
static double time_atomic_add(void)
{
    uint64_t t0 = bench_thread_cpu_ns();
    for (int i = 0; i < HOT_ITERS; i++)
        __atomic_fetch_add(&g_sink, (uint64_t)i, __ATOMIC_RELAXED);
    return (double)(bench_thread_cpu_ns() - t0) / HOT_ITERS;
}

static double time_counter_bytes(void)
{
    uint64_t t0 = bench_thread_cpu_ns();
    for (int i = 0; i < HOT_ITERS; i++)
        psc_counter_add_bytes(&g_counter, (uint64_t)i);
    return (double)(bench_thread_cpu_ns() - t0) / HOT_ITERS;
}

static double time_counter_add(void)
{
    uint64_t t0 = bench_thread_cpu_ns();
    for (int i = 0; i < HOT_ITERS; i++)
        psc_counter_add(&g_counter, 1200);
    return (double)(bench_thread_cpu_ns() - t0) / HOT_ITERS;
}

static void *counter_thread(void *arg)
{
    *(double *)arg = time_counter_add();
    return NULL;
}

typedef struct emit_ctx {
    psc_introspector *intro;
    const psc_event_type *type;
    double ns;
} emit_ctx;

static void *emit_thread(void *arg)
{
    emit_ctx *c = arg;
    const char *peer = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    uint64_t t0 = bench_thread_cpu_ns();
    for (int i = 0; i < EMIT_ITERS; i++) {
        psc_value v[3] = {PSC_V_STR(peer), PSC_V_STR("tcp"), PSC_V_STR("outbound")};
        psc_emit(c->intro, c->type, v, 3);
    }
    c->ns = (double)(bench_thread_cpu_ns() - t0) / EMIT_ITERS;
    return NULL;
}

int bench_hot_path(const bench_opts *o, hot_result *r)
{
    double a[BENCH_MAX_RUNS], b[BENCH_MAX_RUNS], c[BENCH_MAX_RUNS], c2[BENCH_MAX_RUNS], e[BENCH_MAX_RUNS],
        e2[BENCH_MAX_RUNS];
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
    for (int run = 0; run < o->runs; run++) {
        a[run] = time_atomic_add();
        b[run] = time_counter_bytes();
        c[run] = time_counter_add();
        pthread_t t;
        double other = 0;
        if (pthread_create(&t, NULL, counter_thread, &other) != 0)
            goto fail;
        c2[run] = time_counter_add();
        pthread_join(t, NULL);
        c2[run] = (c2[run] + other) / 2;

        emit_ctx one = {intro, type, 0};
        emit_thread(&one);
        e[run] = one.ns;
        emit_ctx x = {intro, type, 0}, y = {intro, type, 0};
        if (pthread_create(&t, NULL, emit_thread, &x) != 0)
            goto fail;
        emit_thread(&y);
        pthread_join(t, NULL);
        e2[run] = (x.ns + y.ns) / 2;
    }
    r->atomic_add_ns = bench_summarise(a, (size_t)o->runs);
    r->counter_bytes_ns = bench_summarise(b, (size_t)o->runs);
    r->counter_add_ns = bench_summarise(c, (size_t)o->runs);
    r->counter_add_2t_ns = bench_summarise(c2, (size_t)o->runs);
    r->emit_ns = bench_summarise(e, (size_t)o->runs);
    r->emit_2t_ns = bench_summarise(e2, (size_t)o->runs);
    psc_introspector_free(intro);
    return 0;
fail:
    psc_introspector_free(intro);
    return -1;
}

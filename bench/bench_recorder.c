/*
 * 7. The flight recorder: memory held after minutes of a churning host,
 * next to max_bytes; the cost of one recorder sample next to one plain
 * snapshot of the same host; psc_emit with a recorder's thread draining
 * the ring next to psc_emit without one, flat out (the emitting thread
 * saturates a core: the recorder's thread then reads the slots the
 * emitter is writing the whole time) and paced at 100,000 events/s (it
 * drains in bursts, every 10 ms at most).
 *
 * Memory is simulated: the introspector's clock is the benchmark's, moved
 * one second per sample, so ten minutes take seconds. Each simulated
 * second the node churns 1% and the host emits EVENTS_PER_S events; the
 * recorder samples by hand (PSC_RECORDER_MANUAL), keep_ms 10 minutes, a
 * full state every 60 (the defaults). What the recorder says it holds
 * (psc_recorder_stats.bytes) is shown with what the introspector's
 * allocator has live beyond what it had before the recorder existed.
 */
#define _GNU_SOURCE /* fopencookie: a stream that only counts */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sized_alloc.h"

#define EVENTS_PER_S 100
#define EMIT_ITERS 200000
/* The paced emit: PACED_BATCH events every millisecond (100,000/s). */
#define PACED_BATCH 100

typedef struct sim_clock {
    uint64_t wall_ms;
} sim_clock;

static uint64_t sim_wall(void *user)
{
    return ((sim_clock *)user)->wall_ms;
}

static const psc_prop_def ev_props[] = {
    {"peerId", PSC_PROP_PEERID, false}, {"transport", PSC_PROP_STRING, false}, {"direction", PSC_PROP_STRING, false}};
static const psc_event_def ev_def = {"BenchEvent", ev_props, 3};

static void emit_some(psc_introspector *intro, const psc_event_type *t, int n)
{
    const char *peer = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    for (int i = 0; i < n; i++) {
        psc_value v[3] = {PSC_V_STR(peer), PSC_V_STR("tcp"), PSC_V_STR(i % 2 ? "inbound" : "outbound")};
        psc_emit(intro, t, v, 3);
    }
}

static ssize_t count_write(void *cookie, const char *buf, size_t n)
{
    (void)buf;
    *(uint64_t *)cookie += n;
    return (ssize_t)n;
}

/* Write the recording to a stream that counts its bytes: CPU ms, bytes. */
static int time_write(psc_recorder *rec, double *ms, uint64_t *bytes)
{
    *bytes = 0;
    cookie_io_functions_t io = {.write = count_write};
    FILE *f = fopencookie(bytes, "w", io);
    if (!f)
        return -1;
    uint64_t t0 = bench_thread_cpu_ns();
    psc_err e = psc_recorder_write_file(rec, f);
    *ms = (double)(bench_thread_cpu_ns() - t0) / 1e6;
    fclose(f);
    return e ? -1 : 0;
}

/* One simulated run: minutes of samples under a budget; the sample's and a
 * twin's plain snapshot's CPU times into the arrays when given. */
static int simulate(const bench_scenario *sc, unsigned seconds, size_t max_bytes, rec_memory *m, double *sample_ms,
                    double *snap_ms, size_t cap)
{
    sized_alloc sa = {0}, sb = {0};
    psc_allocator alloc = sized_allocator(&sa), alloc_b = sized_allocator(&sb);
    sim_clock clk = {1700000000000ull}, clk_b = {1700000000000ull};
    psc_clock c = {sim_wall, NULL, &clk}, c_b = {sim_wall, NULL, &clk_b};
    psc_config cfg = PSC_CONFIG_INIT, cfg_b = PSC_CONFIG_INIT;
    cfg.allocator = &alloc;
    cfg.clock = &c;
    cfg_b.allocator = &alloc_b;
    cfg_b.clock = &c_b;
    psc_introspector *intro = NULL, *twin = NULL;
    bench_node *node = bench_node_new(sc, 11), *node_b = bench_node_new(sc, 11);
    psc_recorder *rec = NULL;
    const psc_event_type *t = NULL;
    int rc = -1;
    if (!node || !node_b || psc_introspector_new(&cfg, &intro) || psc_introspector_new(&cfg_b, &twin) ||
        bench_node_register(node, intro) || bench_node_register(node_b, twin) ||
        psc_event_declare(intro, &ev_def, &t))
        goto out;
    bench_node_set_churn(node, 1.0);
    bench_node_set_churn(node_b, 1.0);
    /* steady state first (vanished connections are reported once), as a host that has run a while */
    for (int i = 0; i < 3; i++) {
        psc_msg *x = NULL, *y = NULL;
        if (psc_introspector_snapshot(intro, &x) || psc_introspector_snapshot(twin, &y))
            goto out;
        psc_msg_unref(x);
        psc_msg_unref(y);
    }
    long long before = atomic_load(&sa.live);
    psc_recorder_config rcfg = PSC_RECORDER_CONFIG_INIT;
    rcfg.interval_ms = PSC_RECORDER_MANUAL;
    rcfg.max_bytes = max_bytes;
    if (psc_recorder_new(intro, &rcfg, &rec))
        goto out;
    psc_recorder_stats st = {.struct_size = sizeof st};
    size_t peak = 0;
    for (unsigned s = 0; s < seconds; s++) {
        clk.wall_ms += 1000;
        clk_b.wall_ms += 1000;
        emit_some(intro, t, EVENTS_PER_S);
        uint64_t t0 = bench_thread_cpu_ns();
        psc_err e = psc_recorder_sample(rec);
        uint64_t t1 = bench_thread_cpu_ns();
        psc_msg *y = NULL;
        psc_err e2 = psc_introspector_snapshot(twin, &y);
        uint64_t t2 = bench_thread_cpu_ns();
        psc_msg_unref(y);
        if (e || e2)
            goto out;
        if (sample_ms && s < cap) {
            sample_ms[s] = (double)(t1 - t0) / 1e6;
            snap_ms[s] = (double)(t2 - t1) / 1e6;
        }
        if (psc_recorder_stats_get(rec, &st))
            goto out;
        peak = st.bytes > peak ? st.bytes : peak;
    }
    if (m) {
        m->seconds = seconds;
        m->max_bytes = max_bytes;
        m->bytes = st.bytes;
        m->peak_bytes = peak;
        m->allocator_bytes = (double)(atomic_load(&sa.live) - before);
        m->full_states = st.full_states;
        m->delta_states = st.delta_states;
        m->events = st.events;
        m->held_ms = st.newest_ms - st.oldest_ms;
        m->pruned = st.pruned;
        if (time_write(rec, &m->write_ms, &m->file_bytes))
            goto out;
    }
    rc = 0;
out:
    psc_recorder_free(rec);
    psc_introspector_free(intro);
    psc_introspector_free(twin);
    bench_node_free(node);
    bench_node_free(node_b);
    return rc;
}

/* ------------------------------------------------------------ emit */

static double time_emit(psc_introspector *intro, const psc_event_type *t)
{
    uint64_t t0 = bench_thread_cpu_ns();
    emit_some(intro, t, EMIT_ITERS);
    return (double)(bench_thread_cpu_ns() - t0) / EMIT_ITERS;
}

/* CPU ns per emit at 100,000 events/s for ms milliseconds: a busy host, not a flat-out loop. */
static double time_emit_paced(psc_introspector *intro, const psc_event_type *t, unsigned ms)
{
    uint64_t cpu = 0, next = bench_now_ns();
    for (unsigned i = 0; i < ms; i++) {
        uint64_t t0 = bench_thread_cpu_ns();
        emit_some(intro, t, PACED_BATCH);
        cpu += bench_thread_cpu_ns() - t0;
        next += 1000000u;
        bench_sleep_until(next);
    }
    return (double)cpu / ((double)ms * PACED_BATCH);
}

static int emit_pair(const bench_opts *o, double *without, double *with, double *paced_without, double *paced_with)
{
    psc_config cfg = PSC_CONFIG_INIT;
    psc_introspector *intro = NULL;
    const psc_event_type *t = NULL;
    psc_recorder *rec = NULL;
    int rc = -1;
    if (psc_introspector_new(&cfg, &intro) || psc_event_declare(intro, &ev_def, &t))
        goto out;
    psc_recorder_config rcfg = PSC_RECORDER_CONFIG_INIT; /* its own thread, 1 s, 64 MiB */
    unsigned ms = o->quick ? 100 : 300;
    for (int run = 0; run < o->runs; run++) {
        without[run] = time_emit(intro, t);
        paced_without[run] = time_emit_paced(intro, t, ms);
        if (psc_recorder_new(intro, &rcfg, &rec))
            goto out;
        with[run] = time_emit(intro, t);
        paced_with[run] = time_emit_paced(intro, t, ms);
        psc_recorder_free(rec);
        rec = NULL;
    }
    rc = 0;
out:
    psc_recorder_free(rec);
    psc_introspector_free(intro);
    return rc;
}

int bench_recorder(const bench_scenario *sc, const bench_opts *o, recorder_result *r)
{
    memset(r, 0, sizeof *r);
    r->scenario = sc->name;
    r->events_per_s = EVENTS_PER_S;
    /* 12 minutes against the default 10 minutes and 64 MiB, then the same under a tight budget */
    unsigned seconds = o->quick ? 120 : 720;
    static double sample_ms[720], snap_ms[720];
    if (simulate(sc, seconds, 0, &r->mem[0], sample_ms, snap_ms, 720))
        return -1;
    r->mem[0].max_bytes = 64u * 1024 * 1024;
    double total_sample = 0, total_snap = 0;
    for (unsigned i = 0; i < seconds; i++) {
        total_sample += sample_ms[i];
        total_snap += snap_ms[i];
    }
    r->sample_mean_ms = total_sample / seconds;
    r->snapshot_mean_ms = total_snap / seconds;
    r->sample_ms = bench_summarise(sample_ms, seconds);
    r->snapshot_ms = bench_summarise(snap_ms, seconds);
    size_t tight = r->mem[0].peak_bytes / 4;
    if (tight < 1024 * 1024)
        tight = 1024 * 1024;
    if (simulate(sc, seconds, tight, &r->mem[1], NULL, NULL, 0))
        return -1;

    double without[BENCH_MAX_RUNS], with[BENCH_MAX_RUNS], pw[BENCH_MAX_RUNS], pr[BENCH_MAX_RUNS];
    if (emit_pair(o, without, with, pw, pr))
        return -1;
    r->emit_ns = bench_summarise(without, (size_t)o->runs);
    r->emit_recorded_ns = bench_summarise(with, (size_t)o->runs);
    r->emit_paced_ns = bench_summarise(pw, (size_t)o->runs);
    r->emit_paced_recorded_ns = bench_summarise(pr, (size_t)o->runs);
    return 0;
}

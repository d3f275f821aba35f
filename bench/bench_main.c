/*
 * peerscope-bench: what introspection costs the host, against the bar of
 * issue 6 (see bench/README.md for the method and the latest numbers).
 *
 *   peerscope-bench [--scenario S|M|L|all] [--json] [--runs N] [--only LIST]
 *
 * Sections (LIST is a comma-separated subset; default all):
 *   hot       byte counter update and event emit, next to a relaxed atomic add
 *   snapshot  collect + encode vs protobuf-c pack vs memcpy; allocations; peak RSS
 *   fanout    WebSocket fan-out: service-thread CPU per push, 1/8/64 sessions
 *   events    emit-to-client latency at 10,000 events/s to 8 sessions; max no-drop rate
 *   stall     library memory with one stalled session
 *   delta     delta-state bytes per push at 1% churn vs full states
 *   recorder  flight recorder memory after 12 simulated minutes vs max_bytes, a sample
 *             vs a plain snapshot, psc_emit with a recorder vs without
 *   analyze   20 analyzer rules evaluated per snapshot vs the snapshot itself
 *   metrics   GET /metrics: a scrape (its snapshot, render, send) and a cached one,
 *             time and bytes, next to the snapshot of the same data
 * With --scenario all, snapshots run S, M and L, fan-out, the stalled
 * session and the recorder M, deltas M and L, analyzers and metrics L;
 * otherwise everything runs the scenario given.
 * Every measurement is a median (with min and max) over --runs runs in one
 * process. --json prints one JSON object on stdout and the table on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum {
    SEC_HOT = 1,
    SEC_SNAPSHOT = 2,
    SEC_FANOUT = 4,
    SEC_EVENTS = 8,
    SEC_STALL = 16,
    SEC_DELTA = 32,
    SEC_RECORDER = 64,
    SEC_ANALYZE = 128,
    SEC_METRICS = 256,
    SEC_ALL = 511
};

static const struct {
    const char *name;
    int bit;
} sections[] = {
    {"hot", SEC_HOT},       {"snapshot", SEC_SNAPSHOT}, {"fanout", SEC_FANOUT},
    {"events", SEC_EVENTS}, {"stall", SEC_STALL},       {"delta", SEC_DELTA},
    {"recorder", SEC_RECORDER}, {"analyze", SEC_ANALYZE}, {"metrics", SEC_METRICS},
};

typedef struct results {
    hot_result hot;
    snap_result snap[3];
    size_t n_snap;
    fanout_results fan;
    events_result ev;
    stall_result stall;
    delta_result delta[3];
    size_t n_delta;
    recorder_result rec;
    analyze_result an;
    metrics_result met;
    int done; /* sections that ran */
} results;

static void usage(void)
{
    fprintf(stderr, "usage: peerscope-bench [--scenario S|M|L|all] [--json] [--runs N] "
                    "[--only hot,snapshot,fanout,events,stall,delta,recorder,analyze,metrics]\n");
}

static int parse_sections(const char *list)
{
    int mask = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int bit = 0;
        for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
            if (!strcmp(t, sections[i].name))
                bit = sections[i].bit;
        if (!bit)
            return -1;
        mask |= bit;
    }
    return mask;
}

/* ------------------------------------------------------------ the bar */

typedef struct bar_line {
    char name[96];
    double value, limit;
    const char *unit;
    bool met;
} bar_line;

static size_t bar_add(bar_line *b, size_t n, const char *name, double value, double limit, const char *unit)
{
    snprintf(b[n].name, sizeof b[n].name, "%s", name);
    b[n].value = value;
    b[n].limit = limit;
    b[n].unit = unit;
    b[n].met = value <= limit;
    return n + 1;
}

static size_t evaluate(const results *r, bar_line *b)
{
    size_t n = 0;
    char name[96];
    if (r->done & SEC_HOT) {
        n = bar_add(b, n, "byte counter update / relaxed atomic add",
                    r->hot.counter_bytes_ns.median / r->hot.atomic_add_ns.median, 2.0, "x");
        n = bar_add(b, n, "event emit, 1 thread, median", r->hot.emit_ns.median, 300.0, "ns");
    }
    for (size_t i = 0; (r->done & SEC_SNAPSHOT) && i < r->n_snap; i++) {
        const snap_result *s = &r->snap[i];
        if (!strcmp(s->name, "S"))
            continue;
        snprintf(name, sizeof name, "snapshot %s / protobuf-c pack", s->name);
        n = bar_add(b, n, name, s->snapshot_ms.median / s->pbc_pack_ms.median, 1.0, "x");
        snprintf(name, sizeof name, "snapshot %s / memcpy", s->name);
        n = bar_add(b, n, name, s->snapshot_ms.median / s->memcpy_ms.median, 10.0, "x");
        snprintf(name, sizeof name, "snapshot %s collector thread / inline", s->name);
        n = bar_add(b, n, name, s->snapshot_ms.median / s->inline_ms.median, 1.1, "x");
    }
    if ((r->done & SEC_SNAPSHOT) && r->n_snap) {
        /* O(1): the biggest scenario allocates no more per snapshot than a small constant */
        double worst = 0;
        for (size_t i = 0; i < r->n_snap; i++)
            if (r->snap[i].allocs_per_snapshot > worst)
                worst = r->snap[i].allocs_per_snapshot;
        n = bar_add(b, n, "allocations per snapshot (any size)", worst, 4.0, "");
    }
    if (r->done & SEC_FANOUT) {
        const fanout_results *f = &r->fan;
        snprintf(name, sizeof name, "fan-out %s: 64 / 1 sessions, full states", f->scenario);
        n = bar_add(b, n, name, f->full[2].cpu_ms_per_push / f->full[0].cpu_ms_per_push, 2.0, "x");
        snprintf(name, sizeof name, "fan-out %s: 64 / 1 sessions, delta states", f->scenario);
        n = bar_add(b, n, name, f->delta[2].cpu_ms_per_push / f->delta[0].cpu_ms_per_push, 2.0, "x");
    }
    if (r->done & SEC_EVENTS)
        n = bar_add(b, n, "event latency p99, 10k/s, 8 sessions", r->ev.p99_ms, 5.0, "ms");
    if (r->done & SEC_STALL) {
        /* bounded: once the socket buffers are full (the first half), it stays put:
         * nothing in the second half exceeds the middle sample by 10% (plus 1 MiB) */
        double mid = (double)r->stall.lib_bytes[STALL_SAMPLES / 2 - 1], high = 0;
        for (int i = STALL_SAMPLES / 2; i < STALL_SAMPLES; i++)
            if ((double)r->stall.lib_bytes[i] > high)
                high = (double)r->stall.lib_bytes[i];
        snprintf(name, sizeof name, "stalled session %s: library MiB, 2nd half peak", r->stall.scenario);
        n = bar_add(b, n, name, high / 1048576.0, (mid * 1.1) / 1048576.0 + 1.0, "MiB");
    }
    for (size_t i = 0; (r->done & SEC_DELTA) && i < r->n_delta; i++) {
        snprintf(name, sizeof name, "delta %s at 1%% churn / full state", r->delta[i].name);
        n = bar_add(b, n, name, r->delta[i].ratio * 100.0, 5.0, "%");
    }
    if (r->done & SEC_RECORDER) {
        for (int i = 0; i < 2; i++) {
            const rec_memory *m = &r->rec.mem[i];
            snprintf(name, sizeof name, "recorder %s, %u min: peak held / max_bytes %zu MiB", r->rec.scenario,
                     m->seconds / 60, m->max_bytes >> 20);
            n = bar_add(b, n, name, (double)m->peak_bytes / (double)m->max_bytes, 1.0, "x");
        }
        n = bar_add(b, n, "event emit with a recorder, 1 thread, median", r->rec.emit_recorded_ns.median, 300.0, "ns");
    }
    if (r->done & SEC_ANALYZE) {
        snprintf(name, sizeof name, "%d rules on scenario %s / its snapshot", r->an.rules, r->an.name);
        n = bar_add(b, n, name, r->an.share, 0.10, "x");
    }
    if (r->done & SEC_METRICS) {
        /* a scrape costs no more than the snapshot it is made from */
        snprintf(name, sizeof name, "metrics %s: render (scrape - snapshot) / snapshot", r->met.scenario);
        n = bar_add(b, n, name, r->met.render_ms.median / r->met.snapshot_ms.median, 1.0, "x");
    }
    return n;
}

/* ------------------------------------------------------------ table */

static void table(FILE *f, const results *r, const bar_line *bar, size_t n_bar)
{
    if (r->done & SEC_HOT) {
        const hot_result *h = &r->hot;
        fprintf(f, "hot path (thread CPU ns/op)        median [min..max]\n");
        fprintf(f, "  relaxed atomic add              %7.2f [%.2f..%.2f]\n", h->atomic_add_ns.median,
                h->atomic_add_ns.min, h->atomic_add_ns.max);
        fprintf(f, "  psc_counter_add_bytes           %7.2f [%.2f..%.2f]  %.2fx atomic add\n",
                h->counter_bytes_ns.median, h->counter_bytes_ns.min, h->counter_bytes_ns.max,
                h->counter_bytes_ns.median / h->atomic_add_ns.median);
        fprintf(f, "  psc_counter_add (bytes+packets) %7.2f [%.2f..%.2f]  %.2fx atomic add\n",
                h->counter_add_ns.median, h->counter_add_ns.min, h->counter_add_ns.max,
                h->counter_add_ns.median / h->atomic_add_ns.median);
        fprintf(f, "  psc_counter_add, 2 threads      %7.2f [%.2f..%.2f]\n", h->counter_add_2t_ns.median,
                h->counter_add_2t_ns.min, h->counter_add_2t_ns.max);
        fprintf(f, "  psc_emit, 1 thread              %7.1f [%.1f..%.1f]\n", h->emit_ns.median, h->emit_ns.min,
                h->emit_ns.max);
        fprintf(f, "  psc_emit, 2 threads             %7.1f [%.1f..%.1f]\n", h->emit_2t_ns.median, h->emit_2t_ns.min,
                h->emit_2t_ns.max);
    }
    if (r->done & SEC_SNAPSHOT) {
        fprintf(f, "snapshot (CPU ms)         conns streams    bytes  collect+encode        "
                   "protobuf-c pack       memcpy   of which FNV-1a  /pack  /memcpy allocs  inline\n");
        for (size_t i = 0; i < r->n_snap; i++) {
            const snap_result *s = &r->snap[i];
            fprintf(f, "  %-22s %6zu %7zu %8zu  %7.3f [%.3f..%.3f]  %7.3f [%.3f..%.3f]  %7.4f  %7.3f  %6.2f  %7.1f  %5.1f  %7.3f\n",
                    s->name, s->conns, s->streams, s->bytes, s->snapshot_ms.median, s->snapshot_ms.min,
                    s->snapshot_ms.max, s->pbc_pack_ms.median, s->pbc_pack_ms.min, s->pbc_pack_ms.max,
                    s->memcpy_ms.median, s->fnv_ms.median, s->snapshot_ms.median / s->pbc_pack_ms.median,
                    s->snapshot_ms.median / s->memcpy_ms.median, s->allocs_per_snapshot, s->inline_ms.median);
        }
        fprintf(f, "  peak RSS after the last scenario: %ld KiB\n", r->snap[r->n_snap - 1].peak_rss_kb);
    }
    if (r->done & SEC_FANOUT) {
        const fanout_results *fo = &r->fan;
        fprintf(f, "fan-out, scenario %s (state %zu bytes, 1%% churn/interval): service-thread CPU per push\n",
                fo->scenario, fo->state_bytes);
        fprintf(f, "  sessions   full states: ms/push  bytes/push  replaced | delta states: ms/push  bytes/push  replaced\n");
        for (int i = 0; i < FANOUT_SIZES; i++)
            fprintf(f, "  %8d   %20.3f %11.0f %9llu | %21.3f %11.0f %9llu\n", bench_fanout_sizes[i],
                    fo->full[i].cpu_ms_per_push, fo->full[i].bytes_per_push,
                    (unsigned long long)fo->full[i].states_replaced, fo->delta[i].cpu_ms_per_push,
                    fo->delta[i].bytes_per_push, (unsigned long long)fo->delta[i].states_replaced);
    }
    if (r->done & SEC_EVENTS) {
        const events_result *e = &r->ev;
        fprintf(f, "events: %.0f/s to %d sessions: latency median %.3f ms, p99 %.3f ms, max %.3f ms; "
                   "%llu of %llu delivered\n",
                e->rate, e->sessions, e->median_ms, e->p99_ms, e->max_ms, (unsigned long long)e->delivered,
                (unsigned long long)e->sent);
        fprintf(f, "  highest rate delivered whole to 1 session: %.0f/s (first loss at %.0f/s; ring %zu)\n",
                e->max_no_drop_rate, e->first_drop_rate, e->ring);
    }
    if (r->done & SEC_STALL) {
        const stall_result *s = &r->stall;
        fprintf(f, "stalled session, scenario %s, 10k events/s, 1%% churn: library bytes (RSS KiB); reading: %.1f MiB\n",
                s->scenario, (double)s->lib_bytes_before / 1048576.0);
        for (int i = 0; i < STALL_SAMPLES; i++)
            fprintf(f, "  after %.1f s: %8.1f MiB (%ld)\n", s->seconds[i], (double)s->lib_bytes[i] / 1048576.0,
                    s->rss_kb[i]);
        fprintf(f, "  events emitted %llu, lost by the stalled session %llu; states replaced %llu\n",
                (unsigned long long)s->events_emitted, (unsigned long long)s->events_dropped,
                (unsigned long long)s->states_replaced);
    }
    if (r->done & SEC_DELTA) {
        fprintf(f, "delta states, 1%% churn/interval  full bytes  delta bytes  delta/full  amortized(full every 60)"
                   "  delta ms  snapshot ms\n");
        for (size_t i = 0; i < r->n_delta; i++) {
            const delta_result *d = &r->delta[i];
            fprintf(f, "  %-30s %11.0f %12.0f %10.2f%% %24.2f%% %9.3f %12.3f\n", d->name, d->full_bytes,
                    d->delta_bytes, d->ratio * 100, d->amortized_ratio * 100, d->delta_ms.median,
                    d->snapshot_ms.median);
        }
    }
    if (r->done & SEC_RECORDER) {
        const recorder_result *rc = &r->rec;
        fprintf(f, "flight recorder, scenario %s, 1%% churn and %d events per simulated second, keep 10 min, "
                   "full every 60\n", rc->scenario, rc->events_per_s);
        fprintf(f, "  simulated  max_bytes  held MiB (peak)  allocator MiB  whole deltas  events  span s  pruned"
                   "  | written: MiB  CPU ms\n");
        for (int i = 0; i < 2; i++) {
            const rec_memory *m = &rc->mem[i];
            fprintf(f, "  %6u s  %6.1f MiB  %7.1f (%7.1f)  %13.1f  %5zu %6zu  %6zu  %6.0f  %6llu  | %12.1f %7.0f\n",
                    m->seconds, (double)m->max_bytes / 1048576.0, (double)m->bytes / 1048576.0,
                    (double)m->peak_bytes / 1048576.0, m->allocator_bytes / 1048576.0, m->full_states,
                    m->delta_states, m->events, (double)m->held_ms / 1000.0, (unsigned long long)m->pruned,
                    (double)m->file_bytes / 1048576.0, m->write_ms);
        }
        fprintf(f, "  sample vs plain snapshot (CPU ms): median %.3f vs %.3f (%.2fx), mean %.3f vs %.3f (%.2fx)\n",
                rc->sample_ms.median, rc->snapshot_ms.median, rc->sample_ms.median / rc->snapshot_ms.median,
                rc->sample_mean_ms, rc->snapshot_mean_ms, rc->sample_mean_ms / rc->snapshot_mean_ms);
        fprintf(f, "  psc_emit flat out (CPU ns): without %.1f [%.1f..%.1f], with a recorder %.1f [%.1f..%.1f] (%.2fx)\n",
                rc->emit_ns.median, rc->emit_ns.min, rc->emit_ns.max, rc->emit_recorded_ns.median,
                rc->emit_recorded_ns.min, rc->emit_recorded_ns.max, rc->emit_recorded_ns.median / rc->emit_ns.median);
        fprintf(f, "  psc_emit at 100k/s (CPU ns): without %.1f [%.1f..%.1f], with a recorder %.1f [%.1f..%.1f] (%.2fx)\n",
                rc->emit_paced_ns.median, rc->emit_paced_ns.min, rc->emit_paced_ns.max,
                rc->emit_paced_recorded_ns.median, rc->emit_paced_recorded_ns.min, rc->emit_paced_recorded_ns.max,
                rc->emit_paced_recorded_ns.median / rc->emit_paced_ns.median);
    }
    if (r->done & SEC_ANALYZE) {
        const analyze_result *a = &r->an;
        fprintf(f, "analyzers, scenario %s, %d rules (CPU ms per snapshot)   median [min..max]\n", a->name,
                a->rules);
        fprintf(f, "  snapshot without analyzer       %8.3f [%.3f..%.3f]\n", a->snapshot_ms.median, a->snapshot_ms.min,
                a->snapshot_ms.max);
        fprintf(f, "  snapshot with the rules         %8.3f [%.3f..%.3f]\n", a->with_rules_ms.median,
                a->with_rules_ms.min, a->with_rules_ms.max);
        fprintf(f, "  the rules' evaluation           %8.3f [%.3f..%.3f]  %.1f%% of the snapshot, %zu alerts firing\n",
                a->rules_ms.median, a->rules_ms.min, a->rules_ms.max, 100.0 * a->share, a->alerts);
        fprintf(f, "  difference of the two per run   %8.3f [%.3f..%.3f]\n", a->difference_ms.median,
                a->difference_ms.min, a->difference_ms.max);
    }
    if (r->done & SEC_METRICS) {
        const metrics_result *m = &r->met;
        fprintf(f, "GET /metrics, scenario %s (state %zu bytes; text %zu bytes, %zu series; OpenMetrics %zu bytes)\n",
                m->scenario, m->state_bytes, m->text_bytes, m->series, m->om_bytes);
        fprintf(f, "  snapshot (this thread CPU ms)               %8.3f [%.3f..%.3f]\n", m->snapshot_ms.median,
                m->snapshot_ms.min, m->snapshot_ms.max);
        fprintf(f, "  scrape, own snapshot (service thread CPU ms) %8.3f [%.3f..%.3f]\n", m->scrape_ms.median,
                m->scrape_ms.min, m->scrape_ms.max);
        fprintf(f, "    of which render (scrape - snapshot)       %8.3f [%.3f..%.3f]  %.2fx the snapshot\n",
                m->render_ms.median, m->render_ms.min, m->render_ms.max, m->render_ms.median / m->snapshot_ms.median);
        fprintf(f, "  scrape of the same snapshot (text shared)   %8.3f [%.3f..%.3f]\n", m->cached_ms.median,
                m->cached_ms.min, m->cached_ms.max);
    }
    fprintf(f, "the bar:\n");
    for (size_t i = 0; i < n_bar; i++)
        fprintf(f, "  %-52s %10.3f%-3s  limit %8.3f%-3s  %s\n", bar[i].name, bar[i].value, bar[i].unit, bar[i].limit,
                bar[i].unit, bar[i].met ? "met" : "MISSED");
}

/* ------------------------------------------------------------ JSON */

static void jstat(const char *key, bench_stat s, const char *sep)
{
    printf("\"%s\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g}%s", key, s.median, s.min, s.max, sep);
}

static void json(const results *r, const bar_line *bar, size_t n_bar, const char *machine, const char *date,
                 const char *which, int runs)
{
    printf("{\"version\":\"%s\",\"machine\":\"%s\",\"date\":\"%s\",\"scenario\":\"%s\",\"runs\":%d", psc_version_string(),
           machine, date, which, runs);
    if (r->done & SEC_HOT) {
        printf(",\"hot_path_ns\":{");
        jstat("atomic_add", r->hot.atomic_add_ns, ",");
        jstat("counter_add_bytes", r->hot.counter_bytes_ns, ",");
        jstat("counter_add", r->hot.counter_add_ns, ",");
        jstat("counter_add_2threads", r->hot.counter_add_2t_ns, ",");
        jstat("emit", r->hot.emit_ns, ",");
        jstat("emit_2threads", r->hot.emit_2t_ns, "}");
    }
    if (r->done & SEC_SNAPSHOT) {
        printf(",\"snapshots\":[");
        for (size_t i = 0; i < r->n_snap; i++) {
            const snap_result *s = &r->snap[i];
            printf("%s{\"scenario\":\"%s\",\"connections\":%zu,\"streams\":%zu,\"bytes\":%zu,", i ? "," : "", s->name,
                   s->conns, s->streams, s->bytes);
            jstat("collect_encode_ms", s->snapshot_ms, ",");
            jstat("collect_encode_inline_ms", s->inline_ms, ",");
            jstat("protobuf_c_pack_ms", s->pbc_pack_ms, ",");
            jstat("memcpy_ms", s->memcpy_ms, ",");
            jstat("fnv1a_ms", s->fnv_ms, ",");
            printf("\"ratio_to_pack\":%.4f,\"ratio_to_memcpy\":%.3f,\"allocs_per_snapshot\":%.2f,\"peak_rss_kb\":%ld}",
                   s->snapshot_ms.median / s->pbc_pack_ms.median, s->snapshot_ms.median / s->memcpy_ms.median,
                   s->allocs_per_snapshot, s->peak_rss_kb);
        }
        printf("]");
    }
    if (r->done & SEC_FANOUT) {
        const fanout_results *f = &r->fan;
        printf(",\"fanout\":{\"scenario\":\"%s\",\"state_bytes\":%zu,\"churn_percent\":1", f->scenario, f->state_bytes);
        for (int m = 0; m < 2; m++) {
            const fanout_result *v = m ? f->delta : f->full;
            printf(",\"%s\":[", m ? "delta" : "full");
            for (int i = 0; i < FANOUT_SIZES; i++)
                printf("%s{\"sessions\":%d,\"cpu_ms_per_push\":%.4f,\"bytes_per_push\":%.0f,\"pushes\":%u,"
                       "\"states_replaced\":%llu}",
                       i ? "," : "", v[i].sessions, v[i].cpu_ms_per_push, v[i].bytes_per_push, v[i].pushes,
                       (unsigned long long)v[i].states_replaced);
            printf("]");
        }
        printf(",\"ratio_64_to_1_full\":%.3f,\"ratio_64_to_1_delta\":%.3f}",
               f->full[2].cpu_ms_per_push / f->full[0].cpu_ms_per_push,
               f->delta[2].cpu_ms_per_push / f->delta[0].cpu_ms_per_push);
    }
    if (r->done & SEC_EVENTS) {
        const events_result *e = &r->ev;
        printf(",\"events\":{\"rate\":%.0f,\"sessions\":%d,\"sent\":%llu,\"delivered\":%llu,\"dropped\":%llu,"
               "\"latency_median_ms\":%.4f,\"latency_p99_ms\":%.4f,\"latency_max_ms\":%.4f,"
               "\"max_no_drop_rate\":%.0f,\"first_drop_rate\":%.0f,\"ring\":%zu}",
               e->rate, e->sessions, (unsigned long long)e->sent, (unsigned long long)e->delivered,
               (unsigned long long)e->dropped, e->median_ms, e->p99_ms, e->max_ms, e->max_no_drop_rate,
               e->first_drop_rate, e->ring);
    }
    if (r->done & SEC_STALL) {
        const stall_result *s = &r->stall;
        printf(",\"stalled_session\":{\"scenario\":\"%s\",\"lib_bytes_reading\":%lld,\"samples\":[", s->scenario,
               (long long)s->lib_bytes_before);
        for (int i = 0; i < STALL_SAMPLES; i++)
            printf("%s{\"seconds\":%.2f,\"lib_bytes\":%lld,\"rss_kb\":%ld}", i ? "," : "", s->seconds[i],
                   (long long)s->lib_bytes[i], s->rss_kb[i]);
        printf("],\"events_emitted\":%llu,\"events_dropped\":%llu,\"states_replaced\":%llu}",
               (unsigned long long)s->events_emitted, (unsigned long long)s->events_dropped,
               (unsigned long long)s->states_replaced);
    }
    if (r->done & SEC_DELTA) {
        printf(",\"delta_states\":[");
        for (size_t i = 0; i < r->n_delta; i++) {
            const delta_result *d = &r->delta[i];
            printf("%s{\"scenario\":\"%s\",\"churn_percent\":%.1f,\"intervals\":%u,\"full_bytes\":%.0f,"
                   "\"delta_bytes\":%.0f,\"ratio\":%.5f,\"amortized_ratio_full_every_60\":%.5f,",
                   i ? "," : "", d->name, d->churn_percent, d->intervals, d->full_bytes, d->delta_bytes, d->ratio,
                   d->amortized_ratio);
            jstat("delta_ms", d->delta_ms, ",");
            jstat("snapshot_ms", d->snapshot_ms, "}");
        }
        printf("]");
    }
    if (r->done & SEC_RECORDER) {
        const recorder_result *rc = &r->rec;
        printf(",\"recorder\":{\"scenario\":\"%s\",\"events_per_s\":%d,\"memory\":[", rc->scenario, rc->events_per_s);
        for (int i = 0; i < 2; i++) {
            const rec_memory *m = &rc->mem[i];
            printf("%s{\"seconds\":%u,\"max_bytes\":%zu,\"bytes\":%zu,\"peak_bytes\":%zu,\"allocator_bytes\":%.0f,"
                   "\"full_states\":%zu,\"delta_states\":%zu,\"events\":%zu,\"held_ms\":%llu,\"pruned\":%llu,"
                   "\"write_ms\":%.3f,\"file_bytes\":%llu}",
                   i ? "," : "", m->seconds, m->max_bytes, m->bytes, m->peak_bytes, m->allocator_bytes, m->full_states,
                   m->delta_states, m->events, (unsigned long long)m->held_ms, (unsigned long long)m->pruned,
                   m->write_ms, (unsigned long long)m->file_bytes);
        }
        printf("],");
        jstat("sample_ms", rc->sample_ms, ",");
        jstat("snapshot_ms", rc->snapshot_ms, ",");
        printf("\"sample_mean_ms\":%.6g,\"snapshot_mean_ms\":%.6g,", rc->sample_mean_ms, rc->snapshot_mean_ms);
        jstat("emit_ns", rc->emit_ns, ",");
        jstat("emit_recorded_ns", rc->emit_recorded_ns, ",");
        jstat("emit_paced_ns", rc->emit_paced_ns, ",");
        jstat("emit_paced_recorded_ns", rc->emit_paced_recorded_ns, "}");
    }
    if (r->done & SEC_ANALYZE) {
        const analyze_result *a = &r->an;
        printf(",\"analyze\":{\"scenario\":\"%s\",\"rules\":%d,\"alerts\":%zu,", a->name, a->rules, a->alerts);
        jstat("snapshot_ms", a->snapshot_ms, ",");
        jstat("with_rules_ms", a->with_rules_ms, ",");
        jstat("rules_ms", a->rules_ms, ",");
        jstat("difference_ms", a->difference_ms, ",");
        printf("\"share\":%.6g}", a->share);
    }
    if (r->done & SEC_METRICS) {
        const metrics_result *m = &r->met;
        printf(",\"metrics\":{\"scenario\":\"%s\",\"state_bytes\":%zu,\"text_bytes\":%zu,\"openmetrics_bytes\":%zu,"
               "\"series\":%zu,",
               m->scenario, m->state_bytes, m->text_bytes, m->om_bytes, m->series);
        jstat("snapshot_ms", m->snapshot_ms, ",");
        jstat("scrape_ms", m->scrape_ms, ",");
        jstat("render_ms", m->render_ms, ",");
        jstat("cached_scrape_ms", m->cached_ms, "}");
    }
    printf(",\"bar\":[");
    for (size_t i = 0; i < n_bar; i++)
        printf("%s{\"name\":\"%s\",\"value\":%.6g,\"limit\":%.6g,\"unit\":\"%s\",\"met\":%s}", i ? "," : "", bar[i].name,
               bar[i].value, bar[i].limit, bar[i].unit, bar[i].met ? "true" : "false");
    printf("]}\n");
}

/* ------------------------------------------------------------ main */

static void machine_string(char *out, size_t len)
{
    struct utsname un;
    uname(&un);
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                snprintf(model, sizeof model, "%s", c + 2);
                model[strcspn(model, "\n\"\\")] = 0;
            }
            break;
        }
    }
    if (f)
        fclose(f);
    snprintf(out, len, "%s %s, %ld CPUs, %s", un.sysname, un.machine, sysconf(_SC_NPROCESSORS_ONLN), model);
}

static int fail(const char *what)
{
    fprintf(stderr, "peerscope-bench: %s failed\n", what);
    return 1;
}

int main(int argc, char **argv)
{
    const char *which = "all";
    int json_out = 0, runs = 15, mask = SEC_ALL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
            which = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json_out = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc && (mask = parse_sections(argv[++i])) > 0)
            ;
        else {
            usage();
            return 2;
        }
    }
    bool all = !strcmp(which, "all");
    const bench_scenario *one = all ? NULL : bench_scenario_find(which);
    if ((!all && !one) || runs < 1 || runs > BENCH_MAX_RUNS) {
        usage();
        fprintf(stderr, "(--runs must be 1..%d)\n", BENCH_MAX_RUNS);
        return 2;
    }
    bench_opts o = {runs, runs < 3};
    /* libwebsockets' own notices would interleave with the table */
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    FILE *tab = json_out ? stderr : stdout;
    char machine[256], date[32];
    machine_string(machine, sizeof machine);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(tab, "peerscope %s bench, %s, %s, scenario %s, %d runs each\n", psc_version_string(), machine, date, which,
            runs);

    results *r = calloc(1, sizeof *r);
    if (!r)
        return fail("allocation");
    const bench_scenario *M = bench_scenario_find("M"), *L = bench_scenario_find("L");
    if ((mask & SEC_HOT) && bench_hot_path(&o, &r->hot))
        return fail("hot path");
    if (mask & SEC_SNAPSHOT) {
        for (size_t i = 0; i < bench_scenario_count; i++) {
            if (!all && one != &bench_scenarios[i])
                continue;
            if (bench_snapshot(&bench_scenarios[i], &o, &r->snap[r->n_snap++]))
                return fail("snapshot");
        }
    }
    if ((mask & SEC_FANOUT) && bench_fanout(all ? M : one, &o, &r->fan))
        return fail("fan-out");
    if ((mask & SEC_EVENTS) && bench_events(&o, &r->ev))
        return fail("events");
    if ((mask & SEC_STALL) && bench_stall(all ? M : one, &o, &r->stall))
        return fail("stalled session");
    if (mask & SEC_DELTA) {
        const bench_scenario *list[2] = {all ? M : one, all ? L : NULL};
        for (int i = 0; i < 2 && list[i]; i++)
            if (bench_delta(list[i], &o, &r->delta[r->n_delta++]))
                return fail("delta states");
    }
    if ((mask & SEC_RECORDER) && bench_recorder(all ? M : one, &o, &r->rec))
        return fail("recorder");
    if ((mask & SEC_ANALYZE) && bench_analyze(all ? L : one, &o, &r->an))
        return fail("analyzers");
    if ((mask & SEC_METRICS) && bench_metrics(all ? L : one, &o, &r->met))
        return fail("metrics");
    r->done = mask;

    bar_line bar[32];
    size_t n_bar = evaluate(r, bar);
    table(tab, r, bar, n_bar);
    if (json_out)
        json(r, bar, n_bar, machine, date, which, runs);
    free(r);
    return 0;
}

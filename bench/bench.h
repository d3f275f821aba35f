/*
 * The benchmark's sections (one file each) and what they report. Every
 * section fills a result struct; bench_main.c prints them as a table and
 * as one JSON object.
 */
#ifndef PSC_BENCH_BENCH_H
#define PSC_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "stats.h"

#define BENCH_MAX_RUNS 64

/* Options shared by the sections. */
typedef struct bench_opts {
    int runs;       /* repetitions of each measurement */
    bool quick;     /* shorter network windows (smoke runs, --runs below 3) */
} bench_opts;

/* ------------------------------------------------------------ 1. hot path (bench_hot.c) */

typedef struct hot_result {
    bench_stat atomic_add_ns;       /* one relaxed atomic add: the yardstick */
    bench_stat counter_bytes_ns;    /* psc_counter_add_bytes: the byte counter update (one add) */
    bench_stat counter_add_ns;      /* psc_counter_add: bytes and packets (two adds) */
    bench_stat counter_add_2t_ns;   /* psc_counter_add, two threads on the same counter */
    bench_stat emit_ns, emit_2t_ns; /* psc_emit of a 3-property event, one thread / two */
} hot_result;

int bench_hot_path(const bench_opts *o, hot_result *r);

/* ------------------------------------------------------------ 2, 3. snapshots (bench_snapshot.c) */

typedef struct snap_result {
    const char *name;
    size_t conns, streams;
    size_t bytes;
    bench_stat snapshot_ms;         /* collect + encode (+ frame checksum), process CPU time */
    bench_stat inline_ms;           /* the same with collects on the snapshotting thread (PSC_COLLECT_INLINE) */
    bench_stat pbc_pack_ms;         /* protobuf-c's pack of the same State as a message tree */
    bench_stat memcpy_ms;           /* memcpy of the encoded bytes */
    bench_stat fnv_ms;              /* FNV-1a of the encoded bytes (part of snapshot_ms) */
    double allocs_per_snapshot;
    long peak_rss_kb;               /* process peak RSS after this scenario */
} snap_result;

int bench_snapshot(const bench_scenario *sc, const bench_opts *o, snap_result *r);

/* ------------------------------------------------------------ 4. fan-out (bench_fanout.c) */

#define FANOUT_SIZES 3
extern const int bench_fanout_sizes[FANOUT_SIZES]; /* 1, 8, 64 sessions */

typedef struct fanout_result {
    int sessions;
    bool deltas;
    double cpu_ms_per_push;         /* service thread CPU per state push */
    double bytes_per_push;          /* bytes sent to all sessions per push */
    unsigned pushes;                /* pushes measured */
    uint64_t states_replaced;       /* unsent states replaced (clients too slow) */
} fanout_result;

typedef struct fanout_results {
    const char *scenario;
    size_t state_bytes;
    fanout_result full[FANOUT_SIZES], delta[FANOUT_SIZES];
} fanout_results;

int bench_fanout(const bench_scenario *sc, const bench_opts *o, fanout_results *r);

/* ------------------------------------------------------------ 5. events (bench_events.c) */

typedef struct events_result {
    double rate;                    /* events/s offered */
    int sessions;
    uint64_t sent, delivered, dropped;
    double median_ms, p99_ms, max_ms;
    double max_no_drop_rate;        /* highest rate delivered whole to 1 session */
    double first_drop_rate;         /* lowest rate tried that lost events (0: none did) */
    size_t ring;                    /* event ring capacity used */
} events_result;

int bench_events(const bench_opts *o, events_result *r);

/* ------------------------------------------------------------ 5b. stalled session (bench_stall.c) */

#define STALL_SAMPLES 6

typedef struct stall_result {
    const char *scenario;
    double seconds[STALL_SAMPLES];
    int64_t lib_bytes[STALL_SAMPLES]; /* bytes live through the introspector's allocator */
    long rss_kb[STALL_SAMPLES];
    int64_t lib_bytes_before;        /* with the session connected and reading */
    uint64_t events_emitted;
    uint64_t states_replaced;        /* pushed states replaced while it stalled */
    uint64_t events_dropped;         /* events it lost */
} stall_result;

int bench_stall(const bench_scenario *sc, const bench_opts *o, stall_result *r);

/* ------------------------------------------------------------ 6. delta states (bench_delta.c) */

typedef struct delta_result {
    const char *name;
    double churn_percent;
    unsigned intervals;
    double full_bytes;              /* mean full state */
    double delta_bytes;             /* mean delta */
    double ratio;                   /* delta / full */
    double amortized_ratio;         /* with a full state every 60 pushes (the default) */
    bench_stat delta_ms;            /* making the delta (CPU), next to the snapshot's */
    bench_stat snapshot_ms;
} delta_result;

int bench_delta(const bench_scenario *sc, const bench_opts *o, delta_result *r);

/* ------------------------------------------------------------ 7. flight recorder (bench_recorder.c) */

typedef struct rec_memory {
    unsigned seconds;               /* simulated, one sample per second */
    size_t max_bytes;               /* the budget */
    size_t bytes, peak_bytes;       /* what the recorder counts at the end, and its highest */
    double allocator_bytes;         /* live in the introspector's allocator beyond before the recorder */
    size_t full_states, delta_states, events;
    uint64_t held_ms;               /* newest - oldest item held */
    uint64_t pruned;
    double write_ms;                /* psc_recorder_write_file of it all, CPU (deltas rebuilt) */
    uint64_t file_bytes;            /* the recording's size */
} rec_memory;

typedef struct recorder_result {
    const char *scenario;
    int events_per_s;
    rec_memory mem[2];              /* the defaults (10 min, 64 MiB), then a quarter of that run's peak */
    bench_stat sample_ms;           /* psc_recorder_sample, CPU */
    bench_stat snapshot_ms;         /* psc_introspector_snapshot of a twin host, CPU */
    double sample_mean_ms, snapshot_mean_ms; /* means: a full state every 60 counts in */
    bench_stat emit_ns;             /* psc_emit without a recorder */
    bench_stat emit_recorded_ns;    /* with a recorder's thread draining the ring */
    bench_stat emit_paced_ns, emit_paced_recorded_ns; /* the same at 100,000 events/s */
} recorder_result;

int bench_recorder(const bench_scenario *sc, const bench_opts *o, recorder_result *r);


/* ------------------------------------------------------------ 10. analyzers (bench_analyze.c) */

typedef struct analyze_result {
    const char *name;
    int rules;
    size_t alerts;                  /* firing after the runs (the rules do fire on this node) */
    bench_stat snapshot_ms;         /* a snapshot without analyzer, CPU time */
    bench_stat with_rules_ms;       /* a snapshot of the same node with the analyzer */
    bench_stat rules_ms;            /* the analyzer's own evaluation (psc_analyzer_get_stats) */
    bench_stat difference_ms;       /* with_rules_ms - snapshot_ms, per run (a cross-check) */
    double share;                   /* rules_ms.median / snapshot_ms.median */
} analyze_result;

int bench_analyze(const bench_scenario *sc, const bench_opts *o, analyze_result *r);
/* ------------------------------------------------------------ 8. GET /metrics (bench_metrics.c) */

typedef struct metrics_result {
    const char *scenario;
    size_t state_bytes;             /* the encoded State the text is made from */
    size_t text_bytes, om_bytes;    /* the 0.0.4 and the OpenMetrics text */
    size_t series;                  /* sample lines */
    bench_stat snapshot_ms;         /* psc_introspector_snapshot, this thread's CPU */
    bench_stat scrape_ms;           /* a scrape taking its own snapshot: service thread CPU */
    bench_stat cached_ms;           /* a scrape of a snapshot already rendered: service thread CPU */
    bench_stat render_ms;           /* scrape less the snapshot, per run: decode, sum, text, send */
} metrics_result;

int bench_metrics(const bench_scenario *sc, const bench_opts *o, metrics_result *r);

#endif

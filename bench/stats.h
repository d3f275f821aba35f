/* Repeated-measurement helpers for the benchmark. */
#ifndef PSC_BENCH_STATS_H
#define PSC_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_stat {
    double median, min, max;
} bench_stat;

/* Summarise n samples (sorted in place). */
bench_stat bench_summarise(double *samples, size_t n);
uint64_t bench_now_ns(void);
/* CPU time of the whole process, ns (user + system). */
uint64_t bench_cpu_ns(void);

#endif

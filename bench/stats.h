/* Repeated-measurement helpers for the benchmark. */
#ifndef PSC_BENCH_STATS_H
#define PSC_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_stat {
    double median, min, max;
} bench_stat;

/* Summarise n samples (sorted in place). */
bench_stat bench_summarise(double *samples, size_t n);
/* The p-th percentile (0..100) of n samples sorted ascending (nearest rank). */
double bench_percentile(const double *sorted, size_t n, double p);

/* Monotonic wall clock, ns. */
uint64_t bench_now_ns(void);
/* CPU time of the calling thread, ns (what it costs, whatever else runs on the machine). */
uint64_t bench_thread_cpu_ns(void);
/* CPU time of the whole process, ns (user + system). */
uint64_t bench_cpu_ns(void);
/* Sleep until the monotonic clock reads t_ns. */
void bench_sleep_until(uint64_t t_ns);

/* Thread ids (Linux tids) of this process; returns how many (at most cap). */
size_t bench_tids(int *out, size_t cap);
/* CPU time of one thread of this process from /proc (schedstat, ns); false if unreadable. */
bool bench_tid_cpu_ns(int tid, uint64_t *out);
/* Resident set size now, KiB (from /proc/self/statm). */
long bench_rss_kb(void);

#endif

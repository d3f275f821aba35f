/*
 * peerscope: hot-path traffic counters for the host.
 *
 * A host embeds a psc_counter in each connection or stream it tracks and
 * calls psc_counter_add on its I/O path: one relaxed atomic add per field,
 * no lock, no call into the library (the functions are inline). At collect
 * time the provider reads it with psc_counter_read, which also derives the
 * instantaneous rate from the previous read.
 *
 * Thread-safety: psc_counter_add from any number of threads concurrently;
 * psc_counter_read from one thread at a time (normally the collecting
 * provider), concurrently with adds.
 */
#ifndef PEERSCOPE_COUNTER_H
#define PEERSCOPE_COUNTER_H

#include "peerscope/common.h"
#include "peerscope/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A byte and packet counter with the state of its rate estimate. Plain
 * memory owned by the host: embed it, zero it (PSC_COUNTER_INIT or
 * memset) and never free it through the library. Read the fields only
 * through psc_counter_read.
 */
typedef struct psc_counter {
    uint64_t bytes;      /**< cumulative bytes; updated atomically by psc_counter_add */
    uint64_t packets;    /**< cumulative packets; updated atomically by psc_counter_add */
    uint64_t last_bytes; /**< reader-only: bytes at the previous read */
    uint64_t last_ns;    /**< reader-only: time of the previous read (0: never read) */
    uint64_t rate;       /**< reader-only: the last rate computed, bytes per second */
} psc_counter;

/** A counter at zero (every field 0). */
#define PSC_COUNTER_INIT {.bytes = 0}

#if defined(__GNUC__) || defined(__clang__)
#define PSC__ATOMIC_ADD(p, v) ((void)__atomic_fetch_add((p), (v), __ATOMIC_RELAXED))
#define PSC__ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#else
#error "peerscope/counter.h needs GCC or Clang atomic builtins"
#endif

/**
 * Count one packet (frame, message) of n bytes: two relaxed atomic adds,
 * no call into the library. c must not be NULL. Thread-safe (lock-free,
 * any number of threads at once, concurrently with psc_counter_read).
 */
static inline void psc_counter_add(psc_counter *c, uint64_t n)
{
    PSC__ATOMIC_ADD(&c->bytes, n);
    PSC__ATOMIC_ADD(&c->packets, 1);
}

/**
 * Count n bytes without counting a packet: one relaxed atomic add. c must
 * not be NULL. Thread-safe (as psc_counter_add).
 */
static inline void psc_counter_add_bytes(psc_counter *c, uint64_t n)
{
    PSC__ATOMIC_ADD(&c->bytes, n);
}

/**
 * Read totals into *out and update the rate: bytes per second since the
 * previous read, given the current monotonic time in ns (e.g.
 * psc_counter_now_ns(); 0 is taken as "never read"). The first read
 * reports rate 0; a read whose time is not after the previous one, or
 * whose byte count went down, keeps the previous rate. Writes only *out
 * and the counter's reader fields; c and out must not be NULL.
 * Not thread-safe against another psc_counter_read of the same counter
 * (one reader at a time, normally the collecting provider); safe
 * concurrently with psc_counter_add.
 */
static inline void psc_counter_read(psc_counter *c, uint64_t now_ns, psc_gauge_value *out)
{
    uint64_t bytes = PSC__ATOMIC_LOAD(&c->bytes);
    if (c->last_ns != 0 && now_ns > c->last_ns && bytes >= c->last_bytes) {
        uint64_t dt = now_ns - c->last_ns;
        uint64_t db = bytes - c->last_bytes;
        c->rate = (uint64_t)((double)db * 1e9 / (double)dt);
    }
    c->last_bytes = bytes;
    c->last_ns = now_ns;
    out->bytes = bytes;
    out->packets = PSC__ATOMIC_LOAD(&c->packets);
    out->rate = c->rate;
}

/**
 * The system's monotonic clock (CLOCK_MONOTONIC) in ns, for
 * psc_counter_read; psc_config.clock does not change it. Thread-safe.
 */
PSC_API uint64_t psc_counter_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif

/* A copied psc_clock with system defaults filled in. */
#ifndef PSC_UTIL_CLOCK_H
#define PSC_UTIL_CLOCK_H

#include "peerscope/common.h"

typedef struct psc__clock {
    uint64_t (*wall_ms)(void *user);
    uint64_t (*mono_ns)(void *user);
    void *user;
} psc__clock;

/* Copy a (possibly NULL, possibly partial) public clock, filling in the system clocks. */
void psc__clock_init(psc__clock *c, const psc_clock *from);

static inline uint64_t psc__clock_wall_ms(const psc__clock *c)
{
    return c->wall_ms(c->user);
}

static inline uint64_t psc__clock_mono_ns(const psc__clock *c)
{
    return c->mono_ns(c->user);
}

/* System clocks (CLOCK_REALTIME in ms, CLOCK_MONOTONIC in ns). */
uint64_t psc__sys_wall_ms(void *user);
uint64_t psc__sys_mono_ns(void *user);

#endif

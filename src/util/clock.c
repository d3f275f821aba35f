#include "util/clock.h"

#include <time.h>

#include "peerscope/counter.h"

uint64_t psc__sys_wall_ms(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t psc__sys_mono_ns(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void psc__clock_init(psc__clock *c, const psc_clock *from)
{
    c->wall_ms = from && from->wall_ms ? from->wall_ms : psc__sys_wall_ms;
    c->mono_ns = from && from->mono_ns ? from->mono_ns : psc__sys_mono_ns;
    c->user = from ? from->user : NULL;
}

uint64_t psc_counter_now_ns(void)
{
    return psc__sys_mono_ns(NULL);
}

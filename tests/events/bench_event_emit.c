/*
 * Median cost of one psc__events_emit of a small event, single-threaded.
 * Not a test (timings depend on the machine); build it without sanitizers
 * to get meaningful numbers:  ninja -C <plain-build> tests/events/bench-event-emit
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "events/event_store.h"

#define BATCH 1000
#define BATCHES 2000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *label, psc__events *ev, const psc_event_type *t, const psc_value *v, size_t n)
{
    static uint64_t per[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (psc__events_emit(ev, t, 1, v, n) != PSC_OK)
                abort();
        per[b] = now_ns() - t0;
    }
    qsort(per, BATCHES, sizeof per[0], cmp_u64);
    printf("%-28s median %6.1f ns/emit, p90 %6.1f\n", label, (double)per[BATCHES / 2] / BATCH,
           (double)per[BATCHES * 9 / 10] / BATCH);
}

/* registered but never armed: measures the cost of checking it */
static void never(void *user)
{
    (void)user;
    abort();
}

int main(void)
{
    psc__events *ev;
    if (psc__events_new(NULL, NULL, 0, 0, &ev) != PSC_OK)
        return 1;
    psc_prop_def p[] = {{"peerId", PSC_PROP_PEERID, false},
                        {"transport", PSC_PROP_STRING, false},
                        {"age", PSC_PROP_NUMBER, false}};
    psc_event_def d = {"PeerConnecting", p, 3};
    const psc_event_type *t;
    if (psc__events_declare(ev, &d, &t) != PSC_OK)
        return 1;
    psc_value v[] = {PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"), PSC_V_STR("tcp"),
                     PSC_V_NUM(1234)};
    run("small event, integer", ev, t, v, 3);
    v[2] = PSC_V_NUM(12.75);
    run("small event, fraction", ev, t, v, 3);
    psc__listener *l;
    if (psc__events_listen(ev, never, NULL, &l) != PSC_OK)
        return 1;
    v[2] = PSC_V_NUM(1234);
    run("small event, idle listener", ev, t, v, 3);
    psc__events_unlisten(ev, l);
    psc__events_free(ev);
    return 0;
}

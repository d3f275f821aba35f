/*
 * The demo's analyzer: the rules its flags ask for, and the scenarios
 * that make each fire on purpose and then resolve (a validator set that
 * misses votes now and then, a topic whose mesh shrinks, a protocol whose
 * streams pile up), each reported by its own provider or events exactly
 * as a host's would be.
 */
#ifndef DEMO_ALERTS_H
#define DEMO_ALERTS_H

#include <pthread.h>

#include "options.h"
#include "peerscope/peerscope.h"

typedef struct demo_alerts {
    psc_introspector *intro;
    psc_analyzer *an;
    const psc_event_type *vote;
    uint32_t validators;
    bool shrink, leak;
    char leak_peer[128];
    uint64_t start_ms;
    pthread_mutex_t lock; /* guards the scenario state below, read by the providers */
    uint64_t last_round;  /* rounds voted so far */
    size_t mesh;          /* peers in demo/shrinking's mesh */
    size_t leaked;        /* open streams of the leaking protocol */
    psc_provider *pubsub, *swarm;
    bool ready;
} demo_alerts;

/*
 * Create the analyzer (snapshotting every second, so rules run with no
 * client), add the rules o asks for and load o->rules. leak_peer: the peer
 * the leaking streams go to. On failure err says why.
 */
psc_err demo_alerts_start(demo_alerts *d, psc_introspector *intro, const demo_options *o, const char *leak_peer,
                          char *err, size_t errlen);
/* Advance the scenarios to now_ms (votes, mesh, leak). Any one thread. */
void demo_alerts_tick(demo_alerts *d, uint64_t now_ms);
/* Unregister the providers and free the analyzer; before psc_introspector_free. Idempotent. */
void demo_alerts_stop(demo_alerts *d);

#endif

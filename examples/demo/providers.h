/*
 * The demo host: a simulated node behind a mutex, and the peerscope
 * providers that report it (swarm, DHT, pubsub, peerstore, resource
 * manager, and a custom "chain" section), registered exactly as a real host
 * would register its own.
 */
#ifndef DEMO_PROVIDERS_H
#define DEMO_PROVIDERS_H

#include <pthread.h>

#include "view.h"

enum {
    DEMO_PROV_SWARM = 1u << 0,
    DEMO_PROV_DHT = 1u << 1,
    DEMO_PROV_PUBSUB = 1u << 2,
    DEMO_PROV_PEERSTORE = 1u << 3,
    DEMO_PROV_RCMGR = 1u << 4,
    DEMO_PROV_CUSTOM = 1u << 5,
};
#define DEMO_PROV_COUNT 6u

typedef struct demo_host {
    sim_node *node;
    pthread_mutex_t lock;      /* guards node: the simulation steps under it */
    pthread_mutex_t view_lock; /* guards view */
    demo_view *view;
    psc_provider *providers[DEMO_PROV_COUNT];
    size_t n_providers;
} demo_host;

/* Set up h around node (not owned). 0, or an errno-style code. One thread. */
int demo_host_init(demo_host *h, sim_node *node);
/* Unregister (if still registered) and free what h holds; not the node.
 * Before psc_introspector_free, which would free the provider handles. One thread. */
void demo_host_fini(demo_host *h);

/* Register every provider with intro (user: h). On failure nothing stays
 * registered. Not concurrently with demo_host_unregister. */
psc_err demo_host_register(demo_host *h, psc_introspector *intro);
/* Unregister; waits for collects in flight. Not from a collect. */
void demo_host_unregister(demo_host *h);

/* Advance the node one tick under the lock. Any thread. */
void demo_host_step(demo_host *h);

/* --------------------------------------------- for the provider files */

/*
 * The view for this snapshot: the one taken by an earlier provider of the
 * same snapshot, or a new one (taken under h->lock). Call with view_lock
 * held, from a collect; bit is the caller's DEMO_PROV_*. The view stays
 * valid while view_lock is held.
 */
psc_err demo_host_view(demo_host *h, psc_collect *ctx, uint32_t bit, demo_view **out);

/* 8-byte big-endian encoding used for connection and stream ids. Pure. */
void demo_be64(uint64_t v, uint8_t out[8]);

/* The collect callbacks (user: the demo_host). Called by the introspector. */
psc_err demo_collect_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b);
psc_err demo_collect_dht(void *user, psc_collect *ctx, psc_dht_builder *b);
psc_err demo_collect_pubsub(void *user, psc_collect *ctx, psc_pubsub_builder *b);
psc_err demo_collect_peerstore(void *user, psc_collect *ctx, psc_peerstore_builder *b);
psc_err demo_collect_rcmgr(void *user, psc_collect *ctx, psc_rcmgr_builder *b);
psc_err demo_collect_custom(void *user, psc_collect *ctx, psc_custom_builder *b);

#endif

/*
 * A provider's collect call, run on a collector thread under a deadline,
 * so that a provider that hangs stops only its own section: the snapshot
 * goes on without it, and introspection (events, other providers) keeps
 * going on the thread that asked for the snapshot.
 *
 * The call's builder, its copy of the build context and its connection-id
 * map live in the collector, not on the snapshotting thread's stack: when
 * the deadline passes, the collector and everything the collect can still
 * touch (including the snapshot's arena, through a view reference) are
 * handed to the collector's thread, which frees them when collect finally
 * returns, and only then marks the provider not busy. The snapshot then
 * starts over in a fresh arena without that provider.
 */
#ifndef PSC_CORE_COLLECTOR_H
#define PSC_CORE_COLLECTOR_H

#include "core/records.h"

typedef struct psc__call {
    psc__build bld; /* the builder's context: a copy of the snapshot's, same arena */
    psc_collect ctx;
    psc_provider *p;
    union {
        psc_swarm_builder swarm;
        psc_dht_builder dht;
        psc_pubsub_builder pubsub;
        psc_peerstore_builder peerstore;
        psc_rcmgr_builder rcmgr;
        psc_custom_builder custom;
    } b;
    psc__idmap conn_map; /* swarm: ids of this call's connections */
    psc_err result;
} psc__call;

typedef struct psc__collector psc__collector;

/*
 * [snap] The call slot of intro's collector, created on first use, set up
 * for p in a copy of bld (ctx cleared, builder zeroed). NULL when out of
 * memory or no thread can be started.
 */
psc__call *psc__collector_prepare(psc_introspector *intro, const psc__build *bld, psc_provider *p);

/*
 * [snap] Run the prepared call: on the collector thread with intro's
 * deadline, or here when the deadline is off. Returns PSC_OK with
 * call->result set, or PSC_ERR_TIMEOUT when the deadline passed: the
 * provider is then marked hung, the call belongs to the collector's
 * thread, and neither it nor the build's arena may be touched again.
 */
psc_err psc__collector_run(psc_introspector *intro, psc__call *call);

/* Stop and free intro's idle collector (teardown; hung ones free themselves). */
void psc__collector_free(psc_introspector *intro);

/*
 * The provider whose collect runs on this thread, or NULL: what tells a
 * call from inside a collect (which must not snapshot or unregister
 * itself) from any other.
 */
const psc_provider *psc__collecting_here(void);

#endif

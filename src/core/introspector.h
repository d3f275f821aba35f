/*
 * Private to src/core: the introspector object, registry entries and the
 * contracts between the core's files.
 *
 * Locks (never taken in the reverse order):
 *   snap_lock  serialises snapshots; guards everything marked [snap].
 *   reg_lock   guards the registry, provider busy/removed state and the
 *              attached endpoints; short critical sections only, never
 *              held while calling out to a provider or endpoint.
 *   analysis_lock  guards the analysis hook (core.h) for runtime, which
 *              runs outside snap_lock; held while calling its runtime_fields.
 *   info_lock  guards the mutable runtime info (peer id).
 */
#ifndef PSC_CORE_INTROSPECTOR_H
#define PSC_CORE_INTROSPECTOR_H

#include <pthread.h>

#include "util/arena.h"
#include "util/idmap.h"
#include "core/msgpool.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "core/core.h"
#include "peerscope/provider.h"

typedef struct psc__view psc__view;
typedef struct psc__collector psc__collector;

typedef enum psc__kind {
    PSC__KIND_SWARM,
    PSC__KIND_DHT,
    PSC__KIND_PUBSUB,
    PSC__KIND_PEERSTORE,
    PSC__KIND_RCMGR,
    PSC__KIND_CUSTOM,
} psc__kind;

/* Subsystem name used in ProviderError.subsystem and default names. */
const char *psc__kind_name(psc__kind kind);

struct psc_provider {
    psc_introspector *intro;
    psc_provider *prev, *next;
    uint64_t serial; /* registration order, unique per introspector */
    psc__kind kind;
    char *name;      /* NULL when the vtable gave none */
    void *user;
    union {
        psc_err (*swarm)(void *, psc_collect *, psc_swarm_builder *);
        psc_err (*dht)(void *, psc_collect *, psc_dht_builder *);
        psc_err (*pubsub)(void *, psc_collect *, psc_pubsub_builder *);
        psc_err (*peerstore)(void *, psc_collect *, psc_peerstore_builder *);
        psc_err (*rcmgr)(void *, psc_collect *, psc_rcmgr_builder *);
        psc_err (*custom)(void *, psc_collect *, psc_custom_builder *);
    } collect;
    void (*release)(void *user);
    /* [reg_lock] */
    unsigned busy;           /* snapshots using it, plus one for a late collect */
    bool removed;
    bool hung;               /* a collect missed its deadline and has not returned */
    uint64_t hung_since_ms;  /* wall time the deadline passed */
};

/* What retention compares a swarm provider's next collect with. */
typedef struct psc__baseline {
    uint64_t serial;  /* the provider's */
    psc__view *view;  /* holds a reference: keeps the records alive */
    void *first;      /* first psc__conn_rec of the provider's run */
    size_t n;
} psc__baseline;

typedef struct psc__attached {
    struct psc__attached *next;
    void *obj;
    void (*close_fn)(void *obj);
} psc__attached;

struct psc_introspector {
    psc__alloc alloc;           /* counted by budget */
    psc__alloc reserve_alloc;   /* the same budget, reserve included: for notices */
    struct psc__budget *budget;
    psc__clock clock;
    psc__events *events;
    uint64_t start_ts;

    psc_log_fn log;
    void *log_user;
    psc_log_level log_level;

    char *implementation, *version, *platform; /* never NULL */
    pthread_mutex_t info_lock;
    char *peer_id; /* [info_lock], never NULL */

    pthread_mutex_t reg_lock;
    pthread_cond_t reg_cond;
    psc_provider *first, *last; /* [reg_lock] ordered by serial */
    size_t n_providers;         /* [reg_lock] */
    uint64_t next_serial;       /* [reg_lock] */
    bool snapping;              /* [reg_lock] */
    pthread_t snapper;          /* [reg_lock] thread running a snapshot */
    psc__attached *attached;    /* [reg_lock] */
    struct psc_replay *replay;  /* [reg_lock] set once, before any endpoint exists; freed last */

    psc__msgpool *msgpool;      /* big message buffers handed back by dead messages */
    psc__alloc msg_alloc;       /* allocates from msgpool: for states and deltas */

    pthread_mutex_t snap_lock;
    psc__chunk_pool *pool;      /* arena chunks handed back by dead views */
    uint64_t seq;               /* [snap] snapshots produced */
    uint64_t last_instant_ts;   /* [snap] */
    size_t arena_hint;          /* [snap] size of the previous snapshot's arena */
    uint32_t collect_timeout_ms; /* a provider's deadline; PSC_COLLECT_INLINE: none */
    size_t max_entities;        /* records one collect may add */
    psc__collector *collector;  /* [snap] the idle collector thread, made on first use */
    psc__idmap stream_map;      /* [snap] scratch */
    psc__baseline *baselines;   /* [snap] */
    size_t n_baselines;
    psc__baseline *next_baselines; /* [snap] scratch for the snapshot being built */
    /* written under snap_lock and analysis_lock both, so either one suffices to read */
    pthread_mutex_t analysis_lock;
    bool has_analysis;
    psc__analysis analysis;
    size_t baselines_cap;       /* capacity of both arrays */
};

/* ---- registry.c ---- */

/*
 * The provider with the smallest serial in (after, max] that is still
 * registered, marked busy; NULL when none. *hung_since is the wall time
 * its late collect missed the deadline, 0 when it is not hung.
 */
psc_provider *psc__registry_next(psc_introspector *intro, uint64_t after, uint64_t max, uint64_t *hung_since);
/* A collect of p missed its deadline at now_ms: p stays busy (and skipped)
 * until psc__registry_unhang, called when that collect returns. */
void psc__registry_hang(psc_introspector *intro, psc_provider *p, uint64_t now_ms);
void psc__registry_unhang(psc_introspector *intro, psc_provider *p);
/* Undo psc__registry_next's busy mark; wakes an unregister waiting for it. */
void psc__registry_done(psc_introspector *intro, psc_provider *p);
/* Unregister everything (introspector teardown). */
void psc__registry_clear(psc_introspector *intro);

/* ---- state_view.c ---- */
void psc__view_ref(psc__view *v);
void psc__view_unref(psc__view *v);

#endif

/*
 * Collector threads: see collector.h. One idle thread per introspector
 * serves every call; a call that misses its deadline keeps that thread
 * (and the collector around it), and the next call starts a new one.
 * A provider stays marked hung until its late collect returns, so each
 * provider holds at most one such thread.
 */
#include <errno.h>
#include <time.h>

#include "core/collector.h"

enum { C_IDLE, C_RUNNING, C_DONE };

struct psc__collector {
    psc_introspector *intro;
    pthread_t thread;
    bool threaded; /* thread, mu and cv exist */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC, both directions */
    int state;         /* [mu] */
    bool quit;         /* [mu] */
    bool abandoned;    /* [mu] the deadline passed: the thread owns everything */
    psc__call call;
};

static _Thread_local const psc_provider *collecting_here;

const psc_provider *psc__collecting_here(void)
{
    return collecting_here;
}

static psc_err invoke(psc__call *c)
{
    psc_provider *p = c->p;
    const psc_provider *outer = collecting_here;
    collecting_here = p;
    psc_err e = PSC_ERR_INVALID;
    switch (p->kind) {
    case PSC__KIND_SWARM: e = p->collect.swarm(p->user, &c->ctx, &c->b.swarm); break;
    case PSC__KIND_DHT: e = p->collect.dht(p->user, &c->ctx, &c->b.dht); break;
    case PSC__KIND_PUBSUB: e = p->collect.pubsub(p->user, &c->ctx, &c->b.pubsub); break;
    case PSC__KIND_PEERSTORE: e = p->collect.peerstore(p->user, &c->ctx, &c->b.peerstore); break;
    case PSC__KIND_RCMGR: e = p->collect.rcmgr(p->user, &c->ctx, &c->b.rcmgr); break;
    case PSC__KIND_CUSTOM: e = p->collect.custom(p->user, &c->ctx, &c->b.custom); break;
    }
    collecting_here = outer;
    return e;
}

static void destroy(psc__collector *co)
{
    psc__alloc a = co->intro->alloc;
    psc__idmap_free(&a, &co->call.conn_map);
    if (co->threaded) {
        pthread_cond_destroy(&co->cv);
        pthread_mutex_destroy(&co->mu);
    }
    psc__free(&a, co);
}

/* A late collect has returned: free what the snapshot left behind, then
 * (last: the introspector may go away right after) let the provider be
 * collected or unregistered again. */
static void finish_abandoned(psc__collector *co)
{
    psc_introspector *intro = co->intro;
    psc_provider *p = co->call.p;
    psc__view_unref(co->call.bld.view);
    destroy(co);
    psc__registry_unhang(intro, p);
}

static void *collector_main(void *arg)
{
    psc__collector *co = arg;
    pthread_mutex_lock(&co->mu);
    for (;;) {
        while (co->state != C_RUNNING && !co->quit)
            pthread_cond_wait(&co->cv, &co->mu);
        if (co->quit)
            break;
        pthread_mutex_unlock(&co->mu);
        psc_err e = invoke(&co->call);
        pthread_mutex_lock(&co->mu);
        co->call.result = e;
        if (co->abandoned) {
            pthread_mutex_unlock(&co->mu);
            finish_abandoned(co);
            return NULL;
        }
        co->state = C_DONE;
        pthread_cond_broadcast(&co->cv);
    }
    pthread_mutex_unlock(&co->mu);
    return NULL;
}

static psc_err start_thread(psc__collector *co)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return PSC_ERR_NOMEM;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&co->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok)
        return PSC_ERR_NOMEM;
    if (pthread_mutex_init(&co->mu, NULL) != 0) {
        pthread_cond_destroy(&co->cv);
        return PSC_ERR_NOMEM;
    }
    if (pthread_create(&co->thread, NULL, collector_main, co) != 0) {
        pthread_mutex_destroy(&co->mu);
        pthread_cond_destroy(&co->cv);
        return PSC_ERR_NOMEM;
    }
    co->threaded = true;
    return PSC_OK;
}

psc__call *psc__collector_prepare(psc_introspector *intro, const psc__build *bld, psc_provider *p)
{
    psc__collector *co = intro->collector;
    if (!co) {
        co = psc__calloc(&intro->alloc, 1, sizeof *co);
        if (!co)
            return NULL;
        co->intro = intro;
        /* without a thread (none can be started) collects run inline, as with the deadline off */
        if (intro->collect_timeout_ms != PSC_COLLECT_INLINE && start_thread(co) != PSC_OK)
            psc__log(intro, PSC_LOG_WARN, "no collector thread: provider collects run without a deadline");
        intro->collector = co;
    }
    psc__call *c = &co->call;
    c->bld = *bld;
    c->bld.entities = 0;
    c->bld.refused = 0;
    c->bld.max_entities = intro->max_entities;
    c->p = p;
    memset(&c->ctx, 0, sizeof c->ctx);
    c->ctx.now_ms = bld->now_ms;
    memset(&c->b, 0, sizeof c->b);
    psc__idmap_reset(&c->conn_map);
    c->result = PSC_ERR_INVALID;
    return c;
}

static struct timespec deadline_after(uint32_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000u;
    t.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

psc_err psc__collector_run(psc_introspector *intro, psc__call *call)
{
    psc__collector *co = intro->collector;
    if (!co->threaded) {
        call->result = invoke(call);
        return PSC_OK;
    }
    struct timespec until = deadline_after(intro->collect_timeout_ms);
    pthread_mutex_lock(&co->mu);
    co->state = C_RUNNING;
    pthread_cond_broadcast(&co->cv);
    while (co->state != C_DONE) {
        int rc = pthread_cond_timedwait(&co->cv, &co->mu, &until);
        if (rc == ETIMEDOUT && co->state != C_DONE) {
            /* the thread frees the collector, the arena reference and the map */
            co->abandoned = true;
            psc__view_ref(call->bld.view);
            psc__registry_hang(intro, call->p, psc__clock_wall_ms(&intro->clock));
            pthread_mutex_unlock(&co->mu);
            pthread_detach(co->thread);
            intro->collector = NULL;
            return PSC_ERR_TIMEOUT;
        }
    }
    co->state = C_IDLE;
    pthread_mutex_unlock(&co->mu);
    return PSC_OK;
}

void psc__collector_free(psc_introspector *intro)
{
    psc__collector *co = intro->collector;
    if (!co)
        return;
    intro->collector = NULL;
    if (co->threaded) {
        pthread_mutex_lock(&co->mu);
        co->quit = true;
        pthread_cond_broadcast(&co->cv);
        pthread_mutex_unlock(&co->mu);
        pthread_join(co->thread, NULL);
    }
    destroy(co);
}

/* The generic endpoint: lifecycle, the transport vtable, the shared snapshot. */
#include "endpoint/endpoint.h"
#include "core/core.h"
#include "wire/relay.h"
#include "events/events.h"

#include <stdio.h>

#define VT_MIN_SIZE (offsetof(psc_endpoint_vtable, close) + sizeof(void (*)(void)))

uint64_t psc__endpoint_now_ms(const psc_endpoint *ep)
{
    return psc__intro_mono_ns(ep->intro) / 1000000u;
}

/* ------------------------------------------------------------ session env */

static psc_err env_state(void *user, psc_msg **out)
{
    psc_endpoint *ep = user;
    if (ep->state_cache && ep->cache_pass == ep->pass) {
        *out = psc_msg_ref(ep->state_cache);
        return PSC_OK;
    }
    psc_msg *m = NULL;
    psc_err err = psc_introspector_snapshot(ep->intro, &m);
    if (err)
        return err;
    psc_msg_unref(ep->state_cache);
    ep->state_cache = m;
    ep->cache_pass = ep->pass;
    *out = psc_msg_ref(m);
    return PSC_OK;
}

/*
 * Encode once, send many, for deltas too: sessions whose client has the
 * same state get the same delta to this pass's snapshot (in step, that is
 * every delta session). Deltas to anything else are made on their own.
 */
static psc_err env_delta(void *user, psc_msg *base, psc_msg *cur, psc_msg **out)
{
    psc_endpoint *ep = user;
    bool shared = cur == ep->state_cache && ep->cache_pass == ep->pass;
    for (size_t i = 0; shared && i < ep->n_deltas; i++) {
        if (ep->deltas[i].base != base || ep->deltas[i].cur != cur)
            continue;
        if (!ep->deltas[i].delta)
            return ep->deltas[i].err;
        *out = psc_msg_ref(ep->deltas[i].delta);
        return PSC_OK;
    }
    psc_msg *d = NULL;
    psc_err err = psc_introspector_state_delta(ep->intro, base, cur, &d);
    if (shared && ep->n_deltas < PSC__ENDPOINT_DELTAS && err != PSC_ERR_NOMEM) {
        struct psc__delta_cache *c = &ep->deltas[ep->n_deltas++];
        c->base = psc_msg_ref(base);
        c->cur = psc_msg_ref(cur);
        c->delta = d ? psc_msg_ref(d) : NULL;
        c->err = err;
    }
    if (err)
        return err;
    *out = d;
    return PSC_OK;
}

static psc_err env_runtime(void *user, psc_msg **out)
{
    psc_endpoint *ep = user;
    const psc__replay_source *rs = psc__intro_replay(ep->intro);
    if (rs)
        return psc__replay_runtime(rs, out);
    return psc_introspector_runtime(ep->intro, out);
}

static psc_err env_reader_new(void *user, psc_event_reader **out)
{
    psc_endpoint *ep = user;
    return psc_event_reader_new(ep->intro, false, out);
}

static psc_err env_reader_after(void *user, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out)
{
    psc_endpoint *ep = user;
    return psc__events_reader_after(psc__intro_events(ep->intro), after_seq, not_held, out);
}

void psc__endpoint_env(psc_endpoint *ep, psc__session_env *env)
{
    env->reader_after = env_reader_after;
    env->state = env_state;
    env->runtime = env_runtime;
    env->reader_new = env_reader_new;
    env->delta = env_delta;
    env->replay = psc__intro_replay(ep->intro);
    env->user = ep;
}

void psc__endpoint_pass_begin(psc_endpoint *ep)
{
    ep->pass++;
}

void psc__endpoint_pass_end(psc_endpoint *ep)
{
    /* Sessions hold their own references; do not keep a big state alive. */
    psc_msg_unref(ep->state_cache);
    ep->state_cache = NULL;
    for (size_t i = 0; i < ep->n_deltas; i++) {
        psc_msg_unref(ep->deltas[i].base);
        psc_msg_unref(ep->deltas[i].cur);
        psc_msg_unref(ep->deltas[i].delta);
    }
    ep->n_deltas = 0;
}

/* ------------------------------------------------------------ lifecycle */

static void intro_closing(void *obj)
{
    psc_endpoint *ep = obj;
    psc_endpoint_close(ep);
    ep->intro_gone = true;
}

static void events_wake(void *user)
{
    psc_endpoint *ep = user;
    if (ep->vt.wake)
        ep->vt.wake(ep->state, ep->user);
}

static void endpoint_destroy(psc_endpoint *ep)
{
    if (ep->vt.fini)
        ep->vt.fini(ep->state, ep->user);
    if (ep->attached && !ep->intro_gone)
        psc__intro_detach(ep->intro, ep);
    pthread_mutex_destroy(&ep->lock);
    psc__alloc a = ep->alloc;
    psc__free(&a, ep->state);
    psc__free(&a, ep);
}

psc_err psc_endpoint_new(psc_introspector *intro, const psc_endpoint_vtable *vt, const void *config,
                         const psc_endpoint_options *options, void *user, psc_endpoint **out)
{
    if (!intro || !vt || !out || vt->struct_size < VT_MIN_SIZE || !vt->start || !vt->close)
        return PSC_ERR_INVALID;
    psc__session_limits lim;
    psc_err err = psc__session_limits_from(options, &lim);
    if (err)
        return err;
    size_t max_sessions = options && options->max_sessions ? options->max_sessions : 64;

    const psc__alloc *a = psc__intro_alloc(intro);
    psc_endpoint *ep = psc__calloc(a, 1, sizeof(*ep));
    if (!ep)
        return PSC_ERR_NOMEM;
    ep->alloc = *a;
    ep->reserve_alloc = *psc__intro_reserve_alloc(intro);
    memcpy(&ep->vt, vt, vt->struct_size < sizeof(ep->vt) ? vt->struct_size : sizeof(ep->vt));
    ep->vt.struct_size = sizeof(ep->vt);
    ep->intro = intro;
    ep->user = user;
    ep->lim = lim;
    ep->max_sessions = max_sessions;
    ep->next_id = 1;
    ep->state = psc__calloc(a, 1, vt->state_size ? vt->state_size : 1);
    if (!ep->state || pthread_mutex_init(&ep->lock, NULL)) {
        psc__free(a, ep->state);
        psc__free(a, ep);
        return PSC_ERR_NOMEM;
    }
    /* From here endpoint_destroy undoes everything. */
    if (vt->init) {
        err = vt->init(ep, ep->state, config, user);
        if (err) {
            endpoint_destroy(ep);
            return err;
        }
    }
    err = psc__intro_attach(intro, ep, intro_closing);
    if (err) {
        endpoint_destroy(ep);
        return err;
    }
    ep->attached = true;
    *out = ep;
    return PSC_OK;
}

psc_err psc_endpoint_start(psc_endpoint *ep)
{
    if (!ep)
        return PSC_ERR_INVALID;
    if (ep->started || ep->closed)
        return PSC_ERR_STATE;
    psc_err err = psc__events_listen(psc__intro_events(ep->intro), events_wake, ep, &ep->listener);
    if (err)
        return err;
    err = ep->vt.start(ep, ep->state, ep->user);
    if (err) {
        psc__events_unlisten(psc__intro_events(ep->intro), ep->listener);
        ep->listener = NULL;
        return err;
    }
    ep->started = true;
    psc__log(ep->intro, PSC_LOG_INFO, "endpoint %s started", psc_endpoint_name(ep));
    return PSC_OK;
}

void psc_endpoint_close(psc_endpoint *ep)
{
    if (!ep || ep->closed)
        return;
    ep->closed = true;
    pthread_mutex_lock(&ep->lock);
    ep->closing = true;
    pthread_mutex_unlock(&ep->lock);
    if (ep->started) {
        /* The service thread uses the listener until it is joined; the
         * transport's wake must therefore cope with a call after close. */
        ep->vt.close(ep, ep->state, ep->user);
        psc__events_unlisten(psc__intro_events(ep->intro), ep->listener);
        ep->listener = NULL;
    }
    /* A transport that forgot some: the readers must go before the introspector. */
    while (ep->sessions)
        psc_endpoint_session_close(ep->sessions);
    psc__endpoint_pass_end(ep);
    if (ep->started)
        psc__log(ep->intro, PSC_LOG_INFO, "endpoint %s closed", psc_endpoint_name(ep));
}

void psc_endpoint_free(psc_endpoint *ep)
{
    if (!ep)
        return;
    psc_endpoint_close(ep);
    endpoint_destroy(ep);
}

/* ------------------------------------------------------------ queries */

const char *psc_endpoint_name(const psc_endpoint *ep)
{
    return ep && ep->vt.name ? ep->vt.name : "";
}

void *psc_endpoint_state(psc_endpoint *ep)
{
    return ep ? ep->state : NULL;
}

psc_introspector *psc_endpoint_introspector(psc_endpoint *ep)
{
    return ep ? ep->intro : NULL;
}

psc_err psc_endpoint_listen_addr(psc_endpoint *ep, size_t i, char *buf, size_t len)
{
    if (!ep || !buf || !len)
        return PSC_ERR_INVALID;
    if (!ep->vt.listen_addr)
        return PSC_ERR_UNSUPPORTED;
    return ep->vt.listen_addr(ep->state, i, buf, len, ep->user);
}

size_t psc_endpoint_session_count(psc_endpoint *ep)
{
    if (!ep)
        return 0;
    pthread_mutex_lock(&ep->lock);
    size_t n = ep->n_sessions;
    pthread_mutex_unlock(&ep->lock);
    return n;
}

psc_err psc_endpoint_sessions(psc_endpoint *ep, psc_session_info *out, size_t cap, size_t *n, size_t *total)
{
    if (!ep || !n || (cap && !out))
        return PSC_ERR_INVALID;
    for (size_t i = 0; i < cap; i++)
        if (out[i].struct_size < offsetof(psc_session_info, hello_done))
            return PSC_ERR_INVALID;
    size_t k = 0;
    pthread_mutex_lock(&ep->lock);
    for (psc_endpoint_session *s = ep->sessions; s && k < cap; s = s->next, k++) {
        size_t sz = out[k].struct_size < sizeof(s->pub) ? out[k].struct_size : sizeof(s->pub);
        memcpy(&out[k], &s->pub, sz);
        out[k].struct_size = sz;
    }
    size_t all = ep->n_sessions;
    pthread_mutex_unlock(&ep->lock);
    *n = k;
    if (total)
        *total = all;
    return PSC_OK;
}

/* ------------------------------------------------------------ service */

psc_err psc_endpoint_service(psc_endpoint *ep, uint64_t *next_ms)
{
    if (!ep)
        return PSC_ERR_INVALID;
    psc__endpoint_pass_begin(ep);
    /* Arm before draining, so an event emitted meanwhile wakes us again;
     * and only when someone reads events, so idle emits cost no wake-up. */
    bool wanted = false;
    for (psc_endpoint_session *s = ep->sessions; s && !wanted; s = s->next)
        wanted = psc__session_pushes_events(s->core);
    /* a live replay's producer wakes us through the same listener */
    if (!wanted && ep->sessions && psc__replay_live(psc__intro_replay(ep->intro)))
        wanted = true;
    if (ep->listener && wanted)
        psc__listener_arm(ep->listener);
    uint64_t now = psc__endpoint_now_ms(ep);
    uint64_t due = UINT64_MAX;
    bool more_any = false;
    for (psc_endpoint_session *s = ep->sessions; s; s = s->next) {
        bool more = false;
        psc__session_poll(s->core, now, &more);
        more_any = more_any || more;
        uint64_t d = psc__session_next_due(s->core);
        if (d < due)
            due = d;
        psc__endpoint_publish(s);
        psc__endpoint_notify(s);
    }
    psc__endpoint_pass_end(ep);
    if (next_ms) {
        if (more_any)
            *next_ms = 0;
        else if (due == UINT64_MAX)
            *next_ms = UINT64_MAX;
        else
            *next_ms = due > now ? due - now : 0;
    }
    return PSC_OK;
}

/*
 * psc_introspector_snapshot: collect every provider into a fresh arena,
 * finish, encode in two passes into one psc_msg, and hand the arena to the
 * message as its state view. Nothing in the introspector changes unless
 * the whole snapshot succeeds (sequence number, retention baselines).
 */

#include "core/collect.h"
#include "core/collector.h"
#include "wire/wire.h"

/* Headroom over the previous snapshot's size for the first chunk. */
#define HINT_SLACK(n) ((n) / 16u + 1024u)

/* [snap] Room for one baseline per provider in both arrays. */
static psc_err reserve_baselines(psc_introspector *in, size_t n)
{
    if (n <= in->baselines_cap)
        return PSC_OK;
    size_t cap = in->baselines_cap ? in->baselines_cap : 4;
    while (cap < n)
        cap *= 2;
    psc__baseline *cur = psc__calloc(&in->alloc, cap, sizeof *cur);
    psc__baseline *next = psc__calloc(&in->alloc, cap, sizeof *next);
    if (!cur || !next) {
        psc__free(&in->alloc, cur);
        psc__free(&in->alloc, next);
        return PSC_ERR_NOMEM;
    }
    if (in->n_baselines)
        memcpy(cur, in->baselines, in->n_baselines * sizeof *cur);
    psc__free(&in->alloc, in->baselines);
    psc__free(&in->alloc, in->next_baselines);
    in->baselines = cur;
    in->next_baselines = next;
    in->baselines_cap = cap;
    return PSC_OK;
}

static const psc__baseline *find_baseline(const psc_introspector *in, uint64_t serial)
{
    for (size_t i = 0; i < in->n_baselines; i++)
        if (in->baselines[i].serial == serial)
            return &in->baselines[i];
    return NULL;
}

/* [snap] Make next_baselines current; views are referenced by entries only. */
static void commit_baselines(psc_introspector *in, size_t n_next)
{
    for (size_t i = 0; i < n_next; i++)
        psc__view_ref(in->next_baselines[i].view);
    for (size_t i = 0; i < in->n_baselines; i++)
        psc__view_unref(in->baselines[i].view);
    psc__baseline *t = in->baselines;
    in->baselines = in->next_baselines;
    in->next_baselines = t;
    in->n_baselines = n_next;
}

static void view_release(void *v)
{
    psc__view_unref(v);
}

/*
 * [snap] Let the analysis hook see the finished state (after the size
 * pass, before the write pass), through a payload-less message holding the view; what it
 * returns goes into the state's tail. A failing hook costs the state only
 * its alerts.
 */
static void run_analysis(psc_introspector *in, psc__view *view)
{
    psc__snap *s = &view->snap;
    s->analysis_pb = NULL;
    s->analysis_len = 0;
    if (!in->has_analysis)
        return;
    psc_msg *tmp;
    if (psc__msg_new(&in->alloc, PSC_MSG_STATE, 0, &tmp) != PSC_OK) {
        psc__log(in, PSC_LOG_WARN, "analysis skipped: out of memory");
        return;
    }
    psc__view_ref(view);
    psc__msg_set_view(tmp, view, view_release);
    const uint8_t *pb = NULL;
    size_t len = 0;
    psc_err e = in->analysis.on_state(in->analysis.user, tmp, &pb, &len);
    psc_msg_unref(tmp);
    if (e != PSC_OK) {
        psc__log(in, PSC_LOG_WARN, "analysis failed: %s", psc_strerror(e));
        return;
    }
    s->analysis_pb = pb;
    s->analysis_len = pb ? len : 0;
}

/*
 * [snap] Every provider into a fresh view. PSC_ERR_TIMEOUT: a collect
 * missed its deadline and kept the view; the caller starts over, and that
 * provider is then skipped as hung.
 */
static psc_err collect_all(psc_introspector *in, uint64_t max_serial, size_t n_providers, uint64_t now,
                           psc__build *bld, size_t *n_next_out)
{
    psc__view *view;
    psc_err e = psc__view_new(&in->alloc, in->pool, in->arena_hint, &view);
    if (e != PSC_OK)
        return e;
    if ((e = reserve_baselines(in, n_providers)) != PSC_OK) {
        psc__view_unref(view);
        return e;
    }

    *bld = (psc__build){.intro = in, .view = view, .arena = &view->arena, .snap = &view->snap, .now_ms = now};
    psc__snap *s = bld->snap;
    s->seq = in->seq + 1;
    s->instant_ts = now;
    s->start_ts = in->seq ? in->last_instant_ts : in->start_ts;
    uint64_t span = now > s->start_ts ? now - s->start_ts : 0;
    s->duration_ms = span > UINT32_MAX ? UINT32_MAX : (uint32_t)span;

    size_t n_next = 0;
    uint64_t after = 0, hung_since = 0;
    psc_provider *p;
    while ((p = psc__registry_next(in, after, max_serial, &hung_since)) != NULL) {
        after = p->serial;
        /* p may be freed by an unregister as soon as it is done: copy what we need */
        bool swarm = p->kind == PSC__KIND_SWARM;
        const psc__baseline *old = swarm ? find_baseline(in, p->serial) : NULL;
        psc__baseline fresh = {0};
        bool ok = false;
        e = hung_since ? psc__skip_hung(bld, p, hung_since) : psc__run_provider(bld, p, old, &fresh, &ok);
        psc__registry_done(in, p);
        p = NULL;
        if (e != PSC_OK) {
            psc__view_unref(view); /* after a timeout the late collect holds its own reference */
            return e;
        }
        if (!swarm)
            continue;
        /* a failed or hung provider keeps comparing against what it last reported */
        if (ok)
            in->next_baselines[n_next++] = fresh;
        else if (old)
            in->next_baselines[n_next++] = *old;
    }
    *n_next_out = n_next;
    return PSC_OK;
}

/* Everything between the locks: returns the sealed message or an error. */
static psc_err build(psc_introspector *in, uint64_t max_serial, size_t n_providers, psc_msg **out)
{
    uint64_t t0 = psc__clock_mono_ns(&in->clock);
    uint64_t now;
    psc__build bld;
    size_t n_next = 0;
    psc_err e;
    /* each round that times out marks one more provider hung, so this ends */
    for (;;) {
        now = psc__clock_wall_ms(&in->clock);
        if ((e = collect_all(in, max_serial, n_providers, now, &bld, &n_next)) != PSC_ERR_TIMEOUT)
            break;
        psc__log(in, PSC_LOG_WARN, "a provider's collect missed its %u ms deadline: snapshot taken again without it",
                 (unsigned)in->collect_timeout_ms);
    }
    if (e != PSC_OK)
        return e;
    psc__view *view = bld.view;
    psc__snap *s = bld.snap;

    psc_msg *msg = NULL;
    uint8_t *body = NULL;
    if ((e = psc__finalize(&bld)) == PSC_OK) {
        /* the size pass completes the view (stream indexes), which the analysis reads */
        s->analysis_len = 0;
        size_t size = psc__state_pb_size(s);
        run_analysis(in, view);
        s->pb_state += s->analysis_len;
        e = psc__wire_sm_new(&in->msg_alloc, PSC_MSG_STATE, size + s->analysis_len, &msg, &body);
    }
    if (e == PSC_OK && (e = psc__wire_sm_seal(msg, psc__state_pb_write(body, s))) != PSC_OK)
        psc__log(in, PSC_LOG_ERROR, "snapshot not sent: %s", psc__wire_last_error());
    if (e != PSC_OK) {
        psc__view_unref(view);
        return e;
    }

    commit_baselines(in, n_next);
    in->seq = s->seq;
    in->last_instant_ts = now;
    size_t used = psc__arena_used(&view->arena);
    in->arena_hint = used + HINT_SLACK(used);
    psc__arena_trim(&view->arena);
    s->collect_ns = psc__clock_mono_ns(&in->clock) - t0;
    psc__msg_set_view(msg, view, view_release);
    *out = msg;
    return PSC_OK;
}

bool psc__intro_in_snapshot(psc_introspector *intro)
{
    const psc_provider *p = psc__collecting_here();
    if (p && p->intro == intro)
        return true; /* a collect, on a collector thread or inline */
    pthread_mutex_lock(&intro->reg_lock);
    bool here = intro->snapping && pthread_equal(intro->snapper, pthread_self());
    pthread_mutex_unlock(&intro->reg_lock);
    return here;
}

psc_err psc_introspector_snapshot(psc_introspector *intro, psc_msg **out)
{
    if (!intro || !out)
        return PSC_ERR_INVALID;
    pthread_t self = pthread_self();
    if (psc__intro_in_snapshot(intro))
        return PSC_ERR_STATE; /* from a provider callback: would deadlock */

    pthread_mutex_lock(&intro->snap_lock);
    pthread_mutex_lock(&intro->reg_lock);
    intro->snapping = true;
    intro->snapper = self;
    /* providers registered from now on join the next snapshot */
    uint64_t max_serial = intro->next_serial - 1;
    size_t n_providers = intro->n_providers;
    pthread_mutex_unlock(&intro->reg_lock);

    psc_err e = build(intro, max_serial, n_providers, out);

    pthread_mutex_lock(&intro->reg_lock);
    intro->snapping = false;
    pthread_mutex_unlock(&intro->reg_lock);
    pthread_mutex_unlock(&intro->snap_lock);
    return e;
}

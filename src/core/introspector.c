/* The introspector object: configuration, lifetime, logging, endpoint attachment. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "core/collector.h"
#include "util/budget.h"
#include "core/records.h"
#include "events/events.h"

#define LOG_LINE_MAX 512

static char *platform_default(const psc__alloc *a, bool *ok)
{
    char buf[2 * sizeof(((struct utsname *)0)->sysname) + 2] = "unknown";
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s/%s", u.sysname, u.machine);
        for (char *c = buf; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    return psc__strdup(a, buf, ok);
}

/* NULL is fine (a default applies); anything else goes on the wire as a string */
static bool text_ok(const char *s)
{
    return !s || psc__text_valid(s, strlen(s));
}

static char *dup_or_empty(const psc__alloc *a, const char *s, bool *ok)
{
    return psc__strdup(a, s ? s : "", ok);
}

static void free_strings(psc_introspector *in)
{
    psc__free(&in->alloc, in->implementation);
    psc__free(&in->alloc, in->version);
    psc__free(&in->alloc, in->platform);
    psc__free(&in->alloc, in->peer_id);
}

static psc_err init_locks(psc_introspector *in)
{
    if (pthread_mutex_init(&in->info_lock, NULL) != 0)
        return PSC_ERR_NOMEM;
    if (pthread_mutex_init(&in->reg_lock, NULL) != 0)
        goto fail_reg;
    if (pthread_cond_init(&in->reg_cond, NULL) != 0)
        goto fail_cond;
    if (pthread_mutex_init(&in->snap_lock, NULL) != 0)
        goto fail_snap;
    if (pthread_mutex_init(&in->analysis_lock, NULL) != 0)
        goto fail_analysis;
    return PSC_OK;
fail_analysis:
    pthread_mutex_destroy(&in->snap_lock);
fail_snap:
    pthread_cond_destroy(&in->reg_cond);
fail_cond:
    pthread_mutex_destroy(&in->reg_lock);
fail_reg:
    pthread_mutex_destroy(&in->info_lock);
    return PSC_ERR_NOMEM;
}

static void destroy_locks(psc_introspector *in)
{
    pthread_mutex_destroy(&in->analysis_lock);
    pthread_mutex_destroy(&in->snap_lock);
    pthread_cond_destroy(&in->reg_cond);
    pthread_mutex_destroy(&in->reg_lock);
    pthread_mutex_destroy(&in->info_lock);
}

psc_err psc_introspector_new(const psc_config *config, psc_introspector **out)
{
    if (!out)
        return PSC_ERR_INVALID;
    psc_config cfg = PSC_CONFIG_INIT;
    if (config) {
        if (config->struct_size < sizeof(size_t))
            return PSC_ERR_INVALID;
        size_t n = config->struct_size < sizeof cfg ? config->struct_size : sizeof cfg;
        memcpy(&cfg, config, n);
    }
    if ((unsigned)cfg.log_level > PSC_LOG_DEBUG || !text_ok(cfg.runtime.implementation) ||
        !text_ok(cfg.runtime.version) || !text_ok(cfg.runtime.platform) || !text_ok(cfg.runtime.peer_id))
        return PSC_ERR_INVALID;

    psc__alloc raw, a;
    psc__alloc_init(&raw, cfg.allocator);
    psc__budget *budget;
    psc__alloc reserve;
    if (psc__budget_new(&raw, cfg.max_memory_bytes, &budget, &a, &reserve) != PSC_OK)
        return PSC_ERR_NOMEM;
    psc_introspector *in = psc__calloc(&a, 1, sizeof *in);
    if (!in) {
        psc__budget_release(budget);
        return PSC_ERR_NOMEM;
    }
    in->alloc = a;
    in->reserve_alloc = reserve;
    in->budget = budget;
    psc__clock_init(&in->clock, cfg.clock);
    in->log = cfg.log;
    in->log_user = cfg.log_user;
    in->log_level = cfg.log_level;
    in->next_serial = 1;
    in->collect_timeout_ms = cfg.collect_timeout_ms ? cfg.collect_timeout_ms : PSC_COLLECT_TIMEOUT_DEFAULT;
    in->max_entities = cfg.max_entities_per_collect ? cfg.max_entities_per_collect : PSC_MAX_ENTITIES_DEFAULT;

    bool ok = true;
    in->implementation = dup_or_empty(&a, cfg.runtime.implementation, &ok);
    in->version = dup_or_empty(&a, cfg.runtime.version, &ok);
    in->platform = cfg.runtime.platform ? psc__strdup(&a, cfg.runtime.platform, &ok) : platform_default(&a, &ok);
    in->peer_id = dup_or_empty(&a, cfg.runtime.peer_id, &ok);
    psc_err e = ok ? PSC_OK : PSC_ERR_NOMEM;
    if (e == PSC_OK)
        e = psc__pool_new(&in->alloc, &in->pool);
    if (e == PSC_OK && (e = psc__msgpool_new(&in->alloc, &in->msgpool)) == PSC_OK)
        psc__msgpool_alloc(in->msgpool, &in->msg_alloc);
    if (e == PSC_OK &&
        (e = psc__events_new(&in->alloc, &in->clock, cfg.event_ring_capacity, cfg.max_event_size, &in->events)) !=
            PSC_OK)
        in->events = NULL;
    if (e == PSC_OK && (e = init_locks(in)) != PSC_OK) {
        psc__events_free(in->events);
        in->events = NULL;
    }
    if (e != PSC_OK) {
        psc__msgpool_release(in->msgpool);
        psc__pool_unref(in->pool);
        free_strings(in);
        psc__free(&a, in);
        psc__budget_release(budget);
        return e;
    }
    in->start_ts = psc__clock_wall_ms(&in->clock);
    *out = in;
    return PSC_OK;
}

/* Close attached endpoints one at a time, outside the lock: close_fn
 * typically detaches itself and joins a service thread. */
static void close_attached(psc_introspector *in)
{
    for (;;) {
        pthread_mutex_lock(&in->reg_lock);
        psc__attached *at = in->attached;
        if (at)
            in->attached = at->next;
        pthread_mutex_unlock(&in->reg_lock);
        if (!at)
            return;
        at->close_fn(at->obj);
        psc__free(&in->alloc, at);
    }
}

void psc_introspector_free(psc_introspector *intro)
{
    if (!intro)
        return;
    close_attached(intro);
    psc__intro_replay_free(intro); /* its sessions went with the endpoints */
    psc__registry_clear(intro); /* waits for late collects too: they free their own collectors */
    psc__collector_free(intro);
    for (size_t i = 0; i < intro->n_baselines; i++)
        psc__view_unref(intro->baselines[i].view);
    psc__free(&intro->alloc, intro->baselines);
    psc__free(&intro->alloc, intro->next_baselines);
    psc__idmap_free(&intro->alloc, &intro->stream_map);
    psc__events_free(intro->events);
    psc__pool_unref(intro->pool);
    psc__msgpool_release(intro->msgpool);
    free_strings(intro);
    destroy_locks(intro);
    psc__alloc a = intro->alloc;
    psc__budget *budget = intro->budget;
    psc__free(&a, intro);
    psc__budget_release(budget); /* stays while messages still hold memory */
}

psc_err psc_introspector_memory(const psc_introspector *intro, psc_memory_stats *out)
{
    if (!intro || !out || out->struct_size < sizeof(size_t))
        return PSC_ERR_INVALID;
    psc__budget_stats b;
    psc__budget_get(intro->budget, &b);
    psc_memory_stats m = {.struct_size = sizeof m};
    m.held_bytes = b.held;
    m.peak_bytes = b.peak;
    m.limit_bytes = b.limit;
    m.refused_allocations = b.refused;
    size_t n = out->struct_size < sizeof m ? out->struct_size : sizeof m;
    size_t keep = out->struct_size;
    memcpy(out, &m, n);
    out->struct_size = keep;
    return PSC_OK;
}

psc_err psc_introspector_set_peer_id(psc_introspector *intro, const char *peer_id)
{
    if (!intro || !peer_id || !text_ok(peer_id))
        return PSC_ERR_INVALID;
    bool ok = true;
    char *copy = psc__strdup(&intro->alloc, peer_id, &ok);
    if (!ok)
        return PSC_ERR_NOMEM;
    pthread_mutex_lock(&intro->info_lock);
    char *old = intro->peer_id;
    intro->peer_id = copy;
    pthread_mutex_unlock(&intro->info_lock);
    psc__free(&intro->alloc, old);
    return PSC_OK;
}

void psc__intro_peer_id_copy(psc_introspector *intro, char *out, size_t cap, const char *fallback)
{
    pthread_mutex_lock(&intro->info_lock);
    snprintf(out, cap, "%s", intro->peer_id && intro->peer_id[0] ? intro->peer_id : fallback);
    pthread_mutex_unlock(&intro->info_lock);
}

uint64_t psc_introspector_now_ms(const psc_introspector *intro)
{
    return intro ? psc__clock_wall_ms(&intro->clock) : 0;
}

const psc__alloc *psc__intro_alloc(const psc_introspector *intro)
{
    return &intro->alloc;
}

const psc__alloc *psc__intro_reserve_alloc(const psc_introspector *intro)
{
    return &intro->reserve_alloc;
}

psc__events *psc__intro_events(const psc_introspector *intro)
{
    return intro->events;
}

uint64_t psc__intro_wall_ms(const psc_introspector *intro)
{
    return psc__clock_wall_ms(&intro->clock);
}

uint64_t psc__intro_mono_ns(const psc_introspector *intro)
{
    return psc__clock_mono_ns(&intro->clock);
}

void psc__log(const psc_introspector *intro, psc_log_level level, const char *fmt, ...)
{
    if (!intro || !intro->log || level > intro->log_level)
        return;
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    intro->log(intro->log_user, level, line);
}

psc_err psc__intro_attach(psc_introspector *intro, void *obj, void (*close_fn)(void *obj))
{
    if (!intro || !obj || !close_fn)
        return PSC_ERR_INVALID;
    psc__attached *at = psc__malloc(&intro->alloc, sizeof *at);
    if (!at)
        return PSC_ERR_NOMEM;
    at->obj = obj;
    at->close_fn = close_fn;
    pthread_mutex_lock(&intro->reg_lock);
    at->next = intro->attached;
    intro->attached = at;
    pthread_mutex_unlock(&intro->reg_lock);
    return PSC_OK;
}

void psc__intro_detach(psc_introspector *intro, void *obj)
{
    if (!intro)
        return;
    pthread_mutex_lock(&intro->reg_lock);
    psc__attached **pp = &intro->attached;
    psc__attached *found = NULL;
    while (*pp) {
        if ((*pp)->obj == obj) {
            found = *pp;
            *pp = found->next;
            break;
        }
        pp = &(*pp)->next;
    }
    pthread_mutex_unlock(&intro->reg_lock);
    psc__free(&intro->alloc, found);
}

/*
 * The analyzer: its lifetime, the hook by which every snapshot evaluates
 * its rules, the facts shared by the rules of one evaluation, the events
 * read since the previous one, the encoded alerts and milestones that go
 * into the state, and the optional thread that makes snapshots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "analyze/analyze.h"
#include "wire/pbwrite.h"
#include "wire/pb_fields.h"

#define DEFAULT_MAX_EVENTS 4096u

static const uint32_t default_peer_ms[] = {1, 5, 10};

/* ---------------------------------------------------------------- util */

char *psc__an_strdup(psc_analyzer *an, const char *s)
{
    bool ok;
    return psc__strdup(&an->alloc, s, &ok);
}

bool psc__an_grow(psc_analyzer *an, void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *p = psc__malloc(&an->alloc, n * elem);
    if (!p)
        return false;
    if (*cap)
        memcpy(p, *v, *cap * elem);
    psc__free(&an->alloc, *v);
    *v = p;
    *cap = n;
    return true;
}

const char *psc__ev_content(const psc_analyzer *an, const psc__ev *e)
{
    return an->evbuf + e->off;
}

/* -------------------------------------------------------------- events */

/* Copy what the ring holds since the last evaluation; more than max_events count as missed. */
static void drain_events(psc_analyzer *an)
{
    an->n_evs = 0;
    an->evbuf_len = 0;
    psc_event_record rec;
    uint64_t missed = 0;
    while (psc_event_reader_next(an->reader, &rec, &missed) == PSC_OK) {
        an->events_missed += missed;
        if (an->n_evs >= an->max_events ||
            !psc__an_grow(an, (void **)&an->evs, &an->cap_evs, an->n_evs + 1, sizeof *an->evs) ||
            !psc__an_grow(an, (void **)&an->evbuf, &an->evbuf_cap, an->evbuf_len + rec.content_len + 1, 1)) {
            an->events_missed++;
            continue;
        }
        psc__ev *e = &an->evs[an->n_evs++];
        e->type = psc_event_type_name(rec.type);
        e->ts = rec.ts;
        e->off = an->evbuf_len;
        memcpy(an->evbuf + an->evbuf_len, rec.content, rec.content_len);
        an->evbuf[an->evbuf_len + rec.content_len] = '\0';
        an->evbuf_len += rec.content_len + 1;
    }
}

/* --------------------------------------------------------------- facts */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct facts_walk {
    psc_analyzer *an;
    psc__facts *f;
    bool failed;
} facts_walk;

static void on_conn(void *user, const char *peer, psc_status status, uint64_t open_ts, uint64_t close_ts)
{
    facts_walk *w = user;
    psc__facts *f = w->f;
    if (open_ts > f->prev_now && open_ts <= f->now)
        f->opened++;
    if (status == PSC_STATUS_CLOSED) {
        if (close_ts > f->prev_now && close_ts <= f->now)
            f->closed++;
        return;
    }
    if (status != PSC_STATUS_ACTIVE)
        return;
    if (f->wants_open_ts) {
        if (!psc__an_grow(w->an, (void **)&f->open_ts, &f->n_open_cap, f->n_open + 1, sizeof *f->open_ts)) {
            w->failed = true;
            return;
        }
        f->open_ts[f->n_open] = open_ts;
    }
    f->n_open++;
    if (peer && *peer) {
        size_t had;
        if (!psc__strmap_put(w->an, &f->peers, peer, f->n_peers, &had))
            w->failed = true;
        else if (had == f->n_peers)
            f->n_peers++;
    }
}

static void on_stream(void *user, const char *protocol, psc_status status, uint64_t open_ts, uint64_t in,
                      uint64_t out)
{
    facts_walk *w = user;
    psc__facts *f = w->f;
    if (status != PSC_STATUS_ACTIVE || w->failed)
        return;
    const char *p = protocol && *protocol ? protocol : "(none)";
    /* hosts speak few protocols: the first ones are compared before hashing */
    size_t near = f->n_protocols < 8 ? f->n_protocols : 8;
    size_t i = SIZE_MAX;
    for (size_t k = 0; k < near && i == SIZE_MAX; k++)
        if (f->protocol_names[k] == p) /* the core shares one copy per protocol: usually this */
            i = k;
    for (size_t k = 0; k < near && i == SIZE_MAX; k++)
        if (strcmp(f->protocol_names[k], p) == 0)
            i = k;
    if (i == SIZE_MAX && !psc__strmap_put(w->an, &f->protocols, p, f->n_protocols, &i)) {
        w->failed = true;
        return;
    }
    if (i == f->n_protocols) {
        if (!psc__an_grow(w->an, (void **)&f->protocol_names, &f->cap_protocols, i + 1, sizeof *f->protocol_names) ||
            !psc__an_grow(w->an, (void **)&f->protocol_counts, &f->cap_protocol_counts, i + 1,
                          sizeof *f->protocol_counts)) {
            w->failed = true;
            return;
        }
        f->protocol_names[i] = p;
        f->protocol_counts[i] = 0;
        f->n_protocols++;
    }
    f->protocol_counts[i]++;
    if (!in && !out) {
        if (!psc__an_grow(w->an, (void **)&f->quiet, &f->cap_quiet, f->n_quiet + 1, sizeof *f->quiet)) {
            w->failed = true;
            return;
        }
        f->quiet[f->n_quiet++] = (struct psc__quiet_stream){(uint32_t)i, open_ts};
    }
}

static bool wants_protocols(const psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_rules; i++)
        if (an->rules[i]->cfg.kind == PSC_RULE_STREAM_GROWTH || an->rules[i]->cfg.kind == PSC_RULE_STREAM_IDLE)
            return true;
    return false;
}

/* The N-th peer's time is read from the sorted open times only while such a milestone is to come. */
static bool wants_open_ts(psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_peer_ms; i++) {
        char name[32];
        snprintf(name, sizeof name, "peers_%u", an->peer_ms[i]);
        if (psc__milestone_known(an, name) == false)
            return true;
    }
    return false;
}

static psc_err facts_build(psc_analyzer *an, const psc_msg *view, psc__facts *f)
{
    psc_state_summary sum = {.struct_size = sizeof sum};
    psc_state_summary_get(view, &sum);
    f->view = view;
    f->prev_now = an->evaluated ? an->prev_now : psc__intro_start_ts(an->intro);
    f->now = sum.instant_ts;
    f->n_peers = f->n_open = 0;
    f->opened = f->closed = 0;
    f->n_protocols = 0;
    f->n_quiet = 0;
    f->wants_open_ts = wants_open_ts(an);
    psc__strmap_clear(&f->peers);
    psc__strmap_clear(&f->protocols);
    size_t n_conns = psc_state_connection_count(view);
    if (!psc__strmap_reserve(an, &f->peers, n_conns) ||
        (f->wants_open_ts && !psc__an_grow(an, (void **)&f->open_ts, &f->n_open_cap, n_conns + 1, sizeof *f->open_ts)))
        return PSC_ERR_NOMEM;
    f->has_protocols = wants_protocols(an);
    facts_walk w = {an, f, false};
    psc__view_walk vw = {.user = &w, .conn = on_conn, .stream = f->has_protocols ? on_stream : NULL};
    psc__view_walk_state(view, &vw);
    if (w.failed)
        return PSC_ERR_NOMEM;
    if (f->wants_open_ts)
        qsort(f->open_ts, f->n_open, sizeof *f->open_ts, cmp_u64);
    return PSC_OK;
}

bool psc__facts_connected(const psc__facts *f, const char *peer)
{
    return psc__strmap_get(&f->peers, peer, NULL);
}

/* ------------------------------------------------------------ encoding */

static size_t alert_body_size(const psc__rule *r, const psc__subj *s)
{
    const char *kind = psc_rule_kind_name(r->cfg.kind);
    return psc__pb_bytes_size_opt(PSC__F_ALERT__RULE, strlen(r->name)) +
           psc__pb_bytes_size_opt(PSC__F_ALERT__KIND, strlen(kind)) +
           psc__pb_enum_size_opt(PSC__F_ALERT__SEVERITY, (int32_t)r->cfg.severity) +
           psc__pb_bytes_size_opt(PSC__F_ALERT__SUBJECT, strlen(s->subject)) +
           psc__pb_bytes_size_opt(PSC__F_ALERT__SUBJECT_KIND, strlen(s->subject_kind)) +
           psc__pb_double_size_opt(PSC__F_ALERT__VALUE, s->value) +
           psc__pb_double_size_opt(PSC__F_ALERT__THRESHOLD, r->threshold) +
           psc__pb_uint_size_opt(PSC__F_ALERT__SINCE_TS, s->since_ts) +
           psc__pb_uint_size_opt(PSC__F_ALERT__FIRING_TS, s->firing_ts) +
           psc__pb_bytes_size_opt(PSC__F_ALERT__MESSAGE, s->message ? strlen(s->message) : 0);
}

static uint8_t *alert_body_write(uint8_t *p, const psc__rule *r, const psc__subj *s)
{
    const char *kind = psc_rule_kind_name(r->cfg.kind);
    p = psc__pb_put_bytes_opt(p, PSC__F_ALERT__RULE, r->name, strlen(r->name));
    p = psc__pb_put_bytes_opt(p, PSC__F_ALERT__KIND, kind, strlen(kind));
    p = psc__pb_put_enum_opt(p, PSC__F_ALERT__SEVERITY, (int32_t)r->cfg.severity);
    p = psc__pb_put_bytes_opt(p, PSC__F_ALERT__SUBJECT, s->subject, strlen(s->subject));
    p = psc__pb_put_bytes_opt(p, PSC__F_ALERT__SUBJECT_KIND, s->subject_kind, strlen(s->subject_kind));
    p = psc__pb_put_double_opt(p, PSC__F_ALERT__VALUE, s->value);
    p = psc__pb_put_double_opt(p, PSC__F_ALERT__THRESHOLD, r->threshold);
    p = psc__pb_put_uint_opt(p, PSC__F_ALERT__SINCE_TS, s->since_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_ALERT__FIRING_TS, s->firing_ts);
    if (s->message)
        p = psc__pb_put_bytes_opt(p, PSC__F_ALERT__MESSAGE, s->message, strlen(s->message));
    return p;
}

static int cmp_firing(const void *a, const void *b)
{
    uint64_t x = ((const psc__firing *)a)->s->order, y = ((const psc__firing *)b)->s->order;
    return x < y ? -1 : x > y;
}

/* [lock] The firing alerts of rules not removed, oldest first, into an->firing. */
static psc_err gather_firing(psc_analyzer *an)
{
    an->n_firing = 0;
    for (size_t i = 0; i < an->n_rules; i++) {
        psc__rule *r = an->rules[i];
        for (size_t j = 0; j < r->n_subj && !r->removed; j++) {
            if (!r->subj[j].firing)
                continue;
            if (!psc__an_grow(an, (void **)&an->firing, &an->cap_firing, an->n_firing + 1, sizeof *an->firing))
                return PSC_ERR_NOMEM;
            an->firing[an->n_firing++] = (psc__firing){r, &r->subj[j]};
        }
    }
    if (an->n_firing > 1) /* qsort takes no NULL, even for 0 items */
        qsort(an->firing, an->n_firing, sizeof *an->firing, cmp_firing);
    return PSC_OK;
}

/* State.alerts (oldest first) and State.milestones into an->pb. */
static psc_err encode_state_fields(psc_analyzer *an)
{
    psc_err e = gather_firing(an);
    if (e != PSC_OK)
        return e;
    size_t n = 0;
    for (size_t k = 0; k < an->n_firing; k++)
        n += psc__pb_len_size(PSC__F_STATE__ALERTS, alert_body_size(an->firing[k].r, an->firing[k].s));
    for (size_t i = 0; i < an->n_ms; i++)
        n += psc__pb_len_size(PSC__F_STATE__MILESTONES, psc__milestone_pb_size(&an->ms[i]));
    if (!psc__an_grow(an, (void **)&an->pb, &an->pb_cap, n ? n : 1, 1))
        return PSC_ERR_NOMEM;
    uint8_t *p = an->pb;
    for (size_t k = 0; k < an->n_firing; k++) {
        p = psc__pb_put_len_prefix(p, PSC__F_STATE__ALERTS, alert_body_size(an->firing[k].r, an->firing[k].s));
        p = alert_body_write(p, an->firing[k].r, an->firing[k].s);
    }
    for (size_t i = 0; i < an->n_ms; i++) {
        p = psc__pb_put_len_prefix(p, PSC__F_STATE__MILESTONES, psc__milestone_pb_size(&an->ms[i]));
        p = psc__milestone_pb_write(p, &an->ms[i]);
    }
    an->pb_len = (size_t)(p - an->pb);
    return PSC_OK;
}

/* ---------------------------------------------------------- evaluation */

static psc_err eval_rule(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    switch (r->cfg.kind) {
    case PSC_RULE_EXPECTED_PEERS: return psc__eval_expected_peers(an, r, f);
    case PSC_RULE_EXPECTED_EVENTS: return psc__eval_expected_events(an, r, f);
    case PSC_RULE_PEERS_LOW:
    case PSC_RULE_PEERS_HIGH:
    case PSC_RULE_CONNECTION_CHURN:
    case PSC_RULE_DIAL_FAILURES: return psc__eval_peers(an, r, f);
    case PSC_RULE_STREAM_GROWTH:
    case PSC_RULE_STREAM_IDLE: return psc__eval_streams(an, r, f);
    case PSC_RULE_DHT_BUCKETS_LOW:
    case PSC_RULE_DHT_QUERY_FAILURES: return psc__eval_dht(an, r, f);
    case PSC_RULE_MESH_LOW:
    case PSC_RULE_MESH_HIGH:
    case PSC_RULE_NEGATIVE_SCORE: return psc__eval_pubsub(an, r, f);
    case PSC_RULE_RESOURCE_USAGE: return psc__eval_rcmgr(an, r, f);
    case PSC_RULE_EVENTS_DROPPED:
    case PSC_RULE_PROVIDER_ERRORS: return psc__eval_health(an, r, f);
    case PSC_RULE_CUSTOM: return psc__eval_custom(an, r, f);
    default: return PSC_ERR_INTERNAL;
    }
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static psc_err on_state(void *user, const psc_msg *view, const uint8_t **pb, size_t *len)
{
    psc_analyzer *an = user;
    pthread_mutex_lock(&an->lock);
    uint64_t t0 = thread_cpu_ns();
    drain_events(an);
    psc__facts *f = &an->facts;
    psc_err e = facts_build(an, view, f);
    if (e == PSC_OK) {
        psc__sets_refresh(an);
        for (size_t i = 0; i < an->n_rules;) {
            psc__rule *r = an->rules[i];
            if (r->removed) {
                psc__rule_free(an, r, true, f->now);
                an->rules[i] = an->rules[--an->n_rules];
                continue;
            }
            if (!r->added_ts)
                r->added_ts = f->now ? f->now : 1;
            psc_err re = eval_rule(an, r, f);
            if (re != PSC_OK)
                psc__log(an->intro, PSC_LOG_WARN, "rule %s not evaluated: %s", r->name, psc_strerror(re));
            psc__rule_sweep(an, r, f->now, re == PSC_OK);
            i++;
        }
        psc__milestones_update(an, f);
        an->prev_now = f->now;
        an->evaluated = true;
        an->evaluations++;
        e = encode_state_fields(an);
    }
    an->last_cpu_ns = thread_cpu_ns() - t0;
    an->total_cpu_ns += an->last_cpu_ns;
    *pb = an->pb;
    *len = e == PSC_OK ? an->pb_len : 0;
    pthread_mutex_unlock(&an->lock);
    return e;
}

static psc_err runtime_fields(void *user, uint8_t **pb, size_t *len)
{
    psc_analyzer *an = user;
    pthread_mutex_lock(&an->lock);
    size_t n = 0;
    for (size_t i = 0; i < an->n_ms; i++)
        n += psc__pb_len_size(PSC__F_RUNTIME__MILESTONES, psc__milestone_pb_size(&an->ms[i]));
    uint8_t *buf = n ? psc__malloc(&an->alloc, n) : NULL;
    if (n && !buf) {
        pthread_mutex_unlock(&an->lock);
        return PSC_ERR_NOMEM;
    }
    uint8_t *p = buf;
    for (size_t i = 0; i < an->n_ms; i++) {
        p = psc__pb_put_len_prefix(p, PSC__F_RUNTIME__MILESTONES, psc__milestone_pb_size(&an->ms[i]));
        p = psc__milestone_pb_write(p, &an->ms[i]);
    }
    pthread_mutex_unlock(&an->lock);
    *pb = buf;
    *len = n;
    return PSC_OK;
}

/* -------------------------------------------------------------- thread */

static void *thread_main(void *arg)
{
    psc_analyzer *an = arg;
    pthread_mutex_lock(&an->thread_lock);
    while (!an->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (an->interval_ms % 1000u) * 1000000u;
        ts.tv_sec += (time_t)(an->interval_ms / 1000u + ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        while (!an->stop && pthread_cond_timedwait(&an->thread_cond, &an->thread_lock, &ts) != ETIMEDOUT)
            ;
        if (an->stop)
            break;
        pthread_mutex_unlock(&an->thread_lock);
        psc_err e = psc_analyzer_evaluate(an);
        if (e != PSC_OK)
            psc__log(an->intro, PSC_LOG_WARN, "analyzer snapshot failed: %s", psc_strerror(e));
        pthread_mutex_lock(&an->thread_lock);
    }
    pthread_mutex_unlock(&an->thread_lock);
    return NULL;
}

static psc_err start_thread(psc_analyzer *an)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return PSC_ERR_NOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&an->thread_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return PSC_ERR_NOMEM;
    if (pthread_mutex_init(&an->thread_lock, NULL) != 0) {
        pthread_cond_destroy(&an->thread_cond);
        return PSC_ERR_NOMEM;
    }
    if (pthread_create(&an->thread, NULL, thread_main, an) != 0) {
        pthread_mutex_destroy(&an->thread_lock);
        pthread_cond_destroy(&an->thread_cond);
        return PSC_ERR_IO;
    }
    an->has_thread = true;
    return PSC_OK;
}

static void stop_thread(psc_analyzer *an)
{
    if (!an->has_thread)
        return;
    pthread_mutex_lock(&an->thread_lock);
    an->stop = true;
    pthread_cond_signal(&an->thread_cond);
    pthread_mutex_unlock(&an->thread_lock);
    pthread_join(an->thread, NULL);
    pthread_mutex_destroy(&an->thread_lock);
    pthread_cond_destroy(&an->thread_cond);
    an->has_thread = false;
}

/* ----------------------------------------------------------- lifetime */

static void free_all(psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_rules; i++)
        psc__rule_free(an, an->rules[i], false, 0);
    psc__free(&an->alloc, an->rules);
    psc__sets_free(an);
    psc__milestones_free(an);
    psc__free(&an->alloc, an->peer_ms);
    psc_event_reader_free(an->reader);
    psc__free(&an->alloc, an->evs);
    psc__free(&an->alloc, an->evbuf);
    psc__strmap_free(an, &an->facts.peers);
    psc__strmap_free(an, &an->facts.protocols);
    psc__free(&an->alloc, an->facts.protocol_names);
    psc__free(&an->alloc, an->facts.protocol_counts);
    psc__free(&an->alloc, an->facts.open_ts);
    psc__free(&an->alloc, an->facts.quiet);
    psc__free(&an->alloc, an->pb);
    psc__free(&an->alloc, an->firing);
    pthread_mutex_destroy(&an->lock);
    psc__alloc a = an->alloc;
    psc__free(&a, an);
}

static psc_err declare_types(psc_analyzer *an)
{
    psc_err e = psc_event_declare(an->intro, &PSC_EVENT_ALERT_FIRING, &an->ev_firing);
    if (e == PSC_OK)
        e = psc_event_declare(an->intro, &PSC_EVENT_ALERT_RESOLVED, &an->ev_resolved);
    if (e == PSC_OK)
        e = psc_event_declare(an->intro, &PSC_EVENT_MILESTONE_REACHED, &an->ev_milestone);
    return e;
}

psc_err psc_analyzer_new(psc_introspector *intro, const psc_analyzer_config *config, psc_analyzer **out)
{
    if (!intro || !out)
        return PSC_ERR_INVALID;
    psc_analyzer_config cfg = PSC_ANALYZER_CONFIG_INIT;
    if (config) {
        if (config->struct_size < sizeof(size_t))
            return PSC_ERR_INVALID;
        size_t n = config->struct_size < sizeof cfg ? config->struct_size : sizeof cfg;
        memcpy(&cfg, config, n);
    }
    if (cfg.n_peer_milestones && !cfg.peer_milestones)
        return PSC_ERR_INVALID;
    const psc__alloc *a = psc__intro_alloc(intro);
    psc_analyzer *an = psc__calloc(a, 1, sizeof *an);
    if (!an)
        return PSC_ERR_NOMEM;
    an->intro = intro;
    an->alloc = *a;
    an->max_events = cfg.max_events ? cfg.max_events : DEFAULT_MAX_EVENTS;
    an->interval_ms = cfg.interval_ms;
    if (pthread_mutex_init(&an->lock, NULL) != 0) {
        psc__free(a, an);
        return PSC_ERR_NOMEM;
    }
    const uint32_t *pm = cfg.peer_milestones ? cfg.peer_milestones : default_peer_ms;
    size_t npm = cfg.peer_milestones ? cfg.n_peer_milestones : sizeof default_peer_ms / sizeof default_peer_ms[0];
    psc_err e = PSC_OK;
    if (npm && !(an->peer_ms = psc__calloc(a, npm, sizeof *an->peer_ms)))
        e = PSC_ERR_NOMEM;
    else if (npm) {
        memcpy(an->peer_ms, pm, npm * sizeof *pm);
        an->n_peer_ms = npm;
    }
    if (e == PSC_OK)
        e = declare_types(an);
    /* from the oldest: lifecycle events of a host that started before the analyzer count */
    if (e == PSC_OK)
        e = psc_event_reader_new(intro, true, &an->reader);
    psc__analysis hook = {on_state, runtime_fields, an};
    if (e == PSC_OK)
        e = psc__intro_set_analysis(intro, &hook);
    if (e != PSC_OK) {
        free_all(an);
        return e;
    }
    if (cfg.interval_ms && (e = start_thread(an)) != PSC_OK) {
        psc__intro_set_analysis(intro, NULL);
        free_all(an);
        return e;
    }
    *out = an;
    return PSC_OK;
}

void psc_analyzer_free(psc_analyzer *an)
{
    if (!an)
        return;
    stop_thread(an);
    psc__intro_set_analysis(an->intro, NULL);
    free_all(an);
}

psc_err psc_analyzer_evaluate(psc_analyzer *an)
{
    if (!an)
        return PSC_ERR_INVALID;
    psc_msg *m;
    psc_err e = psc_introspector_snapshot(an->intro, &m);
    if (e == PSC_OK)
        psc_msg_unref(m);
    return e;
}

psc_err psc_analyzer_get_stats(psc_analyzer *an, psc_analyzer_stats *out)
{
    if (!an || !out)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&an->lock);
    *out = (psc_analyzer_stats){an->evaluations, an->total_cpu_ns, an->last_cpu_ns, an->n_rules};
    pthread_mutex_unlock(&an->lock);
    return PSC_OK;
}

/* --------------------------------------------------------------- alerts */

size_t psc_analyzer_alerts(psc_analyzer *an, psc_alert_fn fn, void *user)
{
    if (!an)
        return 0;
    pthread_mutex_lock(&an->lock);
    size_t n = 0;
    if (gather_firing(an) == PSC_OK) {
        n = an->n_firing;
        for (size_t k = 0; fn && k < an->n_firing; k++) {
            const psc__rule *r = an->firing[k].r;
            const psc__subj *s = an->firing[k].s;
            psc_alert al = {r->name, psc_rule_kind_name(r->cfg.kind), s->subject, s->subject_kind,
                            s->message ? s->message : "", r->cfg.severity, s->value, r->threshold, s->since_ts,
                            s->firing_ts};
            fn(user, &al);
        }
    } else {
        /* no room to sort: count them at least */
        for (size_t i = 0; i < an->n_rules; i++)
            for (size_t j = 0; j < an->rules[i]->n_subj && !an->rules[i]->removed; j++)
                n += an->rules[i]->subj[j].firing;
    }
    pthread_mutex_unlock(&an->lock);
    return n;
}

/* --------------------------------------------------------- custom rules */

const psc_msg *psc_rule_ctx_state(const psc_rule_ctx *ctx)
{
    return ctx ? ctx->facts->view : NULL;
}

uint64_t psc_rule_ctx_now(const psc_rule_ctx *ctx)
{
    return ctx ? ctx->facts->now : 0;
}

size_t psc_rule_ctx_event_count(const psc_rule_ctx *ctx)
{
    return ctx ? ctx->an->n_evs : 0;
}

psc_err psc_rule_ctx_event(const psc_rule_ctx *ctx, size_t i, const char **type, uint64_t *ts, const char **content)
{
    if (!ctx)
        return PSC_ERR_INVALID;
    if (i >= ctx->an->n_evs)
        return PSC_ERR_NOT_FOUND;
    const psc__ev *e = &ctx->an->evs[i];
    if (type)
        *type = e->type;
    if (ts)
        *ts = e->ts;
    if (content)
        *content = psc__ev_content(ctx->an, e);
    return PSC_OK;
}

psc_err psc_rule_ctx_observe(psc_rule_ctx *ctx, const char *subject, const char *subject_kind, double value,
                             const char *message)
{
    if (!ctx || !subject || !psc__text_ok(subject) || (subject_kind && !psc__text_ok(subject_kind)) ||
        (message && !psc__text_ok(message)))
        return PSC_ERR_INVALID;
    return psc__observe(ctx->an, ctx->rule, subject, subject_kind, value, message, ctx->facts->now);
}

psc_err psc__eval_custom(psc_analyzer *an, psc__rule *r, const psc__facts *f)
{
    psc_rule_ctx ctx = {an, r, f};
    return r->cfg.custom(r->cfg.custom_user, &ctx);
}

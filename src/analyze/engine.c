/*
 * The rule engine: per-subject state (holding since, firing, clearing
 * since), the for-duration, the resolve delay and the value hysteresis,
 * and the AlertFiring / AlertResolved events. Families only report values.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "analyze/analyze.h"

typedef struct kind_info {
    const char *name;
    psc__op op;
    double def;
    const char *value_name;
} kind_info;

static const kind_info kinds[PSC_RULE_KIND_COUNT_] = {
    [PSC_RULE_EXPECTED_PEERS] = {"expected_peers", PSC__OP_ABOVE, 0, "not connected"},
    [PSC_RULE_EXPECTED_EVENTS] = {"expected_events", PSC__OP_ABOVE, 0, "ms without an event"},
    [PSC_RULE_PEERS_LOW] = {"peers_low", PSC__OP_BELOW, 1, "connected peers"},
    [PSC_RULE_PEERS_HIGH] = {"peers_high", PSC__OP_ABOVE, 1000, "connected peers"},
    [PSC_RULE_CONNECTION_CHURN] = {"connection_churn", PSC__OP_ABOVE, 60, "connections opened and closed per minute"},
    [PSC_RULE_DIAL_FAILURES] = {"dial_failures", PSC__OP_ABOVE, 0.5, "dial failure ratio"},
    [PSC_RULE_STREAM_GROWTH] = {"stream_growth", PSC__OP_AT_LEAST, 5, "snapshots of stream growth"},
    [PSC_RULE_STREAM_IDLE] = {"stream_idle", PSC__OP_ABOVE, 0, "idle streams"},
    [PSC_RULE_DHT_BUCKETS_LOW] = {"dht_buckets_low", PSC__OP_BELOW, 1, "bucket peers"},
    [PSC_RULE_DHT_QUERY_FAILURES] = {"dht_query_failures", PSC__OP_ABOVE, 0.5, "query failure ratio"},
    [PSC_RULE_MESH_LOW] = {"mesh_low", PSC__OP_BELOW, 4, "mesh peers"},
    [PSC_RULE_MESH_HIGH] = {"mesh_high", PSC__OP_ABOVE, 12, "mesh peers"},
    [PSC_RULE_NEGATIVE_SCORE] = {"negative_score", PSC__OP_BELOW, 0, "score"},
    [PSC_RULE_RESOURCE_USAGE] = {"resource_usage", PSC__OP_ABOVE, 80, "% of a limit"},
    [PSC_RULE_EVENTS_DROPPED] = {"events_dropped", PSC__OP_ABOVE, 0, "events lost by sessions"},
    [PSC_RULE_PROVIDER_ERRORS] = {"provider_errors", PSC__OP_AT_LEAST, 3, "failed snapshots in a row"},
    [PSC_RULE_CUSTOM] = {"custom", PSC__OP_ABOVE, 0, "value"},
};

const char *psc_rule_kind_name(psc_rule_kind kind)
{
    return (unsigned)kind < PSC_RULE_KIND_COUNT_ ? kinds[kind].name : NULL;
}

psc_err psc_rule_kind_from_name(const char *name, psc_rule_kind *out)
{
    if (!name || !out)
        return PSC_ERR_INVALID;
    for (unsigned k = 0; k < PSC_RULE_KIND_COUNT_; k++)
        if (strcmp(kinds[k].name, name) == 0) {
            *out = (psc_rule_kind)k;
            return PSC_OK;
        }
    return PSC_ERR_NOT_FOUND;
}

psc__op psc__kind_op(psc_rule_kind k)
{
    return kinds[k].op;
}

double psc__kind_default(psc_rule_kind k)
{
    return kinds[k].def;
}

const char *psc__kind_value_name(psc_rule_kind k)
{
    return kinds[k].value_name;
}

static const char *severity_name(psc_severity s)
{
    switch (s) {
    case PSC_SEVERITY_WARNING: return "warning";
    case PSC_SEVERITY_CRITICAL: return "critical";
    default: return "info";
    }
}

static const char *op_text(psc__op op)
{
    return op == PSC__OP_BELOW ? "<" : op == PSC__OP_AT_LEAST ? ">=" : ">";
}

/* The condition, with the hysteresis applied while the alert fires. */
static bool holds(const psc__rule *r, double v, bool firing)
{
    double t = r->threshold, h = firing ? r->cfg.hysteresis : 0;
    switch (r->op) {
    case PSC__OP_BELOW: return v < t + h;
    case PSC__OP_AT_LEAST: return v >= t - h;
    default: return v > t - h;
    }
}

static void emit_alert(psc_analyzer *an, const psc__rule *r, const psc__subj *s, bool firing, uint64_t now)
{
    psc_value v[] = {
        PSC_V_STR(r->name),
        PSC_V_STR(severity_name(r->cfg.severity)),
        PSC_V_STR(s->subject),
        PSC_V_NUM(s->value),
        PSC_V_NUM(r->threshold),
        PSC_V_TIME(s->since_ts),
        PSC_V_STR(psc_rule_kind_name(r->cfg.kind)),
        PSC_V_STR(s->subject_kind),
        PSC_V_STR(s->message ? s->message : ""),
    };
    psc_err e = psc_emit_at(an->intro, firing ? an->ev_firing : an->ev_resolved, now, v, sizeof v / sizeof v[0]);
    if (e != PSC_OK)
        psc__log(an->intro, PSC_LOG_WARN, "alert %s/%s: event not emitted: %s", r->name, s->subject,
                 psc_strerror(e));
}

static void subj_free(psc_analyzer *an, psc__subj *s)
{
    psc__free(&an->alloc, s->subject);
    psc__free(&an->alloc, s->subject_kind);
    psc__free(&an->alloc, s->message);
}

/* The message of a subject about to fire: the family's, or one from the kind. */
static void set_message(psc_analyzer *an, const psc__rule *r, psc__subj *s, const char *msg)
{
    char buf[512];
    if (!msg) {
        if (r->cfg.kind == PSC_RULE_EXPECTED_PEERS)
            snprintf(buf, sizeof buf, "%s: %s %s is not connected", r->name, s->subject_kind, s->subject);
        else
            snprintf(buf, sizeof buf, "%s: %s %s: %s %g %s %g", r->name, s->subject_kind, s->subject,
                     psc__kind_value_name(r->cfg.kind), s->value, op_text(r->op), r->threshold);
        msg = buf;
    }
    if (s->message && strcmp(s->message, msg) == 0)
        return;
    char *m = psc__an_strdup(an, msg);
    if (!m)
        return; /* keeps the old message: the alert itself matters more */
    psc__free(&an->alloc, s->message);
    s->message = m;
}

/* One step of a subject's state machine; false when it is to be dropped. */
static bool step(psc_analyzer *an, psc__rule *r, psc__subj *s, bool cond, const char *msg, uint64_t now)
{
    if (cond) {
        if (!s->holding && !s->firing)
            s->since_ts = now;
        s->holding = true;
        s->clear_since = 0;
        if (s->firing) {
            if (msg)
                set_message(an, r, s, msg);
        } else if (now - s->since_ts >= r->cfg.for_ms) {
            set_message(an, r, s, msg);
            s->firing = true;
            s->firing_ts = now;
            s->order = ++an->alert_order;
            emit_alert(an, r, s, true, now);
        }
        return true;
    }
    s->holding = false;
    if (!s->firing)
        return false;
    if (!s->clear_since)
        s->clear_since = now ? now : 1;
    if (now - s->clear_since < r->cfg.resolve_ms)
        return true;
    emit_alert(an, r, s, false, now);
    return false;
}

psc_err psc__observe(psc_analyzer *an, psc__rule *r, const char *subject, const char *subject_kind, double value,
                     const char *message, uint64_t now)
{
    if (r->subject && fnmatch(r->subject, subject, 0) != 0)
        return PSC_OK;
    size_t at;
    psc__subj *s = psc__strmap_get(&r->subj_index, subject, &at) ? &r->subj[at] : NULL;
    if (s && s->seen)
        return PSC_OK; /* a family reporting a subject twice: the first value counts */
    bool cond = holds(r, value, s && s->firing);
    if (!s) {
        if (!cond)
            return PSC_OK; /* only holding or firing subjects take memory */
        if (!psc__an_grow(an, (void **)&r->subj, &r->cap_subj, r->n_subj + 1, sizeof *r->subj))
            return PSC_ERR_NOMEM;
        psc__subj fresh = {0};
        fresh.subject = psc__an_strdup(an, subject);
        fresh.subject_kind = psc__an_strdup(an, subject_kind ? subject_kind : "node");
        if (!fresh.subject || !fresh.subject_kind ||
            !psc__strmap_put(an, &r->subj_index, fresh.subject, r->n_subj, NULL)) {
            subj_free(an, &fresh);
            return PSC_ERR_NOMEM;
        }
        r->subj[r->n_subj++] = fresh;
        s = &r->subj[r->n_subj - 1];
    }
    s->seen = true;
    s->value = value;
    if (!step(an, r, s, cond, message, now))
        s->dead = true;
    return PSC_OK;
}

void psc__rule_sweep(psc_analyzer *an, psc__rule *r, uint64_t now, bool complete)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_subj; i++) {
        psc__subj *s = &r->subj[i];
        if (complete && !s->seen && !s->dead && !step(an, r, s, false, NULL, now))
            s->dead = true;
        if (s->dead) {
            subj_free(an, s);
            continue;
        }
        s->seen = false;
        r->subj[kept++] = *s;
    }
    if (kept == r->n_subj)
        return;
    r->n_subj = kept;
    /* positions moved: index again (the map never shrinks, so this cannot fail) */
    psc__strmap_clear(&r->subj_index);
    for (size_t i = 0; i < r->n_subj; i++)
        psc__strmap_put(an, &r->subj_index, r->subj[i].subject, i, NULL);
}

void psc__rule_free(psc_analyzer *an, psc__rule *r, bool resolve, uint64_t now)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_subj; i++) {
        if (resolve && r->subj[i].firing)
            emit_alert(an, r, &r->subj[i], false, now);
        subj_free(an, &r->subj[i]);
    }
    psc__free(&an->alloc, r->subj);
    psc__strmap_free(an, &r->subj_index);
    psc__mems_free(an, &r->mems);
    psc__free(&an->alloc, r->series.v);
    psc__free(&an->alloc, r->name);
    psc__free(&an->alloc, r->subject);
    psc__free(&an->alloc, r->set);
    psc__free(&an->alloc, r->event_type);
    psc__free(&an->alloc, r->property);
    psc__free(&an->alloc, r);
}

/* ------------------------------------------------------------ memories */

psc__mem *psc__mem_get(psc_analyzer *an, psc__mems *m, const char *key)
{
    size_t i;
    if (psc__strmap_get(&m->index, key, &i)) {
        m->v[i].seen = true;
        return &m->v[i];
    }
    if (!psc__an_grow(an, (void **)&m->v, &m->cap, m->n + 1, sizeof *m->v))
        return NULL;
    char *k = psc__an_strdup(an, key);
    if (!k || !psc__strmap_put(an, &m->index, k, m->n, NULL)) {
        psc__free(&an->alloc, k);
        return NULL;
    }
    m->v[m->n] = (psc__mem){.key = k, .seen = true};
    return &m->v[m->n++];
}

void psc__mem_sweep(psc_analyzer *an, psc__mems *m)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->v[i].seen) {
            psc__free(&an->alloc, m->v[i].key);
            continue;
        }
        m->v[i].seen = false;
        m->v[kept++] = m->v[i];
    }
    if (kept == m->n)
        return;
    m->n = kept;
    /* positions moved: index again (the map never shrinks, so this cannot fail) */
    psc__strmap_clear(&m->index);
    for (size_t i = 0; i < m->n; i++)
        psc__strmap_put(an, &m->index, m->v[i].key, i, NULL);
}

void psc__mems_free(psc_analyzer *an, psc__mems *m)
{
    for (size_t i = 0; i < m->n; i++)
        psc__free(&an->alloc, m->v[i].key);
    psc__free(&an->alloc, m->v);
    psc__strmap_free(an, &m->index);
    *m = (psc__mems){0};
}

bool psc__series_add(psc_analyzer *an, psc__series *s, uint64_t now, double a, double b, uint64_t window_ms,
                     double *da, double *db)
{
    /* keep one sample at least window_ms old as the base, drop those before it */
    size_t drop = 0;
    while (drop + 1 < s->n && now - s->v[drop + 1].ts >= window_ms)
        drop++;
    if (drop) {
        memmove(s->v, s->v + drop, (s->n - drop) * sizeof *s->v);
        s->n -= drop;
    }
    if (!psc__an_grow(an, (void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return false;
    s->v[s->n++] = (psc__sample){now, a, b};
    *da = a - s->v[0].a;
    *db = b - s->v[0].b;
    return true;
}

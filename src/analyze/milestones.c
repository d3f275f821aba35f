/*
 * Milestones: durations derived from the node's lifecycle events
 * (IdentityKnown, PeerConnected, SyncStarted, SyncCompleted), from its
 * connection history (the N-th peer) and from the host's own marks.
 * Each is reached once; its MilestoneReached event goes into the ring.
 */
#include <stdio.h>
#include <string.h>

#include "analyze/analyze.h"
#include "wire/pb_fields.h"
#include "wire/pbwrite.h"

static const psc_prop_def alert_props[] = {
    {"rule", PSC_PROP_STRING, false},      {"severity", PSC_PROP_STRING, false},
    {"subject", PSC_PROP_STRING, false},   {"value", PSC_PROP_NUMBER, false},
    {"threshold", PSC_PROP_NUMBER, false}, {"since", PSC_PROP_TIME, false},
    {"kind", PSC_PROP_STRING, false},      {"subjectKind", PSC_PROP_STRING, false},
    {"message", PSC_PROP_STRING, false},
};
const psc_event_def PSC_EVENT_ALERT_FIRING = {"AlertFiring", alert_props, sizeof alert_props / sizeof alert_props[0]};
const psc_event_def PSC_EVENT_ALERT_RESOLVED = {"AlertResolved", alert_props,
                                                sizeof alert_props / sizeof alert_props[0]};

static const psc_prop_def milestone_props[] = {
    {"name", PSC_PROP_STRING, false},
    {"durationMs", PSC_PROP_NUMBER, false},
    {"from", PSC_PROP_STRING, false},
    {"reachedTs", PSC_PROP_TIME, false},
};
const psc_event_def PSC_EVENT_MILESTONE_REACHED = {"MilestoneReached", milestone_props,
                                                   sizeof milestone_props / sizeof milestone_props[0]};

static psc__milestone *find(psc_analyzer *an, const char *name)
{
    for (size_t i = 0; i < an->n_ms; i++)
        if (strcmp(an->ms[i].name, name) == 0)
            return &an->ms[i];
    return NULL;
}

/* [lock] */
psc_err psc__milestone_add(psc_analyzer *an, const char *name, const char *from, uint64_t ts)
{
    if (find(an, name))
        return PSC_OK;
    uint64_t origin = psc__intro_start_ts(an->intro);
    if (from && *from) {
        const psc__milestone *f = find(an, from);
        if (!f)
            return PSC_ERR_NOT_FOUND;
        origin = f->reached_ts;
    }
    if (!psc__an_grow(an, (void **)&an->ms, &an->cap_ms, an->n_ms + 1, sizeof *an->ms))
        return PSC_ERR_NOMEM;
    psc__milestone m = {psc__an_strdup(an, name), psc__an_strdup(an, from ? from : ""), ts,
                        ts > origin ? ts - origin : 0};
    if (!m.name || !m.from) {
        psc__free(&an->alloc, m.name);
        psc__free(&an->alloc, m.from);
        return PSC_ERR_NOMEM;
    }
    an->ms[an->n_ms++] = m;
    psc_value v[] = {PSC_V_STR(m.name), PSC_V_NUM(m.duration_ms), PSC_V_STR(m.from), PSC_V_TIME(ts)};
    psc_err e = psc_emit_at(an->intro, an->ev_milestone, ts, v, 4);
    if (e != PSC_OK)
        psc__log(an->intro, PSC_LOG_WARN, "milestone %s: event not emitted: %s", name, psc_strerror(e));
    return PSC_OK;
}

bool psc__milestone_known(psc_analyzer *an, const char *name)
{
    return find(an, name) != NULL;
}

static void reach(psc_analyzer *an, const char *name, uint64_t ts)
{
    if (psc__milestone_add(an, name, NULL, ts) != PSC_OK)
        psc__log(an->intro, PSC_LOG_WARN, "milestone %s not kept: out of memory", name);
}

static void on_listen(void *user, const char *addr)
{
    bool *any = user;
    *any = true;
}

void psc__milestones_update(psc_analyzer *an, const psc__facts *f)
{
    for (size_t i = 0; i < an->n_evs; i++) {
        const psc__ev *ev = &an->evs[i];
        const char *c = psc__ev_content(an, ev);
        if (strcmp(ev->type, "IdentityKnown") == 0) {
            reach(an, "identity", ev->ts);
            /* addrs is a JSON array: a non-empty one starts with a quote */
            const char *a = strstr(c, "\"addrs\":[\"");
            if (a)
                reach(an, "first_listen", ev->ts);
        } else if (strcmp(ev->type, "PeerConnected") == 0 || strcmp(ev->type, "FirstPeerConnected") == 0 ||
                   strcmp(ev->type, "PeerConnecting") == 0) {
            reach(an, "first_peer", ev->ts);
        } else if (strcmp(ev->type, "SyncStarted") == 0) {
            reach(an, "sync_started", ev->ts);
        } else if (strcmp(ev->type, "SyncCompleted") == 0) {
            reach(an, "sync_completed", ev->ts);
        }
    }
    if (!find(an, "first_listen")) {
        bool any = false;
        psc__view_walk w = {.user = &any, .listen_addr = on_listen};
        psc__view_walk_state(f->view, &w);
        if (any)
            reach(an, "first_listen", f->now);
    }
    /*
     * From the connection history: the N-th peer is reached when the
     * N-th oldest open connection opened (not later than this state).
     */
    if (f->n_open && !find(an, "first_peer")) {
        uint64_t first = f->wants_open_ts ? f->open_ts[0] : f->now;
        reach(an, "first_peer", first && first <= f->now ? first : f->now);
    }
    for (size_t i = 0; i < an->n_peer_ms && f->wants_open_ts; i++) {
        uint32_t n = an->peer_ms[i];
        if (!n || f->n_peers < n)
            continue;
        char name[32];
        snprintf(name, sizeof name, "peers_%u", n);
        uint64_t ts = n <= f->n_open ? f->open_ts[n - 1] : f->now;
        reach(an, name, ts && ts <= f->now ? ts : f->now);
    }
}

void psc__milestones_free(psc_analyzer *an)
{
    for (size_t i = 0; i < an->n_ms; i++) {
        psc__free(&an->alloc, an->ms[i].name);
        psc__free(&an->alloc, an->ms[i].from);
    }
    psc__free(&an->alloc, an->ms);
    an->ms = NULL;
    an->n_ms = an->cap_ms = 0;
}

size_t psc__milestone_pb_size(const psc__milestone *m)
{
    return psc__pb_bytes_size_opt(PSC__F_MILESTONE__NAME, strlen(m->name)) +
           psc__pb_uint_size_opt(PSC__F_MILESTONE__REACHED_TS, m->reached_ts) +
           psc__pb_uint_size_opt(PSC__F_MILESTONE__DURATION_MS, m->duration_ms) +
           psc__pb_bytes_size_opt(PSC__F_MILESTONE__FROM, strlen(m->from));
}

uint8_t *psc__milestone_pb_write(uint8_t *p, const psc__milestone *m)
{
    p = psc__pb_put_bytes_opt(p, PSC__F_MILESTONE__NAME, m->name, strlen(m->name));
    p = psc__pb_put_uint_opt(p, PSC__F_MILESTONE__REACHED_TS, m->reached_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_MILESTONE__DURATION_MS, m->duration_ms);
    p = psc__pb_put_bytes_opt(p, PSC__F_MILESTONE__FROM, m->from, strlen(m->from));
    return p;
}

/* ------------------------------------------------------------ public */

psc_err psc_analyzer_milestone_reach_at(psc_analyzer *an, const char *name, const char *from, uint64_t ts_ms)
{
    if (!an || !name || !*name || !psc__text_ok(name) || (from && !psc__text_ok(from)))
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&an->lock);
    psc_err e = psc__milestone_add(an, name, from, ts_ms);
    pthread_mutex_unlock(&an->lock);
    return e;
}

psc_err psc_analyzer_milestone_reach(psc_analyzer *an, const char *name, const char *from)
{
    if (!an)
        return PSC_ERR_INVALID;
    return psc_analyzer_milestone_reach_at(an, name, from, psc_introspector_now_ms(an->intro));
}

psc_err psc_analyzer_milestone(psc_analyzer *an, const char *name, uint64_t *reached_ts, uint64_t *duration_ms)
{
    if (!an || !name)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&an->lock);
    const psc__milestone *m = find(an, name);
    if (m) {
        if (reached_ts)
            *reached_ts = m->reached_ts;
        if (duration_ms)
            *duration_ms = m->duration_ms;
    }
    pthread_mutex_unlock(&an->lock);
    return m ? PSC_OK : PSC_ERR_NOT_FOUND;
}

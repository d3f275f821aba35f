/* A State's families: what each subsystem adds, summed into bounded label sets. */
#include "metrics/metrics_int.h"

#include <math.h>
#include <stdio.h>

/* Short-circuit the rest of a function once a put fails. */
#define PUT(m, fam, v)                                              \
    do {                                                            \
        psc_err e_ = psc__metrics_put((m), (fam), (double)(v));     \
        if (e_ != PSC_OK)                                           \
            return e_;                                              \
    } while (0)

static const char *nonempty(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static uint64_t gauge_bytes(const Peerscope__DataGauge *g)
{
    return g ? g->cum_bytes : 0;
}

static psc_err add_dht(psc__metrics *m, const Peerscope__DHT *d, const char *dflt)
{
    const char *name = nonempty(d->name, dflt);
    for (size_t i = 0; i < d->n_buckets; i++) {
        const Peerscope__DHT__Bucket *b = d->buckets[i];
        psc__lb_add(m, "dht", name);
        psc__lb_add_uint(m, "bucket", b->cpl);
        PUT(m, PSC__FAM_DHT_BUCKET_PEERS, b->n_peers);
    }
    static const char *const dirs[2] = {"incoming", "outgoing"};
    const Peerscope__DHT__QueryGauge *q[2] = {d->incoming_queries, d->outgoing_queries};
    for (int k = 0; k < 2; k++) {
        if (!q[k])
            continue;
        const struct {
            const char *outcome;
            uint64_t v;
        } o[] = {{"success", q[k]->success}, {"error", q[k]->error}, {"timeout", q[k]->timeout}};
        for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
            psc__lb_add(m, "dht", name);
            psc__lb_add(m, "direction", dirs[k]);
            psc__lb_add(m, "outcome", o[i].outcome);
            PUT(m, PSC__FAM_DHT_QUERIES, o[i].v);
        }
    }
    return PSC_OK;
}

static psc_err add_pubsub_counts(psc__metrics *m, psc__fam fam, const char *topic, const Peerscope__PubSubCounters *c)
{
    if (!c)
        return PSC_OK;
    const struct {
        const char *kind;
        uint64_t v;
    } k[] = {{"received", c->received}, {"sent", c->sent},         {"published", c->published},
             {"forwarded", c->forwarded}, {"rejected", c->rejected}, {"duplicate", c->duplicate}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        psc__lb_add(m, "topic", topic);
        psc__lb_add(m, "kind", k[i].kind);
        PUT(m, fam, k[i].v);
    }
    return PSC_OK;
}

static psc_err add_pubsub(psc__metrics *m, const Peerscope__PubSub *ps)
{
    for (size_t i = 0; i < ps->n_topics; i++) {
        const Peerscope__PubSub__Topic *t = ps->topics[i];
        const char *topic = t->name ? t->name : "";
        psc__lb_add(m, "topic", topic);
        PUT(m, PSC__FAM_PUBSUB_MESH_PEERS, t->n_mesh_peers);
        psc__lb_add(m, "topic", topic);
        PUT(m, PSC__FAM_PUBSUB_TOPIC_PEERS, t->peer_count);
        psc_err e = add_pubsub_counts(m, PSC__FAM_PUBSUB_MESSAGES, topic, t->messages);
        if (e == PSC_OK)
            e = add_pubsub_counts(m, PSC__FAM_PUBSUB_BYTES, topic, t->bytes);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static const char *scope_kind_name(Peerscope__ResourceManager__ScopeKind k)
{
    static const char *const names[] = {"system", "transient", "service", "protocol", "peer", "connection", "stream"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

static psc_err add_resources(psc__metrics *m, psc__fam fam, const char *kind, const char *scope,
                             const Peerscope__ResourceManager__Resources *r, bool limit)
{
    if (!r)
        return PSC_OK;
    const struct {
        const char *name;
        uint64_t v;
    } res[] = {{"conns_in", r->conns_in},     {"conns_out", r->conns_out}, {"streams_in", r->streams_in},
               {"streams_out", r->streams_out}, {"memory", r->memory},       {"fds", r->fds}};
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        psc__lb_add(m, "scope_kind", kind);
        psc__lb_add(m, "scope", scope);
        psc__lb_add(m, "resource", res[i].name);
        /* in a limit, 0 means none */
        PUT(m, fam, limit && !res[i].v ? INFINITY : (double)res[i].v);
    }
    return PSC_OK;
}

static psc_err add_rcmgr(psc__metrics *m, const Peerscope__ResourceManager *rm)
{
    for (size_t i = 0; i < rm->n_scopes; i++) {
        const Peerscope__ResourceManager__Scope *s = rm->scopes[i];
        /* per-peer, per-connection and per-stream scopes would put a peer
         * id (or one series per connection) into a label: summed per kind */
        bool summed = s->kind == PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__PEER ||
                      s->kind == PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__CONNECTION ||
                      s->kind == PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__STREAM;
        const char *kind = scope_kind_name(s->kind);
        const char *scope = summed ? "" : (s->name ? s->name : "");
        psc_err e = add_resources(m, PSC__FAM_RESOURCE_USAGE, kind, scope, s->usage, false);
        if (e == PSC_OK && !summed)
            e = add_resources(m, PSC__FAM_RESOURCE_LIMIT, kind, scope, s->limit, true);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static const char *severity_name(Peerscope__Alert__Severity s)
{
    switch (s) {
    case PEERSCOPE__ALERT__SEVERITY__INFO:
        return "info";
    case PEERSCOPE__ALERT__SEVERITY__WARNING:
        return "warning";
    case PEERSCOPE__ALERT__SEVERITY__CRITICAL:
        return "critical";
    default:
        return "unknown";
    }
}

psc_err psc__metrics_add_state(psc__metrics *m, const Peerscope__State *st)
{
    psc_err e = PSC_OK;
    const Peerscope__Subsystems *sub = st->subsystems;
    if (sub) {
        if (sub->dialer) {
            const Peerscope__Dialer *d = sub->dialer;
            PUT(m, PSC__FAM_DIALS_IN_FLIGHT, d->in_flight);
            if (d->outcomes) {
                const struct {
                    const char *name;
                    uint64_t v;
                } o[] = {{"success", d->outcomes->success},
                         {"error", d->outcomes->error},
                         {"timeout", d->outcomes->timeout},
                         {"canceled", d->outcomes->canceled},
                         {"backoff", d->outcomes->backoff}};
                for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
                    psc__lb_add(m, "outcome", o[i].name);
                    PUT(m, PSC__FAM_DIALS, o[i].v);
                }
            }
        }
        if (sub->dht && (e = add_dht(m, sub->dht, "dht")) != PSC_OK)
            return e;
        for (size_t i = 0; i < sub->n_additional_dhts; i++) {
            char dflt[24];
            snprintf(dflt, sizeof dflt, "dht%zu", i + 1);
            if ((e = add_dht(m, sub->additional_dhts[i], dflt)) != PSC_OK)
                return e;
        }
        if (sub->pubsub && (e = add_pubsub(m, sub->pubsub)) != PSC_OK)
            return e;
        if (sub->peerstore)
            PUT(m, PSC__FAM_PEERSTORE_PEERS, sub->peerstore->n_peers);
        if (sub->resource_manager && (e = add_rcmgr(m, sub->resource_manager)) != PSC_OK)
            return e;
        /* numbers only: a text or JSON value has no sample value */
        for (size_t i = 0; i < sub->n_custom; i++) {
            const Peerscope__CustomSection *cs = sub->custom[i];
            for (size_t j = 0; j < cs->n_values; j++) {
                const Peerscope__CustomSection__Value *v = cs->values[j];
                double num;
                if (v->value_case == PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_NUMBER)
                    num = v->number;
                else if (v->value_case == PEERSCOPE__CUSTOM_SECTION__VALUE__VALUE_INTEGER)
                    num = (double)v->integer;
                else
                    continue;
                psc__lb_add(m, "section", cs->name ? cs->name : "");
                psc__lb_add(m, "name", v->name ? v->name : "");
                PUT(m, PSC__FAM_CUSTOM, num);
            }
        }
    }
    if (st->traffic) {
        psc__lb_add(m, "direction", "in");
        PUT(m, PSC__FAM_TRAFFIC_BYTES, gauge_bytes(st->traffic->traffic_in));
        psc__lb_add(m, "direction", "out");
        PUT(m, PSC__FAM_TRAFFIC_BYTES, gauge_bytes(st->traffic->traffic_out));
        psc__lb_add(m, "direction", "in");
        PUT(m, PSC__FAM_TRAFFIC_RATE, st->traffic->traffic_in ? st->traffic->traffic_in->inst_bw : 0);
        psc__lb_add(m, "direction", "out");
        PUT(m, PSC__FAM_TRAFFIC_RATE, st->traffic->traffic_out ? st->traffic->traffic_out->inst_bw : 0);
    }
    for (size_t i = 0; i < st->n_provider_errors; i++) {
        psc__lb_add(m, "subsystem", nonempty(st->provider_errors[i]->subsystem, "unknown"));
        PUT(m, PSC__FAM_PROVIDER_ERRORS, 1);
    }
    for (size_t i = 0; i < st->n_alerts; i++) {
        const Peerscope__Alert *a = st->alerts[i];
        psc__lb_add(m, "rule", a->rule ? a->rule : "");
        psc__lb_add(m, "severity", severity_name(a->severity));
        PUT(m, PSC__FAM_ALERTS, 1);
    }
    for (size_t i = 0; i < st->n_milestones; i++) {
        const Peerscope__Milestone *ms = st->milestones[i];
        psc__lb_add(m, "name", ms->name ? ms->name : "");
        PUT(m, PSC__FAM_MILESTONE, (double)ms->duration_ms / 1000.0);
    }
    PUT(m, PSC__FAM_SNAPSHOTS, st->seq);
    PUT(m, PSC__FAM_SNAPSHOT_TIME, (double)st->instant_ts / 1000.0);
    return PSC_OK;
}

#include <stdio.h>
#include <string.h>

#include "alerts.h"

#define ROUND_MS 2000u
#define MESH_CYCLE_MS 40000u
#define LEAK_CYCLE_MS 45000u
#define LEAK_PROTOCOL "/demo/leak/1.0.0"
#define SHRINKING_TOPIC "demo/shrinking"

static const psc_prop_def vote_props[] = {
    {"validator", PSC_PROP_STRING, false},
    {"round", PSC_PROP_NUMBER, false},
};
static const psc_event_def vote_def = {"Vote", vote_props, 2};

/* Validator v misses rounds 0-3 of every 10 when it is its turn (one validator at a time). */
static bool misses(uint32_t validators, uint32_t v, uint64_t round)
{
    return v == (round / 10) % validators && round % 10 < 4;
}

/* The analyzer's custom-rule example (see peerscope/analyze.h), running here: a peer whose latency is over 250 ms. */
static psc_err slow_peers(void *user, psc_rule_ctx *ctx)
{
    const psc_msg *st = psc_rule_ctx_state(ctx);
    for (size_t i = 0; i < psc_state_connection_count(st); i++) {
        psc_connection c = PSC_CONNECTION_INIT;
        if (psc_state_connection(st, i, &c) == PSC_OK && c.peer_id && c.status == PSC_STATUS_ACTIVE)
            psc_rule_ctx_observe(ctx, c.peer_id, "peer", (double)c.latency_ns / 1e6, NULL);
    }
    return PSC_OK;
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    demo_alerts *d = user;
    pthread_mutex_lock(&d->lock);
    size_t mesh = d->mesh;
    pthread_mutex_unlock(&d->lock);
    psc_topic t = PSC_TOPIC_INIT;
    t.name = SHRINKING_TOPIC;
    t.subscribed = true;
    t.peer_count = 8;
    psc_topic_builder *tb;
    psc_err e = psc_pubsub_add_topic(b, &t, &tb);
    for (size_t i = 0; i < mesh && e == PSC_OK; i++) {
        char id[48];
        snprintf(id, sizeof id, "shrinking-mesh-%zu", i);
        psc_mesh_peer p = PSC_MESH_PEER_INIT;
        p.peer_id = id;
        p.score = 1;
        e = psc_topic_add_mesh_peer(tb, &p);
    }
    return e;
}

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    demo_alerts *d = user;
    pthread_mutex_lock(&d->lock);
    size_t leaked = d->leaked;
    pthread_mutex_unlock(&d->lock);
    psc_connection c = PSC_CONNECTION_INIT;
    c.id = (const uint8_t *)"demo-leak";
    c.id_len = 9;
    c.peer_id = d->leak_peer;
    c.open_ts = d->start_ms;
    c.transport_name = "tcp";
    psc_conn_builder *cb;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    for (size_t i = 0; i < leaked && e == PSC_OK; i++) {
        char id[32];
        snprintf(id, sizeof id, "leak-%zu", i);
        psc_stream s = PSC_STREAM_INIT;
        s.id = (const uint8_t *)id;
        s.id_len = strlen(id);
        s.protocol = LEAK_PROTOCOL;
        s.open_ts = d->start_ms + i * ROUND_MS;
        e = psc_conn_add_stream(cb, &s);
    }
    return e;
}

static psc_err add(demo_alerts *d, const psc_rule *r, char *err, size_t errlen)
{
    psc_err e = psc_analyzer_add_rule(d->an, r);
    if (e != PSC_OK)
        snprintf(err, errlen, "cannot add the rule %s: %s", r->name, psc_strerror(e));
    return e;
}

static psc_err add_rules(demo_alerts *d, const demo_options *o, char *err, size_t errlen)
{
    psc_err e = PSC_OK;
    psc_rule r = PSC_RULE_INIT;
    if (o->n_expect_peers) {
        if ((e = psc_analyzer_set_expected(d->an, "expected", o->expect_peers, o->n_expect_peers)) != PSC_OK)
            return e;
        r.name = "demo-expected-peers";
        r.kind = PSC_RULE_EXPECTED_PEERS;
        r.set = "expected";
        r.severity = PSC_SEVERITY_CRITICAL;
        r.for_ms = 5000;
        if ((e = add(d, &r, err, errlen)) != PSC_OK)
            return e;
    }
    if (o->validators) {
        const char *ids[DEMO_MAX_VALIDATORS];
        char names[DEMO_MAX_VALIDATORS][16];
        for (uint32_t i = 0; i < o->validators; i++) {
            snprintf(names[i], sizeof names[i], "val-%u", i);
            ids[i] = names[i];
        }
        if ((e = psc_analyzer_set_expected(d->an, "validators", ids, o->validators)) != PSC_OK)
            return e;
        r = (psc_rule)PSC_RULE_INIT;
        r.name = "demo-missing-votes";
        r.kind = PSC_RULE_EXPECTED_EVENTS;
        r.set = "validators";
        r.event_type = "Vote";
        r.property = "validator";
        r.window_ms = 5000;
        r.severity = PSC_SEVERITY_WARNING;
        if ((e = add(d, &r, err, errlen)) != PSC_OK)
            return e;
    }
    if (o->shrink_mesh) {
        r = (psc_rule)PSC_RULE_INIT;
        r.name = "demo-mesh-low";
        r.kind = PSC_RULE_MESH_LOW;
        r.threshold = 4;
        r.for_ms = 2000;
        r.subject = SHRINKING_TOPIC;
        if ((e = add(d, &r, err, errlen)) != PSC_OK)
            return e;
    }
    if (o->leak_protocol) {
        r = (psc_rule)PSC_RULE_INIT;
        r.name = "demo-stream-leak";
        r.kind = PSC_RULE_STREAM_GROWTH;
        r.threshold = 5;
        r.subject = LEAK_PROTOCOL;
        if ((e = add(d, &r, err, errlen)) != PSC_OK)
            return e;
    }
    if (o->n_expect_peers || o->validators || o->shrink_mesh || o->leak_protocol || o->rules) {
        r = (psc_rule)PSC_RULE_INIT;
        r.name = "demo-slow-peer";
        r.kind = PSC_RULE_CUSTOM;
        r.threshold = 250;
        r.for_ms = 10000;
        r.custom = slow_peers;
        if ((e = add(d, &r, err, errlen)) != PSC_OK)
            return e;
    }
    if (o->rules) {
        char why[400];
        if ((e = psc_analyzer_load_rules(d->an, o->rules, why, sizeof why)) != PSC_OK) {
            snprintf(err, errlen, "--rules: %s", why);
            return e;
        }
    }
    return PSC_OK;
}

psc_err demo_alerts_start(demo_alerts *d, psc_introspector *intro, const demo_options *o, const char *leak_peer,
                          char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->intro = intro;
    d->validators = o->validators;
    d->shrink = o->shrink_mesh;
    d->leak = o->leak_protocol;
    snprintf(d->leak_peer, sizeof d->leak_peer, "%s", leak_peer);
    d->start_ms = psc_introspector_now_ms(intro);
    d->mesh = 6;
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        return PSC_ERR_NOMEM;
    }
    d->ready = true;
    psc_analyzer_config cfg = PSC_ANALYZER_CONFIG_INIT;
    cfg.interval_ms = 1000;
    psc_err e = psc_analyzer_new(intro, &cfg, &d->an);
    if (e != PSC_OK) {
        snprintf(err, errlen, "cannot create the analyzer: %s", psc_strerror(e));
        demo_alerts_stop(d);
        return e;
    }
    if (d->validators && (e = psc_event_declare(intro, &vote_def, &d->vote)) != PSC_OK)
        snprintf(err, errlen, "cannot declare Vote: %s", psc_strerror(e));
    psc_pubsub_provider pp = {sizeof pp, "demo-shrinking-mesh", pubsub_collect, NULL};
    if (e == PSC_OK && d->shrink && (e = psc_register_pubsub(intro, &pp, d, &d->pubsub)) != PSC_OK)
        snprintf(err, errlen, "cannot register the shrinking mesh: %s", psc_strerror(e));
    psc_swarm_provider sp = {sizeof sp, "demo-leak", swarm_collect, NULL};
    if (e == PSC_OK && d->leak && (e = psc_register_swarm(intro, &sp, d, &d->swarm)) != PSC_OK)
        snprintf(err, errlen, "cannot register the leaking protocol: %s", psc_strerror(e));
    if (e == PSC_OK)
        e = add_rules(d, o, err, errlen);
    if (e != PSC_OK)
        demo_alerts_stop(d);
    return e;
}

void demo_alerts_tick(demo_alerts *d, uint64_t now_ms)
{
    if (!d->ready)
        return;
    uint64_t t = now_ms > d->start_ms ? now_ms - d->start_ms : 0;
    uint64_t rounds = t / ROUND_MS + 1;
    for (; d->vote && d->last_round < rounds; d->last_round++)
        for (uint32_t v = 0; v < d->validators; v++) {
            if (misses(d->validators, v, d->last_round))
                continue;
            char name[16];
            snprintf(name, sizeof name, "val-%u", v);
            psc_emit(d->intro, d->vote, (psc_value[]){PSC_V_STR(name), PSC_V_NUM(d->last_round)}, 2);
        }
    uint64_t mesh_phase = t % MESH_CYCLE_MS, leak_phase = t % LEAK_CYCLE_MS;
    pthread_mutex_lock(&d->lock);
    /* 10 s to 25 s of each cycle: two peers left in the mesh */
    d->mesh = mesh_phase >= 10000 && mesh_phase < 25000 ? 2 : 6;
    /* a stream more every round for 30 s, then all closed but one */
    d->leaked = leak_phase < 30000 ? 1 + leak_phase / ROUND_MS : 1;
    pthread_mutex_unlock(&d->lock);
}

void demo_alerts_stop(demo_alerts *d)
{
    if (!d->ready)
        return;
    if (d->pubsub)
        psc_provider_unregister(d->pubsub);
    if (d->swarm)
        psc_provider_unregister(d->swarm);
    d->pubsub = d->swarm = NULL;
    psc_analyzer_free(d->an);
    d->an = NULL;
    pthread_mutex_destroy(&d->lock);
    d->ready = false;
}

/*
 * Every rule kind driven through firing and resolving with the fake
 * clock: the AlertFiring / AlertResolved events, State.alerts and the C
 * list agree at each step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "world.h"
#include "events/events.h"

static int setup(void **state)
{
    static world w;
    w_init(&w);
    *state = &w;
    return 0;
}

static int teardown(void **state)
{
    w_free(*state);
    return 0;
}

/* One evaluation per second: n snapshots, returning the alerts of the last. */
static size_t run(world *w, int n)
{
    size_t a = 0;
    for (int i = 0; i < n; i++) {
        w_advance(w, 1000);
        a = w_snap(w);
    }
    return a;
}

static void expect_fired(world *w, unsigned firing, unsigned resolved, const char *subject)
{
    assert_int_equal(w->firing, firing);
    assert_int_equal(w->resolved, resolved);
    if (subject)
        assert_string_equal(w->last_subject, subject);
}

static void t_expected_peers(void **state)
{
    world *w = *state;
    const char *ids[] = {"12D3KooWAlice", "12D3KooWBob"};
    assert_int_equal(psc_analyzer_set_expected(w->an, "validators", ids, 2), PSC_OK);
    w_rules(w, "rules:\n"
               "  - name: validators-connected\n"
               "    kind: expected_peers\n"
               "    set: validators\n"
               "    severity: critical\n"
               "    for: 3s\n");
    w_connect(w, "12D3KooWAlice");
    assert_int_equal(run(w, 2), 0); /* Bob missing, not long enough yet */
    expect_fired(w, 0, 0, NULL);
    assert_int_equal(run(w, 2), 1);
    expect_fired(w, 1, 0, "12D3KooWBob");
    w_connect(w, "12D3KooWBob");
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "12D3KooWBob");
}

/* The missing-vote rule: Vote events whose validator names the subject, every 5 s. */
static void t_expected_events(void **state)
{
    world *w = *state;
    const psc_prop_def props[] = {{"validator", PSC_PROP_STRING, false}, {"round", PSC_PROP_NUMBER, false}};
    psc_event_def def = {"Vote", props, 2};
    const psc_event_type *vote;
    assert_int_equal(psc_event_declare(w->intro, &def, &vote), PSC_OK);
    const char *ids[] = {"val-a", "val-b"};
    assert_int_equal(psc_analyzer_set_expected(w->an, "vals", ids, 2), PSC_OK);
    w_rules(w, "rules:\n  - {name: missing-vote, kind: expected_events, set: vals, event: Vote, property: validator,"
               " window: 5s}\n");
    for (int round = 0; round < 12; round++) {
        w_advance(w, 1000);
        psc_emit(w->intro, vote, (psc_value[]){PSC_V_STR("val-a"), PSC_V_NUM(round)}, 2);
        if (round < 3 || round > 8)
            psc_emit(w->intro, vote, (psc_value[]){PSC_V_STR("val-b"), PSC_V_NUM(round)}, 2);
        w_snap(w);
        if (round == 8)
            expect_fired(w, 1, 0, "val-b"); /* last vote at round 2: 6 s ago */
    }
    expect_fired(w, 1, 1, "val-b");
}

static void t_peers_low_hysteresis(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: few, kind: peers_low, threshold: 3, hysteresis: 1}\n");
    w_connect(w, "p1");
    w_connect(w, "p2");
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "peers");
    w_connect(w, "p3"); /* 3 is not below 3, but within the hysteresis */
    assert_int_equal(run(w, 3), 1);
    w_connect(w, "p4");
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "peers");
}

static void t_peers_high_resolve_for(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: many, kind: peers_high, threshold: 2, resolve_for: 2s}\n");
    w_connect(w, "p1");
    w_connect(w, "p2");
    w_connect(w, "p3");
    assert_int_equal(run(w, 1), 1);
    w_disconnect(w, "p3");
    assert_int_equal(run(w, 1), 1); /* clear for 0 s */
    assert_int_equal(run(w, 1), 1); /* 1 s */
    assert_int_equal(run(w, 1), 0); /* 2 s */
    expect_fired(w, 1, 1, "peers");
}

static void t_churn(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: churn, kind: connection_churn, threshold: 100, window: 10s}\n");
    char id[32];
    for (int i = 0; i < 20; i++) { /* 2 new connections a second: 120 a minute */
        snprintf(id, sizeof id, "p%d", i);
        w_advance(w, 500);
        w_connect(w, id);
        if (i % 2)
            w_snap(w);
    }
    assert_int_equal(w->firing, 1);
    assert_int_equal(run(w, 11), 0); /* a quiet window */
    expect_fired(w, 1, 1, "connections");
}

static void t_dial_failures(void **state)
{
    world *w = *state;
    w->has_dialer = true;
    w->dialer = (psc_dialer)PSC_DIALER_INIT;
    w_rules(w, "rules:\n  - {name: dials, kind: dial_failures, threshold: 0.5, window: 5s}\n");
    assert_int_equal(run(w, 1), 0);
    for (int i = 0; i < 3; i++) {
        w->dialer.error += 3;
        w->dialer.success += 1;
        run(w, 1);
    }
    expect_fired(w, 1, 0, "dialer");
    for (int i = 0; i < 8; i++) {
        w->dialer.success += 5;
        run(w, 1);
    }
    expect_fired(w, 1, 1, "dialer");
}

static void t_stream_growth(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: leak, kind: stream_growth, threshold: 3}\n");
    size_t c = w_connect(w, "p1");
    w_add_stream(w, c, "/ok/1", 10);
    for (int i = 0; i < 4; i++) {
        w_add_stream(w, c, "/leak/1", 10);
        run(w, 1);
    }
    expect_fired(w, 1, 0, "/leak/1");
    w_close_streams(w, "/leak/1");
    run(w, 1);
    expect_fired(w, 1, 1, "/leak/1");
}

static void t_stream_idle(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: idle, kind: stream_idle, window: 3s}\n");
    size_t c = w_connect(w, "p1");
    w_add_stream(w, c, "/idle/1", 0);
    w_add_stream(w, c, "/busy/1", 100);
    assert_int_equal(run(w, 2), 0);
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "/idle/1");
    w->conns[c].streams[0].bytes = 5;
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "/idle/1");
}

static void t_dht_buckets(void **state)
{
    world *w = *state;
    w->has_dht = true;
    for (int i = 0; i < 8; i++)
        w->buckets[i] = 4;
    w->buckets[1] = 1;
    w_rules(w, "rules:\n  - {name: buckets, kind: dht_buckets_low, threshold: 2, max_cpl: 3}\n");
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "1");
    w->buckets[1] = 3;
    w->buckets[6] = 0; /* above max_cpl: not watched */
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "1");
}

static void t_dht_queries(void **state)
{
    world *w = *state;
    w->has_dht = true;
    w_rules(w, "rules:\n  - {name: queries, kind: dht_query_failures, threshold: 0.3, window: 3s}\n");
    run(w, 1);
    w->queries.timeout += 5;
    w->queries.success += 5;
    run(w, 1);
    expect_fired(w, 1, 0, "queries");
    for (int i = 0; i < 5; i++) {
        w->queries.success += 10;
        run(w, 1);
    }
    expect_fired(w, 1, 1, "queries");
}

static void t_mesh(void **state)
{
    world *w = *state;
    w->topics[0] = (w_topic){"blocks", true, 6, 1};
    w->topics[1] = (w_topic){"txs", true, 6, 1};
    w->topics[2] = (w_topic){"other", false, 0, 1}; /* not subscribed: not watched */
    w->n_topics = 3;
    w_rules(w, "rules:\n"
               "  - {name: mesh-low, kind: mesh_low, threshold: 4, for: 2s}\n"
               "  - {name: mesh-high, kind: mesh_high, threshold: 12, subject: 'tx*'}\n");
    assert_int_equal(run(w, 2), 0);
    w->topics[0].mesh = 2;
    assert_int_equal(run(w, 2), 0); /* holding for 1 s */
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "blocks");
    w->topics[0].mesh = 5;
    w->topics[1].mesh = 13;
    w->topics[0].mesh = 20; /* over D_high, but the filter watches txs only */
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 2, 1, "txs");
}

static void t_negative_score(void **state)
{
    world *w = *state;
    w->topics[0] = (w_topic){"blocks", true, 2, -3};
    w->n_topics = 1;
    w_rules(w, "rules:\n  - {name: scores, kind: negative_score}\n");
    assert_int_equal(run(w, 1), 2); /* mesh-0 and mesh-1 */
    w->topics[0].score = 0.5;
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 2, 2, NULL);
}

static void t_resource_usage(void **state)
{
    world *w = *state;
    w->has_scope = true;
    w->limit.memory = 1000;
    w->limit.fds = 100;
    w->usage.memory = 100;
    w->usage.fds = 95;
    w_rules(w, "rules:\n  - {name: rcmgr, kind: resource_usage, threshold: 90}\n");
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "system");
    w->usage.fds = 10;
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "system");
}

static void t_provider_errors(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: providers, kind: provider_errors, threshold: 3}\n");
    w->fail_provider = true;
    assert_int_equal(run(w, 2), 0);
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "flaky");
    w->fail_provider = false;
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "flaky");
}

static void t_events_dropped(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: dropped, kind: events_dropped, window: 2s}\n");
    const psc_event_type *t;
    psc_event_def def = {"Noise", NULL, 0};
    assert_int_equal(psc_event_declare(w->intro, &def, &t), PSC_OK);
    run(w, 1);
    /* more than the ring holds (4096) between two evaluations */
    for (int i = 0; i < 5000; i++)
        psc_emit(w->intro, t, NULL, 0);
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "events");
    assert_int_equal(run(w, 3), 0);
    expect_fired(w, 1, 1, "events");
    /* what sessions lose counts too (a session's reader reports it: tests/session) */
    psc__event_reader_note_lost(w->reader, 7);
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 2, 1, "events");
    assert_int_equal(run(w, 3), 0);
    expect_fired(w, 2, 2, "events");
}

/* ------------------------------------------------------------ custom */

static psc_err slow_peers(void *user, psc_rule_ctx *ctx)
{
    int *calls = user;
    (*calls)++;
    const psc_msg *st = psc_rule_ctx_state(ctx);
    for (size_t i = 0; i < psc_state_connection_count(st); i++) {
        psc_connection c = PSC_CONNECTION_INIT;
        if (psc_state_connection(st, i, &c) == PSC_OK && c.peer_id)
            psc_rule_ctx_observe(ctx, c.peer_id, "peer", strcmp(c.peer_id, "slow") == 0 ? 300 : 10, NULL);
    }
    /* the events since the previous evaluation are there too */
    for (size_t i = 0; i < psc_rule_ctx_event_count(ctx); i++) {
        const char *type;
        assert_int_equal(psc_rule_ctx_event(ctx, i, &type, NULL, NULL), PSC_OK);
        if (strcmp(type, "Alarm") == 0)
            psc_rule_ctx_observe(ctx, "alarm", NULL, 1000, "the host pulled the alarm");
    }
    assert_int_equal(psc_rule_ctx_event(ctx, psc_rule_ctx_event_count(ctx), NULL, NULL, NULL), PSC_ERR_NOT_FOUND);
    return PSC_OK;
}

static void t_custom(void **state)
{
    world *w = *state;
    int calls = 0;
    psc_rule r = PSC_RULE_INIT;
    r.name = "slow-peer";
    r.kind = PSC_RULE_CUSTOM;
    r.threshold = 250;
    r.custom = slow_peers;
    r.custom_user = &calls;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_OK);
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_EXISTS);
    w_connect(w, "fast");
    w_connect(w, "slow");
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "slow");
    psc_event_def def = {"Alarm", NULL, 0};
    const psc_event_type *t;
    assert_int_equal(psc_event_declare(w->intro, &def, &t), PSC_OK);
    psc_emit(w->intro, t, NULL, 0);
    assert_int_equal(run(w, 1), 2);
    assert_string_equal(w->last_subject, "alarm");
    assert_int_equal(run(w, 1), 1); /* no alarm this time */
    assert_int_equal(calls, 3);
    /* removing the rule resolves its alerts */
    assert_int_equal(psc_analyzer_remove_rule(w->an, "slow-peer"), PSC_OK);
    assert_int_equal(psc_analyzer_remove_rule(w->an, "slow-peer"), PSC_ERR_NOT_FOUND);
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 2, 2, NULL);
    assert_int_equal(calls, 3);
}

/* An expected set from a host provider that changes it (a validator indexer). */
static psc_err indexer(void *user, const char *set, psc_expected_sink *sink)
{
    int *epoch = user;
    psc_expected_add(sink, "v1");
    if (*epoch == 0)
        psc_expected_add(sink, "v2");
    return PSC_OK;
}

static void t_expected_provider(void **state)
{
    world *w = *state;
    int epoch = 0;
    assert_int_equal(psc_analyzer_set_expected_provider(w->an, "active", indexer, &epoch), PSC_OK);
    w_rules(w, "rules:\n  - {name: active-set, kind: expected_peers, set: active}\n");
    w_connect(w, "v1");
    assert_int_equal(run(w, 1), 1);
    expect_fired(w, 1, 0, "v2");
    epoch = 1; /* v2 left the active set */
    assert_int_equal(run(w, 1), 0);
    expect_fired(w, 1, 1, "v2");
}

/* The C list carries the alert's fields. */
static void on_alert(void *user, const psc_alert *a)
{
    psc_alert *out = user;
    *out = *a;
    out->rule = out->subject = out->kind = out->subject_kind = out->message = NULL;
    assert_string_equal(a->rule, "few");
    assert_string_equal(a->kind, "peers_low");
    assert_string_equal(a->subject_kind, "node");
    assert_non_null(strstr(a->message, "connected peers 0 < 2"));
}

static void t_alert_list(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: few, kind: peers_low, threshold: 2, severity: warning, for: 1s}\n");
    run(w, 1);
    uint64_t since = w->clock.wall_ms;
    run(w, 1);
    psc_alert a;
    assert_int_equal(psc_analyzer_alerts(w->an, on_alert, &a), 1);
    assert_int_equal(a.severity, PSC_SEVERITY_WARNING);
    assert_int_equal(a.since_ts, since);
    assert_int_equal(a.firing_ts, since + 1000);
    assert_true(a.value == 0 && a.threshold == 2);
}

static void t_add_rule_errors(void **state)
{
    world *w = *state;
    psc_rule r = PSC_RULE_INIT;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_INVALID); /* no name */
    r.name = "x";
    r.kind = PSC_RULE_EXPECTED_EVENTS;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_INVALID); /* no event */
    r.kind = PSC_RULE_CUSTOM;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_INVALID); /* no callback */
    r.kind = PSC_RULE_KIND_COUNT_;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_INVALID);
    r.kind = PSC_RULE_PEERS_LOW;
    r.hysteresis = -1;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_ERR_INVALID);
    r.hysteresis = 0;
    assert_int_equal(psc_analyzer_add_rule(w->an, &r), PSC_OK);
    psc_analyzer *second;
    assert_int_equal(psc_analyzer_new(w->intro, NULL, &second), PSC_ERR_EXISTS);
}

/* A delta state carries the current alerts and milestones whole (they sit in the state's tail). */
static void t_delta_carries_alerts(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n  - {name: few, kind: peers_low, threshold: 2}\n");
    w_connect(w, "p1");
    psc_msg *base, *cur, *delta;
    w_advance(w, 1000);
    assert_int_equal(psc_introspector_snapshot(w->intro, &base), PSC_OK);
    w_connect(w, "p2");
    w_connect(w, "p3");
    w_advance(w, 1000);
    assert_int_equal(psc_analyzer_milestone_reach(w->an, "ready", NULL), PSC_OK);
    assert_int_equal(psc_introspector_snapshot(w->intro, &cur), PSC_OK);
    assert_int_equal(psc_introspector_state_delta(w->intro, base, cur, &delta), PSC_OK);
    Peerscope__ServerMessage *b, *d;
    assert_int_equal(psc_msg_decode(base, &b), PSC_OK);
    assert_int_equal(psc_msg_decode(delta, &d), PSC_OK);
    assert_int_equal(b->state->n_alerts, 1);
    assert_non_null(d->state->delta);
    assert_int_equal(d->state->n_alerts, 0); /* resolved in cur */
    bool ready = false;
    for (size_t i = 0; i < d->state->n_milestones; i++)
        ready |= strcmp(d->state->milestones[i]->name, "ready") == 0;
    assert_true(ready);
    peerscope__server_message__free_unpacked(b, NULL);
    peerscope__server_message__free_unpacked(d, NULL);
    psc_msg_unref(base);
    psc_msg_unref(cur);
    psc_msg_unref(delta);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(t_expected_peers), T(t_expected_events), T(t_peers_low_hysteresis), T(t_peers_high_resolve_for),
        T(t_churn),          T(t_dial_failures),   T(t_stream_growth),        T(t_stream_idle),
        T(t_dht_buckets),    T(t_dht_queries),     T(t_mesh),                 T(t_negative_score),
        T(t_resource_usage), T(t_provider_errors), T(t_events_dropped),       T(t_custom),
        T(t_expected_provider), T(t_alert_list),   T(t_add_rule_errors),      T(t_delta_carries_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

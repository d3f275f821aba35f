/*
 * Alerts end to end: a host with an analyzer behind the real WebSocket
 * endpoint, a real C client that sees AlertFiring, then AlertResolved, in
 * the event stream and the alert in State.alerts while it fires, and the
 * milestones in State and Runtime.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../integration/client_util.h"
#include "../integration/test_host.h"

#define MISSING "12D3KooWNeverConnectsAnywhere"

typedef struct seen {
    size_t firing, resolved, states, states_with_alert, states_after_resolve, runtimes;
    bool alert_ok, runtime_has_first_listen;
    char firing_content[1024];
} seen;

static void on_event(void *user, psc_client *c, const Peerscope__Event *e)
{
    seen *s = user;
    if (!e->type || !e->type->name)
        return;
    if (strcmp(e->type->name, "AlertFiring") == 0) {
        s->firing++;
        snprintf(s->firing_content, sizeof s->firing_content, "%s", e->content ? e->content : "");
    } else if (strcmp(e->type->name, "AlertResolved") == 0) {
        s->resolved++;
    }
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    seen *s = user;
    s->states++;
    for (size_t i = 0; i < st->n_alerts; i++) {
        const Peerscope__Alert *a = st->alerts[i];
        if (strcmp(a->subject, MISSING) == 0) {
            s->states_with_alert++;
            s->alert_ok = strcmp(a->rule, "must-see") == 0 && strcmp(a->kind, "expected_peers") == 0 &&
                          a->severity == PEERSCOPE__ALERT__SEVERITY__CRITICAL &&
                          strcmp(a->subject_kind, "peer") == 0 && a->firing_ts >= a->since_ts && a->since_ts > 0;
        }
    }
    if (s->resolved && !st->n_alerts)
        s->states_after_resolve++;
}

static void on_runtime(void *user, psc_client *c, const Peerscope__Runtime *rt)
{
    seen *s = user;
    s->runtimes++;
    for (size_t i = 0; i < rt->n_milestones; i++)
        if (strcmp(rt->milestones[i]->name, "custom_ready") == 0)
            s->runtime_has_first_listen = true;
}

typedef struct cond_arg {
    const size_t *counter;
    size_t n;
} cond_arg;

static bool at_least(void *arg)
{
    cond_arg *a = arg;
    return *a->counter >= a->n;
}

static void t_alert_through_websocket(void **state)
{
    test_host_opts o = {.n_conns = 2};
    test_host *h = host_fixture(state, &o);
    psc_analyzer *an;
    assert_int_equal(psc_analyzer_new(h->intro, NULL, &an), PSC_OK);
    const char *ids[] = {MISSING};
    assert_int_equal(psc_analyzer_set_expected(an, NULL, ids, 1), PSC_OK);
    psc_rule r = PSC_RULE_INIT;
    r.name = "must-see";
    r.kind = PSC_RULE_EXPECTED_PEERS;
    r.severity = PSC_SEVERITY_CRITICAL;
    assert_int_equal(psc_analyzer_add_rule(an, &r), PSC_OK);
    assert_int_equal(psc_analyzer_milestone_reach(an, "custom_ready", NULL), PSC_OK);

    psc_client_loop *loop;
    psc_client_loop_config lc = {.struct_size = sizeof lc};
    assert_int_equal(psc_client_loop_new(&lc, &loop), PSC_OK);
    seen s = {0};
    psc_client_callbacks cb = {.struct_size = sizeof cb, .on_event = on_event, .on_state = on_state,
                               .on_runtime = on_runtime};
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = h->url;
    cfg.loop = loop;
    cfg.callbacks = &cb;
    cfg.user = &s;
    psc_client *c;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings set = {120000, 50};
    assert_int_equal(psc_client_hello(c, &set, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, NULL), PSC_OK);

    /* the endpoint's snapshots evaluate the rule: it fires at once (for 0) */
    cond_arg fired = {&s.firing, 1}, in_state = {&s.states_with_alert, 1}, rt = {&s.runtimes, 1};
    assert_true(wait_loop(loop, at_least, &fired, 20000));
    assert_true(wait_loop(loop, at_least, &in_state, 20000));
    assert_true(wait_loop(loop, at_least, &rt, 20000));
    assert_true(s.alert_ok);
    assert_non_null(strstr(s.firing_content, "\"subject\":\"" MISSING "\""));
    assert_non_null(strstr(s.firing_content, "\"rule\":\"must-see\""));
    assert_true(s.runtime_has_first_listen);

    /* the peer leaves the expected set: resolved, and gone from the states */
    assert_int_equal(psc_analyzer_set_expected(an, NULL, NULL, 0), PSC_OK);
    cond_arg resolved = {&s.resolved, 1}, clean = {&s.states_after_resolve, 2};
    assert_true(wait_loop(loop, at_least, &resolved, 20000));
    assert_true(wait_loop(loop, at_least, &clean, 20000));
    assert_int_equal(s.firing, 1);
    assert_int_equal(psc_analyzer_alerts(an, NULL, NULL), 0);

    psc_client_free(c);
    psc_client_loop_free(loop);
    /* detaches (waiting for a snapshot in progress) while the endpoint still serves */
    psc_analyzer_free(an);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_alert_through_websocket, host_teardown),
    };
    return RUN_TESTS(tests);
}

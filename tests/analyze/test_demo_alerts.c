/*
 * peerscope-demo's analyzer flags, as a user runs them: the real program
 * with --expect-peer, --validators, --shrink-mesh and --leak-protocol,
 * watched by the C client, must send an AlertFiring for each rule (the
 * expected peer named in it) and AlertResolved for those whose scenario
 * recovers, list alerts in its states and milestones in its Runtime; a
 * bad --rules file stops it with the file's line and field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerscope/client.h>
#include <peerscope/peerscope.h>

#include "../demo/demo_proc.h"

/* a valid peer id that is not in the demo's network of seed 1 (it is seed 7's own) */
#define EXPECTED "12D3KooWB8gXKBapgPnbk2rFujwdZQYhF8w16D7DyEshntw7q4Y4"

static const char *const rules[] = {"demo-expected-peers", "demo-missing-votes", "demo-mesh-low",
                                    "demo-stream-leak"};
#define N_RULES (sizeof rules / sizeof rules[0])

typedef struct watch {
    size_t fired[N_RULES], resolved[N_RULES];
    bool expected_named;
    size_t states_with_alerts;
    bool milestone_first_peer;
    bool closed;
} watch;

static int rule_index(const char *content)
{
    char rule[64];
    if (psc_event_prop_text(content, "rule", rule, sizeof rule) != PSC_OK)
        return -1;
    for (size_t i = 0; i < N_RULES; i++)
        if (strcmp(rule, rules[i]) == 0)
            return (int)i;
    return -1;
}

static void on_event(void *user, psc_client *c, const Peerscope__Event *ev)
{
    watch *w = user;
    bool firing = strcmp(ev->type->name, "AlertFiring") == 0;
    if (!firing && strcmp(ev->type->name, "AlertResolved") != 0)
        return;
    int i = rule_index(ev->content);
    if (i < 0)
        return;
    if (firing)
        w->fired[i]++;
    else
        w->resolved[i]++;
    if (firing && i == 0 && strstr(ev->content, "\"subject\":\"" EXPECTED "\""))
        w->expected_named = true;
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    watch *w = user;
    if (st->n_alerts)
        w->states_with_alerts++;
    for (size_t i = 0; i < st->n_milestones; i++)
        if (strcmp(st->milestones[i]->name, "first_peer") == 0)
            w->milestone_first_peer = true;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    ((watch *)user)->closed = true;
}

static bool done(const watch *w)
{
    for (size_t i = 0; i < N_RULES; i++)
        if (!w->fired[i])
            return false;
    /* every scenario but the expected peer (which never connects) recovers within 30 s */
    for (size_t i = 1; i < N_RULES; i++)
        if (!w->resolved[i])
            return false;
    return w->states_with_alerts && w->milestone_first_peer;
}

static void t_demo_alerts(void **state)
{
    static demo_proc p;
    const char *args[] = {"--port", "0", "--duration", "90", "--quiet", "--expect-peer", EXPECTED,
                          "--validators", "3", "--shrink-mesh", "--leak-protocol", NULL};
    demo_proc_spawn(&p, args);
    if (!demo_proc_wait_for(&p, "stopping after", DEMO_PROC_TIMEOUT_MS))
        fail_msg("no banner; stderr: %s", p.err);
    char url[256];
    assert_true(demo_proc_banner(p.out, "websocket:", url, sizeof url));

    static watch w;
    memset(&w, 0, sizeof w);
    psc_client_callbacks cb = {.struct_size = sizeof cb, .on_event = on_event, .on_state = on_state,
                               .on_close = on_close};
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &cb;
    cfg.user = &w;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    psc_client_settings hello = {120000, 1000};
    assert_int_equal(psc_client_hello(c, &hello, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);

    /* a condition, polled: the scenarios' own cycles take about 30 s */
    unsigned long long deadline = demo_proc_now_ms() + 80000;
    while (!done(&w) && !w.closed && demo_proc_now_ms() < deadline) {
        assert_int_equal(psc_client_poll(c, 100), PSC_OK);
        demo_proc_pump(&p, 0);
    }
    for (size_t i = 0; i < N_RULES; i++)
        if (!w.fired[i] || (i > 0 && !w.resolved[i]))
            fail_msg("%s: fired %zu, resolved %zu; demo stderr: %s", rules[i], w.fired[i], w.resolved[i], p.err);
    assert_true(w.expected_named);
    assert_true(w.states_with_alerts > 0);
    assert_true(w.milestone_first_peer);
    psc_client_free(c);
    assert_int_equal(kill(p.pid, SIGTERM), 0);
    demo_proc_finish(&p);
    assert_int_equal(p.status, 0);
}

static void t_bad_rules_file(void **state)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/rules/bad-threshold.yaml", getenv("PSC_SOURCE_ROOT"));
    const char *args[] = {"--port", "0", "--duration", "5", "--quiet", "--rules", path, NULL};
    static demo_proc r;
    demo_proc_run(&r, args);
    assert_int_equal(r.status, 1);
    if (!strstr(r.err, "bad-threshold.yaml:4: rules[0].threshold: expected a number"))
        fail_msg("stderr: %s", r.err);
}

int main(void)
{
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_bad_rules_file), cmocka_unit_test(t_demo_alerts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

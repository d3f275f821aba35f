/*
 * The rules file: a good file adds its rules and sets; each kind of
 * mistake is refused with its line and field, and adds nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

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

static void refused(world *w, const char *yaml, psc_err code, const char *want)
{
    char err[512] = "";
    psc_err e = psc_analyzer_load_rules_string(w->an, yaml, strlen(yaml), "bad.yaml", err, sizeof err);
    if (e != code || !strstr(err, want))
        fail_msg("got %s \"%s\", wanted %s \"%s\"", psc_strerror(e), err, psc_strerror(code), want);
}

static void t_errors(void **state)
{
    world *w = *state;
    refused(w, "rules: [\n", PSC_ERR_INVALID, "bad.yaml:2: (syntax): ");
    refused(w, "- a\n- b\n", PSC_ERR_INVALID, "bad.yaml:1: (file): expected a mapping");
    refused(w, "", PSC_ERR_INVALID, "bad.yaml:1: (file): empty");
    refused(w, "rules: []\nalerts: 3\n", PSC_ERR_INVALID, "bad.yaml:2: alerts: unknown field");
    refused(w, "rules: {a: 1}\n", PSC_ERR_INVALID, "bad.yaml:1: rules: expected a list");
    refused(w, "rules:\n  - 3\n", PSC_ERR_INVALID, "bad.yaml:2: rules[0]: expected a mapping");
    refused(w, "rules:\n  - kind: peers_low\n", PSC_ERR_INVALID, "bad.yaml:2: rules[0]: name: missing");
    refused(w, "rules:\n  - name: a\n", PSC_ERR_INVALID, "bad.yaml:2: rules[0]: kind: missing");
    refused(w, "rules:\n  - name: a\n    kind: peer_low\n", PSC_ERR_INVALID,
            "bad.yaml:3: rules[0].kind: unknown kind \"peer_low\" (one of expected_peers, ");
    refused(w, "rules:\n  - name: a\n    kind: custom\n", PSC_ERR_INVALID, "rules[0].kind: custom rules are added from C");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    threshold: lots\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].threshold: expected a number, got \"lots\"");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    for: 10 years\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].for: expected a duration");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    resolve_for: -1s\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].resolve_for: expected a duration");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    severity: loud\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].severity: expected info, warning or critical, got \"loud\"");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    hysteresis: -2\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].hysteresis: must not be negative");
    refused(w, "rules:\n  - name: a\n    kind: dht_buckets_low\n    max_cpl: 300\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].max_cpl: expected a whole number up to 256");
    refused(w, "rules:\n  - name: a\n    kind: peers_low\n    thresold: 3\n", PSC_ERR_INVALID,
            "bad.yaml:4: rules[0].thresold: unknown field");
    refused(w, "rules:\n  - name: a\n    kind: expected_events\n    event: Vote\n", PSC_ERR_INVALID,
            "bad.yaml:3: rules[0].property: missing");
    refused(w, "rules:\n  - {name: a, kind: peers_low}\n  - {name: a, kind: peers_high}\n", PSC_ERR_INVALID,
            "bad.yaml:3: rules[1].name: \"a\" is used by rules[0] already");
    refused(w, "rules:\n  - name: \"\"\n    kind: peers_low\n", PSC_ERR_INVALID,
            "bad.yaml:2: rules[0].name: expected a non-empty string");
    refused(w, "expected: [a]\n", PSC_ERR_INVALID, "bad.yaml:1: expected: expected a mapping");
    refused(w, "expected:\n  vals: a\n", PSC_ERR_INVALID, "bad.yaml:2: expected.vals: expected a list of ids");
    refused(w, "expected:\n  vals:\n    - a\n    - [b]\n", PSC_ERR_INVALID,
            "bad.yaml:4: expected.vals[1]: expected a non-empty string");
    /* a name the analyzer has already */
    w_rules(w, "rules:\n  - {name: taken, kind: peers_low}\n");
    refused(w, "rules:\n  - {name: fresh, kind: peers_low}\n  - {name: taken, kind: peers_low}\n", PSC_ERR_EXISTS,
            "rules[1].name: \"taken\" is in use");
    /* nothing of the refused files was added: only "taken" fires */
    w_advance(w, 1000);
    assert_int_equal(w_snap(w), 1);
    assert_string_equal(w->last_rule, "taken");
    char err[64];
    assert_int_equal(psc_analyzer_load_rules(w->an, "/nonexistent/rules.yaml", err, sizeof err), PSC_ERR_IO);
    assert_non_null(strstr(err, "cannot open"));
    /* a small err buffer is truncated, not overrun */
    char tiny[8];
    const char *bad = "rules: 3\n";
    assert_int_equal(psc_analyzer_load_rules_string(w->an, bad, strlen(bad), "x", tiny, sizeof tiny),
                     PSC_ERR_INVALID);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

/* The demo's example rules file loads, with its sets (also what `peerscope-demo --rules` reads). */
static void t_example_file(void **state)
{
    world *w = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/demo/rules.yaml", getenv("PSC_SOURCE_ROOT"));
    char err[512] = "";
    psc_err e = psc_analyzer_load_rules(w->an, path, err, sizeof err);
    if (e != PSC_OK)
        fail_msg("%s: %s", psc_strerror(e), err);
    w_snap(w);
    w_advance(w, 10000);
    w_snap(w);
    /* with no peer at all, peers_low fires, and the expected validators are missing */
    assert_true(psc_analyzer_alerts(w->an, NULL, NULL) >= 2);
}

static void t_durations(void **state)
{
    world *w = *state;
    w_rules(w, "rules:\n"
               "  - {name: a, kind: peers_low, for: 1500ms}\n"
               "  - {name: b, kind: peers_low, for: 2s}\n"
               "  - {name: c, kind: peers_low, for: 0.5m}\n"
               "  - {name: d, kind: peers_low, for: 2500}\n");
    assert_int_equal(w_snap(w), 0); /* holding from now */
    w_advance(w, 1000);
    assert_int_equal(w_snap(w), 0);
    w_advance(w, 500);
    assert_int_equal(w_snap(w), 1); /* a: 1.5 s */
    w_advance(w, 500);
    assert_int_equal(w_snap(w), 2); /* b: 2 s */
    w_advance(w, 500);
    assert_int_equal(w_snap(w), 3); /* d: 2.5 s */
    w_advance(w, 27500);
    assert_int_equal(w_snap(w), 4); /* c: 30 s */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {T(t_errors), T(t_example_file), T(t_durations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Every allocation of the analyzer failing in turn: creation, rules from
 * C and from a file, expected sets (given, from a file, provided),
 * evaluations that fire and resolve, milestones, Runtime. Nothing leaks,
 * errors are reported, and a failure inside an evaluation costs at most
 * that evaluation's alerts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerscope.h"
#include "../support/test_support.h"
#include "../core/core_fixture.h"

typedef struct host {
    fake_clock clock;
    bool second_peer;
} host;

static psc_err collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    host *h = user;
    for (int i = 0; i < (h->second_peer ? 2 : 1); i++) {
        psc_connection c = PSC_CONNECTION_INIT;
        c.id = (const uint8_t *)(i ? "c2" : "c1");
        c.id_len = 2;
        c.peer_id = i ? "peer-b" : "peer-a";
        c.open_ts = h->clock.wall_ms;
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &c, &cb);
        for (int j = 0; j < 3 && e == PSC_OK; j++) {
            char id[8];
            snprintf(id, sizeof id, "s%d", j);
            psc_stream s = PSC_STREAM_INIT;
            s.id = (const uint8_t *)id;
            s.id_len = strlen(id);
            s.protocol = j ? "/a/1" : "/b/1";
            e = psc_conn_add_stream(cb, &s);
        }
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static psc_err provide(void *user, const char *set, psc_expected_sink *sink)
{
    psc_err e = psc_expected_add(sink, "peer-a");
    return e == PSC_OK ? psc_expected_add(sink, "peer-z") : e;
}

static psc_err custom(void *user, psc_rule_ctx *ctx)
{
    return psc_rule_ctx_observe(ctx, "x", "thing", (double)psc_state_connection_count(psc_rule_ctx_state(ctx)),
                                NULL);
}

static const char rules[] = "expected:\n  vals: [peer-a, peer-c]\n"
                            "rules:\n"
                            "  - {name: r1, kind: expected_peers, set: vals}\n"
                            "  - {name: r2, kind: peers_low, threshold: 2}\n"
                            "  - {name: r3, kind: stream_growth, threshold: 1}\n"
                            "  - {name: r4, kind: expected_events, set: vals, event: Vote, property: v, window: 1s}\n"
                            "  - {name: r5, kind: expected_peers, set: live}\n";

static psc_err snap(psc_introspector *intro)
{
    psc_msg *m;
    psc_err e = psc_introspector_snapshot(intro, &m);
    if (e == PSC_OK)
        psc_msg_unref(m);
    return e;
}

static psc_err body(void *arg, psc_test_alloc *alloc)
{
    const char *expected_file = arg;
    host h = {{1700000000000ull, 1}, false};
    psc_clock clk = fake_clock_iface(&h.clock);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.allocator = &alloc->iface;
    psc_introspector *intro;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e != PSC_OK)
        return e;
    psc_analyzer *an = NULL;
    psc_swarm_provider sp = {sizeof sp, "swarm", collect, NULL};
    char err[256];
    if ((e = psc_register_swarm(intro, &sp, &h, NULL)) != PSC_OK || (e = psc_analyzer_new(intro, NULL, &an)) != PSC_OK)
        goto out;
    if ((e = psc_analyzer_load_rules_string(an, rules, strlen(rules), "t", err, sizeof err)) != PSC_OK)
        goto out;
    if ((e = psc_analyzer_load_expected(an, "file", expected_file)) != PSC_OK ||
        (e = psc_analyzer_set_expected_provider(an, "live", provide, NULL)) != PSC_OK)
        goto out;
    psc_rule r = PSC_RULE_INIT;
    r.name = "r6";
    r.kind = PSC_RULE_CUSTOM;
    r.custom = custom;
    if ((e = psc_analyzer_add_rule(an, &r)) != PSC_OK)
        goto out;
    r = (psc_rule)PSC_RULE_INIT;
    r.name = "r7";
    r.kind = PSC_RULE_EXPECTED_PEERS;
    r.set = "file";
    if ((e = psc_analyzer_add_rule(an, &r)) != PSC_OK || (e = psc_analyzer_milestone_reach(an, "boot", NULL)) != PSC_OK)
        goto out;
    for (int i = 0; i < 4 && e == PSC_OK; i++) {
        h.clock.wall_ms += 1500;
        h.second_peer = i >= 2;
        e = snap(intro);
    }
    if (e != PSC_OK)
        goto out;
    /* what the evaluations should have left; less means one of them lost to a failure */
    /* r1 peer-c, r3 /a/1 and /b/1 (grew when peer-b came), r4 peer-a and peer-c, r5 peer-z, r6 x, r7 peer-q */
    size_t want = 8;
    size_t got = psc_analyzer_alerts(an, NULL, NULL);
    uint64_t dur;
    if (psc_analyzer_milestone(an, "first_peer", NULL, &dur) != PSC_OK ||
        psc_analyzer_milestone(an, "boot", NULL, NULL) != PSC_OK)
        got = 0;
    psc_msg *rt;
    if ((e = psc_introspector_runtime(intro, &rt)) != PSC_OK)
        goto out;
    psc_msg_unref(rt);
    if ((e = psc_analyzer_remove_rule(an, "r1")) != PSC_OK || (e = snap(intro)) != PSC_OK)
        goto out;
    if (got != want && alloc->failures == 0)
        fail_msg("%zu alerts without any failure, want %zu", got, want);
    if (got != want)
        e = PSC_ERR_NOMEM; /* an evaluation absorbed the failure */
out:
    psc_analyzer_free(an);
    psc_introspector_free(intro);
    return e;
}

static void t_each_alloc_fails(void **state)
{
    char path[] = "expected-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# one per line\npeer-q\n\n  peer-a  \n", f);
    fclose(f);
    uint64_t runs = psc_test_each_alloc_fails(body, path, 5000);
    assert_true(runs > 20);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_each_alloc_fails)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

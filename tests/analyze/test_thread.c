/*
 * The analyzer's own thread makes snapshots when nobody watches, while
 * host threads change rules, sets and milestones and read alerts (run
 * under ThreadSanitizer in CI). Waits poll a condition with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "peerscope/peerscope.h"

static void pause_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll until the analyzer lists at least n alerts, for at most 20 s. */
static bool wait_alerts(psc_analyzer *an, size_t n)
{
    for (int i = 0; i < 4000; i++) {
        if (psc_analyzer_alerts(an, NULL, NULL) >= n)
            return true;
        pause_ms(5);
    }
    return false;
}

typedef struct churn {
    psc_analyzer *an;
    int id;
} churn;

static void *host_thread(void *arg)
{
    churn *c = arg;
    for (int i = 0; i < 200; i++) {
        char name[32], peer[32];
        snprintf(name, sizeof name, "t%d-r%d", c->id, i);
        snprintf(peer, sizeof peer, "peer-%d-%d", c->id, i);
        psc_rule r = PSC_RULE_INIT;
        r.name = name;
        r.kind = PSC_RULE_PEERS_HIGH;
        assert_int_equal(psc_analyzer_add_rule(c->an, &r), PSC_OK);
        const char *ids[] = {peer};
        assert_int_equal(psc_analyzer_set_expected(c->an, name, ids, 1), PSC_OK);
        snprintf(name, sizeof name, "m%d-%d", c->id, i);
        assert_int_equal(psc_analyzer_milestone_reach(c->an, name, NULL), PSC_OK);
        psc_analyzer_alerts(c->an, NULL, NULL);
        snprintf(name, sizeof name, "t%d-r%d", c->id, i);
        assert_int_equal(psc_analyzer_remove_rule(c->an, name), PSC_OK);
    }
    return NULL;
}

static void t_thread(void **state)
{
    psc_introspector *intro;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_analyzer_config cfg = PSC_ANALYZER_CONFIG_INIT;
    cfg.interval_ms = 2;
    psc_analyzer *an;
    assert_int_equal(psc_analyzer_new(intro, &cfg, &an), PSC_OK);
    psc_rule r = PSC_RULE_INIT;
    r.name = "alone";
    r.kind = PSC_RULE_PEERS_LOW; /* no provider: no peer */
    assert_int_equal(psc_analyzer_add_rule(an, &r), PSC_OK);
    assert_true(wait_alerts(an, 1));

    pthread_t t[2];
    churn c[2] = {{an, 0}, {an, 1}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, host_thread, &c[i]), 0);
    /* snapshots from this thread too, against the analyzer's */
    for (int i = 0; i < 50; i++)
        assert_int_equal(psc_analyzer_evaluate(an), PSC_OK);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(psc_analyzer_alerts(an, NULL, NULL) >= 1, true);
    psc_analyzer_free(an);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_thread)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

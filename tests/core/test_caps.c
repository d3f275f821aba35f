/*
 * A provider that reports absurd data: more entities than a collect may
 * add, a string of a megabyte, text that is not UTF-8, a duplicate id.
 * Each gets a clear error, and the State stays valid (the fixture decodes
 * every snapshot with protobuf-c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_fixture.h"

typedef struct flood {
    size_t n;          /* values to try */
    size_t refused;    /* builder calls that said TOO_BIG */
    psc_err first_other;
} flood;

static psc_err flood_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    flood *f = user;
    f->refused = 0;
    for (size_t i = 0; i < f->n; i++) {
        char name[32];
        snprintf(name, sizeof name, "v%zu", i);
        psc_err e = psc_custom_add_integer(b, name, (int64_t)i);
        if (e == PSC_ERR_TOO_BIG)
            f->refused++;
        else if (e != PSC_OK && !f->first_other)
            f->first_other = e;
    }
    return PSC_OK; /* goes on regardless, as a careless provider would */
}

static void test_entities_over_the_cap(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.log_level = PSC_LOG_ERROR;
    cfg.max_entities_per_collect = 100;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    flood f = {.n = 1000};
    psc_custom_provider vt = {.struct_size = sizeof vt, .name = "flood", .collect = flood_collect};
    assert_int_equal(psc_register_custom(intro, &vt, &f, NULL), PSC_OK);

    for (int round = 0; round < 2; round++) { /* the cap is per collect, not for ever */
        psc_msg *m = NULL;
        Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
        Peerscope__State *st = fixture_state(sm);
        assert_int_equal(f.refused, 900);
        assert_int_equal(f.first_other, PSC_OK);
        assert_int_equal(st->subsystems->n_custom, 1);
        assert_int_equal(st->subsystems->custom[0]->n_values, 100);
        assert_int_equal(st->n_provider_errors, 1);
        assert_int_equal(st->provider_errors[0]->code, PSC_ERR_TOO_BIG);
        assert_non_null(strstr(st->provider_errors[0]->error, "900 over the cap of 100"));
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
    }
    psc_introspector_free(intro);
}

typedef struct bad {
    psc_err big, utf8, dup, ok;
} bad;

static psc_err bad_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    bad *r = user;
    size_t len = 1u << 20;
    char *huge = malloc(len + 1);
    if (!huge)
        return PSC_ERR_NOMEM;
    memset(huge, 'a', len);
    huge[len] = '\0';
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"c1", .id_len = 2};
    c.remote_addr = huge;
    r->big = psc_swarm_add_connection(b, &c, NULL);
    free(huge);
    c.remote_addr = "/ip4/10.0.0.1/tcp/1\xff\xfe";
    r->utf8 = psc_swarm_add_connection(b, &c, NULL);
    c.remote_addr = "/ip4/10.0.0.1/tcp/1";
    r->ok = psc_swarm_add_connection(b, &c, NULL);
    r->dup = psc_swarm_add_connection(b, &c, NULL);
    return PSC_OK;
}

static void test_huge_bad_and_duplicate(void **state)
{
    (void)state;
    fake_clock fc = {1000000, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    bad r = {0};
    psc_swarm_provider vt = {.struct_size = sizeof vt, .name = "bad", .collect = bad_collect};
    assert_int_equal(psc_register_swarm(intro, &vt, &r, NULL), PSC_OK);
    psc_msg *m = NULL;
    Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
    Peerscope__State *st = fixture_state(sm);
    assert_int_equal(r.big, PSC_ERR_TOO_BIG);
    assert_int_equal(r.utf8, PSC_ERR_INVALID);
    assert_int_equal(r.ok, PSC_OK);
    assert_int_equal(r.dup, PSC_ERR_EXISTS);
    assert_int_equal(st->subsystems->n_connections, 1);
    assert_int_equal(st->n_provider_errors, 0);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entities_over_the_cap),
        cmocka_unit_test(test_huge_bad_and_duplicate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

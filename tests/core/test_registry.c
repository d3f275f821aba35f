/* Provider registration, unregistration and their rules (single-threaded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core_fixture.h"

typedef struct counter {
    int collects;
    int releases;
    psc_provider *self;   /* for unregister-from-inside */
    psc_provider *other;  /* a provider this one unregisters */
    psc_err inner_result; /* what the inner call returned */
    psc_introspector *intro;
} counter;

static void count_release(void *user)
{
    ((counter *)user)->releases++;
}

static psc_err swarm_count(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static psc_err dht_count(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static psc_err pubsub_count(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static psc_err peerstore_count(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static psc_err rcmgr_count(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static psc_err custom_count(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    (void)b;
    ((counter *)user)->collects++;
    return PSC_OK;
}

static void snap(psc_introspector *intro)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    psc_msg_unref(m);
}

static void test_invalid_args(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter c = {0};
    psc_provider *p = NULL;

    psc_swarm_provider sw = {sizeof sw, "s", swarm_count, count_release};
    assert_int_equal(psc_register_swarm(NULL, &sw, &c, &p), PSC_ERR_INVALID);
    assert_int_equal(psc_register_swarm(intro, NULL, &c, &p), PSC_ERR_INVALID);
    psc_swarm_provider no_collect = {sizeof no_collect, "s", NULL, NULL};
    assert_int_equal(psc_register_swarm(intro, &no_collect, &c, &p), PSC_ERR_INVALID);
    psc_swarm_provider too_small = sw;
    too_small.struct_size = offsetof(psc_swarm_provider, collect); /* does not reach collect */
    assert_int_equal(psc_register_swarm(intro, &too_small, &c, &p), PSC_ERR_INVALID);
    psc_dht_provider dnull = {sizeof dnull, "d", NULL, NULL};
    assert_int_equal(psc_register_dht(intro, &dnull, &c, &p), PSC_ERR_INVALID);
    psc_pubsub_provider pnull = {sizeof pnull, "p", NULL, NULL};
    assert_int_equal(psc_register_pubsub(intro, &pnull, &c, &p), PSC_ERR_INVALID);
    psc_peerstore_provider snull = {sizeof snull, "p", NULL, NULL};
    assert_int_equal(psc_register_peerstore(intro, &snull, &c, &p), PSC_ERR_INVALID);
    psc_rcmgr_provider rnull = {sizeof rnull, "r", NULL, NULL};
    assert_int_equal(psc_register_rcmgr(intro, &rnull, &c, &p), PSC_ERR_INVALID);

    /* a custom provider's name is its section's name: required, unique */
    psc_custom_provider cu = {sizeof cu, NULL, custom_count, NULL};
    assert_int_equal(psc_register_custom(intro, &cu, &c, &p), PSC_ERR_INVALID);
    cu.name = "";
    assert_int_equal(psc_register_custom(intro, &cu, &c, &p), PSC_ERR_INVALID);
    cu.name = "\xc3(";
    assert_int_equal(psc_register_custom(intro, &cu, &c, &p), PSC_ERR_INVALID);
    psc_swarm_provider bad_name = sw;
    bad_name.name = "sw\xff";
    assert_int_equal(psc_register_swarm(intro, &bad_name, &c, &p), PSC_ERR_INVALID);
    cu.name = "app";
    assert_null(p); /* nothing written by failed calls */
    assert_int_equal(psc_register_custom(intro, &cu, &c, &p), PSC_OK);
    assert_non_null(p);
    psc_provider *dup = NULL;
    assert_int_equal(psc_register_custom(intro, &cu, &c, &dup), PSC_ERR_EXISTS);
    assert_null(dup);

    assert_int_equal(psc_provider_unregister(NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_snapshot(NULL, NULL), PSC_ERR_INVALID);
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(NULL, &m), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_snapshot(intro, NULL), PSC_ERR_INVALID);

    snap(intro);
    assert_int_equal(c.collects, 1); /* only the one registration that succeeded */
    assert_int_equal(psc_provider_unregister(p), PSC_OK);
    /* after unregistering, the name is free again */
    assert_int_equal(psc_register_custom(intro, &cu, &c, NULL), PSC_OK);
    psc_introspector_free(intro);
    assert_int_equal(c.releases, 0); /* no release callback was given */
}

static void test_each_kind(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter c[6];
    memset(c, 0, sizeof c);
    psc_provider *p[6] = {0};
    psc_swarm_provider sw = {sizeof sw, "s", swarm_count, count_release};
    psc_dht_provider dh = {sizeof dh, "d", dht_count, count_release};
    psc_pubsub_provider ps = {sizeof ps, "p", pubsub_count, count_release};
    psc_peerstore_provider pe = {sizeof pe, NULL, peerstore_count, count_release};
    psc_rcmgr_provider rc = {sizeof rc, "r", rcmgr_count, count_release};
    psc_custom_provider cu = {sizeof cu, "c", custom_count, count_release};
    assert_int_equal(psc_register_swarm(intro, &sw, &c[0], &p[0]), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &dh, &c[1], &p[1]), PSC_OK);
    assert_int_equal(psc_register_pubsub(intro, &ps, &c[2], &p[2]), PSC_OK);
    assert_int_equal(psc_register_peerstore(intro, &pe, &c[3], &p[3]), PSC_OK);
    assert_int_equal(psc_register_rcmgr(intro, &rc, &c[4], &p[4]), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &cu, &c[5], &p[5]), PSC_OK);
    /* the vtable is copied: changing ours afterwards changes nothing */
    sw.collect = NULL;
    cu.name = "other";

    snap(intro);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(c[i].collects, 1);
        assert_int_equal(c[i].releases, 0);
    }
    for (int i = 0; i < 6; i += 2)
        assert_int_equal(psc_provider_unregister(p[i]), PSC_OK);
    for (int i = 0; i < 6; i++)
        assert_int_equal(c[i].releases, i % 2 == 0 ? 1 : 0);
    snap(intro);
    for (int i = 0; i < 6; i++)
        assert_int_equal(c[i].collects, i % 2 == 0 ? 1 : 2);

    /* freeing the introspector unregisters the rest, releasing each once */
    psc_introspector_free(intro);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(c[i].releases, 1);
        assert_int_equal(c[i].collects, i % 2 == 0 ? 1 : 2);
    }
}

/* A vtable from an older ABI without the release member: release is not read. */
static void test_old_vtable(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter c = {0};
    psc_swarm_provider sw = {offsetof(psc_swarm_provider, release), "s", swarm_count, count_release};
    psc_provider *p = NULL;
    assert_int_equal(psc_register_swarm(intro, &sw, &c, &p), PSC_OK);
    snap(intro);
    assert_int_equal(c.collects, 1);
    assert_int_equal(psc_provider_unregister(p), PSC_OK);
    assert_int_equal(c.releases, 0);
    psc_introspector_free(intro);
}

static psc_err swarm_unregister_self(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    (void)b;
    counter *c = user;
    c->collects++;
    c->inner_result = psc_provider_unregister(c->self);
    if (c->other)
        assert_int_equal(psc_provider_unregister(c->other), PSC_OK);
    c->other = NULL;
    return PSC_OK;
}

static void test_unregister_inside_collect(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter a = {0}, b = {0};
    psc_swarm_provider va = {sizeof va, "a", swarm_unregister_self, count_release};
    psc_swarm_provider vb = {sizeof vb, "b", swarm_count, count_release};
    assert_int_equal(psc_register_swarm(intro, &va, &a, &a.self), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &vb, &b, &b.self), PSC_OK);
    a.other = b.self; /* b comes later in this very snapshot */

    snap(intro);
    assert_int_equal(a.collects, 1);
    assert_int_equal(a.inner_result, PSC_ERR_STATE);
    assert_int_equal(a.releases, 0);
    /* b was unregistered (from a's collect) before its turn: never called */
    assert_int_equal(b.collects, 0);
    assert_int_equal(b.releases, 1);

    /* outside collect, a can go */
    assert_int_equal(psc_provider_unregister(a.self), PSC_OK);
    assert_int_equal(a.releases, 1);
    snap(intro);
    assert_int_equal(a.collects, 1);
    psc_introspector_free(intro);
    assert_int_equal(a.releases, 1);
    assert_int_equal(b.releases, 1);
}

static psc_err swarm_snapshot_inside(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    (void)b;
    counter *c = user;
    c->collects++;
    psc_msg *m = NULL;
    c->inner_result = psc_introspector_snapshot(c->intro, &m);
    return m == NULL ? PSC_OK : PSC_ERR_INVALID;
}

static void test_snapshot_inside_collect(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter a = {0};
    a.intro = intro;
    psc_swarm_provider va = {sizeof va, "a", swarm_snapshot_inside, NULL};
    assert_int_equal(psc_register_swarm(intro, &va, &a, NULL), PSC_OK);
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    assert_int_equal(a.inner_result, PSC_ERR_STATE);
    assert_int_equal(psc_state_provider_error_count(m), 0);
    psc_msg_unref(m);
    psc_introspector_free(intro);
}

static counter late;

static psc_err swarm_register_inside(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    (void)b;
    counter *c = user;
    static const psc_swarm_provider vl = {sizeof vl, "late", swarm_count, count_release};
    if (c->collects++ == 0)
        c->inner_result = psc_register_swarm(c->intro, &vl, &late, NULL);
    return PSC_OK;
}

static void test_register_inside_collect(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    counter a = {0};
    memset(&late, 0, sizeof late);
    a.intro = intro;
    psc_swarm_provider va = {sizeof va, "a", swarm_register_inside, NULL};
    assert_int_equal(psc_register_swarm(intro, &va, &a, NULL), PSC_OK);
    snap(intro);
    assert_int_equal(a.inner_result, PSC_OK);
    assert_int_equal(late.collects, 0); /* joins the next snapshot */
    snap(intro);
    assert_int_equal(late.collects, 1);
    psc_introspector_free(intro);
    assert_int_equal(late.releases, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_args),
        cmocka_unit_test(test_each_kind),
        cmocka_unit_test(test_old_vtable),
        cmocka_unit_test(test_unregister_inside_collect),
        cmocka_unit_test(test_snapshot_inside_collect),
        cmocka_unit_test(test_register_inside_collect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

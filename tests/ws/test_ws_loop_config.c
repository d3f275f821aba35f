/*
 * The host-loop fields of psc_ws_config (uv_loop, glib_context, ev_loop)
 * as configuration: at most one may be set, each is read only when
 * struct_size covers it, and a kind the library was built without is
 * refused with PSC_ERR_UNSUPPORTED (-Dglib=disabled / -Dlibev=disabled
 * build this test with that expectation). The loops themselves run in
 * test_ws_uv.c, test_ws_glib.c and test_ws_ev.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "peerscope/peerscope.h"

/* Never used as loops: no endpoint of these tests is started on one. */
static int fake_a, fake_b;

typedef struct logged {
    char last[256];
    int errors;
} logged;

static void on_log(void *user, psc_log_level level, const char *msg)
{
    logged *l = user;
    if (level != PSC_LOG_ERROR)
        return;
    l->errors++;
    strncpy(l->last, msg, sizeof l->last - 1);
}

static psc_introspector *new_intro(logged *l)
{
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.log = on_log;
    cfg.log_user = l;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    return intro;
}

static psc_err new_on(psc_introspector *intro, void *uv, void *glib, void *ev, psc_endpoint **ep)
{
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.uv_loop = uv;
    wc.glib_context = glib;
    wc.ev_loop = ev;
    *ep = NULL;
    return psc_ws_endpoint_new(intro, &wc, ep);
}

static void expect_refused(void *uv, void *glib, void *ev, psc_err want, const char *says)
{
    logged l = {0};
    psc_introspector *intro = new_intro(&l);
    psc_endpoint *ep = NULL;
    assert_int_equal(new_on(intro, uv, glib, ev, &ep), want);
    assert_null(ep);
    assert_int_equal(l.errors, 1);
    assert_non_null(strstr(l.last, says));
    psc_introspector_free(intro);
}

static void test_two_loops_are_refused(void **state)
{
    (void)state;
    const char *says = "at most one of uv_loop, glib_context and ev_loop";
    expect_refused(&fake_a, &fake_b, NULL, PSC_ERR_INVALID, says);
    expect_refused(&fake_a, NULL, &fake_b, PSC_ERR_INVALID, says);
    expect_refused(NULL, &fake_a, &fake_b, PSC_ERR_INVALID, says);
    expect_refused(&fake_a, &fake_a, &fake_b, PSC_ERR_INVALID, says);
}

/* Accepted without being started (then nothing is on the loop), or
 * refused by a build without the kind. */
static void one_kind(void *uv, void *glib, void *ev, bool built, const char *says)
{
    if (!built) {
        expect_refused(uv, glib, ev, PSC_ERR_UNSUPPORTED, says);
        return;
    }
    logged l = {0};
    psc_introspector *intro = new_intro(&l);
    psc_endpoint *ep = NULL;
    assert_int_equal(new_on(intro, uv, glib, ev, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    assert_int_equal(l.errors, 0);
    psc_introspector_free(intro);
}

static void test_glib_context_support(void **state)
{
    (void)state;
#ifdef PSC_HAVE_GLIB
    one_kind(NULL, &fake_a, NULL, true, NULL);
#else
    one_kind(NULL, &fake_a, NULL, false, "no glib support (glib_context)");
#endif
}

static void test_ev_loop_support(void **state)
{
    (void)state;
#ifdef PSC_HAVE_LIBEV
    one_kind(NULL, NULL, &fake_a, true, NULL);
#else
    one_kind(NULL, NULL, &fake_a, false, "no libev support (ev_loop)");
#endif
}

/* Callers built before the fields: what lies past struct_size is garbage
 * they never set. Were it read, two loop fields would be set (refused). */
static void test_loop_fields_past_struct_size_are_ignored(void **state)
{
    (void)state;
    size_t sizes[] = {offsetof(psc_ws_config, glib_context), offsetof(psc_ws_config, ev_loop)};
    for (size_t i = 0; i < 2; i++) {
        logged l = {0};
        psc_introspector *intro = new_intro(&l);
        psc_ws_config wc = PSC_WS_CONFIG_INIT;
        wc.struct_size = sizes[i];
        wc.ev_loop = &fake_b;
        if (i == 0)
            wc.glib_context = &fake_a; /* both past: the threaded endpoint */
        else
            wc.uv_loop = &fake_a;      /* covered: a uv endpoint (if built), ev_loop unread */
        psc_endpoint *ep = NULL;
#ifndef PSC_HAVE_LIBUV
        if (i == 1) {
            assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_ERR_UNSUPPORTED);
            psc_introspector_free(intro);
            continue;
        }
#endif
        assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
        assert_true(psc_ws_loop_done(ep));
        psc_endpoint_free(ep);
        assert_int_equal(l.errors, 0);
        psc_introspector_free(intro);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_loops_are_refused),
        cmocka_unit_test(test_glib_context_support),
        cmocka_unit_test(test_ev_loop_support),
        cmocka_unit_test(test_loop_fields_past_struct_size_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * psc_ws_config.uv_loop as a field: read only when struct_size covers it,
 * and refused with PSC_ERR_UNSUPPORTED by a library built without libuv
 * (-Dlibuv=disabled builds this test with that expectation). The loop
 * itself is exercised in test_ws_uv.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "peerscope/peerscope.h"

static psc_introspector *new_intro(void)
{
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    return intro;
}

/* A caller built before the field: whatever lies past its struct_size is
 * not read, and the endpoint is the threaded one. */
static void test_uv_loop_past_struct_size_is_ignored(void **state)
{
    (void)state;
    psc_introspector *intro = new_intro();
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.struct_size = offsetof(psc_ws_config, uv_loop);
    wc.uv_loop = (void *)(uintptr_t)1; /* garbage the old caller never set */
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(ep), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(ep, &port), PSC_OK);
    assert_true(port > 0);
    assert_true(psc_ws_loop_done(ep)); /* threaded: never waits on a loop */
    psc_endpoint_close(ep);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
}

static void test_uv_loop_without_libuv(void **state)
{
    (void)state;
    psc_introspector *intro = new_intro();
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    static int not_a_loop; /* never used as one: the endpoint is not started */
    wc.uv_loop = &not_a_loop;
    psc_endpoint *ep = NULL;
#ifdef PSC_HAVE_LIBUV
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep)); /* not started: nothing on the loop */
    psc_endpoint_free(ep);
#else
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_ERR_UNSUPPORTED);
    assert_null(ep);
#endif
    psc_introspector_free(intro);
}

static void test_loop_done_of_no_endpoint(void **state)
{
    (void)state;
    assert_true(psc_ws_loop_done(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uv_loop_past_struct_size_is_ignored),
        cmocka_unit_test(test_uv_loop_without_libuv),
        cmocka_unit_test(test_loop_done_of_no_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

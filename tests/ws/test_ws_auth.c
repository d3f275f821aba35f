/* The WebSocket endpoint's pure checks: token comparison, Origin policy, loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "transport/ws/ws.h"

static void token_equal(void **state)
{
    (void)state;
    const char *t = "abcdefghijklmnop";
    assert_true(psc__ws_token_equal(t, 16, "abcdefghijklmnop", 16));
    assert_false(psc__ws_token_equal(t, 16, "abcdefghijklmnoq", 16));
    assert_false(psc__ws_token_equal(t, 16, "abcdefghijklmno", 15));
    assert_false(psc__ws_token_equal(t, 16, "abcdefghijklmnopq", 17));
    assert_false(psc__ws_token_equal(t, 16, NULL, 0));
    assert_false(psc__ws_token_equal("", 0, "", 0)); /* an empty token never matches */
}

static void origin_policy(void **state)
{
    (void)state;
    const char *const allowed[] = {"http://127.0.0.1:5000", "https://viz.example/"};
    /* no Origin: not a browser page */
    assert_true(psc__ws_origin_allowed(NULL, "127.0.0.1:8080", false, NULL, 0, false));
    assert_true(psc__ws_origin_allowed("", "127.0.0.1:8080", false, NULL, 0, false));
    /* same origin */
    assert_true(psc__ws_origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", false, NULL, 0, false));
    assert_true(psc__ws_origin_allowed("HTTP://LocalHost:8080/", "localhost:8080", false, NULL, 0, false));
    assert_true(psc__ws_origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080", true, NULL, 0, false));
    /* same host, other port or scheme: another origin */
    assert_false(psc__ws_origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", false, NULL, 0, false));
    assert_false(psc__ws_origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080", false, NULL, 0, false));
    assert_false(psc__ws_origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", true, NULL, 0, false));
    /* a prefix is not a match */
    assert_false(psc__ws_origin_allowed("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", false, NULL, 0, false));
    assert_false(psc__ws_origin_allowed("http://evil.example", "127.0.0.1:8080", false, NULL, 0, false));
    assert_false(psc__ws_origin_allowed("null", "127.0.0.1:8080", false, NULL, 0, false));
    assert_false(psc__ws_origin_allowed("http://evil.example", "", false, NULL, 0, false));
    /* configured */
    assert_true(psc__ws_origin_allowed("http://127.0.0.1:5000", "127.0.0.1:8080", false, allowed, 2, false));
    assert_true(psc__ws_origin_allowed("https://viz.example", "127.0.0.1:8080", false, allowed, 2, false));
    assert_false(psc__ws_origin_allowed("http://127.0.0.1:50000", "127.0.0.1:8080", false, allowed, 2, false));
    assert_true(psc__ws_origin_allowed("http://anything", "127.0.0.1:8080", false, NULL, 0, true));
}

static void loopback(void **state)
{
    (void)state;
    assert_true(psc__ws_is_loopback(NULL));
    assert_true(psc__ws_is_loopback("127.0.0.1"));
    assert_true(psc__ws_is_loopback("127.1.2.3"));
    assert_true(psc__ws_is_loopback("::1"));
    assert_true(psc__ws_is_loopback("::ffff:127.0.0.1"));
    assert_true(psc__ws_is_loopback("localhost"));
    assert_false(psc__ws_is_loopback("0.0.0.0"));
    assert_false(psc__ws_is_loopback("::"));
    assert_false(psc__ws_is_loopback("192.168.1.10"));
    assert_false(psc__ws_is_loopback("128.0.0.1"));
    assert_false(psc__ws_is_loopback("example.com"));
}

static void host_check(void **state)
{
    (void)state;
    assert_true(psc__ws_host_allowed("127.0.0.1:8080", "127.0.0.1", true));
    assert_true(psc__ws_host_allowed("localhost:8080", "127.0.0.1", true));
    assert_true(psc__ws_host_allowed("LOCALHOST", "127.0.0.1", true));
    assert_true(psc__ws_host_allowed("[::1]:8080", "::1", true));
    assert_true(psc__ws_host_allowed("127.0.0.2:1", "127.0.0.2", true));
    /* rebinding names */
    assert_false(psc__ws_host_allowed("evil.example:8080", "127.0.0.1", true));
    assert_false(psc__ws_host_allowed("127.0.0.1.evil.example", "127.0.0.1", true));
    assert_false(psc__ws_host_allowed("", "127.0.0.1", true));
    assert_false(psc__ws_host_allowed(NULL, "127.0.0.1", true));
    assert_false(psc__ws_host_allowed("[::1", "::1", true));
    /* with a token (or a deliberately open bind) any name may be used */
    assert_true(psc__ws_host_allowed("node.example:8080", "0.0.0.0", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_equal),
        cmocka_unit_test(origin_policy),
        cmocka_unit_test(loopback),
        cmocka_unit_test(host_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

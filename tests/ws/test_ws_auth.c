/* The WebSocket endpoint's pure checks: token comparison, the wrong-token guard, Origin policy, loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
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

static psc__ws_guard *guard_new(void)
{
    psc__ws_guard *g = calloc(1, sizeof *g);
    assert_non_null(g);
    return g;
}

/* Free guesses, then a lock-out that doubles, expires and is cleared by the right token. */
static void guard_backoff(void **state)
{
    (void)state;
    psc__ws_guard *g = guard_new();
    uint64_t t = 5000, retry = 0;
    for (unsigned i = 0; i < PSC__WS_GUARD_FREE - 1; i++) {
        assert_true(psc__ws_guard_allows(g, "10.0.0.1", t, NULL));
        psc__ws_guard_failed(g, "10.0.0.1", t);
    }
    assert_true(psc__ws_guard_allows(g, "10.0.0.1", t, NULL));
    psc__ws_guard_failed(g, "10.0.0.1", t); /* the last free one locks for 1 s */
    assert_false(psc__ws_guard_allows(g, "10.0.0.1", t + 999, &retry));
    assert_int_equal(retry, 1);
    assert_true(psc__ws_guard_allows(g, "10.0.0.2", t, NULL)); /* others are not affected */
    assert_true(psc__ws_guard_allows(g, "10.0.0.1", t + 1000, NULL));
    t += 1000;
    uint64_t want = 2000;
    for (int i = 0; i < 10; i++) {
        psc__ws_guard_failed(g, "10.0.0.1", t);
        assert_false(psc__ws_guard_allows(g, "10.0.0.1", t, &retry));
        assert_int_equal(retry, want);
        t += retry;
        want = want * 2 > PSC__WS_GUARD_MAX_WAIT_MS ? PSC__WS_GUARD_MAX_WAIT_MS : want * 2;
    }
    assert_int_equal(want, PSC__WS_GUARD_MAX_WAIT_MS); /* capped */
    assert_int_equal(g->failures, PSC__WS_GUARD_FREE + 10);
    assert_true(g->refused >= 11);
    psc__ws_guard_succeeded(g, "10.0.0.1");
    psc__ws_guard_failed(g, "10.0.0.1", t);
    assert_true(psc__ws_guard_allows(g, "10.0.0.1", t, NULL)); /* counting starts again */
    free(g);
}

/* An IPv6 /64 is one client; an IPv4-mapped address is its IPv4 address. */
static void guard_keys(void **state)
{
    (void)state;
    psc__ws_guard *g = guard_new();
    for (unsigned i = 0; i < PSC__WS_GUARD_FREE; i++) {
        char a[64];
        snprintf(a, sizeof a, "2001:db8:1:2::%x", i + 1);
        psc__ws_guard_failed(g, a, 0);
    }
    assert_false(psc__ws_guard_allows(g, "2001:db8:1:2:ffff::1", 0, NULL));
    assert_true(psc__ws_guard_allows(g, "2001:db8:1:3::1", 0, NULL));
    for (unsigned i = 0; i < PSC__WS_GUARD_FREE; i++)
        psc__ws_guard_failed(g, i % 2 ? "::ffff:192.0.2.7" : "192.0.2.7", 0);
    assert_false(psc__ws_guard_allows(g, "192.0.2.7", 0, NULL));
    assert_false(psc__ws_guard_allows(g, "::FFFF:192.0.2.7", 0, NULL));
    free(g);
}

/* A quiet address is forgotten; a full table gives up its quietest slot. */
static void guard_table(void **state)
{
    (void)state;
    psc__ws_guard *g = guard_new();
    for (unsigned i = 0; i < PSC__WS_GUARD_FREE; i++)
        psc__ws_guard_failed(g, "198.51.100.1", 0);
    assert_false(psc__ws_guard_allows(g, "198.51.100.1", 10, NULL));
    /* after the forget time, one more wrong token is a first one again */
    psc__ws_guard_failed(g, "198.51.100.1", PSC__WS_GUARD_FORGET_MS);
    assert_true(psc__ws_guard_allows(g, "198.51.100.1", PSC__WS_GUARD_FORGET_MS, NULL));

    /* every slot taken by an address that failed once, at times 1..N */
    for (unsigned i = 0; i < PSC__WS_GUARD_SLOTS; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.1.%u.%u", i / 256, i % 256);
        psc__ws_guard_failed(g, a, PSC__WS_GUARD_FORGET_MS + 1 + i);
    }
    /* a guesser keeps its slot as long as it keeps failing */
    uint64_t t = PSC__WS_GUARD_FORGET_MS + 1000;
    for (unsigned i = 0; i < PSC__WS_GUARD_FREE; i++)
        psc__ws_guard_failed(g, "203.0.113.9", t);
    assert_false(psc__ws_guard_allows(g, "203.0.113.9", t, NULL));
    psc__ws_guard_failed(g, "10.9.9.9", t); /* takes the slot quiet the longest, not the guesser's */
    assert_false(psc__ws_guard_allows(g, "203.0.113.9", t, NULL));
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_equal),
        cmocka_unit_test(guard_backoff),
        cmocka_unit_test(guard_keys),
        cmocka_unit_test(guard_table),
        cmocka_unit_test(origin_policy),
        cmocka_unit_test(loopback),
        cmocka_unit_test(host_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The peerscope-demo program as a user runs it: --help, every kind of bad
 * flag (exit code 2 and a message naming the flag), a bounded headless run
 * on an ephemeral port, a stop by SIGTERM, and a token generated for a
 * non-loopback bind. The program's path comes from PSC_DEMO_EXE.
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

#include <peerscope/peerscope.h>

#include "demo_proc.h"

static void test_help(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--help", NULL};
    demo_proc_run(&r, args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: peerscope-demo"));
    static const char *const flags[] = {"--port", "--bind", "--token", "--allow-origin", "--seed", "--peers",
                                        "--conns", "--streams", "--topics", "--churn", "--event-rate",
                                        "--duration", "--expect-peer", "--validators", "--shrink-mesh",
                                        "--leak-protocol", "--rules", "--help"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(r.out, flags[i]))
            fail_msg("--help does not mention %s", flags[i]);
}

static void test_bad_flags(void **state)
{
    (void)state;
    static const struct {
        const char *args[5];
        const char *mention;
    } cases[] = {
        {{"--port", "70000"}, "--port"},
        {{"--port", "12ab"}, "--port"},
        {{"--port=-1"}, "--port"},
        {{"--bind", "localhost"}, "--bind"},
        {{"--token", "short"}, "--token"},
        {{"--token", "has spaces in it, sixteen+"}, "--token"},
        {{"--allow-origin", "http://127.0.0.1:5000/app"}, "--allow-origin"},
        {{"--allow-origin", "ftp://x"}, "--allow-origin"},
        {{"--seed", "-3"}, "--seed"},
        {{"--seed"}, "--seed"},
        {{"--peers", "0"}, "--peers"},
        {{"--peers", "1000000"}, "--peers"},
        {{"--peers", "10", "--conns", "11"}, "--conns"},
        {{"--streams", "65"}, "--streams"},
        {{"--topics", "x"}, "--topics"},
        {{"--churn", "-1"}, "--churn"},
        {{"--churn", "nan"}, "--churn"},
        {{"--event-rate", "1e3"}, "--event-rate"},
        {{"--event-rate", "1000.5"}, "--event-rate"},
        {{"--duration", "inf"}, "--duration"},
        {{"--expect-peer", "not-a-peer-id"}, "--expect-peer"},
        {{"--validators", "0"}, "--validators"},
        {{"--validators", "101"}, "--validators"},
        {{"--shrink-mesh=1"}, "--shrink-mesh"},
        {{"--leak-protocol=yes"}, "--leak-protocol"},
        {{"--rules", ""}, "--rules"},
        {{"--bogus"}, "--bogus"},
        {{"stray"}, "stray"},
    };
    static demo_proc r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        demo_proc_run(&r, cases[i].args);
        if (r.status != 2)
            fail_msg("case %zu (%s): exit %d, want 2", i, cases[i].args[0], r.status);
        if (!strstr(r.err, cases[i].mention))
            fail_msg("case %zu: stderr does not name %s: %s", i, cases[i].mention, r.err);
        assert_int_equal(r.out_len, 0);
    }
}

static void test_headless_run(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--port", "0", "--duration", "1.5", "--peers", "60", "--conns", "12", "--seed", "9", NULL};
    unsigned long long t0 = demo_proc_now_ms();
    demo_proc_run(&r, args);
    assert_int_equal(r.status, 0);
    assert_true(demo_proc_now_ms() - t0 >= 1400);
    char url[256], id[128], page[256];
    assert_true(demo_proc_banner(r.out, "websocket:", url, sizeof url));
    assert_true(demo_proc_banner(r.out, "visualizer:", page, sizeof page));
    assert_true(demo_proc_banner(r.out, "local peer id:", id, sizeof id));
    assert_true(psc_peerid_is_valid(id));
    assert_int_equal(strncmp(url, "ws://127.0.0.1:", 15), 0);
    assert_non_null(strstr(url, "/introspect"));
    assert_null(strstr(url, "token"));
    unsigned port = (unsigned)atoi(url + 15);
    assert_true(port > 0 && port < 65536);
    char want_page[64];
    snprintf(want_page, sizeof want_page, "http://127.0.0.1:%u/", port);
    assert_string_equal(page, want_page);
    /* not quiet: a final status line and why it stopped */
    assert_non_null(strstr(r.err, "duration reached"));
    assert_non_null(strstr(r.err, "conns"));
}

static void test_same_seed_same_identity(void **state)
{
    (void)state;
    static demo_proc a, b;
    const char *args[] = {"--port", "0", "--duration", "0.2", "--quiet", "--seed", "1234", NULL};
    demo_proc_run(&a, args);
    demo_proc_run(&b, args);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    char ida[128], idb[128];
    assert_true(demo_proc_banner(a.out, "local peer id:", ida, sizeof ida));
    assert_true(demo_proc_banner(b.out, "local peer id:", idb, sizeof idb));
    assert_string_equal(ida, idb);
    assert_int_equal(a.err_len, 0); /* --quiet */
}

static void test_sigterm(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--port", "0", "--peers", "40", "--conns", "8", NULL};
    demo_proc_spawn(&r, args);
    assert_true(demo_proc_wait_for(&r, "press Ctrl-C", DEMO_PROC_TIMEOUT_MS));
    assert_int_equal(kill(r.pid, SIGTERM), 0);
    demo_proc_finish(&r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "terminated"));
}

static void test_sigint(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--port", "0", "--peers", "40", "--conns", "8", NULL};
    demo_proc_spawn(&r, args);
    assert_true(demo_proc_wait_for(&r, "press Ctrl-C", DEMO_PROC_TIMEOUT_MS));
    assert_int_equal(kill(r.pid, SIGINT), 0);
    demo_proc_finish(&r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "interrupted"));
}

static void test_remote_bind_gets_token(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--bind", "0.0.0.0", "--port", "0", "--duration", "0.3", "--quiet", NULL};
    demo_proc_run(&r, args);
    assert_int_equal(r.status, 0);
    char url[256], token[128];
    assert_true(demo_proc_banner(r.out, "websocket:", url, sizeof url));
    assert_true(demo_proc_banner(r.out, "access token:", token, sizeof token));
    const char *q = strstr(url, "?token=");
    assert_non_null(q);
    assert_string_equal(q + 7, token);
    assert_int_equal(strlen(token), PSC_WS_TOKEN_SIZE - 1);
}

static void test_given_token_in_url(void **state)
{
    (void)state;
    static demo_proc r;
    const char *args[] = {"--token", "abcdefghijklmnop-123", "--port", "0", "--duration", "0.2", "--quiet", NULL};
    demo_proc_run(&r, args);
    assert_int_equal(r.status, 0);
    char url[256];
    assert_true(demo_proc_banner(r.out, "websocket:", url, sizeof url));
    assert_non_null(strstr(url, "/introspect?token=abcdefghijklmnop-123"));
    assert_null(strstr(r.out, "access token:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_headless_run),
        cmocka_unit_test(test_same_seed_same_identity),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_remote_bind_gets_token),
        cmocka_unit_test(test_given_token_in_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The flag parser of peerscope-demo: values, forms, defaults and errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "options.h"
#include "sim_limits.h"

static demo_parse_result parse(demo_options *o, char *err, size_t errlen, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"peerscope-demo";
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    return demo_options_parse(argc, argv, o, err, errlen);
}

static void test_defaults(void **state)
{
    (void)state;
    demo_options o;
    char err[256];
    const char *args[] = {NULL};
    assert_int_equal(parse(&o, err, sizeof err, args), DEMO_PARSE_OK);
    assert_int_equal(o.port, DEMO_DEFAULT_PORT);
    assert_string_equal(o.bind, "127.0.0.1");
    assert_null(o.token);
    assert_int_equal(o.n_origins, 0);
    assert_int_equal(o.seed, 1);
    assert_true(o.peers >= o.conns && o.conns > 0);
    assert_true(o.churn > 0 && o.event_rate > 0);
    assert_true(o.duration == 0);
    assert_false(o.quiet);
}

static void test_values(void **state)
{
    (void)state;
    demo_options o;
    char err[256];
    const char *args[] = {"--port=0", "--bind", "::1", "--token", "0123456789abcdef_~.-", "--allow-origin",
                          "http://127.0.0.1:5000", "--allow-origin=*", "--seed", "18446744073709551615",
                          "--peers", "20000", "--conns=5000", "--streams", "0", "--topics", "1000", "--churn",
                          "0.5", "--event-rate", "1000", "--duration", "2.25", "--quiet", NULL};
    assert_int_equal(parse(&o, err, sizeof err, args), DEMO_PARSE_OK);
    assert_int_equal(o.port, 0);
    assert_string_equal(o.bind, "::1");
    assert_string_equal(o.token, "0123456789abcdef_~.-");
    assert_int_equal(o.n_origins, 2);
    assert_string_equal(o.origins[0], "http://127.0.0.1:5000");
    assert_string_equal(o.origins[1], "*");
    assert_true(o.seed == UINT64_MAX);
    assert_int_equal(o.peers, SIM_MAX_PEERS);
    assert_int_equal(o.conns, SIM_MAX_CONNS);
    assert_int_equal(o.streams, 0);
    assert_int_equal(o.topics, SIM_MAX_TOPICS);
    assert_true(o.churn == 0.5);
    assert_true(o.event_rate == 1000.0);
    assert_true(o.duration == 2.25);
    assert_true(o.quiet);
    assert_null(o.hub);
}

static void test_hub_flags(void **state)
{
    (void)state;
    demo_options o;
    char err[256];
    const char *args[] = {"--hub", "wss://hub.example:7000/push", "--hub-token=0123456789abcdef_~.-", "--name",
                          "validator 7", NULL};
    assert_int_equal(parse(&o, err, sizeof err, args), DEMO_PARSE_OK);
    assert_string_equal(o.hub, "wss://hub.example:7000/push");
    assert_string_equal(o.hub_token, "0123456789abcdef_~.-");
    assert_string_equal(o.name, "validator 7");
    const char *bad[][3] = {
        {"--hub", "http://hub.example/push", NULL},
        {"--hub-token", "0123456789abcdef", NULL}, /* without --hub */
        {"--name", "n", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&o, err, sizeof err, bad[i]), DEMO_PARSE_ERROR);
        assert_non_null(strstr(err, bad[i][0]));
    }
    const char *ctl[] = {"--hub", "ws://h/push", "--name", "a\tb", NULL};
    assert_int_equal(parse(&o, err, sizeof err, ctl), DEMO_PARSE_ERROR);
    assert_non_null(strstr(err, "--name"));
}

static void test_small_universe(void **state)
{
    (void)state;
    demo_options o;
    char err[256];
    /* the default connection target shrinks to fit a small network... */
    const char *a[] = {"--peers", "5", NULL};
    assert_int_equal(parse(&o, err, sizeof err, a), DEMO_PARSE_OK);
    assert_int_equal(o.conns, 5);
    /* ...but an explicit one that cannot be met is an error */
    const char *b[] = {"--conns", "6", "--peers", "5", NULL};
    assert_int_equal(parse(&o, err, sizeof err, b), DEMO_PARSE_ERROR);
    assert_non_null(strstr(err, "--conns"));
}

static void test_help(void **state)
{
    (void)state;
    demo_options o;
    char err[256];
    const char *a[] = {"--peers", "5", "--help", NULL};
    assert_int_equal(parse(&o, err, sizeof err, a), DEMO_PARSE_HELP);
    const char *b[] = {"-h", NULL};
    assert_int_equal(parse(&o, err, sizeof err, b), DEMO_PARSE_HELP);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args[4];
        const char *mention;
    } cases[] = {
        {{"--port", "65536"}, "--port"},
        {{"--port", ""}, "--port"},
        {{"--port", " 80"}, "--port"},
        {{"--port", "+80"}, "--port"},
        {{"--bind", "127.0.0.1:80"}, "--bind"},
        {{"--bind", "example.org"}, "--bind"},
        {{"--token", "0123456789abcde"}, "--token"}, /* 15: too short */
        {{"--token", "0123456789abcdef/"}, "--token"},
        {{"--allow-origin", "127.0.0.1:5000"}, "--allow-origin"},
        {{"--allow-origin", "http://"}, "--allow-origin"},
        {{"--allow-origin", "http://a b"}, "--allow-origin"},
        {{"--seed", "18446744073709551616"}, "--seed"},
        {{"--seed", "1.5"}, "--seed"},
        {{"--peers", "20001"}, "--peers"},
        {{"--conns", "5001", "--peers", "20000"}, "--conns"},
        {{"--streams", "-1"}, "--streams"},
        {{"--topics", "1001"}, "--topics"},
        {{"--churn", "60000.5"}, "--churn"},
        {{"--churn", "1..2"}, "--churn"},
        {{"--event-rate", "."}, "--event-rate"},
        {{"--duration", "-0"}, "--duration"},
        {{"--duration"}, "--duration"},
        {{"--quiet=yes"}, "--quiet"},
        {{"--portx", "1"}, "--portx"},
        {{"-p", "1"}, "-p"},
        {{"--a-very-long-flag-name-that-is-unknown=1"}, "unknown flag"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        demo_options o;
        char err[256] = "";
        if (parse(&o, err, sizeof err, cases[i].args) != DEMO_PARSE_ERROR)
            fail_msg("case %zu (%s %s) was accepted", i, cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "");
        if (!strstr(err, cases[i].mention))
            fail_msg("case %zu: message '%s' does not name %s", i, err, cases[i].mention);
    }
    /* too many origins */
    const char *many[2 * DEMO_MAX_ORIGINS + 3];
    size_t k = 0;
    for (unsigned i = 0; i <= DEMO_MAX_ORIGINS; i++) {
        many[k++] = "--allow-origin";
        many[k++] = "http://127.0.0.1:5000";
    }
    many[k] = NULL;
    demo_options o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, many), DEMO_PARSE_ERROR);
    assert_non_null(strstr(err, "at most"));
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(demo_is_loopback("127.0.0.1"));
    assert_true(demo_is_loopback("127.1.2.3"));
    assert_true(demo_is_loopback("::1"));
    assert_false(demo_is_loopback("0.0.0.0"));
    assert_false(demo_is_loopback("192.0.2.1"));
    assert_false(demo_is_loopback("::"));
    assert_false(demo_is_loopback("localhost"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_values), cmocka_unit_test(test_hub_flags), cmocka_unit_test(test_small_universe),
        cmocka_unit_test(test_help),         cmocka_unit_test(test_errors), cmocka_unit_test(test_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

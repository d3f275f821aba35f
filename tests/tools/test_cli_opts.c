/* The command line the tools share (cli_opts.c), through peerscope-dump's
 * own parser: tokens, numbers and their ranges, help and version, unknown
 * options, URLs, and an operand that is a recording file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "tool_test.h"
#include "peerscope/version.h"

/* One parse: what it printed and what it made of the command line. */
typedef struct run {
    memout out, err;
    dump_opts o;
    cli_status st;
} run;

/* Parse "peerscope-dump WORDS..." (a NULL-terminated list); free with run_free. */
static cli_status parse(run *r, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, r);
    int argc = test_argv(argv, 32, "peerscope-dump", ap);
    va_end(ap);
    FILE *out = memout_open(&r->out), *err = memout_open(&r->err);
    r->st = dump_opts_parse(argc, argv, &r->o, out, err);
    return r->st;
}

static void run_free(run *r)
{
    memout_free(&r->out);
    memout_free(&r->err);
}

static void test_token_from_the_option_then_the_environment(void **state)
{
    (void)state;
    run r;
    unsetenv("PEERSCOPE_TOKEN");
    assert_int_equal(parse(&r, "ws://127.0.0.1:1", NULL), CLI_RUN);
    assert_null(r.o.conn.token);
    run_free(&r);

    setenv("PEERSCOPE_TOKEN", "from-env", 1);
    assert_int_equal(parse(&r, "ws://127.0.0.1:1", NULL), CLI_RUN);
    assert_string_equal(r.o.conn.token, "from-env");
    run_free(&r);
    assert_int_equal(parse(&r, "--token", "from-option", "ws://127.0.0.1:1", NULL), CLI_RUN);
    assert_string_equal(r.o.conn.token, "from-option");
    assert_string_equal(r.o.conn.given, "--token");
    run_free(&r);

    setenv("PEERSCOPE_TOKEN", "", 1); /* set but empty: no token */
    assert_int_equal(parse(&r, "ws://127.0.0.1:1", NULL), CLI_RUN);
    assert_null(r.o.conn.token);
    run_free(&r);

    /* a header cannot carry them: refused before any connection */
    assert_int_equal(parse(&r, "--token", "a\nb", "ws://127.0.0.1:1", NULL), CLI_USAGE);
    assert_string_equal(memout_text(&r.err),
                        "peerscope-dump: --token must not contain control characters (got 'a\nb')\n");
    run_free(&r);
    setenv("PEERSCOPE_TOKEN", "a\tb", 1);
    assert_int_equal(parse(&r, "ws://127.0.0.1:1", NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&r.err), "$PEERSCOPE_TOKEN must not contain control characters"));
    run_free(&r);
    unsetenv("PEERSCOPE_TOKEN");
}

static void test_numbers_name_the_option_and_the_range(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *value, *message;
    } bad[] = {
        {"--interval", "0", "--interval must be from 1 to 3600000 (got '0')"},
        {"--interval", "3600001", "--interval must be from 1 to 3600000 (got '3600001')"},
        {"--interval", "1x", "--interval wants a whole number, from 1 to 3600000 (got '1x')"},
        {"--interval", "-5", "--interval wants a whole number, from 1 to 3600000 (got '-5')"},
        {"--interval", " 5", "--interval wants a whole number, from 1 to 3600000 (got ' 5')"},
        {"--count", "0", "--count must be at least 1 (got '0')"},
        {"--count", "18446744073709551616", "--count must be at least 1 (got '18446744073709551616')"},
        {"--duration", "0", "--duration must be more than 0 and at most 31536000 seconds (got '0')"},
        {"--duration", "0.0001", "--duration must be more than 0 and at most 31536000 seconds (got '0.0001')"},
        {"--duration", "abc", "--duration wants a number of seconds, more than 0 and at most 31536000 seconds "
                              "(got 'abc')"},
        {"--duration", "-1", "--duration wants a number of seconds, more than 0 and at most 31536000 seconds "
                             "(got '-1')"},
        {"--connect-timeout", "3601", "--connect-timeout must be more than 0 and at most 3600 seconds (got '3601')"},
        {"--connect-timeout", "nan", "--connect-timeout wants a number of seconds, more than 0 and at most 3600 "
                                     "seconds (got 'nan')"},
    };
    run r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&r, bad[i].opt, bad[i].value, "ws://127.0.0.1:1", NULL), CLI_USAGE);
        char want[256];
        snprintf(want, sizeof want, "peerscope-dump: %s\n", bad[i].message);
        assert_string_equal(memout_text(&r.err), want);
        run_free(&r);
    }
    assert_int_equal(parse(&r, "--interval", "3600000", "--count", "18446744073709551615", "--duration", "0.5",
                           "--connect-timeout", "2", "ws://127.0.0.1:1", NULL),
                     CLI_RUN);
    assert_int_equal(r.o.conn.interval_ms, 3600000);
    assert_true(r.o.count == UINT64_MAX);
    assert_int_equal(r.o.duration_ms, 500);
    assert_int_equal(r.o.connect_timeout_ms, 2000);
    assert_string_equal(memout_text(&r.err), "");
    run_free(&r);
}

static void test_help_version_unknown_options_and_missing_values(void **state)
{
    (void)state;
    run r;
    assert_int_equal(parse(&r, "--help", NULL), CLI_DONE);
    const char *help = memout_text(&r.out);
    assert_non_null(strstr(help, "Usage: peerscope-dump [options] ws://HOST:PORT[/introspect]\n"
                                 "       peerscope-dump [options] FILE|-\n"));
    for (int status = 0; status <= 6; status++) {
        char line[16];
        snprintf(line, sizeof line, "\n  %d  ", status);
        assert_non_null(strstr(help, line)); /* every exit status is documented */
    }
    assert_string_equal(memout_text(&r.err), "");
    run_free(&r);

    assert_int_equal(parse(&r, "ws://127.0.0.1:1", "--version", NULL), CLI_DONE);
    assert_string_equal(memout_text(&r.out), "peerscope-dump " PSC_VERSION_STRING "\n");
    run_free(&r);

    static const struct {
        const char *arg, *message;
    } bad[] = {
        {"--frobnicate=1", "unknown option: --frobnicate"},
        {"-z", "unknown option: -z"},
        {"--token", "--token needs a value"},
        {"--file", "--file needs a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&r, "ws://127.0.0.1:1", bad[i].arg, NULL), CLI_USAGE);
        char want[256];
        snprintf(want, sizeof want, "peerscope-dump: %s\nTry 'peerscope-dump --help'.\n", bad[i].message);
        assert_string_equal(memout_text(&r.err), want);
        assert_string_equal(memout_text(&r.out), "");
        run_free(&r);
    }
}

static void test_urls_are_checked_with_the_command_line(void **state)
{
    (void)state;
    run r;
    assert_int_equal(parse(&r, "ws://127.0.0.1:7878", NULL), CLI_RUN);
    assert_string_equal(r.o.url, "ws://127.0.0.1:7878");
    assert_null(r.o.file);
    /* nothing asked for: what the 2020 visualizer asks for */
    assert_true(r.o.runtime && r.o.follow_states && r.o.follow_events && !r.o.state_once);
    run_free(&r);
    assert_int_equal(parse(&r, "WSS://[::1]:8443/x?token=t", NULL), CLI_RUN);
    run_free(&r);

    static const struct {
        const char *url, *message;
    } bad[] = {
        {"ws://:1/", "malformed URL 'ws://:1/' (expected ws://HOST[:PORT][/PATH] or wss://...)"},
        {"ws://host:99999/", "malformed URL 'ws://host:99999/' (expected ws://HOST[:PORT][/PATH] or wss://...)"},
        {"http://127.0.0.1:7878/", "not a ws:// or wss:// URL: 'http://127.0.0.1:7878/' (did you mean "
                                   "ws://127.0.0.1:7878/?)"},
        {"https://node.example/introspect", "not a ws:// or wss:// URL: 'https://node.example/introspect' (did you "
                                            "mean wss://node.example/introspect?)"},
        {"ftp://x/", "not a ws:// or wss:// URL: 'ftp://x/' (expected ws://HOST[:PORT][/PATH] or wss://...)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&r, bad[i].url, NULL), CLI_USAGE);
        char want[256];
        snprintf(want, sizeof want, "peerscope-dump: %s\n", bad[i].message);
        assert_string_equal(memout_text(&r.err), want);
        run_free(&r);
    }
}

/* A file that exists, for the operand tests (removed by the caller). */
static void make_file(char *path, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/psc-cli-opts-XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void test_an_operand_that_is_an_existing_file_is_read_as_one(void **state)
{
    (void)state;
    char path[4096];
    make_file(path, sizeof path);
    run a, b;
    assert_int_equal(parse(&a, path, NULL), CLI_RUN);
    assert_int_equal(parse(&b, "--file", path, NULL), CLI_RUN);
    /* the same run as --file */
    assert_ptr_equal(a.o.file, path);
    assert_ptr_equal(b.o.file, path);
    assert_null(a.o.url);
    assert_int_equal(a.o.kinds, b.o.kinds);
    assert_int_equal(a.o.kinds, DUMP_KIND_ALL); /* a recording's responses included */
    assert_true(!a.o.runtime && !a.o.follow_states && !a.o.follow_events);
    run_free(&a);
    run_free(&b);
    assert_int_equal(parse(&a, "-", "--count", "3", NULL), CLI_RUN);
    assert_string_equal(a.o.file, "-");
    assert_int_equal(a.o.count, 3);
    run_free(&a);

    /* a file operand takes the file options only */
    assert_int_equal(parse(&a, path, "--state-once", NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "--state-once applies to a live endpoint, not to a recording file"));
    run_free(&a);
    assert_int_equal(parse(&a, "--interval", "5", path, NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "--interval applies to a live endpoint"));
    run_free(&a);
    assert_int_equal(parse(&a, "--file", path, path, NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "give either --file PATH or a source operand, not both"));
    run_free(&a);
    assert_int_equal(parse(&a, path, "ws://127.0.0.1:1", NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "unexpected argument 'ws://127.0.0.1:1'"));
    run_free(&a);
    unlink(path);

    /* gone now: neither a URL nor a file, and the message says what to type */
    assert_int_equal(parse(&a, path, NULL), CLI_USAGE);
    char want[sizeof path + 256];
    snprintf(want, sizeof want,
             "peerscope-dump: '%s' is neither a ws:// or wss:// URL nor an existing file (did you mean --file PATH, "
             "or ws://HOST:PORT[/PATH]?)\nTry 'peerscope-dump --help'.\n",
             path);
    assert_string_equal(memout_text(&a.err), want);
    run_free(&a);
    assert_int_equal(parse(&a, "localhost:7878", NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "'localhost:7878' is neither"));
    run_free(&a);
    assert_int_equal(parse(&a, NULL), CLI_USAGE);
    assert_non_null(strstr(memout_text(&a.err), "give a ws:// URL or a recording file"));
    run_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_from_the_option_then_the_environment),
        cmocka_unit_test(test_numbers_name_the_option_and_the_range),
        cmocka_unit_test(test_help_version_unknown_options_and_missing_values),
        cmocka_unit_test(test_urls_are_checked_with_the_command_line),
        cmocka_unit_test(test_an_operand_that_is_an_existing_file_is_read_as_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* peerscope-top's building blocks: the JSON scanner of event contents,
 * the screen grid, the table (sort, filter, layout, scrolling, memory),
 * the command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "tool_test.h"
#include "peerscope/wire.h"
#include "support/test_support.h"
#include "top.h"
#include "top_test_util.h"
#include "top_views.h"

/* ------------------------------------------------------------ json_scan */

static void test_json_scan_members_and_arrays(void **state)
{
    (void)state;
    const char *doc = " {\"a\": 1.5e3, \"b\":\"x\\\"y\\u00e9\\ud83d\\ude00\", \"c\":[1, \"two\", {\"d\":[]}], \"e\":true,"
                      " \"f\":null}  ";
    js_val v, k, x;
    assert_true(js_parse(doc, strlen(doc), &v));
    assert_int_equal(v.kind, JS_OBJECT);
    js_iter it;
    assert_true(js_enter(&v, &it));
    char buf[64];
    assert_true(js_next_member(&it, &k, &x));
    assert_true(js_string_eq(&k, "a"));
    assert_int_equal(x.kind, JS_NUMBER);
    js_text(&x, buf, sizeof buf);
    assert_string_equal(buf, "1.5e3");
    assert_true(js_next_member(&it, &k, &x));
    assert_int_equal(x.kind, JS_STRING);
    js_text(&x, buf, sizeof buf);
    assert_string_equal(buf, "x\"y\xc3\xa9\xf0\x9f\x98\x80");
    assert_true(js_next_member(&it, &k, &x));
    assert_int_equal(x.kind, JS_ARRAY);
    js_iter ai;
    js_val el;
    int n = 0;
    assert_true(js_enter(&x, &ai));
    while (js_next_element(&ai, &el))
        n++;
    assert_int_equal(n, 3);
    assert_false(ai.failed);
    assert_true(js_next_member(&it, &k, &x));
    assert_int_equal(x.kind, JS_TRUE);
    assert_true(js_next_member(&it, &k, &x));
    assert_int_equal(x.kind, JS_NULL);
    assert_false(js_next_member(&it, &k, &x));
    assert_false(it.failed);
}

static void test_json_scan_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "{\"a\":1", "[1,2", "{\"a\" 1}", "\"open", "{\"a\":1}}", "tru",
                                      "[\"\x01\"]", "{]", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        js_val w;
        assert_false(js_parse(bad[i], strlen(bad[i]), &w));
    }
    /* members are checked too, not only the brackets */
    static const char *const bad_members[] = {"{\"a\":1,,\"b\":2}", "{\"a\" 1}", "{1:2}", "[1,]", "{\"a\":}"};
    js_val v;
    for (size_t i = 0; i < sizeof bad_members / sizeof bad_members[0]; i++)
        assert_false(js_parse(bad_members[i], strlen(bad_members[i]), &v));
    /* a walk over a value that was not checked stops at the broken member and says so */
    const char *doc = "{\"a\":1,,\"b\":2}";
    js_val raw = {doc, strlen(doc), JS_OBJECT}, k, x;
    js_iter it;
    assert_true(js_enter(&raw, &it));
    assert_true(js_next_member(&it, &k, &x));
    assert_false(js_next_member(&it, &k, &x));
    assert_true(it.failed);
    /* nesting deeper than the scanner follows is refused, not overflowed */
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    assert_false(js_parse(deep, sizeof deep, &v));
}

static void test_json_text_cuts_on_character_boundaries(void **state)
{
    (void)state;
    const char *doc = "\"ab\xe2\x82\xac\"";
    js_val v;
    assert_true(js_parse(doc, strlen(doc), &v));
    char buf[5];
    assert_int_equal(js_text(&v, buf, sizeof buf), 2); /* the euro sign does not fit whole */
    assert_string_equal(buf, "ab");
    const char *lone = "\"\\ud800x\"";
    assert_true(js_parse(lone, strlen(lone), &v));
    char out[16];
    js_text(&v, out, sizeof out);
    assert_string_equal(out, "\xef\xbf\xbdx");
}

/* --------------------------------------------------------------- screen */

static void test_screen_sanitizes_and_cuts(void **state)
{
    (void)state;
    top_screen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(scr_resize(&s, 20, 3, NULL), PSC_OK);
    char buf[128];
    s.utf8 = true;
    scr_text(&s, 0, 0, -1, "a\tb\x1b[31mc\xff\xc2\x9b", 0, false);
    row(&s, 0, buf);
    assert_string_equal(buf, "a?b?[31mc??"); /* no escape sequence reaches the terminal */
    scr_text(&s, 1, 0, 8, "abcdefghijkl", 0, true);
    row(&s, 1, buf);
    assert_string_equal(buf, "abcdefg\xe2\x80\xa6");
    s.utf8 = false;
    scr_clear(&s);
    scr_text(&s, 0, 0, -1, "caf\xc3\xa9", 0, false);
    scr_text(&s, 1, 0, 4, "abcdef", 0, true);
    row(&s, 0, buf);
    assert_string_equal(buf, "caf?");
    row(&s, 1, buf);
    assert_string_equal(buf, "abc~");
    assert_int_equal(scr_width(&s, "\xe2\x82\xac"), 1);
    scr_free(&s);
}

static void test_screen_sparkline_and_bar(void **state)
{
    (void)state;
    top_screen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(scr_resize(&s, 10, 2, NULL), PSC_OK);
    double v[] = {0, 1, 2, 4, 8};
    s.utf8 = false;
    scr_sparkline(&s, 0, 0, 6, v, 5, 0);
    char buf[64];
    row(&s, 0, buf);
    assert_string_equal(buf, " _.:=#");
    s.utf8 = true;
    scr_sparkline(&s, 0, 0, 3, v, 5, 0); /* only the newest fit */
    row(&s, 0, buf);
    assert_memory_equal(buf, "\xe2\x96\x83\xe2\x96\x85\xe2\x96\x88", 9);
    scr_bar(&s, 1, 0, 10, 3, 8);
    row(&s, 1, buf);
    assert_string_equal(buf, "[###-----]");
    scr_free(&s);
}

/* ---------------------------------------------------------------- table */

static const top_col tcols[] = {
    {"NAME", 4, 10, false, 0, false},
    {"N", 3, 5, true, 0, false},
    {"EXTRA", 5, 10, false, 1, false},
};

static void fill(top_table *t, bool must)
{
    static const char *const names[] = {"delta", "Alpha", "charlie", "bravo"};
    static const int nums[] = {3, 1, 3, 2};
    table_reset(t, tcols, 3);
    for (int i = 0; i < 4; i++) {
        bool added = table_add_row(t);
        if (must)
            assert_true(added);
        table_set(t, 0, names[i], 0);
        table_setf(t, 1, nums[i], "%d", nums[i]);
        table_set(t, 2, "x", 0);
        if (i == 3)
            table_set_search(t, "hidden-needle");
    }
}

static void order_names(const top_table *t, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < t->norder && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", table_cell(t, t->order[i], 0));
}

static void test_table_sort_filter_and_layout(void **state)
{
    (void)state;
    top_table t;
    table_init(&t, NULL);
    top_view_state vs = {-1, false, "", 0, 0};
    char got[128];
    fill(&t, true);
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "delta,Alpha,charlie,bravo");
    vs.sort_col = 0; /* text, case-insensitive */
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "Alpha,bravo,charlie,delta");
    vs.sort_col = 1;
    vs.sort_desc = true; /* ties keep the reported order */
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "delta,charlie,bravo,Alpha");
    vs.sort_desc = false;
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "Alpha,bravo,delta,charlie");

    strcpy(vs.filter, "AR"); /* charlie */
    vs.cursor = 3;
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "charlie");
    assert_int_equal(vs.cursor, 0);
    strcpy(vs.filter, "needle"); /* the hidden search text */
    table_finish(&t, &vs);
    order_names(&t, got, sizeof got);
    assert_string_equal(got, "bravo");
    vs.filter[0] = 0;

    /* narrow: EXTRA (droppable) goes, the others stay */
    top_screen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(scr_resize(&s, 40, 6, NULL), PSC_OK);
    table_finish(&t, &vs);
    table_draw(&t, &vs, &s, 0, 6, 12);
    char line[256];
    row(&s, 0, line);
    assert_string_equal(line, "NAME     N^");
    row(&s, 1, line);
    assert_string_equal(line, "Alpha     1");
    scr_clear(&s);
    table_draw(&t, &vs, &s, 0, 6, 40);
    row(&s, 0, line);
    assert_string_equal(line, "NAME     N^ EXTRA");
    scr_free(&s);
    table_free(&t);
}

static void test_table_scrolls_to_the_cursor(void **state)
{
    (void)state;
    top_table t;
    table_init(&t, NULL);
    table_reset(&t, tcols, 2);
    for (int i = 0; i < 50; i++) {
        table_add_row(&t);
        table_setf(&t, 0, 0, "row%02d", i);
        table_setf(&t, 1, i, "%d", i);
    }
    top_view_state vs = {-1, false, "", 40, 0};
    top_screen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(scr_resize(&s, 20, 10, NULL), PSC_OK);
    table_finish(&t, &vs);
    table_draw(&t, &vs, &s, 0, 10, 20);
    assert_int_equal(vs.scroll, 32); /* 9 rows shown, the 41st last */
    char line[128];
    row(&s, 9, line);
    assert_string_equal(line, "row40  40");
    scr_free(&s);
    table_free(&t);
}

static psc_err table_body(void *arg, psc_test_alloc *a)
{
    (void)arg;
    top_table t;
    table_init(&t, &a->iface);
    fill(&t, false);
    top_view_state vs = {1, true, "", 0, 0};
    table_finish(&t, &vs);
    bool oom = t.oom;
    size_t shown = t.norder;
    table_free(&t);
    if (oom)
        return PSC_ERR_NOMEM;
    assert_int_equal(shown, 4);
    return PSC_OK;
}

static void test_table_out_of_memory_is_flagged(void **state)
{
    (void)state;
    assert_true(psc_test_each_alloc_fails(table_body, NULL, 100) > 1);
}

/* ------------------------------------------------------------ options */

/* Parse "peerscope-top WORDS..." (NULL-terminated); stderr into err (freed by the caller). */
static cli_status top_parse(top_opts *o, memout *err, ...)
{
    char *argv[48];
    va_list ap;
    va_start(ap, err);
    int argc = test_argv(argv, 48, "peerscope-top", ap);
    va_end(ap);
    memout out;
    cli_status st = top_opts_parse(argc, argv, o, memout_open(&out), memout_open(err));
    memout_free(&out);
    return st;
}

static void test_top_options_share_the_common_line_and_take_urls_only(void **state)
{
    (void)state;
    top_opts o;
    memout err;
    unsetenv("PEERSCOPE_TOKEN");
    assert_int_equal(top_parse(&o, &err, "ws://127.0.0.1:1", "wss://node.example/x", NULL), CLI_RUN);
    assert_int_equal(o.n_urls, 2);
    assert_string_equal(o.urls[1], "wss://node.example/x");
    assert_int_equal(o.interval_ms, 1000); /* the default without --interval */
    assert_null(o.conn.token);
    memout_free(&err);

    setenv("PEERSCOPE_TOKEN", "env-token", 1);
    assert_int_equal(top_parse(&o, &err, "--interval", "250", "--batch", "--width", "80", "--view", "dht",
                               "ws://127.0.0.1:1", NULL),
                     CLI_RUN);
    assert_int_equal(o.interval_ms, 250);
    assert_string_equal(o.conn.token, "env-token");
    assert_true(o.batch);
    assert_int_equal(o.batch_width, 80);
    assert_int_equal(o.view, VIEW_DHT);
    memout_free(&err);
    unsetenv("PEERSCOPE_TOKEN");

    static const struct {
        const char *a, *b, *message;
    } bad[] = {
        {"--width", "39", "peerscope-top: --width must be from 40 to 1000 (got '39')\n"},
        {"--timeout", "0", "peerscope-top: --timeout must be more than 0 and at most 3600 seconds (got '0')\n"},
        {"--view", "nope", "peerscope-top: --view wants conns, streams, dht, pubsub, peers, limits, events, alerts or "
                           "fleet (got 'nope')\n"},
        {"--interval", "x", "peerscope-top: --interval wants a whole number, from 1 to 3600000 (got 'x')\n"},
        {"sample.mock", NULL, "peerscope-top: not a ws:// or wss:// URL: 'sample.mock' (expected "
                              "ws://HOST[:PORT][/PATH] or wss://...)\n"},
        {"--frob", NULL, "peerscope-top: unknown option: --frob\nTry 'peerscope-top --help'.\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(top_parse(&o, &err, "ws://127.0.0.1:1", bad[i].a, bad[i].b, NULL), CLI_USAGE);
        assert_string_equal(memout_text(&err), bad[i].message);
        memout_free(&err);
    }
    assert_int_equal(top_parse(&o, &err, NULL), CLI_USAGE);
    assert_string_equal(memout_text(&err),
                        "peerscope-top: give the URL of at least one node\nTry 'peerscope-top --help'.\n");
    memout_free(&err);

    char *argv[TOP_MAX_NODES + 2] = {"peerscope-top"};
    for (int i = 1; i <= TOP_MAX_NODES + 1; i++)
        argv[i] = "ws://127.0.0.1:1";
    memout out;
    assert_int_equal(top_opts_parse(TOP_MAX_NODES + 2, argv, &o, memout_open(&out), memout_open(&err)), CLI_USAGE);
    assert_non_null(strstr(memout_text(&err), "at most 32 URLs"));
    memout_free(&err);
    memout_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_scan_members_and_arrays),
        cmocka_unit_test(test_json_scan_rejects_malformed),
        cmocka_unit_test(test_json_text_cuts_on_character_boundaries),
        cmocka_unit_test(test_screen_sanitizes_and_cuts),
        cmocka_unit_test(test_screen_sparkline_and_bar),
        cmocka_unit_test(test_table_sort_filter_and_layout),
        cmocka_unit_test(test_table_scrolls_to_the_cursor),
        cmocka_unit_test(test_table_out_of_memory_is_flagged),
        cmocka_unit_test(test_top_options_share_the_common_line_and_take_urls_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * peerscope-top without a terminal: the JSON scanner, the screen grid,
 * the table, the model (fed the 2020 vector recordings, and with every
 * allocation failing in turn), whole frames and the keys.
 */
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
#include "peerscope/wire.h"
#include "support/test_support.h"
#include "top.h"
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
        js_val v;
        assert_false(js_parse(bad[i], strlen(bad[i]), &v));
    }
    /* a broken member stops the walk and says so */
    const char *doc = "{\"a\":1,,\"b\":2}";
    js_val v, k, x;
    js_iter it;
    assert_true(js_parse(doc, strlen(doc), &v));
    js_enter(&v, &it);
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

static void row(const top_screen *s, int y, char *buf)
{
    scr_row_text(s, y, buf, 4 * (size_t)s->w + 1);
}

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
    assert_memory_equal(buf, "\xe2\x96\x84\xe2\x96\x85\xe2\x96\x88", 9);
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

static void fill(top_table *t)
{
    static const char *const names[] = {"delta", "Alpha", "charlie", "bravo"};
    static const int nums[] = {3, 1, 3, 2};
    table_reset(t, tcols, 3);
    for (int i = 0; i < 4; i++) {
        assert_true(table_add_row(t));
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
    fill(&t);
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
    assert_string_equal(line, "NAME       N^");
    row(&s, 1, line);
    assert_string_equal(line, "Alpha      1");
    scr_clear(&s);
    table_draw(&t, &vs, &s, 0, 6, 40);
    row(&s, 0, line);
    assert_string_equal(line, "NAME       N^ EXTRA");
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
    assert_string_equal(line, "row40   40");
    scr_free(&s);
    table_free(&t);
}

static psc_err table_body(void *arg, psc_test_alloc *a)
{
    (void)arg;
    top_table t;
    table_init(&t, &a->iface);
    fill(&t);
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

/* ---------------------------------------------------------------- model */

typedef struct vec {
    uint8_t **msgs;
    size_t *lens;
    size_t n;
} vec;

static void load_vector(const char *name, vec *v)
{
    FILE *f = fopen(psc_test_vector_path(name), "rb");
    assert_non_null(f);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    memset(v, 0, sizeof *v);
    const uint8_t *p;
    size_t len;
    psc_err e;
    while ((e = psc_recording_next(r, &p, &len)) == PSC_OK) {
        v->msgs = realloc(v->msgs, (v->n + 1) * sizeof *v->msgs);
        v->lens = realloc(v->lens, (v->n + 1) * sizeof *v->lens);
        v->msgs[v->n] = malloc(len ? len : 1);
        memcpy(v->msgs[v->n], p, len);
        v->lens[v->n++] = len;
    }
    assert_int_equal(e, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

static void free_vector(vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->msgs[i]);
    free(v->msgs);
    free(v->lens);
}

static void test_model_from_the_1min_recording(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-1min.mock", &v);
    top_model m;
    top_model_init(&m, NULL, 0);
    for (size_t i = 0; i < v.n; i++)
        assert_int_equal(top_model_apply(&m, v.msgs[i], v.lens[i], 1000 + i), PSC_OK);
    assert_int_equal(m.messages_total, 969);
    assert_int_equal(m.states_total, 30);
    assert_int_equal(m.events_total, 937);
    assert_int_equal(m.ev_count, 937);
    assert_int_equal(m.hist_len, 30);
    const Peerscope__Runtime *rt = top_model_runtime(&m);
    assert_non_null(rt);
    assert_string_equal(rt->peer_id, "8de3166db28fddb199f05be0acea65772e7a1b289086902160d1060e83dac2fd");
    assert_int_equal(m.n_types, 4);
    size_t in = top_model_find_type(&m, "InboundDHTQuery"), out = top_model_find_type(&m, "OutboundDHTQuery");
    assert_int_not_equal(in, (size_t)-1);
    assert_int_equal(m.types[in].count, 465);
    assert_int_equal(m.types[out].count, 462);
    assert_int_equal(m.types[top_model_find_type(&m, "PeerDisconnecting")].count, 6);
    assert_true(m.types[out].props_known);
    assert_int_equal(m.types[out].n_props, 4);
    assert_true(m.types[out].props[3].multiple);
    /* the derived values agree with the last state */
    const Peerscope__State *st = top_model_state(&m);
    assert_non_null(st);
    assert_int_equal(m.n_conns, st->subsystems->n_connections);
    assert_int_equal(m.conns_open + m.conns_closed, m.n_conns);
    assert_true(m.peers <= m.conns_open);
    assert_int_equal(top_model_apply(&m, (const uint8_t *)"\xff\xff\xff", 3, 0), PSC_ERR_PROTOCOL);
    assert_int_equal(m.rejected, 1);
    top_model_free(&m);
    free_vector(&v);
}

static void test_model_event_ring_keeps_the_newest(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-dht-2min.mock", &v);
    top_model m;
    top_model_init(&m, NULL, 100);
    for (size_t i = 0; i < v.n; i++)
        assert_int_equal(top_model_apply(&m, v.msgs[i], v.lens[i], 0), PSC_OK);
    assert_int_equal(m.events_total, 535);
    assert_int_equal(m.ev_count, 100);
    assert_int_equal(m.states_total, 60);
    const Peerscope__State *st = top_model_state(&m);
    assert_non_null(st->subsystems->dht);
    /* the last event kept is the last in the file */
    const top_event *last = top_model_event(&m, 99);
    Peerscope__ServerMessage *lm = NULL;
    for (size_t i = v.n; i-- > 0 && !lm;) {
        Peerscope__ServerMessage *x = peerscope__server_message__unpack(NULL, v.lens[i], v.msgs[i]);
        if (x->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT)
            lm = x;
        else
            peerscope__server_message__free_unpacked(x, NULL);
    }
    assert_string_equal(last->content, lm->event->content);
    peerscope__server_message__free_unpacked(lm, NULL);
    assert_null(top_model_event(&m, 100));
    top_model_free(&m);
    free_vector(&v);
}

typedef struct fault_arg {
    vec *v;
    size_t n; /* messages applied */
} fault_arg;

/* Apply messages with allocations failing; each failure must leave the
 * model as it was, so applying the same message again must work. */
static psc_err model_body(void *arg, psc_test_alloc *a)
{
    fault_arg *fa = arg;
    top_model m;
    top_model_init(&m, &a->iface, 8);
    psc_err first = PSC_OK;
    uint64_t ok = 0;
    for (size_t i = 0; i < fa->n; i++) {
        psc_err e = top_model_apply(&m, fa->v->msgs[i], fa->v->lens[i], 0);
        if (e == PSC_ERR_NOMEM) {
            if (!first)
                first = e;
            uint64_t before = m.messages_total;
            a->fail_at = 0; /* memory is back: the same message goes in */
            assert_int_equal(top_model_apply(&m, fa->v->msgs[i], fa->v->lens[i], 0), PSC_OK);
            assert_int_equal(m.messages_total, before + 1);
        } else {
            assert_int_equal(e, PSC_OK);
        }
        ok++;
    }
    assert_int_equal(ok, fa->n);
    assert_int_equal(m.messages_total, fa->n);
    top_model_free(&m);
    return first;
}

static void test_model_survives_every_allocation_failure(void **state)
{
    (void)state;
    vec v;
    load_vector("sample-dht-2min.mock", &v);
    fault_arg fa = {&v, 40}; /* runtime, states with DHT buckets, events */
    assert_true(psc_test_each_alloc_fails(model_body, &fa, 100000) > 10);
    free_vector(&v);
}

/* ---------------------------------------------------------------- frame */

typedef struct fixture {
    top_app app;
    top_node node;
    vec v;
} fixture;

static int frame_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    load_vector("sample-dht-2min.mock", &f->v);
    top_app *app = &f->app;
    app->nodes = &f->node;
    app->n_nodes = 1;
    app->interval_ms = 1000;
    app->event_focus = (size_t)-1;
    for (int i = 0; i < VIEW_COUNT; i++) {
        app->vs[i].sort_col = top_view_defs[i].default_sort;
        app->vs[i].sort_desc = top_view_defs[i].default_desc;
    }
    table_init(&app->table, NULL);
    f->node.app = app;
    f->node.url = "ws://127.0.0.1:1/introspect";
    f->node.phase = NODE_OPEN;
    top_model_init(&f->node.model, NULL, 0);
    for (size_t i = 0; i < f->v.n; i++)
        top_model_apply(&f->node.model, f->v.msgs[i], f->v.lens[i], 0);
    *state = f;
    return 0;
}

static int frame_teardown(void **state)
{
    fixture *f = *state;
    top_model_free(&f->node.model);
    table_free(&f->app.table);
    scr_free(&f->app.scr);
    free_vector(&f->v);
    free(f);
    return 0;
}

/* Render and return the whole frame as text (static buffer). */
static const char *render(fixture *f, int w, int h)
{
    static char text[200 * 1024];
    assert_int_equal(scr_resize(&f->app.scr, w, h, NULL), PSC_OK);
    f->app.scr.utf8 = true;
    top_frame_draw(&f->app, 1000, 1600000000000ull);
    size_t o = 0;
    for (int y = 0; y < h; y++) {
        scr_row_text(&f->app.scr, y, text + o, sizeof text - o);
        o += strlen(text + o);
        text[o++] = '\n';
    }
    text[o] = 0;
    return text;
}

static void test_frame_every_view_at_80x24_and_120x40(void **state)
{
    fixture *f = *state;
    static const char *const expect[VIEW_COUNT] = {"REMOTE ADDR", "PROTOCOL", "CPL", "TOPIC", "PEER", "SCOPE",
                                                   "DETAILS"};
    static const char *const footer = "1Conns 2Streams 3DHT 4PubSub 5Peers 6Limits 7Events";
    for (int v = 0; v < VIEW_COUNT; v++) {
        f->app.view = (top_view_id)v;
        const char *big = render(f, 120, 40);
        assert_non_null(strstr(big, "peer 8de3166db28fddb199f05be0acea65772e7a1b289086902160d1060e83dac2fd"));
        assert_non_null(strstr(big, "go-libp2p"));
        assert_non_null(strstr(big, "connected"));
        assert_non_null(strstr(big, expect[v]));
        assert_non_null(strstr(big, footer));
        const char *small = render(f, 80, 24);
        assert_non_null(strstr(small, "peerscope-top"));
        assert_non_null(strstr(small, expect[v]));
        /* nothing is written past column 80 */
        for (const char *p = small; *p;) {
            const char *nl = strchr(p, '\n');
            size_t cols = 0;
            for (const char *q = p; q < nl; q++)
                cols += ((unsigned char)*q & 0xc0) != 0x80;
            assert_true(cols <= 80);
            p = nl + 1;
        }
    }
    /* the DHT view of the 2-minute recording lists its buckets */
    f->app.view = VIEW_DHT;
    const char *dht = render(f, 120, 40);
    assert_non_null(strstr(dht, "/ipfs/kad/1.0.0"));
}

static void test_frame_help_small_terminal_and_disconnected(void **state)
{
    fixture *f = *state;
    f->app.help = true;
    assert_non_null(strstr(render(f, 80, 24), "peerscope-top keys"));
    f->app.help = false;
    assert_non_null(strstr(render(f, 30, 5), "terminal too small"));
    f->node.phase = NODE_WAITING;
    f->node.close_err = PSC_ERR_IO;
    f->node.ever_data = true;
    f->node.retry_at = 1000 + 3500;
    const char *t = render(f, 80, 24);
    assert_non_null(strstr(t, "disconnected (connection lost), retrying in 4s"));
    f->node.phase = NODE_OPEN;
}

static void test_keys_sort_filter_views_and_pause(void **state)
{
    fixture *f = *state;
    top_app *app = &f->app;
    app->view = VIEW_CONNS;
    render(f, 120, 40);
    int col = app->vs[VIEW_CONNS].sort_col;
    top_key(app, 's');
    assert_int_equal(app->vs[VIEW_CONNS].sort_col, col + 1);
    top_key(app, '<');
    assert_int_equal(app->vs[VIEW_CONNS].sort_col, col);
    bool desc = app->vs[VIEW_CONNS].sort_desc;
    top_key(app, 'r');
    assert_int_equal(app->vs[VIEW_CONNS].sort_desc, !desc);

    top_key(app, '/');
    assert_true(app->editing_filter);
    top_key(app, 'z');
    top_key(app, 'q'); /* typed into the filter, not quitting */
    assert_false(app->quit);
    assert_string_equal(app->vs[VIEW_CONNS].filter, "zq");
    top_key(app, KEY_BACKSPACE);
    top_key(app, 27); /* Esc: the filter goes back to what it was */
    assert_false(app->editing_filter);
    assert_string_equal(app->vs[VIEW_CONNS].filter, "");
    top_key(app, '/');
    top_key(app, 'Q');
    top_key(app, '\n');
    assert_string_equal(app->vs[VIEW_CONNS].filter, "Q");
    assert_non_null(strstr(render(f, 120, 40), "filter: Q"));
    top_key(app, 27);
    assert_string_equal(app->vs[VIEW_CONNS].filter, "");

    top_key(app, '3');
    assert_int_equal(app->view, VIEW_DHT);
    top_key(app, 'e');
    assert_int_equal(app->view, VIEW_EVENTS);
    render(f, 120, 40);
    top_key(app, KEY_DOWN);
    top_key(app, '\n'); /* typed columns of the selected event's type */
    assert_int_not_equal(app->event_focus, (size_t)-1);
    const char *typed = render(f, 160, 40);
    assert_non_null(strstr(typed, "totalTimeMs"));
    top_key(app, 27);
    assert_int_equal(app->event_focus, (size_t)-1);

    f->node.phase = NODE_WAITING; /* no client: the command waits for the next session */
    top_key(app, 'p');
    assert_true(app->paused);
    assert_non_null(strstr(render(f, 80, 24), "PAUSED"));
    top_key(app, 'p');
    assert_false(app->paused);
    top_key(app, '+');
    assert_int_equal(app->interval_ms, 2000);
    top_key(app, '-');
    top_key(app, '-');
    assert_int_equal(app->interval_ms, 500);
    f->node.phase = NODE_OPEN;

    top_key(app, '?');
    assert_true(app->help);
    top_key(app, 'x');
    assert_false(app->help);
    top_key(app, 'q');
    assert_true(app->quit);
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
        cmocka_unit_test(test_model_from_the_1min_recording),
        cmocka_unit_test(test_model_event_ring_keeps_the_newest),
        cmocka_unit_test(test_model_survives_every_allocation_failure),
        cmocka_unit_test_setup_teardown(test_frame_every_view_at_80x24_and_120x40, frame_setup, frame_teardown),
        cmocka_unit_test_setup_teardown(test_frame_help_small_terminal_and_disconnected, frame_setup,
                                        frame_teardown),
        cmocka_unit_test_setup_teardown(test_keys_sort_filter_views_and_pause, frame_setup, frame_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

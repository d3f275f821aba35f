/* peerscope-top with a host that has analyzers: States carrying alerts and
 * milestones (packed, then applied through the model's decoder, as from the
 * wire), the header's alert count and durations, the alerts view and its
 * key; a 2020 state shows none of it; and a frame drawn from a recording
 * file written with the library's encoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerscope/wire.h"
#include "support/test_support.h"
#include "top.h"
#include "top_alerts.h"
#include "top_test_util.h"
#include "top_views.h"

#define WALL 1700000060000ull
#define PEER "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
#define MISSING "12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"

/* ------------------------------------------------------------ messages */

typedef struct alert_spec {
    const char *rule, *kind, *subject, *subject_kind, *message;
    Peerscope__Alert__Severity severity;
    double value, threshold;
    uint64_t since;
} alert_spec;

static const alert_spec ALERTS[] = {
    {"mesh-low", "mesh_low", "blocks", "topic", "mesh of blocks has 2 peers (D_low 4)",
     PEERSCOPE__ALERT__SEVERITY__WARNING, 2, 4, WALL - 40000},
    {"expected-peer", "expected_peers", MISSING, "peer", "expected peer is not connected",
     PEERSCOPE__ALERT__SEVERITY__CRITICAL, 0, 1, WALL - 90000},
    {"scope-full", "resource_scope", "system", "scope", "system scope at 91% of its streams",
     PEERSCOPE__ALERT__SEVERITY__INFO, 0.906, 0.9, WALL - 5000},
    {"stream-leak", "stream_leak", "/ipfs/kad/1.0.0", "protocol", "streams grew for 12 snapshots",
     PEERSCOPE__ALERT__SEVERITY__WARNING, 118, 100, WALL - 20000},
};
#define N_ALERTS (sizeof ALERTS / sizeof ALERTS[0])

typedef struct ms_spec {
    const char *name, *from;
    uint64_t duration;
} ms_spec;

/* Pack a ServerMessage; the caller frees *out. */
static size_t pack(const Peerscope__ServerMessage *m, uint8_t **out)
{
    size_t n = peerscope__server_message__get_packed_size(m);
    *out = malloc(n ? n : 1);
    assert_non_null(*out);
    peerscope__server_message__pack(m, *out);
    return n;
}

/* A State at WALL with n_alerts of ALERTS and the given milestones, packed. */
static size_t state_bytes(size_t n_alerts, const ms_spec *ms, size_t n_ms, uint8_t **out)
{
    Peerscope__Alert a[N_ALERTS], *ap[N_ALERTS];
    for (size_t i = 0; i < n_alerts; i++) {
        peerscope__alert__init(&a[i]);
        a[i].rule = (char *)ALERTS[i].rule;
        a[i].kind = (char *)ALERTS[i].kind;
        a[i].severity = ALERTS[i].severity;
        a[i].subject = (char *)ALERTS[i].subject;
        a[i].subject_kind = (char *)ALERTS[i].subject_kind;
        a[i].value = ALERTS[i].value;
        a[i].threshold = ALERTS[i].threshold;
        a[i].since_ts = ALERTS[i].since;
        a[i].firing_ts = ALERTS[i].since + 1000;
        a[i].message = (char *)ALERTS[i].message;
        ap[i] = &a[i];
    }
    Peerscope__Milestone m[8], *mp[8];
    assert_true(n_ms <= 8);
    for (size_t i = 0; i < n_ms; i++) {
        peerscope__milestone__init(&m[i]);
        m[i].name = (char *)ms[i].name;
        m[i].from = (char *)ms[i].from;
        m[i].duration_ms = ms[i].duration;
        m[i].reached_ts = WALL - 60000 + ms[i].duration;
        mp[i] = &m[i];
    }
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    st.instant_ts = WALL;
    st.start_ts = WALL - 60000;
    st.n_alerts = n_alerts;
    st.alerts = ap;
    st.n_milestones = n_ms;
    st.milestones = mp;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &st;
    return pack(&sm, out);
}

static size_t runtime_bytes(const ms_spec *ms, size_t n_ms, uint8_t **out)
{
    Peerscope__Milestone m[8], *mp[8];
    for (size_t i = 0; i < n_ms; i++) {
        peerscope__milestone__init(&m[i]);
        m[i].name = (char *)ms[i].name;
        m[i].duration_ms = ms[i].duration;
        mp[i] = &m[i];
    }
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    rt.peer_id = PEER;
    rt.implementation = "test-host";
    rt.version = "1.0";
    rt.start_ts = WALL - 60000;
    rt.n_milestones = n_ms;
    rt.milestones = mp;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    sm.runtime = &rt;
    return pack(&sm, out);
}

static void apply(top_model *m, size_t n, uint8_t *bytes)
{
    assert_int_equal(top_model_apply(m, bytes, n, 1), PSC_OK);
    free(bytes);
}

static const ms_spec MILESTONES[] = {
    {"identity", "", 12},        {"first_listen", "", 41},        {"first_peer", "", 850},
    {"peers_8", "", 2430},       {"peers_25", "", 14200},         {"sync_started", "", 3010},
    {"sync_completed", "sync_started", 8480},
};
#define N_MS (sizeof MILESTONES / sizeof MILESTONES[0])

/* ------------------------------------------------------------ the model */

static void test_counts_and_milestones_from_a_state(void **state)
{
    (void)state;
    top_model m;
    top_model_init(&m, NULL, 0);
    top_alert_counts c = top_alerts_count(&m);
    assert_int_equal(c.total, 0); /* no state yet */
    assert_null(top_milestone(&m, "first_peer"));
    uint8_t *b;
    size_t n = runtime_bytes(MILESTONES, 1, &b); /* the runtime knows identity only */
    apply(&m, n, b);
    assert_non_null(top_milestone(&m, "identity"));
    assert_null(top_milestone(&m, "first_peer"));
    n = state_bytes(N_ALERTS, MILESTONES, N_MS, &b);
    apply(&m, n, b);
    c = top_alerts_count(&m);
    assert_int_equal(c.total, 4);
    assert_int_equal(c.critical, 1);
    assert_int_equal(c.warning, 2);
    assert_int_equal(c.info, 1);
    const Peerscope__Milestone *fp = top_milestone(&m, "first_peer");
    assert_non_null(fp);
    assert_int_equal(fp->duration_ms, 850);
    unsigned np = 0;
    const Peerscope__Milestone *most = top_milestone_most_peers(&m, &np);
    assert_non_null(most);
    assert_int_equal(np, 25);
    assert_int_equal(most->duration_ms, 14200);
    char line[160];
    top_durations_line(&m, line, sizeof line);
    assert_string_equal(line, "first peer 850ms  25 peers 14.2s  sync 8.48s");

    /* only sync_started reached, and no peers_N */
    static const ms_spec early[] = {{"first_peer", "", 850}, {"sync_started", "", 3010}, {"peers_x", "", 1}};
    n = state_bytes(0, early, 3, &b);
    apply(&m, n, b);
    assert_int_equal(top_alerts_count(&m).total, 0);
    assert_null(top_milestone_most_peers(&m, &np));
    top_durations_line(&m, line, sizeof line);
    assert_string_equal(line, "first peer 850ms  syncing since 3.01s");
    /* a state without milestones: the runtime's */
    n = state_bytes(0, NULL, 0, &b);
    apply(&m, n, b);
    assert_non_null(top_milestone(&m, "identity"));
    top_durations_line(&m, line, sizeof line);
    assert_string_equal(line, "");
    top_model_free(&m);

    char t[32];
    fmt_took(t, sizeof t, 0);
    assert_string_equal(t, "0ms");
    fmt_took(t, sizeof t, 9999);
    assert_string_equal(t, "10.00s");
    fmt_took(t, sizeof t, 12500);
    assert_string_equal(t, "12.5s");
    assert_string_equal(top_severity_name(PEERSCOPE__ALERT__SEVERITY__CRITICAL), "critical");
    assert_string_equal(top_severity_name(7), "info");
}

/* ------------------------------------------------------------ frames */

typedef struct fixture {
    top_app app;
    top_node node;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    test_app_init(&f->app, &f->node, 1, "ws://127.0.0.1:1/introspect");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    top_model_free(&f->node.model);
    table_free(&f->app.table);
    scr_free(&f->app.scr);
    free(f);
    return 0;
}

/* Draw a w x h frame; returns row y of it (static buffer, valid until the next call). */
static const char *frame_row(fixture *f, int w, int h, int y)
{
    static char buf[4 * 1000 + 1];
    assert_int_equal(scr_resize(&f->app.scr, w, h, NULL), PSC_OK);
    f->app.scr.utf8 = true;
    top_frame_draw(&f->app, 1000, WALL);
    row(&f->app.scr, y, buf);
    return buf;
}

/* Columns of a row of UTF-8 text. */
static size_t cols(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The first table row (line 5) whose text contains needle, or -1. */
static int find_row(fixture *f, int w, int h, const char *needle)
{
    for (int y = 5; y < h - 2; y++)
        if (strstr(frame_row(f, w, h, y), needle))
            return y;
    return -1;
}

static void feed_alerting(fixture *f)
{
    uint8_t *b;
    size_t n = runtime_bytes(NULL, 0, &b);
    apply(&f->node.model, n, b);
    n = state_bytes(N_ALERTS, MILESTONES, N_MS, &b);
    apply(&f->node.model, n, b);
}

static void test_header_shows_alerts_and_durations(void **state)
{
    fixture *f = *state;
    feed_alerting(f);
    const char *l1 = frame_row(f, 120, 40, 1);
    assert_non_null(strstr(l1, "peer " PEER));
    assert_non_null(strstr(l1, "up 1m00s"));
    assert_non_null(strstr(l1, "first peer 850ms  25 peers 14.2s  sync 8.48s"));
    const char *l2 = frame_row(f, 120, 40, 2);
    assert_non_null(strstr(l2, "ALERTS 4 (1 critical)"));
    /* red and bold: the count is seen first */
    assert_int_equal(f->app.scr.cells[2 * f->app.scr.w + (int)(strstr(l2, "ALERTS") - l2)].attr & 7, SCR_RED);

    /* 80 columns: the peer id is shortened so that the durations stay whole */
    l1 = frame_row(f, 80, 24, 1);
    assert_true(cols(l1) <= 80);
    assert_non_null(strstr(l1, "first peer 850ms  25 peers 14.2s  sync 8.48s"));
    assert_null(strstr(l1, PEER));
    assert_non_null(strstr(l1, "12D3KooW"));
    l2 = frame_row(f, 80, 24, 2);
    assert_true(cols(l2) <= 80);
    assert_non_null(strstr(l2, "ALERTS 4 (1 critical)"));

    /* warnings only: lower case, yellow */
    uint8_t *b;
    size_t n = state_bytes(1, NULL, 0, &b);
    apply(&f->node.model, n, b);
    l2 = frame_row(f, 120, 40, 2);
    assert_non_null(strstr(l2, "alerts 1"));
    assert_null(strstr(l2, "critical"));
    /* none firing: nothing is said */
    n = state_bytes(0, NULL, 0, &b);
    apply(&f->node.model, n, b);
    assert_null(strstr(frame_row(f, 120, 40, 2), "lert"));
}

static void test_alerts_view_key_rows_sort_and_filter(void **state)
{
    fixture *f = *state;
    feed_alerting(f);
    top_app *app = &f->app;
    frame_row(f, 120, 40, 0);
    top_key(app, '!');
    assert_int_equal(app->view, VIEW_ALERTS);
    top_key(app, '1');
    top_key(app, '8');
    assert_int_equal(app->view, VIEW_ALERTS);
    assert_non_null(strstr(frame_row(f, 120, 40, 3), "4 firing: 1 critical, 2 warning, 1 info"));
    const char *head = frame_row(f, 120, 40, 4);
    assert_non_null(strstr(head, "SEVERITY"));
    assert_non_null(strstr(head, "RULE"));
    assert_non_null(strstr(head, "SUBJECT"));
    assert_non_null(strstr(head, "THRESHOLD"));
    /* the worst first, then the warnings, info last */
    assert_non_null(strstr(frame_row(f, 120, 40, 5), "critical"));
    assert_non_null(strstr(frame_row(f, 120, 40, 5), "expected-peer"));
    assert_non_null(strstr(frame_row(f, 120, 40, 6), "warning"));
    assert_non_null(strstr(frame_row(f, 120, 40, 7), "warning"));
    assert_non_null(strstr(frame_row(f, 120, 40, 8), "info"));
    assert_non_null(strstr(frame_row(f, 120, 40, 8), "0.906"));
    assert_non_null(strstr(frame_row(f, 120, 40, 8), "0.9 "));
    assert_int_equal(app->table.nrows, N_ALERTS);
    /* the peer subject is shortened; its age is since the condition began */
    const char *peer_row = frame_row(f, 120, 40, 5);
    assert_null(strstr(peer_row, MISSING));
    assert_non_null(strstr(peer_row, "12D3KooWJW"));
    assert_non_null(strstr(peer_row, "1m30s"));
    int y = find_row(f, 120, 40, "mesh-low");
    assert_true(y > 0);
    assert_non_null(strstr(frame_row(f, 120, 40, y), "blocks"));
    assert_non_null(strstr(frame_row(f, 120, 40, y), "mesh of blocks has 2 peers"));

    /* the filter finds an alert by its whole peer id */
    top_key(app, '/');
    for (const char *p = MISSING + 30; *p; p++)
        top_key(app, *p);
    top_key(app, '\n');
    frame_row(f, 120, 40, 0);
    assert_int_equal(app->table.norder, 1);
    assert_non_null(strstr(frame_row(f, 120, 40, 5), "expected-peer"));
    top_key(app, 27);

    /* the help lists the view and its key */
    app->help = true;
    assert_true(find_row(f, 120, 40, "Alerts (!)") > 0);
    app->help = false;
    /* 80 columns: the footer still names every view, nothing past the edge */
    const char *foot = frame_row(f, 80, 24, 23);
    assert_non_null(strstr(foot, "8Alerts"));
    assert_true(cols(foot) <= 80);
    for (int r = 0; r < 24; r++)
        assert_true(cols(frame_row(f, 80, 24, r)) <= 80);
}

static void test_a_2020_state_shows_no_alerts_or_durations(void **state)
{
    fixture *f = *state;
    vec v;
    load_vector("sample-1min.mock", &v);
    apply_vector(&f->node.model, &v, 0, 0);
    free_vector(&v);
    assert_null(strstr(frame_row(f, 120, 40, 1), "first peer"));
    assert_null(strstr(frame_row(f, 120, 40, 2), "lert"));
    f->app.view = VIEW_ALERTS;
    assert_non_null(strstr(frame_row(f, 120, 40, 3), "no alert fires (or this node has no analyzers)"));
    assert_int_equal(f->app.table.nrows, 0);
    assert_non_null(strstr(frame_row(f, 120, 40, 6), "nothing to show"));
}

/* The frame of a node whose messages come from a recording file written
 * with the library's encoder (psc_recording_write), read back with its
 * reader: what peerscope-top shows of a recorded alerting host. */
static void test_frame_from_a_recording_file(void **state)
{
    fixture *f = *state;
    char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/psc-top-alerts-XXXXXX", dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *w = fdopen(fd, "wb");
    assert_non_null(w);
    assert_int_equal(psc_recording_write_header(w), PSC_OK);
    uint8_t *b;
    size_t n = runtime_bytes(MILESTONES, 3, &b);
    assert_int_equal(psc_recording_write(w, b, n), PSC_OK);
    free(b);
    n = state_bytes(2, MILESTONES, N_MS, &b);
    assert_int_equal(psc_recording_write(w, b, n), PSC_OK);
    free(b);
    assert_int_equal(fclose(w), 0);

    FILE *r = fopen(path, "rb");
    assert_non_null(r);
    psc_recording *rec;
    assert_int_equal(psc_recording_open(r, &rec), PSC_OK);
    const uint8_t *p;
    size_t len, count = 0;
    psc_err e;
    while ((e = psc_recording_next(rec, &p, &len)) == PSC_OK) {
        assert_int_equal(top_model_apply(&f->node.model, p, len, count), PSC_OK);
        count++;
    }
    assert_int_equal(e, PSC_ERR_CLOSED);
    assert_int_equal(count, 2);
    psc_recording_close(rec);
    fclose(r);
    unlink(path);

    f->app.view = VIEW_ALERTS;
    assert_non_null(strstr(frame_row(f, 100, 30, 1), "first peer 850ms  25 peers 14.2s  sync 8.48s"));
    assert_non_null(strstr(frame_row(f, 100, 30, 2), "ALERTS 2 (1 critical)"));
    assert_non_null(strstr(frame_row(f, 100, 30, 5), "expected-peer"));
    assert_non_null(strstr(frame_row(f, 100, 30, 6), "mesh-low"));
    assert_int_equal(f->app.table.nrows, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_milestones_from_a_state),
        cmocka_unit_test_setup_teardown(test_header_shows_alerts_and_durations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_view_key_rows_sort_and_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_2020_state_shows_no_alerts_or_durations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_from_a_recording_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

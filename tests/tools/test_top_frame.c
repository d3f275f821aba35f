/* Whole peerscope-top frames (every view, 80x24 and 120x40, help,
 * disconnected) and what the keys do, without a terminal. */
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
#include "top_test_util.h"
#include "top_views.h"

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
    test_app_init(&f->app, &f->node, 1, "ws://127.0.0.1:1/introspect");
    apply_vector(&f->node.model, &f->v, 0, 0);
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
    return frame_text(&f->app, w, h, 1000, 1600000000000ull);
}

static void test_frame_every_view_at_80x24_and_120x40(void **state)
{
    fixture *f = *state;
    static const char *const expect[VIEW_COUNT] = {"REMOTE ADDR", "PROTOCOL", "CPL", "TOPIC", "PEER", "SCOPE",
                                                   "DETAILS", "SEVERITY", "not a fleet"};
    static const char *const footer = "1Conns 2Streams 3DHT 4PubSub 5Peers 6Limits 7Events 8Alerts";
    for (int v = 0; v < VIEW_COUNT; v++) {
        f->app.view = (top_view_id)v;
        const char *big = render(f, 120, 40);
        assert_non_null(strstr(big, "peer c658ae7afb01eac16118c4d6be47d95f2d8473694d7ecbec5455dff30a278610"));
        assert_non_null(strstr(big, "go-libp2p"));
        assert_non_null(strstr(big, "connected"));
        assert_non_null(strstr(big, expect[v]));
        assert_non_null(strstr(big, footer));
        const char *small = render(f, 80, 24);
        assert_non_null(strstr(small, "peerscope-top"));
        assert_non_null(strstr(small, expect[v]));
        /* nothing is written past column 80 */
        assert_lines_fit(small, 80);
    }
    /* the DHT view of the 2-minute recording lists its buckets */
    f->app.view = VIEW_DHT;
    const char *dht = render(f, 120, 40);
    assert_non_null(strstr(dht, "k=20 alpha=3"));
    assert_non_null(strstr(dht, "[##"));
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

/* Row 0 of a frame w columns wide. */
static const char *title_at(fixture *f, int w)
{
    const char *t = render(f, w, 24);
    static char line[4 * 200 + 1];
    size_t n = strcspn(t, "\n");
    memcpy(line, t, n);
    line[n] = 0;
    return line;
}

static size_t columns(const char *s)
{
    size_t cols = 0;
    for (; *s; s++)
        cols += ((unsigned char)*s & 0xc0) != 0x80;
    return cols;
}

static void test_title_keeps_url_and_status_from_120_down_to_80_columns(void **state)
{
    fixture *f = *state;
    static const int widths[] = {120, 100, 80};
    f->node.url = "ws://127.0.0.1:7878/introspect";

    /* connected: everything fits at every width */
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(title_at(f, widths[i]), "peerscope-top  ws://127.0.0.1:7878/introspect  connected");

    /* down, with the client's low-level reason: the reason gives way
     * first (at 100 columns it used to push the URL out), then the
     * status takes fewer words */
    f->node.phase = NODE_WAITING;
    f->node.close_err = PSC_ERR_IO;
    f->node.ever_data = false;
    snprintf(f->node.close_reason, sizeof f->node.close_reason, "Unable to connect");
    f->node.retry_at = 1000 + 16000;
    assert_string_equal(title_at(f, 120), "peerscope-top  ws://127.0.0.1:7878/introspect  "
                                          "disconnected (connection failed: Unable to connect), retrying in 16s");
    assert_string_equal(title_at(f, 100), "peerscope-top  ws://127.0.0.1:7878/introspect  "
                                          "disconnected (connection failed), retrying in 16s");
    assert_string_equal(title_at(f, 80), "ws://127.0.0.1:7878/introspect  connection failed, retry in 16s");
    /* the reason is not lost: line 3 gives it instead of the view's summary of old data
     * (line 1 when there is no runtime) */
    assert_non_null(strstr(render(f, 80, 24), "\nconnection failed: Unable to connect\n"));

    /* one of three nodes: "node 1/3" shortens to "1/3" before the name goes */
    f->app.n_nodes = 3; /* a frame shows the current node only: the fixture's one */
    assert_string_equal(title_at(f, 120), "peerscope-top  node 1/3  ws://127.0.0.1:7878/introspect  "
                                          "disconnected (connection failed), retrying in 16s");
    assert_string_equal(title_at(f, 100), "1/3  ws://127.0.0.1:7878/introspect  "
                                          "disconnected (connection failed), retrying in 16s");
    assert_string_equal(title_at(f, 80), "1/3  ws://127.0.0.1:7878/introspect  connection failed, retry in 16s");
    f->app.n_nodes = 1;

    /* a refused token: the title says so and keeps the URL; line 3 has the hint */
    f->node.phase = NODE_REFUSED;
    f->node.close_err = PSC_ERR_AUTH;
    snprintf(f->node.close_reason, sizeof f->node.close_reason, "upgrade refused with HTTP 401");
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(title_at(f, widths[i]),
                            "peerscope-top  ws://127.0.0.1:7878/introspect  authentication refused, not retrying");
    assert_string_equal(title_at(f, 80), "ws://127.0.0.1:7878/introspect  authentication refused, not retrying");
    for (size_t i = 0; i < 3; i++)
        assert_non_null(strstr(render(f, widths[i], 24),
                               "\nauthentication refused: wrong or missing token (--token / $PEERSCOPE_TOKEN)"));

    /* a URL too long for 80 columns is cut last, with an ellipsis; the status stays whole */
    f->node.url = "wss://introspection.node-0042.eu-central.example.org:8443/peerscope/introspect?x=1";
    const char *t = title_at(f, 80);
    assert_string_equal(t, "wss://introspection.node-0042.eu-central.\xe2\x80\xa6  authentication refused, not retrying");
    assert_int_equal(columns(t), 80);
    assert_non_null(strstr(title_at(f, 120), f->node.url));

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
        cmocka_unit_test_setup_teardown(test_frame_every_view_at_80x24_and_120x40, frame_setup, frame_teardown),
        cmocka_unit_test_setup_teardown(test_frame_help_small_terminal_and_disconnected, frame_setup, frame_teardown),
        cmocka_unit_test_setup_teardown(test_title_keeps_url_and_status_from_120_down_to_80_columns, frame_setup,
                                        frame_teardown),
        cmocka_unit_test_setup_teardown(test_keys_sort_filter_views_and_pause, frame_setup, frame_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * peerscope-top: a top-like terminal client of peerscope nodes.
 *
 * Single-threaded: the loop polls the client loop (all nodes share one)
 * with a short timeout, reads keys without blocking, and draws a frame
 * when something changed (at most every 100 ms, and every second for the
 * clocks on screen).
 */
#include <curses.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerscope/ws.h"
#include "tool_util.h"
#include "top.h"
#include "top_ui.h"
#include "top_views.h"

#define POLL_MS 40
#define MIN_FRAME_MS 100
#define MAX_FRAME_MS 1000

static void fail(const char *fmt, ...) PSC_PRINTF(1, 2);

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-top", NULL, fmt, ap);
    va_end(ap);
}

static int app_init(top_app *app, const top_opts *o)
{
    memset(app, 0, sizeof *app);
    app->opts = *o;
    app->view = o->view;
    app->interval_ms = o->interval_ms;
    app->event_focus = (size_t)-1;
    for (int v = 0; v < VIEW_COUNT; v++) {
        app->vs[v].sort_col = top_view_defs[v].default_sort;
        app->vs[v].sort_desc = top_view_defs[v].default_desc;
    }
    table_init(&app->table, NULL);
    psc_err e = psc_client_loop_new(NULL, &app->loop);
    if (e) {
        fail("cannot create the client loop: %s", psc_strerror(e));
        return TOOL_EXIT_FAILURE;
    }
    /* room for the nodes of a fleet opened with Enter */
    app->nodes = calloc(TOP_MAX_NODES, sizeof *app->nodes);
    app->cap_nodes = TOP_MAX_NODES;
    if (!app->nodes) {
        fail("%s", "out of memory");
        return TOOL_EXIT_FAILURE;
    }
    for (size_t i = 0; i < o->n_urls; i++) {
        e = top_node_start(app, &app->nodes[i], o->urls[i]);
        if (e) {
            top_model_free(&app->nodes[i].model);
            fprintf(stderr, "peerscope-top: %s: %s\n", o->urls[i], psc_strerror(e));
            return e == PSC_ERR_INVALID ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
        }
        app->n_nodes++;
    }
    return TOOL_EXIT_OK;
}

static void app_free(top_app *app)
{
    for (size_t i = 0; i < app->n_nodes; i++)
        top_node_free(&app->nodes[i]);
    free(app->nodes);
    psc_client_loop_free(app->loop);
    table_free(&app->table);
    scr_free(&app->scr);
}

/* --------------------------------------------------------------- batch */

static bool node_settled(const top_node *n)
{
    if (top_node_down(n))
        return true; /* failed: batch mode does not retry */
    /* two states: rates derived from byte counters need a previous one */
    if (n->model.fleets_total >= 1 && top_model_runtime(&n->model))
        return true; /* a hub's fleet: its rows carry their own rates */
    return n->model.states_total >= 2 && top_model_runtime(&n->model);
}

static int batch_status(const top_node *n)
{
    if (top_model_state(&n->model) || top_model_fleet(&n->model))
        return TOOL_EXIT_OK;
    switch (n->close_err) {
    case PSC_ERR_AUTH: return TOOL_EXIT_AUTH;
    case PSC_ERR_PROTOCOL: return TOOL_EXIT_PROTOCOL;
    default: return TOOL_EXIT_CONNECT;
    }
}

static int run_batch(top_app *app, bool utf8)
{
    uint64_t deadline = tool_now_ms() + app->opts.batch_timeout_ms;
    while (!tool_stop_signal && tool_now_ms() < deadline) {
        bool all = true;
        for (size_t i = 0; i < app->n_nodes; i++)
            all = all && node_settled(&app->nodes[i]);
        if (all)
            break;
        psc_err e = psc_client_loop_poll(app->loop, 50);
        if (e) {
            fail("client loop failed: %s", psc_strerror(e));
            return TOOL_EXIT_FAILURE;
        }
    }
    if (scr_resize(&app->scr, app->opts.batch_width, app->opts.batch_height, NULL) != PSC_OK) {
        fail("%s", "out of memory");
        return TOOL_EXIT_FAILURE;
    }
    app->scr.utf8 = utf8;
    int status = TOOL_EXIT_OK;
    size_t cap = (size_t)app->scr.w * 4 + 1;
    char *line = malloc(cap);
    if (!line) {
        fail("%s", "out of memory");
        return TOOL_EXIT_FAILURE;
    }
    for (size_t i = 0; i < app->n_nodes; i++) {
        app->cur = i;
        top_frame_draw(app, tool_now_ms(), tool_wall_ms());
        if (i)
            putchar('\n');
        for (int y = 0; y < app->scr.h; y++) {
            scr_row_text(&app->scr, y, line, cap);
            puts(line);
        }
        int s = batch_status(&app->nodes[i]);
        if (s != TOOL_EXIT_OK) {
            const top_node *n = &app->nodes[i];
            if (top_node_down(n))
                fprintf(stderr, "peerscope-top: %s: %s%s%s\n", n->url, top_node_close_text(n),
                        n->close_reason[0] ? ": " : "", n->close_reason);
            else
                fprintf(stderr, "peerscope-top: %s: no state before the timeout\n", n->url);
            if (status == TOOL_EXIT_OK)
                status = s;
        }
    }
    free(line);
    if (fflush(stdout) != 0)
        status = TOOL_EXIT_FAILURE;
    return status;
}

/* ------------------------------------------------------------ terminal */

static bool fit_screen(top_app *app, bool utf8)
{
    int w, h;
    top_ui_size(&w, &h);
    if (w < 1 || h < 1)
        return true;
    if (w == app->scr.w && h == app->scr.h)
        return true;
    if (scr_resize(&app->scr, w, h, NULL) != PSC_OK)
        return false;
    app->scr.utf8 = utf8;
    return true;
}

static int run_ui(top_app *app, bool utf8)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fail("%s", "needs a terminal (use --batch for plain text)");
        return TOOL_EXIT_FAILURE;
    }
    if (!top_ui_begin(app->opts.no_color)) {
        fail("%s", "cannot initialise the terminal (is TERM set?)");
        return TOOL_EXIT_FAILURE;
    }
    int status = TOOL_EXIT_OK;
    uint64_t last_draw = 0;
    app->dirty = true;
    while (!app->quit && !tool_stop_signal) {
        uint64_t now = tool_now_ms();
        for (size_t i = 0; i < app->n_nodes; i++)
            top_node_tick(&app->nodes[i], now);
        psc_err e = psc_client_loop_poll(app->loop, POLL_MS);
        if (e) {
            top_ui_end();
            fail("client loop failed: %s", psc_strerror(e));
            return TOOL_EXIT_FAILURE;
        }
        int key;
        while (!app->quit && (key = top_ui_key()) != ERR) {
            if (key == KEY_RESIZE)
                app->dirty = true;
            else if (key == 12) /* Ctrl-L */
                top_ui_redraw();
            top_key(app, key);
            app->dirty = true;
        }
        now = tool_now_ms();
        if ((app->dirty && now - last_draw >= MIN_FRAME_MS) || now - last_draw >= MAX_FRAME_MS) {
            if (!fit_screen(app, utf8)) {
                status = TOOL_EXIT_FAILURE;
                break;
            }
            if (app->scr.cells) {
                top_frame_draw(app, now, tool_wall_ms());
                top_ui_show(&app->scr);
            }
            last_draw = now;
            app->dirty = false;
        }
    }
    top_ui_end();
    if (status != TOOL_EXIT_OK)
        fail("%s", "out of memory");
    return status;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C"); /* numbers look the same everywhere */
    top_opts o;
    cli_status st = top_opts_parse(argc, argv, &o, stdout, stderr);
    if (st != CLI_RUN)
        return st == CLI_DONE ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
    if (!tool_catch_signals()) {
        fail("%s", "cannot install signal handlers");
        return TOOL_EXIT_FAILURE;
    }
    /* libwebsockets' own stderr lines would scribble over the screen */
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    bool utf8 = !o.ascii && top_ui_utf8_locale();

    top_app app;
    int status = app_init(&app, &o);
    if (status == TOOL_EXIT_OK)
        status = o.batch ? run_batch(&app, utf8) : run_ui(&app, utf8);
    app_free(&app);
    return status;
}

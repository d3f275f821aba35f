/*
 * One frame of peerscope-top, drawn into the character grid:
 *   0    title: node n/N, URL, connection status (see draw_title)
 *   1    the node: peer id, uptime, the main durations, implementation, version
 *   2    counts, the alerts firing, total bandwidth with sparklines
 *   3    the view's summary line (why the node is down, when it is)
 *   4..  the view's table (header, rows)
 *   h-2  status: sort, filter, rows, PAUSED, interval, messages
 *   h-1  footer: the views and their keys
 */
#include <stdio.h>
#include <string.h>

#include "tool_util.h"
#include "top.h"
#include "top_alerts.h"
#include "top_views.h"

#define MIN_W 40
#define MIN_H 10

#define TITLE "peerscope-top"
#define GAP 2
/* The URL is cut (with an ellipsis) only as a last resort, and never below this. */
#define URL_MIN_W 20
/* A peer id is shortened (never below this) to leave the durations room. */
#define PEER_MIN_W 16

/*
 * Line 0: name, node n/N, URL, status. The URL and the status are what
 * the line is for; the rest gives way first, one step at a time: the
 * status loses its low-level reason, "node 2/3" becomes "2/3", the
 * program's name goes, the status is said in fewer words; then the URL
 * is cut to what is left (at least URL_MIN_W columns), and the status
 * last.
 */
static void draw_title(top_app *app, top_node *n, uint64_t now)
{
    top_screen *s = &app->scr;
    char status[3][256], node[32] = "", node_short[32] = "";
    uint8_t sattr;
    for (int d = TOP_STATUS_FULL; d <= TOP_STATUS_SHORT; d++)
        top_node_status(n, now, (top_status_detail)d, status[d], sizeof status[d], &sattr);
    if (app->n_nodes > 1) {
        snprintf(node, sizeof node, "node %zu/%zu", app->cur + 1, app->n_nodes);
        snprintf(node_short, sizeof node_short, "%zu/%zu", app->cur + 1, app->n_nodes);
    }
    const struct {
        const char *title, *node;
        top_status_detail status;
    } steps[] = {
        {TITLE, node, TOP_STATUS_FULL},
        {TITLE, node, TOP_STATUS_BRIEF},
        {TITLE, node_short, TOP_STATUS_BRIEF},
        {"", node_short, TOP_STATUS_BRIEF},
        {"", node_short, TOP_STATUS_SHORT},
    };
    size_t n_steps = sizeof steps / sizeof steps[0];
    int url_w = scr_width(s, n->url);
    size_t i = 0;
    int head = 0;
    for (;; i++) {
        head = scr_width(s, steps[i].title) + (steps[i].title[0] ? GAP : 0) + scr_width(s, steps[i].node) +
               (steps[i].node[0] ? GAP : 0);
        if (head + url_w + GAP + scr_width(s, status[steps[i].status]) <= s->w || i + 1 == n_steps)
            break;
    }
    const char *st = status[steps[i].status];
    int url_room = s->w - head - GAP - scr_width(s, st);
    if (url_room > url_w)
        url_room = url_w;
    if (url_room < URL_MIN_W)
        url_room = url_w < URL_MIN_W ? url_w : URL_MIN_W;

    int x = 0;
    if (steps[i].title[0]) {
        x += scr_text(s, 0, x, -1, steps[i].title, SCR_BOLD | SCR_CYAN, false);
        x += scr_text(s, 0, x, GAP, "  ", 0, false);
    }
    if (steps[i].node[0]) {
        x += scr_text(s, 0, x, -1, steps[i].node, SCR_BOLD, false);
        x += scr_text(s, 0, x, GAP, "  ", 0, false);
    }
    x += scr_text(s, 0, x, url_room, n->url, 0, true);
    x += scr_text(s, 0, x, GAP, "  ", 0, false);
    scr_text(s, 0, x, -1, st, sattr, true);
}

/* Why the node is down, in full (the title may only have room for the short form). */
static const char *close_detail(const top_node *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", top_node_close_text(n), n->close_reason[0] ? ": " : "", n->close_reason);
    return buf;
}

static void draw_identity(top_app *app, top_node *n, uint64_t wall)
{
    top_screen *s = &app->scr;
    const Peerscope__Runtime *rt = top_model_runtime(&n->model);
    if (!rt) {
        /* nothing to show yet: the line says what went wrong, in full */
        char why[320];
        if (top_node_down(n))
            scr_text(s, 1, 0, -1, close_detail(n, why, sizeof why), SCR_RED, true);
        else
            scr_text(s, 1, 0, -1, n->ever_data ? "no runtime received" : "waiting for the node...", SCR_DIM, true);
        return;
    }
    char up[48] = "", took[160], id[128];
    if (rt->start_ts && wall > rt->start_ts) {
        char d[32];
        tool_fmt_duration(d, sizeof d, wall - rt->start_ts);
        snprintf(up, sizeof up, "  up %s", d);
    }
    top_durations_line(&n->model, took, sizeof took);
    bool hub = top_model_fleet(&n->model) && !(rt->peer_id && *rt->peer_id);
    const char *pid = rt->peer_id && *rt->peer_id ? rt->peer_id : "(unknown)";
    /* The durations say how the node is doing; a long peer id gives way to
     * them (its full form is in the peers view). */
    int room = s->w - 5 - scr_width(s, up) - (took[0] ? 2 + scr_width(s, took) : 0);
    if (took[0] && scr_width(s, pid) > room) {
        fmt_peer(id, sizeof id, pid, (size_t)(room > PEER_MIN_W ? room : PEER_MIN_W), s->utf8);
        pid = id;
    }
    int x = hub ? scr_text(s, 1, 0, -1, "hub", SCR_BOLD, false) : scr_text(s, 1, 0, -1, "peer ", SCR_DIM, false);
    if (!hub) /* a hub has no peer id of its own */
        x += scr_text(s, 1, x, -1, pid, SCR_BOLD, true);
    if (up[0])
        x += scr_text(s, 1, x, -1, up, 0, false);
    if (took[0]) {
        x += scr_text(s, 1, x, -1, "  ", 0, false);
        x += scr_text(s, 1, x, -1, took, SCR_CYAN, true);
    }
    char buf[256];
    snprintf(buf, sizeof buf, "  %s %s%s%s%s", rt->implementation ? rt->implementation : "", rt->version ? rt->version : "",
             rt->platform && *rt->platform ? " (" : "", rt->platform ? rt->platform : "",
             rt->platform && *rt->platform ? ")" : "");
    scr_text(s, 1, x, -1, buf, SCR_DIM, true);
}

static void draw_totals(top_app *app, top_node *n)
{
    top_screen *s = &app->scr;
    const top_model *m = &n->model;
    if (!top_model_state(m) && top_model_fleet(m)) {
        char buf[256];
        top_fleet_totals(m, buf, sizeof buf);
        scr_text(s, 2, 0, -1, buf, 0, true);
        return;
    }
    if (!top_model_state(m)) {
        scr_text(s, 2, 0, -1, "no state yet", SCR_DIM, false);
        return;
    }
    int x = scr_printf(s, 2, 0, -1, 0, "conns %zu  streams %zu  peers %zu", m->conns_open, m->streams, m->peers);
    /* Alerts before the bandwidth: they matter more than the sparklines, which shrink for them. */
    top_alert_counts ac = top_alerts_count(m);
    if (ac.total) {
        uint8_t attr = ac.critical ? SCR_RED | SCR_BOLD : ac.warning ? SCR_YELLOW | SCR_BOLD : SCR_BOLD;
        x += scr_text(s, 2, x, -1, "  ", 0, false);
        if (ac.critical)
            x += scr_printf(s, 2, x, -1, attr, "ALERTS %zu (%zu critical)", ac.total, ac.critical);
        else
            x += scr_printf(s, 2, x, -1, attr, "alerts %zu", ac.total);
    }
    char in[32], out[32];
    fmt_rate(in, sizeof in, m->rate_in);
    fmt_rate(out, sizeof out, m->rate_out);
    /* what is left is shared by the two sparklines */
    int fixed = 4 + 4 + 11 + 1 + 6 + 11 + 1;
    int spark = (s->w - x - fixed) / 2;
    if (spark > 30)
        spark = 30;
    x += scr_text(s, 2, x, -1, "   in ", 0, false);
    x += scr_printf(s, 2, x, -1, SCR_GREEN | SCR_BOLD, "%10s ", in);
    if (spark >= 4) {
        scr_sparkline(s, 2, x, spark, m->hist_in, m->hist_len, SCR_GREEN);
        x += spark;
    }
    x += scr_text(s, 2, x, -1, "  out ", 0, false);
    x += scr_printf(s, 2, x, -1, SCR_CYAN | SCR_BOLD, "%10s ", out);
    if (spark >= 4)
        scr_sparkline(s, 2, x, spark, m->hist_out, m->hist_len, SCR_CYAN);
}

static void draw_status(top_app *app, top_node *n, uint64_t now, size_t shown, size_t total)
{
    top_screen *s = &app->scr;
    int y = s->h - 2;
    top_view_state *vs = &app->vs[app->view];
    top_table *t = &app->table;
    int x = 0;
    if (app->paused)
        x += scr_text(s, y, x, -1, " PAUSED ", SCR_REVERSE | SCR_YELLOW | SCR_BOLD, false) + 1;
    if (vs->sort_col >= 0 && vs->sort_col < t->ncols)
        x += scr_printf(s, y, x, -1, 0, "sort %s %s  ", t->cols[vs->sort_col].title[0] ? t->cols[vs->sort_col].title : "bar",
                        vs->sort_desc ? "desc" : "asc");
    if (app->editing_filter)
        x += scr_printf(s, y, x, -1, SCR_BOLD, "filter: %s_  (Enter keep, Esc cancel)  ", vs->filter);
    else if (vs->filter[0])
        x += scr_printf(s, y, x, -1, SCR_BOLD, "filter: %s  ", vs->filter);
    x += scr_printf(s, y, x, -1, 0, "%zu/%zu rows  ", shown, total);
    uint64_t iv = n->interval_ms ? n->interval_ms : app->interval_ms;
    x += scr_printf(s, y, x, -1, SCR_DIM, "every %.1fs  ", (double)iv / 1000.0);
    if (app->table.oom)
        x += scr_text(s, y, x, -1, "OUT OF MEMORY: rows missing  ", SCR_RED | SCR_BOLD, false);
    if (n->corrupt)
        x += scr_printf(s, y, x, -1, SCR_YELLOW, "%llu corrupt msgs  ", (unsigned long long)n->corrupt);
    if (app->message[0] && now < app->message_until)
        x += scr_text(s, y, x, -1, app->message, SCR_YELLOW | SCR_BOLD, true);
    else if (n->server_error[0])
        x += scr_text(s, y, x, -1, n->server_error, SCR_RED, true);
    (void)x;
}

static void draw_footer(top_app *app)
{
    top_screen *s = &app->scr;
    int y = s->h - 1;
    scr_fill(s, y, 0, s->w, ' ', SCR_REVERSE);
    int x = 0;
    bool narrow = s->w < 100;
    bool fleet = top_model_fleet(&app->nodes[app->cur].model) != NULL;
    for (int v = 0; v < VIEW_COUNT; v++) {
        if (v == VIEW_FLEET && !fleet && app->view != VIEW_FLEET)
            continue; /* only a hub has one */
        char label[32];
        snprintf(label, sizeof label, "%d%s", v + 1, top_view_defs[v].name);
        if (narrow && v != (int)app->view) /* 80 columns: names shortened but for the current view */
            snprintf(label, sizeof label, "%d%.*s", v + 1, v == VIEW_STREAMS ? 4 : 3, top_view_defs[v].name);
        uint8_t attr = v == (int)app->view ? (SCR_BOLD | SCR_CYAN) : SCR_REVERSE;
        x += scr_text(s, y, x, -1, label, attr, false);
        x += scr_text(s, y, x, -1, " ", SCR_REVERSE, false);
    }
    const char *keys = app->n_nodes > 1 ? " Tab:node ?:help q:quit" : " ?:help q:quit";
    int kw = scr_width(s, keys);
    if (x + kw <= s->w)
        scr_text(s, y, s->w - kw, -1, keys, SCR_REVERSE, false);
}

static void draw_help(top_app *app)
{
    static const char *const lines[] = {
        "peerscope-top keys",
        "",
        "  1-8 or c t d g a l e ! views: Conns, sTreams, Dht, pubsub (Gossip),",
        "                         peerstore (Address book), Limits, Events, Alerts (!)",
        "  Tab / n, Shift-Tab / N next / previous node (several URLs)",
        "  s, < >                 sort by the next / previous / left / right column",
        "  r                      reverse the sort",
        "  /                      filter rows by text (Enter keeps, Esc cancels)",
        "  Esc                    clear the filter (events: show every type)",
        "  Up Down PgUp PgDn Home End, j k   move the selection",
        "  Enter / y              events: the selected event's type / the next",
        "                         type, in typed columns",
        "  9 or f, Enter          fleet (peerscope-hub): the nodes; Enter opens one in a tab",
        "  p                      pause / resume the node's pushes",
        "  + -                    state interval longer / shorter",
        "  Ctrl-L                 redraw",
        "  ? h F1                 this help (any key closes it)",
        "  q F10                  quit",
    };
    top_screen *s = &app->scr;
    int n = (int)(sizeof lines / sizeof lines[0]);
    int top = (s->h - n) / 2 > 0 ? (s->h - n) / 2 : 0;
    for (int i = 0; i < n && top + i < s->h; i++) {
        scr_fill(s, top + i, 0, s->w, ' ', 0);
        scr_text(s, top + i, 2, -1, lines[i], i == 0 ? SCR_BOLD | SCR_CYAN : 0, true);
    }
}

void top_frame_draw(top_app *app, uint64_t now, uint64_t wall)
{
    top_screen *s = &app->scr;
    scr_clear(s);
    if (s->w < MIN_W || s->h < MIN_H) {
        scr_printf(s, 0, 0, -1, SCR_BOLD, "terminal too small (%dx%d)", s->w, s->h);
        scr_text(s, 1, 0, -1, "need 40x10; q quits", 0, false);
        return;
    }
    top_node *n = &app->nodes[app->cur];
    draw_title(app, n, now);
    draw_identity(app, n, wall);
    draw_totals(app, n);

    top_view_ctx ctx = {wall, s->utf8, app->event_focus};
    char summary[512];
    summary[0] = 0;
    top_view_defs[app->view].build(&n->model, &ctx, &app->table, summary, sizeof summary);
    top_view_state *vs = &app->vs[app->view];
    table_finish(&app->table, vs);
    char why[320];
    if (top_node_down(n) && top_model_runtime(&n->model)) /* else line 1 says it */
        scr_text(s, 3, 0, -1, close_detail(n, why, sizeof why), SCR_RED, true);
    else
        scr_text(s, 3, 0, -1, summary, SCR_DIM, true);
    table_draw(&app->table, vs, s, 4, s->h - 6, s->w);
    if (app->table.norder == 0 && (top_model_state(&n->model) || top_model_fleet(&n->model)))
        scr_text(s, 6, 2, -1, vs->filter[0] ? "no rows match the filter" : "nothing to show", SCR_DIM, false);

    draw_status(app, n, now, app->table.norder, app->table.nrows);
    draw_footer(app);
    if (app->help)
        draw_help(app);
}

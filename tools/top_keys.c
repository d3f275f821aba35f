/* peerscope-top: what each key does (the help screen in top_frame.c lists them). */
#include <curses.h>
#include <string.h>

#include "top.h"
#include "top_views.h"

static const uint64_t intervals[] = {500, 1000, 2000, 5000, 10000, 30000, 60000};
#define N_INTERVALS (sizeof intervals / sizeof intervals[0])

static void set_sort(top_app *app, int col)
{
    top_view_state *vs = &app->vs[app->view];
    int n = app->table.ncols;
    if (n <= 0)
        return;
    col = ((col % n) + n) % n;
    vs->sort_col = col;
    /* numbers read best largest first, names A to Z */
    vs->sort_desc = app->table.cols[col].numeric;
    app->dirty = true;
}

static void move_cursor(top_app *app, long delta)
{
    top_view_state *vs = &app->vs[app->view];
    size_t n = app->table.norder;
    if (n == 0)
        return;
    long c = (long)vs->cursor + delta;
    if (c < 0)
        c = 0;
    if ((size_t)c >= n)
        c = (long)n - 1;
    vs->cursor = (size_t)c;
    app->dirty = true;
}

static void change_interval(top_app *app, int dir)
{
    size_t i = 0;
    while (i + 1 < N_INTERVALS && intervals[i] < app->interval_ms)
        i++;
    if (dir > 0 && i + 1 < N_INTERVALS && intervals[i] <= app->interval_ms)
        i++;
    else if (dir < 0 && i > 0)
        i--;
    if (intervals[i] == app->interval_ms) {
        top_say(app, "state interval stays %.1fs (%s)", (double)app->interval_ms / 1000.0,
                dir > 0 ? "longest" : "shortest");
        return;
    }
    top_nodes_interval(app, intervals[i]);
    top_say(app, "state interval %.1fs requested", (double)intervals[i] / 1000.0);
}

/* Events view: show the type of the selected row, or step through the types. */
static void focus_selected(top_app *app)
{
    top_table *t = &app->table;
    top_view_state *vs = &app->vs[VIEW_EVENTS];
    if (app->event_focus != (size_t)-1 || vs->cursor >= t->norder)
        return; /* already one type: its rows have no TYPE column */
    const top_model *m = &app->nodes[app->cur].model;
    /* TYPE follows TIME, and NODE on a hub's fleet stream */
    const char *name = table_cell(t, t->order[vs->cursor], top_model_fleet(m) ? 2 : 1);
    size_t idx = top_model_find_type(m, strcmp(name, "(untyped)") == 0 ? "" : name);
    if (idx != (size_t)-1) {
        app->event_focus = idx;
        vs->cursor = vs->scroll = 0;
    }
}

static void focus_step(top_app *app, int dir)
{
    size_t n = app->nodes[app->cur].model.n_types;
    if (n == 0)
        return;
    /* (size_t)-1 (all types) sits between the last type and the first */
    if (app->event_focus >= n)
        app->event_focus = dir > 0 ? 0 : n - 1;
    else if (dir > 0)
        app->event_focus = app->event_focus + 1 < n ? app->event_focus + 1 : (size_t)-1;
    else
        app->event_focus = app->event_focus > 0 ? app->event_focus - 1 : (size_t)-1;
    app->vs[VIEW_EVENTS].cursor = app->vs[VIEW_EVENTS].scroll = 0;
}

static void select_view(top_app *app, int v)
{
    if (v < 0 || v >= VIEW_COUNT)
        return;
    app->view = (top_view_id)v;
    app->dirty = true;
}

static bool edit_filter(top_app *app, int key)
{
    top_view_state *vs = &app->vs[app->view];
    size_t len = strlen(vs->filter);
    switch (key) {
    case 27: /* Esc */
        memcpy(vs->filter, app->filter_backup, sizeof vs->filter);
        app->editing_filter = false;
        break;
    case '\n':
    case '\r':
    case KEY_ENTER:
        app->editing_filter = false;
        break;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (len)
            vs->filter[len - 1] = 0;
        break;
    case 21: /* Ctrl-U */
        vs->filter[0] = 0;
        break;
    default:
        if (key >= 0x20 && key < 0x7f && len + 1 < sizeof vs->filter) {
            vs->filter[len] = (char)key;
            vs->filter[len + 1] = 0;
        }
        break;
    }
    vs->cursor = vs->scroll = 0;
    app->dirty = true;
    return true;
}

void top_key(top_app *app, int key)
{
    if (key == KEY_RESIZE || key == ERR)
        return;
    if (app->help) {
        app->help = false;
        app->dirty = true;
        return;
    }
    if (app->editing_filter) {
        edit_filter(app, key);
        return;
    }
    top_view_state *vs = &app->vs[app->view];
    int page = app->scr.h > 8 ? app->scr.h - 7 : 1;
    if (key >= '1' && key < '1' + VIEW_COUNT) {
        select_view(app, key - '1');
        return;
    }
    for (int v = 0; v < VIEW_COUNT; v++) {
        if (key == top_view_defs[v].letter) {
            select_view(app, v);
            return;
        }
    }
    switch (key) {
    case 'q':
    case 'Q':
    case KEY_F(10):
        app->quit = true;
        break;
    case '?':
    case 'h':
    case KEY_F(1):
        app->help = true;
        break;
    case '\t':
    case 'n':
        top_select_node(app, (app->cur + 1) % app->n_nodes);
        break;
    case KEY_BTAB:
    case 'N':
        top_select_node(app, (app->cur + app->n_nodes - 1) % app->n_nodes);
        break;
    case 's':
    case '>':
    case '.':
        set_sort(app, vs->sort_col + 1);
        break;
    case '<':
    case ',':
        set_sort(app, vs->sort_col < 0 ? -1 : vs->sort_col - 1);
        break;
    case 'r':
        if (vs->sort_col >= 0)
            vs->sort_desc = !vs->sort_desc;
        break;
    case '/':
        memcpy(app->filter_backup, vs->filter, sizeof app->filter_backup);
        app->editing_filter = true;
        break;
    case 27:
        if (app->view == VIEW_EVENTS && app->event_focus != (size_t)-1)
            app->event_focus = (size_t)-1;
        else
            vs->filter[0] = 0;
        break;
    case KEY_UP:
    case 'k':
        move_cursor(app, -1);
        break;
    case KEY_DOWN:
    case 'j':
        move_cursor(app, 1);
        break;
    case KEY_PPAGE:
        move_cursor(app, -page);
        break;
    case KEY_NPAGE:
    case ' ':
        move_cursor(app, page);
        break;
    case KEY_HOME:
        move_cursor(app, -(long)app->table.norder);
        break;
    case KEY_END:
        move_cursor(app, (long)app->table.norder);
        break;
    case 'p':
        top_nodes_pause(app, !app->paused);
        top_say(app, app->paused ? "paused: the nodes queue what they would send" : "resumed");
        break;
    case '+':
    case '=':
        change_interval(app, 1);
        break;
    case '-':
    case '_':
        change_interval(app, -1);
        break;
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (app->view == VIEW_EVENTS)
            focus_selected(app);
        else if (app->view == VIEW_FLEET)
            top_open_fleet_node(app);
        break;
    case 'y':
        if (app->view == VIEW_EVENTS)
            focus_step(app, 1);
        break;
    case 'Y':
        if (app->view == VIEW_EVENTS)
            focus_step(app, -1);
        break;
    default:
        return;
    }
    app->dirty = true;
}

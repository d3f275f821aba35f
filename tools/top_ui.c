/*
 * The ncurses side of peerscope-top: start and restore the terminal,
 * copy a frame grid to the screen (erase, draw, one refresh: ncurses
 * sends only what changed, so nothing flickers), read keys.
 *
 * The terminal is restored on every way out: top_ui_end from the normal
 * paths, and an atexit handler for exit() anywhere else. SIGINT/SIGTERM
 * only set a flag (tool_util.c) that the main loop sees.
 */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "top_ui.h"

static bool ui_active;
static bool colors;

void top_ui_end(void)
{
    if (!ui_active)
        return;
    ui_active = false;
    curs_set(1);
    endwin();
}

static void end_at_exit(void)
{
    top_ui_end();
}

bool top_ui_utf8_locale(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

bool top_ui_begin(bool no_color)
{
    static bool registered;
    if (!registered) {
        if (atexit(end_at_exit) != 0)
            return false;
        registered = true;
    }
    if (!initscr())
        return false;
    ui_active = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    colors = false;
    if (!no_color && has_colors() && start_color() == OK) {
        use_default_colors();
        static const short map[] = {0, COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_CYAN, COLOR_MAGENTA, COLOR_BLUE};
        for (short i = 1; i < (short)(sizeof map / sizeof map[0]); i++)
            init_pair(i, map[i], -1);
        colors = true;
    }
    return true;
}

void top_ui_size(int *w, int *h)
{
    getmaxyx(stdscr, *h, *w);
}

static attr_t to_curses(uint8_t a)
{
    attr_t r = A_NORMAL;
    if (colors && (a & SCR_COLOR_MASK))
        r |= COLOR_PAIR(a & SCR_COLOR_MASK);
    if (a & SCR_BOLD)
        r |= A_BOLD;
    if (a & SCR_REVERSE)
        r |= A_REVERSE;
    if (a & SCR_DIM)
        r |= A_DIM;
    if (a & SCR_UNDERLINE)
        r |= A_UNDERLINE;
    return r;
}

void top_ui_show(const top_screen *s)
{
    erase();
    char run[4096 + 8];
    for (int y = 0; y < s->h; y++) {
        int x = 0;
        while (x < s->w) {
            /* one addstr per run of cells with the same attributes */
            uint8_t a = s->cells[(size_t)y * (size_t)s->w + (size_t)x].attr;
            int start = x;
            size_t o = 0;
            while (x < s->w) {
                const top_cell *c = &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
                if (c->attr != a)
                    break;
                size_t n = strlen(c->ch);
                if (o + n >= sizeof run - 1)
                    break;
                memcpy(run + o, c->ch, n);
                o += n;
                x++;
            }
            run[o] = 0;
            attrset(to_curses(a));
            /* the bottom-right cell cannot be written without scrolling: addstr
             * reports ERR there, harmlessly */
            mvaddstr(y, start, run);
        }
    }
    attrset(A_NORMAL);
    refresh();
}

void top_ui_redraw(void)
{
    clearok(curscr, TRUE);
}

int top_ui_key(void)
{
    return getch();
}

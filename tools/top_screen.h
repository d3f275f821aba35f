/*
 * peerscope-top draws every frame into this character grid; the ncurses
 * layer (top_ui.c) copies it to the terminal, --batch prints it as text,
 * and the tests read it. Text from the network is sanitized here: control
 * characters and invalid UTF-8 become '?', and without a UTF-8 locale so
 * does every non-ASCII character.
 */
#ifndef PSC_TOOLS_TOP_SCREEN_H
#define PSC_TOOLS_TOP_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/common.h"

/* Cell attributes: a colour in the low 3 bits, then flags. */
enum {
    SCR_DEFAULT = 0,
    SCR_RED = 1,
    SCR_GREEN = 2,
    SCR_YELLOW = 3,
    SCR_CYAN = 4,
    SCR_MAGENTA = 5,
    SCR_BLUE = 6,
    SCR_COLOR_MASK = 7,
    SCR_BOLD = 8,
    SCR_REVERSE = 16,
    SCR_DIM = 32,
    SCR_UNDERLINE = 64,
};

typedef struct top_cell {
    char ch[5];      /* UTF-8 of one character, NUL-terminated; "" for the right half of a wide one */
    uint8_t attr;
} top_cell;

typedef struct top_screen {
    int w, h;
    bool utf8;       /* the terminal takes UTF-8 (else ASCII only) */
    top_cell *cells; /* h rows of w */
    psc_allocator alloc;
} top_screen;

/* Make or resize the grid (contents cleared). a NULL: malloc. PSC_ERR_NOMEM keeps the old grid. */
psc_err scr_resize(top_screen *s, int w, int h, const psc_allocator *a);
void scr_free(top_screen *s);
void scr_clear(top_screen *s);

/*
 * Write text at (y, x), at most maxw columns (-1: to the right edge).
 * Returns the columns used. A string that does not fit is cut, with "…"
 * (or "~" in ASCII) in its last column when ellipsis is set.
 */
int scr_text(top_screen *s, int y, int x, int maxw, const char *text, uint8_t attr, bool ellipsis);
/* printf into scr_text (no ellipsis); at most 511 bytes of output. */
int scr_printf(top_screen *s, int y, int x, int maxw, uint8_t attr, const char *fmt, ...) PSC_PRINTF(6, 7);
/* Fill n columns with the ASCII character c. */
void scr_fill(top_screen *s, int y, int x, int n, char c, uint8_t attr);
/* Set the attribute of n cells (text unchanged). */
void scr_set_attr(top_screen *s, int y, int x, int n, uint8_t attr);

/* Columns the text would take (sanitized as scr_text does). */
int scr_width(const top_screen *s, const char *text);

/*
 * A sparkline of the last n values (oldest first) in width columns,
 * right-aligned, scaled to the largest value: block characters ▁..█ in
 * UTF-8, " .:-=+*#" in ASCII.
 */
void scr_sparkline(top_screen *s, int y, int x, int width, const double *vals, size_t n, uint8_t attr);
/* A bar [####----] of width columns for used/limit (limit 0: no limit, shown empty). */
void scr_bar(top_screen *s, int y, int x, int width, double used, double limit);

/* One row as plain text without trailing blanks (buf of at least 4*w+1 bytes). */
void scr_row_text(const top_screen *s, int y, char *buf, size_t len);

#endif

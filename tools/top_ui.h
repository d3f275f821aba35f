/* peerscope-top: the terminal (ncurses). Not thread-safe; one screen per process. */
#ifndef PSC_TOOLS_TOP_UI_H
#define PSC_TOOLS_TOP_UI_H

#include <stdbool.h>

#include "top_screen.h"

/* Whether the locale (set by the caller with setlocale) speaks UTF-8. */
bool top_ui_utf8_locale(void);
/* Take over the terminal (full screen, keys without echo, no cursor). */
bool top_ui_begin(bool no_color);
/* Give the terminal back as it was. Safe to call more than once. */
void top_ui_end(void);
/* The terminal's size now. */
void top_ui_size(int *w, int *h);
/* Show a frame. */
void top_ui_show(const top_screen *s);
/* Repaint everything on the next show (Ctrl-L). */
void top_ui_redraw(void);
/* A key press, or ERR (-1) when none is waiting. */
int top_ui_key(void);

#endif

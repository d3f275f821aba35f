/*
 * The table every view of peerscope-top fills: typed columns, rows of
 * cells with sort keys, then filtering (case-insensitive substring of any
 * cell or of a row's hidden search text), a stable sort on any column,
 * scrolling and drawing that fits the columns to the terminal width.
 *
 * Views rebuild their table on every frame from the model; the buffers
 * are kept between frames. Allocation failure marks the table (oom) and
 * later rows are dropped; the frame says so instead of crashing.
 */
#ifndef PSC_TOOLS_TOP_TABLE_H
#define PSC_TOOLS_TOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "top_screen.h"

#define TABLE_MAX_COLS 24 /* the fleet view: 15 columns and the nodes' durations */
#define TABLE_TITLE_MAX 24

typedef struct top_col {
    char title[TABLE_TITLE_MAX];
    int min_w;       /* never narrower (titles may be cut to it) */
    int max_w;       /* 0: as wide as the content */
    bool numeric;    /* sort by key, align right */
    int drop;        /* when the terminal is too narrow, higher numbers go first; 0: never */
    bool keyed;      /* a text column that sorts by key (e.g. an enum in its natural order) */
} top_col;

/* What the user chose for one view: kept across frames. */
typedef struct top_view_state {
    int sort_col;       /* -1: insertion order */
    bool sort_desc;
    char filter[64];
    size_t cursor;      /* selected row, in display order */
    size_t scroll;      /* first row shown */
} top_view_state;

typedef struct top_row {
    uint32_t cell[TABLE_MAX_COLS]; /* offsets of NUL-terminated text in top_table.text */
    double key[TABLE_MAX_COLS];
    uint32_t search;               /* offset of extra search text, 0: none */
    uint8_t attr;
} top_row;

typedef struct top_table {
    psc_allocator alloc;
    top_col cols[TABLE_MAX_COLS];
    int ncols;
    top_row *rows;
    size_t nrows, cap_rows;
    char *text;
    size_t text_len, text_cap;
    size_t *order;      /* rows shown, in display order */
    size_t norder, cap_order;
    size_t *tmp;        /* merge sort scratch */
    size_t cap_tmp;
    bool oom;
} top_table;

void table_init(top_table *t, const psc_allocator *a);
void table_free(top_table *t);

/* Start over with these columns (buffers are reused). */
void table_reset(top_table *t, const top_col *cols, int ncols);
/* Append an empty row; its cells are "" with key 0. false when out of memory. */
bool table_add_row(top_table *t);
/* Set a cell of the last row. The key sorts numeric columns. */
void table_set(top_table *t, int col, const char *text, double key);
void table_setf(top_table *t, int col, double key, const char *fmt, ...) PSC_PRINTF(4, 5);
/* Extra text the filter matches for the last row (e.g. full ids shown shortened). */
void table_set_search(top_table *t, const char *text);
void table_set_attr(top_table *t, uint8_t attr);

const char *table_cell(const top_table *t, size_t row, int col);

/* Filter and sort into t->order per vs (clamping vs->cursor and sort_col). */
void table_finish(top_table *t, top_view_state *vs);

/*
 * Draw the header line at y and the rows below it, height lines in all,
 * across width columns; keeps the cursor visible by moving vs->scroll.
 */
void table_draw(top_table *t, top_view_state *vs, top_screen *s, int y, int height, int width);

#endif

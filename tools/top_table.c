#include "top_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tool_util.h"

void table_init(top_table *t, const psc_allocator *a)
{
    memset(t, 0, sizeof *t);
    t->alloc = tool_allocator(a);
}

void table_free(top_table *t)
{
    t->alloc.free(t->alloc.user, t->rows);
    t->alloc.free(t->alloc.user, t->text);
    t->alloc.free(t->alloc.user, t->order);
    t->alloc.free(t->alloc.user, t->tmp);
    psc_allocator a = t->alloc;
    memset(t, 0, sizeof *t);
    t->alloc = a;
}

/* Grow *p (elements of size es) to hold need; false when out of memory. */
static bool grow(top_table *t, void **p, size_t *cap, size_t need, size_t es)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / es)
            return false;
        nc *= 2;
    }
    void *np = t->alloc.alloc(t->alloc.user, nc * es);
    if (!np)
        return false;
    if (*p) {
        memcpy(np, *p, *cap * es);
        t->alloc.free(t->alloc.user, *p);
    }
    *p = np;
    *cap = nc;
    return true;
}

void table_reset(top_table *t, const top_col *cols, int ncols)
{
    if (ncols > TABLE_MAX_COLS)
        ncols = TABLE_MAX_COLS;
    memcpy(t->cols, cols, (size_t)ncols * sizeof *cols);
    t->ncols = ncols;
    t->nrows = 0;
    t->norder = 0;
    t->oom = false;
    t->text_len = 0;
    /* offset 0 is the empty string every new cell points at */
    if (grow(t, (void **)&t->text, &t->text_cap, 1, 1))
        t->text[t->text_len++] = 0;
    else
        t->oom = true;
}

bool table_add_row(top_table *t)
{
    if (t->oom || !grow(t, (void **)&t->rows, &t->cap_rows, t->nrows + 1, sizeof *t->rows)) {
        t->oom = true;
        return false;
    }
    top_row *r = &t->rows[t->nrows++];
    memset(r, 0, sizeof *r);
    return true;
}

static uint32_t add_text(top_table *t, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (t->oom || t->text_len + n + 1 > UINT32_MAX ||
        !grow(t, (void **)&t->text, &t->text_cap, t->text_len + n + 1, 1)) {
        t->oom = true;
        return 0;
    }
    uint32_t off = (uint32_t)t->text_len;
    memcpy(t->text + off, s, n + 1);
    t->text_len += n + 1;
    return off;
}

void table_set(top_table *t, int col, const char *text, double key)
{
    if (t->nrows == 0 || col < 0 || col >= t->ncols)
        return;
    top_row *r = &t->rows[t->nrows - 1];
    r->cell[col] = add_text(t, text ? text : "");
    r->key[col] = key;
}

void table_setf(top_table *t, int col, double key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    table_set(t, col, buf, key);
}

void table_set_search(top_table *t, const char *text)
{
    if (t->nrows)
        t->rows[t->nrows - 1].search = add_text(t, text ? text : "");
}

void table_set_attr(top_table *t, uint8_t attr)
{
    if (t->nrows)
        t->rows[t->nrows - 1].attr = attr;
}

const char *table_cell(const top_table *t, size_t row, int col)
{
    if (row >= t->nrows || col < 0 || col >= t->ncols)
        return "";
    return t->text + t->rows[row].cell[col];
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower(hay[i]) == lower(needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static int cmp_nocase(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = lower(*a), y = lower(*b);
        if (x != y || !x)
            return (unsigned char)x - (unsigned char)y;
    }
}

static int compare(const top_table *t, const top_view_state *vs, size_t a, size_t b)
{
    int c = 0;
    int col = vs->sort_col;
    if (col >= 0) {
        if (t->cols[col].numeric || t->cols[col].keyed) {
            double x = t->rows[a].key[col], y = t->rows[b].key[col];
            c = x < y ? -1 : x > y ? 1 : 0;
        } else {
            c = cmp_nocase(t->text + t->rows[a].cell[col], t->text + t->rows[b].cell[col]);
        }
        if (vs->sort_desc)
            c = -c;
    }
    if (c == 0) /* stable: insertion order breaks ties */
        c = a < b ? -1 : a > b ? 1 : 0;
    return c;
}

static void merge_sort(const top_table *t, const top_view_state *vs, size_t *v, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    if (n <= 8) { /* insertion sort for short runs */
        for (size_t i = 1; i < n; i++) {
            size_t x = v[i], j = i;
            while (j > 0 && compare(t, vs, v[j - 1], x) > 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(t, vs, v, tmp, h);
    merge_sort(t, vs, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = compare(t, vs, v[i], v[j]) <= 0 ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

void table_finish(top_table *t, top_view_state *vs)
{
    if (vs->sort_col >= t->ncols)
        vs->sort_col = t->ncols - 1;
    t->norder = 0;
    if (!grow(t, (void **)&t->order, &t->cap_order, t->nrows, sizeof *t->order)) {
        t->oom = true;
        t->nrows = 0;
        return;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        bool keep = vs->filter[0] == 0;
        for (int c = 0; !keep && c < t->ncols; c++)
            keep = contains_nocase(t->text + t->rows[r].cell[c], vs->filter);
        if (!keep && t->rows[r].search)
            keep = contains_nocase(t->text + t->rows[r].search, vs->filter);
        if (keep)
            t->order[t->norder++] = r;
    }
    if (vs->sort_col >= 0 && t->norder > 1) {
        if (grow(t, (void **)&t->tmp, &t->cap_tmp, t->norder, sizeof *t->tmp))
            merge_sort(t, vs, t->order, t->tmp, t->norder);
        else
            t->oom = true; /* shown unsorted rather than not at all */
    }
    if (t->norder == 0)
        vs->cursor = 0;
    else if (vs->cursor >= t->norder)
        vs->cursor = t->norder - 1;
}

/* Widths of the columns that fit in width; 0 for a dropped column. */
static void layout(top_table *t, const top_screen *s, int width, int *w)
{
    int total = 0, shown = 0;
    for (int c = 0; c < t->ncols; c++) {
        int content = 0;
        for (size_t i = 0; i < t->norder; i++) {
            int cw = scr_width(s, t->text + t->rows[t->order[i]].cell[c]);
            if (cw > content)
                content = cw;
        }
        int tw = scr_width(s, t->cols[c].title) + 1; /* room for the sort arrow */
        if (tw > content)
            content = tw;
        if (t->cols[c].max_w && content > t->cols[c].max_w)
            content = t->cols[c].max_w;
        if (content < t->cols[c].min_w)
            content = t->cols[c].min_w;
        w[c] = content;
        total += content;
        shown++;
    }
    total += shown > 0 ? shown - 1 : 0;
    /* drop columns (highest drop number first) while even their minimum
     * widths cannot fit, then narrow what is left */
    for (;;) {
        int min_total = 0, vis = 0;
        for (int c = 0; c < t->ncols; c++)
            if (w[c]) {
                min_total += t->cols[c].min_w < w[c] ? t->cols[c].min_w : w[c];
                vis++;
            }
        min_total += vis > 0 ? vis - 1 : 0;
        if (min_total <= width)
            break;
        int victim = -1;
        for (int c = 0; c < t->ncols; c++)
            if (w[c] && t->cols[c].drop && (victim < 0 || t->cols[c].drop >= t->cols[victim].drop))
                victim = c;
        if (victim < 0)
            break;
        total -= w[victim] + 1;
        w[victim] = 0;
    }
    /* still too wide: narrow the widest columns, down to their minimum */
    while (total > width) {
        int widest = -1;
        for (int c = 0; c < t->ncols; c++)
            if (w[c] > t->cols[c].min_w && (widest < 0 || w[c] > w[widest]))
                widest = c;
        if (widest < 0)
            break;
        w[widest]--;
        total--;
    }
}

static void draw_cell(top_screen *s, int y, int x, int w, const char *text, bool right, uint8_t attr)
{
    int tw = scr_width(s, text);
    int off = right && tw < w ? w - tw : 0;
    scr_text(s, y, x + off, w - off, text, attr, true);
}

void table_draw(top_table *t, top_view_state *vs, top_screen *s, int y, int height, int width)
{
    if (height < 1)
        return;
    int w[TABLE_MAX_COLS];
    layout(t, s, width, w);

    /* header */
    scr_fill(s, y, 0, width, ' ', SCR_REVERSE);
    int x = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (!w[c])
            continue;
        char title[TABLE_TITLE_MAX + 8];
        const char *arrow = "";
        if (c == vs->sort_col)
            arrow = s->utf8 ? (vs->sort_desc ? "\xe2\x96\xbc" : "\xe2\x96\xb2") : (vs->sort_desc ? "v" : "^");
        snprintf(title, sizeof title, "%s%s", t->cols[c].title, arrow);
        uint8_t attr = SCR_REVERSE | (c == vs->sort_col ? SCR_BOLD : 0);
        draw_cell(s, y, x, w[c], title, t->cols[c].numeric, attr);
        x += w[c] + 1;
    }

    /* rows, scrolled so that the cursor is visible */
    size_t lines = (size_t)(height - 1);
    if (lines == 0)
        return;
    if (vs->cursor < vs->scroll)
        vs->scroll = vs->cursor;
    if (vs->cursor >= vs->scroll + lines)
        vs->scroll = vs->cursor - lines + 1;
    if (vs->scroll + lines > t->norder)
        vs->scroll = t->norder > lines ? t->norder - lines : 0;
    for (size_t i = 0; i < lines && vs->scroll + i < t->norder; i++) {
        size_t di = vs->scroll + i;
        const top_row *r = &t->rows[t->order[di]];
        int ry = y + 1 + (int)i;
        uint8_t attr = r->attr;
        if (di == vs->cursor) {
            attr = (uint8_t)((attr & ~SCR_DIM) | SCR_REVERSE);
            scr_fill(s, ry, 0, width, ' ', attr);
        }
        x = 0;
        for (int c = 0; c < t->ncols; c++) {
            if (!w[c])
                continue;
            draw_cell(s, ry, x, w[c], t->text + r->cell[c], t->cols[c].numeric, attr);
            x += w[c] + 1;
        }
    }
}

#include "top_screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "tool_util.h"

psc_err scr_resize(top_screen *s, int w, int h, const psc_allocator *a)
{
    if (w < 1 || h < 1 || (size_t)w > 4096 || (size_t)h > 4096)
        return PSC_ERR_INVALID;
    psc_allocator al = tool_allocator(a);
    if (s->cells && s->alloc.alloc)
        al = s->alloc; /* one allocator for the grid's whole life */
    top_cell *c = al.alloc(al.user, (size_t)w * (size_t)h * sizeof *c);
    if (!c)
        return PSC_ERR_NOMEM;
    if (s->cells)
        al.free(al.user, s->cells);
    s->cells = c;
    s->alloc = al;
    s->w = w;
    s->h = h;
    scr_clear(s);
    return PSC_OK;
}

void scr_free(top_screen *s)
{
    if (s->cells)
        s->alloc.free(s->alloc.user, s->cells);
    s->cells = NULL;
    s->w = s->h = 0;
}

void scr_clear(top_screen *s)
{
    for (int i = 0; i < s->w * s->h; i++) {
        s->cells[i].ch[0] = ' ';
        s->cells[i].ch[1] = 0;
        s->cells[i].attr = 0;
    }
}

/* Decode one UTF-8 character (RFC 3629); 0 for an invalid sequence. */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0; /* also stops at the NUL */
        v = (v << 6) | (p[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* The next displayable character of text: its bytes (written to out,
 * NUL-terminated), its width (1 or 2), and how many input bytes it took. */
static size_t next_char(const top_screen *s, const char *text, char out[5], int *width)
{
    const unsigned char *p = (const unsigned char *)text;
    uint32_t cp;
    size_t n = utf8_decode(p, &cp);
    if (n == 0) {
        /* skip the bad lead byte and any continuation bytes after it */
        n = 1;
        while (n < 4 && (p[n] & 0xc0) == 0x80)
            n++;
        cp = '?';
    }
    int wd = 1;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
        cp = '?';
    } else if (cp >= 0x80) {
        wd = s->utf8 ? wcwidth((wchar_t)cp) : -1;
        if (wd < 1 || wd > 2) {
            cp = '?';
            wd = 1;
        }
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = 0;
    } else {
        memcpy(out, text, n);
        out[n] = 0;
    }
    *width = wd;
    return n;
}

int scr_width(const top_screen *s, const char *text)
{
    int w = 0;
    char ch[5];
    while (*text) {
        int cw;
        text += next_char(s, text, ch, &cw);
        w += cw;
    }
    return w;
}

static top_cell *cell(top_screen *s, int y, int x)
{
    return &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
}

int scr_text(top_screen *s, int y, int x, int maxw, const char *text, uint8_t attr, bool ellipsis)
{
    if (!text || y < 0 || y >= s->h || x < 0 || x >= s->w)
        return 0;
    int limit = s->w - x;
    if (maxw >= 0 && maxw < limit)
        limit = maxw;
    if (limit <= 0)
        return 0;
    bool cut = ellipsis && scr_width(s, text) > limit;
    int room = cut ? limit - 1 : limit;
    int used = 0;
    char ch[5];
    while (*text) {
        int cw;
        size_t n = next_char(s, text, ch, &cw);
        if (used + cw > room)
            break;
        top_cell *c = cell(s, y, x + used);
        memcpy(c->ch, ch, sizeof ch);
        c->attr = attr;
        if (cw == 2) {
            c[1].ch[0] = 0;
            c[1].attr = attr;
        }
        used += cw;
        text += n;
    }
    if (cut) {
        top_cell *c = cell(s, y, x + used);
        strcpy(c->ch, s->utf8 ? "\xe2\x80\xa6" : "~");
        c->attr = attr;
        used++;
    }
    return used;
}

int scr_printf(top_screen *s, int y, int x, int maxw, uint8_t attr, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return scr_text(s, y, x, maxw, buf, attr, false);
}

void scr_fill(top_screen *s, int y, int x, int n, char c, uint8_t attr)
{
    if (y < 0 || y >= s->h)
        return;
    for (int i = 0; i < n && x + i < s->w; i++) {
        if (x + i < 0)
            continue;
        top_cell *t = cell(s, y, x + i);
        t->ch[0] = c;
        t->ch[1] = 0;
        t->attr = attr;
    }
}

void scr_set_attr(top_screen *s, int y, int x, int n, uint8_t attr)
{
    if (y < 0 || y >= s->h)
        return;
    for (int i = 0; i < n && x + i < s->w; i++)
        if (x + i >= 0)
            cell(s, y, x + i)->attr = attr;
}

void scr_sparkline(top_screen *s, int y, int x, int width, const double *vals, size_t n, uint8_t attr)
{
    static const char *const blocks[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                          "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
    static const char ascii[8] = {'_', '.', ':', '-', '=', '+', '*', '#'};
    if (width <= 0 || y < 0 || y >= s->h)
        return;
    size_t shown = n < (size_t)width ? n : (size_t)width;
    const double *v = vals + (n - shown);
    double max = 0;
    for (size_t i = 0; i < shown; i++)
        if (v[i] > max)
            max = v[i];
    int pad = width - (int)shown;
    scr_fill(s, y, x, pad, ' ', attr);
    for (size_t i = 0; i < shown; i++) {
        int cx = x + pad + (int)i;
        if (cx < 0 || cx >= s->w)
            continue;
        int level = max > 0 ? (int)(v[i] / max * 7.0 + 0.5) : 0;
        if (level < 0)
            level = 0;
        if (level > 7)
            level = 7;
        top_cell *c = cell(s, y, cx);
        if (s->utf8) {
            strcpy(c->ch, blocks[level]);
        } else {
            c->ch[0] = ascii[level];
            c->ch[1] = 0;
        }
        c->attr = attr;
    }
}

void scr_bar(top_screen *s, int y, int x, int width, double used, double limit)
{
    if (width < 3)
        return;
    int inner = width - 2;
    int fill = 0;
    if (limit > 0) {
        double f = used / limit;
        fill = (int)(f * inner + 0.5);
        if (fill > inner)
            fill = inner;
        if (fill < 0)
            fill = 0;
        if (used > 0 && fill == 0)
            fill = 1; /* something is used: show it */
    }
    uint8_t attr = limit <= 0 ? SCR_DIM : used >= limit * 0.9 ? SCR_RED : used >= limit * 0.7 ? SCR_YELLOW : SCR_GREEN;
    scr_fill(s, y, x, 1, '[', SCR_DEFAULT);
    scr_fill(s, y, x + 1, fill, '#', attr);
    scr_fill(s, y, x + 1 + fill, inner - fill, limit > 0 ? '-' : ' ', SCR_DIM);
    scr_fill(s, y, x + 1 + inner, 1, ']', SCR_DEFAULT);
}

void scr_row_text(const top_screen *s, int y, char *buf, size_t len)
{
    size_t o = 0, last = 0;
    if (len == 0)
        return;
    for (int x = 0; x < s->w && y >= 0 && y < s->h; x++) {
        const char *ch = s->cells[(size_t)y * (size_t)s->w + (size_t)x].ch;
        size_t n = strlen(ch);
        if (o + n + 1 > len)
            break;
        memcpy(buf + o, ch, n);
        o += n;
        if (n && !(n == 1 && ch[0] == ' '))
            last = o;
    }
    buf[last] = 0;
}

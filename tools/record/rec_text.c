#include "rec_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool rec_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, byte by byte */
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, len - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

char *rec_text(rec_arena *a, const char *s)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    if (rec_utf8_valid(s, len))
        return rec_arena_strndup(a, s, len);
    /* each bad byte becomes the 3 bytes of U+FFFD */
    char *out = rec_arena_alloc(a, len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i);
        if (k) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    return out;
}

char *rec_hex(rec_arena *a, const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = rec_arena_alloc(a, len * 2 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[len * 2] = 0;
    return out;
}

void rec_buf_init(rec_buf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->ok = true;
}

void rec_buf_free(rec_buf *b)
{
    free(b->p);
    rec_buf_init(b);
}

void rec_buf_add(rec_buf *b, const char *s, size_t len)
{
    if (!b->ok)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->ok = false;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = 0;
}

void rec_buf_str(rec_buf *b, const char *s)
{
    rec_buf_add(b, s, strlen(s));
}

void rec_buf_json_string(rec_buf *b, const char *s)
{
    rec_buf_add(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)p);
    size_t run = 0; /* bytes copied as they are, written in one go */
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t k = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
            esc = ubuf;
        } else if (c >= 0x80) {
            k = utf8_seq(p + i, len - i);
            if (!k) {
                esc = "\xef\xbf\xbd";
                k = 1;
            }
        }
        if (esc) {
            rec_buf_add(b, (const char *)p + i - run, run);
            run = 0;
            rec_buf_str(b, esc);
        } else {
            run += k;
        }
        i += k;
    }
    rec_buf_add(b, (const char *)p + len - run, run);
    rec_buf_add(b, "\"", 1);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * Whether a valid JSON text is one PostgreSQL's jsonb takes: valid UTF-8,
 * no \u0000 and no surrogate escape without its pair. One pass: in valid
 * JSON a backslash only occurs inside strings, so a plain scan finds every
 * escape.
 */
static bool jsonb_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x80) {
            size_t k = utf8_seq(p + i, len - i);
            if (!k)
                return false;
            i += k - 1;
            continue;
        }
        if (p[i] != '\\')
            continue;
        if (i + 1 >= len)
            return false;
        if (p[i + 1] != 'u') {
            i++; /* \" \\ \n ...: skip the escaped character */
            continue;
        }
        if (i + 6 > len)
            return false;
        int cp = hex4(s + i + 2);
        if (cp <= 0 || (cp >= 0xdc00 && cp <= 0xdfff))
            return false;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u')
                return false;
            int lo = hex4(s + i + 8);
            if (lo < 0xdc00 || lo > 0xdfff)
                return false;
            i += 6;
        }
        i += 5;
    }
    return true;
}

char *rec_json_props(rec_arena *a, const char *content, bool *wrapped)
{
    if (!content)
        content = "";
    size_t len = strlen(content);
    js_val v;
    if (jsonb_ok(content, len) && js_parse(content, len, &v)) {
        *wrapped = false;
        return rec_arena_strndup(a, content, len);
    }
    *wrapped = true;
    rec_buf b;
    rec_buf_init(&b);
    rec_buf_json_string(&b, content);
    char *out = b.ok ? rec_arena_strndup(a, b.p, b.len) : NULL;
    rec_buf_free(&b);
    return out;
}

#include "json_scan.h"

#include <stdint.h>
#include <string.h>

/* Nesting the skipper follows; deeper documents are treated as malformed. */
#define JS_MAX_DEPTH 64

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static const char *skip_string(const char *p, const char *end)
{
    p++; /* opening quote */
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (p + 1 >= end)
                return NULL;
            p += 2;
            continue;
        }
        if (c < 0x20)
            return NULL;
        p++;
    }
    return NULL;
}

static bool is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Skip one value starting at p (no leading blanks); NULL if malformed. */
static const char *skip_value(const char *p, const char *end, js_kind *kind)
{
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        *kind = JS_STRING;
        return skip_string(p, end);
    case '{':
    case '[': {
        *kind = *p == '{' ? JS_OBJECT : JS_ARRAY;
        char stack[JS_MAX_DEPTH];
        int depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = skip_string(p, end);
                if (!p)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[') {
                if (depth == JS_MAX_DEPTH)
                    return NULL;
                stack[depth++] = c == '{' ? '}' : ']';
            } else if (c == '}' || c == ']') {
                if (depth == 0 || stack[depth - 1] != c)
                    return NULL;
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    case 't':
        *kind = JS_TRUE;
        return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        *kind = JS_FALSE;
        return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        *kind = JS_NULL;
        return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            *kind = JS_NUMBER;
            const char *q = p;
            while (q < end && is_num_char(*q))
                q++;
            return q;
        }
        return NULL;
    }
}

/* Check one value strictly (RFC 8259 structure; numbers loosely); returns its end or NULL. */
static const char *validate(const char *p, const char *end, int depth)
{
    js_kind k;
    if (p >= end)
        return NULL;
    if (*p != '{' && *p != '[')
        return skip_value(p, end, &k);
    if (depth >= JS_MAX_DEPTH)
        return NULL;
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    p = ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (obj) {
            if (p >= end || *p != '"' || !(p = skip_string(p, end)))
                return NULL;
            p = ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = ws(p + 1, end);
        }
        if (!(p = validate(p, end, depth + 1)))
            return NULL;
        p = ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = ws(p + 1, end);
    }
}

bool js_parse(const char *text, size_t len, js_val *v)
{
    const char *end = text + len;
    const char *p = ws(text, end);
    const char *q = validate(p, end, 0);
    if (!q || ws(q, end) != end)
        return false;
    skip_value(p, end, &v->kind);
    v->p = p;
    v->n = (size_t)(q - p);
    return true;
}

bool js_enter(const js_val *v, js_iter *it)
{
    if (v->kind != JS_OBJECT && v->kind != JS_ARRAY)
        return false;
    it->p = v->p + 1;
    it->end = v->p + v->n - 1; /* the closing bracket */
    it->first = true;
    it->failed = false;
    return true;
}

/* Past the separator before the next item; false at the end. */
static bool advance(js_iter *it)
{
    if (it->failed)
        return false;
    it->p = ws(it->p, it->end);
    if (it->p >= it->end)
        return false;
    if (!it->first) {
        if (*it->p != ',') {
            it->failed = true;
            return false;
        }
        it->p = ws(it->p + 1, it->end);
    }
    it->first = false;
    return true;
}

static bool take_value(js_iter *it, js_val *val)
{
    js_kind k;
    const char *q = skip_value(it->p, it->end, &k);
    if (!q) {
        it->failed = true;
        return false;
    }
    val->p = it->p;
    val->n = (size_t)(q - it->p);
    val->kind = k;
    it->p = q;
    return true;
}

bool js_next_member(js_iter *it, js_val *key, js_val *val)
{
    if (!advance(it))
        return false;
    if (*it->p != '"' || !take_value(it, key)) {
        it->failed = true;
        return false;
    }
    it->p = ws(it->p, it->end);
    if (it->p >= it->end || *it->p != ':') {
        it->failed = true;
        return false;
    }
    it->p = ws(it->p + 1, it->end);
    return take_value(it, val);
}

bool js_next_element(js_iter *it, js_val *val)
{
    return advance(it) && take_value(it, val);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

static size_t utf8_put(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (char)(0xf0 | cp >> 18);
    b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t js_text(const js_val *v, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    size_t o = 0;
    if (v->kind != JS_STRING) {
        size_t n = v->n < cap - 1 ? v->n : cap - 1;
        memcpy(out, v->p, n);
        out[n] = 0;
        return n;
    }
    const char *p = v->p + 1, *end = v->p + v->n - 1;
    while (p < end) {
        char b[4];
        size_t bn;
        if (*p != '\\') {
            /* copy a whole UTF-8 character so a cut never splits one */
            unsigned char c = (unsigned char)*p;
            bn = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if ((size_t)(end - p) < bn)
                bn = (size_t)(end - p);
            memcpy(b, p, bn);
            p += bn;
        } else {
            char e = p + 1 < end ? p[1] : 0;
            p += 2;
            uint32_t cp;
            switch (e) {
            case 'n': cp = '\n'; break;
            case 't': cp = '\t'; break;
            case 'r': cp = '\r'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'u':
                if (!hex4(p, end, &cp)) {
                    cp = 0xfffd;
                    break;
                }
                p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, end, &lo) && lo >= 0xdc00 &&
                        lo <= 0xdfff) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        p += 6;
                    } else {
                        cp = 0xfffd;
                    }
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    cp = 0xfffd;
                }
                break;
            default: cp = (unsigned char)e; break; /* \" \\ \/ */
            }
            bn = utf8_put(cp, b);
        }
        if (o + bn > cap - 1)
            break;
        memcpy(out + o, b, bn);
        o += bn;
    }
    out[o] = 0;
    return o;
}

bool js_string_eq(const js_val *v, const char *s)
{
    if (v->kind != JS_STRING)
        return false;
    char buf[256];
    size_t n = strlen(s);
    if (n >= sizeof buf - 1) /* a cut decode could then look equal */
        return false;
    size_t got = js_text(v, buf, sizeof buf);
    return got == n && memcmp(buf, s, n) == 0;
}

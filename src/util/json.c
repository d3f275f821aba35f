/*
 * Strict RFC 8259 validation, and the UTF-8 scanner the JSON writer shares.
 *
 * The validator is a loop over an explicit container stack held in one
 * 64-bit word (one bit per level: object or array), so it needs no memory,
 * no recursion, and cannot be driven into a stack overflow by deep input.
 */
#include "util/json.h"

#include <stdint.h>
#include <string.h>

_Static_assert(PSC__JSON_MAX_DEPTH <= 64, "the container stack is one 64-bit word");

size_t psc__utf8_scan(const unsigned char *s, size_t n, bool *valid)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

    /* Unicode table 3-7 (well-formed UTF-8 byte sequences). */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *valid = c < 0x80;
        return 1;
    }
    for (size_t i = 1; i < need; i++) {
        unsigned char b = i < n ? s[i] : 0;
        bool ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        if (i >= n || !ok) {
            *valid = false;
            return i; /* the maximal subpart ends before the offending byte */
        }
    }
    *valid = true;
    return need;
}

bool psc__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        bool ok;
        i += psc__utf8_scan(p + i, n - i, &ok);
        if (!ok)
            return false;
    }
    return true;
}

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* *pp at the opening quote; on success just past the closing one. */
static bool scan_string(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp + 1;
    for (;;) {
        if (p >= end)
            return false;
        unsigned char c = *p;
        if (c == '"') {
            *pp = p + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++p >= end)
                return false;
            switch (*p) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p++;
                break;
            case 'u':
                if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]))
                    return false;
                p += 5;
                break;
            default:
                return false;
            }
        } else if (c >= 0x80) {
            bool ok;
            p += psc__utf8_scan(p, (size_t)(end - p), &ok);
            if (!ok)
                return false;
        } else {
            p++;
        }
    }
}

static bool scan_digits(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    if (p >= end || !is_digit(*p))
        return false;
    while (p < end && is_digit(*p))
        p++;
    *pp = p;
    return true;
}

static bool scan_number(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    if (*p == '-')
        p++;
    if (p >= end)
        return false;
    if (*p == '0')
        p++; /* no leading zeros */
    else if (!scan_digits(&p, end))
        return false;
    if (p < end && *p == '.') {
        p++;
        if (!scan_digits(&p, end))
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!scan_digits(&p, end))
            return false;
    }
    *pp = p;
    return true;
}

static bool scan_literal(const unsigned char **pp, const unsigned char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
        return false;
    *pp += n;
    return true;
}

bool psc__json_valid(const char *s, size_t len)
{
    if (!s)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;
    uint64_t objects = 0; /* bit d set: the container at depth d + 1 is an object */
    unsigned depth = 0;

    p = skip_ws(p, end);
value:
    if (p >= end)
        return false;
    switch (*p) {
    case '{':
    case '[':
        if (depth == PSC__JSON_MAX_DEPTH)
            return false;
        if (*p == '{')
            objects |= (uint64_t)1 << depth;
        else
            objects &= ~((uint64_t)1 << depth);
        depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (objects >> (depth - 1) & 1 ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        if (objects >> (depth - 1) & 1)
            goto key;
        goto value;
    case '"':
        if (!scan_string(&p, end))
            return false;
        goto after_value;
    case 't':
        if (!scan_literal(&p, end, "true", 4))
            return false;
        goto after_value;
    case 'f':
        if (!scan_literal(&p, end, "false", 5))
            return false;
        goto after_value;
    case 'n':
        if (!scan_literal(&p, end, "null", 4))
            return false;
        goto after_value;
    default:
        if (*p != '-' && !is_digit(*p))
            return false;
        if (!scan_number(&p, end))
            return false;
        goto after_value;
    }

key:
    if (p >= end || *p != '"' || !scan_string(&p, end))
        return false;
    p = skip_ws(p, end);
    if (p >= end || *p != ':')
        return false;
    p = skip_ws(p + 1, end);
    goto value;

after_value:
    p = skip_ws(p, end);
    if (depth == 0)
        return p == end;
    if (p >= end)
        return false;
    if (objects >> (depth - 1) & 1) {
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            goto key;
        }
        if (*p != '}')
            return false;
    } else {
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            goto value;
        }
        if (*p != ']')
            return false;
    }
    p++;
    depth--;
    goto after_value;
}

/* Word at a time: almost every string a host reports is plain ASCII. */
static bool ascii_only(const char *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ull) == 0;
}

bool psc__text_valid(const char *s, size_t n)
{
    return ascii_only(s, n) || psc__utf8_valid(s, n);
}

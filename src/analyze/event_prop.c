/*
 * One top-level property of an event's JSON content. The content is a
 * JSON object the library formatted itself (or validated, for JSON
 * values), so a scanner that skips values is enough; anything it does
 * not understand is reported as not found rather than guessed.
 */
#include <string.h>

#include "analyze/analyze.h"

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Past a string starting at its opening quote; NULL when unterminated. */
static const char *skip_string(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\') {
            if (!*++p)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* Past any value; NULL when malformed. */
static const char *skip_value(const char *p)
{
    p = skip_ws(p);
    if (*p == '"')
        return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') {
                if (!(p = skip_string(p)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *s = p;
    while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
        p++;
    return p > s ? p : NULL;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Unescape the string at p (its opening quote) into buf. */
static psc_err copy_string(const char *p, char *buf, size_t cap)
{
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char tmp[4];
        size_t k = 1;
        tmp[0] = *p;
        if (*p == '\\') {
            char c = *++p;
            switch (c) {
            case 'n': tmp[0] = '\n'; break;
            case 't': tmp[0] = '\t'; break;
            case 'r': tmp[0] = '\r'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 1; i <= 4; i++) {
                    int h = hex(p[i]);
                    if (h < 0)
                        return PSC_ERR_NOT_FOUND;
                    v = v * 16 + (unsigned)h;
                }
                p += 4;
                /* surrogates are not paired here: the library escapes only control characters */
                if (v < 0x80) {
                    tmp[0] = (char)v;
                } else if (v < 0x800) {
                    tmp[0] = (char)(0xC0 | (v >> 6));
                    tmp[1] = (char)(0x80 | (v & 0x3F));
                    k = 2;
                } else {
                    tmp[0] = (char)(0xE0 | (v >> 12));
                    tmp[1] = (char)(0x80 | ((v >> 6) & 0x3F));
                    tmp[2] = (char)(0x80 | (v & 0x3F));
                    k = 3;
                }
                break;
            }
            case '\0': return PSC_ERR_NOT_FOUND;
            default: tmp[0] = c; break;
            }
        }
        if (n + k >= cap)
            return PSC_ERR_TOO_BIG;
        memcpy(buf + n, tmp, k);
        n += k;
    }
    if (*p != '"')
        return PSC_ERR_NOT_FOUND;
    buf[n] = '\0';
    return PSC_OK;
}

psc_err psc_event_prop_text(const char *content, const char *prop, char *buf, size_t cap)
{
    if (!content || !prop || !buf || !cap)
        return PSC_ERR_INVALID;
    size_t plen = strlen(prop);
    const char *p = skip_ws(content);
    if (*p != '{')
        return PSC_ERR_NOT_FOUND;
    p = skip_ws(p + 1);
    while (*p == '"') {
        const char *key = p + 1, *end = skip_string(p);
        if (!end)
            return PSC_ERR_NOT_FOUND;
        /* keys the library writes are property names: no escapes to compare */
        bool match = (size_t)(end - 1 - key) == plen && memcmp(key, prop, plen) == 0;
        p = skip_ws(end);
        if (*p != ':')
            return PSC_ERR_NOT_FOUND;
        p = skip_ws(p + 1);
        if (match) {
            if (*p == '"')
                return copy_string(p, buf, cap);
            if (*p == '{' || *p == '[' || strncmp(p, "null", 4) == 0)
                return PSC_ERR_NOT_FOUND;
            const char *v = skip_value(p);
            if (!v)
                return PSC_ERR_NOT_FOUND;
            size_t n = (size_t)(v - p);
            if (n >= cap)
                return PSC_ERR_TOO_BIG;
            memcpy(buf, p, n);
            buf[n] = '\0';
            return PSC_OK;
        }
        if (!(p = skip_value(p)))
            return PSC_ERR_NOT_FOUND;
        p = skip_ws(p);
        if (*p != ',')
            break;
        p = skip_ws(p + 1);
    }
    return PSC_ERR_NOT_FOUND;
}

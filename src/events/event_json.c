/*
 * JSON content of an event: {"prop":value,...} in declared order.
 *
 * Made from the values a reader finds packed in the ring (the usual case,
 * psc__event_format_packed) or, when emit could not pack them, from the
 * host's values on emit's thread (psc__event_format). Both write the same
 * bytes through the same helpers, straight into a bounded buffer, never
 * allocate, and copy runs of plain bytes at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "events/event_store.h"
#include "util/json.h"

typedef struct jw {
    char *p;
    char *end;
} jw;

static inline bool put(jw *w, const void *s, size_t n)
{
    if ((size_t)(w->end - w->p) < n)
        return false;
    memcpy(w->p, s, n);
    w->p += n;
    return true;
}

static inline bool put_c(jw *w, char c)
{
    if (w->p == w->end)
        return false;
    *w->p++ = c;
    return true;
}

/* Printable ASCII other than the two characters JSON strings must escape. */
static inline bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static const char hexd[] = "0123456789abcdef";
static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Escape one non-plain byte sequence at s into tmp; returns the bytes of s
 * consumed and sets *out and *out_len to what to write. */
static size_t escape_one(const unsigned char *s, size_t n, char tmp[6], const char **out, size_t *out_len)
{
    unsigned char c = s[0];
    if (c == '"' || c == '\\') {
        tmp[0] = '\\';
        tmp[1] = (char)c;
        *out = tmp;
        *out_len = 2;
        return 1;
    }
    if (c < 0x20) {
        /* one form for every control character keeps the table trivial */
        memcpy(tmp, "\\u00", 4);
        tmp[4] = hexd[c >> 4];
        tmp[5] = hexd[c & 15];
        *out = tmp;
        *out_len = 6;
        return 1;
    }
    bool ok;
    size_t k = psc__utf8_scan(s, n, &ok);
    if (ok) {
        *out = (const char *)s;
        *out_len = k;
    } else {
        /* so that the content is always valid JSON, whatever the host passes */
        *out = replacement;
        *out_len = 3;
    }
    return k;
}

static bool put_escaped(jw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain(s[run]))
            run++;
        if (!put(w, s + i, run - i))
            return false;
        if (run == n)
            break;
        char tmp[6];
        const char *o;
        size_t olen;
        i = run + escape_one(s + run, n - run, tmp, &o, &olen);
        if (!put(w, o, olen))
            return false;
    }
    return true;
}

size_t psc__json_escaped_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = 0, i = 0;
    while (i < n) {
        if (plain(s[i])) {
            len++;
            i++;
            continue;
        }
        char tmp[6];
        const char *o;
        size_t olen;
        i += escape_one(s + i, n - i, tmp, &o, &olen);
        len += olen;
    }
    return len;
}

char *psc__json_escape(char *out, const char *s, size_t n)
{
    jw w = {out, out + psc__json_escaped_len(s, n)};
    put_escaped(&w, s, n); /* sized exactly above, cannot fail */
    return w.p;
}

static bool put_string_n(jw *w, const char *s, size_t n)
{
    return put_c(w, '"') && put_escaped(w, s, n) && put_c(w, '"');
}

static bool put_string(jw *w, const char *s)
{
    if (!s)
        return put(w, "null", 4);
    return put_string_n(w, s, strlen(s));
}

static bool put_u64(jw *w, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return put(w, tmp + i, sizeof tmp - i);
}

/* snprintf follows LC_NUMERIC, which the host may have set to use a comma
 * or a multibyte decimal point: map whatever separates the digits back to '.'. */
static bool put_printed(jw *w, const char *tmp, int n)
{
    char out[40];
    size_t o = 0;
    for (int i = 0; i < n && i < 39 && o < sizeof out; i++) {
        char c = tmp[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E')
            out[o++] = c;
        else if (o == 0 || out[o - 1] != '.')
            out[o++] = '.';
    }
    return put(w, out, o);
}

static bool put_number(jw *w, double x)
{
    if (x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308)
        return put(w, "null", 4); /* JSON has no NaN or infinity */
    double ax = x < 0 ? -x : x;
    if (ax < 9223372036854775808.0) {
        int64_t i = (int64_t)x;
        if ((double)i == x) {
            if (i < 0 && !put_c(w, '-'))
                return false;
            return put_u64(w, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i);
        }
    }
    char tmp[40];
    int n;
    if (ax >= 9223372036854775808.0 && ax < 1e21) {
        /* integral (every double this large is): digits, no exponent, like JS */
        n = snprintf(tmp, sizeof tmp, "%.0f", x);
        return put_printed(w, tmp, n);
    }
    /* the shortest of 15, 16, 17 significant digits that reads back exactly */
    int saved = errno;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (prec == 17 || strtod(tmp, NULL) == x)
            break;
    }
    errno = saved;
    return put_printed(w, tmp, n);
}

/* PSC_ERR_OK, PSC_ERR_TOO_BIG or PSC_ERR_INVALID as a tri-state from helpers */
static psc_err put_json(jw *w, const char *s)
{
    if (!s)
        return put(w, "null", 4) ? PSC_OK : PSC_ERR_TOO_BIG;
    size_t n = strlen(s);
    if (!psc__json_valid(s, n))
        return PSC_ERR_INVALID;
    return put(w, s, n) ? PSC_OK : PSC_ERR_TOO_BIG;
}

static psc_err put_single(jw *w, psc_prop_type type, const psc_value *v)
{
    bool ok;
    switch (type) {
    case PSC_PROP_STRING:
    case PSC_PROP_PEERID:
    case PSC_PROP_MULTIADDR:
        ok = put_string(w, v->u.str);
        break;
    case PSC_PROP_NUMBER:
        ok = put_number(w, v->u.num);
        break;
    case PSC_PROP_TIME:
        ok = put_u64(w, v->u.time);
        break;
    case PSC_PROP_JSON:
        return put_json(w, v->u.str);
    default:
        return PSC_ERR_INVALID;
    }
    return ok ? PSC_OK : PSC_ERR_TOO_BIG;
}

static psc_err put_array(jw *w, psc_prop_type type, const psc_value *v)
{
    const void *items = type == PSC_PROP_NUMBER ? (const void *)v->u.nums
                        : type == PSC_PROP_TIME ? (const void *)v->u.times
                                                : (const void *)v->u.strs;
    if (v->count && !items)
        return PSC_ERR_INVALID;
    if (!put_c(w, '['))
        return PSC_ERR_TOO_BIG;
    for (size_t i = 0; i < v->count; i++) {
        if (i && !put_c(w, ','))
            return PSC_ERR_TOO_BIG;
        psc_value one;
        switch (type) {
        case PSC_PROP_NUMBER:
            one.u.num = v->u.nums[i];
            break;
        case PSC_PROP_TIME:
            one.u.time = v->u.times[i];
            break;
        default:
            one.u.str = v->u.strs[i];
            break;
        }
        psc_err e = put_single(w, type, &one);
        if (e != PSC_OK)
            return e;
    }
    return put_c(w, ']') ? PSC_OK : PSC_ERR_TOO_BIG;
}

/* Keys are stored as `,"name":`; the first one goes without the comma. */
static bool put_key(jw *w, const psc_event_type *t, size_t i, bool *first)
{
    const psc__prop_key *k = &t->keys[i];
    bool ok = put(w, k->text + *first, k->len - *first);
    *first = false;
    return ok;
}

psc_err psc__event_format(const psc_event_type *t, const psc_value *values, size_t n_values, char *buf,
                          size_t cap, size_t *len)
{
    if (!t || n_values != t->n_props || (n_values && !values))
        return PSC_ERR_INVALID;
    jw w = {buf, buf + cap};
    if (!put_c(&w, '{'))
        return PSC_ERR_TOO_BIG;
    bool first = true;
    for (size_t i = 0; i < t->n_props; i++) {
        const psc_value *v = &values[i];
        if (v->absent)
            continue;
        if (!put_key(&w, t, i, &first))
            return PSC_ERR_TOO_BIG;
        const psc_prop_def *p = &t->props[i];
        psc_err e = p->multiple ? put_array(&w, p->type, v) : put_single(&w, p->type, v);
        if (e != PSC_OK)
            return e;
    }
    if (!put_c(&w, '}'))
        return PSC_ERR_TOO_BIG;
    *len = (size_t)(w.p - buf);
    return PSC_OK;
}

/* ---- from packed values (the layout is in event_store.h) ---- */

typedef struct rd {
    const uint8_t *p;
    const uint8_t *end;
} rd;

static inline bool take(rd *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static psc_err put_packed_one(jw *w, rd *r, psc_prop_type type)
{
    if (type == PSC_PROP_NUMBER || type == PSC_PROP_TIME) {
        uint64_t bits;
        if (!take(r, &bits, 8))
            return PSC_ERR_INVALID;
        bool ok;
        if (type == PSC_PROP_NUMBER) {
            double x;
            memcpy(&x, &bits, sizeof x);
            ok = put_number(w, x);
        } else {
            ok = put_u64(w, bits);
        }
        return ok ? PSC_OK : PSC_ERR_TOO_BIG;
    }
    uint32_t n;
    if (!take(r, &n, sizeof n))
        return PSC_ERR_INVALID;
    if (n == PSC__PACK_NULL)
        return put(w, "null", 4) ? PSC_OK : PSC_ERR_TOO_BIG;
    if ((size_t)(r->end - r->p) < n)
        return PSC_ERR_INVALID;
    const char *s = (const char *)r->p;
    r->p += n;
    /* JSON was validated at emit */
    bool ok = type == PSC_PROP_JSON ? put(w, s, n) : put_string_n(w, s, n);
    return ok ? PSC_OK : PSC_ERR_TOO_BIG;
}

static psc_err put_packed_array(jw *w, rd *r, psc_prop_type type)
{
    uint32_t count;
    if (!take(r, &count, sizeof count))
        return PSC_ERR_INVALID;
    if (!put_c(w, '['))
        return PSC_ERR_TOO_BIG;
    for (uint32_t i = 0; i < count; i++) {
        if (i && !put_c(w, ','))
            return PSC_ERR_TOO_BIG;
        psc_err e = put_packed_one(w, r, type);
        if (e != PSC_OK)
            return e;
    }
    return put_c(w, ']') ? PSC_OK : PSC_ERR_TOO_BIG;
}

psc_err psc__event_format_packed(const psc_event_type *t, const uint8_t *src, size_t n, char *buf, size_t cap,
                                 size_t *len)
{
    if (!t || (n && !src))
        return PSC_ERR_INVALID;
    rd r = {src, src + n};
    jw w = {buf, buf + cap};
    if (!put_c(&w, '{'))
        return PSC_ERR_TOO_BIG;
    bool first = true;
    for (size_t i = 0; i < t->n_props; i++) {
        uint8_t tag;
        if (!take(&r, &tag, 1) || (tag != PSC__PACK_ABSENT && tag != PSC__PACK_PRESENT))
            return PSC_ERR_INVALID;
        if (tag == PSC__PACK_ABSENT)
            continue;
        if (!put_key(&w, t, i, &first))
            return PSC_ERR_TOO_BIG;
        const psc_prop_def *p = &t->props[i];
        psc_err e = p->multiple ? put_packed_array(&w, &r, p->type) : put_packed_one(&w, &r, p->type);
        if (e != PSC_OK)
            return e;
    }
    if (r.p != r.end)
        return PSC_ERR_INVALID;
    if (!put_c(&w, '}'))
        return PSC_ERR_TOO_BIG;
    *len = (size_t)(w.p - buf);
    return PSC_OK;
}

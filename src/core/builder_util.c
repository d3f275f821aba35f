#include "core/records.h"

static size_t utf8_seq_len(unsigned char lead)
{
    return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
}

void psc__text_sanitize(char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_seq_len((unsigned char)s[i]);
        if (len <= n - i && psc__utf8_valid(s + i, len)) {
            i += len;
        } else {
            s[i++] = '?';
        }
    }
}

psc_err psc__copy_str(psc__arena *ar, const char *s, psc__str *out)
{
    if (!s) {
        out->p = NULL;
        out->len = 0;
        return PSC_OK;
    }
    size_t n = strnlen(s, PSC_MAX_TEXT + 1);
    if (n > PSC_MAX_TEXT)
        return PSC_ERR_TOO_BIG; /* and is not read to its end */
    if (!psc__text_valid(s, n))
        return PSC_ERR_INVALID;
    char *d = psc__arena_bytes(ar, n + 1);
    if (!d)
        return PSC_ERR_NOMEM;
    memcpy(d, s, n + 1);
    out->p = d;
    out->len = n;
    return PSC_OK;
}

psc_err psc__copy_str_req(psc__arena *ar, const char *s, psc__str *out)
{
    if (!s)
        return PSC_ERR_INVALID;
    return psc__copy_str(ar, s, out);
}

psc_err psc__copy_bytes(psc__arena *ar, const uint8_t *p, size_t len, psc__bytes *out)
{
    if (len && !p)
        return PSC_ERR_INVALID;
    if (len > PSC_MAX_TEXT)
        return PSC_ERR_TOO_BIG;
    if (!len) {
        out->p = NULL;
        out->len = 0;
        return PSC_OK;
    }
    uint8_t *d = psc__arena_bytes(ar, len);
    if (!d)
        return PSC_ERR_NOMEM;
    memcpy(d, p, len);
    out->p = d;
    out->len = len;
    return PSC_OK;
}

psc_err psc__copy_strv(psc__arena *ar, const char *const *v, size_t n, psc__strv *out)
{
    if (n && !v)
        return PSC_ERR_INVALID;
    out->v = NULL;
    out->n = 0;
    if (!n)
        return PSC_OK;
    for (size_t i = 0; i < n; i++)
        if (!v[i])
            return PSC_ERR_INVALID;
    if (n > SIZE_MAX / sizeof(char *))
        return PSC_ERR_NOMEM;
    const char **arr = psc__arena_alloc(ar, n * sizeof(char *));
    if (!arr)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        psc__str s;
        psc_err e = psc__copy_str(ar, v[i], &s);
        if (e != PSC_OK)
            return e;
        arr[i] = s.p;
    }
    out->v = arr;
    out->n = n;
    return PSC_OK;
}

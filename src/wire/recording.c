/*
 * The 2020 recording file: [u32 version] once, then records
 * [u32 fnv1a][u32 len][payload], all little-endian.
 */
#include <stdlib.h>

#include "peerscope/version.h"
#include "peerscope/wire.h"

#define RECORD_HEADER_LEN 8u

struct psc_recording {
    FILE *f;
    uint8_t *buf;
    size_t cap;
    uint64_t count;      /* records returned or skipped so far */
    /* A header already consumed whose payload could not be buffered yet
     * (allocation failure): the next call retries it, so nothing is lost. */
    bool pending;
    uint32_t pending_sum;
    uint32_t pending_len;
    /* Set after a truncated or oversized record or a read error: the
     * stream position no longer falls on a record boundary. */
    psc_err broken;
};

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

psc_err psc_recording_open(FILE *f, psc_recording **out)
{
    if (!f || !out)
        return PSC_ERR_INVALID;
    uint8_t v[4];
    size_t got = fread(v, 1, sizeof v, f);
    if (got != sizeof v)
        return ferror(f) ? PSC_ERR_IO : PSC_ERR_PROTOCOL;
    if (get_le32(v) != PSC_PROTOCOL_VERSION)
        return PSC_ERR_PROTOCOL;
    psc_recording *r = calloc(1, sizeof *r);
    if (!r)
        return PSC_ERR_NOMEM;
    r->f = f;
    *out = r;
    return PSC_OK;
}

void psc_recording_close(psc_recording *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

static psc_err reserve(psc_recording *r, size_t need)
{
    if (need <= r->cap)
        return PSC_OK;
    /* Doubling keeps a file of growing records from reallocating on each. */
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < need)
        cap = cap > PSC_RECORDING_MAX_RECORD / 2 ? PSC_RECORDING_MAX_RECORD : cap * 2;
    uint8_t *b = realloc(r->buf, cap);
    if (!b)
        return PSC_ERR_NOMEM;
    r->buf = b;
    r->cap = cap;
    return PSC_OK;
}

psc_err psc_recording_next(psc_recording *r, const uint8_t **payload, size_t *len)
{
    if (!r || !payload || !len)
        return PSC_ERR_INVALID;
    if (r->broken)
        return r->broken;

    if (!r->pending) {
        uint8_t h[RECORD_HEADER_LEN];
        size_t got = fread(h, 1, sizeof h, r->f);
        if (got == 0 && !ferror(r->f)) {
            /* glibc keeps EOF sticky: clear it so that a reader following a
             * file still being written sees records appended later. */
            clearerr(r->f);
            return PSC_ERR_CLOSED;
        }
        if (got != sizeof h)
            return r->broken = ferror(r->f) ? PSC_ERR_IO : PSC_ERR_PROTOCOL;
        r->pending_sum = get_le32(h);
        r->pending_len = get_le32(h + 4);
        if (r->pending_len > PSC_RECORDING_MAX_RECORD)
            return r->broken = PSC_ERR_PROTOCOL;
        r->pending = true;
    }

    psc_err e = reserve(r, r->pending_len);
    if (e != PSC_OK)
        return e;
    r->pending = false;
    if (r->pending_len && fread(r->buf, 1, r->pending_len, r->f) != r->pending_len)
        return r->broken = ferror(r->f) ? PSC_ERR_IO : PSC_ERR_PROTOCOL;

    r->count++;
    static const uint8_t empty[1];
    const uint8_t *p = r->pending_len ? r->buf : empty;
    if (psc_fnv1a32(p, r->pending_len) != r->pending_sum)
        return PSC_ERR_CORRUPT;
    *payload = p;
    *len = r->pending_len;
    return PSC_OK;
}

uint64_t psc_recording_index(const psc_recording *r)
{
    return r && r->count ? r->count - 1 : 0;
}

psc_err psc_recording_write_header(FILE *f)
{
    if (!f)
        return PSC_ERR_INVALID;
    uint8_t v[4];
    put_le32(v, PSC_PROTOCOL_VERSION);
    return fwrite(v, 1, sizeof v, f) == sizeof v ? PSC_OK : PSC_ERR_IO;
}

psc_err psc_recording_write(FILE *f, const uint8_t *payload, size_t len)
{
    if (!f || (!payload && len))
        return PSC_ERR_INVALID;
    /* Refuse what psc_recording_next would refuse to read back. */
    if (len > PSC_RECORDING_MAX_RECORD)
        return PSC_ERR_TOO_BIG;
    uint8_t h[RECORD_HEADER_LEN];
    put_le32(h, psc_fnv1a32(payload, len));
    put_le32(h + 4, (uint32_t)len);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return PSC_ERR_IO;
    if (len && fwrite(payload, 1, len, f) != len)
        return PSC_ERR_IO;
    return PSC_OK;
}

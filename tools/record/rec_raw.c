#include "rec_raw.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "peerscope/wire.h"

/*
 * Walk an existing recording to the end of its last whole record; *end
 * gets that offset. false: it is not a recording (err says why).
 */
static bool scan(FILE *f, const char *path, off_t *end, char *err, size_t errlen)
{
    rewind(f);
    psc_recording *rec;
    psc_err e = psc_recording_open(f, &rec);
    if (e) {
        snprintf(err, errlen, "%s exists and is not a 2020 recording (%s); refusing to append to it", path,
                 psc_strerror(e));
        return false;
    }
    *end = ftello(f);
    for (;;) {
        const uint8_t *p;
        size_t n;
        e = psc_recording_next(rec, &p, &n);
        if (e == PSC_OK || e == PSC_ERR_CORRUPT) { /* a bad checksum keeps the framing: the record stays */
            *end = ftello(f);
            continue;
        }
        break;
    }
    psc_recording_close(rec);
    if (e == PSC_ERR_IO || e == PSC_ERR_NOMEM) {
        snprintf(err, errlen, "cannot read %s: %s", path, e == PSC_ERR_IO ? strerror(errno) : "out of memory");
        return false;
    }
    return true; /* PSC_ERR_CLOSED at a clean end, PSC_ERR_PROTOCOL at a cut one */
}

bool rec_raw_open(rec_raw *r, const char *path, uint64_t *cut, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    *cut = 0;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->f = fopen(path, "rb+");
    if (!r->f && errno == ENOENT)
        r->f = fopen(path, "wb+");
    if (!r->f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    if (fseeko(r->f, 0, SEEK_END) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    off_t size = ftello(r->f);
    if (size == 0) {
        if (psc_recording_write_header(r->f) != PSC_OK || fflush(r->f) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            goto fail;
        }
        return true;
    }
    off_t end;
    if (!scan(r->f, path, &end, err, errlen))
        goto fail;
    if (end < size) {
        /* only a record cut short by the end of the file is cut off: anything else is not ours to drop */
        uint8_t h[8];
        bool partial = size - end < (off_t)sizeof h;
        if (!partial) {
            if (fseeko(r->f, end, SEEK_SET) != 0 || fread(h, 1, sizeof h, r->f) != sizeof h) {
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
                goto fail;
            }
            uint64_t len = (uint64_t)h[4] | (uint64_t)h[5] << 8 | (uint64_t)h[6] << 16 | (uint64_t)h[7] << 24;
            partial = (uint64_t)(size - end) < sizeof h + len;
        }
        if (!partial) {
            snprintf(err, errlen, "%s has a record this tool cannot read at byte %lld; refusing to append to it",
                     path, (long long)end);
            goto fail;
        }
        if (fflush(r->f) != 0 || ftruncate(fileno(r->f), end) != 0) {
            snprintf(err, errlen, "cannot cut the partial last record of %s: %s", path, strerror(errno));
            goto fail;
        }
        *cut = (uint64_t)(size - end);
    }
    if (fseeko(r->f, end, SEEK_SET) != 0) {
        snprintf(err, errlen, "cannot seek in %s: %s", path, strerror(errno));
        goto fail;
    }
    return true;
fail:
    fclose(r->f);
    r->f = NULL;
    return false;
}

bool rec_raw_write(rec_raw *r, const uint8_t *payload, size_t len, char *err, size_t errlen)
{
    if (!r->f || r->failed)
        return !r->failed;
    psc_err e = psc_recording_write(r->f, payload, len);
    if (e == PSC_ERR_TOO_BIG)
        return true; /* over the format's 64 MiB limit: the database still has it */
    if (e) {
        r->failed = true;
        snprintf(err, errlen, "cannot write %s: %s", r->path, strerror(errno));
        return false;
    }
    r->dirty = true;
    return true;
}

bool rec_raw_flush(rec_raw *r, char *err, size_t errlen)
{
    if (!r->f || !r->dirty || r->failed)
        return !r->failed;
    r->dirty = false;
    if (fflush(r->f) != 0) {
        r->failed = true;
        snprintf(err, errlen, "cannot write %s: %s", r->path, strerror(errno));
        return false;
    }
    return true;
}

bool rec_raw_close(rec_raw *r, char *err, size_t errlen)
{
    if (!r->f)
        return true;
    bool ok = !r->failed;
    if (fclose(r->f) != 0 && ok) {
        snprintf(err, errlen, "cannot write %s: %s", r->path, strerror(errno));
        ok = false;
    }
    r->f = NULL;
    return ok;
}

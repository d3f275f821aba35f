/*
 * Writing a recording out: to a path (a temporary file beside it, synced,
 * renamed over it), to an open stream, or into memory. All three run the
 * same writer; they differ in where the bytes go.
 */
#include "recorder/recorder.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "peerscope/wire.h"

typedef psc_err (*put_fn)(void *ctx, const uint8_t *p, size_t n);

static psc_err emit_all(psc_recorder *r, put_fn put, void *ctx)
{
    psc__rec_writer *w = NULL;
    psc_err e = psc__rec_writer_new(r, &w);
    if (e != PSC_OK)
        return e;
    uint8_t head[8];
    psc__rec_file_header(head);
    e = put(ctx, head, 4);
    while (e == PSC_OK) {
        const uint8_t *p = NULL;
        size_t n = 0;
        e = psc__rec_writer_next(w, &p, &n, NULL);
        if (e == PSC_ERR_CLOSED) {
            e = psc__rec_writer_corrupt(w) ? PSC_ERR_CORRUPT : PSC_OK;
            break;
        }
        if (e != PSC_OK)
            break;
        /* what a reader refuses must not be written: the rest would be unreadable */
        if (n > PSC_RECORDING_MAX_RECORD) {
            e = PSC_ERR_TOO_BIG;
            break;
        }
        psc__rec_record_header(head, p, n);
        if ((e = put(ctx, head, 8)) == PSC_OK)
            e = put(ctx, p, n);
    }
    psc__rec_writer_free(w);
    return e;
}

/* ------------------------------------------------------------ streams */

static psc_err put_file(void *ctx, const uint8_t *p, size_t n)
{
    return !n || fwrite(p, 1, n, ctx) == n ? PSC_OK : PSC_ERR_IO;
}

psc_err psc_recorder_write_file(psc_recorder *r, FILE *f)
{
    if (!r || !f)
        return PSC_ERR_INVALID;
    psc_err e = emit_all(r, put_file, f);
    /* a full disk often shows only when the buffer goes out */
    if (fflush(f) != 0 || ferror(f))
        return e == PSC_OK || e == PSC_ERR_CORRUPT ? PSC_ERR_IO : e;
    return e;
}

/* ------------------------------------------------------------ memory */

typedef struct membuf {
    const psc__alloc *a;
    uint8_t *p;
    size_t len, cap;
} membuf;

static psc_err put_mem(void *ctx, const uint8_t *p, size_t n)
{
    membuf *b = ctx;
    if (n > b->cap - b->len) {
        if (n > SIZE_MAX / 2 - b->len)
            return PSC_ERR_NOMEM;
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = psc__malloc(b->a, cap);
        if (!q)
            return PSC_ERR_NOMEM;
        if (b->len)
            memcpy(q, b->p, b->len);
        psc__free(b->a, b->p);
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return PSC_OK;
}

psc_err psc_recorder_write_buffer(psc_recorder *r, uint8_t **out, size_t *len)
{
    if (!r || !out || !len)
        return PSC_ERR_INVALID;
    membuf b = {.a = &r->alloc};
    psc_err e = emit_all(r, put_mem, &b);
    if (e != PSC_OK) {
        psc__free(b.a, b.p);
        return e;
    }
    *out = b.p;
    *len = b.len;
    return PSC_OK;
}

void psc_recorder_buffer_free(psc_recorder *r, uint8_t *buf)
{
    if (r && buf)
        psc__free(&r->alloc, buf);
}

/* ------------------------------------------------------------ paths */

/* The rename is durable once the directory is synced; a failure here
 * cannot be undone (the file is in place), so it is not reported. */
static void sync_dir(char *path)
{
    char *slash = strrchr(path, '/');
    const char *dir = ".";
    if (slash == path) {
        dir = "/";
    } else if (slash) {
        *slash = 0;
        dir = path;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

psc_err psc_recorder_write(psc_recorder *r, const char *path)
{
    if (!r || !path || !*path)
        return PSC_ERR_INVALID;
    static const char suffix[] = ".tmp-XXXXXX";
    size_t n = strlen(path);
    if (n > SIZE_MAX - sizeof suffix)
        return PSC_ERR_INVALID;
    char *tmp = psc__malloc(&r->alloc, n + sizeof suffix);
    if (!tmp)
        return PSC_ERR_NOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, suffix, sizeof suffix);
    /* Beside the target, so that the rename stays within one file system. */
    int fd = mkstemp(tmp);
    if (fd < 0) {
        psc__free(&r->alloc, tmp);
        return PSC_ERR_IO;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    FILE *f = fdopen(fd, "wb");
    psc_err e = PSC_ERR_IO;
    if (f) {
        e = psc_recorder_write_file(r, f);
        bool written = e == PSC_OK || e == PSC_ERR_CORRUPT; /* CORRUPT: the rest is there */
        if (written && fsync(fileno(f)) != 0)
            e = PSC_ERR_IO;
        if (fclose(f) != 0 && (e == PSC_OK || e == PSC_ERR_CORRUPT))
            e = PSC_ERR_IO;
    } else {
        close(fd);
    }
    if ((e == PSC_OK || e == PSC_ERR_CORRUPT) && rename(tmp, path) != 0)
        e = PSC_ERR_IO;
    if (e == PSC_OK || e == PSC_ERR_CORRUPT)
        sync_dir(tmp);
    else
        unlink(tmp); /* path stays as it was */
    psc__free(&r->alloc, tmp);
    return e;
}

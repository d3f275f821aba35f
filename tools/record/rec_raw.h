/*
 * peerscope-record --raw: one 2020 recording file per endpoint (the
 * format of wire.h, as peerscope-dump --raw writes it). Run again, it
 * appends; a last record cut short (the recorder was killed mid-write)
 * is cut off first, so the file stays readable to its end.
 */
#ifndef PSC_TOOLS_RECORD_REC_RAW_H
#define PSC_TOOLS_RECORD_REC_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rec_raw {
    FILE *f;
    char path[4096];
    bool dirty;   /* written since the last flush */
    bool failed;
} rec_raw;

/* Open or create path for appending; false after err says why. *cut: bytes of a partial last record removed. */
bool rec_raw_open(rec_raw *r, const char *path, uint64_t *cut, char *err, size_t errlen);
/* Append one record; false (and err) on a write error. */
bool rec_raw_write(rec_raw *r, const uint8_t *payload, size_t len, char *err, size_t errlen);
/* Hand what was written to the OS (a crash of the recorder then loses none of it). */
bool rec_raw_flush(rec_raw *r, char *err, size_t errlen);
bool rec_raw_close(rec_raw *r, char *err, size_t errlen);

#endif

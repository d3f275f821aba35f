/*
 * Fuzz target for the frame parser and the recording reader (libFuzzer
 * entry point; fuzz_main.c drives it where libFuzzer is not available).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

static void read_all(const uint8_t *bytes, size_t size)
{
    if (size == 0)
        return; /* fmemopen refuses empty buffers */
    FILE *f = fmemopen((void *)bytes, size, "rb");
    if (!f)
        return;
    psc_recording *r;
    if (psc_recording_open(f, &r) == PSC_OK) {
        size_t total = 4;
        /* every call consumes at least a record header or ends */
        for (size_t calls = 0;; calls++) {
            if (calls > size / 8 + 2)
                abort();
            const uint8_t *p;
            size_t len;
            psc_err e = psc_recording_next(r, &p, &len);
            if (e == PSC_OK) {
                total += 8 + len;
                if (total > size)
                    abort();
                /* read every byte handed out (ASan checks the range) */
                sink = psc_fnv1a32(p, len);
                continue;
            }
            if (e == PSC_ERR_CORRUPT)
                continue;
            if (e != PSC_ERR_CLOSED && e != PSC_ERR_PROTOCOL)
                abort();
            /* the end and broken streams are sticky */
            if (psc_recording_next(r, &p, &len) != e)
                abort();
            break;
        }
        psc_recording_close(r);
    }
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p;
    size_t len;
    if (psc_frame_parse(data, size, &p, &len) == PSC_OK && (p != data + 12 || len != size - 12))
        abort();

    /* the input as a whole file, and as a body behind a valid header */
    read_all(data, size);
    uint8_t *file = malloc(size + 4);
    if (!file)
        return 0;
    file[0] = 1;
    file[1] = file[2] = file[3] = 0;
    memcpy(file + 4, data, size);
    read_all(file, size + 4);
    free(file);
    return 0;
}

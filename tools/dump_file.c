/* peerscope-dump --file: a recording in the 2020 file format. */
#include <errno.h>
#include <string.h>

#include "dump.h"
#include "peerscope/wire.h"
#include "tool_util.h"

/* Read records until the end, an error or the sink says stop. */
static int pump(const dump_opts *o, psc_recording *r, dump_sink *s, const char *name)
{
    uint64_t index = 0; /* of the record being read, from 0 */
    for (;; index++) {
        if (tool_stop_signal)
            return TOOL_EXIT_OK;
        const uint8_t *payload;
        size_t len;
        psc_err e = psc_recording_next(r, &payload, &len);
        switch (e) {
        case PSC_OK:
            break;
        case PSC_ERR_CLOSED:
            return TOOL_EXIT_OK;
        case PSC_ERR_CORRUPT:
            dump_warnf("%s: record %llu: checksum mismatch, corrupted record skipped", name,
                       (unsigned long long)index);
            if (o->strict)
                return TOOL_EXIT_PROTOCOL;
            continue;
        case PSC_ERR_PROTOCOL:
            dump_errorf("%s: record %llu: truncated or oversized (over %u bytes) record; the rest of the file "
                        "cannot be read",
                        name, (unsigned long long)index, PSC_RECORDING_MAX_RECORD);
            return TOOL_EXIT_PROTOCOL;
        case PSC_ERR_NOMEM:
            dump_errorf("%s: record %llu: out of memory", name, (unsigned long long)index);
            return TOOL_EXIT_FAILURE;
        default:
            dump_errorf("%s: read error: %s", name, strerror(errno));
            return TOOL_EXIT_FILE;
        }
        Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, len, payload);
        if (!m) {
            dump_warnf("%s: record %llu: not a valid ServerMessage, skipped", name, (unsigned long long)index);
            if (o->strict)
                return TOOL_EXIT_PROTOCOL;
            continue;
        }
        dump_put p = dump_sink_put(s, m, payload, len);
        peerscope__server_message__free_unpacked(m, NULL);
        if (p == DUMP_PUT_DONE)
            return TOOL_EXIT_OK;
        if (p == DUMP_PUT_FAILED)
            return TOOL_EXIT_FAILURE;
    }
}

int dump_run_file(const dump_opts *o, dump_sink *s)
{
    bool is_stdin = strcmp(o->file, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : o->file;
    FILE *f = is_stdin ? stdin : fopen(o->file, "rb");
    if (!f) {
        dump_errorf("cannot open %s: %s", name, strerror(errno));
        return TOOL_EXIT_FILE;
    }
    psc_recording *r = NULL;
    errno = 0;
    psc_err e = psc_recording_open(f, &r);
    int status;
    if (e == PSC_OK) {
        status = pump(o, r, s, name);
        psc_recording_close(r);
    } else if (e == PSC_ERR_PROTOCOL) {
        dump_errorf("%s: not a recording (empty, or its header is not version 1)", name);
        status = TOOL_EXIT_PROTOCOL;
    } else if (e == PSC_ERR_NOMEM) {
        dump_errorf("out of memory");
        status = TOOL_EXIT_FAILURE;
    } else {
        dump_errorf("cannot read %s: %s", name, errno ? strerror(errno) : psc_strerror(e));
        status = TOOL_EXIT_FILE;
    }
    if (!is_stdin)
        fclose(f);
    return status;
}

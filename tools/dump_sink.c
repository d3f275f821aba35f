#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "dump.h"
#include "peerscope/wire.h"
#include "tool_util.h"

void dump_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-dump", NULL, fmt, ap);
    va_end(ap);
}

void dump_warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, "peerscope-dump", "warning", fmt, ap);
    va_end(ap);
}

int dump_sink_open(dump_sink *s, const dump_opts *o, bool live)
{
    memset(s, 0, sizeof *s);
    s->kinds = o->kinds;
    s->limit = o->count;
    s->jopts.ascii = o->ascii;
    s->flush_each = live;
    if (!o->raw) {
        s->json = stdout;
        return TOOL_EXIT_OK;
    }
    if (strcmp(o->raw, "-") == 0) {
        s->raw = stdout;
    } else {
        s->raw = fopen(o->raw, "wb");
        if (!s->raw) {
            dump_errorf("cannot create %s: %s", o->raw, strerror(errno));
            return TOOL_EXIT_FAILURE;
        }
        s->raw_owned = true;
    }
    if (psc_recording_write_header(s->raw) != PSC_OK || (live && fflush(s->raw) != 0)) {
        dump_errorf("cannot write %s: %s", o->raw, strerror(errno));
        return dump_sink_close(s, TOOL_EXIT_FAILURE);
    }
    return TOOL_EXIT_OK;
}

/* A failed write: a reader that went away ends the run quietly, like
 * `cmd | head` expects; anything else is an error. */
static dump_put write_failed(void)
{
    if (errno == EPIPE)
        return DUMP_PUT_DONE;
    dump_errorf("cannot write the output: %s", strerror(errno));
    return DUMP_PUT_FAILED;
}

dump_put dump_sink_put(dump_sink *s, const Peerscope__ServerMessage *m, const uint8_t *payload, size_t len)
{
    if (!(s->kinds & DUMP_KIND_BIT(m->payload_case)))
        return DUMP_PUT_MORE;
    errno = 0;
    if (s->json) {
        if (dump_json_message(s->json, &m->base, &s->jopts) != 0 || fputc('\n', s->json) == EOF ||
            (s->flush_each && fflush(s->json) != 0))
            return write_failed();
    } else {
        if (psc_recording_write(s->raw, payload, len) != PSC_OK || (s->flush_each && fflush(s->raw) != 0))
            return write_failed();
    }
    s->written++;
    return s->limit && s->written >= s->limit ? DUMP_PUT_DONE : DUMP_PUT_MORE;
}

int dump_sink_close(dump_sink *s, int status)
{
    FILE *f = s->json ? s->json : s->raw;
    if (!f)
        return status;
    errno = 0;
    int rc = s->raw_owned ? fclose(f) : fflush(f);
    s->json = s->raw = NULL;
    if (rc != 0 && errno != EPIPE) {
        dump_errorf("cannot write the output: %s", strerror(errno));
        if (status == TOOL_EXIT_OK)
            status = TOOL_EXIT_FAILURE;
    }
    return status;
}

/* peerscope-dump: shared declarations of its source files. */
#ifndef PSC_TOOLS_DUMP_H
#define PSC_TOOLS_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_opts.h"
#include "dump_json.h"
#include "peerscope/pb.h"

/* Bits of dump_opts.kinds: 1 << ServerMessage.payload field number. */
#define DUMP_KIND_BIT(c) (1u << (unsigned)(c))
#define DUMP_KIND_NONE DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD__NOT_SET)
#define DUMP_KIND_STATE DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE)
#define DUMP_KIND_RUNTIME DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME)
#define DUMP_KIND_EVENT DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT)
#define DUMP_KIND_RESPONSE DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE)
#define DUMP_KIND_NOTICE DUMP_KIND_BIT(PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE)
#define DUMP_KIND_ALL                                                                                       \
    (DUMP_KIND_NONE | DUMP_KIND_STATE | DUMP_KIND_RUNTIME | DUMP_KIND_EVENT | DUMP_KIND_RESPONSE |             \
     DUMP_KIND_NOTICE)

typedef struct dump_opts {
    /* source: exactly one of url and file */
    const char *url;
    const char *file;          /* --file or an operand that is not a URL; "-" is stdin */

    /* live */
    cli_conn conn;             /* --token/$PEERSCOPE_TOKEN, --ca-file, --insecure, --interval */
    bool runtime, state_once, follow_states, follow_events;
    uint64_t state_at;         /* --state-at: REQUEST STATE with at_ts (a replaying endpoint); 0: none */
    uint64_t duration_ms;      /* 0: no limit */
    uint64_t connect_timeout_ms;
    bool responses;
    char live_flag[32];        /* the first live-only option given ("--token"); "": none */

    /* both */
    const char *raw;           /* write a recording here instead of JSON ("-": stdout) */
    unsigned kinds;            /* DUMP_KIND_* to output */
    bool kinds_given;
    uint64_t count;            /* stop after this many messages output; 0: no limit */
    bool strict;               /* a skipped message is an error */
    bool ascii;
} dump_opts;

/*
 * dump_opts.c: parse argv (help and version to out, messages to err). The
 * operand is the source: a ws:// or wss:// URL, else a recording file
 * that exists (or "-"); anything else is a usage error that says so.
 */
cli_status dump_opts_parse(int argc, char **argv, dump_opts *o, FILE *out, FILE *err);

/* Where messages go: JSON lines or a recording, with the kind filter and --count. */
typedef struct dump_sink {
    FILE *json;       /* NULL when writing a recording */
    FILE *raw;
    bool raw_owned;   /* fclose it */
    bool flush_each;  /* live: a reader of a pipe sees each message at once */
    unsigned kinds;
    uint64_t limit;
    uint64_t written;
    dump_json_opts jopts;
} dump_sink;

typedef enum dump_put {
    DUMP_PUT_MORE,    /* keep going */
    DUMP_PUT_DONE,    /* --count reached, or the reader went away (EPIPE): stop, exit 0 */
    DUMP_PUT_FAILED,  /* write error, reported: exit TOOL_EXIT_FAILURE */
} dump_put;

/* Open the outputs (the recording's header is written). Returns an exit status. */
int dump_sink_open(dump_sink *s, const dump_opts *o, bool live);
/* Output one message (payload: its serialized bytes, for recordings). */
dump_put dump_sink_put(dump_sink *s, const Peerscope__ServerMessage *m, const uint8_t *payload, size_t len);
/* Flush and close; returns the exit status (write errors show up here too). */
int dump_sink_close(dump_sink *s, int status);

/* The two sources; each returns the exit status. */
int dump_run_file(const dump_opts *o, dump_sink *s);
int dump_run_live(const dump_opts *o, dump_sink *s);

/* "peerscope-dump: " + message on stderr. */
void dump_errorf(const char *fmt, ...) PSC_PRINTF(1, 2);
void dump_warnf(const char *fmt, ...) PSC_PRINTF(1, 2);

#endif

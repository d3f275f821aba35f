/* peerscope-dump: shared declarations of its source files. */
#ifndef PSC_TOOLS_DUMP_H
#define PSC_TOOLS_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dump_json.h"
#include "peerscope/pb.h"

/* Exit statuses: scripts rely on them (listed in --help). */
enum {
    DUMP_EXIT_OK = 0,
    DUMP_EXIT_FAILURE = 1,  /* out of memory, cannot write the output */
    DUMP_EXIT_USAGE = 2,    /* bad command line (also a malformed URL) */
    DUMP_EXIT_CONNECT = 3,  /* connection refused, unreachable, timed out or lost */
    DUMP_EXIT_AUTH = 4,     /* the endpoint refused the token (HTTP 401/403) */
    DUMP_EXIT_PROTOCOL = 5, /* protocol error, corrupt stream or recording, command refused */
    DUMP_EXIT_FILE = 6,     /* the recording cannot be opened or read */
};

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
    const char *file;          /* "-" is stdin */

    /* live */
    const char *token;         /* --token, else $PEERSCOPE_TOKEN */
    const char *ca_file;
    bool insecure;
    bool runtime, state_once, follow_states, follow_events;
    uint64_t interval_ms;      /* 0: the server's default */
    uint64_t duration_ms;      /* 0: no limit */
    uint64_t connect_timeout_ms;
    bool responses;

    /* both */
    const char *raw;           /* write a recording here instead of JSON ("-": stdout) */
    unsigned kinds;            /* DUMP_KIND_* to output */
    bool kinds_given;
    uint64_t count;            /* stop after this many messages output; 0: no limit */
    bool strict;               /* a skipped message is an error */
    bool ascii;
} dump_opts;

typedef enum dump_parse {
    DUMP_PARSE_RUN,
    DUMP_PARSE_EXIT_OK,  /* --help or --version was printed */
    DUMP_PARSE_ERROR,    /* message printed; exit DUMP_EXIT_USAGE */
} dump_parse;

/* dump_opts.c: parse argv (messages to err). */
dump_parse dump_opts_parse(int argc, char **argv, dump_opts *o, FILE *out, FILE *err);

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
    DUMP_PUT_FAILED,  /* write error, reported: exit DUMP_EXIT_FAILURE */
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

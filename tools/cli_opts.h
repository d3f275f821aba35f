/*
 * The command line peerscope-dump and peerscope-top have in common: the
 * exit statuses, the connection options (--token or $PEERSCOPE_TOKEN,
 * --ca-file, --insecure, --interval), --help and --version, numbers and
 * durations checked against a range with a message that names the option,
 * and ws:// / wss:// URL checks. Each tool passes its own options and a
 * callback for them; what a tool does with its operands stays its own.
 *
 * Messages go to the streams passed in (stdout/stderr in the tools,
 * memory streams in the tests); nothing here exits. Not thread-safe:
 * getopt_long keeps global state.
 */
#ifndef PSC_TOOLS_CLI_OPTS_H
#define PSC_TOOLS_CLI_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/client.h"

/* Exit statuses of both tools; scripts rely on them (each --help lists those it uses). */
enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_FAILURE = 1,  /* out of memory, cannot write the output, no terminal */
    TOOL_EXIT_USAGE = 2,    /* bad command line (also a malformed URL) */
    TOOL_EXIT_CONNECT = 3,  /* connection refused, unreachable, timed out or lost */
    TOOL_EXIT_AUTH = 4,     /* the endpoint refused the token (HTTP 401/403) */
    TOOL_EXIT_PROTOCOL = 5, /* protocol error, corrupt stream or recording, command refused */
    TOOL_EXIT_FILE = 6,     /* a recording cannot be opened or read */
};

/* How to reach an endpoint: the options both tools take. */
typedef struct cli_conn {
    const char *token;          /* --token, else a non-empty $PEERSCOPE_TOKEN, else NULL */
    const char *ca_file;        /* --ca-file */
    bool insecure;              /* --insecure */
    uint64_t interval_ms;       /* --interval (1-3600000); 0 when not given */
    const char *given;          /* the first of these options as written ("--token"); NULL: none */
} cli_conn;

/* The ids of a tool's own options (struct option.val) start here. */
#define CLI_OPT_OWN 512
/* Room for a tool's own options. */
#define CLI_MAX_OWN 40

typedef struct cli_parser cli_parser;

typedef struct cli_spec {
    const char *prog;                /* "peerscope-dump": prefix of every message */
    const struct option *options;    /* the tool's own, ending with an all-zero entry; val >= CLI_OPT_OWN */
    void (*usage)(FILE *f);          /* the whole --help text */
    /*
     * One of the tool's own options, as it comes (id: its val; arg: NULL
     * without a value). Returns false after reporting what is wrong with
     * cli_bad, cli_u64 or cli_seconds.
     */
    bool (*option)(cli_parser *p, int id, const char *arg, void *user);
    void *user;
} cli_spec;

typedef enum cli_status {
    CLI_RUN,    /* go on: the operands are argv[*first_operand .. argc-1] */
    CLI_DONE,   /* --help or --version was printed: exit TOOL_EXIT_OK */
    CLI_USAGE,  /* a message was printed: exit TOOL_EXIT_USAGE */
} cli_status;

/*
 * Parse argv with getopt_long: options anywhere (operands are moved to the
 * end), "--" ends them. *conn is zeroed and filled; the token falls back
 * to $PEERSCOPE_TOKEN. Unknown options, missing values and tokens with
 * control characters are reported here.
 */
cli_status cli_parse(const cli_spec *spec, int argc, char **argv, cli_conn *conn, int *first_operand, FILE *out,
                     FILE *err);

/* The option being handled as written ("--width"), for callbacks. */
const char *cli_option_name(const cli_parser *p);

/* In a callback: print "<prog>: <option> <message> (got '<arg>')"; returns false. */
bool cli_bad(cli_parser *p, const char *fmt, ...) PSC_PRINTF(2, 3);

/* In a callback: arg as a whole decimal number in [min, max], or false with a message that gives the range. */
bool cli_u64(cli_parser *p, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* In a callback: arg as seconds ("2", "0.5") in milliseconds within [min_ms, max_ms], or false with a message. */
bool cli_seconds(cli_parser *p, const char *arg, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);

/* After cli_parse: a usage error about the operands, with the --help hint. Returns CLI_USAGE. */
cli_status cli_usage_error(const cli_spec *spec, FILE *err, const char *fmt, ...) PSC_PRINTF(3, 4);

/* Whether s is meant as an endpoint: it starts with ws:// or wss:// (any case). */
bool cli_is_ws_url(const char *s);

/*
 * Check an operand that must be an endpoint URL, the way psc_client_new
 * will. false after a message naming it: a malformed ws:// URL, or
 * another scheme (http:// gets the ws:// spelling as a hint).
 */
bool cli_check_url(const cli_spec *spec, FILE *err, const char *url);

/* Fill the connection fields of a client config (url, token, ca_file, allow_insecure). */
void cli_conn_apply(const cli_conn *conn, const char *url, psc_client_config *cfg);

#endif

/* peerscope-record: what its source files share (options, exit statuses, the network side). */
#ifndef PSC_TOOLS_RECORD_RECORD_H
#define PSC_TOOLS_RECORD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_opts.h"
#include "store.h"

/* Exit statuses: the tools' own (cli_opts.h) and two for stores. */
enum {
    REC_EXIT_OK = TOOL_EXIT_OK,
    REC_EXIT_FAILURE = TOOL_EXIT_FAILURE,   /* out of memory, a --raw file cannot be written or is not a recording */
    REC_EXIT_USAGE = TOOL_EXIT_USAGE,
    REC_EXIT_CONNECT = TOOL_EXIT_CONNECT,   /* no endpoint could be recorded during the whole run */
    REC_EXIT_AUTH = TOOL_EXIT_AUTH,         /* every endpoint refused the token */
    REC_EXIT_STORE_OPEN = 6,                /* a store cannot be opened or is not ours (nothing was written) */
    REC_EXIT_STORE_WRITE = 7,               /* a store failed while recording (disk full, I/O error, ...) */
};

#define REC_MAX_URLS 1024
#define REC_MAX_STORES 4

typedef struct rec_opts {
    const char *urls[REC_MAX_URLS];
    size_t n_urls;
    struct {
        const char *spec;      /* --db PATH or --store SPEC */
        bool is_db;            /* --db: a path, whatever it looks like */
    } stores[REC_MAX_STORES];
    size_t n_stores;
    const char *raw;           /* --raw PATH (with %n when there are several URLs) */
    cli_conn conn;             /* --token/$PEERSCOPE_TOKEN, --ca-file, --insecure, --interval */
    uint64_t interval_ms;      /* states asked for every (default 1000) */
    uint32_t full_every;       /* every Nth pushed state is full (default 60; 1: no deltas) */
    uint64_t keep_ms;          /* --keep; 0: keep everything */
    uint64_t max_db_bytes;     /* --max-db-mb; 0: no bound */
    bool sync_full;            /* --sync full */
    uint64_t duration_ms;      /* 0: until stopped */
    uint64_t connect_timeout_ms;
    bool verbose, quiet;
} rec_opts;

/* rec_opts.c: parse argv (help and version to out, messages to err). */
cli_status rec_opts_parse(int argc, char **argv, rec_opts *o, FILE *out, FILE *err);

/* The --raw path of the URL at index i (%n replaced by i + 1) into buf; false if it does not fit. */
bool rec_raw_path(const char *pattern, size_t i, char *buf, size_t len);

struct rec_writer;

/* What the network side saw, over all endpoints. */
typedef struct rec_net_stats {
    uint64_t elapsed_ms;
    uint64_t events, states;   /* received */
    uint64_t dropped;          /* told by DISCARDING_EVENTS notices */
    uint64_t gaps;             /* events missing between the seqs received */
    uint64_t lost;             /* messages the client could not decode */
    uint64_t wrapped;          /* event contents that were not JSON (stored as JSON strings) */
} rec_net_stats;

/*
 * rec_net.c: connect to every URL, record until stopped (SIGINT/SIGTERM,
 * --duration, the writer failing, every endpoint refusing the token),
 * hand everything to the writer. Returns the exit status.
 */
int rec_net_run(const rec_opts *o, struct rec_writer *w, rec_net_stats *stats);

/* "peerscope-record: " + message on stderr (warnf: "warning: " after it). */
void rec_errorf(const char *fmt, ...) PSC_PRINTF(1, 2);
void rec_warnf(const char *fmt, ...) PSC_PRINTF(1, 2);

#endif

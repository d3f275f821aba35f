/*
 * peerscope-replay: serve a recording (a 2020-format file or one node of
 * a peerscope-record SQLite store) as a live introspection endpoint, over
 * the library's own WebSocket endpoint (peerscope/replay.h does the
 * playing). See --help.
 */
#ifndef PSC_TOOLS_REPLAY_TOOL_H
#define PSC_TOOLS_REPLAY_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/replay.h"

/* Exit statuses (listed in --help; scripts rely on them). */
enum {
    REP_EXIT_OK = 0,        /* stopped by SIGINT or SIGTERM */
    REP_EXIT_FAILURE = 1,   /* out of memory, or the endpoint failed */
    REP_EXIT_USAGE = 2,     /* bad command line; a store with several nodes and no (or an ambiguous) --node */
    REP_EXIT_INPUT = 5,     /* the recording cannot be read, is not one, is damaged (--strict) or empty,
                               or the store's schema is newer than this tool's */
    REP_EXIT_LISTEN = 6,    /* the port cannot be bound (busy, bad address), or the endpoint refused the config */
};

#define REP_MAX_ORIGINS 16

typedef struct rep_opts {
    const char *input;             /* FILE or DB */
    const char *bind;              /* --bind; NULL: 127.0.0.1 */
    uint16_t port;                 /* --port; 0: 8080 unless port_given */
    bool port_given;
    const char *token;             /* --token, else $PEERSCOPE_TOKEN */
    const char *origins[REP_MAX_ORIGINS];
    size_t n_origins;
    double speed;                  /* --speed N; 0 with max_speed */
    bool max_speed;                /* --speed max */
    bool start_rel;                /* --start +OFFSET: start_ms is from the recording's start */
    uint64_t start_ms;             /* --start */
    bool loop;
    const char *node;              /* --node */
    bool strict;
    bool quiet;
} rep_opts;

/* Parse the command line; REP_EXIT_OK to go on, -1 after --help/--version, else an exit status. */
int rep_opts_parse(int argc, char **argv, rep_opts *o, FILE *out, FILE *err);

/* "peerscope-replay: [kind: ]message" on stderr. */
void rep_errorf(const char *fmt, ...) PSC_PRINTF(1, 2);
void rep_warnf(const char *fmt, ...) PSC_PRINTF(1, 2);

/* ro: the playing options from the command line (source set); what the loaders give psc_replay_new. */

/* A 2020 recording file into a new replay (*out); an exit status (REP_EXIT_OK: *out is set). */
int rep_load_file(const rep_opts *o, const psc_replay_options *ro, psc_replay **out);

/* Whether path is an SQLite database (by its 16-byte header); false for anything unreadable. */
bool rep_is_sqlite(const char *path);

/*
 * One node of a peerscope-record SQLite store into a new replay (*out):
 * the node's runtime, every state and event in time order. Picks the node
 * (--node, or the only one) and names it in the replay. An exit status.
 */
int rep_load_store(const rep_opts *o, const psc_replay_options *ro, psc_replay **out);

#endif

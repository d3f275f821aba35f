#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define MAX_DURATION_MS (365ull * 24 * 3600 * 1000)
#define MAX_KEEP_MS (3650ull * 24 * 3600 * 1000)

enum {
    OPT_DB = CLI_OPT_OWN,
    OPT_STORE,
    OPT_RAW,
    OPT_FULL_EVERY,
    OPT_KEEP,
    OPT_MAX_DB_MB,
    OPT_SYNC,
    OPT_DURATION,
    OPT_CONNECT_TIMEOUT,
    OPT_VERBOSE,
    OPT_QUIET,
};

/* --token, --ca-file, --insecure, --interval, --help and --version are cli_opts' */
static const struct option own_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"store", required_argument, NULL, OPT_STORE},
    {"raw", required_argument, NULL, OPT_RAW},
    {"full-every", required_argument, NULL, OPT_FULL_EVERY},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"max-db-mb", required_argument, NULL, OPT_MAX_DB_MB},
    {"sync", required_argument, NULL, OPT_SYNC},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("Usage: peerscope-record --db PATH [options] ws://HOST:PORT[/introspect]...\n"
          "       peerscope-record --store postgres://... [options] URL...\n"
          "\n"
          "Record one or many peerscope (or 2020 libp2p introspection) endpoints into an\n"
          "SQLite database (or PostgreSQL): nodes, runs and sessions, every state (the\n"
          "blob as received, full or delta, and its connections, streams by protocol and\n"
          "DHT buckets as rows) and every event, with views for the usual questions.\n"
          "Run it again on the same database and it appends. Each endpoint is reconnected\n"
          "with backoff (1 s doubling to 30 s) until stopped; a node that restarts is the\n"
          "same node with a new run.\n"
          "\n"
          "Stores (at least one; every batch goes into each):\n"
          "  --db PATH            SQLite database file (created if missing)\n"
          "  --store SPEC         sqlite:PATH, or postgres://USER@HOST:PORT/DB (libpq\n"
          "                       connection URI); up to 4 stores in all\n"
          "  --raw PATH           also write each endpoint's stream as a 2020 recording\n"
          "                       (states in full), as peerscope-dump --raw does; with\n"
          "                       several URLs PATH must hold %n (the URL's position,\n"
          "                       from 1). An existing recording is appended to\n"
          "\n"
          "What to record:\n"
          "  --interval MS        state interval asked for (default 1000; the server\n"
          "                       clamps it to its limits)\n"
          "  --full-every N       every Nth pushed state is full, the ones between are\n"
          "                       stored as the deltas received (default 60; 1: all full)\n"
          "  --token T            access token (default: $PEERSCOPE_TOKEN)\n"
          "  --ca-file PATH       wss: trust these CAs; --insecure: accept any certificate\n"
          "  --connect-timeout S  give up one connection attempt after S seconds (default 10)\n"
          "  --duration S         stop after S seconds\n"
          "\n"
          "Retention and durability:\n"
          "  --keep DURATION      delete what is older than DURATION: 90s, 30m, 12h, 7d\n"
          "  --max-db-mb N        keep the database under N MB (10^6 bytes) by deleting the\n"
          "                       oldest rows (PostgreSQL: the size of its tables)\n"
          "  --sync normal|full   SQLite: normal (default) survives a crash of the\n"
          "                       recorder (kill -9 loses at most the last second);\n"
          "                       full also survives power loss (an fsync per commit;\n"
          "                       normal fsyncs at checkpoints only)\n"
          "\n"
          "Output:\n"
          "  --verbose            a status line every 10 s, retention and retries, a summary\n"
          "  --quiet              no connection notices (errors still go to stderr)\n"
          "  --help, --version\n"
          "\n"
          "Exit status:\n"
          "  0  stopped by SIGINT, SIGTERM or --duration; everything received is stored\n"
          "  1  out of memory, or a --raw file cannot be written (or is not a recording)\n"
          "  2  usage: bad option or value, malformed URL\n"
          "  3  no endpoint could be recorded during the whole run\n"
          "  4  every endpoint refused the token (HTTP 401/403)\n"
          "  6  a store cannot be opened: not a database or damaged, a database of\n"
          "     another program, written by a newer peerscope-record, in use by another\n"
          "     peerscope-record, no permission; PostgreSQL unreachable or refusing; a\n"
          "     build without PostgreSQL support. Nothing was written\n"
          "  7  a store failed while recording: disk full, I/O error, locked or\n"
          "     unreachable for 60 s; what was committed before stays\n",
          f);
}

/* "90", "90s", "30m", "12h", "7d" (fractions allowed) as ms. */
static bool parse_keep(cli_parser *p, const char *arg, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    double v = arg && ((*arg >= '0' && *arg <= '9') || *arg == '.') ? strtod(arg, &end) : -1;
    double unit = 1000;
    if (end && *end) {
        if (end[1])
            end = NULL;
        else if (*end == 's')
            unit = 1000;
        else if (*end == 'm')
            unit = 60e3;
        else if (*end == 'h')
            unit = 3600e3;
        else if (*end == 'd')
            unit = 86400e3;
        else
            end = NULL;
    }
    if (!end || errno || v < 0)
        return cli_bad(p, "wants a duration such as 90s, 30m, 12h or 7d");
    double ms = v * unit;
    if (ms < 1000 || ms > (double)MAX_KEEP_MS)
        return cli_bad(p, "must be from 1 second to 3650 days");
    *out = (uint64_t)ms;
    return true;
}

static bool add_store(cli_parser *p, rec_opts *o, const char *arg, bool is_db)
{
    if (o->n_stores == REC_MAX_STORES)
        return cli_bad(p, "can be given at most %d times (with --db)", REC_MAX_STORES);
    if (!*arg || (!is_db && strcmp(arg, "sqlite:") == 0))
        return cli_bad(p, "wants a path");
    o->stores[o->n_stores].spec = arg;
    o->stores[o->n_stores].is_db = is_db;
    o->n_stores++;
    return true;
}

static bool own_option(cli_parser *p, int id, const char *arg, void *user)
{
    rec_opts *o = user;
    uint64_t v;
    switch (id) {
    case OPT_DB: return add_store(p, o, arg, true);
    case OPT_STORE: return add_store(p, o, arg, false);
    case OPT_RAW:
        if (!*arg)
            return cli_bad(p, "wants a path");
        o->raw = arg;
        return true;
    case OPT_FULL_EVERY:
        if (!cli_u64(p, arg, 1, 3600, &v))
            return false;
        o->full_every = (uint32_t)v;
        return true;
    case OPT_KEEP: return parse_keep(p, arg, &o->keep_ms);
    case OPT_MAX_DB_MB:
        if (!cli_u64(p, arg, 1, 100000000, &v))
            return false;
        o->max_db_bytes = v * 1000000u;
        return true;
    case OPT_SYNC:
        if (strcmp(arg, "normal") == 0)
            o->sync_full = false;
        else if (strcmp(arg, "full") == 0)
            o->sync_full = true;
        else
            return cli_bad(p, "wants normal or full");
        return true;
    case OPT_DURATION: return cli_seconds(p, arg, 1, MAX_DURATION_MS, &o->duration_ms);
    case OPT_CONNECT_TIMEOUT: return cli_seconds(p, arg, 1, 3600000, &o->connect_timeout_ms);
    case OPT_VERBOSE: o->verbose = true; return true;
    case OPT_QUIET: o->quiet = true; return true;
    }
    return cli_bad(p, "is not known");
}

bool rec_raw_path(const char *pattern, size_t i, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *s = pattern; *s; s++) {
        if (s[0] == '%' && s[1] == 'n') {
            int n = snprintf(buf + o, len - o, "%zu", i + 1);
            if (n < 0 || (size_t)n >= len - o)
                return false;
            o += (size_t)n;
            s++;
            continue;
        }
        if (o + 1 >= len)
            return false;
        buf[o++] = *s;
    }
    if (o >= len)
        return false;
    buf[o] = 0;
    return true;
}

cli_status rec_opts_parse(int argc, char **argv, rec_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 1000;
    o->full_every = 60;
    o->connect_timeout_ms = 10000;
    const cli_spec spec = {"peerscope-record", own_opts, usage, own_option, o};
    int first;
    cli_status st = cli_parse(&spec, argc, argv, &o->conn, &first, out, err);
    if (st != CLI_RUN)
        return st;
    if (o->conn.interval_ms)
        o->interval_ms = o->conn.interval_ms;
    if (o->verbose && o->quiet)
        return cli_usage_error(&spec, err, "--verbose and --quiet contradict each other");
    if (first >= argc)
        return cli_usage_error(&spec, err, "no endpoint to record (give one or more ws:// URLs)");
    if (!o->n_stores)
        return cli_usage_error(&spec, err, "no store: give --db PATH (SQLite) or --store postgres://...");
    for (int i = first; i < argc; i++) {
        if (o->n_urls == REC_MAX_URLS)
            return cli_usage_error(&spec, err, "too many endpoints (at most %d)", REC_MAX_URLS);
        if (!cli_check_url(&spec, err, argv[i]))
            return CLI_USAGE;
        o->urls[o->n_urls++] = argv[i];
    }
    if (o->raw && o->n_urls > 1 && !strstr(o->raw, "%n"))
        return cli_usage_error(&spec, err, "--raw with %zu endpoints needs %%n in its path (replaced by 1, 2, ...)",
                               o->n_urls);
    char probe[4096];
    if (o->raw && !rec_raw_path(o->raw, o->n_urls, probe, sizeof probe))
        return cli_usage_error(&spec, err, "--raw path too long");
    return CLI_RUN;
}

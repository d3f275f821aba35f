/* peerscope-replay's command line. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/version.h"
#include "replay_tool.h"
#include "tool_util.h"

#define PROG "peerscope-replay"

void rep_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, PROG, NULL, fmt, ap);
    va_end(ap);
}

void rep_warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vreport(stderr, PROG, "warning", fmt, ap);
    va_end(ap);
}

static void usage(FILE *f)
{
    fputs("usage: " PROG " [options] FILE|DB\n"
          "Serve a recording as a live introspection endpoint: the visualizer (at /), peerscope-top,\n"
          "peerscope-dump and 2020 clients connect to it as to a node. FILE is a 2020-format recording\n"
          "(peerscope-dump --raw, peerscope-record --raw, a flight recorder's /recording, the 2020\n"
          "visualizer's .mock files); DB is a peerscope-record SQLite store, one node of which is served.\n"
          "Each client plays the recording from the start (or --start) when it enables pushes.\n"
          "\n"
          "  --port P             listen on port P (default 8080; 0: any free port)\n"
          "  --bind ADDR          listen address (default 127.0.0.1; others need --token)\n"
          "  --token T            require this access token (16-256 characters; default: $PEERSCOPE_TOKEN)\n"
          "  --allow-origin O     also let pages from origin O open the WebSocket (repeatable; '*': any)\n"
          "  --speed X|max        1: real time (default), N: N times faster (0.01-1000000),\n"
          "                       max: as fast as each client reads\n"
          "  --start TIME         begin at TIME: ms since the epoch, or +OFFSET from the recording's\n"
          "                       start (+30s, +1500ms, +2m, +1h; a bare +N is seconds)\n"
          "  --loop               at the end, start again from the beginning\n"
          "  --node NAME|PEERID   the node of a store to serve (its peer id, or its implementation\n"
          "                       name); needed when the store holds several\n"
          "  --strict             any damaged record is an error (default: skipped and reported;\n"
          "                       a truncated file is served up to the damage)\n"
          "  --quiet              no summary and no warnings on stderr\n"
          "  --help, --version\n"
          "\n"
          "Prints the WebSocket URL on stdout once listening; SIGINT or SIGTERM stop it (exit 0).\n"
          "REQUEST STATE with ClientCommand.at_ts answers the state at that time (see the README).\n"
          "\n"
          "Exit status: 0 stopped by a signal; 1 out of memory or endpoint failure; 2 usage (also\n"
          "a store with several nodes and no matching --node: they are listed); 5 the recording cannot\n"
          "be read, is not one, is damaged (--strict), holds nothing to play, or its store's schema is\n"
          "newer than this tool; 6 cannot listen (port busy, bad address or token).\n",
          f);
}

enum { O_PORT = 1, O_BIND, O_TOKEN, O_ORIGIN, O_SPEED, O_START, O_LOOP, O_NODE, O_STRICT, O_QUIET, O_HELP, O_VERSION };

static const struct option long_opts[] = {
    {"port", required_argument, NULL, O_PORT},     {"bind", required_argument, NULL, O_BIND},
    {"token", required_argument, NULL, O_TOKEN},   {"allow-origin", required_argument, NULL, O_ORIGIN},
    {"speed", required_argument, NULL, O_SPEED},   {"start", required_argument, NULL, O_START},
    {"loop", no_argument, NULL, O_LOOP},           {"node", required_argument, NULL, O_NODE},
    {"strict", no_argument, NULL, O_STRICT},       {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},           {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

static int bad(FILE *err, const char *opt, const char *arg, const char *why)
{
    fprintf(err, PROG ": --%s %s (got '%s')\n" PROG ": try --help\n", opt, why, arg);
    return REP_EXIT_USAGE;
}

static bool whole(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* "+30s", "+1500ms", "+2m", "+1h", "+5" (seconds) */
static bool offset_ms(const char *s, uint64_t *out)
{
    char num[32];
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < sizeof num - 1) {
        num[n] = s[n];
        n++;
    }
    num[n] = '\0';
    uint64_t v, mul;
    const char *unit = s + n;
    if (!n || !whole(num, UINT64_MAX / 3600000u, &v))
        return false;
    if (!*unit || strcmp(unit, "s") == 0)
        mul = 1000;
    else if (strcmp(unit, "ms") == 0)
        mul = 1;
    else if (strcmp(unit, "m") == 0)
        mul = 60000;
    else if (strcmp(unit, "h") == 0)
        mul = 3600000;
    else
        return false;
    *out = v * mul;
    return true;
}

static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 16 || n > 256)
        return false;
    for (; *t; t++)
        if ((unsigned char)*t <= ' ' || *t == 0x7f || *t == '&' || *t == '#')
            return false;
    return true;
}

int rep_opts_parse(int argc, char **argv, rep_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->speed = 1.0;
    const char *env = getenv("PEERSCOPE_TOKEN");
    if (env && *env)
        o->token = env;
    opterr = 0;
    optind = 1;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
        const char *arg = optarg;
        switch (c) {
        case O_PORT:
            if (!whole(arg, 65535, &v))
                return bad(err, "port", arg, "must be a port number (0-65535)");
            o->port = (uint16_t)v;
            o->port_given = true;
            break;
        case O_BIND:
            o->bind = arg;
            break;
        case O_TOKEN:
            o->token = arg;
            break;
        case O_ORIGIN:
            if (o->n_origins == REP_MAX_ORIGINS)
                return bad(err, "allow-origin", arg, "given too often (at most 16)");
            if (!*arg)
                return bad(err, "allow-origin", arg, "must not be empty");
            o->origins[o->n_origins++] = arg;
            break;
        case O_SPEED: {
            if (strcmp(arg, "max") == 0) {
                o->max_speed = true;
                o->speed = 0;
                break;
            }
            char *end;
            errno = 0;
            double d = strtod(arg, &end);
            if (errno || end == arg || *end || !isfinite(d) || d < 0.01 || d > 1e6)
                return bad(err, "speed", arg, "must be 'max' or a number from 0.01 to 1000000");
            o->speed = d;
            o->max_speed = false;
            break;
        }
        case O_START:
            if (arg[0] == '+') {
                if (!offset_ms(arg + 1, &o->start_ms))
                    return bad(err, "start", arg, "must be +N[ms|s|m|h] or ms since the epoch");
                o->start_rel = true;
            } else {
                if (!whole(arg, UINT64_MAX, &o->start_ms))
                    return bad(err, "start", arg, "must be ms since the epoch or +N[ms|s|m|h]");
                o->start_rel = false;
            }
            break;
        case O_LOOP:
            o->loop = true;
            break;
        case O_NODE:
            if (!*arg)
                return bad(err, "node", arg, "must not be empty");
            o->node = arg;
            break;
        case O_STRICT:
            o->strict = true;
            break;
        case O_QUIET:
            o->quiet = true;
            break;
        case O_HELP:
            usage(out);
            return -1;
        case O_VERSION:
            fprintf(out, PROG " %s\n", PSC_VERSION_STRING);
            return -1;
        case ':':
            fprintf(err, PROG ": %s needs a value\n" PROG ": try --help\n", argv[optind - 1]);
            return REP_EXIT_USAGE;
        default:
            fprintf(err, PROG ": unknown option %s\n" PROG ": try --help\n", argv[optind - 1]);
            return REP_EXIT_USAGE;
        }
    }
    if (optind == argc) {
        fprintf(err, PROG ": which recording? give FILE or DB\n" PROG ": try --help\n");
        return REP_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(err, PROG ": one recording at a time (got %d operands)\n" PROG ": try --help\n", argc - optind);
        return REP_EXIT_USAGE;
    }
    if (o->token && !token_ok(o->token)) {
        fprintf(err, PROG ": the token must be 16 to 256 characters without spaces, control characters, '&' or "
                     "'#'\n");
        return REP_EXIT_USAGE;
    }
    o->input = argv[optind];
    if (!o->port_given)
        o->port = 8080;
    return REP_EXIT_OK;
}

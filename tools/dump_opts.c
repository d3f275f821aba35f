#include <string.h>
#include <sys/stat.h>

#include "cli_opts.h"
#include "dump.h"

#define MAX_MS (365ull * 24 * 3600 * 1000)

enum {
    OPT_RUNTIME = CLI_OPT_OWN,
    OPT_STATE_ONCE,
    OPT_STATE_AT,
    OPT_FOLLOW_STATES,
    OPT_FOLLOW_EVENTS,
    OPT_DURATION,
    OPT_CONNECT_TIMEOUT,
    OPT_RESPONSES,
    OPT_FILE,
    OPT_RAW,
    OPT_ONLY,
    OPT_COUNT,
    OPT_STRICT,
    OPT_ASCII,
};

/* --token, --ca-file, --insecure, --interval, --help and --version are cli_opts' */
static const struct option own_opts[] = {
    {"runtime", no_argument, NULL, OPT_RUNTIME},
    {"state-once", no_argument, NULL, OPT_STATE_ONCE},
    {"state-at", required_argument, NULL, OPT_STATE_AT},
    {"follow-states", no_argument, NULL, OPT_FOLLOW_STATES},
    {"follow-events", no_argument, NULL, OPT_FOLLOW_EVENTS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"responses", no_argument, NULL, OPT_RESPONSES},
    {"file", required_argument, NULL, OPT_FILE},
    {"raw", required_argument, NULL, OPT_RAW},
    {"only", required_argument, NULL, OPT_ONLY},
    {"count", required_argument, NULL, OPT_COUNT},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("Usage: peerscope-dump [options] ws://HOST:PORT[/introspect]\n"
          "       peerscope-dump [options] FILE|-\n"
          "       peerscope-dump [options] --file FILE|-\n"
          "\n"
          "Print the ServerMessages of a peerscope (or 2020 libp2p introspection) endpoint\n"
          "or recording as JSON lines, one object per message.\n"
          "\n"
          "Live endpoint (what to ask for; without any of these: --runtime\n"
          "--follow-states --follow-events, like the 2020 visualizer):\n"
          "  --runtime            REQUEST RUNTIME (the host's identity and event types)\n"
          "  --state-once         REQUEST STATE; without a --follow option, exit once\n"
          "                       every requested item has arrived\n"
          "  --state-at MS        the state as it was at MS (ms since the epoch), from an\n"
          "                       endpoint that replays a recording (peerscope-replay),\n"
          "                       printed as a state; exits like --state-once\n"
          "  --follow-states      PUSH_ENABLE STATE: a state every interval, until stopped\n"
          "  --follow-events      PUSH_ENABLE EVENTS: every event, until stopped\n"
          "  --interval MS        state interval asked for in HELLO (the server clamps it)\n"
          "  --duration S         stop after S seconds (exit 0)\n"
          "  --token T            access token (default: $PEERSCOPE_TOKEN)\n"
          "  --ca-file PATH       wss: trust these CAs; --insecure: accept any certificate\n"
          "  --connect-timeout S  give up connecting after S seconds (default 10)\n"
          "  --responses          also print the CommandResponses to dump's own commands\n"
          "\n"
          "Recording file (2020 format: u32 version, then [fnv1a][length][message]):\n"
          "  --file PATH          read PATH ('-': stdin); every record is printed,\n"
          "                       command responses included. An operand that is not a\n"
          "                       ws:// or wss:// URL is read the same way if it exists\n"
          "\n"
          "Output:\n"
          "  --raw PATH           write a recording (2020 file format) to PATH ('-': stdout)\n"
          "                       instead of JSON; from a file it copies the valid records\n"
          "  --only KINDS         only these payload kinds, comma-separated: state, runtime,\n"
          "                       event, response, notice\n"
          "  --count N            stop after N messages written (exit 0)\n"
          "  --strict             a skipped (corrupted) message is an error (exit 5)\n"
          "  --ascii              escape every non-ASCII character in strings\n"
          "  --help, --version\n"
          "\n"
          "JSON: keys are the .proto field names (snake_case) in field-number order; the\n"
          "payload appears under its oneof member name (\"state\", \"runtime\", \"event\",\n"
          "\"response\", \"notice\"); scalars print even when 0/empty; unset messages are\n"
          "left out; enums print as names; 64-bit integers as numbers up to 2^53, as\n"
          "decimal strings above; bytes as base64 (RFC 4648 with padding, as proto3 JSON);\n"
          "NaN/Infinity as strings; invalid UTF-8 becomes U+FFFD; fields unknown to this\n"
          "build appear under \"_unknown_fields\".\n"
          "\n"
          "Exit status:\n"
          "  0  success (also when stopped by --count, --duration, SIGINT or SIGTERM, or a\n"
          "     closed output pipe)\n"
          "  1  failure: out of memory, cannot write the output\n"
          "  2  usage: bad option or value, malformed URL, an operand that is neither a\n"
          "     URL nor an existing file\n"
          "  3  connection refused, host unreachable, connect timeout, connection lost\n"
          "  4  authentication refused (HTTP 401/403: missing or wrong token)\n"
          "  5  protocol error: corrupt stream, not a recording, truncated recording,\n"
          "     a command refused by the server; also a skipped message with --strict\n"
          "  6  the recording file cannot be opened or read\n"
          "A corrupted record (checksum mismatch) is skipped with a warning on stderr\n"
          "naming its index (from 0); the exit status stays 0 unless --strict.\n",
          f);
}

static bool parse_kinds(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"state", DUMP_KIND_STATE},       {"runtime", DUMP_KIND_RUNTIME}, {"event", DUMP_KIND_EVENT},
        {"response", DUMP_KIND_RESPONSE}, {"notice", DUMP_KIND_NOTICE},
    };
    unsigned kinds = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            size_t ln = strlen(names[i].name);
            /* accept the plural too: "states", "events" */
            if ((n == ln || (n == ln + 1 && p[ln] == 's')) && strncmp(p, names[i].name, ln) == 0) {
                kinds |= names[i].bit;
                found = true;
            }
        }
        if (!found)
            return false;
        if (!p[n])
            break;
        p += n + 1;
    }
    *out = kinds;
    return true;
}

static bool own_option(cli_parser *p, int id, const char *arg, void *user)
{
    dump_opts *o = user;
    switch (id) {
    case OPT_RUNTIME: o->runtime = true; break;
    case OPT_STATE_ONCE: o->state_once = true; break;
    case OPT_STATE_AT:
        if (!cli_u64(p, arg, 1, UINT64_MAX, &o->state_at))
            return false;
        break;
    case OPT_FOLLOW_STATES: o->follow_states = true; break;
    case OPT_FOLLOW_EVENTS: o->follow_events = true; break;
    case OPT_RESPONSES: o->responses = true; break;
    case OPT_DURATION:
        if (!cli_seconds(p, arg, 1, MAX_MS, &o->duration_ms))
            return false;
        break;
    case OPT_CONNECT_TIMEOUT:
        if (!cli_seconds(p, arg, 1, 3600000, &o->connect_timeout_ms))
            return false;
        break;
    case OPT_FILE: o->file = arg; return true;
    case OPT_RAW: o->raw = arg; return true;
    case OPT_ONLY:
        o->kinds_given = true;
        if (!parse_kinds(arg, &o->kinds))
            return cli_bad(p, "wants a comma-separated list of state, runtime, event, response, notice");
        return true;
    case OPT_COUNT: return cli_u64(p, arg, 1, UINT64_MAX, &o->count);
    case OPT_STRICT: o->strict = true; return true;
    case OPT_ASCII: o->ascii = true; return true;
    }
    /* what breaks here applies to a live endpoint only */
    if (!o->live_flag[0])
        snprintf(o->live_flag, sizeof o->live_flag, "%s", cli_option_name(p));
    return true;
}

/* An operand: the endpoint, or a recording that exists. */
static bool take_source(const cli_spec *spec, dump_opts *o, const char *arg, FILE *err)
{
    struct stat st;
    if (cli_is_ws_url(arg)) {
        if (!cli_check_url(spec, err, arg))
            return false;
        o->url = arg;
    } else if (strcmp(arg, "-") == 0 || stat(arg, &st) == 0) {
        o->file = arg; /* as --file: unreadable files and directories fail there (exit 6) */
    } else if (strstr(arg, "://")) {
        return cli_check_url(spec, err, arg); /* says why, and which scheme to use */
    } else {
        cli_usage_error(spec, err,
                        "'%s' is neither a ws:// or wss:// URL nor an existing file "
                        "(did you mean --file PATH, or ws://HOST:PORT[/PATH]?)",
                        arg);
        return false;
    }
    return true;
}

cli_status dump_opts_parse(int argc, char **argv, dump_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    const cli_spec spec = {"peerscope-dump", own_opts, usage, own_option, o};
    int first;
    cli_status st = cli_parse(&spec, argc, argv, &o->conn, &first, out, err);
    if (st != CLI_RUN)
        return st;
    if (!o->live_flag[0] && o->conn.given)
        snprintf(o->live_flag, sizeof o->live_flag, "%s", o->conn.given);
    if (first + 1 < argc)
        return cli_usage_error(&spec, err, "unexpected argument '%s' (one source: a URL or a file)", argv[first + 1]);
    if (first < argc) {
        if (o->file)
            return cli_usage_error(&spec, err, "give either --file PATH or a source operand, not both ('%s')",
                                   argv[first]);
        if (!take_source(&spec, o, argv[first], err))
            return CLI_USAGE;
    }
    if (!o->url && !o->file)
        return cli_usage_error(&spec, err, "give a ws:// URL or a recording file");
    if (o->file && o->live_flag[0])
        return cli_usage_error(&spec, err, "%s applies to a live endpoint, not to a recording file", o->live_flag);
    if (o->url && !o->runtime && !o->state_once && !o->state_at && !o->follow_states && !o->follow_events)
        o->runtime = o->follow_states = o->follow_events = true;
    if (!o->kinds_given) {
        o->kinds = DUMP_KIND_ALL;
        if (o->url && !o->responses)
            o->kinds &= ~DUMP_KIND_RESPONSE;
    } else if (o->responses) {
        o->kinds |= DUMP_KIND_RESPONSE;
    }
    return CLI_RUN;
}

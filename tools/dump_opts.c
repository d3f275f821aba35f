#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "peerscope/version.h"
#include "tool_util.h"

#define MAX_MS (365ull * 24 * 3600 * 1000)

enum {
    OPT_TOKEN = 256,
    OPT_CA_FILE,
    OPT_INSECURE,
    OPT_RUNTIME,
    OPT_STATE_ONCE,
    OPT_FOLLOW_STATES,
    OPT_FOLLOW_EVENTS,
    OPT_INTERVAL,
    OPT_DURATION,
    OPT_CONNECT_TIMEOUT,
    OPT_RESPONSES,
    OPT_FILE,
    OPT_RAW,
    OPT_ONLY,
    OPT_COUNT,
    OPT_STRICT,
    OPT_ASCII,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    {"token", required_argument, NULL, OPT_TOKEN},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"runtime", no_argument, NULL, OPT_RUNTIME},
    {"state-once", no_argument, NULL, OPT_STATE_ONCE},
    {"follow-states", no_argument, NULL, OPT_FOLLOW_STATES},
    {"follow-events", no_argument, NULL, OPT_FOLLOW_EVENTS},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"responses", no_argument, NULL, OPT_RESPONSES},
    {"file", required_argument, NULL, OPT_FILE},
    {"raw", required_argument, NULL, OPT_RAW},
    {"only", required_argument, NULL, OPT_ONLY},
    {"count", required_argument, NULL, OPT_COUNT},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("Usage: peerscope-dump [options] ws://HOST:PORT[/introspect]\n"
          "       peerscope-dump [options] --file PATH|-\n"
          "\n"
          "Print the ServerMessages of a peerscope (or 2020 libp2p introspection) endpoint\n"
          "or recording as JSON lines, one object per message.\n"
          "\n"
          "Live endpoint (what to ask for; without any of these: --runtime\n"
          "--follow-states --follow-events, like the 2020 visualizer):\n"
          "  --runtime            REQUEST RUNTIME (the host's identity and event types)\n"
          "  --state-once         REQUEST STATE; without a --follow option, exit once\n"
          "                       every requested item has arrived\n"
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
          "                       command responses included\n"
          "\n"
          "Output:\n"
          "  --raw PATH           write a recording (2020 file format) to PATH ('-': stdout)\n"
          "                       instead of JSON; with --file it copies the valid records\n"
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
          "  2  usage: bad option or value, malformed URL\n"
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

dump_parse dump_opts_parse(int argc, char **argv, dump_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    bool live_only = false;
    const char *live_flag = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case OPT_TOKEN: o->token = optarg; break;
        case OPT_CA_FILE: o->ca_file = optarg; break;
        case OPT_INSECURE: o->insecure = true; break;
        case OPT_RUNTIME: o->runtime = true; break;
        case OPT_STATE_ONCE: o->state_once = true; break;
        case OPT_FOLLOW_STATES: o->follow_states = true; break;
        case OPT_FOLLOW_EVENTS: o->follow_events = true; break;
        case OPT_RESPONSES: o->responses = true; break;
        case OPT_INTERVAL:
            if (!tool_parse_u64(optarg, 1, 3600000, &o->interval_ms))
                bad = "--interval wants milliseconds, 1-3600000";
            break;
        case OPT_DURATION:
            if (!tool_parse_seconds(optarg, MAX_MS, &o->duration_ms) || o->duration_ms == 0)
                bad = "--duration wants a positive number of seconds";
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!tool_parse_seconds(optarg, 3600000, &o->connect_timeout_ms) || o->connect_timeout_ms == 0)
                bad = "--connect-timeout wants a positive number of seconds, at most 3600";
            break;
        case OPT_FILE: o->file = optarg; break;
        case OPT_RAW: o->raw = optarg; break;
        case OPT_ONLY:
            if (!parse_kinds(optarg, &o->kinds))
                bad = "--only wants a comma-separated list of state, runtime, event, response, notice";
            o->kinds_given = true;
            break;
        case OPT_COUNT:
            if (!tool_parse_u64(optarg, 1, UINT64_MAX, &o->count))
                bad = "--count wants a positive whole number";
            break;
        case OPT_STRICT: o->strict = true; break;
        case OPT_ASCII: o->ascii = true; break;
        case OPT_HELP: usage(out); return DUMP_PARSE_EXIT_OK;
        case OPT_VERSION:
            fprintf(out, "peerscope-dump %s\n", PSC_VERSION_STRING);
            return DUMP_PARSE_EXIT_OK;
        default:
            fprintf(err, "peerscope-dump: unknown option or missing value: %s\nTry 'peerscope-dump --help'.\n",
                    argv[optind - 1]);
            return DUMP_PARSE_ERROR;
        }
        if (bad) {
            fprintf(err, "peerscope-dump: %s (got '%s')\n", bad, optarg);
            return DUMP_PARSE_ERROR;
        }
        if (c != OPT_FILE && c != OPT_RAW && c != OPT_ONLY && c != OPT_COUNT && c != OPT_STRICT &&
            c != OPT_ASCII) {
            live_only = true;
            live_flag = argv[optind - 1];
        }
    }
    if (optind < argc)
        o->url = argv[optind++];
    if (optind < argc) {
        fprintf(err, "peerscope-dump: unexpected argument '%s'\n", argv[optind]);
        return DUMP_PARSE_ERROR;
    }
    if (!o->url == !o->file) {
        fprintf(err, "peerscope-dump: give either a ws:// URL or --file PATH\nTry 'peerscope-dump --help'.\n");
        return DUMP_PARSE_ERROR;
    }
    if (o->file && live_only) {
        fprintf(err, "peerscope-dump: %s applies to a live endpoint, not to --file\n", live_flag);
        return DUMP_PARSE_ERROR;
    }
    if (o->url) {
        if (!o->token) {
            const char *env = getenv("PEERSCOPE_TOKEN");
            if (env && *env)
                o->token = env;
        }
        if (!o->runtime && !o->state_once && !o->follow_states && !o->follow_events)
            o->runtime = o->follow_states = o->follow_events = true;
    }
    if (!o->kinds_given) {
        o->kinds = DUMP_KIND_ALL;
        if (o->url && !o->responses)
            o->kinds &= ~DUMP_KIND_RESPONSE;
    } else if (o->responses) {
        o->kinds |= DUMP_KIND_RESPONSE;
    }
    return DUMP_PARSE_RUN;
}

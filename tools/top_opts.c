#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/version.h"
#include "tool_util.h"
#include "top.h"
#include "top_views.h"

enum {
    OPT_TOKEN = 256,
    OPT_CA_FILE,
    OPT_INSECURE,
    OPT_INTERVAL,
    OPT_VIEW,
    OPT_ASCII,
    OPT_NO_COLOR,
    OPT_BATCH,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_TIMEOUT,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    {"token", required_argument, NULL, OPT_TOKEN},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"view", required_argument, NULL, OPT_VIEW},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"once", no_argument, NULL, OPT_BATCH},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("Usage: peerscope-top [options] ws://HOST:PORT[/introspect] [URL...]\n"
          "\n"
          "A live, top-like view of one or more peer-to-peer nodes that serve peerscope\n"
          "(or the 2020 libp2p introspection protocol). With several URLs, Tab switches\n"
          "between nodes. A node that goes away is retried (1 s, doubling up to 30 s).\n"
          "\n"
          "Options:\n"
          "  --token T        access token (default: $PEERSCOPE_TOKEN); the same for every node\n"
          "  --ca-file PATH   wss: trust these CAs; --insecure: accept any certificate\n"
          "  --interval MS    state interval to ask for (default 1000; + and - change it)\n"
          "  --view V         first view: conns, streams, dht, pubsub, peers, limits, events\n"
          "  --ascii          ASCII only (default: Unicode blocks when the locale is UTF-8)\n"
          "  --no-color\n"
          "  --batch, --once  no terminal UI: wait for each node's first state, print one\n"
          "                   frame per node as plain text on stdout, exit\n"
          "  --width N, --height N   frame size for --batch (default 120x40)\n"
          "  --timeout S      --batch: give up waiting after S seconds (default 10)\n"
          "  --help, --version\n"
          "\n"
          "Keys: 1-7 views, s < > sort column, r reverse, / filter, p pause, + - interval,\n"
          "Tab n N nodes, ? help, q quit.\n"
          "\n"
          "Exit status: 0 ok; 1 failure (no terminal, out of memory); 2 usage; with --batch\n"
          "also 3 a node could not be reached, 4 a node refused the token, 5 protocol error.\n",
          f);
}

int top_view_by_name(const char *s)
{
    static const char *const names[VIEW_COUNT] = {"conns", "streams", "dht", "pubsub", "peers", "limits", "events"};
    if (s[0] >= '1' && s[0] < '1' + VIEW_COUNT && s[1] == 0)
        return s[0] - '1';
    for (int i = 0; i < VIEW_COUNT; i++)
        if (strcmp(s, names[i]) == 0 || strcmp(s, top_view_defs[i].name) == 0)
            return i;
    if (strcmp(s, "connections") == 0)
        return VIEW_CONNS;
    if (strcmp(s, "peerstore") == 0)
        return VIEW_PEERS;
    if (strcmp(s, "resources") == 0)
        return VIEW_LIMITS;
    return -1;
}

top_parse top_opts_parse(int argc, char **argv, top_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 1000;
    o->batch_width = 120;
    o->batch_height = 40;
    o->batch_timeout_ms = 10000;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        const char *bad = NULL;
        uint64_t v;
        switch (c) {
        case OPT_TOKEN: o->token = optarg; break;
        case OPT_CA_FILE: o->ca_file = optarg; break;
        case OPT_INSECURE: o->insecure = true; break;
        case OPT_INTERVAL:
            if (!tool_parse_u64(optarg, 1, 3600000, &o->interval_ms))
                bad = "--interval wants milliseconds, 1-3600000";
            break;
        case OPT_VIEW: {
            int vi = top_view_by_name(optarg);
            if (vi < 0)
                bad = "--view wants conns, streams, dht, pubsub, peers, limits or events";
            else
                o->view = (top_view_id)vi;
            break;
        }
        case OPT_ASCII: o->ascii = true; break;
        case OPT_NO_COLOR: o->no_color = true; break;
        case OPT_BATCH: o->batch = true; break;
        case OPT_WIDTH:
            if (!tool_parse_u64(optarg, 40, 1000, &v))
                bad = "--width wants 40-1000";
            else
                o->batch_width = (int)v;
            break;
        case OPT_HEIGHT:
            if (!tool_parse_u64(optarg, 10, 1000, &v))
                bad = "--height wants 10-1000";
            else
                o->batch_height = (int)v;
            break;
        case OPT_TIMEOUT:
            if (!tool_parse_seconds(optarg, 3600000, &o->batch_timeout_ms) || !o->batch_timeout_ms)
                bad = "--timeout wants a positive number of seconds";
            break;
        case OPT_HELP: usage(out); return TOP_PARSE_EXIT_OK;
        case OPT_VERSION: fprintf(out, "peerscope-top %s\n", PSC_VERSION_STRING); return TOP_PARSE_EXIT_OK;
        default:
            fprintf(err, "peerscope-top: unknown option or missing value: %s\nTry 'peerscope-top --help'.\n",
                    argv[optind - 1]);
            return TOP_PARSE_ERROR;
        }
        if (bad) {
            fprintf(err, "peerscope-top: %s (got '%s')\n", bad, optarg);
            return TOP_PARSE_ERROR;
        }
    }
    for (; optind < argc; optind++) {
        if (o->n_urls == TOP_MAX_NODES) {
            fprintf(err, "peerscope-top: at most %d URLs\n", TOP_MAX_NODES);
            return TOP_PARSE_ERROR;
        }
        psc_client_url u;
        if (psc_client_parse_url(argv[optind], &u) != PSC_OK) {
            fprintf(err, "peerscope-top: not a ws:// or wss:// URL: %s\n", argv[optind]);
            return TOP_PARSE_ERROR;
        }
        o->urls[o->n_urls++] = argv[optind];
    }
    if (o->n_urls == 0) {
        fprintf(err, "peerscope-top: give the URL of at least one node\nTry 'peerscope-top --help'.\n");
        return TOP_PARSE_ERROR;
    }
    if (!o->token) {
        const char *env = getenv("PEERSCOPE_TOKEN");
        if (env && *env)
            o->token = env;
    }
    return TOP_PARSE_RUN;
}

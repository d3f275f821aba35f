#include <string.h>

#include "cli_opts.h"
#include "top.h"
#include "top_views.h"

enum {
    OPT_VIEW = CLI_OPT_OWN,
    OPT_ASCII,
    OPT_NO_COLOR,
    OPT_BATCH,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_TIMEOUT,
};

/* --token, --ca-file, --insecure, --interval, --help and --version are cli_opts' */
static const struct option own_opts[] = {
    {"view", required_argument, NULL, OPT_VIEW},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"once", no_argument, NULL, OPT_BATCH},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("Usage: peerscope-top [options] ws://HOST:PORT[/introspect] [URL...]\n"
          "\n"
          "A live, top-like view of one or more peer-to-peer nodes that serve peerscope\n"
          "(or the 2020 libp2p introspection protocol). With several URLs, Tab switches\n"
          "between nodes. A node that goes away is retried (1 s, doubling up to 30 s);\n"
          "one that refuses the token (HTTP 401/403) is not, and its screen says so.\n"
          "Given peerscope-hub's URL, the first view is the fleet: one row per node;\n"
          "Enter opens the selected node in a new tab (the hub's /node/NAME/introspect).\n"
          "\n"
          "Options:\n"
          "  --token T        access token (default: $PEERSCOPE_TOKEN); the same for every node\n"
          "  --ca-file PATH   wss: trust these CAs; --insecure: accept any certificate\n"
          "  --interval MS    state interval to ask for (default 1000; + and - change it)\n"
          "  --view V         first view: conns, streams, dht, pubsub, peers, limits, events, alerts,\n"
          "                   fleet (default: conns, or fleet for peerscope-hub)\n"
          "  --ascii          ASCII only (default: Unicode blocks when the locale is UTF-8)\n"
          "  --no-color\n"
          "  --batch, --once  no terminal UI: wait for each node's first state, print one\n"
          "                   frame per node as plain text on stdout, exit\n"
          "  --width N, --height N   frame size for --batch (default 120x40)\n"
          "  --timeout S      --batch: give up waiting after S seconds (default 10)\n"
          "  --help, --version\n"
          "\n"
          "Keys: 1-8 views (9 the fleet), s < > sort column, r reverse, / filter, p pause,\n"
          "+ - interval, Tab n N nodes, Enter (fleet) open a node, ? help, q quit.\n"
          "\n"
          "Exit status: 0 ok; 1 failure (no terminal, out of memory); 2 usage; with --batch\n"
          "also 3 a node could not be reached, 4 a node refused the token, 5 protocol error.\n",
          f);
}

int top_view_by_name(const char *s)
{
    static const char *const names[VIEW_COUNT] = {"conns", "streams", "dht", "pubsub", "peers", "limits", "events",
                                                  "alerts", "fleet"};
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

static bool own_option(cli_parser *p, int id, const char *arg, void *user)
{
    top_opts *o = user;
    uint64_t v;
    switch (id) {
    case OPT_VIEW: {
        int vi = top_view_by_name(arg);
        if (vi < 0)
            return cli_bad(p, "wants conns, streams, dht, pubsub, peers, limits, events, alerts or fleet");
        o->view = (top_view_id)vi;
        o->view_given = true;
        return true;
    }
    case OPT_ASCII: o->ascii = true; return true;
    case OPT_NO_COLOR: o->no_color = true; return true;
    case OPT_BATCH: o->batch = true; return true;
    case OPT_WIDTH:
        if (!cli_u64(p, arg, 40, 1000, &v))
            return false;
        o->batch_width = (int)v;
        return true;
    case OPT_HEIGHT:
        if (!cli_u64(p, arg, 10, 1000, &v))
            return false;
        o->batch_height = (int)v;
        return true;
    case OPT_TIMEOUT: return cli_seconds(p, arg, 1, 3600000, &o->batch_timeout_ms);
    }
    return true;
}

cli_status top_opts_parse(int argc, char **argv, top_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->batch_width = 120;
    o->batch_height = 40;
    o->batch_timeout_ms = 10000;
    const cli_spec spec = {"peerscope-top", own_opts, usage, own_option, o};
    int first;
    cli_status st = cli_parse(&spec, argc, argv, &o->conn, &first, out, err);
    if (st != CLI_RUN)
        return st;
    o->interval_ms = o->conn.interval_ms ? o->conn.interval_ms : 1000;
    for (int i = first; i < argc; i++) {
        if (o->n_urls == TOP_MAX_NODES)
            return cli_usage_error(&spec, err, "at most %d URLs", TOP_MAX_NODES);
        if (!cli_check_url(&spec, err, argv[i]))
            return CLI_USAGE;
        o->urls[o->n_urls++] = argv[i];
    }
    if (o->n_urls == 0)
        return cli_usage_error(&spec, err, "give the URL of at least one node");
    return CLI_RUN;
}

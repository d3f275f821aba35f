/* peerscope-hub: the command line and the --nodes file. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "peerscope/version.h"
#include "peerscope/serve.h" /* the endpoint's rule for a bind needing a token */

#define DEFAULT_PORT 7700u

void hub_usage(FILE *f)
{
    fprintf(f,
            "Usage: peerscope-hub [options] [URL...]\n"
            "\n"
            "One process for a fleet of peerscope nodes: it dials the endpoints given (pull)\n"
            "and takes links from nodes that dial it (push), and serves the whole fleet on\n"
            "one port: the visualizer in fleet mode, the fleet socket, every node again\n"
            "under /node/NAME/, and /metrics for all of them.\n"
            "\n"
            "Nodes:\n"
            "  URL                 ws:// or wss:// endpoint to pull; named host:port\n"
            "  --nodes FILE        one node per line: NAME URL [TOKEN]; URL \"push\" names a\n"
            "                      node that pushes, with its own TOKEN; '#' starts a comment\n"
            "  --push-token T      token pushing nodes present (Authorization: Bearer) on\n"
            "                      /push?node=NAME; without it only --nodes push lines may push\n"
            "\n"
            "Serving:\n"
            "  --port N            TCP port, 0 for any free one (default %u)\n"
            "  --bind ADDR         numeric address to listen on (default 127.0.0.1); any other\n"
            "                      than loopback needs --token\n"
            "  --token T           token viewers present (Authorization: Bearer, or ?token=)\n"
            "  --quiet             no lines about nodes coming and going on stderr\n"
            "  --help, --version\n"
            "\n"
            "Paths: /  /introspect (fleet socket)  /node/NAME/ and /node/NAME/introspect (one\n"
            "node re-served)  /push  /metrics  /healthz\n"
            "\n"
            "Exit status: 0 stopped by SIGINT/SIGTERM, 1 failure (out of memory, a thread\n"
            "cannot start), 2 bad command line or nodes file, 3 the port cannot be bound.\n",
            DEFAULT_PORT);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "peerscope-hub: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (--help lists the options)\n");
    va_end(ap);
    return HUB_EXIT_USAGE;
}

static bool token_ok(const char *t)
{
    if (!t || !*t || strlen(t) > 256)
        return false;
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* host:port of a URL, the default name of a pulled node. */
static bool url_name(const char *url, char *name, size_t cap)
{
    psc_client_url u;
    if (psc_client_parse_url(url, &u))
        return false;
    int n = snprintf(name, cap, "%.*s:%u", (int)(cap > 8 ? cap - 8 : 0), u.host, (unsigned)u.port);
    return n > 0 && (size_t)n < cap;
}

static int add_pull(hub *h, const char *name, const char *url, const char *token, const char *where)
{
    psc_client_url u;
    if (psc_client_parse_url(url, &u))
        return bad("malformed URL %s", url);
    if (!hub_add_node(h, name, false, url, token)) {
        fprintf(stderr, "peerscope-hub: %s: node %s named twice (or too many nodes)\n", where, name);
        return HUB_EXIT_USAGE;
    }
    return -1;
}

static int read_nodes(hub *h, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "peerscope-hub: --nodes %s: %s\n", path, strerror(errno));
        return HUB_EXIT_USAGE;
    }
    char line[2048];
    int lineno = 0, rc = -1;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *save = NULL;
        char *name = strtok_r(line, " \t\r\n", &save);
        if (!name)
            continue;
        char *url = strtok_r(NULL, " \t\r\n", &save);
        char *token = strtok_r(NULL, " \t\r\n", &save);
        char where[64];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!url || strtok_r(NULL, " \t\r\n", &save)) {
            fprintf(stderr, "peerscope-hub: %s: expected NAME URL [TOKEN]\n", where);
            rc = HUB_EXIT_USAGE;
        } else if (strlen(name) >= HUB_NAME_MAX) {
            fprintf(stderr, "peerscope-hub: %s: node name longer than %u characters\n", where, HUB_NAME_MAX - 1);
            rc = HUB_EXIT_USAGE;
        } else if (token && !token_ok(token)) {
            fprintf(stderr, "peerscope-hub: %s: malformed token\n", where);
            rc = HUB_EXIT_USAGE;
        } else if (!strcmp(url, "push")) {
            if (!hub_add_node(h, name, true, NULL, token)) {
                fprintf(stderr, "peerscope-hub: %s: node %s named twice (or too many nodes)\n", where, name);
                rc = HUB_EXIT_USAGE;
            }
        } else {
            rc = add_pull(h, name, url, token, where);
        }
    }
    fclose(f);
    return rc;
}

int hub_parse_args(hub *h, int argc, char **argv)
{
    enum { O_PORT = 1, O_BIND, O_TOKEN, O_PUSH_TOKEN, O_NODES, O_QUIET, O_HELP, O_VERSION };
    static const struct option opts[] = {
        {"port", required_argument, NULL, O_PORT},   {"bind", required_argument, NULL, O_BIND},
        {"token", required_argument, NULL, O_TOKEN}, {"push-token", required_argument, NULL, O_PUSH_TOKEN},
        {"nodes", required_argument, NULL, O_NODES}, {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},         {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    hub_options *o = &h->opt;
    o->port = DEFAULT_PORT;
    o->bind = "127.0.0.1";
    opterr = 0;
    int id;
    while ((id = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (id) {
        case O_PORT: {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || !*optarg || *end || v > 65535)
                return bad("--port: expected a port number 0-65535, got '%s'", optarg);
            o->port = (uint16_t)v;
            break;
        }
        case O_BIND:
            o->bind = optarg;
            break;
        case O_TOKEN:
            if (!token_ok(optarg))
                return bad("--token: %s", "expected 1-256 printable characters without spaces");
            o->token = optarg;
            break;
        case O_PUSH_TOKEN:
            if (!token_ok(optarg))
                return bad("--push-token: %s", "expected 1-256 printable characters without spaces");
            o->push_token = optarg;
            break;
        case O_NODES:
            o->nodes_file = optarg;
            break;
        case O_QUIET:
            o->quiet = true;
            break;
        case 'h':
        case O_HELP:
            hub_usage(stdout);
            return HUB_EXIT_OK;
        case O_VERSION:
            printf("peerscope-hub %s\n", PSC_VERSION_STRING);
            return HUB_EXIT_OK;
        default:
            return bad("unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (!psc_serve_is_loopback(o->bind) && !o->token)
        return bad("--bind %s is not a loopback address: it needs --token", o->bind);
    if (o->nodes_file) {
        int rc = read_nodes(h, o->nodes_file);
        if (rc >= 0)
            return rc;
    }
    for (int i = optind; i < argc; i++) {
        char name[HUB_NAME_MAX];
        if (!url_name(argv[i], name, sizeof name))
            return bad("malformed URL %s", argv[i]);
        int rc = add_pull(h, name, argv[i], NULL, "command line");
        if (rc >= 0)
            return rc;
    }
    return -1;
}

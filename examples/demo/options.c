#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "peerscope/client.h"
#include "peerscope/peerid.h"
#include "sim_limits.h"

#define TOKEN_MIN 16u
#define TOKEN_MAX 512u
#define ORIGIN_MAX 256u
#define DURATION_MAX 31536000.0 /* a year */

void demo_options_default(demo_options *o)
{
    memset(o, 0, sizeof *o);
    o->port = DEMO_DEFAULT_PORT;
    o->bind = "127.0.0.1";
    o->seed = 1;
    o->peers = 500;
    o->conns = 48;
    o->streams = 6;
    o->topics = 5;
    o->churn = 12;
    o->event_rate = 5;
    o->duration = 0;
}

void demo_options_usage(FILE *f)
{
    fprintf(f,
            "Usage: peerscope-demo [options]\n"
            "\n"
            "A simulated peer-to-peer node that embeds peerscope: connections, streams,\n"
            "a Kademlia DHT, gossipsub, a peerstore and events, served live over WebSocket.\n"
            "Open the printed URL in a browser, or point any peerscope client at it.\n"
            "\n"
            "Endpoint:\n"
            "  --port N            TCP port, 0 for any free one (default %u)\n"
            "  --bind ADDR         numeric address to listen on (default 127.0.0.1); any other\n"
            "                      than loopback needs a token (one is generated if not given)\n"
            "  --token T           access token clients must present (%u-%u characters of\n"
            "                      A-Z a-z 0-9 - . _ ~)\n"
            "  --allow-origin O    also accept WebSocket connections from web pages of origin O,\n"
            "                      e.g. http://127.0.0.1:5000 (\"*\": any); repeatable, up to %u\n"
            "  --hub URL           also dial a peerscope-hub at URL (ws://HOST:PORT/push or wss://)\n"
            "                      and serve it over that link; reconnects with backoff\n"
            "  --hub-token T       the hub's token for this node (16-256 characters of\n"
            "                      A-Z a-z 0-9 - . _ ~)\n"
            "  --name NAME         the node's name for the hub, 1-128 characters (default: its peer id)\n"
            "\n"
            "Simulation (the same seed and flags replay the same node):\n"
            "  --seed N            seed of every random choice (default 1)\n"
            "  --peers N           peers in the simulated network, 1-%u (default 500)\n"
            "  --conns N           connections to keep open, 0-%u and at most --peers (default 48)\n"
            "  --streams N         most streams open on one connection, 0-%u (default 6)\n"
            "  --topics N          gossipsub topics, 0-%u (default 5)\n"
            "  --churn X           connections closed (and replaced) per minute, 0-%.0f (default 12)\n"
            "  --event-rate X      DHT queries and sampled pubsub messages per second, 0-%.0f\n"
            "                      (default 5); connection, sync and block events come on top\n"
            "  --duration S        stop after S seconds, 0 for until interrupted (default 0)\n"
            "  --quiet             no status lines on stderr\n"
            "\n"
            "Analyzers (each makes an alert fire, then resolve, within the first minute):\n"
            "  --expect-peer ID    a peer that must be connected (it never is: an alert names\n"
            "                      it after 5 s); repeatable, up to %u\n"
            "  --validators N      a validator set of N (1-%u) voting every 2 s; now and then one\n"
            "                      misses votes for 8 s (the missing-votes rule fires)\n"
            "  --shrink-mesh       the topic demo/shrinking loses its mesh (under D_low = 4)\n"
            "                      for 15 s of every 40 s\n"
            "  --leak-protocol     streams of /demo/leak/1.0.0 pile up for 30 s of every 45 s\n"
            "  --rules FILE        more rules from a YAML rules file (examples/demo/rules.yaml)\n"
            "  --help              this text\n"
            "\n"
            "Stop with Ctrl-C (SIGINT) or SIGTERM. Exit status: 0 on a clean stop, 1 if\n"
            "the endpoint cannot start, 2 for a bad flag.\n",
            DEMO_DEFAULT_PORT, TOKEN_MIN, TOKEN_MAX, DEMO_MAX_ORIGINS, SIM_MAX_PEERS, SIM_MAX_CONNS,
            SIM_MAX_STREAMS, SIM_MAX_TOPICS, SIM_MAX_CHURN, SIM_MAX_EVENT_RATE, DEMO_MAX_EXPECT_PEERS,
            DEMO_MAX_VALIDATORS);
}

bool demo_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

static demo_parse_result fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return DEMO_PARSE_ERROR;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_real(const char *s, double max, double *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < TOKEN_MIN || n > TOKEN_MAX)
        return false;
    for (const char *p = t; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '.' || c == '_' || c == '~';
        if (!ok)
            return false;
    }
    return true;
}

/* An Origin is scheme://host[:port] exactly as a browser sends it: no path. */
static const char *origin_problem(const char *o)
{
    if (strcmp(o, "*") == 0)
        return NULL;
    if (strlen(o) > ORIGIN_MAX)
        return "too long";
    const char *rest;
    if (strncmp(o, "http://", 7) == 0)
        rest = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        rest = o + 8;
    else
        return "must start with http:// or https:// (or be \"*\")";
    if (!*rest)
        return "has no host";
    for (const char *p = rest; *p; p++) {
        if (*p == '/')
            return "must not have a path (an Origin is scheme://host[:port])";
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return "contains spaces or control characters";
    }
    return NULL;
}

#define ERR(...) return fail(err, errlen, __VA_ARGS__)

demo_parse_result demo_options_parse(int argc, char **argv, demo_options *o, char *err, size_t errlen)
{
    demo_options_default(o);
    bool conns_given = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return DEMO_PARSE_HELP;
        if (strcmp(arg, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(arg, "--shrink-mesh") == 0) {
            o->shrink_mesh = true;
            continue;
        }
        if (strcmp(arg, "--leak-protocol") == 0) {
            o->leak_protocol = true;
            continue;
        }
        if (strncmp(arg, "--shrink-mesh=", 14) == 0 || strncmp(arg, "--leak-protocol=", 16) == 0)
            ERR("%.*s takes no value", (int)strcspn(arg, "="), arg);
        if (strncmp(arg, "--quiet=", 8) == 0 || strncmp(arg, "--help=", 7) == 0)
            ERR("%.*s takes no value", (int)strcspn(arg, "="), arg);
        if (strncmp(arg, "--", 2) != 0)
            ERR("unexpected argument '%s'", arg);
        /* --name=value or --name value */
        char name[32];
        const char *val;
        const char *eq = strchr(arg, '=');
        if (eq) {
            size_t len = (size_t)(eq - arg);
            if (len >= sizeof name)
                ERR("unknown flag '%s'", arg);
            memcpy(name, arg, len);
            name[len] = 0;
            val = eq + 1;
        } else {
            if (strlen(arg) >= sizeof name)
                ERR("unknown flag '%s'", arg);
            strcpy(name, arg);
            val = NULL;
        }
        static const char *const known[] = {"--port",  "--bind",  "--token",   "--allow-origin", "--seed",
                                            "--peers", "--conns", "--streams", "--topics",       "--churn",
                                            "--event-rate", "--duration", "--expect-peer", "--validators",
                                            "--rules", "--hub", "--hub-token", "--name"};
        bool found = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            found |= strcmp(name, known[k]) == 0;
        if (!found)
            ERR("unknown flag '%s'", name);
        if (!val) {
            if (i + 1 >= argc)
                ERR("%s needs a value", name);
            val = argv[++i];
        }

        uint64_t u;
        if (strcmp(name, "--port") == 0) {
            if (!parse_u64(val, 65535, &u))
                ERR("--port: expected a port number 0-65535, got '%s'", val);
            o->port = (uint16_t)u;
        } else if (strcmp(name, "--bind") == 0) {
            struct in6_addr a;
            if (inet_pton(AF_INET, val, &a) != 1 && inet_pton(AF_INET6, val, &a) != 1)
                ERR("--bind: expected a numeric IPv4 or IPv6 address, got '%s'", val);
            o->bind = val;
        } else if (strcmp(name, "--token") == 0) {
            if (!token_ok(val))
                ERR("--token: expected %u-%u characters of A-Z a-z 0-9 - . _ ~", TOKEN_MIN, TOKEN_MAX);
            o->token = val;
        } else if (strcmp(name, "--allow-origin") == 0) {
            const char *why = origin_problem(val);
            if (why)
                ERR("--allow-origin: '%s' %s", val, why);
            if (o->n_origins == DEMO_MAX_ORIGINS)
                ERR("--allow-origin: at most %u origins", DEMO_MAX_ORIGINS);
            o->origins[o->n_origins++] = val;
        } else if (strcmp(name, "--hub") == 0) {
            psc_client_url url;
            if (psc_client_parse_url(val, &url) != PSC_OK)
                ERR("--hub: expected a ws:// or wss:// URL, got '%s'", val);
            o->hub = val;
        } else if (strcmp(name, "--hub-token") == 0) {
            if (!token_ok(val) || strlen(val) > DEMO_HUB_TOKEN_MAX)
                ERR("--hub-token: expected %u-%u characters of A-Z a-z 0-9 - . _ ~", TOKEN_MIN, DEMO_HUB_TOKEN_MAX);
            o->hub_token = val;
        } else if (strcmp(name, "--name") == 0) {
            bool ok = *val && strlen(val) <= DEMO_MAX_NAME;
            for (const char *c = val; ok && *c; c++)
                ok = (unsigned char)*c >= ' ' && *c != 0x7f;
            if (!ok)
                ERR("--name: expected 1-%u characters, none a control character", DEMO_MAX_NAME);
            o->name = val;
        } else if (strcmp(name, "--seed") == 0) {
            if (!parse_u64(val, UINT64_MAX, &u))
                ERR("--seed: expected a non-negative integer, got '%s'", val);
            o->seed = u;
        } else if (strcmp(name, "--peers") == 0) {
            if (!parse_u64(val, SIM_MAX_PEERS, &u) || u < 1)
                ERR("--peers: expected an integer 1-%u, got '%s'", SIM_MAX_PEERS, val);
            o->peers = (uint32_t)u;
        } else if (strcmp(name, "--conns") == 0) {
            if (!parse_u64(val, SIM_MAX_CONNS, &u))
                ERR("--conns: expected an integer 0-%u, got '%s'", SIM_MAX_CONNS, val);
            o->conns = (uint32_t)u;
            conns_given = true;
        } else if (strcmp(name, "--streams") == 0) {
            if (!parse_u64(val, SIM_MAX_STREAMS, &u))
                ERR("--streams: expected an integer 0-%u, got '%s'", SIM_MAX_STREAMS, val);
            o->streams = (uint32_t)u;
        } else if (strcmp(name, "--topics") == 0) {
            if (!parse_u64(val, SIM_MAX_TOPICS, &u))
                ERR("--topics: expected an integer 0-%u, got '%s'", SIM_MAX_TOPICS, val);
            o->topics = (uint32_t)u;
        } else if (strcmp(name, "--churn") == 0) {
            if (!parse_real(val, SIM_MAX_CHURN, &o->churn))
                ERR("--churn: expected connections per minute, 0-%.0f, got '%s'", SIM_MAX_CHURN, val);
        } else if (strcmp(name, "--event-rate") == 0) {
            if (!parse_real(val, SIM_MAX_EVENT_RATE, &o->event_rate))
                ERR("--event-rate: expected events per second, 0-%.0f, got '%s'", SIM_MAX_EVENT_RATE, val);
        } else if (strcmp(name, "--expect-peer") == 0) {
            if (!psc_peerid_is_valid(val))
                ERR("--expect-peer: '%s' is not a peer id", val);
            if (o->n_expect_peers == DEMO_MAX_EXPECT_PEERS)
                ERR("--expect-peer: at most %u peers", DEMO_MAX_EXPECT_PEERS);
            o->expect_peers[o->n_expect_peers++] = val;
        } else if (strcmp(name, "--validators") == 0) {
            if (!parse_u64(val, DEMO_MAX_VALIDATORS, &u) || u < 1)
                ERR("--validators: expected an integer 1-%u, got '%s'", DEMO_MAX_VALIDATORS, val);
            o->validators = (uint32_t)u;
        } else if (strcmp(name, "--rules") == 0) {
            if (!*val)
                ERR("--rules: expected a file name");
            o->rules = val;
        } else if (strcmp(name, "--duration") == 0) {
            if (!parse_real(val, DURATION_MAX, &o->duration))
                ERR("--duration: expected seconds, 0-%.0f (0: until interrupted), got '%s'", DURATION_MAX, val);
        }
    }
    if ((o->hub_token || o->name) && !o->hub)
        ERR("%s: only with --hub", o->hub_token ? "--hub-token" : "--name");
    if (o->conns > o->peers) {
        /* a small universe with the default connection target just fills it */
        if (conns_given)
            ERR("--conns (%u) cannot exceed --peers (%u)", o->conns, o->peers);
        o->conns = o->peers;
    }
    return DEMO_PARSE_OK;
}

/* Command-line flags of peerscope-demo. */
#ifndef DEMO_OPTIONS_H
#define DEMO_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DEMO_MAX_ORIGINS 16u
#define DEMO_MAX_EXPECT_PEERS 16u
#define DEMO_MAX_VALIDATORS 100u
#define DEMO_DEFAULT_PORT 7878u
#define DEMO_MAX_NAME 128u
#define DEMO_HUB_TOKEN_MAX 256u

typedef struct demo_options {
    uint16_t port;
    const char *bind;      /* numeric address; points into argv or a literal */
    const char *token;     /* NULL: none (one is generated for a non-loopback bind) */
    const char *origins[DEMO_MAX_ORIGINS];
    size_t n_origins;
    const char *hub;       /* ws:// or wss:// URL of a peerscope-hub's /push; NULL: no push link */
    const char *hub_token; /* NULL: none */
    const char *name;      /* the node's name for the hub; NULL: its peer id */
    uint64_t seed;
    uint32_t peers, conns, streams, topics;
    double churn;          /* connections closed and replaced per minute */
    double event_rate;     /* DHT queries and message samples per second */
    double duration;       /* seconds; 0: until interrupted */
    bool quiet;
    /* analyzers (see alerts.h): what makes each kind of alert fire on purpose */
    const char *expect_peers[DEMO_MAX_EXPECT_PEERS];
    size_t n_expect_peers;
    uint32_t validators;   /* a validator set voting every round; 0: none */
    bool shrink_mesh;      /* a topic whose mesh falls under D_low, then recovers */
    bool leak_protocol;    /* a protocol whose streams grow, then close */
    const char *rules;     /* a rules file; NULL: none */
} demo_options;

/* The defaults, as --help lists them. */
void demo_options_default(demo_options *o);

typedef enum demo_parse_result {
    DEMO_PARSE_OK = 0,
    DEMO_PARSE_HELP = 1,  /* --help: print usage, exit 0 */
    DEMO_PARSE_ERROR = 2, /* err holds the message; exit 2 */
} demo_parse_result;

/*
 * Parse argv (argv[0] is the program). Accepts "--flag value" and
 * "--flag=value". Every value is checked; on error err (errlen bytes)
 * says which flag and why. *o is only valid after DEMO_PARSE_OK; strings
 * in it point into argv.
 */
demo_parse_result demo_options_parse(int argc, char **argv, demo_options *o, char *err, size_t errlen);

void demo_options_usage(FILE *f);

/* True for 127.0.0.0/8 and ::1 (where no token is needed). */
bool demo_is_loopback(const char *addr);

#endif

/*
 * peerscope-hub: one process for a fleet (docs/hub.md is the design).
 *
 * Parts and the threads they run on:
 *   hub_opts.c    the command line and the --nodes file (main thread)
 *   hub_model.c   the node table, resume bookkeeping, the fleet event
 *                 ring and the Fleet table (any thread, under hub.lock)
 *   hub_link.c    what every link to a node says on (re)connect, pulled
 *                 or pushed alike (the thread of that link)
 *   hub_pull.c    the pulled nodes: C clients on one psc_client_loop,
 *                 reconnecting with backoff (the pull thread)
 *   hub_server.c  the one listening port: HTTP routes, the upgrades of
 *                 /push and /introspect (the server thread)
 *   hub_push.c    the pushed nodes' links (the server thread)
 *   hub_fleet.c   the fleet socket sessions (the server thread)
 *   hub_metrics.c GET /metrics (the server thread)
 *   hub_relay.c   each node re-served at /node/NAME/introspect: a live
 *                 psc_replay fed by its link, sessions on the server thread
 *
 * The node table is the only thing both threads touch; everything in
 * hub_node is read and written under hub.lock.
 */
#ifndef PSC_TOOLS_HUB_H
#define PSC_TOOLS_HUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/client.h"

#define HUB_NAME_MAX 64
#define HUB_MAX_NODES 1024
/* Events the fleet socket can still send a slow viewer (all nodes together). */
#define HUB_RING_EVENTS 8192u
#define HUB_MAX_MILESTONES 32u
/* Reconnect backoff of pulled nodes (ms). */
#define HUB_BACKOFF_MIN_MS 500u
#define HUB_BACKOFF_MAX_MS 30000u

/* Exit statuses (--help lists them). */
enum {
    HUB_EXIT_OK = 0,
    HUB_EXIT_FAILURE = 1, /* out of memory, a thread cannot start */
    HUB_EXIT_USAGE = 2,   /* bad command line or nodes file */
    HUB_EXIT_LISTEN = 3,  /* the port cannot be bound */
};

typedef struct hub_milestone {
    char name[48];
    char from[48];
    uint64_t reached_ts;
    uint64_t duration_ms;
} hub_milestone;

typedef struct hub hub;
/* A node re-served (hub_relay.c). */
typedef struct hub_relay hub_relay;

/* One node of the fleet. Guarded by hub.lock. */
typedef struct hub_node {
    char name[HUB_NAME_MAX];
    bool push;                  /* reaches the hub over /push; else pulled */
    char url[512];              /* pull: where it is dialled */
    char *token;                /* pull: its endpoint's token; push: the token it must present (NULL: --push-token) */
    bool configured;            /* named on the command line or in --nodes (kept when down) */
    char source[160];           /* Fleet.Node.source */

    bool up;
    bool ever_up;
    uint64_t since_ts;
    char error[128];
    uint32_t reconnects;
    uint64_t link_gen;          /* counts (re)connects: a link's messages carry the generation they began with */
    bool awaiting_runtime;      /* the first Runtime of this link decides where events resume */

    /* Runtime */
    bool has_runtime;
    char peer_id[128];
    char implementation[64];
    char version[64];
    char platform[96];
    uint64_t start_ts;

    /* newest State */
    uint8_t *state_payload;     /* its ServerMessage bytes (for /metrics), malloc'd */
    size_t state_len;
    uint64_t state_ts;
    uint32_t peers, connections, streams;
    uint64_t rate_in, rate_out;
    uint32_t alerts[3];         /* by Alert.Severity: INFO, WARNING, CRITICAL */
    hub_milestone milestones[HUB_MAX_MILESTONES];
    size_t n_milestones;

    /* events */
    uint64_t last_seq;          /* newest seq of this run */
    uint64_t events;            /* all runs */
    uint64_t duplicates;        /* dropped because their seq was not above last_seq */
    uint64_t dropped;           /* DISCARDING_EVENTS */
    uint64_t runs;              /* distinct Runtime.start_ts seen */

    void *push_conn;            /* the live push link (server thread's), or NULL */
    hub_relay *relay;           /* made with the node, freed with the hub; NULL: not re-served (out of memory) */
} hub_node;

/* One event of the fleet stream: a framed ServerMessage{event with node}. */
typedef struct hub_ring_item {
    uint8_t *frame;             /* 12-byte header + payload, malloc'd */
    size_t len;
} hub_ring_item;

typedef struct hub_options {
    uint16_t port;
    const char *bind;
    const char *token;          /* viewers' */
    const char *push_token;     /* pushing nodes' (default for nodes not in --nodes) */
    const char *nodes_file;
    bool quiet;
} hub_options;

struct hub {
    hub_options opt;
    uint64_t start_ts;          /* the hub's own Runtime.start_ts */

    pthread_mutex_t lock;
    hub_node *nodes[HUB_MAX_NODES];
    size_t n_nodes;
    /* the fleet event ring: item i (counting from 0 since start) is at i % HUB_RING_EVENTS */
    hub_ring_item ring[HUB_RING_EVENTS];
    uint64_t ring_next;         /* index of the next item to be added */
    uint64_t push_refused;      /* /push upgrades refused */

    atomic_bool stop;
    void *server;               /* hub_server (server thread) */
    void *pull;                 /* hub_pull (pull thread) */
};

/* ---- hub_metrics.c ---- */
/* GET /metrics's body: every node's families with a node label, then the
 * hub's own (malloc'd, *len bytes), or NULL when out of memory. Takes
 * hub.lock only to copy what it renders. */
char *hub_metrics_render(hub *h, size_t *len);

/* ---- hub_opts.c ---- */
/* Parse argv into h (nodes named there are added); exit status on failure or --help, -1 to run. */
int hub_parse_args(hub *h, int argc, char **argv);
void hub_usage(FILE *f);

/* ---- hub_model.c (each takes hub.lock itself unless it says "locked") ---- */
void hub_init(hub *h);
void hub_fini(hub *h);
/* Add a configured node (main thread, before the threads start). NULL: no room or out of memory. */
hub_node *hub_add_node(hub *h, const char *name, bool push, const char *url, const char *token);
/* Locked: the node called name, or NULL. */
hub_node *hub_find_locked(hub *h, const char *name);
/* Locked: find or add a pushed node not named in --nodes. */
hub_node *hub_push_node_locked(hub *h, const char *name);
/* A link came up; returns the link's generation. */
uint64_t hub_link_up(hub *h, hub_node *n, const char *source);
/* The link of generation gen went down with why (ignored if a newer link is up). */
void hub_link_down(hub *h, hub_node *n, uint64_t gen, const char *why);
/*
 * One decoded ServerMessage of link gen. When it is the link's first
 * Runtime, *resume is set and *after_seq says where events resume: the
 * link then sends its PUSH_ENABLEs. Returns false when the link is stale.
 */
bool hub_link_message(hub *h, hub_node *n, uint64_t gen, const Peerscope__ServerMessage *msg, const uint8_t *payload,
                      size_t len, bool *resume, uint64_t *after_seq);
/*
 * One framed ServerMessage (12-byte header + payload) of link gen, as a
 * push link receives it: decoded and taken as hub_link_message takes it
 * (*current, *resume and *after_seq as it sets them). Errors: the frame's
 * own (psc_frame_parse), PSC_ERR_PROTOCOL for a payload that is not a
 * ServerMessage: that frame is lost and the link goes on.
 */
psc_err hub_link_frame(hub *h, hub_node *n, uint64_t gen, const uint8_t *data, size_t len, bool *current,
                       bool *resume, uint64_t *after_seq);
/* The Fleet table as a framed ServerMessage (malloc'd), or NULL (out of memory). */
uint8_t *hub_fleet_frame(hub *h, size_t *len);
/* The hub's Runtime as a framed ServerMessage (malloc'd), or NULL. */
uint8_t *hub_runtime_frame(hub *h, size_t *len);
/* A framed ServerMessage of msg, with the protocol version when msg has none (malloc'd), or NULL. */
uint8_t *hub_frame_message(const Peerscope__ServerMessage *msg, size_t *len);
/* Locked: copy ring item idx (NULL when it has left the ring or is not there yet). */
uint8_t *hub_ring_copy_locked(hub *h, uint64_t idx, size_t *len);
/* Wall clock, ms since the epoch, and a monotonic one (the tools' clocks). */
uint64_t hub_wall_ms(void);
uint64_t hub_mono_ms(void);
/* "hub: ..." on stderr (unless --quiet for info lines). */
void hub_log(hub *h, bool info, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- hub_link.c ---- */
/* Commands of a link, sent by send(link, cmd). */
typedef psc_err (*hub_send_fn)(void *link, const Peerscope__ClientCommand *cmd);
/* On open: HELLO and REQUEST RUNTIME. */
psc_err hub_link_greet(hub_send_fn send, void *link, uint64_t *next_id);
/* After the first Runtime: PUSH_ENABLE EVENTS resuming after after_seq, then PUSH_ENABLE STATE. */
psc_err hub_link_subscribe(hub_send_fn send, void *link, uint64_t *next_id, uint64_t after_seq);

/* ---- hub_relay.c ---- */
/* A live relay for the node called name (any thread), or NULL. */
hub_relay *hub_relay_new(hub *h, const char *name);
/* After the server thread is gone. NULL: no-op. */
void hub_relay_free(hub_relay *r);
/* The producer (the node's link thread): one ServerMessage, and a new run of the node. */
void hub_relay_add(hub_relay *r, const uint8_t *payload, size_t len);
void hub_relay_new_run(hub_relay *r);

/* ---- hub_pull.c ---- */
/* Start the pull thread for every pulled node. PSC_ERR_* on failure. */
psc_err hub_pull_start(hub *h);
/* Stop and join it (h->stop must be set). */
void hub_pull_stop(hub *h);

/* ---- hub_server.c ---- */
/* Bind the port and start the server thread; *port gets the bound port. */
psc_err hub_server_start(hub *h, uint16_t *port);
void hub_server_stop(hub *h);
/* Any thread: new events in the ring, push them to viewers. */
void hub_server_wake(hub *h);

#endif

/* peerscope-top: the application state shared by its source files. */
#ifndef PSC_TOOLS_TOP_H
#define PSC_TOOLS_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_opts.h"
#include "peerscope/client.h"
#include "top_model.h"
#include "top_screen.h"
#include "top_table.h"

#define TOP_MAX_NODES 32
#define TOP_BACKOFF_FIRST_MS 1000u
#define TOP_BACKOFF_MAX_MS 30000u

typedef enum top_view_id {
    VIEW_CONNS,
    VIEW_STREAMS,
    VIEW_DHT,
    VIEW_PUBSUB,
    VIEW_PEERS,
    VIEW_LIMITS,
    VIEW_EVENTS,
    VIEW_ALERTS,
    VIEW_FLEET,     /* peerscope-hub's table of nodes: the first view of an endpoint that sends one */
    VIEW_COUNT,
} top_view_id;

typedef struct top_opts {
    const char *urls[TOP_MAX_NODES];
    size_t n_urls;
    cli_conn conn;              /* --token/$PEERSCOPE_TOKEN, --ca-file, --insecure, --interval */
    uint64_t interval_ms;       /* asked for in HELLO (--interval, default 1000); + and - change it */
    top_view_id view;           /* the first view shown */
    bool view_given;            /* --view was given: a fleet does not change the first view */
    bool ascii;                 /* no UTF-8 even in a UTF-8 locale */
    bool no_color;
    bool batch;                 /* print one text frame per node and exit */
    int batch_width, batch_height;
    uint64_t batch_timeout_ms;
} top_opts;

typedef enum top_phase {
    NODE_CONNECTING,
    NODE_OPEN,
    NODE_WAITING,   /* disconnected; retry at retry_at */
    NODE_REFUSED,   /* the node refused the token (HTTP 401/403): not retried, the token will not change */
} top_phase;

struct top_app;

typedef struct top_node {
    struct top_app *app;
    const char *url;
    char *own_url;              /* url when top made it (a fleet's node opened with Enter), else NULL */
    psc_client *client;
    top_model model;
    top_phase phase;
    uint64_t retry_at;          /* monotonic ms */
    uint32_t backoff_ms;        /* the wait before the next retry */
    uint64_t attempts;          /* connections tried */
    psc_err close_err;          /* why the last connection ended */
    char close_reason[128];
    bool got_data;              /* a state or runtime since the last connect */
    bool ever_data;
    bool fleet_seen;            /* a Fleet table arrived: the endpoint is a hub's fleet socket */
    uint64_t interval_ms;       /* effective, from the server's responses; 0: unknown */
    uint64_t hello_id, config_id;
    uint64_t corrupt;           /* messages lost to on_error */
    char server_error[160];     /* the last ERR response */
} top_node;

typedef struct top_app {
    top_opts opts;
    psc_client_loop *loop;
    top_node *nodes;            /* cap_nodes allocated (a node never moves: its client points at it) */
    size_t n_nodes, cap_nodes, cur;
    top_view_id view;
    top_view_state vs[VIEW_COUNT];
    top_table table;
    top_screen scr;
    bool paused;
    uint64_t interval_ms;
    bool help;
    bool editing_filter;
    char filter_backup[64];
    size_t event_focus;         /* event type index shown with typed columns; (size_t)-1: all */
    char message[160];          /* a transient line for the status bar */
    uint64_t message_until;
    bool quit;
    bool dirty;
} top_app;

/* top_opts.c: parse argv (help and version to out, messages to err); every operand is a node's URL. */
cli_status top_opts_parse(int argc, char **argv, top_opts *o, FILE *out, FILE *err);
/* The view named s ("conns", "3", ...), or -1. */
int top_view_by_name(const char *s);

/* top_node.c: connection, session commands and reconnect backoff. */
psc_err top_node_start(top_app *app, top_node *n, const char *url);
void top_node_free(top_node *n);
/* Reconnect when the backoff has passed (now: monotonic ms). */
void top_node_tick(top_node *n, uint64_t now);
/* Commands to every node's open session. */
void top_nodes_pause(top_app *app, bool pause);
void top_nodes_interval(top_app *app, uint64_t interval_ms);
/* Show node i, in the fleet view if it is a fleet (and not in it if it is not). */
void top_select_node(top_app *app, size_t i);
/*
 * Enter in the fleet view: open the selected node of the current (fleet)
 * node as a node tab at the hub's NODE-PATH (Fleet.Node.path), or show the
 * tab already open for it. Says why in the status bar when it cannot.
 */
void top_open_fleet_node(top_app *app);
/* Disconnected, waiting to retry or refused for good. */
bool top_node_down(const top_node *n);
typedef enum top_status_detail {
    TOP_STATUS_FULL,   /* "disconnected (connection failed: Unable to connect), retrying in 4s" */
    TOP_STATUS_BRIEF,  /* without the low-level reason and hints: "disconnected (connection failed), retrying in 4s" */
    TOP_STATUS_SHORT,  /* the same in fewer words: "connection failed, retry in 4s" */
} top_status_detail;
/* One line about the node's connection ("connected", "disconnected (...), retrying in 4s"). */
void top_node_status(const top_node *n, uint64_t now, top_status_detail detail, char *buf, size_t len,
                     uint8_t *attr);
/* Why the node's last connection ended, in words. */
const char *top_node_close_text(const top_node *n);

/* top_frame.c: the whole frame into app->scr (now: monotonic, wall: epoch ms). */
void top_frame_draw(top_app *app, uint64_t now, uint64_t wall);

/* top_keys.c: one key press (ncurses key code). */
void top_key(top_app *app, int key);

/* Set the transient status-bar message. */
void top_say(top_app *app, const char *fmt, ...) PSC_PRINTF(2, 3);

#endif

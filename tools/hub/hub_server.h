/*
 * peerscope-hub's server side (hub_server.c, hub_push.c, hub_fleet.c,
 * hub_metrics.c): one libwebsockets context on the server thread.
 * Everything here runs on that thread, except hub_server_wake.
 */
#ifndef PSC_TOOLS_HUB_SERVER_H
#define PSC_TOOLS_HUB_SERVER_H

#include <libwebsockets.h>

#include "hub.h"
#include "peerscope/endpoint.h"
#include "peerscope/serve.h" /* the endpoint's token, Host and Origin checks and its wrong-token guard */

/* Largest message a pushing node may send (a whole State). */
#define HUB_PUSH_MAX_MESSAGE (64u * 1024u * 1024u)
/* Largest command a viewer may send. */
#define HUB_VIEWER_MAX_MESSAGE (64u * 1024u)
/* Messages queued for one viewer before fleet tables are skipped for it. */
#define HUB_VIEWER_QUEUE_MAX 16u

typedef enum hub_conn_kind {
    HUB_CONN_HTTP = 0,
    HUB_CONN_PUSH,  /* a node's /push link: we are its client */
    HUB_CONN_FLEET, /* a viewer of /introspect */
    HUB_CONN_NODE,  /* a viewer of /node/NAME/introspect */
} hub_conn_kind;

/* One message waiting to be written, LWS_PRE bytes of room in front. */
typedef struct hub_tx {
    struct hub_tx *next;
    size_t len;
    uint8_t data[];
} hub_tx;

/* Per-connection data (lws allocates it zeroed). */
typedef struct hub_conn {
    struct lws *wsi;
    hub_conn_kind kind;
    char peer[64];
    /* HTTP */
    uint8_t *body;
    size_t body_len, body_sent;
    bool body_owned, http_pending;
    /* WebSocket */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    hub_tx *tx_head, *tx_tail;
    size_t tx_count;
    enum lws_close_status close_code;
    const char *close_why;
    struct hub_conn *prev, *next; /* the server's WebSocket connections */
    /* push */
    hub_node *node;               /* NULL once replaced by a newer link */
    uint64_t gen, next_id;
    /* fleet viewer */
    bool push_state, push_events;
    uint64_t ring_pos;            /* next fleet ring item to send */
    /* node viewer */
    hub_relay *relay;
    psc_endpoint_session *sess;
} hub_conn;

typedef struct hub_server {
    hub *h;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct lws_protocols protocols[2];
    struct lws_http_mount mount;
    pthread_t thread;
    pthread_mutex_t wake_lock;
    bool ctx_alive;               /* under wake_lock */
    atomic_bool wake_pending;     /* a wake-up is on its way: later ones until it is handled are folded into it */
    bool local_only;              /* loopback bind without a token: Host is checked */
    lws_sorted_usec_list_t tick;  /* the fleet table, every second */
    hub_conn *conns;
    psc_serve_guard *guard;       /* wrong tokens per address */
} hub_server;

/* hub_server.c */
/* Queue a copy of len bytes as one binary message. false: out of memory. */
bool hub_conn_send(hub_conn *c, const uint8_t *data, size_t len);
/* Queue a framed message already malloc'd (taken, freed either way). */
bool hub_conn_send_owned(hub_conn *c, uint8_t *frame, size_t len);
void hub_conn_close(hub_conn *c, enum lws_close_status code, const char *why);
/* Start an HTTP response with body (copied unless owned: then taken). */
int hub_respond(hub_conn *c, struct lws *wsi, unsigned status, const char *type, const uint8_t *body, size_t len,
                bool owned);
int hub_respond_text(hub_conn *c, struct lws *wsi, unsigned status, const char *text);
/* The viewer checks (Host, Origin, --token): NULL to let in, else why and *status. */
const char *hub_viewer_refusal(hub_server *s, struct lws *wsi, unsigned *status);

/* The token of a /push upgrade (Authorization header only): NULL when right or
 * when expected is NULL, else why and *status. */
const char *hub_push_token_refusal(hub_server *s, struct lws *wsi, const char *expected, unsigned *status);

/* hub_push.c */
/* The /push upgrade's checks: NULL to let in, else why and *status. */
const char *hub_push_refusal(hub_server *s, struct lws *wsi, unsigned *status);
void hub_push_open(hub_server *s, hub_conn *c, struct lws *wsi);
void hub_push_message(hub_server *s, hub_conn *c, const uint8_t *data, size_t len);
void hub_push_closed(hub_server *s, hub_conn *c);

/* hub_fleet.c */
void hub_fleet_open(hub_server *s, hub_conn *c);
void hub_fleet_command(hub_server *s, hub_conn *c, const uint8_t *data, size_t len);
/* The next ring event for c, if one is due (called when the queue is empty). */
bool hub_fleet_next_event(hub_server *s, hub_conn *c);
/* Every second: the table to every viewer with PUSH_ENABLE STATE. */
void hub_fleet_tick(hub_server *s);
/* New events: wake the viewers that wait for them. */
void hub_fleet_events_ready(hub_server *s);

/* hub_relay.c */
/* The /node/NAME/introspect upgrade's path check (after the viewer checks). */
const char *hub_relay_refusal(hub_server *s, const char *uri, unsigned *status);
void hub_relay_open(hub_server *s, hub_conn *c, const char *uri);
void hub_relay_message(hub_server *s, hub_conn *c, const uint8_t *data, size_t len);
/* The next message of c's session, if one is due (called when the queue is empty). */
bool hub_relay_next(hub_server *s, hub_conn *c);
void hub_relay_closed(hub_server *s, hub_conn *c);
/* Run every relay that has viewers (new messages, timers). */
void hub_relay_service_all(hub_server *s);

/* hub_metrics.c */
int hub_metrics_request(hub_server *s, hub_conn *c, struct lws *wsi);

#endif

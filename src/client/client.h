/* Private to src/client: the structures behind psc_client and psc_client_loop. */
#ifndef PSC_CLIENT_CLIENT_H
#define PSC_CLIENT_CLIENT_H

#include <libwebsockets.h>

#include "util/alloc.h"
#include "peerscope/client.h"

/* One encoded command waiting for a writable socket; LWS_PRE bytes of
 * headroom precede the message because lws_write builds the frame header
 * in front of the buffer. */
typedef struct psc__cmd {
    struct psc__cmd *next;
    size_t len;
    _Alignas(16) uint8_t buf[]; /* LWS_PRE + len */
} psc__cmd;

struct psc_client_loop {
    psc__alloc alloc;
    struct lws_context *ctx;
    struct lws_vhost *tls_vhost; /* shared by wss clients without a CA file; made on first use */
    /* Clients attached, in creation order (doubly linked through
     * psc_client.prev/next). */
    psc_client *head, *tail;
    /* Set while psc_client_loop_poll runs: user callbacks may be on the
     * stack, so frees are deferred until it returns. */
    bool dispatching;
    bool free_pending;
    psc_client *owner;          /* the client whose private loop this is */
    lws_sorted_usec_list_t wake_sul; /* bounds the wait of one poll */
    uint64_t vhost_seq;
};

struct psc_client {
    psc__alloc alloc;
    psc_client_loop *loop;      /* NULL once the loop was freed under us */
    psc_client *prev, *next;
    psc_client_callbacks cb;
    void *user;

    /* copied configuration */
    psc_client_url url;
    char *host_header;
    char *auth_header;          /* "Bearer <token>" or NULL */
    char *origin;
    char *ca_file;
    bool allow_insecure;
    bool omit_version;
    size_t max_message_size;
    uint32_t connect_timeout_ms;
    struct lws_vhost *vhost;    /* TLS vhost the connection binds to (NULL: the plain default) */
    bool own_vhost;             /* made for this client's ca_file: destroyed with it */

    /* connection */
    struct lws *wsi;
    psc_client_state state;
    bool close_requested;       /* psc_client_close on an open connection */
    bool user_closed;           /* the end of this connection was asked for */
    bool timed_out;
    bool peer_closed;
    int peer_close_code;
    char peer_close_reason[124];
    lws_sorted_usec_list_t connect_sul;
    bool connect_sul_armed;

    /* the end of the connection, waiting for delivery of on_close */
    bool close_pending;
    bool close_due;             /* pending when the current delivery pass began */
    psc_err close_err;
    int close_code;
    char close_reason[128];

    /* lifecycle */
    bool doomed;                /* freed by the user during dispatch */

    /* outbound commands */
    psc__cmd *q_head, *q_tail;
    uint64_t next_id;

    /* inbound reassembly */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    bool rx_in_msg;
    psc_err rx_discard;         /* PSC_OK, or why the message being received is dropped */
    bool rx_alloc_failed;       /* set by the protobuf-c allocator hook */

    /* delta states */
    bool delta_states;
    uint32_t full_state_every;
    bool apply_deltas;
    Peerscope__ServerMessage *base; /* apply_deltas: the last full state (client allocator) */
    bool resync_pending;        /* a REQUEST STATE is on its way after a delta did not apply */

    /* counters */
    uint64_t messages, bytes, errors, commands_sent, deltas_applied, resyncs;
};

/* client.c */
psc_err psc__client_connect(psc_client *c);
/* The connection ended: record why and queue on_close for delivery. */
void psc__client_finish(psc_client *c, psc_err err, int code, const char *reason);
void psc__client_drop_queue(psc_client *c);
void psc__client_release(psc_client *c); /* the actual free */
/* Deliver one pending on_close; false if none was pending. */
bool psc__client_deliver_close(psc_client *c);

/* rx.c */
void psc__client_rx(psc_client *c, struct lws *wsi, const uint8_t *in, size_t len);
void psc__client_rx_reset(psc_client *c);
/* One whole inbound frame (header + ServerMessage): checked, decoded,
 * delta-applied and dispatched to the callbacks. Needs no socket, so the
 * fuzz target drives it directly. */
void psc__client_process(psc_client *c, const uint8_t *frame, size_t frame_len);
/* Forget the full state kept for deltas (a new connection starts afresh). */
void psc__client_drop_base(psc_client *c);
/* Report a lost message through on_error. */
void psc__client_error(psc_client *c, psc_err err, const char *reason);

/* io.c: the lws protocol table of every loop */
extern const struct lws_protocols psc__client_protocols[];
#define PSC__CLIENT_PROTOCOL "psc-client"
#define PSC__CLIENT_RX_BUFFER 65536

/* loop.c */
void psc__loop_attach(psc_client_loop *loop, psc_client *c);
void psc__loop_detach(psc_client_loop *loop, psc_client *c);
psc_err psc__loop_new(const psc__alloc *a, psc_client_loop **out);
/* A TLS client vhost: the loop's shared one (ca_file NULL, made once) or a
 * new one trusting ca_file. NULL on failure. */
struct lws_vhost *psc__loop_tls_vhost(psc_client_loop *loop, const char *ca_file);

#endif

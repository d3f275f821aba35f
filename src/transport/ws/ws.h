/*
 * The WebSocket endpoint's private state (ws_*.c).
 *
 * Threads: everything that touches libwebsockets runs on the endpoint's
 * service thread, except lws_cancel_service (the wake-up), which any thread
 * may call under wake_lock while ctx_alive is set. The service thread
 * clears ctx_alive under the same lock before it destroys the context.
 * On the host's own loop (libuv, glib or libev: loop_ops set) the
 * "service thread" is the loop's thread and there is no thread of ours:
 * start, close and the callbacks all run there, and lws ends its context
 * after close (on libuv only while the host runs the loop on), clearing
 * loop_ctx (its pcontext) when done.
 */
#ifndef PSC_TRANSPORT_WS_WS_H
#define PSC_TRANSPORT_WS_WS_H

#include <libwebsockets.h>
#ifdef PSC_HAVE_LIBUV
#include <uv.h>
#endif
#ifdef PSC_HAVE_LIBEV
#include <ev.h>
#endif
#include <pthread.h>
#include <stdatomic.h>

#include "metrics/metrics.h"
#include "recorder/recorder.h"
#include "util/alloc.h"
#include "util/lws_log.h"
#include "peerscope/ws.h"

#define PSC__WS_DEFAULT_MAX_MESSAGE (64u * 1024u)
#define PSC__WS_DEFAULT_FRAGMENT (64u * 1024u)
#define PSC__WS_MIN_FRAGMENT 1024u
/* How long close waits for sessions to take their close frame. */
#define PSC__WS_CLOSE_GRACE_MS 500u
/* A client must send HELLO this soon after connecting, or lose its slot. */
#define PSC__WS_HELLO_TIMEOUT_S 30
/* Idle connections are pinged, and dropped when nothing valid came for longer. */
#define PSC__WS_PING_AFTER_S 30
#define PSC__WS_HANGUP_AFTER_S 90
/* A /recording download whose client takes nothing for this long is dropped
 * (it holds the one download slot and keeps its items alive). */
#define PSC__WS_RECORDING_STALL_S 30

typedef struct psc__ws_conn psc__ws_conn;
typedef struct psc__ws psc__ws;
/* A file of assets_dir read for one response (ws_http.c). */
typedef struct psc__ws_file psc__ws_file;

/* Per-connection data (lws allocates it zeroed: per_session_data_size). */
struct psc__ws_conn {
    struct lws *wsi;
    /* HTTP */
    const uint8_t *body;
    size_t body_len, body_sent;
    char small_body[256];
    psc__ws_file *file;           /* owns body while a file of assets_dir is sent */
    bool http_pending;            /* headers written, body (maybe empty) still to send */
    /* GET /recording: this connection has the endpoint's one download
     * (ws->rec_writer); the record being sent is rec_head then rec_body */
    bool rec;
    uint8_t rec_head[8];          /* the file header first, then each record's header */
    size_t rec_head_len;
    const uint8_t *rec_body;      /* the writer's payload: valid until the next record is asked for */
    size_t rec_body_len;
    size_t rec_off;               /* bytes of head + body sent */
    /* WebSocket */
    psc_endpoint_session *sess;
    uint8_t *rx;                  /* reassembly of one inbound message */
    size_t rx_len, rx_cap;
    psc_msg *tx;                  /* message being sent, fragment by fragment */
    size_t tx_off;
    uint8_t *scratch;             /* LWS_PRE + fragment: lws writes the frame header in front */
    enum lws_close_status close_code; /* non-zero: close with this code at the next WRITEABLE */
    const char *close_why;
    bool established;
    bool hello;                   /* HELLO seen: the connect timeout is off */
    psc__ws_conn *prev, *next;    /* the endpoint's live WebSocket connections */
};

/*
 * Wrong access tokens per client address (ws_guard.c; service thread only).
 * An address gets PSC__WS_GUARD_FREE wrong tokens (typos, a stale
 * bookmark); from the last of them on, each wrong one locks it out for 1 s,
 * doubling up to PSC__WS_GUARD_MAX_WAIT_MS; while locked out, every request
 * that presents a token is refused (429) before the token is compared, the
 * right one too, so guessing gets no answer. A right token clears the
 * address. A request without any token is no guess and is not counted. The
 * table is fixed in size: with every slot taken, the address quiet the
 * longest gives up its slot.
 */
#define PSC__WS_GUARD_SLOTS 256u
#define PSC__WS_GUARD_KEY 48u
#define PSC__WS_GUARD_FREE 5u
#define PSC__WS_GUARD_MAX_WAIT_MS 60000u
#define PSC__WS_GUARD_FORGET_MS 600000u

typedef struct psc__ws_guard_slot {
    char key[PSC__WS_GUARD_KEY];  /* the address, an IPv6 one as its /64 */
    uint32_t failures;            /* 0: slot free */
    uint64_t last_ms;
    uint64_t locked_until_ms;
} psc__ws_guard_slot;

typedef struct psc__ws_guard {
    psc__ws_guard_slot slots[PSC__WS_GUARD_SLOTS];
    uint64_t failures;            /* wrong tokens seen */
    uint64_t refused;             /* requests refused while locked out */
} psc__ws_guard;

/* Whether addr may present a token at now_ms (monotonic); if not, *retry_ms
 * (may be NULL) says when it may again. */
bool psc__ws_guard_allows(psc__ws_guard *g, const char *addr, uint64_t now_ms, uint64_t *retry_ms);
/* addr presented a wrong token at now_ms. */
void psc__ws_guard_failed(psc__ws_guard *g, const char *addr, uint64_t now_ms);
/* addr presented the right token: its count starts again. */
void psc__ws_guard_succeeded(psc__ws_guard *g, const char *addr);

/*
 * What GET /metrics rendered (ws_metrics.c; service thread): one
 * snapshot's series, summed once (a few hundred, whatever the state's
 * size: the state itself is not kept), and their text in each format,
 * made on first demand and shared by every scrape until the snapshot is
 * PSC__WS_METRICS_MAX_AGE_MS old.
 */
#define PSC__WS_METRICS_MAX_AGE_MS 1000u
typedef struct psc__ws_metrics {
    psc__metrics *set;            /* NULL: no snapshot yet */
    uint64_t taken_ms;            /* monotonic, when it was taken */
    uint8_t *text[2];             /* by psc__metrics_format; NULL: not made yet */
    size_t len[2];
    psc__metrics_scratch scratch; /* decodes reuse its memory (pool made at the first scrape) */
} psc__ws_metrics;

/*
 * The push link to a hub (ws_uplink.c): one outbound WebSocket on its own
 * client vhost of the endpoint's context, carrying an ordinary session.
 * Everything but info runs on the service thread (or the uv loop thread).
 */
#define PSC__WS_HUB_MIN_BACKOFF_MS 500u
#define PSC__WS_HUB_MAX_BACKOFF_MS 30000u
/* A link that stayed up this long starts the backoff again from its minimum. */
#define PSC__WS_HUB_STABLE_MS 10000u
#define PSC__WS_HUB_NODE_MAX 128u

typedef struct psc__ws_uplink {
    bool on;                      /* hub_url given */
    bool tls;
    char *host;                   /* from hub_url, without IPv6 brackets */
    uint16_t port;
    char *path;                   /* path and query of hub_url */
    char *token;                  /* NULL: no Authorization header */
    size_t token_len;
    char *node;                   /* NULL: the peer id, else "node" */
    char *ca_path;
    uint32_t min_ms, max_ms;      /* backoff bounds (tests lower them) */

    struct lws_vhost *vh;         /* client vhost (TLS lives on vhosts) */
    struct lws *wsi;              /* the link, connecting or up; NULL between attempts */
    lws_sorted_usec_list_t sul;   /* the next attempt */
    uint32_t backoff_ms;          /* the wait after the next failure, before jitter */
    uint64_t up_mono_ms;          /* when the current link came up; 0: not up */
    bool refused;                 /* the hub refused the token (401/403) */
    uint64_t downs;               /* failures and closes seen (psc__ws_uplink_down calls) */
    char target[1200];            /* path?node=NAME as sent */
    char host_header[280];
    char remote[64];              /* "hub HOST:PORT" for the session list */

    pthread_mutex_t lock;         /* info: psc_ws_hub_status reads it from any thread */
    bool lock_ready;
    psc_ws_hub_info info;
} psc__ws_uplink;

/*
 * A kind of host loop (ws_loop.c, with one ws_<kind>.c each): what differs
 * between libuv, glib and libev around lws' foreign-loop support. All of it
 * runs on the loop thread.
 */
typedef struct psc__ws_loop_ops {
    const char *name;             /* "libuv", "glib", "libev": log lines */
    const char *field;            /* its psc_ws_config field: log lines */
    const char *plugin;           /* lws' event-library plugin file (LWS_INSTALL_LIBDIR) */
    uint64_t lws_option;          /* LWS_SERVER_OPTION_<kind> */
    /* What lws is given as the foreign loop (NULL: cannot, logged). */
    void *(*foreign)(psc__ws *ws);
    /* After close's lws_context_destroy: end the context (now or as the
     * loop runs on) and set loop_finished when nothing is left on it. */
    void (*finish)(psc__ws *ws);
    /* From fini: free what foreign made (NULL: nothing). */
    void (*release)(psc__ws *ws);
    /* The endpoint's service timer was set to fire in us microseconds
     * (NULL: lws' own timer of the kind is punctual). */
    void (*timer)(psc__ws *ws, lws_usec_t us);
    /* Before the context is destroyed: drop what timer started (NULL: none). */
    void (*closing)(psc__ws *ws);
} psc__ws_loop_ops;

struct psc__ws {
    psc_endpoint *ep;
    psc__alloc alloc;

    /* configuration (copied) */
    char *bind_address;
    uint16_t cfg_port;
    char *path;
    char *token;
    size_t token_len;
    char **origins;
    size_t n_origins;
    bool any_origin;
    char *tls_cert, *tls_key;
    size_t max_message;
    size_t fragment;
    const psc_ws_asset *assets;
    size_t n_assets;
    int assets_dir_fd;            /* assets_dir opened O_DIRECTORY; valid when has_assets_dir */
    bool has_assets_dir;
    bool local_only;              /* loopback bind without a token: check Host */
    psc_recorder *recorder;       /* GET /recording; kept by pointer, NULL: none */
    bool metrics;                 /* GET /metrics served */
    size_t metrics_top;           /* top-K peers of /metrics (0: none) */
    const psc__ws_loop_ops *loop_ops; /* the host's loop kind, or NULL: our own service thread */
    void *host_loop;              /* the host's uv_loop_t, GMainContext or struct ev_loop */

    /* runtime */
    struct lws_protocols protocols[2];
    struct lws_http_mount mount;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t wake_lock;
    bool wake_lock_ready;
    bool ctx_alive;               /* under wake_lock */
    atomic_bool stop;
    _Atomic uint16_t port;        /* 0 until started */
    lws_sorted_usec_list_t sul;   /* service timer */
    void *foreign_loops[1];       /* host loop: what lws_create_context is given */
    struct lws_context *loop_ctx; /* host loop: the context until lws has ended it (loop thread) */
    bool loop_closing;            /* host loop: close asked lws to end the context */
    bool loop_finished;           /* host loop: nothing of ours left on the loop */
#ifdef PSC_HAVE_LIBUV
    uv_timer_t uv_finish;         /* libuv: ends the context once lws' handle closes ran */
#endif
    bool uv_pt_closed;            /* libuv: step 2 of ws_uv.c done */
    void *glib_loop;              /* glib: the GMainLoop made on the host's context for lws */
#ifdef PSC_HAVE_LIBEV
    ev_timer ev_kick;             /* libev: wakes lws when a timer of it is due (ws_ev.c) */
#endif
    lws_retry_bo_t idle_policy;
    psc__ws_conn *conns;
    size_t n_conns;
    /* Every file body not yet released, so that none outlives the
     * endpoint even when its connection went without telling us. */
    psc__ws_file *files;
    size_t files_bytes;
    psc__rec_writer *rec_writer;  /* the /recording download in progress, or NULL (service thread) */
    psc__lws_sink log_sink;       /* lws' lines to the introspector's log, from start to close */
    psc__ws_guard guard;          /* wrong tokens per address (service thread) */
    psc__ws_metrics metrics_cache; /* the texts of the last scraped snapshot (service thread) */
    psc__ws_uplink hub;           /* the push link (hub_url) */
};

/* ws_server.c */
psc_err psc__ws_start(psc_endpoint *ep, void *state, void *user);
void psc__ws_close(psc_endpoint *ep, void *state, void *user);
void psc__ws_wake(void *state, void *user);
void psc__ws_session_ready(void *state, psc_endpoint_session *s, void *user);
/* Run the endpoint's service now and re-arm the timer (service thread). */
void psc__ws_service(psc__ws *ws);
/* Ask for a service pass on the next loop iteration (service thread). */
void psc__ws_service_soon(psc__ws *ws);

/* ws_loop.c: the host's loop, whichever kind. */
/* Pick the kind from the three loop fields (NULL when absent): at most one
 * may be set (PSC_ERR_INVALID), and its support must be built and its lws
 * plugin installed (PSC_ERR_UNSUPPORTED); each refusal is logged. */
psc_err psc__ws_loop_init(psc__ws *ws, void *uv_loop, void *glib_context, void *ev_loop);
/* Fill the context's creation info for the host's loop (loop thread). */
psc_err psc__ws_loop_prepare(psc__ws *ws, struct lws_context_creation_info *info);
/* End the context on the host's loop (loop thread): lws_context_destroy,
 * then the kind's finish. */
void psc__ws_loop_end(psc__ws *ws);
/* psc_ws_loop_done's answer. */
bool psc__ws_loop_done(const psc__ws *ws);
/* From fini: complain when freed too early, release the kind's own. */
void psc__ws_loop_fini(psc__ws *ws);
/* The end for kinds whose handles close at once (glib, libev): a second
 * lws_context_destroy if the first left the context. */
void psc__ws_loop_finish_now(psc__ws *ws);
/* Each kind's hooks, or NULL when the build lacks it. */
extern const psc__ws_loop_ops *const psc__ws_uv_ops;
extern const psc__ws_loop_ops *const psc__ws_glib_ops;
extern const psc__ws_loop_ops *const psc__ws_ev_ops;

/* ws_log.c: route lws' log to the introspector's while the endpoint runs
 * (attach before its context exists, detach once it is destroyed). */
void psc__ws_log_attach(psc__ws *ws);
void psc__ws_log_detach(psc__ws *ws);

/* ws_session.c: the one lws protocol callback (HTTP and WebSocket). */
int psc__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Mark a connection for closing with a code and reason (service thread). */
void psc__ws_conn_close(psc__ws_conn *c, enum lws_close_status code, const char *why);

/* ws_uplink.c */
/* Check and copy the hub_* fields of cfg (struct_size checked by the caller). */
psc_err psc__ws_uplink_init(psc__ws *ws, const psc_ws_config *cfg);
void psc__ws_uplink_fini(psc__ws *ws);
/* At start, with the context made: the client vhost and the first attempt. */
psc_err psc__ws_uplink_start(psc__ws *ws);
/* At close, before the context goes: no further attempt (service thread). */
void psc__ws_uplink_stop(psc__ws *ws);
/* The lws callbacks of the link's client side; non-NULL wsi. */
void psc__ws_uplink_headers(psc__ws *ws, struct lws *wsi, void *in, size_t len, int *ret);
void psc__ws_uplink_up(psc__ws *ws, struct lws *wsi);
/* The link failed (why non-NULL) or closed (why NULL): schedule the next attempt. */
void psc__ws_uplink_down(psc__ws *ws, struct lws *wsi, const char *why);
/* The wait before the next attempt (before jitter) after a failure or a
 * drop of a link that was up up_for_ms (0: never up); advances
 * *backoff_ms. Pure, for the unit test. */
uint32_t psc__ws_hub_backoff(uint32_t *backoff_ms, uint32_t min_ms, uint32_t max_ms, bool refused, uint64_t up_for_ms);
/* Tests: backoff bounds in ms, set before start (0 keeps the default). */
void psc__ws_hub_set_backoff(psc_endpoint *ep, uint32_t min_ms, uint32_t max_ms);

/* ws_http.c */
int psc__ws_http_request(psc__ws *ws, psc__ws_conn *c, struct lws *wsi);
int psc__ws_http_writeable(psc__ws_conn *c, struct lws *wsi);
/* An HTTP connection is going away (LWS_CALLBACK_CLOSED_HTTP): release its
 * response body now rather than at endpoint teardown. c may be NULL. */
void psc__ws_http_closed(psc__ws *ws, psc__ws_conn *c);
/* Open cfg's assets_dir (PSC_ERR_IO if it is not an openable directory). */
psc_err psc__ws_http_open_dir(psc__ws *ws, const char *dir);
/* Release every file body left and close assets_dir (after the service thread is gone). */
void psc__ws_http_fini(psc__ws *ws);

/* Map a request path to a file path under assets_dir: false (refused) for
 * '%', '\\', "//", control characters, a segment beginning with '.' or a
 * result that does not fit; "/" and a trailing '/' get "index.html". */
bool psc__ws_dir_path(const char *uri, char *rel, size_t cap);
/* Content-Type for a file name, by extension. */
const char *psc__ws_mime_of(const char *name);
/* Whether an If-None-Match value (a list, "*", weak tags) matches etag. */
bool psc__ws_etag_matches(const char *if_none_match, const char *etag);

/* Responses for the routes of other files (ws_http.c): a copy of data as
 * a 200 body (503 while too many bodies wait for slow clients), a static
 * text, and a refusal of route (logged) with its status and reason. */
int psc__ws_respond_copy(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const char *type, const uint8_t *data,
                         size_t len);
int psc__ws_respond_text(psc__ws_conn *c, struct lws *wsi, unsigned status, const char *text);
int psc__ws_refuse(psc__ws *ws, psc__ws_conn *c, struct lws *wsi, const char *route, unsigned status,
                   const char *why);

/* ws_metrics.c */
/* GET /metrics: refusals as for /recording, then the shared text. */
int psc__ws_metrics_request(psc__ws *ws, psc__ws_conn *c, struct lws *wsi);
/* Drop the cached series, texts and scratch (endpoint teardown). */
void psc__ws_metrics_fini(psc__ws *ws);

/* ws_auth.c */
/* The request's access token, through the guard (service thread). */
typedef enum psc__ws_auth {
    PSC__WS_AUTH_OK = 0,          /* no token configured, or the right one given */
    PSC__WS_AUTH_MISSING,         /* none given (not counted as a guess) */
    PSC__WS_AUTH_WRONG,           /* a wrong one given (counted) */
    PSC__WS_AUTH_LOCKED,          /* the address is locked out: *retry_ms until it may try again */
} psc__ws_auth;
/* count: the request's verdict updates the guard (false for a second look
 * at a request already counted). */
psc__ws_auth psc__ws_authorize(psc__ws *ws, struct lws *wsi, bool count, uint64_t *retry_ms);
/* Why a request is refused for a (NULL for PSC__WS_AUTH_OK) and its HTTP
 * status; the text is buf's (cap bytes) or static. */
const char *psc__ws_auth_refusal(psc__ws_auth a, uint64_t retry_ms, char *buf, size_t cap, unsigned *status);
/* true when the Origin header is absent, same-origin or allowed. */
bool psc__ws_origin_ok(const psc__ws *ws, struct lws *wsi);
/* Pure checks behind them (unit-tested). */
bool psc__ws_token_equal(const char *expected, size_t expected_len, const char *given, size_t given_len);
bool psc__ws_origin_allowed(const char *origin, const char *host, bool tls, const char *const *allowed,
                            size_t n_allowed, bool any);
bool psc__ws_is_loopback(const char *address);
/* With need_local (loopback bind, no token): Host must name a loopback address or the bind address. */
bool psc__ws_host_allowed(const char *host, const char *bind_address, bool need_local);
bool psc__ws_host_ok(const psc__ws *ws, struct lws *wsi);

#endif

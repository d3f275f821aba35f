/*
 * peerscope: endpoints, the objects that serve an introspector to clients.
 *
 * An endpoint pairs a transport (a const vtable plus private state that the
 * library allocates for it) with the library's session protocol: HELLO,
 * REQUEST, PUSH_ENABLE/DISABLE, PUSH_PAUSE/RESUME and UPDATE_CONFIG of the
 * 2020 introspection format, per-session bounded queues, retention, state
 * push timers and event delivery. The WebSocket endpoint (ws.h) is the
 * default transport; a host can plug in its own by filling a
 * psc_endpoint_vtable and driving sessions with the psc_endpoint_session_*
 * and psc_endpoint_service calls below.
 *
 * Lifecycle: psc_endpoint_new (or psc_ws_endpoint_new) -> psc_endpoint_start
 * (once) -> ... -> psc_endpoint_close (idempotent; stops the transport and
 * joins its thread) -> psc_endpoint_free. psc_introspector_free closes every
 * endpoint still attached to it, so freeing the introspector first is safe;
 * the endpoint must still be freed afterwards with psc_endpoint_free.
 *
 * Threads: the "service thread" below is whichever single thread the
 * transport uses to call psc_endpoint_service and the psc_endpoint_session_*
 * functions of one endpoint (the WebSocket endpoint has its own). The host's
 * psc_emit and its providers never wait on a socket: events reach sessions
 * through per-session cursors and bounded queues.
 */
#ifndef PEERSCOPE_ENDPOINT_H
#define PEERSCOPE_ENDPOINT_H

#include "peerscope/common.h"
#include "peerscope/message.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;
typedef struct psc_endpoint psc_endpoint;
typedef struct psc_endpoint_session psc_endpoint_session;

/* ------------------------------------------------------------ options */

/** Session-protocol limits shared by every transport. Zero means default. */
typedef struct psc_endpoint_options {
    size_t struct_size;              /**< sizeof(psc_endpoint_options) */
    size_t max_sessions;             /**< concurrent sessions; 0: 64; beyond, psc_endpoint_session_open fails */
    size_t max_queued_messages;      /**< outbound queue slots per session; 0: 512 (min 64) */
    size_t max_paused_messages;      /**< items held while paused, per session; 0: 1024 */
    size_t max_paused_bytes;         /**< bytes held while paused, per session; 0: 64 MiB */
    uint32_t max_commands_per_sec;   /**< sustained command rate per session; 0: 50 (burst: twice that) */
    uint32_t max_malformed_in_row;   /**< malformed commands in a row before the session is closed; 0: 10 */
} psc_endpoint_options;

#define PSC_ENDPOINT_OPTIONS_INIT {.struct_size = sizeof(psc_endpoint_options)}

/*
 * Per-session configuration (HELLO and UPDATE_CONFIG). proto3 cannot tell
 * an absent field from 0, so a 0 field keeps the current value (the
 * default right after connect); other values are clamped to the limits
 * below, and the reply's effective_config says what was applied.
 *
 * Queues (per session): a pushed state that is still unsent when the next
 * one is due is replaced in place by it (latest wins); events stop being
 * read from the event ring while the queue is full, and whatever the ring
 * overwrote meanwhile is reported by ServerNotice{DISCARDING_EVENTS,
 * dropped} before the next event; while paused, pushes are held with their
 * time, pruned by retention and bounded by count and bytes (the oldest go
 * first, counted in the next notice). The first event of each type that a
 * session receives carries the type's property metadata.
 *
 * Delta states (opt-in, Configuration.delta_states): after a full state, a
 * session receives only what changed since the state it last received
 * (State.delta), one delta message shared by every session at the same
 * base; a full state comes every full_state_every pushes (default 60, at
 * most 3600, 1 turns deltas off), on REQUEST STATE, and whenever the
 * session's base is uncertain (held queue, dropped state). Sessions that
 * do not ask get 2020 full states.
 */
#define PSC_SESSION_RETENTION_DEFAULT_MS 120000u /**< default and maximum retention_period_ms */
#define PSC_SESSION_RETENTION_MAX_MS 120000u
#define PSC_SESSION_INTERVAL_DEFAULT_MS 1000u    /**< default state_snapshot_interval_ms */
#define PSC_SESSION_INTERVAL_MIN_MS 500u
#define PSC_SESSION_INTERVAL_MAX_MS 60000u       /**< peerscope's choice: a client still sees a state each minute */

/* ------------------------------------------------------------ sessions */

/** What a session looks like from the outside (psc_endpoint_sessions). */
typedef struct psc_session_info {
    size_t struct_size;          /**< set by the caller to sizeof(psc_session_info) */
    uint64_t id;                 /**< unique within the endpoint, from 1 */
    char remote[64];             /**< the transport's description of the peer, e.g. "127.0.0.1:53122" */
    uint64_t opened_ms;          /**< wall clock ms when the session opened */
    bool hello_done;
    bool push_state;
    bool push_events;
    bool paused;
    uint64_t retention_period_ms;   /**< effective configuration */
    uint64_t state_snapshot_interval_ms;
    uint64_t commands;           /**< commands received (malformed included) */
    uint64_t messages_sent;      /**< messages handed to the transport */
    uint64_t bytes_sent;         /**< framed bytes handed to the transport */
    uint64_t events_dropped;     /**< events this session lost (slow reader or overflow) */
    uint64_t states_replaced;    /**< unsent states replaced by a newer one */
    size_t queued;               /**< messages waiting to be sent */
    size_t paused_queued;        /**< messages held by PUSH_PAUSE */
} psc_session_info;

/* ------------------------------------------------------------ transport vtable */

/**
 * A transport. The table is const, lives as long as any endpoint using it,
 * and begins with struct_size so it can grow. The library allocates
 * state_size zeroed bytes (aligned for any type) for each endpoint and
 * passes them to every hook. Hooks get the `user` given to psc_endpoint_new.
 */
typedef struct psc_endpoint_vtable {
    size_t struct_size;          /**< sizeof(psc_endpoint_vtable) */
    const char *name;            /**< short transport name, e.g. "ws" */
    size_t state_size;           /**< bytes of private state per endpoint */
    /**
     * Copy config (transport-specific, may be NULL) into state. Called once by
     * psc_endpoint_new on the caller's thread. On error fini is still called.
     */
    psc_err (*init)(psc_endpoint *ep, void *state, const void *config, void *user);
    /**
     * Bind and start serving (e.g. start the service thread). Called at most
     * once. On error the endpoint stays unstarted and close is not called.
     */
    psc_err (*start)(psc_endpoint *ep, void *state, void *user);
    /**
     * Stop: close every session (psc_endpoint_session_close), stop the
     * service thread and join it. Called at most once, only after a
     * successful start, never from the service thread.
     */
    void (*close)(psc_endpoint *ep, void *state, void *user);
    /** Free what init allocated. Called once, by psc_endpoint_free (may be NULL). */
    void (*fini)(void *state, void *user);
    /**
     * Ask the service thread to call psc_endpoint_service soon (new events).
     * Called from any thread, including inside psc_emit: it must be cheap,
     * thread-safe and never block on the network. It may still be called
     * after close returned (until psc_endpoint_close returns): it must then
     * do nothing.
     */
    void (*wake)(void *state, void *user);
    /**
     * Write the i-th listen address as a URL (e.g. "ws://127.0.0.1:8080/introspect")
     * into buf (NUL-terminated). PSC_ERR_NOT_FOUND past the last one,
     * PSC_ERR_TOO_BIG if len is too small, PSC_ERR_STATE before start.
     * Called from any thread (may be NULL: no addresses).
     */
    psc_err (*listen_addr)(void *state, size_t i, char *buf, size_t len, void *user);
    /**
     * Session s has new output to send or asks to be closed (see
     * psc_endpoint_session_close_reason). Called on the service thread from
     * inside psc_endpoint_service and psc_endpoint_session_recv; the
     * transport typically asks its socket for a writable callback and then
     * pulls. Must not call back into the library for this endpoint. May be
     * NULL: the transport then checks psc_endpoint_session_wants_write
     * after each psc_endpoint_service and psc_endpoint_session_recv.
     */
    void (*session_ready)(void *state, psc_endpoint_session *s, void *user);
} psc_endpoint_vtable;

/* ------------------------------------------------------------ host API */

/**
 * Create an endpoint for intro with a transport. config is passed to
 * vt->init (the transport copies what it keeps); options may be NULL for
 * defaults (copied). The endpoint is attached to intro (so
 * psc_introspector_free closes it). PSC_ERR_INVALID for a NULL or too small
 * vtable, a vtable without start/close, or bad options.
 * On success *out owns the endpoint (psc_endpoint_free). Thread-safe.
 */
PSC_API psc_err psc_endpoint_new(psc_introspector *intro, const psc_endpoint_vtable *vt, const void *config,
                                 const psc_endpoint_options *options, void *user, psc_endpoint **out);

/**
 * Start serving. PSC_ERR_STATE if already started or closed; the
 * transport's error (e.g. PSC_ERR_IO when the port is busy) otherwise.
 * Not thread-safe against other calls on the same endpoint.
 */
PSC_API psc_err psc_endpoint_start(psc_endpoint *ep);

/**
 * Stop serving: closes every session, stops and joins the transport's
 * thread. Idempotent; safe before start. Must not be called from the
 * endpoint's own service thread or from a provider/log callback.
 * Not thread-safe against other calls on the same endpoint.
 */
PSC_API void psc_endpoint_close(psc_endpoint *ep);

/**
 * Close (if needed) and free. NULL is a no-op. Also valid after the
 * introspector was freed. Not thread-safe against other calls on ep.
 */
PSC_API void psc_endpoint_free(psc_endpoint *ep);

/** The transport's name (vt->name). Thread-safe. */
PSC_API const char *psc_endpoint_name(const psc_endpoint *ep);

/**
 * The i-th listen address as a URL into buf; see vt->listen_addr.
 * PSC_ERR_UNSUPPORTED when the transport has none. Thread-safe.
 */
PSC_API psc_err psc_endpoint_listen_addr(psc_endpoint *ep, size_t i, char *buf, size_t len);

/** Sessions currently open. Thread-safe. */
PSC_API size_t psc_endpoint_session_count(psc_endpoint *ep);

/**
 * Copy information about up to cap open sessions into out[] (each
 * out[i].struct_size must be set); *n receives how many were written and
 * *total (may be NULL) how many are open. Thread-safe.
 */
PSC_API psc_err psc_endpoint_sessions(psc_endpoint *ep, psc_session_info *out, size_t cap, size_t *n,
                                      size_t *total);

/* ------------------------------------------------------------ transport API */

/*
 * For transport implementers. Every function in this section must be called
 * from the endpoint's service thread only (one thread per endpoint), and
 * never after vt->close returned.
 */

/** The transport's private state (state_size bytes). Thread-safe. */
PSC_API void *psc_endpoint_state(psc_endpoint *ep);

/** The introspector the endpoint serves. Thread-safe. */
PSC_API psc_introspector *psc_endpoint_introspector(psc_endpoint *ep);

/**
 * A client connected: open a session for it. remote describes the peer
 * (copied, truncated to 63 bytes; may be NULL). PSC_ERR_TOO_BIG when
 * max_sessions are open (the transport should refuse the client with that
 * reason), PSC_ERR_CLOSED after close began, PSC_ERR_NOMEM.
 */
PSC_API psc_err psc_endpoint_session_open(psc_endpoint *ep, const char *remote, psc_endpoint_session **out);

/**
 * One complete inbound message (a serialized ClientCommand). Replies are
 * queued for psc_endpoint_session_pull. Returns PSC_OK, or PSC_ERR_CLOSED
 * when the session asks to be closed (abuse, rate limit, queue overflow:
 * see psc_endpoint_session_close_reason); the transport then closes the
 * connection and calls psc_endpoint_session_close.
 */
PSC_API psc_err psc_endpoint_session_recv(psc_endpoint_session *s, const uint8_t *data, size_t len);

/**
 * Take the next message to send (a new reference: psc_msg_unref it once
 * sent; send psc_msg_framed bytes as one message). PSC_ERR_AGAIN when
 * there is nothing to send, PSC_ERR_CLOSED when the session must close.
 * Transports should pull only when they can write, so the library's bounded
 * queues absorb a slow client instead of the transport's buffers.
 */
PSC_API psc_err psc_endpoint_session_pull(psc_endpoint_session *s, psc_msg **out);

/** True when the session has something to send (pull will not say AGAIN). */
PSC_API bool psc_endpoint_session_wants_write(const psc_endpoint_session *s);

/** Why the session asked to close; NULL if it did not. Valid until close. */
PSC_API const char *psc_endpoint_session_close_reason(const psc_endpoint_session *s);

/** The transport's own per-session pointer (NULL until set). */
PSC_API void psc_endpoint_session_set_user(psc_endpoint_session *s, void *user);
PSC_API void *psc_endpoint_session_user(const psc_endpoint_session *s);

/** The connection went away: free the session. NULL is a no-op. */
PSC_API void psc_endpoint_session_close(psc_endpoint_session *s);

/**
 * Run the protocol's timed and event-driven work for every session: due
 * state pushes (one snapshot shared by every session due in this pass),
 * new events, retention pruning. Call it when vt->wake asked, and when the
 * previous call's *next_ms (milliseconds from now; UINT64_MAX: none)
 * elapses. Sessions that gained output are reported through
 * vt->session_ready.
 */
PSC_API psc_err psc_endpoint_service(psc_endpoint *ep, uint64_t *next_ms);

#ifdef __cplusplus
}
#endif

#endif

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
/** An endpoint: a transport serving one introspector (psc_endpoint_new, psc_ws_endpoint_new). */
typedef struct psc_endpoint psc_endpoint;
/** One client of an endpoint, opened and driven by the transport. */
typedef struct psc_endpoint_session psc_endpoint_session;

/* ------------------------------------------------------------ options */

/**
 * Session-protocol limits shared by every transport. Zero means default.
 * Copied by psc_endpoint_new.
 */
typedef struct psc_endpoint_options {
    size_t struct_size;              /**< sizeof(psc_endpoint_options); must cover max_malformed_in_row */
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
#define PSC_SESSION_RETENTION_DEFAULT_MS 120000u /**< default retention_period_ms */
#define PSC_SESSION_RETENTION_MAX_MS 120000u     /**< larger retention_period_ms values are lowered to this */
#define PSC_SESSION_INTERVAL_DEFAULT_MS 1000u    /**< default state_snapshot_interval_ms */
#define PSC_SESSION_INTERVAL_MIN_MS 500u         /**< smaller state_snapshot_interval_ms values are raised to this */
#define PSC_SESSION_INTERVAL_MAX_MS 60000u       /**< peerscope's choice: a client still sees a state each minute */

/* ------------------------------------------------------------ sessions */

/**
 * What a session looks like from the outside (psc_endpoint_sessions): a
 * copy, refreshed by the service thread after each thing the session does.
 * There is no INIT macro: set struct_size of each array element.
 */
typedef struct psc_session_info {
    size_t struct_size;          /**< set by the caller to sizeof(psc_session_info); must cover remote and opened_ms */
    uint64_t id;                 /**< unique within the endpoint, from 1 */
    char remote[64];             /**< the transport's description of the peer, e.g. "127.0.0.1:53122" */
    uint64_t opened_ms;          /**< wall clock ms when the session opened */
    bool hello_done;             /**< the client's HELLO was accepted */
    bool push_state;             /**< states are pushed (PUSH_ENABLE STATE) */
    bool push_events;            /**< events are pushed (PUSH_ENABLE EVENTS) */
    bool paused;                 /**< PUSH_PAUSE is in effect */
    uint64_t retention_period_ms;   /**< effective configuration */
    uint64_t state_snapshot_interval_ms; /**< effective configuration: ms between pushed states */
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
 * A transport. The library copies the table (up to struct_size) in
 * psc_endpoint_new, except name, which it keeps by pointer: name must live
 * as long as the endpoint. The library allocates state_size zeroed bytes
 * (aligned for any type) for each endpoint and passes them to every hook.
 * Hooks get the `user` given to psc_endpoint_new.
 */
typedef struct psc_endpoint_vtable {
    size_t struct_size;          /**< sizeof(psc_endpoint_vtable); must cover close */
    const char *name;            /**< short transport name, e.g. "ws"; kept by pointer; may be NULL */
    size_t state_size;           /**< bytes of private state per endpoint (0: 1 byte) */
    /**
     * Optional. Copy config (transport-specific, may be NULL) into state.
     * Called once by psc_endpoint_new on the caller's thread; its error is
     * psc_endpoint_new's. On error fini is still called.
     */
    psc_err (*init)(psc_endpoint *ep, void *state, const void *config, void *user);
    /**
     * Required. Bind and start serving (e.g. start the service thread).
     * Called by psc_endpoint_start on its caller's thread; its error is
     * psc_endpoint_start's. On error the endpoint stays unstarted, close
     * is not called, and a later psc_endpoint_start calls start again; after
     * a success it is never called again.
     */
    psc_err (*start)(psc_endpoint *ep, void *state, void *user);
    /**
     * Required. Stop: close every session (psc_endpoint_session_close),
     * stop the service thread and join it. Called at most once, only after
     * a successful start, by psc_endpoint_close on its caller's thread
     * (which may be inside psc_introspector_free), never from the service
     * thread. Sessions it leaves open are closed by the library afterwards.
     */
    void (*close)(psc_endpoint *ep, void *state, void *user);
    /**
     * Optional. Free what init allocated. Called once, by psc_endpoint_free
     * (or by psc_endpoint_new when init failed), on the caller's thread,
     * possibly after the introspector was freed: it must not call into the
     * library for this endpoint.
     */
    void (*fini)(void *state, void *user);
    /**
     * Optional. Ask the service thread to call psc_endpoint_service soon
     * (new events). Called from any thread, including inside psc_emit: it
     * must be cheap, thread-safe, never block on the network and never
     * call into the library. It may still be called after close returned
     * (until psc_endpoint_close returns): it must then do nothing. Without
     * it the transport must call psc_endpoint_service on its own timer.
     */
    void (*wake)(void *state, void *user);
    /**
     * Optional. Write the i-th listen address as a URL (e.g.
     * "ws://127.0.0.1:8080/introspect") into buf (len bytes, never 0,
     * NUL-terminated). PSC_ERR_NOT_FOUND past the last one,
     * PSC_ERR_TOO_BIG if len is too small, PSC_ERR_STATE before start.
     * Called from any thread, by psc_endpoint_listen_addr, so it must be
     * thread-safe (NULL: no addresses, PSC_ERR_UNSUPPORTED).
     */
    psc_err (*listen_addr)(void *state, size_t i, char *buf, size_t len, void *user);
    /**
     * Optional. Session s has new output to send or asks to be closed (see
     * psc_endpoint_session_close_reason). Called on the service thread from
     * inside psc_endpoint_service and psc_endpoint_session_recv; the
     * transport typically asks its socket for a writable callback and then
     * pulls. Must not call back into the library for this endpoint, except
     * psc_endpoint_session_user and psc_endpoint_session_wants_write. May
     * be NULL: the transport then checks psc_endpoint_session_wants_write
     * after each psc_endpoint_service and psc_endpoint_session_recv.
     */
    void (*session_ready)(void *state, psc_endpoint_session *s, void *user);
} psc_endpoint_vtable;

/* ------------------------------------------------------------ host API */

/**
 * Create an endpoint for intro with a transport. The endpoint is attached
 * to intro (so psc_introspector_free closes it) and not started.
 * Errors: PSC_ERR_INVALID for a NULL intro, vt or out, a vtable whose
 * struct_size does not cover close, one without start or close, or
 * options whose struct_size does not cover max_malformed_in_row or whose
 * queue limits exceed SIZE_MAX / 64;
 * PSC_ERR_NOMEM; whatever vt->init returns.
 * Ownership: vt (all but its name), options (NULL: defaults) and user are
 * copied or kept as described at psc_endpoint_vtable; config is passed to
 * vt->init, which copies what it keeps. On success *out is the caller's,
 * freed with psc_endpoint_free (also needed after psc_introspector_free).
 * Thread-safe.
 */
PSC_API psc_err psc_endpoint_new(psc_introspector *intro, const psc_endpoint_vtable *vt, const void *config,
                                 const psc_endpoint_options *options, void *user, psc_endpoint **out);

/**
 * Start serving: calls vt->start (for the WebSocket endpoint: bind the
 * port and start the service thread).
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_STATE if already started or
 * closed; PSC_ERR_TOO_BIG when 16 endpoints of this introspector are
 * already started (the event ring wakes at most 16); the transport's error
 * otherwise (e.g. PSC_ERR_IO when the port is busy). After an error the
 * endpoint may be started again.
 * Not thread-safe against other calls on the same endpoint.
 */
PSC_API psc_err psc_endpoint_start(psc_endpoint *ep);

/**
 * Stop serving: closes every session, stops and joins the transport's
 * thread. Idempotent; safe before start, and a no-op once the introspector
 * closed it. Must not be called from the endpoint's own service thread or
 * from a provider, log or transport callback.
 * Not thread-safe against other calls on the same endpoint.
 */
PSC_API void psc_endpoint_close(psc_endpoint *ep);

/**
 * Close (if needed) and free the endpoint and its transport state (vt->fini
 * runs here). NULL is a no-op. Also valid, and still needed, after the
 * introspector was freed. Threads as psc_endpoint_close; not thread-safe
 * against other calls on ep.
 */
PSC_API void psc_endpoint_free(psc_endpoint *ep);

/**
 * The transport's name (vt->name; "" for NULL ep or name). The string is
 * the vtable's. Thread-safe.
 */
PSC_API const char *psc_endpoint_name(const psc_endpoint *ep);

/**
 * The i-th listen address as a URL into buf (len bytes); see
 * vt->listen_addr.
 * Errors: PSC_ERR_INVALID for a NULL ep or buf or a len of 0;
 * PSC_ERR_UNSUPPORTED when the transport has no listen_addr; else the
 * transport's (the WebSocket endpoint: PSC_ERR_STATE before start and
 * after close, PSC_ERR_NOT_FOUND for i > 0, PSC_ERR_TOO_BIG).
 * Ownership: writes only buf. Thread-safe.
 */
PSC_API psc_err psc_endpoint_listen_addr(psc_endpoint *ep, size_t i, char *buf, size_t len);

/** Sessions currently open (0 for NULL). Thread-safe. */
PSC_API size_t psc_endpoint_session_count(psc_endpoint *ep);

/**
 * Copy information about up to cap open sessions, newest first, into
 * out[]: each of the cap elements must have struct_size set (it is
 * rewritten to the size copied, at most sizeof(psc_session_info)). *n
 * receives how many were written and *total (may be NULL) how many are
 * open.
 * Errors: PSC_ERR_INVALID for a NULL ep or n, a NULL out with cap > 0, or
 * a struct_size that does not cover opened_ms.
 * Ownership: plain copies; nothing to free. Thread-safe.
 */
PSC_API psc_err psc_endpoint_sessions(psc_endpoint *ep, psc_session_info *out, size_t cap, size_t *n,
                                      size_t *total);

/* ------------------------------------------------------------ transport API */

/*
 * For transport implementers. Unless its comment says otherwise, every
 * function in this section must be called from the endpoint's service
 * thread only (one thread per endpoint), and never after vt->close
 * returned.
 */

/**
 * The transport's private state (state_size bytes, owned by the endpoint
 * and freed by psc_endpoint_free; NULL for NULL). Thread-safe.
 */
PSC_API void *psc_endpoint_state(psc_endpoint *ep);

/** The introspector the endpoint serves (NULL for NULL). Thread-safe. */
PSC_API psc_introspector *psc_endpoint_introspector(psc_endpoint *ep);

/**
 * A client connected: open a session for it.
 * Errors: PSC_ERR_INVALID for a NULL ep or out; PSC_ERR_TOO_BIG when
 * max_sessions are open (the transport should refuse the client with that
 * reason); PSC_ERR_CLOSED after close began; PSC_ERR_NOMEM.
 * Ownership: remote describes the peer (copied, truncated to 63 bytes; may
 * be NULL). On success *out belongs to the endpoint; the transport ends
 * it with psc_endpoint_session_close (psc_endpoint_close ends any left).
 * Service thread only.
 */
PSC_API psc_err psc_endpoint_session_open(psc_endpoint *ep, const char *remote, psc_endpoint_session **out);

/**
 * One complete inbound message (a serialized ClientCommand). Replies are
 * queued for psc_endpoint_session_pull; a malformed command gets an ERR
 * response.
 * Errors: PSC_ERR_INVALID for a NULL s, or NULL data with len > 0;
 * PSC_ERR_CLOSED when the session asks to be closed (abuse, rate limit,
 * queue overflow: see psc_endpoint_session_close_reason), then and on
 * every later call; the transport then closes the connection and calls
 * psc_endpoint_session_close.
 * Ownership: data is read during the call only. Service thread only.
 */
PSC_API psc_err psc_endpoint_session_recv(psc_endpoint_session *s, const uint8_t *data, size_t len);

/**
 * Take the next message to send. Transports should pull only when they
 * can write, so the library's bounded queues absorb a slow client instead
 * of the transport's buffers.
 * Errors: PSC_ERR_INVALID for NULL arguments; PSC_ERR_AGAIN when there is
 * nothing to send; PSC_ERR_CLOSED when the session must close.
 * Ownership: *out is a new reference: send psc_msg_framed bytes as one
 * message, then psc_msg_unref it (it may be kept as long as needed; the
 * message is shared and must not be written). Service thread only.
 */
PSC_API psc_err psc_endpoint_session_pull(psc_endpoint_session *s, psc_msg **out);

/**
 * True when the session has something to send or asks to be closed (pull
 * then gives a message or PSC_ERR_CLOSED); false for NULL. Service thread
 * only.
 */
PSC_API bool psc_endpoint_session_wants_write(const psc_endpoint_session *s);

/**
 * Why the session asked to close; NULL if it did not (or s is NULL). The
 * string is static or the session's, valid until psc_endpoint_session_close.
 * Service thread only.
 */
PSC_API const char *psc_endpoint_session_close_reason(const psc_endpoint_session *s);

/**
 * Set the transport's own per-session pointer (NULL s: no-op). The library
 * never dereferences or frees it. Service thread only.
 */
PSC_API void psc_endpoint_session_set_user(psc_endpoint_session *s, void *user);

/**
 * The pointer set by psc_endpoint_session_set_user (NULL until set, and
 * for NULL s). Service thread only; also from inside vt->session_ready.
 */
PSC_API void *psc_endpoint_session_user(const psc_endpoint_session *s);

/**
 * The connection went away: free the session, its queues and the message
 * references they hold. s must not be used afterwards. NULL is a no-op.
 * Service thread only (or inside vt->close).
 */
PSC_API void psc_endpoint_session_close(psc_endpoint_session *s);

/**
 * Run the protocol's timed and event-driven work for every session: due
 * state pushes (one snapshot shared by every session due in this pass),
 * new events, retention pruning. Call it when vt->wake asked, and when the
 * previous call's *next_ms (milliseconds from now; 0: more events wait,
 * call again soon; UINT64_MAX: nothing scheduled) elapses; next_ms may be
 * NULL. Sessions that gained output are reported through vt->session_ready.
 * Providers are called from here (through psc_introspector_snapshot).
 * Errors: PSC_ERR_INVALID for NULL ep. Service thread only.
 */
PSC_API psc_err psc_endpoint_service(psc_endpoint *ep, uint64_t *next_ms);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope ADVANCED header: a WebSocket client of the introspection
 * protocol (2020 wire format and peerscope's extensions).
 *
 * It includes peerscope/pb.h, so code that uses it depends on protobuf-c
 * and on the generated Peerscope__* types of this schema revision; the
 * umbrella header peerscope.h does not include it.
 *
 * Model: caller-driven, single-threaded. A psc_client_loop wraps one
 * libwebsockets context. Nothing happens in the background: the thread
 * that calls psc_client_loop_poll (or psc_client_poll) does the network
 * work and receives every callback, inside that call. One loop may carry
 * any number of clients, so a terminal tool can watch several hosts from
 * one thread. A client created without a loop gets a private one.
 *
 * Thread-safety: a loop and all of its clients must be used from one
 * thread at a time (libwebsockets is not thread-safe); the only exception
 * is psc_client_loop_wake. Different loops may live on different threads.
 *
 * Callbacks may call any function of this header for any client of the
 * same loop, including psc_client_free (the memory is released when the
 * callback returns), but not psc_client_loop_poll/psc_client_poll or
 * psc_client_loop_free.
 */
#ifndef PEERSCOPE_CLIENT_H
#define PEERSCOPE_CLIENT_H

#include "peerscope/common.h"
#include "peerscope/pb.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A libwebsockets context that carries any number of clients (one thread at a time). */
typedef struct psc_client_loop psc_client_loop;
/** One WebSocket connection to an introspection endpoint. */
typedef struct psc_client psc_client;

/* ------------------------------------------------------------------ loop */

/** Loop configuration; copied by psc_client_loop_new. */
typedef struct psc_client_loop_config {
    size_t struct_size;             /**< sizeof(psc_client_loop_config) */
    const psc_allocator *allocator; /**< NULL: malloc/free (libwebsockets itself always uses malloc) */
} psc_client_loop_config;

#define PSC_CLIENT_LOOP_CONFIG_INIT {.struct_size = sizeof(psc_client_loop_config)}

/**
 * Create a loop. cfg may be NULL for defaults. TLS is set up on the first
 * wss:// client (loading the system's trust store once per loop), so a
 * loop for many wss clients costs less than a private loop each. The loop
 * does not change process-wide settings: libwebsockets' own log (stderr
 * by default) stays whatever the program chose; psc_ws_lws_log (ws.h)
 * routes or silences it.
 * Errors: PSC_ERR_INVALID for a NULL out or a struct_size below
 * sizeof(size_t); PSC_ERR_NOMEM; PSC_ERR_IO if libwebsockets cannot create
 * its context.
 * Ownership: cfg is copied; on success *out is the caller's, freed with
 * psc_client_loop_free. Thread-safe; the thread that then uses the loop
 * is its loop thread.
 */
PSC_API psc_err psc_client_loop_new(const psc_client_loop_config *cfg, psc_client_loop **out);

/**
 * Free a loop. Free its clients first; clients still attached are cut off
 * (their connection is dropped, no callback runs, and every later call on
 * them returns PSC_ERR_CLOSED except psc_client_free, which must still be
 * called). NULL is a no-op. Loop thread only, not from a callback of this
 * loop.
 */
PSC_API void psc_client_loop_free(psc_client_loop *loop);

/**
 * Do the network work of every client of the loop: wait at most
 * timeout_ms (0: do not wait) for activity, service what is ready and
 * deliver the callbacks, then return. It returns early as soon as one
 * batch of activity was serviced, so callers loop until what they wait
 * for has happened.
 * Errors: PSC_ERR_INVALID for a NULL loop or a negative timeout;
 * PSC_ERR_STATE when called from a callback; PSC_ERR_IO if the loop failed.
 * Loop thread only; the callbacks run inside it, on this thread.
 */
PSC_API psc_err psc_client_loop_poll(psc_client_loop *loop, int timeout_ms);

/**
 * Make a psc_client_loop_poll in progress on another thread return soon
 * (NULL: no-op).
 * Thread-safe: the one call on a loop allowed from other threads, as long
 * as it cannot race with psc_client_loop_free.
 */
PSC_API void psc_client_loop_wake(psc_client_loop *loop);

/* ------------------------------------------------------------- callbacks */

/**
 * Everything a client reports; copied by psc_client_new (up to
 * struct_size). Any member may be NULL. Each gets the config's user and
 * the client. Pointers passed to a callback (messages, bytes, strings)
 * are valid during the call only and belong to the client. All run on the
 * loop's thread inside psc_client_loop_poll (never inside psc_client_new
 * or a command call); what they may call is said at the top of this
 * header.
 */
typedef struct psc_client_callbacks {
    size_t struct_size; /**< sizeof(psc_client_callbacks); no INIT macro: zero the struct and set it */

    /** The WebSocket upgrade succeeded; queued commands are being sent. */
    void (*on_open)(void *user, psc_client *c);

    /**
     * One complete binary WebSocket message exactly as received (12-byte
     * header then payload), before its header is checked. For tools that
     * record or inspect raw frames; most users leave it NULL.
     */
    void (*on_frame)(void *user, psc_client *c, const uint8_t *frame, size_t len);

    /**
     * A verified, decoded ServerMessage. payload/len are its serialized
     * bytes (what a recording file stores). Runs for every message, before
     * the per-kind callbacks below.
     */
    void (*on_message)(void *user, psc_client *c, const Peerscope__ServerMessage *msg, const uint8_t *payload,
                       size_t len);

    /** A CommandResponse (the answer to a command, by id); called after on_message. */
    void (*on_response)(void *user, psc_client *c, const Peerscope__CommandResponse *resp);
    /** A State (pushed or requested; a full one when apply_deltas is set); called after on_message. */
    void (*on_state)(void *user, psc_client *c, const Peerscope__State *state);
    /** A Runtime; called after on_message. */
    void (*on_runtime)(void *user, psc_client *c, const Peerscope__Runtime *runtime);
    /** An Event; called after on_message. */
    void (*on_event)(void *user, psc_client *c, const Peerscope__Event *event);
    /** A ServerNotice (e.g. DISCARDING_EVENTS with the count dropped); called after on_message. */
    void (*on_notice)(void *user, psc_client *c, const Peerscope__ServerNotice *notice);

    /**
     * A message was lost but the connection goes on: PSC_ERR_CORRUPT (header
     * checksum or length mismatch), PSC_ERR_PROTOCOL (wrong frame version,
     * text message, not a ServerMessage), PSC_ERR_TOO_BIG (over
     * max_message_size; its fragments are discarded), PSC_ERR_NOMEM.
     */
    void (*on_error)(void *user, psc_client *c, psc_err err, const char *reason);

    /**
     * The connection (or the attempt) is over; called exactly once per
     * psc_client_new / psc_client_reconnect. err tells why:
     *   PSC_OK            closed by psc_client_close
     *   PSC_ERR_CLOSED    the server closed it (close_code, reason from its close frame)
     *   PSC_ERR_AUTH      the upgrade was refused with HTTP 401 or 403
     *   PSC_ERR_PROTOCOL  another HTTP status (redirects are never followed:
     *                     they would carry the token elsewhere), or a broken handshake
     *   PSC_ERR_IO        connection refused, name not resolved, connection lost
     *   PSC_ERR_TIMEOUT   not connected within connect_timeout_ms
     *   PSC_ERR_NOMEM     out of memory while connecting
     * close_code is the WebSocket close code, 0 when there was none.
     * Runs outside libwebsockets' own callbacks, so it may reconnect or
     * free the client.
     */
    void (*on_close)(void *user, psc_client *c, psc_err err, int close_code, const char *reason);
} psc_client_callbacks;

/* ---------------------------------------------------------------- client */

/** Client configuration; copied (strings included) by psc_client_new. */
typedef struct psc_client_config {
    size_t struct_size;         /**< sizeof(psc_client_config); must cover url */
    /**
     * ws://host[:port][/path][?query] or wss://... (IPv6 hosts in brackets).
     * No path gives /introspect. The query is sent as is, so
     * "?token=SECRET" authenticates the way a browser must.
     */
    const char *url;
    const char *token;          /**< NULL: none; else (non-empty, no control characters) sent as "Authorization: Bearer <token>" */
    const char *origin;         /**< NULL: no Origin header (not a browser); no control characters */
    const char *ca_file;        /**< wss: PEM file of trusted CAs, checked readable; NULL: the system's */
    bool allow_insecure;        /**< wss: accept self-signed and expired certificates and host name mismatches */
    /**
     * Send commands without ClientCommand.version, as the 2020 visualizer
     * does. Default (false): version 1 is sent.
     */
    bool omit_version;
    uint64_t first_command_id;  /**< id of the first command; 0: 1. Ids then count up (also across reconnects) */
    size_t max_message_size;    /**< largest message accepted; 0: 64 MiB */
    uint32_t connect_timeout_ms;/**< 0: 10000 */
    const psc_allocator *allocator; /**< NULL: malloc/free */
    psc_client_loop *loop;      /**< NULL: the client gets a private loop */
    const psc_client_callbacks *callbacks; /**< copied; NULL: none */
    void *user;                 /**< passed to every callback */
    /**
     * Ask for delta states (Configuration.delta_states, a peerscope
     * extension; servers that advertise "delta_states" in
     * Runtime.capabilities honour it): HELLO and UPDATE_CONFIG carry it, so
     * pushed states then hold only what changed since the previous one
     * (State.delta set; see StateDelta in the schema).
     */
    bool delta_states;
    uint32_t full_state_every;  /**< with delta_states: every Nth pushed state is full; 0: the server's default */
    /**
     * Rebuild full states from deltas: the client keeps the last full state
     * and on_message/on_state receive full states only (on_message's payload
     * is then the rebuilt state's encoding, so recordings stay playable by
     * any 2020 reader; on_frame still sees the frames as received). A delta
     * that does not apply to the state kept (or comes before any) is
     * reported through on_error (PSC_ERR_STATE) and a full state is
     * requested at once (REQUEST STATE, with the next command id).
     * Costs one encode and one decode of the full state per delta.
     */
    bool apply_deltas;
} psc_client_config;

#define PSC_CLIENT_CONFIG_INIT {.struct_size = sizeof(psc_client_config)}

/** Default of psc_client_config.max_message_size. */
#define PSC_CLIENT_MAX_MESSAGE_DEFAULT (64u * 1024u * 1024u)

/**
 * Create a client and start connecting (the work happens in the next
 * polls; no callback runs inside this call: a connection that cannot even
 * start is reported by on_close(PSC_ERR_IO) in the next poll).
 * Errors: PSC_ERR_INVALID for a NULL cfg or out, a struct_size that does
 * not cover url, a missing or malformed URL (bad scheme, empty host, bad
 * port, credentials, spaces or control characters), an empty token, a
 * token or origin with control characters, or callbacks with a
 * struct_size below sizeof(size_t); PSC_ERR_TOO_BIG for a host or path
 * that does not fit psc_client_url; PSC_ERR_IO if ca_file cannot be read,
 * or libwebsockets cannot make a private loop or a TLS context;
 * PSC_ERR_NOMEM.
 * Ownership: everything in cfg is copied (the callbacks struct too), except
 * that loop and user are kept by pointer (neither is owned; a loop freed
 * first cuts the client off, see psc_client_loop_free). On success *out is the caller's, freed with psc_client_free.
 * Loop thread only (of cfg->loop; any thread for a private loop, which
 * then is that loop's thread).
 */
PSC_API psc_err psc_client_new(const psc_client_config *cfg, psc_client **out);

/**
 * Drop the connection at once (no close handshake; use psc_client_close
 * and poll until on_close for a clean one) and free the client, and its
 * private loop if it has one. No callback runs for it afterwards; inside
 * a callback the memory is released when the poll returns. NULL is a
 * no-op. Loop thread only; allowed inside callbacks.
 */
PSC_API void psc_client_free(psc_client *c);

/**
 * Start a WebSocket close handshake (code 1000). Commands not yet sent are
 * dropped. on_close(PSC_OK) follows in a later poll.
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_CLOSED if already closed or
 * closing, freed inside a callback, or cut off by psc_client_loop_free.
 * Loop thread only; allowed inside callbacks.
 */
PSC_API psc_err psc_client_close(psc_client *c);

/**
 * Connect again with the same configuration after on_close (callers drive
 * their own backoff). Command ids keep counting.
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_STATE while connecting,
 * connected or closing, or closed with its on_close not yet delivered;
 * PSC_ERR_CLOSED if the loop was freed or the client freed inside a
 * callback.
 * Loop thread only; allowed inside callbacks (on_close included).
 */
PSC_API psc_err psc_client_reconnect(psc_client *c);

/**
 * The loop the client runs on (its private one if it has one); NULL once
 * that loop was freed, and for NULL. The loop stays owned as before (a
 * private one by the client). Loop thread only.
 */
PSC_API psc_client_loop *psc_client_get_loop(const psc_client *c);

/**
 * psc_client_loop_poll on the client's loop (which services all of its
 * clients).
 * Errors: PSC_ERR_INVALID for NULL; PSC_ERR_CLOSED if the loop was freed;
 * else as psc_client_loop_poll. Loop thread only, not from a callback.
 */
PSC_API psc_err psc_client_poll(psc_client *c, int timeout_ms);

/** Where a client's connection stands. */
typedef enum psc_client_state {
    PSC_CLIENT_CONNECTING = 0, /**< connecting or upgrading to WebSocket */
    PSC_CLIENT_OPEN = 1,       /**< upgraded: commands are sent, messages arrive */
    PSC_CLIENT_CLOSING = 2,    /**< psc_client_close was called; waiting for the close */
    PSC_CLIENT_CLOSED = 3,     /**< over (on_close tells why); psc_client_reconnect may start again */
} psc_client_state;

/** Counters and the outcome of the last connection. */
typedef struct psc_client_info {
    size_t struct_size;           /**< set by the caller (PSC_CLIENT_INFO_INIT) */
    psc_client_state state;       /**< as psc_client_get_state */
    psc_err close_err;            /**< as on_close's err (PSC_OK while not closed) */
    int close_code;               /**< as on_close's close_code (0 while not closed) */
    char close_reason[128];       /**< as on_close's reason, cut to fit ("" while not closed) */
    uint64_t messages;            /**< decoded messages delivered */
    uint64_t bytes;               /**< message bytes received (headers included) */
    uint64_t errors;              /**< on_error reports */
    uint64_t commands_sent;       /**< commands written to the socket */
    uint64_t next_command_id;
    uint64_t deltas_applied;      /**< apply_deltas: full states rebuilt from deltas */
    uint64_t resyncs;             /**< apply_deltas: full states requested because a delta did not apply */
} psc_client_info;

#define PSC_CLIENT_INFO_INIT {.struct_size = sizeof(psc_client_info)}

/** The client's state (PSC_CLIENT_CLOSED for NULL). Loop thread only. */
PSC_API psc_client_state psc_client_get_state(const psc_client *c);

/**
 * Fill *out up to out->struct_size (set by the caller; left as it was).
 * Errors: PSC_ERR_INVALID for a NULL argument or a struct_size below
 * sizeof(size_t). Ownership: plain copies. Loop thread only.
 */
PSC_API psc_err psc_client_get_info(const psc_client *c, psc_client_info *out);

/* -------------------------------------------------------------- commands */

/*
 * Commands may be issued as soon as the client exists: until the
 * connection opens they are queued and then sent in order. Each command
 * function below returns the command's id through *id (if not NULL); the
 * server's CommandResponse carrying that id arrives through on_response
 * (or, for REQUEST STATE/RUNTIME, the State/Runtime itself). Common
 * errors: PSC_ERR_INVALID for a NULL client; PSC_ERR_CLOSED when the
 * client is closing or closed (a reconnect makes it usable again), freed
 * inside a callback or cut off by psc_client_loop_free; PSC_ERR_NOMEM.
 * Ownership: the command is encoded into the client's queue during the
 * call; nothing passed in is kept. Queued commands are dropped when the
 * connection ends. Loop thread only; allowed inside callbacks.
 */

/** Values of a Configuration message (0 keeps the server's current value). */
typedef struct psc_client_settings {
    uint64_t retention_period_ms;        /**< how long the server holds pushes while paused */
    uint64_t state_snapshot_interval_ms; /**< ms between pushed states */
} psc_client_settings;

/**
 * Send HELLO, with a Configuration when settings is not NULL or the client
 * asks for delta states. Errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_hello(psc_client *c, const psc_client_settings *settings, uint64_t *id);

/**
 * Send REQUEST source (PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, __RUNTIME,
 * ...). Sources are not checked beyond being non-negative
 * (PSC_ERR_INVALID): the server answers ERR for one it does not serve.
 * Other errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_request(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id);

/**
 * Send REQUEST STATE with ClientCommand.at_ts = at_ts (ms since the
 * epoch): ask an endpoint that replays a recording (Runtime.recording
 * set, capability "at_ts") for the state as it was at that time. The
 * answer is a CommandResponse with this command's id and, when OK, the
 * full state in CommandResponse.state (the last state recorded at or
 * before at_ts; the first state for a time before every state); ERR with
 * a reason for a time outside the recording, and on a live endpoint. It
 * arrives through on_response (after on_message) like every response;
 * pushes go on meanwhile.
 * PSC_ERR_INVALID for an at_ts of 0 (that is a plain REQUEST STATE).
 * Other errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_request_state_at(psc_client *c, uint64_t at_ts, uint64_t *id);

/**
 * Send PUSH_ENABLE source (STATE or EVENTS: the server starts pushing it).
 * PSC_ERR_INVALID for a negative source. Other errors, ownership and
 * threads: see above.
 */
PSC_API psc_err psc_client_push_enable(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id);

/**
 * Send PUSH_ENABLE EVENTS with ClientCommand.resume_events set: the server
 * begins with the events it still holds whose Event.seq is greater than
 * after_seq (0: every event it holds), then goes on live. Events past
 * after_seq that it no longer holds come first, as one ServerNotice
 * DISCARDING_EVENTS whose dropped counts them. An after_seq equal to the
 * server's newest seq goes on live; one past it (the client saw another
 * run of the node) begins at the oldest held. Sent on a session already pushing events, it moves the
 * session's place: events still queued for the client from the old place
 * are not sent. A server without resume support (before peerscope-hub)
 * pushes only new events, as for psc_client_push_enable; the seqs tell.
 * To resume after a reconnect with nothing lost within the server's ring
 * and nothing twice, pass the newest seq received from this run of the
 * node (Runtime.start_ts tells runs apart) and drop any event whose seq is
 * not above it. Errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_push_events_after(psc_client *c, uint64_t after_seq, uint64_t *id);

/**
 * Send PUSH_DISABLE source (the server stops pushing it). PSC_ERR_INVALID
 * for a negative source. Other errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_push_disable(psc_client *c, Peerscope__ClientCommand__Source source, uint64_t *id);

/**
 * Send PUSH_PAUSE: the server holds pushes (within its retention) until
 * PUSH_RESUME. Errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_pause(psc_client *c, uint64_t *id);

/**
 * Send PUSH_RESUME: the server sends what it held, then pushes again.
 * Errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_resume(psc_client *c, uint64_t *id);

/**
 * Send UPDATE_CONFIG with settings (required: PSC_ERR_INVALID for NULL).
 * Other errors, ownership and threads: see above.
 */
PSC_API psc_err psc_client_update_config(psc_client *c, const psc_client_settings *settings, uint64_t *id);

/**
 * Send cmd as given: its id, version and every field are kept (the
 * client's id counter is not used). For tools and tests that speak the
 * protocol themselves.
 * Errors: PSC_ERR_INVALID for NULL or a cmd that is not a ClientCommand;
 * else as the commands above. Ownership: cmd is encoded during the call
 * and not kept. Loop thread only.
 */
PSC_API psc_err psc_client_send_command(psc_client *c, const Peerscope__ClientCommand *cmd);

/**
 * Send len bytes as one binary WebSocket message, unchecked (tests of
 * servers against malformed input).
 * Errors: PSC_ERR_INVALID for a NULL client, or NULL data with len > 0;
 * PSC_ERR_TOO_BIG over 1 GiB; else as the commands above. Ownership: data
 * is copied during the call. Loop thread only.
 */
PSC_API psc_err psc_client_send_raw(psc_client *c, const uint8_t *data, size_t len);

/* ------------------------------------------------------------------- url */

/** A parsed ws:// or wss:// URL (psc_client_parse_url). */
typedef struct psc_client_url {
    bool tls;             /**< wss */
    char host[256];       /**< without IPv6 brackets */
    uint16_t port;        /**< explicit, or 80 / 443 */
    char path[1024];      /**< path and query, always starting with '/' */
} psc_client_url;

/**
 * Parse a URL the way psc_client_new does: ws:// or wss:// (any case), a
 * host name or an IPv6 address in brackets, an optional port (1-65535),
 * no credentials; the fragment is dropped and a missing path becomes
 * /introspect.
 * Errors: PSC_ERR_INVALID for NULL arguments or a malformed URL;
 * PSC_ERR_TOO_BIG if the host or path does not fit.
 * Ownership: writes only *out. Thread-safe.
 */
PSC_API psc_err psc_client_parse_url(const char *url, psc_client_url *out);

#ifdef __cplusplus
}
#endif

#endif

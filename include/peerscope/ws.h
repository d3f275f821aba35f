/*
 * peerscope: the WebSocket endpoint (the default transport).
 *
 * One port serves:
 *   /introspect  the WebSocket of the 2020 introspection protocol: every
 *                server message is one binary message holding
 *                psc_msg_framed() bytes (12-byte header + ServerMessage);
 *                every client message is one binary message holding a bare
 *                ClientCommand.
 *   /recording   when the host attached a recorder (psc_ws_config.recorder):
 *                what it holds, as a 2020-format recording file
 *                (Content-Disposition: attachment), guarded exactly like
 *                the WebSocket (Host, Origin, token: 403 or 401).
 *   /metrics     the latest state as Prometheus or OpenMetrics text (see
 *                psc_ws_config.disable_metrics), guarded like /recording.
 *   /healthz     200 with a small JSON body ({"status":"ok",
 *                "token_required":bool,"authorized":bool,...}); the
 *                details (session count) only with a valid token when one
 *                is configured.
 *   /            the web visualizer embedded in the library (index.html,
 *                its .js/.css and /peerscope.proto; revalidated by ETag),
 *                or the host's own files (psc_ws_config.assets in memory,
 *                psc_ws_config.assets_dir on disk) when given.
 *
 * Safety: binds 127.0.0.1 by default. Binding any other address requires
 * an access token, or the loudly named insecure_allow_unauthenticated_remote.
 * The token is accepted as "Authorization: Bearer <t>" or "?token=<t>"
 * (browsers cannot set headers on a WebSocket) and compared in constant
 * time. WebSocket upgrades are refused for a foreign Origin (cross-site
 * WebSocket hijacking): no Origin header and same-origin (Origin host:port
 * equals Host) are allowed, other origins only when listed in
 * allowed_origins (a "*" entry allows all). A loopback endpoint without a
 * token also requires the Host header to name a loopback address,
 * "localhost" or the bind address, so that a web page cannot reach it by
 * making its own domain resolve to 127.0.0.1 (DNS rebinding). TLS
 * (wss/https, TLS 1.2 and 1.3 only) is used when a certificate and key are
 * given. Wrong tokens are limited per client address (an IPv6 address by
 * its /64): after 5, each further wrong one locks the address out for 1 s,
 * doubling up to 60 s; while locked out, every request of it that carries
 * a token (WebSocket, /recording, /healthz) is refused with 429 before the
 * token is compared, so guesses get no answer. A right token clears the
 * count; a request without a token is not a guess. See docs/SECURITY.md.
 *
 * Refusals: an upgrade is answered 404 (not the WebSocket path), 403 (Host
 * or Origin), 401 (token), 429 (locked out after wrong tokens) or 503
 * (max_sessions reached). An open session
 * is closed with a close frame and a reason: 1008 when the session protocol
 * gives up on the client (repeated malformed commands, command rate, a
 * client that never reads its replies), 1009 for an inbound message over
 * max_message_size, 1013 when the session limit was reached meanwhile,
 * 1001 when the endpoint closes. A client must send HELLO within 30 s of
 * connecting; idle connections are pinged after 30 s and dropped after 90 s
 * without a valid frame.
 *
 * Push link (hub_url): the endpoint also dials a peerscope-hub and serves
 * one session on that outbound WebSocket (see psc_ws_config.hub_url). It
 * is dialled, served and timed on the same thread as everything else
 * (the service thread, or the host's loop thread): no thread or sleep of
 * its own. psc_endpoint_close drops it like any connection (a close frame
 * within the 500 ms grace in the threaded mode; at once on a host's loop)
 * and cancels any pending attempt; it never waits for the hub.
 *
 * By default the endpoint runs its own service thread (libwebsockets is
 * used from that thread only); psc_emit wakes it without blocking. A
 * session's state push falls due on that thread, where the snapshot is
 * taken (the providers run as psc_config.collect_timeout_ms says).
 *
 * On the host's own loop: a libuv loop (psc_ws_config.uv_loop), a GLib
 * main context (glib_context) or a libev loop (ev_loop), one at most.
 * libwebsockets runs there through its event-library plugin for that
 * kind (Debian: libwebsockets-evlib-uv, -glib, -ev); the rules are the
 * same for all three:
 *   - The loop thread is the thread that runs the loop: uv_run, the
 *     thread iterating the GMainContext, ev_run.
 *     psc_endpoint_start, psc_endpoint_close and psc_endpoint_free of the
 *     endpoint must be called on it (start adds the endpoint's handles,
 *     sources or watchers to the loop; close removes them).
 *     psc_ws_loop_done too. psc_ws_port and every introspector call
 *     (psc_emit included) are thread-safe as usual.
 *   - psc_emit from any thread wakes the loop through lws_cancel_service
 *     (the one libwebsockets call that is safe off the loop thread; it
 *     writes to a pipe the loop watches); the events are sent from the
 *     loop thread. State pushes are timers on the loop (libwebsockets'
 *     own timer of the kind; on libev also one ev_timer of the endpoint,
 *     because the plugin's own cannot be brought forward: it wakes
 *     libwebsockets when a timer of the endpoint is due, and at least
 *     once a second while the endpoint runs); nothing of the endpoint
 *     blocks the loop except taking a snapshot when a push falls due.
 *   - Snapshots are taken on the loop thread. The providers then run on
 *     the library's collector thread under psc_config.collect_timeout_ms,
 *     while the loop thread waits for them up to that deadline; a host
 *     whose providers read state owned by the loop thread sets
 *     PSC_COLLECT_INLINE so that they run on the loop thread itself.
 *   - Closing does not run the loop: psc_endpoint_close drops every
 *     connection at once (no close frame is waited for) and asks
 *     libwebsockets to close its handles. On libuv that finishes only as
 *     the loop runs: the host keeps running the loop until
 *     psc_ws_loop_done says true, and only then calls psc_endpoint_free
 *     (and, later, uv_loop_close). On GLib and libev the sources and
 *     watchers are removed within psc_endpoint_close, so psc_ws_loop_done
 *     is true when it returns (a host written for any kind simply asks
 *     it); a libev loop with nothing else on it then leaves ev_run by
 *     itself. Freeing before psc_ws_loop_done is undefined behaviour.
 *     Freeing the introspector closes its endpoints: with an endpoint on
 *     a host's loop still open, that too must happen on the loop thread
 *     (close and free the endpoint first).
 *   - There is no mode for a host's own poll() loop: libwebsockets 4.1
 *     as packaged has no external-poll hooks; such a host uses the
 *     default service thread.
 */
#ifndef PEERSCOPE_WS_H
#define PEERSCOPE_WS_H

#include "peerscope/common.h"
#include "peerscope/endpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One file served over HTTP (embedded assets; see psc_ws_config.assets).
 * Kept by pointer, not copied: the array, its strings and its data must
 * outlive the endpoint (static data).
 */
typedef struct psc_recorder psc_recorder;

typedef struct psc_ws_asset {
    const char *path;            /**< URL path beginning with '/', e.g. "/" or "/app.js" (exact match); required */
    const char *content_type;    /**< e.g. "text/html; charset=utf-8"; required */
    const uint8_t *data;         /**< the body (may be NULL only when len is 0) */
    size_t len;                  /**< bytes at data */
} psc_ws_asset;

/**
 * Configuration of the WebSocket endpoint. Initialise with
 * PSC_WS_CONFIG_INIT; zero/NULL means default everywhere. Copied by
 * psc_ws_endpoint_new: strings, the allowed_origins array and options
 * too, but not assets (see psc_ws_asset).
 */
typedef struct psc_ws_config {
    size_t struct_size;               /**< sizeof(psc_ws_config); must cover n_assets */
    const char *bind_address;         /**< numeric IPv4/IPv6 address, or "localhost"; NULL or "localhost": "127.0.0.1" */
    uint16_t port;                    /**< 0: an ephemeral port (read it back with psc_ws_port) */
    const char *path;                 /**< WebSocket path: '/' then at most 127 characters, none a space, control character, '?' or '#'; NULL: "/introspect" */
    const char *access_token;         /**< NULL: no token; required when binding a non-loopback address; 16 to 256 characters, none a space, control character, '&' or '#' */
    bool insecure_allow_unauthenticated_remote; /**< bind a non-loopback address WITHOUT a token */
    const char *const *allowed_origins; /**< n_allowed_origins non-NULL extra Origins allowed to open the WebSocket, e.g. "http://127.0.0.1:5000"; "*": any */
    size_t n_allowed_origins;         /**< entries in allowed_origins */
    const char *tls_cert_path;        /**< PEM certificate (chain); with tls_key_path enables TLS; read at start */
    const char *tls_key_path;         /**< PEM private key; set both TLS paths or neither */
    size_t max_message_size;          /**< largest inbound message; 0: 64 KiB (larger: session closed with a reason) */
    size_t fragment_size;             /**< outbound WebSocket fragment size; 0: 64 KiB (min 1 KiB) */
    const psc_endpoint_options *options; /**< session limits (copied); NULL: defaults. Read by psc_ws_endpoint_new only */
    const psc_ws_asset *assets;       /**< n_assets files served over HTTP instead of the embedded visualizer; kept by pointer */
    size_t n_assets;                  /**< entries in assets */
    /**
     * A directory whose files are served at / instead of the embedded
     * visualizer (the path is copied; the directory is opened once, by
     * psc_ws_endpoint_new, which fails with PSC_ERR_IO when it cannot be;
     * files are read per request, so edits show on the next load).
     * "/" means "/index.html", as does any path ending in "/".
     * Safe by construction: GET only (405); libwebsockets decodes
     * %-escapes and resolves "." and ".." segments without ever climbing
     * above "/", and what reaches the endpoint is refused with 403 when
     * it still holds "%", "\\", "//", a control character or a segment
     * that begins with "." (hidden files such as .git); no symbolic link
     * is followed under the directory, inside or out (403); only regular
     * files are served (404 for a directory, FIFO, device or missing
     * file); files over 32 MiB get 413, and 503 answers while 64 MiB of
     * file bodies wait for slow clients.
     * Content-Type by extension (html, js, mjs, css, json, svg, png, ico,
     * proto, wasm, txt, woff2; else application/octet-stream); a strong
     * ETag from the size and modification time, 304 on If-None-Match,
     * Cache-Control: no-cache. With assets as well, an exact match in
     * assets wins and the directory serves the other paths.
     */
    const char *assets_dir;
    /**
     * A flight recorder (recorder.h) whose history GET /recording serves;
     * NULL: no such route (404). Kept by pointer: the recorder must
     * outlive the endpoint (free or close the endpoint first).
     * The response streams from the service thread without a length (the
     * connection closes after it): Runtime, then every state whole and
     * every event, as held when the request came. Making each state whole
     * from a delta costs about one snapshot's CPU, spread over the
     * writes so other clients are served in between; one download at a
     * time (503 while one runs), which keeps alive what it has yet to
     * send (at most what the recorder held when it began). A client that
     * takes nothing for 30 s is dropped.
     */
    psc_recorder *recorder;
    /**
     * GET /metrics is served unless this is set (then 404). It answers
     * under the same Host, Origin and token rules as /recording (403,
     * 401, 429) with the latest state as Prometheus text format 0.0.4,
     * or OpenMetrics 1.0 text when the Accept header prefers
     * application/openmetrics-text. A scrape renders the snapshot the
     * endpoint took last for a scrape when that is under 1 s old, else
     * takes a new one (as a session's push does: it counts as one more
     * state for the retention of closed connections); each snapshot is
     * rendered at most once per format and the text is shared by every
     * scrape of it. The route comes before the host's assets (a WebSocket
     * path of "/metrics" keeps the path). Families, labels and
     * cardinality: README, "Prometheus metrics". Read only from callers
     * whose struct_size covers it.
     */
    bool disable_metrics;
    /**
     * Adds the peerscope_peer_bytes family: the K peers that moved the
     * most bytes over the connections in the state, with a peer label
     * each. 0 (default): left out, no label ever holds a peer id.
     * Capped at PSC_WS_METRICS_TOP_PEERS_MAX.
     */
    size_t metrics_top_peers;
    /**
     * The host's libuv loop (a uv_loop_t *; void * so that this header
     * needs no uv.h), or NULL (default): the endpoint runs its own service
     * thread. Set, libwebsockets runs on this loop as a foreign loop and
     * the endpoint has no thread of its own; see "On the host's own
     * loop" above for the thread rules. The loop must outlive the
     * endpoint. At most one of uv_loop, glib_context and ev_loop may be
     * set (PSC_ERR_INVALID). PSC_ERR_UNSUPPORTED from psc_ws_endpoint_new
     * when the library was built without libuv or libwebsockets' libuv
     * plugin is not installed (Debian: libwebsockets-evlib-uv). Read only
     * from callers whose struct_size covers it.
     */
    void *uv_loop;
    /**
     * Push link: the ws:// or wss:// URL of a peerscope-hub's /push path
     * (e.g. "ws://hub.example:7000/push"), or NULL (default): none. Set,
     * the endpoint keeps one outbound WebSocket to the hub besides its
     * listening socket, and serves an ordinary session on it: the hub is
     * the client (HELLO, PUSH_ENABLE, ...), the node the server, with the
     * usual protocol and limits (max_sessions never refuses the link, nor
     * does the link take a slot of it; it is listed by
     * psc_endpoint_sessions with remote "hub HOST:PORT"). The endpoint
     * dials at start and again after every failure or drop, with backoff:
     * 0.5 s doubling to 30 s, each wait jittered by +-20%, back to 0.5 s
     * after a link that stayed up 10 s; an upgrade answered 401 or 403 is
     * logged as an error (psc_config.log) and retried after 30 s.
     * Redirects are not followed. psc_ws_hub_status tells how it goes.
     * The URL is parsed as psc_client_parse_url does (a missing path is
     * /introspect: give /push). Read only from callers whose struct_size
     * covers it, as are the hub_* fields below.
     */
    const char *hub_url;
    /**
     * The hub's token for this node, sent as "Authorization: Bearer
     * TOKEN" on the upgrade; NULL: none. Same rules as access_token (16
     * to 256 characters, none a space, control character, '&' or '#').
     */
    const char *hub_token;
    /**
     * The node's name for the hub, sent as the query argument node=NAME
     * (percent-encoded); NULL: the introspector's peer id when one is set
     * (psc_introspector_set_peer_id; read at each connect), else "node".
     * 1 to 128 bytes, no control characters.
     */
    const char *hub_node;
    /**
     * wss:// only: a PEM file of the CA certificates that may sign the
     * hub's certificate, instead of the system's trust store (a private
     * or self-signed hub). Read at start (PSC_ERR_IO when it cannot be).
     * The hub's name is checked against its certificate either way.
     */
    const char *hub_tls_ca_path;
    /**
     * The host's GLib main context (a GMainContext *; void * so that this
     * header needs no glib.h), or NULL (default). Set, libwebsockets runs
     * as sources attached to that context, which the host iterates
     * (g_main_loop_run on a loop of it, or g_main_context_iteration), on
     * the thread that owns it; the endpoint has no thread of its own. The
     * thread rules are those of uv_loop ("On the host's own loop" above),
     * with the loop thread being the thread that iterates the context.
     * The endpoint keeps a reference on the context until it is freed.
     * At most one of uv_loop, glib_context and ev_loop may be set
     * (PSC_ERR_INVALID). PSC_ERR_UNSUPPORTED from psc_ws_endpoint_new
     * when the library was built without GLib (-Dglib=disabled) or
     * libwebsockets' glib plugin is not installed (Debian:
     * libwebsockets-evlib-glib). Read only from callers whose
     * struct_size covers it.
     */
    void *glib_context;
    /**
     * The host's libev loop (a struct ev_loop *, e.g. EV_DEFAULT or one
     * of ev_loop_new; void * so that this header needs no ev.h), or NULL
     * (default). Set, libwebsockets adds its watchers to that loop, which
     * the host runs (ev_run) on one thread; the endpoint has no thread of
     * its own. The thread rules are those of uv_loop ("On the host's own
     * loop" above), with the loop thread being the thread that runs
     * ev_run. The loop must outlive the endpoint. At most one of uv_loop,
     * glib_context and ev_loop may be set (PSC_ERR_INVALID).
     * PSC_ERR_UNSUPPORTED from psc_ws_endpoint_new when the library was
     * built without libev (-Dlibev=disabled) or libwebsockets' libev
     * plugin is not installed (Debian: libwebsockets-evlib-ev). Read
     * only from callers whose struct_size covers it.
     */
    void *ev_loop;
} psc_ws_config;

/**
 * How the push link to a hub (psc_ws_config.hub_url) is doing
 * (psc_ws_hub_status). Initialise struct_size (PSC_WS_HUB_INFO_INIT).
 */
typedef struct psc_ws_hub_info {
    size_t struct_size;          /**< sizeof(psc_ws_hub_info), set by the caller */
    bool connected;              /**< the link is up (the WebSocket upgrade succeeded) */
    uint64_t attempts;           /**< connections begun since start */
    uint64_t connects;           /**< of them, links that came up */
    uint64_t connected_since_ms; /**< when the current link came up (ms since the epoch, introspector clock); 0 when down */
    char last_error[128];        /**< why the last attempt failed or the last link ended ("" when none has) */
} psc_ws_hub_info;

#define PSC_WS_HUB_INFO_INIT {.struct_size = sizeof(psc_ws_hub_info)}

/** The cap of psc_ws_config.metrics_top_peers. */
#define PSC_WS_METRICS_TOP_PEERS_MAX 50u

#define PSC_WS_CONFIG_INIT {.struct_size = sizeof(psc_ws_config)}

/** Default WebSocket path (the 2020 one). */
#define PSC_WS_DEFAULT_PATH "/introspect"

/**
 * Create a WebSocket endpoint for intro (not started: call
 * psc_endpoint_start, which binds the port, loads the TLS files and starts
 * the service thread or joins the host's loop, then dials hub_url; a busy port or unreadable TLS file is its
 * PSC_ERR_IO). cfg may be NULL for all defaults.
 * Errors: PSC_ERR_INVALID for a NULL intro or out, a struct_size that does
 * not cover n_assets, a bad address, path or token (see the fields), a
 * half TLS config, n_allowed_origins or n_assets without its array, a
 * NULL origin, an asset without a path beginning with '/' or a
 * content_type, an empty assets_dir, bad options (as
 * psc_endpoint_new), a hub_url that is not ws:// or wss://, a bad
 * hub_token or hub_node, hub_token, hub_node or hub_tls_ca_path without
 * hub_url, or hub_tls_ca_path with a ws:// hub (each logged through
 * psc_config.log); PSC_ERR_AUTH for a non-loopback bind without a token
 * or the insecure option; PSC_ERR_IO when assets_dir cannot be opened as
 * a directory; PSC_ERR_INVALID too for more than one of uv_loop, glib_context
 * and ev_loop; PSC_ERR_UNSUPPORTED for a uv_loop, glib_context or ev_loop
 * when the library was built without that kind or libwebsockets' plugin
 * for it is not installed (logged, naming the package); PSC_ERR_NOMEM.
 * Ownership: as psc_ws_config says; on success *out is the caller's,
 * freed with psc_endpoint_free. Thread-safe.
 */
PSC_API psc_err psc_ws_endpoint_new(psc_introspector *intro, const psc_ws_config *cfg, psc_endpoint **out);

/**
 * The WebSocket transport vtable, for psc_endpoint_new with a psc_ws_config
 * as config (its options field is then ignored: pass options to
 * psc_endpoint_new). Static; never freed. Thread-safe.
 */
PSC_API const psc_endpoint_vtable *psc_ws_vtable(void);

/**
 * The port actually bound (useful with port 0) into *port.
 * Errors: PSC_ERR_INVALID for NULL arguments or an ep that is not a
 * WebSocket endpoint; PSC_ERR_STATE before start and after close.
 * Thread-safe.
 */
PSC_API psc_err psc_ws_port(psc_endpoint *ep, uint16_t *port);

/**
 * Whether the endpoint's libwebsockets context is gone from the host's
 * loop (psc_ws_config.uv_loop, glib_context or ev_loop): true once
 * psc_endpoint_close has been called and nothing of the endpoint is left
 * on the loop (libuv: once the loop has run the close of every handle of
 * it; GLib, libev: when close returns); also true for an endpoint that
 * never started, a threaded endpoint, and NULL or a non-WebSocket ep.
 * psc_endpoint_free is safe once this is true. For an endpoint on a
 * host's loop, call it on the loop thread (libwebsockets marks the end
 * there); thread-safe for any other ep.
 */
PSC_API bool psc_ws_loop_done(psc_endpoint *ep);

/**
 * The push link's state into *out (the fields that out->struct_size
 * covers; the rest is left alone): whether it is up, since when, how many
 * attempts and links so far, and the last error.
 * Errors: PSC_ERR_INVALID for NULL arguments, a struct_size below
 * offsetof(last_error) or an ep that is not a WebSocket endpoint;
 * PSC_ERR_NOT_FOUND when the endpoint has no hub_url.
 * Ownership: writes only *out. Thread-safe (any thread, any mode).
 */
PSC_API psc_err psc_ws_hub_status(psc_endpoint *ep, psc_ws_hub_info *out);

/** Buffer size for psc_ws_generate_token: 43 characters and the NUL. */
#define PSC_WS_TOKEN_SIZE 44u

/**
 * Write a fresh random access token (32 random bytes from libsodium as
 * URL-safe base64 without padding: 43 characters and a NUL, safe in a
 * query string) into buf, of len bytes. The host prints it or hands it to
 * its users.
 * Errors: PSC_ERR_INVALID for a NULL buf; PSC_ERR_TOO_BIG if len is below
 * PSC_WS_TOKEN_SIZE; PSC_ERR_IO if libsodium cannot be initialised.
 * Ownership: writes only buf; the library keeps no copy. Thread-safe.
 */
PSC_API psc_err psc_ws_generate_token(char *buf, size_t len);

/**
 * libwebsockets keeps ONE log setting per process and, left alone, writes
 * its own error, warning and notice lines to stderr. So before the library
 * creates its first libwebsockets context (an endpoint's start, a client
 * loop), it routes libwebsockets' errors and warnings, prefixed
 * "libwebsockets: ", to the log callback (psc_config.log) of every running
 * WebSocket endpoint's introspector, and to nowhere else: nothing reaches
 * stderr. A host that wants another routing (fn, with levels mapped to
 * psc_log_level, lines above max_level dropped) or silence (fn NULL) calls
 * this once, before starting any WebSocket endpoint or client loop; the
 * library's default never applies again in that process. fn is then
 * called, with user and one line (trailing newline removed, cut at 511
 * bytes), on whichever thread libwebsockets logs from: an endpoint's
 * service thread or the thread polling a client loop (client.h); it must
 * be thread-safe and must not call into libwebsockets or close an
 * endpoint. fn and user must stay valid until the process ends or this is
 * called again. The introspector log callbacks the default routing calls
 * are under the same rules.
 * Process-wide; not thread-safe (call it before any endpoint starts).
 * Also process-wide, by libwebsockets: creating an endpoint's context sets
 * SIGPIPE to SIG_IGN.
 */
PSC_API void psc_ws_lws_log(psc_log_level max_level, psc_log_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: the WebSocket endpoint (the default transport).
 *
 * One port serves:
 *   /introspect  the WebSocket of the 2020 introspection protocol: every
 *                server message is one binary message holding
 *                psc_msg_framed() bytes (12-byte header + ServerMessage);
 *                every client message is one binary message holding a bare
 *                ClientCommand.
 *   /healthz     200 with a small JSON body ({"status":"ok",
 *                "token_required":bool,"authorized":bool,...}); the
 *                details (session count) only with a valid token when one
 *                is configured.
 *   /            the web visualizer embedded in the library (index.html,
 *                its .js/.css and /peerscope.proto; revalidated by ETag),
 *                or the host's own files (psc_ws_config.assets in memory,
 *                psc_ws_config.assets_dir on disk) when given.
 *                A library built without the visualizer's npm packages
 *                serves a page that says so.
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
 * (wss/https) is used when a certificate and key are given.
 *
 * Refusals: an upgrade is answered 404 (not the WebSocket path), 403 (Host
 * or Origin), 401 (token) or 503 (max_sessions reached). An open session
 * is closed with a close frame and a reason: 1008 when the session protocol
 * gives up on the client (repeated malformed commands, command rate, a
 * client that never reads its replies), 1009 for an inbound message over
 * max_message_size, 1013 when the session limit was reached meanwhile,
 * 1001 when the endpoint closes. A client must send HELLO within 30 s of
 * connecting; idle connections are pinged after 30 s and dropped after 90 s
 * without a valid frame.
 *
 * The endpoint runs its own service thread (libwebsockets is used from that
 * thread only); psc_emit wakes it without blocking.
 */
#ifndef PEERSCOPE_WS_H
#define PEERSCOPE_WS_H

#include "peerscope/common.h"
#include "peerscope/endpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One file served over HTTP (embedded assets; see psc_ws_config.assets). */
typedef struct psc_ws_asset {
    const char *path;            /**< URL path, e.g. "/" or "/app.js" (exact match) */
    const char *content_type;    /**< e.g. "text/html; charset=utf-8" */
    const uint8_t *data;         /**< not copied: must outlive the endpoint (static data) */
    size_t len;
} psc_ws_asset;

/**
 * Configuration of the WebSocket endpoint. Initialise with
 * PSC_WS_CONFIG_INIT; zero/NULL means default everywhere. Copied by
 * psc_ws_endpoint_new (strings and arrays too, except asset data).
 */
typedef struct psc_ws_config {
    size_t struct_size;               /**< sizeof(psc_ws_config) */
    const char *bind_address;         /**< numeric IPv4/IPv6 address; NULL: "127.0.0.1" */
    uint16_t port;                    /**< 0: an ephemeral port (read it back with psc_ws_port) */
    const char *path;                 /**< WebSocket path; NULL: "/introspect" */
    const char *access_token;         /**< NULL: no token; required when binding a non-loopback address */
    bool insecure_allow_unauthenticated_remote; /**< bind a non-loopback address WITHOUT a token */
    const char *const *allowed_origins; /**< extra Origins allowed to open the WebSocket, e.g. "http://127.0.0.1:5000" */
    size_t n_allowed_origins;
    const char *tls_cert_path;        /**< PEM certificate (chain); with tls_key_path enables TLS */
    const char *tls_key_path;         /**< PEM private key */
    size_t max_message_size;          /**< largest inbound message; 0: 64 KiB (larger: session closed with a reason) */
    size_t fragment_size;             /**< outbound WebSocket fragment size; 0: 64 KiB (min 1 KiB) */
    const psc_endpoint_options *options; /**< session limits (copied); NULL: defaults */
    const psc_ws_asset *assets;       /**< files served over HTTP instead of the embedded visualizer; array not copied */
    size_t n_assets;
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
} psc_ws_config;

#define PSC_WS_CONFIG_INIT {.struct_size = sizeof(psc_ws_config)}

/** Default WebSocket path (the 2020 one). */
#define PSC_WS_DEFAULT_PATH "/introspect"

/**
 * Create a WebSocket endpoint for intro (not started: call
 * psc_endpoint_start, which binds the port and starts the service thread).
 * cfg may be NULL for all defaults. PSC_ERR_INVALID for a bad address,
 * path, or a half TLS config; PSC_ERR_AUTH for a non-loopback bind without
 * a token or the insecure option;
 * PSC_ERR_IO when assets_dir cannot be opened as a directory.
 * Thread-safe.
 */
PSC_API psc_err psc_ws_endpoint_new(psc_introspector *intro, const psc_ws_config *cfg, psc_endpoint **out);

/** The WebSocket transport vtable (for psc_endpoint_new with a psc_ws_config). Thread-safe. */
PSC_API const psc_endpoint_vtable *psc_ws_vtable(void);

/**
 * The port actually bound (useful with port 0). PSC_ERR_STATE before
 * start, PSC_ERR_INVALID if ep is not a WebSocket endpoint. Thread-safe.
 */
PSC_API psc_err psc_ws_port(psc_endpoint *ep, uint16_t *port);

/** Buffer size for psc_ws_generate_token: 43 characters and the NUL. */
#define PSC_WS_TOKEN_SIZE 44u

/**
 * Write a fresh random access token (32 random bytes as URL-safe base64
 * without padding: 43 characters, safe in a query string) into buf, which
 * must hold PSC_WS_TOKEN_SIZE bytes (else PSC_ERR_TOO_BIG). The host
 * prints it or hands it to its users. Thread-safe.
 */
PSC_API psc_err psc_ws_generate_token(char *buf, size_t len);

/**
 * libwebsockets keeps ONE log setting per process and, by default, writes
 * its own error, warning and notice lines to stderr; its log formatting is
 * not thread-safe either (it matters with several endpoints). peerscope
 * never changes that setting by itself. A host that wants those lines
 * routed to its own log (fn, with levels mapped to psc_log_level, lines
 * above max_level dropped) or silenced (fn NULL) calls this once, before
 * starting any WebSocket endpoint. Process-wide; not thread-safe.
 * Also process-wide, by libwebsockets: creating an endpoint's context sets
 * SIGPIPE to SIG_IGN.
 */
PSC_API void psc_ws_lws_log(psc_log_level max_level, psc_log_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif

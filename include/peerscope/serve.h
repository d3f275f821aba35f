/*
 * peerscope ADVANCED header: the checks and files of the WebSocket
 * endpoint, for programs that serve the protocol on a libwebsockets
 * server of their own (peerscope-hub) and must refuse what the endpoint
 * refuses, the same way.
 *
 * All of it is pure (no I/O) and thread-safe, except a guard, which
 * belongs to one thread at a time.
 */
#ifndef PEERSCOPE_SERVE_H
#define PEERSCOPE_SERVE_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Whether given equals expected (NUL-terminated), in time that does not
 * depend on where they differ. An empty or NULL expected never matches.
 */
PSC_API bool psc_serve_token_equal(const char *expected, const char *given);

/**
 * Whether a WebSocket from a page of origin (the Origin header; NULL or
 * empty: not a browser, allowed) may connect to the server reached as
 * host (the Host header): the same origin (scheme by tls, host and port),
 * one of allowed[0..n_allowed) (case-insensitive, a trailing '/'
 * ignored), or any when any is set.
 */
PSC_API bool psc_serve_origin_allowed(const char *origin, const char *host, bool tls, const char *const *allowed,
                                      size_t n_allowed, bool any);

/**
 * The DNS-rebinding rule of a loopback server without a token
 * (need_local): the Host header must name a loopback address,
 * "localhost" or bind_address. Without need_local, any host passes.
 */
PSC_API bool psc_serve_host_allowed(const char *host, const char *bind_address, bool need_local);

/**
 * The token of an Authorization header value of the Bearer scheme (the
 * scheme's name in any case; spaces around the token ignored): true, with
 * *token and *len pointing into value; false for another scheme, an empty
 * token or a NULL argument.
 */
PSC_API bool psc_serve_bearer(const char *value, const char **token, size_t *len);

/** Whether a numeric address (or "localhost", or NULL) is loopback. */
PSC_API bool psc_serve_is_loopback(const char *address);

/**
 * Wrong access tokens per client address, as the endpoint counts them: a
 * few wrong ones are free, then each locks the address out for a while
 * that doubles (up to a minute); a right one clears it.
 */
typedef struct psc_serve_guard psc_serve_guard;

/** A new guard. Errors: PSC_ERR_INVALID (NULL out), PSC_ERR_NOMEM. Free with psc_serve_guard_free. */
PSC_API psc_err psc_serve_guard_new(psc_serve_guard **out);
/** Free a guard (NULL: no-op). */
PSC_API void psc_serve_guard_free(psc_serve_guard *g);
/**
 * Whether addr may present a token at now_ms (any monotonic clock in ms);
 * if not, *retry_ms (may be NULL) says in how many ms it may.
 */
PSC_API bool psc_serve_guard_allows(psc_serve_guard *g, const char *addr, uint64_t now_ms, uint64_t *retry_ms);
/** addr presented a wrong token at now_ms. */
PSC_API void psc_serve_guard_failed(psc_serve_guard *g, const char *addr, uint64_t now_ms);
/** addr presented the right token. */
PSC_API void psc_serve_guard_succeeded(psc_serve_guard *g, const char *addr);

/** One file of the embedded visualizer (static data). */
typedef struct psc_serve_asset {
    const char *path;    /**< "/index.html", "/app.js", ... */
    const char *mime;    /**< its Content-Type */
    const uint8_t *data;
    size_t len;
    const char *etag;    /**< strong ETag, quoted */
} psc_serve_asset;

/**
 * The embedded visualizer's file at path ("/" is "/index.html"): true and
 * *out filled, false when there is none (or a NULL argument).
 */
PSC_API bool psc_serve_asset_find(const char *path, psc_serve_asset *out);

#ifdef __cplusplus
}
#endif

#endif

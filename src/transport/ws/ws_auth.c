/* Access token, Origin and bind-address checks of the WebSocket endpoint. */
#include "transport/ws/ws.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <strings.h>

#include "core/core.h"
#include "peerscope/serve.h"

/* Longest header value looked at; longer ones are refused, not truncated. */
#define HDR_MAX 512

bool psc__ws_token_equal(const char *expected, size_t expected_len, const char *given, size_t given_len)
{
    /* The length is not secret (it is fixed per deployment); the bytes are. */
    if (!given || given_len != expected_len || expected_len == 0)
        return false;
    return sodium_memcmp(expected, given, expected_len) == 0;
}

/* The Bearer token of the Authorization header: 1 right, 0 wrong, -1 none given. */
static int bearer_check(const psc__ws *ws, struct lws *wsi)
{
    char buf[HDR_MAX];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0)
        return -1;
    if (n >= (int)sizeof buf || lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        return 0;
    const char *v = NULL;
    size_t len = 0;
    if (!psc_serve_bearer(buf, &v, &len))
        return 0;
    return psc__ws_token_equal(ws->token, ws->token_len, v, len);
}

/* The token= query argument: 1 right, 0 wrong, -1 none given. */
static int query_check(const psc__ws *ws, struct lws *wsi)
{
    char buf[HDR_MAX];
    const char *v = lws_get_urlarg_by_name(wsi, "token=", buf, (int)sizeof buf);
    if (!v)
        return -1;
    return psc__ws_token_equal(ws->token, ws->token_len, v, strlen(v));
}

psc__ws_auth psc__ws_authorize(psc__ws *ws, struct lws *wsi, bool count, uint64_t *retry_ms)
{
    if (!ws->token)
        return PSC__WS_AUTH_OK;
    /* Browsers cannot set headers on a WebSocket: the query form is for them. */
    int header = bearer_check(ws, wsi);
    int query = query_check(ws, wsi);
    if (header < 0 && query < 0)
        return PSC__WS_AUTH_MISSING;
    char peer[64];
    lws_get_peer_simple(wsi, peer, sizeof peer);
    uint64_t now = psc__intro_mono_ns(psc_endpoint_introspector(ws->ep)) / 1000000u;
    if (!psc__ws_guard_allows(&ws->guard, peer, now, retry_ms))
        return PSC__WS_AUTH_LOCKED;
    if (header == 1 || query == 1) {
        if (count)
            psc__ws_guard_succeeded(&ws->guard, peer);
        return PSC__WS_AUTH_OK;
    }
    if (count)
        psc__ws_guard_failed(&ws->guard, peer, now);
    return PSC__WS_AUTH_WRONG;
}

const char *psc__ws_auth_refusal(psc__ws_auth a, uint64_t retry_ms, char *buf, size_t cap, unsigned *status)
{
    switch (a) {
    case PSC__WS_AUTH_OK:
        return NULL;
    case PSC__WS_AUTH_LOCKED:
        *status = 429; /* Too Many Requests */
        snprintf(buf, cap, "too many wrong access tokens from this address: try again in %llu s",
                 (unsigned long long)((retry_ms + 999) / 1000));
        return buf;
    default:
        *status = HTTP_STATUS_UNAUTHORIZED;
        return "missing or wrong access token";
    }
}

/* Compare two origins ignoring case and a trailing slash. */
static bool origin_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '/')
        la--;
    if (lb && b[lb - 1] == '/')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

bool psc__ws_origin_allowed(const char *origin, const char *host, bool tls, const char *const *allowed,
                            size_t n_allowed, bool any)
{
    /* No Origin: not a browser page, so not cross-site hijacking. */
    if (!origin || !*origin)
        return true;
    if (any)
        return true;
    for (size_t i = 0; i < n_allowed; i++)
        if (origin_eq(origin, allowed[i]))
            return true;
    /* Same origin: the page was served by this endpoint (scheme, host and port). */
    const char *scheme = tls ? "https://" : "http://";
    size_t sl = strlen(scheme);
    if (!host || !*host || strncasecmp(origin, scheme, sl) != 0)
        return false;
    return origin_eq(origin + sl, host);
}

bool psc__ws_origin_ok(const psc__ws *ws, struct lws *wsi)
{
    char origin[HDR_MAX], host[HDR_MAX];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (n <= 0)
        return true;
    if (n >= (int)sizeof origin || lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0)
        return false;
    host[0] = 0;
    int h = lws_hdr_total_length(wsi, WSI_TOKEN_HOST);
    if (h > 0 && (h >= (int)sizeof host || lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0))
        return false;
    return psc__ws_origin_allowed(origin, host, ws->tls_cert != NULL, (const char *const *)ws->origins,
                                  ws->n_origins, ws->any_origin);
}

/* The host part of a Host header value ("[::1]:80" -> "::1", "a:1" -> "a"). */
static bool host_part(const char *host, char *out, size_t cap)
{
    const char *end;
    if (host[0] == '[') {
        host++;
        end = strchr(host, ']');
        if (!end)
            return false;
    } else {
        end = strchr(host, ':');
        if (!end)
            end = host + strlen(host);
    }
    size_t n = (size_t)(end - host);
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, host, n);
    out[n] = 0;
    return true;
}

bool psc__ws_host_allowed(const char *host, const char *bind_address, bool need_local)
{
    if (!need_local)
        return true;
    /* A page from any site can make its own name resolve to 127.0.0.1 (DNS
     * rebinding) and then look same-origin: a local, unauthenticated
     * endpoint only answers to names that cannot be rebound. */
    char h[256];
    if (!host || !host_part(host, h, sizeof h))
        return false;
    return psc__ws_is_loopback(h) || (bind_address && !strcasecmp(h, bind_address));
}

bool psc__ws_host_ok(const psc__ws *ws, struct lws *wsi)
{
    char host[HDR_MAX];
    int h = lws_hdr_total_length(wsi, WSI_TOKEN_HOST);
    if (h <= 0 || h >= (int)sizeof host || lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0)
        host[0] = 0;
    return psc__ws_host_allowed(host, ws->bind_address, ws->local_only);
}

bool psc__ws_is_loopback(const char *address)
{
    if (!address || !strcasecmp(address, "localhost"))
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, address, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, address, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

psc_err psc_ws_generate_token(char *buf, size_t len)
{
    if (!buf)
        return PSC_ERR_INVALID;
    if (len < PSC_WS_TOKEN_SIZE)
        return PSC_ERR_TOO_BIG;
    if (sodium_init() < 0)
        return PSC_ERR_IO;
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    /* Sized by the macro: sodium aborts the process on a short buffer. */
    char out[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    memcpy(buf, out, PSC_WS_TOKEN_SIZE);
    buf[PSC_WS_TOKEN_SIZE - 1] = 0;
    sodium_memzero(out, sizeof out);
    return PSC_OK;
}

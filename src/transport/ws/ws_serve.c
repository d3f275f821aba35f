/* The endpoint's checks, guard and embedded files for other servers (peerscope/serve.h). */
#include "transport/ws/ws.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets/assets.h"
#include "peerscope/serve.h"

struct psc_serve_guard {
    psc__ws_guard g;
};

bool psc_serve_token_equal(const char *expected, const char *given)
{
    if (!expected || !given)
        return false;
    return psc__ws_token_equal(expected, strlen(expected), given, strlen(given));
}

bool psc_serve_origin_allowed(const char *origin, const char *host, bool tls, const char *const *allowed,
                              size_t n_allowed, bool any)
{
    return psc__ws_origin_allowed(origin, host, tls, allowed, allowed ? n_allowed : 0, any);
}

bool psc_serve_host_allowed(const char *host, const char *bind_address, bool need_local)
{
    return psc__ws_host_allowed(host, bind_address, need_local);
}

bool psc_serve_bearer(const char *value, const char **token, size_t *len)
{
    if (!value || !token || !len)
        return false;
    const char *v = value;
    while (*v == ' ')
        v++;
    if (strncasecmp(v, "Bearer ", 7) != 0)
        return false;
    v += 7;
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    while (n && v[n - 1] == ' ')
        n--;
    *token = v;
    *len = n;
    return n > 0;
}

bool psc_serve_is_loopback(const char *address)
{
    return psc__ws_is_loopback(address);
}

psc_err psc_serve_guard_new(psc_serve_guard **out)
{
    if (!out)
        return PSC_ERR_INVALID;
    *out = calloc(1, sizeof **out);
    return *out ? PSC_OK : PSC_ERR_NOMEM;
}

void psc_serve_guard_free(psc_serve_guard *g)
{
    free(g);
}

bool psc_serve_guard_allows(psc_serve_guard *g, const char *addr, uint64_t now_ms, uint64_t *retry_ms)
{
    return g && addr && psc__ws_guard_allows(&g->g, addr, now_ms, retry_ms);
}

void psc_serve_guard_failed(psc_serve_guard *g, const char *addr, uint64_t now_ms)
{
    if (g && addr)
        psc__ws_guard_failed(&g->g, addr, now_ms);
}

void psc_serve_guard_succeeded(psc_serve_guard *g, const char *addr)
{
    if (g && addr)
        psc__ws_guard_succeeded(&g->g, addr);
}

bool psc_serve_asset_find(const char *path, psc_serve_asset *out)
{
    const psc__asset *a = path && out ? psc__asset_find(path) : NULL;
    if (!a)
        return false;
    out->path = a->path;
    out->mime = a->mime;
    out->data = a->data;
    out->len = a->len;
    out->etag = a->etag;
    return true;
}

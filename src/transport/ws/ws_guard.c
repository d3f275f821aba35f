/* WebSocket endpoint: the per-address limit on wrong access tokens. */
#include <arpa/inet.h>
#include <string.h>

#include "transport/ws/ws.h"

/*
 * An address's slot: IPv4 addresses by themselves, IPv6 ones by their /64,
 * since one host commonly holds a whole /64 and could otherwise make every
 * guess from a fresh address.
 */
static void key_of(const char *addr, char key[PSC__WS_GUARD_KEY])
{
    memset(key, 0, PSC__WS_GUARD_KEY);
    struct in6_addr a6;
    if (addr && inet_pton(AF_INET6, addr, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &a6, key, PSC__WS_GUARD_KEY);
        return;
    }
    /* "::ffff:1.2.3.4" and "1.2.3.4" are the same client */
    if (addr && !strncasecmp(addr, "::ffff:", 7) && strchr(addr + 7, '.'))
        addr += 7;
    strncpy(key, addr ? addr : "", PSC__WS_GUARD_KEY - 1);
}

static psc__ws_guard_slot *find(psc__ws_guard *g, const char *key)
{
    for (size_t i = 0; i < PSC__WS_GUARD_SLOTS; i++)
        if (g->slots[i].failures && !strcmp(g->slots[i].key, key))
            return &g->slots[i];
    return NULL;
}

/* A slot forgets an address once it has been quiet for this long. */
static bool stale(const psc__ws_guard_slot *s, uint64_t now_ms)
{
    return now_ms - s->last_ms >= PSC__WS_GUARD_FORGET_MS && now_ms >= s->locked_until_ms;
}

bool psc__ws_guard_allows(psc__ws_guard *g, const char *addr, uint64_t now_ms, uint64_t *retry_ms)
{
    char key[PSC__WS_GUARD_KEY];
    key_of(addr, key);
    psc__ws_guard_slot *s = find(g, key);
    if (!s)
        return true;
    if (stale(s, now_ms)) {
        memset(s, 0, sizeof *s);
        return true;
    }
    if (now_ms >= s->locked_until_ms)
        return true;
    if (retry_ms)
        *retry_ms = s->locked_until_ms - now_ms;
    g->refused++;
    return false;
}

void psc__ws_guard_failed(psc__ws_guard *g, const char *addr, uint64_t now_ms)
{
    char key[PSC__WS_GUARD_KEY];
    key_of(addr, key);
    psc__ws_guard_slot *s = find(g, key);
    if (s && stale(s, now_ms))
        memset(s, 0, sizeof *s);
    if (!s || !s->failures) {
        /* a free slot, a forgotten one, else the one quiet the longest:
         * an address that keeps failing keeps its slot */
        psc__ws_guard_slot *pick = &g->slots[0];
        for (size_t i = 0; i < PSC__WS_GUARD_SLOTS; i++) {
            psc__ws_guard_slot *c = &g->slots[i];
            if (!c->failures || stale(c, now_ms)) {
                pick = c;
                break;
            }
            if (c->last_ms < pick->last_ms)
                pick = c;
        }
        s = pick;
        memset(s, 0, sizeof *s);
        memcpy(s->key, key, sizeof s->key);
    }
    s->failures++;
    s->last_ms = now_ms;
    g->failures++;
    if (s->failures >= PSC__WS_GUARD_FREE) {
        /* 1 s after the last free guess, doubling with each one after it */
        uint32_t over = s->failures - PSC__WS_GUARD_FREE;
        uint64_t wait = over >= 16 ? PSC__WS_GUARD_MAX_WAIT_MS : (uint64_t)1000 << over;
        if (wait > PSC__WS_GUARD_MAX_WAIT_MS)
            wait = PSC__WS_GUARD_MAX_WAIT_MS;
        s->locked_until_ms = now_ms + wait;
    }
}

void psc__ws_guard_succeeded(psc__ws_guard *g, const char *addr)
{
    char key[PSC__WS_GUARD_KEY];
    key_of(addr, key);
    psc__ws_guard_slot *s = find(g, key);
    if (s)
        memset(s, 0, sizeof *s);
}

/*
 * Fuzz target for the client's URL parser (libFuzzer entry point;
 * tests/wire/fuzz_main.c drives it where libFuzzer is not available).
 * Beyond "no crash": a parsed URL has a host, a port and a path that starts
 * with '/', none of which can split a request line; and what it gives,
 * written back as a URL, parses to the very same thing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        abort(); /* not terminated inside its field */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    psc_client_url u;
    psc_err err = psc_client_parse_url(s, &u);
    if (err == PSC_OK) {
        check_clean(u.host, sizeof u.host);
        check_clean(u.path, sizeof u.path);
        if (!u.host[0] || u.port == 0 || u.path[0] != '/' || strchr(u.path, '#'))
            abort();
        size_t cap = sizeof u.host + sizeof u.path + 32;
        char *back = malloc(cap);
        if (!back)
            abort();
        bool v6 = strchr(u.host, ':') != NULL;
        snprintf(back, cap, "%s://%s%s%s:%u%s", u.tls ? "wss" : "ws", v6 ? "[" : "", u.host, v6 ? "]" : "",
                 (unsigned)u.port, u.path);
        psc_client_url again;
        if (psc_client_parse_url(back, &again) != PSC_OK || again.tls != u.tls || again.port != u.port ||
            strcmp(again.host, u.host) || strcmp(again.path, u.path))
            abort();
        free(back);
    } else if (err != PSC_ERR_INVALID && err != PSC_ERR_TOO_BIG) {
        abort();
    }
    free(s);
    return 0;
}

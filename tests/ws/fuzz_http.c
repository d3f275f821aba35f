/*
 * Fuzz target for what the WebSocket endpoint decides from request text
 * before any file or session is touched: the request path mapped under a
 * host's asset directory, the embedded asset lookup, Content-Type by name,
 * If-None-Match against an ETag, the token comparison and the Origin and
 * Host rules (libFuzzer entry point; tests/wire/fuzz_main.c drives it
 * where libFuzzer is not available). The input is split at NUL bytes into
 * the strings each check takes. Beyond "no crash": a mapped path never
 * leaves the directory (no empty, "." or ".." segment, no leading '/'),
 * and the checks agree with themselves (a non-empty token equals itself, the same
 * origin is allowed whatever the list).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assets/assets.h"
#include "transport/ws/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void check_rel(const char *rel)
{
    if (!rel[0] || rel[0] == '/')
        abort();
    for (const char *seg = rel;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || seg[0] == '.')
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == '\\' || seg[i] == '%')
                abort();
        if (!end)
            break;
        seg = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* up to four NUL-separated strings, the last one possibly empty */
    char *buf = malloc(size + 4);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    memset(buf + size, 0, 4);
    const char *str[4];
    size_t len[4];
    const char *p = buf;
    for (int i = 0; i < 4; i++) {
        str[i] = p;
        len[i] = strlen(p);
        if (p + len[i] < buf + size)
            p += len[i] + 1;
        else
            p = buf + size + 3; /* the empty string at the end */
    }

    char rel[256];
    if (psc__ws_dir_path(str[0], rel, sizeof rel)) {
        check_rel(rel);
        sink += strlen(psc__ws_mime_of(rel));
    }
    char tiny[4];
    if (psc__ws_dir_path(str[0], tiny, sizeof tiny))
        check_rel(tiny); /* a short buffer refuses or still holds a whole path */
    const psc__asset *a = psc__asset_find(str[0]);
    if (a && (a->path[0] != '/' || !a->mime || !a->etag || (a->len && !a->data)))
        abort();
    sink += psc__ws_etag_matches(str[0], str[1]);
    if (len[1] > 2 && str[1][0] == '"' && str[1][len[1] - 1] == '"' &&
        strspn(str[1] + 1, "0123456789abcdefABCDEF-") == len[1] - 2 && !psc__ws_etag_matches(str[1], str[1]))
        abort(); /* a strong tag matches itself */

    /* an empty token never matches: no token configured is not "" */
    if (psc__ws_token_equal(str[0], len[0], str[0], len[0]) != (len[0] > 0))
        abort();
    if (psc__ws_token_equal(str[0], len[0], str[1], len[1]) !=
        (len[0] > 0 && len[0] == len[1] && !memcmp(str[0], str[1], len[0])))
        abort();

    const char *allowed[] = {str[2], str[3]};
    bool tls = size && (data[0] & 1);
    bool o = psc__ws_origin_allowed(str[0], str[1], tls, allowed, 2, false);
    if (o && !psc__ws_origin_allowed(str[0], str[1], tls, allowed, 2, true))
        abort(); /* "any" allows at least what the list does */
    sink += psc__ws_is_loopback(str[0]);
    sink += psc__ws_host_allowed(str[1], str[2], true) + psc__ws_host_allowed(str[1], str[2], false);
    free(buf);
    return 0;
}

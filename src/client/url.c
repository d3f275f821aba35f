#include <string.h>

#include "peerscope/client.h"

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != *prefix)
            return false;
    }
    return true;
}

/* Digits only, 1..65535; strtol would accept signs and spaces. */
static bool parse_port(const char *s, size_t n, uint16_t *out)
{
    if (n == 0 || n > 5)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

psc_err psc_client_parse_url(const char *url, psc_client_url *out)
{
    if (!url || !out)
        return PSC_ERR_INVALID;
    /* Nothing below may reach a request line or header with bytes that
     * could split it. */
    for (const char *p = url; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch == 0x7f)
            return PSC_ERR_INVALID;
    }

    psc_client_url u;
    memset(&u, 0, sizeof u);
    const char *p;
    if (prefix_nocase(url, "wss://")) {
        u.tls = true;
        u.port = 443;
        p = url + 6;
    } else if (prefix_nocase(url, "ws://")) {
        u.port = 80;
        p = url + 5;
    } else {
        return PSC_ERR_INVALID;
    }

    size_t auth_len = strcspn(p, "/?#");
    const char *auth = p;
    const char *rest = p + auth_len;
    if (memchr(auth, '@', auth_len))
        return PSC_ERR_INVALID; /* credentials belong in the token option */

    const char *host;
    size_t host_len;
    const char *port_part = NULL;
    size_t port_len = 0;
    if (auth_len && auth[0] == '[') {
        const char *close = memchr(auth, ']', auth_len);
        if (!close)
            return PSC_ERR_INVALID;
        host = auth + 1;
        host_len = (size_t)(close - host);
        for (size_t i = 0; i < host_len; i++)
            if (!is_hex(host[i]) && host[i] != ':' && host[i] != '.')
                return PSC_ERR_INVALID;
        const char *after = close + 1;
        size_t after_len = auth_len - (size_t)(after - auth);
        if (after_len) {
            if (after[0] != ':')
                return PSC_ERR_INVALID;
            port_part = after + 1;
            port_len = after_len - 1;
        }
    } else {
        const char *colon = memchr(auth, ':', auth_len);
        host = auth;
        host_len = colon ? (size_t)(colon - auth) : auth_len;
        if (colon) {
            port_part = colon + 1;
            port_len = auth_len - host_len - 1;
        }
        for (size_t i = 0; i < host_len; i++)
            if (!is_alpha(host[i]) && !is_digit(host[i]) && host[i] != '-' && host[i] != '.' &&
                host[i] != '_')
                return PSC_ERR_INVALID;
    }
    if (host_len == 0)
        return PSC_ERR_INVALID;
    if (host_len >= sizeof u.host)
        return PSC_ERR_TOO_BIG;
    memcpy(u.host, host, host_len);
    if (port_part && !parse_port(port_part, port_len, &u.port))
        return PSC_ERR_INVALID;

    /* The fragment is never sent; a missing path means the 2020 one. */
    size_t rest_len = strcspn(rest, "#");
    const char *dflt = "";
    if (rest_len == 0 || rest[0] == '?')
        dflt = "/introspect";
    size_t dflt_len = strlen(dflt);
    if (dflt_len + rest_len >= sizeof u.path)
        return PSC_ERR_TOO_BIG;
    memcpy(u.path, dflt, dflt_len);
    memcpy(u.path + dflt_len, rest, rest_len);

    *out = u;
    return PSC_OK;
}

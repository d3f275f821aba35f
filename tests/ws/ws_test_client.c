#include "ws_test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static _Thread_local const char *source_addr;

void wsc_set_source(const char *addr)
{
    source_addr = addr;
}

int wsc_dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (source_addr) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, source_addr, &src.sin_addr) != 1 || bind(fd, (struct sockaddr *)&src, sizeof src)) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read more into c->buf. 1: got bytes, 0: end of stream, -1: error/timeout. */
static int fill(wsc *c)
{
    if (c->have == sizeof c->buf)
        return -1;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int r = poll(&pfd, 1, WSC_TIMEOUT_MS);
    if (r <= 0)
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
    if (n < 0)
        return -1;
    if (n == 0)
        return 0;
    c->have += (size_t)n;
    return 1;
}

static int need(wsc *c, size_t n)
{
    while (c->have < n) {
        int r = fill(c);
        if (r <= 0)
            return -1;
    }
    return 0;
}

static void consume(wsc *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->have - n);
    c->have -= n;
}

static long find_blank_line(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (!memcmp(b + i, "\r\n\r\n", 4))
            return (long)i;
    return -1;
}

/* Read the response head into headers; returns the status, or -1. */
static int read_head(wsc *c, char *headers, size_t cap)
{
    for (;;) {
        long end = find_blank_line(c->buf, c->have);
        if (end >= 0) {
            size_t n = (size_t)end + 4;
            size_t k = n < cap ? n : cap - 1;
            memcpy(headers, c->buf, k);
            headers[k] = 0;
            consume(c, n);
            int status = 0;
            if (sscanf(headers, "HTTP/1.%*d %d", &status) != 1)
                return -1;
            return status;
        }
        if (fill(c) <= 0)
            return -1;
    }
}

bool wsc_has_header(const char *headers, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = headers; (p = strstr(p, "\r\n")); p += 2)
        if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':')
            return true;
    return false;
}

static long content_length(const char *headers)
{
    for (const char *p = headers; (p = strstr(p, "\r\n")); p += 2)
        if (!strncasecmp(p + 2, "content-length:", 15))
            return strtol(p + 17, NULL, 10);
    return -1;
}

/* "Host: 127.0.0.1:port\r\n" unless the caller's headers bring their own. */
static void host_line(char *buf, size_t cap, uint16_t port, const char *extra)
{
    if (extra && (!strncasecmp(extra, "Host:", 5) || strstr(extra, "\nHost:")))
        buf[0] = 0;
    else
        snprintf(buf, cap, "Host: 127.0.0.1:%u\r\n", (unsigned)port);
}

int wsc_http_get(uint16_t port, const char *target, const char *extra_headers, wsc_http *out)
{
    wsc c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.fd = wsc_dial(port);
    if (c.fd < 0)
        return -1;
    char req[2048], host[64];
    host_line(host, sizeof host, port, extra_headers);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n", target, host,
             extra_headers ? extra_headers : "");
    int rc = -1;
    if (send_all(c.fd, req, strlen(req)) == 0 && (out->status = read_head(&c, out->headers, sizeof out->headers)) > 0) {
        long len = content_length(out->headers);
        if (len >= 0 && (size_t)len < sizeof out->body && need(&c, (size_t)len) == 0) {
            memcpy(out->body, c.buf, (size_t)len);
            out->body[len] = 0;
            out->body_len = (size_t)len;
            rc = 0;
        }
    }
    close(c.fd);
    return rc;
}

int wsc_http_get_all(uint16_t port, const char *target, const char *extra_headers, int *status, char *headers,
                     size_t headers_cap, uint8_t **body, size_t *len)
{
    static wsc c; /* 64 KiB of buffer: not on the stack */
    memset(&c, 0, sizeof c);
    c.fd = wsc_dial(port);
    if (c.fd < 0)
        return -1;
    char req[2048], host[64];
    host_line(host, sizeof host, port, extra_headers);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n", target, host,
             extra_headers ? extra_headers : "");
    int rc = -1;
    size_t n = 0, cap = 65536;
    uint8_t *b = malloc(cap + 1);
    if (b && send_all(c.fd, req, strlen(req)) == 0 && (*status = read_head(&c, headers, headers_cap)) > 0) {
        long want = content_length(headers);
        for (;;) {
            if (c.have) {
                if (n + c.have > cap) {
                    while (n + c.have > cap)
                        cap *= 2;
                    uint8_t *nb = realloc(b, cap + 1);
                    if (!nb)
                        break;
                    b = nb;
                }
                memcpy(b + n, c.buf, c.have);
                n += c.have;
                c.have = 0;
            }
            if (want >= 0 && n >= (size_t)want) {
                rc = n == (size_t)want ? 0 : -1;
                break;
            }
            int r = fill(&c);
            if (r == 0) {
                rc = want < 0 ? 0 : -1;
                break;
            }
            if (r < 0)
                break;
        }
    }
    close(c.fd);
    if (rc == 0) {
        b[n] = 0;
        *body = b;
        *len = n;
    } else {
        free(b);
    }
    return rc;
}

int wsc_http_open(uint16_t port, const char *target, const char *extra_headers, int *status, char *headers,
                  size_t headers_cap)
{
    static wsc c;
    memset(&c, 0, sizeof c);
    c.fd = wsc_dial(port);
    if (c.fd < 0)
        return -1;
    char req[2048], host[64];
    host_line(host, sizeof host, port, extra_headers);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n", target, host,
             extra_headers ? extra_headers : "");
    if (send_all(c.fd, req, strlen(req)) == 0 && (*status = read_head(&c, headers, headers_cap)) > 0)
        return c.fd;
    close(c.fd);
    return -1;
}

int wsc_connect(wsc *c, uint16_t port, const char *target, const char *extra_headers)
{
    memset(c, 0, sizeof *c);
    c->fd = wsc_dial(port);
    if (c->fd < 0)
        return -1;
    char req[2048], host[64];
    host_line(host, sizeof host, port, extra_headers);
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\n%sUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
             target, host, extra_headers ? extra_headers : "");
    if (send_all(c->fd, req, strlen(req)) == 0)
        c->status = read_head(c, c->headers, sizeof c->headers);
    if (c->status == 101)
        return 0;
    close(c->fd);
    c->fd = -1;
    return -1;
}

int wsc_send(wsc *c, const uint8_t *data, size_t len, size_t frame_max)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t off = 0;
    do {
        size_t n = len - off;
        if (frame_max && n > frame_max)
            n = frame_max;
        bool fin = off + n == len;
        uint8_t hdr[14];
        size_t h = 0;
        hdr[h++] = (uint8_t)((fin ? 0x80 : 0) | (off == 0 ? 0x2 : 0x0));
        if (n < 126) {
            hdr[h++] = (uint8_t)(0x80 | n);
        } else if (n < 65536) {
            hdr[h++] = 0x80 | 126;
            hdr[h++] = (uint8_t)(n >> 8);
            hdr[h++] = (uint8_t)n;
        } else {
            hdr[h++] = 0x80 | 127;
            for (int i = 7; i >= 0; i--)
                hdr[h++] = (uint8_t)((uint64_t)n >> (8 * i));
        }
        memcpy(hdr + h, mask, 4);
        h += 4;
        uint8_t *frame = malloc(h + n + 1);
        if (!frame)
            return -1;
        memcpy(frame, hdr, h);
        for (size_t i = 0; i < n; i++)
            frame[h + i] = data[off + i] ^ mask[i % 4];
        int r = send_all(c->fd, frame, h + n);
        free(frame);
        if (r)
            return -1;
        off += n;
    } while (off < len);
    return 0;
}

int wsc_recv(wsc *c, uint8_t **msg, size_t *len, int *frames, int *close_code, char *reason, size_t reason_cap)
{
    uint8_t *acc = NULL;
    size_t acc_len = 0;
    int nframes = 0;
    for (;;) {
        if (need(c, 2))
            goto fail;
        uint8_t b0 = c->buf[0], b1 = c->buf[1];
        size_t h = 2;
        uint64_t n = b1 & 0x7f;
        if (n == 126) {
            if (need(c, 4))
                goto fail;
            n = ((uint64_t)c->buf[2] << 8) | c->buf[3];
            h = 4;
        } else if (n == 127) {
            if (need(c, 10))
                goto fail;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = (n << 8) | c->buf[2 + i];
            h = 10;
        }
        if (b1 & 0x80 || n > sizeof c->buf - h)
            goto fail; /* servers never mask; and our buffer bounds a frame */
        if (need(c, h + (size_t)n))
            goto fail;
        int opcode = b0 & 0x0f;
        const uint8_t *payload = c->buf + h;
        if (opcode == 0x8) {
            int code = n >= 2 ? (payload[0] << 8) | payload[1] : 0;
            if (close_code)
                *close_code = code;
            if (reason && reason_cap) {
                size_t r = n > 2 ? (size_t)n - 2 : 0;
                if (r >= reason_cap)
                    r = reason_cap - 1;
                memcpy(reason, payload + 2, r);
                reason[r] = 0;
            }
            consume(c, h + (size_t)n);
            free(acc);
            return 0;
        }
        if (opcode == 0x9 || opcode == 0xa) { /* ping/pong: not part of a message */
            consume(c, h + (size_t)n);
            continue;
        }
        uint8_t *grown = realloc(acc, acc_len + (size_t)n + 1);
        if (!grown)
            goto fail;
        acc = grown;
        memcpy(acc + acc_len, payload, (size_t)n);
        acc_len += (size_t)n;
        nframes++;
        consume(c, h + (size_t)n);
        if (b0 & 0x80)
            break;
    }
    *msg = acc;
    *len = acc_len;
    if (frames)
        *frames = nframes;
    return 1;
fail:
    free(acc);
    return -1;
}

bool wsc_wait_closed(wsc *c)
{
    for (;;) {
        uint8_t *m = NULL;
        size_t len;
        int code = 0;
        int r = wsc_recv(c, &m, &len, NULL, &code, NULL, 0);
        free(m);
        if (r == 0)
            return true;
        if (r < 0) {
            /* end of stream counts; a timeout does not */
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            char b;
            return poll(&pfd, 1, 0) == 1 && recv(c->fd, &b, 1, MSG_PEEK) == 0;
        }
    }
}

void wsc_close(wsc *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

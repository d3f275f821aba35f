/*
 * A tiny blocking HTTP/WebSocket client for the endpoint's smoke tests:
 * plain POSIX sockets, every wait bounded by a generous timeout (only to
 * fail instead of hanging; no test depends on timing).
 */
#ifndef PSC_TEST_WS_CLIENT_H
#define PSC_TEST_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSC_TIMEOUT_MS 10000

typedef struct wsc {
    int fd;
    int status;               /* HTTP status of the handshake */
    char headers[4096];       /* response headers of the handshake */
    uint8_t buf[65536];       /* bytes read but not consumed */
    size_t have;
} wsc;

typedef struct wsc_http {
    int status;
    char headers[4096];
    char body[16384];
    size_t body_len;
} wsc_http;

/* Connections of this thread come from addr (an IPv4 loopback address:
 * the endpoint counts wrong tokens per address); NULL: the system's choice. */
void wsc_set_source(const char *addr);

/* A TCP connection to 127.0.0.1:port (TCP_NODELAY), or -1. */
int wsc_dial(uint16_t port);

/* GET path (with any query) with extra header lines ("Name: v\r\n..."; may be NULL). 0 on success. */
int wsc_http_get(uint16_t port, const char *target, const char *extra_headers, wsc_http *out);

/*
 * GET a body of any size: to its Content-Length, or to the end of the
 * stream when it has none. *body is malloc'd (NUL-terminated, not
 * counted in *len). 0 on success.
 */
int wsc_http_get_all(uint16_t port, const char *target, const char *extra_headers, int *status, char *headers,
                     size_t headers_cap, uint8_t **body, size_t *len);

/*
 * Send a GET and read only the response head (into headers): the body is
 * left unread, for a client that stalls. Returns the socket (close it), or
 * -1; *status is the response's.
 */
int wsc_http_open(uint16_t port, const char *target, const char *extra_headers, int *status, char *headers,
                  size_t headers_cap);

/* Open a WebSocket. 0 when upgraded (status 101); else -1 with c->status set if a response came. */
int wsc_connect(wsc *c, uint16_t port, const char *target, const char *extra_headers);

/* Send one message as one or more masked frames of at most frame_max bytes (0: one frame). */
int wsc_send(wsc *c, const uint8_t *data, size_t len, size_t frame_max);

/*
 * Receive one whole message (fragments reassembled) into *msg (malloc'd).
 * Returns 1 with a message, 0 when a close frame arrived (code and reason
 * filled), -1 on error, end of stream or timeout. *frames: frames it took.
 */
int wsc_recv(wsc *c, uint8_t **msg, size_t *len, int *frames, int *close_code, char *reason, size_t reason_cap);

/* True if the peer closed the TCP stream (or a close frame came) within the timeout. */
bool wsc_wait_closed(wsc *c);

void wsc_close(wsc *c);

/* Case-insensitive search for a header line's presence. */
bool wsc_has_header(const char *headers, const char *name);

#endif

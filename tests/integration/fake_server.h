/*
 * A scripted WebSocket server for the client tests: it answers the upgrade
 * (or refuses it with an HTTP status), sends a fixed list of messages
 * (fragmented, text, corrupt: whatever the test needs), optionally closes
 * with a code, and records what the client sent. It runs libwebsockets on
 * its own thread; everything here is callable from the test's thread.
 */
#ifndef PSC_TEST_FAKE_SERVER_H
#define PSC_TEST_FAKE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fake_msg {
    const uint8_t *data;
    size_t len;
    bool text;   /* send as a text message */
    size_t frag; /* fragment size; 0: one frame */
} fake_msg;

typedef struct fake_server_opts {
    int reject_status;          /* 0: accept; else refuse the upgrade with this HTTP status */
    const fake_msg *script;     /* sent in order once the connection is up */
    size_t n_script;
    bool wait_for_command;      /* hold the script until the first client message */
    int close_code;             /* after the script: close with this code (0: stay open) */
    const char *close_reason;
    bool drop_after_script;     /* after the script: drop the TCP connection, no close frame */
    const char *tls_cert;       /* PEM paths: serve wss */
    const char *tls_key;
} fake_server_opts;

typedef struct fake_server fake_server;

/* NULL on failure. The data of the script must outlive the server. */
fake_server *fake_server_start(const fake_server_opts *o);
void fake_server_stop(fake_server *fs);
uint16_t fake_server_port(const fake_server *fs);

/* What the server saw (copies taken under its lock). */
typedef struct fake_seen {
    int connections;            /* upgrades accepted or refused */
    int established;
    int closed;
    char path[256];             /* request URI of the last connection, query included */
    char authorization[256];    /* "" when absent */
    char origin[256];
    char protocol[64];          /* Sec-WebSocket-Protocol offered */
    size_t n_msgs;              /* client messages received */
} fake_seen;

void fake_server_seen(fake_server *fs, fake_seen *out);

/* Copy of the i-th message received (NULL past the end); free() it. */
uint8_t *fake_server_msg(fake_server *fs, size_t i, size_t *len);

#endif

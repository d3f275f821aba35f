/*
 * An in-process test host: an introspector with a swarm provider, the real
 * WebSocket endpoint on an ephemeral port, and a host thread that emits
 * events on request. Shared by the integration tests and the host program
 * the Node.js test drives.
 */
#ifndef PSC_TEST_HOST_H
#define PSC_TEST_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/peerscope.h"

typedef struct test_host_opts {
    const char *token;
    const char *const *origins;
    size_t n_origins;
    size_t max_message_size;            /* endpoint's inbound limit; 0: its default */
    const psc_endpoint_options *ep_opts;
    size_t n_conns;                     /* connections the swarm provider reports */
    size_t event_ring;                  /* ring capacity; 0: the default */
    size_t max_event_size;              /* 0: the default */
    const char *tls_cert, *tls_key;
    const psc_clock *clock;             /* the introspector's clocks; NULL: the system's */
    uint32_t collect_timeout_ms;        /* provider deadline; 0: the library's */
    size_t max_memory_bytes;            /* the library's memory cap; 0: none */
    bool hang_provider;                 /* also a custom provider "hangs" that host_hang can block */
} test_host_opts;

typedef struct test_host {
    psc_introspector *intro;
    psc_endpoint *ep;
    uint16_t port;
    char url[128];                      /* ws://127.0.0.1:PORT/introspect */
    const psc_event_type *ping;         /* "TestPing" {seq: NUMBER, pad: STRING} */
    const psc_event_type *peer;         /* the well-known PeerConnected */
    size_t n_conns;
    uint64_t collects;                  /* atomic: provider calls */

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t requested;                 /* events asked for, under mu */
    uint64_t emitted;                   /* events emitted, under mu */
    size_t pad;                         /* length of the pad string of the next ones */
    uint64_t emit_errors;
    bool quit;
    bool hang;                          /* under mu: the "hangs" provider's collect blocks */
    uint64_t hang_collects;             /* under mu: its collects begun */
} test_host;

/* Start everything; 0 on success. */
int host_start(test_host *h, const test_host_opts *o);
/* Ask the host thread to emit n more events (every fifth is a PeerConnected,
 * the rest TestPing with a pad of pad bytes). Returns at once. */
void host_emit(test_host *h, size_t n, size_t pad);
/* Wait until the host thread emitted everything asked for. */
void host_emit_wait(test_host *h);
/* Make the "hangs" provider's collects block (on) until called with off. */
void host_hang(test_host *h, bool on);
/* Stop the emitter; close and free the endpoint and the introspector. */
void host_stop(test_host *h);

/* host_start on a new heap object (NULL on failure), and its undoing
 * (NULL is a no-op): for test fixtures that must stop the host even when
 * an assertion fails. */
test_host *host_new(const test_host_opts *o);
void host_free(test_host *h);

/* Wait (sleeping in small steps) until the endpoint has n sessions. */
bool host_wait_sessions(test_host *h, size_t n, int timeout_ms);

/* The endpoint's view of its sessions (up to cap). Returns how many. */
size_t host_sessions(test_host *h, psc_session_info *out, size_t cap);

#endif

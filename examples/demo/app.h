/*
 * The demo host assembled: introspector, simulated node on its own
 * thread, providers, events and the WebSocket endpoint. main() parses
 * flags and handles signals around it; tests run it in-process.
 */
#ifndef DEMO_APP_H
#define DEMO_APP_H

#include <pthread.h>
#include <stdio.h>

#include "alerts.h"
#include "events.h"
#include "options.h"
#include "providers.h"

#define DEMO_URL_MAX 800u
/* a --token (at most 512 characters) or a generated one */
#define DEMO_TOKEN_BUF 520u
_Static_assert(DEMO_TOKEN_BUF >= PSC_WS_TOKEN_SIZE, "token buffer too small for a generated token");

typedef struct demo_app {
    demo_options opt;
    psc_introspector *intro;
    sim_node *node;
    demo_host host;
    bool host_ready;
    demo_events events;
    demo_alerts alerts;
    psc_endpoint *ep;

    pthread_t sim_thread;
    bool sim_running;
    pthread_mutex_t ctl_lock;
    pthread_cond_t ctl_cond; /* on CLOCK_MONOTONIC */
    bool ctl_ready;
    bool stop;

    uint16_t port;
    char token[DEMO_TOKEN_BUF];
    bool token_generated;
    char http_url[DEMO_URL_MAX]; /* the visualizer page */
    char ws_url[DEMO_URL_MAX];   /* the WebSocket, with ?token= when one is needed */
    uint64_t start_ms;
} demo_app;

/*
 * Build everything and start serving and simulating. On failure err says
 * what went wrong (e.g. the port is busy), everything is torn down and
 * the error is returned. The caller must block SIGINT/SIGTERM first if it
 * wants to wait for them with sigwait (threads inherit the mask).
 * Calls psc_ws_lws_log (process-wide): one app per process at a time.
 */
psc_err demo_app_start(demo_app *a, const demo_options *o, char *err, size_t errlen);

/* Stop the simulation thread and the endpoint, free everything.
 * Idempotent; from the thread that started it. */
void demo_app_stop(demo_app *a);

/* One status line ("conns 48 streams 211 ...") into f. Any thread, while started. */
void demo_app_status(demo_app *a, FILE *f);

#endif

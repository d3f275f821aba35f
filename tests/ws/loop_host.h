/*
 * A small host that runs its own event loop on its own thread and puts the
 * WebSocket endpoint on it (psc_ws_config.glib_context, ev_loop), for the
 * tests of each loop kind (test_ws_glib.c, test_ws_ev.c). The kind's file
 * supplies the loop itself through loop_kind; the sessions, events and the
 * documented close are the same for every kind and live in loop_host.c.
 */
#ifndef PSC_TEST_WS_LOOP_HOST_H
#define PSC_TEST_WS_LOOP_HOST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/peerscope.h"

typedef struct loop_host loop_host;

/* What differs between loop kinds. All but poke and fini run on the loop thread. */
typedef struct loop_kind {
    const char *name;
    /* Make the loop, the command watcher and the (stopped) tick timer;
     * point wc's loop field at the loop. */
    void (*init)(loop_host *h, psc_ws_config *wc);
    /* Run the loop until it ends. */
    void (*run)(loop_host *h);
    /* Any thread: have loop_host_cmd run on the loop thread. */
    void (*poke)(loop_host *h);
    /* Call loop_host_tick every millisecond from now on / no more. */
    void (*tick_start)(loop_host *h);
    void (*tick_stop)(loop_host *h);
    /* Remove the host's own watchers (the endpoint's remain). */
    void (*drop_own)(loop_host *h);
    /* Right after psc_endpoint_close: make the loop end once
     * psc_ws_loop_done says so (or on its own, when nothing is left). */
    void (*after_close)(loop_host *h);
    /* After run returned, the endpoint was freed and the loop thread was
     * joined (on the test thread): free the loop; 0 when nothing of the
     * endpoint was left on it. */
    int (*fini)(loop_host *h);
} loop_kind;

struct loop_host {
    const loop_kind *kind;
    void *loop;                   /* the kind's loop, and whatever else it needs */
    void *own[4];
    pthread_t thread;
    pthread_t loop_tid;
    psc_introspector *intro;
    psc_endpoint *ep;
    const psc_event_type *loop_ev, *thread_ev;
    uint16_t busy_port;           /* non-zero: start on this (taken) port */

    atomic_bool go, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;
    psc_err start_err;
    uint16_t port;
    /* loop thread only until it is joined */
    bool closed;
    size_t loop_emitted, emit_errors;
    size_t collects, collects_off_loop;
    bool done_before_close;
    bool done_after_run;
    int loop_fini_rc;
};

/* The kind calls these from its watchers on the loop thread. */
void loop_host_cmd(loop_host *h);
void loop_host_tick(loop_host *h);

/* The tests every kind runs, as cmocka tests whose state is the kind. */
void loop_host_test_session_collector_thread(void **state);
void loop_host_test_session_inline_collect(void **state);
void loop_host_test_events_wake_the_loop(void **state);
void loop_host_test_start_close_idle(void **state);
void loop_host_test_start_on_busy_port(void **state);
#define LOOP_HOST_TESTS(kind)                                                                  \
    cmocka_unit_test_prestate(loop_host_test_session_collector_thread, (void *)(kind)),         \
        cmocka_unit_test_prestate(loop_host_test_session_inline_collect, (void *)(kind)),       \
        cmocka_unit_test_prestate(loop_host_test_events_wake_the_loop, (void *)(kind)),         \
        cmocka_unit_test_prestate(loop_host_test_start_close_idle, (void *)(kind)),             \
        cmocka_unit_test_prestate(loop_host_test_start_on_busy_port, (void *)(kind))

#endif

/*
 * A session without a transport or an introspector: states and runtimes
 * come from counters, events from a real event store, the clock is a
 * variable. Shared by the session unit tests.
 */
#ifndef PSC_TEST_SESSION_FIXTURE_H
#define PSC_TEST_SESSION_FIXTURE_H

#include "events/events.h"
#include "session/session.h"
#include "peerscope/peerscope.pb-c.h"
#include "../support/test_support.h"

typedef struct fx {
    psc__alloc a;
    psc__events *ev;
    psc__session *s;
    psc__session_limits lim;
    uint64_t now;
    uint64_t state_seq;     /* seq of the last state handed out */
    uint64_t state_calls;
    bool fail_state;
    uint64_t delta_calls;   /* deltas asked of the environment */
    bool fail_delta;        /* it cannot make them (the session must send full states) */
    const psc_event_type *type_a;
    const psc_event_type *type_b;
} fx;

/* Build the fixture (ring_capacity 0: 4096; lim NULL: defaults). Asserts on failure. */
void fx_init(fx *f, size_t ring_capacity, const psc__session_limits *lim);
/* Same with an explicit allocator; returns errors instead of asserting. */
psc_err fx_init_with(fx *f, const psc__alloc *a, size_t ring_capacity, const psc__session_limits *lim);
/* A second session on the same fixture. */
psc_err fx_session(fx *f, psc__session **out);
void fx_fini(fx *f);

/* Send a command (config NULL: none). Returns psc__session_input's result. */
psc_err fx_cmd(fx *f, psc__session *s, int command, int source, uint64_t id, const Peerscope__Configuration *cfg);
/* Next outbound message decoded (NULL when none); free with fx_free_msg. */
Peerscope__ServerMessage *fx_pull(fx *f, psc__session *s);
void fx_free_msg(Peerscope__ServerMessage *m);
/* Pull one message and check it is a response with id and result. Returns it (caller frees). */
Peerscope__ServerMessage *fx_expect_response(fx *f, psc__session *s, uint64_t id, bool ok);
/* Pull and assert nothing is queued. */
void fx_expect_nothing(fx *f, psc__session *s);
/* HELLO with no config, and check its OK. */
void fx_hello(fx *f, psc__session *s);
/* HELLO asking for delta states (full_every 0: the default), and check its OK. */
void fx_hello_delta(fx *f, psc__session *s, uint32_t full_every);
/* Emit one event of type_a (n is its "n" property). */
void fx_emit_a(fx *f, double n);
void fx_emit_b(fx *f, const char *text);

#define CMD_HELLO PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO
#define CMD_REQUEST PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST
#define CMD_ENABLE PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE
#define CMD_DISABLE PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_DISABLE
#define CMD_PAUSE PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_PAUSE
#define CMD_RESUME PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_RESUME
#define CMD_UPDATE PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG
#define SRC_STATE PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE
#define SRC_RUNTIME PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME
#define SRC_EVENTS PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS

#endif

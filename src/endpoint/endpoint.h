/* The generic endpoint (endpoint.c, endpoint_session.c). */
#ifndef PSC_ENDPOINT_ENDPOINT_H
#define PSC_ENDPOINT_ENDPOINT_H

#include <pthread.h>

#include "events/events.h"
#include "session/session.h"
#include "peerscope/endpoint.h"

/* Distinct bases whose deltas one pass keeps for sharing. */
#define PSC__ENDPOINT_DELTAS 8u

struct psc_endpoint_session {
    psc_endpoint *ep;
    psc__session *core;
    uint64_t id;
    char remote[64];
    uint64_t opened_ms;
    void *user;
    bool exempt;                   /* not counted against max_sessions (the hub link) */
    psc_session_info pub;          /* what other threads see; under ep->lock */
    psc_endpoint_session *prev, *next;
};

struct psc_endpoint {
    psc_introspector *intro;
    psc__alloc alloc;              /* a copy: the endpoint may outlive the introspector */
    psc__alloc reserve_alloc;      /* the memory reserve, for sessions' notices */
    psc_endpoint_vtable vt;        /* a copy, zero-filled past the caller's struct_size */
    void *user;
    void *state;
    psc__session_limits lim;
    size_t max_sessions;

    pthread_mutex_t lock;          /* sessions list, pub info, closing */
    psc_endpoint_session *sessions;
    size_t n_sessions;
    size_t n_exempt;               /* of them, not counted against max_sessions */
    uint64_t next_id;
    bool closing;

    psc__listener *listener;
    psc_msg *state_cache;          /* the snapshot of the current pass */
    uint64_t pass, cache_pass;
    /* deltas to the pass's snapshot, by base: sessions in step share one */
    struct psc__delta_cache {
        psc_msg *base, *cur, *delta; /* delta NULL: none can be made (err says why) */
        psc_err err;
    } deltas[PSC__ENDPOINT_DELTAS];
    size_t n_deltas;

    bool started;
    bool closed;
    bool attached;
    bool intro_gone;               /* psc_introspector_free closed us: do not detach */
};

/* Monotonic ms from the introspector's clock. */
uint64_t psc__endpoint_now_ms(const psc_endpoint *ep);
/* Start a new pass (sessions in one pass share one snapshot) / end it. */
void psc__endpoint_pass_begin(psc_endpoint *ep);
void psc__endpoint_pass_end(psc_endpoint *ep);
/* Copy a session's counters where other threads can read them. */
void psc__endpoint_publish(psc_endpoint_session *s);
/* Tell the transport the session has output or wants to close. */
void psc__endpoint_notify(psc_endpoint_session *s);
/* Whether the session has completed HELLO (service thread). */
bool psc__endpoint_session_hello_done(const psc_endpoint_session *s);
/* psc_endpoint_session_open; exempt: never refused for max_sessions and
 * not counted against it (a link the endpoint dialled itself). */
psc_err psc__endpoint_session_open(psc_endpoint *ep, const char *remote, bool exempt, psc_endpoint_session **out);
/* Sessions counted against max_sessions (thread-safe). */
size_t psc__endpoint_sessions_counted(psc_endpoint *ep);
/* The session environment (state/runtime/reader) for this endpoint. */
void psc__endpoint_env(psc_endpoint *ep, psc__session_env *env);

#endif

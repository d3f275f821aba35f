/*
 * Turns what the simulation reports into peerscope events of the
 * well-known types (PeerConnecting, PeerConnected, InboundDHTQuery, ...),
 * emitted with psc_emit from the simulation thread, as a host would emit
 * them from wherever things happen.
 */
#ifndef DEMO_EVENTS_H
#define DEMO_EVENTS_H

#include "sim.h"

typedef enum demo_event_type {
    DEMO_T_CONNECTING,
    DEMO_T_CONNECTED,
    DEMO_T_DISCONNECTING,
    DEMO_T_DISCONNECTED,
    DEMO_T_IN_QUERY,
    DEMO_T_OUT_QUERY,
    DEMO_T_IDENTITY,
    DEMO_T_FIRST_PEER,
    DEMO_T_SYNC_STARTED,
    DEMO_T_SYNC_COMPLETED,
    DEMO_T_NEW_BLOCK,
    DEMO_T_MESSAGE,
    DEMO_T_COUNT
} demo_event_type;

typedef struct demo_events {
    psc_introspector *intro;
    const psc_event_type *types[DEMO_T_COUNT];
    uint64_t emitted;  /* accepted by psc_emit */
    uint64_t failed;   /* refused by psc_emit (e.g. too big) */
} demo_events;

/* Declare the well-known event types on intro. */
psc_err demo_events_init(demo_events *e, psc_introspector *intro);

/* A sim_config.on_event callback; user is a demo_events. */
void demo_events_on_sim(void *user, const sim_node *n, const sim_event *ev);

#endif

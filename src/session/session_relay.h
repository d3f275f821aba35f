/*
 * Sessions of an endpoint that serves a live replay (session_relay.c):
 * the psc__session_replay_* calls of session.h turn to these when the
 * replay is live (psc__replay_live(env.replay) set).
 */
#ifndef PSC_SESSION_SESSION_RELAY_H
#define PSC_SESSION_SESSION_RELAY_H

#include "session/session.h"

struct psc__relay;

/* The live relay s serves, or NULL (no replay, or a recording). */
struct psc__relay *psc__session_relay(const psc__session *s);

/*
 * PUSH_ENABLE EVENTS with ClientCommand.resume_events, after the enable:
 * begin with the held events whose seq is above after_seq, those past it
 * no longer held counted for a DISCARDING_EVENTS notice first. A no-op
 * unless s serves a live replay and pushes events.
 */
void psc__session_replay_resume(psc__session *s, uint64_t after_seq);

/* session_replay.c: the bit per event type (rp.seen) of "its metadata went to this client". */
bool psc__session_replay_seen_get(const psc__session *s, size_t idx);
void psc__session_replay_seen_set(psc__session *s, size_t idx);

void psc__session_relay_enable(psc__session *s, bool events);
void psc__session_relay_drain(psc__session *s, uint64_t now_ms, size_t budget, bool *more);
psc_err psc__session_relay_state(psc__session *s, psc_msg **out);
psc_err psc__session_relay_state_at(psc__session *s, uint64_t id, uint64_t at_ts, psc_msg **out);

#endif

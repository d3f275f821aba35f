/*
 * The live feed of a live psc_replay (psc_replay_options.live; relay.c):
 * the newest Runtime, the last keep_states states (whole: deltas are
 * applied on add) and the last keep_events events of one upstream node,
 * added by one producer thread while the endpoints' threads read them.
 *
 * Positions are absolute: every state and every event added gets the next
 * number of its kind (from 1 for states, 0 for events) for the relay's
 * whole life, across runs, so a session's cursor survives anything the
 * producer does: what fell out of the window is simply below its start.
 *
 * Every function takes the relay's lock for a short copy or a reference
 * count: nothing is encoded or sent under it, except the one re-encoding
 * that grafts a type's metadata on an event (once per type per session).
 */
#ifndef PSC_WIRE_RELAY_H
#define PSC_WIRE_RELAY_H

#include "util/alloc.h"
#include "peerscope/message.h"
#include "peerscope/pb.h"

typedef struct psc__relay psc__relay;
struct psc__replay_source;

/* keep_states, keep_events: 0 for the defaults (30, 10,000). */
psc_err psc__relay_new(const psc__alloc *a, size_t keep_states, size_t keep_events, psc__relay **out);
void psc__relay_free(psc__relay *rl);
/* Called (without the lock) after each add and new run, once set: wakes the endpoints. Set before serving. */
void psc__relay_set_wake(psc__relay *rl, void (*fn)(void *user), void *user);

/* As psc__timeline_add (states, events, runtimes; responses and notices skipped), into the window. */
psc_err psc__relay_add(psc__relay *rl, const uint8_t *payload, size_t len, uint64_t ts, char *why, size_t why_len);
/* Whether an event of the type called name that carried its metadata was added. */
bool psc__relay_type_has_meta(psc__relay *rl, const char *name);
/* A new run upstream: the window empties (positions go on counting). */
void psc__relay_new_run(psc__relay *rl);

/* The newest Runtime (with the "at_ts" capability), or an empty one before any. New reference. */
psc_err psc__relay_runtime(psc__relay *rl, psc_msg **out);
/* The newest state and its position (a new reference); PSC_ERR_NOT_FOUND before any state of this run. */
psc_err psc__relay_state(psc__relay *rl, psc_msg **out, uint64_t *pos);
/*
 * The held state as it was at ts: the last one stamped at or before it (a
 * new reference). PSC_ERR_NOT_FOUND with no state held; PSC_ERR_INVALID
 * when ts is outside [oldest, newest] held state time (both set then).
 */
psc_err psc__relay_state_at(psc__relay *rl, uint64_t ts, psc_msg **out, uint64_t *oldest, uint64_t *newest);

/* The events held: positions [*first, *end); *run counts new runs, *run_first is where the current run began. */
typedef struct psc__relay_window {
    uint64_t first, end, run, run_first;
} psc__relay_window;
void psc__relay_events(psc__relay *rl, psc__relay_window *w);
/*
 * The event at position pos (a new reference) and its type's index in the
 * relay (*type). need_meta(user, type), called under the lock, says
 * whether it must carry its type's property metadata (it then does when
 * an event of the type carried it, and *meta is set). PSC_ERR_NOT_FOUND
 * when pos is not held (any more, or not yet); PSC_ERR_NOMEM.
 */
psc_err psc__relay_event(psc__relay *rl, uint64_t pos, bool (*need_meta)(void *user, uint32_t type), void *user,
                         psc_msg **out, uint32_t *type, bool *meta);
/*
 * Where a session resuming after after_seq starts (ClientCommand.resume_events):
 * the first held event of this run whose seq is above after_seq (the
 * oldest held when after_seq is past the newest seq: another run),
 * and in *lost how many past after_seq are no longer held.
 */
uint64_t psc__relay_resume_at(psc__relay *rl, uint64_t after_seq, uint64_t *lost);

/* Counts and bytes (psc_replay_live_info). */
typedef struct psc__relay_counts {
    uint64_t states_held, events_held, bytes_held;
    uint64_t states_added, deltas, events_added, runtimes, skipped, runs;
    uint64_t first_seq, last_seq; /* of the events held (0: none) */
    uint64_t start_ts, end_ts;    /* of the states and events held */
    size_t event_types;
} psc__relay_counts;
void psc__relay_counts_get(psc__relay *rl, psc__relay_counts *out);

/* replay.c: the live relay a served replay reads, or NULL for a recording. */
psc__relay *psc__replay_live(const struct psc__replay_source *rs);
/*
 * replay.c: the Runtime a replay serves, made from rec (a ServerMessage
 * with a Runtime; NULL: an empty one) with the "at_ts" capability and,
 * when info is not NULL, Runtime.recording = *info. *out is new.
 */
psc_err psc__replay_runtime_msg(const psc__alloc *a, const psc_msg *rec, const Peerscope__Recording *info,
                                psc_msg **out);
/* replay.c: what REQUEST RUNTIME answers on an endpoint that serves rs. New reference. */
psc_err psc__replay_runtime(const struct psc__replay_source *rs, psc_msg **out);

#endif

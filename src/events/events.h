/*
 * The event store inside an introspector: declared types, the lock-free
 * ring, readers, and the listeners that endpoints use to wake up.
 */
#ifndef PSC_EVENTS_EVENTS_H
#define PSC_EVENTS_EVENTS_H

#include "util/alloc.h"
#include "util/clock.h"
#include "peerscope/event.h"
#include "peerscope/message.h"

typedef struct psc__events psc__events;

/* capacity: events (0: 4096, rounded up to a power of two);
 * max_event_size: JSON bytes per event (0: 1024). *a and *clock are copied.
 * The public functions of event.h take an introspector and reach the
 * store through psc__intro_events(); the psc__events_* forms below take
 * the store itself so the module is testable without an introspector. */
psc_err psc__events_new(const psc__alloc *a, const psc__clock *clock, size_t capacity,
                        size_t max_event_size, psc__events **out);
psc_err psc__events_declare(psc__events *ev, const psc_event_def *def, const psc_event_type **out);
psc_err psc__events_emit(psc__events *ev, const psc_event_type *type, uint64_t ts_ms,
                         const psc_value *values, size_t n_values);
/* psc__events_emit with ts_ms from the store's wall clock (psc_emit). */
psc_err psc__events_emit_now(psc__events *ev, const psc_event_type *type, const psc_value *values, size_t n_values);
/* Sequence numbers handed out so far (psc_events_emitted). Thread-safe. */
uint64_t psc__events_emitted(const psc__events *ev);
psc_err psc__events_reader_new(psc__events *ev, bool from_oldest, psc_event_reader **out);
/*
 * A reader that starts at the first held event whose seq is greater than
 * after_seq (0: the oldest held), for clients resuming where they left
 * off. An after_seq equal to the newest seq handed out starts live; one
 * past it (the client saw another run) counts as 0. *not_held: events past after_seq that the
 * ring no longer holds (the caller reports them; the reader does not).
 * Thread-safe with emits, like psc__events_reader_new.
 */
psc_err psc__events_reader_after(psc__events *ev, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out);
psc_err psc__events_lookup(psc__events *ev, const char *name, const psc_event_type **out);
psc_err psc__events_declare_well_known(psc__events *ev);
/* Events that got a sequence number but were dropped at emit (slot busy). */
uint64_t psc__events_dropped(const psc__events *ev);
/*
 * Consumers that lose events (a session whose client reads too slowly, its
 * queue full, or its reader lapped by the ring) report them here, so the
 * analyzer's events_dropped rule sees every session's losses. NULL r is a
 * no-op. Thread-safe (one relaxed add).
 */
void psc__event_reader_note_lost(psc_event_reader *r, uint64_t n);
/* Their sum since the store was made. Thread-safe. */
uint64_t psc__events_consumer_lost(const psc__events *ev);
/* Bytes one reader of this store allocates (a slot's content and the JSON made from it). */
size_t psc__events_reader_bytes(const psc__events *ev);
/* Every event this reader has missed since it was opened. */
uint64_t psc__event_reader_missed_total(const psc_event_reader *r);
/* No reader or listener may be left. */
void psc__events_free(psc__events *ev);

/* Declared types, in declaration order. Pointers are stable for the
 * store's lifetime; count only grows. Thread-safe, lock-free reads. */
size_t psc__events_type_count(const psc__events *ev);
const psc_event_type *psc__events_type_at(const psc__events *ev, size_t i);
/* Events of type t given a sequence number so far (those dropped at emit
 * included; the sum over types is psc__events_emitted). Thread-safe. */
uint64_t psc__event_type_emitted(const psc_event_type *t);
/* Dense index of a type (0..count-1), for per-session bitmaps. */
size_t psc__event_type_index(const psc_event_type *t);

/*
 * Wake-up for consumers. emit calls fn(user) after publishing an event,
 * but only if the listener is armed, and disarms it (so at most one call
 * per drain). A consumer re-arms before it drains the ring to avoid a lost
 * wake-up. fn must be cheap and thread-safe (e.g. lws_cancel_service).
 * At most 16 listeners. Thread-safe.
 */
typedef struct psc__listener psc__listener;
psc_err psc__events_listen(psc__events *ev, void (*fn)(void *user), void *user, psc__listener **out);
void psc__listener_arm(psc__listener *l);
/* Call the armed listeners as an emit does: the ring after publishing or
 * dropping, and a replay's live feed when it adds what its sessions play.
 * Thread-safe. */
void psc__events_notify(psc__events *ev);
/* Waits until no emit is inside fn for this listener. */
void psc__events_unlisten(psc__events *ev, psc__listener *l);

/*
 * Encode ServerMessage{event} for a record. with_metadata: EventType
 * carries property_types (first event of the type for a session); else only
 * the name. On success *out is a new sealed message (kind PSC_MSG_EVENT).
 */
psc_err psc__event_msg(const psc__alloc *a, const psc_event_record *rec, bool with_metadata, psc_msg **out);

/*
 * The same event as plain (made by psc__event_msg of an event of type),
 * now with its type's metadata: the Event fields after the type are
 * copied as they are, nothing is decoded. On success *out is a new sealed
 * message; plain is only read. PSC_ERR_INVALID for any other message.
 */
psc_err psc__event_msg_with_meta(const psc__alloc *a, const psc_event_type *type, const psc_msg *plain, psc_msg **out);

/*
 * Encoded size of one EventType message body and writer, shared by the
 * Runtime encoder (which lists every type with metadata).
 */
size_t psc__event_type_pb_size(const psc_event_type *t, bool with_metadata);
uint8_t *psc__event_type_pb_write(uint8_t *p, const psc_event_type *t, bool with_metadata);

#endif

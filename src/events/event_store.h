/*
 * Private layout of the event store, shared by the files of src/events only.
 * Other modules use events/events.h.
 */
#ifndef PSC_EVENTS_EVENT_STORE_H
#define PSC_EVENTS_EVENT_STORE_H

#include <pthread.h>
#include <stdatomic.h>

#include "events/events.h"
#include "util/json.h"

/* Limits. */
#define PSC__EVENTS_MAX_TYPES 65535u
#define PSC__EVENTS_DEFAULT_CAPACITY 4096u
/* Past this the ring would take gigabytes; a host asking for it made a mistake. */
#define PSC__EVENTS_MAX_CAPACITY (1u << 20)
#define PSC__EVENTS_DEFAULT_MAX_SIZE 1024u
/* Bounds the stack buffer emit formats into. */
#define PSC__EVENTS_MAX_SIZE_LIMIT 65536u
#define PSC__EVENTS_MAX_LISTENERS 16u

/* The types table is two-level so that entries never move and lock-free
 * readers need no pointer to a growing array. 256 * 256 >= 65535. */
#define PSC__TYPE_CHUNK_BITS 8u
#define PSC__TYPE_CHUNK (1u << PSC__TYPE_CHUNK_BITS)
#define PSC__TYPE_CHUNKS 256u

/* Where the JSON key fragment `,"name":` of a property lives in the type's block. */
typedef struct psc__prop_key {
    const char *text;
    size_t len;
} psc__prop_key;

struct psc_event_type {
    psc__events *owner;
    uint32_t index;
    size_t name_len;
    const char *name;
    size_t n_props;
    psc_prop_def *props;      /* names point into the same block */
    psc__prop_key *keys;      /* precomputed so emit only copies */
    size_t pb_size_meta;      /* EventType body sizes, cached */
    size_t pb_size_bare;
    /* events of this type given a sequence number (psc__event_type_emitted):
     * one relaxed add per emit, next to the ring's own. Padded so that
     * threads emitting this type do not also take the line holding what
     * every emit reads (n_props, props, keys) from each other. */
    char pad_emitted0[64];
    _Atomic uint64_t emitted;
    char pad_emitted1[64];
    /* followed by the arrays and strings, in one allocation */
};

struct psc__listener {
    void (*fn)(void *user);
    void *user;
    atomic_bool armed;
    atomic_uint in_call;     /* emits currently between their check and return */
};

struct psc__events {
    psc__alloc alloc;
    psc__clock clock;
    size_t capacity;          /* power of two */
    uint64_t mask;
    size_t max_event_size;    /* content bytes, NUL excluded */
    size_t slot_words;        /* stride of a slot, a multiple of a cache line */
    _Atomic uint64_t *slots;  /* aligned view into slots_block */
    void *slots_block;

    char pad0[64];
    _Atomic uint64_t head;    /* next ticket; also the count of emitted events */
    char pad1[64];
    _Atomic uint64_t dropped; /* tickets taken whose event never reached the ring */
    char pad2[64];
    _Atomic uint64_t consumer_lost; /* events consumers (sessions) lost, as they report them */

    /* Types: written under lock, read lock-free below type_count. */
    atomic_size_t type_count;
    psc_event_type **chunks[PSC__TYPE_CHUNKS];
    uint32_t *name_index;     /* open addressing, holds index + 1; under lock */
    size_t name_index_cap;

    /* Listeners: bit i of active says listeners[i] may be called; used says
     * the slot is taken (kept until unlisten has waited out every call). */
    atomic_uint listen_active;
    unsigned listen_used;     /* under lock */
    struct psc__listener listeners[PSC__EVENTS_MAX_LISTENERS];

    pthread_mutex_t lock;     /* declarations and listener registration */
};

struct psc_event_reader {
    psc__events *ev;
    uint64_t next;            /* ticket of the next event to read */
    uint64_t missed_pending;  /* not yet reported through *missed */
    uint64_t missed_total;
    uint64_t *buf;            /* a slot's content and a NUL, word-aligned */
    char *json;               /* content formatted from packed values: max_event_size + 1 */
};

/*
 * Slot layout, in 64-bit words, all accessed atomically:
 *   [0] state: 0 empty; 2t+1 ticket t being written; 2t+2 ticket t published
 *   [1] drop mark: highest (ticket + 1) whose producer found this slot busy
 *   [2] ts
 *   [3] type index << 32 | kind << 24 | content length
 *   [4..] content: packed values (PSC__SLOT_PACKED) or the JSON (PSC__SLOT_JSON)
 */
enum {
    PSC__SLOT_STATE = 0,
    PSC__SLOT_DROP = 1,
    PSC__SLOT_TS = 2,
    PSC__SLOT_META = 3,
    PSC__SLOT_HEADER_WORDS = 4,
};

/* What a slot's content is. */
enum {
    PSC__SLOT_JSON = 0,   /* the JSON text, made at emit (values emit could not pack) */
    PSC__SLOT_PACKED = 1, /* the typed values; each reader formats the JSON */
};
#define PSC__SLOT_LEN_MASK 0xffffffu

/* Content bytes a slot holds: max_event_size in whole words. */
static inline size_t psc__slot_content_cap(const psc__events *ev)
{
    return (ev->max_event_size + 7) & ~(size_t)7;
}

static inline _Atomic uint64_t *psc__slot(const psc__events *ev, uint64_t ticket)
{
    return ev->slots + (size_t)(ticket & ev->mask) * ev->slot_words;
}

/* ---- json formatting (event_json.c) ---- */

/*
 * Format the JSON object for values into buf[0..cap). On success *len is
 * the content length (no NUL written). PSC_ERR_TOO_BIG when it does not fit,
 * PSC_ERR_INVALID for a bad value. Allocation-free, thread-safe.
 */
psc_err psc__event_format(const psc_event_type *t, const psc_value *values, size_t n_values, char *buf,
                          size_t cap, size_t *len);

/*
 * The same JSON from values packed by psc__event_pack (src[0..n)), as
 * psc__event_format makes it from the values themselves. PSC_ERR_INVALID
 * when src is not such a packing for t; PSC_ERR_TOO_BIG when it does not
 * fit. Allocation-free, thread-safe.
 */
psc_err psc__event_format_packed(const psc_event_type *t, const uint8_t *src, size_t n, char *buf, size_t cap,
                                 size_t *len);

/* ---- packed values (event_pack.c) ---- */

/*
 * The typed values of an event as a slot stores them, per declared
 * property in order: a tag byte, PSC__PACK_ABSENT or PSC__PACK_PRESENT;
 * then, present: a single NUMBER or TIME as 8 bytes (the double or the
 * uint64_t, host order), a single string-like value (STRING, PEERID,
 * MULTIADDR, JSON) as a string item, a multiple value as a uint32_t count
 * and count of those. A string item is a uint32_t length (PSC__PACK_NULL
 * for a NULL pointer) and then the bytes. Nothing is aligned.
 */
enum { PSC__PACK_ABSENT = 0, PSC__PACK_PRESENT = 1 };
#define PSC__PACK_NULL UINT32_MAX

/*
 * Pack values for t into buf[0..cap); *len the bytes used. true only when
 * the values are ones psc__event_format accepts and their JSON surely fits
 * in max_json bytes; false otherwise (nothing to report: emit then formats
 * the JSON, which gives the exact answer). Reads strings bounded by
 * max_json + 1 bytes. Allocation-free, thread-safe.
 */
bool psc__event_pack(const psc_event_type *t, const psc_value *values, size_t n_values, uint8_t *buf, size_t cap,
                     size_t max_json, size_t *len);

/* Length of s[0..n) escaped as JSON string contents (without quotes). */
size_t psc__json_escaped_len(const char *s, size_t n);
/* Write the escaped form; out must hold psc__json_escaped_len bytes. */
char *psc__json_escape(char *out, const char *s, size_t n);


/* ---- ring (event_ring.c) ---- */

/*
 * A producer's hold on a ring slot. psc__ring_begin takes a ticket and
 * claims its slot; if the slot is busy the event is dropped (counted, drop
 * mark set, listeners woken) and PSC_ERR_AGAIN is returned: the ticket is
 * spent either way. The split exists so tests can hold a slot open.
 */
typedef struct psc__ring_claim {
    psc__events *ev;
    uint64_t ticket;
    _Atomic uint64_t *slot;
} psc__ring_claim;

psc_err psc__ring_begin(psc__events *ev, psc__ring_claim *c);
/* Copy ts, type and content of a kind (PSC__SLOT_*): buf holds len bytes
 * padded with zeros to whole words, len at most psc__slot_content_cap. */
void psc__ring_write(const psc__ring_claim *c, uint64_t ts, uint32_t type_index, unsigned kind, const uint64_t *buf,
                     size_t len);
/* Publish, then wake armed listeners. */
void psc__ring_commit(const psc__ring_claim *c);


/* ---- protobuf (event_msg.c) ---- */

/* Compute an EventType body size (declare caches both variants). */
size_t psc__event_type_pb_measure(const psc_event_type *t, bool with_metadata);

/* ---- types (event_types.c) ---- */

/* Properties per type: bounds the O(n^2) uniqueness check at declare. */
#define PSC__EVENTS_MAX_PROPS 4096u

void psc__events_types_free(psc__events *ev);

#endif

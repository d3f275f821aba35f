/*
 * The event store's lifetime and the producer side of the ring.
 *
 * Multi-producer, lock-free: a producer takes a ticket with one fetch_add,
 * claims the ticket's slot with a CAS on the slot's state word, copies the
 * event with atomic word stores and publishes it with a store of the state.
 * It never waits: if the slot is still being written by an older ticket, or
 * a newer ticket already owns it, the event is dropped and counted, and a
 * drop mark tells readers not to wait for it.
 *
 * Every slot access is atomic (release stores here, acquire loads in the
 * reader) so the seqlock is race-free in the C11 model and under TSan. The
 * state word and the listener flags use seq_cst so that a consumer that
 * arms its listener and then finds nothing cannot miss the wake-up of an
 * event published meanwhile (see event_listen.c).
 */
#include "events/event_store.h"

static size_t round_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

psc_err psc__events_new(const psc__alloc *a, const psc__clock *clock, size_t capacity, size_t max_event_size,
                        psc__events **out)
{
    if (!out)
        return PSC_ERR_INVALID;
    const psc__alloc *al = a ? a : &psc__default_alloc;
    if (!capacity)
        capacity = PSC__EVENTS_DEFAULT_CAPACITY;
    if (capacity > PSC__EVENTS_MAX_CAPACITY)
        capacity = PSC__EVENTS_MAX_CAPACITY;
    capacity = round_pow2(capacity);
    if (!max_event_size)
        max_event_size = PSC__EVENTS_DEFAULT_MAX_SIZE;
    if (max_event_size > PSC__EVENTS_MAX_SIZE_LIMIT)
        max_event_size = PSC__EVENTS_MAX_SIZE_LIMIT;

    /* whole cache lines per slot, so producers of neighbouring tickets do
     * not fight over one line */
    size_t words = PSC__SLOT_HEADER_WORDS + (max_event_size + 7) / 8;
    words = (words + 7) & ~(size_t)7;
    if (capacity > (SIZE_MAX - 64) / (words * sizeof(uint64_t)))
        return PSC_ERR_TOO_BIG;

    psc__events *ev = psc__calloc(al, 1, sizeof *ev);
    if (!ev)
        return PSC_ERR_NOMEM;
    ev->alloc = *al;
    psc__clock_init(&ev->clock, NULL);
    if (clock)
        ev->clock = *clock;
    ev->capacity = capacity;
    ev->mask = capacity - 1;
    ev->max_event_size = max_event_size;
    ev->slot_words = words;
    ev->slots_block = psc__calloc(al, 1, capacity * words * sizeof(uint64_t) + 64);
    if (!ev->slots_block) {
        psc__free(al, ev);
        return PSC_ERR_NOMEM;
    }
    uintptr_t base = ((uintptr_t)ev->slots_block + 63) & ~(uintptr_t)63;
    ev->slots = (_Atomic uint64_t *)base;
    if (pthread_mutex_init(&ev->lock, NULL) != 0) {
        psc__free(al, ev->slots_block);
        psc__free(al, ev);
        return PSC_ERR_NOMEM;
    }
    atomic_init(&ev->head, 0);
    atomic_init(&ev->dropped, 0);
    atomic_init(&ev->type_count, 0);
    atomic_init(&ev->listen_active, 0);
    for (size_t i = 0; i < PSC__EVENTS_MAX_LISTENERS; i++) {
        atomic_init(&ev->listeners[i].armed, false);
        atomic_init(&ev->listeners[i].in_call, 0);
    }
    *out = ev;
    return PSC_OK;
}

void psc__events_free(psc__events *ev)
{
    if (!ev)
        return;
    psc__events_types_free(ev);
    pthread_mutex_destroy(&ev->lock);
    psc__alloc a = ev->alloc;
    psc__free(&a, ev->slots_block);
    psc__free(&a, ev);
}

uint64_t psc__events_dropped(const psc__events *ev)
{
    return ev ? atomic_load_explicit(&ev->dropped, memory_order_relaxed) : 0;
}

static void drop(psc__events *ev, _Atomic uint64_t *slot, uint64_t ticket)
{
    atomic_fetch_add_explicit(&ev->dropped, 1, memory_order_relaxed);
    uint64_t mark = atomic_load_explicit(&slot[PSC__SLOT_DROP], memory_order_relaxed);
    while (mark < ticket + 1 && !atomic_compare_exchange_weak(&slot[PSC__SLOT_DROP], &mark, ticket + 1)) {
    }
    /* a reader may be parked on this ticket */
    psc__events_notify(ev);
}

psc_err psc__ring_begin(psc__events *ev, psc__ring_claim *c)
{
    uint64_t t = atomic_fetch_add(&ev->head, 1);
    _Atomic uint64_t *slot = psc__slot(ev, t);
    uint64_t s = atomic_load_explicit(&slot[PSC__SLOT_STATE], memory_order_relaxed);
    for (;;) {
        /* s: 0 empty, 2u+1 ticket u writing, 2u+2 ticket u published */
        bool newer = s && (s - 1) / 2 > t;
        bool older_writing = s & 1;
        if (newer || older_writing) {
            drop(ev, slot, t);
            return PSC_ERR_AGAIN;
        }
        if (atomic_compare_exchange_weak(&slot[PSC__SLOT_STATE], &s, 2 * t + 1))
            break;
    }
    c->ev = ev;
    c->ticket = t;
    c->slot = slot;
    return PSC_OK;
}

void psc__ring_write(const psc__ring_claim *c, uint64_t ts, uint32_t type_index, unsigned kind, const uint64_t *buf,
                     size_t len)
{
    _Atomic uint64_t *slot = c->slot;
    atomic_store_explicit(&slot[PSC__SLOT_TS], ts, memory_order_release);
    atomic_store_explicit(&slot[PSC__SLOT_META], (uint64_t)type_index << 32 | (uint64_t)kind << 24 | len,
                          memory_order_release);
    size_t words = (len + 7) / 8;
    _Atomic uint64_t *dst = slot + PSC__SLOT_HEADER_WORDS;
    for (size_t i = 0; i < words; i++)
        atomic_store_explicit(&dst[i], buf[i], memory_order_release);
}

void psc__ring_commit(const psc__ring_claim *c)
{
    atomic_store(&c->slot[PSC__SLOT_STATE], 2 * c->ticket + 2);
    psc__events_notify(c->ev);
}

/* buf has room for the largest content the store allows, in whole words. */
static psc_err emit_into(psc__events *ev, const psc_event_type *type, uint64_t ts, const psc_value *values,
                         size_t n_values, uint64_t *buf)
{
    size_t len;
    unsigned kind = PSC__SLOT_PACKED;
    /* the usual case copies the values; readers make the JSON from them */
    if (!psc__event_pack(type, values, n_values, (uint8_t *)buf, psc__slot_content_cap(ev), ev->max_event_size,
                         &len)) {
        psc_err e = psc__event_format(type, values, n_values, (char *)buf, ev->max_event_size, &len);
        if (e != PSC_OK)
            return e;
        kind = PSC__SLOT_JSON;
    }
    /* the tail of the last word goes into the ring too: make it defined
     * (memset measured faster than building the word by hand, which reads
     * back bytes just written) */
    memset((char *)buf + len, 0, (len + 7) / 8 * 8 - len);
    psc__ring_claim c;
    /* the type's own object: allocated writable, handed out const */
    atomic_fetch_add_explicit(&((psc_event_type *)type)->emitted, 1, memory_order_relaxed);
    if (psc__ring_begin(ev, &c) != PSC_OK)
        return PSC_OK; /* took a seq and was lost like an overwritten event; readers see the gap */
    psc__ring_write(&c, ts, type->index, kind, buf, len);
    psc__ring_commit(&c);
    return PSC_OK;
}

/* One stack frame size per tier so that the common small configuration
 * does not touch 64 KiB of stack on every emit. */
__attribute__((noinline)) static psc_err emit_1k(psc__events *ev, const psc_event_type *type, uint64_t ts,
                                                 const psc_value *values, size_t n_values)
{
    uint64_t buf[1024 / 8];
    return emit_into(ev, type, ts, values, n_values, buf);
}

__attribute__((noinline)) static psc_err emit_8k(psc__events *ev, const psc_event_type *type, uint64_t ts,
                                                 const psc_value *values, size_t n_values)
{
    uint64_t buf[8192 / 8];
    return emit_into(ev, type, ts, values, n_values, buf);
}

__attribute__((noinline)) static psc_err emit_64k(psc__events *ev, const psc_event_type *type, uint64_t ts,
                                                  const psc_value *values, size_t n_values)
{
    uint64_t buf[PSC__EVENTS_MAX_SIZE_LIMIT / 8];
    return emit_into(ev, type, ts, values, n_values, buf);
}

psc_err psc__events_emit(psc__events *ev, const psc_event_type *type, uint64_t ts_ms, const psc_value *values,
                         size_t n_values)
{
    if (!ev || !type || type->owner != ev)
        return PSC_ERR_INVALID;
    if (ev->max_event_size <= 1024)
        return emit_1k(ev, type, ts_ms, values, n_values);
    if (ev->max_event_size <= 8192)
        return emit_8k(ev, type, ts_ms, values, n_values);
    return emit_64k(ev, type, ts_ms, values, n_values);
}

psc_err psc__events_emit_now(psc__events *ev, const psc_event_type *type, const psc_value *values, size_t n_values)
{
    if (!ev)
        return PSC_ERR_INVALID;
    return psc__events_emit(ev, type, psc__clock_wall_ms(&ev->clock), values, n_values);
}

uint64_t psc__event_type_emitted(const psc_event_type *t)
{
    return t ? atomic_load_explicit(&((psc_event_type *)t)->emitted, memory_order_relaxed) : 0;
}

uint64_t psc__events_emitted(const psc__events *ev)
{
    return atomic_load_explicit(&ev->head, memory_order_relaxed);
}

void psc__event_reader_note_lost(psc_event_reader *r, uint64_t n)
{
    if (r && n)
        atomic_fetch_add_explicit(&r->ev->consumer_lost, n, memory_order_relaxed);
}

uint64_t psc__events_consumer_lost(const psc__events *ev)
{
    return ev ? atomic_load_explicit(&ev->consumer_lost, memory_order_relaxed) : 0;
}

/*
 * The consumer side of the ring: one cursor per reader, never blocking
 * producers. A read copies the slot into the reader's own buffer and then
 * re-checks the slot's state; if a producer reused the slot meanwhile the
 * copy is thrown away and the event counted as missed.
 */
#include "events/event_store.h"

/* a slot's content and a NUL, in whole words so the copy can be word by word */
static size_t raw_words(const psc__events *ev)
{
    return psc__slot_content_cap(ev) / 8 + 1;
}

size_t psc__events_reader_bytes(const psc__events *ev)
{
    return sizeof(psc_event_reader) + raw_words(ev) * sizeof(uint64_t) + ev->max_event_size + 1;
}

static psc_event_reader *reader_alloc(psc__events *ev)
{
    psc_event_reader *r = psc__malloc(&ev->alloc, psc__events_reader_bytes(ev));
    if (!r)
        return NULL;
    r->ev = ev;
    r->buf = (uint64_t *)(r + 1);
    r->json = (char *)(r->buf + raw_words(ev));
    r->missed_pending = 0;
    r->missed_total = 0;
    return r;
}

static uint64_t oldest_held(const psc__events *ev, uint64_t head)
{
    return head > ev->capacity ? head - ev->capacity : 0;
}

psc_err psc__events_reader_new(psc__events *ev, bool from_oldest, psc_event_reader **out)
{
    if (!ev || !out)
        return PSC_ERR_INVALID;
    psc_event_reader *r = reader_alloc(ev);
    if (!r)
        return PSC_ERR_NOMEM;
    uint64_t head = atomic_load(&ev->head);
    r->next = from_oldest ? oldest_held(ev, head) : head;
    *out = r;
    return PSC_OK;
}

psc_err psc__events_reader_after(psc__events *ev, uint64_t after_seq, uint64_t *not_held, psc_event_reader **out)
{
    if (!ev || !out || !not_held)
        return PSC_ERR_INVALID;
    psc_event_reader *r = reader_alloc(ev);
    if (!r)
        return PSC_ERR_NOMEM;
    uint64_t head = atomic_load(&ev->head);
    /* seq s lives in ticket s - 1, so "seq > after_seq" starts at ticket
     * after_seq. A client that saw a later seq than any handed out knows
     * another run: it gets everything, as one that saw nothing. One that
     * saw the newest is caught up and goes on live. */
    if (after_seq > head)
        after_seq = 0;
    uint64_t oldest = oldest_held(ev, head);
    r->next = after_seq > oldest ? after_seq : oldest;
    *not_held = r->next - after_seq;
    *out = r;
    return PSC_OK;
}

void psc_event_reader_free(psc_event_reader *r)
{
    if (!r)
        return;
    psc__free(&r->ev->alloc, r);
}

uint64_t psc__event_reader_missed_total(const psc_event_reader *r)
{
    return r ? r->missed_total : 0;
}

static void miss(psc_event_reader *r, uint64_t n)
{
    r->missed_pending += n;
    r->missed_total += n;
    r->next += n;
}

/* Copy the slot holding state s into the reader; false if it changed under us. */
static bool copy_slot(psc_event_reader *r, _Atomic uint64_t *slot, uint64_t s, psc_event_record *rec)
{
    const psc__events *ev = r->ev;
    uint64_t ts = atomic_load_explicit(&slot[PSC__SLOT_TS], memory_order_acquire);
    uint64_t meta = atomic_load_explicit(&slot[PSC__SLOT_META], memory_order_acquire);
    size_t len = (size_t)(meta & PSC__SLOT_LEN_MASK);
    unsigned kind = (unsigned)(meta >> 24 & 0xff);
    size_t index = (size_t)(meta >> 32);
    if (len > psc__slot_content_cap(ev))
        return false; /* torn: the state check below would fail too */
    const _Atomic uint64_t *src = slot + PSC__SLOT_HEADER_WORDS;
    size_t words = (len + 7) / 8;
    for (size_t i = 0; i < words; i++)
        r->buf[i] = atomic_load_explicit(&src[i], memory_order_acquire);
    /* the acquire loads above keep this one after them */
    if (atomic_load_explicit(&slot[PSC__SLOT_STATE], memory_order_relaxed) != s)
        return false;
    const psc_event_type *type = psc__events_type_at(ev, index);
    if (!type)
        return false;
    char *content = (char *)r->buf;
    if (kind == PSC__SLOT_PACKED) {
        /* from the reader's own copy, outside the seqlock: producers are not held up */
        size_t json_len;
        if (psc__event_format_packed(type, (const uint8_t *)r->buf, len, r->json, ev->max_event_size, &json_len) !=
            PSC_OK)
            return false; /* cannot happen for what emit packed; counted as missed rather than sent wrong */
        content = r->json;
        len = json_len;
    } else if (kind != PSC__SLOT_JSON || len > ev->max_event_size) {
        return false;
    }
    content[len] = '\0';
    rec->type = type;
    rec->ts = ts;
    rec->seq = (s - 2) / 2 + 1;
    rec->content_len = len;
    rec->content = content;
    return true;
}

psc_err psc_event_reader_next(psc_event_reader *r, psc_event_record *out, uint64_t *missed)
{
    if (!r || !out)
        return PSC_ERR_INVALID;
    psc__events *ev = r->ev;
    for (;;) {
        uint64_t head = atomic_load(&ev->head);
        if (head > r->next && head - r->next > ev->capacity)
            miss(r, head - ev->capacity - r->next); /* lapped: those slots hold newer events */
        if (r->next >= head)
            return PSC_ERR_AGAIN;
        _Atomic uint64_t *slot = psc__slot(ev, r->next);
        uint64_t want = 2 * r->next + 2;
        uint64_t s = atomic_load(&slot[PSC__SLOT_STATE]);
        if (s == want) {
            psc_event_record rec;
            if (!copy_slot(r, slot, s, &rec)) {
                miss(r, 1);
                continue;
            }
            r->next++;
            if (missed)
                *missed = r->missed_pending;
            r->missed_pending = 0;
            *out = rec;
            return PSC_OK;
        }
        if (s == want - 1)
            return PSC_ERR_AGAIN; /* its producer is copying it in */
        if (s > want) {
            miss(r, 1); /* a newer ticket took the slot */
            continue;
        }
        /* The slot still holds an older ticket: our producer has either not
         * claimed it yet (wait) or found it busy and dropped the event. */
        if (atomic_load(&slot[PSC__SLOT_DROP]) >= r->next + 1) {
            miss(r, 1);
            continue;
        }
        return PSC_ERR_AGAIN;
    }
}

/* The recorder's storage: items, the two FIFOs, what they cost, pruning. */
#include "recorder/recorder.h"

/* FIFO arrays start this big and shrink no further. */
#define FIFO_MIN_CAP 16u

psc__rec_item *psc__rec_item_new(const psc__alloc *a, psc__rec_kind kind, size_t len)
{
    if (len > SIZE_MAX - sizeof(psc__rec_item))
        return NULL;
    psc__rec_item *it = psc__malloc(a, sizeof *it + len);
    if (!it)
        return NULL;
    it->refs = 1;
    it->kind = (uint8_t)kind;
    it->t = 0;
    it->seq = 0;
    it->type = NULL;
    it->len = len;
    return it;
}

void psc__rec_item_ref(psc__rec_item *it)
{
    __atomic_fetch_add(&it->refs, 1, __ATOMIC_RELAXED);
}

void psc__rec_item_unref(const psc__alloc *a, psc__rec_item *it)
{
    if (it && __atomic_sub_fetch(&it->refs, 1, __ATOMIC_ACQ_REL) == 0)
        psc__free(a, it);
}

size_t psc__rec_bytes(const psc_recorder *r)
{
    return r->fixed_bytes + (r->states.cap + r->events.cap) * sizeof(psc__rec_item *) + r->items_bytes +
           r->base_bytes;
}

/* Move the FIFO into an array of cap slots (cap >= n), oldest first. */
static psc_err fifo_resize(psc_recorder *r, psc__rec_fifo *f, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(psc__rec_item *))
        return PSC_ERR_NOMEM;
    psc__rec_item **v = psc__malloc(&r->alloc, cap * sizeof *v);
    if (!v)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < f->n; i++)
        v[i] = psc__rec_fifo_at(f, i);
    psc__free(&r->alloc, f->v);
    f->v = v;
    f->cap = cap;
    f->head = 0;
    return PSC_OK;
}

psc_err psc__rec_fifo_push(psc_recorder *r, psc__rec_fifo *f, psc__rec_item *it)
{
    if (f->n == f->cap) {
        psc_err e = fifo_resize(r, f, f->cap ? f->cap * 2 : FIFO_MIN_CAP);
        if (e != PSC_OK)
            return e;
    }
    f->v[(f->head + f->n) % f->cap] = it;
    f->n++;
    r->items_bytes += psc__rec_item_bytes(it);
    if (f == &r->states && it->kind == PSC__REC_FULL)
        r->n_full++;
    return PSC_OK;
}

psc__rec_item *psc__rec_fifo_pop(psc_recorder *r, psc__rec_fifo *f)
{
    psc__rec_item *it = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    r->items_bytes -= psc__rec_item_bytes(it);
    if (f == &r->states && it->kind == PSC__REC_FULL)
        r->n_full--;
    return it;
}

/* A FIFO emptied by pruning gives its slots back (best effort). */
static void fifo_shrink(psc_recorder *r, psc__rec_fifo *f)
{
    if (f->cap > FIFO_MIN_CAP && f->n < f->cap / 4)
        (void)fifo_resize(r, f, f->cap / 2);
}

static void drop_front(psc_recorder *r, psc__rec_fifo *f)
{
    psc__rec_item_unref(&r->alloc, psc__rec_fifo_pop(r, f));
    r->pruned++;
}

/* The oldest segment: its full state and the deltas built on it. When the
 * last one goes, the base goes too: the next state must be whole. */
static void drop_segment(psc_recorder *r)
{
    drop_front(r, &r->states);
    while (r->states.n && psc__rec_fifo_at(&r->states, 0)->kind == PSC__REC_DELTA)
        drop_front(r, &r->states);
    if (!r->states.n && r->base) {
        psc_msg_unref(r->base);
        r->base = NULL;
        r->base_bytes = 0;
    }
}

/* Index of the second segment's full state (there is one: n_full >= 2). */
static size_t second_full(const psc_recorder *r)
{
    size_t i = 1;
    while (psc__rec_fifo_at(&r->states, i)->kind != PSC__REC_FULL)
        i++;
    return i;
}

void psc__rec_prune_age(psc_recorder *r, uint64_t now_ms)
{
    if (now_ms <= r->keep_ms)
        return;
    uint64_t cutoff = now_ms - r->keep_ms;
    while (r->events.n && psc__rec_fifo_at(&r->events, 0)->t < cutoff)
        drop_front(r, &r->events);
    /* A segment goes once the next one began before the window: the
     * window then still opens on a state (the newest segment stays, it
     * holds the current state however old). */
    while (r->n_full >= 2 && psc__rec_fifo_at(&r->states, second_full(r))->t <= cutoff)
        drop_segment(r);
    fifo_shrink(r, &r->events);
    fifo_shrink(r, &r->states);
}

void psc__rec_prune_bytes(psc_recorder *r)
{
    while (psc__rec_bytes(r) > r->max_bytes && (r->states.n || r->events.n)) {
        const psc__rec_item *ev = r->events.n ? psc__rec_fifo_at(&r->events, 0) : NULL;
        const psc__rec_item *st = r->states.n ? psc__rec_fifo_at(&r->states, 0) : NULL;
        if (ev && (!st || ev->t <= st->t))
            drop_front(r, &r->events);
        else
            drop_segment(r);
        fifo_shrink(r, &r->events);
        fifo_shrink(r, &r->states);
    }
}

void psc__rec_store_fini(psc_recorder *r)
{
    while (r->events.n)
        psc__rec_item_unref(&r->alloc, psc__rec_fifo_pop(r, &r->events));
    while (r->states.n)
        psc__rec_item_unref(&r->alloc, psc__rec_fifo_pop(r, &r->states));
    psc__free(&r->alloc, r->events.v);
    psc__free(&r->alloc, r->states.v);
    r->events = (psc__rec_fifo){0};
    r->states = (psc__rec_fifo){0};
    psc_msg_unref(r->base);
    r->base = NULL;
    r->base_bytes = 0;
}

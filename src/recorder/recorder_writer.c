/*
 * The writer: what the recorder holds, as the records of a 2020
 * recording. Runtime first; then states and events merged by time (an
 * event before a state of the same millisecond: it was read before the
 * state was taken). 2020 tools know no deltas, so each delta is rebuilt
 * into the whole state it stands for, from the one before it: while a
 * segment lasts, its full state and the deltas applied so far stay
 * decoded, and each rebuilt state is a merged tree over them
 * (wire/state_apply.h), packed for the file and never decoded again. Events carry their type's
 * property metadata the first time the type appears in the recording, as
 * a session sends them.
 */
#include "recorder/recorder.h"
#include "core/core.h"
#include "wire/state_apply.h"
#include "peerscope/version.h"
#include "peerscope/wire.h"

#include <protobuf-c/protobuf-c.h>

/* protobuf-c's hooks over the recorder's allocator, noting a failure so
 * that out of memory is told from bytes that do not decode. */
typedef struct pb_ctx {
    const psc__alloc *a;
    bool failed;
} pb_ctx;

static void *pb_alloc(void *data, size_t size)
{
    pb_ctx *c = data;
    void *p = psc__malloc(c->a, size);
    if (!p)
        c->failed = true;
    return p;
}

static void pb_free(void *data, void *ptr)
{
    psc__free(((pb_ctx *)data)->a, ptr);
}

struct psc__rec_writer {
    psc_recorder *r;
    const psc__alloc *a;
    pb_ctx pb;
    ProtobufCAllocator pa;
    psc__rec_item **states, **events;
    size_t n_states, i_state, n_events, i_event;
    psc_msg *runtime;               /* NULL once produced */
    uint8_t *seen;                  /* bit per event type index: metadata written */
    size_t seen_bytes;
    /* the segment being rebuilt, while a delta follows: */
    Peerscope__ServerMessage *full; /* its full state, decoded */
    Peerscope__ServerMessage **chain; /* the deltas applied since, decoded (the merged tree points into them) */
    size_t n_chain, cap_chain;
    psc__state_merged *merged;      /* the last state rebuilt; NULL: full is the last state */
    bool broken;                    /* a delta did not apply: skip to the next full state */
    bool corrupt;
    psc_err failed;                 /* final */
    /* what the last payload points into, released at the next call */
    psc__rec_item *held;
    uint8_t *built;
    psc_msg *out_msg;
};

psc_err psc__rec_writer_new(psc_recorder *r, psc__rec_writer **out)
{
    if (!r || !out)
        return PSC_ERR_INVALID;
    const psc__alloc *a = &r->alloc;
    psc__rec_writer *w = psc__calloc(a, 1, sizeof *w);
    if (!w)
        return PSC_ERR_NOMEM;
    w->r = r;
    w->a = a;
    w->pb.a = a;
    w->pa = (ProtobufCAllocator){pb_alloc, pb_free, &w->pb};
    pthread_mutex_lock(&r->store_lock);
    w->states = psc__calloc(a, r->states.n ? r->states.n : 1, sizeof *w->states);
    w->events = psc__calloc(a, r->events.n ? r->events.n : 1, sizeof *w->events);
    if (w->states && w->events) {
        w->n_states = r->states.n;
        w->n_events = r->events.n;
        for (size_t i = 0; i < w->n_states; i++)
            psc__rec_item_ref(w->states[i] = psc__rec_fifo_at(&r->states, i));
        for (size_t i = 0; i < w->n_events; i++)
            psc__rec_item_ref(w->events[i] = psc__rec_fifo_at(&r->events, i));
    }
    pthread_mutex_unlock(&r->store_lock);
    if (!w->states || !w->events) {
        psc__rec_writer_free(w);
        return PSC_ERR_NOMEM;
    }
    /* After the items: every event held is of a type declared by now, so
     * the Runtime lists it and the bitmap has its bit. */
    psc_err e = psc_introspector_runtime(r->intro, &w->runtime);
    if (e != PSC_OK) {
        psc__rec_writer_free(w);
        return e;
    }
    size_t n_types = psc__events_type_count(psc__intro_events(r->intro));
    w->seen_bytes = n_types / 8 + 1;
    w->seen = psc__calloc(a, w->seen_bytes, 1);
    if (!w->seen) {
        psc__rec_writer_free(w);
        return PSC_ERR_NOMEM;
    }
    *out = w;
    return PSC_OK;
}

static void drop_base(psc__rec_writer *w)
{
    psc__state_merged_free(w->merged);
    w->merged = NULL;
    for (size_t i = 0; i < w->n_chain; i++)
        peerscope__server_message__free_unpacked(w->chain[i], &w->pa);
    w->n_chain = 0;
    if (w->full)
        peerscope__server_message__free_unpacked(w->full, &w->pa);
    w->full = NULL;
}

/* The last state produced, decoded, or NULL. */
static const Peerscope__State *base_state(const psc__rec_writer *w)
{
    return w->merged ? psc__state_merged_state(w->merged) : w->full ? w->full->state : NULL;
}

static bool chain_reserve(psc__rec_writer *w)
{
    if (w->n_chain < w->cap_chain)
        return true;
    size_t cap = w->cap_chain ? w->cap_chain * 2 : 16;
    Peerscope__ServerMessage **v = psc__calloc(w->a, cap, sizeof *v);
    if (!v)
        return false;
    if (w->n_chain)
        memcpy(v, w->chain, w->n_chain * sizeof *v);
    psc__free(w->a, w->chain);
    w->chain = v;
    w->cap_chain = cap;
    return true;
}

static void release_output(psc__rec_writer *w)
{
    psc__rec_item_unref(w->a, w->held);
    w->held = NULL;
    psc__free(w->a, w->built);
    w->built = NULL;
    psc_msg_unref(w->out_msg);
    w->out_msg = NULL;
}

void psc__rec_writer_free(psc__rec_writer *w)
{
    if (!w)
        return;
    release_output(w);
    drop_base(w);
    psc__free(w->a, w->chain);
    for (size_t i = w->i_state; i < w->n_states; i++)
        psc__rec_item_unref(w->a, w->states[i]);
    for (size_t i = w->i_event; i < w->n_events; i++)
        psc__rec_item_unref(w->a, w->events[i]);
    psc__free(w->a, w->states);
    psc__free(w->a, w->events);
    psc__free(w->a, w->seen);
    psc_msg_unref(w->runtime);
    psc__free(w->a, w);
}

bool psc__rec_writer_corrupt(const psc__rec_writer *w)
{
    return w && w->corrupt;
}

/* A stored state decoded; NULL with *err set (PSC_ERR_NOMEM, or PSC_ERR_CORRUPT for bytes that are not a state). */
static Peerscope__ServerMessage *decode_state(psc__rec_writer *w, const uint8_t *p, size_t len, psc_err *err)
{
    w->pb.failed = false;
    Peerscope__ServerMessage *m = peerscope__server_message__unpack(&w->pa, len, p);
    if (m && m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE && m->state)
        return m;
    if (m)
        peerscope__server_message__free_unpacked(m, &w->pa);
    *err = w->pb.failed ? PSC_ERR_NOMEM : PSC_ERR_CORRUPT;
    return NULL;
}

/* The segment cannot go on: its later deltas are skipped. */
static void chain_broken(psc__rec_writer *w)
{
    drop_base(w);
    w->broken = true;
    w->corrupt = true;
}

/*
 * The next state whole. PSC_ERR_AGAIN: this one was skipped (its delta
 * did not apply), try the next item.
 */
static psc_err next_state(psc__rec_writer *w, const uint8_t **payload, size_t *len)
{
    psc__rec_item *it = w->states[w->i_state++];
    bool delta_follows = w->i_state < w->n_states && w->states[w->i_state]->kind == PSC__REC_DELTA;
    psc_err e = PSC_OK;
    if (it->kind == PSC__REC_FULL) {
        drop_base(w);
        w->broken = false;
        if (delta_follows && !(w->full = decode_state(w, it->data, it->len, &e))) {
            if (e == PSC_ERR_NOMEM) {
                psc__rec_item_unref(w->a, it);
                return e;
            }
            chain_broken(w); /* this one is still good as it is */
        }
        w->held = it;
        *payload = it->data;
        *len = it->len;
        return PSC_OK;
    }
    const Peerscope__State *base = base_state(w);
    if (w->broken || !base) {
        psc__rec_item_unref(w->a, it);
        chain_broken(w);
        return PSC_ERR_AGAIN;
    }
    Peerscope__ServerMessage *d = NULL;
    if (!chain_reserve(w))
        e = PSC_ERR_NOMEM;
    else
        d = decode_state(w, it->data, it->len, &e);
    psc__rec_item_unref(w->a, it);
    psc__state_merged *m = NULL;
    if (d) {
        e = d->state->delta ? psc__state_merge(w->a, base, d->state, &m) : PSC_ERR_STATE;
        if (e == PSC_OK)
            w->chain[w->n_chain++] = d; /* the merged tree points into it */
        else
            peerscope__server_message__free_unpacked(d, &w->pa);
    }
    if (e == PSC_ERR_NOMEM)
        return e;
    if (e != PSC_OK) {
        chain_broken(w);
        return PSC_ERR_AGAIN;
    }
    /* the previous merged tree's lists are no longer needed: m has its own */
    psc__state_merged_free(w->merged);
    w->merged = m;
    uint8_t *bytes = NULL;
    size_t n = 0;
    if ((e = psc__state_pack(w->a, psc__state_merged_state(m), &bytes, &n)) != PSC_OK)
        return e;
    if (!delta_follows)
        drop_base(w); /* the segment is done */
    w->built = bytes;
    *payload = bytes;
    *len = n;
    return PSC_OK;
}

/* Whether the type's metadata is in the file already; no bit for it
 * (cannot happen) means metadata every time, which loses nothing. */
static bool seen(const psc__rec_writer *w, size_t idx)
{
    return idx / 8 < w->seen_bytes && ((w->seen[idx / 8] >> (idx % 8)) & 1u);
}

static psc_err next_event(psc__rec_writer *w, const uint8_t **payload, size_t *len)
{
    psc__rec_item *it = w->events[w->i_event];
    psc_event_record rec = {.type = it->type, .ts = it->t, .seq = it->seq, .content_len = it->len,
                            .content = (char *)it->data};
    size_t idx = psc__event_type_index(it->type);
    bool meta = !seen(w, idx);
    psc_err e = psc__event_msg(w->a, &rec, meta, &w->out_msg);
    if (e != PSC_OK)
        return e;
    if (meta && idx / 8 < w->seen_bytes)
        w->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
    w->i_event++;
    psc__rec_item_unref(w->a, it);
    *payload = psc_msg_payload(w->out_msg, len);
    return PSC_OK;
}

psc_err psc__rec_writer_next(psc__rec_writer *w, const uint8_t **payload, size_t *len, bool *is_state)
{
    if (!w || !payload || !len)
        return PSC_ERR_INVALID;
    if (w->failed)
        return w->failed;
    release_output(w);
    const uint8_t *p = NULL;
    size_t n = 0;
    bool state = false;
    psc_err e;
    if (w->runtime) {
        w->out_msg = w->runtime;
        w->runtime = NULL;
        p = psc_msg_payload(w->out_msg, &n);
        e = PSC_OK;
    } else {
        do {
            bool has_s = w->i_state < w->n_states, has_e = w->i_event < w->n_events;
            if (!has_s && !has_e)
                return PSC_ERR_CLOSED;
            state = !has_e || (has_s && w->states[w->i_state]->t < w->events[w->i_event]->t);
            e = state ? next_state(w, &p, &n) : next_event(w, &p, &n);
        } while (e == PSC_ERR_AGAIN);
    }
    if (e != PSC_OK) {
        w->failed = e;
        return e;
    }
    *payload = p;
    *len = n;
    if (is_state)
        *is_state = state;
    return PSC_OK;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void psc__rec_record_header(uint8_t out[8], const uint8_t *payload, size_t len)
{
    put_le32(out, psc_fnv1a32(payload, len));
    put_le32(out + 4, (uint32_t)len);
}

void psc__rec_file_header(uint8_t out[4])
{
    put_le32(out, PSC_PROTOCOL_VERSION);
}

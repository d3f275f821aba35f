/*
 * Sampling: events from the recorder's cursor, then one state, stored as a
 * delta from the state stored before it when that one is still held.
 */
#include "recorder/recorder.h"
#include "core/core.h"

static psc_err store_event(psc_recorder *r, const psc_event_record *rec)
{
    psc__rec_item *it = psc__rec_item_new(&r->alloc, PSC__REC_EVENT, rec->content_len);
    if (!it)
        return PSC_ERR_NOMEM;
    it->t = rec->ts;
    it->seq = rec->seq;
    it->type = rec->type;
    if (rec->content_len)
        memcpy(it->data, rec->content, rec->content_len);
    pthread_mutex_lock(&r->store_lock);
    psc_err e = psc__rec_fifo_push(r, &r->events, it);
    if (e == PSC_OK)
        psc__rec_prune_bytes(r); /* never over max_bytes, even in the middle of a burst */
    pthread_mutex_unlock(&r->store_lock);
    if (e != PSC_OK)
        psc__rec_item_unref(&r->alloc, it);
    return e;
}

psc_err psc__rec_drain(psc_recorder *r)
{
    psc_err e = PSC_OK;
    /* What was emitted by now, and no more: a host emitting faster than
     * this loop stores must not keep it (and the samples behind it) going. */
    uint64_t until = psc_events_emitted(r->intro);
    for (;;) {
        if (!r->pending) {
            if (psc_event_reader_next(r->reader, &r->rec, NULL) != PSC_OK)
                break; /* PSC_ERR_AGAIN: caught up */
            r->pending = true;
        }
        /* Read but not stored: it stays in the reader's buffer until stored. */
        if ((e = store_event(r, &r->rec)) != PSC_OK)
            break;
        r->pending = false;
        if (r->rec.seq >= until)
            break;
    }
    uint64_t now = psc_introspector_now_ms(r->intro);
    pthread_mutex_lock(&r->store_lock);
    r->events_missed = psc__event_reader_missed_total(r->reader);
    psc__rec_prune_age(r, now);
    pthread_mutex_unlock(&r->store_lock);
    return e;
}

/* Whether the next state may be a delta from base: base is the newest
 * state held, the cadence allows one, and the segment is young enough
 * that pruning by age never has to keep much more than keep_ms. */
static bool delta_due(psc_recorder *r, uint64_t now_ms)
{
    if (!r->base || r->since_full + 1 >= r->full_every)
        return false;
    if (now_ms > r->segment_t && now_ms - r->segment_t > r->keep_ms / 2)
        return false;
    pthread_mutex_lock(&r->store_lock);
    bool chained = r->states.n && psc__rec_fifo_at(&r->states, r->states.n - 1)->seq == r->base_seq;
    pthread_mutex_unlock(&r->store_lock);
    return chained;
}

/* Store cur (a full state just taken), whole or as a delta. */
static psc_err store_state(psc_recorder *r, psc_msg *cur)
{
    psc_state_summary sum = PSC_STATE_SUMMARY_INIT;
    psc_err e = psc_state_summary_get(cur, &sum);
    if (e != PSC_OK)
        return e;
    psc_msg *d = NULL;
    if (delta_due(r, sum.instant_ts)) {
        e = psc_introspector_state_delta(r->intro, r->base, cur, &d);
        if (e == PSC_ERR_NOMEM)
            return e;
        /* PSC_ERR_UNSUPPORTED (a key repeats) and the like: store it whole */
    }
    size_t len = 0;
    const uint8_t *payload = psc_msg_payload(d ? d : cur, &len);
    /* A copy of the bytes alone: the message's view (its records) would
     * cost two to three times as much again. */
    psc__rec_item *it = psc__rec_item_new(&r->alloc, d ? PSC__REC_DELTA : PSC__REC_FULL, len);
    if (!it) {
        psc_msg_unref(d);
        return PSC_ERR_NOMEM;
    }
    it->t = sum.instant_ts;
    it->seq = sum.seq;
    memcpy(it->data, payload, len);
    bool delta = d != NULL;
    psc_msg_unref(d);

    psc_msg *old = NULL;
    pthread_mutex_lock(&r->store_lock);
    e = psc__rec_fifo_push(r, &r->states, it);
    if (e == PSC_OK) {
        old = r->base;
        r->base = psc_msg_ref(cur);
        r->base_seq = sum.seq;
        r->base_bytes = psc__msg_held_bytes(cur);
        psc__rec_prune_bytes(r);
        /* Pruned at once: alone (with the base) it does not fit in max_bytes. */
        if (!r->states.n)
            e = PSC_ERR_TOO_BIG;
        else
            r->samples++;
    }
    pthread_mutex_unlock(&r->store_lock);
    if (e == PSC_ERR_NOMEM)
        psc__rec_item_unref(&r->alloc, it);
    psc_msg_unref(old);
    if (e != PSC_OK)
        return e;
    if (delta) {
        r->since_full++;
    } else {
        r->since_full = 0;
        r->segment_t = sum.instant_ts;
    }
    return PSC_OK;
}

psc_err psc__rec_sample_locked(psc_recorder *r)
{
    psc_err drained = psc__rec_drain(r);
    psc_msg *cur = NULL;
    psc_err e = psc_introspector_snapshot(r->intro, &cur);
    if (e == PSC_OK) {
        e = store_state(r, cur);
        psc_msg_unref(cur);
    }
    if (e != PSC_OK) {
        pthread_mutex_lock(&r->store_lock);
        r->sample_errors++;
        pthread_mutex_unlock(&r->store_lock);
    }
    return e != PSC_OK ? e : drained;
}

psc_err psc_recorder_sample(psc_recorder *r)
{
    if (!r)
        return PSC_ERR_INVALID;
    /* From a provider's collect (any snapshot's, the recorder's own
     * included): sample_lock comes before the snapshot's lock, so waiting
     * for it here could deadlock against a sampler waiting for that. */
    if (psc__intro_in_snapshot(r->intro))
        return PSC_ERR_STATE;
    pthread_mutex_lock(&r->sample_lock);
    psc_err e = psc__rec_sample_locked(r);
    pthread_mutex_unlock(&r->sample_lock);
    return e;
}

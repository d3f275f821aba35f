/* The recorder's lifecycle and its stats (peerscope/recorder.h). */
#include "recorder/recorder.h"
#include "core/core.h"
#include "util/struct_in.h"

static void destroy(psc_recorder *r)
{
    psc__rec_store_fini(r);
    psc_event_reader_free(r->reader);
    pthread_mutex_destroy(&r->store_lock);
    pthread_mutex_destroy(&r->sample_lock);
    psc__alloc a = r->alloc;
    psc__free(&a, r);
}

psc_err psc_recorder_new(psc_introspector *intro, const psc_recorder_config *cfg, psc_recorder **out)
{
    if (!intro || !out)
        return PSC_ERR_INVALID;
    psc_recorder_config c = PSC_RECORDER_CONFIG_INIT;
    if (cfg && psc__copy_in(&c, sizeof c, cfg, PSC__END_OF(psc_recorder_config, full_every)) != PSC_OK)
        return PSC_ERR_INVALID;
    const psc__alloc *a = psc__intro_alloc(intro);
    psc_recorder *r = psc__calloc(a, 1, sizeof *r);
    if (!r)
        return PSC_ERR_NOMEM;
    r->intro = intro;
    r->alloc = *a;
    r->keep_ms = c.keep_ms ? c.keep_ms : PSC__REC_DEFAULT_KEEP_MS;
    r->max_bytes = c.max_bytes ? c.max_bytes : PSC__REC_DEFAULT_MAX_BYTES;
    if (r->max_bytes < PSC__REC_MIN_MAX_BYTES)
        r->max_bytes = PSC__REC_MIN_MAX_BYTES;
    r->interval_ms = c.interval_ms ? c.interval_ms : PSC__REC_DEFAULT_INTERVAL_MS;
    if (r->interval_ms < PSC__REC_MIN_INTERVAL_MS)
        r->interval_ms = PSC__REC_MIN_INTERVAL_MS;
    r->full_every = c.full_every ? c.full_every : PSC__REC_DEFAULT_FULL_EVERY;
    r->wake_fd[0] = r->wake_fd[1] = -1;
    if (pthread_mutex_init(&r->sample_lock, NULL) != 0) {
        psc__free(a, r);
        return PSC_ERR_NOMEM;
    }
    if (pthread_mutex_init(&r->store_lock, NULL) != 0) {
        pthread_mutex_destroy(&r->sample_lock);
        psc__free(a, r);
        return PSC_ERR_NOMEM;
    }
    /* From now on: events emitted before are not the recorder's. */
    psc_err e = psc_event_reader_new(intro, false, &r->reader);
    if (e != PSC_OK) {
        destroy(r);
        return e;
    }
    r->fixed_bytes = sizeof *r + psc__events_reader_bytes(psc__intro_events(intro));
    if (r->interval_ms != PSC_RECORDER_MANUAL && (e = psc__rec_thread_start(r)) != PSC_OK) {
        destroy(r);
        return e;
    }
    *out = r;
    return PSC_OK;
}

void psc_recorder_free(psc_recorder *r)
{
    if (!r)
        return;
    psc__rec_thread_stop(r);
    destroy(r);
}

uint64_t psc__recorder_now_ms(const psc_recorder *r)
{
    return psc_introspector_now_ms(r->intro);
}

psc_err psc_recorder_stats_get(psc_recorder *r, psc_recorder_stats *out)
{
    if (!r || !out || out->struct_size < PSC__END_OF(psc_recorder_stats, pruned))
        return PSC_ERR_INVALID;
    psc_recorder_stats s = {.struct_size = out->struct_size};
    pthread_mutex_lock(&r->store_lock);
    s.bytes = psc__rec_bytes(r);
    s.full_states = r->n_full;
    s.delta_states = r->states.n - r->n_full;
    s.events = r->events.n;
    uint64_t oldest = UINT64_MAX, newest = 0;
    const psc__rec_fifo *fifos[2] = {&r->states, &r->events};
    for (int i = 0; i < 2; i++) {
        const psc__rec_fifo *f = fifos[i];
        if (!f->n)
            continue;
        uint64_t first = psc__rec_fifo_at(f, 0)->t, last = psc__rec_fifo_at(f, f->n - 1)->t;
        oldest = first < oldest ? first : oldest;
        newest = last > newest ? last : newest;
    }
    s.oldest_ms = oldest == UINT64_MAX ? 0 : oldest;
    s.newest_ms = newest;
    s.samples = r->samples;
    s.sample_errors = r->sample_errors;
    s.events_missed = r->events_missed;
    s.pruned = r->pruned;
    pthread_mutex_unlock(&r->store_lock);
    memcpy(out, &s, out->struct_size < sizeof s ? out->struct_size : sizeof s);
    return PSC_OK;
}

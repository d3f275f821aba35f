/*
 * The recorder's thread under load (suite 'threaded', run under TSan too):
 * events emitted from two threads, snapshots taken by another, samples and
 * writes from two more, while the recorder's own thread ticks and drains.
 * Nothing is timed: the end is checked after every thread is joined and a
 * last manual sample has drained the ring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerscope.h"
#include "rec_check.h"

#define EMITTERS 2
#define PER_EMITTER 20000
#define MAX_BYTES ((size_t)32 * 1024 * 1024) /* room for all of it: nothing is pruned */

typedef struct shared {
    psc_introspector *intro;
    psc_recorder *rec;
    const psc_event_type *type[2];
    atomic_int emitters_left;
    atomic_uint_fast64_t collected;  /* how often the provider ran */
    /* results of the side threads, checked on the main thread (cmocka is not thread-safe) */
    int emit_errors, snapshot_errors, write_errors, sample_errors;
    size_t writes, max_bytes_seen;
} shared;

typedef struct emitter {
    shared *sh;
    int id;
    int errors;
} emitter;

static psc_err collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    shared *sh = user;
    uint64_t n = atomic_fetch_add(&sh->collected, 1) + 1;
    return psc_custom_add_integer(b, "collected", (int64_t)n);
}

static void *emit_main(void *arg)
{
    emitter *em = arg;
    char who[16];
    snprintf(who, sizeof who, "t%d", em->id);
    for (int i = 0; i < PER_EMITTER; i++) {
        psc_value v[] = {PSC_V_STR(who), PSC_V_NUM(i)};
        if (psc_emit(em->sh->intro, em->sh->type[i % 2], v, 2) != PSC_OK)
            em->errors++;
    }
    atomic_fetch_sub(&em->sh->emitters_left, 1);
    return NULL;
}

/* Each side thread goes on at least this long, however soon the emitters are done. */
#define MIN_SNAPSHOTS 200
#define MIN_WRITES 20

static void *snapshot_main(void *arg)
{
    shared *sh = arg;
    for (int n = 0; n < MIN_SNAPSHOTS || atomic_load(&sh->emitters_left) > 0; n++) {
        psc_msg *m = NULL;
        if (psc_introspector_snapshot(sh->intro, &m) != PSC_OK)
            sh->snapshot_errors++;
        psc_msg_unref(m);
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    shared *sh = arg;
    while (sh->writes < MIN_WRITES || atomic_load(&sh->emitters_left) > 0) {
        uint8_t *buf = NULL;
        size_t len = 0;
        psc_err e = psc_recorder_write_buffer(sh->rec, &buf, &len);
        if (e != PSC_OK || len < 4)
            sh->write_errors++;
        psc_recorder_buffer_free(sh->rec, buf);
        sh->writes++;
        psc_recorder_stats s = {.struct_size = sizeof s};
        if (psc_recorder_stats_get(sh->rec, &s) == PSC_OK && s.bytes > sh->max_bytes_seen)
            sh->max_bytes_seen = s.bytes;
        /* the host's own samples, beside the thread's */
        if (psc_recorder_sample(sh->rec) != PSC_OK)
            sh->sample_errors++;
    }
    return NULL;
}

static void test_under_load(void **state)
{
    (void)state;
    shared sh;
    memset(&sh, 0, sizeof sh);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.event_ring_capacity = 1u << 16; /* holds every event: none may be missed */
    assert_int_equal(psc_introspector_new(&cfg, &sh.intro), PSC_OK);
    static const psc_custom_provider vt = {.struct_size = sizeof vt, .name = "load", .collect = collect};
    assert_int_equal(psc_register_custom(sh.intro, &vt, &sh, NULL), PSC_OK);
    static const psc_prop_def props[] = {{"who", PSC_PROP_STRING, false}, {"i", PSC_PROP_NUMBER, false}};
    static const psc_event_def defs[2] = {{"Even", props, 2}, {"Odd", props, 2}};
    for (int k = 0; k < 2; k++)
        assert_int_equal(psc_event_declare(sh.intro, &defs[k], &sh.type[k]), PSC_OK);
    psc_recorder_config rc = PSC_RECORDER_CONFIG_INIT;
    rc.interval_ms = 100;
    rc.full_every = 5;
    rc.max_bytes = MAX_BYTES;
    assert_int_equal(psc_recorder_new(sh.intro, &rc, &sh.rec), PSC_OK);

    atomic_store(&sh.emitters_left, EMITTERS);
    pthread_t emit_t[EMITTERS], snap_t, write_t;
    emitter em[EMITTERS];
    assert_int_equal(pthread_create(&snap_t, NULL, snapshot_main, &sh), 0);
    assert_int_equal(pthread_create(&write_t, NULL, writer_main, &sh), 0);
    for (int i = 0; i < EMITTERS; i++) {
        em[i] = (emitter){&sh, i, 0};
        assert_int_equal(pthread_create(&emit_t[i], NULL, emit_main, &em[i]), 0);
    }
    for (int i = 0; i < EMITTERS; i++) {
        pthread_join(emit_t[i], NULL);
        assert_int_equal(em[i].errors, 0);
    }
    pthread_join(snap_t, NULL);
    pthread_join(write_t, NULL);
    assert_int_equal(sh.snapshot_errors, 0);
    assert_int_equal(sh.write_errors, 0);
    assert_int_equal(sh.sample_errors, 0);
    assert_true(sh.writes >= MIN_WRITES);
    assert_true(sh.max_bytes_seen <= MAX_BYTES);

    /* the rest of the ring, then everything: each thread's events in its order */
    assert_int_equal(psc_recorder_sample(sh.rec), PSC_OK);
    psc_recorder_stats s = {.struct_size = sizeof s};
    assert_int_equal(psc_recorder_stats_get(sh.rec, &s), PSC_OK);
    assert_true(s.bytes <= MAX_BYTES);
    assert_int_equal(s.events_missed, 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(psc_recorder_write_buffer(sh.rec, &buf, &len), PSC_OK);
    rec_read x;
    rec_read_buffer(buf, len, false, &x);
    psc_recorder_buffer_free(sh.rec, buf);
    assert_int_equal(s.pruned, 0);
    assert_int_equal(x.events, (size_t)EMITTERS * PER_EMITTER);
    assert_int_equal(x.states, s.samples);
    assert_true(x.states >= 1);
    int next[EMITTERS];
    for (int i = 0; i < EMITTERS; i++)
        next[i] = -1;
    for (size_t k = 0; k < x.events; k++) {
        int t = -1, i = -1;
        assert_int_equal(sscanf(x.event[k]->content, "{\"who\":\"t%d\",\"i\":%d}", &t, &i), 2);
        assert_true(t >= 0 && t < EMITTERS);
        assert_int_equal(i, next[t] + 1);
        next[t] = i;
    }
    for (int t = 0; t < EMITTERS; t++)
        assert_int_equal(next[t], PER_EMITTER - 1);
    rec_read_free(&x);
    psc_recorder_free(sh.rec);
    psc_introspector_free(sh.intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

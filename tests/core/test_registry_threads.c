/*
 * The registry under concurrency: unregister waits for an in-flight
 * collect; register/unregister/snapshot from several threads at once.
 * Assertions only on the main thread, after joins (cmocka is not
 * thread-safe); the threads record what they saw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core_fixture.h"

/* ------------------------------------------- unregister waits for collect */

typedef struct blocker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, go, unregistered, released;
    int collects;
    bool released_during_collect;
    psc_introspector *intro;
    psc_provider *p;
    psc_err snap_result, unreg_result;
} blocker;

static psc_err blocking_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    blocker *k = user;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"k", .id_len = 1};
    psc_err e = psc_swarm_add_connection(b, &c, NULL);
    pthread_mutex_lock(&k->mu);
    k->collects++;
    k->entered = true;
    pthread_cond_broadcast(&k->cv);
    while (!k->go)
        pthread_cond_wait(&k->cv, &k->mu);
    k->released_during_collect = k->released;
    pthread_mutex_unlock(&k->mu);
    return e;
}

static void blocker_release(void *user)
{
    blocker *k = user;
    pthread_mutex_lock(&k->mu);
    k->released = true;
    pthread_mutex_unlock(&k->mu);
}

static void *snap_thread(void *arg)
{
    blocker *k = arg;
    psc_msg *m = NULL;
    k->snap_result = psc_introspector_snapshot(k->intro, &m);
    psc_msg_unref(m);
    return NULL;
}

static void *unreg_thread(void *arg)
{
    blocker *k = arg;
    psc_err e = psc_provider_unregister(k->p);
    pthread_mutex_lock(&k->mu);
    k->unreg_result = e;
    k->unregistered = true;
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

static void test_unregister_waits(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    blocker k;
    memset(&k, 0, sizeof k);
    pthread_mutex_init(&k.mu, NULL);
    pthread_cond_init(&k.cv, NULL);
    k.intro = fixture_intro(&fc, NULL);
    psc_swarm_provider vt = {sizeof vt, "blocker", blocking_collect, blocker_release};
    assert_int_equal(psc_register_swarm(k.intro, &vt, &k, &k.p), PSC_OK);

    pthread_t ts, tu;
    assert_int_equal(pthread_create(&ts, NULL, snap_thread, &k), 0);
    pthread_mutex_lock(&k.mu);
    while (!k.entered)
        pthread_cond_wait(&k.cv, &k.mu);
    pthread_mutex_unlock(&k.mu);

    assert_int_equal(pthread_create(&tu, NULL, unreg_thread, &k), 0);
    /* Give the unregister time to get going. If it does not wait (the bug
     * looked for), it returns meanwhile; if this thread is simply slow the
     * check below still holds, so it cannot fail spuriously. */
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&k.mu);
    bool returned_early = k.unregistered;
    bool released_early = k.released;
    k.go = true;
    pthread_cond_broadcast(&k.cv);
    pthread_mutex_unlock(&k.mu);

    pthread_join(tu, NULL);
    pthread_join(ts, NULL);
    assert_false(returned_early);
    assert_false(released_early);
    assert_false(k.released_during_collect);
    assert_int_equal(k.unreg_result, PSC_OK);
    assert_int_equal(k.snap_result, PSC_OK);
    assert_true(k.released);
    assert_int_equal(k.collects, 1);

    /* never called again */
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(k.intro, &m), PSC_OK);
    assert_int_equal(psc_state_connection_count(m), 0);
    psc_msg_unref(m);
    assert_int_equal(k.collects, 1);
    psc_introspector_free(k.intro);
    pthread_cond_destroy(&k.cv);
    pthread_mutex_destroy(&k.mu);
}

/* ---------------------------------------------------- everything at once */

#define SNAPSHOTTERS 2
#define CHURNERS 2
#define ROUNDS 60
#define SNAPSHOTS 60

typedef struct slot {
    int gone;       /* atomic: unregister has returned */
    int violations; /* atomic: collect ran after unregister returned */
    int releases;   /* atomic */
    int collects;   /* atomic */
} slot;

static slot slots[CHURNERS][ROUNDS];

typedef struct churn_arg {
    psc_introspector *intro;
    int index;
    int failures;
} churn_arg;

static psc_err slot_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    slot *s = user;
    if (__atomic_load_n(&s->gone, __ATOMIC_SEQ_CST))
        __atomic_add_fetch(&s->violations, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&s->collects, 1, __ATOMIC_SEQ_CST);
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)&s, .id_len = sizeof s};
    return psc_swarm_add_connection(b, &c, NULL);
}

static void slot_release(void *user)
{
    slot *s = user;
    __atomic_add_fetch(&s->releases, 1, __ATOMIC_SEQ_CST);
}

static void *churn_thread(void *arg)
{
    churn_arg *a = arg;
    static const psc_swarm_provider vt = {sizeof vt, "churn", slot_collect, slot_release};
    for (int r = 0; r < ROUNDS; r++) {
        slot *s = &slots[a->index][r];
        psc_provider *p = NULL;
        if (psc_register_swarm(a->intro, &vt, s, &p) != PSC_OK) {
            a->failures++;
            continue;
        }
        sched_yield();
        if (psc_provider_unregister(p) != PSC_OK)
            a->failures++;
        __atomic_store_n(&s->gone, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

typedef struct snap_arg {
    psc_introspector *intro;
    int failures;
    uint64_t last_seq;
    int seq_disorder;
} snap_arg;

static void *snapshot_thread(void *arg)
{
    snap_arg *a = arg;
    for (int i = 0; i < SNAPSHOTS; i++) {
        psc_msg *m = NULL;
        if (psc_introspector_snapshot(a->intro, &m) != PSC_OK) {
            a->failures++;
            continue;
        }
        psc_state_summary sum = {.struct_size = sizeof sum};
        if (psc_state_summary_get(m, &sum) != PSC_OK || sum.provider_errors != 0)
            a->failures++;
        if (sum.seq <= a->last_seq)
            a->seq_disorder++; /* each thread sees its own snapshots in order */
        a->last_seq = sum.seq;
        psc_msg_unref(m);
    }
    return NULL;
}

static void test_concurrent_churn(void **state)
{
    (void)state;
    memset(slots, 0, sizeof slots);
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    /* a steady provider too, so retention baselines are exercised */
    static slot steady;
    static const psc_swarm_provider vt = {sizeof vt, "steady", slot_collect, slot_release};
    assert_int_equal(psc_register_swarm(intro, &vt, &steady, NULL), PSC_OK);

    pthread_t tc[CHURNERS], tsn[SNAPSHOTTERS];
    churn_arg ca[CHURNERS];
    snap_arg sa[SNAPSHOTTERS];
    for (int i = 0; i < CHURNERS; i++) {
        ca[i] = (churn_arg){intro, i, 0};
        assert_int_equal(pthread_create(&tc[i], NULL, churn_thread, &ca[i]), 0);
    }
    for (int i = 0; i < SNAPSHOTTERS; i++) {
        sa[i] = (snap_arg){intro, 0, 0, 0};
        assert_int_equal(pthread_create(&tsn[i], NULL, snapshot_thread, &sa[i]), 0);
    }
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(tc[i], NULL);
    for (int i = 0; i < SNAPSHOTTERS; i++)
        pthread_join(tsn[i], NULL);

    for (int i = 0; i < CHURNERS; i++) {
        assert_int_equal(ca[i].failures, 0);
        for (int r = 0; r < ROUNDS; r++) {
            assert_int_equal(slots[i][r].violations, 0);
            assert_int_equal(slots[i][r].releases, 1);
        }
    }
    for (int i = 0; i < SNAPSHOTTERS; i++) {
        assert_int_equal(sa[i].failures, 0);
        assert_int_equal(sa[i].seq_disorder, 0);
    }
    assert_int_equal(steady.collects, SNAPSHOTTERS * SNAPSHOTS);
    psc_introspector_free(intro);
    assert_int_equal(steady.releases, 1);
}

/* ----------------------------------- messages released on other threads */

#define HANDOFFS 40

typedef struct mailbox {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    psc_msg *slot[4];
    int head, tail, count;
    bool done;
    int bad_views;
    int consumed;
} mailbox;

static void *consumer_thread(void *arg)
{
    mailbox *mb = arg;
    for (;;) {
        pthread_mutex_lock(&mb->mu);
        while (mb->count == 0 && !mb->done)
            pthread_cond_wait(&mb->cv, &mb->mu);
        if (mb->count == 0 && mb->done) {
            pthread_mutex_unlock(&mb->mu);
            return NULL;
        }
        psc_msg *m = mb->slot[mb->head];
        mb->head = (mb->head + 1) % 4;
        mb->count--;
        pthread_cond_broadcast(&mb->cv);
        pthread_mutex_unlock(&mb->mu);
        /* read the view here, then drop the last reference on this thread */
        psc_connection c = {.struct_size = sizeof c};
        if (psc_state_connection_count(m) != 1 || psc_state_connection(m, 0, &c) != PSC_OK || c.id_len != 1 ||
            c.id[0] != 'k')
            mb->bad_views++;
        psc_msg_unref(m);
        mb->consumed++;
    }
}

static psc_err one_conn(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"k", .id_len = 1};
    return psc_swarm_add_connection(b, &c, NULL);
}

static void *runtime_thread(void *arg)
{
    psc_introspector *intro = arg;
    for (int i = 0; i < HANDOFFS; i++) {
        psc_msg *m = NULL;
        char id[32];
        snprintf(id, sizeof id, "peer-%d", i);
        psc_introspector_set_peer_id(intro, id);
        if (psc_introspector_runtime(intro, &m) == PSC_OK)
            psc_msg_unref(m);
    }
    return NULL;
}

static void test_messages_cross_threads(void **state)
{
    (void)state;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    static const psc_swarm_provider vt = {sizeof vt, "one", one_conn, NULL};
    assert_int_equal(psc_register_swarm(intro, &vt, NULL, NULL), PSC_OK);
    mailbox mb;
    memset(&mb, 0, sizeof mb);
    pthread_mutex_init(&mb.mu, NULL);
    pthread_cond_init(&mb.cv, NULL);
    pthread_t tc, tr;
    assert_int_equal(pthread_create(&tc, NULL, consumer_thread, &mb), 0);
    assert_int_equal(pthread_create(&tr, NULL, runtime_thread, intro), 0);
    int failures = 0;
    for (int i = 0; i < HANDOFFS; i++) {
        psc_msg *m = NULL;
        if (psc_introspector_snapshot(intro, &m) != PSC_OK) {
            failures++;
            continue;
        }
        pthread_mutex_lock(&mb.mu);
        while (mb.count == 4)
            pthread_cond_wait(&mb.cv, &mb.mu);
        mb.slot[mb.tail] = m;
        mb.tail = (mb.tail + 1) % 4;
        mb.count++;
        pthread_cond_broadcast(&mb.cv);
        pthread_mutex_unlock(&mb.mu);
    }
    /* some messages outlive the introspector and die on the consumer thread */
    pthread_join(tr, NULL);
    psc_introspector_free(intro);
    pthread_mutex_lock(&mb.mu);
    mb.done = true;
    pthread_cond_broadcast(&mb.cv);
    pthread_mutex_unlock(&mb.mu);
    pthread_join(tc, NULL);
    assert_int_equal(failures, 0);
    assert_int_equal(mb.bad_views, 0);
    assert_int_equal(mb.consumed, HANDOFFS);
    pthread_cond_destroy(&mb.cv);
    pthread_mutex_destroy(&mb.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unregister_waits),
        cmocka_unit_test(test_concurrent_churn),
        cmocka_unit_test(test_messages_cross_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

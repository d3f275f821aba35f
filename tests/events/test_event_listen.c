/*
 * Listeners: one call per arming, none when disarmed, a limit of 16, and
 * unlisten racing with emits on other threads (suite 'threaded').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "events/event_store.h"

typedef struct counter {
    atomic_int calls;
} counter;

static void count_call(void *user)
{
    counter *c = user;
    atomic_fetch_add(&c->calls, 1);
}

typedef struct fixture {
    psc__events *ev;
    const psc_event_type *t;
} fixture;

static void make(fixture *f, size_t capacity)
{
    assert_int_equal(psc__events_new(NULL, NULL, capacity, 64, &f->ev), PSC_OK);
    psc_event_def d = {"Ping", NULL, 0};
    assert_int_equal(psc__events_declare(f->ev, &d, &f->t), PSC_OK);
}

static void emit(fixture *f)
{
    assert_int_equal(psc__events_emit(f->ev, f->t, 1, NULL, 0), PSC_OK);
}

static void test_armed_once(void **state)
{
    (void)state;
    fixture f;
    make(&f, 16);
    counter c = {0};
    psc__listener *l;
    assert_int_equal(psc__events_listen(f.ev, count_call, &c, &l), PSC_OK);
    emit(&f); /* not armed yet */
    assert_int_equal(atomic_load(&c.calls), 0);
    psc__listener_arm(l);
    emit(&f);
    assert_int_equal(atomic_load(&c.calls), 1);
    emit(&f); /* disarmed by the call */
    emit(&f);
    assert_int_equal(atomic_load(&c.calls), 1);
    psc__listener_arm(l);
    psc__listener_arm(l); /* arming twice is still one wake-up */
    emit(&f);
    emit(&f);
    assert_int_equal(atomic_load(&c.calls), 2);
    /* a failed emit publishes nothing and wakes nobody */
    psc__listener_arm(l);
    assert_int_equal(psc__events_emit(f.ev, f.t, 1, NULL, 1), PSC_ERR_INVALID);
    assert_int_equal(atomic_load(&c.calls), 2);
    emit(&f);
    assert_int_equal(atomic_load(&c.calls), 3);
    psc__events_unlisten(f.ev, l);
    psc__listener_arm(l); /* harmless after unlisten: the slot is inactive */
    emit(&f);
    assert_int_equal(atomic_load(&c.calls), 3);
    psc__events_free(f.ev);
}

static void test_each_listener_independent(void **state)
{
    (void)state;
    fixture f;
    make(&f, 16);
    counter a = {0}, b = {0};
    psc__listener *la, *lb;
    assert_int_equal(psc__events_listen(f.ev, count_call, &a, &la), PSC_OK);
    assert_int_equal(psc__events_listen(f.ev, count_call, &b, &lb), PSC_OK);
    psc__listener_arm(la);
    emit(&f);
    assert_int_equal(atomic_load(&a.calls), 1);
    assert_int_equal(atomic_load(&b.calls), 0);
    psc__listener_arm(la);
    psc__listener_arm(lb);
    emit(&f);
    assert_int_equal(atomic_load(&a.calls), 2);
    assert_int_equal(atomic_load(&b.calls), 1);
    psc__events_unlisten(f.ev, la);
    psc__listener_arm(lb);
    emit(&f);
    assert_int_equal(atomic_load(&a.calls), 2);
    assert_int_equal(atomic_load(&b.calls), 2);
    psc__events_unlisten(f.ev, lb);
    psc__events_free(f.ev);
}

static void test_limit(void **state)
{
    (void)state;
    fixture f;
    make(&f, 16);
    counter c[17] = {0};
    psc__listener *l[17];
    for (int i = 0; i < 16; i++)
        assert_int_equal(psc__events_listen(f.ev, count_call, &c[i], &l[i]), PSC_OK);
    psc__listener *extra = NULL;
    assert_int_equal(psc__events_listen(f.ev, count_call, &c[16], &extra), PSC_ERR_TOO_BIG);
    assert_null(extra);
    for (int i = 0; i < 16; i++)
        psc__listener_arm(l[i]);
    emit(&f);
    for (int i = 0; i < 16; i++)
        assert_int_equal(atomic_load(&c[i].calls), 1);
    psc__events_unlisten(f.ev, l[5]);
    assert_int_equal(psc__events_listen(f.ev, count_call, &c[16], &extra), PSC_OK);
    psc__listener_arm(extra);
    emit(&f);
    assert_int_equal(atomic_load(&c[16].calls), 1);
    assert_int_equal(atomic_load(&c[5].calls), 1);
    psc__events_unlisten(f.ev, extra);
    for (int i = 0; i < 16; i++)
        if (i != 5)
            psc__events_unlisten(f.ev, l[i]);
    /* bad arguments */
    assert_int_equal(psc__events_listen(NULL, count_call, &c[0], &extra), PSC_ERR_INVALID);
    assert_int_equal(psc__events_listen(f.ev, NULL, &c[0], &extra), PSC_ERR_INVALID);
    assert_int_equal(psc__events_listen(f.ev, count_call, &c[0], NULL), PSC_ERR_INVALID);
    psc__events_unlisten(f.ev, NULL);
    psc__events_unlisten(NULL, NULL);
    psc__listener_arm(NULL);
    psc__events_free(f.ev);
}

static void test_drop_wakes(void **state)
{
    (void)state;
    fixture f;
    make(&f, 1);
    counter c = {0};
    psc__listener *l;
    assert_int_equal(psc__events_listen(f.ev, count_call, &c, &l), PSC_OK);
    psc__ring_claim held;
    assert_int_equal(psc__ring_begin(f.ev, &held), PSC_OK);
    psc__listener_arm(l);
    emit(&f); /* slot busy: dropped, but a parked reader must still hear of it */
    assert_int_equal(psc__events_dropped(f.ev), 1);
    assert_int_equal(atomic_load(&c.calls), 1);
    uint64_t buf[1] = {0};
    psc__ring_write(&held, 1, f.t->index, PSC__SLOT_JSON, buf, 2);
    psc__listener_arm(l);
    psc__ring_commit(&held);
    assert_int_equal(atomic_load(&c.calls), 2);
    psc__events_unlisten(f.ev, l);
    psc__events_free(f.ev);
}

/* ---- unlisten while other threads emit ---- */

typedef struct race {
    fixture f;
    atomic_bool stop;
    atomic_int late_calls; /* calls that happened after unlisten returned */
    atomic_long total_calls;
    atomic_int emit_errors;
} race;

typedef struct ctx {
    race *r;
    atomic_bool entered;
    atomic_bool gone;
} ctx;

/* Lingers a little so that some calls are still running when the main
 * thread unlistens: unlisten must wait for them before the context dies. */
static void racing_call(void *user)
{
    ctx *c = user;
    race *r = c->r;
    atomic_store(&c->entered, true);
    for (int i = 0; i < 2000; i++) {
        if (atomic_load(&c->gone)) {
            atomic_fetch_add(&r->late_calls, 1);
            break;
        }
    }
    atomic_fetch_add(&r->total_calls, 1);
}

static void *emitter(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->stop))
        if (psc__events_emit(r->f.ev, r->f.t, 1, NULL, 0) != PSC_OK)
            atomic_fetch_add(&r->emit_errors, 1);
    return NULL;
}

static void test_unlisten_during_emits(void **state)
{
    (void)state;
    race *r = calloc(1, sizeof *r);
    assert_non_null(r);
    make(&r->f, 64);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, emitter, r), 0);

    for (int iter = 0; iter < 100; iter++) {
        /* heap context: ASan flags any call into it after it is freed */
        ctx *c = calloc(1, sizeof *c);
        assert_non_null(c);
        c->r = r;
        psc__listener *l;
        assert_int_equal(psc__events_listen(r->f.ev, racing_call, c, &l), PSC_OK);
        /* unlisten while a call is running, most of the time (bounded wait:
         * the check is on late calls, not on how many happened) */
        psc__listener_arm(l);
        for (int spin = 0; spin < 1000000 && !atomic_load(&c->entered); spin++)
            if (spin % 64 == 0)
                psc__listener_arm(l);
        psc__events_unlisten(r->f.ev, l);
        atomic_store(&c->gone, true);
        free(c);
    }
    atomic_store(&r->stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&r->late_calls), 0);
    assert_int_equal(atomic_load(&r->emit_errors), 0);
    assert_true(atomic_load(&r->total_calls) > 0);
    psc__events_free(r->f.ev);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_armed_once),
        cmocka_unit_test(test_each_listener_independent),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_drop_wakes),
        cmocka_unit_test(test_unlisten_during_emits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

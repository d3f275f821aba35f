/*
 * Allocation failure: every allocation of create, declare, reader and free
 * is failed in turn. Each must give a clean error, leak nothing, and leave
 * the store usable (a failed declare changes nothing and can be retried).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "events/event_store.h"
#include "../support/test_support.h"

/* More than a chunk of types (256) and several growths of the name index. */
#define N_TYPES 300

static psc_err declare_n(psc__events *ev, int n)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "Type%d", i);
        psc_prop_def p[] = {{"a", PSC_PROP_STRING, false}, {"b", PSC_PROP_NUMBER, true}};
        psc_event_def d = {name, p, 2};
        const psc_event_type *t;
        psc_err e = psc__events_declare(ev, &d, &t);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static psc_err roundtrip(psc__events *ev, psc_event_reader *r)
{
    const psc_event_type *t = psc__events_type_at(ev, 0);
    const double nums[] = {1, 2};
    psc_value v[] = {PSC_V_STR("x"), PSC_V_NUMS(nums, 2)};
    psc_err e = psc__events_emit(ev, t, 7, v, 2);
    if (e != PSC_OK)
        return e;
    psc_event_record rec;
    e = psc_event_reader_next(r, &rec, NULL);
    if (e != PSC_OK)
        return e;
    assert_string_equal(rec.content, "{\"a\":\"x\",\"b\":[1,2]}");
    return PSC_OK;
}

/* Strict: the first error ends the run, after freeing what was made. */
static psc_err strict_body(void *arg, psc_test_alloc *ta)
{
    (void)arg;
    psc__alloc a;
    psc__alloc_init(&a, &ta->iface);
    psc__events *ev = NULL;
    psc_err e = psc__events_new(&a, NULL, 16, 128, &ev);
    if (e != PSC_OK) {
        assert_null(ev);
        return e;
    }
    psc_event_reader *r = NULL;
    e = declare_n(ev, N_TYPES);
    if (e == PSC_OK)
        e = psc__events_declare_well_known(ev);
    if (e == PSC_OK)
        e = psc__events_reader_new(ev, true, &r);
    if (e == PSC_OK)
        e = roundtrip(ev, r);
    if (e != PSC_OK)
        assert_int_equal(e, PSC_ERR_NOMEM);
    psc_event_reader_free(r);
    psc__events_free(ev);
    return e;
}

static void test_each_alloc_fails_strict(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(strict_body, NULL, 1000);
    assert_true(runs > N_TYPES);
}

/* Recovering: a declare that failed for memory left no trace and succeeds when retried. */
static psc_err retry_body(void *arg, psc_test_alloc *ta)
{
    (void)arg;
    psc__alloc a;
    psc__alloc_init(&a, &ta->iface);
    psc__events *ev = NULL;
    psc_err e = psc__events_new(&a, NULL, 16, 128, &ev);
    if (e != PSC_OK)
        return e;
    for (int i = 0; i < N_TYPES; i++) {
        char name[32];
        snprintf(name, sizeof name, "Type%d", i);
        psc_prop_def p[] = {{"a", PSC_PROP_STRING, false}, {"b", PSC_PROP_NUMBER, true}};
        psc_event_def d = {name, p, 2};
        const psc_event_type *t = NULL;
        e = psc__events_declare(ev, &d, &t);
        if (e == PSC_ERR_NOMEM) {
            assert_null(t);
            assert_int_equal(psc__events_type_count(ev), (size_t)i);
            assert_int_equal(psc__events_lookup(ev, name, &t), PSC_ERR_NOT_FOUND);
            e = psc__events_declare(ev, &d, &t); /* only one allocation fails per run */
        }
        assert_int_equal(e, PSC_OK);
        assert_int_equal(psc__event_type_index(t), (size_t)i);
    }
    for (int i = 0; i < N_TYPES; i++) {
        char name[32];
        snprintf(name, sizeof name, "Type%d", i);
        const psc_event_type *t;
        assert_int_equal(psc__events_lookup(ev, name, &t), PSC_OK);
        assert_ptr_equal(t, psc__events_type_at(ev, (size_t)i));
    }
    psc_event_reader *r = NULL;
    e = psc__events_reader_new(ev, true, &r);
    if (e == PSC_ERR_NOMEM) {
        assert_null(r);
        e = psc__events_reader_new(ev, true, &r);
    }
    assert_int_equal(e, PSC_OK);
    assert_int_equal(roundtrip(ev, r), PSC_OK);
    psc_event_reader_free(r);
    psc__events_free(ev);
    return PSC_OK;
}

static void test_each_alloc_fails_retry(void **state)
{
    (void)state;
    psc_test_each_alloc_fails(retry_body, NULL, 1000);
}

/* Listeners allocate nothing, and listening never fails for memory. */
static void noop(void *user)
{
    (void)user;
}

static psc_err listen_body(void *arg, psc_test_alloc *ta)
{
    (void)arg;
    psc__alloc a;
    psc__alloc_init(&a, &ta->iface);
    psc__events *ev = NULL;
    psc_err e = psc__events_new(&a, NULL, 4, 64, &ev);
    if (e != PSC_OK)
        return e;
    psc__listener *l;
    assert_int_equal(psc__events_listen(ev, noop, NULL, &l), PSC_OK);
    psc__events_unlisten(ev, l);
    psc__events_free(ev);
    return PSC_OK;
}

static void test_listen_allocates_nothing(void **state)
{
    (void)state;
    /* two allocations: the store and its ring */
    assert_int_equal(psc_test_each_alloc_fails(listen_body, NULL, 10), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_alloc_fails_strict),
        cmocka_unit_test(test_each_alloc_fails_retry),
        cmocka_unit_test(test_listen_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Event type declaration: validation, idempotence, lookup, dense indexes, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"

static int setup(void **state)
{
    psc__events *ev;
    if (psc__events_new(NULL, NULL, 0, 0, &ev) != PSC_OK)
        return -1;
    *state = ev;
    return 0;
}

static int teardown(void **state)
{
    psc__events_free(*state);
    return 0;
}

static void test_declare_copies(void **state)
{
    psc__events *ev = *state;
    char name[] = "Copied";
    char p0[] = "first";
    char p1[] = "second";
    psc_prop_def props[] = {{p0, PSC_PROP_STRING, false}, {p1, PSC_PROP_TIME, true}};
    psc_event_def d = {name, props, 2};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    /* the caller's memory may change or go away after the call */
    memset(name, 'z', sizeof name - 1);
    memset(p0, 'z', sizeof p0 - 1);
    props[1].type = PSC_PROP_NUMBER;
    assert_string_equal(psc_event_type_name(t), "Copied");
    assert_int_equal(psc_event_type_prop_count(t), 2);
    assert_string_equal(psc_event_type_prop(t, 0)->name, "first");
    assert_int_equal(psc_event_type_prop(t, 0)->type, PSC_PROP_STRING);
    assert_false(psc_event_type_prop(t, 0)->multiple);
    assert_string_equal(psc_event_type_prop(t, 1)->name, "second");
    assert_int_equal(psc_event_type_prop(t, 1)->type, PSC_PROP_TIME);
    assert_true(psc_event_type_prop(t, 1)->multiple);
    assert_null(psc_event_type_prop(t, 2));
    assert_null(psc_event_type_prop(NULL, 0));
    assert_null(psc_event_type_name(NULL));
    assert_int_equal(psc_event_type_prop_count(NULL), 0);
}

static void test_redeclare(void **state)
{
    psc__events *ev = *state;
    psc_prop_def props[] = {{"a", PSC_PROP_STRING, false}, {"b", PSC_PROP_NUMBER, true}};
    psc_event_def d = {"Same", props, 2};
    const psc_event_type *t1, *t2;
    assert_int_equal(psc__events_declare(ev, &d, &t1), PSC_OK);
    /* equal content in different memory is the same declaration */
    char name[] = "Same";
    psc_prop_def again[] = {{"a", PSC_PROP_STRING, false}, {"b", PSC_PROP_NUMBER, true}};
    psc_event_def d2 = {name, again, 2};
    assert_int_equal(psc__events_declare(ev, &d2, &t2), PSC_OK);
    assert_ptr_equal(t1, t2);
    assert_int_equal(psc__events_type_count(ev), 1);

    const psc_event_type *untouched = (const psc_event_type *)0x1;
    again[1].multiple = false;
    assert_int_equal(psc__events_declare(ev, &d2, &untouched), PSC_ERR_EXISTS);
    again[1].multiple = true;
    again[1].type = PSC_PROP_TIME;
    assert_int_equal(psc__events_declare(ev, &d2, &untouched), PSC_ERR_EXISTS);
    again[1].type = PSC_PROP_NUMBER;
    again[1].name = "c";
    assert_int_equal(psc__events_declare(ev, &d2, &untouched), PSC_ERR_EXISTS);
    again[1].name = "b";
    d2.n_props = 1;
    assert_int_equal(psc__events_declare(ev, &d2, &untouched), PSC_ERR_EXISTS);
    assert_ptr_equal(untouched, (const psc_event_type *)0x1);
    assert_int_equal(psc__events_type_count(ev), 1);
}

static void test_invalid(void **state)
{
    psc__events *ev = *state;
    const psc_event_type *t = NULL;
    psc_prop_def ok[] = {{"a", PSC_PROP_STRING, false}};
    psc_event_def d = {"T", ok, 1};
    assert_int_equal(psc__events_declare(NULL, &d, &t), PSC_ERR_INVALID);
    assert_int_equal(psc__events_declare(ev, NULL, &t), PSC_ERR_INVALID);
    assert_int_equal(psc__events_declare(ev, &d, NULL), PSC_ERR_INVALID);

    psc_event_def bad = d;
    bad.name = NULL;
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    bad.name = "";
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    bad.name = "bad\xff";
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    bad = d;
    bad.props = NULL;
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);

    psc_prop_def dup[] = {{"a", PSC_PROP_STRING, false}, {"b", PSC_PROP_STRING, false}, {"a", PSC_PROP_NUMBER, false}};
    bad = (psc_event_def){"Dup", dup, 3};
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    psc_prop_def empty[] = {{"", PSC_PROP_STRING, false}};
    bad = (psc_event_def){"Empty", empty, 1};
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    psc_prop_def null_name[] = {{NULL, PSC_PROP_STRING, false}};
    bad = (psc_event_def){"NullName", null_name, 1};
    assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    const int bad_types[] = {-1, 2, 9, 13, 89, 91, 1000};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        psc_prop_def p[] = {{"x", (psc_prop_type)bad_types[i], false}};
        bad = (psc_event_def){"BadType", p, 1};
        assert_int_equal(psc__events_declare(ev, &bad, &t), PSC_ERR_INVALID);
    }
    assert_null(t);
    assert_int_equal(psc__events_type_count(ev), 0);
    /* every valid property type */
    psc_prop_def all[] = {{"s", PSC_PROP_STRING, false}, {"n", PSC_PROP_NUMBER, false},
                          {"t", PSC_PROP_TIME, false},   {"p", PSC_PROP_PEERID, false},
                          {"m", PSC_PROP_MULTIADDR, true}, {"j", PSC_PROP_JSON, true}};
    psc_event_def good = {"All", all, 6};
    assert_int_equal(psc__events_declare(ev, &good, &t), PSC_OK);
}

static void test_lookup_and_index(void **state)
{
    psc__events *ev = *state;
    const psc_event_type *types[300];
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "Type%d", i);
        psc_prop_def p = {"v", PSC_PROP_NUMBER, false};
        psc_event_def d = {name, &p, 1};
        assert_int_equal(psc__events_declare(ev, &d, &types[i]), PSC_OK);
    }
    assert_int_equal(psc__events_type_count(ev), 300);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "Type%d", i);
        const psc_event_type *t;
        assert_int_equal(psc__events_lookup(ev, name, &t), PSC_OK);
        assert_ptr_equal(t, types[i]);
        assert_ptr_equal(psc__events_type_at(ev, (size_t)i), types[i]);
        assert_int_equal(psc__event_type_index(types[i]), i);
    }
    assert_null(psc__events_type_at(ev, 300));
    assert_int_equal(psc__event_type_index(NULL), SIZE_MAX);
    const psc_event_type *t = (const psc_event_type *)0x1;
    assert_int_equal(psc__events_lookup(ev, "Type300", &t), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc__events_lookup(ev, "", &t), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc__events_lookup(ev, NULL, &t), PSC_ERR_INVALID);
    assert_int_equal(psc__events_lookup(NULL, "Type1", &t), PSC_ERR_INVALID);
    assert_ptr_equal(t, (const psc_event_type *)0x1);
    assert_int_equal(psc__events_type_count(NULL), 0);
}

static void test_max_types(void **state)
{
    psc__events *ev = *state;
    psc_event_def d = {NULL, NULL, 0};
    char name[32];
    d.name = name;
    const psc_event_type *t;
    for (unsigned i = 0; i < PSC__EVENTS_MAX_TYPES; i++) {
        snprintf(name, sizeof name, "T%u", i);
        if (psc__events_declare(ev, &d, &t) != PSC_OK)
            fail_msg("declare %u failed", i);
    }
    assert_int_equal(psc__events_type_count(ev), 65535);
    assert_int_equal(psc__event_type_index(t), 65534);
    snprintf(name, sizeof name, "T%u", PSC__EVENTS_MAX_TYPES);
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_ERR_TOO_BIG);
    /* re-declaring an existing one still works at the limit */
    snprintf(name, sizeof name, "T%u", 123u);
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    assert_int_equal(psc__event_type_index(t), 123);
    assert_int_equal(psc__events_lookup(ev, "T65534", &t), PSC_OK);
    assert_ptr_equal(t, psc__events_type_at(ev, 65534));
}

static void test_too_many_props(void **state)
{
    psc__events *ev = *state;
    size_t n = PSC__EVENTS_MAX_PROPS + 1;
    psc_prop_def *p = calloc(n, sizeof *p);
    char (*names)[16] = calloc(n, sizeof *names);
    assert_non_null(p);
    assert_non_null(names);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "p%zu", i);
        p[i] = (psc_prop_def){names[i], PSC_PROP_NUMBER, false};
    }
    psc_event_def d = {"Wide", p, n};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_ERR_TOO_BIG);
    d.n_props = n - 1;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    assert_int_equal(psc_event_type_prop_count(t), n - 1);
    free(p);
    free(names);
}

static void test_foreign_type(void **state)
{
    psc__events *ev = *state;
    psc__events *other;
    assert_int_equal(psc__events_new(NULL, NULL, 0, 0, &other), PSC_OK);
    psc_event_def d = {"X", NULL, 0};
    const psc_event_type *theirs;
    assert_int_equal(psc__events_declare(other, &d, &theirs), PSC_OK);
    assert_int_equal(psc__events_emit(ev, theirs, 1, NULL, 0), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(other, theirs, 1, NULL, 0), PSC_OK);
    psc__events_free(other);
}

static void test_config_defaults(void **state)
{
    (void)state;
    psc__events *ev;
    assert_int_equal(psc__events_new(NULL, NULL, 0, 0, &ev), PSC_OK);
    assert_int_equal(ev->capacity, 4096);
    assert_int_equal(ev->max_event_size, 1024);
    psc__events_free(ev);
    assert_int_equal(psc__events_new(NULL, NULL, 1000, 100000, &ev), PSC_OK);
    assert_int_equal(ev->capacity, 1024);
    assert_int_equal(ev->max_event_size, 65536); /* bounds emit's stack buffer */
    psc__events_free(ev);
    assert_int_equal(psc__events_new(NULL, NULL, 1, 64, &ev), PSC_OK);
    assert_int_equal(ev->capacity, 1);
    psc__events_free(ev);
    assert_int_equal(psc__events_new(NULL, NULL, 0, 0, NULL), PSC_ERR_INVALID);
    psc__events_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_declare_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redeclare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_and_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_props, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_type, setup, teardown),
        cmocka_unit_test(test_config_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

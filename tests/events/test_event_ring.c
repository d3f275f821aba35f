/*
 * The ring seen from one thread: sequence numbers, independent cursors,
 * overflow accounting, from-oldest vs from-now, producers caught mid-write
 * and events dropped at emit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"

typedef struct fixture {
    psc__events *ev;
    const psc_event_type *t;
} fixture;

static void make(fixture *f, size_t capacity, size_t max_size)
{
    assert_int_equal(psc__events_new(NULL, NULL, capacity, max_size, &f->ev), PSC_OK);
    psc_prop_def p = {"n", PSC_PROP_NUMBER, false};
    psc_event_def d = {"Tick", &p, 1};
    assert_int_equal(psc__events_declare(f->ev, &d, &f->t), PSC_OK);
}

static void emit_n(fixture *f, int from, int count)
{
    for (int i = from; i < from + count; i++) {
        psc_value v = PSC_V_NUM(i);
        assert_int_equal(psc__events_emit(f->ev, f->t, 1000 + (uint64_t)i, &v, 1), PSC_OK);
    }
}

/* Read one event, expecting event number n (content and ts encode it). */
static void expect_event(psc_event_reader *r, int n, uint64_t seq, uint64_t missed_expected)
{
    psc_event_record rec;
    uint64_t missed = 12345;
    psc_err e = psc_event_reader_next(r, &rec, &missed);
    if (e != PSC_OK)
        fail_msg("expected event %d, got error %d", n, (int)e);
    char want[32];
    snprintf(want, sizeof want, "{\"n\":%d}", n);
    assert_string_equal(rec.content, want);
    assert_int_equal(rec.content_len, strlen(want));
    assert_int_equal(rec.ts, 1000 + (uint64_t)n);
    assert_int_equal(rec.seq, seq);
    assert_string_equal(psc_event_type_name(rec.type), "Tick");
    assert_int_equal(missed, missed_expected);
}

static void expect_again(psc_event_reader *r)
{
    psc_event_record rec;
    memset(&rec, 0x5a, sizeof rec);
    uint64_t missed = 777;
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_ERR_AGAIN);
    assert_int_equal(missed, 777); /* out-params untouched without an event */
    assert_int_equal(rec.seq, 0x5a5a5a5a5a5a5a5aull);
}

static void test_seq_continuity(void **state)
{
    (void)state;
    fixture f;
    make(&f, 64, 0);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f.ev, true, &r), PSC_OK);
    expect_again(r);
    emit_n(&f, 0, 10);
    for (int i = 0; i < 10; i++)
        expect_event(r, i, (uint64_t)i + 1, 0);
    expect_again(r);
    emit_n(&f, 10, 1);
    expect_event(r, 10, 11, 0);
    expect_again(r);
    assert_int_equal(atomic_load(&f.ev->head), 11);
    assert_int_equal(psc__events_dropped(f.ev), 0);
    assert_int_equal(psc__event_reader_missed_total(r), 0);
    psc_event_reader_free(r);
    psc__events_free(f.ev);
}

static void test_independent_cursors(void **state)
{
    (void)state;
    fixture f;
    make(&f, 64, 0);
    psc_event_reader *a, *b;
    assert_int_equal(psc__events_reader_new(f.ev, false, &a), PSC_OK);
    assert_int_equal(psc__events_reader_new(f.ev, false, &b), PSC_OK);
    emit_n(&f, 0, 6);
    for (int i = 0; i < 6; i++)
        expect_event(a, i, (uint64_t)i + 1, 0);
    expect_again(a);
    for (int i = 0; i < 3; i++)
        expect_event(b, i, (uint64_t)i + 1, 0);
    emit_n(&f, 6, 2);
    for (int i = 3; i < 8; i++)
        expect_event(b, i, (uint64_t)i + 1, 0);
    expect_again(b);
    for (int i = 6; i < 8; i++)
        expect_event(a, i, (uint64_t)i + 1, 0);
    expect_again(a);
    psc_event_reader_free(a);
    psc_event_reader_free(b);
    psc__events_free(f.ev);
}

static void test_from_now_vs_oldest(void **state)
{
    (void)state;
    fixture f;
    make(&f, 8, 0);
    emit_n(&f, 0, 5);
    psc_event_reader *now, *old;
    assert_int_equal(psc__events_reader_new(f.ev, false, &now), PSC_OK);
    assert_int_equal(psc__events_reader_new(f.ev, true, &old), PSC_OK);
    expect_again(now);
    emit_n(&f, 5, 1);
    expect_event(now, 5, 6, 0);
    for (int i = 0; i < 6; i++)
        expect_event(old, i, (uint64_t)i + 1, 0);
    psc_event_reader_free(now);
    psc_event_reader_free(old);

    /* after the ring wrapped, "oldest" is the oldest still held, with no loss reported */
    emit_n(&f, 6, 14); /* 20 in all, capacity 8 */
    assert_int_equal(psc__events_reader_new(f.ev, true, &old), PSC_OK);
    for (int i = 12; i < 20; i++)
        expect_event(old, i, (uint64_t)i + 1, 0);
    expect_again(old);
    assert_int_equal(psc__event_reader_missed_total(old), 0);
    psc_event_reader_free(old);
    psc__events_free(f.ev);
}

static void test_overflow_reports_missed(void **state)
{
    (void)state;
    fixture f;
    make(&f, 5, 0); /* rounded up to 8 */
    assert_int_equal(f.ev->capacity, 8);
    psc_event_reader *slow, *fast;
    assert_int_equal(psc__events_reader_new(f.ev, false, &slow), PSC_OK);
    assert_int_equal(psc__events_reader_new(f.ev, false, &fast), PSC_OK);
    emit_n(&f, 0, 3);
    expect_event(slow, 0, 1, 0);
    for (int i = 0; i < 3; i++)
        expect_event(fast, i, (uint64_t)i + 1, 0);
    emit_n(&f, 3, 20); /* 23 emitted; the ring holds 15..22 */
    expect_event(slow, 15, 16, 14); /* 1..14 (events 1..14) lost */
    for (int i = 16; i < 23; i++)
        expect_event(slow, i, (uint64_t)i + 1, 0);
    expect_again(slow);
    assert_int_equal(psc__event_reader_missed_total(slow), 14);
    /* the other cursor lost its own share, independently */
    expect_event(fast, 15, 16, 12);
    assert_int_equal(psc__event_reader_missed_total(fast), 12);

    /* exactly capacity behind: nothing lost */
    emit_n(&f, 23, 8);
    for (int i = 23; i < 31; i++)
        expect_event(slow, i, (uint64_t)i + 1, 0);
    /* one more than capacity: exactly one lost */
    emit_n(&f, 31, 9);
    expect_event(slow, 32, 33, 1);
    psc_event_reader_free(slow);
    psc_event_reader_free(fast);
    psc__events_free(f.ev);
}

static void test_missed_without_out_param(void **state)
{
    (void)state;
    fixture f;
    make(&f, 4, 0);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f.ev, false, &r), PSC_OK);
    emit_n(&f, 0, 10);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
    assert_int_equal(rec.seq, 7);
    /* reported (to nobody) once: the next read starts from zero again */
    expect_event(r, 7, 8, 0);
    assert_int_equal(psc__event_reader_missed_total(r), 6);
    psc_event_reader_free(r);
    psc__events_free(f.ev);
}

static void test_capacity_one(void **state)
{
    (void)state;
    fixture f;
    make(&f, 1, 0);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f.ev, false, &r), PSC_OK);
    emit_n(&f, 0, 1);
    expect_event(r, 0, 1, 0);
    emit_n(&f, 1, 3);
    expect_event(r, 3, 4, 2);
    expect_again(r);
    psc_event_reader_free(r);
    psc__events_free(f.ev);
}

/* Write event n by hand through an open claim. */
static void finish_claim(fixture *f, psc__ring_claim *c, int n)
{
    char text[32];
    uint64_t buf[4] = {0};
    int len = snprintf(text, sizeof text, "{\"n\":%d}", n);
    memcpy(buf, text, (size_t)len);
    psc__ring_write(c, 1000 + (uint64_t)n, f->t->index, PSC__SLOT_JSON, buf, (size_t)len);
    psc__ring_commit(c);
}

static void test_reader_waits_for_slow_producer(void **state)
{
    (void)state;
    fixture f;
    make(&f, 8, 0);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f.ev, false, &r), PSC_OK);
    psc__ring_claim held;
    assert_int_equal(psc__ring_begin(f.ev, &held), PSC_OK); /* ticket 0, still writing */
    emit_n(&f, 1, 2);                                        /* tickets 1 and 2 published */
    /* order is kept: tickets 1 and 2 wait behind ticket 0 */
    expect_again(r);
    finish_claim(&f, &held, 0);
    expect_event(r, 0, 1, 0);
    expect_event(r, 1, 2, 0);
    expect_event(r, 2, 3, 0);
    expect_again(r);
    psc_event_reader_free(r);
    psc__events_free(f.ev);
}

static void test_drop_when_slot_busy(void **state)
{
    (void)state;
    fixture f;
    make(&f, 2, 0);
    psc__ring_claim held;
    assert_int_equal(psc__ring_begin(f.ev, &held), PSC_OK); /* ticket 0 in slot 0, still writing */
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f.ev, false, &r), PSC_OK); /* starts at ticket 1 */
    emit_n(&f, 1, 1);                                                   /* ticket 1 in slot 1 */
    /* ticket 2 maps to slot 0, still being written by ticket 0: dropped, no waiting */
    emit_n(&f, 2, 1);
    assert_int_equal(psc__events_dropped(f.ev), 1);
    assert_int_equal(atomic_load(&f.ev->head), 3);
    expect_event(r, 1, 2, 0);
    /* the reader does not wait for ticket 2: its drop mark says it is gone */
    expect_again(r);
    assert_int_equal(psc__event_reader_missed_total(r), 1);
    finish_claim(&f, &held, 0);
    expect_again(r);
    emit_n(&f, 3, 1);
    expect_event(r, 3, 4, 1);
    expect_again(r);

    /* a late producer whose slot a newer ticket already took drops too */
    psc__events *ev = f.ev;
    /* simulate: take ticket 4 by hand, let ticket 6 take slot 0 first */
    uint64_t t4 = atomic_fetch_add(&ev->head, 1); /* ticket 4, not yet claimed */
    assert_int_equal(t4, 4);
    emit_n(&f, 5, 2); /* tickets 5 (slot 1) and 6 (slot 0) */
    _Atomic uint64_t *slot0 = psc__slot(ev, 4);
    assert_int_equal(atomic_load(&slot0[PSC__SLOT_STATE]), 2 * 6 + 2);
    /* now ticket 4's producer resumes: emulate its claim decision by starting
     * a claim for a ticket whose slot holds a newer one */
    atomic_store(&ev->head, 4);
    psc__ring_claim late;
    assert_int_equal(psc__ring_begin(ev, &late), PSC_ERR_AGAIN);
    assert_int_equal(atomic_load(&ev->head), 5);
    atomic_store(&ev->head, 7);
    assert_int_equal(psc__events_dropped(ev), 2);
    assert_int_equal(atomic_load(&slot0[PSC__SLOT_STATE]), 2 * 6 + 2); /* untouched */
    expect_event(r, 5, 6, 1);
    expect_event(r, 6, 7, 0);
    expect_again(r);
    psc_event_reader_free(r);
    psc__events_free(f.ev);
}

static void test_large_events(void **state)
{
    (void)state;
    const size_t sizes[] = {4000, 60000};
    for (size_t k = 0; k < 2; k++) {
        psc__events *ev;
        assert_int_equal(psc__events_new(NULL, NULL, 4, sizes[k], &ev), PSC_OK);
        psc_prop_def p = {"s", PSC_PROP_STRING, false};
        psc_event_def d = {"Big", &p, 1};
        const psc_event_type *t;
        assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
        psc_event_reader *r;
        assert_int_equal(psc__events_reader_new(ev, false, &r), PSC_OK);
        size_t n = sizes[k] - 8; /* {"s":"..."} fills the limit exactly */
        char *s = malloc(n + 1);
        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('a' + i % 26);
        s[n] = '\0';
        psc_value v = PSC_V_STR(s);
        assert_int_equal(psc__events_emit(ev, t, 1, &v, 1), PSC_OK);
        psc_event_record rec;
        assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
        assert_int_equal(rec.content_len, sizes[k]);
        assert_memory_equal(rec.content + 6, s, n);
        assert_int_equal(rec.content[rec.content_len], '\0');
        s[n - 2] = '"'; /* one byte more once escaped */
        assert_int_equal(psc__events_emit(ev, t, 2, &v, 1), PSC_ERR_TOO_BIG);
        free(s);
        psc_event_reader_free(r);
        psc__events_free(ev);
    }
}

static void test_bad_args(void **state)
{
    (void)state;
    fixture f;
    make(&f, 4, 0);
    psc_event_reader *r = NULL;
    assert_int_equal(psc__events_reader_new(NULL, false, &r), PSC_ERR_INVALID);
    assert_int_equal(psc__events_reader_new(f.ev, false, NULL), PSC_ERR_INVALID);
    assert_null(r);
    assert_int_equal(psc__events_reader_new(f.ev, false, &r), PSC_OK);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(NULL, &rec, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_event_reader_next(r, NULL, NULL), PSC_ERR_INVALID);
    psc_event_reader_free(r);
    psc_event_reader_free(NULL);
    assert_int_equal(psc__events_dropped(NULL), 0);
    assert_int_equal(psc__event_reader_missed_total(NULL), 0);
    psc__events_free(f.ev);
}

/* A resuming reader: the first held event after a seq, and the count of
 * those past it that the ring no longer holds. Event n has seq n + 1. */
static void test_reader_after(void **state)
{
    (void)state;
    fixture f;
    make(&f, 16, 0);
    psc_event_reader *r;
    uint64_t not_held = 99;

    /* nothing emitted: any after_seq starts at the beginning, nothing lost */
    assert_int_equal(psc__events_reader_after(f.ev, 5, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 0);
    expect_again(r);
    emit_n(&f, 0, 1);
    expect_event(r, 0, 1, 0);
    psc_event_reader_free(r);

    emit_n(&f, 1, 9); /* seqs 1..10, all held */
    assert_int_equal(psc__events_reader_after(f.ev, 4, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 0);
    for (int n = 4; n < 10; n++)
        expect_event(r, n, (uint64_t)n + 1, 0);
    expect_again(r);
    psc_event_reader_free(r);

    /* caught up (the newest seq): nothing until the next emit */
    assert_int_equal(psc__events_reader_after(f.ev, 10, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 0);
    expect_again(r);
    psc_event_reader_free(r);

    /* 0 and past the newest seq: every held event */
    uint64_t afters[] = {0, 11, 1000};
    for (size_t i = 0; i < sizeof afters / sizeof afters[0]; i++) {
        assert_int_equal(psc__events_reader_after(f.ev, afters[i], &not_held, &r), PSC_OK);
        assert_int_equal(not_held, 0);
        for (int n = 0; n < 10; n++)
            expect_event(r, n, (uint64_t)n + 1, 0);
        expect_again(r);
        psc_event_reader_free(r);
    }

    emit_n(&f, 10, 30); /* seqs 1..40, 25..40 held */
    assert_int_equal(psc__events_reader_after(f.ev, 10, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 14);
    for (int n = 24; n < 40; n++)
        expect_event(r, n, (uint64_t)n + 1, 0); /* the reader itself reports no gap */
    expect_again(r);
    psc_event_reader_free(r);

    assert_int_equal(psc__events_reader_after(f.ev, 0, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 24);
    expect_event(r, 24, 25, 0);
    psc_event_reader_free(r);

    assert_int_equal(psc__events_reader_after(f.ev, 30, &not_held, &r), PSC_OK);
    assert_int_equal(not_held, 0);
    expect_event(r, 30, 31, 0);
    /* lapped later like any reader */
    emit_n(&f, 40, 20);
    expect_event(r, 44, 45, 13);
    psc_event_reader_free(r);

    assert_int_equal(psc__events_reader_after(NULL, 0, &not_held, &r), PSC_ERR_INVALID);
    assert_int_equal(psc__events_reader_after(f.ev, 0, NULL, &r), PSC_ERR_INVALID);
    assert_int_equal(psc__events_reader_after(f.ev, 0, &not_held, NULL), PSC_ERR_INVALID);
    psc__events_free(f.ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_continuity),
        cmocka_unit_test(test_independent_cursors),
        cmocka_unit_test(test_from_now_vs_oldest),
        cmocka_unit_test(test_overflow_reports_missed),
        cmocka_unit_test(test_missed_without_out_param),
        cmocka_unit_test(test_capacity_one),
        cmocka_unit_test(test_reader_waits_for_slow_producer),
        cmocka_unit_test(test_drop_when_slot_busy),
        cmocka_unit_test(test_large_events),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_reader_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

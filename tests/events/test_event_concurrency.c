/*
 * 4 producers and 2 readers at once on a small ring (so that readers do
 * fall behind), plus a thread declaring types while others read the type
 * list lock-free. Every event read must be exactly what its producer wrote;
 * each reader's reads plus misses must account for every event emitted.
 * Threads only record; all assertions run on the main thread after join.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "util/json.h"

#define PRODUCERS 4
#define READERS 2
#define PER_PRODUCER 20000
#define CAPACITY 256
#define DYN_TYPES 400

typedef struct shared {
    psc__events *ev;
    const psc_event_type *t;
    atomic_bool producers_done;
    atomic_bool declarer_done;
} shared;

typedef struct producer {
    shared *s;
    int id;
    int errors;
} producer;

typedef struct reader {
    shared *s;
    psc_event_reader *r;
    uint64_t reads;
    uint64_t reported_missed;
    uint64_t bad_content;
    uint64_t bad_order;
    uint64_t bad_type;
    uint64_t last_seq;
    long last_n[PRODUCERS];
    char first_error[160];
} reader;

/* The string property varies in length so events straddle words differently. */
static void pad_for(int p, long n, char *out)
{
    int len = (int)(n % 37);
    for (int i = 0; i < len; i++)
        out[i] = (char)('a' + (p * 7 + i) % 26);
    out[len] = '\0';
}

static int expected_content(int p, long n, char *out, size_t cap)
{
    char pad[64];
    pad_for(p, n, pad);
    return snprintf(out, cap, "{\"p\":%d,\"n\":%ld,\"s\":\"%s\\\"%ld\"}", p, n, pad, n);
}

static void *produce(void *arg)
{
    producer *pr = arg;
    for (long n = 0; n < PER_PRODUCER; n++) {
        char pad[64], s[96];
        pad_for(pr->id, n, pad);
        snprintf(s, sizeof s, "%s\"%ld", pad, n);
        psc_value v[] = {PSC_V_NUM(pr->id), PSC_V_NUM(n), PSC_V_STR(s)};
        uint64_t ts = (uint64_t)pr->id << 32 | (uint64_t)n;
        if (psc__events_emit(pr->s->ev, pr->s->t, ts, v, 3) != PSC_OK)
            pr->errors++;
    }
    return NULL;
}

static void check(reader *rd, const psc_event_record *rec)
{
    int p = -1;
    long n = -1;
    if (rec->type != rd->s->t) {
        rd->bad_type++;
        return;
    }
    if (sscanf(rec->content, "{\"p\":%d,\"n\":%ld,", &p, &n) != 2 || p < 0 || p >= PRODUCERS) {
        rd->bad_content++;
        return;
    }
    char want[160];
    int len = expected_content(p, n, want, sizeof want);
    bool ok = (size_t)len == rec->content_len && strcmp(want, rec->content) == 0 &&
              rec->ts == ((uint64_t)p << 32 | (uint64_t)n) && psc__json_valid(rec->content, rec->content_len);
    if (!ok) {
        if (!rd->bad_content)
            snprintf(rd->first_error, sizeof rd->first_error, "%s", rec->content);
        rd->bad_content++;
    }
    /* a producer's tickets increase with n, and readers go in ticket order */
    if (n <= rd->last_n[p] || rec->seq <= rd->last_seq)
        rd->bad_order++;
    rd->last_n[p] = n;
    rd->last_seq = rec->seq;
}

static void *consume(void *arg)
{
    reader *rd = arg;
    for (;;) {
        /* read the flag before draining: once it is set and the drain
         * comes back empty, nothing more can arrive */
        bool done = atomic_load(&rd->s->producers_done);
        psc_event_record rec;
        uint64_t missed = 0;
        psc_err e = psc_event_reader_next(rd->r, &rec, &missed);
        if (e == PSC_OK) {
            rd->reads++;
            rd->reported_missed += missed;
            check(rd, &rec);
        } else if (e == PSC_ERR_AGAIN) {
            if (done)
                break;
            sched_yield();
        } else {
            rd->bad_content++;
            break;
        }
    }
    return NULL;
}

/* Declares Dyn0..DynN-1 while other threads use the type list. */
static void *declare_types(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < DYN_TYPES; i++) {
        char name[32];
        snprintf(name, sizeof name, "Dyn%d", i);
        psc_prop_def p = {"v", PSC_PROP_NUMBER, false};
        psc_event_def d = {name, &p, 1};
        const psc_event_type *t;
        if (psc__events_declare(s->ev, &d, &t) != PSC_OK)
            break;
    }
    atomic_store(&s->declarer_done, true);
    return NULL;
}

typedef struct type_checker {
    shared *s;
    uint64_t checks;
    uint64_t bad;
} type_checker;

static void *check_types(void *arg)
{
    type_checker *tc = arg;
    bool last = false;
    while (!last) {
        last = atomic_load(&tc->s->declarer_done);
        size_t count = psc__events_type_count(tc->s->ev);
        for (size_t i = 1; i < count; i++) {
            const psc_event_type *t = psc__events_type_at(tc->s->ev, i);
            char name[32];
            snprintf(name, sizeof name, "Dyn%zu", i - 1);
            if (!t || strcmp(psc_event_type_name(t), name) != 0 || psc__event_type_index(t) != i ||
                psc_event_type_prop_count(t) != 1)
                tc->bad++;
            tc->checks++;
        }
    }
    return NULL;
}

static void test_producers_and_readers(void **state)
{
    (void)state;
    shared s;
    memset(&s, 0, sizeof s);
    assert_int_equal(psc__events_new(NULL, NULL, CAPACITY, 128, &s.ev), PSC_OK);
    psc_prop_def props[] = {{"p", PSC_PROP_NUMBER, false}, {"n", PSC_PROP_NUMBER, false}, {"s", PSC_PROP_STRING, false}};
    psc_event_def d = {"Work", props, 3};
    assert_int_equal(psc__events_declare(s.ev, &d, &s.t), PSC_OK);

    reader *rds = calloc(READERS, sizeof *rds);
    assert_non_null(rds);
    for (int i = 0; i < READERS; i++) {
        rds[i].s = &s;
        for (int p = 0; p < PRODUCERS; p++)
            rds[i].last_n[p] = -1;
        assert_int_equal(psc__events_reader_new(s.ev, false, &rds[i].r), PSC_OK);
    }
    producer prs[PRODUCERS];
    type_checker tc = {&s, 0, 0};
    pthread_t pth[PRODUCERS], rth[READERS], dth, cth;
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&rth[i], NULL, consume, &rds[i]), 0);
    assert_int_equal(pthread_create(&dth, NULL, declare_types, &s), 0);
    assert_int_equal(pthread_create(&cth, NULL, check_types, &tc), 0);
    for (int i = 0; i < PRODUCERS; i++) {
        prs[i] = (producer){&s, i, 0};
        assert_int_equal(pthread_create(&pth[i], NULL, produce, &prs[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(pth[i], NULL);
    atomic_store(&s.producers_done, true);
    for (int i = 0; i < READERS; i++)
        pthread_join(rth[i], NULL);
    pthread_join(dth, NULL);
    pthread_join(cth, NULL);

    uint64_t total = (uint64_t)PRODUCERS * PER_PRODUCER;
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(prs[i].errors, 0);
    assert_int_equal(atomic_load(&s.ev->head), total);
    uint64_t dropped = psc__events_dropped(s.ev);
    for (int i = 0; i < READERS; i++) {
        reader *rd = &rds[i];
        if (rd->bad_content)
            fail_msg("reader %d: %llu bad events, first: %s", i, (unsigned long long)rd->bad_content,
                     rd->first_error);
        assert_int_equal(rd->bad_type, 0);
        assert_int_equal(rd->bad_order, 0);
        uint64_t missed = psc__event_reader_missed_total(rd->r);
        /* every ticket was either read or counted as missed, exactly once */
        assert_int_equal(rd->reads + missed, total);
        assert_true(rd->reported_missed <= missed);
        assert_true(missed >= dropped);
        assert_true(rd->reads > 0);
        psc_event_reader_free(rd->r);
        printf("# reader %d: %llu read, %llu missed, %llu dropped at emit\n", i, (unsigned long long)rd->reads,
               (unsigned long long)missed, (unsigned long long)dropped);
    }
    /* the late drain of a from-oldest reader sees the last ring's worth intact */
    psc_event_reader *late;
    assert_int_equal(psc__events_reader_new(s.ev, true, &late), PSC_OK);
    reader lr;
    memset(&lr, 0, sizeof lr);
    lr.s = &s;
    lr.r = late;
    for (int p = 0; p < PRODUCERS; p++)
        lr.last_n[p] = -1;
    consume(&lr);
    assert_int_equal(lr.bad_content + lr.bad_order + lr.bad_type, 0);
    assert_int_equal(lr.reads + psc__event_reader_missed_total(late), CAPACITY);
    psc_event_reader_free(late);

    assert_int_equal(tc.bad, 0);
    assert_true(tc.checks > 0);
    assert_int_equal(psc__events_type_count(s.ev), DYN_TYPES + 1);
    free(rds);
    psc__events_free(s.ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producers_and_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * emit copies typed values into the ring and readers format the JSON;
 * before, emit formatted it. What every reader gets, and what emit
 * returns, must be exactly what formatting at emit gives: these tests run
 * both on the same values (every property type, single and multiple,
 * escapes, bad UTF-8, non-finite and extreme numbers, NULLs, absent
 * values, invalid JSON, long strings, contents just under and over
 * max_event_size) and compare bytes and errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "util/json.h"

#define N_PROPS 12
#define LONG_MAX_LEN 5000

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure repeats */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

static const char *const tricky[] = {
    "",
    "tcp",
    "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN",
    "quote\" and back\\slash",
    "\x01\x1f\x7f ctl",
    "\n\r\t\b\f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "bad \xff byte",
    "cut \xc3",
    "overlong \xc0\xaf",
    "surrogate \xed\xa0\x80",
    "/ip4/127.0.0.1/tcp/4001",
};

static const char *const json_pool[] = {
    "null", "[1,{\"k\":null}]", "{\"a\":\"\\u00e9\"}", "-0.5e3", "\"s\"", "true",
    "{", "nul", "[1,]", "", "\"\xff\"", /* the last five are invalid */
};

/* Strings for one trial, kept alive until it is compared. */
typedef struct pool {
    char longs[8][LONG_MAX_LEN + 1];
    int n_longs;
} pool;

static const char *pick_str(pool *p)
{
    uint64_t r = rnd() % 16;
    if (r == 0)
        return NULL;
    if (r < 4 && p->n_longs < 8) {
        /* long: plain runs with escapes and bad bytes mixed in */
        char *s = p->longs[p->n_longs++];
        size_t n = rnd() % LONG_MAX_LEN + 1;
        for (size_t i = 0; i < n; i++) {
            uint64_t k = rnd() % 64;
            s[i] = k == 0 ? '"' : k == 1 ? '\\' : k == 2 ? (char)(rnd() % 31 + 1) : k == 3 ? (char)0xc3
                   : k == 4                                                     ? (char)0xa9
                   : k == 5                                                     ? (char)0xff
                                                                                : (char)('a' + k % 26);
        }
        s[n] = '\0';
        return s;
    }
    return tricky[rnd() % (sizeof tricky / sizeof tricky[0])];
}

static double pick_num(void)
{
    static const double special[] = {0.0,    -0.0,   1.0,   -1.0,     0.1,          1e21,  1e300,
                                     5e-324, 1e-7,   123.456, 9007199254740993.0, 9223372036854775808.0,
                                     -9223372036854775808.0, 1.7976931348623157e308, -1.7976931348623157e308};
    uint64_t r = rnd() % 8;
    if (r == 0)
        return NAN;
    if (r == 1)
        return rnd() & 1 ? INFINITY : -INFINITY;
    if (r < 5)
        return special[rnd() % (sizeof special / sizeof special[0])];
    uint64_t bits = rnd();
    double x;
    memcpy(&x, &bits, sizeof x); /* any double, NaN payloads included */
    return x;
}

static uint64_t pick_time(void)
{
    uint64_t r = rnd() % 4;
    return r == 0 ? 0 : r == 1 ? UINT64_MAX : rnd() >> (rnd() % 64);
}

typedef struct trial {
    psc_value v[N_PROPS];
    const char *strs[N_PROPS][6];
    double nums[6];
    uint64_t times[6];
    pool p;
} trial;

static const psc_prop_type kinds[6] = {PSC_PROP_STRING, PSC_PROP_NUMBER,    PSC_PROP_TIME,
                                       PSC_PROP_PEERID, PSC_PROP_MULTIADDR, PSC_PROP_JSON};

static void fill(trial *t)
{
    t->p.n_longs = 0;
    for (int i = 0; i < N_PROPS; i++) {
        psc_prop_type type = kinds[i % 6];
        bool multiple = i >= 6;
        psc_value *v = &t->v[i];
        memset(v, 0, sizeof *v);
        if (rnd() % 8 == 0) {
            v->absent = true;
            continue;
        }
        if (!multiple) {
            if (type == PSC_PROP_NUMBER)
                v->u.num = pick_num();
            else if (type == PSC_PROP_TIME)
                v->u.time = pick_time();
            else if (type == PSC_PROP_JSON)
                v->u.str = rnd() % 8 == 0 ? NULL : json_pool[rnd() % (sizeof json_pool / sizeof json_pool[0])];
            else
                v->u.str = pick_str(&t->p);
            continue;
        }
        v->count = rnd() % 5;
        if (rnd() % 32 == 0)
            continue; /* no array: invalid unless count is 0 */
        for (size_t k = 0; k < v->count; k++) {
            t->nums[k] = pick_num();
            t->times[k] = pick_time();
            t->strs[i][k] = type == PSC_PROP_JSON ? json_pool[rnd() % 6] : pick_str(&t->p);
        }
        if (type == PSC_PROP_NUMBER)
            v->u.nums = t->nums;
        else if (type == PSC_PROP_TIME)
            v->u.times = t->times;
        else
            v->u.strs = t->strs[i];
    }
}

static const psc_event_type *declare_all(psc__events *ev)
{
    static const psc_prop_def props[N_PROPS] = {
        {"s", PSC_PROP_STRING, false},     {"n", PSC_PROP_NUMBER, false},    {"t", PSC_PROP_TIME, false},
        {"p", PSC_PROP_PEERID, false},     {"m", PSC_PROP_MULTIADDR, false}, {"j", PSC_PROP_JSON, false},
        {"ss", PSC_PROP_STRING, true},     {"ns", PSC_PROP_NUMBER, true},    {"ts", PSC_PROP_TIME, true},
        {"ps", PSC_PROP_PEERID, true},     {"ms", PSC_PROP_MULTIADDR, true}, {"js\"\\", PSC_PROP_JSON, true},
    };
    psc_event_def d = {"All", props, N_PROPS};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    return t;
}

static unsigned slot_kind(psc__events *ev, uint64_t ticket)
{
    return (unsigned)(atomic_load(&psc__slot(ev, ticket)[PSC__SLOT_META]) >> 24 & 0xff);
}

/* Emit values of n_values (a prefix of the type's, or all) and compare
 * with formatting at emit; returns the slot kind, or -1 if not emitted. */
static int compare_one(psc__events *ev, const psc_event_type *t, psc_event_reader *r1, psc_event_reader *r2,
                       const psc_value *v, size_t n_values, char *want)
{
    size_t max = ev->max_event_size, want_len = 0;
    psc_err old = psc__event_format(t, v, n_values, want, max, &want_len);
    uint64_t head = atomic_load(&ev->head);
    psc_err now = psc__events_emit(ev, t, 42, v, n_values);
    assert_int_equal(now, old);
    if (now != PSC_OK) {
        assert_int_equal(atomic_load(&ev->head), head); /* nothing emitted, no seq taken */
        return -1;
    }
    psc_event_reader *rs[2] = {r1, r2};
    for (int i = 0; i < 2; i++) {
        psc_event_record rec;
        uint64_t missed = 1;
        assert_int_equal(psc_event_reader_next(rs[i], &rec, &missed), PSC_OK);
        assert_int_equal(missed, 0);
        assert_int_equal(rec.seq, head + 1);
        assert_int_equal(rec.ts, 42);
        assert_int_equal(rec.content_len, want_len);
        assert_memory_equal(rec.content, want, want_len);
        assert_int_equal(rec.content[want_len], '\0');
        assert_true(psc__json_valid(rec.content, rec.content_len));
    }
    return (int)slot_kind(ev, head);
}

static void test_same_content_as_formatting_at_emit(void **state)
{
    (void)state;
    static const size_t maxes[] = {1, 2, 16, 40, 100, 256, 1024, 4096, 9000, 65536};
    static trial tr;
    static char want[PSC__EVENTS_MAX_SIZE_LIMIT + 1];
    unsigned packed = 0, json = 0, refused = 0;
    for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        psc__events *ev;
        assert_int_equal(psc__events_new(NULL, NULL, 4, maxes[m], &ev), PSC_OK);
        const psc_event_type *t = declare_all(ev);
        psc_event_reader *r1, *r2;
        assert_int_equal(psc__events_reader_new(ev, false, &r1), PSC_OK);
        assert_int_equal(psc__events_reader_new(ev, false, &r2), PSC_OK);
        for (int i = 0; i < 3000; i++) {
            fill(&tr);
            /* mostly the whole type; sometimes a wrong value count */
            size_t n = rnd() % 64 == 0 ? rnd() % (N_PROPS + 2) : N_PROPS;
            int kind = compare_one(ev, t, r1, r2, tr.v, n, want);
            if (kind < 0)
                refused++;
            else if (kind == PSC__SLOT_PACKED)
                packed++;
            else
                json++;
        }
        psc_event_reader_free(r1);
        psc_event_reader_free(r2);
        psc__events_free(ev);
    }
    /* every path was taken, so the comparison covered each */
    assert_true(packed > 1000);
    assert_true(json > 10);
    assert_true(refused > 1000);
}

/* The boundary: a string that fills max_event_size exactly, and one more. */
static void test_limit_exactly(void **state)
{
    (void)state;
    static char want[PSC__EVENTS_MAX_SIZE_LIMIT + 1];
    static char s[PSC__EVENTS_MAX_SIZE_LIMIT + 2];
    static const size_t maxes[] = {8, 9, 64, 1024, 1025, 8192, 65536};
    psc_prop_def p = {"v", PSC_PROP_STRING, false};
    psc_event_def d = {"Big", &p, 1};
    for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        psc__events *ev;
        const psc_event_type *t;
        psc_event_reader *r1, *r2;
        assert_int_equal(psc__events_new(NULL, NULL, 4, maxes[m], &ev), PSC_OK);
        assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
        assert_int_equal(psc__events_reader_new(ev, false, &r1), PSC_OK);
        assert_int_equal(psc__events_reader_new(ev, false, &r2), PSC_OK);
        /* {"v":""} is 8 bytes */
        for (size_t extra = 0; extra <= 2; extra++) {
            size_t n = maxes[m] - 8 + extra;
            for (int esc = 0; esc < 2; esc++) {
                memset(s, 'x', n);
                if (esc && n)
                    s[n / 2] = '\x01'; /* six bytes escaped */
                s[n] = '\0';
                psc_value v = PSC_V_STR(s);
                int kind = compare_one(ev, t, r1, r2, &v, 1, want);
                assert_int_equal(kind >= 0, extra == 0 && !(esc && n));
            }
        }
        psc_event_reader_free(r1);
        psc_event_reader_free(r2);
        psc__events_free(ev);
    }
}

/* A packing that is cut short, or has bytes left over, is refused. */
static void test_bad_packing_refused(void **state)
{
    (void)state;
    psc__events *ev;
    assert_int_equal(psc__events_new(NULL, NULL, 4, 1024, &ev), PSC_OK);
    const psc_event_type *t = declare_all(ev);
    static trial tr;
    uint8_t buf[1024 + 8];
    char out[1025];
    unsigned checked = 0;
    for (int i = 0; i < 500; i++) {
        fill(&tr);
        size_t len, out_len;
        if (!psc__event_pack(t, tr.v, N_PROPS, buf, 1024, 1024, &len))
            continue;
        checked++;
        assert_int_equal(psc__event_format_packed(t, buf, len, out, 1024, &out_len), PSC_OK);
        for (size_t cut = 0; cut < len; cut += 1 + len / 16)
            assert_int_equal(psc__event_format_packed(t, buf, cut, out, 1024, &out_len), PSC_ERR_INVALID);
        buf[len] = 0;
        assert_int_equal(psc__event_format_packed(t, buf, len + 1, out, 1024, &out_len), PSC_ERR_INVALID);
    }
    assert_true(checked > 50);
    psc__events_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_content_as_formatting_at_emit),
        cmocka_unit_test(test_limit_exactly),
        cmocka_unit_test(test_bad_packing_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * JSON content of events: escaping, numbers, times, arrays, raw JSON,
 * absent values, size limit. Each content is compared with the expected
 * text, checked by the validator, and (for strings) decoded back by an
 * independent decoder written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "util/json.h"

typedef struct fixture {
    psc__events *ev;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || psc__events_new(NULL, NULL, 16, 256, &f->ev) != PSC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    psc__events_free(f->ev);
    free(f);
    return 0;
}

static const psc_event_type *declare1(psc__events *ev, const char *name, psc_prop_type type, bool multiple)
{
    psc_prop_def p = {"v", type, multiple};
    psc_event_def d = {name, &p, 1};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    return t;
}

/* Format, check it is valid JSON and equals expected. */
static void expect_content(const psc_event_type *t, const psc_value *v, size_t n, const char *expected)
{
    char buf[256];
    size_t len = 0;
    psc_err e = psc__event_format(t, v, n, buf, sizeof buf, &len);
    assert_int_equal(e, PSC_OK);
    assert_true(psc__json_valid(buf, len));
    buf[len] = '\0';
    assert_string_equal(buf, expected);
}

/* ---- an independent decoder for one JSON string, for round trips ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s at the opening quote; writes the decoded bytes (NUL-terminated). */
static size_t decode_string(const char *s, char *out)
{
    size_t o = 0;
    assert_int_equal(*s, '"');
    for (s++; *s != '"'; s++) {
        assert_true((unsigned char)*s >= 0x20);
        if (*s != '\\') {
            out[o++] = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 1; i <= 4; i++) {
                assert_true(hexval(s[i]) >= 0);
                cp = cp * 16 + (unsigned)hexval(s[i]);
            }
            s += 4;
            assert_true(cp < 0x80); /* the library escapes only control characters */
            out[o++] = (char)cp;
            break;
        }
        default: out[o++] = *s; break;
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- escaping ---- */

typedef struct esc_case {
    const char *in;
    const char *json;    /* expected JSON string contents */
    const char *decoded; /* what a JSON parser reads back */
} esc_case;

#define FFFD "\xef\xbf\xbd"

static const esc_case esc_cases[] = {
    {"plain", "plain", "plain"},
    {"", "", ""},
    {"a\"b", "a\\\"b", "a\"b"},
    {"a\\b", "a\\\\b", "a\\b"},
    {"/", "/", "/"},
    {"\n\t\r\b\f", "\\u000a\\u0009\\u000d\\u0008\\u000c", "\n\t\r\b\f"},
    {"\x01\x1f", "\\u0001\\u001f", "\x01\x1f"},
    {"\x7f", "\x7f", "\x7f"},
    {"caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9"},
    {"\xe2\x82\xac 5", "\xe2\x82\xac 5", "\xe2\x82\xac 5"},
    {"\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"},
    {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
    /* invalid UTF-8: one U+FFFD per maximal subpart */
    {"\xff", FFFD, FFFD},
    {"a\xc3", "a" FFFD, "a" FFFD},
    {"\xc3\x28", FFFD "(", FFFD "("},
    {"\xe2\x82x", FFFD "x", FFFD "x"},
    {"\xc0\xaf", FFFD FFFD, FFFD FFFD},
    {"\xed\xa0\x80", FFFD FFFD FFFD, FFFD FFFD FFFD},
    {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD},
    {"\xf0\x9f\x98", FFFD, FFFD},
    {"\x80\"\xfe", FFFD "\\\"" FFFD, FFFD "\"" FFFD},
};

static void test_escaping(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare1(f->ev, "S", PSC_PROP_STRING, false);
    for (size_t i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
        const esc_case *c = &esc_cases[i];
        char expected[128], decoded[128], buf[256];
        snprintf(expected, sizeof expected, "{\"v\":\"%s\"}", c->json);
        psc_value v = PSC_V_STR(c->in);
        expect_content(t, &v, 1, expected);
        size_t len;
        assert_int_equal(psc__event_format(t, &v, 1, buf, sizeof buf, &len), PSC_OK);
        buf[len] = '\0';
        decode_string(buf + 5, decoded);
        assert_string_equal(decoded, c->decoded);
        /* the escaper used for keys agrees with the one used for values */
        assert_int_equal(psc__json_escaped_len(c->in, strlen(c->in)), strlen(c->json));
    }
    /* the same escaping for PEERID and MULTIADDR */
    const psc_event_type *tp = declare1(f->ev, "P", PSC_PROP_PEERID, false);
    psc_value v = PSC_V_STR("12D3\"Koo");
    expect_content(tp, &v, 1, "{\"v\":\"12D3\\\"Koo\"}");
    const psc_event_type *tm = declare1(f->ev, "M", PSC_PROP_MULTIADDR, false);
    v = PSC_V_STR("/ip4/1.2.3.4/tcp/4001");
    expect_content(tm, &v, 1, "{\"v\":\"/ip4/1.2.3.4/tcp/4001\"}");
    /* single NULL string: null */
    v = PSC_V_STR(NULL);
    expect_content(t, &v, 1, "{\"v\":null}");
}

static void test_key_escaping(void **state)
{
    fixture *f = *state;
    psc_prop_def p[] = {{"a\"b", PSC_PROP_NUMBER, false}, {"c\\\n", PSC_PROP_NUMBER, false}};
    psc_event_def d = {"Keys", p, 2};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(f->ev, &d, &t), PSC_OK);
    psc_value v[] = {PSC_V_NUM(1), PSC_V_NUM(2)};
    expect_content(t, v, 2, "{\"a\\\"b\":1,\"c\\\\\\u000a\":2}");
}

/* ---- numbers ---- */

typedef struct num_case {
    double x;
    const char *out;
} num_case;

static void test_numbers(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare1(f->ev, "N", PSC_PROP_NUMBER, false);
    const num_case cases[] = {
        {0, "0"},
        {-0.0, "0"},
        {42, "42"},
        {-7, "-7"},
        {1.5, "1.5"},
        {0.1, "0.1"},
        {-0.25, "-0.25"},
        {0.1 + 0.2, "0.30000000000000004"},
        {123456789012.0, "123456789012"},
        {9007199254740993.0, "9007199254740992"},
        {-9223372036854775808.0, "-9223372036854775808"},
        {9223372036854775808.0, "9223372036854775808"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {-1.5e300, "-1.5e+300"},
        {1e-7, "1e-07"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {NAN, "null"},
        {INFINITY, "null"},
        {-INFINITY, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char expected[64];
        snprintf(expected, sizeof expected, "{\"v\":%s}", cases[i].out);
        psc_value v = PSC_V_NUM(cases[i].x);
        expect_content(t, &v, 1, expected);
        if (isfinite(cases[i].x))
            assert_true(strtod(cases[i].out, NULL) == cases[i].x);
    }
    /* round trip for awkward values whose exact text is not the point */
    const double awkward[] = {5e-324, 2.2250738585072014e-308, 1.0 / 3.0, 2.0 / 3.0, 123.456, 1e-300, 6.02214076e23};
    for (size_t i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
        char buf[64];
        size_t len;
        psc_value v = PSC_V_NUM(awkward[i]);
        assert_int_equal(psc__event_format(t, &v, 1, buf, sizeof buf - 1, &len), PSC_OK);
        buf[len] = '\0';
        assert_true(psc__json_valid(buf, len));
        assert_true(strtod(buf + 5, NULL) == awkward[i]);
    }
}

/* Hosts may set LC_NUMERIC to a locale with a decimal comma; the JSON must
 * not change. Checked in every such locale installed here (LOCPATH works
 * too), and always in "C". */
static void test_numbers_ignore_locale(void **state)
{
    fixture *f = *state;
    const char *names[] = {"C", "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"};
    const psc_event_type *t = declare1(f->ev, "L", PSC_PROP_NUMBER, false);
    int tried = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!setlocale(LC_NUMERIC, names[i]))
            continue;
        tried++;
        const double x[] = {1.25, -0.5, 1e-7, 6.02214076e23};
        const char *want[] = {"{\"v\":1.25}", "{\"v\":-0.5}", "{\"v\":1e-07}", "{\"v\":6.02214076e+23}"};
        for (size_t k = 0; k < 4; k++) {
            psc_value v = PSC_V_NUM(x[k]);
            char buf[64];
            size_t len;
            psc_err e = psc__event_format(t, &v, 1, buf, sizeof buf - 1, &len);
            setlocale(LC_NUMERIC, "C");
            assert_int_equal(e, PSC_OK);
            buf[len] = '\0';
            assert_string_equal(buf, want[k]);
            setlocale(LC_NUMERIC, names[i]);
        }
        setlocale(LC_NUMERIC, "C");
    }
    assert_true(tried >= 1);
}

static void test_time(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare1(f->ev, "T", PSC_PROP_TIME, false);
    psc_value v = PSC_V_TIME(0);
    expect_content(t, &v, 1, "{\"v\":0}");
    v = PSC_V_TIME(1592210385793ull);
    expect_content(t, &v, 1, "{\"v\":1592210385793}");
    v = PSC_V_TIME(UINT64_MAX);
    expect_content(t, &v, 1, "{\"v\":18446744073709551615}");
}

/* ---- arrays ---- */

static void test_arrays(void **state)
{
    fixture *f = *state;
    const psc_event_type *ts = declare1(f->ev, "AS", PSC_PROP_STRING, true);
    const char *strs[] = {"a", NULL, "b\"", "\xff"};
    psc_value v = PSC_V_STRS(strs, 4);
    expect_content(ts, &v, 1, "{\"v\":[\"a\",null,\"b\\\"\",\"" FFFD "\"]}");
    v = PSC_V_STRS(strs, 0);
    expect_content(ts, &v, 1, "{\"v\":[]}");
    v = PSC_V_STRS(NULL, 0);
    expect_content(ts, &v, 1, "{\"v\":[]}");

    const psc_event_type *tn = declare1(f->ev, "AN", PSC_PROP_NUMBER, true);
    const double nums[] = {1, 2.5, NAN, -3};
    v = PSC_V_NUMS(nums, 4);
    expect_content(tn, &v, 1, "{\"v\":[1,2.5,null,-3]}");

    const psc_event_type *tt = declare1(f->ev, "AT", PSC_PROP_TIME, true);
    const uint64_t times[] = {1, 1592210385793ull};
    v = PSC_V_TIMES(times, 2);
    expect_content(tt, &v, 1, "{\"v\":[1,1592210385793]}");

    const psc_event_type *tp = declare1(f->ev, "AP", PSC_PROP_PEERID, true);
    const char *ids[] = {"QmA", NULL};
    v = PSC_V_STRS(ids, 2);
    expect_content(tp, &v, 1, "{\"v\":[\"QmA\",null]}");

    const psc_event_type *tj = declare1(f->ev, "AJ", PSC_PROP_JSON, true);
    const char *js[] = {"{\"a\":1}", NULL, "[ ]", "\"s\""};
    v = PSC_V_STRS(js, 4);
    expect_content(tj, &v, 1, "{\"v\":[{\"a\":1},null,[ ],\"s\"]}");
    const char *bad[] = {"1", "{x}"};
    v = PSC_V_STRS(bad, 2);
    char buf[64];
    size_t len = 99;
    assert_int_equal(psc__event_format(tj, &v, 1, buf, sizeof buf, &len), PSC_ERR_INVALID);
    assert_int_equal(len, 99); /* untouched on failure */

    /* a count with no array is a caller bug, not an empty list */
    v = PSC_V_STRS(NULL, 2);
    assert_int_equal(psc__event_format(ts, &v, 1, buf, sizeof buf, &len), PSC_ERR_INVALID);
    v = PSC_V_NUMS(NULL, 1);
    assert_int_equal(psc__event_format(tn, &v, 1, buf, sizeof buf, &len), PSC_ERR_INVALID);
    v = PSC_V_TIMES(NULL, 1);
    assert_int_equal(psc__event_format(tt, &v, 1, buf, sizeof buf, &len), PSC_ERR_INVALID);
}

/* ---- raw JSON values ---- */

static void test_json_values(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare1(f->ev, "J", PSC_PROP_JSON, false);
    const char *good[] = {"{\"x\":[1,2]}", "3", "\"s\"", "null", " [true] "};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char expected[64];
        snprintf(expected, sizeof expected, "{\"v\":%s}", good[i]);
        psc_value v = PSC_V_JSON(good[i]);
        expect_content(t, &v, 1, expected);
    }
    const char *bad[] = {"", " ", "{x:1}", "[1,]", "1 2", "\"\xff\"", "NaN", "{\"a\":1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[64];
        size_t len;
        psc_value v = PSC_V_JSON(bad[i]);
        assert_int_equal(psc__event_format(t, &v, 1, buf, sizeof buf, &len), PSC_ERR_INVALID);
    }
    psc_value v = PSC_V_JSON(NULL);
    expect_content(t, &v, 1, "{\"v\":null}");
}

/* ---- whole objects ---- */

static const psc_event_type *declare_mixed(psc__events *ev)
{
    psc_prop_def p[] = {
        {"peerId", PSC_PROP_PEERID, false},
        {"age", PSC_PROP_NUMBER, false},
        {"at", PSC_PROP_TIME, false},
        {"addrs", PSC_PROP_MULTIADDR, true},
        {"extra", PSC_PROP_JSON, false},
    };
    psc_event_def d = {"Mixed", p, 5};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &d, &t), PSC_OK);
    return t;
}

static void test_order_and_absent(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare_mixed(f->ev);
    const char *addrs[] = {"/ip4/1.2.3.4/tcp/1", "/ip6/::1/udp/2/quic"};
    psc_value v[] = {PSC_V_STR("Qm1"), PSC_V_NUM(12), PSC_V_TIME(99), PSC_V_STRS(addrs, 2), PSC_V_JSON("{}")};
    expect_content(t, v, 5,
                   "{\"peerId\":\"Qm1\",\"age\":12,\"at\":99,\"addrs\":[\"/ip4/1.2.3.4/tcp/1\","
                   "\"/ip6/::1/udp/2/quic\"],\"extra\":{}}");
    v[0] = PSC_V_ABSENT;
    v[2] = PSC_V_ABSENT;
    expect_content(t, v, 5, "{\"age\":12,\"addrs\":[\"/ip4/1.2.3.4/tcp/1\",\"/ip6/::1/udp/2/quic\"],\"extra\":{}}");
    v[4] = PSC_V_ABSENT;
    v[3] = PSC_V_ABSENT;
    expect_content(t, v, 5, "{\"age\":12}");
    v[1] = PSC_V_ABSENT;
    expect_content(t, v, 5, "{}");
    /* an absent value is not validated */
    v[4] = (psc_value){.u.str = "{bad", .absent = true};
    expect_content(t, v, 5, "{}");

    psc_event_def none = {"NoProps", NULL, 0};
    const psc_event_type *t0;
    assert_int_equal(psc__events_declare(f->ev, &none, &t0), PSC_OK);
    expect_content(t0, NULL, 0, "{}");
}

static void test_value_count_must_match(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare_mixed(f->ev);
    psc_value v[6] = {PSC_V_STR("a"), PSC_V_NUM(1), PSC_V_TIME(2), PSC_V_STRS(NULL, 0), PSC_V_JSON("1")};
    char buf[64];
    size_t len;
    assert_int_equal(psc__event_format(t, v, 4, buf, sizeof buf, &len), PSC_ERR_INVALID);
    assert_int_equal(psc__event_format(t, v, 6, buf, sizeof buf, &len), PSC_ERR_INVALID);
    assert_int_equal(psc__event_format(t, NULL, 5, buf, sizeof buf, &len), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(f->ev, t, 1, v, 4), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(f->ev, t, 1, v, 6), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(f->ev, NULL, 1, v, 5), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(NULL, t, 1, v, 5), PSC_ERR_INVALID);
    assert_int_equal(psc__events_emit(f->ev, t, 1, v, 5), PSC_OK);
}

/* ---- size limit ---- */

static void test_too_big(void **state)
{
    (void)state;
    psc__events *ev;
    assert_int_equal(psc__events_new(NULL, NULL, 8, 32, &ev), PSC_OK);
    const psc_event_type *t = declare1(ev, "Big", PSC_PROP_STRING, false);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(ev, true, &r), PSC_OK);

    /* {"v":"..."} is 8 bytes around the string: 24 characters fill 32 exactly */
    char s[40];
    memset(s, 'x', 24);
    s[24] = '\0';
    psc_value v = PSC_V_STR(s);
    assert_int_equal(psc__events_emit(ev, t, 5, &v, 1), PSC_OK);
    s[24] = 'x';
    s[25] = '\0';
    assert_int_equal(psc__events_emit(ev, t, 6, &v, 1), PSC_ERR_TOO_BIG);
    /* escapes count at their escaped length */
    memset(s, 'x', 24);
    s[23] = '"';
    s[24] = '\0';
    assert_int_equal(psc__events_emit(ev, t, 7, &v, 1), PSC_ERR_TOO_BIG);

    /* only the one that fitted went out, and nothing took a sequence number */
    assert_int_equal(atomic_load(&ev->head), 1);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
    assert_int_equal(rec.content_len, 32);
    assert_int_equal(rec.seq, 1);
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_ERR_AGAIN);
    psc_event_reader_free(r);
    psc__events_free(ev);

    /* a buffer too small for even the braces */
    fixture tmp;
    assert_int_equal(psc__events_new(NULL, NULL, 8, 1, &tmp.ev), PSC_OK);
    psc_event_def none = {"E", NULL, 0};
    const psc_event_type *t0;
    assert_int_equal(psc__events_declare(tmp.ev, &none, &t0), PSC_OK);
    assert_int_equal(psc__events_emit(tmp.ev, t0, 1, NULL, 0), PSC_ERR_TOO_BIG);
    psc__events_free(tmp.ev);
}

/* Through the ring as well: what a reader gets is what format produced. */
static void test_through_ring(void **state)
{
    fixture *f = *state;
    const psc_event_type *t = declare_mixed(f->ev);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f->ev, false, &r), PSC_OK);
    const char *addrs[] = {"/a", NULL};
    psc_value v[] = {PSC_V_STR("caf\xc3\xa9\x01"), PSC_V_NUM(-0.5), PSC_V_TIME(7), PSC_V_STRS(addrs, 2),
                     PSC_V_JSON("[1,{\"k\":null}]")};
    assert_int_equal(psc__events_emit(f->ev, t, 1234, v, 5), PSC_OK);
    psc_event_record rec;
    uint64_t missed = 99;
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_OK);
    assert_int_equal(missed, 0);
    assert_ptr_equal(rec.type, t);
    assert_int_equal(rec.ts, 1234);
    const char *want = "{\"peerId\":\"caf\xc3\xa9\\u0001\",\"age\":-0.5,\"at\":7,\"addrs\":[\"/a\",null],"
                       "\"extra\":[1,{\"k\":null}]}";
    assert_string_equal(rec.content, want);
    assert_int_equal(rec.content_len, strlen(want));
    assert_true(psc__json_valid(rec.content, rec.content_len));
    psc_event_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_ignore_locale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_and_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_count_must_match, setup, teardown),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test_setup_teardown(test_through_ring, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

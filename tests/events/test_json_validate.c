/* psc__json_valid: strict RFC 8259, depth-bounded, never reads past len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "util/json.h"

/* Validate a copy of exactly len bytes, no NUL after it: ASan reports any
 * read past the end. */
static bool valid_exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    bool ok = psc__json_valid(copy, len);
    free(copy);
    return ok;
}

/* Every prefix too, so the scanner is exercised at each possible end. */
static bool valid_checked(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        (void)valid_exact(s, i);
    return valid_exact(s, len);
}

#define ACCEPT(lit) assert_true(valid_checked(lit, sizeof(lit) - 1))
#define REJECT(lit) assert_false(valid_checked(lit, sizeof(lit) - 1))

static void test_accepts_scalars(void **state)
{
    (void)state;
    ACCEPT("0");
    ACCEPT("-0");
    ACCEPT("12345");
    ACCEPT("-1.5");
    ACCEPT("1.5e10");
    ACCEPT("1E+2");
    ACCEPT("-1e-2");
    ACCEPT("0.000");
    ACCEPT("true");
    ACCEPT("false");
    ACCEPT("null");
    ACCEPT("\"\"");
    ACCEPT("\"abc\"");
    ACCEPT("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"");
    ACCEPT("\"\\u00e9\\uD83D\\uDE00\\uABCD\"");
    ACCEPT("\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
    ACCEPT("\"\x7f\"");
    ACCEPT(" \t\r\n 1 \t\r\n ");
}

static void test_accepts_containers(void **state)
{
    (void)state;
    ACCEPT("[]");
    ACCEPT("{}");
    ACCEPT("[ ]");
    ACCEPT("{ }");
    ACCEPT("[1,2 , 3]");
    ACCEPT("{\"a\":1}");
    ACCEPT("{ \"a\" : [ null , true , {\"b\" : \"c\"} ] , \"d\":{} }");
    ACCEPT("[[[]],[{}],{\"\":[]}]");
    ACCEPT("{\"a\":1,\"a\":2}"); /* duplicate names are legal JSON */
}

static void test_rejects(void **state)
{
    (void)state;
    REJECT("");
    REJECT(" ");
    REJECT("01");
    REJECT("-01");
    REJECT("1.");
    REJECT(".5");
    REJECT("+1");
    REJECT("1e");
    REJECT("1e+");
    REJECT("-");
    REJECT("--1");
    REJECT("0x10");
    REJECT("NaN");
    REJECT("Infinity");
    REJECT("-Infinity");
    REJECT("tru");
    REJECT("True");
    REJECT("nul");
    REJECT("nulll");
    REJECT("1 2");
    REJECT("[1]x");
    REJECT("[");
    REJECT("]");
    REJECT("[1,]");
    REJECT("[,1]");
    REJECT("[1 2]");
    REJECT("{");
    REJECT("{\"a\"}");
    REJECT("{\"a\" 1}");
    REJECT("{\"a\":}");
    REJECT("{\"a\":1,}");
    REJECT("{a:1}");
    REJECT("{'a':1}");
    REJECT("{1:1}");
    REJECT("{\"a\":1]");
    REJECT("[1}");
    REJECT("\"abc");
    REJECT("\"a\nb\"");
    REJECT("\"\x01\"");
    REJECT("\"\x1f\"");
    REJECT("\"\\x\"");
    REJECT("\"\\u12\"");
    REJECT("\"\\u12G4\"");
    REJECT("\"\\U0041\"");
    REJECT("\"\\");
    REJECT("\v1");
    REJECT("\xef\xbb\xbf" "1"); /* a BOM is not JSON whitespace */
}

static void test_rejects_bad_utf8(void **state)
{
    (void)state;
    REJECT("\"\xff\"");
    REJECT("\"\x80\"");
    REJECT("\"\xc0\xaf\"");         /* overlong '/' */
    REJECT("\"\xc1\xbf\"");         /* overlong */
    REJECT("\"\xe0\x80\xaf\"");     /* overlong */
    REJECT("\"\xed\xa0\x80\"");     /* UTF-16 surrogate */
    REJECT("\"\xf0\x80\x80\xaf\""); /* overlong */
    REJECT("\"\xf4\x90\x80\x80\""); /* above U+10FFFF */
    REJECT("\"\xf5\x80\x80\x80\"");
    REJECT("\"\xc3\"");             /* truncated before the quote */
    REJECT("\"\xe2\x82\"");
    REJECT("\"\xc3");               /* truncated at the end of input */
    REJECT("\xc3\xa9");             /* non-ASCII outside a string */
}

static void test_embedded_nul(void **state)
{
    (void)state;
    assert_false(valid_exact("\"a\0b\"", 5));
    assert_false(valid_exact("1\0", 2));
    assert_true(valid_exact("1\0", 1));
    assert_false(psc__json_valid(NULL, 0));
    assert_false(psc__json_valid(NULL, 5));
}

static char *nested(size_t depth, bool objects)
{
    /* depth opens, a value, depth closes */
    size_t per_open = objects ? 5 : 1; /* {"a": */
    char *s = malloc(depth * (per_open + 1) + 2);
    assert_non_null(s);
    char *p = s;
    for (size_t i = 0; i < depth; i++) {
        if (objects) {
            memcpy(p, "{\"a\":", 5);
            p += 5;
        } else {
            *p++ = '[';
        }
    }
    *p++ = '1';
    for (size_t i = 0; i < depth; i++)
        *p++ = objects ? '}' : ']';
    *p = '\0';
    return s;
}

static void test_depth_bound(void **state)
{
    (void)state;
    for (int objects = 0; objects <= 1; objects++) {
        char *ok = nested(PSC__JSON_MAX_DEPTH, objects);
        char *deep = nested(PSC__JSON_MAX_DEPTH + 1, objects);
        assert_true(valid_exact(ok, strlen(ok)));
        assert_false(valid_exact(deep, strlen(deep)));
        free(ok);
        free(deep);
    }
    /* far deeper than the bound: rejected quickly, no recursion to blow up */
    size_t n = 100000;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, '[', n);
    assert_false(valid_exact(s, n));
    free(s);
    /* mixed nesting keeps track of which closer is expected at each level */
    ACCEPT("[{\"a\":[{\"b\":[]}]}]");
    REJECT("[{\"a\":[{\"b\":[]]}]}");
}

static void test_utf8_scan(void **state)
{
    (void)state;
    bool ok;
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xc3\xa9", 2, &ok), 2);
    assert_true(ok);
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xf0\x9f\x98\x80", 4, &ok), 4);
    assert_true(ok);
    /* maximal subparts (Unicode "U+FFFD substitution of maximal subparts") */
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xf0\x9f\x98", 3, &ok), 3);
    assert_false(ok);
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xe2\x82x", 3, &ok), 2);
    assert_false(ok);
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xed\xa0\x80", 3, &ok), 1);
    assert_false(ok);
    assert_int_equal(psc__utf8_scan((const unsigned char *)"\xff", 1, &ok), 1);
    assert_false(ok);
    assert_true(psc__utf8_valid("plain \xe2\x82\xac", 9));
    assert_false(psc__utf8_valid("\xe2\x82", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_scalars),
        cmocka_unit_test(test_accepts_containers),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_rejects_bad_utf8),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_depth_bound),
        cmocka_unit_test(test_utf8_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* psc_event_prop_text: a top-level property of an event's JSON content, as the library writes it and otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "peerscope/peerscope.h"

static void expect(const char *json, const char *prop, psc_err code, const char *want)
{
    char buf[64];
    psc_err e = psc_event_prop_text(json, prop, buf, sizeof buf);
    if (e != code || (e == PSC_OK && strcmp(buf, want) != 0))
        fail_msg("%s [%s]: got %s \"%s\"", json, prop, psc_strerror(e), e == PSC_OK ? buf : "");
}

static void t_values(void **state)
{
    const char *j = "{\"validator\":\"val-1\",\"round\":12,\"ok\":true,\"n\":null,\"list\":[\"a\",{\"x\":\"}\"}],"
                    "\"obj\":{\"validator\":\"inner\"},\"esc\":\"a\\\"b\\\\c\\n\\u00e9\\u20ac\",\"last\":-1.5e3}";
    expect(j, "validator", PSC_OK, "val-1");
    expect(j, "round", PSC_OK, "12");
    expect(j, "ok", PSC_OK, "true");
    expect(j, "last", PSC_OK, "-1.5e3");
    expect(j, "esc", PSC_OK, "a\"b\\c\n\xc3\xa9\xe2\x82\xac");
    expect(j, "n", PSC_ERR_NOT_FOUND, NULL);    /* null */
    expect(j, "list", PSC_ERR_NOT_FOUND, NULL); /* not a scalar */
    expect(j, "x", PSC_ERR_NOT_FOUND, NULL);    /* only top-level keys */
    expect(j, "missing", PSC_ERR_NOT_FOUND, NULL);
    expect(" { \"a\" : \"b\" } ", "a", PSC_OK, "b");
    expect("[1]", "a", PSC_ERR_NOT_FOUND, NULL);
    expect("{\"a\":\"unterminated", "a", PSC_ERR_NOT_FOUND, NULL);
    expect("{\"a\":", "a", PSC_ERR_NOT_FOUND, NULL);
    expect("", "a", PSC_ERR_NOT_FOUND, NULL);
    char small[4];
    assert_int_equal(psc_event_prop_text("{\"a\":\"long value\"}", "a", small, sizeof small), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_event_prop_text("{\"a\":123456}", "a", small, sizeof small), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_event_prop_text(NULL, "a", small, sizeof small), PSC_ERR_INVALID);
    assert_int_equal(psc_event_prop_text("{}", "a", small, 0), PSC_ERR_INVALID);
}

/* What psc_emit writes reads back. */
static void t_emitted(void **state)
{
    psc_introspector *intro;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    const psc_prop_def props[] = {{"who", PSC_PROP_STRING, false}, {"n", PSC_PROP_NUMBER, false},
                                  {"peers", PSC_PROP_PEERID, true}};
    psc_event_def def = {"T", props, 3};
    const psc_event_type *t;
    assert_int_equal(psc_event_declare(intro, &def, &t), PSC_OK);
    psc_event_reader *r;
    assert_int_equal(psc_event_reader_new(intro, true, &r), PSC_OK);
    const char *peers[] = {"p1", "p2"};
    assert_int_equal(psc_emit(intro, t, (psc_value[]){PSC_V_STR("tab\there \"q\""), PSC_V_NUM(2.5), PSC_V_STRS(peers, 2)},
                              3),
                     PSC_OK);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
    expect(rec.content, "who", PSC_OK, "tab\there \"q\"");
    expect(rec.content, "n", PSC_OK, "2.5");
    expect(rec.content, "peers", PSC_ERR_NOT_FOUND, NULL);
    psc_event_reader_free(r);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_values), cmocka_unit_test(t_emitted)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A small, allocation-free reader of JSON text, enough to show event
 * contents (a JSON object of properties) in columns: walk the members of
 * an object or the elements of an array, and get each value's raw span
 * and kind. Malformed input ends the walk (false); nothing is read past
 * the end of the buffer.
 */
#ifndef PSC_TOOLS_JSON_SCAN_H
#define PSC_TOOLS_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum js_kind {
    JS_STRING = 's',
    JS_NUMBER = 'n',
    JS_TRUE = 't',
    JS_FALSE = 'f',
    JS_NULL = 'z',
    JS_OBJECT = 'o',
    JS_ARRAY = 'a',
} js_kind;

typedef struct js_val {
    const char *p; /* raw text of the value (strings include their quotes) */
    size_t n;
    js_kind kind;
} js_val;

/* A position inside an object or array being walked. */
typedef struct js_iter {
    const char *p, *end;
    bool first;
    bool failed;
} js_iter;

/* Start walking the object or array v (false if v is neither). */
bool js_enter(const js_val *v, js_iter *it);
/* Parse and check a whole document into v (false unless it is exactly one JSON value). */
bool js_parse(const char *text, size_t len, js_val *v);
/* Next member of an object: key (a JS_STRING) and value. false at the end or on an error. */
bool js_next_member(js_iter *it, js_val *key, js_val *val);
/* Next element of an array. */
bool js_next_element(js_iter *it, js_val *val);

/*
 * Decode a JS_STRING into out (NUL-terminated, cut to fit, never in the
 * middle of a UTF-8 character); other kinds are copied raw. \u escapes
 * become UTF-8 (lone surrogates become U+FFFD). Returns the length written.
 */
size_t js_text(const js_val *v, char *out, size_t cap);

/* Whether the JS_STRING v equals the C string s. */
bool js_string_eq(const js_val *v, const char *s);

#endif

/* Strict RFC 8259 JSON and UTF-8 validation (util/json.c). */
#ifndef PSC_UTIL_JSON_H
#define PSC_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* Maximum nesting of arrays/objects accepted. */
#define PSC__JSON_MAX_DEPTH 64

/*
 * True when s[0..len) is exactly one JSON value (surrounding whitespace
 * allowed), with valid UTF-8 in strings and nesting at most
 * PSC__JSON_MAX_DEPTH. Never reads past len; s need not be NUL-terminated.
 * Allocation-free, thread-safe.
 */
bool psc__json_valid(const char *s, size_t len);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). Thread-safe. */
bool psc__utf8_valid(const char *s, size_t n);

/*
 * The UTF-8 sequence starting at s[0] (n >= 1, s[0] >= 0x80): returns its
 * length with *valid = true, or, for an ill-formed one, the length of its
 * maximal subpart (>= 1, what one U+FFFD replaces) with *valid = false.
 * Never reads past n. Thread-safe.
 */
size_t psc__utf8_scan(const unsigned char *s, size_t n, bool *valid);

/*
 * psc__utf8_valid with a fast path for plain ASCII (checked a word at a
 * time): what every string a provider or host hands in goes through, as
 * proto3 strings must be UTF-8 (strict decoders drop the whole message
 * otherwise). Thread-safe.
 */
bool psc__text_valid(const char *s, size_t n);

#endif

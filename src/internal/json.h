/* Strict RFC 8259 JSON validation (implemented in src/events/json_validate.c). */
#ifndef PSC_INTERNAL_JSON_H
#define PSC_INTERNAL_JSON_H

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

#endif

/*
 * peerscope-record: text as the stores take it. Strings from the wire are
 * not checked by protobuf-c; PostgreSQL refuses invalid UTF-8 (and a
 * jsonb with \u0000), so every string is made valid here, once, and both
 * stores then hold the same text.
 */
#ifndef PSC_TOOLS_RECORD_REC_TEXT_H
#define PSC_TOOLS_RECORD_REC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec_batch.h"

/* Whether len bytes of s are valid UTF-8 (no overlong forms, no surrogates). */
bool rec_utf8_valid(const char *s, size_t len);

/* s (NULL: "") as valid UTF-8 in the arena, each bad byte replaced by U+FFFD. NULL when out of memory. */
char *rec_text(rec_arena *a, const char *s);

/* len bytes as lower-case hex in the arena; NULL when out of memory. */
char *rec_hex(rec_arena *a, const uint8_t *p, size_t len);

/*
 * An event's content as a JSON value the stores accept: the content
 * itself when it is one valid JSON document without a \u0000 escape,
 * else the content as a JSON string (so nothing is lost). *wrapped tells
 * which. NULL when out of memory.
 */
char *rec_json_props(rec_arena *a, const char *content, bool *wrapped);

/* A growable string for building JSON; ok turns false once memory runs out. */
typedef struct rec_buf {
    char *p;
    size_t len, cap;
    bool ok;
} rec_buf;

void rec_buf_init(rec_buf *b);
void rec_buf_free(rec_buf *b);
void rec_buf_add(rec_buf *b, const char *s, size_t len);
void rec_buf_str(rec_buf *b, const char *s);
/* s as a JSON string literal (quotes included), invalid UTF-8 as U+FFFD. */
void rec_buf_json_string(rec_buf *b, const char *s);

#endif

/* Helpers shared by the peerscope-top unit tests. */
#ifndef PSC_TOP_TEST_UTIL_H
#define PSC_TOP_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "top.h"
#include "top_model.h"
#include "top_screen.h"

/* The records of a vector recording (PSC_VECTORS_DIR), copied. */
typedef struct vec {
    uint8_t **msgs;
    size_t *lens;
    size_t n;
} vec;

void load_vector(const char *name, vec *v);
void free_vector(vec *v);

/* Apply every record of v to m (each must apply), stamped now0, now0 + step, ... */
void apply_vector(top_model *m, const vec *v, uint64_t now0, uint64_t step);

/* Row y of the grid as text (buf holds 4*w+1 bytes). */
void row(const top_screen *s, int y, char *buf);

/*
 * An app of one open node (nodes[0], at url, with an empty model) and
 * room for cap_nodes nodes in all; every view at its default sort.
 */
void test_app_init(top_app *app, top_node *nodes, size_t cap_nodes, const char *url);

/* Draw a whole w x h frame (UTF-8) and return it as text, a line each (static buffer). */
const char *frame_text(top_app *app, int w, int h, uint64_t now, uint64_t wall);

/* No line of text (UTF-8, lines ending in '\n') is wider than w columns. */
void assert_lines_fit(const char *text, size_t w);

/* A ServerMessage serialized (malloc'd; the caller frees it). */
uint8_t *pack_message(const Peerscope__ServerMessage *m, size_t *len);

#endif

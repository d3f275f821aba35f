/* Helpers shared by the peerscope-top unit tests. */
#ifndef PSC_TOP_TEST_UTIL_H
#define PSC_TOP_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

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

#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/wire.h"
#include "support/test_support.h"
#include "top_test_util.h"

void load_vector(const char *name, vec *v)
{
    FILE *f = fopen(psc_test_vector_path(name), "rb");
    assert_non_null(f);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);
    memset(v, 0, sizeof *v);
    const uint8_t *p;
    size_t len;
    psc_err e;
    while ((e = psc_recording_next(r, &p, &len)) == PSC_OK) {
        v->msgs = realloc(v->msgs, (v->n + 1) * sizeof *v->msgs);
        v->lens = realloc(v->lens, (v->n + 1) * sizeof *v->lens);
        v->msgs[v->n] = malloc(len ? len : 1);
        memcpy(v->msgs[v->n], p, len);
        v->lens[v->n++] = len;
    }
    assert_int_equal(e, PSC_ERR_CLOSED);
    psc_recording_close(r);
    fclose(f);
}

void free_vector(vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->msgs[i]);
    free(v->msgs);
    free(v->lens);
}

void apply_vector(top_model *m, const vec *v, uint64_t now0, uint64_t step)
{
    for (size_t i = 0; i < v->n; i++)
        assert_int_equal(top_model_apply(m, v->msgs[i], v->lens[i], now0 + step * i), PSC_OK);
}

void row(const top_screen *s, int y, char *buf)
{
    scr_row_text(s, y, buf, 4 * (size_t)s->w + 1);
}


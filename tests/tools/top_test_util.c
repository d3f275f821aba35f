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
#include "top_views.h"

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

void test_app_init(top_app *app, top_node *nodes, size_t cap_nodes, const char *url)
{
    app->nodes = nodes;
    app->n_nodes = 1;
    app->cap_nodes = cap_nodes;
    app->interval_ms = 1000;
    app->event_focus = (size_t)-1;
    for (int i = 0; i < VIEW_COUNT; i++) {
        app->vs[i].sort_col = top_view_defs[i].default_sort;
        app->vs[i].sort_desc = top_view_defs[i].default_desc;
    }
    table_init(&app->table, NULL);
    nodes[0].app = app;
    nodes[0].url = url;
    nodes[0].phase = NODE_OPEN;
    top_model_init(&nodes[0].model, NULL, 0);
}

const char *frame_text(top_app *app, int w, int h, uint64_t now, uint64_t wall)
{
    static char text[200 * 1024];
    assert_int_equal(scr_resize(&app->scr, w, h, NULL), PSC_OK);
    app->scr.utf8 = true;
    top_frame_draw(app, now, wall);
    size_t o = 0;
    for (int y = 0; y < h; y++) {
        scr_row_text(&app->scr, y, text + o, sizeof text - o);
        o += strlen(text + o);
        text[o++] = '\n';
    }
    text[o] = 0;
    return text;
}

void assert_lines_fit(const char *text, size_t w)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        size_t cols = 0;
        for (const char *q = p; q < nl; q++)
            cols += ((unsigned char)*q & 0xc0) != 0x80; /* UTF-8 continuation bytes take no column */
        assert_true(cols <= w);
        p = nl + 1;
    }
}

uint8_t *pack_message(const Peerscope__ServerMessage *m, size_t *len)
{
    *len = peerscope__server_message__get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    peerscope__server_message__pack(m, buf);
    return buf;
}


/*
 * View 7: the live event tail. All types together show TIME, TYPE and the
 * properties as name=value; one type in focus gets a column per property,
 * typed from the metadata (Runtime.event_types or the first event of the
 * type), so numbers and times sort as numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "top_views.h"

enum {
    PT_STRING = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__STRING,
    PT_NUMBER = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__NUMBER,
    PT_TIME = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__TIME,
    PT_PEERID = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID,
    PT_MULTIADDR = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__MULTIADDR,
    PT_JSON = PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__JSON,
};

#define PT_UNKNOWN (-1)

/* One scalar value as text; *key gets its sort key (numbers and times). */
static void fmt_scalar(const js_val *v, int type, bool utf8, char *out, size_t cap, double *key)
{
    char raw[256];
    js_text(v, raw, sizeof raw);
    if ((type == PT_NUMBER || type == PT_TIME) && v->kind == JS_NUMBER) {
        double d = strtod(raw, NULL);
        if (key)
            *key = d;
        if (type == PT_TIME && d > 0 && d < 1e15)
            fmt_clock(out, cap, (uint64_t)d);
        else
            snprintf(out, cap, "%s", raw);
        return;
    }
    if (type == PT_PEERID && v->kind == JS_STRING) {
        fmt_peer(out, cap, raw, 16, utf8);
        return;
    }
    snprintf(out, cap, "%s", raw);
}

/* A property's value (an array for has_multiple) as text. */
static void fmt_value(const js_val *v, int type, bool utf8, char *out, size_t cap, double *key)
{
    if (v->kind != JS_ARRAY || type == PT_JSON || type == PT_UNKNOWN) {
        fmt_scalar(v, type, utf8, out, cap, key);
        return;
    }
    js_iter it;
    js_val el;
    size_t o = 0, n = 0;
    out[0] = 0;
    js_enter(v, &it);
    while (js_next_element(&it, &el)) {
        char one[96];
        fmt_scalar(&el, type, utf8, one, sizeof one, NULL);
        if (o < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s%s", n ? "," : "", one);
        n++;
    }
    if (key)
        *key = (double)n;
}

static const top_prop *find_prop(const top_evtype *et, const js_val *key)
{
    for (size_t i = 0; et && i < et->n_props; i++)
        if (js_string_eq(key, et->props[i].name))
            return &et->props[i];
    return NULL;
}

/* "name=value  name=value" for the all-types view. */
static void details(const top_evtype *et, const char *content, bool utf8, char *out, size_t cap)
{
    js_val doc, k, v;
    js_iter it;
    size_t o = 0;
    out[0] = 0;
    if (!js_parse(content, strlen(content), &doc) || !js_enter(&doc, &it)) {
        snprintf(out, cap, "%s", content);
        return;
    }
    while (js_next_member(&it, &k, &v) && o < cap) {
        const top_prop *p = find_prop(et, &k);
        char name[64], val[256];
        js_text(&k, name, sizeof name);
        fmt_value(&v, p ? p->type : PT_UNKNOWN, utf8, val, sizeof val, NULL);
        o += (size_t)snprintf(out + o, cap - o, "%s%s=%s", o ? "  " : "", name, val);
    }
}

static void summary_line(const top_model *m, const top_evtype *focus, char *summary, size_t len)
{
    size_t o = (size_t)snprintf(summary, len, "%llu events received, %llu lost, %zu types",
                                (unsigned long long)m->events_total, (unsigned long long)m->events_lost, m->n_types);
    if (o < len && focus)
        snprintf(summary + o, len - o, " | only %s (%llu): y next type, Esc all types", focus->name,
                 (unsigned long long)focus->count);
    else if (o < len)
        snprintf(summary + o, len - o, " | Enter or y: one type in columns");
}

void top_view_events(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len)
{
    const top_evtype *focus = ctx->event_focus < m->n_types ? &m->types[ctx->event_focus] : NULL;
    top_col cols[TABLE_MAX_COLS];
    int ncols = 0;
    cols[ncols++] = (top_col){"TIME", 12, 12, true, 0, false};
    /* a hub's fleet stream: whose event it is */
    bool fleet = top_model_fleet(m) != NULL;
    if (fleet)
        cols[ncols++] = (top_col){"NODE", 4, 20, false, 0, false};
    int first = ncols; /* TYPE, or the focused type's first property */
    if (!focus) /* with one type in focus the summary line names it */
        cols[ncols++] = (top_col){"TYPE", 8, 24, false, 0, false};
    if (focus) {
        for (size_t i = 0; i < focus->n_props && ncols < TABLE_MAX_COLS; i++) {
            top_col c = {"", 4, 40, false, 1, false};
            snprintf(c.title, sizeof c.title, "%s", focus->props[i].name);
            c.numeric = focus->props[i].type == PT_NUMBER || focus->props[i].type == PT_TIME;
            if (focus->props[i].type == PT_NUMBER && !focus->props[i].multiple)
                c.max_w = 12;
            cols[ncols++] = c;
        }
    } else {
        cols[ncols++] = (top_col){"DETAILS", 10, 0, false, 0, false};
    }
    table_reset(t, cols, ncols);
    summary_line(m, focus, summary, len);

    for (size_t i = 0; i < m->ev_count; i++) {
        const top_event *e = top_model_event(m, i);
        const top_evtype *et = &m->types[e->type];
        if (focus && et != focus)
            continue;
        if (!table_add_row(t))
            break;
        char buf[512];
        fmt_clock(buf, sizeof buf, e->ts);
        table_set(t, 0, buf, (double)i); /* arrival order: the newest sorts first, even within a millisecond */
        if (fleet)
            table_set(t, 1, e->node ? e->node : "", 0);
        if (!focus) {
            table_set(t, first, et->name[0] ? et->name : "(untyped)", 0);
            details(et, e->content, ctx->utf8, buf, sizeof buf);
            table_set(t, first + 1, buf, 0);
            continue;
        }
        js_val doc, k, v;
        js_iter it;
        if (!js_parse(e->content, strlen(e->content), &doc) || !js_enter(&doc, &it))
            continue;
        while (js_next_member(&it, &k, &v)) {
            for (size_t p = 0; p < focus->n_props && first + (int)p < TABLE_MAX_COLS; p++) {
                if (!js_string_eq(&k, focus->props[p].name))
                    continue;
                double key = 0;
                fmt_value(&v, focus->props[p].type, ctx->utf8, buf, sizeof buf, &key);
                table_set(t, first + (int)p, buf, key);
                if (focus->props[p].type == PT_PEERID || focus->props[p].type == PT_MULTIADDR) {
                    char full[256];
                    js_text(&v, full, sizeof full);
                    table_set_search(t, full);
                }
            }
        }
    }
}

/*
 * Fuzz target for event content: a type declared from the input (property
 * names, types, multiple or not) and one event of it emitted with values
 * taken from the input (any bytes as strings, any doubles, raw JSON), then
 * read back (libFuzzer entry point; tests/wire/fuzz_main.c drives it where
 * libFuzzer is not available). Beyond "no crash": what was emitted reads
 * back as one valid JSON object in valid UTF-8, within max_event_size, the
 * same bytes every time; what was refused was not emitted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/event.h"
#include "peerscope/introspector.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_PROPS = 8, MAX_ITEMS = 4 };

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static uint8_t byte(in *i)
{
    if (!i->n)
        return 0;
    i->n--;
    return *i->p++;
}

static uint64_t u64(in *i)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | byte(i);
    return v;
}

/* A NUL-terminated copy of up to 255 input bytes, or NULL (a JSON null). */
static char *str(in *i, char **pool, size_t *used)
{
    uint8_t len = byte(i);
    if (len == 0xff)
        return NULL;
    if (len > i->n)
        len = (uint8_t)i->n;
    char *s = pool[(*used)++];
    memcpy(s, i->p, len);
    s[len] = 0;
    i->p += len;
    i->n -= len;
    return s;
}

static const psc_prop_type types[] = {PSC_PROP_STRING, PSC_PROP_NUMBER, PSC_PROP_TIME,
                                      PSC_PROP_PEERID, PSC_PROP_MULTIADDR, PSC_PROP_JSON};

static bool is_num(psc_prop_type t) { return t == PSC_PROP_NUMBER; }
static bool is_time(psc_prop_type t) { return t == PSC_PROP_TIME; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in i = {data, size};
    enum { POOL = MAX_PROPS * (MAX_ITEMS + 1) + 1 };
    static char pool_bytes[POOL][256];
    char *pool[POOL];
    for (size_t k = 0; k < POOL; k++)
        pool[k] = pool_bytes[k];
    size_t used = 0;

    psc_config cfg = PSC_CONFIG_INIT;
    cfg.event_ring_capacity = 4;
    cfg.max_event_size = 64u << (byte(&i) % 8); /* 64 B .. 8 KiB */
    psc_introspector *intro;
    if (psc_introspector_new(&cfg, &intro) != PSC_OK)
        return 0;

    size_t n_props = byte(&i) % (MAX_PROPS + 1);
    psc_prop_def props[MAX_PROPS];
    for (size_t k = 0; k < n_props; k++) {
        uint8_t b = byte(&i);
        props[k].type = types[b % 6];
        props[k].multiple = b & 0x80;
        char *name = str(&i, pool, &used);
        props[k].name = name ? name : "p";
    }
    char *tname = str(&i, pool, &used);
    psc_event_def def = {.name = tname ? tname : "T", .props = props, .n_props = n_props};
    const psc_event_type *type;
    if (psc_event_declare(intro, &def, &type) != PSC_OK) {
        psc_introspector_free(intro);
        return 0;
    }

    psc_value values[MAX_PROPS];
    const char *strs[MAX_PROPS][MAX_ITEMS];
    double nums[MAX_PROPS][MAX_ITEMS];
    uint64_t times[MAX_PROPS][MAX_ITEMS];
    for (size_t k = 0; k < n_props; k++) {
        uint8_t b = byte(&i);
        memset(&values[k], 0, sizeof values[k]);
        values[k].absent = (b & 0x0f) == 0x0f;
        size_t count = props[k].multiple ? b % (MAX_ITEMS + 1) : 1;
        for (size_t j = 0; j < count; j++) {
            uint64_t raw = u64(&i);
            memcpy(&nums[k][j], &raw, sizeof raw); /* NaN, infinities and all */
            times[k][j] = raw;
            strs[k][j] = is_num(props[k].type) || is_time(props[k].type) ? NULL : str(&i, pool, &used);
        }
        if (props[k].multiple) {
            values[k].count = count;
            if (is_num(props[k].type))
                values[k].u.nums = nums[k];
            else if (is_time(props[k].type))
                values[k].u.times = times[k];
            else
                values[k].u.strs = strs[k];
        } else if (is_num(props[k].type)) {
            values[k].u.num = nums[k][0];
        } else if (is_time(props[k].type)) {
            values[k].u.time = times[k][0];
        } else {
            values[k].u.str = strs[k][0];
        }
    }

    psc_err e1 = psc_emit_at(intro, type, 1000, values, n_props);
    psc_err e2 = psc_emit_at(intro, type, 1000, values, n_props);
    if (e1 != e2)
        abort(); /* the same values, the same verdict */
    psc_event_reader *r;
    if (psc_event_reader_new(intro, true, &r) == PSC_OK) {
        psc_event_record rec;
        uint64_t missed = 0;
        char *first = NULL;
        size_t first_len = 0, got = 0;
        while (psc_event_reader_next(r, &rec, &missed) == PSC_OK) {
            got++;
            if (rec.type != type || rec.ts != 1000 || rec.content_len > cfg.max_event_size ||
                rec.content[rec.content_len] != 0 || !psc__json_valid(rec.content, rec.content_len) ||
                !psc__utf8_valid(rec.content, rec.content_len) || rec.content[0] != '{')
                abort();
            if (!first) {
                first = malloc(rec.content_len + 1);
                if (!first)
                    abort();
                memcpy(first, rec.content, rec.content_len + 1);
                first_len = rec.content_len;
            } else if (rec.content_len != first_len || memcmp(first, rec.content, first_len)) {
                abort();
            }
        }
        if (got != (e1 == PSC_OK ? 2u : 0u) || missed)
            abort();
        free(first);
        psc_event_reader_free(r);
    }
    psc_introspector_free(intro);
    return 0;
}

/*
 * emit's fast path: the event's typed values copied as they are (numbers
 * as numbers, strings as bytes) into the form the ring stores, so that the
 * host's thread does no JSON work. Readers format the JSON from this copy
 * (psc__event_format_packed), byte for byte what psc__event_format makes.
 *
 * emit must still refuse an event whose JSON exceeds max_event_size, and
 * must refuse it exactly when the formatter would. Packing therefore keeps
 * an upper bound of the JSON length (escaping makes at most 6 bytes of one,
 * a number at most 24 characters); when anything is unusual (the bound
 * goes past the limit, a value the formatter would reject, no room) it
 * gives up and emit formats the JSON itself, as before, which decides.
 */
#include "events/event_store.h"
#include "util/json.h"

/* Longest text put_number (event_json.c) writes: "-d.dddddddddddddddde-308". */
#define NUMBER_MAX_CHARS 24u
/* UINT64_MAX in decimal. */
#define TIME_MAX_CHARS 20u
/* One input byte becomes at most \u00XX (6 bytes); U+FFFD for a bad byte is 3. */
#define ESCAPE_MAX_RATIO 6u

typedef struct pk {
    uint8_t *p;
    uint8_t *end;
    size_t bound; /* JSON bytes the values packed so far can take, at most */
    size_t max;   /* max_event_size */
} pk;

static inline bool room(const pk *k, size_t n)
{
    return (size_t)(k->end - k->p) >= n;
}

static inline void put_u32(pk *k, uint32_t v)
{
    memcpy(k->p, &v, sizeof v);
    k->p += sizeof v;
}

static bool pack_str(pk *k, const char *s, bool json)
{
    if (!room(k, 4))
        return false;
    if (!s) {
        put_u32(k, PSC__PACK_NULL);
        k->bound += 4; /* null */
        return true;
    }
    /* bounded: a string longer than the limit cannot fit, however long it is */
    size_t n = strnlen(s, k->max + 1);
    if (n > k->max || !room(k, 4 + n))
        return false;
    if (json) {
        if (!psc__json_valid(s, n))
            return false; /* the formatter reports it */
        k->bound += n;
    } else {
        k->bound += ESCAPE_MAX_RATIO * n + 2;
    }
    put_u32(k, (uint32_t)n);
    memcpy(k->p, s, n);
    k->p += n;
    return true;
}

static bool pack_word(pk *k, const void *v, size_t chars)
{
    if (!room(k, 8))
        return false;
    memcpy(k->p, v, 8);
    k->p += 8;
    k->bound += chars;
    return true;
}

static bool pack_single(pk *k, psc_prop_type type, const psc_value *v)
{
    switch (type) {
    case PSC_PROP_STRING:
    case PSC_PROP_PEERID:
    case PSC_PROP_MULTIADDR:
        return pack_str(k, v->u.str, false);
    case PSC_PROP_JSON:
        return pack_str(k, v->u.str, true);
    case PSC_PROP_NUMBER:
        return pack_word(k, &v->u.num, NUMBER_MAX_CHARS);
    case PSC_PROP_TIME:
        return pack_word(k, &v->u.time, TIME_MAX_CHARS);
    }
    return false;
}

static bool pack_array(pk *k, psc_prop_type type, const psc_value *v)
{
    /* every item takes at least one JSON byte: a longer array cannot fit */
    if (v->count > k->max || !room(k, 4))
        return false;
    put_u32(k, (uint32_t)v->count);
    k->bound += 2 + v->count; /* brackets and commas */
    for (size_t i = 0; i < v->count; i++) {
        bool ok;
        switch (type) {
        case PSC_PROP_NUMBER:
            ok = v->u.nums && pack_word(k, &v->u.nums[i], NUMBER_MAX_CHARS);
            break;
        case PSC_PROP_TIME:
            ok = v->u.times && pack_word(k, &v->u.times[i], TIME_MAX_CHARS);
            break;
        default:
            ok = v->u.strs && pack_single(k, type, &(psc_value){.u.str = v->u.strs[i]});
            break;
        }
        if (!ok || k->bound > k->max)
            return false;
    }
    return true;
}

bool psc__event_pack(const psc_event_type *t, const psc_value *values, size_t n_values, uint8_t *buf, size_t cap,
                     size_t max_json, size_t *len)
{
    if (n_values != t->n_props || (n_values && !values))
        return false;
    pk k = {buf, buf + cap, 2, max_json}; /* the braces */
    if (k.bound > k.max)
        return false;
    for (size_t i = 0; i < n_values; i++) {
        const psc_value *v = &values[i];
        if (!room(&k, 1))
            return false;
        *k.p++ = v->absent ? PSC__PACK_ABSENT : PSC__PACK_PRESENT;
        if (v->absent)
            continue;
        k.bound += t->keys[i].len;
        const psc_prop_def *p = &t->props[i];
        if (!(p->multiple ? pack_array(&k, p->type, v) : pack_single(&k, p->type, v)) || k.bound > k.max)
            return false;
    }
    *len = (size_t)(k.p - buf);
    return true;
}

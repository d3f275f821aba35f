/* A recording as a timeline of encoded messages (wire/timeline.h). */
#include "wire/timeline.h"

#include <stdio.h>
#include <string.h>

#include "wire/msg.h"
#include "wire/state_apply.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/version.h"
#include "peerscope/wire.h"

#define FILE_HEADER_LEN 4u
#define RECORD_HEADER_LEN 8u

typedef struct tl_type {
    char *name;
    size_t meta_item;     /* an item of this type carrying metadata; SIZE_MAX: none */
} tl_type;

struct psc__timeline {
    psc__alloc a;
    psc__tl_item *items;
    size_t n, cap;
    tl_type *types;
    size_t n_types, types_cap;
    psc_msg *runtime;
    psc__tl_counts counts;
    uint64_t last_ts;
    uint64_t start_ts, end_ts;
    bool sealed;
    /* The previous state, decoded: the base the next delta applies to. */
    Peerscope__ServerMessage *base;
};

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

psc_err psc__timeline_new(const psc__alloc *a, psc__timeline **out)
{
    if (!a || !out)
        return PSC_ERR_INVALID;
    psc__timeline *tl = psc__calloc(a, 1, sizeof *tl);
    if (!tl)
        return PSC_ERR_NOMEM;
    tl->a = *a;
    *out = tl;
    return PSC_OK;
}

static void drop_base(psc__timeline *tl)
{
    if (!tl->base)
        return;
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&tl->a, &pa);
    peerscope__server_message__free_unpacked(tl->base, &pa);
    tl->base = NULL;
}

void psc__timeline_free(psc__timeline *tl)
{
    if (!tl)
        return;
    for (size_t i = 0; i < tl->n; i++)
        psc_msg_unref(tl->items[i].msg);
    for (size_t i = 0; i < tl->n_types; i++)
        psc__free(&tl->a, tl->types[i].name);
    psc__free(&tl->a, tl->items);
    psc__free(&tl->a, tl->types);
    psc_msg_unref(tl->runtime);
    drop_base(tl);
    psc__free(&tl->a, tl);
}

/* ------------------------------------------------------------ building */

static void say(char *why, size_t why_len, const char *what, const char *detail)
{
    if (why && why_len)
        snprintf(why, why_len, "%s%s", what, detail);
}

/* ServerMessage.version = Version{version: 1}, as every peerscope message begins. */
static const uint8_t VERSION_FIELD[] = {0x0a, 0x02, 0x08, PSC_PROTOCOL_VERSION};

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (unsigned sh = 0; *p < end && sh < 64; sh += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/*
 * Whether the top-level field [f, f_end) is the ServerMessage.version
 * field, and *good whether it says version 1 in the usual encoding.
 * false at the end or for bytes that do not parse (the message was decoded
 * by protobuf-c before, so that does not happen).
 */
static bool next_field(const uint8_t **p, const uint8_t *end, bool *is_version, bool *good)
{
    const uint8_t *start = *p;
    uint64_t key, n;
    if (*p >= end || !varint(p, end, &key))
        return false;
    switch (key & 7) {
    case 0:
        if (!varint(p, end, &n))
            return false;
        break;
    case 1:
        if ((size_t)(end - *p) < 8)
            return false;
        *p += 8;
        break;
    case 2:
        if (!varint(p, end, &n) || n > (uint64_t)(end - *p))
            return false;
        *p += n;
        break;
    case 5:
        if ((size_t)(end - *p) < 4)
            return false;
        *p += 4;
        break;
    default:
        return false;
    }
    *is_version = key >> 3 == 1;
    *good = *is_version && (size_t)(*p - start) == sizeof VERSION_FIELD &&
            memcmp(start, VERSION_FIELD, sizeof VERSION_FIELD) == 0;
    return true;
}

/*
 * A message of the recording as a psc_msg. Clients check that every
 * message says version 1 (the 2020 visualizer's own recordings say 0, or
 * nothing): such a message is sent with its version set to 1 and the rest
 * of its bytes as recorded.
 */
psc_err psc__timeline_msg_from(const psc__alloc *a, psc_msg_kind kind, const uint8_t *p, size_t len, psc_msg **out)
{
    const uint8_t *end = p + len, *q = p;
    bool is_version, good, saw_good = false, saw_bad = false;
    while (next_field(&q, end, &is_version, &good)) {
        saw_good = saw_good || good;
        saw_bad = saw_bad || (is_version && !good);
    }
    /* bytes that do not parse here are left as they are */
    bool fix = q == end && (saw_bad || !saw_good);
    size_t n = len;
    if (fix) {
        n = sizeof VERSION_FIELD;
        q = p;
        const uint8_t *f = q;
        while (next_field(&q, end, &is_version, &good)) {
            if (!is_version)
                n += (size_t)(q - f);
            f = q;
        }
    }
    psc_msg *m = NULL;
    psc_err e = psc__msg_new(a, kind, n, &m);
    if (e != PSC_OK)
        return e;
    uint8_t *w = psc__msg_payload_mut(m);
    if (!fix) {
        if (len)
            memcpy(w, p, len);
    } else {
        memcpy(w, VERSION_FIELD, sizeof VERSION_FIELD);
        w += sizeof VERSION_FIELD;
        q = p;
        const uint8_t *f = q;
        while (next_field(&q, end, &is_version, &good)) {
            if (!is_version) {
                memcpy(w, f, (size_t)(q - f));
                w += q - f;
            }
            f = q;
        }
    }
    psc__msg_seal(m);
    *out = m;
    return PSC_OK;
}

static psc_err grow_items(psc__timeline *tl)
{
    if (tl->n < tl->cap)
        return PSC_OK;
    size_t cap = tl->cap ? tl->cap * 2 : 256;
    if (cap > SIZE_MAX / sizeof(psc__tl_item))
        return PSC_ERR_NOMEM;
    psc__tl_item *items = psc__malloc(&tl->a, cap * sizeof *items);
    if (!items)
        return PSC_ERR_NOMEM;
    if (tl->n)
        memcpy(items, tl->items, tl->n * sizeof *items);
    psc__free(&tl->a, tl->items);
    tl->items = items;
    tl->cap = cap;
    return PSC_OK;
}

/* The index of the type called name, added when new; SIZE_MAX when out of memory. */
static size_t type_index(psc__timeline *tl, const char *name)
{
    for (size_t i = 0; i < tl->n_types; i++)
        if (strcmp(tl->types[i].name, name) == 0)
            return i;
    if (tl->n_types == tl->types_cap) {
        size_t cap = tl->types_cap ? tl->types_cap * 2 : 16;
        tl_type *t = psc__malloc(&tl->a, cap * sizeof *t);
        if (!t)
            return SIZE_MAX;
        if (tl->n_types)
            memcpy(t, tl->types, tl->n_types * sizeof *t);
        psc__free(&tl->a, tl->types);
        tl->types = t;
        tl->types_cap = cap;
    }
    bool ok = true;
    char *copy = psc__strdup(&tl->a, name, &ok);
    if (!ok)
        return SIZE_MAX;
    tl->types[tl->n_types] = (tl_type){.name = copy, .meta_item = SIZE_MAX};
    return tl->n_types++;
}

/* The time an item is played at: its own, or its predecessor's when it has none or goes back. */
static uint64_t play_ts(psc__timeline *tl, uint64_t ts)
{
    if (ts < tl->last_ts)
        ts = tl->last_ts;
    tl->last_ts = ts;
    return ts;
}

/*
 * A state: kept whole. sm is the decoded message (taken over: it becomes
 * the base of the next delta); payload/len its bytes.
 */
static psc_err add_state(psc__timeline *tl, Peerscope__ServerMessage *sm, const uint8_t *payload, size_t len,
                         uint64_t ts, char *why, size_t why_len)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&tl->a, &pa);
    psc_msg *m = NULL;
    psc_err e;
    Peerscope__ServerMessage *full = sm;
    if (sm->state->delta) {
        if (!tl->base) {
            say(why, why_len, "a delta state with no full state before it", "");
            peerscope__server_message__free_unpacked(sm, &pa);
            return PSC_ERR_STATE;
        }
        uint8_t *buf = NULL;
        size_t n = 0;
        e = psc__state_apply(&tl->a, tl->base->state, sm->state, &buf, &n);
        peerscope__server_message__free_unpacked(sm, &pa);
        if (e != PSC_OK) {
            say(why, why_len, "a delta state that does not apply to the state before it: ", psc_strerror(e));
            return e == PSC_ERR_NOMEM ? e : PSC_ERR_STATE;
        }
        full = peerscope__server_message__unpack(&pa, n, buf);
        if (full)
            e = psc__timeline_msg_from(&tl->a, PSC_MSG_STATE, buf, n, &m);
        psc__free(&tl->a, buf);
        if (!full) {
            say(why, why_len, "out of memory decoding a rebuilt state", "");
            return PSC_ERR_NOMEM;
        }
        if (e != PSC_OK) {
            peerscope__server_message__free_unpacked(full, &pa);
            return e;
        }
        tl->counts.deltas++;
    } else if ((e = psc__timeline_msg_from(&tl->a, PSC_MSG_STATE, payload, len, &m)) != PSC_OK) {
        peerscope__server_message__free_unpacked(sm, &pa);
        return e;
    }
    if ((e = grow_items(tl)) != PSC_OK) {
        psc_msg_unref(m);
        peerscope__server_message__free_unpacked(full, &pa);
        return e;
    }
    uint64_t t = ts ? ts : full->state->instant_ts;
    tl->items[tl->n++] = (psc__tl_item){.ts = play_ts(tl, t), .msg = m, .kind = PSC__TL_STATE};
    tl->counts.states++;
    drop_base(tl);
    tl->base = full;
    return PSC_OK;
}

static psc_err add_event(psc__timeline *tl, const Peerscope__Event *ev, const uint8_t *payload, size_t len,
                         uint64_t ts, char *why, size_t why_len)
{
    if (!ev->type || !ev->type->name || !ev->type->name[0]) {
        say(why, why_len, "an event without a type name", "");
        return PSC_ERR_PROTOCOL;
    }
    psc_err e = grow_items(tl);
    if (e != PSC_OK)
        return e;
    size_t t = type_index(tl, ev->type->name);
    if (t == SIZE_MAX || t > UINT32_MAX)
        return PSC_ERR_NOMEM;
    psc_msg *m = NULL;
    if ((e = psc__timeline_msg_from(&tl->a, PSC_MSG_EVENT, payload, len, &m)) != PSC_OK)
        return e;
    bool meta = ev->type->n_property_types > 0;
    if (meta && tl->types[t].meta_item == SIZE_MAX)
        tl->types[t].meta_item = tl->n;
    tl->items[tl->n++] =
        (psc__tl_item){.ts = play_ts(tl, ts ? ts : ev->ts), .msg = m, .type = (uint32_t)t, .kind = PSC__TL_EVENT,
                       .meta = meta};
    tl->counts.events++;
    return PSC_OK;
}

static psc_err add_runtime(psc__timeline *tl, const uint8_t *payload, size_t len, uint64_t ts)
{
    psc_err e = grow_items(tl);
    if (e != PSC_OK)
        return e;
    psc_msg *m = NULL;
    if ((e = psc__timeline_msg_from(&tl->a, PSC_MSG_RUNTIME, payload, len, &m)) != PSC_OK)
        return e;
    if (!tl->runtime)
        tl->runtime = psc_msg_ref(m);
    tl->items[tl->n++] = (psc__tl_item){.ts = play_ts(tl, ts), .msg = m, .kind = PSC__TL_RUNTIME};
    tl->counts.runtimes++;
    return PSC_OK;
}

psc_err psc__timeline_unpack(const psc__alloc *a, const uint8_t *p, size_t len, Peerscope__ServerMessage **out)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(a, &pa);
    if ((*out = peerscope__server_message__unpack(&pa, len, p)))
        return PSC_OK;
    /* NULL is both bad bytes and a failed allocation: a second try with malloc tells them apart */
    Peerscope__ServerMessage *again = peerscope__server_message__unpack(NULL, len, p);
    if (!again)
        return PSC_ERR_PROTOCOL;
    peerscope__server_message__free_unpacked(again, NULL);
    return PSC_ERR_NOMEM;
}

psc_err psc__timeline_add(psc__timeline *tl, const uint8_t *payload, size_t len, uint64_t ts, char *why,
                          size_t why_len)
{
    if (why && why_len)
        why[0] = '\0';
    if (!tl || (!payload && len))
        return PSC_ERR_INVALID;
    if (tl->sealed)
        return PSC_ERR_CLOSED;
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&tl->a, &pa);
    Peerscope__ServerMessage *sm = NULL;
    psc_err e = psc__timeline_unpack(&tl->a, payload, len, &sm);
    if (e != PSC_OK) {
        say(why, why_len, e == PSC_ERR_NOMEM ? "out of memory" : "not a valid ServerMessage", "");
        return e;
    }
    switch (sm->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        return add_state(tl, sm, payload, len, ts, why, why_len); /* takes sm */
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        e = add_event(tl, sm->event, payload, len, ts, why, why_len);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        e = add_runtime(tl, payload, len, ts);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        tl->counts.skipped++;
        break;
    default:
        say(why, why_len, "a ServerMessage without a payload", "");
        e = PSC_ERR_PROTOCOL;
        break;
    }
    peerscope__server_message__free_unpacked(sm, &pa);
    return e;
}

/* Report a problem; false when the caller must stop. */
static bool problem(psc__timeline *tl, psc__tl_report_fn fn, void *user, uint64_t offset, uint64_t index, psc_err err,
                    bool fatal, const char *what)
{
    tl->counts.problems++;
    if (!fn)
        return true;
    psc__tl_problem p = {.offset = offset, .index = index, .err = err, .fatal = fatal};
    snprintf(p.what, sizeof p.what, "%s", what);
    return fn(user, &p);
}

psc_err psc__timeline_load(psc__timeline *tl, const uint8_t *data, size_t len, psc__tl_report_fn fn, void *user)
{
    if (!tl || (!data && len))
        return PSC_ERR_INVALID;
    if (tl->sealed)
        return PSC_ERR_CLOSED;
    if (len < FILE_HEADER_LEN || get_le32(data) != PSC_PROTOCOL_VERSION)
        return PSC_ERR_PROTOCOL;
    size_t off = FILE_HEADER_LEN;
    char what[160];
    for (uint64_t index = 0; off < len; index++) {
        size_t left = len - off;
        if (left < RECORD_HEADER_LEN) {
            snprintf(what, sizeof what, "truncated record header (%zu of %u bytes); the file ends there", left,
                     RECORD_HEADER_LEN);
            return problem(tl, fn, user, off, index, PSC_ERR_PROTOCOL, true, what) ? PSC_OK : PSC_ERR_CLOSED;
        }
        uint32_t sum = get_le32(data + off);
        uint32_t n = get_le32(data + off + 4);
        if (n > PSC_RECORDING_MAX_RECORD) {
            snprintf(what, sizeof what, "record length %u is over the %u-byte limit; the rest cannot be read", n,
                     PSC_RECORDING_MAX_RECORD);
            return problem(tl, fn, user, off, index, PSC_ERR_PROTOCOL, true, what) ? PSC_OK : PSC_ERR_CLOSED;
        }
        if (n > left - RECORD_HEADER_LEN) {
            snprintf(what, sizeof what, "truncated record (%zu of %u payload bytes); the file ends there",
                     left - RECORD_HEADER_LEN, n);
            return problem(tl, fn, user, off, index, PSC_ERR_PROTOCOL, true, what) ? PSC_OK : PSC_ERR_CLOSED;
        }
        const uint8_t *p = data + off + RECORD_HEADER_LEN;
        size_t rec_off = off;
        off += RECORD_HEADER_LEN + n;
        if (psc_fnv1a32(p, n) != sum) {
            snprintf(what, sizeof what, "checksum mismatch (record of %u bytes), skipped", n);
            if (!problem(tl, fn, user, rec_off, index, PSC_ERR_CORRUPT, false, what))
                return PSC_ERR_CLOSED;
            continue;
        }
        char why[120];
        psc_err e = psc__timeline_add(tl, p, n, 0, why, sizeof why);
        if (e == PSC_ERR_NOMEM)
            return e;
        if (e != PSC_OK) {
            snprintf(what, sizeof what, "%s, skipped", why[0] ? why : psc_strerror(e));
            if (!problem(tl, fn, user, rec_off, index, PSC_ERR_PROTOCOL, false, what))
                return PSC_ERR_CLOSED;
            tl->counts.skipped++;
        }
    }
    return PSC_OK;
}

void psc__timeline_seal(psc__timeline *tl)
{
    if (!tl || tl->sealed)
        return;
    tl->sealed = true;
    drop_base(tl);
    /* A runtime before anything timed (the usual first record) plays at the first time. */
    uint64_t first = 0;
    for (size_t i = 0; i < tl->n && !first; i++)
        first = tl->items[i].ts;
    for (size_t i = 0; i < tl->n && tl->items[i].ts < first; i++)
        tl->items[i].ts = first;
    tl->start_ts = tl->n ? tl->items[0].ts : 0;
    tl->end_ts = tl->n ? tl->items[tl->n - 1].ts : 0;
}

/* ------------------------------------------------------------ reading */

size_t psc__timeline_count(const psc__timeline *tl)
{
    return tl->n;
}

const psc__tl_item *psc__timeline_item(const psc__timeline *tl, size_t i)
{
    return i < tl->n ? &tl->items[i] : NULL;
}

psc_msg *psc__timeline_runtime(const psc__timeline *tl)
{
    return tl->runtime;
}

uint64_t psc__timeline_start_ts(const psc__timeline *tl)
{
    return tl->start_ts;
}

uint64_t psc__timeline_end_ts(const psc__timeline *tl)
{
    return tl->end_ts;
}

void psc__timeline_counts(const psc__timeline *tl, psc__tl_counts *out)
{
    *out = tl->counts;
}

size_t psc__timeline_type_count(const psc__timeline *tl)
{
    return tl->n_types;
}

bool psc__timeline_type_has_meta(const psc__timeline *tl, const char *name)
{
    for (size_t i = 0; i < tl->n_types; i++)
        if (strcmp(tl->types[i].name, name) == 0)
            return tl->types[i].meta_item != SIZE_MAX;
    return false;
}

size_t psc__timeline_find(const psc__timeline *tl, uint64_t ts)
{
    size_t lo = 0, hi = tl->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tl->items[mid].ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

psc_msg *psc__timeline_state_before(const psc__timeline *tl, size_t i)
{
    for (size_t k = i < tl->n ? i : tl->n; k > 0; k--)
        if (tl->items[k - 1].kind == PSC__TL_STATE)
            return tl->items[k - 1].msg;
    return NULL;
}

psc_msg *psc__timeline_state_at(const psc__timeline *tl, uint64_t ts)
{
    /* past every item stamped at or before ts */
    size_t i = ts == UINT64_MAX ? tl->n : psc__timeline_find(tl, ts + 1);
    psc_msg *m = psc__timeline_state_before(tl, i);
    for (size_t k = i; !m && k < tl->n; k++)
        if (tl->items[k].kind == PSC__TL_STATE)
            m = tl->items[k].msg;
    return m;
}

psc_err psc__timeline_event_with_meta(const psc__timeline *tl, size_t i, psc_msg **out)
{
    const psc__tl_item *it = psc__timeline_item(tl, i);
    if (!it || it->kind != PSC__TL_EVENT)
        return PSC_ERR_INVALID;
    size_t src = tl->types[it->type].meta_item;
    if (it->meta || src == SIZE_MAX) {
        *out = psc_msg_ref(it->msg);
        return PSC_OK;
    }
    return psc__event_graft_meta(&tl->a, it->msg, tl->items[src].msg, out);
}

psc_err psc__event_graft_meta(const psc__alloc *a, const psc_msg *event, const psc_msg *with_meta, psc_msg **out)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(a, &pa);
    size_t n1, n2;
    const uint8_t *p1 = psc_msg_payload(event, &n1);
    const uint8_t *p2 = psc_msg_payload(with_meta, &n2);
    Peerscope__ServerMessage *ev = peerscope__server_message__unpack(&pa, n1, p1);
    Peerscope__ServerMessage *meta = ev ? peerscope__server_message__unpack(&pa, n2, p2) : NULL;
    psc_err e = PSC_ERR_NOMEM;
    if (meta) {
        /* Borrow the metadata for the pack; both go back to their owner before the free. */
        Peerscope__EventType *own = ev->event->type;
        ev->event->type = meta->event->type;
        size_t n = peerscope__server_message__get_packed_size(ev);
        psc_msg *m = NULL;
        if ((e = psc__msg_new(a, PSC_MSG_EVENT, n, &m)) == PSC_OK) {
            peerscope__server_message__pack(ev, psc__msg_payload_mut(m));
            psc__msg_seal(m);
            *out = m;
        }
        ev->event->type = own;
        peerscope__server_message__free_unpacked(meta, &pa);
    }
    if (ev)
        peerscope__server_message__free_unpacked(ev, &pa);
    return e;
}

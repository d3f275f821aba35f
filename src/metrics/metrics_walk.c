/*
 * An encoded state, most of it without decoding: the connections (with
 * their streams, the bulk of a big state) are walked in place for the few
 * fields the families need, the peerstore only counted; what is left (a
 * few percent of the bytes) is copied out and unpacked by protobuf-c.
 * Anything this walk does not expect (a field split in pieces, a payload
 * that is not one State) goes the plain way: the whole message unpacked,
 * so that the text is always the one protobuf-c's tree gives (protobuf-c
 * merges a message field given twice only one level deep: rather than
 * copy that, such input is left to it).
 */
#include "metrics/metrics_int.h"
#include "wire/pb_fields.h"

#include <protobuf-c/protobuf-c.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct rd {
    const uint8_t *p, *end;
} rd;

static bool rd_varint(rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end)
            return false;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* One field: its number and wire type, and its value (a varint in *v, or
 * the bytes of a length-delimited one); fixed-size values are skipped.
 * false at the end (r empty) with *bad false, or on malformed input. */
typedef struct field {
    uint32_t num;
    unsigned wt;
    uint64_t v;
    const uint8_t *data;
    size_t len;
    const uint8_t *start; /* where its tag began */
} field;

static bool rd_field(rd *r, field *f, bool *bad)
{
    *bad = false;
    if (r->p == r->end)
        return false;
    f->start = r->p;
    uint64_t tag;
    *bad = true;
    if (!rd_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return false;
    f->num = (uint32_t)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    switch (f->wt) {
    case WT_VARINT:
        if (!rd_varint(r, &f->v))
            return false;
        break;
    case WT_LEN:
        if (!rd_varint(r, &f->v) || f->v > (uint64_t)(r->end - r->p))
            return false;
        f->data = r->p;
        f->len = (size_t)f->v;
        r->p += f->len;
        break;
    case WT_I64:
        if (r->end - r->p < 8)
            return false;
        r->p += 8;
        break;
    case WT_I32:
        if (r->end - r->p < 4)
            return false;
        r->p += 4;
        break;
    default:
        return false;
    }
    *bad = false;
    return true;
}

/* A string field as protobuf-c's tree holds it: up to its first NUL. */
static size_t text_len(const uint8_t *p, size_t n)
{
    const uint8_t *z = n ? memchr(p, 0, n) : NULL;
    return z ? (size_t)(z - p) : n;
}

#define EACH_FIELD(r, f, bad) for (bool bad = false; rd_field(&(r), &(f), &bad) || (bad ? (ok = false) : false);)

/* cum_bytes of each direction of a Traffic; *odd when a direction comes twice. */
static bool walk_traffic(const uint8_t *p, size_t n, uint64_t *in, uint64_t *out, bool *odd)
{
    rd r = {p, p + n};
    field f = {0};
    bool ok = true;
    int seen[2] = {0, 0};
    EACH_FIELD(r, f, bad)
    {
        if (f.wt != WT_LEN || (f.num != PSC__F_TRAFFIC__TRAFFIC_IN && f.num != PSC__F_TRAFFIC__TRAFFIC_OUT))
            continue;
        if (seen[f.num == PSC__F_TRAFFIC__TRAFFIC_OUT]++)
            *odd = true;
        rd g = {f.data, f.data + f.len};
        field h = {0};
        EACH_FIELD(g, h, bad2)
        {
            if (h.wt == WT_VARINT && h.num == PSC__F_DATA_GAUGE__CUM_BYTES)
                *(f.num == PSC__F_TRAFFIC__TRAFFIC_IN ? in : out) = h.v;
        }
    }
    return ok;
}

static bool walk_stream(psc__conn_acc *acc, const uint8_t *p, size_t n, psc_err *e, bool *odd)
{
    int traffic = 0;
    rd r = {p, p + n};
    field f = {0};
    bool ok = true;
    const char *proto = "";
    size_t proto_len = 0;
    uint32_t role = 0, status = 0;
    uint64_t in = 0, out = 0;
    EACH_FIELD(r, f, bad)
    {
        if (f.num == PSC__F_STREAM__PROTOCOL && f.wt == WT_LEN) {
            proto = (const char *)f.data;
            proto_len = text_len(f.data, f.len);
        } else if (f.num == PSC__F_STREAM__ROLE && f.wt == WT_VARINT) {
            role = (uint32_t)f.v;
        } else if (f.num == PSC__F_STREAM__STATUS && f.wt == WT_VARINT) {
            status = (uint32_t)f.v;
        } else if (f.num == PSC__F_STREAM__TRAFFIC && f.wt == WT_LEN) {
            *odd = *odd || traffic++;
            ok = ok && walk_traffic(f.data, f.len, &in, &out, odd);
        }
    }
    if (ok)
        *e = psc__acc_stream(acc, proto, proto_len, role, status, in, out);
    return ok;
}

static bool walk_connection(psc__conn_acc *acc, const Peerscope__Subsystems *rest, const uint8_t *p, size_t n,
                            psc_err *e, bool *odd)
{
    int traffic = 0, lists = 0;
    rd r = {p, p + n};
    field f = {0};
    bool ok = true;
    const char *tr = "", *peer = "";
    size_t tr_len = 0, peer_len = 0, id_len = 0;
    const uint8_t *id = NULL;
    uint32_t role = 0, status = 0;
    uint64_t in = 0, out = 0;
    *e = PSC_OK;
    EACH_FIELD(r, f, bad)
    {
        switch (f.num) {
        case PSC__F_CONNECTION__STATUS:
            if (f.wt == WT_VARINT)
                status = (uint32_t)f.v;
            break;
        case PSC__F_CONNECTION__ROLE:
            if (f.wt == WT_VARINT)
                role = (uint32_t)f.v;
            break;
        case PSC__F_CONNECTION__TRANSPORT_NAME:
            if (f.wt == WT_LEN) {
                tr = (const char *)f.data;
                tr_len = text_len(f.data, f.len);
            }
            break;
        case PSC__F_CONNECTION__TRANSPORT_ID:
            if (f.wt == WT_LEN) {
                id = f.data;
                id_len = f.len;
            }
            break;
        case PSC__F_CONNECTION__PEER_ID:
            if (f.wt == WT_LEN) {
                peer = (const char *)f.data;
                peer_len = text_len(f.data, f.len);
            }
            break;
        case PSC__F_CONNECTION__TRAFFIC:
            if (f.wt == WT_LEN) {
                *odd = *odd || traffic++;
                ok = ok && walk_traffic(f.data, f.len, &in, &out, odd);
            }
            break;
        case PSC__F_CONNECTION__STREAMS:
            if (f.wt == WT_LEN) {
                *odd = *odd || lists++;
                rd s = {f.data, f.data + f.len};
                field g = {0};
                EACH_FIELD(s, g, bad2)
                {
                    if (g.num == PSC__F_STREAM_LIST__STREAMS && g.wt == WT_LEN && *e == PSC_OK)
                        ok = ok && walk_stream(acc, g.data, g.len, e, odd);
                }
            }
            break;
        default:
            break;
        }
    }
    if (ok && *e == PSC_OK) {
        if (!tr_len)
            tr = psc__transport_by_id(rest, id, id_len, &tr_len);
        *e = psc__acc_conn(acc, tr, tr_len, role, status, in, out, peer, peer_len);
    }
    return ok;
}

static void *arena_alloc(void *data, size_t size)
{
    return psc__arena_alloc(data, size ? size : 1);
}

static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p; /* the arena goes at once */
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/*
 * The state's body with its subsystems copied but for the connections and
 * the peerstore, into ar: *rest, *rest_len. *subs: the subsystems' bytes
 * in the original (NULL: none); *peers: peerstore entries (-1: none).
 * false: not the simple shape (go the plain way).
 */
static bool split_state(psc__arena *ar, const uint8_t *st, size_t st_len, uint8_t **rest, size_t *rest_len,
                        const uint8_t **subs, size_t *subs_len, long *peers)
{
    *subs = NULL;
    *subs_len = 0;
    *peers = -1;
    rd r = {st, st + st_len};
    field f = {0};
    bool ok = true;
    const uint8_t *sub_field_start = NULL, *sub_field_end = NULL;
    EACH_FIELD(r, f, bad)
    {
        if (f.num != PSC__F_STATE__SUBSYSTEMS)
            continue;
        if (f.wt != WT_LEN || *subs)
            return false; /* twice: protobuf would merge them */
        *subs = f.data;
        *subs_len = f.len;
        sub_field_start = f.start;
        sub_field_end = f.data + f.len;
    }
    if (!ok)
        return false;
    /* at most the original size, plus room for a longer length varint (never needed: it only shrinks) */
    uint8_t *out = psc__arena_bytes(ar, st_len + 16);
    if (!out)
        return false;
    uint8_t *p = out;
    if (!*subs) {
        memcpy(p, st, st_len);
        *rest = out;
        *rest_len = st_len;
        return true;
    }
    /* the fields before the subsystems, a placeholder for its length, its kept fields, the fields after */
    size_t before = (size_t)(sub_field_start - st);
    memcpy(p, st, before);
    p += before;
    uint8_t *kept = psc__arena_bytes(ar, *subs_len ? *subs_len : 1);
    if (!kept)
        return false;
    size_t kept_len = 0;
    rd s = {*subs, *subs + *subs_len};
    EACH_FIELD(s, f, bad2)
    {
        if (f.num == PSC__F_SUBSYSTEMS__CONNECTIONS && f.wt == WT_LEN)
            continue;
        if (f.num == PSC__F_SUBSYSTEMS__PEERSTORE && f.wt == WT_LEN) {
            /* only its size is read: count the peers, every occurrence merged */
            if (*peers < 0)
                *peers = 0;
            rd q = {f.data, f.data + f.len};
            field g = {0};
            EACH_FIELD(q, g, bad3)
            {
                if (g.num == PSC__F_PEERSTORE__PEERS && g.wt == WT_LEN)
                    (*peers)++;
            }
            continue;
        }
        size_t n = (size_t)(s.p - f.start);
        memcpy(kept + kept_len, f.start, n);
        kept_len += n;
    }
    if (!ok)
        return false;
    p = put_varint(p, ((uint64_t)PSC__F_STATE__SUBSYSTEMS << 3) | WT_LEN);
    p = put_varint(p, kept_len);
    memcpy(p, kept, kept_len);
    p += kept_len;
    size_t after = (size_t)(st + st_len - sub_field_end);
    memcpy(p, sub_field_end, after);
    p += after;
    *rest = out;
    *rest_len = (size_t)(p - out);
    return true;
}

/* The State's bytes in a ServerMessage: false unless it holds exactly one State field and no other payload. */
static bool state_of(const uint8_t *msg, size_t len, const uint8_t **st, size_t *st_len, bool *not_state)
{
    rd r = {msg, msg + len};
    field f = {0};
    bool ok = true;
    int states = 0;
    uint32_t last_payload = 0;
    *not_state = false;
    EACH_FIELD(r, f, bad)
    {
        if (f.num >= PSC__F_SERVER_MESSAGE__STATE && f.num <= PSC__F_SERVER_MESSAGE__NOTICE)
            last_payload = f.num;
        if (f.num == PSC__F_SERVER_MESSAGE__STATE && f.wt == WT_LEN) {
            states++;
            *st = f.data;
            *st_len = f.len;
        }
    }
    if (ok && last_payload != PSC__F_SERVER_MESSAGE__STATE)
        *not_state = true;
    return ok && states == 1 && last_payload == PSC__F_SERVER_MESSAGE__STATE;
}

/* The plain way: the whole message unpacked. */
static psc_err add_unpacked(psc__metrics *m, psc__arena *ar, const char *node, const uint8_t *payload,
                            size_t payload_len, const psc__metrics_extra *x)
{
    ProtobufCAllocator pa = {arena_alloc, arena_free, ar};
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(&pa, payload_len, payload);
    if (!sm)
        return PSC_ERR_PROTOCOL;
    if (sm->payload_case != PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE || !sm->state)
        return PSC_ERR_INVALID;
    return psc__metrics_add(m, node, sm->state, x);
}

psc_err psc__metrics_add_walked(psc__metrics *m, psc__arena *ar, const char *node, const uint8_t *payload,
                                size_t payload_len, const psc__metrics_extra *x)
{
    const uint8_t *st = NULL, *subs = NULL;
    size_t st_len = 0, subs_len = 0, rest_len = 0;
    uint8_t *rest = NULL;
    long peers = -1;
    bool not_state = false;
    if (!state_of(payload, payload_len, &st, &st_len, &not_state) ||
        !split_state(ar, st, st_len, &rest, &rest_len, &subs, &subs_len, &peers))
        return not_state ? PSC_ERR_INVALID : add_unpacked(m, ar, node, payload, payload_len, x);
    ProtobufCAllocator pa = {arena_alloc, arena_free, ar};
    Peerscope__State *rs = peerscope__state__unpack(&pa, rest_len, rest);
    if (!rs)
        return PSC_ERR_PROTOCOL;
    Peerscope__Peerstore *ps = NULL;
    if (peers >= 0 && rs->subsystems) {
        /* the count is all the families read of it */
        ps = psc__arena_alloc(ar, sizeof *ps);
        if (!ps)
            return PSC_ERR_NOMEM;
        peerscope__peerstore__init(ps);
        ps->n_peers = (size_t)peers;
        rs->subsystems->peerstore = ps;
    }

    psc__conn_acc acc;
    psc__acc_init(&acc, &m->alloc, m->top_peers > 0);
    psc_err e = PSC_OK;
    bool ok = true, odd = false;
    static const uint8_t none[1];
    if (!subs) /* a state without subsystems: nothing to walk (NULL + 0 is undefined) */
        subs = none;
    rd r = {subs, subs + subs_len};
    field f = {0};
    EACH_FIELD(r, f, bad)
    {
        if (f.num == PSC__F_SUBSYSTEMS__CONNECTIONS && f.wt == WT_LEN && e == PSC_OK && ok && !odd)
            ok = walk_connection(&acc, rs->subsystems, f.data, f.len, &e, &odd);
    }
    if (odd || !ok) {
        /* nothing is put yet: the plain way starts afresh */
        psc__acc_fini(&acc);
        return add_unpacked(m, ar, node, payload, payload_len, x);
    }
    psc__lb_node(m, node);
    if (e == PSC_OK)
        e = psc__acc_put(m, &acc);
    psc__acc_fini(&acc);
    if (e == PSC_OK)
        e = psc__metrics_add_state(m, rs);
    if (e == PSC_OK)
        e = psc__metrics_add_extra(m, x);
    return e;
}

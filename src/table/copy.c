/*
 * Changes made from the host's structs: validated with the builders' rules
 * (so that a snapshot never meets what a builder refuses) and deep-copied
 * into one allocation behind the op, in two passes over the same code: the
 * first only measures, the second copies.
 */
#include "table/table.h"
#include "util/json.h"
#include "util/struct_in.h"

#include <stdalign.h>
#include <string.h>

/* The copier: base NULL measures, base set copies. */
typedef struct cp {
    uint8_t *base;
    size_t used;
    bool bad;                     /* something the builders would refuse */
} cp;

static void *cp_take(cp *c, size_t n, size_t align)
{
    c->used = (c->used + align - 1) & ~(align - 1);
    void *p = c->base ? c->base + c->used : NULL;
    c->used += n;
    return p;
}

static const char *cp_str(cp *c, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (!c->base && !psc__text_valid(s, n))
        c->bad = true;
    char *d = cp_take(c, n + 1, 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static const uint8_t *cp_bytes(cp *c, const uint8_t *b, size_t n)
{
    if (!n)
        return NULL;
    if (!b)
        c->bad = true;
    uint8_t *d = cp_take(c, n, 1);
    if (d && b)
        memcpy(d, b, n);
    return d;
}

/* n strings, none NULL */
static const char **cp_strv(cp *c, const char *const *v, size_t n)
{
    if (!n)
        return NULL;
    if (!v || n > SIZE_MAX / sizeof(char *)) {
        c->bad = true;
        return NULL;
    }
    const char **d = cp_take(c, n * sizeof(char *), alignof(char *));
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            c->bad = true;
        const char *s = cp_str(c, v[i]);
        if (d)
            d[i] = s;
    }
    return d;
}

/*
 * Measure with fill(c, src, body) (which copies into body when c->base is
 * set), allocate the op with room for it, then copy. key_of (may be NULL)
 * names the bytes of body that key the entity.
 */
typedef void (*fill_fn)(cp *c, const void *src, psc__op_body *body);

static psc_err make(psc_table *t, psc__op_kind kind, fill_fn fill, const void *src, psc__op **out)
{
    cp c = {0};
    psc__op_body scratch;
    memset(&scratch, 0, sizeof scratch);
    fill(&c, src, &scratch);
    if (c.bad)
        return PSC_ERR_INVALID;
    size_t head = (sizeof(psc__op) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (c.used > SIZE_MAX - head)
        return PSC_ERR_NOMEM;
    psc__op *op = psc__malloc(&t->alloc, head + c.used);
    if (!op)
        return PSC_ERR_NOMEM;
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->at_ms = psc__table_now_ms(t);
    cp w = {(uint8_t *)op + head, 0, false};
    fill(&w, src, &op->b);
    *out = op;
    return PSC_OK;
}

static void set_key_str(psc__op *op, const char *key)
{
    op->key = (const uint8_t *)key;
    op->key_len = key ? strlen(key) : 0;
}

/* ------------------------------------------------------------ connections */

static bool status_ok(psc_status s)
{
    return (unsigned)s <= PSC_STATUS_ERROR;
}

static bool role_ok(psc_role r)
{
    return (unsigned)r <= PSC_ROLE_RESPONDER;
}

static void fill_conn(cp *c, const void *src, psc__op_body *b)
{
    const psc_connection *in = src;
    psc_connection *o = &b->conn;
    *o = *in;
    o->struct_size = sizeof *o;
    o->id = cp_bytes(c, in->id, in->id_len);
    o->peer_id = cp_str(c, in->peer_id);
    o->transport_id = cp_bytes(c, in->transport_id, in->transport_id_len);
    o->transport_name = cp_str(c, in->transport_name);
    o->local_addr = cp_str(c, in->local_addr);
    o->remote_addr = cp_str(c, in->remote_addr);
    o->multiplexer = cp_str(c, in->multiplexer);
    o->encryption = cp_str(c, in->encryption);
    o->relay_conn_id = cp_bytes(c, in->relay_conn_id, in->relay_conn_id_len);
    o->close_reason = cp_str(c, in->close_reason);
    o->tags = cp_strv(c, in->tags, in->n_tags);
    memset(&o->traffic, 0, sizeof o->traffic); /* the handle's counters are the traffic */
    if (!status_ok(in->status) || !role_ok(in->role))
        c->bad = true;
}

psc_err psc__op_conn(psc_table *t, const psc_connection *in, bool need_id, psc__op **out)
{
    psc_connection c;
    if (psc__copy_in(&c, sizeof c, in, need_id ? PSC__END_OF(psc_connection, id_len) : sizeof(size_t)) != PSC_OK)
        return PSC_ERR_INVALID;
    if (need_id && (!c.id || !c.id_len))
        return PSC_ERR_INVALID;
    if (!need_id) {
        c.id = NULL; /* kept from the open */
        c.id_len = 0;
    }
    return make(t, need_id ? PSC__OP_CONN_OPEN : PSC__OP_CONN_UPDATE, fill_conn, &c, out);
}

static void fill_stream(cp *c, const void *src, psc__op_body *b)
{
    const psc_stream *in = src;
    psc_stream *o = &b->stream;
    *o = *in;
    o->struct_size = sizeof *o;
    o->id = cp_bytes(c, in->id, in->id_len);
    o->protocol = cp_str(c, in->protocol);
    o->close_reason = cp_str(c, in->close_reason);
    o->tags = cp_strv(c, in->tags, in->n_tags);
    memset(&o->traffic, 0, sizeof o->traffic);
    if (!status_ok(in->status) || !role_ok(in->role))
        c->bad = true;
}

psc_err psc__op_stream(psc_table *t, const psc_stream *in, bool need_id, psc__op **out)
{
    psc_stream s;
    if (psc__copy_in(&s, sizeof s, in, need_id ? PSC__END_OF(psc_stream, id_len) : sizeof(size_t)) != PSC_OK)
        return PSC_ERR_INVALID;
    if (need_id && (!s.id || !s.id_len))
        return PSC_ERR_INVALID;
    if (!need_id) {
        s.id = NULL;
        s.id_len = 0;
    }
    return make(t, need_id ? PSC__OP_STREAM_OPEN : PSC__OP_STREAM_UPDATE, fill_stream, &s, out);
}

/* ------------------------------------------------------------ the rest of the swarm */

static void fill_transport(cp *c, const void *src, psc__op_body *b)
{
    const psc_transport *in = src;
    psc_transport *o = &b->transport;
    *o = *in;
    o->struct_size = sizeof *o;
    o->id = cp_bytes(c, in->id, in->id_len);
    o->name = cp_str(c, in->name);
    o->listen_addrs = cp_strv(c, in->listen_addrs, in->n_listen_addrs);
}

psc_err psc__op_transport(psc_table *t, const psc_transport *in, psc__op **out)
{
    psc_transport tr;
    if (psc__copy_in(&tr, sizeof tr, in, sizeof(size_t)) != PSC_OK)
        return PSC_ERR_INVALID;
    psc_err e = make(t, PSC__OP_TRANSPORT_PUT, fill_transport, &tr, out);
    if (e == PSC_OK) {
        (*out)->key = (*out)->b.transport.id;
        (*out)->key_len = (*out)->b.transport.id_len;
    }
    return e;
}

static void fill_ping_peer(cp *c, const void *src, psc__op_body *b)
{
    const psc_ping_peer *in = src;
    b->ping_peer = *in;
    b->ping_peer.struct_size = sizeof b->ping_peer;
    b->ping_peer.peer_id = cp_str(c, in->peer_id);
}

psc_err psc__op_ping_peer(psc_table *t, const psc_ping_peer *in, psc__op **out)
{
    psc_ping_peer p;
    if (psc__copy_in(&p, sizeof p, in, PSC__END_OF(psc_ping_peer, peer_id)) != PSC_OK || !p.peer_id)
        return PSC_ERR_INVALID;
    psc_err e = make(t, PSC__OP_PING_PEER_PUT, fill_ping_peer, &p, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.ping_peer.peer_id);
    return e;
}

/* ------------------------------------------------------------ DHT */

static void fill_dht(cp *c, const void *src, psc__op_body *b)
{
    const psc_dht *in = src;
    b->dht = *in;
    b->dht.struct_size = sizeof b->dht;
    b->dht.name = NULL; /* the table's name */
    b->dht.protocol = cp_str(c, in->protocol);
}

psc_err psc__op_dht(psc_table *t, const psc_dht *in, psc__op **out)
{
    psc_dht d;
    if (psc__copy_in(&d, sizeof d, in, sizeof(size_t)) != PSC_OK)
        return PSC_ERR_INVALID;
    return make(t, PSC__OP_DHT_SET, fill_dht, &d, out);
}

static void fill_dht_peer(cp *c, const void *src, psc__op_body *b)
{
    const psc__op_body *in = src;
    b->dht_peer = in->dht_peer;
    b->dht_peer.peer.struct_size = sizeof b->dht_peer.peer;
    b->dht_peer.peer.peer_id = cp_str(c, in->dht_peer.peer.peer_id);
}

psc_err psc__op_dht_peer(psc_table *t, uint32_t cpl, const psc_dht_peer *in, psc__op **out)
{
    psc__op_body src;
    memset(&src, 0, sizeof src);
    if (psc__copy_in(&src.dht_peer.peer, sizeof src.dht_peer.peer, in, PSC__END_OF(psc_dht_peer, peer_id)) != PSC_OK ||
        !src.dht_peer.peer.peer_id || cpl > PSC__TABLE_MAX_CPL ||
        (unsigned)src.dht_peer.peer.status > PSC_DHT_PEER_CANDIDATE)
        return PSC_ERR_INVALID;
    src.dht_peer.cpl = cpl;
    psc_err e = make(t, PSC__OP_DHT_PEER_PUT, fill_dht_peer, &src, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.dht_peer.peer.peer_id);
    return e;
}

/* ------------------------------------------------------------ pubsub */

static void fill_router(cp *c, const void *src, psc__op_body *b)
{
    const psc__op_body *in = src;
    b->router.router = cp_str(c, in->router.router);
    b->router.protocol = cp_str(c, in->router.protocol);
}

psc_err psc__op_router(psc_table *t, const char *router, const char *protocol, psc__op **out)
{
    psc__op_body src;
    memset(&src, 0, sizeof src);
    src.router.router = router;
    src.router.protocol = protocol;
    return make(t, PSC__OP_ROUTER, fill_router, &src, out);
}

static void fill_topic(cp *c, const void *src, psc__op_body *b)
{
    const psc_topic *in = src;
    b->topic = *in;
    b->topic.struct_size = sizeof b->topic;
    b->topic.name = cp_str(c, in->name);
}

psc_err psc__op_topic(psc_table *t, const psc_topic *in, psc__op **out)
{
    psc_topic tp;
    if (psc__copy_in(&tp, sizeof tp, in, PSC__END_OF(psc_topic, name)) != PSC_OK || !tp.name)
        return PSC_ERR_INVALID;
    psc_err e = make(t, PSC__OP_TOPIC_PUT, fill_topic, &tp, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.topic.name);
    return e;
}

/* The caller's peers, checked and normalised as they are copied. */
typedef struct mesh_src {
    const char *topic;
    const psc_mesh_peer *peers;
    size_t n;
} mesh_src;

static void fill_mesh(cp *c, const void *src, psc__op_body *b)
{
    const mesh_src *in = src;
    b->mesh.topic = cp_str(c, in->topic);
    b->mesh.n = in->n;
    if (in->n > SIZE_MAX / sizeof(psc_mesh_peer)) {
        c->bad = true;
        return;
    }
    psc_mesh_peer *d = in->n ? cp_take(c, in->n * sizeof *d, alignof(psc_mesh_peer)) : NULL;
    b->mesh.peers = d;
    for (size_t i = 0; i < in->n; i++) {
        psc_mesh_peer p;
        if (psc__copy_in(&p, sizeof p, &in->peers[i], PSC__END_OF(psc_mesh_peer, peer_id)) != PSC_OK || !p.peer_id)
            c->bad = true;
        p.struct_size = sizeof p;
        p.peer_id = c->bad ? NULL : cp_str(c, p.peer_id);
        if (d)
            d[i] = p;
    }
}

psc_err psc__op_mesh(psc_table *t, const char *topic, const psc_mesh_peer *peers, size_t n, psc__op **out)
{
    if (!topic || (n && !peers))
        return PSC_ERR_INVALID;
    mesh_src src = {topic, peers, n};
    psc_err e = make(t, PSC__OP_MESH, fill_mesh, &src, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.mesh.topic);
    return e;
}

typedef struct fanout_src {
    const char *topic;
    const char *const *peers;
    size_t n;
} fanout_src;

static void fill_fanout(cp *c, const void *src, psc__op_body *b)
{
    const fanout_src *in = src;
    b->fanout.topic = cp_str(c, in->topic);
    b->fanout.peers = cp_strv(c, in->peers, in->n);
    b->fanout.n = in->n;
}

psc_err psc__op_fanout(psc_table *t, const char *topic, const char *const *peers, size_t n, psc__op **out)
{
    if (!topic || (n && !peers))
        return PSC_ERR_INVALID;
    fanout_src src = {topic, peers, n};
    psc_err e = make(t, PSC__OP_FANOUT, fill_fanout, &src, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.fanout.topic);
    return e;
}

/* ------------------------------------------------------------ peerstore */

static void fill_peer(cp *c, const void *src, psc__op_body *b)
{
    const psc_peer_info *in = src;
    psc_peer_info *o = &b->peer;
    *o = *in;
    o->struct_size = sizeof *o;
    o->peer_id = cp_str(c, in->peer_id);
    o->addrs = cp_strv(c, in->addrs, in->n_addrs);
    o->protocols = cp_strv(c, in->protocols, in->n_protocols);
    o->agent_version = cp_str(c, in->agent_version);
    o->protocol_version = cp_str(c, in->protocol_version);
    o->tags = NULL;
    if (!in->n_tags)
        return;
    if (!in->tags || in->n_tags > SIZE_MAX / sizeof(psc_peer_tag)) {
        c->bad = true;
        return;
    }
    psc_peer_tag *d = cp_take(c, in->n_tags * sizeof *d, alignof(psc_peer_tag));
    o->tags = d;
    for (size_t i = 0; i < in->n_tags; i++) {
        if (!in->tags[i].name)
            c->bad = true;
        const char *name = cp_str(c, in->tags[i].name);
        if (d) {
            d[i].name = name;
            d[i].value = in->tags[i].value;
        }
    }
}

psc_err psc__op_peer(psc_table *t, const psc_peer_info *in, psc__op **out)
{
    psc_peer_info p;
    if (psc__copy_in(&p, sizeof p, in, PSC__END_OF(psc_peer_info, peer_id)) != PSC_OK || !p.peer_id)
        return PSC_ERR_INVALID;
    psc_err e = make(t, PSC__OP_PEER_PUT, fill_peer, &p, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.peer.peer_id);
    return e;
}

/* ------------------------------------------------------------ resource manager, custom sections */

static void fill_scope(cp *c, const void *src, psc__op_body *b)
{
    const psc_resource_scope *in = src;
    b->scope.s = *in;
    b->scope.s.struct_size = sizeof b->scope.s;
    b->scope.s.name = cp_str(c, in->name);
    size_t n = in->name ? strlen(in->name) : 0;
    uint8_t *key = cp_take(c, 1 + n, 1);
    if (key) {
        key[0] = (uint8_t)in->kind;
        if (n)
            memcpy(key + 1, in->name, n);
    }
    b->scope.key = key;
    b->scope.key_len = 1 + n;
    if ((unsigned)in->kind > PSC_SCOPE_STREAM)
        c->bad = true;
}

psc_err psc__op_scope(psc_table *t, const psc_resource_scope *s, psc_scope_kind kind, const char *name,
                      psc__op **out)
{
    psc_resource_scope sc = PSC_RESOURCE_SCOPE_INIT;
    if (s) {
        if (psc__copy_in(&sc, sizeof sc, s, PSC__END_OF(psc_resource_scope, kind)) != PSC_OK)
            return PSC_ERR_INVALID;
    } else {
        sc.kind = kind;
        sc.name = name;
    }
    psc_err e = make(t, s ? PSC__OP_SCOPE_PUT : PSC__OP_SCOPE_REMOVE, fill_scope, &sc, out);
    if (e == PSC_OK) {
        (*out)->key = (*out)->b.scope.key;
        (*out)->key_len = (*out)->b.scope.key_len;
    }
    return e;
}

static void fill_custom(cp *c, const void *src, psc__op_body *b)
{
    const psc__op_body *in = src;
    b->custom = in->custom;
    b->custom.section = cp_str(c, in->custom.section);
    b->custom.name = cp_str(c, in->custom.name);
    b->custom.text = cp_str(c, in->custom.text);
}

psc_err psc__op_custom(psc_table *t, psc__op_kind kind, const char *section, const char *name, psc__custom_kind vk,
                       double number, int64_t integer, const char *text, psc__op **out)
{
    if (!section || !section[0] || !name)
        return PSC_ERR_INVALID;
    if (kind == PSC__OP_CUSTOM_PUT && (vk == PSC__CUSTOM_TEXT || vk == PSC__CUSTOM_JSON)) {
        if (!text)
            return PSC_ERR_INVALID;
        if (vk == PSC__CUSTOM_JSON && !psc__json_valid(text, strlen(text)))
            return PSC_ERR_INVALID;
    }
    psc__op_body src;
    memset(&src, 0, sizeof src);
    src.custom.section = section;
    src.custom.name = name;
    src.custom.kind = vk;
    src.custom.number = number;
    src.custom.integer = integer;
    src.custom.text = kind == PSC__OP_CUSTOM_PUT && (vk == PSC__CUSTOM_TEXT || vk == PSC__CUSTOM_JSON) ? text : NULL;
    psc_err e = make(t, kind, fill_custom, &src, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.custom.name);
    return e;
}

/* ------------------------------------------------------------ keys, plain values, closes */

static void fill_key(cp *c, const void *src, psc__op_body *b)
{
    b->key.id = cp_str(c, src);
}

psc_err psc__op_key(psc_table *t, psc__op_kind kind, const char *key, psc__op **out)
{
    if (!key)
        return PSC_ERR_INVALID;
    psc_err e = make(t, kind, fill_key, key, out);
    if (e == PSC_OK)
        set_key_str(*out, (*out)->b.key.id);
    return e;
}

psc_err psc__op_plain(psc_table *t, psc__op_kind kind, const void *value, size_t size, psc__op **out)
{
    if (!value || size > sizeof(psc__op_body))
        return PSC_ERR_INVALID;
    psc__op *op = psc__malloc(&t->alloc, sizeof *op);
    if (!op)
        return PSC_ERR_NOMEM;
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->at_ms = psc__table_now_ms(t);
    memcpy(&op->b, value, size);
    *out = op;
    return PSC_OK;
}

psc_err psc__op_close(psc_table *t, psc__op *op, psc__op_kind kind, psc_status status, const char *reason,
                      uint64_t close_ts)
{
    if (status != PSC_STATUS_CLOSED && status != PSC_STATUS_ERROR)
        return PSC_ERR_INVALID;
    size_t n = reason ? strlen(reason) : 0;
    if (reason && !psc__text_valid(reason, n))
        return PSC_ERR_INVALID;
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->embedded = true;
    op->at_ms = psc__table_now_ms(t);
    op->b.close.status = status;
    op->b.close.close_ts = close_ts;
    if (n >= PSC__TABLE_REASON_MAX) {
        n = PSC__TABLE_REASON_MAX - 1;
        while (n && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--; /* do not cut a character in two */
    }
    if (n)
        memcpy(op->b.close.reason, reason, n);
    op->b.close.reason[n] = 0;
    return PSC_OK;
}

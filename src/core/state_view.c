/*
 * The state view: the snapshot's arena records, kept alive by the message
 * (and by retention baselines), read back without decoding protobuf.
 * Records are immutable once the message is sealed, so reads need no lock.
 */
#include "core/records.h"
#include "wire/msg.h"

psc_err psc__view_new(const psc__alloc *a, psc__chunk_pool *pool, size_t hint, psc__view **out)
{
    psc__arena ar;
    psc_err e = psc__arena_init(&ar, a, pool, hint);
    if (e != PSC_OK)
        return e;
    /* the view lives in its own arena's first chunk: one allocation fewer */
    psc__view *v = psc__arena_zalloc(&ar, sizeof *v);
    if (!v) {
        psc__arena_free(&ar);
        return PSC_ERR_NOMEM;
    }
    v->refs = 1;
    v->arena = ar;
    *out = v;
    return PSC_OK;
}

void psc__view_ref(psc__view *v)
{
    __atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
}

void psc__view_unref(psc__view *v)
{
    if (v && __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
        psc__arena_free(&v->arena);
}

size_t psc__msg_held_bytes(const psc_msg *m)
{
    if (!m)
        return 0;
    const psc__view *v = psc__msg_view(m);
    return psc__msg_block_size(m) + (v ? psc__arena_held(&v->arena) : 0);
}

static const psc__snap *snap_of(const psc_msg *msg)
{
    if (!msg || psc_msg_get_kind(msg) != PSC_MSG_STATE)
        return NULL;
    const psc__view *v = psc__msg_view(msg);
    return v ? &v->snap : NULL;
}

/* Give the caller the fields its version of the struct has room for. */
static psc_err copy_out(void *out, const void *full, size_t full_size)
{
    size_t given;
    memcpy(&given, out, sizeof given);
    if (given < sizeof(size_t))
        return PSC_ERR_INVALID;
    size_t n = given < full_size ? given : full_size;
    memcpy((char *)out + sizeof(size_t), (const char *)full + sizeof(size_t), n - sizeof(size_t));
    return PSC_OK;
}

psc_err psc_state_summary_get(const psc_msg *msg, psc_state_summary *out)
{
    const psc__snap *s = snap_of(msg);
    if (!s || !out)
        return PSC_ERR_INVALID;
    psc_state_summary sum = {.struct_size = sizeof sum};
    sum.seq = s->seq;
    sum.instant_ts = s->instant_ts;
    sum.start_ts = s->start_ts;
    sum.duration_ms = s->duration_ms;
    sum.collect_ns = s->collect_ns;
    sum.connections = s->conns.n;
    sum.connections_closed = s->n_closed;
    sum.streams = s->n_streams;
    sum.dht_peers = s->n_dht_peers;
    sum.topics = s->topics.n;
    sum.peerstore_peers = s->peers.n;
    sum.provider_errors = s->errors.n;
    sum.traffic = s->traffic;
    return copy_out(out, &sum, sizeof sum);
}

size_t psc_state_connection_count(const psc_msg *msg)
{
    const psc__snap *s = snap_of(msg);
    return s ? s->conns.n : 0;
}

psc_err psc_state_connection(const psc_msg *msg, size_t i, psc_connection *out)
{
    const psc__snap *s = snap_of(msg);
    if (!s || !out)
        return PSC_ERR_INVALID;
    if (i >= s->conns.n)
        return PSC_ERR_NOT_FOUND;
    const psc__conn_rec *r = s->conn_index[i];
    psc_connection c = {.struct_size = sizeof c};
    c.id = r->id.p;
    c.id_len = r->id.len;
    c.peer_id = r->peer_id.p;
    c.status = r->status;
    c.role = r->role;
    c.transport_id = r->transport_id.p;
    c.transport_id_len = r->transport_id.len;
    c.transport_name = r->transport_name.p;
    c.local_addr = r->local_addr.p;
    c.remote_addr = r->remote_addr.p;
    c.open_ts = r->open_ts;
    c.upgraded_ts = r->upgraded_ts;
    c.close_ts = r->close_ts;
    c.traffic = r->traffic;
    c.multiplexer = r->multiplexer.p;
    c.encryption = r->encryption.p;
    c.latency_ns = r->latency_ns;
    c.relay_conn_id = r->relay_conn_id.p;
    c.relay_conn_id_len = r->relay_conn_id.len;
    c.close_reason = r->close_reason.p;
    c.tags = r->tags.v;
    c.n_tags = r->tags.n;
    c.stream_count = r->stream_count ? r->stream_count : r->open_streams;
    return copy_out(out, &c, sizeof c);
}

size_t psc_state_stream_count(const psc_msg *msg, size_t conn_index)
{
    const psc__snap *s = snap_of(msg);
    if (!s || conn_index >= s->conns.n)
        return 0;
    return s->conn_index[conn_index]->streams.n;
}

psc_err psc_state_stream(const psc_msg *msg, size_t conn_index, size_t j, psc_stream *out)
{
    const psc__snap *s = snap_of(msg);
    if (!s || !out)
        return PSC_ERR_INVALID;
    if (conn_index >= s->conns.n || j >= s->conn_index[conn_index]->streams.n)
        return PSC_ERR_NOT_FOUND;
    const psc__stream_rec *r = s->conn_index[conn_index]->stream_index[j];
    psc_stream st = {.struct_size = sizeof st};
    st.id = r->id.p;
    st.id_len = r->id.len;
    st.protocol = r->protocol.p;
    st.role = r->role;
    st.status = r->status;
    st.open_ts = r->open_ts;
    st.close_ts = r->close_ts;
    st.traffic = r->traffic;
    st.latency_ns = r->latency_ns;
    st.close_reason = r->close_reason.p;
    st.tags = r->tags.v;
    st.n_tags = r->tags.n;
    return copy_out(out, &st, sizeof st);
}

size_t psc_state_provider_error_count(const psc_msg *msg)
{
    const psc__snap *s = snap_of(msg);
    return s ? s->errors.n : 0;
}

psc_err psc_state_provider_error(const psc_msg *msg, size_t i, const char **provider, const char **reason,
                                 psc_err *code)
{
    const psc__snap *s = snap_of(msg);
    if (!s)
        return PSC_ERR_INVALID;
    if (i >= s->errors.n)
        return PSC_ERR_NOT_FOUND;
    const psc__error_rec *e = s->error_index[i];
    if (provider)
        *provider = e->provider.p;
    if (reason)
        *reason = e->reason.p;
    if (code)
        *code = e->code;
    return PSC_OK;
}

/*
 * State encoder: ServerMessage{version, state} straight from the records.
 * The size pass caches each message body's size in its record (bottom-up)
 * so the write pass can emit length prefixes without recomputing.
 * The 2020 sub-messages (endpoints, timeline, traffic, attribs, streams,
 * conn refs) are always written: the 2020 visualizer reads them without
 * checking for presence, and so did the reference generator.
 */
#include "core/encode.h"

/* ------------------------------------------------------------- streams */

static size_t stream_timeline_body(const psc__stream_rec *s)
{
    return psc__pb_uint_size_opt(1, s->open_ts) + psc__pb_uint_size_opt(2, s->close_ts);
}

/* Stream.ConnectionRef{conn_id}: a oneof member, so written even if empty */
static size_t conn_ref_body(const psc__conn_rec *c)
{
    return psc__pb_len_size(2, c->id.len);
}

static size_t stream_size(psc__stream_rec *s, const psc__conn_rec *c)
{
    size_t n = enc_bytes_size(1, s->id) + enc_str_size(2, s->protocol) + psc__pb_enum_size_opt(3, (int32_t)s->role) +
               enc_msg_size(4, enc_traffic_body(&s->traffic)) + enc_msg_size(5, conn_ref_body(c)) +
               enc_msg_size(6, stream_timeline_body(s)) + psc__pb_enum_size_opt(7, (int32_t)s->status) +
               psc__pb_uint_size_opt(16, s->latency_ns) + enc_str_size(17, s->close_reason) +
               enc_strv_size(99, s->tags);
    s->pb_size = n;
    return n;
}

static uint8_t *stream_write(uint8_t *p, const psc__stream_rec *s, const psc__conn_rec *c)
{
    p = psc__pb_put_len_prefix(p, 2, s->pb_size); /* StreamList.streams */
    p = enc_bytes(p, 1, s->id);
    p = enc_str(p, 2, s->protocol);
    p = psc__pb_put_enum_opt(p, 3, (int32_t)s->role);
    p = enc_traffic(p, 4, &s->traffic);
    p = psc__pb_put_len_prefix(p, 5, conn_ref_body(c));
    p = psc__pb_put_bytes(p, 2, c->id.p, c->id.len);
    p = psc__pb_put_len_prefix(p, 6, stream_timeline_body(s));
    p = psc__pb_put_uint_opt(p, 1, s->open_ts);
    p = psc__pb_put_uint_opt(p, 2, s->close_ts);
    p = psc__pb_put_enum_opt(p, 7, (int32_t)s->status);
    p = psc__pb_put_uint_opt(p, 16, s->latency_ns);
    p = enc_str(p, 17, s->close_reason);
    return enc_strv(p, 99, s->tags);
}

/* --------------------------------------------------------- connections */

static size_t endpoints_body(const psc__conn_rec *c)
{
    return enc_str_size(1, c->local_addr) + enc_str_size(2, c->remote_addr);
}

static size_t conn_timeline_body(const psc__conn_rec *c)
{
    return psc__pb_uint_size_opt(1, c->open_ts) + psc__pb_uint_size_opt(2, c->upgraded_ts) +
           psc__pb_uint_size_opt(3, c->close_ts);
}

static size_t attribs_body(const psc__conn_rec *c)
{
    return enc_str_size(1, c->multiplexer) + enc_str_size(2, c->encryption);
}

static uint32_t stream_count(const psc__conn_rec *c)
{
    return c->stream_count ? c->stream_count : c->open_streams;
}

static bool stream_open(psc_status s)
{
    return s != PSC_STATUS_CLOSED && s != PSC_STATUS_ERROR;
}

/* Also completes the view (see psc__finalize): stream_index and open_streams. */
static size_t conn_size(psc__conn_rec *c)
{
    size_t streams = 0, i = 0;
    uint32_t open = 0;
    PSC__EACH(psc__stream_rec, s, c->streams) {
        streams += psc__pb_len_size(2, stream_size(s, c));
        c->stream_index[i++] = s;
        open += stream_open(s->status) && open < UINT32_MAX;
    }
    c->open_streams = open;
    c->pb_streams_size = streams;
    size_t n = enc_bytes_size(1, c->id) + enc_str_size(2, c->peer_id) + psc__pb_enum_size_opt(3, (int32_t)c->status) +
               enc_bytes_size(4, c->transport_id) + enc_msg_size(5, endpoints_body(c)) +
               enc_msg_size(6, conn_timeline_body(c)) + psc__pb_enum_size_opt(7, (int32_t)c->role) +
               enc_msg_size(8, enc_traffic_body(&c->traffic)) + enc_msg_size(9, attribs_body(c)) +
               psc__pb_uint_size_opt(10, c->latency_ns) + enc_msg_size(11, streams) +
               enc_bytes_size(16, c->relay_conn_id) + enc_str_size(18, c->transport_name) +
               enc_str_size(19, c->close_reason) + psc__pb_uint_size_opt(20, stream_count(c)) +
               enc_strv_size(99, c->tags);
    c->pb_size = n;
    return n;
}

static uint8_t *conn_write(uint8_t *p, psc__conn_rec *c)
{
    p = psc__pb_put_len_prefix(p, 1, c->pb_size); /* Subsystems.connections */
    c->pb_at = p;
    p = enc_bytes(p, 1, c->id);
    p = enc_str(p, 2, c->peer_id);
    p = psc__pb_put_enum_opt(p, 3, (int32_t)c->status);
    p = enc_bytes(p, 4, c->transport_id);
    p = psc__pb_put_len_prefix(p, 5, endpoints_body(c));
    p = enc_str(p, 1, c->local_addr);
    p = enc_str(p, 2, c->remote_addr);
    p = psc__pb_put_len_prefix(p, 6, conn_timeline_body(c));
    p = psc__pb_put_uint_opt(p, 1, c->open_ts);
    p = psc__pb_put_uint_opt(p, 2, c->upgraded_ts);
    p = psc__pb_put_uint_opt(p, 3, c->close_ts);
    p = psc__pb_put_enum_opt(p, 7, (int32_t)c->role);
    p = enc_traffic(p, 8, &c->traffic);
    p = psc__pb_put_len_prefix(p, 9, attribs_body(c));
    p = enc_str(p, 1, c->multiplexer);
    p = enc_str(p, 2, c->encryption);
    p = psc__pb_put_uint_opt(p, 10, c->latency_ns);
    p = psc__pb_put_len_prefix(p, 11, c->pb_streams_size);
    PSC__EACH(const psc__stream_rec, s, c->streams)
        p = stream_write(p, s, c);
    p = enc_bytes(p, 16, c->relay_conn_id);
    p = enc_str(p, 18, c->transport_name);
    p = enc_str(p, 19, c->close_reason);
    p = psc__pb_put_uint_opt(p, 20, stream_count(c));
    return enc_strv(p, 99, c->tags);
}

/* ---------------------------------------------------------- subsystems */

static size_t pubsub_body(psc__snap *s)
{
    size_t n = enc_str_size(1, s->router) + enc_str_size(2, s->router_protocol);
    PSC__EACH(psc__topic_rec, t, s->topics)
        n += enc_msg_size(3, psc__topic_pb_size(t));
    return n;
}

static size_t peerstore_body(psc__snap *s)
{
    size_t n = 0;
    PSC__EACH(psc__peer_rec, r, s->peers)
        n += enc_msg_size(1, psc__peer_pb_size(r));
    return n;
}

static size_t rcmgr_body(psc__snap *s)
{
    size_t n = 0;
    PSC__EACH(psc__scope_rec, r, s->scopes)
        n += enc_msg_size(1, r->pb_size = psc__scope_pb_size(r));
    return n;
}

static bool has_dialer(const psc__snap *s)
{
    return s->has_dialer || s->dials.n;
}

static bool has_ping(const psc__snap *s)
{
    return s->has_ping || s->ping_peers.n;
}

static size_t subsystems_size(psc__snap *s)
{
    size_t n = 0;
    PSC__EACH(psc__conn_rec, c, s->conns)
        n += enc_msg_size(1, conn_size(c));
    if (s->dht)
        n += enc_msg_size(2, psc__dht_pb_size(s->dht));
    if (s->has_pubsub)
        n += enc_msg_size(16, s->pb_pubsub = pubsub_body(s));
    if (s->has_peerstore)
        n += enc_msg_size(17, s->pb_peerstore = peerstore_body(s));
    PSC__EACH(psc__transport_rec, t, s->transports)
        n += enc_msg_size(18, psc__transport_pb_size(t));
    if (has_dialer(s))
        n += enc_msg_size(19, s->pb_dialer = psc__dialer_pb_size(s));
    if (s->has_identify)
        n += enc_msg_size(20, psc__identify_pb_size(&s->identify));
    if (s->has_relay)
        n += enc_msg_size(21, psc__relay_pb_size(&s->relay));
    if (has_ping(s))
        n += enc_msg_size(22, s->pb_ping = psc__ping_pb_size(s));
    if (s->has_rcmgr)
        n += enc_msg_size(23, s->pb_rcmgr = rcmgr_body(s));
    PSC__EACH(psc__custom_rec, c, s->customs)
        n += enc_msg_size(24, psc__custom_pb_size(c));
    PSC__EACH(psc__dht_rec, d, s->extra_dhts)
        n += enc_msg_size(25, psc__dht_pb_size(d));
    return n;
}

static uint8_t *subsystems_write(uint8_t *p, psc__snap *s)
{
    p = psc__pb_put_len_prefix(p, 1, s->pb_subsystems);
    PSC__EACH(psc__conn_rec, c, s->conns)
        p = conn_write(p, c);
    if (s->dht) {
        p = psc__pb_put_len_prefix(p, 2, s->dht->pb_size);
        p = psc__dht_pb_write(p, s->dht);
    }
    if (s->has_pubsub) {
        p = psc__pb_put_len_prefix(p, 16, s->pb_pubsub);
        s->pb_pubsub_head = p;
        p = enc_str(p, 1, s->router);
        p = enc_str(p, 2, s->router_protocol);
        s->pb_pubsub_head_end = p;
        PSC__EACH(psc__topic_rec, t, s->topics) {
            p = psc__pb_put_len_prefix(p, 3, t->pb_size);
            p = psc__topic_pb_write(p, t);
        }
    }
    if (s->has_peerstore) {
        p = psc__pb_put_len_prefix(p, 17, s->pb_peerstore);
        PSC__EACH(psc__peer_rec, r, s->peers) {
            p = psc__pb_put_len_prefix(p, 1, r->pb_size);
            p = psc__peer_pb_write(p, r);
        }
    }
    s->pb_plain_at = p;
    PSC__EACH(const psc__transport_rec, t, s->transports) {
        p = psc__pb_put_len_prefix(p, 18, t->pb_size);
        p = psc__transport_pb_write(p, t);
    }
    if (has_dialer(s)) {
        p = psc__pb_put_len_prefix(p, 19, s->pb_dialer);
        p = psc__dialer_pb_write(p, s);
    }
    if (s->has_identify) {
        p = psc__pb_put_len_prefix(p, 20, psc__identify_pb_size(&s->identify));
        p = psc__identify_pb_write(p, &s->identify);
    }
    if (s->has_relay) {
        p = psc__pb_put_len_prefix(p, 21, psc__relay_pb_size(&s->relay));
        p = psc__relay_pb_write(p, &s->relay);
    }
    if (has_ping(s)) {
        p = psc__pb_put_len_prefix(p, 22, s->pb_ping);
        p = psc__ping_pb_write(p, s);
    }
    s->pb_plain_end = p;
    if (s->has_rcmgr) {
        p = psc__pb_put_len_prefix(p, 23, s->pb_rcmgr);
        PSC__EACH(psc__scope_rec, r, s->scopes) {
            p = psc__pb_put_len_prefix(p, 1, r->pb_size);
            p = psc__scope_pb_write(p, r);
        }
    }
    s->pb_custom_at = p;
    PSC__EACH(const psc__custom_rec, c, s->customs) {
        p = psc__pb_put_len_prefix(p, 24, c->pb_size);
        p = psc__custom_pb_write(p, c);
    }
    s->pb_custom_end = p;
    PSC__EACH(psc__dht_rec, d, s->extra_dhts) {
        p = psc__pb_put_len_prefix(p, 25, d->pb_size);
        p = psc__dht_pb_write(p, d);
    }
    return p;
}

/* --------------------------------------------------------------- state */

/* ServerMessage.version = Version{version: 1} */
#define VERSION_FIELD_SIZE 4u

static uint8_t *version_write(uint8_t *p)
{
    p = psc__pb_put_len_prefix(p, 1, 2);
    return psc__pb_put_uint(p, 1, 1);
}

size_t psc__state_pb_size(psc__snap *s)
{
    s->pb_subsystems = subsystems_size(s);
    size_t n = enc_msg_size(1, s->pb_subsystems) + enc_msg_size(2, enc_traffic_body(&s->traffic)) +
               psc__pb_uint_size_opt(3, s->instant_ts) + psc__pb_uint_size_opt(4, s->start_ts) +
               psc__pb_uint_size_opt(5, s->duration_ms);
    PSC__EACH(const psc__error_rec, e, s->errors)
        n += enc_msg_size(16, psc__error_pb_size(e));
    n += psc__pb_uint_size_opt(17, s->seq);
    s->pb_state = n;
    return VERSION_FIELD_SIZE + enc_msg_size(2, n);
}

uint8_t *psc__state_pb_write(uint8_t *p, psc__snap *s)
{
    p = version_write(p);
    p = psc__pb_put_len_prefix(p, 2, s->pb_state);
    p = subsystems_write(p, s);
    s->pb_tail_at = p;
    p = enc_traffic(p, 2, &s->traffic);
    p = psc__pb_put_uint_opt(p, 3, s->instant_ts);
    p = psc__pb_put_uint_opt(p, 4, s->start_ts);
    p = psc__pb_put_uint_opt(p, 5, s->duration_ms);
    PSC__EACH(const psc__error_rec, e, s->errors) {
        p = psc__pb_put_len_prefix(p, 16, psc__error_pb_size(e));
        p = psc__error_pb_write(p, e);
    }
    p = psc__pb_put_uint_opt(p, 17, s->seq);
    s->pb_tail_end = p;
    return p;
}

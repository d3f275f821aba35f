/*
 * State encoder: the body of ServerMessage.state straight from the records.
 * The size pass caches each message body's size in its record (bottom-up)
 * so the write pass can emit length prefixes without recomputing.
 * The 2020 sub-messages (endpoints, timeline, traffic, attribs, streams,
 * conn refs) are always written: the 2020 visualizer reads them without
 * checking for presence, and so did the reference generator.
 */
#include "core/encode.h"

/* The model's enums are written as they are. */
PSC__WIRE_SAME(PSC_STATUS_ACTIVE, PSC__E_STATUS__ACTIVE);
PSC__WIRE_SAME(PSC_STATUS_CLOSED, PSC__E_STATUS__CLOSED);
PSC__WIRE_SAME(PSC_STATUS_OPENING, PSC__E_STATUS__OPENING);
PSC__WIRE_SAME(PSC_STATUS_CLOSING, PSC__E_STATUS__CLOSING);
PSC__WIRE_SAME(PSC_STATUS_ERROR, PSC__E_STATUS__ERROR);
PSC__WIRE_SAME(PSC_ROLE_INITIATOR, PSC__E_ROLE__INITIATOR);
PSC__WIRE_SAME(PSC_ROLE_RESPONDER, PSC__E_ROLE__RESPONDER);
PSC__WIRE_SAME(PSC_DHT_PEER_ACTIVE, PSC__E_DHT_PEER_IN_DHT_STATUS__ACTIVE);
PSC__WIRE_SAME(PSC_DHT_PEER_MISSING, PSC__E_DHT_PEER_IN_DHT_STATUS__MISSING);
PSC__WIRE_SAME(PSC_DHT_PEER_REJECTED, PSC__E_DHT_PEER_IN_DHT_STATUS__REJECTED);
PSC__WIRE_SAME(PSC_DHT_PEER_CANDIDATE, PSC__E_DHT_PEER_IN_DHT_STATUS__CANDIDATE);
PSC__WIRE_SAME(PSC_SCOPE_SYSTEM, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__SYSTEM);
PSC__WIRE_SAME(PSC_SCOPE_TRANSIENT, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__TRANSIENT);
PSC__WIRE_SAME(PSC_SCOPE_SERVICE, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__SERVICE);
PSC__WIRE_SAME(PSC_SCOPE_PROTOCOL, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__PROTOCOL);
PSC__WIRE_SAME(PSC_SCOPE_PEER, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__PEER);
PSC__WIRE_SAME(PSC_SCOPE_CONNECTION, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__CONNECTION);
PSC__WIRE_SAME(PSC_SCOPE_STREAM, PSC__E_RESOURCE_MANAGER_SCOPE_KIND__STREAM);

/* ------------------------------------------------------------- streams */

static size_t stream_timeline_body(const psc__stream_rec *s)
{
    return psc__pb_uint_size_opt(PSC__F_STREAM_TIMELINE__OPEN_TS, s->open_ts) +
           psc__pb_uint_size_opt(PSC__F_STREAM_TIMELINE__CLOSE_TS, s->close_ts);
}

/* Stream.ConnectionRef{conn_id}: a oneof member, so written even if empty */
static size_t conn_ref_body(const psc__conn_rec *c)
{
    return psc__pb_len_size(PSC__F_STREAM_CONNECTION_REF__CONN_ID, c->id.len);
}

static size_t stream_size(psc__stream_rec *s, const psc__conn_rec *c)
{
    size_t n = enc_bytes_size(PSC__F_STREAM__ID, s->id) + enc_str_size(PSC__F_STREAM__PROTOCOL, s->protocol) +
               psc__pb_enum_size_opt(PSC__F_STREAM__ROLE, (int32_t)s->role) +
               enc_msg_size(PSC__F_STREAM__TRAFFIC, enc_traffic_body(&s->traffic)) +
               enc_msg_size(PSC__F_STREAM__CONN, conn_ref_body(c)) +
               enc_msg_size(PSC__F_STREAM__TIMELINE, stream_timeline_body(s)) +
               psc__pb_enum_size_opt(PSC__F_STREAM__STATUS, (int32_t)s->status) +
               psc__pb_uint_size_opt(PSC__F_STREAM__LATENCY_NS, s->latency_ns) +
               enc_str_size(PSC__F_STREAM__CLOSE_REASON, s->close_reason) +
               enc_strv_size(PSC__F_STREAM__USER_PROVIDED_TAGS, s->tags);
    s->pb_size = n;
    return n;
}

static uint8_t *stream_write(uint8_t *p, const psc__stream_rec *s, const psc__conn_rec *c)
{
    p = psc__pb_put_len_prefix(p, PSC__F_STREAM_LIST__STREAMS, s->pb_size);
    uint8_t *body = p;
    p = enc_bytes(p, PSC__F_STREAM__ID, s->id);
    p = enc_str(p, PSC__F_STREAM__PROTOCOL, s->protocol);
    p = psc__pb_put_enum_opt(p, PSC__F_STREAM__ROLE, (int32_t)s->role);
    p = enc_traffic(p, PSC__F_STREAM__TRAFFIC, &s->traffic);
    p = psc__pb_put_len_prefix(p, PSC__F_STREAM__CONN, conn_ref_body(c));
    p = psc__pb_put_bytes(p, PSC__F_STREAM_CONNECTION_REF__CONN_ID, c->id.p, c->id.len);
    p = psc__pb_put_len_prefix(p, PSC__F_STREAM__TIMELINE, stream_timeline_body(s));
    p = psc__pb_put_uint_opt(p, PSC__F_STREAM_TIMELINE__OPEN_TS, s->open_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_STREAM_TIMELINE__CLOSE_TS, s->close_ts);
    p = psc__pb_put_enum_opt(p, PSC__F_STREAM__STATUS, (int32_t)s->status);
    p = psc__pb_put_uint_opt(p, PSC__F_STREAM__LATENCY_NS, s->latency_ns);
    p = enc_str(p, PSC__F_STREAM__CLOSE_REASON, s->close_reason);
    p = enc_strv(p, PSC__F_STREAM__USER_PROVIDED_TAGS, s->tags);
    PSC__PB_BODY_END(body, p, s->pb_size, "Stream");
    return p;
}

/* --------------------------------------------------------- connections */

static size_t endpoints_body(const psc__conn_rec *c)
{
    return enc_str_size(PSC__F_ENDPOINT_PAIR__SRC_MULTIADDR, c->local_addr) +
           enc_str_size(PSC__F_ENDPOINT_PAIR__DST_MULTIADDR, c->remote_addr);
}

static size_t conn_timeline_body(const psc__conn_rec *c)
{
    return psc__pb_uint_size_opt(PSC__F_CONNECTION_TIMELINE__OPEN_TS, c->open_ts) +
           psc__pb_uint_size_opt(PSC__F_CONNECTION_TIMELINE__UPGRADED_TS, c->upgraded_ts) +
           psc__pb_uint_size_opt(PSC__F_CONNECTION_TIMELINE__CLOSE_TS, c->close_ts);
}

static size_t attribs_body(const psc__conn_rec *c)
{
    return enc_str_size(PSC__F_CONNECTION_ATTRIBUTES__MULTIPLEXER, c->multiplexer) +
           enc_str_size(PSC__F_CONNECTION_ATTRIBUTES__ENCRYPTION, c->encryption);
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
        streams += psc__pb_len_size(PSC__F_STREAM_LIST__STREAMS, stream_size(s, c));
        c->stream_index[i++] = s;
        open += stream_open(s->status) && open < UINT32_MAX;
    }
    c->open_streams = open;
    c->pb_streams_size = streams;
    size_t n = enc_bytes_size(PSC__F_CONNECTION__ID, c->id) + enc_str_size(PSC__F_CONNECTION__PEER_ID, c->peer_id) +
               psc__pb_enum_size_opt(PSC__F_CONNECTION__STATUS, (int32_t)c->status) +
               enc_bytes_size(PSC__F_CONNECTION__TRANSPORT_ID, c->transport_id) +
               enc_msg_size(PSC__F_CONNECTION__ENDPOINTS, endpoints_body(c)) +
               enc_msg_size(PSC__F_CONNECTION__TIMELINE, conn_timeline_body(c)) +
               psc__pb_enum_size_opt(PSC__F_CONNECTION__ROLE, (int32_t)c->role) +
               enc_msg_size(PSC__F_CONNECTION__TRAFFIC, enc_traffic_body(&c->traffic)) +
               enc_msg_size(PSC__F_CONNECTION__ATTRIBS, attribs_body(c)) +
               psc__pb_uint_size_opt(PSC__F_CONNECTION__LATENCY_NS, c->latency_ns) +
               enc_msg_size(PSC__F_CONNECTION__STREAMS, streams) +
               enc_bytes_size(PSC__F_CONNECTION__CONN_ID, c->relay_conn_id) +
               enc_str_size(PSC__F_CONNECTION__TRANSPORT_NAME, c->transport_name) +
               enc_str_size(PSC__F_CONNECTION__CLOSE_REASON, c->close_reason) +
               psc__pb_uint_size_opt(PSC__F_CONNECTION__STREAM_COUNT, stream_count(c)) +
               enc_strv_size(PSC__F_CONNECTION__USER_PROVIDED_TAGS, c->tags);
    c->pb_size = n;
    return n;
}

static uint8_t *conn_write(uint8_t *p, psc__conn_rec *c)
{
    p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__CONNECTIONS, c->pb_size);
    c->pb_at = p;
    p = enc_bytes(p, PSC__F_CONNECTION__ID, c->id);
    p = enc_str(p, PSC__F_CONNECTION__PEER_ID, c->peer_id);
    p = psc__pb_put_enum_opt(p, PSC__F_CONNECTION__STATUS, (int32_t)c->status);
    p = enc_bytes(p, PSC__F_CONNECTION__TRANSPORT_ID, c->transport_id);
    p = psc__pb_put_len_prefix(p, PSC__F_CONNECTION__ENDPOINTS, endpoints_body(c));
    p = enc_str(p, PSC__F_ENDPOINT_PAIR__SRC_MULTIADDR, c->local_addr);
    p = enc_str(p, PSC__F_ENDPOINT_PAIR__DST_MULTIADDR, c->remote_addr);
    p = psc__pb_put_len_prefix(p, PSC__F_CONNECTION__TIMELINE, conn_timeline_body(c));
    p = psc__pb_put_uint_opt(p, PSC__F_CONNECTION_TIMELINE__OPEN_TS, c->open_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_CONNECTION_TIMELINE__UPGRADED_TS, c->upgraded_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_CONNECTION_TIMELINE__CLOSE_TS, c->close_ts);
    p = psc__pb_put_enum_opt(p, PSC__F_CONNECTION__ROLE, (int32_t)c->role);
    p = enc_traffic(p, PSC__F_CONNECTION__TRAFFIC, &c->traffic);
    p = psc__pb_put_len_prefix(p, PSC__F_CONNECTION__ATTRIBS, attribs_body(c));
    p = enc_str(p, PSC__F_CONNECTION_ATTRIBUTES__MULTIPLEXER, c->multiplexer);
    p = enc_str(p, PSC__F_CONNECTION_ATTRIBUTES__ENCRYPTION, c->encryption);
    p = psc__pb_put_uint_opt(p, PSC__F_CONNECTION__LATENCY_NS, c->latency_ns);
    p = psc__pb_put_len_prefix(p, PSC__F_CONNECTION__STREAMS, c->pb_streams_size);
    uint8_t *streams = p;
    PSC__EACH(const psc__stream_rec, s, c->streams)
        p = stream_write(p, s, c);
    PSC__PB_BODY_END(streams, p, c->pb_streams_size, "StreamList");
    p = enc_bytes(p, PSC__F_CONNECTION__CONN_ID, c->relay_conn_id);
    p = enc_str(p, PSC__F_CONNECTION__TRANSPORT_NAME, c->transport_name);
    p = enc_str(p, PSC__F_CONNECTION__CLOSE_REASON, c->close_reason);
    p = psc__pb_put_uint_opt(p, PSC__F_CONNECTION__STREAM_COUNT, stream_count(c));
    p = enc_strv(p, PSC__F_CONNECTION__USER_PROVIDED_TAGS, c->tags);
    PSC__PB_BODY_END(c->pb_at, p, c->pb_size, "Connection");
    return p;
}

/* ---------------------------------------------------------- subsystems */

static size_t pubsub_body(psc__snap *s)
{
    size_t n = enc_str_size(PSC__F_PUB_SUB__ROUTER, s->router) + enc_str_size(PSC__F_PUB_SUB__PROTOCOL, s->router_protocol);
    PSC__EACH(psc__topic_rec, t, s->topics)
        n += enc_msg_size(PSC__F_PUB_SUB__TOPICS, psc__topic_pb_size(t));
    return n;
}

static size_t peerstore_body(psc__snap *s)
{
    size_t n = 0;
    PSC__EACH(psc__peer_rec, r, s->peers)
        n += enc_msg_size(PSC__F_PEERSTORE__PEERS, psc__peer_pb_size(r));
    return n;
}

static size_t rcmgr_body(psc__snap *s)
{
    size_t n = 0;
    PSC__EACH(psc__scope_rec, r, s->scopes)
        n += enc_msg_size(PSC__F_RESOURCE_MANAGER__SCOPES, r->pb_size = psc__scope_pb_size(r));
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
        n += enc_msg_size(PSC__F_SUBSYSTEMS__CONNECTIONS, conn_size(c));
    if (s->dht)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__DHT, psc__dht_pb_size(s->dht));
    if (s->has_pubsub)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__PUBSUB, s->pb_pubsub = pubsub_body(s));
    if (s->has_peerstore)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__PEERSTORE, s->pb_peerstore = peerstore_body(s));
    PSC__EACH(psc__transport_rec, t, s->transports)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__TRANSPORTS, psc__transport_pb_size(t));
    if (has_dialer(s))
        n += enc_msg_size(PSC__F_SUBSYSTEMS__DIALER, s->pb_dialer = psc__dialer_pb_size(s));
    if (s->has_identify)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__IDENTIFY, psc__identify_pb_size(&s->identify));
    if (s->has_relay)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__RELAY, psc__relay_pb_size(&s->relay));
    if (has_ping(s))
        n += enc_msg_size(PSC__F_SUBSYSTEMS__PING, s->pb_ping = psc__ping_pb_size(s));
    if (s->has_rcmgr)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__RESOURCE_MANAGER, s->pb_rcmgr = rcmgr_body(s));
    PSC__EACH(psc__custom_rec, c, s->customs)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__CUSTOM, psc__custom_pb_size(c));
    PSC__EACH(psc__dht_rec, d, s->extra_dhts)
        n += enc_msg_size(PSC__F_SUBSYSTEMS__ADDITIONAL_DHTS, psc__dht_pb_size(d));
    return n;
}

static uint8_t *subsystems_write(uint8_t *p, psc__snap *s)
{
    p = psc__pb_put_len_prefix(p, PSC__F_STATE__SUBSYSTEMS, s->pb_subsystems);
    uint8_t *body = p, *b;
    PSC__EACH(psc__conn_rec, c, s->conns)
        p = conn_write(p, c);
    if (s->dht) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__DHT, s->dht->pb_size);
        p = psc__dht_pb_write(p, s->dht);
    }
    if (s->has_pubsub) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__PUBSUB, s->pb_pubsub);
        s->pb_pubsub_head = b = p;
        p = enc_str(p, PSC__F_PUB_SUB__ROUTER, s->router);
        p = enc_str(p, PSC__F_PUB_SUB__PROTOCOL, s->router_protocol);
        s->pb_pubsub_head_end = p;
        PSC__EACH(psc__topic_rec, t, s->topics) {
            p = psc__pb_put_len_prefix(p, PSC__F_PUB_SUB__TOPICS, t->pb_size);
            p = psc__topic_pb_write(p, t);
        }
        PSC__PB_BODY_END(b, p, s->pb_pubsub, "PubSub");
    }
    if (s->has_peerstore) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__PEERSTORE, s->pb_peerstore);
        b = p;
        PSC__EACH(psc__peer_rec, r, s->peers) {
            p = psc__pb_put_len_prefix(p, PSC__F_PEERSTORE__PEERS, r->pb_size);
            p = psc__peer_pb_write(p, r);
        }
        PSC__PB_BODY_END(b, p, s->pb_peerstore, "Peerstore");
    }
    s->pb_plain_at = p;
    PSC__EACH(const psc__transport_rec, t, s->transports) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__TRANSPORTS, t->pb_size);
        p = psc__transport_pb_write(p, t);
    }
    if (has_dialer(s)) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__DIALER, s->pb_dialer);
        p = psc__dialer_pb_write(p, s);
    }
    if (s->has_identify) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__IDENTIFY, psc__identify_pb_size(&s->identify));
        p = psc__identify_pb_write(p, &s->identify);
    }
    if (s->has_relay) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__RELAY, psc__relay_pb_size(&s->relay));
        p = psc__relay_pb_write(p, &s->relay);
    }
    if (has_ping(s)) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__PING, s->pb_ping);
        p = psc__ping_pb_write(p, s);
    }
    s->pb_plain_end = p;
    if (s->has_rcmgr) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__RESOURCE_MANAGER, s->pb_rcmgr);
        b = p;
        PSC__EACH(psc__scope_rec, r, s->scopes) {
            p = psc__pb_put_len_prefix(p, PSC__F_RESOURCE_MANAGER__SCOPES, r->pb_size);
            p = psc__scope_pb_write(p, r);
        }
        PSC__PB_BODY_END(b, p, s->pb_rcmgr, "ResourceManager");
    }
    s->pb_custom_at = p;
    PSC__EACH(const psc__custom_rec, c, s->customs) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__CUSTOM, c->pb_size);
        p = psc__custom_pb_write(p, c);
    }
    s->pb_custom_end = p;
    PSC__EACH(psc__dht_rec, d, s->extra_dhts) {
        p = psc__pb_put_len_prefix(p, PSC__F_SUBSYSTEMS__ADDITIONAL_DHTS, d->pb_size);
        p = psc__dht_pb_write(p, d);
    }
    PSC__PB_BODY_END(body, p, s->pb_subsystems, "Subsystems");
    return p;
}

/* --------------------------------------------------------------- state */

size_t psc__state_pb_size(psc__snap *s)
{
    s->pb_subsystems = subsystems_size(s);
    size_t n = enc_msg_size(PSC__F_STATE__SUBSYSTEMS, s->pb_subsystems) +
               enc_msg_size(PSC__F_STATE__TRAFFIC, enc_traffic_body(&s->traffic)) +
               psc__pb_uint_size_opt(PSC__F_STATE__INSTANT_TS, s->instant_ts) +
               psc__pb_uint_size_opt(PSC__F_STATE__START_TS, s->start_ts) +
               psc__pb_uint_size_opt(PSC__F_STATE__SNAPSHOT_DURATION_MS, s->duration_ms);
    PSC__EACH(const psc__error_rec, e, s->errors)
        n += enc_msg_size(PSC__F_STATE__PROVIDER_ERRORS, psc__error_pb_size(e));
    n += psc__pb_uint_size_opt(PSC__F_STATE__SEQ, s->seq);
    n += s->analysis_len;
    s->pb_state = n;
    return n;
}

uint8_t *psc__state_pb_write(uint8_t *p, psc__snap *s)
{
    p = subsystems_write(p, s);
    s->pb_tail_at = p;
    p = enc_traffic(p, PSC__F_STATE__TRAFFIC, &s->traffic);
    p = psc__pb_put_uint_opt(p, PSC__F_STATE__INSTANT_TS, s->instant_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_STATE__START_TS, s->start_ts);
    p = psc__pb_put_uint_opt(p, PSC__F_STATE__SNAPSHOT_DURATION_MS, s->duration_ms);
    PSC__EACH(const psc__error_rec, e, s->errors) {
        size_t body = psc__error_pb_size(e);
        p = psc__pb_put_len_prefix(p, PSC__F_STATE__PROVIDER_ERRORS, body);
        uint8_t *b = p;
        p = psc__error_pb_write(p, e);
        PSC__PB_BODY_END(b, p, body, "ProviderError");
    }
    p = psc__pb_put_uint_opt(p, PSC__F_STATE__SEQ, s->seq);
    if (s->analysis_len) {
        memcpy(p, s->analysis_pb, s->analysis_len);
        p += s->analysis_len;
    }
    s->pb_tail_end = p;
    return p;
}

/*
 * Encoding of events (no protobuf-c structs to fill, one exact-size
 * allocation per message):
 *   ServerMessage{version, event{type{EventType}, ts, content, seq}}
 *   EventType{name, property_types{name, type, has_multiple}}
 * Each event message marks where the bytes after its EventType begin, so
 * that metadata can be added later by copying them as they are.
 */
#include "events/event_store.h"
#include "wire/wire.h"

PSC__WIRE_SAME(PSC_PROP_STRING, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__STRING);
PSC__WIRE_SAME(PSC_PROP_NUMBER, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__NUMBER);
PSC__WIRE_SAME(PSC_PROP_TIME, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__TIME);
PSC__WIRE_SAME(PSC_PROP_PEERID, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__PEERID);
PSC__WIRE_SAME(PSC_PROP_MULTIADDR, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__MULTIADDR);
PSC__WIRE_SAME(PSC_PROP_JSON, PSC__E_EVENT_TYPE_EVENT_PROPERTY_PROPERTY_TYPE__JSON);

static size_t prop_body_size(const psc_prop_def *p)
{
    return psc__pb_len_size(PSC__F_EVENT_TYPE_EVENT_PROPERTY__NAME, strlen(p->name)) +
           psc__pb_enum_size_opt(PSC__F_EVENT_TYPE_EVENT_PROPERTY__TYPE, (int32_t)p->type) +
           psc__pb_uint_size_opt(PSC__F_EVENT_TYPE_EVENT_PROPERTY__HAS_MULTIPLE, p->multiple);
}

size_t psc__event_type_pb_measure(const psc_event_type *t, bool with_metadata)
{
    size_t n = psc__pb_len_size(PSC__F_EVENT_TYPE__NAME, t->name_len);
    if (with_metadata)
        for (size_t i = 0; i < t->n_props; i++)
            n += psc__pb_len_size(PSC__F_EVENT_TYPE__PROPERTY_TYPES, prop_body_size(&t->props[i]));
    return n;
}

size_t psc__event_type_pb_size(const psc_event_type *t, bool with_metadata)
{
    if (!t)
        return 0;
    return with_metadata ? t->pb_size_meta : t->pb_size_bare;
}

uint8_t *psc__event_type_pb_write(uint8_t *p, const psc_event_type *t, bool with_metadata)
{
    p = psc__pb_put_bytes(p, PSC__F_EVENT_TYPE__NAME, t->name, t->name_len);
    if (!with_metadata)
        return p;
    for (size_t i = 0; i < t->n_props; i++) {
        const psc_prop_def *d = &t->props[i];
        p = psc__pb_put_len_prefix(p, PSC__F_EVENT_TYPE__PROPERTY_TYPES, prop_body_size(d));
        p = psc__pb_put_bytes(p, PSC__F_EVENT_TYPE_EVENT_PROPERTY__NAME, d->name, strlen(d->name));
        p = psc__pb_put_enum_opt(p, PSC__F_EVENT_TYPE_EVENT_PROPERTY__TYPE, (int32_t)d->type);
        p = psc__pb_put_uint_opt(p, PSC__F_EVENT_TYPE_EVENT_PROPERTY__HAS_MULTIPLE, d->multiple);
    }
    return p;
}

/*
 * A new event message: its EventType, then tail_len bytes of Event fields
 * that come after the type (ts, content, seq), written by the caller at
 * *tail. The message marks where the tail begins.
 */
static psc_err event_new(const psc__alloc *a, const psc_event_type *type, bool with_metadata, size_t tail_len,
                         psc_msg **out, uint8_t **tail)
{
    size_t type_size = psc__event_type_pb_size(type, with_metadata);
    size_t body = psc__pb_len_size(PSC__F_EVENT__TYPE, type_size) + tail_len;
    psc_msg *m;
    uint8_t *p;
    psc_err e = psc__wire_sm_new(a, PSC_MSG_EVENT, body, &m, &p);
    if (e != PSC_OK)
        return e;
    p = psc__pb_put_len_prefix(p, PSC__F_EVENT__TYPE, type_size);
    uint8_t *t = p;
    p = psc__event_type_pb_write(p, type, with_metadata);
    PSC__PB_BODY_END(t, p, type_size, "EventType");
    psc__msg_set_mark(m, (size_t)(p - psc__msg_payload_mut(m)));
    *tail = p;
    *out = m;
    return PSC_OK;
}

psc_err psc__event_msg(const psc__alloc *a, const psc_event_record *rec, bool with_metadata, psc_msg **out)
{
    if (!a || !rec || !rec->type || !out || (rec->content_len && !rec->content))
        return PSC_ERR_INVALID;
    size_t tail_len = psc__pb_uint_size_opt(PSC__F_EVENT__TS, rec->ts) +
                      psc__pb_bytes_size_opt(PSC__F_EVENT__CONTENT, rec->content_len) +
                      psc__pb_uint_size_opt(PSC__F_EVENT__SEQ, rec->seq);
    psc_msg *m;
    uint8_t *p;
    psc_err e = event_new(a, rec->type, with_metadata, tail_len, &m, &p);
    if (e != PSC_OK)
        return e;
    p = psc__pb_put_uint_opt(p, PSC__F_EVENT__TS, rec->ts);
    p = psc__pb_put_bytes_opt(p, PSC__F_EVENT__CONTENT, rec->content, rec->content_len);
    p = psc__pb_put_uint_opt(p, PSC__F_EVENT__SEQ, rec->seq);
    if ((e = psc__wire_sm_seal(m, p)) != PSC_OK)
        return e;
    *out = m;
    return PSC_OK;
}

psc_err psc__event_msg_with_meta(const psc__alloc *a, const psc_event_type *type, const psc_msg *plain, psc_msg **out)
{
    if (!a || !type || !plain || !out || psc_msg_get_kind(plain) != PSC_MSG_EVENT || !psc__msg_mark(plain))
        return PSC_ERR_INVALID;
    size_t len;
    const uint8_t *payload = psc_msg_payload(plain, &len);
    size_t at = psc__msg_mark(plain);
    if (at > len)
        return PSC_ERR_INVALID;
    psc_msg *m;
    uint8_t *p;
    psc_err e = event_new(a, type, true, len - at, &m, &p);
    if (e != PSC_OK)
        return e;
    if (len > at)
        memcpy(p, payload + at, len - at);
    if ((e = psc__wire_sm_seal(m, p + (len - at))) != PSC_OK)
        return e;
    *out = m;
    return PSC_OK;
}

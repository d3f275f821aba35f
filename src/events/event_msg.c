/*
 * Hand-written protobuf encoding of events (no protobuf-c structs to fill,
 * one exact-size allocation per message):
 *   ServerMessage{version=1{version=1 = 1}, event=4{type=1{EventType},
 *                 ts=2, content=3, seq=16}}
 *   EventType{name=1, property_types=2{name=1, type=2, has_multiple=3}}
 */
#include "events/event_store.h"
#include "wire/msg.h"
#include "wire/pbwrite.h"

enum {
    F_SM_VERSION = 1,
    F_SM_EVENT = 4,
    F_VERSION = 1,
    F_EV_TYPE = 1,
    F_EV_TS = 2,
    F_EV_CONTENT = 3,
    F_EV_SEQ = 16,
    F_ET_NAME = 1,
    F_ET_PROPS = 2,
    F_EP_NAME = 1,
    F_EP_TYPE = 2,
    F_EP_MULTIPLE = 3,
};

static size_t prop_body_size(const psc_prop_def *p)
{
    return psc__pb_len_size(F_EP_NAME, strlen(p->name)) + psc__pb_enum_size_opt(F_EP_TYPE, (int32_t)p->type) +
           psc__pb_uint_size_opt(F_EP_MULTIPLE, p->multiple);
}

size_t psc__event_type_pb_measure(const psc_event_type *t, bool with_metadata)
{
    size_t n = psc__pb_len_size(F_ET_NAME, t->name_len);
    if (with_metadata)
        for (size_t i = 0; i < t->n_props; i++)
            n += psc__pb_len_size(F_ET_PROPS, prop_body_size(&t->props[i]));
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
    p = psc__pb_put_bytes(p, F_ET_NAME, t->name, t->name_len);
    if (!with_metadata)
        return p;
    for (size_t i = 0; i < t->n_props; i++) {
        const psc_prop_def *d = &t->props[i];
        p = psc__pb_put_len_prefix(p, F_ET_PROPS, prop_body_size(d));
        p = psc__pb_put_bytes(p, F_EP_NAME, d->name, strlen(d->name));
        p = psc__pb_put_enum_opt(p, F_EP_TYPE, (int32_t)d->type);
        p = psc__pb_put_uint_opt(p, F_EP_MULTIPLE, d->multiple);
    }
    return p;
}

psc_err psc__event_msg(const psc__alloc *a, const psc_event_record *rec, bool with_metadata, psc_msg **out)
{
    if (!a || !rec || !rec->type || !out || (rec->content_len && !rec->content))
        return PSC_ERR_INVALID;
    size_t type_size = psc__event_type_pb_size(rec->type, with_metadata);
    size_t event_size = psc__pb_len_size(F_EV_TYPE, type_size) + psc__pb_uint_size_opt(F_EV_TS, rec->ts) +
                        psc__pb_bytes_size_opt(F_EV_CONTENT, rec->content_len) +
                        psc__pb_uint_size_opt(F_EV_SEQ, rec->seq);
    size_t version_size = psc__pb_uint_size(F_VERSION, 1);
    size_t total = psc__pb_len_size(F_SM_VERSION, version_size) + psc__pb_len_size(F_SM_EVENT, event_size);

    psc_msg *m;
    psc_err e = psc__msg_new(a, PSC_MSG_EVENT, total, &m);
    if (e != PSC_OK)
        return e;
    uint8_t *p = psc__msg_payload_mut(m);
    p = psc__pb_put_len_prefix(p, F_SM_VERSION, version_size);
    p = psc__pb_put_uint(p, F_VERSION, 1);
    p = psc__pb_put_len_prefix(p, F_SM_EVENT, event_size);
    p = psc__pb_put_len_prefix(p, F_EV_TYPE, type_size);
    p = psc__event_type_pb_write(p, rec->type, with_metadata);
    p = psc__pb_put_uint_opt(p, F_EV_TS, rec->ts);
    p = psc__pb_put_bytes_opt(p, F_EV_CONTENT, rec->content, rec->content_len);
    p = psc__pb_put_uint_opt(p, F_EV_SEQ, rec->seq);
    (void)p;
    psc__msg_seal(m);
    *out = m;
    return PSC_OK;
}

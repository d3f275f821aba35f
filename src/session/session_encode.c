#include "session/session.h"
#include "events/events.h"
#include "wire/msg.h"
#include "peerscope/peerscope.pb-c.h"

static void *pb_alloc(void *data, size_t size)
{
    return psc__malloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    psc__free(data, ptr);
}

void psc__session_pb_allocator(const psc__alloc *a, ProtobufCAllocator *out)
{
    out->alloc = pb_alloc;
    out->free = pb_free;
    out->allocator_data = (void *)a;
}

psc_err psc__session_pack(const psc__alloc *a, psc_msg_kind kind, const Peerscope__ServerMessage *sm, psc_msg **out)
{
    size_t n = peerscope__server_message__get_packed_size(sm);
    psc_msg *m = NULL;
    psc_err err = psc__msg_new(a, kind, n, &m);
    if (err)
        return err;
    peerscope__server_message__pack(sm, psc__msg_payload_mut(m));
    psc__msg_seal(m);
    *out = m;
    return PSC_OK;
}

psc_err psc__session_encode_response(const psc__alloc *a, uint64_t id, bool ok, const char *error,
                                     const psc__session *with_config, psc_msg **out)
{
    Peerscope__Version version = PEERSCOPE__VERSION__INIT;
    Peerscope__CommandResponse resp = PEERSCOPE__COMMAND_RESPONSE__INIT;
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;

    version.version = 1;
    resp.id = id;
    resp.result = ok ? PEERSCOPE__COMMAND_RESPONSE__RESULT__OK : PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR;
    if (error)
        resp.error = (char *)error; /* protobuf-c only reads it */
    if (with_config) {
        cfg.retention_period_ms = with_config->retention_ms;
        cfg.state_snapshot_interval_ms = with_config->interval_ms;
        /* only for clients that asked: 2020 clients see the 2020 reply */
        if (with_config->delta) {
            cfg.delta_states = true;
            cfg.full_state_every = with_config->full_every;
        }
        resp.effective_config = &cfg;
    }
    sm.version = &version;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE;
    sm.response = &resp;
    return psc__session_pack(a, PSC_MSG_RESPONSE, &sm, out);
}

psc_err psc__session_encode_notice(const psc__alloc *a, uint64_t dropped, psc_msg **out)
{
    Peerscope__Version version = PEERSCOPE__VERSION__INIT;
    Peerscope__ServerNotice notice = PEERSCOPE__SERVER_NOTICE__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;

    version.version = 1;
    notice.kind = PEERSCOPE__SERVER_NOTICE__KIND__DISCARDING_EVENTS;
    notice.dropped = dropped;
    sm.version = &version;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    sm.notice = &notice;
    return psc__session_pack(a, PSC_MSG_NOTICE, &sm, out);
}

/*
 * The queued message is the only copy of the event left (the ring may have
 * moved on), so the record is rebuilt from it rather than from the ring.
 */
psc_err psc__session_event_with_meta(const psc__alloc *a, const psc_event_type *type, const psc_msg *plain,
                                     psc_msg **out)
{
    ProtobufCAllocator pa;
    psc__session_pb_allocator(a, &pa);
    size_t len = 0;
    const uint8_t *payload = psc_msg_payload(plain, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(&pa, len, payload);
    if (!sm)
        return PSC_ERR_NOMEM; /* we encoded it: only memory can fail */
    psc_err err = PSC_ERR_INVALID;
    if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT && sm->event) {
        psc_event_record rec = {
            .type = type,
            .ts = sm->event->ts,
            .seq = sm->event->seq,
            .content_len = strlen(sm->event->content),
            .content = sm->event->content,
        };
        err = psc__event_msg(a, &rec, true, out);
    }
    peerscope__server_message__free_unpacked(sm, &pa);
    return err;
}

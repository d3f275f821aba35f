/* Inbound side: reassembly of fragmented messages, frame checks, decoding, dispatch. */
#include <stdio.h>
#include <string.h>

#include "wire/state_apply.h"
#include "client/client.h"
#include "peerscope/version.h"
#include "peerscope/wire.h"

/* Reassembly buffers above this are not kept between messages: one huge
 * state must not pin its memory for the life of the connection. */
#define PSC__RX_KEEP (1u << 20)

void psc__client_rx_reset(psc_client *c)
{
    psc__free(&c->alloc, c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    c->rx_in_msg = false;
    c->rx_discard = PSC_OK;
}

void psc__client_error(psc_client *c, psc_err err, const char *reason)
{
    c->errors++;
    if (c->cb.on_error && !c->doomed)
        c->cb.on_error(c->user, c, err, reason);
}

static bool rx_append(psc_client *c, const uint8_t *in, size_t len, size_t hint)
{
    size_t need = c->rx_len + len;
    if (need > c->rx_cap) {
        /* The frame announces what is still to come: size for it at once,
         * but never beyond the cap. */
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        size_t want = need + hint;
        while (cap < want && cap < SIZE_MAX / 2)
            cap *= 2;
        size_t limit = c->max_message_size + PSC_FRAME_HEADER_LEN;
        if (cap > limit)
            cap = limit;
        if (cap < need)
            cap = need;
        uint8_t *nb = psc__malloc(&c->alloc, cap);
        if (!nb)
            return false;
        if (c->rx_len)
            memcpy(nb, c->rx, c->rx_len);
        psc__free(&c->alloc, c->rx);
        c->rx = nb;
        c->rx_cap = cap;
    }
    if (len)
        memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return true;
}

/* protobuf-c's allocator hooks, so decoding uses the client's allocator
 * and a failed allocation can be told from malformed input. */
static void *pb_alloc(void *data, size_t size)
{
    psc_client *c = data;
    void *p = psc__malloc(&c->alloc, size);
    if (!p)
        c->rx_alloc_failed = true;
    return p;
}

static void pb_free(void *data, void *ptr)
{
    psc_client *c = data;
    psc__free(&c->alloc, ptr);
}

void psc__client_drop_base(psc_client *c)
{
    if (c->base) {
        ProtobufCAllocator pa = {pb_alloc, pb_free, c};
        peerscope__server_message__free_unpacked(c->base, &pa);
        c->base = NULL;
    }
}

/* A delta did not apply: forget the base and ask for a full state (once). */
static void resync(psc_client *c, psc_err err, const char *why)
{
    psc__client_drop_base(c);
    psc__client_error(c, err, why);
    if (c->doomed || c->resync_pending)
        return;
    if (psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL) == PSC_OK) {
        c->resync_pending = true;
        c->resyncs++;
    }
}

/*
 * apply_deltas: turn a delta into the full state it stands for. On success
 * *m (and *payload, *len, with *owned set to the new buffer) describe the
 * full state and the delta is freed; on failure *m is freed and NULL.
 */
static void rebuild(psc_client *c, ProtobufCAllocator *pa, Peerscope__ServerMessage **m, const uint8_t **payload,
                    size_t *len, uint8_t **owned)
{
    Peerscope__ServerMessage *d = *m;
    *m = NULL;
    char why[128];
    if (!c->base) {
        snprintf(why, sizeof why, "delta state %llu arrived before a full state: asking for one",
                 (unsigned long long)d->state->seq);
        peerscope__server_message__free_unpacked(d, pa);
        resync(c, PSC_ERR_STATE, why);
        return;
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    psc_err err = psc__state_apply(&c->alloc, c->base->state, d->state, &bytes, &n);
    if (err == PSC_ERR_STATE)
        snprintf(why, sizeof why, "delta state %llu is based on state %llu, not on the %llu kept: asking for a full one",
                 (unsigned long long)d->state->seq, (unsigned long long)d->state->delta->base_seq,
                 (unsigned long long)c->base->state->seq);
    else if (err)
        snprintf(why, sizeof why, "delta state %llu cannot be applied (%s): asking for a full one",
                 (unsigned long long)d->state->seq, psc_strerror(err));
    peerscope__server_message__free_unpacked(d, pa);
    if (err) {
        resync(c, err == PSC_ERR_NOMEM ? PSC_ERR_NOMEM : PSC_ERR_STATE, why);
        return;
    }
    c->rx_alloc_failed = false;
    Peerscope__ServerMessage *full = peerscope__server_message__unpack(pa, n, bytes);
    if (!full) {
        psc__free(&c->alloc, bytes);
        resync(c, PSC_ERR_NOMEM, "out of memory while rebuilding a state from a delta: asking for a full one");
        return;
    }
    c->deltas_applied++;
    *m = full;
    *payload = bytes;
    *len = n;
    *owned = bytes;
}

static void dispatch(psc_client *c, const Peerscope__ServerMessage *m, const uint8_t *payload, size_t len)
{
    const psc_client_callbacks *cb = &c->cb;
    if (cb->on_message && !c->doomed)
        cb->on_message(c->user, c, m, payload, len);
    if (c->doomed)
        return;
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        if (cb->on_state)
            cb->on_state(c->user, c, m->state);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        if (cb->on_runtime)
            cb->on_runtime(c->user, c, m->runtime);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        if (cb->on_event)
            cb->on_event(c->user, c, m->event);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        if (cb->on_response)
            cb->on_response(c->user, c, m->response);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        if (cb->on_notice)
            cb->on_notice(c->user, c, m->notice);
        break;
    default:
        break; /* a payload newer than this schema: on_message saw it */
    }
}

void psc__client_process(psc_client *c, const uint8_t *frame, size_t frame_len)
{
    c->bytes += frame_len;
    if (c->cb.on_frame && !c->doomed)
        c->cb.on_frame(c->user, c, frame, frame_len);
    if (c->doomed)
        return;

    const uint8_t *payload;
    size_t len;
    /* an empty first message leaves the buffer NULL, which the parser
     * would take for a bad argument */
    psc_err err = frame_len < PSC_FRAME_HEADER_LEN ? PSC_ERR_PROTOCOL
                                                   : psc_frame_parse(frame, frame_len, &payload, &len);
    if (err) {
        char why[96];
        if (err == PSC_ERR_CORRUPT)
            snprintf(why, sizeof why, "frame of %zu bytes fails its length or checksum check", frame_len);
        else
            snprintf(why, sizeof why, "frame of %zu bytes has no valid version-1 header", frame_len);
        psc__client_error(c, err, why);
        return;
    }

    ProtobufCAllocator pa = {pb_alloc, pb_free, c};
    c->rx_alloc_failed = false;
    Peerscope__ServerMessage *m = peerscope__server_message__unpack(&pa, len, payload);
    if (!m) {
        if (c->rx_alloc_failed)
            psc__client_error(c, PSC_ERR_NOMEM, "out of memory while decoding a message");
        else
            psc__client_error(c, PSC_ERR_PROTOCOL, "payload is not a ServerMessage");
        return;
    }
    if (m->version && m->version->version != PSC_PROTOCOL_VERSION) {
        char why[64];
        snprintf(why, sizeof why, "ServerMessage version %u is not 1", (unsigned)m->version->version);
        peerscope__server_message__free_unpacked(m, &pa);
        psc__client_error(c, PSC_ERR_PROTOCOL, why);
        return;
    }
    bool is_state = m->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    uint8_t *owned = NULL;
    if (c->apply_deltas && is_state && m->state->delta) {
        rebuild(c, &pa, &m, &payload, &len, &owned);
        if (!m)
            return;
    }
    c->messages++;
    dispatch(c, m, payload, len);
    psc__free(&c->alloc, owned);
    if (c->apply_deltas && is_state && !c->doomed) {
        /* the full state it now has is the base of the next delta */
        psc__client_drop_base(c);
        c->base = m;
        c->resync_pending = false;
        return;
    }
    peerscope__server_message__free_unpacked(m, &pa);
}

void psc__client_rx(psc_client *c, struct lws *wsi, const uint8_t *in, size_t len)
{
    size_t remaining = lws_remaining_packet_payload(wsi);
    if (!c->rx_in_msg) {
        c->rx_in_msg = true;
        c->rx_len = 0;
        c->rx_discard = lws_frame_is_binary(wsi) ? PSC_OK : PSC_ERR_PROTOCOL;
    }
    if (c->rx_discard == PSC_OK) {
        size_t limit = c->max_message_size + PSC_FRAME_HEADER_LEN;
        if (len > limit - c->rx_len)
            c->rx_discard = PSC_ERR_TOO_BIG;
        else if (!rx_append(c, in, len, remaining))
            c->rx_discard = PSC_ERR_NOMEM;
        if (c->rx_discard != PSC_OK) {
            /* keep counting nothing, but free what the message held */
            psc__free(&c->alloc, c->rx);
            c->rx = NULL;
            c->rx_cap = 0;
        }
    }
    if (!lws_is_final_fragment(wsi) || remaining)
        return;

    c->rx_in_msg = false;
    psc_err why = c->rx_discard;
    c->rx_discard = PSC_OK;
    size_t got = c->rx_len;
    c->rx_len = 0;
    switch (why) {
    case PSC_OK:
        psc__client_process(c, c->rx, got);
        break;
    case PSC_ERR_PROTOCOL:
        psc__client_error(c, why, "text message where binary frames are expected");
        break;
    case PSC_ERR_TOO_BIG: {
        char msg[96];
        snprintf(msg, sizeof msg, "message over the %zu-byte limit discarded", c->max_message_size);
        psc__client_error(c, why, msg);
        break;
    }
    default:
        psc__client_error(c, why, "out of memory while receiving a message");
        break;
    }
    if (c->rx_cap > PSC__RX_KEEP && !c->doomed) {
        psc__free(&c->alloc, c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

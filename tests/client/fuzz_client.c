/*
 * Fuzz target for the C client's inbound path: frame check, ServerMessage
 * decoding, delta application and dispatch, with no socket. The input is a
 * 2020 recording (so the third-party vectors and delta-vectors' output are
 * seeds as they are) whose records are framed again and fed in order; an
 * input that is not a recording is fed whole as one frame, checksum and
 * all. The client applies deltas unless the input's length is odd (so
 * that seeds stay recordings from their first byte). The callbacks walk
 * every field of what they get, so a dangling base state or a field
 * decoded past its buffer shows up under ASan.
 * (libFuzzer entry point; tests/wire/fuzz_main.c drives it where
 * libFuzzer is not available.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "peerscope/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

/* Reads every string, byte field and sub-message, through the descriptors. */
static void walk(const ProtobufCMessage *m, int depth)
{
    if (!m || depth > 64)
        return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m + f->offset;
        size_t n = 1;
        const void *items = base;
        /* a oneof's members share their storage: only the one set is there */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)((const char *)m + f->quantifier_offset);
            items = *(void *const *)base;
        }
        for (size_t k = 0; k < n; k++) {
            switch (f->type) {
            case PROTOBUF_C_TYPE_STRING: {
                const char *s = ((const char *const *)items)[k];
                if (s)
                    sink += strlen(s);
                break;
            }
            case PROTOBUF_C_TYPE_BYTES: {
                const ProtobufCBinaryData *b = &((const ProtobufCBinaryData *)items)[k];
                for (size_t j = 0; j < b->len; j++)
                    sink += b->data[j];
                break;
            }
            case PROTOBUF_C_TYPE_MESSAGE:
                walk(((const ProtobufCMessage *const *)items)[k], depth + 1);
                break;
            default:
                break;
            }
        }
    }
}

static void on_message(void *user, psc_client *c, const Peerscope__ServerMessage *msg, const uint8_t *payload,
                       size_t len)
{
    (void)user;
    (void)c;
    walk(&msg->base, 0);
    for (size_t i = 0; i < len; i++)
        sink += payload[i];
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    (void)user;
    /* A delta never reaches on_state when the client applies them. */
    if (c->apply_deltas && st->delta)
        abort();
}

static void on_error(void *user, psc_client *c, psc_err err, const char *reason)
{
    (void)user;
    (void)c;
    if (!err || !reason || !*reason)
        abort(); /* every lost message is told with a reason */
    sink += strlen(reason);
}

static void feed(psc_client *c, const uint8_t *payload, size_t len)
{
    uint8_t *frame = malloc(len + PSC_FRAME_HEADER_LEN);
    if (!frame)
        return;
    psc_frame_header(frame, payload, len);
    memcpy(frame + PSC_FRAME_HEADER_LEN, payload, len);
    psc__client_process(c, frame, len + PSC_FRAME_HEADER_LEN);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psc_client *c = calloc(1, sizeof *c);
    if (!c)
        return 0;
    c->alloc = psc__default_alloc;
    c->state = PSC_CLIENT_OPEN; /* no socket: commands (resync) only queue */
    c->apply_deltas = !(size & 1);
    c->delta_states = c->apply_deltas;
    c->max_message_size = 1u << 20;
    c->cb.on_message = on_message;
    c->cb.on_state = on_state;
    c->cb.on_error = on_error;

    FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
    psc_recording *r = NULL;
    if (f && psc_recording_open(f, &r) == PSC_OK) {
        const uint8_t *p;
        size_t len;
        psc_err err;
        /* a damaged record is skipped, as peerscope-dump does */
        for (size_t records = 0; records < 4096 && (err = psc_recording_next(r, &p, &len)) != PSC_ERR_CLOSED; records++)
            if (err == PSC_OK)
                feed(c, p, len);
            else if (err != PSC_ERR_CORRUPT)
                break;
        psc_recording_close(r);
    } else {
        psc__client_process(c, data, size);
    }
    if (f)
        fclose(f);
    if (c->resyncs > c->errors)
        abort(); /* a resync follows a reported failure to apply */
    psc__client_drop_base(c);
    psc__client_drop_queue(c);
    free(c->rx);
    free(c);
    return 0;
}

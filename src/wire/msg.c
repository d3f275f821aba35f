#include "wire/msg.h"

#include "peerscope/wire.h"

struct psc_msg {
    uint32_t refs;
    psc_msg_kind kind;
    psc__alloc alloc;
    void *view;
    void (*free_view)(void *view);
    size_t payload_len;
    size_t mark;
    /* followed by PSC_MSG_HEADROOM + PSC_FRAME_HEADER_LEN + payload_len bytes */
    _Alignas(16) uint8_t bytes[];
};

psc_err psc__msg_new(const psc__alloc *a, psc_msg_kind kind, size_t payload_len, psc_msg **out)
{
    if (payload_len > UINT32_MAX)
        return PSC_ERR_TOO_BIG; /* the frame header holds a u32 length */
    size_t total = sizeof(psc_msg) + PSC_MSG_HEADROOM + PSC_FRAME_HEADER_LEN + payload_len;
    psc_msg *m = psc__malloc(a, total);
    if (!m)
        return PSC_ERR_NOMEM;
    m->refs = 1;
    m->kind = kind;
    m->alloc = *a;
    m->view = NULL;
    m->free_view = NULL;
    m->payload_len = payload_len;
    m->mark = 0;
    memset(m->bytes, 0, PSC_MSG_HEADROOM);
    *out = m;
    return PSC_OK;
}

size_t psc__msg_block_size(const psc_msg *m)
{
    return sizeof(psc_msg) + PSC_MSG_HEADROOM + PSC_FRAME_HEADER_LEN + m->payload_len;
}

uint8_t *psc__msg_payload_mut(psc_msg *m)
{
    return m->bytes + PSC_MSG_HEADROOM + PSC_FRAME_HEADER_LEN;
}

void psc__msg_seal(psc_msg *m)
{
    psc_frame_header(m->bytes + PSC_MSG_HEADROOM, psc__msg_payload_mut(m), m->payload_len);
}

void psc__msg_set_view(psc_msg *m, void *view, void (*free_view)(void *view))
{
    m->view = view;
    m->free_view = free_view;
}

void *psc__msg_view(const psc_msg *m)
{
    return m->view;
}

void psc__msg_set_mark(psc_msg *m, size_t offset)
{
    m->mark = offset;
}

size_t psc__msg_mark(const psc_msg *m)
{
    return m->mark;
}

psc_msg *psc_msg_ref(psc_msg *msg)
{
    if (msg)
        __atomic_fetch_add(&msg->refs, 1, __ATOMIC_RELAXED);
    return msg;
}

void psc_msg_unref(psc_msg *msg)
{
    if (!msg)
        return;
    if (__atomic_sub_fetch(&msg->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (msg->free_view)
        msg->free_view(msg->view);
    psc__alloc a = msg->alloc;
    psc__free(&a, msg);
}

psc_msg_kind psc_msg_get_kind(const psc_msg *msg)
{
    return msg->kind;
}

const uint8_t *psc_msg_payload(const psc_msg *msg, size_t *len)
{
    if (len)
        *len = msg->payload_len;
    return msg->bytes + PSC_MSG_HEADROOM + PSC_FRAME_HEADER_LEN;
}

const uint8_t *psc_msg_framed(const psc_msg *msg, size_t *len)
{
    if (len)
        *len = msg->payload_len + PSC_FRAME_HEADER_LEN;
    return msg->bytes + PSC_MSG_HEADROOM;
}

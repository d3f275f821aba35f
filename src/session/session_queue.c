#include "session/session.h"

size_t psc__queue_msg_bytes(const psc_msg *m)
{
    size_t n = 0;
    psc_msg_framed(m, &n);
    return n;
}

psc_err psc__queue_init(psc__queue *q, const psc__alloc *a, size_t cap)
{
    psc__qitem *items = psc__calloc(a, cap, sizeof(*items));
    if (!items)
        return PSC_ERR_NOMEM;
    q->items = items;
    q->cap = cap;
    q->head = 0;
    q->count = 0;
    q->bytes = 0;
    return PSC_OK;
}

void psc__queue_fini(psc__queue *q, const psc__alloc *a)
{
    if (!q->items)
        return;
    while (q->count) {
        psc__qitem it;
        psc__queue_pop(q, &it);
        psc_msg_unref(it.msg);
        psc_msg_unref(it.base);
    }
    psc__free(a, q->items);
    q->items = NULL;
}

static psc__qitem *slot(psc__queue *q, uint64_t pos)
{
    return &q->items[pos % q->cap];
}

uint64_t psc__queue_push(psc__queue *q, const psc__qitem *it)
{
    uint64_t pos = q->head + q->count;
    *slot(q, pos) = *it;
    q->count++;
    if (it->msg)
        q->bytes += psc__queue_msg_bytes(it->msg);
    return pos;
}

psc__qitem *psc__queue_at(psc__queue *q, uint64_t pos)
{
    if (pos < q->head || pos >= q->head + q->count)
        return NULL;
    return slot(q, pos);
}

psc__qitem *psc__queue_front(psc__queue *q)
{
    return q->count ? slot(q, q->head) : NULL;
}

void psc__queue_pop(psc__queue *q, psc__qitem *out)
{
    psc__qitem *it = slot(q, q->head);
    *out = *it;
    it->msg = NULL;
    it->base = NULL;
    if (out->msg)
        q->bytes -= psc__queue_msg_bytes(out->msg);
    q->head++;
    q->count--;
}

void psc__queue_replace_msg(psc__queue *q, psc__qitem *it, psc_msg *m)
{
    if (it->msg) {
        q->bytes -= psc__queue_msg_bytes(it->msg);
        psc_msg_unref(it->msg);
    }
    it->msg = m;
    if (m)
        q->bytes += psc__queue_msg_bytes(m);
}

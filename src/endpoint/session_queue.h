/*
 * Bounded FIFO of outbound messages for one session (session_queue.c).
 *
 * Items are addressed by absolute position so that a queued state can be
 * found again and replaced (latest-wins) in O(1). An item whose message
 * is NULL is skipped when popped.
 */
#ifndef PSC_ENDPOINT_SESSION_QUEUE_H
#define PSC_ENDPOINT_SESSION_QUEUE_H

#include "internal/alloc.h"
#include "peerscope/event.h"
#include "peerscope/message.h"

typedef enum psc__qkind {
    PSC__Q_REPLY = 0,   /* a command's answer (response, requested state or runtime) */
    PSC__Q_STATE = 1,   /* a pushed state */
    PSC__Q_EVENT = 2,
    PSC__Q_NOTICE = 3,
} psc__qkind;

typedef struct psc__qitem {
    psc_msg *msg;                 /* owned reference; NULL: skipped */
    psc_msg *base;                /* STATE: owned reference to the full state msg is a delta from; NULL: msg is full */
    uint64_t t;                   /* when it was queued (session clock) */
    uint64_t dropped;             /* NOTICE: the count it reports */
    const psc_event_type *type;   /* EVENT: its type */
    psc__qkind kind;
    bool meta;                    /* EVENT: carries the type's property_types */
} psc__qitem;

typedef struct psc__queue {
    psc__qitem *items;
    size_t cap;
    uint64_t head;                /* absolute position of items[head % cap] */
    size_t count;                 /* items, skipped ones included */
    size_t bytes;                 /* framed bytes of the live items */
} psc__queue;

psc_err psc__queue_init(psc__queue *q, const psc__alloc *a, size_t cap);
/* Drops every reference and frees the slots. */
void psc__queue_fini(psc__queue *q, const psc__alloc *a);

static inline bool psc__queue_full(const psc__queue *q)
{
    return q->count >= q->cap;
}

/* Append (the queue must not be full); takes over it->msg and it->base. Returns the item's position. */
uint64_t psc__queue_push(psc__queue *q, const psc__qitem *it);
/* The item at absolute position pos, or NULL if it left the queue. */
psc__qitem *psc__queue_at(psc__queue *q, uint64_t pos);
/* The first item (its msg may be NULL), or NULL when empty. */
psc__qitem *psc__queue_front(psc__queue *q);
/* Remove the first item into *out (the caller owns out->msg and out->base). The queue must not be empty. */
void psc__queue_pop(psc__queue *q, psc__qitem *out);
/* Replace the message of a live item (takes over m, drops the old one). */
void psc__queue_replace_msg(psc__queue *q, psc__qitem *it, psc_msg *m);

/* Framed size of a message, as counted in bytes. */
size_t psc__queue_msg_bytes(const psc_msg *m);

#endif

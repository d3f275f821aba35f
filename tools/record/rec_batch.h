/*
 * peerscope-record: what the network thread hands to the writer thread.
 *
 * A batch is a list of items (a session opened, a state, an event, a
 * notice, a session closed) in the order they arrived, with every string
 * and row copied into the batch's own arena, so the writer needs nothing
 * else and the network thread keeps no pointer into it. Batches move
 * whole: the network thread fills one, hands it over, starts the next.
 */
#ifndef PSC_TOOLS_RECORD_REC_BATCH_H
#define PSC_TOOLS_RECORD_REC_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Bump allocator of chunks; freed all at once. */
typedef struct rec_arena_chunk rec_arena_chunk;
typedef struct rec_arena {
    rec_arena_chunk *head;
    size_t bytes; /* held, chunk headers included */
} rec_arena;

/* n bytes aligned for any row struct; NULL when out of memory. */
void *rec_arena_alloc(rec_arena *a, size_t n);
/* A copy of len bytes of s plus a NUL; NULL when out of memory. */
char *rec_arena_strndup(rec_arena *a, const char *s, size_t len);
void rec_arena_free(rec_arena *a);

typedef enum rec_item_kind {
    REC_ITEM_OPEN,       /* a session's Runtime arrived: node, run and session rows */
    REC_ITEM_EVENT_TYPE, /* an event type's properties, first seen on an event */
    REC_ITEM_STATE,
    REC_ITEM_EVENT,
    REC_ITEM_NOTICE,     /* DISCARDING_EVENTS */
    REC_ITEM_CLOSE,      /* the session ended */
} rec_item_kind;

typedef struct rec_item {
    rec_item_kind kind;
    uint32_t node;       /* index of the URL on the command line */
    uint64_t wall_ms;    /* recorder's clock when it arrived */
    union {
        struct {
            rec_runtime rt;
            rec_event_type *types;
            size_t n_types;
            const char *url;
        } open;
        struct {
            const char *name, *props;
        } etype;
        rec_state_row *state; /* ids are filled in by the writer, per store */
        struct {
            uint64_t ts, seq;
            const char *type, *props;
        } event;
        uint64_t dropped;
        const char *close_reason;
    } u;
} rec_item;

typedef struct rec_batch {
    struct rec_batch *next;  /* in the writer's queue */
    rec_arena arena;
    rec_item *items;
    size_t n, cap;
    uint64_t created_ms;     /* monotonic: when its first item came */
    uint64_t events, states; /* counts, for pacing and statistics */
} rec_batch;

rec_batch *rec_batch_new(void);
void rec_batch_free(rec_batch *b);
/* A new item at the end (zeroed but for kind, node, wall_ms); NULL when out of memory. */
rec_item *rec_batch_add(rec_batch *b, rec_item_kind kind, uint32_t node, uint64_t wall_ms);
/* Bytes the batch holds. */
size_t rec_batch_bytes(const rec_batch *b);

#endif

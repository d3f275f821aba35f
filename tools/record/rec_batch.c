#include "rec_batch.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (256u * 1024u)

struct rec_arena_chunk {
    rec_arena_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

void *rec_arena_alloc(rec_arena *a, size_t n)
{
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need > CHUNK_MIN / 4) {
        /* a big row (a state's blob) gets a chunk of its own, kept behind
         * the current one so that the current one's free room is not lost */
        rec_arena_chunk *big = malloc(sizeof *big + need);
        if (!big)
            return NULL;
        big->used = big->cap = need;
        if (a->head) {
            big->next = a->head->next;
            a->head->next = big;
        } else {
            big->next = NULL;
            a->head = big;
        }
        a->bytes += sizeof *big + need;
        return big->data;
    }
    rec_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        c = malloc(sizeof *c + CHUNK_MIN);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = CHUNK_MIN;
        c->next = a->head;
        a->head = c;
        a->bytes += sizeof *c + CHUNK_MIN;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

char *rec_arena_strndup(rec_arena *a, const char *s, size_t len)
{
    char *p = rec_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void rec_arena_free(rec_arena *a)
{
    rec_arena_chunk *c = a->head;
    while (c) {
        rec_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->bytes = 0;
}

rec_batch *rec_batch_new(void)
{
    return calloc(1, sizeof(rec_batch));
}

void rec_batch_free(rec_batch *b)
{
    if (!b)
        return;
    rec_arena_free(&b->arena);
    free(b->items);
    free(b);
}

rec_item *rec_batch_add(rec_batch *b, rec_item_kind kind, uint32_t node, uint64_t wall_ms)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        rec_item *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return NULL;
        b->items = items;
        b->cap = cap;
    }
    rec_item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->node = node;
    it->wall_ms = wall_ms;
    return it;
}

size_t rec_batch_bytes(const rec_batch *b)
{
    return b->arena.bytes + b->cap * sizeof(rec_item);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state_canon.h"

static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (na > nb) - (na < nb);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_conn(const void *x, const void *y)
{
    const Peerscope__Connection *a = *(Peerscope__Connection *const *)x, *b = *(Peerscope__Connection *const *)y;
    return cmp_bytes(a->id.data, a->id.len, b->id.data, b->id.len);
}

static int cmp_bucket(const void *x, const void *y)
{
    const Peerscope__DHT__Bucket *a = *(Peerscope__DHT__Bucket *const *)x, *b = *(Peerscope__DHT__Bucket *const *)y;
    return (a->cpl > b->cpl) - (a->cpl < b->cpl);
}

static int cmp_topic(const void *x, const void *y)
{
    return cmp_str((*(Peerscope__PubSub__Topic *const *)x)->name, (*(Peerscope__PubSub__Topic *const *)y)->name);
}

static int cmp_peer(const void *x, const void *y)
{
    return cmp_str((*(Peerscope__Peerstore__Peer *const *)x)->peer_id,
                   (*(Peerscope__Peerstore__Peer *const *)y)->peer_id);
}

static int cmp_scope(const void *x, const void *y)
{
    const Peerscope__ResourceManager__Scope *a = *(Peerscope__ResourceManager__Scope *const *)x;
    const Peerscope__ResourceManager__Scope *b = *(Peerscope__ResourceManager__Scope *const *)y;
    if (a->kind != b->kind)
        return (a->kind > b->kind) - (a->kind < b->kind);
    return cmp_str(a->name, b->name);
}

static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(v, n, size, cmp);
}

static void sort_dht(Peerscope__DHT *d)
{
    if (d)
        sort(d->buckets, d->n_buckets, sizeof *d->buckets, cmp_bucket);
}

void canon_sort(Peerscope__State *st)
{
    Peerscope__Subsystems *s = st->subsystems;
    if (!s)
        return;
    sort(s->connections, s->n_connections, sizeof *s->connections, cmp_conn);
    sort_dht(s->dht);
    for (size_t i = 0; i < s->n_additional_dhts; i++)
        sort_dht(s->additional_dhts[i]);
    if (s->pubsub)
        sort(s->pubsub->topics, s->pubsub->n_topics, sizeof *s->pubsub->topics, cmp_topic);
    if (s->peerstore)
        sort(s->peerstore->peers, s->peerstore->n_peers, sizeof *s->peerstore->peers, cmp_peer);
    if (s->resource_manager)
        sort(s->resource_manager->scopes, s->resource_manager->n_scopes, sizeof *s->resource_manager->scopes,
             cmp_scope);
}

uint8_t *canon_pack(Peerscope__State *st, size_t *len)
{
    canon_sort(st);
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    v.version = 1;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = st;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    assert_int_equal(peerscope__server_message__pack(&sm, buf), n);
    *len = n;
    return buf;
}

void canon_assert_equal(Peerscope__State *want, Peerscope__State *got)
{
    size_t nw, ng;
    uint8_t *w = canon_pack(want, &nw);
    uint8_t *g = canon_pack(got, &ng);
    if (nw != ng || memcmp(w, g, nw) != 0) {
        free(w);
        free(g);
        fail_msg("rebuilt state (%zu bytes) differs from the full one (%zu bytes)", ng, nw);
    }
    free(w);
    free(g);
}

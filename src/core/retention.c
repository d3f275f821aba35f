/*
 * Closed-entity retention. Clients of the 2020 format infer a close from
 * a disappearance, so they never see the close time or final counters. We
 * report a vanished connection (or stream) once more, CLOSED, with its last
 * known data, then forget it. Only entities that were not CLOSED in the
 * baseline qualify, so each is reported CLOSED exactly once.
 */
#include "core/records.h"

/* Below this many streams a linear scan beats building a map. */
#define LINEAR_STREAMS 8u

static psc_err copy_stream_closed(psc__arena *ar, const psc__stream_rec *old, uint64_t now,
                                  psc__stream_rec **out)
{
    psc__stream_rec *s = psc__arena_alloc(ar, sizeof *s);
    if (!s)
        return PSC_ERR_NOMEM;
    *s = *old;
    psc_err e;
    if ((e = psc__copy_bytes(ar, old->id.p, old->id.len, &s->id)) != PSC_OK ||
        (e = psc__copy_str(ar, old->protocol.p, &s->protocol)) != PSC_OK ||
        (e = psc__copy_str(ar, old->close_reason.p, &s->close_reason)) != PSC_OK ||
        (e = psc__copy_strv(ar, old->tags.v, old->tags.n, &s->tags)) != PSC_OK)
        return e;
    s->status = PSC_STATUS_CLOSED;
    if (!s->close_ts)
        s->close_ts = now;
    *out = s;
    return PSC_OK;
}

static psc_err copy_conn_closed(psc__build *bld, const psc__conn_rec *old, psc__conn_rec **out)
{
    psc__arena *ar = bld->arena;
    psc__conn_rec *c = psc__arena_alloc(ar, sizeof *c);
    if (!c)
        return PSC_ERR_NOMEM;
    *c = *old;
    psc_err e;
    if ((e = psc__copy_bytes(ar, old->id.p, old->id.len, &c->id)) != PSC_OK ||
        (e = psc__copy_bytes(ar, old->transport_id.p, old->transport_id.len, &c->transport_id)) != PSC_OK ||
        (e = psc__copy_bytes(ar, old->relay_conn_id.p, old->relay_conn_id.len, &c->relay_conn_id)) != PSC_OK ||
        (e = psc__copy_str(ar, old->peer_id.p, &c->peer_id)) != PSC_OK ||
        (e = psc__copy_str(ar, old->transport_name.p, &c->transport_name)) != PSC_OK ||
        (e = psc__copy_str(ar, old->local_addr.p, &c->local_addr)) != PSC_OK ||
        (e = psc__copy_str(ar, old->remote_addr.p, &c->remote_addr)) != PSC_OK ||
        (e = psc__copy_str(ar, old->multiplexer.p, &c->multiplexer)) != PSC_OK ||
        (e = psc__copy_str(ar, old->encryption.p, &c->encryption)) != PSC_OK ||
        (e = psc__copy_str(ar, old->close_reason.p, &c->close_reason)) != PSC_OK ||
        (e = psc__copy_strv(ar, old->tags.v, old->tags.n, &c->tags)) != PSC_OK)
        return e;
    c->status = PSC_STATUS_CLOSED;
    if (!c->close_ts)
        c->close_ts = bld->now_ms;
    c->stream_count = 0; /* nothing is open on a closed connection */
    c->open_streams = 0;
    c->stream_index = NULL;
    c->bld = bld;
    c->epoch = 0; /* not a handle a provider holds */
    c->streams = (psc__list){0};
    /* streams already reported CLOSED last time are not repeated */
    PSC__EACH(const psc__stream_rec, s, old->streams) {
        if (s->status == PSC_STATUS_CLOSED)
            continue;
        psc__stream_rec *copy;
        if ((e = copy_stream_closed(ar, s, bld->now_ms, &copy)) != PSC_OK)
            return e;
        psc__list_push(&c->streams, &copy->node);
    }
    *out = c;
    return PSC_OK;
}

static bool has_open_stream(const psc__conn_rec *c)
{
    PSC__EACH(const psc__stream_rec, s, c->streams)
        if (s->status != PSC_STATUS_CLOSED)
            return true;
    return false;
}

static bool same_id(const psc__bytes *a, const psc__bytes *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static const psc__stream_rec *find_linear(const psc__list *streams, const psc__bytes *id)
{
    PSC__EACH(const psc__stream_rec, s, *streams)
        if (same_id(&s->id, id))
            return s;
    return NULL;
}

/*
 * Hosts usually list streams in the same order every time, so each old
 * stream is first compared with the one after the previous match; only a
 * mismatch pays for a lookup (a map, built on first need, past a few).
 */
static psc_err retain_streams(psc__build *bld, psc__conn_rec *cur, const psc__conn_rec *old)
{
    if (!has_open_stream(old))
        return PSC_OK;
    psc_introspector *intro = bld->intro;
    bool use_map = cur->streams.n > LINEAR_STREAMS, map_built = false;
    const psc__stream_rec *cursor = (const psc__stream_rec *)(const void *)cur->streams.head;
    psc__list vanished = {0}; /* joins cur->streams at the end: lookups see only the given ones */
    PSC__EACH(const psc__stream_rec, s, old->streams) {
        if (s->status == PSC_STATUS_CLOSED)
            continue;
        const psc__stream_rec *found = NULL;
        if (cursor && same_id(&cursor->id, &s->id)) {
            found = cursor;
        } else if (use_map) {
            if (!map_built) {
                psc__idmap_reset(&intro->stream_map);
                PSC__EACH(psc__stream_rec, c, cur->streams) {
                    psc_err e = psc__idmap_put(&intro->alloc, &intro->stream_map, c->id.p, c->id.len, c);
                    if (e == PSC_ERR_NOMEM)
                        return e; /* a duplicate id (EXISTS) is harmless here */
                }
                map_built = true;
            }
            found = psc__idmap_get(&intro->stream_map, s->id.p, s->id.len);
        } else {
            found = find_linear(&cur->streams, &s->id);
        }
        if (found) {
            cursor = (const psc__stream_rec *)(const void *)found->node.next;
            continue;
        }
        psc__stream_rec *copy;
        psc_err e = copy_stream_closed(bld->arena, s, bld->now_ms, &copy);
        if (e != PSC_OK)
            return e;
        psc__list_push(&vanished, &copy->node);
    }
    psc__list_splice(&cur->streams, &vanished);
    return PSC_OK;
}

psc_err psc__retain(psc__build *bld, psc_swarm_builder *sb, const psc__baseline *base)
{
    if (!base)
        return PSC_OK;
    const psc__node *node = base->first;
    /* the same in-order fast path as for streams, over the connections */
    psc__conn_rec *cursor = (psc__conn_rec *)(void *)sb->conns.head;
    psc__list vanished = {0};
    for (size_t i = 0; i < base->n; i++, node = node->next) {
        const psc__conn_rec *old = (const psc__conn_rec *)(const void *)node;
        if (old->status == PSC_STATUS_CLOSED)
            continue;
        psc__conn_rec *cur = cursor && same_id(&cursor->id, &old->id)
                                 ? cursor
                                 : psc__idmap_get(sb->conn_map, old->id.p, old->id.len);
        psc_err e;
        if (cur) {
            cursor = (psc__conn_rec *)(void *)cur->node.next;
            e = retain_streams(bld, cur, old);
        } else {
            psc__conn_rec *copy;
            e = copy_conn_closed(bld, old, &copy);
            if (e == PSC_OK)
                psc__list_push(&vanished, &copy->node);
        }
        if (e != PSC_OK)
            return e;
    }
    psc__list_splice(&sb->conns, &vanished);
    return PSC_OK;
}

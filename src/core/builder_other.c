/* Builders of the pubsub, peerstore, resource manager and custom sections. */
#include <stddef.h>

#include "core/records.h"
#include "util/json.h"

/* ----------------------------------------------------------------- pubsub */

psc_err psc_pubsub_set_router(psc_pubsub_builder *b, const char *router, const char *protocol)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark = psc__arena_mark_get(ar);
    psc__str r, p;
    psc_err e;
    if ((e = psc__copy_str(ar, router, &r)) != PSC_OK || (e = psc__copy_str(ar, protocol, &p)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    b->router = r;
    b->protocol = p;
    b->router_set = true;
    return PSC_OK;
}

psc_err psc_pubsub_add_topic(psc_pubsub_builder *b, const psc_topic *t, psc_topic_builder **out)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_topic in;
    psc_err e = psc__copy_in(&in, sizeof in, t, PSC__END_OF(psc_topic, name));
    if (e != PSC_OK)
        return e;
    if (!in.name)
        return PSC_ERR_INVALID;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__topic_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_str(ar, in.name, &r->name)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->subscribed = in.subscribed;
    r->peer_count = in.peer_count;
    r->messages = in.messages;
    r->bytes = in.bytes;
    r->bld = b->bld;
    r->epoch = b->epoch;
    psc__list_push(&b->topics, &r->node);
    if (out)
        *out = r;
    return PSC_OK;
}

psc_err psc_topic_add_mesh_peer(psc_topic_builder *tb, const psc_mesh_peer *p)
{
    if (!tb)
        return PSC_ERR_INVALID;
    if (tb->epoch != tb->bld->epoch)
        return PSC_ERR_STATE;
    psc_mesh_peer in;
    psc_err e = psc__copy_in(&in, sizeof in, p, PSC__END_OF(psc_mesh_peer, peer_id));
    if (e != PSC_OK)
        return e;
    if (!in.peer_id)
        return PSC_ERR_INVALID;
    psc__arena *ar = tb->bld->arena;
    psc__arena_mark mark;
    psc__mesh_rec *r = psc__rec_new(tb->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(tb->bld);
    if ((e = psc__copy_str(ar, in.peer_id, &r->peer_id)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->score = in.score;
    r->time_in_mesh_ms = in.time_in_mesh_ms;
    psc__list_push(&tb->mesh, &r->node);
    return PSC_OK;
}

psc_err psc_topic_add_fanout_peer(psc_topic_builder *tb, const char *peer_id)
{
    if (!tb || !peer_id)
        return PSC_ERR_INVALID;
    if (tb->epoch != tb->bld->epoch)
        return PSC_ERR_STATE;
    psc__arena *ar = tb->bld->arena;
    psc__arena_mark mark;
    psc__str_rec *r = psc__rec_new(tb->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(tb->bld);
    psc_err e = psc__copy_str(ar, peer_id, &r->s);
    if (e != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    psc__list_push(&tb->fanout, &r->node);
    return PSC_OK;
}

/* -------------------------------------------------------------- peerstore */

psc_err psc_peerstore_add_peer(psc_peerstore_builder *b, const psc_peer_info *p)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_peer_info in;
    psc_err e = psc__copy_in(&in, sizeof in, p, PSC__END_OF(psc_peer_info, peer_id));
    if (e != PSC_OK)
        return e;
    if (!in.peer_id || (in.n_tags && !in.tags))
        return PSC_ERR_INVALID;
    for (size_t i = 0; i < in.n_tags; i++)
        if (!in.tags[i].name)
            return PSC_ERR_INVALID;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__peer_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_str(ar, in.peer_id, &r->peer_id)) != PSC_OK ||
        (e = psc__copy_str(ar, in.agent_version, &r->agent_version)) != PSC_OK ||
        (e = psc__copy_str(ar, in.protocol_version, &r->protocol_version)) != PSC_OK ||
        (e = psc__copy_strv(ar, in.addrs, in.n_addrs, &r->addrs)) != PSC_OK ||
        (e = psc__copy_strv(ar, in.protocols, in.n_protocols, &r->protocols)) != PSC_OK)
        goto fail;
    if (in.n_tags) {
        if (in.n_tags > SIZE_MAX / sizeof(psc__tag_rec)) {
            e = PSC_ERR_NOMEM;
            goto fail;
        }
        r->tags = psc__arena_alloc(ar, in.n_tags * sizeof(psc__tag_rec));
        if (!r->tags) {
            e = PSC_ERR_NOMEM;
            goto fail;
        }
        for (size_t i = 0; i < in.n_tags; i++) {
            if ((e = psc__copy_str(ar, in.tags[i].name, &r->tags[i].name)) != PSC_OK)
                goto fail;
            r->tags[i].value = in.tags[i].value;
        }
        r->n_tags = in.n_tags;
    }
    r->latency_ewma_ns = in.latency_ewma_ns;
    r->first_seen_ts = in.first_seen_ts;
    r->last_seen_ts = in.last_seen_ts;
    psc__list_push(&b->peers, &r->node);
    return PSC_OK;
fail:
    psc__arena_rewind(ar, mark);
    return e;
}

/* ------------------------------------------------------- resource manager */

psc_err psc_rcmgr_add_scope(psc_rcmgr_builder *b, const psc_resource_scope *s)
{
    if (!b)
        return PSC_ERR_INVALID;
    psc_resource_scope in;
    psc_err e = psc__copy_in(&in, sizeof in, s, PSC__END_OF(psc_resource_scope, kind));
    if (e != PSC_OK)
        return e;
    if ((unsigned)in.kind > PSC_SCOPE_STREAM)
        return PSC_ERR_INVALID;
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__scope_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    if ((e = psc__copy_str(ar, in.name, &r->name)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->kind = in.kind;
    r->usage = in.usage;
    r->limit = in.limit;
    psc__list_push(&b->scopes, &r->node);
    return PSC_OK;
}

/* ----------------------------------------------------------------- custom */

static psc_err custom_add(psc_custom_builder *b, const char *name, psc__value_kind kind, double number,
                          int64_t integer, const char *text)
{
    psc__arena *ar = b->bld->arena;
    psc__arena_mark mark;
    psc__value_rec *r = psc__rec_new(b->bld, sizeof *r, &mark);
    if (!r)
        return psc__rec_refused(b->bld);
    psc_err e;
    if ((e = psc__copy_str(ar, name, &r->name)) != PSC_OK || (e = psc__copy_str(ar, text, &r->text)) != PSC_OK)
        return psc__rec_undo(ar, mark, e);
    r->kind = kind;
    r->number = number;
    r->integer = integer;
    psc__list_push(&b->values, &r->node);
    return PSC_OK;
}

psc_err psc_custom_add_number(psc_custom_builder *b, const char *name, double value)
{
    if (!b || !name)
        return PSC_ERR_INVALID;
    return custom_add(b, name, PSC__VAL_NUMBER, value, 0, NULL);
}

psc_err psc_custom_add_integer(psc_custom_builder *b, const char *name, int64_t value)
{
    if (!b || !name)
        return PSC_ERR_INVALID;
    return custom_add(b, name, PSC__VAL_INTEGER, 0, value, NULL);
}

psc_err psc_custom_add_text(psc_custom_builder *b, const char *name, const char *text)
{
    if (!b || !name || !text)
        return PSC_ERR_INVALID;
    return custom_add(b, name, PSC__VAL_TEXT, 0, 0, text);
}

psc_err psc_custom_add_json(psc_custom_builder *b, const char *name, const char *json)
{
    if (!b || !name || !json || !psc__json_valid(json, strlen(json)))
        return PSC_ERR_INVALID;
    return custom_add(b, name, PSC__VAL_JSON, 0, 0, json);
}

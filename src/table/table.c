/* The push table: lifecycle, the pending lists, lazy registration, stats. */
#include "table/table.h"
#include "core/core.h"
#include "util/json.h"
#include "util/struct_in.h"

#include <string.h>

psc_err psc_table_new(psc_introspector *intro, const psc_table_config *cfg, psc_table **out)
{
    if (!intro || !out)
        return PSC_ERR_INVALID;
    psc_table_config c = PSC_TABLE_CONFIG_INIT;
    if (cfg && psc__copy_in(&c, sizeof c, cfg, PSC__END_OF(psc_table_config, name)) != PSC_OK)
        return PSC_ERR_INVALID;
    const char *name = c.name ? c.name : "table";
    if (!psc__text_valid(name, strlen(name)))
        return PSC_ERR_INVALID;
    const psc__alloc *a = psc__intro_alloc(intro);
    psc_table *t = psc__calloc(a, 1, sizeof *t);
    if (!t)
        return PSC_ERR_NOMEM;
    t->intro = intro;
    t->alloc = *a;
    t->max_pending = c.max_pending ? c.max_pending : PSC__TABLE_DEFAULT_MAX_PENDING;
    bool ok = true;
    t->name = psc__strdup(a, name, &ok);
    if (!ok) {
        psc__free(a, t);
        return PSC_ERR_NOMEM;
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->reg_lock, NULL);
    for (int i = 0; i < PSC__SEC_COUNT; i++)
        atomic_init(&t->registered[i], false);
    t->published.struct_size = sizeof t->published;
    *out = t;
    return PSC_OK;
}

void psc_table_free(psc_table *t)
{
    if (!t)
        return;
    /* No collect runs once its provider is unregistered: the snapshot side is ours. */
    for (int i = 0; i < PSC__SEC_COUNT; i++)
        if (t->providers[i])
            psc_provider_unregister(t->providers[i]);
    for (psc__custom_sec *s = t->customs; s; s = s->next)
        psc_provider_unregister(s->provider);
    /* Handles opened but never applied go once the walk is over: later
     * changes in the list (their close ops) live inside them. */
    psc_table_conn *conns = NULL;
    psc_table_stream *streams = NULL;
    for (int i = 0; i < PSC__SEC_COUNT; i++) {
        psc__op *op = t->pending[i].head;
        while (op) {
            psc__op *next = op->next;
            if (op->kind == PSC__OP_CONN_OPEN) {
                psc_table_conn *c = op->target;
                c->next = conns;
                conns = c;
            } else if (op->kind == PSC__OP_STREAM_OPEN) {
                psc_table_stream *s = op->target;
                s->next = streams;
                streams = s;
            }
            psc__table_op_free(t, op);
            op = next;
        }
    }
    while (conns) {
        psc_table_conn *next = conns->next;
        psc__free(&t->alloc, conns);
        conns = next;
    }
    while (streams) {
        psc_table_stream *next = streams->next;
        psc__free(&t->alloc, streams);
        streams = next;
    }
    psc__table_swarm_fini(t);
    psc__table_op_free(t, t->dht);
    psc__keyed_fini(t, &t->dht_peers);
    psc__table_op_free(t, t->router);
    psc__keyed_fini(t, &t->topics);
    psc__keyed_fini(t, &t->peers);
    psc__keyed_fini(t, &t->scopes);
    psc__table_custom_fini(t);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_destroy(&t->reg_lock);
    psc__free(&t->alloc, t->name);
    psc__alloc a = t->alloc;
    psc__free(&a, t);
}

psc_err psc_table_stats_get(psc_table *t, psc_table_stats *out)
{
    if (!t || !out || out->struct_size < PSC__END_OF(psc_table_stats, rejected))
        return PSC_ERR_INVALID;
    size_t want = out->struct_size < sizeof *out ? out->struct_size : sizeof *out;
    pthread_mutex_lock(&t->lock);
    psc_table_stats s = t->published;
    s.pending = 0;
    for (int i = 0; i < PSC__SEC_COUNT; i++)
        s.pending += t->pending[i].n;
    pthread_mutex_unlock(&t->lock);
    s.struct_size = out->struct_size;
    memcpy(out, &s, want);
    return PSC_OK;
}

uint64_t psc__table_now_ms(const psc_table *t)
{
    return psc_introspector_now_ms(t->intro);
}

/* ------------------------------------------------------------ providers */

static psc_err register_section(psc_table *t, psc__sec sec, psc_provider **out)
{
    switch (sec) {
    case PSC__SEC_SWARM: {
        psc_swarm_provider vt = {.struct_size = sizeof vt, .name = t->name, .collect = psc__table_swarm_collect};
        return psc_register_swarm(t->intro, &vt, t, out);
    }
    case PSC__SEC_DHT: {
        psc_dht_provider vt = {.struct_size = sizeof vt, .name = t->name, .collect = psc__table_dht_collect};
        return psc_register_dht(t->intro, &vt, t, out);
    }
    case PSC__SEC_PUBSUB: {
        psc_pubsub_provider vt = {.struct_size = sizeof vt, .name = t->name, .collect = psc__table_pubsub_collect};
        return psc_register_pubsub(t->intro, &vt, t, out);
    }
    case PSC__SEC_PEERSTORE: {
        psc_peerstore_provider vt = {.struct_size = sizeof vt, .name = t->name,
                                     .collect = psc__table_peerstore_collect};
        return psc_register_peerstore(t->intro, &vt, t, out);
    }
    case PSC__SEC_RCMGR: {
        psc_rcmgr_provider vt = {.struct_size = sizeof vt, .name = t->name, .collect = psc__table_rcmgr_collect};
        return psc_register_rcmgr(t->intro, &vt, t, out);
    }
    case PSC__SEC_CUSTOM: /* a provider per section (custom.c) */
    case PSC__SEC_COUNT: break;
    }
    return PSC_ERR_INVALID;
}

psc_err psc__table_use(psc_table *t, psc__sec sec)
{
    if (sec == PSC__SEC_CUSTOM)
        return PSC_OK; /* registered per section, before the change is queued */
    if (atomic_load_explicit(&t->registered[sec], memory_order_acquire))
        return PSC_OK;
    psc_err e = PSC_OK;
    pthread_mutex_lock(&t->reg_lock);
    if (!t->providers[sec]) {
        e = register_section(t, sec, &t->providers[sec]);
        if (e == PSC_OK)
            atomic_store_explicit(&t->registered[sec], true, memory_order_release);
    }
    pthread_mutex_unlock(&t->reg_lock);
    return e;
}

/* ------------------------------------------------------------ pending changes */

psc_err psc__table_push(psc_table *t, psc__sec sec, psc__op *op, bool may_refuse)
{
    psc_err e = psc__table_use(t, sec);
    if (e != PSC_OK) {
        psc__table_op_free(t, op);
        return e;
    }
    op->next = NULL;
    pthread_mutex_lock(&t->lock);
    psc__pending *q = &t->pending[sec];
    if (may_refuse && q->n >= t->max_pending) {
        pthread_mutex_unlock(&t->lock);
        psc__table_op_free(t, op);
        return PSC_ERR_TOO_BIG;
    }
    if (q->tail)
        q->tail->next = op;
    else
        q->head = op;
    q->tail = op;
    q->n++;
    pthread_mutex_unlock(&t->lock);
    return PSC_OK;
}

psc__op *psc__table_take(psc_table *t, psc__sec sec)
{
    pthread_mutex_lock(&t->lock);
    psc__pending *q = &t->pending[sec];
    psc__op *head = q->head;
    q->head = q->tail = NULL;
    q->n = 0;
    pthread_mutex_unlock(&t->lock);
    return head;
}

void psc__table_op_free(psc_table *t, psc__op *op)
{
    if (op && !op->embedded)
        psc__free(&t->alloc, op);
}

void psc__table_publish(psc_table *t)
{
    pthread_mutex_lock(&t->lock);
    t->published.connections = t->n_conns;
    t->published.streams = t->n_streams;
    t->published.dht_peers = t->dht_peers.n;
    t->published.topics = t->topics.n;
    t->published.peers = t->peers.n;
    t->published.applied = t->applied;
    t->published.rejected = t->rejected;
    pthread_mutex_unlock(&t->lock);
}

/* Put the changes from op on back in front of the section's pending ones. */
static void give_back(psc_table *t, psc__sec sec, psc__op *op)
{
    if (!op)
        return;
    size_t n = 1;
    psc__op *last = op;
    while (last->next) {
        last = last->next;
        n++;
    }
    pthread_mutex_lock(&t->lock);
    psc__pending *q = &t->pending[sec];
    last->next = q->head;
    if (!q->head)
        q->tail = last;
    q->head = op;
    q->n += n;
    pthread_mutex_unlock(&t->lock);
}

/* Apply a section's pending changes in order; PSC_ERR_NOMEM leaves the rest pending. */
psc_err psc__table_apply_all(psc_table *t, psc__sec sec, psc__apply_fn fn)
{
    psc__op *op = psc__table_take(t, sec);
    while (op) {
        psc__op *next = op->next;
        op->next = NULL;
        if (!fn(t, op)) {
            op->next = next;
            give_back(t, sec, op);
            return PSC_ERR_NOMEM;
        }
        t->applied++;
        op = next;
    }
    return PSC_OK;
}

/* NOMEM stops the collect; any other refusal skips the entity, counted. */
psc_err psc__table_skip(psc_table *t, psc_err e)
{
    if (e == PSC_ERR_NOMEM)
        return e;
    t->rejected++;
    return PSC_OK;
}

/*
 * Delta states: finding what changed between two snapshots, and the entry
 * point that encodes it into a message (psc_introspector_state_delta).
 */
#include "core/delta.h"
#include "wire/wire.h"


/* Marks a key of the newer list that the older one lacks (map values are
 * otherwise 1 + the index in the older list). */
#define NEW_KEY ((uintptr_t)-1)

typedef struct differ {
    const psc__alloc *alloc;
    psc__arena *ar;
    psc__idmap map;
} differ;

/* ------------------------------------------------------------ item lists */

typedef struct items {
    psc__ditem *v;
    size_t n;
} items;

static psc_err items_new(psc__arena *ar, size_t n, items *out)
{
    if (n > SIZE_MAX / sizeof(psc__ditem))
        return PSC_ERR_NOMEM;
    out->v = psc__arena_alloc(ar, n * sizeof(psc__ditem));
    out->n = 0;
    return out->v ? PSC_OK : PSC_ERR_NOMEM;
}

static void item_add(items *it, const void *key, size_t key_len, const uint8_t *body, size_t size, const void *rec)
{
    psc__ditem *x = &it->v[it->n++];
    x->key = key;
    x->key_len = key_len;
    x->body = body;
    x->size = size;
    x->rec = rec;
}

static psc_err conn_items(psc__arena *ar, const psc__list *l, items *out)
{
    psc_err e = items_new(ar, l->n, out);
    if (e == PSC_OK)
        PSC__EACH(const psc__conn_rec, c, *l)
            item_add(out, c->id.p, c->id.len, c->pb_at, c->pb_size, c);
    return e;
}

static psc_err topic_items(psc__arena *ar, const psc__list *l, items *out)
{
    psc_err e = items_new(ar, l->n, out);
    if (e == PSC_OK)
        PSC__EACH(const psc__topic_rec, t, *l)
            item_add(out, t->name.p, t->name.len, t->pb_at, t->pb_size, t);
    return e;
}

static psc_err peer_items(psc__arena *ar, const psc__list *l, items *out)
{
    psc_err e = items_new(ar, l->n, out);
    if (e == PSC_OK)
        PSC__EACH(const psc__peer_rec, r, *l)
            item_add(out, r->peer_id.p, r->peer_id.len, r->pb_at, r->pb_size, r);
    return e;
}

/* A scope's key is its kind and its name: one byte of kind, then the name. */
static psc_err scope_items(psc__arena *ar, const psc__list *l, items *out)
{
    psc_err e = items_new(ar, l->n, out);
    if (e != PSC_OK)
        return e;
    PSC__EACH(const psc__scope_rec, r, *l) {
        uint8_t *key = psc__arena_bytes(ar, r->name.len + 1);
        if (!key)
            return PSC_ERR_NOMEM;
        key[0] = (uint8_t)r->kind; /* ScopeKind has 7 values */
        if (r->name.len)
            memcpy(key + 1, r->name.p, r->name.len);
        item_add(out, key, r->name.len + 1, r->pb_at, r->pb_size, r);
    }
    return PSC_OK;
}

/* ------------------------------------------------------------ diffing */

static bool same_body(const psc__ditem *x, const psc__ditem *y)
{
    return x->size == y->size && memcmp(x->body, y->body, x->size) == 0;
}

static psc_err list_new(psc__arena *ar, size_t cap, psc__dlist *out)
{
    out->n = 0;
    out->v = NULL;
    if (!cap)
        return PSC_OK;
    if (cap > SIZE_MAX / sizeof(void *))
        return PSC_ERR_NOMEM;
    out->v = psc__arena_alloc(ar, cap * sizeof(void *));
    return out->v ? PSC_OK : PSC_ERR_NOMEM;
}

/*
 * Keyed comparison of an older and a newer list: newer entities whose key
 * is new or whose bytes differ go to *changed, older keys the newer list
 * lacks to *gone. A key that repeats in either list makes the lists
 * unmatchable by key: PSC_ERR_UNSUPPORTED.
 */
static psc_err diff(differ *df, const items *old, const items *cur, psc__dlist *changed, psc__dlist *gone)
{
    psc_err e;
    if ((e = list_new(df->ar, cur->n, changed)) != PSC_OK || (e = list_new(df->ar, old->n, gone)) != PSC_OK)
        return e;
    bool *seen = psc__arena_zalloc(df->ar, old->n ? old->n : 1);
    if (!seen)
        return PSC_ERR_NOMEM;
    psc__idmap_reset(&df->map);
    for (size_t i = 0; i < old->n; i++) {
        const psc__ditem *x = &old->v[i];
        e = psc__idmap_put(df->alloc, &df->map, x->key, x->key_len, (void *)(uintptr_t)(i + 1));
        if (e != PSC_OK)
            return e == PSC_ERR_EXISTS ? PSC_ERR_UNSUPPORTED : e;
    }
    for (size_t i = 0; i < cur->n; i++) {
        const psc__ditem *y = &cur->v[i];
        uintptr_t v = (uintptr_t)psc__idmap_get(&df->map, y->key, y->key_len);
        if (v == NEW_KEY)
            return PSC_ERR_UNSUPPORTED;
        if (v == 0) {
            e = psc__idmap_put(df->alloc, &df->map, y->key, y->key_len, (void *)NEW_KEY);
            if (e != PSC_OK)
                return e;
            changed->v[changed->n++] = y;
            continue;
        }
        if (seen[v - 1])
            return PSC_ERR_UNSUPPORTED;
        seen[v - 1] = true;
        if (!same_body(&old->v[v - 1], y))
            changed->v[changed->n++] = y;
    }
    for (size_t i = 0; i < old->n; i++)
        if (!seen[i])
            gone->v[gone->n++] = &old->v[i];
    return PSC_OK;
}

typedef psc_err (*items_fn)(psc__arena *ar, const psc__list *l, items *out);

static psc_err diff_lists(differ *df, items_fn fn, const psc__list *old, const psc__list *cur,
                          psc__dlist *changed, psc__dlist *gone)
{
    items x, y;
    psc_err e;
    if ((e = fn(df->ar, old, &x)) != PSC_OK || (e = fn(df->ar, cur, &y)) != PSC_OK)
        return e;
    return diff(df, &x, &y, changed, gone);
}

/* ------------------------------------------------------------ DHTs */

static const psc__bucket_rec *bucket_at(const psc__dht_rec *d, uint32_t cpl)
{
    return d && d->by_cpl ? d->by_cpl[cpl] : NULL;
}

static bool same_bucket(const psc__bucket_rec *x, const psc__bucket_rec *y)
{
    return x->pb_size == y->pb_size && memcmp(x->pb_at, y->pb_at, x->pb_size) == 0;
}

/* Buckets are keyed by cpl, which the records index directly. */
static psc_err diff_dht(psc__arena *ar, const psc__dht_rec *old, const psc__dht_rec *cur, psc__ddht *out)
{
    size_t n_old = 0, n_cur = 0;
    for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
        n_old += bucket_at(old, cpl) != NULL;
        n_cur += bucket_at(cur, cpl) != NULL;
    }
    out->b = cur;
    out->n_buckets = out->n_removed = 0;
    out->buckets = psc__arena_alloc(ar, (n_cur ? n_cur : 1) * sizeof *out->buckets);
    out->removed_cpls = psc__arena_alloc(ar, (n_old ? n_old : 1) * sizeof *out->removed_cpls);
    if (!out->buckets || !out->removed_cpls)
        return PSC_ERR_NOMEM;
    for (uint32_t cpl = 0; cpl <= PSC__DHT_MAX_CPL; cpl++) {
        const psc__bucket_rec *x = bucket_at(old, cpl), *y = bucket_at(cur, cpl);
        if (y && (!x || !same_bucket(x, y)))
            out->buckets[out->n_buckets++] = y;
        else if (x && !y)
            out->removed_cpls[out->n_removed++] = cpl;
    }
    return PSC_OK;
}

/* The i-th DHT of a snapshot in the order the result lists them. */
static const psc__dht_rec *dht_nth(const psc__snap *s, size_t i)
{
    if (s->dht) {
        if (i == 0)
            return s->dht;
        i--;
    }
    const psc__node *n = s->extra_dhts.head;
    for (; n && i; i--)
        n = n->next;
    return (const psc__dht_rec *)(const void *)n;
}

/*
 * DHTs are matched by position in the message (subsystems.dht, then
 * additional_dhts), which is how a client finds the one to patch. When b
 * has no subsystems.dht, b's first additional DHT is still patched against
 * a's additional_dhts[0], never against a's subsystems.dht.
 */
static psc_err diff_dhts(psc__arena *ar, const psc__snap *a, const psc__snap *b, psc__delta *d)
{
    d->has_dht = b->dht != NULL;
    d->n_dhts = (b->dht ? 1 : 0) + b->extra_dhts.n;
    d->dhts = psc__arena_zalloc(ar, (d->n_dhts ? d->n_dhts : 1) * sizeof *d->dhts);
    if (!d->dhts)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < d->n_dhts; i++) {
        const psc__dht_rec *cur = dht_nth(b, i), *old;
        if (i == 0 && b->dht)
            old = a->dht;
        else
            old = dht_nth(a, (a->dht ? 1 : 0) + (i - (b->dht ? 1 : 0)));
        psc_err e = diff_dht(ar, old, cur, &d->dhts[i]);
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

psc_err psc__delta_find(const psc__alloc *alloc, psc__arena *ar, const psc__snap *a, const psc__snap *b,
                        psc__delta *d)
{
    memset(d, 0, sizeof *d);
    d->a = a;
    d->b = b;
    d->base_seq = a->seq;
    differ df = {alloc, ar, {0}};
    psc_err e;
    if ((e = diff_lists(&df, conn_items, &a->conns, &b->conns, &d->conns, &d->conns_gone)) == PSC_OK &&
        (e = diff_dhts(ar, a, b, d)) == PSC_OK &&
        (e = diff_lists(&df, topic_items, &a->topics, &b->topics, &d->topics, &d->topics_gone)) == PSC_OK &&
        (e = diff_lists(&df, peer_items, &a->peers, &b->peers, &d->peers, &d->peers_gone)) == PSC_OK)
        e = diff_lists(&df, scope_items, &a->scopes, &b->scopes, &d->scopes, &d->scopes_gone);
    psc__idmap_free(alloc, &df.map);
    return e;
}

/* ------------------------------------------------------------ entry point */

/* The snapshot behind a STATE message, if it has one (deltas have none). */
static const psc__snap *snap_of(const psc_msg *m)
{
    if (!m || psc_msg_get_kind(m) != PSC_MSG_STATE)
        return NULL;
    const psc__view *v = psc__msg_view(m);
    return v ? &v->snap : NULL;
}

psc_err psc_introspector_state_delta(psc_introspector *intro, psc_msg *base, psc_msg *cur, psc_msg **out)
{
    const psc__snap *a = snap_of(base), *b = snap_of(cur);
    if (!intro || !a || !b || !out)
        return PSC_ERR_INVALID;
    psc__arena ar;
    /* scratch: a few pointers per entity of both snapshots */
    size_t hint = (a->conns.n + b->conns.n + a->peers.n + b->peers.n) * 56u + 4096u;
    psc_err e = psc__arena_init(&ar, &intro->alloc, NULL, hint);
    if (e != PSC_OK)
        return e;
    psc__delta d;
    psc_msg *m = NULL;
    uint8_t *body = NULL;
    if ((e = psc__delta_find(&intro->alloc, &ar, a, b, &d)) == PSC_OK)
        e = psc__wire_sm_new(&intro->msg_alloc, PSC_MSG_STATE, psc__delta_pb_size(&d), &m, &body);
    if (e == PSC_OK && (e = psc__wire_sm_seal(m, psc__delta_pb_write(body, &d))) != PSC_OK)
        psc__log(intro, PSC_LOG_ERROR, "delta state not made: %s", psc__wire_last_error());
    if (e == PSC_OK)
        *out = m;
    psc__arena_free(&ar);
    return e;
}

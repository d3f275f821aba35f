/*
 * Delta application: a new State tree whose lists point at entities of the
 * base or of the delta (nothing is deep-copied), packed into bytes. The
 * scaffolding (the new lists and the few containers that differ) lives in
 * an arena freed before returning, so the caller owns only the bytes.
 */
#include "wire/state_apply.h"
#include "peerscope/version.h"
#include "util/arena.h"
#include "util/idmap.h"

/* Map values: 1 + the index in the delta's list, or this for a removed key. */
#define REMOVED ((uintptr_t)-1)

typedef struct applier {
    const psc__alloc *a;
    psc__arena ar;
    psc__idmap map;
} applier;

typedef struct key {
    const uint8_t *p;
    size_t len;
} key;

/* The key of an item of a list; may allocate it in the arena. */
typedef psc_err (*key_fn)(psc__arena *ar, const void *item, key *out);

static psc_err conn_key(psc__arena *ar, const void *item, key *out)
{
    (void)ar;
    const Peerscope__Connection *c = item;
    out->p = c->id.data;
    out->len = c->id.len;
    return PSC_OK;
}

static psc_err str_key(const char *s, key *out)
{
    out->p = (const uint8_t *)(s ? s : "");
    out->len = strlen((const char *)out->p);
    return PSC_OK;
}

static psc_err topic_key(psc__arena *ar, const void *item, key *out)
{
    (void)ar;
    return str_key(((const Peerscope__PubSub__Topic *)item)->name, out);
}

static psc_err peer_key(psc__arena *ar, const void *item, key *out)
{
    (void)ar;
    return str_key(((const Peerscope__Peerstore__Peer *)item)->peer_id, out);
}

static psc_err kind_name_key(psc__arena *ar, int32_t kind, const char *name, key *out)
{
    size_t n = name ? strlen(name) : 0;
    uint8_t *k = psc__arena_bytes(ar, n + sizeof kind);
    if (!k)
        return PSC_ERR_NOMEM;
    memcpy(k, &kind, sizeof kind);
    if (n)
        memcpy(k + sizeof kind, name, n);
    out->p = k;
    out->len = n + sizeof kind;
    return PSC_OK;
}

static psc_err scope_key(psc__arena *ar, const void *item, key *out)
{
    const Peerscope__ResourceManager__Scope *s = item;
    return kind_name_key(ar, (int32_t)s->kind, s->name, out);
}

static psc_err cpl_key(psc__arena *ar, uint32_t cpl, key *out)
{
    uint8_t *k = psc__arena_bytes(ar, sizeof cpl);
    if (!k)
        return PSC_ERR_NOMEM;
    memcpy(k, &cpl, sizeof cpl);
    out->p = k;
    out->len = sizeof cpl;
    return PSC_OK;
}

static psc_err bucket_key(psc__arena *ar, const void *item, key *out)
{
    return cpl_key(ar, ((const Peerscope__DHT__Bucket *)item)->cpl, out);
}

/* Removed keys as the delta lists them. */
typedef struct removed {
    key *v;
    size_t n;
} removed;

static psc_err removed_new(psc__arena *ar, size_t n, removed *out)
{
    out->n = 0;
    out->v = psc__arena_alloc(ar, (n ? n : 1) * sizeof *out->v);
    return out->v ? PSC_OK : PSC_ERR_NOMEM;
}

/*
 * The keyed merge behind every list: base's items in their order, minus
 * the removed keys, each replaced by the delta's item of the same key;
 * then the delta's items with new keys, in the delta's order.
 */
static psc_err merge(applier *ap, void *const *base, size_t n_base, void *const *delta, size_t n_delta,
                     const removed *gone, key_fn kf, void ***out, size_t *n_out)
{
    psc_err e;
    if (n_base > SIZE_MAX / sizeof(void *) - n_delta)
        return PSC_ERR_NOMEM;
    void **v = psc__arena_alloc(&ap->ar, (n_base + n_delta ? n_base + n_delta : 1) * sizeof *v);
    bool *used = psc__arena_zalloc(&ap->ar, n_delta ? n_delta : 1);
    if (!v || !used)
        return PSC_ERR_NOMEM;
    psc__idmap_reset(&ap->map);
    for (size_t i = 0; i < n_delta; i++) {
        key k;
        if ((e = kf(&ap->ar, delta[i], &k)) != PSC_OK)
            return e;
        e = psc__idmap_put(ap->a, &ap->map, k.p, k.len, (void *)(uintptr_t)(i + 1));
        if (e != PSC_OK)
            return e == PSC_ERR_EXISTS ? PSC_ERR_PROTOCOL : e;
    }
    for (size_t i = 0; gone && i < gone->n; i++) {
        e = psc__idmap_put(ap->a, &ap->map, gone->v[i].p, gone->v[i].len, (void *)REMOVED);
        if (e != PSC_OK)
            return e == PSC_ERR_EXISTS ? PSC_ERR_PROTOCOL : e;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_base; i++) {
        key k;
        if ((e = kf(&ap->ar, base[i], &k)) != PSC_OK)
            return e;
        uintptr_t at = (uintptr_t)psc__idmap_get(&ap->map, k.p, k.len);
        if (at == REMOVED)
            continue;
        if (at && !used[at - 1]) {
            used[at - 1] = true;
            v[n++] = delta[at - 1];
        } else if (!at) {
            v[n++] = base[i];
        }
    }
    for (size_t i = 0; i < n_delta; i++)
        if (!used[i])
            v[n++] = delta[i];
    *out = v;
    *n_out = n;
    return PSC_OK;
}

static void *copy_of(psc__arena *ar, const void *src, size_t size)
{
    void *d = psc__arena_alloc(ar, size);
    if (d)
        memcpy(d, src, size);
    return d;
}

/* ---------------------------------------------------------------- DHTs */

static psc_err removed_cpls(applier *ap, const Peerscope__StateDelta *sd, uint32_t index, removed *out)
{
    size_t total = 0;
    for (size_t i = 0; i < sd->n_removed_buckets; i++)
        if (sd->removed_buckets[i]->dht == index)
            total += sd->removed_buckets[i]->n_cpls;
    psc_err e = removed_new(&ap->ar, total, out);
    for (size_t i = 0; e == PSC_OK && i < sd->n_removed_buckets; i++) {
        const Peerscope__StateDelta__RemovedBuckets *rb = sd->removed_buckets[i];
        for (size_t k = 0; e == PSC_OK && rb->dht == index && k < rb->n_cpls; k++)
            e = cpl_key(&ap->ar, rb->cpls[k], &out->v[out->n++]);
    }
    return e;
}

/* d's fields with its buckets patched onto base's (base may be NULL). */
static psc_err merge_dht(applier *ap, const Peerscope__DHT *base, const Peerscope__DHT *d,
                         const Peerscope__StateDelta *sd, uint32_t index, Peerscope__DHT **out)
{
    Peerscope__DHT *m = copy_of(&ap->ar, d, sizeof *d);
    removed gone;
    psc_err e = m ? removed_cpls(ap, sd, index, &gone) : PSC_ERR_NOMEM;
    if (e != PSC_OK)
        return e;
    void **v = NULL;
    e = merge(ap, base ? (void *const *)base->buckets : NULL, base ? base->n_buckets : 0, (void *const *)d->buckets,
              d->n_buckets, &gone, bucket_key, &v, &m->n_buckets);
    m->buckets = (Peerscope__DHT__Bucket **)v;
    *out = m;
    return e;
}

/* ---------------------------------------------------------- subsystems */

static psc_err removed_bytes(applier *ap, const ProtobufCBinaryData *ids, size_t n, removed *out)
{
    psc_err e = removed_new(&ap->ar, n, out);
    for (size_t i = 0; e == PSC_OK && i < n; i++)
        out->v[out->n++] = (key){ids[i].data, ids[i].len};
    return e;
}

static psc_err removed_strs(applier *ap, char *const *s, size_t n, removed *out)
{
    psc_err e = removed_new(&ap->ar, n, out);
    for (size_t i = 0; e == PSC_OK && i < n; i++)
        e = str_key(s[i], &out->v[out->n++]);
    return e;
}

static psc_err removed_scopes(applier *ap, const Peerscope__StateDelta *sd, removed *out)
{
    psc_err e = removed_new(&ap->ar, sd->n_removed_scopes, out);
    for (size_t i = 0; e == PSC_OK && i < sd->n_removed_scopes; i++)
        e = kind_name_key(&ap->ar, (int32_t)sd->removed_scopes[i]->kind, sd->removed_scopes[i]->name,
                          &out->v[out->n++]);
    return e;
}

static psc_err merge_conns(applier *ap, const Peerscope__Subsystems *b, const Peerscope__Subsystems *d,
                           const Peerscope__StateDelta *sd, Peerscope__Subsystems *m)
{
    removed gone;
    psc_err e = removed_bytes(ap, sd->removed_connections, sd->n_removed_connections, &gone);
    void **v = NULL;
    if (e == PSC_OK)
        e = merge(ap, b ? (void *const *)b->connections : NULL, b ? b->n_connections : 0,
                  (void *const *)d->connections, d->n_connections, &gone, conn_key, &v, &m->n_connections);
    m->connections = (Peerscope__Connection **)v;
    return e;
}

static psc_err merge_dhts(applier *ap, const Peerscope__Subsystems *b, const Peerscope__Subsystems *d,
                          const Peerscope__StateDelta *sd, Peerscope__Subsystems *m)
{
    psc_err e = PSC_OK;
    if (d->dht)
        e = merge_dht(ap, b ? b->dht : NULL, d->dht, sd, 0, &m->dht);
    if (e != PSC_OK || !d->n_additional_dhts)
        return e;
    m->additional_dhts = psc__arena_alloc(&ap->ar, d->n_additional_dhts * sizeof *m->additional_dhts);
    if (!m->additional_dhts)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; e == PSC_OK && i < d->n_additional_dhts; i++) {
        const Peerscope__DHT *old = b && i < b->n_additional_dhts ? b->additional_dhts[i] : NULL;
        e = merge_dht(ap, old, d->additional_dhts[i], sd, (uint32_t)(i + 1), &m->additional_dhts[i]);
    }
    return e;
}

static psc_err merge_pubsub(applier *ap, const Peerscope__PubSub *b, const Peerscope__PubSub *d,
                            const Peerscope__StateDelta *sd, Peerscope__PubSub **out)
{
    Peerscope__PubSub *m = copy_of(&ap->ar, d, sizeof *d);
    removed gone;
    psc_err e = m ? removed_strs(ap, sd->removed_topics, sd->n_removed_topics, &gone) : PSC_ERR_NOMEM;
    void **v = NULL;
    if (e == PSC_OK)
        e = merge(ap, b ? (void *const *)b->topics : NULL, b ? b->n_topics : 0, (void *const *)d->topics,
                  d->n_topics, &gone, topic_key, &v, &m->n_topics);
    if (e == PSC_OK) {
        m->topics = (Peerscope__PubSub__Topic **)v;
        *out = m;
    }
    return e;
}

static psc_err merge_peerstore(applier *ap, const Peerscope__Peerstore *b, const Peerscope__Peerstore *d,
                               const Peerscope__StateDelta *sd, Peerscope__Peerstore **out)
{
    Peerscope__Peerstore *m = copy_of(&ap->ar, d, sizeof *d);
    removed gone;
    psc_err e = m ? removed_strs(ap, sd->removed_peers, sd->n_removed_peers, &gone) : PSC_ERR_NOMEM;
    void **v = NULL;
    if (e == PSC_OK)
        e = merge(ap, b ? (void *const *)b->peers : NULL, b ? b->n_peers : 0, (void *const *)d->peers, d->n_peers,
                  &gone, peer_key, &v, &m->n_peers);
    if (e == PSC_OK) {
        m->peers = (Peerscope__Peerstore__Peer **)v;
        *out = m;
    }
    return e;
}

static psc_err merge_rcmgr(applier *ap, const Peerscope__ResourceManager *b, const Peerscope__ResourceManager *d,
                           const Peerscope__StateDelta *sd, Peerscope__ResourceManager **out)
{
    Peerscope__ResourceManager *m = copy_of(&ap->ar, d, sizeof *d);
    removed gone;
    psc_err e = m ? removed_scopes(ap, sd, &gone) : PSC_ERR_NOMEM;
    void **v = NULL;
    if (e == PSC_OK)
        e = merge(ap, b ? (void *const *)b->scopes : NULL, b ? b->n_scopes : 0, (void *const *)d->scopes,
                  d->n_scopes, &gone, scope_key, &v, &m->n_scopes);
    if (e == PSC_OK) {
        m->scopes = (Peerscope__ResourceManager__Scope **)v;
        *out = m;
    }
    return e;
}

/* Sections a delta carries whole (transports, dialer, ...) come with the copy of d. */
static psc_err merge_subsystems(applier *ap, const Peerscope__Subsystems *b, const Peerscope__Subsystems *d,
                                const Peerscope__StateDelta *sd, Peerscope__Subsystems **out)
{
    static const Peerscope__Subsystems empty = PEERSCOPE__SUBSYSTEMS__INIT;
    if (!d)
        d = &empty;
    Peerscope__Subsystems *m = copy_of(&ap->ar, d, sizeof *d);
    if (!m)
        return PSC_ERR_NOMEM;
    psc_err e = merge_conns(ap, b, d, sd, m);
    if (e == PSC_OK)
        e = merge_dhts(ap, b, d, sd, m);
    if (e == PSC_OK && d->pubsub)
        e = merge_pubsub(ap, b ? b->pubsub : NULL, d->pubsub, sd, &m->pubsub);
    if (e == PSC_OK && d->peerstore)
        e = merge_peerstore(ap, b ? b->peerstore : NULL, d->peerstore, sd, &m->peerstore);
    if (e == PSC_OK && d->resource_manager)
        e = merge_rcmgr(ap, b ? b->resource_manager : NULL, d->resource_manager, sd, &m->resource_manager);
    *out = m;
    return e;
}

/* ---------------------------------------------------------------- entry */

psc_err psc__state_pack(const psc__alloc *a, const Peerscope__State *st, uint8_t **out, size_t *out_len)
{
    if (!a || !st || !out || !out_len)
        return PSC_ERR_INVALID;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = (Peerscope__State *)st; /* only read */
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = psc__malloc(a, n);
    if (!buf)
        return PSC_ERR_NOMEM;
    peerscope__server_message__pack(&sm, buf);
    *out = buf;
    *out_len = n;
    return PSC_OK;
}

struct psc__state_merged {
    psc__arena ar; /* holds this struct: freeing it frees everything */
    Peerscope__State st;
};

/* The merged state into ap's arena (st there), the scaffolding left in ap. */
static psc_err merge_into(applier *ap, const Peerscope__State *base, const Peerscope__State *delta,
                          Peerscope__State *st)
{
    *st = *delta;
    st->delta = NULL;
    return merge_subsystems(ap, base->subsystems, delta->subsystems, delta->delta, &st->subsystems);
}

static psc_err check_args(const psc__alloc *a, const Peerscope__State *base, const Peerscope__State *delta)
{
    if (!a || !base || !delta || !delta->delta)
        return PSC_ERR_INVALID;
    if (base->delta || base->seq != delta->delta->base_seq)
        return PSC_ERR_STATE;
    return PSC_OK;
}

psc_err psc__state_merge(const psc__alloc *a, const Peerscope__State *base, const Peerscope__State *delta,
                         psc__state_merged **out)
{
    psc_err e = out ? check_args(a, base, delta) : PSC_ERR_INVALID;
    if (e != PSC_OK)
        return e;
    applier ap;
    memset(&ap, 0, sizeof ap);
    ap.a = a;
    if ((e = psc__arena_init(&ap.ar, a, NULL, 16384)) != PSC_OK)
        return e;
    psc__state_merged *m = psc__arena_zalloc(&ap.ar, sizeof *m);
    e = m ? merge_into(&ap, base, delta, &m->st) : PSC_ERR_NOMEM;
    psc__idmap_free(a, &ap.map);
    if (e != PSC_OK) {
        psc__arena_free(&ap.ar);
        return e;
    }
    m->ar = ap.ar;
    *out = m;
    return PSC_OK;
}

const Peerscope__State *psc__state_merged_state(const psc__state_merged *m)
{
    return m ? &m->st : NULL;
}

void psc__state_merged_free(psc__state_merged *m)
{
    if (m)
        psc__arena_free(&m->ar);
}

psc_err psc__state_apply(const psc__alloc *a, const Peerscope__State *base, const Peerscope__State *delta,
                         uint8_t **out, size_t *out_len)
{
    psc_err e = out && out_len ? check_args(a, base, delta) : PSC_ERR_INVALID;
    if (e != PSC_OK)
        return e;
    applier ap;
    memset(&ap, 0, sizeof ap);
    ap.a = a;
    if ((e = psc__arena_init(&ap.ar, a, NULL, 16384)) != PSC_OK)
        return e;
    Peerscope__State st;
    e = merge_into(&ap, base, delta, &st);
    if (e == PSC_OK)
        e = psc__state_pack(a, &st, out, out_len);
    psc__idmap_free(a, &ap.map);
    psc__arena_free(&ap.ar);
    return e;
}

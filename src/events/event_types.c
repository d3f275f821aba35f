/*
 * Declared event types: append-only, stable pointers, dense indexes.
 *
 * Declarations serialise on the store's lock; readers of the type list
 * (emit, the Runtime encoder, readers resolving a record's type) never
 * lock: a type is fully built before type_count is bumped with release.
 */
#include "events/event_store.h"

static bool valid_prop_type(psc_prop_type t)
{
    switch (t) {
    case PSC_PROP_STRING:
    case PSC_PROP_NUMBER:
    case PSC_PROP_TIME:
    case PSC_PROP_PEERID:
    case PSC_PROP_MULTIADDR:
    case PSC_PROP_JSON:
        return true;
    }
    return false;
}

/* Names end up in protobuf strings and JSON keys: non-empty UTF-8. */
static bool valid_name(const char *s)
{
    return s && *s && psc__utf8_valid(s, strlen(s));
}

static psc_err validate(const psc_event_def *def)
{
    if (!valid_name(def->name) || (def->n_props && !def->props))
        return PSC_ERR_INVALID;
    if (def->n_props > PSC__EVENTS_MAX_PROPS)
        return PSC_ERR_TOO_BIG;
    for (size_t i = 0; i < def->n_props; i++) {
        const psc_prop_def *p = &def->props[i];
        if (!valid_name(p->name) || !valid_prop_type(p->type))
            return PSC_ERR_INVALID;
        for (size_t j = 0; j < i; j++)
            if (strcmp(def->props[j].name, p->name) == 0)
                return PSC_ERR_INVALID;
    }
    return PSC_OK;
}

static bool same_def(const psc_event_type *t, const psc_event_def *def)
{
    if (t->n_props != def->n_props)
        return false;
    for (size_t i = 0; i < t->n_props; i++) {
        const psc_prop_def *a = &t->props[i], *b = &def->props[i];
        if (strcmp(a->name, b->name) != 0 || a->type != b->type || a->multiple != (b->multiple != 0))
            return false;
    }
    return true;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static psc_event_type *type_at(const psc__events *ev, size_t i)
{
    return ev->chunks[i >> PSC__TYPE_CHUNK_BITS][i & (PSC__TYPE_CHUNK - 1)];
}

/* Under lock. */
static psc_event_type *find_locked(const psc__events *ev, const char *name)
{
    if (!ev->name_index_cap)
        return NULL;
    size_t mask = ev->name_index_cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        uint32_t slot = ev->name_index[i];
        if (!slot)
            return NULL;
        psc_event_type *t = type_at(ev, slot - 1);
        if (strcmp(t->name, name) == 0)
            return t;
    }
}

static void index_insert(uint32_t *table, size_t cap, const psc_event_type *t)
{
    size_t mask = cap - 1;
    size_t i = name_hash(t->name) & mask;
    while (table[i])
        i = (i + 1) & mask;
    table[i] = t->index + 1;
}

/* Under lock: room for one more name at a load of at most one half. */
static psc_err index_reserve(psc__events *ev, size_t count)
{
    if ((count + 1) * 2 <= ev->name_index_cap)
        return PSC_OK;
    size_t cap = ev->name_index_cap ? ev->name_index_cap * 2 : 64;
    uint32_t *table = psc__calloc(&ev->alloc, cap, sizeof *table);
    if (!table)
        return PSC_ERR_NOMEM;
    for (size_t i = 0; i < count; i++)
        index_insert(table, cap, type_at(ev, i));
    psc__free(&ev->alloc, ev->name_index);
    ev->name_index = table;
    ev->name_index_cap = cap;
    return PSC_OK;
}

static bool add_size(size_t *total, size_t n)
{
    if (n > SIZE_MAX - *total)
        return false;
    *total += n;
    return true;
}

/* One block: the struct, props[], keys[], then every string. */
static psc_err build_type(psc__events *ev, const psc_event_def *def, uint32_t index, psc_event_type **out)
{
    size_t n = def->n_props;
    size_t total = sizeof(psc_event_type);
    size_t name_len = strlen(def->name);
    bool ok = add_size(&total, n * sizeof(psc_prop_def)) && add_size(&total, n * sizeof(psc__prop_key)) &&
              add_size(&total, name_len + 1);
    for (size_t i = 0; ok && i < n; i++) {
        size_t l = strlen(def->props[i].name);
        ok = add_size(&total, l + 1) && add_size(&total, psc__json_escaped_len(def->props[i].name, l)) &&
             add_size(&total, 4); /* , " " : */
    }
    if (!ok)
        return PSC_ERR_TOO_BIG;
    psc_event_type *t = psc__malloc(&ev->alloc, total);
    if (!t)
        return PSC_ERR_NOMEM;
    unsigned char *p = (unsigned char *)(t + 1);
    t->owner = ev;
    t->index = index;
    atomic_init(&t->emitted, 0);
    t->n_props = n;
    t->props = (psc_prop_def *)p;
    p += n * sizeof(psc_prop_def);
    t->keys = (psc__prop_key *)p;
    p += n * sizeof(psc__prop_key);
    char *s = (char *)p;
    memcpy(s, def->name, name_len + 1);
    t->name = s;
    t->name_len = name_len;
    s += name_len + 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(def->props[i].name);
        memcpy(s, def->props[i].name, l + 1);
        t->props[i].name = s;
        t->props[i].type = def->props[i].type;
        t->props[i].multiple = def->props[i].multiple != 0;
        s += l + 1;
        char *k = s;
        *s++ = ',';
        *s++ = '"';
        s = psc__json_escape(s, def->props[i].name, l);
        *s++ = '"';
        *s++ = ':';
        t->keys[i].text = k;
        t->keys[i].len = (size_t)(s - k);
    }
    t->pb_size_meta = psc__event_type_pb_measure(t, true);
    t->pb_size_bare = psc__event_type_pb_measure(t, false);
    *out = t;
    return PSC_OK;
}

static psc_err declare_locked(psc__events *ev, const psc_event_def *def, const psc_event_type **out)
{
    psc_event_type *t = find_locked(ev, def->name);
    if (t) {
        if (!same_def(t, def))
            return PSC_ERR_EXISTS;
        *out = t;
        return PSC_OK;
    }
    size_t count = atomic_load_explicit(&ev->type_count, memory_order_relaxed);
    if (count >= PSC__EVENTS_MAX_TYPES)
        return PSC_ERR_TOO_BIG;
    size_t chunk = count >> PSC__TYPE_CHUNK_BITS;
    if (!ev->chunks[chunk]) {
        ev->chunks[chunk] = psc__calloc(&ev->alloc, PSC__TYPE_CHUNK, sizeof(psc_event_type *));
        if (!ev->chunks[chunk])
            return PSC_ERR_NOMEM;
    }
    psc_err e = index_reserve(ev, count);
    if (e != PSC_OK)
        return e;
    e = build_type(ev, def, (uint32_t)count, &t);
    if (e != PSC_OK)
        return e;
    ev->chunks[chunk][count & (PSC__TYPE_CHUNK - 1)] = t;
    index_insert(ev->name_index, ev->name_index_cap, t);
    atomic_store_explicit(&ev->type_count, count + 1, memory_order_release);
    *out = t;
    return PSC_OK;
}

psc_err psc__events_declare(psc__events *ev, const psc_event_def *def, const psc_event_type **out)
{
    if (!ev || !def || !out)
        return PSC_ERR_INVALID;
    psc_err e = validate(def);
    if (e != PSC_OK)
        return e;
    pthread_mutex_lock(&ev->lock);
    e = declare_locked(ev, def, out);
    pthread_mutex_unlock(&ev->lock);
    return e;
}

psc_err psc__events_lookup(psc__events *ev, const char *name, const psc_event_type **out)
{
    if (!ev || !name || !out)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&ev->lock);
    psc_event_type *t = find_locked(ev, name);
    pthread_mutex_unlock(&ev->lock);
    if (!t)
        return PSC_ERR_NOT_FOUND;
    *out = t;
    return PSC_OK;
}

size_t psc__events_type_count(const psc__events *ev)
{
    return ev ? atomic_load_explicit(&ev->type_count, memory_order_acquire) : 0;
}

const psc_event_type *psc__events_type_at(const psc__events *ev, size_t i)
{
    if (i >= psc__events_type_count(ev))
        return NULL;
    return type_at(ev, i);
}

size_t psc__event_type_index(const psc_event_type *t)
{
    return t ? t->index : SIZE_MAX;
}

void psc__events_types_free(psc__events *ev)
{
    size_t count = atomic_load_explicit(&ev->type_count, memory_order_relaxed);
    for (size_t i = 0; i < count; i++)
        psc__free(&ev->alloc, type_at(ev, i));
    for (size_t c = 0; c < PSC__TYPE_CHUNKS; c++)
        psc__free(&ev->alloc, ev->chunks[c]);
    psc__free(&ev->alloc, ev->name_index);
}

const char *psc_event_type_name(const psc_event_type *type)
{
    return type ? type->name : NULL;
}

size_t psc_event_type_prop_count(const psc_event_type *type)
{
    return type ? type->n_props : 0;
}

const psc_prop_def *psc_event_type_prop(const psc_event_type *type, size_t i)
{
    return type && i < type->n_props ? &type->props[i] : NULL;
}

/*
 * The provider registry. A snapshot walks it by serial number, marking one
 * provider busy at a time and calling it without holding the lock, so a
 * provider may (un)register others from inside its collect. Unregistering
 * unlinks at once and then waits for the busy mark to clear, so collect is
 * never entered again once it returns; a collect that missed its deadline
 * holds a busy mark of its own until it returns (collector.c).
 */
#include <stddef.h>

#include "core/collector.h"
#include "core/records.h"

/* What every provider vtable starts with, read out of the caller's struct. */
typedef struct vt_common {
    const char *name;
    bool has_release;
    void (*release)(void *user);
} vt_common;

static psc_err add_provider(psc_introspector *intro, psc__kind kind, const vt_common *vt, void *user,
                            psc_provider *p, psc_provider **out)
{
    bool ok = true;
    p->name = psc__strdup(&intro->alloc, vt->name, &ok);
    if (!ok) {
        psc__free(&intro->alloc, p);
        return PSC_ERR_NOMEM;
    }
    p->intro = intro;
    p->kind = kind;
    p->user = user;
    p->release = vt->has_release ? vt->release : NULL;

    pthread_mutex_lock(&intro->reg_lock);
    if (kind == PSC__KIND_CUSTOM) {
        /* the name is the section's identity: two sections of one name would merge in clients */
        for (psc_provider *q = intro->first; q; q = q->next) {
            if (q->kind == PSC__KIND_CUSTOM && strcmp(q->name, p->name) == 0) {
                pthread_mutex_unlock(&intro->reg_lock);
                psc__free(&intro->alloc, p->name);
                psc__free(&intro->alloc, p);
                return PSC_ERR_EXISTS;
            }
        }
    }
    p->serial = intro->next_serial++;
    p->prev = intro->last;
    if (intro->last)
        intro->last->next = p;
    else
        intro->first = p;
    intro->last = p;
    intro->n_providers++;
    pthread_mutex_unlock(&intro->reg_lock);
    if (out)
        *out = p;
    return PSC_OK;
}

/*
 * The common part of every psc_register_*: vt must hold at least the
 * fields up to collect; release is read only if struct_size covers it.
 */
#define REGISTER(kind, vtype, member)                                                          \
    do {                                                                                       \
        if (!intro || !vt || vt->struct_size < PSC__END_OF(vtype, collect) || !vt->collect)    \
            return PSC_ERR_INVALID;                                                            \
        vt_common c = {vt->name, vt->struct_size >= PSC__END_OF(vtype, release), NULL};        \
        if (c.has_release)                                                                     \
            c.release = vt->release;                                                           \
        if ((kind) == PSC__KIND_CUSTOM && (!c.name || !c.name[0]))                             \
            return PSC_ERR_INVALID;                                                            \
        if (c.name && !psc__text_valid(c.name, strlen(c.name)))                                \
            return PSC_ERR_INVALID;                                                            \
        psc_provider *p = psc__calloc(&intro->alloc, 1, sizeof *p);                            \
        if (!p)                                                                                \
            return PSC_ERR_NOMEM;                                                              \
        p->collect.member = vt->collect;                                                       \
        return add_provider(intro, (kind), &c, user, p, out);                                  \
    } while (0)

psc_err psc_register_swarm(psc_introspector *intro, const psc_swarm_provider *vt, void *user, psc_provider **out)
{
    REGISTER(PSC__KIND_SWARM, psc_swarm_provider, swarm);
}

psc_err psc_register_dht(psc_introspector *intro, const psc_dht_provider *vt, void *user, psc_provider **out)
{
    REGISTER(PSC__KIND_DHT, psc_dht_provider, dht);
}

psc_err psc_register_pubsub(psc_introspector *intro, const psc_pubsub_provider *vt, void *user,
                            psc_provider **out)
{
    REGISTER(PSC__KIND_PUBSUB, psc_pubsub_provider, pubsub);
}

psc_err psc_register_peerstore(psc_introspector *intro, const psc_peerstore_provider *vt, void *user,
                               psc_provider **out)
{
    REGISTER(PSC__KIND_PEERSTORE, psc_peerstore_provider, peerstore);
}

psc_err psc_register_rcmgr(psc_introspector *intro, const psc_rcmgr_provider *vt, void *user, psc_provider **out)
{
    REGISTER(PSC__KIND_RCMGR, psc_rcmgr_provider, rcmgr);
}

psc_err psc_register_custom(psc_introspector *intro, const psc_custom_provider *vt, void *user,
                            psc_provider **out)
{
    REGISTER(PSC__KIND_CUSTOM, psc_custom_provider, custom);
}

/* [reg_lock] */
static void unlink_provider(psc_introspector *intro, psc_provider *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        intro->first = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        intro->last = p->prev;
    p->prev = p->next = NULL;
    intro->n_providers--;
}

static void destroy_provider(psc_introspector *intro, psc_provider *p)
{
    if (p->release)
        p->release(p->user);
    psc__free(&intro->alloc, p->name);
    psc__free(&intro->alloc, p);
}

psc_err psc_provider_unregister(psc_provider *p)
{
    if (!p)
        return PSC_ERR_INVALID;
    psc_introspector *intro = p->intro;
    pthread_mutex_lock(&intro->reg_lock);
    if (p->removed) {
        /* another thread is unregistering it right now */
        pthread_mutex_unlock(&intro->reg_lock);
        return PSC_ERR_STATE;
    }
    if (psc__collecting_here() == p) {
        /* waiting for ourselves would never end */
        pthread_mutex_unlock(&intro->reg_lock);
        return PSC_ERR_STATE;
    }
    p->removed = true;
    unlink_provider(intro, p);
    while (p->busy)
        pthread_cond_wait(&intro->reg_cond, &intro->reg_lock);
    pthread_mutex_unlock(&intro->reg_lock);
    destroy_provider(intro, p);
    return PSC_OK;
}

psc_provider *psc__registry_next(psc_introspector *intro, uint64_t after, uint64_t max, uint64_t *hung_since)
{
    pthread_mutex_lock(&intro->reg_lock);
    psc_provider *p = intro->first;
    while (p && p->serial <= after)
        p = p->next;
    if (p && p->serial <= max) {
        p->busy++;
        *hung_since = p->hung ? (p->hung_since_ms ? p->hung_since_ms : 1) : 0;
    } else {
        p = NULL;
    }
    pthread_mutex_unlock(&intro->reg_lock);
    return p;
}

static void done_locked(psc_introspector *intro, psc_provider *p)
{
    if (--p->busy == 0 && p->removed)
        pthread_cond_broadcast(&intro->reg_cond);
}

void psc__registry_done(psc_introspector *intro, psc_provider *p)
{
    pthread_mutex_lock(&intro->reg_lock);
    done_locked(intro, p);
    pthread_mutex_unlock(&intro->reg_lock);
}

void psc__registry_hang(psc_introspector *intro, psc_provider *p, uint64_t now_ms)
{
    pthread_mutex_lock(&intro->reg_lock);
    p->busy++;
    p->hung = true;
    p->hung_since_ms = now_ms;
    pthread_mutex_unlock(&intro->reg_lock);
}

void psc__registry_unhang(psc_introspector *intro, psc_provider *p)
{
    pthread_mutex_lock(&intro->reg_lock);
    p->hung = false;
    done_locked(intro, p);
    pthread_mutex_unlock(&intro->reg_lock);
}

void psc__registry_clear(psc_introspector *intro)
{
    for (;;) {
        pthread_mutex_lock(&intro->reg_lock);
        psc_provider *p = intro->first;
        if (p) {
            p->removed = true;
            unlink_provider(intro, p);
            while (p->busy)
                pthread_cond_wait(&intro->reg_cond, &intro->reg_lock);
        }
        pthread_mutex_unlock(&intro->reg_lock);
        if (!p)
            return;
        destroy_provider(intro, p);
    }
}

/*
 * Wake-ups for consumers of the ring.
 *
 * emit must stay cheap, so a listener is called only when it is armed, and
 * the call disarms it: one wake-up per drain of the consumer, however many
 * events arrive meanwhile. No lost wake-up: the consumer stores armed and
 * then reads the ring; emit stores the slot state and then reads armed.
 * All four are seq_cst, so at least one side sees the other's store.
 *
 * Removal: unlisten clears the listener's active bit and then waits for its
 * in_call counter to drain. emit raises in_call before it re-checks the
 * bit (both seq_cst), so once unlisten has seen in_call == 0 after clearing
 * the bit, no emit can call fn again. The slot stays reserved until then,
 * so a concurrent listen cannot overwrite fn under a running emit.
 */
#include <sched.h>

#include "events/event_store.h"

psc_err psc__events_listen(psc__events *ev, void (*fn)(void *user), void *user, psc__listener **out)
{
    if (!ev || !fn || !out)
        return PSC_ERR_INVALID;
    pthread_mutex_lock(&ev->lock);
    unsigned i = 0;
    while (i < PSC__EVENTS_MAX_LISTENERS && (ev->listen_used >> i & 1))
        i++;
    if (i == PSC__EVENTS_MAX_LISTENERS) {
        pthread_mutex_unlock(&ev->lock);
        return PSC_ERR_TOO_BIG;
    }
    struct psc__listener *l = &ev->listeners[i];
    ev->listen_used |= 1u << i;
    l->fn = fn;
    l->user = user;
    atomic_store(&l->armed, false);
    atomic_fetch_or(&ev->listen_active, 1u << i); /* publishes fn and user */
    pthread_mutex_unlock(&ev->lock);
    *out = l;
    return PSC_OK;
}

void psc__listener_arm(psc__listener *l)
{
    if (l)
        atomic_store(&l->armed, true);
}

void psc__events_unlisten(psc__events *ev, psc__listener *l)
{
    if (!ev || !l || l < ev->listeners || l >= ev->listeners + PSC__EVENTS_MAX_LISTENERS)
        return;
    unsigned bit = 1u << (unsigned)(l - ev->listeners);
    atomic_fetch_and(&ev->listen_active, ~bit);
    while (atomic_load(&l->in_call) != 0)
        sched_yield(); /* fn is short by contract */
    pthread_mutex_lock(&ev->lock);
    ev->listen_used &= ~bit;
    pthread_mutex_unlock(&ev->lock);
}

void psc__events_notify(psc__events *ev)
{
    unsigned active = atomic_load(&ev->listen_active);
    while (active) {
        unsigned i = (unsigned)__builtin_ctz(active);
        unsigned bit = 1u << i;
        active &= active - 1;
        struct psc__listener *l = &ev->listeners[i];
        /* plain load first: an exchange on every emit would bounce the line */
        if (!atomic_load(&l->armed))
            continue;
        atomic_fetch_add(&l->in_call, 1);
        if ((atomic_load(&ev->listen_active) & bit) && atomic_exchange(&l->armed, false))
            l->fn(l->user);
        atomic_fetch_sub_explicit(&l->in_call, 1, memory_order_release);
    }
}

/* The live feed of a live replay (core/relay.h). */
#include "wire/relay.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wire/msg.h"
#include "wire/state_apply.h"
#include "wire/timeline.h"

#define DEFAULT_KEEP_STATES 30u
#define DEFAULT_KEEP_EVENTS 10000u
#define MAX_TYPES 4096u

typedef struct rl_state {
    psc_msg *msg;
    uint64_t ts;
} rl_state;

typedef struct rl_event {
    psc_msg *msg;
    uint64_t seq;
    uint32_t type;
    bool meta;
} rl_event;

typedef struct rl_type {
    char *name;
    psc_msg *meta;        /* the newest event of the type that carried its metadata; NULL: none */
} rl_type;

struct psc__relay {
    psc__alloc a;
    pthread_mutex_t lock;
    void (*wake)(void *user);
    void *wake_user;

    rl_state *states;     /* ring of keep_states */
    size_t keep_states, st_head, st_n;
    uint64_t st_pos;      /* position of the newest state (states_added) */
    rl_event *events;     /* ring of keep_events */
    size_t keep_events, ev_head, ev_n;
    uint64_t ev_end;      /* position the next event gets */
    uint64_t run, run_first;
    uint64_t last_ts;

    rl_type *types;
    size_t n_types, types_cap;
    psc_msg *runtime;     /* as served: with the "at_ts" capability */
    /* The newest full state, decoded: the base the next delta applies to. */
    Peerscope__ServerMessage *base;
    uint64_t bytes;       /* payloads held (states, events, runtime, metadata carriers) */
    uint64_t deltas, runtimes, skipped, runs;
};

static uint64_t msg_bytes(const psc_msg *m)
{
    size_t n = 0;
    if (m)
        psc_msg_payload(m, &n);
    return n;
}

psc_err psc__relay_new(const psc__alloc *a, size_t keep_states, size_t keep_events, psc__relay **out)
{
    psc__relay *rl = psc__calloc(a, 1, sizeof *rl);
    if (!rl)
        return PSC_ERR_NOMEM;
    rl->a = *a;
    rl->keep_states = keep_states ? keep_states : DEFAULT_KEEP_STATES;
    rl->keep_events = keep_events ? keep_events : DEFAULT_KEEP_EVENTS;
    rl->states = psc__calloc(a, rl->keep_states, sizeof *rl->states);
    rl->events = psc__calloc(a, rl->keep_events, sizeof *rl->events);
    if (!rl->states || !rl->events || pthread_mutex_init(&rl->lock, NULL)) {
        psc__free(a, rl->states);
        psc__free(a, rl->events);
        psc__free(a, rl);
        return PSC_ERR_NOMEM;
    }
    *out = rl;
    return PSC_OK;
}

static void drop_base(psc__relay *rl)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&rl->a, &pa);
    if (rl->base)
        peerscope__server_message__free_unpacked(rl->base, &pa);
    rl->base = NULL;
}

/* Empty the window (under the lock). */
static void clear(psc__relay *rl)
{
    for (size_t i = 0; i < rl->st_n; i++) {
        rl_state *st = &rl->states[(rl->st_head + i) % rl->keep_states];
        rl->bytes -= msg_bytes(st->msg);
        psc_msg_unref(st->msg);
    }
    rl->st_head = rl->st_n = 0;
    for (size_t i = 0; i < rl->ev_n; i++) {
        rl_event *ev = &rl->events[(rl->ev_head + i) % rl->keep_events];
        rl->bytes -= msg_bytes(ev->msg);
        psc_msg_unref(ev->msg);
    }
    rl->ev_head = rl->ev_n = 0;
    drop_base(rl);
    rl->last_ts = 0;
}

void psc__relay_free(psc__relay *rl)
{
    if (!rl)
        return;
    clear(rl);
    for (size_t i = 0; i < rl->n_types; i++) {
        psc__free(&rl->a, rl->types[i].name);
        psc_msg_unref(rl->types[i].meta);
    }
    psc__free(&rl->a, rl->types);
    psc_msg_unref(rl->runtime);
    pthread_mutex_destroy(&rl->lock);
    psc__alloc a = rl->a;
    psc__free(&a, rl->states);
    psc__free(&a, rl->events);
    psc__free(&a, rl);
}

void psc__relay_set_wake(psc__relay *rl, void (*fn)(void *user), void *user)
{
    pthread_mutex_lock(&rl->lock);
    rl->wake = fn;
    rl->wake_user = user;
    pthread_mutex_unlock(&rl->lock);
}

static void wake(psc__relay *rl)
{
    pthread_mutex_lock(&rl->lock);
    void (*fn)(void *) = rl->wake;
    void *user = rl->wake_user;
    pthread_mutex_unlock(&rl->lock);
    if (fn)
        fn(user);
}

static void say(char *why, size_t why_len, const char *what)
{
    if (why && why_len)
        snprintf(why, why_len, "%s", what);
}

/* The time a message is held at: its own, or its predecessor's when it has none or goes back. */
static uint64_t hold_ts(psc__relay *rl, uint64_t ts)
{
    if (ts < rl->last_ts)
        ts = rl->last_ts;
    return rl->last_ts = ts;
}

/*
 * A state, made whole without the lock (the producer is the only writer
 * of base), then put in the window. sm is taken over.
 */
static psc_err add_state(psc__relay *rl, Peerscope__ServerMessage *sm, const uint8_t *payload, size_t len,
                         uint64_t ts, char *why, size_t why_len)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&rl->a, &pa);
    psc_msg *m = NULL;
    psc_err e;
    Peerscope__ServerMessage *full = sm;
    bool delta = sm->state->delta != NULL;
    if (delta) {
        if (!rl->base) {
            say(why, why_len, "a delta state with no full state before it");
            peerscope__server_message__free_unpacked(sm, &pa);
            return PSC_ERR_STATE;
        }
        uint8_t *buf = NULL;
        size_t n = 0;
        e = psc__state_apply(&rl->a, rl->base->state, sm->state, &buf, &n);
        peerscope__server_message__free_unpacked(sm, &pa);
        if (e != PSC_OK) {
            char w[160];
            snprintf(w, sizeof w, "a delta state that does not apply to the state before it: %s", psc_strerror(e));
            say(why, why_len, w);
            return e == PSC_ERR_NOMEM ? e : PSC_ERR_STATE;
        }
        full = peerscope__server_message__unpack(&pa, n, buf);
        e = full ? psc__timeline_msg_from(&rl->a, PSC_MSG_STATE, buf, n, &m) : PSC_ERR_NOMEM;
        psc__free(&rl->a, buf);
        if (e != PSC_OK) {
            if (full)
                peerscope__server_message__free_unpacked(full, &pa);
            return e;
        }
    } else if ((e = psc__timeline_msg_from(&rl->a, PSC_MSG_STATE, payload, len, &m)) != PSC_OK) {
        peerscope__server_message__free_unpacked(sm, &pa);
        return e;
    }
    uint64_t t = ts ? ts : full->state->instant_ts;
    pthread_mutex_lock(&rl->lock);
    if (rl->st_n == rl->keep_states) {
        rl_state *old = &rl->states[rl->st_head];
        rl->bytes -= msg_bytes(old->msg);
        psc_msg_unref(old->msg);
        rl->st_head = (rl->st_head + 1) % rl->keep_states;
        rl->st_n--;
    }
    rl->states[(rl->st_head + rl->st_n++) % rl->keep_states] = (rl_state){.msg = m, .ts = hold_ts(rl, t)};
    rl->bytes += msg_bytes(m);
    rl->st_pos++;
    rl->deltas += delta;
    Peerscope__ServerMessage *old_base = rl->base;
    rl->base = full;
    pthread_mutex_unlock(&rl->lock);
    if (old_base)
        peerscope__server_message__free_unpacked(old_base, &pa);
    return PSC_OK;
}

/* The index of the type called name, added when new (under the lock); SIZE_MAX when out of memory. */
static size_t type_index(psc__relay *rl, const char *name)
{
    for (size_t i = 0; i < rl->n_types; i++)
        if (strcmp(rl->types[i].name, name) == 0)
            return i;
    if (rl->n_types >= MAX_TYPES)
        return SIZE_MAX; /* a node inventing names must not grow the table without bound */
    if (rl->n_types == rl->types_cap) {
        size_t cap = rl->types_cap ? rl->types_cap * 2 : 16;
        rl_type *t = psc__malloc(&rl->a, cap * sizeof *t);
        if (!t)
            return SIZE_MAX;
        if (rl->n_types)
            memcpy(t, rl->types, rl->n_types * sizeof *t);
        psc__free(&rl->a, rl->types);
        rl->types = t;
        rl->types_cap = cap;
    }
    bool ok = true;
    char *copy = psc__strdup(&rl->a, name, &ok);
    if (!ok)
        return SIZE_MAX;
    rl->types[rl->n_types] = (rl_type){.name = copy};
    return rl->n_types++;
}

static psc_err add_event(psc__relay *rl, const Peerscope__Event *ev, const uint8_t *payload, size_t len,
                         uint64_t ts, char *why, size_t why_len)
{
    if (!ev->type || !ev->type->name || !ev->type->name[0]) {
        say(why, why_len, "an event without a type name");
        return PSC_ERR_PROTOCOL;
    }
    psc_msg *m = NULL;
    psc_err e = psc__timeline_msg_from(&rl->a, PSC_MSG_EVENT, payload, len, &m);
    if (e != PSC_OK)
        return e;
    bool meta = ev->type->n_property_types > 0;
    pthread_mutex_lock(&rl->lock);
    size_t t = type_index(rl, ev->type->name);
    if (t == SIZE_MAX) {
        bool full = rl->n_types >= MAX_TYPES;
        pthread_mutex_unlock(&rl->lock);
        psc_msg_unref(m);
        if (!full)
            return PSC_ERR_NOMEM;
        say(why, why_len, "an event of a new type past the 4096 types a relay holds");
        return PSC_ERR_TOO_BIG;
    }
    if (meta) {
        /* the newest carrier: the metadata of the node's current run */
        rl->bytes -= msg_bytes(rl->types[t].meta);
        psc_msg_unref(rl->types[t].meta);
        rl->types[t].meta = psc_msg_ref(m);
        rl->bytes += msg_bytes(m);
    }
    if (rl->ev_n == rl->keep_events) {
        rl_event *old = &rl->events[rl->ev_head];
        rl->bytes -= msg_bytes(old->msg);
        psc_msg_unref(old->msg);
        rl->ev_head = (rl->ev_head + 1) % rl->keep_events;
        rl->ev_n--;
    }
    rl->events[(rl->ev_head + rl->ev_n++) % rl->keep_events] =
        (rl_event){.msg = m, .seq = ev->seq, .type = (uint32_t)t, .meta = meta};
    rl->bytes += msg_bytes(m);
    rl->ev_end++;
    (void)hold_ts(rl, ts ? ts : ev->ts);
    pthread_mutex_unlock(&rl->lock);
    return PSC_OK;
}

static psc_err add_runtime(psc__relay *rl, const uint8_t *payload, size_t len)
{
    psc_msg *raw = NULL, *m = NULL;
    psc_err e = psc__timeline_msg_from(&rl->a, PSC_MSG_RUNTIME, payload, len, &raw);
    if (e == PSC_OK)
        e = psc__replay_runtime_msg(&rl->a, raw, NULL, &m);
    psc_msg_unref(raw);
    if (e != PSC_OK)
        return e;
    pthread_mutex_lock(&rl->lock);
    psc_msg *old = rl->runtime;
    rl->bytes += msg_bytes(m);
    rl->bytes -= msg_bytes(old);
    rl->runtime = m;
    rl->runtimes++;
    pthread_mutex_unlock(&rl->lock);
    psc_msg_unref(old);
    return PSC_OK;
}

psc_err psc__relay_add(psc__relay *rl, const uint8_t *payload, size_t len, uint64_t ts, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = '\0';
    ProtobufCAllocator pa;
    psc__alloc_protobuf(&rl->a, &pa);
    Peerscope__ServerMessage *sm = NULL;
    psc_err e = psc__timeline_unpack(&rl->a, payload, len, &sm);
    if (e != PSC_OK) {
        say(why, why_len, e == PSC_ERR_NOMEM ? "out of memory" : "not a valid ServerMessage");
        return e;
    }
    switch (sm->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        e = add_state(rl, sm, payload, len, ts, why, why_len); /* takes sm */
        sm = NULL;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        e = add_event(rl, sm->event, payload, len, ts, why, why_len);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        e = add_runtime(rl, payload, len);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        pthread_mutex_lock(&rl->lock);
        rl->skipped++;
        pthread_mutex_unlock(&rl->lock);
        break;
    default:
        say(why, why_len, "a ServerMessage without a payload");
        e = PSC_ERR_PROTOCOL;
        break;
    }
    if (sm)
        peerscope__server_message__free_unpacked(sm, &pa);
    if (e == PSC_OK)
        wake(rl);
    return e;
}

bool psc__relay_type_has_meta(psc__relay *rl, const char *name)
{
    pthread_mutex_lock(&rl->lock);
    bool has = false;
    for (size_t i = 0; i < rl->n_types && !has; i++)
        has = strcmp(rl->types[i].name, name) == 0 && rl->types[i].meta;
    pthread_mutex_unlock(&rl->lock);
    return has;
}

void psc__relay_new_run(psc__relay *rl)
{
    pthread_mutex_lock(&rl->lock);
    clear(rl);
    rl->run++;
    rl->runs++;
    rl->run_first = rl->ev_end;
    pthread_mutex_unlock(&rl->lock);
    wake(rl);
}

psc_err psc__relay_runtime(psc__relay *rl, psc_msg **out)
{
    pthread_mutex_lock(&rl->lock);
    psc_msg *m = psc_msg_ref(rl->runtime);
    pthread_mutex_unlock(&rl->lock);
    if (m) {
        *out = m;
        return PSC_OK;
    }
    return psc__replay_runtime_msg(&rl->a, NULL, NULL, out);
}

psc_err psc__relay_state(psc__relay *rl, psc_msg **out, uint64_t *pos)
{
    pthread_mutex_lock(&rl->lock);
    psc_msg *m = rl->st_n ? psc_msg_ref(rl->states[(rl->st_head + rl->st_n - 1) % rl->keep_states].msg) : NULL;
    if (pos)
        *pos = rl->st_pos;
    pthread_mutex_unlock(&rl->lock);
    if (!m)
        return PSC_ERR_NOT_FOUND;
    *out = m;
    return PSC_OK;
}

psc_err psc__relay_state_at(psc__relay *rl, uint64_t ts, psc_msg **out, uint64_t *oldest, uint64_t *newest)
{
    psc_err e = PSC_ERR_NOT_FOUND;
    pthread_mutex_lock(&rl->lock);
    if (rl->st_n) {
        *oldest = rl->states[rl->st_head].ts;
        *newest = rl->states[(rl->st_head + rl->st_n - 1) % rl->keep_states].ts;
        e = PSC_ERR_INVALID;
        if (ts >= *oldest && ts <= *newest) {
            size_t i = rl->st_n;
            while (i > 1 && rl->states[(rl->st_head + i - 1) % rl->keep_states].ts > ts)
                i--;
            *out = psc_msg_ref(rl->states[(rl->st_head + i - 1) % rl->keep_states].msg);
            e = PSC_OK;
        }
    }
    pthread_mutex_unlock(&rl->lock);
    return e;
}

void psc__relay_events(psc__relay *rl, psc__relay_window *w)
{
    pthread_mutex_lock(&rl->lock);
    w->end = rl->ev_end;
    w->first = rl->ev_end - rl->ev_n;
    w->run = rl->run;
    w->run_first = rl->run_first;
    pthread_mutex_unlock(&rl->lock);
}

psc_err psc__relay_event(psc__relay *rl, uint64_t pos, bool (*need_meta)(void *user, uint32_t type), void *user,
                         psc_msg **out, uint32_t *type, bool *meta)
{
    pthread_mutex_lock(&rl->lock);
    uint64_t first = rl->ev_end - rl->ev_n;
    if (pos < first || pos >= rl->ev_end) {
        pthread_mutex_unlock(&rl->lock);
        return PSC_ERR_NOT_FOUND;
    }
    const rl_event *ev = &rl->events[(rl->ev_head + (size_t)(pos - first)) % rl->keep_events];
    psc_msg *m = psc_msg_ref(ev->msg);
    bool need = need_meta(user, ev->type);
    psc_msg *carrier = need && !ev->meta ? psc_msg_ref(rl->types[ev->type].meta) : NULL;
    *type = ev->type;
    *meta = need && (ev->meta || carrier);
    pthread_mutex_unlock(&rl->lock);
    if (!carrier) {
        *out = m;
        return PSC_OK;
    }
    /* re-encoded outside the lock: the producer never waits for it */
    psc_err e = psc__event_graft_meta(&rl->a, m, carrier, out);
    psc_msg_unref(m);
    psc_msg_unref(carrier);
    return e;
}

uint64_t psc__relay_resume_at(psc__relay *rl, uint64_t after_seq, uint64_t *lost)
{
    pthread_mutex_lock(&rl->lock);
    uint64_t first = rl->ev_end - rl->ev_n, at = rl->ev_end;
    *lost = 0;
    if (rl->ev_n) {
        uint64_t oldest = rl->events[rl->ev_head].seq;
        uint64_t newest = rl->events[(rl->ev_head + rl->ev_n - 1) % rl->keep_events].seq;
        if (after_seq > newest) {
            /* the client saw another run of the node: all of this one is new to it */
            at = first;
            if (oldest > 1)
                *lost = oldest - 1;
        } else {
            size_t i = 0;
            while (i < rl->ev_n && rl->events[(rl->ev_head + i) % rl->keep_events].seq <= after_seq)
                i++;
            at = first + i;
            if (oldest > after_seq + 1)
                *lost = oldest - after_seq - 1;
        }
    }
    pthread_mutex_unlock(&rl->lock);
    return at;
}

void psc__relay_counts_get(psc__relay *rl, psc__relay_counts *out)
{
    pthread_mutex_lock(&rl->lock);
    psc__relay_counts c = {
        .states_held = rl->st_n,
        .events_held = rl->ev_n,
        .bytes_held = rl->bytes,
        .states_added = rl->st_pos,
        .deltas = rl->deltas,
        .events_added = rl->ev_end,
        .runtimes = rl->runtimes,
        .skipped = rl->skipped,
        .runs = rl->runs,
        .event_types = rl->n_types,
    };
    if (rl->ev_n) {
        c.first_seq = rl->events[rl->ev_head].seq;
        c.last_seq = rl->events[(rl->ev_head + rl->ev_n - 1) % rl->keep_events].seq;
    }
    if (rl->st_n)
        c.start_ts = rl->states[rl->st_head].ts;
    c.end_ts = rl->st_n || rl->ev_n ? rl->last_ts : 0;
    pthread_mutex_unlock(&rl->lock);
    *out = c;
}

/* A recording served by an introspector's endpoints (peerscope/replay.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/introspector.h"
#include "events/events.h"
#include "wire/relay.h"
#include "util/json.h"
#include "wire/msg.h"
#include "wire/timeline.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/event.h"
#include "peerscope/replay.h"
#include "peerscope/version.h"

#define MAX_SPEED 1e6

struct psc_replay {
    psc__alloc a;
    psc__timeline *tl;
    psc__replay_source src;       /* what sessions read once served */
    char *source, *node;
    bool served;
    psc__relay *live;             /* live mode: the feed, instead of tl */
};

psc_err psc_replay_new(const psc_replay_options *opt, psc_replay **out)
{
    psc_replay_options o = PSC_REPLAY_OPTIONS_INIT;
    if (!out)
        return PSC_ERR_INVALID;
    if (opt) {
        if (opt->struct_size < offsetof(psc_replay_options, node) + sizeof(opt->node))
            return PSC_ERR_INVALID;
        memcpy(&o, opt, sizeof o < opt->struct_size ? sizeof o : opt->struct_size);
    }
    if (isnan(o.speed) || o.speed < 0 || o.speed > MAX_SPEED)
        return PSC_ERR_INVALID;
    psc__alloc a;
    psc__alloc_init(&a, o.allocator);
    psc_replay *r = psc__calloc(&a, 1, sizeof *r);
    if (!r)
        return PSC_ERR_NOMEM;
    r->a = a;
    bool ok = true;
    r->source = psc__strdup(&a, o.source ? o.source : "", &ok);
    r->node = psc__strdup(&a, o.node ? o.node : "", &ok);
    if (ok && o.live && psc__relay_new(&a, o.keep_states, o.keep_events, &r->live) != PSC_OK)
        ok = false;
    if (!ok || psc__timeline_new(&a, &r->tl) != PSC_OK) {
        psc__relay_free(r->live);
        psc__free(&a, r->source);
        psc__free(&a, r->node);
        psc__free(&a, r);
        return PSC_ERR_NOMEM;
    }
    r->src.speed = o.max_speed ? 0 : (o.speed > 0 ? o.speed : 1.0);
    r->src.start_ts = o.start_ts;
    r->src.start_offset_ms = o.start_offset_ms;
    r->src.loop = o.loop;
    r->src.live = r->live;
    *out = r;
    return PSC_OK;
}

static void replay_destroy(psc_replay *r)
{
    psc__alloc a = r->a;
    psc__timeline_free(r->tl);
    psc__relay_free(r->live);
    psc_msg_unref(r->src.runtime);
    psc__free(&a, r->source);
    psc__free(&a, r->node);
    psc__free(&a, r);
}

void psc_replay_free(psc_replay *r)
{
    if (r && !r->served)
        replay_destroy(r);
}

typedef struct load_ctx {
    psc_replay_report_fn fn;
    void *user;
} load_ctx;

static bool relay(void *user, const psc__tl_problem *p)
{
    const load_ctx *c = user;
    if (!c->fn)
        return true;
    psc_replay_problem q = {.offset = p->offset, .index = p->index, .err = p->err, .fatal = p->fatal};
    memcpy(q.what, p->what, sizeof q.what);
    return c->fn(c->user, &q);
}

psc_err psc_replay_load(psc_replay *r, const uint8_t *data, size_t len, psc_replay_report_fn fn, void *user)
{
    if (!r || (!data && len))
        return PSC_ERR_INVALID;
    if (r->served || r->live)
        return PSC_ERR_CLOSED;
    load_ctx c = {fn, user};
    return psc__timeline_load(r->tl, data, len, relay, &c);
}

psc_err psc_replay_add_message(psc_replay *r, const uint8_t *payload, size_t len, uint64_t ts, char *why,
                               size_t why_len)
{
    if (!r || (!payload && len))
        return PSC_ERR_INVALID;
    /* live: served is the serving thread's; the producer may add at any time */
    if (r->live)
        return psc__relay_add(r->live, payload, len, ts, why, why_len);
    if (r->served)
        return PSC_ERR_CLOSED;
    return psc__timeline_add(r->tl, payload, len, ts, why, why_len);
}

#define MAX_PROPS 4096u

static psc_err refuse(char *why, size_t why_len, const char *what)
{
    if (why && why_len)
        snprintf(why, why_len, "%s", what);
    return PSC_ERR_INVALID;
}

psc_err psc_replay_add_event(psc_replay *r, const psc_event_def *type, uint64_t ts, uint64_t seq,
                             const char *content, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = '\0';
    if (!r || !type)
        return refuse(why, why_len, "no replay or no type");
    if (!r->live && r->served)
        return PSC_ERR_CLOSED;
    if (!type->name || !type->name[0])
        return refuse(why, why_len, "an event type without a name");
    if (type->n_props > MAX_PROPS || (type->n_props && !type->props))
        return refuse(why, why_len, "an event type with too many properties (at most 4096), or none given");
    if (!content)
        content = "{}";
    if (!psc__json_valid(content, strlen(content)))
        return refuse(why, why_len, "event content that is not valid JSON");

    /* the metadata goes with the first event of the type only, as a live node sends it */
    bool meta = type->n_props && !(r->live ? psc__relay_type_has_meta(r->live, type->name)
                                           : psc__timeline_type_has_meta(r->tl, type->name));
    Peerscope__EventType__EventProperty *props = NULL, **ptrs = NULL;
    if (meta) {
        props = psc__calloc(&r->a, type->n_props, sizeof *props);
        ptrs = psc__calloc(&r->a, type->n_props, sizeof *ptrs);
        if (!props || !ptrs) {
            psc__free(&r->a, props);
            psc__free(&r->a, ptrs);
            return PSC_ERR_NOMEM;
        }
        for (size_t i = 0; i < type->n_props; i++) {
            if (!type->props[i].name || !type->props[i].name[0]) {
                psc__free(&r->a, props);
                psc__free(&r->a, ptrs);
                return refuse(why, why_len, "an event property without a name");
            }
            peerscope__event_type__event_property__init(&props[i]);
            props[i].name = (char *)type->props[i].name;
            props[i].type = (Peerscope__EventType__EventProperty__PropertyType)type->props[i].type;
            props[i].has_multiple = type->props[i].multiple;
            ptrs[i] = &props[i];
        }
    }
    Peerscope__EventType et = PEERSCOPE__EVENT_TYPE__INIT;
    et.name = (char *)type->name;
    et.n_property_types = meta ? type->n_props : 0;
    et.property_types = ptrs;
    Peerscope__Event ev = PEERSCOPE__EVENT__INIT;
    ev.type = &et;
    ev.ts = ts;
    ev.seq = seq;
    ev.content = (char *)content;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = PSC_PROTOCOL_VERSION;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.version = &v;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    sm.event = &ev;
    size_t n = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = psc__malloc(&r->a, n ? n : 1);
    psc_err e = PSC_ERR_NOMEM;
    if (buf) {
        peerscope__server_message__pack(&sm, buf);
        e = r->live ? psc__relay_add(r->live, buf, n, ts, why, why_len)
                    : psc__timeline_add(r->tl, buf, n, ts, why, why_len);
        psc__free(&r->a, buf);
    }
    psc__free(&r->a, props);
    psc__free(&r->a, ptrs);
    return e;
}

/* Times as served: a timeline not sealed yet is measured the way the seal will. */
static void times(const psc_replay *r, uint64_t *start, uint64_t *end)
{
    size_t n = psc__timeline_count(r->tl);
    *start = *end = 0;
    for (size_t i = 0; i < n && !*start; i++)
        *start = psc__timeline_item(r->tl, i)->ts;
    if (n)
        *end = psc__timeline_item(r->tl, n - 1)->ts;
}

psc_err psc_replay_info_get(const psc_replay *r, psc_replay_info *out)
{
    if (!r || !out || out->struct_size < offsetof(psc_replay_info, event_types) + sizeof(out->event_types))
        return PSC_ERR_INVALID;
    psc_replay_info i = {.struct_size = sizeof i};
    if (r->live) {
        psc__relay_counts lc;
        psc__relay_counts_get(r->live, &lc);
        i.start_ts = lc.start_ts;
        i.end_ts = lc.end_ts;
        i.states = lc.states_held;
        i.deltas = lc.deltas;
        i.events = lc.events_held;
        i.runtimes = lc.runtimes;
        i.skipped = lc.skipped;
        i.event_types = lc.event_types;
        memcpy(out, &i, sizeof i);
        return PSC_OK;
    }
    psc__tl_counts c;
    psc__timeline_counts(r->tl, &c);
    times(r, &i.start_ts, &i.end_ts);
    i.states = c.states;
    i.deltas = c.deltas;
    i.events = c.events;
    i.runtimes = c.runtimes;
    i.skipped = c.skipped;
    i.problems = c.problems;
    i.event_types = psc__timeline_type_count(r->tl);
    memcpy(out, &i, sizeof i);
    return PSC_OK;
}

psc_err psc__replay_runtime_msg(const psc__alloc *a, const psc_msg *rec, const Peerscope__Recording *info,
                                psc_msg **out)
{
    ProtobufCAllocator pa;
    psc__alloc_protobuf(a, &pa);
    Peerscope__ServerMessage *sm = NULL;
    if (rec) {
        size_t n;
        const uint8_t *p = psc_msg_payload(rec, &n);
        if (!(sm = peerscope__server_message__unpack(&pa, n, p)))
            return PSC_ERR_NOMEM; /* the timeline and the relay checked it decodes */
    }
    Peerscope__ServerMessage fresh = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Version version = PEERSCOPE__VERSION__INIT;
    Peerscope__Runtime empty = PEERSCOPE__RUNTIME__INIT;
    Peerscope__ServerMessage *m = sm;
    if (!m) {
        version.version = PSC_PROTOCOL_VERSION;
        fresh.version = &version;
        fresh.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
        fresh.runtime = &empty;
        m = &fresh;
    }
    Peerscope__Runtime *rt = m->runtime;

    /* Borrowed for the pack, put back before the free. */
    Peerscope__Recording *own_rec = rt->recording;
    char **own_caps = rt->capabilities;
    size_t own_n = rt->n_capabilities;
    bool has = false;
    for (size_t i = 0; i < own_n; i++)
        has = has || strcmp(own_caps[i], "at_ts") == 0;
    char *caps_buf[64];
    char at_ts[] = "at_ts";
    if (!has && own_n < 63) {
        for (size_t i = 0; i < own_n; i++)
            caps_buf[i] = own_caps[i];
        caps_buf[own_n] = at_ts;
        rt->capabilities = caps_buf;
        rt->n_capabilities = own_n + 1;
    }
    /* a live relay says nothing of a recording, whatever its node sent */
    rt->recording = (Peerscope__Recording *)info;

    size_t n = peerscope__server_message__get_packed_size(m);
    psc_msg *msg = NULL;
    psc_err e = psc__msg_new(a, PSC_MSG_RUNTIME, n, &msg);
    if (e == PSC_OK) {
        peerscope__server_message__pack(m, psc__msg_payload_mut(msg));
        psc__msg_seal(msg);
        *out = msg;
    }
    rt->recording = own_rec;
    rt->capabilities = own_caps;
    rt->n_capabilities = own_n;
    if (sm)
        peerscope__server_message__free_unpacked(sm, &pa);
    return e;
}

/*
 * The Runtime every session's REQUEST RUNTIME gets: the recorded one (or
 * an empty one when the recording has none) with Runtime.recording and
 * the "at_ts" capability added.
 */
static psc_err build_runtime(psc_replay *r, psc_msg **out)
{
    psc__tl_counts c;
    psc__timeline_counts(r->tl, &c);
    Peerscope__Recording info = PEERSCOPE__RECORDING__INIT;
    info.start_ts = psc__timeline_start_ts(r->tl);
    info.end_ts = psc__timeline_end_ts(r->tl);
    info.speed = r->src.speed;
    info.loop = r->src.loop;
    info.source = r->source;
    info.node = r->node;
    info.state_count = c.states;
    info.event_count = c.events;
    return psc__replay_runtime_msg(&r->a, psc__timeline_runtime(r->tl), &info, out);
}

static void live_wake(void *user)
{
    psc__events_notify(psc__intro_events(user));
}

psc_err psc_replay_serve(psc_replay *r, psc_introspector *intro)
{
    if (!r || !intro)
        return PSC_ERR_INVALID;
    if (r->served)
        return PSC_ERR_STATE;
    psc__tl_counts c;
    psc__timeline_counts(r->tl, &c);
    if (!r->live && c.states + c.events == 0)
        return PSC_ERR_NOT_FOUND;
    pthread_mutex_lock(&intro->reg_lock);
    bool busy = intro->replay || intro->attached;
    pthread_mutex_unlock(&intro->reg_lock);
    if (busy)
        return PSC_ERR_STATE;
    psc__timeline_seal(r->tl);
    psc_msg *rt = NULL;
    psc_err e = r->live ? PSC_OK : build_runtime(r, &rt);
    if (e != PSC_OK)
        return e;
    r->src.tl = r->tl;
    r->src.runtime = rt;
    pthread_mutex_lock(&intro->reg_lock);
    busy = intro->replay || intro->attached;
    if (!busy) {
        intro->replay = r;
        r->served = true;
    }
    pthread_mutex_unlock(&intro->reg_lock);
    if (busy) {
        r->src.runtime = NULL;
        psc_msg_unref(rt);
        return PSC_ERR_STATE;
    }
    if (r->live) {
        /* the endpoints arm the introspector's listeners while a live relay has sessions */
        psc__relay_set_wake(r->live, live_wake, intro);
        psc__log(intro, PSC_LOG_INFO, "relaying %s live", r->node[0] ? r->node : "a node");
        return PSC_OK;
    }
    psc__log(intro, PSC_LOG_INFO, "replaying %s: %llu states, %llu events", r->source[0] ? r->source : "a recording",
             (unsigned long long)c.states, (unsigned long long)c.events);
    return PSC_OK;
}

bool psc_introspector_replaying(const psc_introspector *intro)
{
    return psc__intro_replay(intro) != NULL;
}

const psc__replay_source *psc__intro_replay(const psc_introspector *intro)
{
    /* written before any endpoint exists, under reg_lock; read-only after */
    return intro && intro->replay ? &intro->replay->src : NULL;
}

void psc__intro_replay_free(psc_introspector *intro)
{
    if (intro->replay)
        replay_destroy(intro->replay);
    intro->replay = NULL;
}

psc__relay *psc__replay_live(const psc__replay_source *rs)
{
    return rs ? rs->live : NULL;
}

psc_err psc__replay_runtime(const psc__replay_source *rs, psc_msg **out)
{
    psc__relay *live = psc__replay_live(rs);
    if (live)
        return psc__relay_runtime(live, out);
    *out = psc_msg_ref(rs->runtime);
    return PSC_OK;
}

psc_err psc_replay_live_new_run(psc_replay *r)
{
    if (!r)
        return PSC_ERR_INVALID;
    if (!r->live)
        return PSC_ERR_STATE;
    psc__relay_new_run(r->live);
    return PSC_OK;
}

psc_err psc_replay_live_info_get(const psc_replay *r, psc_replay_live_info *out)
{
    if (!r || !out || out->struct_size < offsetof(psc_replay_live_info, event_types) + sizeof(out->event_types))
        return PSC_ERR_INVALID;
    if (!r->live)
        return PSC_ERR_STATE;
    psc__relay_counts c;
    psc__relay_counts_get(r->live, &c);
    psc_replay_live_info i = {
        .struct_size = sizeof i,
        .states_held = c.states_held,
        .events_held = c.events_held,
        .bytes_held = c.bytes_held,
        .states_added = c.states_added,
        .deltas = c.deltas,
        .events_added = c.events_added,
        .runtimes = c.runtimes,
        .skipped = c.skipped,
        .runs = c.runs,
        .first_seq = c.first_seq,
        .last_seq = c.last_seq,
        .event_types = c.event_types,
    };
    memcpy(out, &i, sizeof i);
    return PSC_OK;
}

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "events.h"

#define MAX_PROPS 16u

psc_err demo_events_init(demo_events *e, psc_introspector *intro)
{
    static const psc_event_def *const defs[DEMO_T_COUNT] = {
        [DEMO_T_CONNECTING] = &PSC_EVENT_PEER_CONNECTING,
        [DEMO_T_CONNECTED] = &PSC_EVENT_PEER_CONNECTED,
        [DEMO_T_DISCONNECTING] = &PSC_EVENT_PEER_DISCONNECTING,
        [DEMO_T_DISCONNECTED] = &PSC_EVENT_PEER_DISCONNECTED,
        [DEMO_T_IN_QUERY] = &PSC_EVENT_INBOUND_DHT_QUERY,
        [DEMO_T_OUT_QUERY] = &PSC_EVENT_OUTBOUND_DHT_QUERY,
        [DEMO_T_IDENTITY] = &PSC_EVENT_IDENTITY_KNOWN,
        [DEMO_T_FIRST_PEER] = &PSC_EVENT_FIRST_PEER_CONNECTED,
        [DEMO_T_SYNC_STARTED] = &PSC_EVENT_SYNC_STARTED,
        [DEMO_T_SYNC_COMPLETED] = &PSC_EVENT_SYNC_COMPLETED,
        [DEMO_T_NEW_BLOCK] = &PSC_EVENT_NEW_BLOCK,
        [DEMO_T_MESSAGE] = &PSC_EVENT_MESSAGE_RECEIVED,
    };
    memset(e, 0, sizeof *e);
    e->intro = intro;
    psc_err err = psc_event_declare_well_known(intro);
    for (int i = 0; err == PSC_OK && i < DEMO_T_COUNT; i++)
        err = psc_event_declare(intro, defs[i], &e->types[i]);
    return err;
}

/*
 * Values are matched to the declared properties by name, not position, and
 * converted to the declared type, so the demo keeps working if a
 * well-known type gains, loses or reorders properties.
 */
typedef struct field {
    const char *name;
    char kind; /* 's' string, 'n' number, 't' time (ms), 'S' string array */
    const char *s;
    double num;
    uint64_t time;
    const char *const *strs;
    size_t count;
} field;

#define F_STR(k, v) {.name = (k), .kind = 's', .s = (v)}
#define F_NUM(k, v) {.name = (k), .kind = 'n', .num = (double)(v)}
#define F_TIME(k, v) {.name = (k), .kind = 't', .time = (v)}
#define F_STRS(k, v, c) {.name = (k), .kind = 'S', .strs = (v), .count = (c)}

/* The field for a property; a NULL string counts as no value. */
static const field *find_field(const field *f, size_t nf, const char *name)
{
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(f[i].name, name) != 0)
            continue;
        return f[i].kind == 's' && !f[i].s ? NULL : &f[i];
    }
    return NULL;
}

static void format_number(double x, char *buf, size_t len)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%.17g", x);
}

static void emit(demo_events *e, demo_event_type which, const field *f, size_t nf)
{
    const psc_event_type *t = e->types[which];
    size_t np = t ? psc_event_type_prop_count(t) : 0;
    if (!t || np > MAX_PROPS) {
        e->failed++;
        return;
    }
    psc_value vals[MAX_PROPS];
    char scratch[MAX_PROPS][32];
    const char *one[MAX_PROPS];
    for (size_t i = 0; i < np; i++) {
        const psc_prop_def *def = psc_event_type_prop(t, i);
        const field *x = find_field(f, nf, def->name);
        vals[i] = PSC_V_ABSENT;
        if (!x)
            continue;
        bool text = def->type == PSC_PROP_STRING || def->type == PSC_PROP_PEERID || def->type == PSC_PROP_MULTIADDR;
        if (x->kind == 'n')
            format_number(x->num, scratch[i], sizeof scratch[i]);
        else if (x->kind == 't')
            snprintf(scratch[i], sizeof scratch[i], "%llu", (unsigned long long)x->time);
        const char *as_text = x->kind == 's' ? x->s : x->kind == 'S' ? (x->count ? x->strs[0] : NULL) : scratch[i];
        if (def->multiple) {
            if (text && x->kind == 'S') {
                vals[i] = PSC_V_STRS(x->strs, x->count);
            } else if (text && as_text) {
                one[i] = as_text;
                vals[i] = PSC_V_STRS(&one[i], 1);
            } else if (def->type == PSC_PROP_NUMBER && x->kind == 'n') {
                vals[i] = PSC_V_NUMS(&x->num, 1);
            } else if (def->type == PSC_PROP_TIME && x->kind == 't') {
                vals[i] = PSC_V_TIMES(&x->time, 1);
            }
            continue;
        }
        switch (def->type) {
        case PSC_PROP_NUMBER:
            if (x->kind == 'n')
                vals[i] = PSC_V_NUM(x->num);
            else if (x->kind == 't')
                vals[i] = PSC_V_NUM((double)x->time);
            break;
        case PSC_PROP_TIME:
            if (x->kind == 't')
                vals[i] = PSC_V_TIME(x->time);
            else if (x->kind == 'n' && x->num >= 0)
                vals[i] = PSC_V_TIME((uint64_t)x->num);
            break;
        case PSC_PROP_JSON:
            if (x->kind == 'n' || x->kind == 't')
                vals[i] = PSC_V_JSON(scratch[i]);
            break;
        default:
            if (as_text)
                vals[i] = PSC_V_STR(as_text);
            break;
        }
    }
    if (psc_emit(e->intro, t, vals, np) == PSC_OK)
        e->emitted++;
    else
        e->failed++;
}

#define EMIT(e, which, ...)                                                                                       \
    do {                                                                                                           \
        const field fs_[] = {__VA_ARGS__};                                                                         \
        emit((e), (which), fs_, sizeof fs_ / sizeof fs_[0]);                                                       \
    } while (0)

static const char *direction(psc_role role)
{
    return role == PSC_ROLE_INITIATOR ? "outbound" : "inbound";
}

static void on_query(demo_events *e, const sim_node *n, const sim_query *q)
{
    const char *ids[SIM_QUERY_MAX_CONTACTS];
    for (size_t i = 0; i < q->n_contacted; i++)
        ids[i] = n->peers[q->contacted[i]].id;
    char qid[24];
    snprintf(qid, sizeof qid, "%016llx", (unsigned long long)q->id);
    const char *target = q->target == UINT32_MAX ? n->local_id : n->peers[q->target].id;
    EMIT(e, q->inbound ? DEMO_T_IN_QUERY : DEMO_T_OUT_QUERY, F_STR("result", q->result),
         F_NUM("totalTimeMs", q->time_ms), F_NUM("totalSteps", q->steps), F_STRS("peerIds", ids, q->n_contacted),
         F_STR("queryId", qid), F_STR("targetPeerId", target), F_STR("trigger", q->trigger), F_STR("type", q->type),
         F_STR("direction", q->inbound ? "inbound" : "outbound"));
}

void demo_events_on_sim(void *user, const sim_node *n, const sim_event *ev)
{
    demo_events *e = user;
    const sim_conn *c = ev->conn;
    switch (ev->kind) {
    case SIM_EV_IDENTITY: {
        const char *addrs[] = {n->listen_addrs[0], n->listen_addrs[1], n->listen_addrs[2]};
        EMIT(e, DEMO_T_IDENTITY, F_STR("peerId", n->local_id), F_STRS("addrs", addrs, 3));
        break;
    }
    case SIM_EV_CONN_OPENING:
        EMIT(e, DEMO_T_CONNECTING, F_STR("peerId", ev->peer->id), F_STR("transport", sim_transport_names[c->transport]),
             F_STR("role", c->role == PSC_ROLE_INITIATOR ? "initiator" : "responder"));
        break;
    case SIM_EV_CONN_OPEN:
        EMIT(e, DEMO_T_CONNECTED, F_STR("peerId", ev->peer->id), F_STR("transport", sim_transport_names[c->transport]),
             F_STR("direction", direction(c->role)), F_STR("addr", c->remote_addr));
        break;
    case SIM_EV_CONN_CLOSING:
        EMIT(e, DEMO_T_DISCONNECTING, F_STR("peerId", ev->peer->id), F_TIME("timeOpen", c->open_ms),
             F_NUM("age", sim_ms_since(n, c->open_ms)), F_STR("transport", sim_transport_names[c->transport]));
        break;
    case SIM_EV_CONN_CLOSED:
        EMIT(e, DEMO_T_DISCONNECTED, F_STR("peerId", ev->peer->id),
             F_STR("transport", sim_transport_names[c->transport]), F_TIME("timeOpen", c->open_ms),
             F_NUM("age", sim_ms_since(n, c->open_ms)), F_STR("reason", c->close_reason));
        break;
    case SIM_EV_FIRST_PEER:
        EMIT(e, DEMO_T_FIRST_PEER, F_STR("peerId", ev->peer->id), F_NUM("sinceStartMs", ev->duration_ms));
        break;
    case SIM_EV_DHT_QUERY:
        on_query(e, n, ev->query);
        break;
    case SIM_EV_SYNC_STARTED:
        EMIT(e, DEMO_T_SYNC_STARTED, F_NUM("target", ev->target), F_NUM("height", ev->height));
        break;
    case SIM_EV_SYNC_COMPLETED:
        EMIT(e, DEMO_T_SYNC_COMPLETED, F_NUM("height", ev->height), F_NUM("durationMs", ev->duration_ms));
        break;
    case SIM_EV_NEW_BLOCK:
        EMIT(e, DEMO_T_NEW_BLOCK, F_NUM("height", ev->height), F_STR("hash", ev->hash),
             F_STR("from", ev->peer ? ev->peer->id : NULL), F_NUM("size", ev->size));
        break;
    case SIM_EV_MESSAGE:
        EMIT(e, DEMO_T_MESSAGE, F_STR("topic", ev->topic->name), F_STR("from", ev->peer->id),
             F_NUM("size", ev->size), F_STR("msgId", ev->hash));
        break;
    }
}

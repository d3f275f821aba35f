#include "top_model.h"

#include <stdlib.h>
#include <string.h>

#include "tool_util.h"

/* ------------------------------------------------------------ allocation */

static void *m_alloc(top_model *m, size_t size)
{
    return m->alloc.alloc(m->alloc.user, size ? size : 1);
}

static void m_free(top_model *m, void *p)
{
    if (p)
        m->alloc.free(m->alloc.user, p);
}

static char *m_strdup(top_model *m, const char *s)
{
    size_t n = strlen(s ? s : "");
    char *d = m_alloc(m, n + 1);
    if (d)
        memcpy(d, s ? s : "", n + 1);
    return d;
}

static void *pb_alloc(void *user, size_t size)
{
    top_model *m = user;
    void *p = m_alloc(m, size);
    if (!p)
        m->pb_failed = true; /* protobuf-c's unpack does not say why it failed */
    return p;
}

static void pb_free(void *user, void *p)
{
    m_free(user, p);
}

void top_model_init(top_model *m, const psc_allocator *a, size_t events_cap)
{
    memset(m, 0, sizeof *m);
    m->alloc = tool_allocator(a);
    m->pb.alloc = pb_alloc;
    m->pb.free = pb_free;
    m->pb.allocator_data = m;
    m->cap_events = events_cap ? events_cap : TOP_EVENTS_DEFAULT;
}

static void free_props(top_model *m, top_prop *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        m_free(m, p[i].name);
    m_free(m, p);
}

void top_model_free(top_model *m)
{
    if (m->runtime_msg)
        peerscope__server_message__free_unpacked(m->runtime_msg, &m->pb);
    if (m->state_msg)
        peerscope__server_message__free_unpacked(m->state_msg, &m->pb);
    if (m->fleet_msg)
        peerscope__server_message__free_unpacked(m->fleet_msg, &m->pb);
    m_free(m, m->conns);
    for (size_t i = 0; i < m->n_types; i++) {
        m_free(m, m->types[i].name);
        free_props(m, m->types[i].props, m->types[i].n_props);
    }
    m_free(m, m->types);
    for (size_t i = 0; i < m->ev_count; i++) {
        m_free(m, m->events[(m->ev_head + i) % m->cap_events].content);
        m_free(m, m->events[(m->ev_head + i) % m->cap_events].node);
    }
    m_free(m, m->events);
    psc_allocator a = m->alloc;
    size_t cap = m->cap_events;
    memset(m, 0, sizeof *m);
    top_model_init(m, &a, cap);
}

/* ----------------------------------------------------------- event types */

size_t top_model_find_type(const top_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_types; i++)
        if (strcmp(m->types[i].name, name ? name : "") == 0)
            return i;
    return (size_t)-1;
}

/* Type definitions built before anything is committed, so that a failure
 * leaves the registry as it was. */
typedef struct pending_type {
    size_t index;      /* existing entry to complete, or (size_t)-1 for a new one */
    top_evtype t;
} pending_type;

static bool build_props(top_model *m, const Peerscope__EventType *et, top_evtype *t)
{
    t->n_props = et->n_property_types;
    t->props_known = et->n_property_types > 0;
    if (!t->n_props)
        return true;
    t->props = m_alloc(m, t->n_props * sizeof *t->props);
    if (!t->props)
        return false;
    memset(t->props, 0, t->n_props * sizeof *t->props);
    for (size_t i = 0; i < t->n_props; i++) {
        const Peerscope__EventType__EventProperty *p = et->property_types[i];
        t->props[i].name = m_strdup(m, p->name);
        if (!t->props[i].name)
            return false;
        t->props[i].type = (int)p->type;
        t->props[i].multiple = p->has_multiple;
    }
    return true;
}

static void free_pending(top_model *m, pending_type *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        m_free(m, p[i].t.name);
        free_props(m, p[i].t.props, p[i].t.n_props);
    }
    m_free(m, p);
}

/*
 * Learn the types in ets: new names are added; a known name whose
 * properties were not known yet gets them. On success *idx_out (if not
 * NULL, for n == 1) is the index of the type.
 */
static psc_err learn_types(top_model *m, Peerscope__EventType *const *ets, size_t n, size_t *idx_out)
{
    pending_type *pend = m_alloc(m, (n ? n : 1) * sizeof *pend);
    if (!pend)
        return PSC_ERR_NOMEM;
    size_t np = 0, n_new = 0;
    psc_err err = PSC_OK;
    for (size_t i = 0; i < n && !err; i++) {
        const Peerscope__EventType *et = ets[i];
        if (!et)
            continue;
        size_t idx = top_model_find_type(m, et->name);
        for (size_t k = 0; idx == (size_t)-1 && k < np; k++) /* the same name twice in one runtime */
            if (pend[k].index == (size_t)-1 && strcmp(pend[k].t.name, et->name ? et->name : "") == 0)
                idx = (size_t)-2;
        if (idx == (size_t)-2 || (idx != (size_t)-1 && (m->types[idx].props_known || !et->n_property_types)))
            continue;
        pending_type *p = &pend[np++];
        memset(p, 0, sizeof *p);
        p->index = idx;
        if (idx == (size_t)-1) {
            n_new++;
            p->t.name = m_strdup(m, et->name);
            if (!p->t.name)
                err = PSC_ERR_NOMEM;
        }
        if (!err && !build_props(m, et, &p->t))
            err = PSC_ERR_NOMEM;
    }
    if (!err && m->n_types + n_new > m->cap_types) {
        size_t cap = m->cap_types ? m->cap_types : 16;
        while (cap < m->n_types + n_new)
            cap *= 2;
        top_evtype *nt = m_alloc(m, cap * sizeof *nt);
        if (!nt) {
            err = PSC_ERR_NOMEM;
        } else {
            if (m->n_types)
                memcpy(nt, m->types, m->n_types * sizeof *nt);
            m_free(m, m->types);
            m->types = nt;
            m->cap_types = cap;
        }
    }
    if (err) {
        free_pending(m, pend, np);
        return err;
    }
    for (size_t k = 0; k < np; k++) {
        pending_type *p = &pend[k];
        if (p->index == (size_t)-1) {
            m->types[m->n_types++] = p->t;
        } else {
            top_evtype *t = &m->types[p->index];
            free_props(m, t->props, t->n_props);
            t->props = p->t.props;
            t->n_props = p->t.n_props;
            t->props_known = p->t.props_known;
        }
        memset(&p->t, 0, sizeof p->t); /* moved */
    }
    m_free(m, pend);
    if (idx_out && n == 1 && ets[0])
        *idx_out = top_model_find_type(m, ets[0]->name);
    return PSC_OK;
}

/* ----------------------------------------------------------------- state */

typedef struct conn_key {
    const uint8_t *id;
    size_t len;
    size_t index;
} conn_key;

static int cmp_conn_key(const void *a, const void *b)
{
    const conn_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->len ? memcmp(x->id, y->id, x->len) : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool conn_open(const Peerscope__Connection *c)
{
    return c->status != PEERSCOPE__STATUS__CLOSED && c->status != PEERSCOPE__STATUS__ERROR;
}

static double derive_rate(uint64_t inst, uint64_t cum, uint64_t prev_cum, bool have_prev, uint64_t dt_ms)
{
    if (inst)
        return (double)inst;
    if (have_prev && dt_ms && cum >= prev_cum)
        return (double)(cum - prev_cum) * 1000.0 / (double)dt_ms;
    return 0;
}

static const Peerscope__DataGauge *gauge(const Peerscope__Traffic *t, bool in)
{
    if (!t)
        return NULL;
    return in ? t->traffic_in : t->traffic_out;
}

static psc_err apply_state(top_model *m, Peerscope__ServerMessage *msg)
{
    const Peerscope__State *st = msg->state;
    const Peerscope__State *prev = m->state_msg ? m->state_msg->state : NULL;
    size_t n = st->subsystems ? st->subsystems->n_connections : 0;
    Peerscope__Connection **cs = st->subsystems ? st->subsystems->connections : NULL;
    size_t pn = prev && prev->subsystems ? prev->subsystems->n_connections : 0;
    uint64_t dt = prev && st->instant_ts > prev->instant_ts ? st->instant_ts - prev->instant_ts : 0;

    top_conn_derived *d = m_alloc(m, (n ? n : 1) * sizeof *d);
    const char **peers = m_alloc(m, (n ? n : 1) * sizeof *peers);
    conn_key *pk = m_alloc(m, (pn ? pn : 1) * sizeof *pk);
    if (!d || !peers || !pk) {
        m_free(m, d);
        m_free(m, peers);
        m_free(m, pk);
        return PSC_ERR_NOMEM;
    }
    for (size_t i = 0; i < pn; i++) {
        const Peerscope__Connection *c = prev->subsystems->connections[i];
        pk[i] = (conn_key){c->id.data, c->id.len, i};
    }
    qsort(pk, pn, sizeof *pk, cmp_conn_key);

    size_t open = 0, closed = 0, streams = 0, np = 0;
    double sum_in = 0, sum_out = 0;
    uint64_t sum_bin = 0, sum_bout = 0;
    for (size_t i = 0; i < n; i++) {
        const Peerscope__Connection *c = cs[i];
        conn_key key = {c->id.data, c->id.len, 0};
        const conn_key *hit = pn ? bsearch(&key, pk, pn, sizeof *pk, cmp_conn_key) : NULL;
        const Peerscope__Connection *pc = hit ? prev->subsystems->connections[hit->index] : NULL;
        for (int dir = 0; dir < 2; dir++) {
            const Peerscope__DataGauge *g = gauge(c->traffic, dir == 0);
            const Peerscope__DataGauge *pg = pc ? gauge(pc->traffic, dir == 0) : NULL;
            double r = g ? derive_rate(g->inst_bw, g->cum_bytes, pg ? pg->cum_bytes : 0, pg != NULL, dt) : 0;
            if (dir == 0)
                d[i].rate_in = r;
            else
                d[i].rate_out = r;
        }
        size_t listed = c->streams ? (c->streams->n_streams ? c->streams->n_streams : c->streams->n_stream_ids) : 0;
        d[i].streams = c->stream_count > listed ? c->stream_count : (uint32_t)listed;
        if (conn_open(c)) {
            open++;
            streams += d[i].streams;
            if (c->peer_id && *c->peer_id)
                peers[np++] = c->peer_id;
        } else {
            closed++;
        }
        sum_in += d[i].rate_in;
        sum_out += d[i].rate_out;
        const Peerscope__DataGauge *gi = gauge(c->traffic, true), *go = gauge(c->traffic, false);
        sum_bin += gi ? gi->cum_bytes : 0;
        sum_bout += go ? go->cum_bytes : 0;
    }
    qsort(peers, np, sizeof *peers, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < np; i++)
        if (i == 0 || strcmp(peers[i], peers[i - 1]) != 0)
            distinct++;
    m_free(m, peers);
    m_free(m, pk);

    /* the node's totals: State.traffic when the host reports it */
    double rin = sum_in, rout = sum_out;
    uint64_t bin = sum_bin, bout = sum_bout;
    const Peerscope__DataGauge *ti = gauge(st->traffic, true), *to = gauge(st->traffic, false);
    const Peerscope__DataGauge *pti = prev ? gauge(prev->traffic, true) : NULL;
    const Peerscope__DataGauge *pto = prev ? gauge(prev->traffic, false) : NULL;
    if (ti) {
        rin = derive_rate(ti->inst_bw, ti->cum_bytes, pti ? pti->cum_bytes : 0, pti != NULL, dt);
        bin = ti->cum_bytes;
    }
    if (to) {
        rout = derive_rate(to->inst_bw, to->cum_bytes, pto ? pto->cum_bytes : 0, pto != NULL, dt);
        bout = to->cum_bytes;
    }

    /* commit */
    if (m->state_msg)
        peerscope__server_message__free_unpacked(m->state_msg, &m->pb);
    m_free(m, m->conns);
    m->state_msg = msg;
    m->conns = d;
    m->n_conns = n;
    m->conns_open = open;
    m->conns_closed = closed;
    m->streams = streams;
    m->peers = distinct;
    m->rate_in = rin;
    m->rate_out = rout;
    m->bytes_in = bin;
    m->bytes_out = bout;
    if (m->hist_len == TOP_HISTORY) {
        memmove(m->hist_in, m->hist_in + 1, (TOP_HISTORY - 1) * sizeof m->hist_in[0]);
        memmove(m->hist_out, m->hist_out + 1, (TOP_HISTORY - 1) * sizeof m->hist_out[0]);
        m->hist_len--;
    }
    m->hist_in[m->hist_len] = rin;
    m->hist_out[m->hist_len] = rout;
    m->hist_len++;
    m->states_total++;
    return PSC_OK;
}

/* ---------------------------------------------------------------- events */

static psc_err apply_event(top_model *m, const Peerscope__Event *ev)
{
    if (!m->events) {
        m->events = m_alloc(m, m->cap_events * sizeof *m->events);
        if (!m->events)
            return PSC_ERR_NOMEM;
    }
    char *content = m_strdup(m, ev->content);
    if (!content)
        return PSC_ERR_NOMEM;
    bool from_node = ev->node && *ev->node;
    char *node = from_node ? m_strdup(m, ev->node) : NULL;
    if (from_node && !node) {
        m_free(m, content);
        return PSC_ERR_NOMEM;
    }
    size_t type = (size_t)-1;
    Peerscope__EventType *et = ev->type;
    Peerscope__EventType anon = PEERSCOPE__EVENT_TYPE__INIT; /* an event without a type still shows */
    if (!et)
        et = &anon;
    psc_err err = learn_types(m, &et, 1, &type);
    if (err) {
        m_free(m, content);
        m_free(m, node);
        return err;
    }
    if (m->ev_count == m->cap_events) {
        m_free(m, m->events[m->ev_head].content);
        m_free(m, m->events[m->ev_head].node);
        m->ev_head = (m->ev_head + 1) % m->cap_events;
        m->ev_count--;
    }
    top_event *e = &m->events[(m->ev_head + m->ev_count) % m->cap_events];
    e->ts = ev->ts;
    e->seq = ev->seq;
    e->type = type;
    e->content = content;
    e->node = node;
    m->ev_count++;
    m->types[type].count++;
    m->events_total++;
    /* a hub's stream interleaves nodes that each number their own events */
    if (ev->seq && !from_node) {
        if (m->last_seq && ev->seq > m->last_seq + 1)
            m->events_lost += ev->seq - m->last_seq - 1;
        if (ev->seq > m->last_seq)
            m->last_seq = ev->seq;
    }
    return PSC_OK;
}

/* ----------------------------------------------------------------- apply */

psc_err top_model_apply(top_model *m, const uint8_t *payload, size_t len, uint64_t now_ms)
{
    m->pb_failed = false;
    Peerscope__ServerMessage *msg = peerscope__server_message__unpack(&m->pb, len, payload);
    if (!msg) {
        if (m->pb_failed)
            return PSC_ERR_NOMEM;
        m->rejected++;
        return PSC_ERR_PROTOCOL;
    }
    psc_err err = PSC_OK;
    bool keep = false;
    switch (msg->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        err = learn_types(m, msg->runtime->event_types, msg->runtime->n_event_types, NULL);
        if (!err) {
            if (m->runtime_msg)
                peerscope__server_message__free_unpacked(m->runtime_msg, &m->pb);
            m->runtime_msg = msg;
            keep = true;
        }
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        err = apply_state(m, msg);
        keep = err == PSC_OK;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
        err = apply_event(m, msg->event);
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_FLEET:
        if (m->fleet_msg)
            peerscope__server_message__free_unpacked(m->fleet_msg, &m->pb);
        m->fleet_msg = msg;
        m->fleets_total++;
        keep = true;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        /* with sequence numbers the gaps already count what was lost */
        if (!m->last_seq)
            m->events_lost += msg->notice->dropped;
        break;
    default:
        break;
    }
    if (!keep)
        peerscope__server_message__free_unpacked(msg, &m->pb);
    if (err)
        return err;
    m->messages_total++;
    m->last_update_ms = now_ms;
    return PSC_OK;
}

const Peerscope__Runtime *top_model_runtime(const top_model *m)
{
    return m->runtime_msg ? m->runtime_msg->runtime : NULL;
}

const Peerscope__State *top_model_state(const top_model *m)
{
    return m->state_msg ? m->state_msg->state : NULL;
}

const Peerscope__Fleet *top_model_fleet(const top_model *m)
{
    return m->fleet_msg ? m->fleet_msg->fleet : NULL;
}

const top_event *top_model_event(const top_model *m, size_t i)
{
    if (i >= m->ev_count)
        return NULL;
    return &m->events[(m->ev_head + i) % m->cap_events];
}

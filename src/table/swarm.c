/* The push table's swarm section: connections, streams, transports, dialer, identify, ping. */
#include "table/table.h"
#include "util/struct_in.h"

#include <string.h>

/* ------------------------------------------------------------ host side */

psc_err psc_table_conn_open(psc_table *t, const psc_connection *conn, psc_table_conn **out)
{
    if (!t || !out)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_conn(t, conn, true, &op);
    if (e != PSC_OK)
        return e;
    psc_table_conn *c = psc__calloc(&t->alloc, 1, sizeof *c);
    if (!c) {
        psc__table_op_free(t, op);
        return PSC_ERR_NOMEM;
    }
    c->t = t;
    op->target = c;
    if ((e = psc__table_push(t, PSC__SEC_SWARM, op, true)) != PSC_OK) {
        psc__free(&t->alloc, c);
        return e;
    }
    *out = c;
    return PSC_OK;
}

psc_err psc_table_conn_update(psc_table_conn *c, const psc_connection *conn)
{
    if (!c)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_conn(c->t, conn, false, &op);
    if (e != PSC_OK)
        return e;
    op->target = c;
    return psc__table_push(c->t, PSC__SEC_SWARM, op, true);
}

void psc_table_conn_counters(psc_table_conn *c, psc_counter **in, psc_counter **out)
{
    if (in)
        *in = c ? &c->in : NULL;
    if (out)
        *out = c ? &c->out : NULL;
}

psc_err psc_table_conn_close(psc_table_conn *c, psc_status status, const char *reason, uint64_t close_ts)
{
    if (!c)
        return PSC_ERR_INVALID;
    psc_err e = psc__op_close(c->t, &c->close_op, PSC__OP_CONN_CLOSE, status, reason, close_ts);
    if (e != PSC_OK)
        return e;
    c->close_op.target = c;
    /* the section is registered (the open did it) and a close is never refused */
    return psc__table_push(c->t, PSC__SEC_SWARM, &c->close_op, false);
}

psc_err psc_table_stream_open(psc_table_conn *c, const psc_stream *stream, psc_table_stream **out)
{
    if (!c || !out)
        return PSC_ERR_INVALID;
    psc_table *t = c->t;
    psc__op *op;
    psc_err e = psc__op_stream(t, stream, true, &op);
    if (e != PSC_OK)
        return e;
    psc_table_stream *s = psc__calloc(&t->alloc, 1, sizeof *s);
    if (!s) {
        psc__table_op_free(t, op);
        return PSC_ERR_NOMEM;
    }
    s->conn = c;
    op->target = s;
    if ((e = psc__table_push(t, PSC__SEC_SWARM, op, true)) != PSC_OK) {
        psc__free(&t->alloc, s);
        return e;
    }
    *out = s;
    return PSC_OK;
}

psc_err psc_table_stream_update(psc_table_stream *s, const psc_stream *stream)
{
    if (!s)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_stream(s->conn->t, stream, false, &op);
    if (e != PSC_OK)
        return e;
    op->target = s;
    return psc__table_push(s->conn->t, PSC__SEC_SWARM, op, true);
}

void psc_table_stream_counters(psc_table_stream *s, psc_counter **in, psc_counter **out)
{
    if (in)
        *in = s ? &s->in : NULL;
    if (out)
        *out = s ? &s->out : NULL;
}

psc_err psc_table_stream_close(psc_table_stream *s, psc_status status, const char *reason, uint64_t close_ts)
{
    if (!s)
        return PSC_ERR_INVALID;
    psc_table *t = s->conn->t;
    psc_err e = psc__op_close(t, &s->close_op, PSC__OP_STREAM_CLOSE, status, reason, close_ts);
    if (e != PSC_OK)
        return e;
    s->close_op.target = s;
    return psc__table_push(t, PSC__SEC_SWARM, &s->close_op, false);
}

psc_err psc_table_transport_put(psc_table *t, const psc_transport *tr)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_transport(t, tr, &op);
    return e != PSC_OK ? e : psc__table_push(t, PSC__SEC_SWARM, op, true);
}

/* A value struct (dialer, identify) copied in by its version, then queued. */
static psc_err put_plain(psc_table *t, psc__op_kind kind, const void *in, void *scratch, size_t size)
{
    if (!t || psc__copy_in(scratch, size, in, sizeof(size_t)) != PSC_OK)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_plain(t, kind, scratch, size, &op);
    return e != PSC_OK ? e : psc__table_push(t, PSC__SEC_SWARM, op, true);
}

psc_err psc_table_set_dialer(psc_table *t, const psc_dialer *d)
{
    psc_dialer v;
    return put_plain(t, PSC__OP_DIALER, d, &v, sizeof v);
}

psc_err psc_table_set_identify(psc_table *t, const psc_identify *id)
{
    psc_identify v;
    return put_plain(t, PSC__OP_IDENTIFY, id, &v, sizeof v);
}

psc_err psc_table_set_ping(psc_table *t, uint64_t pings_sent, uint64_t failures)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op_body b;
    memset(&b, 0, sizeof b);
    b.ping.sent = pings_sent;
    b.ping.failures = failures;
    psc__op *op;
    psc_err e = psc__op_plain(t, PSC__OP_PING, &b, sizeof b, &op);
    return e != PSC_OK ? e : psc__table_push(t, PSC__SEC_SWARM, op, true);
}

psc_err psc_table_ping_peer_put(psc_table *t, const psc_ping_peer *p)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_ping_peer(t, p, &op);
    return e != PSC_OK ? e : psc__table_push(t, PSC__SEC_SWARM, op, true);
}

psc_err psc_table_ping_peer_remove(psc_table *t, const char *peer_id)
{
    if (!t)
        return PSC_ERR_INVALID;
    psc__op *op;
    psc_err e = psc__op_key(t, PSC__OP_PING_PEER_REMOVE, peer_id, &op);
    return e != PSC_OK ? e : psc__table_push(t, PSC__SEC_SWARM, op, false);
}

/* ------------------------------------------------------------ snapshot side */

static void stream_free(psc_table *t, psc_table_stream *s)
{
    psc_table_conn *c = s->conn;
    if (s->prev)
        s->prev->next = s->next;
    else
        c->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        c->streams_tail = s->prev;
    c->n_streams--;
    t->n_streams--;
    if (s->rec != s->open)
        psc__table_op_free(t, s->rec);
    psc__table_op_free(t, s->open);
    psc__free(&t->alloc, s);
}

static void conn_free(psc_table *t, psc_table_conn *c)
{
    while (c->streams)
        stream_free(t, c->streams);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->conns_tail = c->prev;
    t->n_conns--;
    if (c->rec != c->open)
        psc__table_op_free(t, c->rec);
    psc__table_op_free(t, c->open);
    psc__free(&t->alloc, c);
}

void psc__table_swarm_fini(psc_table *t)
{
    while (t->conns)
        conn_free(t, t->conns);
    psc__keyed_fini(t, &t->transports);
    psc__keyed_fini(t, &t->ping_peers);
    psc__table_op_free(t, t->dialer);
    psc__table_op_free(t, t->identify);
    psc__table_op_free(t, t->ping);
}

static void replace(psc_table *t, psc__op **slot, psc__op *op)
{
    psc__table_op_free(t, *slot);
    *slot = op;
}

/* Put a keyed record; false when out of memory (op not taken). */
static bool keyed_put(psc_table *t, psc__keyed *k, psc__op *op)
{
    psc__kent *e = psc__keyed_get(t, k, op->key, op->key_len);
    if (!e)
        return false;
    replace(t, &e->rec, op);
    return true;
}

static void keyed_drop(psc_table *t, psc__keyed *k, psc__op *op)
{
    psc__kent *e = psc__keyed_find(k, op->key, op->key_len);
    if (e)
        psc__keyed_remove(t, e);
    psc__table_op_free(t, op);
}

/* Apply one change; false when out of memory (the change is then not applied). */
static bool apply(psc_table *t, psc__op *op)
{
    switch (op->kind) {
    case PSC__OP_CONN_OPEN: {
        psc_table_conn *c = op->target;
        c->open = c->rec = op;
        c->prev = t->conns_tail;
        if (t->conns_tail)
            t->conns_tail->next = c;
        else
            t->conns = c;
        t->conns_tail = c;
        t->n_conns++;
        return true;
    }
    case PSC__OP_CONN_UPDATE: {
        psc_table_conn *c = op->target;
        if (c->rec != c->open)
            psc__table_op_free(t, c->rec);
        c->rec = op;
        return true;
    }
    case PSC__OP_CONN_CLOSE:
        ((psc_table_conn *)op->target)->closed = op;
        return true;
    case PSC__OP_STREAM_OPEN: {
        psc_table_stream *s = op->target;
        psc_table_conn *c = s->conn;
        s->open = s->rec = op;
        s->prev = c->streams_tail;
        if (c->streams_tail)
            c->streams_tail->next = s;
        else
            c->streams = s;
        c->streams_tail = s;
        c->n_streams++;
        t->n_streams++;
        return true;
    }
    case PSC__OP_STREAM_UPDATE: {
        psc_table_stream *s = op->target;
        if (s->rec != s->open)
            psc__table_op_free(t, s->rec);
        s->rec = op;
        return true;
    }
    case PSC__OP_STREAM_CLOSE:
        ((psc_table_stream *)op->target)->closed = op;
        return true;
    case PSC__OP_TRANSPORT_PUT: return keyed_put(t, &t->transports, op);
    case PSC__OP_DIALER: replace(t, &t->dialer, op); return true;
    case PSC__OP_IDENTIFY: replace(t, &t->identify, op); return true;
    case PSC__OP_PING: replace(t, &t->ping, op); return true;
    case PSC__OP_PING_PEER_PUT: return keyed_put(t, &t->ping_peers, op);
    case PSC__OP_PING_PEER_REMOVE: keyed_drop(t, &t->ping_peers, op); return true;
    default: break;
    }
    psc__table_op_free(t, op); /* not a swarm change: cannot happen */
    return true;
}

/* The status, time and reason of a close, on a copy of the record. */
static void closing(psc__op *close, psc_collect *ctx, psc_status *status, uint64_t *ts, const char **reason)
{
    *status = close->b.close.status;
    *ts = close->b.close.close_ts ? close->b.close.close_ts : psc_collect_now_ms(ctx);
    if (close->b.close.reason[0])
        *reason = close->b.close.reason;
}

static psc_err report_stream(psc_table *t, psc_collect *ctx, psc_conn_builder *cb, psc_table_stream *s,
                             psc__op *conn_close, uint64_t now_ns)
{
    psc_stream ps = s->rec->b.stream;
    ps.id = s->open->b.stream.id;
    ps.id_len = s->open->b.stream.id_len;
    psc_counter_read(&s->in, now_ns, &ps.traffic.in);
    psc_counter_read(&s->out, now_ns, &ps.traffic.out);
    psc__op *close = s->closed ? s->closed : conn_close;
    if (close)
        closing(close, ctx, &ps.status, &ps.close_ts, &ps.close_reason);
    psc_err e = psc_conn_add_stream(cb, &ps);
    return e == PSC_OK ? PSC_OK : psc__table_skip(t, e);
}

static psc_err report_conns(psc_table *t, psc_collect *ctx, psc_swarm_builder *b)
{
    uint64_t now_ns = psc_counter_now_ns();
    for (psc_table_conn *c = t->conns; c; c = c->next) {
        psc_connection pc = c->rec->b.conn;
        pc.id = c->open->b.conn.id;
        pc.id_len = c->open->b.conn.id_len;
        psc_counter_read(&c->in, now_ns, &pc.traffic.in);
        psc_counter_read(&c->out, now_ns, &pc.traffic.out);
        if (c->closed)
            closing(c->closed, ctx, &pc.status, &pc.close_ts, &pc.close_reason);
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e != PSC_OK) {
            if ((e = psc__table_skip(t, e)) != PSC_OK)
                return e;
            continue;
        }
        for (psc_table_stream *s = c->streams; s; s = s->next)
            if ((e = report_stream(t, ctx, cb, s, c->closed, now_ns)) != PSC_OK)
                return e;
    }
    return PSC_OK;
}

/* Closed entities were reported: forget them. */
static void forget_closed(psc_table *t)
{
    for (psc_table_conn *c = t->conns, *cn; c; c = cn) {
        cn = c->next;
        if (c->closed) {
            conn_free(t, c);
            continue;
        }
        for (psc_table_stream *s = c->streams, *sn; s; s = sn) {
            sn = s->next;
            if (s->closed)
                stream_free(t, s);
        }
    }
}

static psc_err report_rest(psc_table *t, psc_swarm_builder *b)
{
    psc_err e;
    for (size_t i = 0; i < t->transports.n; i++)
        if ((e = psc_swarm_add_transport(b, &t->transports.v[i]->rec->b.transport)) != PSC_OK &&
            (e = psc__table_skip(t, e)) != PSC_OK)
            return e;
    if (t->dialer && (e = psc_swarm_set_dialer(b, &t->dialer->b.dialer)) != PSC_OK)
        return e;
    if (t->identify && (e = psc_swarm_set_identify(b, &t->identify->b.identify)) != PSC_OK)
        return e;
    if (t->ping && (e = psc_swarm_set_ping(b, t->ping->b.ping.sent, t->ping->b.ping.failures)) != PSC_OK)
        return e;
    for (size_t i = 0; i < t->ping_peers.n; i++)
        if ((e = psc_swarm_add_ping_peer(b, &t->ping_peers.v[i]->rec->b.ping_peer)) != PSC_OK &&
            (e = psc__table_skip(t, e)) != PSC_OK)
            return e;
    return PSC_OK;
}

psc_err psc__table_swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    psc_table *t = user;
    psc_err e = psc__keyed_begin(t, &t->transports);
    if (e == PSC_OK)
        e = psc__keyed_begin(t, &t->ping_peers);
    if (e == PSC_OK)
        e = psc__table_apply_all(t, PSC__SEC_SWARM, apply);
    psc__keyed_end(t, &t->transports);
    psc__keyed_end(t, &t->ping_peers);
    if (e == PSC_OK)
        e = report_conns(t, ctx, b);
    if (e == PSC_OK)
        e = report_rest(t, b);
    /* A failed collect is rolled back: what it closed must be reported by a later one. */
    if (e == PSC_OK)
        forget_closed(t);
    psc__table_publish(t);
    return e;
}

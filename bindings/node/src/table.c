/*
 * The addon's push table: Table, Connection, Stream (peerscope/table.h).
 * JS objects with camelCase names become the model's structs; statuses and
 * directions are strings ("active", "outbound", ...). Every call returns at
 * once: the library queues the change for its next snapshot.
 */
#include "addon.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ liveness */

static psc_table *live_table(napi_env env, jtable *t)
{
    if (!t || !t->t) {
        js_throw(env, PSC_ERR_CLOSED, "table");
        return NULL;
    }
    return t->t;
}

static bool conn_live(const jconn *c)
{
    return c && !c->closed && c->tab->t;
}

static bool stream_live(const jstream *s)
{
    return s && !s->closed && conn_live(s->conn);
}

/* A call's result: PSC_OK gives undefined, an error throws. */
static napi_value result(napi_env env, psc_err e, const char *what)
{
    return e ? js_throw(env, e, what) : js_undefined(env);
}

/* ------------------------------------------------------------ JS objects -> model structs */

static const char *const dht_status_names[] = {"active", "missing", "rejected", "candidate"};

/* status: "active" ... "error"; direction: "outbound" (we opened it) or "inbound" */
static bool read_status_role(napi_env env, napi_value o, psc_status *status, psc_role *role)
{
    int st = (int)*status, ro = (int)*role;
    if (!js_get_enum(env, o, "status", js_status_names, 5, &st) ||
        !js_get_enum(env, o, "direction", js_role_names, 2, &ro))
        return false;
    *status = (psc_status)st;
    *role = (psc_role)ro;
    return true;
}

static bool read_conn(napi_env env, js_scratch *s, napi_value o, psc_connection *c)
{
    *c = (psc_connection)PSC_CONNECTION_INIT;
    uint64_t stream_count = 0;
    bool ok = js_get_bytes(env, s, o, "id", &c->id, &c->id_len) && js_get_str(env, s, o, "peerId", &c->peer_id) &&
              read_status_role(env, o, &c->status, &c->role) &&
              js_get_bytes(env, s, o, "transportId", &c->transport_id, &c->transport_id_len) &&
              js_get_str(env, s, o, "transportName", &c->transport_name) &&
              js_get_str(env, s, o, "localAddr", &c->local_addr) &&
              js_get_str(env, s, o, "remoteAddr", &c->remote_addr) && js_get_u64(env, o, "openTs", &c->open_ts) &&
              js_get_u64(env, o, "upgradedTs", &c->upgraded_ts) && js_get_u64(env, o, "closeTs", &c->close_ts) &&
              js_get_str(env, s, o, "multiplexer", &c->multiplexer) &&
              js_get_str(env, s, o, "encryption", &c->encryption) &&
              js_get_u64(env, o, "latencyNs", &c->latency_ns) &&
              js_get_bytes(env, s, o, "relayConnId", &c->relay_conn_id, &c->relay_conn_id_len) &&
              js_get_str(env, s, o, "closeReason", &c->close_reason) &&
              js_get_strv(env, s, o, "tags", &c->tags, &c->n_tags) && js_get_u64(env, o, "streamCount", &stream_count);
    c->stream_count = stream_count > UINT32_MAX ? UINT32_MAX : (uint32_t)stream_count;
    return ok;
}

static bool read_stream(napi_env env, js_scratch *s, napi_value o, psc_stream *st)
{
    *st = (psc_stream)PSC_STREAM_INIT;
    return js_get_bytes(env, s, o, "id", &st->id, &st->id_len) && js_get_str(env, s, o, "protocol", &st->protocol) &&
           read_status_role(env, o, &st->status, &st->role) &&
           js_get_u64(env, o, "openTs", &st->open_ts) && js_get_u64(env, o, "closeTs", &st->close_ts) &&
           js_get_u64(env, o, "latencyNs", &st->latency_ns) &&
           js_get_str(env, s, o, "closeReason", &st->close_reason) &&
           js_get_strv(env, s, o, "tags", &st->tags, &st->n_tags);
}

/* close({status = "closed", reason, closeTs}) or close("reason") */
static bool read_close(napi_env env, js_scratch *s, napi_value o, psc_status *status, const char **reason,
                       uint64_t *ts)
{
    *status = PSC_STATUS_CLOSED;
    if (js_is(env, o, napi_string))
        return js_str(env, s, o, "reason", reason);
    int st = PSC_STATUS_CLOSED;
    if (!js_get_enum(env, o, "status", js_status_names, 5, &st) || !js_get_str(env, s, o, "reason", reason) ||
        !js_get_u64(env, o, "closeTs", ts))
        return false;
    *status = (psc_status)st;
    return true;
}

/* ------------------------------------------------------------ Stream */

static void stream_finalize(napi_env env, void *data, void *hint)
{
    (void)hint;
    jstream *s = data;
    napi_delete_reference(env, s->conn_ref);
    free(s);
}

static jstream *self_stream(napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
    napi_value self;
    if (!js_args(env, info, n, argv, &self, NULL))
        return NULL;
    jstream *s = js_native(env, self);
    if (!stream_live(s)) {
        js_throw(env, PSC_ERR_CLOSED, "stream");
        return NULL;
    }
    return s;
}

static napi_value stream_update(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    jstream *s = self_stream(env, info, 1, argv);
    if (!s)
        return NULL;
    js_scratch sc = {0};
    psc_stream st;
    napi_value r = NULL;
    if (read_stream(env, &sc, argv[0], &st))
        r = result(env, psc_table_stream_update(s->h, &st), "stream.update");
    js_scratch_free(&sc);
    return r;
}

/* received(bytes[, packets = 1]) / sent(bytes[, packets = 1]): lock-free counter adds */
static napi_value count(napi_env env, napi_value *argv, psc_counter *c)
{
    uint64_t bytes = 0, packets = 1;
    if (!js_u64(env, argv[0], "bytes", &bytes) || !js_u64(env, argv[1], "packets", &packets))
        return NULL;
    psc_counter_add_bytes(c, bytes);
    __atomic_fetch_add(&c->packets, packets, __ATOMIC_RELAXED);
    return js_undefined(env);
}

static napi_value stream_received(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    jstream *s = self_stream(env, info, 2, argv);
    psc_counter *in;
    if (!s)
        return NULL;
    psc_table_stream_counters(s->h, &in, NULL);
    return count(env, argv, in);
}

static napi_value stream_sent(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    jstream *s = self_stream(env, info, 2, argv);
    psc_counter *out;
    if (!s)
        return NULL;
    psc_table_stream_counters(s->h, NULL, &out);
    return count(env, argv, out);
}

static napi_value stream_close(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jstream *s = js_native(env, self);
    if (!stream_live(s))
        return js_undefined(env); /* closing twice, or after its connection: nothing to do */
    js_scratch sc = {0};
    psc_status status;
    const char *reason = NULL;
    uint64_t ts = 0;
    napi_value r = NULL;
    if (read_close(env, &sc, argv[0], &status, &reason, &ts)) {
        psc_err e = psc_table_stream_close(s->h, status, reason, ts);
        if (e == PSC_OK)
            s->closed = true;
        r = result(env, e, "stream.close");
    }
    js_scratch_free(&sc);
    return r;
}

/* ------------------------------------------------------------ Connection */

static void conn_finalize(napi_env env, void *data, void *hint)
{
    (void)hint;
    jconn *c = data;
    napi_delete_reference(env, c->tab_ref);
    free(c);
}

static jconn *self_conn(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self)
{
    napi_value me;
    if (!js_args(env, info, n, argv, &me, NULL))
        return NULL;
    jconn *c = js_native(env, me);
    if (!conn_live(c)) {
        js_throw(env, PSC_ERR_CLOSED, "connection");
        return NULL;
    }
    if (self)
        *self = me;
    return c;
}

static napi_value conn_update(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    jconn *c = self_conn(env, info, 1, argv, NULL);
    if (!c)
        return NULL;
    js_scratch sc = {0};
    psc_connection pc;
    napi_value r = NULL;
    if (read_conn(env, &sc, argv[0], &pc))
        r = result(env, psc_table_conn_update(c->h, &pc), "connection.update");
    js_scratch_free(&sc);
    return r;
}

static napi_value conn_received(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    jconn *c = self_conn(env, info, 2, argv, NULL);
    psc_counter *in;
    if (!c)
        return NULL;
    psc_table_conn_counters(c->h, &in, NULL);
    return count(env, argv, in);
}

static napi_value conn_sent(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    jconn *c = self_conn(env, info, 2, argv, NULL);
    psc_counter *out;
    if (!c)
        return NULL;
    psc_table_conn_counters(c->h, NULL, &out);
    return count(env, argv, out);
}

static napi_value conn_open_stream(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    jconn *c = self_conn(env, info, 1, argv, &self);
    if (!c)
        return NULL;
    js_scratch sc = {0};
    psc_stream st;
    napi_value r = NULL;
    if (!read_stream(env, &sc, argv[0], &st))
        goto out;
    jstream *s = calloc(1, sizeof *s);
    if (!s) {
        r = js_throw(env, PSC_ERR_NOMEM, "openStream");
        goto out;
    }
    psc_err e = psc_table_stream_open(c->h, &st, &s->h);
    if (e != PSC_OK) {
        free(s);
        r = js_throw(env, e, "openStream");
        goto out;
    }
    s->conn = c;
    if (!(r = js_child(env, self, &s->conn_ref, js_class_stream, s, stream_finalize))) {
        /* the library has it: close it so that nothing dangles */
        psc_table_stream_close(s->h, PSC_STATUS_ERROR, "binding out of memory", 0);
        free(s);
        r = js_throw(env, PSC_ERR_NOMEM, "openStream");
    }
out:
    js_scratch_free(&sc);
    return r;
}

static napi_value conn_close(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    if (!js_args(env, info, 1, argv, &self, NULL))
        return NULL;
    jconn *c = js_native(env, self);
    if (!conn_live(c))
        return js_undefined(env);
    js_scratch sc = {0};
    psc_status status;
    const char *reason = NULL;
    uint64_t ts = 0;
    napi_value r = NULL;
    if (read_close(env, &sc, argv[0], &status, &reason, &ts)) {
        psc_err e = psc_table_conn_close(c->h, status, reason, ts);
        if (e == PSC_OK)
            c->closed = true; /* its streams' wrappers see it through conn_live */
        r = result(env, e, "connection.close");
    }
    js_scratch_free(&sc);
    return r;
}

/* ------------------------------------------------------------ Table */

void js_table_free(jtable *t)
{
    psc_table_free(t->t);
    t->t = NULL;
}

static void table_finalize(napi_env env, void *data, void *hint)
{
    (void)hint;
    jtable *t = data;
    if (t->t) {
        /* still listed by its open introspector */
        jtable **pp = &t->owner->tables;
        while (*pp && *pp != t)
            pp = &(*pp)->next;
        if (*pp)
            *pp = t->next;
        js_table_free(t);
    }
    napi_delete_reference(env, t->owner_ref);
    free(t);
}

napi_value js_table_new(napi_env env, napi_value owner_obj, jintro *owner, napi_value opts)
{
    js_scratch sc = {0};
    psc_table_config cfg = PSC_TABLE_CONFIG_INIT;
    uint64_t max_pending = 0;
    napi_value r = NULL;
    if (!js_get_str(env, &sc, opts, "name", &cfg.name) || !js_get_u64(env, opts, "maxPending", &max_pending))
        goto out;
    cfg.max_pending = (size_t)max_pending;
    jtable *t = calloc(1, sizeof *t);
    if (!t) {
        r = js_throw(env, PSC_ERR_NOMEM, "table");
        goto out;
    }
    psc_err e = psc_table_new(owner->intro, &cfg, &t->t);
    if (e != PSC_OK) {
        free(t);
        r = js_throw(env, e, "table");
        goto out;
    }
    t->owner = owner;
    if (!(r = js_child(env, owner_obj, &t->owner_ref, js_class_table, t, table_finalize))) {
        psc_table_free(t->t);
        free(t);
        r = js_throw(env, PSC_ERR_NOMEM, "table");
        goto out;
    }
    t->next = owner->tables;
    owner->tables = t;
out:
    js_scratch_free(&sc);
    return r;
}

static psc_table *self_table(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self,
                             jtable **jt)
{
    napi_value me;
    if (!js_args(env, info, n, argv, &me, NULL))
        return NULL;
    jtable *t = js_native(env, me);
    if (self)
        *self = me;
    if (jt)
        *jt = t;
    return live_table(env, t);
}

static napi_value table_close(napi_env env, napi_callback_info info)
{
    napi_value self;
    if (!js_args(env, info, 0, NULL, &self, NULL))
        return NULL;
    jtable *t = js_native(env, self);
    if (t && t->t) {
        jtable **pp = &t->owner->tables;
        while (*pp && *pp != t)
            pp = &(*pp)->next;
        if (*pp)
            *pp = t->next;
        js_table_free(t);
    }
    return js_undefined(env);
}

static napi_value table_open_connection(napi_env env, napi_callback_info info)
{
    napi_value argv[1], self;
    jtable *jt;
    psc_table *t = self_table(env, info, 1, argv, &self, &jt);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_connection pc;
    napi_value r = NULL;
    if (!read_conn(env, &sc, argv[0], &pc))
        goto out;
    jconn *c = calloc(1, sizeof *c);
    if (!c) {
        r = js_throw(env, PSC_ERR_NOMEM, "openConnection");
        goto out;
    }
    psc_err e = psc_table_conn_open(t, &pc, &c->h);
    if (e != PSC_OK) {
        free(c);
        r = js_throw(env, e, "openConnection");
        goto out;
    }
    c->tab = jt;
    if (!(r = js_child(env, self, &c->tab_ref, js_class_conn, c, conn_finalize))) {
        psc_table_conn_close(c->h, PSC_STATUS_ERROR, "binding out of memory", 0);
        free(c);
        r = js_throw(env, PSC_ERR_NOMEM, "openConnection");
    }
out:
    js_scratch_free(&sc);
    return r;
}

/* transport({id, name, listenAddrs, listening, dialing}) */
static napi_value table_transport(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_transport tr = PSC_TRANSPORT_INIT;
    napi_value r = NULL;
    if (js_get_bytes(env, &sc, argv[0], "id", &tr.id, &tr.id_len) && js_get_str(env, &sc, argv[0], "name", &tr.name) &&
        js_get_strv(env, &sc, argv[0], "listenAddrs", &tr.listen_addrs, &tr.n_listen_addrs) &&
        js_get_bool(env, argv[0], "listening", &tr.listening) && js_get_bool(env, argv[0], "dialing", &tr.dialing))
        r = result(env, psc_table_transport_put(t, &tr), "transport");
    js_scratch_free(&sc);
    return r;
}

/* dialer({inFlight, success, error, timeout, canceled, backoff}) */
static napi_value table_dialer(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    psc_dialer d = PSC_DIALER_INIT;
    if (!js_get_u32(env, argv[0], "inFlight", &d.in_flight) || !js_get_u64(env, argv[0], "success", &d.success) ||
        !js_get_u64(env, argv[0], "error", &d.error) || !js_get_u64(env, argv[0], "timeout", &d.timeout) ||
        !js_get_u64(env, argv[0], "canceled", &d.canceled) || !js_get_u64(env, argv[0], "backoff", &d.backoff))
        return NULL;
    return result(env, psc_table_set_dialer(t, &d), "dialer");
}

/* identify({requestsIn, requestsOut, pushesIn, pushesOut, errors}) */
static napi_value table_identify(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    psc_identify id = PSC_IDENTIFY_INIT;
    if (!js_get_u64(env, argv[0], "requestsIn", &id.requests_in) ||
        !js_get_u64(env, argv[0], "requestsOut", &id.requests_out) ||
        !js_get_u64(env, argv[0], "pushesIn", &id.pushes_in) ||
        !js_get_u64(env, argv[0], "pushesOut", &id.pushes_out) || !js_get_u64(env, argv[0], "errors", &id.errors))
        return NULL;
    return result(env, psc_table_set_identify(t, &id), "identify");
}

/* ping({sent, failures}) */
static napi_value table_ping(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    uint64_t sent = 0, failures = 0;
    if (!js_get_u64(env, argv[0], "sent", &sent) || !js_get_u64(env, argv[0], "failures", &failures))
        return NULL;
    return result(env, psc_table_set_ping(t, sent, failures), "ping");
}

/* pingPeer({peerId, lastRttNs, avgRttNs}) */
static napi_value table_ping_peer(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_ping_peer p = PSC_PING_PEER_INIT;
    napi_value r = NULL;
    if (js_get_str(env, &sc, argv[0], "peerId", &p.peer_id) && js_get_u64(env, argv[0], "lastRttNs", &p.last_rtt_ns) &&
        js_get_u64(env, argv[0], "avgRttNs", &p.avg_rtt_ns))
        r = result(env, psc_table_ping_peer_put(t, &p), "pingPeer");
    js_scratch_free(&sc);
    return r;
}

/* A removal by key: fn(table, key). */
static napi_value remove_by(napi_env env, napi_callback_info info, psc_err (*fn)(psc_table *, const char *),
                            const char *what)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *key = NULL;
    napi_value r = NULL;
    if (js_str(env, &sc, argv[0], what, &key))
        r = key ? result(env, fn(t, key), what) : js_type_error(env, "%s needs an id", what);
    js_scratch_free(&sc);
    return r;
}

static napi_value table_remove_ping_peer(napi_env env, napi_callback_info info)
{
    return remove_by(env, info, psc_table_ping_peer_remove, "removePingPeer");
}

/* dht({protocol, enabled, startTs, k, alpha, disjointPaths, beta, incoming: {success,error,timeout}, outgoing}) */
static bool read_queries(napi_env env, napi_value o, const char *name, psc_query_counts *q)
{
    napi_value v = js_prop(env, o, name);
    return js_get_u64(env, v, "success", &q->success) && js_get_u64(env, v, "error", &q->error) &&
           js_get_u64(env, v, "timeout", &q->timeout);
}

static napi_value table_dht(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_dht d = PSC_DHT_INIT;
    napi_value r = NULL;
    if (js_get_str(env, &sc, argv[0], "protocol", &d.protocol) && js_get_bool(env, argv[0], "enabled", &d.enabled) &&
        js_get_u64(env, argv[0], "startTs", &d.start_ts) && js_get_u64(env, argv[0], "k", &d.k) &&
        js_get_u64(env, argv[0], "alpha", &d.alpha) && js_get_u64(env, argv[0], "disjointPaths", &d.disjoint_paths) &&
        js_get_u64(env, argv[0], "beta", &d.beta) && read_queries(env, argv[0], "incoming", &d.incoming) &&
        read_queries(env, argv[0], "outgoing", &d.outgoing))
        r = result(env, psc_table_dht_set(t, &d), "dht");
    js_scratch_free(&sc);
    return r;
}

/* dhtPeer(cpl, {peerId, status, ageMs}) */
static napi_value table_dht_peer(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_dht_peer p = PSC_DHT_PEER_INIT;
    uint32_t cpl = 0;
    int status = 0;
    napi_value r = NULL;
    if (js_u32(env, argv[0], "cpl", &cpl) && js_get_str(env, &sc, argv[1], "peerId", &p.peer_id) &&
        js_get_enum(env, argv[1], "status", dht_status_names, 4, &status) &&
        js_get_u32(env, argv[1], "ageMs", &p.age_in_bucket_ms)) {
        p.status = (psc_dht_peer_status)status;
        r = result(env, psc_table_dht_peer_put(t, cpl, &p), "dhtPeer");
    }
    js_scratch_free(&sc);
    return r;
}

static napi_value table_remove_dht_peer(napi_env env, napi_callback_info info)
{
    return remove_by(env, info, psc_table_dht_peer_remove, "removeDhtPeer");
}

/* router(name, protocol) */
static napi_value table_router(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *router = NULL, *protocol = NULL;
    napi_value r = NULL;
    if (js_str(env, &sc, argv[0], "router", &router) && js_str(env, &sc, argv[1], "protocol", &protocol))
        r = result(env, psc_table_pubsub_set_router(t, router, protocol), "router");
    js_scratch_free(&sc);
    return r;
}

static bool read_pubsub_counts(napi_env env, napi_value o, const char *name, psc_pubsub_counts *c)
{
    napi_value v = js_prop(env, o, name);
    return js_get_u64(env, v, "received", &c->received) && js_get_u64(env, v, "sent", &c->sent) &&
           js_get_u64(env, v, "published", &c->published) && js_get_u64(env, v, "forwarded", &c->forwarded) &&
           js_get_u64(env, v, "rejected", &c->rejected) && js_get_u64(env, v, "duplicate", &c->duplicate);
}

/* topic({name, subscribed, peerCount, messages: {...}, bytes: {...}}) */
static napi_value table_topic(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_topic tp = PSC_TOPIC_INIT;
    napi_value r = NULL;
    if (js_get_str(env, &sc, argv[0], "name", &tp.name) && js_get_bool(env, argv[0], "subscribed", &tp.subscribed) &&
        js_get_u32(env, argv[0], "peerCount", &tp.peer_count) &&
        read_pubsub_counts(env, argv[0], "messages", &tp.messages) &&
        read_pubsub_counts(env, argv[0], "bytes", &tp.bytes))
        r = result(env, psc_table_topic_put(t, &tp), "topic");
    js_scratch_free(&sc);
    return r;
}

static napi_value table_remove_topic(napi_env env, napi_callback_info info)
{
    return remove_by(env, info, psc_table_topic_remove, "removeTopic");
}

/* mesh(topic, [{peerId, score, timeInMeshMs}]) */
static napi_value table_mesh(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *topic = NULL;
    bool is_array = false;
    uint32_t n = 0;
    napi_value r = NULL;
    if (!js_str(env, &sc, argv[0], "topic", &topic))
        goto out;
    if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
        r = js_type_error(env, "mesh peers must be an array");
        goto out;
    }
    napi_get_array_length(env, argv[1], &n);
    psc_mesh_peer *peers = js_alloc(&sc, (n ? n : 1) * sizeof *peers);
    if (!peers) {
        r = js_throw(env, PSC_ERR_NOMEM, "mesh");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        napi_value p;
        napi_get_element(env, argv[1], i, &p);
        peers[i] = (psc_mesh_peer)PSC_MESH_PEER_INIT;
        if (!js_get_str(env, &sc, p, "peerId", &peers[i].peer_id) || !js_get_f64(env, p, "score", &peers[i].score) ||
            !js_get_u64(env, p, "timeInMeshMs", &peers[i].time_in_mesh_ms))
            goto out;
    }
    r = result(env, psc_table_topic_set_mesh(t, topic, peers, n), "mesh");
out:
    js_scratch_free(&sc);
    return r;
}

/* fanout(topic, [peerId, ...]) */
static napi_value table_fanout(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *topic = NULL;
    const char *const *ids = NULL;
    size_t n = 0;
    napi_value r = NULL;
    if (js_str(env, &sc, argv[0], "topic", &topic) && js_strv(env, &sc, argv[1], "fanout peers", &ids, &n))
        r = result(env, psc_table_topic_set_fanout(t, topic, ids, n), "fanout");
    js_scratch_free(&sc);
    return r;
}

/* peer({peerId, addrs, protocols, agentVersion, protocolVersion, latencyEwmaNs, firstSeenTs, lastSeenTs, tags: [{name, value}]}) */
static napi_value table_peer(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_peer_info p = PSC_PEER_INFO_INIT;
    napi_value r = NULL;
    napi_value tags = js_prop(env, argv[0], "tags");
    bool ok = js_get_str(env, &sc, argv[0], "peerId", &p.peer_id) &&
              js_get_strv(env, &sc, argv[0], "addrs", &p.addrs, &p.n_addrs) &&
              js_get_strv(env, &sc, argv[0], "protocols", &p.protocols, &p.n_protocols) &&
              js_get_str(env, &sc, argv[0], "agentVersion", &p.agent_version) &&
              js_get_str(env, &sc, argv[0], "protocolVersion", &p.protocol_version) &&
              js_get_u64(env, argv[0], "latencyEwmaNs", &p.latency_ewma_ns) &&
              js_get_u64(env, argv[0], "firstSeenTs", &p.first_seen_ts) &&
              js_get_u64(env, argv[0], "lastSeenTs", &p.last_seen_ts);
    if (ok && !js_absent(env, tags)) {
        bool is_array = false;
        uint32_t n = 0;
        if (napi_is_array(env, tags, &is_array) != napi_ok || !is_array) {
            js_type_error(env, "tags must be an array of {name, value}");
            ok = false;
        } else {
            napi_get_array_length(env, tags, &n);
            psc_peer_tag *v = js_alloc(&sc, (n ? n : 1) * sizeof *v);
            ok = v != NULL;
            for (uint32_t i = 0; ok && i < n; i++) {
                napi_value e;
                double value = 0;
                napi_get_element(env, tags, i, &e);
                v[i].name = NULL;
                ok = js_get_str(env, &sc, e, "name", &v[i].name) && js_get_f64(env, e, "value", &value);
                v[i].value = (int64_t)value;
            }
            p.tags = v;
            p.n_tags = n;
        }
    }
    if (ok)
        r = result(env, psc_table_peer_put(t, &p), "peer");
    else if (!js_pending(env))
        js_throw(env, PSC_ERR_NOMEM, "peer");
    js_scratch_free(&sc);
    return r;
}

static napi_value table_remove_peer(napi_env env, napi_callback_info info)
{
    return remove_by(env, info, psc_table_peer_remove, "removePeer");
}

static const char *const scope_kind_names[] = {"system", "transient", "service", "protocol",
                                               "peer", "connection", "stream"};

static bool read_resources(napi_env env, napi_value o, const char *name, psc_resources *r)
{
    napi_value v = js_prop(env, o, name);
    return js_get_u64(env, v, "connsIn", &r->conns_in) && js_get_u64(env, v, "connsOut", &r->conns_out) &&
           js_get_u64(env, v, "streamsIn", &r->streams_in) && js_get_u64(env, v, "streamsOut", &r->streams_out) &&
           js_get_u64(env, v, "memory", &r->memory) && js_get_u64(env, v, "fds", &r->fds);
}

/* scope({kind, name, usage: {connsIn, ...}, limit: {...}}) */
static napi_value table_scope(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    psc_table *t = self_table(env, info, 1, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    psc_resource_scope s = PSC_RESOURCE_SCOPE_INIT;
    int kind = 0;
    napi_value r = NULL;
    if (js_get_enum(env, argv[0], "kind", scope_kind_names, 7, &kind) && js_get_str(env, &sc, argv[0], "name", &s.name) &&
        read_resources(env, argv[0], "usage", &s.usage) && read_resources(env, argv[0], "limit", &s.limit)) {
        s.kind = (psc_scope_kind)kind;
        r = result(env, psc_table_scope_put(t, &s), "scope");
    }
    js_scratch_free(&sc);
    return r;
}

/* removeScope(kind, name) */
static napi_value table_remove_scope(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    int kind = 0;
    const char *name = NULL;
    napi_value r = NULL;
    if (js_enum(env, argv[0], "kind", scope_kind_names, 7, &kind) && js_str(env, &sc, argv[1], "name", &name))
        r = result(env, psc_table_scope_remove(t, (psc_scope_kind)kind, name), "removeScope");
    js_scratch_free(&sc);
    return r;
}

/*
 * custom(section, name, value): a BigInt is an integer, a number a number,
 * a string a text, anything else JSON (JSON.stringify); customJson(section,
 * name, text) takes JSON text as it is.
 */
static napi_value custom_put(napi_env env, napi_callback_info info, bool raw_json)
{
    napi_value argv[3];
    psc_table *t = self_table(env, info, 3, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *section = NULL, *name = NULL, *text = NULL;
    napi_value r = NULL;
    if (!js_str(env, &sc, argv[0], "section", &section) || !js_str(env, &sc, argv[1], "name", &name))
        goto out;
    if (!section || !name) {
        r = js_type_error(env, "custom needs a section and a name");
        goto out;
    }
    psc_err e;
    if (raw_json) {
        if (!js_str(env, &sc, argv[2], "json", &text))
            goto out;
        e = psc_table_custom_json(t, section, name, text);
    } else if (js_is(env, argv[2], napi_bigint)) {
        int64_t v;
        bool lossless;
        napi_get_value_bigint_int64(env, argv[2], &v, &lossless);
        if (!lossless) {
            r = js_type_error(env, "%s does not fit a 64-bit integer", name);
            goto out;
        }
        e = psc_table_custom_integer(t, section, name, v);
    } else if (js_is(env, argv[2], napi_number)) {
        double v;
        napi_get_value_double(env, argv[2], &v);
        e = psc_table_custom_number(t, section, name, v);
    } else if (js_is(env, argv[2], napi_string)) {
        if (!js_str(env, &sc, argv[2], name, &text))
            goto out;
        e = psc_table_custom_text(t, section, name, text);
    } else {
        napi_value global, json, stringify, str;
        napi_get_global(env, &global);
        napi_get_named_property(env, global, "JSON", &json);
        napi_get_named_property(env, json, "stringify", &stringify);
        if (napi_call_function(env, json, stringify, 1, &argv[2], &str) != napi_ok ||
            !js_str(env, &sc, str, name, &text))
            goto out;
        e = text ? psc_table_custom_json(t, section, name, text) : PSC_ERR_INVALID;
    }
    r = result(env, e, "custom");
out:
    js_scratch_free(&sc);
    return r;
}

static napi_value table_custom(napi_env env, napi_callback_info info)
{
    return custom_put(env, info, false);
}

static napi_value table_custom_json(napi_env env, napi_callback_info info)
{
    return custom_put(env, info, true);
}

/* removeCustom(section, name) */
static napi_value table_remove_custom(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    psc_table *t = self_table(env, info, 2, argv, NULL, NULL);
    if (!t)
        return NULL;
    js_scratch sc = {0};
    const char *section = NULL, *name = NULL;
    napi_value r = NULL;
    if (js_str(env, &sc, argv[0], "section", &section) && js_str(env, &sc, argv[1], "name", &name))
        r = result(env, psc_table_custom_remove(t, section, name), "removeCustom");
    js_scratch_free(&sc);
    return r;
}

static napi_value table_stats(napi_env env, napi_callback_info info)
{
    psc_table *t = self_table(env, info, 0, NULL, NULL, NULL);
    if (!t)
        return NULL;
    psc_table_stats s = {.struct_size = sizeof s};
    psc_err e = psc_table_stats_get(t, &s);
    if (e)
        return js_throw(env, e, "stats");
    napi_value o;
    napi_create_object(env, &o);
    napi_set_named_property(env, o, "pending", js_number(env, (double)s.pending));
    napi_set_named_property(env, o, "connections", js_number(env, (double)s.connections));
    napi_set_named_property(env, o, "streams", js_number(env, (double)s.streams));
    napi_set_named_property(env, o, "dhtPeers", js_number(env, (double)s.dht_peers));
    napi_set_named_property(env, o, "topics", js_number(env, (double)s.topics));
    napi_set_named_property(env, o, "peers", js_number(env, (double)s.peers));
    napi_set_named_property(env, o, "applied", js_number(env, (double)s.applied));
    napi_set_named_property(env, o, "rejected", js_number(env, (double)s.rejected));
    return o;
}

#define METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

bool js_table_init(napi_env env, napi_value exports)
{
    static const napi_property_descriptor table_methods[] = {
        METHOD("close", table_close),
        METHOD("openConnection", table_open_connection),
        METHOD("transport", table_transport),
        METHOD("dialer", table_dialer),
        METHOD("identify", table_identify),
        METHOD("ping", table_ping),
        METHOD("pingPeer", table_ping_peer),
        METHOD("removePingPeer", table_remove_ping_peer),
        METHOD("dht", table_dht),
        METHOD("dhtPeer", table_dht_peer),
        METHOD("removeDhtPeer", table_remove_dht_peer),
        METHOD("router", table_router),
        METHOD("topic", table_topic),
        METHOD("removeTopic", table_remove_topic),
        METHOD("mesh", table_mesh),
        METHOD("fanout", table_fanout),
        METHOD("peer", table_peer),
        METHOD("removePeer", table_remove_peer),
        METHOD("scope", table_scope),
        METHOD("removeScope", table_remove_scope),
        METHOD("custom", table_custom),
        METHOD("customJson", table_custom_json),
        METHOD("removeCustom", table_remove_custom),
        METHOD("stats", table_stats),
    };
    static const napi_property_descriptor conn_methods[] = {
        METHOD("update", conn_update),
        METHOD("received", conn_received),
        METHOD("sent", conn_sent),
        METHOD("openStream", conn_open_stream),
        METHOD("close", conn_close),
    };
    static const napi_property_descriptor stream_methods[] = {
        METHOD("update", stream_update),
        METHOD("received", stream_received),
        METHOD("sent", stream_sent),
        METHOD("close", stream_close),
    };
    return js_define_class(env, exports, "Table", NULL, table_methods, sizeof table_methods / sizeof table_methods[0],
                           &js_class_table) &&
           js_define_class(env, exports, "Connection", NULL, conn_methods,
                           sizeof conn_methods / sizeof conn_methods[0], &js_class_conn) &&
           js_define_class(env, exports, "Stream", NULL, stream_methods,
                           sizeof stream_methods / sizeof stream_methods[0], &js_class_stream);
}

/*
 * The PostgreSQL store (libpq): the same tables and views as SQLite, for
 * a fleet whose recorders share one database. Node, run and session rows
 * are written at once (they are few, and their ids are needed); the rows
 * that grow with time are collected per batch as COPY text and sent with
 * one COPY per table at commit, in the batch's transaction.
 *
 * Several recorders may write into one database: nodes are upserted by
 * their key, runs found by (node, start_ts), state ids reserved from the
 * table's sequence, and the schema is created under an advisory lock.
 * A lost connection is reset at the next batch; until then the store is
 * busy, which the writer retries.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_text.h"
#include "schema.h"
#include "store.h"

#define ID_BLOCK 64
/* pg_advisory_xact_lock key for creating and migrating the schema ('PSCR') */
#define SCHEMA_LOCK 1347634002

enum { CP_STATES, CP_CONNS, CP_PROTOS, CP_BUCKETS, CP_EVENTS, CP_COUNT };

static const char *const copy_sql[CP_COUNT] = {
    [CP_STATES] = "COPY states (id, node_id, run_id, session_id, seq, ts, kind, base_seq, blob, connections, "
                  "connections_open, streams, peers, dht_peers, peerstore_peers, topics, bytes_in, bytes_out, "
                  "rate_in, rate_out) FROM STDIN",
    [CP_CONNS] = "COPY connections (state_id, node_id, ts, conn_id, peer_id, transport, direction, status, "
                 "remote_addr, streams, bytes_in, bytes_out, rate_in, rate_out, latency_ns, open_ts, close_ts) "
                 "FROM STDIN",
    [CP_PROTOS] = "COPY stream_protocols (state_id, node_id, ts, protocol, streams, bytes_in, bytes_out, delta_in, "
                  "delta_out) FROM STDIN",
    [CP_BUCKETS] = "COPY dht_buckets (state_id, node_id, ts, dht, cpl, peers, active) FROM STDIN",
    [CP_EVENTS] = "COPY events (node_id, run_id, ts, seq, type, props) FROM STDIN",
};

static const struct {
    const char *name, *sql;
    int n;
} prepared[] = {
    {"psc_node",
     "INSERT INTO nodes (peer_id, implementation, first_seen, last_seen) VALUES ($1, $2, $3, $3) "
     "ON CONFLICT (peer_id, implementation) DO UPDATE SET last_seen = greatest(nodes.last_seen, excluded.last_seen) "
     "RETURNING id",
     3},
    {"psc_find_run", "SELECT id, last_event_seq FROM runs WHERE node_id = $1 AND start_ts = $2", 2},
    {"psc_ins_run",
     "INSERT INTO runs (node_id, start_ts, version, platform, peerscope_version, first_seen, last_seen) "
     "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
     6},
    {"psc_etype",
     "INSERT INTO event_types (run_id, name, properties) VALUES ($1, $2, $3) "
     "ON CONFLICT (run_id, name) DO UPDATE SET properties = excluded.properties "
     "WHERE excluded.properties <> '[]'::jsonb",
     3},
    {"psc_session", "INSERT INTO sessions (run_id, url, opened, last_seen) VALUES ($1, $2, $3, $3) RETURNING id", 3},
    {"psc_upd_session",
     "UPDATE sessions SET last_seen = greatest(last_seen, $2), events_dropped = $3, closed = $4, close_reason = $5 "
     "WHERE id = $1",
     5},
    {"psc_upd_run",
     "UPDATE runs SET last_seen = greatest(last_seen, $2), last_event_seq = greatest(last_event_seq, $3) "
     "WHERE id = $1",
     3},
    {"psc_upd_node", "UPDATE nodes SET last_seen = greatest(last_seen, $2) WHERE id = $1", 2},
    {"psc_state_ids", "SELECT nextval(pg_get_serial_sequence('states', 'id')) FROM generate_series(1, $1)", 1},
};
#define N_PREPARED (sizeof prepared / sizeof prepared[0])

typedef struct pg_store {
    rec_store base;
    PGconn *conn;
    bool prepared;
    bool in_tx;
    rec_buf copy[CP_COUNT];
    int64_t ids[ID_BLOCK]; /* state ids reserved, used from the back */
    size_t n_ids;
} pg_store;

/* ------------------------------------------------------------ errors */

static void set_err(pg_store *s, const char *what, const char *msg)
{
    snprintf(s->base.err, sizeof s->base.err, "%s: %s", what, msg && *msg ? msg : "unknown error");
    /* libpq's messages end with a newline */
    size_t n = strlen(s->base.err);
    while (n && (s->base.err[n - 1] == '\n' || s->base.err[n - 1] == ' '))
        s->base.err[--n] = 0;
}

static rec_status classify(pg_store *s, const PGresult *r)
{
    if (PQstatus(s->conn) != CONNECTION_OK)
        return REC_BUSY; /* reset at the next batch */
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return REC_IO;
    if (strcmp(state, "53100") == 0)
        return REC_FULL; /* disk_full */
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strncmp(state, "57P", 3) == 0 || strcmp(state, "55P03") == 0)
        return REC_BUSY; /* connection, serialization, deadlock, shutdown, lock not available */
    if (strcmp(state, "53200") == 0)
        return REC_NOMEM;
    return REC_IO;
}

/* Check a result (consumed); REC_OK for the status wanted. */
static rec_status check(pg_store *s, PGresult *r, ExecStatusType want, const char *what)
{
    if (r && PQresultStatus(r) == want) {
        PQclear(r);
        return REC_OK;
    }
    set_err(s, what, r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
    rec_status st = classify(s, r);
    PQclear(r);
    return st;
}

static rec_status exec(pg_store *s, const char *sql, const char *what)
{
    return check(s, PQexec(s->conn, sql), PGRES_COMMAND_OK, what);
}

/* A prepared statement; *out (if not NULL) gets the result of a query, to PQclear. */
static rec_status pq_run(pg_store *s, const char *name, int n, const char *const *vals, PGresult **out,
                      const char *what)
{
    PGresult *r = PQexecPrepared(s->conn, name, n, vals, NULL, NULL, 0);
    ExecStatusType want = out ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
    if (r && PQresultStatus(r) == want) {
        if (out)
            *out = r;
        else
            PQclear(r);
        return REC_OK;
    }
    return check(s, r, want, what);
}

/* ------------------------------------------------------------- COPY text */

/* Text for COPY's text format: backslash, tab, newline and CR escaped. */
static void cp_text(rec_buf *b, const char *v)
{
    const char *run = v;
    for (const char *p = v; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
        if (!esc)
            continue;
        rec_buf_add(b, run, (size_t)(p - run));
        rec_buf_str(b, esc);
        run = p + 1;
    }
    rec_buf_str(b, run);
}

static void cp_int(rec_buf *b, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
    rec_buf_add(b, tmp, (size_t)n);
}

static void cp_opt(rec_buf *b, uint64_t v, bool present)
{
    if (present)
        cp_int(b, v);
    else
        rec_buf_add(b, "\\N", 2);
}

static void cp_sep(rec_buf *b)
{
    rec_buf_add(b, "\t", 1);
}

static void cp_end(rec_buf *b)
{
    rec_buf_add(b, "\n", 1);
}

/* bytea in hex ("\x..."), its backslash escaped for COPY. */
static void cp_bytea(rec_buf *b, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    rec_buf_add(b, "\\\\x", 3);
    char chunk[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        chunk[k++] = digits[p[i] >> 4];
        chunk[k++] = digits[p[i] & 15];
        if (k == sizeof chunk) {
            rec_buf_add(b, chunk, k);
            k = 0;
        }
    }
    rec_buf_add(b, chunk, k);
}

static rec_status flush_copy(pg_store *s, int which)
{
    rec_buf *b = &s->copy[which];
    if (!b->ok) {
        snprintf(s->base.err, sizeof s->base.err, "out of memory while collecting rows");
        return REC_NOMEM;
    }
    if (!b->len)
        return REC_OK;
    PGresult *r = PQexec(s->conn, copy_sql[which]);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN)
        return check(s, r, PGRES_COPY_IN, "cannot start a COPY");
    PQclear(r);
    int ok = PQputCopyData(s->conn, b->p, (int)b->len);
    if (ok == 1)
        ok = PQputCopyEnd(s->conn, NULL);
    b->len = 0;
    if (ok != 1) {
        set_err(s, "cannot send rows", PQerrorMessage(s->conn));
        return classify(s, NULL);
    }
    rec_status st = REC_OK;
    while ((r = PQgetResult(s->conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && st == REC_OK) {
            set_err(s, "cannot store rows", PQresultErrorMessage(r));
            st = classify(s, r);
        }
        PQclear(r);
    }
    return st;
}

/* ------------------------------------------------------------ batches */

static rec_status prepare_all(pg_store *s)
{
    for (size_t i = 0; i < N_PREPARED; i++) {
        rec_status st = check(s, PQprepare(s->conn, prepared[i].name, prepared[i].sql, prepared[i].n, NULL),
                              PGRES_COMMAND_OK, "cannot prepare a statement");
        if (st)
            return st;
    }
    s->prepared = true;
    return REC_OK;
}

static rec_status pg_begin(rec_store *base)
{
    pg_store *s = (pg_store *)base;
    if (PQstatus(s->conn) != CONNECTION_OK) {
        PQreset(s->conn);
        if (PQstatus(s->conn) != CONNECTION_OK) {
            set_err(s, "connection lost", PQerrorMessage(s->conn));
            return REC_BUSY;
        }
        s->prepared = false;
        s->n_ids = 0;
    }
    rec_status st = s->prepared ? REC_OK : prepare_all(s);
    if (!st)
        st = exec(s, "BEGIN", "cannot start a transaction");
    s->in_tx = st == REC_OK;
    for (int i = 0; i < CP_COUNT; i++) {
        s->copy[i].len = 0;
        s->copy[i].ok = true;
    }
    return st;
}

static rec_status pg_commit(rec_store *base)
{
    pg_store *s = (pg_store *)base;
    for (int i = 0; i < CP_COUNT; i++) {
        rec_status st = flush_copy(s, i);
        if (st)
            return st;
    }
    rec_status st = exec(s, "COMMIT", "cannot commit");
    if (!st)
        s->in_tx = false;
    return st;
}

static void pg_rollback(rec_store *base)
{
    pg_store *s = (pg_store *)base;
    if (PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    s->in_tx = false;
    for (int i = 0; i < CP_COUNT; i++)
        s->copy[i].len = 0;
}

/* ------------------------------------------------------------- rows */

#define I64(buf, v) snprintf(buf, sizeof buf, "%" PRId64, (int64_t)(v))
#define U64(buf, v) snprintf(buf, sizeof buf, "%" PRId64, (v) > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(v))

static rec_status pg_event_type(rec_store *base, const rec_ids *ids, const char *name, const char *props)
{
    pg_store *s = (pg_store *)base;
    char run_id[24];
    I64(run_id, ids->run);
    const char *v[] = {run_id, name, props ? props : "[]"};
    return pq_run(s, "psc_etype", 3, v, NULL, "cannot store an event type");
}

/* The first column of the first row of a query's result, as an integer (the result is cleared). */
static int64_t first_int(PGresult *r)
{
    int64_t v = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return v;
}

static rec_status pg_session_open(rec_store *base, const rec_runtime *rt, const rec_event_type *types, size_t n_types,
                                  const char *url, uint64_t now, rec_ids *ids, uint64_t *last_seq)
{
    pg_store *s = (pg_store *)base;
    char now_s[24], start_s[24], node_s[24], run_s[24];
    U64(now_s, now);
    U64(start_s, rt->start_ts);
    PGresult *r;
    const char *nv[] = {rt->peer_id, rt->implementation, now_s};
    rec_status st = pq_run(s, "psc_node", 3, nv, &r, "cannot store the node");
    if (st)
        return st;
    ids->node = first_int(r);
    I64(node_s, ids->node);

    ids->run = 0;
    *last_seq = 0;
    if (rt->start_ts) {
        const char *fv[] = {node_s, start_s};
        if ((st = pq_run(s, "psc_find_run", 2, fv, &r, "cannot look up the run")))
            return st;
        if (PQntuples(r) > 0) {
            ids->run = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            *last_seq = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
        }
        PQclear(r);
    }
    if (!ids->run) {
        const char *rv[] = {node_s, start_s, rt->version, rt->platform, rt->peerscope_version, now_s};
        if ((st = pq_run(s, "psc_ins_run", 6, rv, &r, "cannot store the run")))
            return st;
        ids->run = first_int(r);
    }
    for (size_t i = 0; i < n_types; i++)
        if ((st = pg_event_type(base, ids, types[i].name, types[i].props)))
            return st;
    I64(run_s, ids->run);
    const char *sv[] = {run_s, url, now_s};
    if ((st = pq_run(s, "psc_session", 3, sv, &r, "cannot store the session")))
        return st;
    ids->session = first_int(r);
    return REC_OK;
}

/* A state id from the block reserved from the sequence (another block when it runs out). */
static rec_status state_id(pg_store *s, int64_t *id)
{
    if (!s->n_ids) {
        char n[8];
        snprintf(n, sizeof n, "%d", ID_BLOCK);
        const char *v[] = {n};
        PGresult *r;
        rec_status st = pq_run(s, "psc_state_ids", 1, v, &r, "cannot reserve state ids");
        if (st)
            return st;
        int rows = PQntuples(r);
        /* kept in reverse, so that ids are used in ascending order */
        for (int i = rows - 1; i >= 0 && s->n_ids < ID_BLOCK; i--)
            s->ids[s->n_ids++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        PQclear(r);
        if (!s->n_ids) {
            snprintf(s->base.err, sizeof s->base.err, "cannot reserve state ids");
            return REC_IO;
        }
    }
    *id = s->ids[--s->n_ids];
    return REC_OK;
}

static rec_status pg_state(rec_store *base, const rec_state_row *r)
{
    pg_store *s = (pg_store *)base;
    int64_t id;
    rec_status st = state_id(s, &id);
    if (st)
        return st;
    rec_buf *b = &s->copy[CP_STATES];
    uint64_t head[] = {(uint64_t)id, (uint64_t)r->ids.node, (uint64_t)r->ids.run, (uint64_t)r->ids.session, r->seq,
                       r->ts};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        cp_int(b, head[i]);
        cp_sep(b);
    }
    rec_buf_str(b, r->delta ? "delta" : "full");
    cp_sep(b);
    cp_opt(b, r->base_seq, r->delta);
    cp_sep(b);
    cp_bytea(b, r->blob, r->blob_len);
    uint64_t nums[] = {r->connections, r->connections_open, r->streams,  r->peers,    r->dht_peers, r->peerstore_peers,
                       r->topics,      r->bytes_in,         r->bytes_out, r->rate_in, r->rate_out};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        cp_sep(b);
        cp_int(b, nums[i]);
    }
    cp_end(b);

    /* every derived row starts with state_id, node_id, ts */
    char lead[80];
    snprintf(lead, sizeof lead, "%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t", id, r->ids.node,
             r->ts > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)r->ts);
    b = &s->copy[CP_CONNS];
    for (size_t i = 0; i < r->n_conns; i++) {
        const rec_conn_row *c = &r->conns[i];
        rec_buf_str(b, lead);
        const char *texts[] = {c->conn_id, c->peer_id, c->transport, c->direction, c->status, c->remote_addr};
        for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
            cp_text(b, texts[k]);
            cp_sep(b);
        }
        uint64_t v[] = {c->streams, c->bytes_in, c->bytes_out, c->rate_in, c->rate_out, c->latency_ns};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            cp_int(b, v[k]);
            cp_sep(b);
        }
        cp_opt(b, c->open_ts, c->open_ts != 0);
        cp_sep(b);
        cp_opt(b, c->close_ts, c->close_ts != 0);
        cp_end(b);
    }
    b = &s->copy[CP_PROTOS];
    for (size_t i = 0; i < r->n_protos; i++) {
        const rec_proto_row *p = &r->protos[i];
        rec_buf_str(b, lead);
        cp_text(b, p->protocol);
        cp_sep(b);
        cp_int(b, p->streams);
        cp_sep(b);
        cp_int(b, p->bytes_in);
        cp_sep(b);
        cp_int(b, p->bytes_out);
        cp_sep(b);
        cp_opt(b, p->delta_in, p->has_delta);
        cp_sep(b);
        cp_opt(b, p->delta_out, p->has_delta);
        cp_end(b);
    }
    b = &s->copy[CP_BUCKETS];
    for (size_t i = 0; i < r->n_buckets; i++) {
        const rec_bucket_row *k = &r->buckets[i];
        rec_buf_str(b, lead);
        cp_text(b, k->dht);
        cp_sep(b);
        cp_int(b, k->cpl);
        cp_sep(b);
        cp_int(b, k->peers);
        cp_sep(b);
        cp_int(b, k->active);
        cp_end(b);
    }
    return REC_OK;
}

static rec_status pg_event(rec_store *base, const rec_event_row *e)
{
    pg_store *s = (pg_store *)base;
    rec_buf *b = &s->copy[CP_EVENTS];
    cp_int(b, (uint64_t)e->ids.node);
    cp_sep(b);
    cp_int(b, (uint64_t)e->ids.run);
    cp_sep(b);
    cp_int(b, e->ts);
    cp_sep(b);
    cp_int(b, e->seq);
    cp_sep(b);
    cp_text(b, e->type);
    cp_sep(b);
    cp_text(b, e->props);
    cp_end(b);
    return b->ok ? REC_OK : REC_NOMEM;
}

static rec_status pg_progress(rec_store *base, const rec_progress *p)
{
    pg_store *s = (pg_store *)base;
    char sid[24], rid[24], nid[24], seen[24], seq[24], dropped[24];
    I64(sid, p->ids.session);
    I64(rid, p->ids.run);
    I64(nid, p->ids.node);
    U64(seen, p->last_seen);
    U64(seq, p->last_event_seq);
    U64(dropped, p->events_dropped);
    const char *sv[] = {sid, seen, dropped, p->closed ? seen : NULL, p->closed ? p->close_reason : NULL};
    rec_status st = pq_run(s, "psc_upd_session", 5, sv, NULL, "cannot update the session");
    const char *rv[] = {rid, seen, seq};
    if (!st)
        st = pq_run(s, "psc_upd_run", 3, rv, NULL, "cannot update the run");
    const char *nv[] = {nid, seen};
    if (!st)
        st = pq_run(s, "psc_upd_node", 2, nv, NULL, "cannot update the node");
    return st;
}

/* ----------------------------------------------------------- retention */

static rec_status query_i64(pg_store *s, const char *sql, int64_t *out)
{
    PGresult *r = PQexec(s->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
        return check(s, r, PGRES_TUPLES_OK, "query failed");
    *out = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return REC_OK;
}

/* As in the SQLite store: the end of the prefix (by id) of rows older than cutoff. */
static rec_status prefix_end(pg_store *s, const char *table, int64_t cutoff, int step, int64_t *hi)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id, ts FROM %s ORDER BY id LIMIT %d", table, step);
    PGresult *r = PQexec(s->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
        return check(s, r, PGRES_TUPLES_OK, "cannot prune");
    *hi = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strtoll(PQgetvalue(r, i, 1), NULL, 10) >= cutoff)
            break;
        *hi = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    }
    PQclear(r);
    return REC_OK;
}

static rec_status delete_upto(pg_store *s, const char *table, const char *column, int64_t hi, uint64_t *rows)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s <= %" PRId64, table, column, hi);
    PGresult *r = PQexec(s->conn, sql);
    if (r && PQresultStatus(r) == PGRES_COMMAND_OK)
        *rows += strtoull(PQcmdTuples(r), NULL, 10);
    return check(s, r, PGRES_COMMAND_OK, "cannot prune");
}

static rec_status prune_step(pg_store *s, int64_t cutoff, uint64_t *rows, bool *more)
{
    int64_t ev_hi = 0, st_hi = 0;
    rec_status st = exec(s, "BEGIN", "cannot prune");
    if (st)
        return st;
    if (!(st = prefix_end(s, "events", cutoff, 5000, &ev_hi)) && ev_hi)
        st = delete_upto(s, "events", "id", ev_hi, rows);
    if (!st && !(st = prefix_end(s, "states", cutoff, 64, &st_hi)) && st_hi) {
        static const char *const derived[] = {"connections", "stream_protocols", "dht_buckets"};
        for (size_t i = 0; !st && i < sizeof derived / sizeof derived[0]; i++)
            st = delete_upto(s, derived[i], "state_id", st_hi, rows);
        if (!st)
            st = delete_upto(s, "states", "id", st_hi, rows);
    }
    if (!st)
        st = exec(s, "COMMIT", "cannot prune");
    if (st) {
        pg_rollback(&s->base);
        return st;
    }
    *more = ev_hi || st_hi;
    return REC_OK;
}

static rec_status pg_prune(rec_store *base, const rec_retention *ret, uint64_t now, size_t max_rows,
                           rec_prune_result *out)
{
    pg_store *s = (pg_store *)base;
    memset(out, 0, sizeof *out);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return REC_BUSY; /* the next batch resets the connection */
    static const char size_sql[] =
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND c.relname IN "
        "('nodes', 'runs', 'event_types', 'sessions', 'states', 'connections', 'stream_protocols', 'dht_buckets', "
        "'events')";
    int64_t used = 0;
    rec_status st = query_i64(s, size_sql, &used);
    if (st)
        return st;
    int64_t cutoff = ret->keep_ms && now > ret->keep_ms ? (int64_t)(now - ret->keep_ms) : 0;
    bool over = ret->max_bytes && (double)used > (double)ret->max_bytes * 0.85;
    while (out->rows < max_rows) {
        int64_t cut = cutoff;
        if (over) {
            int64_t oldest = 0, newest = 0, e0, s0;
            if ((st = query_i64(s, "SELECT ts FROM events ORDER BY id LIMIT 1", &e0)) ||
                (st = query_i64(s, "SELECT ts FROM states ORDER BY id LIMIT 1", &s0)) ||
                (st = query_i64(s, "SELECT greatest((SELECT max(ts) FROM events), (SELECT max(ts) FROM states))",
                                &newest)))
                return st;
            oldest = e0 && s0 ? (e0 < s0 ? e0 : s0) : (e0 ? e0 : s0);
            int64_t span = newest > oldest ? (newest - oldest) / 10 : 0;
            int64_t size_cut = oldest + (span > 1000 ? span : 1000);
            if (size_cut > cut)
                cut = size_cut;
        }
        if (!cut)
            break;
        bool more = false;
        if ((st = prune_step(s, cut, &out->rows, &more)))
            return st;
        if ((st = query_i64(s, size_sql, &used)))
            return st;
        /* deleted space comes back after (auto)vacuum: stop at what was deleted this round */
        if (over && ((double)used < (double)ret->max_bytes * 0.75 || !more))
            over = false;
        if (!more || (!over && !cutoff))
            break;
    }
    out->more = out->rows >= max_rows;
    out->size_bytes = (uint64_t)used;
    return REC_OK;
}

/* ------------------------------------------------------------- open */

static void pg_close(rec_store *base)
{
    pg_store *s = (pg_store *)base;
    if (!s)
        return;
    if (s->conn) {
        pg_rollback(base);
        PQfinish(s->conn);
    }
    for (int i = 0; i < CP_COUNT; i++)
        rec_buf_free(&s->copy[i]);
    free(s);
}

static const rec_store_vt pg_vt = {
    .kind = "postgres",
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .session_open = pg_session_open,
    .event_type = pg_event_type,
    .state = pg_state,
    .event = pg_event,
    .progress = pg_progress,
    .prune = pg_prune,
    .close = pg_close,
};

static void quiet_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* NOTICEs ("relation exists, skipping", ...) are not for the user */
}

/* The URI for messages: its password (user:PASSWORD@) left out. */
static void redact(const char *uri, char *out, size_t len)
{
    const char *scheme = strstr(uri, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at)
        snprintf(out, len, "%.*s:***%s", (int)(colon - uri), uri, at);
    else
        snprintf(out, len, "%s", uri);
}

/* Create or upgrade the schema, under a lock that other recorders of the same database wait for. */
static rec_status ensure_schema(pg_store *s, char *why, size_t whylen)
{
    rec_status st = exec(s, "BEGIN", "cannot create the tables");
    if (st)
        return st;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", SCHEMA_LOCK);
    PGresult *r = PQexec(s->conn, sql);
    if ((st = check(s, r, PGRES_TUPLES_OK, "cannot lock the schema")))
        goto fail;
    int64_t has_meta = 0, ours = 0, version = 0;
    if ((st = query_i64(s, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'psc_meta'",
                        &has_meta)))
        goto fail;
    if ((st = query_i64(s,
                        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN "
                        "('nodes', 'runs', 'event_types', 'sessions', 'states', 'connections', 'stream_protocols', "
                        "'dht_buckets', 'events')",
                        &ours)))
        goto fail;
    if (!has_meta && ours) {
        snprintf(why, whylen, "the database already has tables named like ours (%" PRId64
                 ") but no psc_meta: they belong to another program; refusing to write into them", ours);
        st = REC_SCHEMA;
        goto fail;
    }
    if (has_meta && (st = query_i64(s, "SELECT value::bigint FROM psc_meta WHERE key = 'schema_version'", &version)))
        goto fail;
    if (version > REC_SCHEMA_VERSION) {
        snprintf(why, whylen, "written by a newer peerscope-record (schema version %" PRId64
                 "; this one knows up to %d)", version, REC_SCHEMA_VERSION);
        st = REC_SCHEMA;
        goto fail;
    }
    if (!has_meta &&
        (st = exec(s, "CREATE TABLE psc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", "cannot create psc_meta")))
        goto fail;
    for (int64_t v = version; v < REC_SCHEMA_VERSION; v++)
        if ((st = exec(s, rec_pg_migrations[v], "cannot create the tables")))
            goto fail;
    if (version < REC_SCHEMA_VERSION) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO psc_meta VALUES ('schema_version', '%d') ON CONFLICT (key) DO UPDATE SET value = "
                 "excluded.value",
                 REC_SCHEMA_VERSION);
        if ((st = exec(s, sql, "cannot record the schema version")))
            goto fail;
    }
    if ((st = exec(s, "COMMIT", "cannot create the tables")))
        goto fail;
    return REC_OK;
fail:
    if (!why[0])
        snprintf(why, whylen, "%s", s->base.err);
    pg_rollback(&s->base);
    return st;
}

rec_status rec_pg_open(const char *conninfo, const rec_store_opts *o, rec_store **out, char *err, size_t errlen)
{
    (void)o;
    *out = NULL;
    pg_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return REC_NOMEM;
    }
    s->base.vt = &pg_vt;
    redact(conninfo, s->base.where, sizeof s->base.where);
    for (int i = 0; i < CP_COUNT; i++)
        rec_buf_init(&s->copy[i]);
    char why[600] = "";
    rec_status st;
    s->conn = PQconnectdb(conninfo);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_err(s, "cannot connect", s->conn ? PQerrorMessage(s->conn) : "out of memory");
        snprintf(why, sizeof why, "%s", s->base.err);
        st = REC_IO;
        goto fail;
    }
    PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
    if ((st = exec(s, "SET client_min_messages = warning", "cannot configure the session")) ||
        (st = ensure_schema(s, why, sizeof why)) || (st = prepare_all(s))) {
        if (!why[0])
            snprintf(why, sizeof why, "%s", s->base.err);
        goto fail;
    }
    *out = &s->base;
    return REC_OK;
fail:
    snprintf(err, errlen, "%s: %s", s->base.where, why);
    pg_close(&s->base);
    return st == REC_BUSY ? REC_IO : st;
}

/*
 * The SQLite store: one database file in WAL mode, one transaction per
 * batch, prepared statements for every row.
 *
 * Durability: with synchronous=NORMAL a commit is in the WAL (written,
 * not fsynced) when COMMIT returns, which survives the recorder being
 * killed; an OS crash or power loss may lose the last commits but never
 * the database's consistency. --sync full fsyncs every commit.
 *
 * One writer: the file is flock()ed for as long as the store is open, so
 * a second peerscope-record on the same file is refused at once, while
 * readers (the sqlite3 shell) go on reading through WAL.
 *
 * Checkpoints (copying the WAL into the database, with its fsyncs) run on
 * a thread of their own with a connection of their own, PASSIVE, so that
 * a commit never waits for the disk: done inside COMMIT, as SQLite does by
 * default, they made commits of a busy recorder take seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "schema.h"
#include "store.h"

/* Size retention starts pruning above this share of the bound and stops below the next. */
#define HIGH_WATER 0.85
#define LOW_WATER 0.75
/* Events and states looked at per prune step (each step is one transaction). */
#define PRUNE_EVENTS_STEP 5000
#define PRUNE_STATES_STEP 64
/* How often the checkpointer looks at the WAL. */
#define CHECKPOINT_EVERY_MS 250

enum {
    ST_NODE,
    ST_FIND_RUN,
    ST_INS_RUN,
    ST_ETYPE,
    ST_SESSION,
    ST_STATE,
    ST_CONN,
    ST_PROTO,
    ST_BUCKET,
    ST_EVENT,
    ST_UPD_SESSION,
    ST_UPD_RUN,
    ST_UPD_NODE,
    ST_COUNT,
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_NODE] = "INSERT INTO nodes (peer_id, implementation, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3) "
                "ON CONFLICT (peer_id, implementation) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen) "
                "RETURNING id",
    [ST_FIND_RUN] = "SELECT id, last_event_seq FROM runs WHERE node_id = ?1 AND start_ts = ?2",
    [ST_INS_RUN] = "INSERT INTO runs (node_id, start_ts, version, platform, peerscope_version, first_seen, last_seen) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [ST_ETYPE] = "INSERT INTO event_types (run_id, name, properties) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (run_id, name) DO UPDATE SET properties = excluded.properties "
                 "WHERE excluded.properties <> '[]'",
    [ST_SESSION] = "INSERT INTO sessions (run_id, url, opened, last_seen) VALUES (?1, ?2, ?3, ?3)",
    [ST_STATE] = "INSERT INTO states (node_id, run_id, session_id, seq, ts, kind, base_seq, blob, connections, "
                 "connections_open, streams, peers, dht_peers, peerstore_peers, topics, bytes_in, bytes_out, rate_in, "
                 "rate_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                 "?19)",
    [ST_CONN] = "INSERT INTO connections (state_id, node_id, ts, conn_id, peer_id, transport, direction, status, "
                "remote_addr, streams, bytes_in, bytes_out, rate_in, rate_out, latency_ns, open_ts, close_ts) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [ST_PROTO] = "INSERT INTO stream_protocols (state_id, node_id, ts, protocol, streams, bytes_in, bytes_out, "
                 "delta_in, delta_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_BUCKET] = "INSERT INTO dht_buckets (state_id, node_id, ts, dht, cpl, peers, active) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_EVENT] = "INSERT INTO events (node_id, run_id, ts, seq, type, props) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_UPD_SESSION] = "UPDATE sessions SET last_seen = max(last_seen, ?2), events_dropped = ?3, closed = ?4, "
                       "close_reason = ?5 WHERE id = ?1",
    [ST_UPD_RUN] = "UPDATE runs SET last_seen = max(last_seen, ?2), last_event_seq = max(last_event_seq, ?3) "
                   "WHERE id = ?1",
    [ST_UPD_NODE] = "UPDATE nodes SET last_seen = max(last_seen, ?2) WHERE id = ?1",
};

typedef struct sq_store {
    rec_store base;
    sqlite3 *db;
    int lock_fd;
    sqlite3_stmt *st[ST_COUNT];
    bool in_tx;
    int64_t page_size;

    /* the checkpointer */
    sqlite3 *ck_db;
    pthread_t ck_thread;
    bool ck_running;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cond;
    bool ck_stop;        /* under ck_mu */
} sq_store;

static rec_status map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return REC_OK;
    case SQLITE_FULL: return REC_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return REC_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return REC_CORRUPT;
    case SQLITE_NOMEM: return REC_NOMEM;
    default: return REC_IO;
    }
}

static rec_status fail(sq_store *s, int rc, const char *what)
{
    rec_status st = map_rc(rc);
    if (st == REC_OK)
        st = REC_IO;
    snprintf(s->base.err, sizeof s->base.err, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return st;
}

static int64_t i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Run SQL that returns nothing. */
static rec_status exec(sq_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? REC_OK : fail(s, rc, what);
}

/* The first column of a one-row query, as an integer. */
static rec_status query_int(sq_store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, sql);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    else if (rc == SQLITE_DONE)
        *out = 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? REC_OK : fail(s, rc, sql);
}

/* Step a prepared statement that returns nothing and reset it (every caller binds every parameter). */
static rec_status step_done(sq_store *s, int which, const char *what)
{
    sqlite3_stmt *q = s->st[which];
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? REC_OK : fail(s, rc, what);
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
    sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_STATIC);
}

static void bind_opt(sqlite3_stmt *q, int i, uint64_t v, bool present)
{
    if (present)
        sqlite3_bind_int64(q, i, i64(v));
    else
        sqlite3_bind_null(q, i);
}

/* ------------------------------------------------------------ batches */

static rec_status sq_begin(rec_store *base)
{
    sq_store *s = (sq_store *)base;
    /* IMMEDIATE: take the write lock now, so a busy database shows here and not mid-batch */
    rec_status st = exec(s, "BEGIN IMMEDIATE", "cannot start a transaction");
    s->in_tx = st == REC_OK;
    return st;
}

static rec_status sq_commit(rec_store *base)
{
    sq_store *s = (sq_store *)base;
    rec_status st = exec(s, "COMMIT", "cannot commit");
    if (st == REC_OK)
        s->in_tx = false;
    return st;
}

static void sq_rollback(rec_store *base)
{
    sq_store *s = (sq_store *)base;
    if (s->in_tx || !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = false;
}

/* ------------------------------------------------------------- rows */

static rec_status sq_event_type(rec_store *base, const rec_ids *ids, const char *name, const char *props)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *q = s->st[ST_ETYPE];
    sqlite3_bind_int64(q, 1, ids->run);
    bind_text(q, 2, name);
    bind_text(q, 3, props ? props : "[]");
    return step_done(s, ST_ETYPE, "cannot store an event type");
}

static rec_status sq_session_open(rec_store *base, const rec_runtime *rt, const rec_event_type *types, size_t n_types,
                                  const char *url, uint64_t now, rec_ids *ids, uint64_t *last_seq)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *q = s->st[ST_NODE];
    bind_text(q, 1, rt->peer_id);
    bind_text(q, 2, rt->implementation);
    sqlite3_bind_int64(q, 3, i64(now));
    int rc = sqlite3_step(q);
    int64_t node = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(q); /* RETURNING: run it to completion */
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_DONE || !node)
        return fail(s, rc, "cannot store the node");

    int64_t run = 0;
    *last_seq = 0;
    if (rt->start_ts) {
        q = s->st[ST_FIND_RUN];
        sqlite3_bind_int64(q, 1, node);
        sqlite3_bind_int64(q, 2, i64(rt->start_ts));
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            run = sqlite3_column_int64(q, 0);
            *last_seq = (uint64_t)sqlite3_column_int64(q, 1);
        }
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return fail(s, rc, "cannot look up the run");
    }
    if (!run) {
        q = s->st[ST_INS_RUN];
        sqlite3_bind_int64(q, 1, node);
        sqlite3_bind_int64(q, 2, i64(rt->start_ts));
        bind_text(q, 3, rt->version);
        bind_text(q, 4, rt->platform);
        bind_text(q, 5, rt->peerscope_version);
        sqlite3_bind_int64(q, 6, i64(now));
        rec_status st = step_done(s, ST_INS_RUN, "cannot store the run");
        if (st)
            return st;
        run = sqlite3_last_insert_rowid(s->db);
    }
    ids->node = node;
    ids->run = run;
    for (size_t i = 0; i < n_types; i++) {
        rec_status st = sq_event_type(base, ids, types[i].name, types[i].props);
        if (st)
            return st;
    }
    q = s->st[ST_SESSION];
    sqlite3_bind_int64(q, 1, run);
    bind_text(q, 2, url);
    sqlite3_bind_int64(q, 3, i64(now));
    rec_status st = step_done(s, ST_SESSION, "cannot store the session");
    if (st)
        return st;
    ids->session = sqlite3_last_insert_rowid(s->db);
    return REC_OK;
}

static rec_status sq_state(rec_store *base, const rec_state_row *r)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *q = s->st[ST_STATE];
    sqlite3_bind_int64(q, 1, r->ids.node);
    sqlite3_bind_int64(q, 2, r->ids.run);
    sqlite3_bind_int64(q, 3, r->ids.session);
    sqlite3_bind_int64(q, 4, i64(r->seq));
    sqlite3_bind_int64(q, 5, i64(r->ts));
    bind_text(q, 6, r->delta ? "delta" : "full");
    bind_opt(q, 7, r->base_seq, r->delta);
    sqlite3_bind_blob64(q, 8, r->blob ? (const void *)r->blob : (const void *)"", r->blob_len, SQLITE_STATIC);
    uint64_t nums[] = {r->connections, r->connections_open, r->streams,  r->peers,    r->dht_peers, r->peerstore_peers,
                       r->topics,      r->bytes_in,         r->bytes_out, r->rate_in, r->rate_out};
    for (int i = 0; i < (int)(sizeof nums / sizeof nums[0]); i++)
        sqlite3_bind_int64(q, 9 + i, i64(nums[i]));
    rec_status st = step_done(s, ST_STATE, "cannot store a state");
    if (st)
        return st;
    int64_t id = sqlite3_last_insert_rowid(s->db);

    for (size_t i = 0; i < r->n_conns; i++) {
        const rec_conn_row *c = &r->conns[i];
        q = s->st[ST_CONN];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, r->ids.node);
        sqlite3_bind_int64(q, 3, i64(r->ts));
        bind_text(q, 4, c->conn_id);
        bind_text(q, 5, c->peer_id);
        bind_text(q, 6, c->transport);
        bind_text(q, 7, c->direction);
        bind_text(q, 8, c->status);
        bind_text(q, 9, c->remote_addr);
        sqlite3_bind_int64(q, 10, c->streams);
        sqlite3_bind_int64(q, 11, i64(c->bytes_in));
        sqlite3_bind_int64(q, 12, i64(c->bytes_out));
        sqlite3_bind_int64(q, 13, i64(c->rate_in));
        sqlite3_bind_int64(q, 14, i64(c->rate_out));
        sqlite3_bind_int64(q, 15, i64(c->latency_ns));
        bind_opt(q, 16, c->open_ts, c->open_ts != 0);
        bind_opt(q, 17, c->close_ts, c->close_ts != 0);
        if ((st = step_done(s, ST_CONN, "cannot store a connection")))
            return st;
    }
    for (size_t i = 0; i < r->n_protos; i++) {
        const rec_proto_row *p = &r->protos[i];
        q = s->st[ST_PROTO];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, r->ids.node);
        sqlite3_bind_int64(q, 3, i64(r->ts));
        bind_text(q, 4, p->protocol);
        sqlite3_bind_int64(q, 5, p->streams);
        sqlite3_bind_int64(q, 6, i64(p->bytes_in));
        sqlite3_bind_int64(q, 7, i64(p->bytes_out));
        bind_opt(q, 8, p->delta_in, p->has_delta);
        bind_opt(q, 9, p->delta_out, p->has_delta);
        if ((st = step_done(s, ST_PROTO, "cannot store a protocol row")))
            return st;
    }
    for (size_t i = 0; i < r->n_buckets; i++) {
        const rec_bucket_row *b = &r->buckets[i];
        q = s->st[ST_BUCKET];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, r->ids.node);
        sqlite3_bind_int64(q, 3, i64(r->ts));
        bind_text(q, 4, b->dht);
        sqlite3_bind_int64(q, 5, b->cpl);
        sqlite3_bind_int64(q, 6, b->peers);
        sqlite3_bind_int64(q, 7, b->active);
        if ((st = step_done(s, ST_BUCKET, "cannot store a DHT bucket")))
            return st;
    }
    return REC_OK;
}

static rec_status sq_event(rec_store *base, const rec_event_row *e)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *q = s->st[ST_EVENT];
    sqlite3_bind_int64(q, 1, e->ids.node);
    sqlite3_bind_int64(q, 2, e->ids.run);
    sqlite3_bind_int64(q, 3, i64(e->ts));
    sqlite3_bind_int64(q, 4, i64(e->seq));
    bind_text(q, 5, e->type);
    bind_text(q, 6, e->props);
    return step_done(s, ST_EVENT, "cannot store an event");
}

static rec_status sq_progress(rec_store *base, const rec_progress *p)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *q = s->st[ST_UPD_SESSION];
    sqlite3_bind_int64(q, 1, p->ids.session);
    sqlite3_bind_int64(q, 2, i64(p->last_seen));
    sqlite3_bind_int64(q, 3, i64(p->events_dropped));
    bind_opt(q, 4, p->last_seen, p->closed);
    if (p->closed)
        bind_text(q, 5, p->close_reason);
    else
        sqlite3_bind_null(q, 5);
    rec_status st = step_done(s, ST_UPD_SESSION, "cannot update the session");
    if (st)
        return st;
    q = s->st[ST_UPD_RUN];
    sqlite3_bind_int64(q, 1, p->ids.run);
    sqlite3_bind_int64(q, 2, i64(p->last_seen));
    sqlite3_bind_int64(q, 3, i64(p->last_event_seq));
    if ((st = step_done(s, ST_UPD_RUN, "cannot update the run")))
        return st;
    q = s->st[ST_UPD_NODE];
    sqlite3_bind_int64(q, 1, p->ids.node);
    sqlite3_bind_int64(q, 2, i64(p->last_seen));
    return step_done(s, ST_UPD_NODE, "cannot update the node");
}

/* ----------------------------------------------------------- retention */

/* Bytes of the database in use (pages not on the free list). */
static rec_status used_bytes(sq_store *s, int64_t *out)
{
    int64_t pages, free_pages;
    rec_status st = query_int(s, "PRAGMA page_count", &pages);
    if (!st)
        st = query_int(s, "PRAGMA freelist_count", &free_pages);
    if (!st)
        *out = (pages - free_pages) * s->page_size;
    return st;
}

/*
 * The largest id among the oldest `step` rows of table (by id) such that
 * every row up to it is older than cutoff; 0 when the oldest row is not.
 * Rows are stored in time order (nearly: nodes' clocks differ), so the
 * rows to prune are a prefix of the table by id.
 */
static rec_status prefix_end(sq_store *s, const char *table, int64_t cutoff, int step, int64_t *hi)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id, ts FROM %s ORDER BY id LIMIT %d", table, step);
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, "cannot prune");
    *hi = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (sqlite3_column_int64(q, 1) >= cutoff)
            break;
        *hi = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? REC_OK : fail(s, rc, "cannot prune");
}

/* Delete rows of table with column <= hi, adding the count to *rows. */
static rec_status delete_upto(sq_store *s, const char *table, const char *column, int64_t hi, uint64_t *rows)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s <= %" PRId64, table, column, hi);
    rec_status st = exec(s, sql, "cannot prune");
    if (!st)
        *rows += (uint64_t)sqlite3_changes(s->db);
    return st;
}

/* One step: the oldest events and states before cutoff, in one transaction. */
static rec_status prune_step(sq_store *s, int64_t cutoff, uint64_t *rows, bool *more)
{
    int64_t ev_hi, st_hi;
    rec_status st = exec(s, "BEGIN IMMEDIATE", "cannot prune");
    if (st)
        return st;
    if (!(st = prefix_end(s, "events", cutoff, PRUNE_EVENTS_STEP, &ev_hi)) && ev_hi)
        st = delete_upto(s, "events", "id", ev_hi, rows);
    if (!st && !(st = prefix_end(s, "states", cutoff, PRUNE_STATES_STEP, &st_hi)) && st_hi) {
        static const char *const derived[] = {"connections", "stream_protocols", "dht_buckets"};
        for (size_t i = 0; !st && i < sizeof derived / sizeof derived[0]; i++)
            st = delete_upto(s, derived[i], "state_id", st_hi, rows);
        if (!st)
            st = delete_upto(s, "states", "id", st_hi, rows);
    }
    if (!st)
        st = exec(s, "COMMIT", "cannot prune");
    if (st) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    *more = ev_hi || st_hi;
    return REC_OK;
}

/* The oldest and newest ts of what grows (events and states), by storage order. */
static rec_status time_range(sq_store *s, int64_t *oldest, int64_t *newest)
{
    int64_t e0, s0, e1, s1;
    rec_status st = query_int(s, "SELECT ts FROM events ORDER BY id LIMIT 1", &e0);
    if (!st)
        st = query_int(s, "SELECT ts FROM states ORDER BY id LIMIT 1", &s0);
    if (!st)
        st = query_int(s, "SELECT ts FROM events ORDER BY id DESC LIMIT 1", &e1);
    if (!st)
        st = query_int(s, "SELECT ts FROM states ORDER BY id DESC LIMIT 1", &s1);
    if (st)
        return st;
    *oldest = e0 && s0 ? (e0 < s0 ? e0 : s0) : (e0 ? e0 : s0);
    *newest = e1 > s1 ? e1 : s1;
    return REC_OK;
}

static rec_status sq_prune(rec_store *base, const rec_retention *r, uint64_t now, size_t max_rows,
                           rec_prune_result *out)
{
    sq_store *s = (sq_store *)base;
    memset(out, 0, sizeof *out);
    int64_t used = 0;
    rec_status st = used_bytes(s, &used);
    if (st)
        return st;
    int64_t cutoff = 0;
    if (r->keep_ms && now > r->keep_ms)
        cutoff = i64(now - r->keep_ms);
    bool over = r->max_bytes && (double)used > (double)r->max_bytes * HIGH_WATER;
    while (out->rows < max_rows) {
        int64_t cut = cutoff;
        if (over) {
            /* drop the oldest tenth of the time the store spans (at least a second) */
            int64_t oldest, newest;
            if ((st = time_range(s, &oldest, &newest)))
                return st;
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
        if ((st = used_bytes(s, &used)))
            return st;
        if (over && (double)used < (double)r->max_bytes * LOW_WATER)
            over = false;
        if (!more || (!over && !cutoff))
            break; /* nothing (more) older than the cut */
    }
    out->more = out->rows >= max_rows;
    out->size_bytes = (uint64_t)used;
    return REC_OK;
}

/* ------------------------------------------------------- checkpoints */

static void *checkpointer(void *arg)
{
    sq_store *s = arg;
    pthread_mutex_lock(&s->ck_mu);
    while (!s->ck_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->ck_cond, &s->ck_mu, &until);
        if (s->ck_stop)
            break;
        pthread_mutex_unlock(&s->ck_mu);
        /* PASSIVE: never waits for the writer or readers; what it cannot copy now, the next one does.
         * A failure here is not fatal: the WAL grows until the next one succeeds. */
        int frames = 0, done = 0;
        sqlite3_wal_checkpoint_v2(s->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
        (void)frames;
        (void)done;
        pthread_mutex_lock(&s->ck_mu);
    }
    pthread_mutex_unlock(&s->ck_mu);
    return NULL;
}

static void stop_checkpointer(sq_store *s)
{
    if (s->ck_running) {
        pthread_mutex_lock(&s->ck_mu);
        s->ck_stop = true;
        pthread_cond_signal(&s->ck_cond);
        pthread_mutex_unlock(&s->ck_mu);
        pthread_join(s->ck_thread, NULL);
        pthread_cond_destroy(&s->ck_cond);
        pthread_mutex_destroy(&s->ck_mu);
        s->ck_running = false;
    }
    if (s->ck_db) {
        sqlite3_close(s->ck_db);
        s->ck_db = NULL;
    }
}

/* The writer's connection leaves checkpoints to a thread with its own connection. */
static rec_status start_checkpointer(sq_store *s, const char *path)
{
    int rc = sqlite3_open_v2(path, &s->ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(s->base.err, sizeof s->base.err, "cannot open a second connection: %s",
                 s->ck_db ? sqlite3_errmsg(s->ck_db) : sqlite3_errstr(rc));
        return map_rc(rc);
    }
    sqlite3_busy_timeout(s->ck_db, 1000);
    /* the checkpointer's own connection must not checkpoint on close: the writer's does, last */
    sqlite3_db_config(s->ck_db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    pthread_mutex_init(&s->ck_mu, NULL);
    pthread_cond_init(&s->ck_cond, NULL);
    rc = pthread_create(&s->ck_thread, NULL, checkpointer, s);
    if (rc != 0) {
        pthread_cond_destroy(&s->ck_cond);
        pthread_mutex_destroy(&s->ck_mu);
        snprintf(s->base.err, sizeof s->base.err, "cannot start the checkpoint thread: %s", strerror(rc));
        return REC_IO;
    }
    s->ck_running = true;
    return exec(s, "PRAGMA wal_autocheckpoint = 0", "cannot configure the database");
}

/* ------------------------------------------------------------ open */

static void sq_close(rec_store *base)
{
    sq_store *s = (sq_store *)base;
    if (!s)
        return;
    stop_checkpointer(s);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        sq_rollback(base);
        /* a clean close checkpoints the WAL into the database and removes it */
        sqlite3_close(s->db);
    }
    /* only now: closing any descriptor of the file would drop SQLite's own POSIX locks */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s);
}

static const rec_store_vt sq_vt = {
    .kind = "sqlite",
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .session_open = sq_session_open,
    .event_type = sq_event_type,
    .state = sq_state,
    .event = sq_event,
    .progress = sq_progress,
    .prune = sq_prune,
    .close = sq_close,
};

/* Fail an open: say why, remove the file if this open created it, free everything. */
static rec_status open_failed(sq_store *s, bool created, rec_status st, char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s: %s", s->base.where, why);
    char path[sizeof s->base.where];
    snprintf(path, sizeof path, "%s", s->base.where);
    sq_close(&s->base);
    if (created)
        unlink(path);
    return st;
}

/* The pragmas of every open; journal_mode only sticks once the file is a database. */
static rec_status configure(sq_store *s, const rec_store_opts *o)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, "cannot switch to WAL");
    rc = sqlite3_step(q);
    bool wal = rc == SQLITE_ROW && sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return fail(s, rc, "cannot switch to WAL");
    if (!wal) {
        snprintf(s->base.err, sizeof s->base.err, "cannot switch to WAL (the file system may not support it)");
        return REC_IO;
    }
    char sql[160];
    /* Checkpoints run on their own thread (start_checkpointer); once one has copied it all, the
     * WAL starts over and is cut back to a quarter of the size bound (default 16 MiB). The page
     * cache holds the indexes' hot pages of a busy recorder. */
    int64_t limit = o->max_bytes ? (int64_t)(o->max_bytes / 4) : 16 * 1024 * 1024;
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous = %s; PRAGMA journal_size_limit = %" PRId64
             "; PRAGMA cache_size = -65536; PRAGMA foreign_keys = OFF",
             o->sync_full ? "FULL" : "NORMAL", limit);
    return exec(s, sql, "cannot configure the database");
}

/* Bring the schema from version `from` to REC_SCHEMA_VERSION, in one transaction. */
static rec_status migrate(sq_store *s, int64_t from)
{
    rec_status st = exec(s, "BEGIN IMMEDIATE", "cannot create the tables");
    for (int64_t v = from; !st && v < REC_SCHEMA_VERSION; v++)
        st = exec(s, rec_sqlite_migrations[v], "cannot create the tables");
    if (!st) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d", REC_SQLITE_APP_ID,
                 REC_SCHEMA_VERSION);
        st = exec(s, sql, "cannot create the tables");
    }
    if (!st)
        st = exec(s, "COMMIT", "cannot create the tables");
    if (st)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

rec_status rec_sqlite_open(const char *path, const rec_store_opts *o, rec_store **out, char *err, size_t errlen)
{
    *out = NULL;
    sq_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return REC_NOMEM;
    }
    s->base.vt = &sq_vt;
    s->lock_fd = -1;
    snprintf(s->base.where, sizeof s->base.where, "%s", path);
    char why[600];

    struct stat sb;
    bool existed = stat(path, &sb) == 0;
    if (existed && !S_ISREG(sb.st_mode))
        return open_failed(s, false, REC_IO, err, errlen, "not a regular file");
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
        return open_failed(s, false, REC_IO, err, errlen, why);
    }
    bool created = !existed;
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return open_failed(s, created, REC_LOCKED, err, errlen,
                               "another peerscope-record is recording into this database");
        snprintf(why, sizeof why, "cannot lock: %s", strerror(errno));
        return open_failed(s, created, REC_IO, err, errlen, why);
    }
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, sizeof why, "cannot open: %s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return open_failed(s, created, map_rc(rc), err, errlen, why);
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);

    /* Read before writing anything: a file that is not ours is left exactly as it was. */
    int64_t app = 0, version = 0, objects = 0;
    rec_status st = query_int(s, "PRAGMA application_id", &app);
    if (!st)
        st = query_int(s, "PRAGMA user_version", &version);
    if (!st)
        st = query_int(s, "SELECT count(*) FROM sqlite_schema", &objects);
    if (st == REC_CORRUPT)
        return open_failed(s, created, st, err, errlen, "not an SQLite database, or a damaged one (left untouched)");
    if (st == REC_BUSY)
        return open_failed(s, created, st, err, errlen, "locked by another program (tried for 5 s)");
    if (st)
        return open_failed(s, created, st, err, errlen, s->base.err);
    if (app != REC_SQLITE_APP_ID && (app != 0 || objects != 0)) {
        snprintf(why, sizeof why,
                 "an SQLite database of another program (application_id %#" PRIx64 ", %" PRId64
                 " schema objects); refusing to write into it",
                 (uint64_t)app, objects);
        return open_failed(s, false, REC_SCHEMA, err, errlen, why);
    }
    if (version > REC_SCHEMA_VERSION) {
        snprintf(why, sizeof why,
                 "written by a newer peerscope-record (schema version %" PRId64
                 "; this one knows up to %d): use that version, or record into another file",
                 version, REC_SCHEMA_VERSION);
        return open_failed(s, false, REC_SCHEMA, err, errlen, why);
    }
    if ((st = configure(s, o)))
        return open_failed(s, created, st, err, errlen, s->base.err);
    if (version < REC_SCHEMA_VERSION && (st = migrate(s, version)))
        return open_failed(s, created, st, err, errlen, s->base.err);
    /* a writer of another program that holds the database now is told at once, not after a minute of retries */
    if ((st = exec(s, "BEGIN IMMEDIATE", "cannot write")) == REC_BUSY)
        return open_failed(s, false, st, err, errlen, "locked by another program (tried for 5 s)");
    if (st || (st = exec(s, "COMMIT", "cannot write")))
        return open_failed(s, false, st, err, errlen, s->base.err);
    if ((st = query_int(s, "PRAGMA page_size", &s->page_size)))
        return open_failed(s, false, st, err, errlen, s->base.err);
    if ((st = start_checkpointer(s, path)))
        return open_failed(s, false, st, err, errlen, s->base.err);
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) {
            snprintf(why, sizeof why, "unexpected schema (%s)", sqlite3_errmsg(s->db));
            return open_failed(s, false, REC_SCHEMA, err, errlen, why);
        }
    }
    *out = &s->base;
    return REC_OK;
}

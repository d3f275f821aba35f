/*
 * peerscope-record: where recorded rows go. A store is a small vtable so
 * that SQLite (store_sqlite.c) and PostgreSQL (store_pg.c) hold the same
 * schema behind the same calls; the writer thread (rec_writer.c) is the
 * only caller, one thread per store.
 *
 * Every call runs inside a batch (begin ... commit) except open, prune and
 * close. Ids (node, run, session, state) are the store's own: the writer
 * keeps them per store, since two stores may already hold different data.
 * Rows and their strings are read during the call only; strings are valid
 * UTF-8 without NUL (rec_text.h cleans them before they get here).
 */
#ifndef PSC_TOOLS_RECORD_STORE_H
#define PSC_TOOLS_RECORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema this build writes (SQLite: PRAGMA user_version; PostgreSQL: psc_meta). */
#define REC_SCHEMA_VERSION 1

typedef enum rec_status {
    REC_OK = 0,
    REC_BUSY,     /* transient: locked by another writer, server unreachable; the batch may be retried */
    REC_FULL,     /* disk full or quota reached */
    REC_IO,       /* I/O error, or the store failed in another way */
    REC_CORRUPT,  /* not a database, or a damaged one */
    REC_SCHEMA,   /* not a peerscope-record store, or a newer schema */
    REC_LOCKED,   /* another peerscope-record writes into it (open only) */
    REC_NOMEM,
    REC_UNSUPPORTED, /* this build lacks the store (no libpq) */
} rec_status;

/* A node's Runtime, as the store keeps it. */
typedef struct rec_runtime {
    const char *peer_id;
    const char *implementation;
    const char *version;
    const char *platform;
    const char *peerscope_version;
    uint64_t start_ts;        /* Runtime.start_ts; 0: not sent (a 2020 server): every session is a run */
} rec_runtime;

/* An event type and its properties, as a JSON array of {name, type, multiple}. */
typedef struct rec_event_type {
    const char *name;
    const char *props;
} rec_event_type;

/* What a session of a run is known as in one store. */
typedef struct rec_ids {
    int64_t node, run, session;
} rec_ids;

/* One connection as a state reports it. */
typedef struct rec_conn_row {
    const char *conn_id;      /* hex of Connection.id */
    const char *peer_id;
    const char *transport;
    const char *direction;    /* "in" (RESPONDER) or "out" (INITIATOR) */
    const char *status;       /* the Status name: ACTIVE, CLOSED, OPENING, CLOSING, ERROR */
    const char *remote_addr;
    uint32_t streams;
    uint64_t bytes_in, bytes_out, rate_in, rate_out;
    uint64_t latency_ns;
    uint64_t open_ts, close_ts; /* 0: not known */
} rec_conn_row;

/* The streams of one protocol in a state. */
typedef struct rec_proto_row {
    const char *protocol;
    uint32_t streams;
    uint64_t bytes_in, bytes_out;  /* cumulative, over the streams listed */
    bool has_delta;                /* false for a session's first state: no earlier counters */
    uint64_t delta_in, delta_out;  /* bytes since the previous state of the run */
} rec_proto_row;

/* One DHT bucket in a state. */
typedef struct rec_bucket_row {
    const char *dht;          /* DHT.name, else its protocol */
    uint32_t cpl;
    uint32_t peers, active;
} rec_bucket_row;

/* A received state: the blob as it came (full or delta) and what it means in full. */
typedef struct rec_state_row {
    rec_ids ids;
    uint64_t seq, ts;
    bool delta;
    uint64_t base_seq;        /* with delta */
    const uint8_t *blob;      /* the serialized ServerMessage as received */
    size_t blob_len;
    uint32_t connections, connections_open, streams, peers, dht_peers, peerstore_peers, topics;
    uint64_t bytes_in, bytes_out, rate_in, rate_out;
    const rec_conn_row *conns;
    size_t n_conns;
    const rec_proto_row *protos;
    size_t n_protos;
    const rec_bucket_row *buckets;
    size_t n_buckets;
} rec_state_row;

typedef struct rec_event_row {
    rec_ids ids;
    uint64_t ts, seq;
    const char *type;
    const char *props;        /* a JSON object (or value) */
} rec_event_row;

/* What a session did since the store last heard (written once per batch). */
typedef struct rec_progress {
    rec_ids ids;
    uint64_t last_seen;       /* recorder's wall clock, ms */
    uint64_t last_event_seq;  /* highest event seq stored for the run */
    uint64_t events_dropped;  /* the session's DISCARDING_EVENTS total */
    bool closed;
    const char *close_reason; /* with closed */
} rec_progress;

/* Retention: 0 disables each limit. */
typedef struct rec_retention {
    uint64_t keep_ms;         /* rows older than now - keep_ms go */
    uint64_t max_bytes;       /* the store's size is kept below this */
} rec_retention;

typedef struct rec_prune_result {
    uint64_t rows;            /* rows deleted */
    uint64_t size_bytes;      /* the store's size afterwards (0: unknown) */
    bool more;                /* stopped at its row bound: call again soon */
} rec_prune_result;

typedef struct rec_store rec_store;

/* How the store writes: set by the options before open. */
typedef struct rec_store_opts {
    bool sync_full;           /* SQLite: synchronous=FULL (fsync at every commit) instead of NORMAL */
    uint64_t max_bytes;       /* retention's size bound, so the store can size its journal */
} rec_store_opts;

typedef struct rec_store_vt {
    const char *kind; /* "sqlite", "postgres" */
    rec_status (*begin)(rec_store *s);
    rec_status (*commit)(rec_store *s);
    void (*rollback)(rec_store *s);
    /*
     * The node of rt (created or found: peer id + implementation) and its
     * run (by start_ts; a new one when start_ts is 0), with the event types
     * it declares, and a new session for url. *last_event_seq: the highest
     * event seq this store holds for the run (0: none).
     */
    rec_status (*session_open)(rec_store *s, const rec_runtime *rt, const rec_event_type *types, size_t n_types,
                               const char *url, uint64_t now_ms, rec_ids *ids, uint64_t *last_event_seq);
    /* An event type learned later (the first event of a type carries its properties). */
    rec_status (*event_type)(rec_store *s, const rec_ids *ids, const char *name, const char *props_json);
    rec_status (*state)(rec_store *s, const rec_state_row *st);
    rec_status (*event)(rec_store *s, const rec_event_row *ev);
    rec_status (*progress)(rec_store *s, const rec_progress *p);
    /* Delete old rows (outside a batch), at most about max_rows of them. */
    rec_status (*prune)(rec_store *s, const rec_retention *r, uint64_t now_ms, size_t max_rows,
                        rec_prune_result *out);
    void (*close)(rec_store *s);
} rec_store_vt;

struct rec_store {
    const rec_store_vt *vt;
    char where[256];          /* what to call it in messages: the path, or the URL without its password */
    char err[512];            /* the last failure, in words */
};

/*
 * Open (or create) a store from its spelling: "sqlite:PATH", a bare path,
 * or "postgres://..." / "postgresql://..." (is_path: spec is a path,
 * whatever it looks like). On failure *out is NULL and err (errlen
 * bytes) says why.
 */
rec_status rec_store_open(const char *spec, bool is_path, const rec_store_opts *o, rec_store **out, char *err,
                          size_t errlen);

/* The two implementations (store_sqlite.c, store_pg.c). */
rec_status rec_sqlite_open(const char *path, const rec_store_opts *o, rec_store **out, char *err, size_t errlen);
rec_status rec_pg_open(const char *conninfo, const rec_store_opts *o, rec_store **out, char *err, size_t errlen);

/* Whether spec names a PostgreSQL store. */
bool rec_store_is_pg(const char *spec);

/* "disk full", "I/O error", ... */
const char *rec_status_str(rec_status st);

#endif

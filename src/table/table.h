/*
 * The push table's insides (src/table/, public side peerscope/table.h).
 *
 * Two sides share a table:
 * - the host's threads, which turn every call into a change (an "op": one
 *   allocation holding the copied struct and its strings) and append it to
 *   its section's pending list under t->lock, the only lock they take;
 * - the snapshotting thread, which in each section's collect takes the
 *   pending list (under t->lock, a pointer swap), applies the changes to
 *   the section's state, which only it touches, and reports that state.
 *
 * Connection and stream handles are allocated by the host's thread at
 * open and shared: the counters (atomic), the embedded close op and `t`
 * are the host's; everything under "snapshot side" is the collector's and
 * is only read or written by collects. The collector frees a handle once
 * its close was reported, which is after the host's last call on it (the
 * close op comes after every op of the handle in the list).
 *
 * Locks: t->lock (pending lists, counts) and t->reg_lock (lazy provider
 * registration) are never held together, nor while calling into the core.
 */
#ifndef PSC_TABLE_TABLE_H
#define PSC_TABLE_TABLE_H

#include <pthread.h>
#include <stdatomic.h>

#include "util/alloc.h"
#include "util/idmap.h"
#include "peerscope/introspector.h"
#include "peerscope/provider.h"
#include "peerscope/table.h"

#define PSC__TABLE_DEFAULT_MAX_PENDING 1000000u
#define PSC__TABLE_REASON_MAX 128u /* a close reason is cut to this (UTF-8 kept whole) */
#define PSC__TABLE_MAX_CPL 256u

typedef enum psc__sec {
    PSC__SEC_SWARM,
    PSC__SEC_DHT,
    PSC__SEC_PUBSUB,
    PSC__SEC_PEERSTORE,
    PSC__SEC_RCMGR,
    PSC__SEC_CUSTOM,              /* one pending list; a provider per custom section */
    PSC__SEC_COUNT,
} psc__sec;

typedef enum psc__op_kind {
    PSC__OP_CONN_OPEN,
    PSC__OP_CONN_UPDATE,
    PSC__OP_CONN_CLOSE,
    PSC__OP_STREAM_OPEN,
    PSC__OP_STREAM_UPDATE,
    PSC__OP_STREAM_CLOSE,
    PSC__OP_TRANSPORT_PUT,
    PSC__OP_DIALER,
    PSC__OP_IDENTIFY,
    PSC__OP_PING,
    PSC__OP_PING_PEER_PUT,
    PSC__OP_PING_PEER_REMOVE,
    PSC__OP_DHT_SET,
    PSC__OP_DHT_PEER_PUT,
    PSC__OP_DHT_PEER_REMOVE,
    PSC__OP_ROUTER,
    PSC__OP_TOPIC_PUT,
    PSC__OP_TOPIC_REMOVE,
    PSC__OP_MESH,
    PSC__OP_FANOUT,
    PSC__OP_PEER_PUT,
    PSC__OP_PEER_REMOVE,
    PSC__OP_SCOPE_PUT,
    PSC__OP_SCOPE_REMOVE,
    PSC__OP_CUSTOM_PUT,
    PSC__OP_CUSTOM_REMOVE,
} psc__op_kind;

/* A custom value's kind (CustomSection.Value's oneof). */
typedef enum psc__custom_kind {
    PSC__CUSTOM_NUMBER,
    PSC__CUSTOM_INTEGER,
    PSC__CUSTOM_TEXT,
    PSC__CUSTOM_JSON,
} psc__custom_kind;

/* What a change carries; strings and arrays point into the same allocation. */
typedef union psc__op_body {
    psc_connection conn;
    psc_stream stream;
    psc_transport transport;
    psc_dialer dialer;
    psc_identify identify;
    struct {
        uint64_t sent, failures;
    } ping;
    psc_ping_peer ping_peer;
    psc_dht dht;
    struct {
        uint32_t cpl;
        psc_dht_peer peer;
    } dht_peer;
    struct {
        const char *router, *protocol;
    } router;
    psc_topic topic;
    struct {
        const char *topic;
        psc_mesh_peer *peers;
        size_t n;
    } mesh;
    struct {
        const char *topic;
        const char **peers;
        size_t n;
    } fanout;
    psc_peer_info peer;
    struct {
        const char *id;
    } key;                        /* a remove */
    struct {
        psc_resource_scope s;     /* SCOPE_PUT; SCOPE_REMOVE: kind and name only */
        const uint8_t *key;       /* the kind's byte, then the name */
        size_t key_len;
    } scope;
    struct {
        const char *section, *name;
        psc__custom_kind kind;
        double number;
        int64_t integer;
        const char *text;         /* TEXT, JSON */
    } custom;
    struct {
        psc_status status;
        uint64_t close_ts;
        char reason[PSC__TABLE_REASON_MAX]; /* "" when none */
    } close;
} psc__op_body;

typedef struct psc__op {
    struct psc__op *next;
    psc__op_kind kind;
    void *target;                 /* the psc_table_conn / psc_table_stream it is about */
    const uint8_t *key;           /* keyed ops: the entity's key (into this allocation) */
    size_t key_len;
    uint64_t at_ms;               /* when the host made the call (ages count from it) */
    bool embedded;                /* a handle's close op: freed with the handle */
    psc__op_body b;
    /* followed by the strings and arrays of b */
} psc__op;

/* A section's changes not applied yet. */
typedef struct psc__pending {
    psc__op *head, *tail;
    size_t n;
} psc__pending;

/* An entity kept by key (DHT peers, topics, peerstore, transports, ping peers). */
typedef struct psc__kent {
    psc__op *rec;                 /* the last put (NULL for a topic known only by its peers) */
    psc__op *mesh, *fanout;       /* topics: the last set_mesh / set_fanout */
    bool gone;                    /* removed in this apply: compacted away at its end */
    size_t key_len;
    uint8_t key[];                /* a copy: records come and go */
} psc__kent;

/* Entities by key: a dense array, and an id map rebuilt at each apply. */
typedef struct psc__keyed {
    psc__kent **v;
    size_t n, cap;
    psc__idmap map;
} psc__keyed;

struct psc_table_stream {
    /* host side */
    psc_counter in, out;
    psc_table_conn *conn;
    psc__op close_op;             /* filled by psc_table_stream_close (which cannot fail) */
    /* snapshot side */
    psc__op *open;                /* the open: holds the id */
    psc__op *rec;                 /* the open or the last update */
    psc__op *closed;              /* the close, once applied */
    struct psc_table_stream *prev, *next;
};

struct psc_table_conn {
    /* host side */
    psc_counter in, out;
    psc_table *t;
    psc__op close_op;
    /* snapshot side */
    psc__op *open, *rec, *closed; /* as for streams */
    psc_table_stream *streams, *streams_tail;
    size_t n_streams;
    struct psc_table_conn *prev, *next;
};

/* A custom section: its own provider, its values by name. Sections are
 * only ever added (under t->lock and t->reg_lock) and freed with the table. */
typedef struct psc__custom_sec {
    psc_table *t;
    char *name;
    psc_provider *provider;
    psc__keyed values;            /* snapshot side */
    struct psc__custom_sec *next;
} psc__custom_sec;

struct psc_table {
    psc_introspector *intro;
    psc__alloc alloc;
    char *name;
    size_t max_pending;

    pthread_mutex_t lock;         /* pending lists and the published counts */
    psc__pending pending[PSC__SEC_COUNT];
    psc_table_stats published;    /* as of the last collect of each section */

    pthread_mutex_t reg_lock;     /* lazy registration */
    psc_provider *providers[PSC__SEC_COUNT];
    atomic_bool registered[PSC__SEC_COUNT];

    /* snapshot side: swarm */
    psc_table_conn *conns, *conns_tail;
    size_t n_conns, n_streams;
    psc__keyed transports, ping_peers;
    psc__op *dialer, *identify, *ping;
    /* dht */
    psc__op *dht;
    psc__keyed dht_peers;
    /* pubsub */
    psc__op *router;
    psc__keyed topics;
    /* peerstore */
    psc__keyed peers;
    /* resource manager, custom sections */
    psc__keyed scopes;
    psc__custom_sec *customs;     /* [lock] to walk; see psc__custom_sec */
    psc__custom_sec *applying;    /* snapshot side: the sections while custom changes are applied */
    uint64_t applied, rejected;
};

/* ---- table.c ---- */

/* Make sure the section's provider is registered (first use). */
psc_err psc__table_use(psc_table *t, psc__sec sec);
/*
 * Append op to its section (taking it over) unless the section already
 * holds max_pending changes and may_refuse: PSC_ERR_TOO_BIG, op freed.
 */
psc_err psc__table_push(psc_table *t, psc__sec sec, psc__op *op, bool may_refuse);
/* Take every pending change of a section, oldest first. */
psc__op *psc__table_take(psc_table *t, psc__sec sec);
/* Free a change (NULL and embedded ones are ignored). */
void psc__table_op_free(psc_table *t, psc__op *op);
/* Publish a section's counts once its collect finished. */
void psc__table_publish(psc_table *t);
uint64_t psc__table_now_ms(const psc_table *t);
/*
 * Take a section's pending changes and apply them in order with fn, which
 * returns false when out of memory: that change and the ones after it go
 * back to the front of the pending list (nothing is lost) and the result is
 * PSC_ERR_NOMEM.
 */
typedef bool (*psc__apply_fn)(psc_table *t, psc__op *op);
psc_err psc__table_apply_all(psc_table *t, psc__sec sec, psc__apply_fn fn);
/* A builder refused an entity: PSC_ERR_NOMEM stops the collect; anything else skips it (counted). */
psc_err psc__table_skip(psc_table *t, psc_err e);

/* ---- copy.c: changes made from the caller's structs (validated, copied) ---- */

psc_err psc__op_conn(psc_table *t, const psc_connection *in, bool need_id, psc__op **out);
psc_err psc__op_stream(psc_table *t, const psc_stream *in, bool need_id, psc__op **out);
psc_err psc__op_transport(psc_table *t, const psc_transport *in, psc__op **out);
psc_err psc__op_ping_peer(psc_table *t, const psc_ping_peer *in, psc__op **out);
psc_err psc__op_dht(psc_table *t, const psc_dht *in, psc__op **out);
psc_err psc__op_dht_peer(psc_table *t, uint32_t cpl, const psc_dht_peer *in, psc__op **out);
psc_err psc__op_router(psc_table *t, const char *router, const char *protocol, psc__op **out);
psc_err psc__op_topic(psc_table *t, const psc_topic *in, psc__op **out);
psc_err psc__op_mesh(psc_table *t, const char *topic, const psc_mesh_peer *peers, size_t n, psc__op **out);
psc_err psc__op_fanout(psc_table *t, const char *topic, const char *const *peers, size_t n, psc__op **out);
psc_err psc__op_peer(psc_table *t, const psc_peer_info *in, psc__op **out);
/* A scope put (s set) or remove (s NULL: kind and name only). */
psc_err psc__op_scope(psc_table *t, const psc_resource_scope *s, psc_scope_kind kind, const char *name,
                      psc__op **out);
/* A custom value put (value: the kind's member of b.custom filled by the caller) or remove. */
psc_err psc__op_custom(psc_table *t, psc__op_kind kind, const char *section, const char *name, psc__custom_kind vk,
                       double number, int64_t integer, const char *text, psc__op **out);
/* A change with only a key (a remove), or only a plain value struct (dialer, identify, ping). */
psc_err psc__op_key(psc_table *t, psc__op_kind kind, const char *key, psc__op **out);
psc_err psc__op_plain(psc_table *t, psc__op_kind kind, const void *value, size_t size, psc__op **out);
/* Fill an embedded close op; reason cut to PSC__TABLE_REASON_MAX at a UTF-8 boundary. */
psc_err psc__op_close(psc_table *t, psc__op *op, psc__op_kind kind, psc_status status, const char *reason,
                      uint64_t close_ts);

/* ---- keyed.c ---- */

void psc__keyed_fini(psc_table *t, psc__keyed *k);
/* Rebuild the key map before applying changes. */
psc_err psc__keyed_begin(psc_table *t, psc__keyed *k);
/* The live entity for key, or NULL. */
psc__kent *psc__keyed_find(psc__keyed *k, const uint8_t *key, size_t len);
/* The entity for key, made when absent. NULL: out of memory. */
psc__kent *psc__keyed_get(psc_table *t, psc__keyed *k, const uint8_t *key, size_t len);
/* Drop an entity's records and mark it gone. */
void psc__keyed_remove(psc_table *t, psc__kent *e);
/* Free the gone entities (after applying). */
void psc__keyed_end(psc_table *t, psc__keyed *k);

/* ---- swarm.c, sections.c: the collects; and teardown of their state ---- */

psc_err psc__table_swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b);
psc_err psc__table_dht_collect(void *user, psc_collect *ctx, psc_dht_builder *b);
psc_err psc__table_pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b);
psc_err psc__table_peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b);
psc_err psc__table_rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b);
/* custom.c: the section of that name, registered on first use. */
psc_err psc__table_custom_section(psc_table *t, const char *name);
void psc__table_custom_fini(psc_table *t);
void psc__table_swarm_fini(psc_table *t);

#endif

/*
 * Snapshot records: what providers report, copied into the snapshot arena
 * with their lengths, linked in report order. The encoder writes them
 * straight to protobuf (caching encoded sizes in the records) and the
 * state view reads them back; the arena lives as long as the message.
 *
 * The write pass also notes where each entity's encoding landed in the
 * message (the pb_at pointers): delta states compare entities by those
 * bytes and copy them, without encoding anything twice. They point into
 * the message's payload, so they may only be followed while a reference
 * to that message is held (a view can outlive its message as a retention
 * baseline).
 */
#ifndef PSC_CORE_RECORDS_H
#define PSC_CORE_RECORDS_H

#include <stddef.h>

#include "util/arena.h"
#include "core/introspector.h"
#include "util/json.h"
#include "util/struct_in.h"
#include "wire/pb_fields.h"
#include "peerscope/model.h"

/* A string as given: p == NULL when absent, else NUL-terminated. */
typedef struct psc__str {
    const char *p;
    size_t len;
} psc__str;

typedef struct psc__bytes {
    const uint8_t *p;
    size_t len;
} psc__bytes;

/* A string array; every element non-NULL and NUL-terminated. */
typedef struct psc__strv {
    const char **v;
    size_t n;
} psc__strv;

/* Intrusive singly linked list; every record starts with a psc__node. */
typedef struct psc__node {
    struct psc__node *next;
} psc__node;

typedef struct psc__list {
    psc__node *head, *tail;
    size_t n;
} psc__list;

static inline void psc__list_push(psc__list *l, psc__node *n)
{
    n->next = NULL;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
    l->n++;
}

/* Append src to dst (src's nodes are shared, not copied). */
static inline void psc__list_splice(psc__list *dst, const psc__list *src)
{
    if (!src->head)
        return;
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    dst->n += src->n;
}

#define PSC__EACH(type, var, list) \
    for (type *var = (type *)(void *)(list).head; var; var = (type *)(void *)var->node.next)

/* ------------------------------------------------------------ records */

/* What every pass over all streams reads (the analyzer's included) comes first: fewer cache lines. */
typedef struct psc__stream_rec {
    psc__node node;
    psc__str protocol;
    psc_status status;
    psc_role role;
    uint64_t open_ts;
    psc_traffic traffic;
    psc__bytes id;
    psc__str close_reason;
    psc__strv tags;
    uint64_t close_ts, latency_ns;
    size_t pb_size;
} psc__stream_rec;

/* A connection record is also the provider's handle to add its streams. */
struct psc_conn_builder {
    psc__node node;
    psc__str peer_id; /* with status and the times: what passes over all connections read, first */
    psc_status status;
    psc_role role;
    uint64_t open_ts, upgraded_ts, close_ts, latency_ns;
    psc__bytes id, transport_id, relay_conn_id;
    psc__str transport_name, local_addr, remote_addr, multiplexer, encryption, close_reason;
    psc__strv tags;
    psc_traffic traffic;
    uint32_t stream_count;  /* as given; 0: count */
    uint32_t open_streams;  /* counted by the size pass */
    psc__list streams;
    psc__stream_rec **stream_index; /* for the view */
    struct psc__build *bld;
    uint64_t epoch;         /* the collect call that added it */
    size_t pb_size, pb_streams_size;
    const uint8_t *pb_at; /* body, streams included */
};
typedef struct psc_conn_builder psc__conn_rec;

typedef struct psc__transport_rec {
    psc__node node;
    psc__bytes id;
    psc__str name;
    psc__strv listen;
    bool listening, dialing;
    size_t pb_size;
} psc__transport_rec;

typedef struct psc__dial_rec {
    psc__node node;
    psc__str peer_id, addr;
    uint64_t start_ts;
} psc__dial_rec;

typedef struct psc__ping_rec {
    psc__node node;
    psc__str peer_id;
    uint64_t last_rtt_ns, avg_rtt_ns;
} psc__ping_rec;

#define PSC__DHT_MAX_CPL 256u

typedef struct psc__dht_peer_rec {
    psc__node node;
    psc__str peer_id;
    psc_dht_peer_status status;
    uint32_t age_ms;
} psc__dht_peer_rec;

typedef struct psc__bucket_rec {
    uint32_t cpl;
    psc__list peers;
    size_t pb_size;
    const uint8_t *pb_at;
} psc__bucket_rec;

typedef struct psc__dht_rec {
    psc__node node;
    psc__str name, protocol;
    bool enabled;
    uint64_t start_ts, k, alpha, disjoint_paths, beta;
    psc_query_counts incoming, outgoing;
    psc__bucket_rec **by_cpl; /* PSC__DHT_MAX_CPL + 1 slots, NULL until a bucket exists */
    size_t n_peers;
    size_t pb_size;
    /* body at pb_at; its buckets field entries (tags included) at [pb_buckets_at, pb_buckets_end) */
    const uint8_t *pb_at, *pb_buckets_at, *pb_buckets_end;
} psc__dht_rec;

typedef struct psc__mesh_rec {
    psc__node node;
    psc__str peer_id;
    double score;
    uint64_t time_in_mesh_ms;
} psc__mesh_rec;

typedef struct psc__str_rec {
    psc__node node;
    psc__str s;
} psc__str_rec;

/* A topic record is also the handle to add its mesh and fanout peers. */
struct psc_topic_builder {
    psc__node node;
    psc__str name;
    bool subscribed;
    uint32_t peer_count;
    psc_pubsub_counts messages, bytes;
    psc__list mesh, fanout;
    struct psc__build *bld;
    uint64_t epoch;
    size_t pb_size;
    const uint8_t *pb_at;
};
typedef struct psc_topic_builder psc__topic_rec;

typedef struct psc__tag_rec {
    psc__str name;
    int64_t value;
} psc__tag_rec;

typedef struct psc__peer_rec {
    psc__node node;
    psc__str peer_id, agent_version, protocol_version;
    psc__strv addrs, protocols;
    uint64_t latency_ewma_ns, first_seen_ts, last_seen_ts;
    psc__tag_rec *tags;
    size_t n_tags;
    size_t pb_size;
    const uint8_t *pb_at;
} psc__peer_rec;

typedef struct psc__scope_rec {
    psc__node node;
    psc_scope_kind kind;
    psc__str name;
    psc_resources usage, limit;
    size_t pb_size;
    const uint8_t *pb_at;
} psc__scope_rec;

typedef enum psc__value_kind {
    PSC__VAL_NUMBER = PSC__F_CUSTOM_SECTION_VALUE__NUMBER, /* the oneof member's field number */
    PSC__VAL_TEXT = PSC__F_CUSTOM_SECTION_VALUE__TEXT,
    PSC__VAL_JSON = PSC__F_CUSTOM_SECTION_VALUE__JSON,
    PSC__VAL_INTEGER = PSC__F_CUSTOM_SECTION_VALUE__INTEGER,
} psc__value_kind;

typedef struct psc__value_rec {
    psc__node node;
    psc__str name;
    psc__value_kind kind;
    double number;
    int64_t integer;
    psc__str text; /* TEXT and JSON */
} psc__value_rec;

typedef struct psc__custom_rec {
    psc__node node;
    psc__str name;
    psc__list values;
    size_t pb_size;
} psc__custom_rec;

typedef struct psc__error_rec {
    psc__node node;
    psc__str provider, subsystem, reason;
    psc_err code;
} psc__error_rec;

/* --------------------------------------------------------- the state */

typedef struct psc__snap {
    uint64_t seq, instant_ts, start_ts, collect_ns;
    uint32_t duration_ms;

    psc__list conns, transports, dials, ping_peers, topics, peers, scopes, customs, errors, extra_dhts;
    psc__dht_rec *dht;  /* the first DHT provider's, when it succeeded */
    bool dht_slot_used; /* the first DHT provider has been seen */

    bool has_pubsub, has_peerstore, has_rcmgr;
    bool router_set;
    psc__str router, router_protocol;

    bool has_dialer, has_identify, has_relay, has_ping, has_traffic;
    psc_dialer dialer;
    psc_identify identify;
    psc_relay relay;
    uint64_t pings_sent, ping_failures;
    psc_traffic traffic; /* final State.traffic after finalisation */

    /* finalisation: view indexes and totals */
    psc__conn_rec **conn_index;
    size_t n_streams, n_closed, n_dht_peers;
    psc__error_rec **error_index;

    /* encoding: body sizes cached by the size pass */
    size_t pb_subsystems, pb_state, pb_pubsub, pb_peerstore, pb_rcmgr, pb_dialer, pb_ping;
    /* where the write pass put what delta states copy whole (see the top) */
    const uint8_t *pb_pubsub_head, *pb_pubsub_head_end;   /* router and protocol fields */
    const uint8_t *pb_plain_at, *pb_plain_end;            /* Subsystems fields 18 to 22 */
    const uint8_t *pb_custom_at, *pb_custom_end;          /* Subsystems field 24 */
    const uint8_t *pb_tail_at, *pb_tail_end;              /* State fields after subsystems */
    /* State fields the analysis hook encoded (alerts, milestones): copied into the tail */
    const uint8_t *analysis_pb;
    size_t analysis_len;
} psc__snap;

/* The state view: the arena (which holds this struct) plus its root. */
struct psc__view {
    uint32_t refs;
    psc__arena arena;
    psc__snap snap;
};

/* --------------------------------------------------- building context */

/* One snapshot being built; lives on the snapshotting thread's stack. */
typedef struct psc__build {
    psc_introspector *intro;
    psc__view *view;
    psc__arena *arena;
    psc__snap *snap;
    uint64_t now_ms;
    uint64_t epoch; /* increments for each collect call */
    size_t entities;     /* records the current collect added */
    size_t max_entities; /* its cap (psc_config.max_entities_per_collect) */
    size_t refused;      /* records refused over the cap */
    /*
     * Stream protocols copied by this collect call (protos_epoch): a host
     * speaks few, so streams share one copy each, and readers of the view
     * (the analyzer) can compare them by pointer first.
     */
    psc__str protos[8];
    unsigned n_protos, next_proto;
    uint64_t protos_epoch;
} psc__build;

struct psc_collect {
    uint64_t now_ms;
    bool has_reason;
    char reason[256];
};

struct psc_swarm_builder {
    psc__build *bld;
    uint64_t epoch;
    psc__idmap *conn_map; /* ids of this collect's connections */
    psc__list conns, transports, dials, ping_peers;
    bool has_dialer, has_identify, has_relay, has_ping, has_traffic;
    psc_dialer dialer;
    psc_identify identify;
    psc_relay relay;
    uint64_t pings_sent, ping_failures;
    psc_traffic traffic;
};

struct psc_dht_builder {
    psc__build *bld;
    psc__dht_rec *dht;
    bool info_set;
};

struct psc_pubsub_builder {
    psc__build *bld;
    uint64_t epoch;
    psc__list topics;
    bool router_set;
    psc__str router, protocol;
};

struct psc_peerstore_builder {
    psc__build *bld;
    psc__list peers;
};

struct psc_rcmgr_builder {
    psc__build *bld;
    psc__list scopes;
};

struct psc_custom_builder {
    psc__build *bld;
    psc__list values;
};

/* ---- builder_util.c ---- */

/* Replace each byte of an ill-formed UTF-8 sequence with '?', in place. */
void psc__text_sanitize(char *s, size_t n);

/* Copies into the arena (NULL -> absent; not UTF-8 -> PSC_ERR_INVALID). */
psc_err psc__copy_str(psc__arena *ar, const char *s, psc__str *out);
/* NULL s is PSC_ERR_INVALID */
psc_err psc__copy_str_req(psc__arena *ar, const char *s, psc__str *out);
/* len > 0 with NULL p is PSC_ERR_INVALID */
psc_err psc__copy_bytes(psc__arena *ar, const uint8_t *p, size_t len, psc__bytes *out);
/* n > 0 with NULL v, or a NULL element, is PSC_ERR_INVALID */
psc_err psc__copy_strv(psc__arena *ar, const char *const *v, size_t n, psc__strv *out);

/* ---- retention.c ---- */

/*
 * Compare a swarm provider's successful collect with its baseline: add
 * the connections that vanished (CLOSED, once) to sb->conns, and to each
 * still-present connection the streams that vanished from it.
 */
psc_err psc__retain(psc__build *bld, psc_swarm_builder *sb, const psc__baseline *base);

/* ---- builders ---- */

/*
 * A zeroed record of size bytes from ar for a builder to fill; *mark is
 * where psc__rec_undo rewinds to when filling it fails, so that a failed
 * add leaves nothing behind. NULL when the arena is out of memory.
 */
/* A new zeroed record of one collect, or NULL: out of memory, or over the
 * entities one collect may add (counted in bld->refused). */
static inline void *psc__rec_new(psc__build *bld, size_t size, psc__arena_mark *mark)
{
    if (bld->entities >= bld->max_entities) {
        bld->refused++;
        return NULL;
    }
    *mark = psc__arena_mark_get(bld->arena);
    void *r = psc__arena_zalloc(bld->arena, size);
    if (r)
        bld->entities++;
    return r;
}

/* The error for a psc__rec_new that gave NULL. */
static inline psc_err psc__rec_refused(const psc__build *bld)
{
    return bld->entities >= bld->max_entities ? PSC_ERR_TOO_BIG : PSC_ERR_NOMEM;
}

/* Give back what a failed add took from ar, and pass its error on. */
static inline psc_err psc__rec_undo(psc__arena *ar, psc__arena_mark mark, psc_err e)
{
    psc__arena_rewind(ar, mark);
    return e;
}

/* ---- encode_state.c / encode_sections.c ---- */

/* Size pass over a finalised snapshot; returns the size of the State body. */
size_t psc__state_pb_size(psc__snap *s);
/* Write pass of the State body into exactly that many bytes; returns the end. */
uint8_t *psc__state_pb_write(uint8_t *p, psc__snap *s);

size_t psc__dht_pb_size(psc__dht_rec *d);
uint8_t *psc__dht_pb_write(uint8_t *p, psc__dht_rec *d);
size_t psc__topic_pb_size(psc__topic_rec *t);
uint8_t *psc__topic_pb_write(uint8_t *p, psc__topic_rec *t);
size_t psc__peer_pb_size(psc__peer_rec *r);
uint8_t *psc__peer_pb_write(uint8_t *p, psc__peer_rec *r);
size_t psc__transport_pb_size(psc__transport_rec *t);
uint8_t *psc__transport_pb_write(uint8_t *p, const psc__transport_rec *t);
size_t psc__scope_pb_size(const psc__scope_rec *r);
uint8_t *psc__scope_pb_write(uint8_t *p, psc__scope_rec *r);
size_t psc__custom_pb_size(psc__custom_rec *c);
uint8_t *psc__custom_pb_write(uint8_t *p, const psc__custom_rec *c);
size_t psc__error_pb_size(const psc__error_rec *e);
uint8_t *psc__error_pb_write(uint8_t *p, const psc__error_rec *e);
size_t psc__dialer_pb_size(const psc__snap *s);
uint8_t *psc__dialer_pb_write(uint8_t *p, const psc__snap *s);
size_t psc__identify_pb_size(const psc_identify *id);
uint8_t *psc__identify_pb_write(uint8_t *p, const psc_identify *id);
size_t psc__relay_pb_size(const psc_relay *r);
uint8_t *psc__relay_pb_write(uint8_t *p, const psc_relay *r);
size_t psc__ping_pb_size(const psc__snap *s);
uint8_t *psc__ping_pb_write(uint8_t *p, const psc__snap *s);

/* ---- snapshot.c helpers shared with the view ---- */
psc_err psc__view_new(const psc__alloc *a, psc__chunk_pool *pool, size_t hint, psc__view **out);

#endif

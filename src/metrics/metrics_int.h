/* Inside the metrics folder: the families, the sample table and the label builder. */
#ifndef PSC_METRICS_METRICS_INT_H
#define PSC_METRICS_METRICS_INT_H

#include "metrics/metrics.h"
#include "util/arena.h"

/* Every family, in output order. */
typedef enum psc__fam {
    PSC__FAM_CONNECTIONS,
    PSC__FAM_CONNECTION_BYTES,
    PSC__FAM_STREAMS,
    PSC__FAM_STREAM_BYTES,
    PSC__FAM_TRAFFIC_BYTES,
    PSC__FAM_TRAFFIC_RATE,
    PSC__FAM_DIALS,
    PSC__FAM_DIALS_IN_FLIGHT,
    PSC__FAM_DHT_BUCKET_PEERS,
    PSC__FAM_DHT_QUERIES,
    PSC__FAM_PUBSUB_MESH_PEERS,
    PSC__FAM_PUBSUB_TOPIC_PEERS,
    PSC__FAM_PUBSUB_MESSAGES,
    PSC__FAM_PUBSUB_BYTES,
    PSC__FAM_PEERSTORE_PEERS,
    PSC__FAM_RESOURCE_USAGE,
    PSC__FAM_RESOURCE_LIMIT,
    PSC__FAM_PROVIDER_ERRORS,
    PSC__FAM_CUSTOM,
    PSC__FAM_EVENTS,
    PSC__FAM_EVENTS_DROPPED,
    PSC__FAM_ALERTS,
    PSC__FAM_MILESTONE,
    PSC__FAM_SNAPSHOTS,
    PSC__FAM_SNAPSHOT_TIME,
    PSC__FAM_SNAPSHOT_COLLECT,
    PSC__FAM_SNAPSHOT_BYTES,
    PSC__FAM_PEER_BYTES, /* opt-in top-K */
    PSC__FAM_COUNT
} psc__fam;

typedef struct psc__fam_def {
    const char *name; /* the family name; a counter's samples add "_total" */
    bool counter;
    const char *unit; /* OpenMetrics UNIT (a suffix of name), or NULL */
    const char *help;
} psc__fam_def;

extern const psc__fam_def psc__fams[PSC__FAM_COUNT];

/* One series: its labels as written between the braces (escaped). */
typedef struct psc__sample {
    uint32_t fam;
    uint32_t key_len;
    uint64_t hash;
    const char *key; /* in the set's arena */
    double value;
} psc__sample;

struct psc__metrics {
    psc__alloc alloc;
    psc__arena arena;          /* sample keys */
    size_t top_peers;
    psc__sample *samples;
    size_t n, cap;
    uint32_t *slots;           /* open addressing: index + 1 into samples, 0 free */
    size_t n_slots;            /* a power of two, at least twice n */
    /* the label builder: key of the sample being made */
    char *lb;
    size_t lb_len, lb_cap, lb_base; /* lb_base: after the node label */
    bool failed;               /* out of memory while building a key */
};

/* Connections and streams summed by (name, role, status) (metrics_conns.c).
 * name points into the State being added (a tree or its encoding). */
typedef struct psc__tuple {
    const char *name;
    size_t len;
    uint32_t role, status;
    uint64_t hash;
    double count, in, out;
} psc__tuple;

typedef struct psc__tuples {
    psc__tuple *v;
    size_t n, cap;
    uint32_t *slots; /* index + 1, 0 free; n_slots a power of two, above 2n */
    size_t n_slots;
} psc__tuples;

typedef struct psc__peer_bytes {
    const char *peer;
    size_t len;
    uint64_t in, out;
} psc__peer_bytes;

typedef struct psc__conn_acc {
    const psc__alloc *alloc;
    psc__tuples conns, streams;
    bool want_peers;           /* the top-K family is on */
    psc__peer_bytes *peers;    /* one per connection with a peer id */
    size_t n_peers, cap_peers;
} psc__conn_acc;

void psc__acc_init(psc__conn_acc *acc, const psc__alloc *a, bool peers);
void psc__acc_fini(psc__conn_acc *acc);
/* One connection (an empty transport counts as "unknown"). PSC_ERR_NOMEM. */
psc_err psc__acc_conn(psc__conn_acc *acc, const char *transport, size_t tlen, uint32_t role, uint32_t status,
                      uint64_t in, uint64_t out, const char *peer, size_t plen);
/* One stream (an empty protocol counts as "unknown"). PSC_ERR_NOMEM. */
psc_err psc__acc_stream(psc__conn_acc *acc, const char *protocol, size_t plen, uint32_t role, uint32_t status,
                        uint64_t in, uint64_t out);
/* Every connection and stream of a decoded tree. */
psc_err psc__acc_tree(psc__conn_acc *acc, const Peerscope__Subsystems *sub);
/* The connection, stream and top-K families from what was summed. */
psc_err psc__acc_put(psc__metrics *m, psc__conn_acc *acc);
/* The name of the transport with this id in sub's list ("" and 0 if none). */
const char *psc__transport_by_id(const Peerscope__Subsystems *sub, const uint8_t *id, size_t len, size_t *name_len);
const char *psc__status_name(uint32_t status);
const char *psc__direction_name(uint32_t role);

/* Start the labels of a node's samples (node NULL: none). */
void psc__lb_node(psc__metrics *m, const char *node);
/* Back to just the node label. */
void psc__lb_reset(psc__metrics *m);
/* Append name="value" (value escaped; NULL counts as ""). */
void psc__lb_add(psc__metrics *m, const char *name, const char *value);
/* The same with a value of len bytes (not NUL-terminated). */
void psc__lb_addn(psc__metrics *m, const char *name, const char *value, size_t len);
void psc__lb_add_uint(psc__metrics *m, const char *name, uint64_t v);
/* Add v to the series fam{labels built}: a new series starts at v. Then
 * reset to the node label. PSC_ERR_NOMEM. */
psc_err psc__metrics_put(psc__metrics *m, psc__fam fam, double v);

/* The State's families but those of connections and streams (metrics_state.c). */
psc_err psc__metrics_add_state(psc__metrics *m, const Peerscope__State *st);
/* An encoded ServerMessage's State (metrics_walk.c): its connections
 * walked in place, the rest unpacked into ar. */
psc_err psc__metrics_add_walked(psc__metrics *m, psc__arena *ar, const char *node, const uint8_t *payload,
                                size_t payload_len, const psc__metrics_extra *x);
/* The node's families beside the State (metrics_set.c). */
psc_err psc__metrics_add_extra(psc__metrics *m, const psc__metrics_extra *x);
/* Escape len bytes of v as a label value (see psc__metrics_escape_label). */
size_t psc__metrics_escape_labeln(char *dst, size_t cap, const char *v, size_t len);

/* A sample value as text (no NUL needed in cap beyond what it writes). */
size_t psc__metrics_number(char *buf, size_t cap, double v);

#endif

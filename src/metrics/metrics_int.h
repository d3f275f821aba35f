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

/* Start the labels of a node's samples (node NULL: none). */
void psc__lb_node(psc__metrics *m, const char *node);
/* Back to just the node label. */
void psc__lb_reset(psc__metrics *m);
/* Append name="value" (value escaped; NULL counts as ""). */
void psc__lb_add(psc__metrics *m, const char *name, const char *value);
void psc__lb_add_uint(psc__metrics *m, const char *name, uint64_t v);
/* Add v to the series fam{labels built}: a new series starts at v. Then
 * reset to the node label. PSC_ERR_NOMEM. */
psc_err psc__metrics_put(psc__metrics *m, psc__fam fam, double v);

/* The State's families (metrics_state.c). */
psc_err psc__metrics_add_state(psc__metrics *m, const Peerscope__State *st);
/* The top-K peers family (metrics_top.c). */
psc_err psc__metrics_add_top_peers(psc__metrics *m, const Peerscope__State *st);

/* A sample value as text (no NUL needed in cap beyond what it writes). */
size_t psc__metrics_number(char *buf, size_t cap, double v);

#endif

/*
 * Private to src/analyze: the analyzer object, the rule engine and the
 * contracts between the rule families.
 *
 * Everything here runs either on a host thread calling the public API or
 * on the snapshotting thread (psc__analysis.on_state), both under
 * an->lock; the lock comes after the introspector's snap_lock.
 */
#ifndef PSC_ANALYZE_ANALYZE_H
#define PSC_ANALYZE_ANALYZE_H

#include <pthread.h>

#include "core/core.h"
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"
#include "peerscope/analyze.h"
#include "peerscope/model.h"

/* How a kind compares its value with the threshold. */
typedef enum psc__op {
    PSC__OP_ABOVE,    /* value > threshold */
    PSC__OP_BELOW,    /* value < threshold */
    PSC__OP_AT_LEAST, /* value >= threshold */
} psc__op;

/* One subject of a rule whose condition holds or whose alert fires. */
typedef struct psc__subj {
    char *subject, *subject_kind, *message;
    double value;
    bool holding, firing, seen;
    bool dead; /* to be dropped by the sweep */
    uint64_t since_ts, firing_ts, clear_since;
    uint64_t order; /* firing order, for listing oldest first */
} psc__subj;

/* Per-key memory a family keeps between evaluations (per protocol, per provider, ...). */
typedef struct psc__mem {
    char *key;
    double a, b;
    uint64_t ts;
    bool seen;
} psc__mem;

/* A hash index over strings owned elsewhere (strmap.c). */
typedef struct psc__strmap_slot {
    const char *key; /* NULL: free */
    uint64_t hash;
    size_t value;
} psc__strmap_slot;

typedef struct psc__strmap {
    psc__strmap_slot *slots;
    size_t n, cap; /* cap: 0 or a power of two */
} psc__strmap;

typedef struct psc__mems {
    psc__mem *v;
    size_t n, cap;
    psc__strmap index; /* key -> position in v */
} psc__mems;

/* Cumulative counters sampled per evaluation, for rates over a window. */
typedef struct psc__sample {
    uint64_t ts;
    double a, b;
} psc__sample;

typedef struct psc__series {
    psc__sample *v;
    size_t n, cap;
} psc__series;

typedef struct psc__rule {
    psc_rule cfg;      /* strings point to the copies below */
    char *name, *subject, *set, *event_type, *property;
    double threshold;  /* the kind's default applied */
    psc__op op;
    psc__subj *subj;
    size_t n_subj, cap_subj;
    psc__strmap subj_index; /* subject -> position in subj */
    psc__mems mems;
    psc__series series;
    uint64_t added_ts; /* first evaluation that saw the rule */
    bool removed;      /* resolve everything at the next evaluation, then drop */
} psc__rule;

/* An expected set. */
typedef struct psc__set {
    char *name;
    char **ids; /* sorted, unique */
    size_t n;
    psc_expected_fn fn;
    void *user;
} psc__set;

struct psc_expected_sink {
    psc_analyzer *an;
    char **ids;
    size_t n, cap;
    bool failed;
};

typedef struct psc__milestone {
    char *name, *from;
    uint64_t reached_ts, duration_ms;
} psc__milestone;

/* An event read from the ring this evaluation (content in evbuf). */
typedef struct psc__ev {
    const char *type;
    uint64_t ts;
    size_t off; /* of its content in evbuf */
} psc__ev;

/* What several rules of one evaluation need, computed once. */
typedef struct psc__facts {
    const psc_msg *view;
    uint64_t now, prev_now;
    psc__strmap peers;  /* connected (ACTIVE) peers */
    size_t n_peers;
    /* open streams per protocol, counted once when a stream_growth rule needs them */
    bool has_protocols;
    psc__strmap protocols; /* protocol -> index in protocol_counts */
    const char **protocol_names;
    size_t *protocol_counts;
    size_t n_protocols, cap_protocols, cap_protocol_counts;
    /* open streams that never carried a byte, for stream_idle: protocol index and open time */
    struct psc__quiet_stream {
        uint32_t protocol;
        uint64_t open_ts;
    } *quiet;
    size_t n_quiet, cap_quiet;
    bool wants_open_ts; /* a peers_N milestone is still to come */
    uint64_t *open_ts;  /* of ACTIVE connections, sorted */
    size_t n_open, n_open_cap;
    uint64_t opened, closed; /* connections that opened / closed since the previous evaluation */
} psc__facts;

typedef struct psc__firing {
    psc__rule *r;
    psc__subj *s;
} psc__firing;

struct psc_analyzer {
    psc_introspector *intro;
    psc__alloc alloc;
    pthread_mutex_t lock;

    psc__rule **rules;
    size_t n_rules, cap_rules;
    psc__set *sets;
    size_t n_sets, cap_sets;
    psc__milestone *ms;
    size_t n_ms, cap_ms;
    uint32_t *peer_ms; /* N of peers_N */
    size_t n_peer_ms;
    uint64_t alert_order;

    const psc_event_type *ev_firing, *ev_resolved, *ev_milestone;
    psc_event_reader *reader;
    psc__ev *evs;
    size_t n_evs, cap_evs, max_events;
    char *evbuf;
    size_t evbuf_len, evbuf_cap;
    uint64_t events_missed; /* cumulative, for events_dropped */

    psc__facts facts;
    uint64_t prev_now;
    bool evaluated;
    uint64_t evaluations;
    uint64_t total_cpu_ns, last_cpu_ns;

    psc__firing *firing; /* scratch: the firing alerts in order */
    size_t n_firing, cap_firing;
    uint8_t *pb; /* State fields of the last evaluation (on_state's answer) */
    size_t pb_len, pb_cap;

    /* the own thread */
    bool has_thread, stop;
    uint64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t thread_lock;
    pthread_cond_t thread_cond;
};

struct psc_rule_ctx {
    psc_analyzer *an;
    psc__rule *rule;
    const psc__facts *facts;
};

/* ---- util (analyzer.c) ---- */
char *psc__an_strdup(psc_analyzer *an, const char *s);
/* Grow *v (of elem bytes each) to hold need; false when out of memory. */
bool psc__an_grow(psc_analyzer *an, void **v, size_t *cap, size_t need, size_t elem);
const char *psc__ev_content(const psc_analyzer *an, const psc__ev *e);
/* Whether the peer has an ACTIVE connection in the evaluated state. */
bool psc__facts_connected(const psc__facts *f, const char *peer);


static inline bool psc__text_ok(const char *s)
{
    return psc__text_valid(s, strlen(s));
}

/* ---- strmap.c ---- */
/* Insert key (kept as a pointer) unless present; *existing gets the value stored. False: out of memory. */
bool psc__strmap_put(psc_analyzer *an, psc__strmap *m, const char *key, size_t value, size_t *existing);
bool psc__strmap_get(const psc__strmap *m, const char *key, size_t *value);
/* Room for n keys without growing. False: out of memory. */
bool psc__strmap_reserve(psc_analyzer *an, psc__strmap *m, size_t n);
void psc__strmap_clear(psc__strmap *m);
void psc__strmap_free(psc_analyzer *an, psc__strmap *m);

/* ---- engine.c ---- */
/* The kind's comparison, default threshold and what its value means ("mesh peers"). */
psc__op psc__kind_op(psc_rule_kind k);
double psc__kind_default(psc_rule_kind k);
const char *psc__kind_value_name(psc_rule_kind k);
/*
 * Report one subject's value for this evaluation (the subject filter is
 * applied here). message NULL: made from the kind's description.
 */
psc_err psc__observe(psc_analyzer *an, psc__rule *r, const char *subject, const char *subject_kind, double value,
                     const char *message, uint64_t now);
/*
 * After the rule's pass: drop the subjects that resolved; when the pass
 * was complete, subjects not observed count as clear (a failed pass
 * leaves them as they were).
 */
void psc__rule_sweep(psc_analyzer *an, psc__rule *r, uint64_t now, bool complete);
/* Resolve every firing subject (rule removed) and free the rule. */
void psc__rule_free(psc_analyzer *an, psc__rule *r, bool resolve, uint64_t now);
/* Memory per key: found or added (NULL when out of memory). */
psc__mem *psc__mem_get(psc_analyzer *an, psc__mems *m, const char *key);
/* Drop memories not marked seen since the last call, and clear the marks. */
void psc__mem_sweep(psc_analyzer *an, psc__mems *m);
void psc__mems_free(psc_analyzer *an, psc__mems *m);
/*
 * Add a sample of cumulative counters and get their increase over the
 * window (from the newest sample at least window_ms old, else the oldest).
 */
bool psc__series_add(psc_analyzer *an, psc__series *s, uint64_t now, double a, double b, uint64_t window_ms,
                     double *da, double *db);

/* ---- families: each evaluates one rule over the facts ---- */
psc_err psc__eval_expected_peers(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_expected_events(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_peers(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_streams(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_dht(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_pubsub(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_rcmgr(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_health(psc_analyzer *an, psc__rule *r, const psc__facts *f);
psc_err psc__eval_custom(psc_analyzer *an, psc__rule *r, const psc__facts *f);

/* ---- expected.c ---- */
psc__set *psc__set_find(psc_analyzer *an, const char *name);
/* Refresh every provided set (on_state, before the rules). */
void psc__sets_refresh(psc_analyzer *an);
void psc__sets_free(psc_analyzer *an);

/* ---- milestones.c ---- */
void psc__milestones_update(psc_analyzer *an, const psc__facts *f);
psc_err psc__milestone_add(psc_analyzer *an, const char *name, const char *from, uint64_t ts);
void psc__milestones_free(psc_analyzer *an);
/* [lock] Whether a milestone of that name is reached. */
bool psc__milestone_known(psc_analyzer *an, const char *name);
size_t psc__milestone_pb_size(const psc__milestone *m);
uint8_t *psc__milestone_pb_write(uint8_t *p, const psc__milestone *m);

/* ---- rules.c ---- */
/* Validate and copy a rule (name uniqueness checked by the caller). */
psc_err psc__rule_new(psc_analyzer *an, const psc_rule *in, psc__rule **out);
psc__rule *psc__rule_find(psc_analyzer *an, const char *name);

/* ---- rules_yaml.c ---- */
/*
 * Parse a rules file: rules (validated, not yet added) and expected sets.
 * Errors go to err as "ORIGIN:LINE: FIELD: what".
 */
typedef struct psc__loaded_set {
    char *name;
    char **ids;
    size_t n;
} psc__loaded_set;

typedef struct psc__loaded {
    psc__rule **rules;
    size_t n_rules, cap_rules;
    psc__loaded_set *sets;
    size_t n_sets, cap_sets;
} psc__loaded;
psc_err psc__rules_parse(psc_analyzer *an, const char *text, size_t len, const char *origin, psc__loaded *out,
                         char *err, size_t err_len);
void psc__loaded_free(psc_analyzer *an, psc__loaded *l);

#endif

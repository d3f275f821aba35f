/*
 * Prometheus text (format 0.0.4) and OpenMetrics 1.0 text of States.
 *
 * A metrics set gathers the samples of one or more nodes' States (decoded
 * protobuf-c trees, the same data the endpoint serves) and writes them as
 * one exposition: every family once, with HELP and TYPE (and UNIT in
 * OpenMetrics), its samples sorted by their labels, so the same input
 * always gives byte-identical text. A set made for one node has no node
 * label; a fleet (the hub) adds each node under its name and every sample
 * then carries node="..." first.
 *
 * Cardinality is bounded by what the State aggregates into: transports,
 * protocols, topics, DHT buckets, resource scopes other than per-peer,
 * per-connection and per-stream ones (those are summed per kind), alert
 * rules, milestone names, event types. No label holds a peer id, except
 * in the opt-in top-K family (peerscope_peer_bytes), whose K is capped at
 * PSC__METRICS_TOP_PEERS_MAX.
 *
 * Nothing here is shared or locked: one set belongs to one thread.
 */
#ifndef PSC_METRICS_METRICS_H
#define PSC_METRICS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "peerscope/peerscope.pb-c.h"

/* The hard cap of the top-K peers family. */
#define PSC__METRICS_TOP_PEERS_MAX 50u

typedef enum psc__metrics_format {
    PSC__METRICS_PROMETHEUS = 0, /* text/plain; version=0.0.4 */
    PSC__METRICS_OPENMETRICS,    /* application/openmetrics-text; version=1.0.0 */
} psc__metrics_format;

/* The Content-Type of a format's text. Static. */
const char *psc__metrics_content_type(psc__metrics_format f);

/*
 * The format an Accept header value asks for: OpenMetrics when it names
 * application/openmetrics-text with a q above 0 that is not lower than
 * text/plain's (or that of any-type entries), else the 0.0.4 text. NULL or
 * empty: 0.0.4.
 */
psc__metrics_format psc__metrics_negotiate(const char *accept);

/* Count of one event type (the node's event store, not in the State). */
typedef struct psc__metrics_event_count {
    const char *type;
    uint64_t emitted;
} psc__metrics_event_count;

/*
 * What a node knows beside its State: the event store's counters and what
 * the snapshot cost. Any pointer may be NULL and any has_ false: the
 * families are then left out for that node.
 */
typedef struct psc__metrics_extra {
    bool has_events;
    uint64_t events_dropped;          /* given a sequence number but lost at emit */
    const psc__metrics_event_count *event_types;
    size_t n_event_types;
    bool has_snapshot;
    uint64_t snapshot_collect_ns;     /* collecting and encoding it */
    uint64_t snapshot_bytes;          /* its encoded ServerMessage */
} psc__metrics_extra;

typedef struct psc__metrics psc__metrics;

/*
 * A new empty set. top_peers: K of the top-K peers family (0: the family
 * is left out; above PSC__METRICS_TOP_PEERS_MAX: that cap).
 * Errors: PSC_ERR_INVALID (NULL a or out), PSC_ERR_NOMEM.
 * Ownership: *out is the caller's, freed with psc__metrics_free; a is
 * copied.
 */
psc_err psc__metrics_new(const psc__alloc *a, size_t top_peers, psc__metrics **out);
void psc__metrics_free(psc__metrics *m);

/*
 * Add one node's samples: node NULL for a set of one node (no node label),
 * else the node's name (any UTF-8; escaped on output). st may be NULL
 * (only the extra families then). Nothing is kept by pointer: st, x and
 * node may go once this returns. A node added twice has its values summed.
 * Errors: PSC_ERR_INVALID (NULL m), PSC_ERR_NOMEM (the set then holds
 * part of the node: free it).
 */
psc_err psc__metrics_add(psc__metrics *m, const char *node, const Peerscope__State *st, const psc__metrics_extra *x);

/*
 * The exposition of everything added, in format f, into a new buffer of
 * *len bytes (not NUL-terminated) allocated through the set's allocator:
 * *out is the caller's, freed with psc__free of that allocator.
 * Errors: PSC_ERR_INVALID, PSC_ERR_NOMEM.
 */
psc_err psc__metrics_write(const psc__metrics *m, psc__metrics_format f, uint8_t **out, size_t *len);

/*
 * Render a whole encoded ServerMessage holding a State (one node, no node
 * label): added as psc__metrics_add_payload does (without a scratch),
 * written.
 * Errors: PSC_ERR_INVALID (not a State), PSC_ERR_PROTOCOL (undecodable),
 * PSC_ERR_NOMEM. *out as psc__metrics_write.
 */
psc_err psc__metrics_render_state(const psc__alloc *a, const uint8_t *payload, size_t payload_len,
                                  const psc__metrics_extra *x, size_t top_peers, psc__metrics_format f,
                                  uint8_t **out, size_t *len);

/*
 * Memory that decodes reuse: mapping fresh pages for a decoded tree costs
 * about as much as decoding it. The pool keeps the largest chunk of the
 * last decode (what was unpacked: a state without its connections and
 * peerstore, which are walked in place), and hint sizes the next first
 * chunk. One scratch per thread at a time.
 */
typedef struct psc__metrics_scratch {
    psc__chunk_pool *pool;
    size_t hint;
} psc__metrics_scratch;

/* PSC_ERR_NOMEM. */
psc_err psc__metrics_scratch_init(psc__metrics_scratch *s, const psc__alloc *a);
/* Releases what it holds; a zeroed scratch is fine. */
void psc__metrics_scratch_fini(psc__metrics_scratch *s);

/*
 * Add an encoded ServerMessage holding a State (its payload bytes) as
 * psc__metrics_add adds its tree, giving the same text: its connections
 * and streams are read in place, the rest is unpacked into an arena (from
 * scratch when given, else fresh) that is gone when this returns. Input
 * protobuf-c would refuse may still be read where only the connections'
 * unread fields are wrong.
 * Errors: PSC_ERR_INVALID (not a State), PSC_ERR_PROTOCOL (undecodable),
 * PSC_ERR_NOMEM.
 */
psc_err psc__metrics_add_payload(psc__metrics *m, const char *node, const uint8_t *payload, size_t payload_len,
                                 const psc__metrics_extra *x, psc__metrics_scratch *scratch);

/* ---- text pieces (metrics_text.c), exposed for the tests ---- */

/* Append v as a label value: backslash, double quote and newline escaped.
 * Returns the bytes it needs (written only when they fit in cap). */
size_t psc__metrics_escape_label(char *dst, size_t cap, const char *v);
/* Append v as HELP text: backslash and newline escaped (same contract). */
size_t psc__metrics_escape_help(char *dst, size_t cap, const char *v);
/* A valid metric or label name from s: characters outside [a-zA-Z0-9_:]
 * (':' too for labels) become '_', a leading digit gets a '_' prefix;
 * empty gives "_". Written NUL-terminated, cut to cap - 1. */
void psc__metrics_sanitize_name(char *dst, size_t cap, const char *s, bool label);

#endif

/*
 * What peerscope-top knows about one node, built from the serialized
 * ServerMessages it receives: the runtime, the latest state (and values
 * derived from it: rates, counts, a bandwidth history), the event types
 * and a tail of recent events; from peerscope-hub's fleet socket also the
 * latest Fleet table (one row per node; its events carry Event.node).
 *
 * Every allocation goes through the allocator given to top_model_init. A
 * message that cannot be applied (out of memory, not a ServerMessage)
 * leaves the model as it was (only the rejected counter moves), so the
 * same message can be applied again later.
 *
 * Not thread-safe: one model per thread (peerscope-top uses it from the
 * client loop's thread only).
 */
#ifndef PSC_TOOLS_TOP_MODEL_H
#define PSC_TOOLS_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/pb.h"

/* Samples of total bandwidth kept for the sparkline (one per state). */
#define TOP_HISTORY 120
/* Events kept for the tail view. */
#define TOP_EVENTS_DEFAULT 1000

typedef struct top_prop {
    char *name;
    int type;               /* Peerscope__EventType__EventProperty__PropertyType */
    bool multiple;
} top_prop;

typedef struct top_evtype {
    char *name;
    top_prop *props;
    size_t n_props;
    bool props_known;       /* the metadata has been seen (an empty list is valid) */
    uint64_t count;         /* events of this type received */
} top_evtype;

typedef struct top_event {
    uint64_t ts;            /* ms since the epoch, from the server */
    uint64_t seq;           /* peerscope's event sequence number, 0 when absent */
    size_t type;            /* index into top_model.types */
    char *content;          /* the JSON object as received */
    char *node;             /* Event.node (a hub's fleet stream), NULL when absent */
} top_event;

/* Per-connection values computed when a state arrives (same index as the state's connections). */
typedef struct top_conn_derived {
    double rate_in, rate_out;   /* bytes/s: the server's inst_bw, else from the byte counters */
    uint32_t streams;           /* open streams: stream_count, else those listed */
} top_conn_derived;

typedef struct top_model {
    psc_allocator alloc;
    ProtobufCAllocator pb;
    bool pb_failed;                        /* an allocation of the last unpack failed */

    Peerscope__ServerMessage *runtime_msg; /* owned; runtime_msg->runtime */
    Peerscope__ServerMessage *state_msg;   /* owned; the latest state */
    Peerscope__ServerMessage *fleet_msg;   /* owned; the latest Fleet table (peerscope-hub), NULL from a node */
    uint64_t fleets_total;
    top_conn_derived *conns;               /* state's connections, derived values */
    size_t n_conns;

    /* totals of the latest state */
    size_t conns_open, conns_closed, streams, peers;
    double rate_in, rate_out;
    uint64_t bytes_in, bytes_out;

    double hist_in[TOP_HISTORY], hist_out[TOP_HISTORY]; /* oldest first */
    size_t hist_len;

    top_evtype *types;
    size_t n_types, cap_types;

    top_event *events;      /* ring of cap_events */
    size_t cap_events, ev_head, ev_count;   /* ev_head: oldest */
    uint64_t events_total;  /* received */
    uint64_t events_lost;   /* told by notices or by gaps in seq */
    uint64_t last_seq;

    uint64_t states_total;
    uint64_t messages_total;
    uint64_t rejected;      /* messages that could not be applied */
    uint64_t last_update_ms; /* when the last message was applied (the caller's clock) */
} top_model;

/* events_cap 0: TOP_EVENTS_DEFAULT. a NULL: malloc. */
void top_model_init(top_model *m, const psc_allocator *a, size_t events_cap);
void top_model_free(top_model *m);

/*
 * Apply one serialized ServerMessage. now_ms stamps last_update_ms.
 * PSC_ERR_PROTOCOL if it does not decode, PSC_ERR_NOMEM; the model is
 * unchanged on error.
 */
psc_err top_model_apply(top_model *m, const uint8_t *payload, size_t len, uint64_t now_ms);

/* The runtime (NULL before one arrived) and the state (NULL likewise). */
const Peerscope__Runtime *top_model_runtime(const top_model *m);
const Peerscope__State *top_model_state(const top_model *m);
/* The latest Fleet table: set only when the endpoint is peerscope-hub's fleet socket. */
const Peerscope__Fleet *top_model_fleet(const top_model *m);

/* The i-th kept event, 0 the oldest. */
const top_event *top_model_event(const top_model *m, size_t i);

/* Index of the event type named name, or (size_t)-1. */
size_t top_model_find_type(const top_model *m, const char *name);

#endif

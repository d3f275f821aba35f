/*
 * A host the analyzer tests move by hand: connections with streams,
 * topics with meshes, DHT buckets, dialer and query counters, resource
 * scopes and a provider that fails on demand, all read by real providers
 * at snapshot time, with a fake clock. Include after cmocka's prerequisites.
 */
#ifndef PSC_TESTS_ANALYZE_WORLD_H
#define PSC_TESTS_ANALYZE_WORLD_H

#include "peerscope/pb.h"
#include "peerscope/peerscope.h"
#include "../core/core_fixture.h"

#define W_MAX 64

typedef struct w_stream {
    const char *protocol;
    uint64_t open_ts;
    uint64_t bytes;
} w_stream;

typedef struct w_conn {
    char peer[64];
    char id[16];
    uint64_t open_ts;
    w_stream streams[W_MAX];
    size_t n_streams;
} w_conn;

typedef struct w_topic {
    const char *name;
    bool subscribed;
    size_t mesh;
    double score; /* of every mesh peer */
} w_topic;

typedef struct world {
    fake_clock clock;
    psc_introspector *intro;
    psc_analyzer *an;
    psc_event_reader *reader;
    w_conn conns[W_MAX];
    size_t n_conns;
    unsigned next_id;
    w_topic topics[8];
    size_t n_topics;
    bool has_dht;
    size_t buckets[8];     /* peers by CPL 0..7 */
    psc_query_counts queries;
    bool has_dialer;
    psc_dialer dialer;
    bool has_scope;
    psc_resources usage, limit;
    bool fail_provider;
    /* counts seen by w_events */
    unsigned firing, resolved, milestones;
    char last_subject[128];
    char last_rule[64];
} world;

/* Introspector, providers, analyzer (default config) and an event reader. */
void w_init(world *w);
void w_free(world *w);
/* Move the clock by ms. */
void w_advance(world *w, uint64_t ms);
/* Connect a peer (opened now); returns its index. */
size_t w_connect(world *w, const char *peer);
void w_disconnect(world *w, const char *peer);
void w_add_stream(world *w, size_t conn, const char *protocol, uint64_t bytes);
void w_close_streams(world *w, const char *protocol);
/*
 * Snapshot (which evaluates the rules), check that it encodes as
 * protobuf-c would and that State.alerts agrees with psc_analyzer_alerts,
 * read the new events into the counters (the rule and subject of the last
 * alert event into last_rule/last_subject); returns the number of
 * State.alerts.
 */
size_t w_snap(world *w);
/* Add a rule from YAML text, asserting success. */
void w_rules(world *w, const char *yaml);

#endif

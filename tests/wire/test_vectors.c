/*
 * The third-party recordings in tests/data/observer-toolkit, read with
 * psc_recording_* and decoded with protobuf-c. Everything is counted from
 * the files and compared with what their README states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"
#include "../support/test_support.h"

typedef Peerscope__ServerMessage ServerMessage;
typedef Peerscope__EventType EventType;
typedef Peerscope__EventType__EventProperty EventProperty;

#define PT_STRING PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__STRING
#define PT_NUMBER PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__NUMBER
#define PT_TIME PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__TIME
#define PT_PEERID PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID

/* ------------------------------------------------------- expectations */

typedef struct name_count {
    const char *name;
    size_t count;
} name_count;

typedef struct expected {
    const char *file;
    size_t messages, runtimes, responses, states, events;
    name_count event_names[4];
    size_t max_connections;    /* "up to N connections per state" */
    bool every_state_has_dht;  /* "states with DHT buckets" */
} expected;

/* From tests/data/observer-toolkit/README.md */
static const expected sample_1min = {
    "sample-1min.mock", 969, 1, 1, 30, 937,
    {{"InboundDHTQuery", 465}, {"OutboundDHTQuery", 462}, {"PeerDisconnecting", 6}, {"PeerConnecting", 4}},
    10, false,
};
static const expected sample_dht_2min = {
    "sample-dht-2min.mock", 596, 1, 0, 60, 535,
    {{"OutboundDHTQuery", 281}, {"InboundDHTQuery", 242}, {"PeerDisconnecting", 8}, {"PeerConnecting", 4}},
    SIZE_MAX, true,
};

/* The event types both recordings declare in their Runtime (the 2020
 * generator's set). */
typedef struct prop_decl {
    const char *name;
    int type;
    bool multiple;
} prop_decl;

typedef struct type_decl {
    const char *name;
    prop_decl props[4];
    size_t n_props;
} type_decl;

static const type_decl runtime_types[] = {
    {"PeerConnecting", {{"peerId", PT_PEERID, false}, {"transport", PT_STRING, false}}, 2},
    {"PeerDisconnecting",
     {{"peerId", PT_PEERID, false}, {"timeOpen", PT_TIME, false}, {"age", PT_NUMBER, false},
      {"transport", PT_STRING, false}},
     4},
    {"InboundDHTQuery", {{"result", PT_STRING, false}, {"totalTimeMs", PT_NUMBER, false},
                         {"totalSteps", PT_NUMBER, false}}, 3},
    {"OutboundDHTQuery",
     {{"result", PT_STRING, false}, {"totalTimeMs", PT_NUMBER, false}, {"totalSteps", PT_NUMBER, false},
      {"peerIds", PT_PEERID, true}},
     4},
};
#define N_RUNTIME_TYPES (sizeof runtime_types / sizeof runtime_types[0])

/* ------------------------------------------------------------- tallies */

typedef struct tally {
    size_t messages, runtimes, responses, states, events, notices, unknown;
    size_t corrupt;
    size_t event_names[N_RUNTIME_TYPES];
    size_t events_unknown_type;
    size_t events_with_props;     /* events that repeat their type's declaration */
    size_t events_props_mismatch; /* ... differently from the Runtime */
    size_t events_missing_key;    /* content lacks a declared property's key */
    size_t events_open_time_quirk;
    size_t events_bad_ts;
    size_t events_bad_json;
    size_t max_connections;
    size_t connections;
    size_t states_with_dht;       /* a DHT with at least one bucket */
    size_t dht_peers;
    size_t streams, streams_with_traffic;
    size_t states_bad_ts;
    uint64_t max_ts_skew_ms;
    size_t states_with_traffic;
    const Peerscope__Runtime *runtime; /* not owned */
} tally;

static bool same_props(const EventType *t, const type_decl *d)
{
    if (t->n_property_types != d->n_props)
        return false;
    for (size_t i = 0; i < d->n_props; i++) {
        const EventProperty *p = t->property_types[i];
        if (!p->name || strcmp(p->name, d->props[i].name) != 0 || (int)p->type != d->props[i].type ||
            p->has_multiple != d->props[i].multiple)
            return false;
    }
    return true;
}

static const type_decl *find_type(const char *name, size_t *index)
{
    for (size_t i = 0; i < N_RUNTIME_TYPES; i++)
        if (name && strcmp(runtime_types[i].name, name) == 0) {
            *index = i;
            return &runtime_types[i];
        }
    return NULL;
}

/* The index of one of the runtime's event types; any other name fails the test. */
static size_t type_index(const char *name)
{
    size_t idx = 0; /* fail_msg does not return, but the compiler cannot know */
    if (!find_type(name, &idx))
        fail_msg("'%s' is not an event type of the recordings' runtime", name);
    return idx;
}

static void check_runtime(const Peerscope__Runtime *rt)
{
    assert_string_equal(rt->implementation, "go-libp2p");
    assert_true(rt->peer_id && strlen(rt->peer_id) > 0);
    assert_int_equal(rt->n_event_types, N_RUNTIME_TYPES);
    for (size_t i = 0; i < rt->n_event_types; i++) {
        size_t idx;
        const type_decl *d = find_type(rt->event_types[i]->name, &idx);
        if (!d)
            fail_msg("runtime declares unexpected event type '%s'", rt->event_types[i]->name);
        if (!same_props(rt->event_types[i], d))
            fail_msg("runtime declares %s with other properties", d->name);
    }
}

/* A cheap structural check: "name": appears in the JSON text. */
static bool has_key(const char *json, const char *name)
{
    char pat[80];
    int n = snprintf(pat, sizeof pat, "\"%s\":", name);
    return n > 0 && (size_t)n < sizeof pat && strstr(json, pat) != NULL;
}

static void count_event(tally *t, const Peerscope__Event *ev, uint64_t lo_ts, uint64_t hi_ts)
{
    t->events++;
    size_t idx;
    const type_decl *d = ev->type ? find_type(ev->type->name, &idx) : NULL;
    if (!d) {
        t->events_unknown_type++;
        return;
    }
    t->event_names[idx]++;
    if (ev->type->n_property_types) {
        t->events_with_props++;
        if (!same_props(ev->type, d))
            t->events_props_mismatch++;
    }
    for (size_t i = 0; i < d->n_props; i++) {
        if (ev->content && has_key(ev->content, d->props[i].name))
            continue;
        /* The 2020 mock generator declares PeerDisconnecting.timeOpen but
         * writes the key "openTime": a quirk of the vectors that clients
         * must tolerate. Count it apart from real omissions. */
        if (strcmp(d->name, "PeerDisconnecting") == 0 && strcmp(d->props[i].name, "timeOpen") == 0 &&
            ev->content && has_key(ev->content, "openTime"))
            t->events_open_time_quirk++;
        else
            t->events_missing_key++;
    }
    /* content must be one valid JSON object */
    if (!ev->content || ev->content[0] != '{' || !psc__json_valid(ev->content, strlen(ev->content)))
        t->events_bad_json++;
    if (ev->ts < lo_ts || ev->ts > hi_ts)
        t->events_bad_ts++;
}

static bool has_traffic(const Peerscope__Traffic *tr)
{
    return tr && ((tr->traffic_in && tr->traffic_in->cum_bytes) || (tr->traffic_out && tr->traffic_out->cum_bytes));
}

static void count_state(tally *t, const Peerscope__State *st)
{
    t->states++;
    if (has_traffic(st->traffic))
        t->states_with_traffic++;

    /* start_ts + snapshot_duration_ms should land on instant_ts */
    uint64_t end = st->start_ts + st->snapshot_duration_ms;
    uint64_t skew = end > st->instant_ts ? end - st->instant_ts : st->instant_ts - end;
    if (skew > t->max_ts_skew_ms)
        t->max_ts_skew_ms = skew;
    /* a few ms of jitter between taking the time and the duration is fine;
     * a wrong unit or field would be off by seconds */
    if (st->start_ts == 0 || st->instant_ts == 0 || st->snapshot_duration_ms == 0 || skew > 50)
        t->states_bad_ts++;

    const Peerscope__Subsystems *ss = st->subsystems;
    if (!ss)
        return;
    if (ss->n_connections > t->max_connections)
        t->max_connections = ss->n_connections;
    t->connections += ss->n_connections;
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (!c->streams)
            continue;
        for (size_t j = 0; j < c->streams->n_streams; j++) {
            t->streams++;
            if (has_traffic(c->streams->streams[j]->traffic))
                t->streams_with_traffic++;
        }
    }
    if (ss->dht && ss->dht->n_buckets) {
        t->states_with_dht++;
        for (size_t b = 0; b < ss->dht->n_buckets; b++)
            t->dht_peers += ss->dht->buckets[b]->n_peers;
    }
}

/* Read the whole file; the decoded messages are kept (the runtime is
 * referenced by the tally) and freed by the caller. */
static void read_recording(const char *name, tally *t, ServerMessage ***msgs_out)
{
    const char *path = psc_test_vector_path(name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (PSC_VECTORS_DIR)", path);
    psc_recording *r;
    assert_int_equal(psc_recording_open(f, &r), PSC_OK);

    size_t cap = 1024, n = 0;
    ServerMessage **msgs = calloc(cap, sizeof *msgs);
    assert_non_null(msgs);

    /* Pass 1: decode everything; pass 2 (below) needs the time range. */
    for (;;) {
        const uint8_t *p;
        size_t len;
        psc_err e = psc_recording_next(r, &p, &len);
        if (e == PSC_ERR_CLOSED)
            break;
        if (e == PSC_ERR_CORRUPT) {
            t->corrupt++;
            continue;
        }
        if (e != PSC_OK)
            fail_msg("%s: record %llu: %s", name, (unsigned long long)psc_recording_index(r), psc_strerror(e));
        ServerMessage *m = peerscope__server_message__unpack(NULL, len, p);
        if (!m)
            fail_msg("%s: record %llu does not decode as ServerMessage", name,
                     (unsigned long long)psc_recording_index(r));
        if (n == cap) {
            cap *= 2;
            ServerMessage **grown = realloc(msgs, cap * sizeof *msgs);
            assert_non_null(grown);
            msgs = grown;
        }
        msgs[n++] = m;
    }
    psc_recording_close(r);
    fclose(f);

    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i]->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE) {
            const Peerscope__State *st = msgs[i]->state;
            if (st->start_ts && st->start_ts < lo)
                lo = st->start_ts;
            if (st->instant_ts > hi)
                hi = st->instant_ts;
        }
    /* events may precede the first state's window by one interval */
    lo = lo > 60000 ? lo - 60000 : 0;
    hi += 60000;

    for (size_t i = 0; i < n; i++) {
        const ServerMessage *m = msgs[i];
        t->messages++;
        switch (m->payload_case) {
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
            t->runtimes++;
            t->runtime = m->runtime;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
            t->responses++;
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
            count_state(t, m->state);
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT:
            count_event(t, m->event, lo, hi);
            break;
        case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
            t->notices++;
            break;
        default:
            t->unknown++;
            break;
        }
    }
    msgs = realloc(msgs, (n + 1) * sizeof *msgs);
    assert_non_null(msgs);
    msgs[n] = NULL;
    *msgs_out = msgs;
}

static void free_messages(ServerMessage **msgs)
{
    for (size_t i = 0; msgs[i]; i++)
        peerscope__server_message__free_unpacked(msgs[i], NULL);
    free(msgs);
}

static void check_file(const expected *x)
{
    tally t;
    memset(&t, 0, sizeof t);
    ServerMessage **msgs;
    read_recording(x->file, &t, &msgs);

    print_message("# %s: %zu messages: %zu runtime, %zu response, %zu states, %zu events; "
                  "%zu connections (max %zu per state), %zu streams (%zu with traffic), "
                  "%zu states with DHT buckets (%zu peers), max timestamp skew %llu ms\n",
                  x->file, t.messages, t.runtimes, t.responses, t.states, t.events, t.connections,
                  t.max_connections, t.streams, t.streams_with_traffic, t.states_with_dht, t.dht_peers,
                  (unsigned long long)t.max_ts_skew_ms);

    assert_int_equal(t.corrupt, 0); /* "Every record's FNV-1a checksum is valid" */
    assert_int_equal(t.messages, x->messages);
    assert_int_equal(t.runtimes, x->runtimes);
    assert_int_equal(t.responses, x->responses);
    assert_int_equal(t.states, x->states);
    assert_int_equal(t.events, x->events);
    assert_int_equal(t.notices, 0);
    assert_int_equal(t.unknown, 0);
    assert_int_equal(t.runtimes + t.responses + t.states + t.events, t.messages);

    /* events by type name */
    assert_int_equal(t.events_unknown_type, 0);
    size_t by_name = 0;
    for (size_t k = 0; k < 4; k++) {
        size_t idx = type_index(x->event_names[k].name);
        if (t.event_names[idx] != x->event_names[k].count)
            fail_msg("%s: %zu %s events, README says %zu", x->file, t.event_names[idx], x->event_names[k].name,
                     x->event_names[k].count);
        by_name += t.event_names[idx];
    }
    assert_int_equal(by_name, t.events);
    assert_int_equal(t.events_props_mismatch, 0);
    assert_int_equal(t.events_missing_key, 0);
    size_t disc_idx = type_index("PeerDisconnecting");
    assert_int_equal(t.events_open_time_quirk, t.event_names[disc_idx]);
    assert_int_equal(t.events_bad_ts, 0);
    assert_int_equal(t.events_bad_json, 0);

    /* runtime */
    assert_non_null(t.runtime);
    check_runtime(t.runtime);

    /* states */
    assert_int_equal(t.states_bad_ts, 0);
    assert_true(t.max_connections > 0);
    if (x->max_connections != SIZE_MAX)
        assert_int_equal(t.max_connections, x->max_connections);
    assert_true(t.streams > 0);
    assert_true(t.streams_with_traffic > 0);
    assert_int_equal(t.states_with_traffic, t.states);
    if (x->every_state_has_dht) {
        assert_int_equal(t.states_with_dht, t.states);
        assert_true(t.dht_peers > 0);
    }

    free_messages(msgs);
}

static void test_sample_1min(void **state)
{
    (void)state;
    check_file(&sample_1min);
}

static void test_sample_dht_2min(void **state)
{
    (void)state;
    check_file(&sample_dht_2min);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_1min),
        cmocka_unit_test(test_sample_dht_2min),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

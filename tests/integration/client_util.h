/*
 * Helpers shared by the client and integration tests: a recorder of
 * client callbacks and deterministic waits (poll until a condition holds,
 * with a generous deadline; never sleep-and-hope).
 */
#ifndef PSC_TEST_CLIENT_UTIL_H
#define PSC_TEST_CLIENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peerscope/client.h"

#define REC_MAX 512

/* One thing a client reported, in order. */
typedef struct rec_item {
    char kind;          /* 'o' open, 'R' response, 'S' state, 'T' runtime, 'E' event, 'N' notice,
                           '?' other message, 'x' error, 'c' close */
    psc_err err;        /* for 'x' and 'c' */
    uint64_t id;        /* response id, event/state seq */
    int result;         /* response result; state: provider errors */
    uint64_t retention, interval; /* response effective_config */
    bool has_config;
    size_t count;       /* state: connections; runtime: event types; event: property types sent */
    int code;           /* close code */
    char text[128];     /* error/close reason, event type name; state: "provider: error" of the first */
} rec_item;

typedef struct rec {
    rec_item items[REC_MAX];
    size_t n;
    size_t opens, closes, errors, messages, frames, responses, states, runtimes, events, notices;
    size_t frame_bytes;
    bool check_frames;      /* verify each raw frame's header independently of the library */
    size_t bad_frames;      /* frames whose header did not check out */
    psc_err last_close_err;
    int last_close_code;
    char last_close_reason[128];
    uint64_t last_event_seq;
    uint64_t notice_dropped;    /* sum of ServerNotice.dropped */
    uint64_t events_out_of_order;
    bool free_on_message;   /* free the client from inside on_message */
    psc_client *self;
} rec;

/* Callbacks that fill a rec (pass the rec as user). */
extern const psc_client_callbacks rec_callbacks;

void rec_init(rec *r);
/* Number of items of a kind. */
size_t rec_count(const rec *r, char kind);
/* Index of the first item of a kind at or after from, or -1. */
long rec_find(const rec *r, char kind, size_t from);
/* The response with that id, or NULL. */
const rec_item *rec_response(const rec *r, uint64_t id);

/* Poll loop until cond(arg) is true or timeout_ms passed; true if it held. */
typedef bool (*wait_cond)(void *arg);
bool wait_loop(psc_client_loop *loop, wait_cond cond, void *arg, int timeout_ms);

/* Common conditions on a rec. */
bool cond_closed(void *rec_);
bool cond_open(void *rec_);

/* Monotonic milliseconds. */
uint64_t now_ms(void);

/* Silence libwebsockets unless PSC_TEST_LWS_LOG is set (its logging is
 * process-wide and not thread-safe). Call first in main. */
void quiet_lws(void);

/*
 * The fixture of the tests against the real endpoint: host_fixture starts a
 * test host with o (asserting it started) and keeps it in *state, where
 * host_teardown (a cmocka teardown) stops it, also when the test failed.
 */
struct test_host;
struct test_host_opts;
struct test_host *host_fixture(void **state, const struct test_host_opts *o);
int host_teardown(void **state);

/*
 * A test program's main: quiet_lws, PSC_TEST_FILTER (a cmocka test name
 * pattern) honoured, then every test run. Use through RUN_TESTS(tests).
 */
struct CMUnitTest;
int psc_it_run_tests(const char *group, const struct CMUnitTest *tests, size_t n);
#define RUN_TESTS(tests) psc_it_run_tests(#tests, (tests), sizeof(tests) / sizeof((tests)[0]))

/*
 * A watcher of h on loop that records into r: HELLO (retention 120000 ms,
 * interval_ms), then PUSH_ENABLE EVENTS, and STATE when interval_ms is not
 * 0. omit_version: send commands without Version, as the 2020 visualizer
 * does. Asserts that every call succeeds.
 */
psc_client *watch_host(struct test_host *h, psc_client_loop *loop, rec *r, uint64_t interval_ms, bool omit_version);

/* Serve loop until h's endpoint has exactly n sessions or timeout_ms passed; true if it did. */
bool wait_sessions(psc_client_loop *loop, struct test_host *h, size_t n, int timeout_ms);

/* A framed ServerMessage (12-byte header + payload), malloc'd. */
uint8_t *frame_msg(const Peerscope__ServerMessage *m, size_t *len);

/* Independent check of a live frame: version 1 LE, FNV-1a of the payload,
 * length; computed here, not with the library. */
bool frame_ok(const uint8_t *f, size_t len);


/* Wait until *counter >= n (a counter of a rec, polling loop). */
bool wait_counter(psc_client_loop *loop, const size_t *counter, size_t n, int timeout_ms);
/* Wait until r holds at least n items of kind (polling loop; items beyond
 * REC_MAX are only counted: use wait_counter for long streams). */
bool wait_kind(psc_client_loop *loop, rec *r, char kind, size_t n, int timeout_ms);
/* Wait for the response with that id; NULL on timeout. */
const rec_item *wait_response(psc_client_loop *loop, rec *r, uint64_t id, int timeout_ms);
#endif

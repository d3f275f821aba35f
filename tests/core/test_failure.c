/*
 * Provider failures (recorded with name, subsystem, reason and code; the
 * provider's partial data rolled back; the rest intact) and builder input
 * validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core_fixture.h"

/* --------------------------------------------------------- the providers */

static psc_err good_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"G", .id_len = 1, .peer_id = "good"};
    c.traffic.in.bytes = 10;
    psc_conn_builder *cb;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    psc_stream s = {.struct_size = sizeof s, .id = (const uint8_t *)"g1", .id_len = 2};
    if (e == PSC_OK)
        e = psc_conn_add_stream(cb, &s);
    return e;
}

static psc_err bad_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"X", .id_len = 1};
    c.traffic.in.bytes = 1000000; /* must not reach the traffic sum */
    psc_conn_builder *cb;
    psc_err e = psc_swarm_add_connection(b, &c, &cb);
    psc_stream s = {.struct_size = sizeof s, .id = (const uint8_t *)"x1", .id_len = 2};
    if (e == PSC_OK)
        e = psc_conn_add_stream(cb, &s);
    psc_transport t = {.struct_size = sizeof t, .name = "bad"};
    if (e == PSC_OK)
        e = psc_swarm_add_transport(b, &t);
    psc_dialer d = {.struct_size = sizeof d, .in_flight = 9};
    if (e == PSC_OK)
        e = psc_swarm_set_dialer(b, &d);
    if (e == PSC_OK)
        e = psc_swarm_set_ping(b, 1, 1);
    if (e != PSC_OK)
        return e;
    return psc_collect_fail(ctx, "db locked: %s", "yes");
}

static psc_err bad_dht(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht_peer p = {.struct_size = sizeof p, .peer_id = "p"};
    psc_err e = psc_dht_add_peer(b, 1, &p);
    return e == PSC_OK ? PSC_ERR_NOMEM : e; /* no reason given */
}

static psc_err good_dht(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht info = {.struct_size = sizeof info, .protocol = "/kad/2"};
    return psc_dht_set_info(b, &info);
}

static psc_err bad_pubsub(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    psc_err e = psc_pubsub_set_router(b, "gossipsub", NULL);
    psc_topic t = {.struct_size = sizeof t, .name = "t"};
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, NULL);
    return e == PSC_OK ? psc_collect_fail(ctx, "%s", "") : e; /* an empty reason is still a reason */
}

static psc_err bad_peerstore(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)user;
    (void)ctx;
    psc_peer_info p = {.struct_size = sizeof p, .peer_id = "q"};
    psc_err e = psc_peerstore_add_peer(b, &p);
    return e == PSC_OK ? PSC_ERR_IO : e;
}

static psc_err bad_rcmgr(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)user;
    (void)b;
    /* 254 bytes, then a two-byte character that the 255-byte cut splits */
    char big[600];
    memset(big, 'r', 254);
    strcpy(big + 254, "\xc3\xa9 and more");
    return psc_collect_fail(ctx, "%s", big);
}

static psc_err garbled_reason(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)b;
    return psc_collect_fail(ctx, "bad \xff byte, good \xc3\xa9");
}

static psc_err bad_custom(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    psc_err e = psc_custom_add_integer(b, "n", 1);
    if (e == PSC_OK)
        psc_collect_fail(ctx, "custom says %d", 42);
    return e == PSC_OK ? PSC_ERR_TIMEOUT : e; /* any code, not only PSC_ERR_PROVIDER */
}

/* psc_collect_fail without failing: nothing happens */
static psc_err fickle_custom(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    psc_collect_fail(ctx, "changed my mind");
    return psc_custom_add_integer(b, "kept", 5);
}

typedef struct logbook {
    int calls;
    psc_log_level last_level;
    char last[512];
} logbook;

static void log_sink(void *user, psc_log_level level, const char *msg)
{
    logbook *l = user;
    l->calls++;
    l->last_level = level;
    strncpy(l->last, msg, sizeof l->last - 1);
}

static const psc_swarm_provider V_GOOD_SWARM = {sizeof V_GOOD_SWARM, "good-swarm", good_swarm, NULL};

static void register_failures(psc_introspector *intro)
{
    static const psc_swarm_provider v1 = {sizeof v1, "bad-swarm", bad_swarm, NULL};
    static const psc_dht_provider v2 = {sizeof v2, "bad-dht", bad_dht, NULL};
    static const psc_dht_provider v3 = {sizeof v3, "good-dht", good_dht, NULL};
    static const psc_pubsub_provider v4 = {sizeof v4, "bad-pubsub", bad_pubsub, NULL};
    static const psc_peerstore_provider v5 = {sizeof v5, NULL, bad_peerstore, NULL};
    static const psc_rcmgr_provider v6 = {sizeof v6, "bad-rcmgr", bad_rcmgr, NULL};
    static const psc_custom_provider v7 = {sizeof v7, "appx", bad_custom, NULL};
    static const psc_custom_provider v8 = {sizeof v8, "fickle", fickle_custom, NULL};
    assert_int_equal(psc_register_swarm(intro, &V_GOOD_SWARM, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &v1, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &v2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &v3, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_pubsub(intro, &v4, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_peerstore(intro, &v5, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_rcmgr(intro, &v6, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &v7, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &v8, NULL, NULL), PSC_OK);
    static const psc_custom_provider v9 = {sizeof v9, "garbled", garbled_reason, NULL};
    assert_int_equal(psc_register_custom(intro, &v9, NULL, NULL), PSC_OK);
}

static void check_error(const Peerscope__ProviderError *pe, const char *name, const char *subsystem,
                        const char *reason, psc_err code)
{
    assert_string_equal(pe->provider, name);
    assert_string_equal(pe->subsystem, subsystem);
    assert_string_equal(pe->error, reason);
    assert_int_equal(pe->code, code);
}

static void test_failures_recorded(void **state)
{
    (void)state;
    fake_clock fc = {1, 1};
    logbook lb = {0};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = {.struct_size = sizeof cfg, .clock = &clk, .log = log_sink, .log_user = &lb,
                      .log_level = PSC_LOG_WARN};
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    register_failures(intro);

    psc_msg *msg = NULL;
    Peerscope__ServerMessage *m = fixture_snapshot(intro, &msg);
    Peerscope__State *st = fixture_state(m);
    const Peerscope__Subsystems *ss = st->subsystems;

    assert_int_equal(st->n_provider_errors, 7);
    check_error(st->provider_errors[6], "garbled", "custom", "bad ? byte, good \xc3\xa9", PSC_ERR_PROVIDER);
    check_error(st->provider_errors[0], "bad-swarm", "swarm", "db locked: yes", PSC_ERR_PROVIDER);
    check_error(st->provider_errors[1], "bad-dht", "dht", psc_strerror(PSC_ERR_NOMEM), PSC_ERR_NOMEM);
    check_error(st->provider_errors[2], "bad-pubsub", "pubsub", "", PSC_ERR_PROVIDER);
    check_error(st->provider_errors[3], "peerstore", "peerstore", psc_strerror(PSC_ERR_IO), PSC_ERR_IO);
    assert_string_equal(st->provider_errors[4]->provider, "bad-rcmgr");
    assert_string_equal(st->provider_errors[4]->subsystem, "resource_manager");
    assert_int_equal(strlen(st->provider_errors[4]->error), 255); /* truncated */
    assert_int_equal(st->provider_errors[4]->error[253], 'r');
    assert_int_equal(st->provider_errors[4]->error[254], '?'); /* half a character is not left */
    check_error(st->provider_errors[5], "appx", "custom", "custom says 42", PSC_ERR_TIMEOUT);

    /* the failed swarm's partial data is gone; the good one is intact */
    assert_int_equal(ss->n_connections, 1);
    assert_true(fixture_bytes_eq(ss->connections[0]->id, "G", 1));
    assert_string_equal(ss->connections[0]->peer_id, "good");
    assert_int_equal(ss->connections[0]->streams->n_streams, 1);
    assert_int_equal(ss->n_transports, 0);
    assert_null(ss->dialer);
    assert_null(ss->ping);
    assert_int_equal(st->traffic->traffic_in->cum_bytes, 10);
    /* the first DHT failed: its slot stays empty, the second is an additional one */
    assert_null(ss->dht);
    assert_int_equal(ss->n_additional_dhts, 1);
    assert_string_equal(ss->additional_dhts[0]->protocol, "/kad/2");
    assert_string_equal(ss->additional_dhts[0]->name, "good-dht");
    assert_int_equal(ss->additional_dhts[0]->n_buckets, 0);
    assert_null(ss->pubsub);
    assert_null(ss->peerstore);
    assert_null(ss->resource_manager);
    assert_int_equal(ss->n_custom, 1);
    assert_string_equal(ss->custom[0]->name, "fickle");
    assert_int_equal(ss->custom[0]->values[0]->integer, 5);

    /* the view agrees */
    assert_int_equal(psc_state_provider_error_count(msg), 7);
    const char *prov = NULL, *reason = NULL;
    psc_err code = PSC_OK;
    assert_int_equal(psc_state_provider_error(msg, 0, &prov, &reason, &code), PSC_OK);
    assert_string_equal(prov, "bad-swarm");
    assert_string_equal(reason, "db locked: yes");
    assert_int_equal(code, PSC_ERR_PROVIDER);
    assert_int_equal(psc_state_provider_error(msg, 5, &prov, &reason, &code), PSC_OK);
    assert_string_equal(prov, "appx");
    assert_int_equal(code, PSC_ERR_TIMEOUT);
    assert_int_equal(psc_state_provider_error(msg, 7, &prov, &reason, &code), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_state_provider_error(msg, 1, NULL, NULL, NULL), PSC_OK);
    psc_state_summary sum = {.struct_size = sizeof sum};
    assert_int_equal(psc_state_summary_get(msg, &sum), PSC_OK);
    assert_int_equal(sum.provider_errors, 7);

    /* each failure was logged as a warning */
    assert_int_equal(lb.calls, 7);
    assert_int_equal(lb.last_level, PSC_LOG_WARN);
    assert_non_null(strstr(lb.last, "garbled"));

    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);
    psc_introspector_free(intro);
}

static void test_log_level_filters(void **state)
{
    (void)state;
    logbook lb = {0};
    psc_config cfg = {.struct_size = sizeof cfg, .log = log_sink, .log_user = &lb, .log_level = PSC_LOG_ERROR};
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    static const psc_swarm_provider v = {sizeof v, "bad", bad_swarm, NULL};
    assert_int_equal(psc_register_swarm(intro, &v, NULL, NULL), PSC_OK);
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    assert_int_equal(psc_state_provider_error_count(m), 1);
    assert_int_equal(lb.calls, 0);
    psc_msg_unref(m);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------ builder validation */

#define MAX_PROBES 128

typedef struct probe {
    int n;
    psc_err got[MAX_PROBES];
    psc_err want[MAX_PROBES];
    int line[MAX_PROBES];
    psc_conn_builder *saved_conn;
    psc_topic_builder *saved_topic;
} probe;

static probe pr;

#define PROBE(call, expect)                      \
    do {                                         \
        if (pr.n < MAX_PROBES) {                 \
            pr.got[pr.n] = (call);               \
            pr.want[pr.n] = (expect);            \
            pr.line[pr.n] = __LINE__;            \
            pr.n++;                              \
        }                                        \
    } while (0)

static psc_err probe_swarm(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)"ok", .id_len = 2, .peer_id = "first"};
    psc_conn_builder *cb = NULL;
    PROBE(psc_swarm_add_connection(NULL, &c, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_add_connection(b, NULL, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_add_connection(b, &c, &cb), PSC_OK);
    pr.saved_conn = cb;
    psc_conn_builder *dup = NULL;
    c.peer_id = "second";
    PROBE(psc_swarm_add_connection(b, &c, &dup), PSC_ERR_EXISTS);
    PROBE(dup == NULL ? PSC_OK : PSC_ERR_STATE, PSC_OK); /* out untouched on failure */
    psc_connection bad = c;
    bad.id = NULL;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad = c;
    bad.id_len = 0;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad = c;
    bad.id = (const uint8_t *)"other";
    bad.id_len = 5;
    bad.status = (psc_status)5;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.status = PSC_STATUS_ACTIVE;
    bad.role = (psc_role)2;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.role = PSC_ROLE_INITIATOR;
    bad.struct_size = offsetof(psc_connection, id); /* lacks the id */
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.struct_size = sizeof bad;
    bad.n_tags = 2; /* with NULL tags */
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    const char *const null_tag[] = {"a", NULL};
    bad.tags = null_tag;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.n_tags = 0;
    bad.relay_conn_id_len = 3; /* with a NULL id */
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    /* strings go on the wire as proto3 strings: UTF-8 or refused */
    bad = c;
    bad.id = (const uint8_t *)"utf";
    bad.id_len = 3;
    bad.peer_id = "caf\xc3"; /* cut short */
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.peer_id = "\xed\xa0\x80"; /* a surrogate */
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    const char *const bad_tags[] = {"ok", "\xff"};
    bad.peer_id = "caf\xc3\xa9 \xf0\x9f\x8c\x8d"; /* valid: kept as is */
    bad.tags = bad_tags;
    bad.n_tags = 2;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_ERR_INVALID);
    bad.n_tags = 1;
    PROBE(psc_swarm_add_connection(b, &bad, NULL), PSC_OK);
    /* an older, smaller struct: fields past its size read as zero */
    psc_connection small = {.struct_size = offsetof(psc_connection, transport_id), .id = (const uint8_t *)"sm",
                            .id_len = 2, .transport_name = "ignored"};
    PROBE(psc_swarm_add_connection(b, &small, NULL), PSC_OK);

    psc_stream s = {.struct_size = sizeof s, .id = (const uint8_t *)"s", .id_len = 1};
    PROBE(psc_conn_add_stream(NULL, &s), PSC_ERR_INVALID);
    PROBE(psc_conn_add_stream(cb, NULL), PSC_ERR_INVALID);
    psc_stream sb = s;
    sb.id_len = 0;
    PROBE(psc_conn_add_stream(cb, &sb), PSC_ERR_INVALID);
    sb = s;
    sb.status = (psc_status)-1;
    PROBE(psc_conn_add_stream(cb, &sb), PSC_ERR_INVALID);
    sb = s;
    sb.protocol = "/\x80";
    PROBE(psc_conn_add_stream(cb, &sb), PSC_ERR_INVALID);
    PROBE(psc_conn_add_stream(cb, &s), PSC_OK);

    psc_transport t = {.struct_size = sizeof t, .id_len = 2};
    PROBE(psc_swarm_add_transport(b, &t), PSC_ERR_INVALID);
    PROBE(psc_swarm_add_transport(b, NULL), PSC_ERR_INVALID);
    psc_dialer d = {.struct_size = 0};
    PROBE(psc_swarm_set_dialer(b, &d), PSC_ERR_INVALID);
    PROBE(psc_swarm_set_dialer(NULL, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_add_dial(b, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_set_identify(b, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_set_relay(b, NULL), PSC_ERR_INVALID);
    PROBE(psc_swarm_set_ping(NULL, 1, 1), PSC_ERR_INVALID);
    psc_ping_peer pp = {.struct_size = sizeof pp};
    PROBE(psc_swarm_add_ping_peer(b, &pp), PSC_ERR_INVALID);
    PROBE(psc_swarm_set_traffic(b, NULL), PSC_ERR_INVALID);
    return PSC_OK;
}

/* uses handles kept from the swarm provider's collect: refused */
static psc_err probe_swarm2(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    (void)b;
    psc_stream s = {.struct_size = sizeof s, .id = (const uint8_t *)"late", .id_len = 4};
    PROBE(psc_conn_add_stream(pr.saved_conn, &s), PSC_ERR_STATE);
    psc_mesh_peer mp = {.struct_size = sizeof mp, .peer_id = "m"};
    PROBE(psc_topic_add_mesh_peer(pr.saved_topic, &mp), PSC_ERR_STATE);
    PROBE(psc_topic_add_fanout_peer(pr.saved_topic, "f"), PSC_ERR_STATE);
    return PSC_OK;
}

static psc_err probe_dht(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht_peer p = {.struct_size = sizeof p, .peer_id = "p"};
    PROBE(psc_dht_add_peer(b, 257, &p), PSC_ERR_INVALID);
    PROBE(psc_dht_add_bucket(b, 257), PSC_ERR_INVALID);
    PROBE(psc_dht_add_bucket(NULL, 1), PSC_ERR_INVALID);
    PROBE(psc_dht_add_peer(NULL, 1, &p), PSC_ERR_INVALID);
    p.status = (psc_dht_peer_status)4;
    PROBE(psc_dht_add_peer(b, 1, &p), PSC_ERR_INVALID);
    p.status = PSC_DHT_PEER_ACTIVE;
    p.peer_id = NULL;
    PROBE(psc_dht_add_peer(b, 1, &p), PSC_ERR_INVALID);
    PROBE(psc_dht_set_info(b, NULL), PSC_ERR_INVALID);
    PROBE(psc_dht_set_info(NULL, NULL), PSC_ERR_INVALID);
    return PSC_OK;
}

static psc_err probe_pubsub(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    (void)ctx;
    psc_topic t = {.struct_size = sizeof t};
    PROBE(psc_pubsub_add_topic(b, &t, NULL), PSC_ERR_INVALID);
    t.name = "ok";
    psc_topic_builder *tb = NULL;
    PROBE(psc_pubsub_add_topic(b, &t, &tb), PSC_OK);
    pr.saved_topic = tb;
    psc_mesh_peer mp = {.struct_size = sizeof mp};
    PROBE(psc_topic_add_mesh_peer(tb, &mp), PSC_ERR_INVALID);
    PROBE(psc_topic_add_mesh_peer(NULL, &mp), PSC_ERR_INVALID);
    PROBE(psc_topic_add_fanout_peer(tb, NULL), PSC_ERR_INVALID);
    PROBE(psc_pubsub_set_router(NULL, "x", "y"), PSC_ERR_INVALID);
    return PSC_OK;
}

static psc_err probe_peerstore(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)user;
    (void)ctx;
    psc_peer_info p = {.struct_size = sizeof p};
    PROBE(psc_peerstore_add_peer(b, &p), PSC_ERR_INVALID);
    p.peer_id = "p";
    psc_peer_tag tags[] = {{"ok", 1}, {NULL, 2}};
    p.tags = tags;
    p.n_tags = 2;
    PROBE(psc_peerstore_add_peer(b, &p), PSC_ERR_INVALID);
    p.n_tags = 1;
    p.n_addrs = 1; /* NULL addrs */
    PROBE(psc_peerstore_add_peer(b, &p), PSC_ERR_INVALID);
    p.n_addrs = 0;
    PROBE(psc_peerstore_add_peer(b, &p), PSC_OK);
    return PSC_OK;
}

static psc_err probe_rcmgr(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)user;
    (void)ctx;
    psc_resource_scope s = {.struct_size = sizeof s, .kind = (psc_scope_kind)7};
    PROBE(psc_rcmgr_add_scope(b, &s), PSC_ERR_INVALID);
    PROBE(psc_rcmgr_add_scope(b, NULL), PSC_ERR_INVALID);
    return PSC_OK;
}

static psc_err probe_custom(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    PROBE(psc_custom_add_json(b, "j", "{\"a\":1"), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", "{} {}"), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", "nul"), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", "'single'"), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", ""), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", "\"\xff\""), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "j", NULL), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, NULL, "1"), PSC_ERR_INVALID);
    PROBE(psc_custom_add_json(b, "good", " [true, false, null, -1.5e3, \"\\u00e9\"] "), PSC_OK);
    PROBE(psc_custom_add_text(b, "t", NULL), PSC_ERR_INVALID);
    PROBE(psc_custom_add_number(NULL, "n", 1), PSC_ERR_INVALID);
    PROBE(psc_custom_add_integer(b, NULL, 1), PSC_ERR_INVALID);
    PROBE(psc_custom_add_text(b, "t", "\xc0\xaf"), PSC_ERR_INVALID); /* overlong */
    PROBE(psc_custom_add_number(b, "\xfe", 1), PSC_ERR_INVALID);
    return PSC_OK;
}

static void test_builder_validation(void **state)
{
    (void)state;
    memset(&pr, 0, sizeof pr);
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    static const psc_pubsub_provider v1 = {sizeof v1, "pp", probe_pubsub, NULL};
    static const psc_swarm_provider v2 = {sizeof v2, "ps", probe_swarm, NULL};
    static const psc_swarm_provider v3 = {sizeof v3, "ps2", probe_swarm2, NULL};
    static const psc_dht_provider v4 = {sizeof v4, "pd", probe_dht, NULL};
    static const psc_peerstore_provider v5 = {sizeof v5, "pe", probe_peerstore, NULL};
    static const psc_rcmgr_provider v6 = {sizeof v6, "pr", probe_rcmgr, NULL};
    static const psc_custom_provider v7 = {sizeof v7, "pc", probe_custom, NULL};
    assert_int_equal(psc_register_pubsub(intro, &v1, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &v2, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &v3, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_dht(intro, &v4, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_peerstore(intro, &v5, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_rcmgr(intro, &v6, NULL, NULL), PSC_OK);
    assert_int_equal(psc_register_custom(intro, &v7, NULL, NULL), PSC_OK);

    Peerscope__ServerMessage *m = fixture_snapshot(intro, NULL);
    assert_true(pr.n > 40 && pr.n < MAX_PROBES);
    for (int i = 0; i < pr.n; i++) {
        if (pr.got[i] != pr.want[i])
            fail_msg("probe at line %d returned %d, expected %d", pr.line[i], pr.got[i], pr.want[i]);
    }

    /* only what was accepted is there, and nothing of what was refused */
    const Peerscope__State *st = fixture_state(m);
    const Peerscope__Subsystems *ss = st->subsystems;
    assert_int_equal(st->n_provider_errors, 0);
    assert_int_equal(ss->n_connections, 3);
    assert_string_equal(ss->connections[0]->peer_id, "first");
    assert_int_equal(ss->connections[0]->streams->n_streams, 1);
    assert_string_equal(ss->connections[1]->peer_id, "caf\xc3\xa9 \xf0\x9f\x8c\x8d");
    assert_int_equal(ss->connections[1]->n_user_provided_tags, 1);
    assert_true(fixture_bytes_eq(ss->connections[2]->id, "sm", 2));
    assert_string_equal(ss->connections[2]->transport_name, "");
    assert_int_equal(ss->n_transports, 0);
    assert_null(ss->dialer);
    assert_null(ss->ping);
    assert_int_equal(ss->dht->n_buckets, 0);
    assert_int_equal(ss->pubsub->n_topics, 1);
    assert_int_equal(ss->pubsub->topics[0]->n_mesh_peers, 0);
    assert_int_equal(ss->pubsub->topics[0]->n_fanout_peers, 0);
    assert_int_equal(ss->peerstore->n_peers, 1);
    assert_int_equal(ss->peerstore->peers[0]->n_tags, 1);
    assert_int_equal(ss->resource_manager->n_scopes, 0);
    assert_int_equal(ss->n_custom, 1);
    assert_int_equal(ss->custom[0]->n_values, 1);
    assert_string_equal(ss->custom[0]->values[0]->json, " [true, false, null, -1.5e3, \"\\u00e9\"] ");
    peerscope__server_message__free_unpacked(m, NULL);
    psc_introspector_free(intro);
}

static void test_collect_helpers(void **state)
{
    (void)state;
    assert_int_equal(psc_collect_now_ms(NULL), 0);
    assert_int_equal(psc_collect_fail(NULL, "x"), PSC_ERR_PROVIDER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failures_recorded),
        cmocka_unit_test(test_log_level_filters),
        cmocka_unit_test(test_builder_validation),
        cmocka_unit_test(test_collect_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Every allocation of create + register + 2 snapshots + runtime + free
 * failing in turn: a clean error or a recorded provider error, never a
 * leak or a crash, and a run without failure gives the full result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core_fixture.h"
#include "../support/test_support.h"

/* Enough entities for several arena chunks and a growing id map. */
#define N_CONNS 50
#define N_STREAMS 3

typedef struct world {
    int n_conns; /* the first n_conns of N_CONNS */
} world;

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)ctx;
    world *w = user;
    for (int i = 0; i < w->n_conns; i++) {
        char id[16], peer[32];
        snprintf(id, sizeof id, "conn-%d", i);
        snprintf(peer, sizeof peer, "12D3KooWpeer%d", i);
        psc_connection c = {.struct_size = sizeof c, .id = (const uint8_t *)id, .id_len = strlen(id)};
        c.peer_id = peer;
        c.remote_addr = "/ip4/10.0.0.1/tcp/4001";
        c.traffic.in.bytes = 100;
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &c, &cb);
        if (e != PSC_OK)
            return e;
        for (int j = 0; j < N_STREAMS; j++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", j);
            psc_stream s = {.struct_size = sizeof s, .id = (const uint8_t *)sid, .id_len = strlen(sid)};
            s.protocol = "/ipfs/bitswap/1.2.0";
            if ((e = psc_conn_add_stream(cb, &s)) != PSC_OK)
                return e;
        }
    }
    psc_transport t = {.struct_size = sizeof t, .name = "tcp"};
    psc_err e = psc_swarm_add_transport(b, &t);
    if (e == PSC_OK)
        e = psc_swarm_set_ping(b, 1, 0);
    return e;
}

static psc_err dht_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    (void)user;
    (void)ctx;
    psc_dht info = {.struct_size = sizeof info, .protocol = "/ipfs/kad/1.0.0", .k = 20};
    psc_err e = psc_dht_set_info(b, &info);
    for (uint32_t i = 0; e == PSC_OK && i < 20; i++) {
        char peer[16];
        snprintf(peer, sizeof peer, "dht-%u", i);
        psc_dht_peer p = {.struct_size = sizeof p, .peer_id = peer};
        e = psc_dht_add_peer(b, i % 5, &p);
    }
    return e;
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_pubsub_set_router(b, "gossipsub", "/meshsub/1.1.0");
    psc_topic t = {.struct_size = sizeof t, .name = "blocks"};
    psc_topic_builder *tb = NULL;
    if (e == PSC_OK)
        e = psc_pubsub_add_topic(b, &t, &tb);
    psc_mesh_peer mp = {.struct_size = sizeof mp, .peer_id = "m"};
    if (e == PSC_OK)
        e = psc_topic_add_mesh_peer(tb, &mp);
    if (e == PSC_OK)
        e = psc_topic_add_fanout_peer(tb, "f");
    return e;
}

static psc_err peerstore_collect(void *user, psc_collect *ctx, psc_peerstore_builder *b)
{
    (void)user;
    (void)ctx;
    static const char *const addrs[] = {"/ip4/1.1.1.1/tcp/1"};
    static const psc_peer_tag tags[] = {{"t", 1}};
    psc_peer_info p = {.struct_size = sizeof p, .peer_id = "p", .addrs = addrs, .n_addrs = 1, .tags = tags,
                       .n_tags = 1};
    return psc_peerstore_add_peer(b, &p);
}

static psc_err rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    (void)user;
    (void)ctx;
    psc_resource_scope s = {.struct_size = sizeof s, .kind = PSC_SCOPE_PEER, .name = "p"};
    return psc_rcmgr_add_scope(b, &s);
}

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)user;
    (void)ctx;
    psc_err e = psc_custom_add_json(b, "j", "{\"k\":[1,2,3]}");
    if (e == PSC_OK)
        e = psc_custom_add_text(b, "t", "text");
    return e;
}

static const psc_event_def EV = {"Thing", NULL, 0};

typedef struct outcome {
    int clean_runs;
} outcome;

/* After a run with no injected failure, everything must be there. */
static void check_complete(psc_msg *m1, psc_msg *m2, psc_msg *rt)
{
    psc_state_summary s = {.struct_size = sizeof s};
    assert_int_equal(psc_state_summary_get(m1, &s), PSC_OK);
    assert_int_equal(s.connections, N_CONNS);
    assert_int_equal(s.streams, N_CONNS * N_STREAMS);
    assert_int_equal(s.provider_errors, 0);
    assert_int_equal(s.dht_peers, 20);
    assert_int_equal(psc_state_summary_get(m2, &s), PSC_OK);
    assert_int_equal(s.seq, 2);
    assert_int_equal(s.connections, N_CONNS); /* 40 live + 10 reported CLOSED */
    assert_int_equal(s.connections_closed, 10);
    assert_int_equal(s.provider_errors, 0);
    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_msg_decode(rt, &m), PSC_OK);
    assert_int_equal(m->runtime->n_event_types, 1);
    peerscope__server_message__free_unpacked(m, NULL);
}

/* Whatever failed, a message we got is well-formed and agrees with its view. */
static void check_consistent(psc_msg *msg)
{
    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_msg_decode(msg, &m), PSC_OK);
    Peerscope__State *st = fixture_state(m);
    assert_int_equal(psc_state_connection_count(msg), st->subsystems->n_connections);
    assert_int_equal(psc_state_provider_error_count(msg), st->n_provider_errors);
    for (size_t i = 0; i < st->n_provider_errors; i++)
        assert_int_equal(st->provider_errors[i]->code, PSC_ERR_NOMEM);
    peerscope__server_message__free_unpacked(m, NULL);
}

static psc_err body(void *arg, psc_test_alloc *ta)
{
    outcome *out = arg;
    fake_clock fc = {1000, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = {.struct_size = sizeof cfg, .allocator = &ta->iface, .clock = &clk};
    cfg.runtime.implementation = "impl";
    cfg.runtime.version = "v";
    cfg.runtime.peer_id = "peer";
    psc_introspector *intro = NULL;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e != PSC_OK)
        return e;

    world w = {N_CONNS};
    static const psc_swarm_provider v1 = {sizeof v1, "swarm", swarm_collect, NULL};
    static const psc_dht_provider v2 = {sizeof v2, "dht", dht_collect, NULL};
    static const psc_pubsub_provider v3 = {sizeof v3, "pubsub", pubsub_collect, NULL};
    static const psc_peerstore_provider v4 = {sizeof v4, "peerstore", peerstore_collect, NULL};
    static const psc_rcmgr_provider v5 = {sizeof v5, "rcmgr", rcmgr_collect, NULL};
    static const psc_custom_provider v6 = {sizeof v6, "custom", custom_collect, NULL};
    psc_msg *m1 = NULL, *m2 = NULL, *rt = NULL;
    const psc_event_type *t = NULL;
    if ((e = psc_register_swarm(intro, &v1, &w, NULL)) != PSC_OK ||
        (e = psc_register_dht(intro, &v2, NULL, NULL)) != PSC_OK ||
        (e = psc_register_pubsub(intro, &v3, NULL, NULL)) != PSC_OK ||
        (e = psc_register_peerstore(intro, &v4, NULL, NULL)) != PSC_OK ||
        (e = psc_register_rcmgr(intro, &v5, NULL, NULL)) != PSC_OK ||
        (e = psc_register_custom(intro, &v6, NULL, NULL)) != PSC_OK)
        goto done;
    fc.wall_ms = 2000;
    if ((e = psc_introspector_snapshot(intro, &m1)) != PSC_OK)
        goto done;
    check_consistent(m1);
    w.n_conns = N_CONNS - 10;
    fc.wall_ms = 3000;
    if ((e = psc_introspector_snapshot(intro, &m2)) != PSC_OK)
        goto done;
    check_consistent(m2);
    if ((e = psc_event_declare(intro, &EV, &t)) != PSC_OK)
        goto done;
    if ((e = psc_introspector_set_peer_id(intro, "peer-2")) != PSC_OK)
        goto done;
    if ((e = psc_introspector_runtime(intro, &rt)) != PSC_OK)
        goto done;
    if (ta->failures == 0) {
        check_complete(m1, m2, rt);
        out->clean_runs++;
    }
done:
    psc_msg_unref(m1);
    psc_msg_unref(m2);
    psc_msg_unref(rt);
    psc_introspector_free(intro);
    return e;
}

static void test_each_allocation_fails(void **state)
{
    (void)state;
    outcome out = {0};
    uint64_t runs = psc_test_each_alloc_fails(body, &out, 2000);
    assert_true(runs > 20);
    assert_int_equal(out.clean_runs, 1);
}

/* Allocations per snapshot stay O(1): the first chunk is sized from the last snapshot. */
static void test_allocations_per_snapshot(void **state)
{
    (void)state;
    psc_test_alloc ta;
    psc_test_alloc_init(&ta);
    fake_clock fc = {1, 1};
    psc_introspector *intro = fixture_intro(&fc, &ta.iface);
    world w = {N_CONNS};
    static const psc_swarm_provider v1 = {sizeof v1, "swarm", swarm_collect, NULL};
    assert_int_equal(psc_register_swarm(intro, &v1, &w, NULL), PSC_OK);
    psc_msg *m = NULL;
    for (int i = 0; i < 3; i++) { /* warm up: chunk size hint, id map, baselines */
        assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
        psc_msg_unref(m);
    }
    uint64_t before = ta.calls;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    uint64_t per_snapshot = ta.calls - before;
    psc_msg_unref(m);
    /* one arena chunk and the message itself */
    assert_int_equal(per_snapshot, 2);
    psc_introspector_free(intro);
    assert_int_equal(ta.live, 0);
}

/* The memory cap: counted, never exceeded, refused allocations are clean
 * errors, and memory of messages that outlive the introspector still goes
 * back through the allocator. */
static void test_memory_cap(void **state)
{
    (void)state;
    psc_test_alloc ta;
    psc_test_alloc_init(&ta);
    fake_clock fc = {1, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clk;
    cfg.allocator = &ta.iface;
    cfg.log_level = PSC_LOG_ERROR;
    cfg.max_memory_bytes = 1024; /* below the event ring */
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_ERR_NOMEM);
    assert_int_equal(ta.live, 0);

    cfg.max_memory_bytes = 0;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    psc_memory_stats m = {.struct_size = sizeof m};
    assert_int_equal(psc_introspector_memory(intro, &m), PSC_OK);
    size_t base = m.held_bytes;
    assert_true(base > 0 && m.limit_bytes == 0 && m.peak_bytes >= base);
    psc_introspector_free(intro);

    /* room for the introspector and little more (ordinary allocations
     * leave 1/16 of the cap to notices): the snapshot is refused */
    size_t want_soft = base + 256, cap = want_soft * 16 / 15 + 16;
    if (cap / 16 > 256u * 1024u)
        cap = want_soft + 256u * 1024u; /* the reserve is at most 256 KiB */
    cfg.max_memory_bytes = cap;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    world w = {N_CONNS};
    static const psc_swarm_provider v1 = {sizeof v1, "swarm", swarm_collect, NULL};
    assert_int_equal(psc_register_swarm(intro, &v1, &w, NULL), PSC_OK);
    psc_msg *msg = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &msg), PSC_ERR_NOMEM);
    assert_int_equal(psc_introspector_memory(intro, &m), PSC_OK);
    assert_true(m.refused_allocations > 0);
    assert_true(m.peak_bytes <= cfg.max_memory_bytes);
    psc_introspector_free(intro);
    assert_int_equal(ta.live, 0);

    /* enough room: a state, kept past the introspector */
    cfg.max_memory_bytes = 16u << 20;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    assert_int_equal(psc_register_swarm(intro, &v1, &w, NULL), PSC_OK);
    assert_int_equal(psc_introspector_snapshot(intro, &msg), PSC_OK);
    assert_int_equal(psc_introspector_memory(intro, &m), PSC_OK);
    assert_true(m.held_bytes > base && m.refused_allocations == 0);
    psc_introspector_free(intro);
    size_t len = 0;
    assert_non_null(psc_msg_payload(msg, &len));
    assert_true(len > 0);
    assert_true(ta.live > 0);
    psc_msg_unref(msg);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_allocation_fails),
        cmocka_unit_test(test_allocations_per_snapshot),
        cmocka_unit_test(test_memory_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

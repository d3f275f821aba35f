/*
 * The demo host through peerscope's in-process API: the providers and
 * events on a real introspector, States decoded with protobuf-c and checked
 * for consistency within and across snapshots, the Runtime, the event
 * contents, and allocation failure across the whole stack.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <peerscope/pb.h>
#include <peerscope/peerscope.h>

#include "../support/test_support.h"
#include "events.h"
#include "providers.h"
#include "state_check.h"

typedef struct stack {
    psc_introspector *intro;
    demo_events events;
    sim_node *node;
    demo_host host;
    bool host_ready;
} stack;

static uint64_t intro_clock(void *user)
{
    return psc_introspector_now_ms(user);
}

static psc_err stack_new(stack *s, const psc_allocator *alloc, const sim_config *base)
{
    memset(s, 0, sizeof *s);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = alloc;
    cfg.max_event_size = 4096;
    cfg.runtime.implementation = "peerscope-demo-test";
    psc_err e = psc_introspector_new(&cfg, &s->intro);
    if (e != PSC_OK)
        return e;
    e = demo_events_init(&s->events, s->intro);
    if (e != PSC_OK)
        return e;
    sim_config sc = *base;
    sc.allocator = alloc;
    sc.now_ms = intro_clock;
    sc.clock_user = s->intro;
    sc.on_event = demo_events_on_sim;
    sc.event_user = &s->events;
    e = sim_node_new(&sc, &s->node);
    if (e != PSC_OK)
        return e;
    e = psc_introspector_set_peer_id(s->intro, s->node->local_id);
    if (e != PSC_OK)
        return e;
    if (demo_host_init(&s->host, s->node) != 0)
        return PSC_ERR_STATE;
    s->host_ready = true;
    return demo_host_register(&s->host, s->intro);
}

static void stack_free(stack *s)
{
    /* providers go before the introspector that holds them */
    if (s->host_ready)
        demo_host_fini(&s->host);
    psc_introspector_free(s->intro);
    sim_node_free(s->node);
    memset(s, 0, sizeof *s);
}

static sim_config busy_config(uint64_t seed)
{
    sim_config c;
    memset(&c, 0, sizeof c);
    c.seed = seed;
    c.peers = 400;
    c.conns = 40;
    c.streams = 5;
    c.topics = 5;
    c.churn = 240; /* plenty of closes to see reported */
    c.event_rate = 30;
    return c;
}

static Peerscope__ServerMessage *snapshot(stack *s)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(s->intro, &m), PSC_OK);
    assert_int_equal(psc_msg_get_kind(m), PSC_MSG_STATE);
    Peerscope__ServerMessage *sm = NULL;
    assert_int_equal(psc_msg_decode(m, &sm), PSC_OK);
    psc_msg_unref(m);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    return sm;
}

static void test_states_consistent(void **state)
{
    (void)state;
    stack s;
    sim_config c = busy_config(17);
    assert_int_equal(stack_new(&s, NULL, &c), PSC_OK);
    state_tracker t;
    state_tracker_init(&t, s.node->local_id);
    for (int round = 0; round < 60; round++) {
        for (int k = 0; k < 5; k++)
            demo_host_step(&s.host);
        Peerscope__ServerMessage *sm = snapshot(&s);
        state_tracker_check(&t, sm->state);
        peerscope__server_message__free_unpacked(sm, NULL);
        if (round % 10 == 9) {
            /* two snapshots with nothing in between: nothing closes twice */
            sm = snapshot(&s);
            state_tracker_check(&t, sm->state);
            peerscope__server_message__free_unpacked(sm, NULL);
        }
    }
    /* a living node, not an empty screen */
    assert_true(t.max_active_conns >= 30);
    assert_true(t.max_streams >= 60);
    assert_true(t.max_dht_members >= 40);
    assert_true(t.max_mesh >= 6);
    assert_true(t.max_peerstore >= 40);
    assert_true(t.n_closed_conns >= 20);
    assert_true(t.n_closed_streams >= 50);
    assert_true(t.closed_with_reason >= t.n_closed_conns / 2);
    assert_true(t.relayed_seen > 0);
    state_tracker_free(&t);
    stack_free(&s);
}

static void test_sections(void **state)
{
    (void)state;
    stack s;
    sim_config c = busy_config(3);
    assert_int_equal(stack_new(&s, NULL, &c), PSC_OK);
    for (int k = 0; k < 300; k++)
        demo_host_step(&s.host);
    Peerscope__ServerMessage *sm = snapshot(&s);
    const Peerscope__State *st = sm->state;
    const Peerscope__Subsystems *ss = st->subsystems;
    assert_non_null(ss->dht);
    assert_string_equal(ss->dht->protocol, "/ipfs/kad/1.0.0");
    assert_int_equal(ss->dht->params->k, 20);
    assert_true(ss->dht->outgoing_queries->success > 0);
    assert_true(ss->dht->incoming_queries->success > 0);
    /* buckets 0..n-1 all listed, in order */
    for (size_t b = 0; b < ss->dht->n_buckets; b++)
        assert_int_equal(ss->dht->buckets[b]->cpl, b);
    assert_non_null(ss->pubsub);
    assert_string_equal(ss->pubsub->router, "gossipsub");
    assert_int_equal(ss->pubsub->n_topics, 5);
    assert_string_equal(ss->pubsub->topics[0]->name, "/eth2/beacon_block");
    assert_int_equal(ss->n_transports, 3);
    assert_non_null(ss->dialer);
    assert_true(ss->dialer->outcomes->success > 0);
    assert_non_null(ss->identify);
    assert_true(ss->identify->requests_out > 0);
    assert_non_null(ss->relay);
    assert_true(ss->relay->reservations_total > 0);
    assert_non_null(ss->ping);
    assert_true(ss->ping->pings_sent > 0);
    assert_non_null(ss->resource_manager);
    assert_true(ss->resource_manager->n_scopes > 5);
    assert_int_equal(ss->n_custom, 1);
    assert_string_equal(ss->custom[0]->name, "chain");
    assert_true(ss->custom[0]->n_values >= 5);
    assert_non_null(st->traffic);
    assert_true(st->traffic->traffic_in->cum_bytes > 0);
    assert_true(st->traffic->traffic_out->cum_bytes > 0);
    /* agent versions look like real ones */
    bool go = false;
    for (size_t i = 0; i < ss->peerstore->n_peers; i++)
        go |= strncmp(ss->peerstore->peers[i]->agent_version, "go-libp2p/", 10) == 0;
    assert_true(go);
    peerscope__server_message__free_unpacked(sm, NULL);

    psc_msg *rt = NULL;
    assert_int_equal(psc_introspector_runtime(s.intro, &rt), PSC_OK);
    Peerscope__ServerMessage *rm = NULL;
    assert_int_equal(psc_msg_decode(rt, &rm), PSC_OK);
    psc_msg_unref(rt);
    assert_string_equal(rm->runtime->peer_id, s.node->local_id);
    static const char *const names[] = {"PeerConnecting", "PeerConnected", "PeerDisconnecting",
                                        "PeerDisconnected", "InboundDHTQuery", "OutboundDHTQuery",
                                        "IdentityKnown", "FirstPeerConnected", "SyncStarted",
                                        "SyncCompleted", "NewBlock", "MessageReceived"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bool found = false;
        for (size_t j = 0; j < rm->runtime->n_event_types; j++)
            found |= strcmp(rm->runtime->event_types[j]->name, names[i]) == 0;
        if (!found)
            fail_msg("Runtime lacks event type %s", names[i]);
    }
    peerscope__server_message__free_unpacked(rm, NULL);
    stack_free(&s);
}

/* The quoted strings of the JSON array under "key" in content. */
static size_t json_strings(const char *content, const char *key, char out[][PSC_PEERID_STR_MAX], size_t max)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":[", key);
    const char *p = strstr(content, pat);
    if (!p)
        return SIZE_MAX;
    p += strlen(pat);
    size_t n = 0;
    while (*p && *p != ']') {
        if (*p == '"') {
            const char *e = strchr(p + 1, '"');
            assert_non_null(e);
            size_t len = (size_t)(e - p - 1);
            assert_true(len < PSC_PEERID_STR_MAX);
            if (n < max) {
                memcpy(out[n], p + 1, len);
                out[n][len] = 0;
            }
            n++;
            p = e + 1;
        } else {
            p++;
        }
    }
    return n;
}

static void test_events(void **state)
{
    (void)state;
    stack s;
    sim_config c = busy_config(5);
    assert_int_equal(stack_new(&s, NULL, &c), PSC_OK);
    psc_event_reader *r = NULL;
    assert_int_equal(psc_event_reader_new(s.intro, true, &r), PSC_OK);
    size_t seen[DEMO_T_COUNT] = {0};
    for (int k = 0; k < 400; k++) {
        demo_host_step(&s.host);
        psc_event_record rec;
        uint64_t missed = 0;
        while (psc_event_reader_next(r, &rec, &missed) == PSC_OK) {
            assert_int_equal(missed, 0);
            int which = -1;
            for (int i = 0; i < DEMO_T_COUNT; i++)
                if (rec.type == s.events.types[i])
                    which = i;
            assert_true(which >= 0);
            seen[which]++;
            if (which == DEMO_T_IN_QUERY || which == DEMO_T_OUT_QUERY) {
                char ids[SIM_QUERY_MAX_CONTACTS][PSC_PEERID_STR_MAX];
                size_t n = json_strings(rec.content, "peerIds", ids, SIM_QUERY_MAX_CONTACTS);
                if (n == SIZE_MAX)
                    fail_msg("DHT query event without peerIds: %s", rec.content);
                for (size_t i = 0; i < n && i < SIM_QUERY_MAX_CONTACTS; i++)
                    assert_true(psc_peerid_is_valid(ids[i]));
                assert_non_null(strstr(rec.content, "\"result\":\""));
                assert_non_null(strstr(rec.content, "\"totalSteps\":"));
                assert_non_null(strstr(rec.content, which == DEMO_T_IN_QUERY ? "\"direction\":\"inbound\""
                                                                          : "\"direction\":\"outbound\""));
            }
            if (which == DEMO_T_CONNECTED)
                assert_non_null(strstr(rec.content, "\"addr\":\"/"));
            if (which == DEMO_T_DISCONNECTED)
                assert_non_null(strstr(rec.content, "\"reason\":\""));
        }
    }
    psc_event_reader_free(r);
    assert_int_equal(s.events.failed, 0);
    assert_int_equal(seen[DEMO_T_IDENTITY], 1);
    assert_int_equal(seen[DEMO_T_FIRST_PEER], 1);
    assert_int_equal(seen[DEMO_T_SYNC_STARTED], 1);
    assert_int_equal(seen[DEMO_T_SYNC_COMPLETED], 1);
    for (int i = 0; i < DEMO_T_COUNT; i++)
        if (!seen[i])
            fail_msg("no event of type %s", psc_event_type_name(s.events.types[i]));
    stack_free(&s);
}

static psc_err fault_body(void *arg, psc_test_alloc *alloc)
{
    (void)arg;
    sim_config c = busy_config(9);
    c.peers = 30;
    c.conns = 8;
    c.streams = 2;
    c.topics = 2;
    stack s;
    psc_err e = stack_new(&s, &alloc->iface, &c);
    if (e == PSC_OK) {
        for (int k = 0; k < 40; k++) {
            demo_host_step(&s.host);
            if (k % 20 == 19) {
                psc_msg *m = NULL;
                e = psc_introspector_snapshot(s.intro, &m);
                psc_msg_unref(m);
                if (e != PSC_OK)
                    break;
            }
        }
    }
    stack_free(&s);
    return e;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(fault_body, NULL, 50000);
    assert_true(runs > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states_consistent),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

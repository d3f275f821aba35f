/*
 * The simulation behind peerscope-demo: identities, determinism, real
 * Kademlia math (checked against an independent computation here), bucket
 * limits, the model's own invariants, churn and event budgets, and
 * allocation failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sim.h"
#include "sim_limits.h"
#include "../support/test_support.h"
#include "view.h"

/* ------------------------------------------------------------ helpers */

static sim_config base_config(uint64_t seed)
{
    sim_config c;
    memset(&c, 0, sizeof c);
    c.seed = seed;
    c.peers = 300;
    c.conns = 40;
    c.streams = 6;
    c.topics = 5;
    c.churn = 30;
    c.event_rate = 20;
    return c;
}

static sim_node *make(const sim_config *c)
{
    sim_node *n = NULL;
    assert_int_equal(sim_node_new(c, &n), PSC_OK);
    assert_non_null(n);
    return n;
}

static void run_ticks(sim_node *n, unsigned ticks)
{
    for (unsigned i = 0; i < ticks; i++)
        sim_node_step(n);
}

/* Independent of kad.c: the key is SHA-256 of the bytes psc_peerid_parse
 * returns, and the CPL is found bit by bit. */
static void ref_key(const char *peer_id, uint8_t key[32])
{
    uint8_t bin[PSC_PEERID_BIN_MAX];
    size_t len = 0;
    assert_int_equal(psc_peerid_parse(peer_id, bin, sizeof bin, &len), PSC_OK);
    assert_int_equal(crypto_hash_sha256(key, bin, len), 0);
}

static unsigned ref_cpl(const uint8_t a[32], const uint8_t b[32])
{
    for (unsigned i = 0; i < 256; i++) {
        unsigned ba = (a[i / 8] >> (7 - i % 8)) & 1u;
        unsigned bb = (b[i / 8] >> (7 - i % 8)) & 1u;
        if (ba != bb)
            return i;
    }
    return 256;
}

/* A record of everything the simulation reported, to compare runs. */
typedef struct trace {
    uint64_t *items;
    size_t len, cap;
    size_t by_kind[SIM_EV_MESSAGE + 1];
    size_t churn_closes, budget_events, bootstrap_queries;
} trace;

static void trace_add(trace *t, uint64_t v)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->items = realloc(t->items, t->cap * sizeof *t->items);
        assert_non_null(t->items);
    }
    t->items[t->len++] = v;
}

static bool is_churn_reason(const char *r)
{
    static const char *const reasons[] = {"remote closed", "idle timeout", "connection manager trim",
                                          "keepalive timeout", "local close"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (r && strcmp(r, reasons[i]) == 0)
            return true;
    return false;
}

static void on_event(void *user, const sim_node *n, const sim_event *ev)
{
    trace *t = user;
    t->by_kind[ev->kind]++;
    trace_add(t, (uint64_t)ev->kind << 56 | n->tick);
    switch (ev->kind) {
    case SIM_EV_CONN_OPENING:
    case SIM_EV_CONN_OPEN:
    case SIM_EV_CONN_CLOSED:
        trace_add(t, ev->conn->id);
        trace_add(t, ev->conn->peer);
        break;
    case SIM_EV_CONN_CLOSING:
        trace_add(t, ev->conn->id);
        t->churn_closes += is_churn_reason(ev->conn->close_reason);
        break;
    case SIM_EV_DHT_QUERY:
        trace_add(t, ev->query->id);
        trace_add(t, ev->query->n_contacted);
        for (size_t i = 0; i < ev->query->n_contacted; i++)
            trace_add(t, ev->query->contacted[i]);
        if (strcmp(ev->query->trigger, "bootstrap") == 0 || strcmp(ev->query->trigger, "refresh") == 0)
            t->bootstrap_queries++;
        else
            t->budget_events++;
        break;
    case SIM_EV_MESSAGE:
        t->budget_events++;
        trace_add(t, ev->size);
        break;
    case SIM_EV_NEW_BLOCK:
        trace_add(t, ev->height);
        break;
    default:
        break;
    }
}

/* ----------------------------------------------------------- identity */

static void test_identities(void **state)
{
    (void)state;
    sim_config c = base_config(7);
    sim_node *a = make(&c), *b = make(&c);
    c.seed = 8;
    sim_node *other = make(&c);
    assert_string_equal(a->local_id, b->local_id);
    assert_string_not_equal(a->local_id, other->local_id);
    assert_true(psc_peerid_is_valid(a->local_id));
    assert_int_equal(strncmp(a->local_id, "12D3KooW", 8), 0);
    for (uint32_t i = 0; i < a->n_peers; i++) {
        assert_string_equal(a->peers[i].id, b->peers[i].id);
        assert_true(psc_peerid_is_valid(a->peers[i].id));
        assert_string_not_equal(a->peers[i].id, a->local_id);
        for (uint32_t j = 0; j < i; j++)
            assert_string_not_equal(a->peers[i].id, a->peers[j].id);
        /* every address in the documentation ranges */
        for (uint8_t k = 0; k < a->peers[i].n_addrs; k++) {
            const char *ad = a->peers[i].addrs[k];
            bool doc = strncmp(ad, "/ip4/192.0.2.", 13) == 0 || strncmp(ad, "/ip4/198.51.100.", 16) == 0 ||
                       strncmp(ad, "/ip4/203.0.113.", 15) == 0 || strncmp(ad, "/ip6/2001:db8:", 14) == 0;
            if (!doc)
                fail_msg("address outside documentation ranges: %s", ad);
        }
    }
    /* a smaller universe is a prefix of a bigger one with the same seed */
    c.seed = 7;
    c.peers = 50;
    c.conns = 10;
    sim_node *small = make(&c);
    for (uint32_t i = 0; i < small->n_peers; i++)
        assert_string_equal(small->peers[i].id, a->peers[i].id);
    sim_node_free(small);
    sim_node_free(a);
    sim_node_free(b);
    sim_node_free(other);
}

static void test_known_vector(void **state)
{
    (void)state;
    /* the all-zero seed's key, as in the field notes */
    uint8_t seed[32] = {0}, pk[32], sk[64];
    char id[PSC_PEERID_STR_MAX];
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, pk, sk), PSC_OK);
    assert_int_equal(psc_peerid_from_ed25519(pk, id, sizeof id), PSC_OK);
    assert_string_equal(id, "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN");
    uint8_t bin[38], k1[32], k2[32];
    assert_int_equal(psc_peerid_bin_from_ed25519(pk, bin), PSC_OK);
    assert_int_equal(kad_key(bin, sizeof bin, k1), 0);
    ref_key(id, k2);
    assert_memory_equal(k1, k2, 32);
}

/* -------------------------------------------------------- kademlia math */

static void test_xor_and_cpl(void **state)
{
    (void)state;
    sim_config c = base_config(3);
    sim_node *n = make(&c);
    uint8_t local[32];
    ref_key(n->local_id, local);
    assert_memory_equal(local, n->local_key, 32);
    for (uint32_t i = 0; i < n->n_peers; i++) {
        uint8_t k[32];
        ref_key(n->peers[i].id, k);
        assert_memory_equal(k, n->peers[i].key, 32);
        assert_int_equal(kad_cpl(local, k), ref_cpl(local, k));
        assert_int_equal(kad_cpl(k, k), 256);
    }
    /* hand-made edge cases */
    uint8_t a[32] = {0}, b[32] = {0};
    assert_int_equal(kad_cpl(a, b), 256);
    b[0] = 0x80;
    assert_int_equal(kad_cpl(a, b), 0);
    b[0] = 0x01;
    assert_int_equal(kad_cpl(a, b), 7);
    b[0] = 0;
    b[31] = 0x01;
    assert_int_equal(kad_cpl(a, b), 255);
    /* distance order: XOR compared as a big-endian number */
    uint8_t t[32] = {0}, x[32] = {0}, y[32] = {0};
    x[0] = 0x10;
    y[0] = 0x0f;
    y[1] = 0xff;
    assert_true(kad_cmp(t, y, x) < 0);
    assert_true(kad_cmp(t, x, y) > 0);
    assert_int_equal(kad_cmp(t, x, x), 0);
    for (uint32_t i = 1; i < n->n_peers; i++) {
        const uint8_t *p = n->peers[i - 1].key, *q = n->peers[i].key;
        uint8_t dp[32], dq[32];
        kad_xor(p, local, dp);
        kad_xor(q, local, dq);
        int want = memcmp(dp, dq, 32);
        int got = kad_cmp(local, p, q);
        assert_true((want < 0 && got < 0) || (want > 0 && got > 0) || (want == 0 && got == 0));
    }
    sim_node_free(n);
}

static void test_routing_table(void **state)
{
    (void)state;
    sim_config c = base_config(11);
    c.peers = 2000;
    c.conns = 60;
    c.event_rate = 40;
    sim_node *n = make(&c);
    run_ticks(n, 1500);
    uint8_t local[32];
    ref_key(n->local_id, local);
    size_t members = 0;
    bool *seen = calloc(n->n_peers, sizeof *seen);
    assert_non_null(seen);
    for (unsigned cpl = 0; cpl <= KAD_MAX_CPL; cpl++) {
        const sim_bucket *b = &n->dht->buckets[cpl];
        assert_true(b->n_members <= SIM_K);
        assert_true(b->n_cands <= SIM_CANDIDATES);
        assert_true(b->n_rejected <= SIM_REJECTED);
        const sim_rt_entry *groups[3] = {b->members, b->cands, b->rejected};
        uint8_t counts[3] = {b->n_members, b->n_cands, b->n_rejected};
        for (int g = 0; g < 3; g++) {
            for (uint8_t i = 0; i < counts[g]; i++) {
                const sim_rt_entry *e = &groups[g][i];
                uint8_t k[32];
                ref_key(n->peers[e->peer].id, k);
                if (ref_cpl(local, k) != cpl)
                    fail_msg("peer %u in bucket %u has cpl %u", e->peer, cpl, ref_cpl(local, k));
                if (seen[e->peer])
                    fail_msg("peer %u listed twice in the routing table", e->peer);
                seen[e->peer] = true;
                if (g == 0) {
                    assert_true(e->status == PSC_DHT_PEER_ACTIVE || e->status == PSC_DHT_PEER_MISSING);
                    assert_true(n->peers[e->peer].in_rt);
                    assert_true(sim_peer_speaks(&n->peers[e->peer], SIM_P_KAD));
                } else {
                    assert_int_equal(e->status, g == 1 ? PSC_DHT_PEER_CANDIDATE : PSC_DHT_PEER_REJECTED);
                    assert_false(n->peers[e->peer].in_rt);
                }
                assert_true(e->added_tick <= n->tick);
            }
        }
        members += b->n_members;
    }
    for (uint32_t i = 0; i < n->n_peers; i++)
        if (n->peers[i].in_rt && !seen[i])
            fail_msg("peer %u thinks it is in the table", i);
    free(seen);
    /* half the network shares no prefix with us: the k limit is reached */
    assert_int_equal(n->dht->buckets[0].n_members, SIM_K);
    assert_true(n->dht->buckets[0].n_cands > 0);
    assert_true(members > 3 * SIM_K);
    assert_true(n->dht->outgoing.success > 0);
    assert_true(n->dht->incoming.success > 0);
    sim_node_free(n);
}

/* ----------------------------------------------------------- determinism */

static void test_determinism(void **state)
{
    (void)state;
    trace ta = {0}, tb = {0};
    sim_config c = base_config(42);
    c.on_event = on_event;
    c.event_user = &ta;
    sim_node *a = make(&c);
    c.event_user = &tb;
    sim_node *b = make(&c);
    /* b is watched (views and releases, as snapshots would do), a is not:
     * that must not change what happens */
    for (unsigned t = 0; t < 900; t++) {
        sim_node_step(a);
        sim_node_step(b);
        if (t % 7 == 3) {
            demo_view *v;
            assert_int_equal(demo_view_new(b, 1000u * t, &v), PSC_OK);
            sim_node_release_closed(b, v->close_upto);
            demo_view_free(v);
        }
    }
    assert_int_equal(ta.len, tb.len);
    assert_memory_equal(ta.items, tb.items, ta.len * sizeof *ta.items);
    assert_true(ta.by_kind[SIM_EV_CONN_OPEN] > 40);
    assert_true(ta.by_kind[SIM_EV_DHT_QUERY] > 50);
    assert_true(ta.by_kind[SIM_EV_NEW_BLOCK] > 0);
    assert_int_equal(ta.by_kind[SIM_EV_IDENTITY], 1);
    assert_int_equal(ta.by_kind[SIM_EV_FIRST_PEER], 1);
    assert_int_equal(ta.by_kind[SIM_EV_SYNC_STARTED], 1);
    assert_int_equal(ta.by_kind[SIM_EV_SYNC_COMPLETED], 1);
    assert_int_equal(a->next_conn_id, b->next_conn_id);
    /* the same live connections in the same order */
    size_t ia = 0, ib = 0;
    for (;;) {
        while (ia < a->n_conns && a->conns[ia]->status == PSC_STATUS_CLOSED)
            ia++;
        while (ib < b->n_conns && b->conns[ib]->status == PSC_STATUS_CLOSED)
            ib++;
        if (ia == a->n_conns || ib == b->n_conns)
            break;
        assert_int_equal(a->conns[ia]->id, b->conns[ib]->id);
        assert_int_equal(a->conns[ia]->open_streams, b->conns[ib]->open_streams);
        ia++;
        ib++;
    }
    assert_int_equal(ia == a->n_conns, ib == b->n_conns);
    assert_memory_equal(a->dht->buckets, b->dht->buckets, sizeof a->dht->buckets);
    assert_int_equal(a->height, b->height);
    /* the watched node forgot what it reported; the other still holds it */
    assert_true(b->n_conns <= a->n_conns);

    /* another seed, another life */
    trace tc = {0};
    c.seed = 43;
    c.event_user = &tc;
    sim_node *d = make(&c);
    run_ticks(d, 900);
    assert_true(tc.len != ta.len || memcmp(tc.items, ta.items, ta.len * sizeof *ta.items) != 0);
    sim_node_free(a);
    sim_node_free(b);
    sim_node_free(d);
    free(ta.items);
    free(tb.items);
    free(tc.items);
}

/* ----------------------------------------------------------- invariants */

static void check_model(const sim_node *n)
{
    uint32_t *conns = calloc(n->n_peers, sizeof *conns), *active = calloc(n->n_peers, sizeof *active);
    assert_non_null(conns);
    assert_non_null(active);
    uint64_t prev_id = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        const sim_conn *c = n->conns[i];
        assert_true(c->id > prev_id); /* sorted, unique */
        prev_id = c->id;
        conns[c->peer] += c->status != PSC_STATUS_CLOSED;
        active[c->peer] += c->status == PSC_STATUS_ACTIVE;
        uint32_t open = 0;
        uint64_t prev_sid = 0;
        for (size_t j = 0; j < c->n_streams; j++) {
            const sim_stream *s = c->streams[j];
            assert_true(s->id > prev_sid);
            prev_sid = s->id;
            open += s->status == PSC_STATUS_ACTIVE;
            if (c->status != PSC_STATUS_ACTIVE)
                assert_int_equal(s->status, PSC_STATUS_CLOSED);
        }
        assert_int_equal(open, c->open_streams);
        assert_true(open <= n->cfg.streams);
        if (c->relay_conn_id && c->status == PSC_STATUS_ACTIVE) {
            const sim_conn *rc = sim_conn_find(n, c->relay_conn_id);
            assert_non_null(rc);
            assert_int_equal(rc->status, PSC_STATUS_ACTIVE);
            assert_true(n->peers[rc->peer].relay);
            assert_int_equal(c->transport, SIM_TR_CIRCUIT);
            assert_non_null(strstr(c->remote_addr, "/p2p-circuit"));
        }
        if (c->relay_conn_id && c->status != PSC_STATUS_CLOSED) {
            /* a relay connection outlives what rides on it */
            const sim_conn *rc = sim_conn_find(n, c->relay_conn_id);
            assert_non_null(rc);
            assert_int_not_equal(rc->status, PSC_STATUS_CLOSED);
        }
        if (c->status == PSC_STATUS_CLOSED || c->status == PSC_STATUS_CLOSING)
            assert_non_null(c->close_reason);
        assert_true(c->remote_addr[0] == '/' && c->local_addr[0] == '/');
    }
    for (uint32_t i = 0; i < n->n_peers; i++) {
        assert_int_equal(conns[i], n->peers[i].n_conns);
        assert_int_equal(active[i], n->peers[i].n_active);
        if (n->peers[i].n_conns)
            assert_true(n->peers[i].known);
    }
    for (size_t i = 0; i < n->n_dials; i++)
        assert_true(n->peers[n->dials[i].peer].dialing);
    for (uint32_t t = 0; t < n->n_topics; t++) {
        const sim_topic *tp = &n->topics[t];
        assert_true(tp->n_mesh <= SIM_D_HI);
        for (uint8_t i = 0; i < tp->n_mesh; i++) {
            assert_true(active[tp->mesh[i].peer] > 0);
            assert_true(sim_pubsub_peer_on_topic(n, tp->mesh[i].peer, t));
        }
        for (uint8_t i = 0; i < tp->n_fanout; i++)
            assert_true(active[tp->fanout[i]] > 0);
        assert_true(tp->msgs.duplicate <= tp->msgs.received);
    }
    free(conns);
    free(active);
}

static void test_model_invariants(void **state)
{
    (void)state;
    sim_config c = base_config(5);
    c.churn = 120;
    c.streams = 3;
    sim_node *n = make(&c);
    for (unsigned t = 0; t < 60; t++) {
        run_ticks(n, 25);
        check_model(n);
    }
    size_t live = sim_conns_live(n);
    assert_true(live >= c.conns / 2 && live <= c.conns + c.conns / 8 + 1);
    assert_true(n->relay.circuits_total > 0);
    assert_true(n->relay.reservations_total > 0);
    assert_true(n->dialer.success > 0);
    assert_true(n->identify.requests_out > 0);
    assert_true(n->pings_sent > 0);
    bool subscribed_mesh = false;
    for (uint32_t t = 0; t < n->n_topics; t++)
        subscribed_mesh |= n->topics[t].subscribed && n->topics[t].n_mesh >= SIM_D_LO;
    assert_true(subscribed_mesh);
    sim_node_free(n);
}

static void test_release_and_bounds(void **state)
{
    (void)state;
    sim_config c = base_config(21);
    c.churn = 300;
    sim_node *n = make(&c);
    run_ticks(n, 200);
    size_t closed = 0;
    for (size_t i = 0; i < n->n_conns; i++)
        closed += n->conns[i]->status == PSC_STATUS_CLOSED;
    assert_true(closed > 0);
    /* releasing up to a point keeps what closed later */
    uint64_t mid = n->close_seq / 2;
    sim_node_release_closed(n, mid);
    for (size_t i = 0; i < n->n_conns; i++) {
        const sim_conn *cn = n->conns[i];
        if (cn->status == PSC_STATUS_CLOSED)
            assert_true(cn->close_seq > mid);
        for (size_t j = 0; j < cn->n_streams; j++)
            if (cn->streams[j]->status == PSC_STATUS_CLOSED)
                assert_true(cn->streams[j]->close_seq > mid);
    }
    sim_node_release_closed(n, n->close_seq);
    for (size_t i = 0; i < n->n_conns; i++) {
        assert_int_not_equal(n->conns[i]->status, PSC_STATUS_CLOSED);
        for (size_t j = 0; j < n->conns[i]->n_streams; j++)
            assert_int_not_equal(n->conns[i]->streams[j]->status, PSC_STATUS_CLOSED);
    }
    check_model(n);
    /* nobody watching: closes older than SIM_CLOSED_KEEP_TICKS are dropped */
    run_ticks(n, 3 * SIM_CLOSED_KEEP_TICKS);
    for (size_t i = 0; i < n->n_conns; i++)
        if (n->conns[i]->status == PSC_STATUS_CLOSED)
            assert_true(n->conns[i]->close_tick + SIM_CLOSED_KEEP_TICKS >= n->tick);
    check_model(n);
    sim_node_free(n);
}

/* A snapshot's view is taken, the simulation moves on (connections that
 * were CLOSING close), and only then are the view's closes released: every
 * close must still be in exactly one view, as peerscope must report it
 * CLOSED exactly once. */
static void test_closed_once_across_views(void **state)
{
    (void)state;
    sim_config c = base_config(31);
    c.churn = 600;
    sim_node *n = make(&c);
    size_t cap = 1u << 16, n_seen = 0, n_conns_seen = 0;
    uint64_t *seen = calloc(cap, sizeof *seen); /* conn << 24 | stream, stream 0: the connection */
    assert_non_null(seen);
    for (unsigned round = 0; round < 150; round++) {
        demo_view *v;
        assert_int_equal(demo_view_new(n, 1000u * round, &v), PSC_OK);
        for (size_t i = 0; i < v->n_conns; i++) {
            const view_conn *vc = &v->conns[i];
            for (size_t j = 0; j <= vc->n_streams; j++) {
                uint64_t key;
                if (j == vc->n_streams) {
                    if (vc->status != PSC_STATUS_CLOSED)
                        continue;
                    key = vc->id << 24;
                    n_conns_seen++;
                } else {
                    const view_stream *vs = &v->streams[vc->first_stream + j];
                    if (vs->status != PSC_STATUS_CLOSED)
                        continue;
                    key = vc->id << 24 | vs->id;
                }
                for (size_t k = 0; k < n_seen; k++)
                    if (seen[k] == key)
                        fail_msg("connection %llu stream %llu CLOSED in two views",
                                 (unsigned long long)(key >> 24), (unsigned long long)(key & 0xffffff));
                assert_true(n_seen < cap);
                seen[n_seen++] = key;
            }
        }
        run_ticks(n, 1 + round % 3);
        sim_node_release_closed(n, v->close_upto);
        demo_view_free(v);
    }
    assert_true(n_conns_seen > 50);
    free(seen);
    sim_node_free(n);
}

/* --------------------------------------------------------------- rates */

static void test_churn_and_event_rate(void **state)
{
    (void)state;
    trace t = {0};
    sim_config c = base_config(77);
    c.churn = 60;      /* one a second */
    c.event_rate = 10; /* per second */
    c.on_event = on_event;
    c.event_user = &t;
    sim_node *n = make(&c);
    run_ticks(n, 600); /* 60 simulated seconds */
    /* floating accumulation may lose the very last one */
    assert_true(t.churn_closes >= 59 && t.churn_closes <= 60);
    /* 600 budget draws; a few find nothing to sample yet (no mesh, no
     * connected DHT peer) in the first seconds */
    assert_true(t.budget_events >= 540 && t.budget_events <= 600);
    sim_node_free(n);

    trace q = {0};
    c.event_rate = 0;
    c.churn = 0;
    c.event_user = &q;
    n = make(&c);
    run_ticks(n, 600);
    assert_int_equal(q.budget_events, 0);
    assert_int_equal(q.churn_closes, 0);
    assert_true(q.bootstrap_queries >= 3); /* the node's own lookups still run */
    assert_int_equal(q.by_kind[SIM_EV_MESSAGE], 0);
    sim_node_free(n);
    free(t.items);
    free(q.items);
}

static void test_small_and_empty(void **state)
{
    (void)state;
    sim_config c = base_config(1);
    c.peers = 1;
    c.conns = 1;
    c.topics = 0;
    c.streams = 0;
    sim_node *n = make(&c);
    run_ticks(n, 300);
    check_model(n);
    assert_true(sim_conns_live(n) <= 1);
    assert_int_equal(sim_streams_open(n), 0);
    sim_node_free(n);

    c.peers = 5;
    c.conns = 0;
    n = make(&c);
    run_ticks(n, 100);
    assert_int_equal(n->n_conns, 0);
    assert_int_equal(n->n_dials, 0);
    assert_false(n->syncing || n->synced);
    sim_node_free(n);
}

static void test_config_validation(void **state)
{
    (void)state;
    sim_node *n = (sim_node *)(uintptr_t)1;
    sim_config c = base_config(1);
    c.peers = 0;
    assert_int_equal(sim_node_new(&c, &n), PSC_ERR_INVALID);
    c = base_config(1);
    c.conns = c.peers + 1;
    assert_int_equal(sim_node_new(&c, &n), PSC_ERR_INVALID);
    c = base_config(1);
    c.churn = -1;
    assert_int_equal(sim_node_new(&c, &n), PSC_ERR_INVALID);
    c = base_config(1);
    c.event_rate = INFINITY;
    assert_int_equal(sim_node_new(&c, &n), PSC_ERR_INVALID);
    c = base_config(1);
    c.streams = SIM_MAX_STREAMS + 1;
    assert_int_equal(sim_node_new(&c, &n), PSC_ERR_INVALID);
    assert_int_equal(sim_node_new(NULL, &n), PSC_ERR_INVALID);
    /* out-parameter untouched on failure */
    assert_ptr_equal(n, (sim_node *)(uintptr_t)1);
}

/* ------------------------------------------------------ allocation failure */

static psc_err fault_body(void *arg, psc_test_alloc *alloc)
{
    (void)arg;
    sim_config c = base_config(3);
    c.peers = 40;
    c.conns = 8;
    c.streams = 3;
    c.topics = 2;
    c.churn = 200;
    c.allocator = &alloc->iface;
    sim_node *n = NULL;
    psc_err e = sim_node_new(&c, &n);
    if (e != PSC_OK)
        return e;
    for (unsigned t = 0; t < 60; t++) {
        sim_node_step(n);
        if (t % 20 == 19) {
            demo_view *v = NULL;
            if (demo_view_new(n, 1000u * t, &v) == PSC_OK) {
                sim_node_release_closed(n, v->close_upto);
                demo_view_free(v);
            }
        }
    }
    check_model(n);
    sim_node_free(n);
    return PSC_OK;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    uint64_t runs = psc_test_each_alloc_fails(fault_body, NULL, 5000);
    assert_true(runs > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_xor_and_cpl),
        cmocka_unit_test(test_routing_table),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_model_invariants),
        cmocka_unit_test(test_release_and_bounds),
        cmocka_unit_test(test_closed_once_across_views),
        cmocka_unit_test(test_churn_and_event_rate),
        cmocka_unit_test(test_small_and_empty),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

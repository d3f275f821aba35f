/*
 * Delta states: a delta from A to B, applied to A, gives B exactly (up to
 * the order of keyed lists), over a random walk through every section;
 * unchanged entities are not sent; repeated keys make the core refuse
 * (the endpoint then sends full states); memory failures are clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wire/state_apply.h"
#include "core_fixture.h"
#include "delta_world.h"
#include "core/msgpool.h"
#include "wire/msg.h"
#include "session/session.h"
#include "state_canon.h"
#include "../support/test_support.h"

static Peerscope__ServerMessage *decode(const psc_msg *m)
{
    Peerscope__ServerMessage *sm = NULL;
    assert_int_equal(psc_msg_decode(m, &sm), PSC_OK);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    return sm;
}

static size_t payload_len(const psc_msg *m)
{
    size_t n = 0;
    psc_msg_payload(m, &n);
    return n;
}

/* What the random walk's deltas carried, so that the walk is known to cover every kind of change. */
static struct seen {
    size_t conns, conns_gone, buckets, buckets_gone, topics, topics_gone, peers, peers_gone, scopes, scopes_gone;
    size_t no_dht, no_pubsub, extra_dht_only;
} seen;

static void count(const Peerscope__State *st)
{
    const Peerscope__Subsystems *s = st->subsystems;
    const Peerscope__StateDelta *d = st->delta;
    seen.conns += s->n_connections;
    seen.conns_gone += d->n_removed_connections;
    if (s->dht)
        seen.buckets += s->dht->n_buckets;
    else
        seen.no_dht++;
    for (size_t i = 0; i < s->n_additional_dhts; i++)
        seen.buckets += s->additional_dhts[i]->n_buckets;
    if (!s->dht && s->n_additional_dhts)
        seen.extra_dht_only++;
    for (size_t i = 0; i < d->n_removed_buckets; i++)
        seen.buckets_gone += d->removed_buckets[i]->n_cpls;
    if (s->pubsub)
        seen.topics += s->pubsub->n_topics;
    else
        seen.no_pubsub++;
    seen.topics_gone += d->n_removed_topics;
    seen.peers += s->peerstore ? s->peerstore->n_peers : 0;
    seen.peers_gone += d->n_removed_peers;
    seen.scopes += s->resource_manager ? s->resource_manager->n_scopes : 0;
    seen.scopes_gone += d->n_removed_scopes;
}

/* apply(decode(a), decode(d)) must equal decode(b) up to order. */
static void check_rebuild(psc_msg *a, psc_msg *b, psc_msg *d)
{
    Peerscope__ServerMessage *ma = decode(a), *mb = decode(b), *md = decode(d);
    count(md->state);
    assert_null(ma->state->delta);
    assert_null(mb->state->delta);
    assert_non_null(md->state->delta);
    assert_int_equal(md->state->delta->base_seq, ma->state->seq);
    assert_int_equal(md->state->seq, mb->state->seq);

    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(psc__state_apply(&psc__default_alloc, ma->state, md->state, &out, &len), PSC_OK);
    Peerscope__ServerMessage *mr = peerscope__server_message__unpack(NULL, len, out);
    assert_non_null(mr);
    assert_null(mr->state->delta);
    canon_assert_equal(mb->state, mr->state);

    peerscope__server_message__free_unpacked(mr, NULL);
    free(out);
    peerscope__server_message__free_unpacked(ma, NULL);
    peerscope__server_message__free_unpacked(mb, NULL);
    peerscope__server_message__free_unpacked(md, NULL);
}

static psc_msg *snap(psc_introspector *intro)
{
    psc_msg *m = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &m), PSC_OK);
    return m;
}

/* ------------------------------------------------------------ rebuilding */

static void test_random_walk(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        fake_clock fc = {1700000000000ull, 1};
        psc_introspector *intro = fixture_intro(&fc, NULL);
        world w;
        world_init(&w, seed);
        assert_int_equal(world_register(&w, intro), PSC_OK);
        psc_msg *a = snap(intro);
        for (int step = 0; step < 60; step++) {
            world_step(&w);
            fc.wall_ms += 1000;
            fc.mono_ns += 1000000000ull;
            psc_msg *b = snap(intro);
            psc_msg *d = NULL;
            assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_OK);
            check_rebuild(a, b, d);
            psc_msg_unref(d);
            psc_msg_unref(a);
            a = b;
        }
        psc_msg_unref(a);
        psc_introspector_free(intro);
    }
    assert_true(seen.conns && seen.conns_gone && seen.buckets && seen.buckets_gone && seen.topics &&
                seen.topics_gone && seen.peers && seen.peers_gone && seen.scopes && seen.scopes_gone);
    assert_true(seen.no_dht && seen.no_pubsub && seen.extra_dht_only);
}

/* Deltas skip a state in between: a delta is from any older state. */
static void test_skipping_states(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 99);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    psc_msg *mid = NULL;
    for (int i = 0; i < 5; i++) {
        world_step(&w);
        psc_msg_unref(mid);
        mid = snap(intro);
    }
    psc_msg *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, mid, &d), PSC_OK);
    check_rebuild(a, mid, d);
    psc_msg_unref(d);
    psc_msg_unref(mid);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* Nothing changed: the delta names no entity and is far smaller than the state. */
static void test_unchanged(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 7);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    psc_msg *b = snap(intro);
    psc_msg *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_OK);
    Peerscope__ServerMessage *md = decode(d);
    const Peerscope__Subsystems *s = md->state->subsystems;
    assert_non_null(s);
    assert_int_equal(s->n_connections, 0);
    assert_non_null(s->dht);
    assert_int_equal(s->dht->n_buckets, 0);
    assert_int_equal(s->n_additional_dhts, 1);
    assert_int_equal(s->additional_dhts[0]->n_buckets, 0);
    assert_non_null(s->pubsub);
    assert_int_equal(s->pubsub->n_topics, 0);
    assert_string_equal(s->pubsub->router, "gossipsub");
    assert_non_null(s->peerstore);
    assert_int_equal(s->peerstore->n_peers, 0);
    assert_non_null(s->resource_manager);
    assert_int_equal(s->resource_manager->n_scopes, 0);
    /* carried whole */
    assert_int_equal(s->n_transports, 2);
    assert_int_equal(s->n_custom, 1);
    assert_non_null(s->identify);
    assert_int_equal(md->state->delta->n_removed_connections, 0);
    assert_true(payload_len(d) * 10 < payload_len(b));
    peerscope__server_message__free_unpacked(md, NULL);
    check_rebuild(a, b, d);
    psc_msg_unref(d);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* One connection's counter moves: that connection alone is sent. */
static void test_only_changed_sent(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 11);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    w.conns[3].bytes += 5;
    w.dht[1].b[0].ages[0] = w.dht[1].b[0].n ? w.dht[1].b[0].ages[0] + 1 : 0;
    w.n_peers--; /* the last peer goes */
    psc_msg *b = snap(intro);
    psc_msg *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_OK);
    Peerscope__ServerMessage *md = decode(d);
    const Peerscope__Subsystems *s = md->state->subsystems;
    assert_int_equal(s->n_connections, 1);
    assert_int_equal(s->connections[0]->id.len, sizeof w.conns[3].id);
    assert_memory_equal(s->connections[0]->id.data, &w.conns[3].id, sizeof w.conns[3].id);
    assert_int_equal(s->connections[0]->traffic->traffic_in->cum_bytes, w.conns[3].bytes);
    assert_int_equal(s->dht->n_buckets, 0);
    assert_int_equal(s->additional_dhts[0]->n_buckets, w.dht[1].b[0].n ? 1 : 0);
    assert_int_equal(md->state->delta->n_removed_peers, 1);
    assert_string_equal(md->state->delta->removed_peers[0], w.peers[w.n_peers]);
    peerscope__server_message__free_unpacked(md, NULL);
    check_rebuild(a, b, d);
    psc_msg_unref(d);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* A vanished connection comes CLOSED once (changed), then as a removed id. */
static void test_closed_then_removed(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 5);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    uint32_t gone = w.conns[0].id;
    w.conns[0] = w.conns[--w.n_conns];
    psc_msg *b = snap(intro);
    psc_msg *c = snap(intro);
    psc_msg *d1 = NULL, *d2 = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d1), PSC_OK);
    assert_int_equal(psc_introspector_state_delta(intro, b, c, &d2), PSC_OK);
    Peerscope__ServerMessage *m1 = decode(d1), *m2 = decode(d2);
    assert_int_equal(m1->state->subsystems->n_connections, 1);
    assert_int_equal(m1->state->subsystems->connections[0]->status, PEERSCOPE__STATUS__CLOSED);
    assert_int_equal(m1->state->delta->n_removed_connections, 0);
    assert_int_equal(m2->state->subsystems->n_connections, 0);
    assert_int_equal(m2->state->delta->n_removed_connections, 1);
    assert_memory_equal(m2->state->delta->removed_connections[0].data, &gone, sizeof gone);
    peerscope__server_message__free_unpacked(m1, NULL);
    peerscope__server_message__free_unpacked(m2, NULL);
    check_rebuild(a, b, d1);
    check_rebuild(b, c, d2);
    psc_msg_unref(d1);
    psc_msg_unref(d2);
    psc_msg_unref(c);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ refusals */

static void test_repeated_keys_refused(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 3);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    w.dup_conn = true; /* the second swarm repeats a connection id of the first */
    psc_msg *b = snap(intro);
    psc_msg *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_ERR_UNSUPPORTED);
    assert_int_equal(psc_introspector_state_delta(intro, b, a, &d), PSC_ERR_UNSUPPORTED);
    assert_null(d);
    w.dup_conn = false;
    w.dup_topic = true;
    psc_msg *c = snap(intro);
    assert_int_equal(psc_introspector_state_delta(intro, a, c, &d), PSC_ERR_UNSUPPORTED);
    w.dup_topic = false;
    psc_msg *e = snap(intro);
    assert_int_equal(psc_introspector_state_delta(intro, a, e, &d), PSC_OK);
    /* a delta is not a base, nor is a runtime */
    psc_msg *d2 = NULL, *rt = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, d, e, &d2), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_runtime(intro, &rt), PSC_OK);
    assert_int_equal(psc_introspector_state_delta(intro, rt, e, &d2), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_state_delta(NULL, a, e, &d2), PSC_ERR_INVALID);
    assert_null(d2);
    psc_msg_unref(rt);
    psc_msg_unref(d);
    psc_msg_unref(e);
    psc_msg_unref(c);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

static void test_apply_refusals(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 8);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro), *b = snap(intro), *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_OK);
    Peerscope__ServerMessage *ma = decode(a), *mb = decode(b), *md = decode(d);
    uint8_t *out = NULL;
    size_t len = 0;
    /* based on another state */
    assert_int_equal(psc__state_apply(&psc__default_alloc, mb->state, md->state, &out, &len), PSC_ERR_STATE);
    /* a full state is no delta */
    assert_int_equal(psc__state_apply(&psc__default_alloc, ma->state, mb->state, &out, &len), PSC_ERR_INVALID);
    /* a delta is no base */
    md->state->delta->base_seq = md->state->seq;
    assert_int_equal(psc__state_apply(&psc__default_alloc, md->state, md->state, &out, &len), PSC_ERR_STATE);
    md->state->delta->base_seq = ma->state->seq;
    /* a delta that names a connection as both removed and sent breaks its rules */
    Peerscope__Subsystems *s = md->state->subsystems;
    Peerscope__Connection *c = mb->state->subsystems->connections[0];
    Peerscope__Connection *conns[1] = {c};
    ProtobufCBinaryData ids[1] = {c->id};
    Peerscope__Connection **old_conns = s->connections;
    size_t old_n = s->n_connections;
    s->connections = conns;
    s->n_connections = 1;
    md->state->delta->removed_connections = ids;
    md->state->delta->n_removed_connections = 1;
    assert_int_equal(psc__state_apply(&psc__default_alloc, ma->state, md->state, &out, &len), PSC_ERR_PROTOCOL);
    md->state->delta->removed_connections = NULL;
    md->state->delta->n_removed_connections = 0;
    s->connections = old_conns;
    s->n_connections = old_n;
    assert_null(out);
    peerscope__server_message__free_unpacked(ma, NULL);
    peerscope__server_message__free_unpacked(mb, NULL);
    peerscope__server_message__free_unpacked(md, NULL);
    psc_msg_unref(d);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------------ memory */

static psc_err delta_body(void *arg, psc_test_alloc *t)
{
    (void)arg;
    fake_clock fc = {1700000000000ull, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &t->iface;
    cfg.clock = &clk;
    /* everything up to the two snapshots must succeed for the delta to be tried */
    uint64_t fail_at = t->fail_at;
    t->fail_at = 0;
    psc_introspector *intro = NULL;
    psc_msg *a = NULL, *b = NULL, *d = NULL;
    world w;
    world_init(&w, 21);
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (!e)
        e = world_register(&w, intro);
    if (!e)
        e = psc_introspector_snapshot(intro, &a);
    world_step(&w);
    if (!e)
        e = psc_introspector_snapshot(intro, &b);
    assert_int_equal(e, PSC_OK);
    t->fail_at = fail_at ? t->calls + fail_at : 0;
    e = psc_introspector_state_delta(intro, a, b, &d);
    if (e == PSC_OK)
        assert_non_null(d);
    else
        assert_int_equal(e, PSC_ERR_NOMEM);
    t->fail_at = 0;
    psc_msg_unref(d);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
    return e;
}

static void test_delta_alloc_failures(void **state)
{
    (void)state;
    assert_true(psc_test_each_alloc_fails(delta_body, NULL, 200) > 1);
}

typedef struct apply_arg {
    Peerscope__State *base, *delta;
} apply_arg;

static psc_err apply_body(void *arg, psc_test_alloc *t)
{
    apply_arg *x = arg;
    psc__alloc a;
    psc__alloc_init(&a, &t->iface);
    uint8_t *out = NULL;
    size_t len = 0;
    psc_err e = psc__state_apply(&a, x->base, x->delta, &out, &len);
    if (e == PSC_OK)
        psc__free(&a, out);
    else
        assert_int_equal(e, PSC_ERR_NOMEM);
    return e;
}

static void test_apply_alloc_failures(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    world w;
    world_init(&w, 13);
    assert_int_equal(world_register(&w, intro), PSC_OK);
    psc_msg *a = snap(intro);
    for (int i = 0; i < 3; i++)
        world_step(&w);
    psc_msg *b = snap(intro), *d = NULL;
    assert_int_equal(psc_introspector_state_delta(intro, a, b, &d), PSC_OK);
    Peerscope__ServerMessage *ma = decode(a), *md = decode(d);
    apply_arg x = {ma->state, md->state};
    assert_true(psc_test_each_alloc_fails(apply_body, &x, 200) > 1);
    peerscope__server_message__free_unpacked(ma, NULL);
    peerscope__server_message__free_unpacked(md, NULL);
    psc_msg_unref(d);
    psc_msg_unref(b);
    psc_msg_unref(a);
    psc_introspector_free(intro);
}

/* Big message buffers come back to the pool and are reused; the pool
 * outlives its owner while blocks are out; a spare far too big is dropped. */
static void test_message_pool(void **state)
{
    (void)state;
    psc_test_alloc t;
    psc_test_alloc_init(&t);
    psc__alloc backing, pooled;
    psc__alloc_init(&backing, &t.iface);
    psc__msgpool *pool = NULL;
    assert_int_equal(psc__msgpool_new(&backing, &pool), PSC_OK);
    psc__msgpool_alloc(pool, &pooled);

    size_t big = PSC__MSGPOOL_MIN_BLOCK * 4;
    psc_msg *m = NULL;
    assert_int_equal(psc__msg_new(&pooled, PSC_MSG_STATE, big, &m), PSC_OK);
    memset(psc__msg_payload_mut(m), 0xab, big);
    psc__msg_seal(m);
    psc_msg_unref(m);
    psc__msgpool_stats st;
    psc__msgpool_get_stats(pool, &st);
    assert_int_equal(st.misses, 1);
    assert_true(st.spare_bytes >= big);

    /* about the same size again: no allocation at all */
    uint64_t calls = t.calls;
    assert_int_equal(psc__msg_new(&pooled, PSC_MSG_STATE, big - 100, &m), PSC_OK);
    assert_int_equal(t.calls, calls);
    psc__msgpool_get_stats(pool, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.spare_bytes, 0);

    /* small messages pass through */
    psc_msg *small = NULL;
    assert_int_equal(psc__msg_new(&pooled, PSC_MSG_EVENT, 100, &small), PSC_OK);
    assert_int_equal(t.calls, calls + 1);
    psc_msg_unref(small);

    /* the owner goes first; the message still frees into the pool, which then goes */
    psc__msgpool_release(pool);
    assert_true(t.live > 0);
    psc_msg_unref(m);
    assert_int_equal(t.live, 0);

    /* a spare much bigger than what is asked is dropped, not handed out */
    assert_int_equal(psc__msgpool_new(&backing, &pool), PSC_OK);
    psc__msgpool_alloc(pool, &pooled);
    assert_int_equal(psc__msg_new(&pooled, PSC_MSG_STATE, big * 4, &m), PSC_OK);
    psc_msg_unref(m);
    assert_int_equal(psc__msg_new(&pooled, PSC_MSG_STATE, big, &m), PSC_OK);
    psc__msgpool_get_stats(pool, &st);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.spare_bytes, 0);
    psc_msg_unref(m);
    psc__msgpool_release(pool);
    assert_int_equal(t.live, 0);

    /* allocation failure of the backing allocator is the pool's */
    t.fail_at = t.calls + 1;
    assert_int_equal(psc__msgpool_new(&backing, &pool), PSC_ERR_NOMEM);
    t.fail_at = 0;
    assert_int_equal(t.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_walk),
        cmocka_unit_test(test_skipping_states),
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_only_changed_sent),
        cmocka_unit_test(test_closed_then_removed),
        cmocka_unit_test(test_repeated_keys_refused),
        cmocka_unit_test(test_apply_refusals),
        cmocka_unit_test(test_delta_alloc_failures),
        cmocka_unit_test(test_apply_alloc_failures),
        cmocka_unit_test(test_message_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

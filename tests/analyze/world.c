#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    world *w = user;
    for (size_t i = 0; i < w->n_conns; i++) {
        w_conn *c = &w->conns[i];
        psc_connection pc = PSC_CONNECTION_INIT;
        pc.id = (const uint8_t *)c->id;
        pc.id_len = strlen(c->id);
        pc.peer_id = c->peer;
        pc.open_ts = c->open_ts;
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e != PSC_OK)
            return e;
        for (size_t j = 0; j < c->n_streams; j++) {
            char sid[24];
            snprintf(sid, sizeof sid, "s%zu", j);
            psc_stream s = PSC_STREAM_INIT;
            s.id = (const uint8_t *)sid;
            s.id_len = strlen(sid);
            s.protocol = c->streams[j].protocol;
            s.open_ts = c->streams[j].open_ts;
            s.traffic.in.bytes = c->streams[j].bytes;
            if ((e = psc_conn_add_stream(cb, &s)) != PSC_OK)
                return e;
        }
    }
    if (w->has_dialer)
        return psc_swarm_set_dialer(b, &w->dialer);
    return PSC_OK;
}

static psc_err dht_collect(void *user, psc_collect *ctx, psc_dht_builder *b)
{
    world *w = user;
    if (!w->has_dht)
        return PSC_OK;
    psc_dht d = PSC_DHT_INIT;
    d.protocol = "/ipfs/kad/1.0.0";
    d.enabled = true;
    d.outgoing = w->queries;
    psc_err e = psc_dht_set_info(b, &d);
    for (uint32_t cpl = 0; cpl < 8 && e == PSC_OK; cpl++) {
        if (!w->buckets[cpl]) {
            e = psc_dht_add_bucket(b, cpl);
            continue;
        }
        for (size_t i = 0; i < w->buckets[cpl] && e == PSC_OK; i++) {
            char id[32];
            snprintf(id, sizeof id, "dht-%u-%zu", cpl, i);
            psc_dht_peer p = PSC_DHT_PEER_INIT;
            p.peer_id = id;
            e = psc_dht_add_peer(b, cpl, &p);
        }
    }
    return e;
}

static psc_err pubsub_collect(void *user, psc_collect *ctx, psc_pubsub_builder *b)
{
    world *w = user;
    for (size_t i = 0; i < w->n_topics; i++) {
        psc_topic t = PSC_TOPIC_INIT;
        t.name = w->topics[i].name;
        t.subscribed = w->topics[i].subscribed;
        psc_topic_builder *tb;
        psc_err e = psc_pubsub_add_topic(b, &t, &tb);
        for (size_t j = 0; j < w->topics[i].mesh && e == PSC_OK; j++) {
            char id[32];
            snprintf(id, sizeof id, "mesh-%zu", j);
            psc_mesh_peer p = PSC_MESH_PEER_INIT;
            p.peer_id = id;
            p.score = w->topics[i].score;
            e = psc_topic_add_mesh_peer(tb, &p);
        }
        if (e != PSC_OK)
            return e;
    }
    return PSC_OK;
}

static psc_err rcmgr_collect(void *user, psc_collect *ctx, psc_rcmgr_builder *b)
{
    world *w = user;
    if (!w->has_scope)
        return PSC_OK;
    psc_resource_scope s = PSC_RESOURCE_SCOPE_INIT;
    s.kind = PSC_SCOPE_SYSTEM;
    s.usage = w->usage;
    s.limit = w->limit;
    return psc_rcmgr_add_scope(b, &s);
}

static psc_err flaky_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    world *w = user;
    if (w->fail_provider)
        return psc_collect_fail(ctx, "disk unplugged");
    return psc_custom_add_number(b, "ok", 1);
}

void w_init(world *w)
{
    memset(w, 0, sizeof *w);
    w->clock.wall_ms = 1700000000000ull;
    w->clock.mono_ns = 1;
    w->intro = fixture_intro(&w->clock, NULL);
    psc_swarm_provider sp = {sizeof sp, "swarm", swarm_collect, NULL};
    assert_int_equal(psc_register_swarm(w->intro, &sp, w, NULL), PSC_OK);
    psc_dht_provider dp = {sizeof dp, "dht", dht_collect, NULL};
    assert_int_equal(psc_register_dht(w->intro, &dp, w, NULL), PSC_OK);
    psc_pubsub_provider pp = {sizeof pp, "pubsub", pubsub_collect, NULL};
    assert_int_equal(psc_register_pubsub(w->intro, &pp, w, NULL), PSC_OK);
    psc_rcmgr_provider rp = {sizeof rp, "rcmgr", rcmgr_collect, NULL};
    assert_int_equal(psc_register_rcmgr(w->intro, &rp, w, NULL), PSC_OK);
    psc_custom_provider cp = {sizeof cp, "flaky", flaky_collect, NULL};
    assert_int_equal(psc_register_custom(w->intro, &cp, w, NULL), PSC_OK);
    assert_int_equal(psc_analyzer_new(w->intro, NULL, &w->an), PSC_OK);
    assert_int_equal(psc_event_reader_new(w->intro, true, &w->reader), PSC_OK);
}

void w_free(world *w)
{
    psc_event_reader_free(w->reader);
    psc_analyzer_free(w->an);
    psc_introspector_free(w->intro);
}

void w_advance(world *w, uint64_t ms)
{
    w->clock.wall_ms += ms;
    w->clock.mono_ns += ms * 1000000u;
}

size_t w_connect(world *w, const char *peer)
{
    assert_true(w->n_conns < W_MAX);
    w_conn *c = &w->conns[w->n_conns];
    memset(c, 0, sizeof *c);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    snprintf(c->id, sizeof c->id, "c%u", ++w->next_id);
    c->open_ts = w->clock.wall_ms;
    return w->n_conns++;
}

void w_disconnect(world *w, const char *peer)
{
    for (size_t i = 0; i < w->n_conns; i++)
        if (strcmp(w->conns[i].peer, peer) == 0) {
            w->conns[i] = w->conns[--w->n_conns];
            return;
        }
    fail_msg("no connection to %s", peer);
}

void w_add_stream(world *w, size_t conn, const char *protocol, uint64_t bytes)
{
    w_conn *c = &w->conns[conn];
    assert_true(c->n_streams < W_MAX);
    c->streams[c->n_streams++] = (w_stream){protocol, w->clock.wall_ms, bytes};
}

void w_close_streams(world *w, const char *protocol)
{
    for (size_t i = 0; i < w->n_conns; i++) {
        w_conn *c = &w->conns[i];
        size_t k = 0;
        for (size_t j = 0; j < c->n_streams; j++)
            if (strcmp(c->streams[j].protocol, protocol) != 0)
                c->streams[k++] = c->streams[j];
        c->n_streams = k;
    }
}

static void read_events(world *w)
{
    psc_event_record r;
    while (psc_event_reader_next(w->reader, &r, NULL) == PSC_OK) {
        const char *t = psc_event_type_name(r.type);
        bool f = strcmp(t, "AlertFiring") == 0, res = strcmp(t, "AlertResolved") == 0;
        if (f)
            w->firing++;
        if (res)
            w->resolved++;
        if (strcmp(t, "MilestoneReached") == 0)
            w->milestones++;
        if (f || res) {
            assert_int_equal(psc_event_prop_text(r.content, "subject", w->last_subject, sizeof w->last_subject),
                             PSC_OK);
            assert_int_equal(psc_event_prop_text(r.content, "rule", w->last_rule, sizeof w->last_rule), PSC_OK);
        }
    }
}

size_t w_snap(world *w)
{
    Peerscope__ServerMessage *m = fixture_snapshot(w->intro, NULL);
    Peerscope__State *st = fixture_state(m);
    size_t n = st->n_alerts;
    /* State.alerts agrees with the C list */
    assert_int_equal(psc_analyzer_alerts(w->an, NULL, NULL), n);
    peerscope__server_message__free_unpacked(m, NULL);
    read_events(w);
    return n;
}

void w_rules(world *w, const char *yaml)
{
    char err[256];
    psc_err e = psc_analyzer_load_rules_string(w->an, yaml, strlen(yaml), "test.yaml", err, sizeof err);
    if (e != PSC_OK)
        fail_msg("rules refused: %s (%s)", err, psc_strerror(e));
}

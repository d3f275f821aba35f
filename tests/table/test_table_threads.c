/*
 * The push table under concurrency (run again under ThreadSanitizer): host
 * threads open, update and close connections and streams, bump counters
 * and put and remove DHT peers, topics and peerstore entries, while this
 * thread takes snapshots as fast as it can. Every snapshot must be whole
 * (each connection either not there yet, open with its counters, or
 * closed), every closed connection reported CLOSED exactly once over all
 * snapshots, and the last snapshot exactly what the hosts left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core_fixture.h"

#define HOSTS 4
#define CONNS_PER_HOST 600
#define WAVE 25 /* a host waits for one more snapshot after this many connections */
#define BUMPS 20
#define BYTES_PER_BUMP 10

/* Snapshots taken so far: hosts pace themselves on it, so that changes and
 * snapshots overlap however fast either side is. */
static atomic_ulong snapshots_taken;

typedef struct host {
    psc_table *t;
    int index;
    atomic_int *running;
    psc_err err;            /* first failure, reported by the main thread */
} host;

static void conn_id(char *buf, size_t len, int host_i, int i)
{
    snprintf(buf, len, "h%d-c%d", host_i, i);
}

static void *host_main(void *arg)
{
    host *h = arg;
    char id[32], peer[48], sid[8];
    unsigned long seen = 0;
    for (int i = 0; i < CONNS_PER_HOST && !h->err; i++) {
        if (i % WAVE == 0) {
            while (atomic_load(&snapshots_taken) == seen)
                sched_yield();
            seen = atomic_load(&snapshots_taken);
        }
        conn_id(id, sizeof id, h->index, i);
        snprintf(peer, sizeof peer, "12D3KooWHost%dPeer%d", h->index, i);
        psc_connection c = PSC_CONNECTION_INIT;
        c.id = (const uint8_t *)id;
        c.id_len = strlen(id);
        c.peer_id = peer;
        c.status = PSC_STATUS_OPENING;
        psc_table_conn *hc;
        psc_err e = psc_table_conn_open(h->t, &c, &hc);
        psc_table_stream *hs[2] = {NULL, NULL};
        for (int k = 0; e == PSC_OK && k < 2; k++) {
            snprintf(sid, sizeof sid, "s%d", k);
            psc_stream s = PSC_STREAM_INIT;
            s.id = (const uint8_t *)sid;
            s.id_len = strlen(sid);
            s.protocol = k ? "/meshsub/1.1.0" : "/ipfs/kad/1.0.0";
            e = psc_table_stream_open(hc, &s, &hs[k]);
        }
        psc_counter *in, *sin;
        if (e == PSC_OK) {
            psc_table_conn_counters(hc, &in, NULL);
            psc_table_stream_counters(hs[0], &sin, NULL);
            c.status = PSC_STATUS_ACTIVE;
            c.id = NULL;
            e = psc_table_conn_update(hc, &c);
        }
        for (int b = 0; e == PSC_OK && b < BUMPS; b++) {
            psc_counter_add(in, BYTES_PER_BUMP);
            psc_counter_add(sin, BYTES_PER_BUMP);
        }
        if (e == PSC_OK)
            e = psc_table_stream_close(hs[1], PSC_STATUS_CLOSED, "done", 0);
        psc_dht_peer p = PSC_DHT_PEER_INIT;
        p.peer_id = peer;
        if (e == PSC_OK)
            e = psc_table_dht_peer_put(h->t, (uint32_t)(i % 16), &p);
        psc_mesh_peer m = PSC_MESH_PEER_INIT;
        m.peer_id = peer;
        char topic[16];
        snprintf(topic, sizeof topic, "topic-%d", h->index);
        if (e == PSC_OK)
            e = psc_table_topic_set_mesh(h->t, topic, &m, 1);
        psc_peer_info pi = PSC_PEER_INFO_INIT;
        pi.peer_id = peer;
        if (e == PSC_OK)
            e = psc_table_peer_put(h->t, &pi);
        /* sections made while snapshots walk them */
        char section[16];
        snprintf(section, sizeof section, "host-%d-%d", h->index, i / WAVE);
        if (e == PSC_OK)
            e = psc_table_custom_integer(h->t, section, "conns", i);
        psc_resource_scope rs = PSC_RESOURCE_SCOPE_INIT;
        rs.kind = PSC_SCOPE_PEER;
        rs.name = peer;
        if (e == PSC_OK)
            e = psc_table_scope_put(h->t, &rs);
        /* odd ones go away again; even ones stay */
        if (e == PSC_OK && i % 2) {
            e = psc_table_conn_close(hc, PSC_STATUS_CLOSED, "bye", 0);
            if (e == PSC_OK)
                e = psc_table_dht_peer_remove(h->t, peer);
            if (e == PSC_OK)
                e = psc_table_peer_remove(h->t, peer);
        }
        if (e != PSC_OK)
            h->err = e;
    }
    atomic_fetch_sub(h->running, 1);
    return NULL;
}

/* Closed reports seen so far, by connection (host, index). */
static int closed_seen[HOSTS][CONNS_PER_HOST];

static void check_snapshot(psc_introspector *intro, size_t *conns_out, size_t *dht_out, size_t *peers_out)
{
    psc_msg *m;
    Peerscope__ServerMessage *sm = fixture_snapshot(intro, &m);
    const Peerscope__Subsystems *ss = fixture_state(sm)->subsystems;
    size_t open = 0;
    for (size_t i = 0; i < ss->n_connections; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        int hi, ci;
        char id[32] = {0};
        assert_true(c->id.len < sizeof id);
        memcpy(id, c->id.data, c->id.len);
        assert_int_equal(sscanf(id, "h%d-c%d", &hi, &ci), 2);
        assert_true(hi >= 0 && hi < HOSTS && ci >= 0 && ci < CONNS_PER_HOST);
        /* whole: a counter only ever holds whole bumps, up to all of them */
        uint64_t bytes = c->traffic->traffic_in->cum_bytes;
        assert_int_equal(bytes % BYTES_PER_BUMP, 0);
        assert_true(bytes <= (uint64_t)BUMPS * BYTES_PER_BUMP);
        assert_true(c->streams->n_streams <= 2);
        if (c->status == PEERSCOPE__STATUS__CLOSED) {
            assert_true(ci % 2 == 1);
            assert_string_equal(c->close_reason, "bye");
            closed_seen[hi][ci]++;
            for (size_t k = 0; k < c->streams->n_streams; k++)
                assert_int_equal(c->streams->streams[k]->status, PEERSCOPE__STATUS__CLOSED);
        } else {
            assert_true(c->status == PEERSCOPE__STATUS__ACTIVE || c->status == PEERSCOPE__STATUS__OPENING);
            open++;
        }
    }
    *conns_out = open;
    size_t dht = 0;
    for (size_t b = 0; ss->dht && b < ss->dht->n_buckets; b++)
        dht += ss->dht->buckets[b]->n_peers;
    *dht_out = dht;
    *peers_out = ss->peerstore ? ss->peerstore->n_peers : 0;
    for (size_t i = 0; i < ss->n_custom; i++)
        assert_true(ss->custom[i]->n_values <= 1);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
}

static void test_hosts_and_snapshots(void **state)
{
    (void)state;
    fake_clock fc = {1700000000000ull, 1};
    psc_introspector *intro = fixture_intro(&fc, NULL);
    psc_table *t;
    assert_int_equal(psc_table_new(intro, NULL, &t), PSC_OK);
    atomic_int running = HOSTS;
    host hosts[HOSTS];
    pthread_t th[HOSTS];
    for (int i = 0; i < HOSTS; i++) {
        hosts[i] = (host){t, i, &running, PSC_OK};
        assert_int_equal(pthread_create(&th[i], NULL, host_main, &hosts[i]), 0);
    }
    size_t snapshots = 0, open, dht, peers;
    while (atomic_load(&running) > 0) {
        check_snapshot(intro, &open, &dht, &peers);
        snapshots++;
        atomic_fetch_add(&snapshots_taken, 1);
    }
    for (int i = 0; i < HOSTS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(hosts[i].err, PSC_OK);
    }
    /* Two more: the first applies the rest (and reports the last closes), the second shows the end state. */
    check_snapshot(intro, &open, &dht, &peers);
    check_snapshot(intro, &open, &dht, &peers);
    print_message("# %zu snapshots taken while the hosts ran\n", snapshots);
    assert_true(snapshots >= CONNS_PER_HOST / WAVE);
    assert_int_equal(open, HOSTS * CONNS_PER_HOST / 2);
    assert_int_equal(dht, HOSTS * CONNS_PER_HOST / 2);
    assert_int_equal(peers, HOSTS * CONNS_PER_HOST / 2);
    psc_msg *m;
    Peerscope__ServerMessage *last = fixture_snapshot(intro, &m);
    assert_int_equal(fixture_state(last)->subsystems->n_custom, HOSTS * (CONNS_PER_HOST / WAVE));
    assert_int_equal(fixture_state(last)->subsystems->resource_manager->n_scopes, HOSTS * CONNS_PER_HOST);
    peerscope__server_message__free_unpacked(last, NULL);
    psc_msg_unref(m);
    for (int h = 0; h < HOSTS; h++)
        for (int c = 0; c < CONNS_PER_HOST; c++)
            assert_int_equal(closed_seen[h][c], c % 2); /* once each, for the closed ones */

    psc_table_stats st = {.struct_size = sizeof st};
    assert_int_equal(psc_table_stats_get(t, &st), PSC_OK);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.connections, HOSTS * CONNS_PER_HOST / 2);
    assert_int_equal(st.streams, HOSTS * CONNS_PER_HOST / 2); /* one open stream each */
    assert_int_equal(st.rejected, 0);
    psc_table_free(t);
    psc_introspector_free(intro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_and_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

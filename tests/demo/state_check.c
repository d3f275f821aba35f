#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <peerscope/peerscope.h>

#include "state_check.h"

void state_kad_key(const char *peer_id, uint8_t key[32])
{
    uint8_t bin[PSC_PEERID_BIN_MAX];
    size_t len = 0;
    if (psc_peerid_parse(peer_id, bin, sizeof bin, &len) != PSC_OK)
        fail_msg("not a peer id: '%s'", peer_id);
    assert_int_equal(crypto_hash_sha256(key, bin, len), 0);
}

unsigned state_cpl(const uint8_t a[32], const uint8_t b[32])
{
    for (unsigned i = 0; i < 256; i++)
        if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1u)
            return i;
    return 256;
}

void state_tracker_init(state_tracker *t, const char *local_peer_id)
{
    memset(t, 0, sizeof *t);
    if (local_peer_id && *local_peer_id) {
        state_kad_key(local_peer_id, t->local_key);
        t->have_local = true;
    }
}

void state_tracker_free(state_tracker *t)
{
    free(t->closed_conns);
    free(t->closed_streams);
    memset(t, 0, sizeof *t);
}

static void check_peer(const char *what, const char *id)
{
    if (!id || !psc_peerid_is_valid(id))
        fail_msg("%s: invalid peer id '%s'", what, id ? id : "(null)");
}

static uint64_t id64(ProtobufCBinaryData b)
{
    if (b.len != 8)
        fail_msg("id of %zu bytes, the demo uses 8", b.len);
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | b.data[i];
    return v;
}

static bool has_u64(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool has_pair(const id_pair *v, size_t n, uint64_t c, uint64_t s)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].conn == c && v[i].stream == s)
            return true;
    return false;
}

static bool has_str(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static void push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *v = realloc(*v, *cap * sizeof **v);
        assert_non_null(*v);
    }
    (*v)[(*n)++] = x;
}

static void push_pair(state_tracker *t, uint64_t c, uint64_t s)
{
    if (t->n_closed_streams == t->cap_closed_streams) {
        t->cap_closed_streams = t->cap_closed_streams ? 2 * t->cap_closed_streams : 64;
        t->closed_streams = realloc(t->closed_streams, t->cap_closed_streams * sizeof *t->closed_streams);
        assert_non_null(t->closed_streams);
    }
    t->closed_streams[t->n_closed_streams++] = (id_pair){c, s};
}

/* Peers with an ACTIVE connection in this state. */
typedef struct peer_set {
    char **ids;
    size_t n;
} peer_set;

static void check_connections(state_tracker *t, const Peerscope__State *st, peer_set *active)
{
    const Peerscope__Subsystems *ss = st->subsystems;
    size_t n = ss->n_connections;
    uint64_t *ids = calloc(n ? n : 1, sizeof *ids);
    assert_non_null(ids);
    active->ids = calloc(n ? n : 1, sizeof *active->ids);
    assert_non_null(active->ids);
    size_t active_conns = 0, streams = 0;
    uint64_t *newly_closed = calloc(n ? n : 1, sizeof *newly_closed);
    size_t n_newly = 0;
    assert_non_null(newly_closed);
    for (size_t i = 0; i < n; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        uint64_t id = id64(c->id);
        if (has_u64(ids, i, id))
            fail_msg("connection %llu listed twice", (unsigned long long)id);
        ids[i] = id;
        check_peer("connection", c->peer_id);
        if (has_u64(t->closed_conns, t->n_closed_conns, id))
            fail_msg("connection %llu reported again after it was reported CLOSED", (unsigned long long)id);
        bool transport_known = false;
        for (size_t k = 0; k < ss->n_transports; k++)
            transport_known |= ss->transports[k]->id.len == c->transport_id.len &&
                               memcmp(ss->transports[k]->id.data, c->transport_id.data, c->transport_id.len) == 0;
        if (!transport_known)
            fail_msg("connection %llu: transport id not among the transports", (unsigned long long)id);
        assert_non_null(c->endpoints);
        assert_true(c->endpoints->dst_multiaddr[0] == '/');
        assert_non_null(c->timeline);
        assert_true(c->timeline->open_ts > 0);
        if (c->status == PEERSCOPE__STATUS__ACTIVE) {
            active->ids[active->n++] = c->peer_id;
            active_conns++;
            assert_true(c->timeline->upgraded_ts >= c->timeline->open_ts);
        }
        if (c->status == PEERSCOPE__STATUS__CLOSED) {
            newly_closed[n_newly++] = id;
            assert_true(c->timeline->close_ts >= c->timeline->open_ts);
            if (c->close_reason[0])
                t->closed_with_reason++;
        }
        if (c->relayed_over_case == PEERSCOPE__CONNECTION__RELAYED_OVER_CONN_ID)
            t->relayed_seen++;

        /* streams: listed in full, each once, the open ones counted */
        size_t open = 0;
        size_t ns = c->streams ? c->streams->n_streams : 0;
        uint64_t *sids = calloc(ns ? ns : 1, sizeof *sids);
        assert_non_null(sids);
        for (size_t j = 0; j < ns; j++) {
            const Peerscope__Stream *s = c->streams->streams[j];
            uint64_t sid = id64(s->id);
            if (has_u64(sids, j, sid))
                fail_msg("stream %llu of connection %llu listed twice", (unsigned long long)sid,
                         (unsigned long long)id);
            sids[j] = sid;
            if (has_pair(t->closed_streams, t->n_closed_streams, id, sid))
                fail_msg("stream %llu/%llu reported again after CLOSED", (unsigned long long)id,
                         (unsigned long long)sid);
            assert_true(s->protocol[0] == '/');
            if (s->status == PEERSCOPE__STATUS__CLOSED)
                push_pair(t, id, sid);
            else
                open++;
            if (c->status == PEERSCOPE__STATUS__CLOSED && s->status != PEERSCOPE__STATUS__CLOSED)
                fail_msg("open stream in closed connection %llu", (unsigned long long)id);
        }
        free(sids);
        if (c->stream_count != open)
            fail_msg("connection %llu: stream_count %u but %zu open streams listed", (unsigned long long)id,
                     c->stream_count, open);
        streams += open;
    }
    /* relayed connections point at a connection of the same state */
    for (size_t i = 0; i < n; i++) {
        const Peerscope__Connection *c = ss->connections[i];
        if (c->relayed_over_case != PEERSCOPE__CONNECTION__RELAYED_OVER_CONN_ID)
            continue;
        uint64_t rid = id64(c->conn_id);
        if (!has_u64(ids, n, rid))
            fail_msg("connection %llu relayed over %llu, which is not in the state", (unsigned long long)ids[i],
                     (unsigned long long)rid);
    }
    for (size_t i = 0; i < n_newly; i++)
        push_u64(&t->closed_conns, &t->n_closed_conns, &t->cap_closed_conns, newly_closed[i]);
    free(newly_closed);
    free(ids);
    if (active_conns > t->max_active_conns)
        t->max_active_conns = active_conns;
    if (streams > t->max_streams)
        t->max_streams = streams;
}

static void check_dht(state_tracker *t, const Peerscope__DHT *d)
{
    if (!d)
        return;
    assert_true(d->enabled);
    assert_non_null(d->params);
    uint64_t k = d->params->k;
    assert_true(k > 0);
    size_t members = 0;
    for (size_t b = 0; b < d->n_buckets; b++) {
        const Peerscope__DHT__Bucket *bk = d->buckets[b];
        size_t in_bucket = 0;
        for (size_t i = 0; i < bk->n_peers; i++) {
            const Peerscope__DHT__PeerInDHT *p = bk->peers[i];
            check_peer("dht", p->peer_id);
            if (t->have_local) {
                uint8_t key[32];
                state_kad_key(p->peer_id, key);
                unsigned cpl = state_cpl(t->local_key, key);
                if (cpl != bk->cpl)
                    fail_msg("DHT peer %s in bucket %u has cpl %u with the local key", p->peer_id, bk->cpl, cpl);
            }
            if (p->status == PEERSCOPE__DHT__PEER_IN_DHT__STATUS__ACTIVE ||
                p->status == PEERSCOPE__DHT__PEER_IN_DHT__STATUS__MISSING)
                in_bucket++;
        }
        if (in_bucket > k)
            fail_msg("bucket %u holds %zu peers, k is %llu", bk->cpl, in_bucket, (unsigned long long)k);
        members += in_bucket;
    }
    if (members > t->max_dht_members)
        t->max_dht_members = members;
}

static void check_pubsub(state_tracker *t, const Peerscope__PubSub *ps, const peer_set *active)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n_topics; i++) {
        const Peerscope__PubSub__Topic *tp = ps->topics[i];
        assert_true(tp->name[0] != 0);
        for (size_t j = 0; j < tp->n_mesh_peers; j++) {
            const char *id = tp->mesh_peers[j]->peer_id;
            check_peer("mesh", id);
            if (!has_str(active->ids, active->n, id))
                fail_msg("mesh peer %s of %s has no ACTIVE connection", id, tp->name);
        }
        for (size_t j = 0; j < tp->n_fanout_peers; j++) {
            check_peer("fanout", tp->fanout_peers[j]);
            if (!has_str(active->ids, active->n, tp->fanout_peers[j]))
                fail_msg("fanout peer %s of %s has no ACTIVE connection", tp->fanout_peers[j], tp->name);
        }
        if (tp->n_mesh_peers > t->max_mesh)
            t->max_mesh = tp->n_mesh_peers;
    }
}

static void check_peerstore(state_tracker *t, const Peerscope__Peerstore *ps, const peer_set *active)
{
    assert_non_null(ps);
    char **ids = calloc(ps->n_peers ? ps->n_peers : 1, sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < ps->n_peers; i++) {
        const Peerscope__Peerstore__Peer *p = ps->peers[i];
        check_peer("peerstore", p->peer_id);
        assert_true(p->n_multiaddrs > 0);
        assert_true(p->agent_version[0] != 0);
        ids[i] = p->peer_id;
    }
    for (size_t i = 0; i < active->n; i++)
        if (!has_str(ids, ps->n_peers, active->ids[i]))
            fail_msg("connected peer %s missing from the peerstore", active->ids[i]);
    free(ids);
    if (ps->n_peers > t->max_peerstore)
        t->max_peerstore = ps->n_peers;
}

static void check_misc(const Peerscope__Subsystems *ss)
{
    if (ss->dialer)
        for (size_t i = 0; i < ss->dialer->n_dials; i++)
            check_peer("dial", ss->dialer->dials[i]->peer_id);
    if (ss->ping)
        for (size_t i = 0; i < ss->ping->n_peers; i++)
            check_peer("ping", ss->ping->peers[i]->peer_id);
    if (ss->resource_manager) {
        bool system = false;
        for (size_t i = 0; i < ss->resource_manager->n_scopes; i++) {
            const Peerscope__ResourceManager__Scope *s = ss->resource_manager->scopes[i];
            if (s->kind == PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__PEER)
                check_peer("peer scope", s->name);
            system |= s->kind == PEERSCOPE__RESOURCE_MANAGER__SCOPE_KIND__SYSTEM;
        }
        assert_true(system);
    }
}

void state_tracker_check(state_tracker *t, const Peerscope__State *st)
{
    assert_non_null(st);
    assert_non_null(st->subsystems);
    if (st->n_provider_errors)
        fail_msg("provider %s failed: %s", st->provider_errors[0]->provider, st->provider_errors[0]->error);
    if (t->states) {
        assert_true(st->seq > t->last_seq);
        assert_true(st->instant_ts >= t->last_instant_ts);
    }
    t->last_seq = st->seq;
    t->last_instant_ts = st->instant_ts;
    peer_set active = {0};
    check_connections(t, st, &active);
    check_dht(t, st->subsystems->dht);
    check_pubsub(t, st->subsystems->pubsub, &active);
    check_peerstore(t, st->subsystems->peerstore, &active);
    check_misc(st->subsystems);
    free(active.ids);
    t->states++;
}

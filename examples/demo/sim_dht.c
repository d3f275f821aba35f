/*
 * The Kademlia routing table and the queries that feed it.
 *
 * Buckets are indexed by the common prefix length of a peer's key with
 * the local key (real SHA-256 keys, real XOR distances). A bucket holds at
 * most k members (ACTIVE, or MISSING after unanswered requests), a small
 * replacement cache (CANDIDATE) and a few recently REJECTED peers (they
 * do not speak the protocol). Lookups walk the simulated network: every
 * peer that answers returns peers closer to the target than itself, so
 * they converge the way a real iterative lookup does.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SHORTLIST_MAX 40u
#define MAX_STEPS 10u
#define EVICT_AFTER_FAILS 3u
#define REJECTED_KEEP_TICKS 600u
#define REFRESH_EVERY_TICKS 600u
#define REQUEST_TIMEOUT_MS 1000u

static uint64_t prefix64(const uint8_t b[KAD_KEY_LEN])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

psc_err sim_dht_init(sim_node *n)
{
    sim_dht *d = sim_alloc(n, sizeof *d);
    if (!d)
        return PSC_ERR_NOMEM;
    memset(d, 0, sizeof *d);
    n->dht = d;
    d->rank = sim_alloc(n, (size_t)n->n_peers * sizeof *d->rank);
    d->pos = sim_alloc(n, (size_t)n->n_peers * sizeof *d->pos);
    d->key64 = sim_alloc(n, (size_t)n->n_peers * sizeof *d->key64);
    if (!d->rank || !d->pos || !d->key64)
        return PSC_ERR_NOMEM;
    for (uint32_t i = 0; i < n->n_peers; i++)
        d->key64[i] = prefix64(n->peers[i].key);
    d->start_ms = sim_node_now_ms(n);
    d->next_query_id = 1;
    d->next_boot_tick = 10;
    d->next_refresh_tick = REFRESH_EVERY_TICKS;
    return PSC_OK;
}

void sim_dht_free(sim_node *n)
{
    if (!n->dht)
        return;
    sim_free(n, n->dht->rank);
    sim_free(n, n->dht->pos);
    sim_free(n, n->dht->key64);
    sim_free(n, n->dht);
    n->dht = NULL;
}

/* ----------------------------------------------------------- table */

static sim_bucket *bucket_of(sim_node *n, uint32_t peer)
{
    unsigned cpl = kad_cpl(n->local_key, n->peers[peer].key);
    return &n->dht->buckets[cpl];
}

static int find_entry(const sim_rt_entry *v, uint8_t count, uint32_t peer)
{
    for (uint8_t i = 0; i < count; i++)
        if (v[i].peer == peer)
            return i;
    return -1;
}

static void remove_entry(sim_rt_entry *v, uint8_t *count, int i)
{
    memmove(&v[i], &v[i + 1], (size_t)(*count - i - 1) * sizeof *v);
    (*count)--;
}

static void add_member(sim_node *n, sim_bucket *b, uint32_t peer)
{
    sim_rt_entry *e = &b->members[b->n_members++];
    e->peer = peer;
    e->status = PSC_DHT_PEER_ACTIVE;
    e->fails = 0;
    e->added_tick = n->tick;
    n->peers[peer].in_rt = true;
}

static void remove_member(sim_node *n, sim_bucket *b, int i)
{
    n->peers[b->members[i].peer].in_rt = false;
    remove_entry(b->members, &b->n_members, i);
    /* the oldest candidate takes the free slot */
    if (b->n_cands > 0 && b->n_members < SIM_K) {
        uint32_t peer = b->cands[0].peer;
        remove_entry(b->cands, &b->n_cands, 0);
        add_member(n, b, peer);
    }
}

static void reject(sim_node *n, uint32_t peer)
{
    sim_bucket *b = bucket_of(n, peer);
    int i = find_entry(b->members, b->n_members, peer);
    if (i >= 0)
        remove_member(n, b, i);
    i = find_entry(b->cands, b->n_cands, peer);
    if (i >= 0)
        remove_entry(b->cands, &b->n_cands, i);
    if (find_entry(b->rejected, b->n_rejected, peer) >= 0)
        return;
    if (b->n_rejected == SIM_REJECTED)
        remove_entry(b->rejected, &b->n_rejected, 0);
    sim_rt_entry *e = &b->rejected[b->n_rejected++];
    e->peer = peer;
    e->status = PSC_DHT_PEER_REJECTED;
    e->fails = 0;
    e->added_tick = n->tick;
}

/* The peer answered a DHT request, or connected to us and speaks the DHT. */
static void consider(sim_node *n, uint32_t peer)
{
    if (!sim_peer_speaks(&n->peers[peer], SIM_P_KAD)) {
        reject(n, peer);
        return;
    }
    sim_bucket *b = bucket_of(n, peer);
    int i = find_entry(b->members, b->n_members, peer);
    if (i >= 0) {
        b->members[i].status = PSC_DHT_PEER_ACTIVE;
        b->members[i].fails = 0;
        return;
    }
    i = find_entry(b->rejected, b->n_rejected, peer);
    if (i >= 0)
        remove_entry(b->rejected, &b->n_rejected, i);
    i = find_entry(b->cands, b->n_cands, peer);
    if (b->n_members < SIM_K) {
        if (i >= 0)
            remove_entry(b->cands, &b->n_cands, i);
        add_member(n, b, peer);
        return;
    }
    /* a full bucket makes room only by evicting a member that stopped answering */
    for (int m = 0; m < b->n_members; m++) {
        if (b->members[m].status == PSC_DHT_PEER_MISSING) {
            n->peers[b->members[m].peer].in_rt = false;
            remove_entry(b->members, &b->n_members, m);
            if (i >= 0)
                remove_entry(b->cands, &b->n_cands, i);
            add_member(n, b, peer);
            return;
        }
    }
    if (i >= 0)
        return;
    if (b->n_cands == SIM_CANDIDATES)
        remove_entry(b->cands, &b->n_cands, 0);
    sim_rt_entry *e = &b->cands[b->n_cands++];
    e->peer = peer;
    e->status = PSC_DHT_PEER_CANDIDATE;
    e->fails = 0;
    e->added_tick = n->tick;
}

/* The peer did not answer a request. */
static void unanswered(sim_node *n, uint32_t peer)
{
    sim_bucket *b = bucket_of(n, peer);
    int i = find_entry(b->members, b->n_members, peer);
    if (i < 0) {
        i = find_entry(b->cands, b->n_cands, peer);
        if (i >= 0)
            remove_entry(b->cands, &b->n_cands, i);
        return;
    }
    sim_rt_entry *e = &b->members[i];
    e->status = PSC_DHT_PEER_MISSING;
    if (++e->fails >= EVICT_AFTER_FAILS)
        remove_member(n, b, i);
}

static bool is_missing(sim_node *n, uint32_t peer)
{
    sim_bucket *b = bucket_of(n, peer);
    int i = find_entry(b->members, b->n_members, peer);
    return i >= 0 && b->members[i].status == PSC_DHT_PEER_MISSING;
}

void sim_dht_peer_connected(sim_node *n, uint32_t peer)
{
    consider(n, peer);
}

size_t sim_dht_table_size(const sim_node *n)
{
    size_t k = 0;
    for (unsigned c = 0; c <= KAD_MAX_CPL; c++)
        k += n->dht->buckets[c].n_members;
    return k;
}

/* ---------------------------------------------------------- lookups */

/* qsort has no context argument: the lookup in progress on this thread
 * tells the comparator what to break 64-bit ties with. */
static _Thread_local const sim_node *cmp_node;
static _Thread_local const uint8_t *cmp_target;

static int cmp_rank(const void *a, const void *b)
{
    const sim_rank *x = a, *y = b;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    int c = kad_cmp(cmp_target, cmp_node->peers[x->peer].key, cmp_node->peers[y->peer].key);
    if (c)
        return c;
    return x->peer < y->peer ? -1 : x->peer > y->peer;
}

/* Order the peers closest to key by distance: d->rank[0] is the closest
 * peer of the whole simulated network (a real node cannot know this; the
 * simulation uses it to know what each contacted peer would answer). Only
 * the peers at least as close as the first `want` routing-table members
 * are ranked: a lookup starts from those members and only ever moves
 * closer. *n_members receives the number of members (in d->members, by
 * distance); nothing is ranked when the table is empty. */
static void rank_closest(sim_node *n, const uint8_t key[KAD_KEY_LEN], size_t want, size_t *n_members)
{
    sim_dht *d = n->dht;
    uint64_t key_hi = prefix64(key);
    cmp_node = n;
    cmp_target = key;
    size_t nm = 0;
    for (unsigned c = 0; c <= KAD_MAX_CPL; c++) {
        const sim_bucket *b = &d->buckets[c];
        for (uint8_t i = 0; i < b->n_members; i++) {
            sim_rank *m = &d->members[nm++];
            m->peer = b->members[i].peer;
            m->hi = d->key64[m->peer] ^ key_hi;
        }
    }
    *n_members = nm;
    if (!nm)
        return;
    qsort(d->members, nm, sizeof *d->members, cmp_rank);
    uint64_t bound = d->members[(nm < want ? nm : want) - 1].hi;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n->n_peers; i++) {
        uint64_t hi = d->key64[i] ^ key_hi;
        if (hi > bound)
            continue;
        d->rank[m].peer = i;
        d->rank[m].hi = hi;
        m++;
    }
    qsort(d->rank, m, sizeof *d->rank, cmp_rank);
    for (uint32_t j = 0; j < m; j++)
        d->pos[d->rank[j].peer] = j;
}

typedef struct shortlist {
    uint32_t pos[SHORTLIST_MAX]; /* ascending: closest first */
    bool asked[SHORTLIST_MAX];
    size_t len;
} shortlist;

static void sl_insert(shortlist *sl, uint32_t pos)
{
    size_t i = 0;
    while (i < sl->len && sl->pos[i] < pos)
        i++;
    if (i < sl->len && sl->pos[i] == pos)
        return;
    if (i >= SHORTLIST_MAX)
        return;
    size_t keep = sl->len < SHORTLIST_MAX ? sl->len : SHORTLIST_MAX - 1;
    memmove(&sl->pos[i + 1], &sl->pos[i], (keep - i) * sizeof sl->pos[0]);
    memmove(&sl->asked[i + 1], &sl->asked[i], (keep - i) * sizeof sl->asked[0]);
    sl->pos[i] = pos;
    sl->asked[i] = false;
    sl->len = keep + 1;
}

/* A lookup ends once the beta closest peers it knows have all been asked
 * (libp2p's termination rule), or after MAX_STEPS. */
static bool sl_closest_asked(const shortlist *sl)
{
    size_t lim = sl->len < SIM_BETA ? sl->len : SIM_BETA;
    for (size_t i = 0; i < lim; i++)
        if (!sl->asked[i])
            return false;
    return true;
}

static void finish_query(sim_node *n, sim_query *q, psc_query_counts *counts)
{
    if (strcmp(q->result, "success") == 0)
        counts->success++;
    else if (strcmp(q->result, "timeout") == 0)
        counts->timeout++;
    else
        counts->error++;
    sim_event ev = {.kind = SIM_EV_DHT_QUERY, .query = q};
    sim_emit(n, &ev);
}

void sim_dht_outbound_query(sim_node *n, const char *type, const char *trigger, uint32_t target)
{
    sim_dht *d = n->dht;
    sim_rng *r = &n->rng_dht;
    const uint8_t *tkey = target == UINT32_MAX ? n->local_key : n->peers[target].key;
    size_t n_members = 0;
    rank_closest(n, tkey, SHORTLIST_MAX, &n_members);

    sim_query q;
    memset(&q, 0, sizeof q);
    q.id = d->next_query_id++;
    q.type = type;
    q.trigger = trigger;
    q.target = target;

    shortlist sl = {.len = 0};
    for (size_t i = 0; i < n_members && i < SHORTLIST_MAX; i++)
        sl_insert(&sl, d->pos[d->members[i].peer]);
    if (sl.len == 0) {
        q.result = "error";
        finish_query(n, &q, &d->outgoing);
        return;
    }

    unsigned responded = 0;
    while (q.steps < MAX_STEPS && !sl_closest_asked(&sl)) {
        uint32_t batch[SIM_ALPHA];
        size_t nb = 0;
        for (size_t i = 0; i < sl.len && i < SIM_K && nb < SIM_ALPHA; i++) {
            if (!sl.asked[i]) {
                sl.asked[i] = true;
                batch[nb++] = sl.pos[i];
            }
        }
        q.steps++;
        uint32_t step_ms = 0;
        for (size_t k = 0; k < nb; k++) {
            uint32_t pos = batch[k];
            uint32_t peer = d->rank[pos].peer;
            const sim_peer *p = &n->peers[peer];
            if (q.n_contacted < SIM_QUERY_MAX_CONTACTS)
                q.contacted[q.n_contacted++] = peer;
            uint32_t rtt_ms = p->rtt_us / 1000u + 1u;
            if (!sim_peer_speaks(p, SIM_P_KAD)) {
                reject(n, peer);
                step_ms = step_ms > rtt_ms ? step_ms : rtt_ms;
                continue;
            }
            if (sim_rng_chance(r, is_missing(n, peer) ? 0.5 : 0.06)) {
                unanswered(n, peer);
                step_ms = step_ms > REQUEST_TIMEOUT_MS ? step_ms : REQUEST_TIMEOUT_MS;
                continue;
            }
            responded++;
            consider(n, peer);
            sim_peer_seen(n, peer);
            uint32_t t = rtt_ms + (uint32_t)sim_rng_range(r, 1, rtt_ms + 5);
            step_ms = step_ms > t ? step_ms : t;
            /* the answer: peers closer to the target than the one asked */
            for (int j = 0; j < 4 && pos > 0; j++) {
                double u = sim_rng_unit(r);
                uint32_t np = (uint32_t)((double)pos * u * u);
                sl_insert(&sl, np);
                sim_peer_seen(n, d->rank[np].peer);
            }
        }
        q.time_ms += step_ms;
    }

    if (responded == 0 || sim_rng_chance(r, 0.03))
        q.result = "timeout";
    else if (sim_rng_chance(r, 0.03))
        q.result = "error";
    else
        q.result = "success";
    finish_query(n, &q, &d->outgoing);
}

void sim_dht_inbound_query(sim_node *n)
{
    sim_dht *d = n->dht;
    sim_rng *r = &n->rng_dht;
    size_t cands = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        const sim_conn *c = n->conns[i];
        cands += c->status == PSC_STATUS_ACTIVE && sim_peer_speaks(&n->peers[c->peer], SIM_P_KAD);
    }
    if (!cands)
        return;
    size_t pick = (size_t)sim_rng_below(r, cands);
    uint32_t requester = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        const sim_conn *c = n->conns[i];
        if (c->status == PSC_STATUS_ACTIVE && sim_peer_speaks(&n->peers[c->peer], SIM_P_KAD) && pick-- == 0) {
            requester = c->peer;
            break;
        }
    }
    static const char *const types[] = {"FIND_NODE", "FIND_NODE", "GET_PROVIDERS", "GET_PROVIDERS",
                                        "GET_VALUE", "PUT_VALUE", "ADD_PROVIDER"};
    sim_query q;
    memset(&q, 0, sizeof q);
    q.id = d->next_query_id++;
    q.inbound = true;
    q.type = types[sim_rng_below(r, sizeof types / sizeof types[0])];
    q.trigger = "remote";
    q.target = (uint32_t)sim_rng_below(r, n->n_peers);
    q.steps = 1;
    q.time_ms = (uint32_t)sim_rng_range(r, 1, 12);
    q.contacted[q.n_contacted++] = requester;
    double x = sim_rng_unit(r);
    q.result = x < 0.97 ? "success" : x < 0.99 ? "error" : "timeout";
    /* DHT servers that query us are worth a slot in the table */
    consider(n, requester);
    finish_query(n, &q, &d->incoming);
}

/* -------------------------------------------------------------- step */

static void expire_rejected(sim_node *n)
{
    for (unsigned c = 0; c <= KAD_MAX_CPL; c++) {
        sim_bucket *b = &n->dht->buckets[c];
        while (b->n_rejected && b->rejected[0].added_tick + REJECTED_KEEP_TICKS < n->tick)
            remove_entry(b->rejected, &b->n_rejected, 0);
    }
}

void sim_dht_step(sim_node *n)
{
    sim_dht *d = n->dht;
    /* bootstrap: three self-lookups once the table has someone to ask */
    if (d->boot_rounds < 3 && n->tick >= d->next_boot_tick && sim_dht_table_size(n) > 0) {
        d->boot_rounds++;
        d->next_boot_tick = n->tick + 20 * d->boot_rounds;
        sim_dht_outbound_query(n, "FIND_NODE", "bootstrap", UINT32_MAX);
    }
    if (n->tick >= d->next_refresh_tick) {
        d->next_refresh_tick = n->tick + REFRESH_EVERY_TICKS;
        sim_dht_outbound_query(n, "FIND_NODE", "refresh", (uint32_t)sim_rng_below(&n->rng_dht, n->n_peers));
    }
    if (n->tick % 10 == 0)
        expire_rejected(n);
}

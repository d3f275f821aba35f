#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sim.h"
#include "sim_limits.h"

/* Timestamps without a wall clock start here (2024-01-01), so that tests
 * see plausible, reproducible times. */
#define SIM_FIXED_EPOCH_MS 1704067200000u

void *sim_alloc(const sim_node *n, size_t size)
{
    const psc_allocator *a = n->cfg.allocator;
    return a ? a->alloc(a->user, size) : malloc(size);
}

void sim_free(const sim_node *n, void *p)
{
    const psc_allocator *a = n->cfg.allocator;
    if (a)
        a->free(a->user, p);
    else
        free(p);
}

bool sim_grow(const sim_node *n, void **arr, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return false;
    /* psc_allocator has no realloc */
    void *p = sim_alloc(n, ncap * elem);
    if (!p)
        return false;
    if (*arr && *cap)
        memcpy(p, *arr, *cap * elem);
    sim_free(n, *arr);
    *arr = p;
    *cap = ncap;
    return true;
}

void sim_emit(sim_node *n, const sim_event *ev)
{
    if (n->cfg.on_event)
        n->cfg.on_event(n->cfg.event_user, n, ev);
}

uint64_t sim_node_now_ms(const sim_node *n)
{
    if (n->cfg.now_ms)
        return n->cfg.now_ms(n->cfg.clock_user);
    return SIM_FIXED_EPOCH_MS + (uint64_t)n->tick * n->cfg.tick_ms;
}

uint64_t sim_ms_since(const sim_node *n, uint64_t then)
{
    uint64_t now = sim_node_now_ms(n);
    return now > then ? now - then : 0;
}

static bool config_valid(const sim_config *c)
{
    if (c->peers < 1 || c->peers > SIM_MAX_PEERS)
        return false;
    if (c->conns > c->peers || c->conns > SIM_MAX_CONNS)
        return false;
    if (c->streams > SIM_MAX_STREAMS || c->topics > SIM_MAX_TOPICS)
        return false;
    if (!isfinite(c->churn) || c->churn < 0 || c->churn > SIM_MAX_CHURN)
        return false;
    if (!isfinite(c->event_rate) || c->event_rate < 0 || c->event_rate > SIM_MAX_EVENT_RATE)
        return false;
    if (c->tick_ms > 60000)
        return false;
    if (c->allocator && (!c->allocator->alloc || !c->allocator->free))
        return false;
    return true;
}

psc_err sim_node_new(const sim_config *cfg, sim_node **out)
{
    if (!cfg || !out || !config_valid(cfg))
        return PSC_ERR_INVALID;
    if (sodium_init() < 0)
        return PSC_ERR_STATE;
    sim_node tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.cfg = *cfg;
    if (!tmp.cfg.tick_ms)
        tmp.cfg.tick_ms = 100;
    sim_node *n = sim_alloc(&tmp, sizeof *n);
    if (!n)
        return PSC_ERR_NOMEM;
    *n = tmp;

    uint64_t seed = cfg->seed;
    sim_rng_seed(&n->rng_conns, seed, "conns");
    sim_rng_seed(&n->rng_streams, seed, "streams");
    sim_rng_seed(&n->rng_dht, seed, "dht");
    sim_rng_seed(&n->rng_pubsub, seed, "pubsub");
    sim_rng_seed(&n->rng_events, seed, "events");
    sim_rng_seed(&n->rng_chain, seed, "chain");
    n->next_conn_id = 1;
    n->start_ms = sim_node_now_ms(n);
    n->dialer = (psc_dialer)PSC_DIALER_INIT;
    n->identify = (psc_identify)PSC_IDENTIFY_INIT;
    n->relay = (psc_relay)PSC_RELAY_INIT;

    psc_err e = sim_peers_init(n);
    if (e == PSC_OK)
        e = sim_dht_init(n);
    if (e == PSC_OK)
        e = sim_pubsub_init(n);
    if (e != PSC_OK) {
        sim_node_free(n);
        return e;
    }
    sim_chain_init(n);
    *out = n;
    return PSC_OK;
}

void sim_node_free(sim_node *n)
{
    if (!n)
        return;
    sim_conns_free(n);
    sim_dht_free(n);
    sim_pubsub_free(n);
    sim_free(n, n->peers);
    sim_free(n, n);
}

/* Events that the budget (--event-rate) pays for. */
static void spend_event_budget(sim_node *n)
{
    n->event_acc += n->cfg.event_rate * (double)n->cfg.tick_ms / 1000.0;
    unsigned budget = 0;
    while (n->event_acc >= 1.0 && budget < SIM_MAX_EVENTS_PER_TICK) {
        n->event_acc -= 1.0;
        budget++;
        double r = sim_rng_unit(&n->rng_events);
        if (r < 0.35) {
            sim_dht_inbound_query(n);
        } else if (r < 0.6) {
            static const char *const types[] = {"GET_PROVIDERS", "FIND_NODE", "GET_VALUE", "PUT_VALUE",
                                                "ADD_PROVIDER"};
            const char *type = types[sim_rng_below(&n->rng_events, 5)];
            uint32_t target = (uint32_t)sim_rng_below(&n->rng_events, n->n_peers);
            sim_dht_outbound_query(n, type, "api", target);
        } else {
            sim_pubsub_sample_message(n);
        }
    }
    /* a budget larger than the cap is dropped rather than carried forever */
    if (n->event_acc >= 1.0)
        n->event_acc = 0;
}

static void purge_unreported(sim_node *n)
{
    /* Nobody took a snapshot for a long time: forget old closes so an
     * unwatched node stays bounded. Order is kept (stable compaction) so
     * that later random picks do not depend on when snapshots happened. */
    uint32_t horizon = n->tick > SIM_CLOSED_KEEP_TICKS ? n->tick - SIM_CLOSED_KEEP_TICKS : 0;
    size_t w = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        sim_conn *c = n->conns[i];
        if (c->status == PSC_STATUS_CLOSED && c->close_tick < horizon) {
            for (size_t j = 0; j < c->n_streams; j++)
                sim_free(n, c->streams[j]);
            sim_free(n, c->streams);
            sim_free(n, c);
            continue;
        }
        size_t ws = 0;
        for (size_t j = 0; j < c->n_streams; j++) {
            sim_stream *s = c->streams[j];
            if (s->status == PSC_STATUS_CLOSED && s->close_tick < horizon) {
                sim_free(n, s);
                continue;
            }
            c->streams[ws++] = s;
        }
        c->n_streams = ws;
        n->conns[w++] = c;
    }
    n->n_conns = w;
}

void sim_node_release_closed(sim_node *n, uint64_t upto)
{
    size_t w = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        sim_conn *c = n->conns[i];
        if (c->status == PSC_STATUS_CLOSED && c->close_seq <= upto) {
            for (size_t j = 0; j < c->n_streams; j++)
                sim_free(n, c->streams[j]);
            sim_free(n, c->streams);
            sim_free(n, c);
            continue;
        }
        size_t ws = 0;
        for (size_t j = 0; j < c->n_streams; j++) {
            sim_stream *s = c->streams[j];
            /* The connection may have closed since the view was taken (the
             * simulation does not wait for snapshots): its streams that
             * were reported go now all the same, or they would be
             * reported CLOSED a second time with the connection. */
            if (s->status == PSC_STATUS_CLOSED && s->close_seq <= upto) {
                sim_free(n, s);
                continue;
            }
            c->streams[ws++] = s;
        }
        c->n_streams = ws;
        n->conns[w++] = c;
    }
    n->n_conns = w;
}

void sim_node_step(sim_node *n)
{
    n->tick++;
    if (n->tick == 1) {
        sim_event ev = {.kind = SIM_EV_IDENTITY};
        sim_emit(n, &ev);
    }
    sim_conns_step(n);
    sim_dht_step(n);
    sim_pubsub_step(n);
    sim_chain_step(n);
    spend_event_budget(n);
    purge_unreported(n);
}

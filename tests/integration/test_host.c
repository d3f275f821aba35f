#include "test_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static psc_err collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    test_host *h = user;
    __atomic_add_fetch(&h->collects, 1, __ATOMIC_RELAXED);
    uint64_t now = psc_collect_now_ms(ctx);
    for (size_t i = 0; i < h->n_conns; i++) {
        char id[32];
        int n = snprintf(id, sizeof id, "conn-%zu", i);
        psc_connection c = {.struct_size = sizeof c};
        c.id = (const uint8_t *)id;
        c.id_len = (size_t)n;
        c.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
        c.status = PSC_STATUS_ACTIVE;
        c.role = i % 2 ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        c.transport_name = "tcp";
        c.local_addr = "/ip4/127.0.0.1/tcp/4001";
        c.remote_addr = "/ip4/10.0.0.2/tcp/4001";
        c.open_ts = now - 1000;
        c.traffic.in.bytes = 1000 * (i + 1);
        c.traffic.out.bytes = 500 * (i + 1);
        psc_err err = psc_swarm_add_connection(b, &c, NULL);
        if (err)
            return err;
    }
    return PSC_OK;
}

static const psc_swarm_provider swarm_vt = {sizeof(psc_swarm_provider), "test-swarm", collect, NULL};

/* A provider that blocks while the test says so: a host stuck on a lock. */
static psc_err hang_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    test_host *h = user;
    pthread_mutex_lock(&h->mu);
    h->hang_collects++;
    while (h->hang)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    return psc_custom_add_integer(b, "alive", 1);
}

static const psc_custom_provider hang_vt = {sizeof(psc_custom_provider), "hangs", hang_collect, NULL};

void host_hang(test_host *h, bool on)
{
    pthread_mutex_lock(&h->mu);
    h->hang = on;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static const psc_prop_def ping_props[] = {
    {"seq", PSC_PROP_NUMBER, false},
    {"pad", PSC_PROP_STRING, false},
};
static const psc_event_def ping_def = {"TestPing", ping_props, 2};

static void emit_one(test_host *h, uint64_t i, const char *pad)
{
    psc_err err;
    if (i % 5 == 0) {
        psc_value v[4] = {PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"), PSC_V_STR("tcp"),
                          PSC_V_STR("inbound"), PSC_V_STR("/ip4/10.0.0.2/tcp/4001")};
        err = psc_emit(h->intro, h->peer, v, 4);
    } else {
        psc_value v[2] = {PSC_V_NUM(i), PSC_V_STR(pad)};
        err = psc_emit(h->intro, h->ping, v, 2);
    }
    if (err)
        h->emit_errors++;
}

static void *emitter(void *arg)
{
    test_host *h = arg;
    char *pad = NULL;
    size_t pad_cap = 0;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->quit && h->emitted == h->requested)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->quit)
            break;
        uint64_t from = h->emitted, to = h->requested;
        size_t plen = h->pad;
        pthread_mutex_unlock(&h->mu);
        if (plen + 1 > pad_cap) {
            char *np = realloc(pad, plen + 1);
            if (np) {
                pad = np;
                pad_cap = plen + 1;
            }
        }
        if (pad) {
            memset(pad, 'p', pad_cap - 1);
            pad[plen < pad_cap ? plen : pad_cap - 1] = 0;
        }
        for (uint64_t i = from; i < to; i++)
            emit_one(h, i, pad ? pad : "");
        pthread_mutex_lock(&h->mu);
        h->emitted = to;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    free(pad);
    return NULL;
}

int host_start(test_host *h, const test_host_opts *o)
{
    memset(h, 0, sizeof *h);
    h->n_conns = o->n_conns;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);

    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-test-host";
    cfg.runtime.version = "1.0";
    cfg.runtime.peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    cfg.event_ring_capacity = o->event_ring;
    cfg.max_event_size = o->max_event_size;
    cfg.clock = o->clock;
    cfg.collect_timeout_ms = o->collect_timeout_ms;
    cfg.max_memory_bytes = o->max_memory_bytes;
    if (psc_introspector_new(&cfg, &h->intro))
        return -1;
    if (psc_event_declare_well_known(h->intro) || psc_event_declare(h->intro, &ping_def, &h->ping) ||
        psc_event_lookup(h->intro, "PeerConnected", &h->peer))
        return -1;
    if (psc_register_swarm(h->intro, &swarm_vt, h, NULL))
        return -1;
    if (o->hang_provider && psc_register_custom(h->intro, &hang_vt, h, NULL))
        return -1;

    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.access_token = o->token;
    wc.allowed_origins = o->origins;
    wc.n_allowed_origins = o->n_origins;
    wc.max_message_size = o->max_message_size;
    wc.options = o->ep_opts;
    wc.tls_cert_path = o->tls_cert;
    wc.tls_key_path = o->tls_key;
    if (psc_ws_endpoint_new(h->intro, &wc, &h->ep) || psc_endpoint_start(h->ep) || psc_ws_port(h->ep, &h->port))
        return -1;
    snprintf(h->url, sizeof h->url, "%s://127.0.0.1:%u/introspect", o->tls_cert ? "wss" : "ws",
             (unsigned)h->port);
    if (pthread_create(&h->thread, NULL, emitter, h))
        return -1;
    return 0;
}

void host_emit(test_host *h, size_t n, size_t pad)
{
    pthread_mutex_lock(&h->mu);
    h->requested += n;
    h->pad = pad;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void host_emit_wait(test_host *h)
{
    pthread_mutex_lock(&h->mu);
    while (h->emitted != h->requested)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void host_stop(test_host *h)
{
    pthread_mutex_lock(&h->mu);
    h->quit = true;
    h->hang = false; /* freeing the introspector waits for a late collect */
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    psc_endpoint_free(h->ep);
    psc_introspector_free(h->intro);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

size_t host_sessions(test_host *h, psc_session_info *out, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        out[i].struct_size = sizeof out[i];
    size_t n = 0;
    if (psc_endpoint_sessions(h->ep, out, cap, &n, NULL))
        return 0;
    return n;
}

bool host_wait_sessions(test_host *h, size_t n, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 5) {
        if (psc_endpoint_session_count(h->ep) == n)
            return true;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

test_host *host_new(const test_host_opts *o)
{
    test_host *h = calloc(1, sizeof *h);
    if (h && host_start(h, o) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void host_free(test_host *h)
{
    if (!h)
        return;
    host_stop(h);
    free(h);
}

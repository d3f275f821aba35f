/*
 * 5b. Memory with one stalled session: a client that asked for state and
 * event pushes and then stops reading (its socket fills up, then the
 * server's), while the host changes by 1% per interval and emits 10,000
 * events/s. The library's memory is what the introspector's allocator has
 * live (counted by this file's allocator), sampled over time, next to the
 * process RSS; bounded means it levels off instead of growing with time.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"
#include "sized_alloc.h"

#define EVENT_RATE 10000.0

typedef struct staller {
    uint64_t responses, states;
    bool closed;
} staller;

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *r)
{
    (void)c;
    (void)r;
    ((staller *)user)->responses++;
}

static void on_state(void *user, psc_client *c, const Peerscope__State *st)
{
    (void)c;
    (void)st;
    ((staller *)user)->states++;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)err;
    (void)code;
    (void)reason;
    ((staller *)user)->closed = true;
}

static const psc_client_callbacks stall_cb = {
    .struct_size = sizeof(psc_client_callbacks),
    .on_response = on_response,
    .on_state = on_state,
    .on_close = on_close,
};

static bool ready(void *arg)
{
    staller *s = arg;
    return s->closed || (s->responses >= 3 && s->states >= 1);
}

typedef struct emitter {
    psc_introspector *intro;
    const psc_event_type *type;
    atomic_bool stop;
    atomic_ullong emitted;
} emitter;

static void *emit_main(void *arg)
{
    emitter *em = arg;
    double owed = 0;
    for (uint64_t t = bench_now_ns(); !atomic_load(&em->stop); t += 1000000u) {
        bench_sleep_until(t);
        for (owed += EVENT_RATE / 1000.0; owed >= 1.0; owed -= 1.0) {
            psc_value v = PSC_V_NUM((double)t);
            if (psc_emit(em->intro, em->type, &v, 1) == PSC_OK)
                atomic_fetch_add(&em->emitted, 1);
        }
    }
    return NULL;
}

int bench_stall(const bench_scenario *sc, const bench_opts *o, stall_result *r)
{
    memset(r, 0, sizeof *r);
    r->scenario = sc->name;
    int rc = -1;
    sized_alloc sa = {0};
    psc_allocator alloc = sized_allocator(&sa);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &alloc;
    psc_introspector *intro = NULL;
    bench_node *node = bench_node_new(sc, 3);
    bench_server srv = {0};
    psc_client *c = NULL;
    staller st = {0};
    emitter em = {0};
    pthread_t th;
    bool emitting = false;
    static const psc_prop_def props[] = {{"t", PSC_PROP_NUMBER, false}};
    static const psc_event_def def = {"BenchStall", props, 1};
    if (!node || psc_introspector_new(&cfg, &intro) || bench_node_register(node, intro) ||
        psc_event_declare(intro, &def, &em.type))
        goto out;
    bench_node_set_churn(node, 1.0);
    if (bench_server_start(&srv, intro, 8))
        goto out;
    psc_client_config cc = PSC_CLIENT_CONFIG_INIT;
    cc.url = srv.url;
    cc.callbacks = &stall_cb;
    cc.user = &st;
    psc_client_settings set = {60000, 500};
    if (psc_client_new(&cc, &c) || psc_client_hello(c, &set, NULL) ||
        psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL) ||
        psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL))
        goto out;
    em.intro = intro;
    if (pthread_create(&th, NULL, emit_main, &em) != 0)
        goto out;
    emitting = true;
    /* reading: it gets its first state, then it stops polling for good */
    if (!bench_poll_until(psc_client_get_loop(c), ready, &st, 30000) || st.closed)
        goto out;
    r->lib_bytes_before = atomic_load(&sa.live);
    double step = o->quick ? 0.5 : 1.0;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < STALL_SAMPLES; i++) {
        bench_sleep_until(t0 + (uint64_t)((i + 1) * step * 1e9));
        r->seconds[i] = (i + 1) * step;
        r->lib_bytes[i] = atomic_load(&sa.live);
        r->rss_kb[i] = bench_rss_kb();
    }
    bench_server_totals(&srv, NULL, &r->states_replaced, &r->events_dropped);
    r->events_emitted = atomic_load(&em.emitted);
    rc = 0;
out:
    if (emitting) {
        atomic_store(&em.stop, true);
        pthread_join(th, NULL);
    }
    psc_client_free(c);
    bench_server_stop(&srv);
    psc_introspector_free(intro);
    bench_node_free(node);
    return rc;
}

/*
 * 5. Event delivery: emit-to-client latency (median, p99) at 10,000 events/s
 * with 8 sessions, and the highest rate delivered to 1 session with no
 * event lost.
 *
 * Method: a host thread emits at a steady rate (a batch each millisecond,
 * paced by the monotonic clock); every event carries its emit time
 * (CLOCK_MONOTONIC, ns) as a NUMBER property. psc_client clients on one
 * loop in this thread read it back on arrival: latency = arrival - emit,
 * through the event ring, the endpoint's service thread, the WebSocket on
 * loopback and the client's decoding. An event is lost when the client
 * does not receive it (the server then says so with DISCARDING_EVENTS).
 * The event ring has its default capacity.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_net.h"

#define LATENCY_RATE 10000.0
#define LATENCY_SESSIONS 8

typedef struct eclient {
    psc_client *c;
    uint64_t responses;
    uint64_t events;
    uint64_t dropped;   /* as told by DISCARDING_EVENTS notices */
    bool closed;
    double *lat_ms;     /* where latencies go (shared array, this client's slice) */
    size_t lat_cap, lat_n;
} eclient;

typedef struct emitter {
    psc_introspector *intro;
    const psc_event_type *type;
    double rate;
    uint64_t duration_ns;
    atomic_ullong emitted;
    atomic_bool done;
} emitter;

static void on_response(void *user, psc_client *c, const Peerscope__CommandResponse *r)
{
    (void)c;
    (void)r;
    ((eclient *)user)->responses++;
}

static void on_event(void *user, psc_client *c, const Peerscope__Event *ev)
{
    (void)c;
    eclient *e = user;
    uint64_t now = bench_now_ns();
    e->events++;
    double t = bench_json_number(ev->content, "t");
    if (e->lat_n < e->lat_cap && t > 0)
        e->lat_ms[e->lat_n++] = ((double)now - t) / 1e6;
}

static void on_notice(void *user, psc_client *c, const Peerscope__ServerNotice *n)
{
    (void)c;
    ((eclient *)user)->dropped += n->dropped ? n->dropped : 1;
}

static void on_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    (void)c;
    (void)err;
    (void)code;
    (void)reason;
    ((eclient *)user)->closed = true;
}

static const psc_client_callbacks events_cb = {
    .struct_size = sizeof(psc_client_callbacks),
    .on_response = on_response,
    .on_event = on_event,
    .on_notice = on_notice,
    .on_close = on_close,
};

static void *emit_main(void *arg)
{
    emitter *em = arg;
    uint64_t start = bench_now_ns(), tick = 1000000u;
    double owed = 0;
    for (uint64_t t = start; t - start < em->duration_ns; t += tick) {
        bench_sleep_until(t);
        owed += em->rate / 1000.0;
        for (; owed >= 1.0; owed -= 1.0) {
            psc_value v = PSC_V_NUM((double)bench_now_ns());
            if (psc_emit(em->intro, em->type, &v, 1) == PSC_OK)
                atomic_fetch_add(&em->emitted, 1);
        }
    }
    atomic_store(&em->done, true);
    return NULL;
}

typedef struct erun {
    eclient *cl;
    int n;
    uint64_t want_responses;
    emitter *em;
} erun;

static bool all_responded(void *arg)
{
    erun *r = arg;
    for (int i = 0; i < r->n; i++)
        if (r->cl[i].responses < r->want_responses || r->cl[i].closed)
            return false;
    return true;
}

/* Everything emitted arrived or was reported lost. */
static bool drained(void *arg)
{
    erun *r = arg;
    if (!atomic_load(&r->em->done))
        return false;
    uint64_t emitted = atomic_load(&r->em->emitted);
    for (int i = 0; i < r->n; i++)
        if (r->cl[i].events + r->cl[i].dropped < emitted && !r->cl[i].closed)
            return false;
    return true;
}

/* One trial: n sessions, rate events/s for seconds. lat (may be NULL) gets latencies. */
static int trial(int n, double rate, double seconds, double *lat, size_t lat_cap, events_result *out)
{
    int rc = -1;
    psc_introspector *intro = NULL;
    bench_server srv = {0};
    psc_client_loop *loop = NULL;
    eclient *cl = calloc((size_t)n, sizeof *cl);
    emitter em = {0};
    bool started = false;
    pthread_t th;
    if (!cl || psc_introspector_new(NULL, &intro))
        goto out;
    static const psc_prop_def props[] = {{"t", PSC_PROP_NUMBER, false}};
    static const psc_event_def def = {"BenchLatency", props, 1};
    if (psc_event_declare(intro, &def, &em.type) || bench_server_start(&srv, intro, (size_t)n + 8) ||
        psc_client_loop_new(NULL, &loop))
        goto out;
    for (int i = 0; i < n; i++) {
        psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
        cfg.url = srv.url;
        cfg.loop = loop;
        cfg.callbacks = &events_cb;
        cfg.user = &cl[i];
        cl[i].lat_ms = lat ? lat + (lat_cap / (size_t)n) * (size_t)i : NULL;
        cl[i].lat_cap = lat ? lat_cap / (size_t)n : 0;
        if (psc_client_new(&cfg, &cl[i].c) || psc_client_hello(cl[i].c, NULL, NULL) ||
            psc_client_push_enable(cl[i].c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL))
            goto out;
    }
    erun run = {cl, n, 2, &em};
    if (!bench_poll_until(loop, all_responded, &run, 30000))
        goto out;
    em.intro = intro;
    em.rate = rate;
    em.duration_ns = (uint64_t)(seconds * 1e9);
    if (pthread_create(&th, NULL, emit_main, &em) != 0)
        goto out;
    started = true;
    bench_poll_until(loop, drained, &run, (int)(seconds * 1000) + 5000);
    pthread_join(th, NULL);
    started = false;
    uint64_t emitted = atomic_load(&em.emitted), delivered = 0, dropped = 0;
    for (int i = 0; i < n; i++) {
        delivered += cl[i].events;
        dropped += cl[i].dropped;
    }
    out->rate = rate;
    out->sessions = n;
    out->sent = emitted * (uint64_t)n;
    out->delivered = delivered;
    out->dropped = out->sent > delivered ? out->sent - delivered : 0;
    if (lat) {
        /* gather the slices, then sort once */
        size_t k = 0;
        for (int i = 0; i < n; i++) {
            memmove(lat + k, cl[i].lat_ms, cl[i].lat_n * sizeof *lat);
            k += cl[i].lat_n;
        }
        bench_stat s = bench_summarise(lat, k);
        out->median_ms = s.median;
        out->p99_ms = bench_percentile(lat, k, 99);
        out->max_ms = s.max;
    }
    (void)dropped;
    rc = 0;
out:
    if (started) {
        pthread_join(th, NULL);
    }
    for (int i = 0; cl && i < n; i++)
        psc_client_free(cl[i].c);
    psc_client_loop_free(loop);
    bench_server_stop(&srv);
    psc_introspector_free(intro);
    free(cl);
    return rc;
}

int bench_events(const bench_opts *o, events_result *r)
{
    memset(r, 0, sizeof *r);
    double seconds = o->quick ? 0.5 : 2.0;
    size_t cap = (size_t)(LATENCY_RATE * seconds * 1.2) * LATENCY_SESSIONS;
    double *lat = malloc(cap * sizeof *lat);
    if (!lat)
        return -1;
    events_result lr = {0};
    int rc = trial(LATENCY_SESSIONS, LATENCY_RATE, seconds, lat, cap, &lr);
    free(lat);
    if (rc)
        return -1;
    *r = lr;
    r->ring = 4096;

    /* the highest rate one session takes whole: double until events are lost, then bisect */
    double ok = 0, bad = 0, rate = 20000;
    double trial_s = o->quick ? 0.25 : 0.5;
    for (int i = 0; i < (o->quick ? 2 : 7) && !bad; i++, rate *= 2) {
        events_result t = {0};
        if (trial(1, rate, trial_s, NULL, 0, &t))
            return -1;
        if (t.dropped)
            bad = rate;
        else
            ok = rate;
    }
    for (int i = 0; i < (o->quick ? 0 : 3) && bad; i++) {
        double mid = (ok + bad) / 2;
        events_result t = {0};
        if (trial(1, mid, trial_s, NULL, 0, &t))
            return -1;
        if (t.dropped)
            bad = mid;
        else
            ok = mid;
    }
    r->max_no_drop_rate = ok;
    r->first_drop_rate = bad;
    return 0;
}

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"

#define TICK_MS 100u

static void log_to_stderr(void *user, psc_log_level level, const char *msg)
{
    (void)user;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "peerscope-demo: library %s: %s\n", names[level <= PSC_LOG_DEBUG ? level : PSC_LOG_DEBUG], msg);
}

static uint64_t intro_clock(void *user)
{
    return psc_introspector_now_ms(user);
}

static void timespec_add_ms(struct timespec *t, unsigned ms)
{
    t->tv_nsec += (long)(ms % 1000u) * 1000000L;
    t->tv_sec += ms / 1000u + t->tv_nsec / 1000000000L;
    t->tv_nsec %= 1000000000L;
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The simulation thread: one tick every TICK_MS of wall time. Ticks that
 * are late are not caught up in a burst: what the node does depends on the
 * tick count only, so skipping ahead changes timing, not behaviour. */
static void *sim_thread_main(void *arg)
{
    demo_app *a = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&a->ctl_lock);
    while (!a->stop) {
        pthread_mutex_unlock(&a->ctl_lock);
        demo_host_step(&a->host);
        demo_alerts_tick(&a->alerts, psc_introspector_now_ms(a->intro));
        pthread_mutex_lock(&a->ctl_lock);
        timespec_add_ms(&next, TICK_MS);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timespec_before(&next, &now))
            next = now;
        while (!a->stop && pthread_cond_timedwait(&a->ctl_cond, &a->ctl_lock, &next) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&a->ctl_lock);
    return NULL;
}

static bool is_ipv6(const char *addr)
{
    return strchr(addr, ':') != NULL;
}

static psc_err failed(demo_app *a, psc_err e, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, psc_strerror(e));
    demo_app_stop(a);
    return e;
}

psc_err demo_app_start(demo_app *a, const demo_options *o, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->opt = *o;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        snprintf(err, errlen, "cannot create a condition variable");
        return PSC_ERR_STATE;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&a->ctl_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0 || pthread_mutex_init(&a->ctl_lock, NULL) != 0) {
        if (rc == 0)
            pthread_cond_destroy(&a->ctl_cond);
        snprintf(err, errlen, "cannot create a mutex");
        return PSC_ERR_STATE;
    }
    a->ctl_ready = true;

    psc_config cfg = PSC_CONFIG_INIT;
    cfg.runtime.implementation = "peerscope-demo";
    cfg.runtime.version = PSC_VERSION_STRING;
    cfg.log = log_to_stderr;
    cfg.log_level = o->quiet ? PSC_LOG_ERROR : PSC_LOG_WARN;
    /* a DHT query event lists up to 20 peer ids */
    cfg.max_event_size = 4096;
    psc_err e = psc_introspector_new(&cfg, &a->intro);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot create the introspector");
    e = demo_events_init(&a->events, a->intro);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot declare event types");

    sim_config sc = {0};
    sc.seed = o->seed;
    sc.peers = o->peers;
    sc.conns = o->conns;
    sc.streams = o->streams;
    sc.topics = o->topics;
    sc.churn = o->churn;
    sc.event_rate = o->event_rate;
    sc.tick_ms = TICK_MS;
    sc.now_ms = intro_clock;
    sc.clock_user = a->intro;
    sc.on_event = demo_events_on_sim;
    sc.event_user = &a->events;
    e = sim_node_new(&sc, &a->node);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot build the simulated node");
    e = psc_introspector_set_peer_id(a->intro, a->node->local_id);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot set the peer id");
    if (demo_host_init(&a->host, a->node) != 0)
        return failed(a, PSC_ERR_STATE, err, errlen, "cannot create the host's locks");
    a->host_ready = true;
    e = demo_host_register(&a->host, a->intro);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot register the providers");
    /* the peer the leaking streams go to: one of the simulated universe */
    e = demo_alerts_start(&a->alerts, a->intro, o, a->node->peers[0].id, err, errlen);
    if (e != PSC_OK) {
        demo_app_stop(a);
        return e;
    }

    const char *token = o->token;
    if (!token && !demo_is_loopback(o->bind)) {
        /* listening beyond this machine is never done without a token */
        e = psc_ws_generate_token(a->token, sizeof a->token);
        if (e != PSC_OK)
            return failed(a, e, err, errlen, "cannot generate an access token");
        a->token_generated = true;
        token = a->token;
    } else if (token) {
        snprintf(a->token, sizeof a->token, "%s", token);
    }
    /* libwebsockets' own lines (process-wide) go where the library's go,
     * without its start-up notices */
    psc_ws_lws_log(o->quiet ? PSC_LOG_ERROR : PSC_LOG_WARN, log_to_stderr, NULL);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.bind_address = o->bind;
    wc.port = o->port;
    wc.access_token = token;
    wc.allowed_origins = o->n_origins ? o->origins : NULL;
    wc.n_allowed_origins = o->n_origins;
    wc.hub_url = o->hub;
    wc.hub_token = o->hub_token;
    wc.hub_node = o->name;
    e = psc_ws_endpoint_new(a->intro, &wc, &a->ep);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot create the WebSocket endpoint");
    e = psc_endpoint_start(a->ep);
    if (e != PSC_OK) {
        char what[128];
        snprintf(what, sizeof what, "cannot listen on %s port %u", o->bind, (unsigned)o->port);
        return failed(a, e, err, errlen, what);
    }
    e = psc_ws_port(a->ep, &a->port);
    if (e != PSC_OK)
        return failed(a, e, err, errlen, "cannot read the bound port");

    const char *lb = is_ipv6(o->bind) ? "[" : "", *rb = is_ipv6(o->bind) ? "]" : "";
    /* The token goes in the fragment: the page reads it and removes it,
     * and a fragment never reaches a server or its logs. */
    snprintf(a->http_url, sizeof a->http_url, "http://%s%s%s:%u/%s%s", lb, o->bind, rb, (unsigned)a->port,
             a->token[0] ? "#token=" : "", a->token);
    snprintf(a->ws_url, sizeof a->ws_url, "ws://%s%s%s:%u%s%s%s", lb, o->bind, rb, (unsigned)a->port,
             PSC_WS_DEFAULT_PATH, a->token[0] ? "?token=" : "", a->token);
    a->start_ms = psc_introspector_now_ms(a->intro);

    if (pthread_create(&a->sim_thread, NULL, sim_thread_main, a) != 0)
        return failed(a, PSC_ERR_STATE, err, errlen, "cannot start the simulation thread");
    a->sim_running = true;
    return PSC_OK;
}

void demo_app_stop(demo_app *a)
{
    if (a->sim_running) {
        pthread_mutex_lock(&a->ctl_lock);
        a->stop = true;
        pthread_cond_signal(&a->ctl_cond);
        pthread_mutex_unlock(&a->ctl_lock);
        pthread_join(a->sim_thread, NULL);
        a->sim_running = false;
    }
    /* endpoint first: its service thread takes snapshots through the providers */
    psc_endpoint_free(a->ep);
    a->ep = NULL;
    /* its thread takes snapshots too */
    demo_alerts_stop(&a->alerts);
    if (a->host_ready) {
        demo_host_fini(&a->host);
        a->host_ready = false;
    }
    psc_introspector_free(a->intro);
    a->intro = NULL;
    sim_node_free(a->node);
    a->node = NULL;
    if (a->ctl_ready) {
        pthread_cond_destroy(&a->ctl_cond);
        pthread_mutex_destroy(&a->ctl_lock);
        a->ctl_ready = false;
    }
}

void demo_app_status(demo_app *a, FILE *f)
{
    pthread_mutex_lock(&a->host.lock);
    sim_node *n = a->node;
    size_t opening = 0, active = 0;
    for (size_t i = 0; i < n->n_conns; i++) {
        opening += n->conns[i]->status == PSC_STATUS_OPENING;
        active += n->conns[i]->status == PSC_STATUS_ACTIVE;
    }
    size_t streams = sim_streams_open(n);
    size_t rt = sim_dht_table_size(n);
    uint64_t height = n->height;
    const char *chain = n->synced ? "synced" : n->syncing ? "syncing" : "waiting";
    uint64_t secs = n->tick * TICK_MS / 1000u;
    pthread_mutex_unlock(&a->host.lock);
    fprintf(f,
            "peerscope-demo: [%4llus] conns %zu (+%zu opening)  streams %zu  routing table %zu  "
            "height %llu (%s)  events %llu  alerts %zu  clients %zu\n",
            (unsigned long long)secs, active, opening, streams, rt, (unsigned long long)height, chain,
            (unsigned long long)psc_events_emitted(a->intro), psc_analyzer_alerts(a->alerts.an, NULL, NULL),
            psc_endpoint_session_count(a->ep));
}

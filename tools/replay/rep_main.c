/*
 * peerscope-replay: a recording served by the library's WebSocket
 * endpoint (the same sessions, token, Origin and Host rules, /healthz and
 * visualizer page as a live node), with peerscope/replay.h playing it.
 */
#include <signal.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "peerscope/peerscope.h"
#include "replay_tool.h"
#include "tool_util.h"

static void fmt_utc(char *buf, size_t len, uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "%llu", (unsigned long long)ms);
}

static void summary(const rep_opts *o, const psc_replay_info *i, const char *url)
{
    char a[32], b[32], d[32];
    fmt_utc(a, sizeof a, i->start_ts);
    fmt_utc(b, sizeof b, i->end_ts);
    tool_fmt_duration(d, sizeof d, i->end_ts - i->start_ts);
    char speed[32];
    if (o->max_speed)
        snprintf(speed, sizeof speed, "as fast as clients read");
    else
        snprintf(speed, sizeof speed, "%gx", o->speed);
    fprintf(stderr,
            "peerscope-replay: %s: %llu states (%llu rebuilt from deltas), %llu events of %zu types, "
            "%s to %s UTC (%s); %llu records skipped; speed %s%s; at %s\n",
            o->input, (unsigned long long)i->states, (unsigned long long)i->deltas, (unsigned long long)i->events,
            i->event_types, a, b, d, (unsigned long long)i->skipped, speed, o->loop ? ", looping" : "", url);
}

/* Wait for SIGINT or SIGTERM without a polling loop: they stay blocked except inside sigsuspend. */
static void wait_for_stop(const sigset_t *unblocked)
{
    while (!tool_stop_signal)
        sigsuspend(unblocked);
}

int main(int argc, char **argv)
{
    rep_opts o;
    int st = rep_opts_parse(argc, argv, &o, stdout, stderr);
    if (st)
        return st < 0 ? REP_EXIT_OK : st;
    if (!tool_catch_signals()) {
        rep_errorf("cannot install signal handlers");
        return REP_EXIT_FAILURE;
    }
    /* Blocked here, so the endpoint's thread inherits the mask and the signal reaches sigsuspend. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    sigdelset(&old, SIGINT);
    sigdelset(&old, SIGTERM);

    psc_replay_options ro = PSC_REPLAY_OPTIONS_INIT;
    ro.speed = o.max_speed ? 1.0 : o.speed;
    ro.max_speed = o.max_speed;
    ro.loop = o.loop;
    if (o.start_rel)
        ro.start_offset_ms = o.start_ms;
    else
        ro.start_ts = o.start_ms;
    ro.source = o.input;

    psc_replay *r = NULL;
    st = rep_is_sqlite(o.input) ? rep_load_store(&o, &ro, &r) : rep_load_file(&o, &ro, &r);
    if (st)
        return st;
    psc_replay_info info = {.struct_size = sizeof info};
    psc_replay_info_get(r, &info);
    if (info.states + info.events == 0) {
        rep_errorf("%s: nothing to replay (no state and no event)", o.input);
        psc_replay_free(r);
        return REP_EXIT_INPUT;
    }
    uint64_t begin = o.start_rel ? info.start_ts + o.start_ms : o.start_ms;
    if (begin > info.end_ts) {
        char a[32], b[32];
        fmt_utc(a, sizeof a, info.start_ts);
        fmt_utc(b, sizeof b, info.end_ts);
        rep_errorf("--start is after the recording's end (it runs from %llu to %llu ms, %s to %s UTC)",
                   (unsigned long long)info.start_ts, (unsigned long long)info.end_ts, a, b);
        psc_replay_free(r);
        return REP_EXIT_USAGE;
    }

    psc_config cfg = PSC_CONFIG_INIT;
    psc_introspector *intro = NULL;
    psc_err e = psc_introspector_new(&cfg, &intro);
    if (e == PSC_OK && (e = psc_replay_serve(r, intro)) != PSC_OK)
        psc_replay_free(r);
    if (e != PSC_OK) {
        if (!intro)
            psc_replay_free(r);
        psc_introspector_free(intro);
        rep_errorf("cannot serve the recording: %s", psc_strerror(e));
        return REP_EXIT_FAILURE;
    }

    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.bind_address = o.bind;
    wc.port = o.port;
    wc.access_token = o.token;
    wc.allowed_origins = o.origins;
    wc.n_allowed_origins = o.n_origins;
    psc_endpoint *ep = NULL;
    e = psc_ws_endpoint_new(intro, &wc, &ep);
    if (e != PSC_OK) {
        if (e == PSC_ERR_AUTH)
            rep_errorf("binding %s needs --token (a remote client could read the recording otherwise)", o.bind);
        else
            rep_errorf("cannot make the endpoint (address %s): %s", o.bind ? o.bind : "127.0.0.1", psc_strerror(e));
        psc_introspector_free(intro);
        return e == PSC_ERR_NOMEM ? REP_EXIT_FAILURE : REP_EXIT_LISTEN;
    }
    if ((e = psc_endpoint_start(ep)) != PSC_OK) {
        rep_errorf("cannot listen on %s port %u: %s", o.bind ? o.bind : "127.0.0.1", o.port,
                   e == PSC_ERR_IO ? "the port is busy or the address is not this host's" : psc_strerror(e));
        psc_endpoint_free(ep);
        psc_introspector_free(intro);
        return REP_EXIT_LISTEN;
    }
    char url[256] = "";
    psc_endpoint_listen_addr(ep, 0, url, sizeof url);
    printf("%s\n", url);
    fflush(stdout);
    if (!o.quiet)
        summary(&o, &info, url);

    wait_for_stop(&old);

    psc_endpoint_free(ep);
    psc_introspector_free(intro); /* frees the replay too */
    return REP_EXIT_OK;
}

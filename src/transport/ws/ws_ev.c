/*
 * WebSocket endpoint on the host's libev loop.
 *
 * lws 4.1's libev plugin takes the host's struct ev_loop as it is and
 * stops its watchers (io, idle, timer) synchronously while lws ends its
 * context, so nothing is left to wait for after close, and the host's
 * ev_run returns once its own watchers are stopped too.
 *
 * Its timer is not punctual, though: the plugin re-arms its one ev_timer
 * for the earliest lws timer with ev_timer_start, which does nothing while
 * that timer is still running, so a timer due sooner than the one armed
 * (a state push in 1 s while a 30 s ping is armed) waits for the armed
 * one unless a socket event comes first (every socket event runs the
 * timers that are due). So the endpoint keeps an ev_timer of its own, set
 * for its service timer and at most PSC__WS_EV_KICK_MAX_S ahead for lws'
 * internal ones, and when it fires it wakes lws through its cancel pipe
 * (lws_cancel_service): that socket event runs every due timer.
 */
#include "transport/ws/ws.h"

#ifdef PSC_HAVE_LIBEV
/* How late an internal lws timer (ping, hangup, HELLO timeout) may be at worst. */
#define PSC__WS_EV_KICK_MAX_S 1.0

static void kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    psc__ws *ws = w->data;
    if (ws->ctx)
        lws_cancel_service(ws->ctx);
    ev_timer_set(w, PSC__WS_EV_KICK_MAX_S, 0.);
    ev_timer_start(loop, w);
}

static void *ev_foreign(psc__ws *ws)
{
    ev_timer_init(&ws->ev_kick, kick, PSC__WS_EV_KICK_MAX_S, 0.);
    ws->ev_kick.data = ws;
    return ws->host_loop;
}

static void ev_timer_hint(psc__ws *ws, lws_usec_t us)
{
    double after = (double)us / 1e6;
    if (after > PSC__WS_EV_KICK_MAX_S)
        after = PSC__WS_EV_KICK_MAX_S;
    /* An active timer keeps its time when set: stop it first. */
    ev_timer_stop(ws->host_loop, &ws->ev_kick);
    ev_timer_set(&ws->ev_kick, after, 0.);
    ev_timer_start(ws->host_loop, &ws->ev_kick);
}

static void ev_closing(psc__ws *ws)
{
    ev_timer_stop(ws->host_loop, &ws->ev_kick);
}

static const psc__ws_loop_ops ev_ops = {
    .name = "libev",
    .field = "ev_loop",
    .plugin = "libwebsockets-evlib_ev.so",
    .lws_option = LWS_SERVER_OPTION_LIBEV,
    .foreign = ev_foreign,
    .finish = psc__ws_loop_finish_now,
    .timer = ev_timer_hint,
    .closing = ev_closing,
};
const psc__ws_loop_ops *const psc__ws_ev_ops = &ev_ops;
#else
const psc__ws_loop_ops *const psc__ws_ev_ops = NULL;
#endif

/*
 * The WebSocket endpoint on a host's libev loop (psc_ws_config.ev_loop):
 * the host of loop_host.c with an ev_loop_new loop on its own thread. The
 * loop ends on its own: once the host stopped its watchers and closed the
 * endpoint, ev_run returns only if no watcher of libwebsockets is left
 * active on it. A watchdog timer that does not keep the loop alive
 * (ev_unref) breaks a loop that would not end, and fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <ev.h>

#include "client_util.h"
#include "loop_host.h"

#define WATCHDOG_S 30.0

typedef struct ev_host {
    struct ev_loop *loop;
    ev_async cmd;
    ev_timer tick;
    ev_timer watchdog;
    bool bitten;                  /* the watchdog broke the loop */
    loop_host *h;
} ev_host;

static ev_host *eh(loop_host *h)
{
    return h->loop;
}

static void on_cmd(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    loop_host_cmd(((ev_host *)w->data)->h);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    loop_host_tick(((ev_host *)w->data)->h);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    ev_host *e = w->data;
    e->bitten = true;
    ev_break(loop, EVBREAK_ALL);
}

static void e_init(loop_host *h, psc_ws_config *wc)
{
    ev_host *e = calloc(1, sizeof *e);
    assert_non_null(e);
    h->loop = e;
    e->h = h;
    e->loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(e->loop);
    ev_async_init(&e->cmd, on_cmd);
    e->cmd.data = e;
    ev_async_start(e->loop, &e->cmd);
    ev_timer_init(&e->tick, on_tick, 0.001, 0.001);
    e->tick.data = e;
    ev_timer_init(&e->watchdog, on_watchdog, WATCHDOG_S, 0.);
    e->watchdog.data = e;
    ev_timer_start(e->loop, &e->watchdog);
    ev_unref(e->loop); /* the watchdog alone does not keep ev_run going */
    wc->ev_loop = e->loop;
}

static void e_run(loop_host *h)
{
    ev_run(eh(h)->loop, 0);
}

static void e_poke(loop_host *h)
{
    ev_async_send(eh(h)->loop, &eh(h)->cmd); /* libev's one thread-safe call */
}

static void e_tick_start(loop_host *h)
{
    ev_timer_start(eh(h)->loop, &eh(h)->tick);
}

static void e_tick_stop(loop_host *h)
{
    ev_timer_stop(eh(h)->loop, &eh(h)->tick);
}

static void e_drop_own(loop_host *h)
{
    ev_host *e = eh(h);
    ev_timer_stop(e->loop, &e->tick);
    ev_async_stop(e->loop, &e->cmd);
}

static void e_after_close(loop_host *h)
{
    (void)h; /* ev_run ends by itself when nothing is left */
}

static int e_fini(loop_host *h)
{
    ev_host *e = eh(h);
    ev_ref(e->loop);
    ev_timer_stop(e->loop, &e->watchdog);
    int rc = e->bitten ? -1 : 0;
    ev_loop_destroy(e->loop);
    free(e);
    h->loop = NULL;
    return rc;
}

static const loop_kind ev_kind = {
    .name = "libev",
    .init = e_init,
    .run = e_run,
    .poke = e_poke,
    .tick_start = e_tick_start,
    .tick_stop = e_tick_stop,
    .drop_own = e_drop_own,
    .after_close = e_after_close,
    .fini = e_fini,
};

/* Never started: freed without the loop ever running. */
static void test_ev_never_started(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.ev_loop = loop;
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOP_HOST_TESTS(&ev_kind),
        cmocka_unit_test(test_ev_never_started),
    };
    return RUN_TESTS(tests);
}

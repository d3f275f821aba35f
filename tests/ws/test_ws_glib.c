/*
 * The WebSocket endpoint on a host's GLib main context
 * (psc_ws_config.glib_context): the host of loop_host.c with a GMainLoop
 * of its own context on its own thread. The loop ends when the host quits
 * it, which it does once psc_ws_loop_done says true after the close; the
 * file descriptors the context polls are then those it polled before the
 * endpoint started (no source of libwebsockets is left on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

#include "client_util.h"
#include "loop_host.h"

/* Bounds the wait for psc_ws_loop_done after close (1 ms apart). */
#define DONE_TRIES 20000

typedef struct glib_host {
    GMainContext *ctx;
    GMainLoop *loop;
    GSource *tick;
    GSource *cmd;                 /* watches pipe[0]: the test thread's pokes */
    int pipe[2];
    int base_fds;                 /* what the context polls with nothing attached */
    int done_tries;
} glib_host;

static glib_host *gh(loop_host *h)
{
    return h->loop;
}

static int polled_fds(GMainContext *ctx)
{
    gint prio = 0;
    GPollFD fds[64];
    gint timeout = 0;
    g_main_context_acquire(ctx);
    g_main_context_prepare(ctx, &prio);
    int n = g_main_context_query(ctx, G_MAXINT, &timeout, fds, 64);
    g_main_context_release(ctx);
    return n;
}

static gboolean on_cmd(gint fd, GIOCondition cond, gpointer p)
{
    (void)cond;
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    loop_host_cmd(p);
    return G_SOURCE_CONTINUE;
}

static void g_init(loop_host *h, psc_ws_config *wc)
{
    glib_host *g = g_new0(glib_host, 1);
    h->loop = g;
    g->ctx = g_main_context_new();
    g->loop = g_main_loop_new(g->ctx, FALSE);
    g->base_fds = polled_fds(g->ctx);
    /* Pokes come through a pipe, not g_main_context_invoke, so that
     * ThreadSanitizer sees them (GLib itself is not instrumented). */
    assert_int_equal(pipe(g->pipe), 0);
    assert_int_equal(fcntl(g->pipe[0], F_SETFL, O_NONBLOCK), 0);
    g->cmd = g_unix_fd_source_new(g->pipe[0], G_IO_IN);
    g_source_set_callback(g->cmd, G_SOURCE_FUNC(on_cmd), h, NULL);
    g_source_attach(g->cmd, g->ctx);
    wc->glib_context = g->ctx;
}

static void g_run(loop_host *h)
{
    g_main_loop_run(gh(h)->loop);
}

static void g_poke(loop_host *h)
{
    ssize_t n = write(gh(h)->pipe[1], "p", 1);
    assert_int_equal(n, 1);
}

static gboolean on_tick(gpointer p)
{
    loop_host_tick(p);
    return G_SOURCE_CONTINUE;
}

static void g_tick_start(loop_host *h)
{
    glib_host *g = gh(h);
    g->tick = g_timeout_source_new(1);
    g_source_set_callback(g->tick, on_tick, h, NULL);
    g_source_attach(g->tick, g->ctx);
}

static void g_tick_stop(loop_host *h)
{
    glib_host *g = gh(h);
    if (!g->tick)
        return;
    g_source_destroy(g->tick);
    g_source_unref(g->tick);
    g->tick = NULL;
}

static void g_drop_own(loop_host *h)
{
    glib_host *g = gh(h);
    g_tick_stop(h);
    /* Often called from cmd's own callback: destroying it there is fine,
     * our reference is dropped only once the loop has ended (fini). */
    g_source_destroy(g->cmd);
}

static gboolean until_done(gpointer p)
{
    loop_host *h = p;
    glib_host *g = gh(h);
    if (psc_ws_loop_done(h->ep) || ++g->done_tries >= DONE_TRIES) {
        g_main_loop_quit(g->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void g_after_close(loop_host *h)
{
    GSource *s = g_timeout_source_new(1);
    g_source_set_callback(s, until_done, h, NULL);
    g_source_attach(s, gh(h)->ctx);
    g_source_unref(s);
}

static int g_fini(loop_host *h)
{
    glib_host *g = gh(h);
    int left = polled_fds(g->ctx) - g->base_fds;
    g_source_unref(g->cmd);
    g_main_loop_unref(g->loop);
    g_main_context_unref(g->ctx);
    close(g->pipe[0]);
    close(g->pipe[1]);
    g_free(g);
    h->loop = NULL;
    return left;
}

static const loop_kind glib_kind = {
    .name = "glib",
    .init = g_init,
    .run = g_run,
    .poke = g_poke,
    .tick_start = g_tick_start,
    .tick_stop = g_tick_stop,
    .drop_own = g_drop_own,
    .after_close = g_after_close,
    .fini = g_fini,
};

/* Never started: freed without the context ever being iterated. */
static void test_glib_never_started(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.glib_context = ctx;
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOP_HOST_TESTS(&glib_kind),
        cmocka_unit_test(test_glib_never_started),
    };
    return RUN_TESTS(tests);
}

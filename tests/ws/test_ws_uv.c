/*
 * The WebSocket endpoint on a host's own libuv loop (psc_ws_config.uv_loop):
 * the host of loop_host.c with a uv loop on its own thread. The
 * documented close: close on the loop, the loop runs until every handle
 * is closed (psc_ws_loop_done is then true), free, and uv_loop_close
 * finds no handle of the endpoint left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <uv.h>

#include "client_util.h"
#include "loop_host.h"

typedef struct uv_host {
    uv_loop_t loop;
    uv_async_t cmd;               /* the test thread's requests (go, stop) */
    uv_timer_t tick;              /* emits one LoopTick per run */
} uv_host;

static uv_host *uh(loop_host *h)
{
    return h->loop;
}

static void on_cmd(uv_async_t *a)
{
    loop_host_cmd(a->data);
}

static void on_tick(uv_timer_t *t)
{
    loop_host_tick(t->data);
}

static void u_init(loop_host *h, psc_ws_config *wc)
{
    uv_host *u = calloc(1, sizeof *u);
    assert_non_null(u);
    h->loop = u;
    assert_int_equal(uv_loop_init(&u->loop), 0);
    uv_async_init(&u->loop, &u->cmd, on_cmd);
    u->cmd.data = h;
    uv_timer_init(&u->loop, &u->tick);
    u->tick.data = h;
    wc->uv_loop = &u->loop;
}

static void u_run(loop_host *h)
{
    /* Runs until every handle is closed: ours after stop, then the endpoint's. */
    uv_run(&uh(h)->loop, UV_RUN_DEFAULT);
}

static void u_poke(loop_host *h)
{
    uv_async_send(&uh(h)->cmd);
}

static void u_tick_start(loop_host *h)
{
    uv_timer_start(&uh(h)->tick, on_tick, 1, 1);
}

static void u_tick_stop(loop_host *h)
{
    uv_timer_stop(&uh(h)->tick);
}

static void u_drop_own(loop_host *h)
{
    uv_host *u = uh(h);
    uv_timer_stop(&u->tick);
    uv_close((uv_handle_t *)&u->tick, NULL);
    uv_close((uv_handle_t *)&u->cmd, NULL);
}

static void u_after_close(loop_host *h)
{
    (void)h; /* uv_run ends once the endpoint's handles closed too */
}

static int u_fini(loop_host *h)
{
    uv_host *u = uh(h);
    int rc = uv_loop_close(&u->loop);
    free(u);
    h->loop = NULL;
    return rc;
}

static const loop_kind uv_kind = {
    .name = "libuv",
    .init = u_init,
    .run = u_run,
    .poke = u_poke,
    .tick_start = u_tick_start,
    .tick_stop = u_tick_stop,
    .drop_own = u_drop_own,
    .after_close = u_after_close,
    .fini = u_fini,
};

/* An endpoint on a loop that is never started needs no loop run to free. */
static void test_uv_never_started(void **state)
{
    (void)state;
    uv_loop_t l;
    assert_int_equal(uv_loop_init(&l), 0);
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.uv_loop = &l;
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, &wc, &ep), PSC_OK);
    assert_true(psc_ws_loop_done(ep));
    psc_endpoint_free(ep);
    psc_introspector_free(intro);
    assert_int_equal(uv_loop_close(&l), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOP_HOST_TESTS(&uv_kind),
        cmocka_unit_test(test_uv_never_started),
    };
    return RUN_TESTS(tests);
}

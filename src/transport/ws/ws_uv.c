/*
 * WebSocket endpoint on the host's libuv loop: the end of the context.
 *
 * libwebsockets 4.1 ends a context on a foreign loop in steps that the
 * loop must run in between, and leaves two of them to its user:
 *   1. lws_context_destroy (psc__ws_loop_end) closes every connection and
 *      listener; their uv handles close as the loop runs.
 *   2. Once they have, its per-thread uv handles (an idle and a timer)
 *      must close. 4.1 starts that only from the close callback of a
 *      connection that leaves no other one allocated, which a context
 *      that ends idle never reaches (its last handles close by another
 *      path), so here the library starts it through the uv plugin's own
 *      destroy_pt, which closes them with the plugin's callbacks and marks
 *      the step done so that lws never closes them twice.
 *   3. Once those closes ran, a second lws_context_destroy frees the
 *      vhosts and the context (clearing its pcontext, uv_ctx) and unloads
 *      the plugin; nothing of it is left on the loop by then.
 * Each step waits on a timer of ours: uv runs the close callbacks of an
 * iteration after its timers, so a timer started from a close callback
 * fires after the closes begun before it; while any handle of the loop is
 * still closing (a chain of closes), the step looks again 1 ms later (a
 * timer re-armed at 0 ms from its own callback would run again in the
 * same pass, before any close).
 */
#include "transport/ws/ws.h"
#include "core/core.h"

#ifdef PSC_HAVE_LIBUV
#include <dlfcn.h>

/* The head of lws 4.1's private struct lws_event_loop_ops
 * (lib/event-libs/private-lib-event-libs.h), up to destroy_pt. */
typedef void (*psc__lws_fn)(void);
typedef struct psc__lws41_evlib_ops {
    const char *name;
    psc__lws_fn init_context, destroy_context1, destroy_context2, init_vhost_listen_wsi, init_pt, wsi_logical_close,
        check_client_connect_ok, close_handle_manually, accept, io, run_pt;
    void (*destroy_pt)(struct lws_context *context, int tsi);
} psc__lws41_evlib_ops;

/* Step 2 through the loaded uv plugin; false when it cannot be found
 * (another lws than the one this was written for). */
static bool close_pt_handles(psc__ws *ws)
{
#if LWS_LIBRARY_VERSION_MAJOR == 4 && LWS_LIBRARY_VERSION_MINOR == 1
    void *lib = dlopen(LWS_INSTALL_LIBDIR "/libwebsockets-evlib_uv.so", RTLD_NOW | RTLD_NOLOAD);
    if (!lib)
        return false;
    const lws_plugin_evlib_t *plugin = dlsym(lib, "evlib_uv");
    const psc__lws41_evlib_ops *ops = plugin ? (const psc__lws41_evlib_ops *)plugin->ops : NULL;
    bool ok = ops && ops->name && !strcmp(ops->name, "libuv") && ops->destroy_pt;
    if (ok)
        ops->destroy_pt(ws->loop_ctx, 0);
    dlclose(lib); /* lws holds its own reference until step 3 */
    return ok;
#else
    (void)ws;
    return false;
#endif
}

static void count_closing(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h))
        ++*(size_t *)arg;

}

static void finish_done(uv_handle_t *h)
{
    psc__ws *ws = h->data;
    ws->loop_finished = true;
}

static void finish_tick(uv_timer_t *t)
{
    psc__ws *ws = t->data;
    size_t closing = 0;
    uv_walk(ws->host_loop, count_closing, &closing);
    if (closing) {
        uv_timer_start(t, finish_tick, 1, 0); /* a close still to run: a later iteration */
        return;
    }
    if (ws->loop_ctx && !ws->uv_pt_closed) {
        ws->uv_pt_closed = true;
        if (close_pt_handles(ws)) {
            uv_timer_start(t, finish_tick, 1, 0);
            return;
        }
        /* Without step 2 a second destroy would free the context under
         * closes still to run (and unload their callbacks): leaking it is
         * the safe failure. */
        psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR,
                 "ws: the libuv plugin of libwebsockets was not found; its context is left behind");
        uv_close((uv_handle_t *)t, finish_done);
        return;
    }
    if (ws->loop_ctx)
        lws_context_destroy(ws->loop_ctx);
    if (ws->loop_ctx)
        psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR, "ws: libwebsockets did not end its context");
    uv_close((uv_handle_t *)t, finish_done);
}

static void marker_closed(uv_handle_t *h)
{
    psc__ws *ws = h->data;
    uv_timer_init(ws->host_loop, &ws->uv_finish);
    ws->uv_finish.data = ws;
    uv_timer_start(&ws->uv_finish, finish_tick, 0, 0);
}

static void uv_finish_later(psc__ws *ws)
{
    ws->uv_pt_closed = false;
    /* Closed at once: its callback comes in the same pass as those of the
     * handles lws_context_destroy just began to close. */
    uv_timer_init(ws->host_loop, &ws->uv_finish);
    ws->uv_finish.data = ws;
    uv_close((uv_handle_t *)&ws->uv_finish, marker_closed);
}

static void *uv_foreign(psc__ws *ws)
{
    return ws->host_loop;
}

static const psc__ws_loop_ops uv_ops = {
    .name = "libuv",
    .field = "uv_loop",
    .plugin = "libwebsockets-evlib_uv.so",
    .lws_option = LWS_SERVER_OPTION_LIBUV,
    .foreign = uv_foreign,
    .finish = uv_finish_later,
};
const psc__ws_loop_ops *const psc__ws_uv_ops = &uv_ops;
#else
const psc__ws_loop_ops *const psc__ws_uv_ops = NULL;
#endif

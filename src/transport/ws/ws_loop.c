/*
 * WebSocket endpoint on the host's own event loop (libuv, glib, libev):
 * what the three kinds share. lws 4.1 runs a context on a foreign loop
 * through its event-library plugin for that kind; the plugin adds its
 * watchers to the host's loop and never runs or ends the loop itself. The
 * kinds differ in what lws is given as the loop and in how the context
 * ends (ws_uv.c, ws_glib.c, ws_ev.c); choosing the kind, the context's
 * options and the bookkeeping of its end are here.
 */
#include "transport/ws/ws.h"
#include "core/core.h"

#include <stdio.h>
#include <unistd.h>

/* Whether lws can load the kind's plugin: checked when the endpoint is
 * made, so that a host without the package is told which one at once
 * rather than by a failing start. */
static bool plugin_installed(const psc__ws_loop_ops *ops)
{
#ifdef LWS_WITH_EVLIB_PLUGINS
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", LWS_INSTALL_LIBDIR, ops->plugin);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
#else
    (void)ops;
    return true; /* built into libwebsockets itself */
#endif
}

psc_err psc__ws_loop_init(psc__ws *ws, void *uv_loop, void *glib_context, void *ev_loop)
{
    psc_introspector *intro = psc_endpoint_introspector(ws->ep);
    int set = (uv_loop != NULL) + (glib_context != NULL) + (ev_loop != NULL);
    ws->loop_ops = NULL;
    ws->host_loop = NULL;
    if (set == 0)
        return PSC_OK;
    if (set > 1) {
        psc__log(intro, PSC_LOG_ERROR, "ws: at most one of uv_loop, glib_context and ev_loop may be set");
        return PSC_ERR_INVALID;
    }
    const char *field = uv_loop ? "uv_loop" : glib_context ? "glib_context" : "ev_loop";
    const psc__ws_loop_ops *ops = uv_loop ? psc__ws_uv_ops : glib_context ? psc__ws_glib_ops : psc__ws_ev_ops;
    if (!ops) {
        psc__log(intro, PSC_LOG_ERROR, "ws: this build has no %s support (%s)",
                 uv_loop ? "libuv" : glib_context ? "glib" : "libev", field);
        return PSC_ERR_UNSUPPORTED;
    }
    if (!plugin_installed(ops)) {
        psc__log(intro, PSC_LOG_ERROR, "ws: %s needs libwebsockets' %s plugin (%s/%s), which is not installed",
                 field, ops->name, LWS_INSTALL_LIBDIR, ops->plugin);
        return PSC_ERR_UNSUPPORTED;
    }
    ws->loop_ops = ops;
    ws->host_loop = uv_loop ? uv_loop : glib_context ? glib_context : ev_loop;
    return PSC_OK;
}

psc_err psc__ws_loop_prepare(psc__ws *ws, struct lws_context_creation_info *info)
{
    ws->foreign_loops[0] = ws->loop_ops->foreign(ws);
    if (!ws->foreign_loops[0])
        return PSC_ERR_IO; /* logged by the kind */
    /* lws loads the kind's plugin for this option and, given a foreign
     * loop, adds its watchers to it; pcontext is cleared when it freed
     * the context. */
    info->options |= ws->loop_ops->lws_option;
    info->foreign_loops = ws->foreign_loops;
    info->pcontext = &ws->loop_ctx;
    ws->loop_closing = false;
    ws->loop_finished = false;
    return PSC_OK;
}

void psc__ws_loop_end(psc__ws *ws)
{
    ws->loop_ctx = ws->ctx;
    ws->loop_closing = true;
    ws->loop_finished = false;
    if (ws->loop_ops->closing)
        ws->loop_ops->closing(ws);
    lws_context_destroy(ws->ctx);
    ws->ctx = NULL;
    ws->loop_ops->finish(ws);
}

void psc__ws_loop_finish_now(psc__ws *ws)
{
    /* Their watchers are gone once lws closed them (nothing waits for a
     * loop turn); a context lws kept for a second call is ended by it. */
    if (ws->loop_ctx)
        lws_context_destroy(ws->loop_ctx);
    if (ws->loop_ctx)
        psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR, "ws: libwebsockets did not end its context");
    ws->loop_finished = true;
}

bool psc__ws_loop_done(const psc__ws *ws)
{
    return !ws->loop_ops || (!ws->ctx && (!ws->loop_closing || ws->loop_finished));
}

void psc__ws_loop_fini(psc__ws *ws)
{
    if (!ws->loop_ops)
        return;
    if (ws->loop_closing) {
        if (!ws->loop_finished || ws->loop_ctx)
            psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR,
                     "ws: freed before its %s loop ended the context (psc_ws_loop_done)", ws->loop_ops->name);
        psc__ws_log_detach(ws);
    }
    if (ws->loop_ops->release)
        ws->loop_ops->release(ws);
}

/*
 * WebSocket endpoint on the host's GLib main context.
 *
 * lws 4.1's glib plugin takes a GMainLoop as its foreign loop but only
 * ever uses the context under it (its sources attach there; it neither
 * runs nor quits a foreign loop), so the host hands over the
 * GMainContext it iterates and the endpoint wraps it in a GMainLoop of
 * its own, which holds a reference on the context until fini.
 * Every lws source is removed synchronously (g_source_destroy) while lws
 * ends its context, so nothing is left to wait for after close.
 *
 * But lws unloads the plugin as the context ends, while GLib may still
 * hold references to lws sources: those it found ready in the iteration
 * whose callback closed the endpoint (lws' idle source is ready often).
 * Dropping them afterwards reads their GSourceFuncs, which live in the
 * plugin: from unmapped memory once it is gone. So the plugin is opened
 * once more here, never to be unloaded (RTLD_NODELETE).
 */
#include "transport/ws/ws.h"
#include "core/core.h"

#ifdef PSC_HAVE_GLIB
#include <dlfcn.h>
#include <glib.h>

static pthread_once_t pin_once = PTHREAD_ONCE_INIT;
static bool pinned;

static void pin_plugin(void)
{
#ifdef LWS_WITH_EVLIB_PLUGINS
    pinned = dlopen(LWS_INSTALL_LIBDIR "/libwebsockets-evlib_glib.so", RTLD_NOW | RTLD_NODELETE) != NULL;
#else
    pinned = true; /* part of libwebsockets itself */
#endif
}

static void *glib_foreign(psc__ws *ws)
{
    pthread_once(&pin_once, pin_plugin);
    if (!pinned) {
        psc__log(psc_endpoint_introspector(ws->ep), PSC_LOG_ERROR,
                 "ws: cannot load libwebsockets' glib plugin: %s", dlerror());
        return NULL;
    }
    if (!ws->glib_loop)
        ws->glib_loop = g_main_loop_new(ws->host_loop, FALSE);
    return ws->glib_loop;
}

static void glib_release(psc__ws *ws)
{
    if (ws->glib_loop)
        g_main_loop_unref(ws->glib_loop);
    ws->glib_loop = NULL;
}

static const psc__ws_loop_ops glib_ops = {
    .name = "glib",
    .field = "glib_context",
    .plugin = "libwebsockets-evlib_glib.so",
    .lws_option = LWS_SERVER_OPTION_GLIB,
    .foreign = glib_foreign,
    .finish = psc__ws_loop_finish_now,
    .release = glib_release,
};
const psc__ws_loop_ops *const psc__ws_glib_ops = &glib_ops;
#else
const psc__ws_loop_ops *const psc__ws_glib_ops = NULL;
#endif

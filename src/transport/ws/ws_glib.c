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
 */
#include "transport/ws/ws.h"

#ifdef PSC_HAVE_GLIB
#include <glib.h>

static void *glib_foreign(psc__ws *ws)
{
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

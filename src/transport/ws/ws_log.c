/* libwebsockets' log: the host's routing (psc_ws_lws_log) or the endpoint's sink (util/lws_log.h). */
#include "transport/ws/ws.h"
#include "core/core.h"

void psc_ws_lws_log(psc_log_level max_level, psc_log_fn fn, void *user)
{
    psc__lws_log_host(max_level, fn, user);
}

static void to_introspector(void *user, psc_log_level level, const char *line)
{
    psc__ws *ws = user;
    psc__log(psc_endpoint_introspector(ws->ep), level, "libwebsockets: %s", line);
}

void psc__ws_log_attach(psc__ws *ws)
{
    ws->log_sink.fn = to_introspector;
    ws->log_sink.user = ws;
    psc__lws_log_sink_add(&ws->log_sink);
    psc__lws_log_default();
}

void psc__ws_log_detach(psc__ws *ws)
{
    psc__lws_log_sink_remove(&ws->log_sink);
}

/* Routing of libwebsockets' process-wide log, when the host asks for it. */
#include "transport/ws/ws.h"

static psc_log_fn route_fn;
static void *route_user;

static void emit(int level, const char *line)
{
    psc_log_level l = level & LLL_ERR ? PSC_LOG_ERROR
                    : level & LLL_WARN ? PSC_LOG_WARN
                    : level & LLL_NOTICE ? PSC_LOG_INFO
                                         : PSC_LOG_DEBUG;
    char buf[512];
    size_t n = strlen(line);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, line, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = 0;
    if (route_fn)
        route_fn(route_user, l, buf);
}

void psc_ws_lws_log(psc_log_level max_level, psc_log_fn fn, void *user)
{
    route_fn = fn;
    route_user = user;
    int mask = 0;
    if (fn) {
        mask = LLL_ERR;
        if (max_level >= PSC_LOG_WARN)
            mask |= LLL_WARN;
        if (max_level >= PSC_LOG_INFO)
            mask |= LLL_NOTICE;
        if (max_level >= PSC_LOG_DEBUG)
            mask |= LLL_INFO;
    }
    lws_set_log_level(mask, emit);
}

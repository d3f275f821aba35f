/*
 * Where libwebsockets' process-wide log goes (util/lws_log.c).
 *
 * lws writes its error, warning and notice lines to stderr unless told
 * otherwise, and the library promises never to write there by itself. So
 * before the library creates an lws context it calls psc__lws_log_default:
 * unless the host chose with psc_ws_lws_log, lws errors and warnings then
 * go to every registered sink (each WebSocket endpoint registers one that
 * logs through its introspector's log callback), and nothing to stderr.
 */
#ifndef PSC_UTIL_LWS_LOG_H
#define PSC_UTIL_LWS_LOG_H

#include "peerscope/common.h"

typedef struct psc__lws_sink {
    /* called with lws' line (no trailing newline), from lws' thread */
    void (*fn)(void *user, psc_log_level level, const char *line);
    void *user;
    struct psc__lws_sink *prev, *next;
} psc__lws_sink;

/* Route lws' log by default (once; nothing if the host chose). Thread-safe. */
void psc__lws_log_default(void);
/* Add / remove a sink. Removal waits for a line being delivered to it.
 * A sink's fn must not add or remove sinks. Thread-safe. */
void psc__lws_log_sink_add(psc__lws_sink *s);
void psc__lws_log_sink_remove(psc__lws_sink *s);
/* psc_ws_lws_log: the host's own routing, which replaces the default for good. */
void psc__lws_log_host(psc_log_level max_level, psc_log_fn fn, void *user);

#endif

/* Routing of libwebsockets' process-wide log (util/lws_log.h). */
#include "util/lws_log.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <string.h>

/* Everything here is process-wide, like the lws setting it manages. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool host_chose;         /* psc_ws_lws_log was called: the default never applies again */
static bool default_on;
static psc__lws_sink *sinks;
static psc_log_fn host_fn;
static void *host_user;

static psc_log_level level_of(int lws_level)
{
    return lws_level & LLL_ERR ? PSC_LOG_ERROR
         : lws_level & LLL_WARN ? PSC_LOG_WARN
         : lws_level & LLL_NOTICE ? PSC_LOG_INFO
                                  : PSC_LOG_DEBUG;
}

/* lws ends its lines with a newline; log callbacks take lines without. */
static void trim(char *buf, size_t cap, const char *line)
{
    size_t n = strlen(line);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, line, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = 0;
}

static void emit_to_sinks(int level, const char *line)
{
    char buf[512];
    trim(buf, sizeof buf, line);
    pthread_mutex_lock(&lock);
    for (psc__lws_sink *s = sinks; s; s = s->next)
        s->fn(s->user, level_of(level), buf);
    pthread_mutex_unlock(&lock);
}

static void emit_to_host(int level, const char *line)
{
    char buf[512];
    trim(buf, sizeof buf, line);
    if (host_fn)
        host_fn(host_user, level_of(level), buf);
}

void psc__lws_log_default(void)
{
    pthread_mutex_lock(&lock);
    if (!host_chose && !default_on) {
        lws_set_log_level(LLL_ERR | LLL_WARN, emit_to_sinks);
        default_on = true;
    }
    pthread_mutex_unlock(&lock);
}

void psc__lws_log_sink_add(psc__lws_sink *s)
{
    pthread_mutex_lock(&lock);
    s->prev = NULL;
    s->next = sinks;
    if (sinks)
        sinks->prev = s;
    sinks = s;
    pthread_mutex_unlock(&lock);
}

void psc__lws_log_sink_remove(psc__lws_sink *s)
{
    pthread_mutex_lock(&lock);
    if (s->prev)
        s->prev->next = s->next;
    else if (sinks == s)
        sinks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    pthread_mutex_unlock(&lock);
}

void psc__lws_log_host(psc_log_level max_level, psc_log_fn fn, void *user)
{
    pthread_mutex_lock(&lock);
    host_chose = true;
    default_on = false;
    host_fn = fn;
    host_user = user;
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
    lws_set_log_level(mask, emit_to_host);
    pthread_mutex_unlock(&lock);
}

#include "tool_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t tool_stop_signal = 0;

static void on_stop_signal(int sig)
{
    tool_stop_signal = sig;
}

bool tool_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a blocking read or poll returns so the flag is seen */
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return false;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL) == 0;
}

uint64_t tool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t tool_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tool_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
    static const char *units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    if (bytes < 1000) {
        snprintf(buf, len, "%u B", (unsigned)bytes);
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 999.95 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, len, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void tool_fmt_duration(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000u;
    if (ms < 1000)
        snprintf(buf, len, "%ums", (unsigned)ms);
    else if (s < 60)
        snprintf(buf, len, "%us", (unsigned)s);
    else if (s < 3600)
        snprintf(buf, len, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
    else
        snprintf(buf, len, "%llud%02uh", (unsigned long long)(s / 86400), (unsigned)(s / 3600 % 24));
}

void tool_vreport(FILE *f, const char *prog, const char *kind, const char *fmt, va_list ap)
{
    fprintf(f, "%s: ", prog);
    if (kind)
        fprintf(f, "%s: ", kind);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
}

static void *default_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void default_free(void *user, void *p)
{
    (void)user;
    free(p);
}

psc_allocator tool_allocator(const psc_allocator *a)
{
    return a ? *a : (psc_allocator){default_alloc, default_free, NULL};
}

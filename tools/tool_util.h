/* Small helpers shared by peerscope-dump and peerscope-top. */
#ifndef PSC_TOOLS_UTIL_H
#define PSC_TOOLS_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/common.h"

/* Set by the SIGINT/SIGTERM handler that tool_catch_signals installs. */
extern volatile sig_atomic_t tool_stop_signal;

/*
 * Route SIGINT and SIGTERM to tool_stop_signal (main loops poll it and
 * shut down cleanly) and ignore SIGPIPE (write errors are handled where
 * they happen). Returns false if a handler cannot be installed.
 */
bool tool_catch_signals(void);

/* Monotonic clock in milliseconds. */
uint64_t tool_now_ms(void);
/* Wall clock in milliseconds since the Unix epoch. */
uint64_t tool_wall_ms(void);

/* "1.2 KB" style sizes (1000-based, like rates on the wire) into buf. */
void tool_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* A duration in ms as "850ms", "12s", "3m05s", "2h10m", "4d03h". */
void tool_fmt_duration(char *buf, size_t len, uint64_t ms);

/* "<prog>: [<kind>: ]<message>\n" on f (kind NULL: none, e.g. "warning"). */
void tool_vreport(FILE *f, const char *prog, const char *kind, const char *fmt, va_list ap) PSC_PRINTF(4, 0);

/* *a, or malloc/free when a is NULL: the allocator of the tools' own buffers. */
psc_allocator tool_allocator(const psc_allocator *a);

#endif

/*
 * The views of peerscope-top. Each fills the frame's table (and a one-line
 * summary) from a node's model; the table does filtering, sorting and
 * drawing.
 */
#ifndef PSC_TOOLS_TOP_VIEWS_H
#define PSC_TOOLS_TOP_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "top_model.h"
#include "top_table.h"

typedef struct top_view_ctx {
    uint64_t wall_ms;     /* now, for ages */
    bool utf8;            /* the terminal shows "…" */
    size_t event_focus;   /* events view: the type shown in typed columns, (size_t)-1: all */
} top_view_ctx;

typedef void (*top_view_build)(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary,
                               size_t summary_len);

typedef struct top_view_def {
    const char *name;     /* shown in the footer */
    char letter;          /* its key besides the digit */
    int default_sort;     /* column, -1: as reported */
    bool default_desc;
    top_view_build build;
} top_view_def;

extern const top_view_def top_view_defs[];

void top_view_conns(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_streams(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_dht(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_pubsub(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_peers(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_limits(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_events(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_alerts(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);
void top_view_fleet(const top_model *m, const top_view_ctx *ctx, top_table *t, char *summary, size_t len);

/* top_views_fleet.c: the fleet's row named name, or NULL. */
const Peerscope__Fleet__Node *top_fleet_node(const top_model *m, const char *name);
/* The fleet's totals for the header: "nodes 20  up 19  down 1  peers 120 ...". */
void top_fleet_totals(const top_model *m, char *buf, size_t len);

/* Formatting helpers shared by the views (top_views_fmt.c). */
/* A peer id shortened to "12D3KooW…x6nXTN" when longer than max. */
void fmt_peer(char *buf, size_t len, const char *id, size_t max, bool utf8);
/* Bytes as "1.2 KB", rates as "1.2 KB/s" ("-" for 0 when dash_zero). */
void fmt_bytes(char *buf, size_t len, uint64_t bytes);
void fmt_rate(char *buf, size_t len, double rate);
/* Nanoseconds as "850us", "12.3ms", "1.20s"; "-" for 0. */
void fmt_ns(char *buf, size_t len, uint64_t ns);
/* Age of a timestamp (ms since the epoch) relative to now; "-" for 0. */
void fmt_age(char *buf, size_t len, uint64_t ts_ms, uint64_t now_ms);
/* Local wall-clock time of a timestamp, "HH:MM:SS.mmm". */
void fmt_clock(char *buf, size_t len, uint64_t ts_ms);
/* The first hex bytes of an id ("a1b2c3d4"). */
void fmt_hex(char *buf, size_t len, const uint8_t *d, size_t n);
/* The names of the 2020 enums. */
const char *fmt_status(int status);
const char *fmt_role_dir(int role);

#endif

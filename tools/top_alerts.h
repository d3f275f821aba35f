/*
 * Alerts and durations of one node for peerscope-top: what a host with
 * analyzers sends in State.alerts, State.milestones and Runtime.milestones.
 * A 2020 host sends none: the counts are zero and no milestone is found.
 *
 * Reads the model only (nothing is kept); the returned pointers live as
 * long as the model's current state and runtime. Not thread-safe, like
 * the model.
 */
#ifndef PSC_TOOLS_TOP_ALERTS_H
#define PSC_TOOLS_TOP_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "top_model.h"

typedef struct top_alert_counts {
    size_t total, info, warning, critical;
} top_alert_counts;

/* The alerts firing in the latest state, by severity (unknown severities count as info). */
top_alert_counts top_alerts_count(const top_model *m);

/* "info", "warning", "critical" for an Alert.Severity. */
const char *top_severity_name(int severity);

/* The milestone named name: the state's (the newer), else the runtime's; NULL if not reached. */
const Peerscope__Milestone *top_milestone(const top_model *m, const char *name);

/* The "peers_N" milestone with the largest N (*n set to it), or NULL. */
const Peerscope__Milestone *top_milestone_most_peers(const top_model *m, unsigned *n);

/* A duration as the header shows it: "850ms", "2.43s", "12.5s", "3m 05s". */
void fmt_took(char *buf, size_t len, uint64_t ms);

/*
 * The main durations reached, for the header: "first peer 850ms  8 peers
 * 2.43s  sync 8.48s" ("syncing since 3.01s" while only sync_started is
 * reached). Empty when there are none.
 */
void top_durations_line(const top_model *m, char *buf, size_t len);

#endif

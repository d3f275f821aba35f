/*
 * peerscope: analyzers, alerts and milestones.
 *
 * An analyzer watches one introspector from the inside: on every snapshot
 * (whoever makes it: an endpoint, the recorder, the analyzer's own thread
 * or the host) it evaluates its rules over the finished state and over
 * the events emitted since the previous snapshot, on the snapshotting
 * thread, never inside psc_emit. A rule's condition must hold for `for_ms`
 * before it fires and be clear for `resolve_ms` (and, with a hysteresis,
 * be back past the threshold by that much) before it resolves; each rule
 * keeps that state per subject (a peer, a topic, a bucket, a scope, a
 * protocol, or the node).
 *
 * Firing and resolving are AlertFiring and AlertResolved events in the
 * introspector's ring (every session, recorder and 2020 visualizer's
 * timeline sees them), and each state lists the alerts firing at its time
 * (State.alerts). The analyzer also derives milestones (time from start to
 * identity known, first listen address, first peer, N peers, sync started
 * and completed, and host-declared ones) from lifecycle events and
 * connection history; they are in State.milestones and Runtime.milestones,
 * and a MilestoneReached event marks each.
 *
 * Rule kinds, the value each measures per subject, and when it fires
 * (threshold in parentheses when the rule leaves it NAN):
 *
 *   expected_peers      peer   1 while a peer of the expected set is not connected       value > 0
 *   expected_events     peer   ms since subject's last `event_type` event whose
 *                              `property` names it (or since it joined the set)  value > window_ms
 *   peers_low           node   connected peers                                 value < threshold (1)
 *   peers_high          node   connected peers                                 value > threshold (1000)
 *   connection_churn    node   connections opened + closed in the last window_ms,
 *                              per minute                                      value > threshold (60)
 *   dial_failures       node   failed / finished dials over window_ms          value > threshold (0.5)
 *   stream_growth       protocol  snapshots its open streams grew in since
 *                              they last fell                                  value >= threshold (5)
 *   stream_idle         protocol  streams open longer than window_ms with no
 *                              traffic at all                                  value > threshold (0)
 *   dht_buckets_low     bucket peers in a bucket of CPL 0..max_cpl (a missing
 *                              bucket counts 0)                                value < threshold (1)
 *   dht_query_failures  node   failed / finished outbound queries over window_ms value > threshold (0.5)
 *   mesh_low            topic  mesh peers of a subscribed topic (D_low)        value < threshold (4)
 *   mesh_high           topic  mesh peers of a subscribed topic (D_high)       value > threshold (12)
 *   negative_score      peer   lowest score over the meshes it is in          value < threshold (0)
 *   resource_usage      scope  highest usage of a limited resource, % of limit value > threshold (80)
 *   events_dropped      node   events sessions lost (slow clients: full queue or
 *                              lapped by the ring) and the analyzer missed,
 *                              over window_ms                                  value > threshold (0)
 *   provider_errors     provider  consecutive snapshots it failed in         value >= threshold (3)
 *   custom              any    what the rule's callback observes               value > threshold (0)
 *
 * Lock order: the analyzer's lock comes after the introspector's snapshot
 * lock (its rules run inside snapshots), so no analyzer call may be made
 * from a provider's collect or from a rule callback, except the
 * psc_rule_ctx_* and psc_expected_add functions given to it.
 */
#ifndef PEERSCOPE_ANALYZE_H
#define PEERSCOPE_ANALYZE_H

#include <math.h>

#include "peerscope/common.h"
#include "peerscope/event.h"
#include "peerscope/message.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An analyzer: at most one per introspector (psc_analyzer_new). */
typedef struct psc_analyzer psc_analyzer;

/** Alert severities, as Alert.Severity on the wire. */
typedef enum psc_severity {
    PSC_SEVERITY_INFO = 0,
    PSC_SEVERITY_WARNING = 1,
    PSC_SEVERITY_CRITICAL = 2,
} psc_severity;

/** The rule kinds (see the table at the top). */
typedef enum psc_rule_kind {
    PSC_RULE_EXPECTED_PEERS = 0,
    PSC_RULE_EXPECTED_EVENTS,
    PSC_RULE_PEERS_LOW,
    PSC_RULE_PEERS_HIGH,
    PSC_RULE_CONNECTION_CHURN,
    PSC_RULE_DIAL_FAILURES,
    PSC_RULE_STREAM_GROWTH,
    PSC_RULE_STREAM_IDLE,
    PSC_RULE_DHT_BUCKETS_LOW,
    PSC_RULE_DHT_QUERY_FAILURES,
    PSC_RULE_MESH_LOW,
    PSC_RULE_MESH_HIGH,
    PSC_RULE_NEGATIVE_SCORE,
    PSC_RULE_RESOURCE_USAGE,
    PSC_RULE_EVENTS_DROPPED,
    PSC_RULE_PROVIDER_ERRORS,
    PSC_RULE_CUSTOM,
    PSC_RULE_KIND_COUNT_ /**< not a kind */
} psc_rule_kind;

/** The kind's name as in rules files and Alert.kind ("mesh_low"); NULL for an unknown kind. Thread-safe. */
PSC_API const char *psc_rule_kind_name(psc_rule_kind kind);
/** The kind of a name. Errors: PSC_ERR_INVALID for NULL; PSC_ERR_NOT_FOUND. Thread-safe. */
PSC_API psc_err psc_rule_kind_from_name(const char *name, psc_rule_kind *out);

/**
 * What a custom rule's callback gets: the state being made and the events
 * since the previous evaluation. Valid during the callback only.
 */
typedef struct psc_rule_ctx psc_rule_ctx;

/**
 * A custom rule: called on every evaluation, on the snapshotting thread,
 * with the analyzer's lock held (it must not call analyzer functions other
 * than psc_rule_ctx_*). It reports one value per subject with
 * psc_rule_ctx_observe; the engine compares each with the rule's
 * threshold (fires when value > threshold) and applies for_ms, resolve_ms
 * and hysteresis. A subject not observed in an evaluation counts as clear.
 * An error is logged; the rule's subjects keep their state.
 *
 * Example (an alert per peer whose latency is above the threshold, in ms):
 *
 *     static psc_err slow_peers(void *user, psc_rule_ctx *ctx)
 *     {
 *         const psc_msg *st = psc_rule_ctx_state(ctx);
 *         for (size_t i = 0; i < psc_state_connection_count(st); i++) {
 *             psc_connection c = PSC_CONNECTION_INIT;
 *             if (psc_state_connection(st, i, &c) == PSC_OK && c.peer_id)
 *                 psc_rule_ctx_observe(ctx, c.peer_id, "peer", c.latency_ns / 1e6, NULL);
 *         }
 *         return PSC_OK;
 *     }
 *
 *     psc_rule r = PSC_RULE_INIT;
 *     r.name = "slow-peer";
 *     r.kind = PSC_RULE_CUSTOM;
 *     r.threshold = 250;
 *     r.for_ms = 10000;
 *     r.custom = slow_peers;
 *     psc_analyzer_add_rule(an, &r);
 *
 * examples/demo/alerts.c has it running in the demo (rule demo-slow-peer).
 */
typedef psc_err (*psc_rule_fn)(void *user, psc_rule_ctx *ctx);

/**
 * One rule. Initialise with PSC_RULE_INIT (struct_size, threshold NAN:
 * the kind's default) and set what you need; zero elsewhere means default.
 * Every string is copied by psc_analyzer_add_rule.
 */
typedef struct psc_rule {
    size_t struct_size;       /**< sizeof(psc_rule) (PSC_RULE_INIT) */
    const char *name;         /**< required, unique in the analyzer; Alert.rule */
    psc_rule_kind kind;
    psc_severity severity;    /**< zero: PSC_SEVERITY_INFO */
    double threshold;         /**< NAN: the kind's default (table at the top) */
    double hysteresis;        /**< once firing, the value must be back past the threshold by this much to resolve */
    uint64_t for_ms;          /**< the condition must hold this long before firing; 0: at once */
    uint64_t resolve_ms;      /**< and be clear this long before resolving; 0: at once */
    const char *subject;      /**< only subjects matching this shell pattern (fnmatch); NULL: all */
    const char *set;          /**< expected_peers/expected_events: the expected set's name; NULL: "" */
    const char *event_type;   /**< expected_events: the event type (e.g. "Vote") */
    const char *property;     /**< expected_events: the property naming the subject (e.g. "validator") */
    uint64_t window_ms;       /**< expected_events: W (required); stream_idle: T; rates: their window; 0: 60000 */
    uint32_t max_cpl;         /**< dht_buckets_low: highest common prefix length checked; 0: 3 */
    psc_rule_fn custom;       /**< custom: the callback */
    void *custom_user;        /**< passed to custom */
} psc_rule;

#define PSC_RULE_INIT {.struct_size = sizeof(psc_rule), .threshold = (double)NAN}

/**
 * Analyzer configuration (PSC_ANALYZER_CONFIG_INIT); NULL is all defaults.
 */
typedef struct psc_analyzer_config {
    size_t struct_size;          /**< sizeof(psc_analyzer_config) */
    /**
     * Make a snapshot every interval_ms on the analyzer's own thread, so
     * rules run when no client watches; 0: no thread (rules then run on
     * the snapshots others make, or on psc_analyzer_evaluate).
     */
    uint64_t interval_ms;
    const uint32_t *peer_milestones; /**< N of the "peers_N" milestones; NULL: 1, 5, 10 ("peers_1" is also "first_peer") */
    size_t n_peer_milestones;
    size_t max_events;           /**< events kept per evaluation for the rules; 0: 4096 (more count as dropped) */
} psc_analyzer_config;

#define PSC_ANALYZER_CONFIG_INIT {.struct_size = sizeof(psc_analyzer_config)}

/**
 * Create an analyzer and attach it to intro. Declares the AlertFiring,
 * AlertResolved and MilestoneReached event types (below) and opens an
 * event reader. With interval_ms, starts its thread.
 * Errors: PSC_ERR_INVALID for NULL intro or out or a bad struct_size;
 * PSC_ERR_EXISTS when intro has an analyzer already, or one of those event
 * names is declared with other properties; PSC_ERR_STATE from inside a
 * provider's collect; PSC_ERR_NOMEM; PSC_ERR_IO when the thread cannot start.
 * Ownership: config is copied; *out is the caller's, to free with
 * psc_analyzer_free before psc_introspector_free. Thread-safe.
 */
PSC_API psc_err psc_analyzer_new(psc_introspector *intro, const psc_analyzer_config *config, psc_analyzer **out);

/**
 * Detach from the introspector (waiting for a snapshot in progress), stop
 * the thread and free everything. NULL is a no-op. Not thread-safe against
 * other calls on an; not from a rule or provider callback.
 */
PSC_API void psc_analyzer_free(psc_analyzer *an);

/**
 * Make a snapshot (which evaluates every rule) and drop it: what the
 * analyzer's thread does each interval, for hosts that drive time.
 * Errors: as psc_introspector_snapshot. Thread-safe.
 */
PSC_API psc_err psc_analyzer_evaluate(psc_analyzer *an);

/**
 * Add a rule; it is evaluated from the next snapshot on.
 * Errors: PSC_ERR_INVALID for NULL arguments, a bad struct_size, a missing
 * or non-UTF-8 name, an unknown kind or severity, a negative or NaN
 * hysteresis, expected_events without event_type, property or window_ms,
 * custom without a callback; PSC_ERR_EXISTS for a name in use;
 * PSC_ERR_NOMEM. Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_analyzer_add_rule(psc_analyzer *an, const psc_rule *rule);

/**
 * Remove a rule by name; its firing alerts leave State.alerts, each with
 * an AlertResolved event. Errors: PSC_ERR_INVALID; PSC_ERR_NOT_FOUND.
 * Thread-safe.
 */
PSC_API psc_err psc_analyzer_remove_rule(psc_analyzer *an, const char *name);

/**
 * Load rules (and expected sets) from a YAML rules file (format in the
 * README, "Analyzers"). All or nothing: on any error no rule is added, and
 * err (when not NULL) receives "FILE:LINE: FIELD: what is wrong",
 * truncated to err_len.
 * Errors: PSC_ERR_INVALID for NULL arguments or a bad file (err says
 * where); PSC_ERR_IO when the file cannot be read; PSC_ERR_EXISTS for a
 * rule name in use (err names it); PSC_ERR_NOMEM. Thread-safe.
 */
PSC_API psc_err psc_analyzer_load_rules(psc_analyzer *an, const char *path, char *err, size_t err_len);

/**
 * As psc_analyzer_load_rules from text in memory (len bytes); origin names
 * it in errors (NULL: "rules"). Thread-safe.
 */
PSC_API psc_err psc_analyzer_load_rules_string(psc_analyzer *an, const char *text, size_t len, const char *origin,
                                               char *err, size_t err_len);

/** What evaluating the rules has cost so far (CPU time of the snapshotting threads inside the analyzer). */
typedef struct psc_analyzer_stats {
    uint64_t evaluations;  /**< snapshots that evaluated the rules */
    uint64_t total_cpu_ns; /**< their CPU time, summed */
    uint64_t last_cpu_ns;  /**< the last one's */
    size_t rules;          /**< rules now */
} psc_analyzer_stats;

/** Fill *out. Errors: PSC_ERR_INVALID for NULL arguments. Thread-safe. */
PSC_API psc_err psc_analyzer_get_stats(psc_analyzer *an, psc_analyzer_stats *out);

/* ------------------------------------------------------- expected sets */

/**
 * Replace the expected set named set (NULL: "") with n peer ids (or other
 * subject names: expected_events uses them as they are).
 * Errors: PSC_ERR_INVALID for a NULL an, ids NULL with n > 0, an id NULL,
 * empty or not UTF-8; PSC_ERR_NOMEM (the old set stays). Removes the set's
 * provider if it had one. Ownership: copied. Thread-safe.
 */
PSC_API psc_err psc_analyzer_set_expected(psc_analyzer *an, const char *set, const char *const *ids, size_t n);

/**
 * Replace the set from a file of one id per line (blank lines and lines
 * starting with '#' skipped, surrounding spaces trimmed).
 * Errors: as psc_analyzer_set_expected; PSC_ERR_IO when unreadable. Thread-safe.
 */
PSC_API psc_err psc_analyzer_load_expected(psc_analyzer *an, const char *set, const char *path);

/** Where a provider puts the ids of its set. */
typedef struct psc_expected_sink psc_expected_sink;

/**
 * Add one id to the set being provided (a duplicate is ignored).
 * Errors: PSC_ERR_INVALID for NULL, empty or non-UTF-8; PSC_ERR_NOMEM.
 */
PSC_API psc_err psc_expected_add(psc_expected_sink *sink, const char *id);

/**
 * A host provider of an expected set (a validator indexer): called on each
 * evaluation, on the snapshotting thread with the analyzer's lock held
 * (it may only call psc_expected_add), to give the set's current members.
 * An error keeps the set as it was.
 */
typedef psc_err (*psc_expected_fn)(void *user, const char *set, psc_expected_sink *sink);

/**
 * Make fn the provider of set (NULL fn: the set becomes fixed as last
 * provided). Errors: PSC_ERR_INVALID for a NULL an; PSC_ERR_NOMEM. Thread-safe.
 */
PSC_API psc_err psc_analyzer_set_expected_provider(psc_analyzer *an, const char *set, psc_expected_fn fn, void *user);

/* --------------------------------------------------------- custom rules */

/** The state being evaluated: a STATE message whose psc_state_* readers work (not its bytes); do not keep it. */
PSC_API const psc_msg *psc_rule_ctx_state(const psc_rule_ctx *ctx);
/** The evaluation's time (the state's instant_ts), ms since the Unix epoch. */
PSC_API uint64_t psc_rule_ctx_now(const psc_rule_ctx *ctx);
/** Events emitted since the previous evaluation (at most max_events). */
PSC_API size_t psc_rule_ctx_event_count(const psc_rule_ctx *ctx);
/**
 * The i-th of those events: its type name, time and JSON content (each
 * optional). Errors: PSC_ERR_INVALID; PSC_ERR_NOT_FOUND past the last.
 * Ownership: strings live during the callback.
 */
PSC_API psc_err psc_rule_ctx_event(const psc_rule_ctx *ctx, size_t i, const char **type, uint64_t *ts,
                                   const char **content);
/**
 * Report the value of one subject. subject_kind NULL: "node"; message
 * NULL: one made from the rule, subject and value. Errors: PSC_ERR_INVALID
 * for NULL ctx or subject or non-UTF-8 text; PSC_ERR_NOMEM.
 */
PSC_API psc_err psc_rule_ctx_observe(psc_rule_ctx *ctx, const char *subject, const char *subject_kind, double value,
                                     const char *message);

/**
 * A top-level property of an event's JSON content as text: a string's
 * value unescaped, a number or literal as written; at most cap - 1 bytes
 * and a NUL go to buf. Errors: PSC_ERR_INVALID for NULL arguments or cap
 * 0; PSC_ERR_NOT_FOUND when absent, null, or an array or object;
 * PSC_ERR_TOO_BIG when it does not fit. Thread-safe.
 */
PSC_API psc_err psc_event_prop_text(const char *content, const char *prop, char *buf, size_t cap);

/* ----------------------------------------------------- alerts, milestones */

/** An active alert, as in State.alerts. Strings live during the callback only. */
typedef struct psc_alert {
    const char *rule, *kind, *subject, *subject_kind, *message;
    psc_severity severity;
    double value, threshold;
    uint64_t since_ts;  /**< when the condition started to hold */
    uint64_t firing_ts; /**< when it fired */
} psc_alert;

typedef void (*psc_alert_fn)(void *user, const psc_alert *alert);

/**
 * Call fn (when not NULL) for every alert firing, oldest first, with the
 * analyzer's lock held (fn must not call the analyzer); returns their
 * number (0 for NULL an). Thread-safe.
 */
PSC_API size_t psc_analyzer_alerts(psc_analyzer *an, psc_alert_fn fn, void *user);

/**
 * Mark a host-declared milestone reached now (or at ts_ms with
 * psc_analyzer_milestone_reach_at). from: the milestone its duration is
 * measured from (which must be reached already), NULL for the
 * introspector's start: reaching "sync_begin" then "sync_end" from
 * "sync_begin" measures that pair. Reaching a name again is a no-op.
 * A MilestoneReached event is emitted; states list it from the next one.
 * Errors: PSC_ERR_INVALID for a NULL an or name or non-UTF-8 text;
 * PSC_ERR_NOT_FOUND when from is not reached yet; PSC_ERR_NOMEM. Thread-safe.
 */
PSC_API psc_err psc_analyzer_milestone_reach(psc_analyzer *an, const char *name, const char *from);
PSC_API psc_err psc_analyzer_milestone_reach_at(psc_analyzer *an, const char *name, const char *from, uint64_t ts_ms);

/**
 * A milestone's time reached and duration from its origin.
 * Errors: PSC_ERR_INVALID for NULL an or name; PSC_ERR_NOT_FOUND while not
 * reached. Either out pointer may be NULL. Thread-safe.
 */
PSC_API psc_err psc_analyzer_milestone(psc_analyzer *an, const char *name, uint64_t *reached_ts,
                                       uint64_t *duration_ms);

/* ---------------------------------------------------------- event types */

/** "AlertFiring": rule STRING, severity STRING ("info", "warning",
 *  "critical"), subject STRING, value NUMBER, threshold NUMBER, since TIME,
 *  then kind STRING, subjectKind STRING, message STRING. */
PSC_API extern const psc_event_def PSC_EVENT_ALERT_FIRING;
/** "AlertResolved": the same properties as AlertFiring, value being the
 *  one that cleared it (since still when it began to hold). */
PSC_API extern const psc_event_def PSC_EVENT_ALERT_RESOLVED;
/** "MilestoneReached": name STRING, durationMs NUMBER, from STRING
 *  ("" for the start), reachedTs TIME. */
PSC_API extern const psc_event_def PSC_EVENT_MILESTONE_REACHED;

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: the flight recorder, the last minutes of a host in memory.
 *
 * A recorder keeps, for one introspector, the states and events of the
 * last keep_ms milliseconds within max_bytes of memory: a full state every
 * full_every states and deltas in between (State.delta: only what changed,
 * so a quiet node costs little), and every event as it was emitted. When
 * something goes wrong the host (or a client, through the WebSocket
 * endpoint's GET /recording, see psc_ws_config.recorder) writes it out as
 * a 2020-format recording: Runtime first, then every state whole and
 * every event, merged in time order, each event type's property metadata
 * on its first event in the file (as a session sends them), which
 * peerscope-dump, the visualizer and the 2020 visualizer open.
 *
 * What is kept: events go one by one, oldest first. States go a segment
 * at a time (a full state and the deltas built on it), because a delta is
 * only kept while the state it builds on is: the oldest segment goes by
 * age once the next one began before the window (so the window still
 * opens on the state that was current then, and the newest segment stays
 * however old: it holds the current state), by memory when it is older
 * than the oldest event. A full state is also taken whenever the last one
 * is older than half of keep_ms, so a segment never spans much of the
 * window.
 *
 * Costs: a recorder takes its snapshots on its own thread (or when the host
 * calls psc_recorder_sample), serialised with every other snapshot of the
 * introspector like any snapshot; a sample costs about a snapshot and a
 * delta (the benchmark measures 1.1x a plain snapshot). It reads events
 * through its own cursor, so psc_emit never waits for it: its thread
 * drains the ring whenever events arrive, at most every 10 ms, and a
 * recorder that falls more than the ring behind counts what it missed
 * (psc_recorder_stats.events_missed). Memory is bounded by max_bytes:
 * everything it holds for the history is counted, items, their
 * bookkeeping and the last snapshot it diffs against (with its records).
 * Writing costs more than keeping: each delta is rebuilt into a whole
 * state (about a snapshot's CPU per state), and the file, with every state
 * whole, can be many times max_bytes.
 *
 * Shared with other consumers: the introspector reports a connection that
 * vanished as CLOSED once, in the next snapshot, whoever takes it. With a
 * recorder and an endpoint both taking snapshots, each sees some closes
 * only as disappearances (which is all 2020 clients rely on).
 */
#ifndef PEERSCOPE_RECORDER_H
#define PEERSCOPE_RECORDER_H

#include <stdio.h>

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psc_introspector psc_introspector;
/** A flight recorder. */
typedef struct psc_recorder psc_recorder;

/** Options of psc_recorder_new; zero means the default. */
typedef struct psc_recorder_config {
    size_t struct_size;      /**< sizeof(psc_recorder_config) (PSC_RECORDER_CONFIG_INIT) */
    uint64_t keep_ms;        /**< how much history: 0: 600000 (10 minutes) */
    size_t max_bytes;        /**< memory for it: 0: 64 MiB; less than 64 KiB is raised to 64 KiB */
    /**
     * A state every interval_ms on the recorder's own thread (0: 1000, less
     * than 100 is raised to 100); PSC_RECORDER_MANUAL: no thread, the host
     * calls psc_recorder_sample (for hosts that drive time themselves, and
     * tests), which is then also the only time events are read.
     */
    uint32_t interval_ms;
    uint32_t full_every;     /**< every full_every-th state is kept whole, the others as deltas: 0: 60; 1: all whole */
} psc_recorder_config;

/** Defaults for every option; set struct_size. */
#define PSC_RECORDER_CONFIG_INIT {.struct_size = sizeof(psc_recorder_config)}
/** psc_recorder_config.interval_ms: the host drives sampling. */
#define PSC_RECORDER_MANUAL UINT32_MAX

/**
 * Start recording intro (from now: events emitted before are not
 * recorded). With a thread, the first state is taken at once, then one
 * every interval_ms. cfg may be NULL for all defaults (a thread).
 * Errors: PSC_ERR_INVALID for a NULL intro or out, or a cfg whose
 * struct_size does not cover full_every; PSC_ERR_NOMEM; PSC_ERR_IO when
 * the thread or its wake-up pipe cannot be made; PSC_ERR_TOO_BIG when 16
 * event listeners (started endpoints and recorders with a thread) are
 * already registered on intro.
 * Ownership: cfg is copied; on success *out is the caller's, freed with
 * psc_recorder_free before intro. Thread-safe.
 */
PSC_API psc_err psc_recorder_new(psc_introspector *intro, const psc_recorder_config *cfg, psc_recorder **out);

/**
 * Stop the recorder's thread and free everything it holds. NULL is a
 * no-op. An endpoint serving it (psc_ws_config.recorder) must be closed or
 * freed first, and it must go before psc_introspector_free of its
 * introspector. Must not race with any other call on r; must not be called
 * from a provider's collect or a log callback.
 */
PSC_API void psc_recorder_free(psc_recorder *r);

/**
 * Store every event emitted since the last time, then take one state now,
 * pruning what is too old (by the introspector's clock) or over
 * max_bytes. What the recorder's thread does every interval; also allowed
 * with a thread (a state is then simply taken early). Errors:
 * PSC_ERR_INVALID for NULL; PSC_ERR_STATE from inside a provider's collect
 * (of any snapshot of the introspector: nothing is done); the snapshot's
 * own errors, PSC_ERR_NOMEM and PSC_ERR_TOO_BIG (the state alone does not
 * fit in max_bytes: it is dropped) with the events stored anyway; an event
 * that could not be stored for want of memory is stored by the next call
 * (nothing is lost unless the ring laps it meanwhile). Failed states are
 * counted in psc_recorder_stats.sample_errors. Thread-safe.
 */
PSC_API psc_err psc_recorder_sample(psc_recorder *r);

/**
 * Write what the recorder holds as a 2020-format recording to path:
 * written to a temporary file beside it (path + ".tmp-XXXXXX", mode 0600:
 * a recording names peers and addresses), synced to disk, then renamed
 * over path (and the directory synced), so that path is either the
 * complete new recording or untouched.
 * Errors: PSC_ERR_INVALID for NULL arguments or an empty path; PSC_ERR_IO
 * when the file cannot be written (missing directory, full disk, no
 * permission, path is a directory): nothing is left behind; PSC_ERR_NOMEM
 * (nothing left behind either); PSC_ERR_TOO_BIG for a state over
 * PSC_RECORDING_MAX_RECORD (wire.h), which a reader would refuse;
 * PSC_ERR_CORRUPT when a stored delta cannot be rebuilt (a bug: that state
 * and the rest of its segment are left out, everything else is written and
 * the file is in place). Thread-safe; recording goes on meanwhile (the
 * recording is what was held when the call began; until written, that is
 * kept alive even if pruned, so memory may reach twice max_bytes). Costs
 * about a snapshot's CPU per delta held, on the calling thread.
 */
PSC_API psc_err psc_recorder_write(psc_recorder *r, const char *path);

/**
 * As psc_recorder_write, to an open stream at its position: written and
 * flushed (so that a full disk shows as PSC_ERR_IO), not closed or synced;
 * on error part of it may have been written. Errors as psc_recorder_write.
 * Ownership: f stays the caller's. Thread-safe (one writer per FILE).
 */
PSC_API psc_err psc_recorder_write_file(psc_recorder *r, FILE *f);

/**
 * The recording in memory: *out is a buffer of *len bytes from the
 * introspector's allocator, freed with psc_recorder_buffer_free. Errors as
 * psc_recorder_write (no PSC_ERR_IO); on PSC_ERR_CORRUPT nothing is
 * returned. Thread-safe.
 */
PSC_API psc_err psc_recorder_write_buffer(psc_recorder *r, uint8_t **out, size_t *len);

/** Free a buffer of psc_recorder_write_buffer (NULL is a no-op). Thread-safe. */
PSC_API void psc_recorder_buffer_free(psc_recorder *r, uint8_t *buf);

/** What a recorder holds (psc_recorder_stats_get). */
typedef struct psc_recorder_stats {
    size_t struct_size;       /**< set by the caller: sizeof(psc_recorder_stats) */
    size_t bytes;             /**< memory held for the history, never above max_bytes: items, bookkeeping, the last snapshot (not what a write in progress keeps alive) */
    size_t full_states;       /**< states held whole */
    size_t delta_states;      /**< states held as deltas */
    size_t events;            /**< events held */
    uint64_t oldest_ms;       /**< time of the oldest item held (0: none) */
    uint64_t newest_ms;       /**< time of the newest */
    uint64_t samples;         /**< states taken and stored since the recorder started */
    uint64_t sample_errors;   /**< states that could not be taken or stored */
    uint64_t events_missed;   /**< events the ring overwrote before the recorder read them */
    uint64_t pruned;          /**< items (states and events) dropped for age or memory */
} psc_recorder_stats;

/** Fill *out (its struct_size set). Errors: PSC_ERR_INVALID for NULL or a too small struct_size. Thread-safe. */
PSC_API psc_err psc_recorder_stats_get(psc_recorder *r, psc_recorder_stats *out);

#ifdef __cplusplus
}
#endif

#endif

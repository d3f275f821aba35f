/*
 * peerscope: the flight recorder, the last minutes of a host in memory.
 *
 * A recorder keeps, for one introspector, the states and events of the
 * last keep_ms milliseconds within max_bytes of memory: a full state every
 * full_every states and deltas in between (State.delta: only what changed,
 * so a quiet node costs little), and every event as it was emitted. When
 * something goes wrong the host (or a client, through the WebSocket
 * endpoint's GET /recording) writes it out as a 2020-format recording:
 * Runtime first, then every state whole and every event, in time order,
 * which peerscope-dump, the visualizer and the 2020 visualizer open.
 *
 * Costs: a recorder takes its snapshots on its own thread (or when the host
 * calls psc_recorder_sample), serialised with every other snapshot of the
 * introspector like any snapshot; it reads events through its own cursor,
 * so psc_emit never waits for it (a recorder that falls more than the event
 * ring behind counts what it missed). Memory is bounded by max_bytes
 * (what is stored, messages and their bookkeeping), the oldest going
 * first; a delta is only kept while the full state it builds on is.
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
    size_t max_bytes;        /**< memory for it: 0: 64 MiB; at least 64 KiB */
    /**
     * A state every interval_ms on the recorder's own thread (0: 1000, at
     * least 100); PSC_RECORDER_MANUAL: no thread, the host calls
     * psc_recorder_sample (for hosts that drive time themselves, and tests).
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
 * recorded). Errors: PSC_ERR_INVALID for a NULL intro or out, or a cfg
 * whose struct_size is too small; PSC_ERR_NOMEM; PSC_ERR_IO when the
 * thread cannot start. Ownership: cfg is copied; on success *out is the
 * caller's, freed with psc_recorder_free before intro. Thread-safe.
 */
PSC_API psc_err psc_recorder_new(psc_introspector *intro, const psc_recorder_config *cfg, psc_recorder **out);

/**
 * Stop the recorder's thread and free everything it holds. NULL is a
 * no-op. Must not race with any other call on r; must not be called from a
 * provider's collect or a log callback.
 */
PSC_API void psc_recorder_free(psc_recorder *r);

/**
 * Take one state now and store every event emitted since the last time,
 * pruning what is too old or over max_bytes. What the recorder's thread
 * does every interval; also allowed with a thread (a state is then simply
 * taken early). Errors: PSC_ERR_INVALID for NULL; PSC_ERR_STATE from inside
 * a provider's collect; the snapshot's own errors (the events are stored
 * anyway). Thread-safe.
 */
PSC_API psc_err psc_recorder_sample(psc_recorder *r);

/**
 * Write what the recorder holds as a 2020-format recording to path:
 * written to a temporary file beside it, flushed to disk, then renamed over
 * path, so that path is either the complete new recording or untouched.
 * Errors: PSC_ERR_INVALID for NULL arguments; PSC_ERR_IO when the file
 * cannot be written (full disk, no permission): nothing is left behind;
 * PSC_ERR_NOMEM; PSC_ERR_CORRUPT when a stored delta cannot be rebuilt (a
 * bug: the rest is still written). Thread-safe; recording goes on meanwhile
 * (the recording is what was held when the call began).
 */
PSC_API psc_err psc_recorder_write(psc_recorder *r, const char *path);

/** As psc_recorder_write, to an open stream (written, not closed or synced). Thread-safe. */
PSC_API psc_err psc_recorder_write_file(psc_recorder *r, FILE *f);

/**
 * The recording in memory: *out is a buffer of *len bytes from the
 * introspector's allocator, freed with psc_recorder_buffer_free. Errors as
 * psc_recorder_write (no PSC_ERR_IO). Thread-safe.
 */
PSC_API psc_err psc_recorder_write_buffer(psc_recorder *r, uint8_t **out, size_t *len);

/** Free a buffer of psc_recorder_write_buffer (NULL is a no-op). Thread-safe. */
PSC_API void psc_recorder_buffer_free(psc_recorder *r, uint8_t *buf);

/** What a recorder holds (psc_recorder_stats_get). */
typedef struct psc_recorder_stats {
    size_t struct_size;       /**< set by the caller: sizeof(psc_recorder_stats) */
    size_t bytes;             /**< memory held for the history (counted against max_bytes) */
    size_t full_states;       /**< states held whole */
    size_t delta_states;      /**< states held as deltas */
    size_t events;            /**< events held */
    uint64_t oldest_ms;       /**< time of the oldest item held (0: none) */
    uint64_t newest_ms;       /**< time of the newest */
    uint64_t samples;         /**< states taken since the recorder started */
    uint64_t sample_errors;   /**< states that could not be taken or stored */
    uint64_t events_missed;   /**< events the ring overwrote before the recorder read them */
    uint64_t pruned;          /**< items dropped for age or memory */
} psc_recorder_stats;

/** Fill *out (its struct_size set). Errors: PSC_ERR_INVALID for NULL or a too small struct_size. Thread-safe. */
PSC_API psc_err psc_recorder_stats_get(psc_recorder *r, psc_recorder_stats *out);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: common definitions shared by every public header.
 *
 * Conventions (apply to every function unless its comment says otherwise):
 * - Functions return a psc_err; PSC_OK is 0, errors are negative.
 * - Out-parameters are written only on success; ownership of anything passed
 *   in moves to the library only on success.
 * - Strings passed in are copied; the caller keeps ownership of its memory.
 * - Destroy/free functions accept NULL.
 * - Structs that begin with struct_size are read only up to the caller's
 *   struct_size, so a program built against an older, shorter struct keeps
 *   working; fields past it take their defaults.
 *
 * C and C++: the headers compile as C11 and as C++11. The PSC_*_INIT
 * macros and the PSC_V_* value macros use designated initializers and
 * compound literals, which are C only. From C++, value-initialise the
 * struct instead (`psc_ws_config cfg{};`) and set struct_size to sizeof
 * it: every INIT macro sets struct_size and leaves the rest zero, except
 * PSC_CONFIG_INIT, which also sets log_level to PSC_LOG_WARN.
 */
#ifndef PEERSCOPE_COMMON_H
#define PEERSCOPE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(PSC_BUILDING_LIBRARY) && !defined(PSC_STATIC)
#define PSC_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(PSC_STATIC)
#define PSC_API __declspec(dllimport)
#elif defined(__GNUC__)
#define PSC_API __attribute__((visibility("default")))
#else
#define PSC_API
#endif

#if defined(__GNUC__)
#define PSC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PSC_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes. Every public call that can fail returns one of these. */
typedef enum psc_err {
    PSC_OK = 0,               /**< success */
    PSC_ERR_INVALID = -1,     /**< an argument is NULL, out of range or malformed */
    PSC_ERR_NOMEM = -2,       /**< an allocation failed; nothing was changed */
    PSC_ERR_NOT_FOUND = -3,   /**< no such handle, name or entry */
    PSC_ERR_EXISTS = -4,      /**< the name or handle is already registered */
    PSC_ERR_TOO_BIG = -5,     /**< the value exceeds a configured or format limit */
    PSC_ERR_STATE = -6,       /**< the call is not valid in the object's current state */
    PSC_ERR_PROVIDER = -7,    /**< a provider reported failure */
    PSC_ERR_IO = -8,          /**< a system call, socket or file failed */
    PSC_ERR_PROTOCOL = -9,    /**< the peer or data violates the wire format */
    PSC_ERR_CORRUPT = -10,    /**< a checksum or length in framed data does not match */
    PSC_ERR_AUTH = -11,       /**< authentication was refused */
    PSC_ERR_UNSUPPORTED = -12,/**< the feature is not available in this build */
    PSC_ERR_CLOSED = -13,     /**< the object was closed */
    PSC_ERR_TIMEOUT = -14,    /**< the operation did not complete in time */
    PSC_ERR_AGAIN = -15,      /**< nothing available now; try again later */
    PSC_ERR_INTERNAL = -16,   /**< the library broke one of its own invariants (a bug: please report it) */
} psc_err;

/**
 * A short English description of err ("out of memory", ...). Never NULL;
 * unknown values give "unknown error". The string is static (never free
 * it). Thread-safe.
 */
PSC_API const char *psc_strerror(psc_err err);

/**
 * Memory allocator used by one introspector and everything made from it
 * (messages, endpoints, sessions, event readers), or by one client loop or
 * client (client.h). Set both functions: if either is NULL, malloc/free
 * are used. The struct is copied; the functions and user must stay usable
 * as long as anything allocated through them lives, which includes
 * psc_msg references held after psc_introspector_free and endpoints freed
 * after it.
 */
typedef struct psc_allocator {
    /**
     * Return size bytes aligned for any type, or NULL on failure (the
     * library then reports PSC_ERR_NOMEM). Called from any thread that
     * uses the object, including the service thread of an endpoint, so it
     * must be thread-safe. Must not call into peerscope.
     */
    void *(*alloc)(void *user, size_t size);
    /**
     * Release ptr (never NULL when called by the library). Called from any
     * thread, e.g. the one dropping the last reference to a psc_msg, so it
     * must be thread-safe. Must not call into peerscope.
     */
    void (*free)(void *user, void *ptr);
    void *user; /**< passed to both functions */
} psc_allocator;

/**
 * Clocks of one introspector (psc_config.clock). The struct is copied.
 * Either function may be NULL to use the system clock (CLOCK_REALTIME,
 * CLOCK_MONOTONIC). psc_counter_now_ns always reads the system's
 * monotonic clock, whatever is configured here.
 */
typedef struct psc_clock {
    /**
     * Milliseconds since the Unix epoch: every *_ts on the wire, event
     * times, psc_introspector_now_ms. Called from any thread (the host's,
     * an endpoint's service thread, inside psc_emit), so it must be
     * thread-safe and cheap. Must not call into peerscope.
     */
    uint64_t (*wall_ms)(void *user);
    /**
     * A monotonic clock in nanoseconds: durations (collect_ns) and the
     * endpoints' push timers. Same threads and rules as wall_ms.
     */
    uint64_t (*mono_ns)(void *user);
    void *user; /**< passed to both functions */
} psc_clock;

/** Severity of a log line; a larger value is more verbose. */
typedef enum psc_log_level {
    PSC_LOG_ERROR = 0, /**< something failed (a zeroed psc_config logs only these) */
    PSC_LOG_WARN = 1,  /**< something is wrong but service goes on (a provider failed); PSC_CONFIG_INIT's level */
    PSC_LOG_INFO = 2,  /**< lifecycle: an endpoint started or closed, a WebSocket refused */
    PSC_LOG_DEBUG = 3, /**< per session: opened, closed and why */
} psc_log_level;

/**
 * Log sink (psc_config.log; psc_ws_lws_log for libwebsockets' own lines).
 * The library never writes to stderr by itself; without a log callback it
 * is silent. Called from any library thread: the caller's (a snapshot in
 * which a provider fails, psc_endpoint_start) or an endpoint's service
 * thread, possibly from several threads at once, so it must be
 * thread-safe. msg is NUL-terminated, at most 511 bytes (longer lines are cut)
 * and valid only during the call. It must not call
 * psc_introspector_free, psc_endpoint_close or psc_endpoint_free.
 */
typedef void (*psc_log_fn)(void *user, psc_log_level level, const char *msg);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: common definitions shared by every public header.
 *
 * Conventions (apply to every function unless its comment says otherwise):
 * - Functions return a psc_err; PSC_OK is 0, errors are negative.
 * - Out-parameters are written only on success; ownership of anything passed
 *   in moves to the library only on success.
 * - Strings passed in are copied; the caller keeps ownership of its memory.
 * - Destroy/free functions accept NULL.
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

/** Error codes. Every public call returns one of these. */
typedef enum psc_err {
    PSC_OK = 0,
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
 * unknown values give "unknown error". Thread-safe; the string is static.
 */
PSC_API const char *psc_strerror(psc_err err);

/**
 * Memory allocator used by one introspector (and everything it creates).
 * alloc returns NULL on failure; free accepts NULL. Both may be called from
 * any thread that uses the introspector, so they must be thread-safe.
 */
typedef struct psc_allocator {
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} psc_allocator;

/**
 * Clock used for timestamps. wall_ms: milliseconds since the Unix epoch
 * (used for every *_ts on the wire). mono_ns: a monotonic clock in
 * nanoseconds (durations). Either may be NULL to use the system clock.
 * Called from any thread.
 */
typedef struct psc_clock {
    uint64_t (*wall_ms)(void *user);
    uint64_t (*mono_ns)(void *user);
    void *user;
} psc_clock;

typedef enum psc_log_level {
    PSC_LOG_ERROR = 0,
    PSC_LOG_WARN = 1,
    PSC_LOG_INFO = 2,
    PSC_LOG_DEBUG = 3,
} psc_log_level;

/**
 * Log sink. The library never writes to stderr by itself; without a log
 * callback it is silent. Called from any library thread (the caller's, or
 * an endpoint's service thread); msg is valid only during the call.
 */
typedef void (*psc_log_fn)(void *user, psc_log_level level, const char *msg);

#ifdef __cplusplus
}
#endif

#endif

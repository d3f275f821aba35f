/*
 * The wire module's interface: every encoder of the library writes the
 * schema's bytes through it.
 *
 *   wire/pb_fields.h  field numbers and enum values, generated at build time
 *                     from proto/peerscope.proto (never spelled by hand)
 *   wire/pbwrite.h    the two-pass protobuf writer (size pass, write pass)
 *   wire/msg.h        psc_msg construction
 *   here              the ServerMessage envelope every message shares, and
 *                     the check that each write pass filled exactly what its
 *                     size pass promised
 *
 * Encoders run in two passes: sizes first (cached where the records have
 * room), then a write into a buffer of exactly that size, without bounds
 * checks. psc__wire_sm_seal checks the total in every build; builds with
 * PSC_WIRE_CHECKS (debug builds) also check every length-prefixed body
 * (PSC__PB_BODY_END), so that a size pass that drifts from its write pass
 * fails the encode with PSC_ERR_INTERNAL, naming the message, instead of
 * sending a corrupt frame.
 */
#ifndef PSC_WIRE_WIRE_H
#define PSC_WIRE_WIRE_H

#include "util/alloc.h"
#include "wire/msg.h"
#include "wire/pb_fields.h"
#include "wire/pbwrite.h"
#include "peerscope/version.h" /* PSC_PROTOCOL_VERSION: the header's and ServerMessage.version's */

/* A public enum value that the library writes as is: it must be the schema's. */
#define PSC__WIRE_SAME(ours, schema) _Static_assert((int)(ours) == (int)(schema), #ours " is " #schema)

/* Bytes of ServerMessage{version, <kind> = a body of body_len bytes}. */
size_t psc__wire_sm_size(psc_msg_kind kind, size_t body_len);

/*
 * Allocate a message of the given kind for a payload body of body_len
 * bytes, write ServerMessage.version and the payload's tag and length, and
 * set *body where the body goes (exactly body_len bytes). On success *out
 * is a new, unsealed message (the caller's reference); finish it with
 * psc__wire_sm_seal. Thread-safe (no shared state).
 */
psc_err psc__wire_sm_new(const psc__alloc *a, psc_msg_kind kind, size_t body_len, psc_msg **out, uint8_t **body);

/*
 * The body was written up to end. Seals m when end is exactly the end of
 * its payload and no body check failed on this thread since
 * psc__wire_sm_new; otherwise frees m and returns PSC_ERR_INTERNAL (what
 * went wrong is in psc__wire_last_error). Either way the caller's
 * reference is consumed on error and kept on success.
 */
psc_err psc__wire_sm_seal(psc_msg *m, const uint8_t *end);

/*
 * What the last failed seal on this thread found ("Connection: wrote 57 of
 * 58 bytes (encode_state.c:123)"), or NULL. Static or thread-local storage.
 */
const char *psc__wire_last_error(void);

#ifdef PSC_WIRE_CHECKS
/* Record a mismatch between a body's size pass and its write pass. */
void psc__wire_body_check(const uint8_t *start, const uint8_t *end, size_t size, const char *what, const char *file,
                          int line);
#define PSC__PB_BODY_END(start, end, size, what) psc__wire_body_check((start), (end), (size), (what), __FILE__, __LINE__)
#else
/* the operands are still read, so release builds see no unused variables */
#define PSC__PB_BODY_END(start, end, size, what) ((void)(start), (void)(end), (void)(size))
#endif

#endif

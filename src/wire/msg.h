/*
 * Construction of psc_msg values (see peerscope/message.h for the public
 * side). Encoders go through wire/wire.h, which writes the ServerMessage
 * envelope and checks the body before sealing.
 */
#ifndef PSC_WIRE_MSG_H
#define PSC_WIRE_MSG_H

#include "util/alloc.h"
#include "peerscope/message.h"

/*
 * Allocate a message with room for payload_len bytes of payload, headroom
 * and header in one block. The payload is uninitialised: fill it through
 * psc__msg_payload_mut, then call psc__msg_seal before sharing the message.
 * The message keeps a copy of *a and frees itself with it.
 */
psc_err psc__msg_new(const psc__alloc *a, psc_msg_kind kind, size_t payload_len, psc_msg **out);

/* Bytes of the message's one allocation (header, headroom and payload; a view is extra). */
size_t psc__msg_block_size(const psc_msg *m);

/* Writable payload of a message that is not sealed yet. */
uint8_t *psc__msg_payload_mut(psc_msg *m);

/* Write the 12-byte frame header (checksum of the payload). */
void psc__msg_seal(psc_msg *m);

/*
 * Attach a decoded view (the state view). free_view(view) runs when the
 * last reference goes; it must free with its own allocator.
 */
void psc__msg_set_view(psc_msg *m, void *view, void (*free_view)(void *view));
void *psc__msg_view(const psc_msg *m);

/*
 * A position in the payload that the message's encoder wants to find again
 * (events: where the bytes after Event.type begin). 0 until set.
 */
void psc__msg_set_mark(psc_msg *m, size_t offset);
size_t psc__msg_mark(const psc_msg *m);

#endif

/*
 * peerscope ADVANCED header: exposes the protobuf-c types generated from
 * proto/peerscope.proto. Including it makes your code depend on protobuf-c
 * (libprotobuf-c) and on this exact schema revision. The main headers never
 * include it.
 */
#ifndef PEERSCOPE_PB_H
#define PEERSCOPE_PB_H

#include "peerscope/message.h"
#include "peerscope/peerscope.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Decode msg (any kind) into a protobuf-c tree.
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_PROTOCOL when
 * protobuf-c refuses the payload, which for the library's own messages
 * means it ran out of memory (protobuf-c gives no reason).
 * Ownership: on success *out is the caller's, allocated with protobuf-c's
 * default allocator (malloc, not the introspector's): free it with
 * peerscope__server_message__free_unpacked(*out, NULL). It does not point
 * into msg, which may be unref'd at once. Thread-safe.
 */
PSC_API psc_err psc_msg_decode(const psc_msg *msg, Peerscope__ServerMessage **out);

#ifdef __cplusplus
}
#endif

#endif

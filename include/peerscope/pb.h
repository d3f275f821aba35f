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
 * Decode msg into a protobuf-c tree (allocated with protobuf-c's default
 * allocator). Free with peerscope__server_message__free_unpacked(*out, NULL).
 * Thread-safe.
 */
PSC_API psc_err psc_msg_decode(const psc_msg *msg, Peerscope__ServerMessage **out);

#ifdef __cplusplus
}
#endif

#endif

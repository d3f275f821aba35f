/*
 * peerscope: the 2020 framing and recording file format.
 *
 * Live stream: each server message is [u32 version][u32 fnv1a][u32 len][payload],
 * all little-endian. Recording file: [u32 version] once, then records
 * [u32 fnv1a][u32 len][payload]. The framing functions are thread-safe
 * and allocation-free; a recording reader allocates with malloc.
 */
#ifndef PEERSCOPE_WIRE_H
#define PEERSCOPE_WIRE_H

#include <stdio.h>

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * FNV-1a 32-bit hash of len bytes at data (offset basis 2166136261, prime
 * 16777619); data may be NULL only when len is 0. Thread-safe.
 */
PSC_API uint32_t psc_fnv1a32(const void *data, size_t len);

/**
 * Write the 12-byte live header for len bytes of payload into out:
 * version 1, the payload's FNV-1a, len (which must fit in 32 bits; it is
 * truncated otherwise). Cannot fail. Thread-safe.
 */
PSC_API void psc_frame_header(uint8_t out[12], const uint8_t *payload, size_t len);

/**
 * Check a live frame (header + payload) of frame_len bytes and return
 * where its payload starts (*payload, *payload_len).
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_PROTOCOL for a
 * wrong version or a frame shorter than its header; PSC_ERR_CORRUPT for a
 * length or checksum mismatch.
 * Ownership: *payload points into frame (no copy). Thread-safe.
 */
PSC_API psc_err psc_frame_parse(const uint8_t *frame, size_t frame_len, const uint8_t **payload,
                                size_t *payload_len);

/** Reader of a recording file. Not thread-safe (one thread per reader). */
typedef struct psc_recording psc_recording;

/** Largest record psc_recording_next accepts, and psc_recording_write writes (64 MiB). */
#define PSC_RECORDING_MAX_RECORD (64u * 1024u * 1024u)

/**
 * Open a recording from a FILE positioned at its start and read its
 * version.
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_PROTOCOL if the
 * file is shorter than the version or its version is not 1; PSC_ERR_IO
 * for a read error; PSC_ERR_NOMEM.
 * Ownership: f stays the caller's (never closed by the library) and must
 * outlive the reader; on success *out is freed with psc_recording_close.
 * Allocates with malloc (no introspector is involved).
 * Thread-safe (each call makes its own reader).
 */
PSC_API psc_err psc_recording_open(FILE *f, psc_recording **out);

/**
 * Free a reader and its buffer; the FILE is left open. NULL is a no-op.
 * Not thread-safe against other calls on r.
 */
PSC_API void psc_recording_close(psc_recording *r);

/**
 * Read the next record's payload (a serialized ServerMessage).
 * Returns PSC_OK; PSC_ERR_CLOSED at a clean end of file (the end-of-file
 * flag is cleared, so a later call reads records appended meanwhile);
 * PSC_ERR_CORRUPT for a record whose checksum does not match (it is
 * skipped: call again for the next one); PSC_ERR_NOMEM when the record
 * cannot be buffered (call again to retry it); PSC_ERR_PROTOCOL for a
 * truncated record or one over PSC_RECORDING_MAX_RECORD, and PSC_ERR_IO
 * for a read error: both final, every later call returns the same.
 * PSC_ERR_INVALID for a NULL argument.
 * Ownership: *payload points into the reader's buffer (grown with
 * realloc), valid until the next call or psc_recording_close.
 * Not thread-safe against other calls on r.
 */
PSC_API psc_err psc_recording_next(psc_recording *r, const uint8_t **payload, size_t *len);

/**
 * Index (from 0) of the record last returned or skipped as corrupt (0
 * before the first and for NULL). Not thread-safe against other calls on r.
 */
PSC_API uint64_t psc_recording_index(const psc_recording *r);

/**
 * Write the file header (version 1) at f's position.
 * Errors: PSC_ERR_INVALID for a NULL f; PSC_ERR_IO if fwrite fails.
 * Ownership: f stays the caller's. Thread-safe as stdio is (one writer per
 * FILE at a time keeps records whole).
 */
PSC_API psc_err psc_recording_write_header(FILE *f);

/**
 * Append one record for len bytes of payload (e.g. psc_msg_payload).
 * Errors: PSC_ERR_INVALID for a NULL f, or a NULL payload with len > 0;
 * PSC_ERR_TOO_BIG over PSC_RECORDING_MAX_RECORD (nothing written);
 * PSC_ERR_IO if fwrite fails (part of the record may have been written).
 * Ownership: payload is read during the call only; f stays the caller's.
 * Thread-safe as psc_recording_write_header.
 */
PSC_API psc_err psc_recording_write(FILE *f, const uint8_t *payload, size_t len);

#ifdef __cplusplus
}
#endif

#endif

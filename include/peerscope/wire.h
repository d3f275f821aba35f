/*
 * peerscope: the 2020 framing and recording file format.
 *
 * Live stream: each server message is [u32 version][u32 fnv1a][u32 len][payload],
 * all little-endian. Recording file: [u32 version] once, then records
 * [u32 fnv1a][u32 len][payload]. All functions are thread-safe and
 * allocation-free unless noted.
 */
#ifndef PEERSCOPE_WIRE_H
#define PEERSCOPE_WIRE_H

#include <stdio.h>

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** FNV-1a 32-bit hash (offset basis 2166136261, prime 16777619). */
PSC_API uint32_t psc_fnv1a32(const void *data, size_t len);

/** Write the 12-byte live header for payload into out. */
PSC_API void psc_frame_header(uint8_t out[12], const uint8_t *payload, size_t len);

/**
 * Check a live frame (header + payload) of frame_len bytes and return
 * where its payload starts. PSC_ERR_PROTOCOL for a wrong version or a
 * frame shorter than its header, PSC_ERR_CORRUPT for a length or checksum
 * mismatch.
 */
PSC_API psc_err psc_frame_parse(const uint8_t *frame, size_t frame_len, const uint8_t **payload,
                                size_t *payload_len);

/** Reader of a recording file. Not thread-safe (one thread per reader). */
typedef struct psc_recording psc_recording;

/** Largest record psc_recording_next accepts by default (64 MiB). */
#define PSC_RECORDING_MAX_RECORD (64u * 1024u * 1024u)

/**
 * Open a recording from a FILE (not closed by the library) and read its
 * version. PSC_ERR_PROTOCOL if the file is empty or its version is not 1.
 * Allocates with malloc.
 */
PSC_API psc_err psc_recording_open(FILE *f, psc_recording **out);
PSC_API void psc_recording_close(psc_recording *r);

/**
 * Read the next record's payload (a serialized ServerMessage), valid until
 * the next call. Returns PSC_OK, PSC_ERR_CLOSED at a clean end of file,
 * PSC_ERR_CORRUPT for a record whose checksum does not match (it is
 * skipped: call again for the next one), PSC_ERR_PROTOCOL for a truncated
 * record or one over the size limit (the rest is unreadable),
 * PSC_ERR_IO for a read error.
 */
PSC_API psc_err psc_recording_next(psc_recording *r, const uint8_t **payload, size_t *len);

/** Index (from 0) of the record last returned or skipped. */
PSC_API uint64_t psc_recording_index(const psc_recording *r);

/** Write the file header (version 1). */
PSC_API psc_err psc_recording_write_header(FILE *f);
/** Append one record for payload. */
PSC_API psc_err psc_recording_write(FILE *f, const uint8_t *payload, size_t len);

#ifdef __cplusplus
}
#endif

#endif

/*
 * peerscope: libp2p peer ids for Ed25519 keys.
 *
 * A libp2p Ed25519 peer id is the base58btc encoding of the identity
 * multihash of the protobuf-encoded public key:
 *   00 24 08 01 12 20 <32-byte key>   ->   "12D3KooW..."
 * All functions are thread-safe and allocation-free.
 */
#ifndef PEERSCOPE_PEERID_H
#define PEERSCOPE_PEERID_H

#include "peerscope/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSC_ED25519_PUBKEY_LEN 32u
#define PSC_ED25519_SECKEY_LEN 64u
#define PSC_ED25519_SEED_LEN 32u
/** Bytes of an Ed25519 peer id in binary (multihash) form. */
#define PSC_PEERID_ED25519_BIN_LEN 38u
/** Buffer size that holds any peer id string this library produces, with its NUL. */
#define PSC_PEERID_STR_MAX 64u
/** Longest binary peer id psc_peerid_parse accepts. */
#define PSC_PEERID_BIN_MAX 128u

/** Derive the Ed25519 keypair from a 32-byte seed (deterministic). */
PSC_API psc_err psc_ed25519_keypair_from_seed(const uint8_t seed[32], uint8_t pk[32], uint8_t sk[64]);

/** Generate a random Ed25519 keypair. */
PSC_API psc_err psc_ed25519_keypair_random(uint8_t pk[32], uint8_t sk[64]);

/**
 * Peer id string of an Ed25519 public key into out (out_size bytes,
 * PSC_PEERID_STR_MAX suffices). PSC_ERR_TOO_BIG if out is too small.
 */
PSC_API psc_err psc_peerid_from_ed25519(const uint8_t pk[32], char *out, size_t out_size);

/** The 38-byte binary (multihash) form of an Ed25519 key's peer id. */
PSC_API psc_err psc_peerid_bin_from_ed25519(const uint8_t pk[32], uint8_t out[38]);

/**
 * Parse and validate a peer id string: base58btc of a multihash (identity
 * or sha2-256) with a consistent length, or the CIDv1 "bafz..." form is NOT
 * accepted. Writes the multihash bytes to bin (if not NULL, bin_size bytes)
 * and their count to *bin_len. PSC_ERR_INVALID for anything malformed.
 */
PSC_API psc_err psc_peerid_parse(const char *str, uint8_t *bin, size_t bin_size, size_t *bin_len);

/** True when str is a valid peer id per psc_peerid_parse. */
PSC_API bool psc_peerid_is_valid(const char *str);

/**
 * If the peer id embeds an Ed25519 public key (identity multihash), copy
 * it to pk. PSC_ERR_NOT_FOUND for hashed (e.g. RSA) ids.
 */
PSC_API psc_err psc_peerid_ed25519_key(const char *str, uint8_t pk[32]);

/** Base58btc (Bitcoin alphabet) encode; PSC_ERR_TOO_BIG if out is too small. */
PSC_API psc_err psc_base58_encode(const uint8_t *in, size_t in_len, char *out, size_t out_size);
/** Base58btc decode; PSC_ERR_INVALID on a bad character, PSC_ERR_TOO_BIG if out is too small. */
PSC_API psc_err psc_base58_decode(const char *in, uint8_t *out, size_t out_size, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif

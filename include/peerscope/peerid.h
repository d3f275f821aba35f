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

/**
 * Derive the Ed25519 keypair of a 32-byte seed (deterministic: the same
 * seed always gives the same keys) into pk (32 bytes) and sk (64 bytes,
 * the libsodium secret key: seed then public key).
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_UNSUPPORTED if
 * libsodium cannot be initialised.
 * Ownership: writes only pk and sk, which the caller owns; sk is a secret
 * (the library keeps no copy and wipes its own). Thread-safe.
 */
PSC_API psc_err psc_ed25519_keypair_from_seed(const uint8_t seed[32], uint8_t pk[32], uint8_t sk[64]);

/**
 * Generate a random Ed25519 keypair (libsodium's random source) into pk
 * (32 bytes) and sk (64 bytes).
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_UNSUPPORTED if
 * libsodium cannot be initialised; PSC_ERR_IO if key generation fails.
 * Ownership: as psc_ed25519_keypair_from_seed. Thread-safe.
 */
PSC_API psc_err psc_ed25519_keypair_random(uint8_t pk[32], uint8_t sk[64]);

/**
 * The peer id string ("12D3KooW...", NUL-terminated) of an Ed25519 public
 * key, into out (out_size bytes; PSC_PEERID_STR_MAX suffices).
 * Errors: PSC_ERR_INVALID for a NULL argument; PSC_ERR_TOO_BIG if out is
 * too small (out is then not written).
 * Ownership: writes only out. Thread-safe.
 */
PSC_API psc_err psc_peerid_from_ed25519(const uint8_t pk[32], char *out, size_t out_size);

/**
 * The 38-byte binary (identity multihash) form of an Ed25519 key's peer
 * id, into out: 00 24 08 01 12 20 followed by the key.
 * Errors: PSC_ERR_INVALID for a NULL argument.
 * Ownership: writes only out. Thread-safe.
 */
PSC_API psc_err psc_peerid_bin_from_ed25519(const uint8_t pk[32], uint8_t out[38]);

/**
 * Parse and validate a peer id string in its base58btc form: a multihash
 * that is either sha2-256 (a 32-byte digest: RSA and other large keys) or
 * identity (a public key of at most 42 bytes in libp2p's deterministic
 * protobuf encoding: Ed25519 of 32 bytes, secp256k1 of 33, RSA or ECDSA of
 * any non-zero length), with minimal varints and lengths that match
 * exactly. The CIDv1 form ("bafz...") is not accepted.
 * On success the multihash bytes go to bin (if bin is not NULL; bin_size
 * bytes, PSC_PEERID_BIN_MAX always suffices) and their count to *bin_len
 * (if bin_len is not NULL).
 * Errors: PSC_ERR_INVALID for a NULL or empty str and for anything
 * malformed; PSC_ERR_TOO_BIG if bin_size is too small.
 * Ownership: writes only bin and *bin_len. Thread-safe.
 */
PSC_API psc_err psc_peerid_parse(const char *str, uint8_t *bin, size_t bin_size, size_t *bin_len);

/** True when str is a valid peer id per psc_peerid_parse (false for NULL). Thread-safe. */
PSC_API bool psc_peerid_is_valid(const char *str);

/**
 * If the peer id embeds an Ed25519 public key (identity multihash), copy
 * the 32-byte key to pk.
 * Errors: PSC_ERR_INVALID for a NULL pk or a str that psc_peerid_parse
 * refuses; PSC_ERR_NOT_FOUND for a valid id that embeds no Ed25519 key
 * (hashed ids such as RSA ones, or an inlined secp256k1 key).
 * Ownership: writes only pk. Thread-safe.
 */
PSC_API psc_err psc_peerid_ed25519_key(const char *str, uint8_t pk[32]);

/* The base58 conversion is quadratic in its length, so both directions cap
 * the value they convert: at most this many bytes after the leading zero
 * bytes (encode) or, decoded, after the leading '1's (decode; at most 1399
 * characters). Far above any peer id (~52 characters) or key, low enough
 * that a hostile input costs well under a millisecond; leading zeros and
 * '1's are not capped (they map one to one). */
#define PSC_BASE58_MAX_BYTES 1024u

/**
 * Base58btc (Bitcoin alphabet) encode in_len bytes into out as a
 * NUL-terminated string (out_size bytes, NUL included). Leading zero bytes
 * become '1's.
 * Errors: PSC_ERR_INVALID for a NULL out, or a NULL in with in_len > 0;
 * PSC_ERR_TOO_BIG if more than PSC_BASE58_MAX_BYTES follow the leading
 * zero bytes, or if out is too small (out is then not written; an exactly sized out always suffices).
 * Ownership: writes only out. Thread-safe.
 */
PSC_API psc_err psc_base58_encode(const uint8_t *in, size_t in_len, char *out, size_t out_size);

/**
 * Base58btc decode the NUL-terminated string in into out (out_size bytes;
 * out may be NULL only with out_size 0) and the byte count into *out_len.
 * Errors: PSC_ERR_INVALID for a NULL in or out_len or a character outside
 * the alphabet; PSC_ERR_TOO_BIG if what follows the leading '1's decodes to
 * more than PSC_BASE58_MAX_BYTES, or if out is too small (out is then not written; an exactly sized out
 * always suffices).
 * Ownership: writes only out and *out_len. Thread-safe.
 */
PSC_API psc_err psc_base58_decode(const char *in, uint8_t *out, size_t out_size, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Kademlia key space: keys are SHA-256 of a peer id's binary multihash,
 * distance is XOR, and a peer's bucket is the common prefix length (CPL) of
 * its key with the local key. Pure functions, thread-safe.
 */
#ifndef DEMO_KAD_H
#define DEMO_KAD_H

#include <stddef.h>
#include <stdint.h>

#define KAD_KEY_LEN 32u
/* CPL of a key with itself; the largest value kad_cpl returns. */
#define KAD_MAX_CPL 256u

/* key = SHA-256(peer id bytes). Returns 0, or -1 if hashing failed. */
int kad_key(const uint8_t *peer_bin, size_t len, uint8_t key[KAD_KEY_LEN]);

void kad_xor(const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN], uint8_t out[KAD_KEY_LEN]);

/* Number of leading bits a and b share (0..256). */
unsigned kad_cpl(const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN]);

/* <0 when a is closer to target than b, 0 when equally far, >0 otherwise. */
int kad_cmp(const uint8_t target[KAD_KEY_LEN], const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN]);

#endif

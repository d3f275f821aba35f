#include "kad.h"

#include <sodium.h>

int kad_key(const uint8_t *peer_bin, size_t len, uint8_t key[KAD_KEY_LEN])
{
    return crypto_hash_sha256(key, peer_bin, (unsigned long long)len) == 0 ? 0 : -1;
}

void kad_xor(const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN], uint8_t out[KAD_KEY_LEN])
{
    for (size_t i = 0; i < KAD_KEY_LEN; i++)
        out[i] = a[i] ^ b[i];
}

unsigned kad_cpl(const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN])
{
    for (size_t i = 0; i < KAD_KEY_LEN; i++) {
        unsigned x = (unsigned)(a[i] ^ b[i]);
        if (x) {
            unsigned lead = 0;
            while (!(x & 0x80u)) {
                x <<= 1;
                lead++;
            }
            return (unsigned)i * 8u + lead;
        }
    }
    return KAD_MAX_CPL;
}

int kad_cmp(const uint8_t target[KAD_KEY_LEN], const uint8_t a[KAD_KEY_LEN], const uint8_t b[KAD_KEY_LEN])
{
    /* byte-wise big-endian comparison of the two XOR distances */
    for (size_t i = 0; i < KAD_KEY_LEN; i++) {
        unsigned da = (unsigned)(a[i] ^ target[i]);
        unsigned db = (unsigned)(b[i] ^ target[i]);
        if (da != db)
            return da < db ? -1 : 1;
    }
    return 0;
}

/*
 * Base58btc (Bitcoin alphabet), allocation-free.
 *
 * The conversion is the classic quadratic big-number one, so the part it
 * converts (what follows the leading zero bytes or '1's, which map one to
 * one) is capped at PSC_BASE58_MAX_BYTES bytes in both directions: a peer
 * id is ~50 characters, and an uncapped input from a client would cost
 * seconds. One cap for both directions keeps every result of one a valid
 * input of the other. The working digits always fit a stack scratch, so out
 * is written only once the result is known to fit, and an exactly sized out
 * always suffices.
 */
#include <string.h>

#include "peerscope/peerid.h"

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The most base58 digits PSC_BASE58_MAX_BYTES bytes take (1024 * log 256 /
 * log 58 = 1398.5); a longer digit string is a larger value. */
#define B58_MAX_DIGITS 1399u
/* Working digits: 138/100 > log 256 / log 58 bounds the encoder's, 733/1000
 * > log 58 / log 256 the decoder's. */
#define B58_SCRATCH 1416u
_Static_assert(PSC_BASE58_MAX_BYTES * 138 / 100 + 1 <= B58_SCRATCH, "encode scratch");
_Static_assert(B58_MAX_DIGITS * 733 / 1000 + 1 <= B58_SCRATCH, "decode scratch");

static int b58_value(unsigned char c)
{
    if (c >= '1' && c <= '9')
        return c - '1';
    if (c >= 'A' && c <= 'H')
        return c - 'A' + 9;
    if (c >= 'J' && c <= 'N')
        return c - 'J' + 17;
    if (c >= 'P' && c <= 'Z')
        return c - 'P' + 22;
    if (c >= 'a' && c <= 'k')
        return c - 'a' + 33;
    if (c >= 'm' && c <= 'z')
        return c - 'm' + 44;
    return -1;
}

psc_err psc_base58_encode(const uint8_t *in, size_t in_len, char *out, size_t out_size)
{
    if ((!in && in_len) || !out)
        return PSC_ERR_INVALID;

    size_t zeros = 0;
    while (zeros < in_len && in[zeros] == 0)
        zeros++;
    if (in_len - zeros > PSC_BASE58_MAX_BYTES)
        return PSC_ERR_TOO_BIG;

    uint8_t digits[B58_SCRATCH]; /* little-endian base-58 digits of the non-zero part */

    size_t n = 0;
    for (size_t i = zeros; i < in_len; i++) {
        uint32_t carry = in[i];
        for (size_t j = 0; j < n; j++) {
            carry += (uint32_t)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[n++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }

    if (out_size < 1 || out_size - 1 < zeros || out_size - 1 - zeros < n)
        return PSC_ERR_TOO_BIG;

    memset(out, '1', zeros);
    for (size_t j = 0; j < n; j++)
        out[zeros + j] = b58_alphabet[digits[n - 1 - j]];
    out[zeros + n] = '\0';
    return PSC_OK;
}

psc_err psc_base58_decode(const char *in, uint8_t *out, size_t out_size, size_t *out_len)
{
    if (!in || (!out && out_size) || !out_len)
        return PSC_ERR_INVALID;

    /* Validate everything first: out may serve as scratch below and must
     * stay untouched when the input is bad. */
    size_t in_len = 0;
    for (; in[in_len]; in_len++)
        if (b58_value((unsigned char)in[in_len]) < 0)
            return PSC_ERR_INVALID;

    size_t zeros = 0;
    while (zeros < in_len && in[zeros] == '1')
        zeros++;
    if (in_len - zeros > B58_MAX_DIGITS)
        return PSC_ERR_TOO_BIG;

    uint8_t bytes[B58_SCRATCH]; /* little-endian base-256 value of the non-'1' part */

    size_t n = 0;
    for (size_t i = zeros; i < in_len; i++) {
        uint32_t carry = (uint32_t)b58_value((unsigned char)in[i]);
        for (size_t j = 0; j < n; j++) {
            carry += (uint32_t)bytes[j] * 58;
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            bytes[n++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (n > PSC_BASE58_MAX_BYTES)
        return PSC_ERR_TOO_BIG; /* 1399 digits can be just over the cap */

    if (out_size < zeros || out_size - zeros < n)
        return PSC_ERR_TOO_BIG;

    if (zeros)
        memset(out, 0, zeros);
    for (size_t j = 0; j < n; j++)
        out[zeros + j] = bytes[n - 1 - j];
    *out_len = zeros + n;
    return PSC_OK;
}

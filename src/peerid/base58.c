/*
 * Base58btc (Bitcoin alphabet), allocation-free.
 *
 * The conversion is the classic quadratic big-number one. Its working
 * digits live in a stack scratch for ordinary sizes (peer ids are ~50
 * characters); for inputs too big for it, the caller's out buffer is used
 * as scratch, but only when it is large enough for the worst case, so that
 * out is never touched by a call that fails.
 */
#include <string.h>

#include "peerscope/peerid.h"

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Enough for 1024 input bytes when encoding (1024 * log(256)/log(58) < 1399)
 * and for 1400 characters when decoding (1400 * log(58)/log(256) < 1026). */
#define B58_SCRATCH 1400u

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
    size_t rest = in_len - zeros;
    /* 138/100 > log(256)/log(58): an upper bound on the digits of the rest. */
    if (rest > (SIZE_MAX - 1) / 138)
        return PSC_ERR_TOO_BIG;
    size_t bound = rest * 138 / 100 + 1;

    uint8_t stack[B58_SCRATCH];
    uint8_t *digits; /* little-endian base-58 digits of the non-zero part */
    if (bound <= sizeof stack)
        digits = stack;
    else if (out_size > zeros && out_size - zeros - 1 >= bound)
        digits = (uint8_t *)out + zeros;
    else
        return PSC_ERR_TOO_BIG;

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
        return PSC_ERR_TOO_BIG; /* only reachable with the stack scratch */

    /* When digits alias out + zeros, reverse in place before mapping. */
    for (size_t j = 0; j < n / 2; j++) {
        uint8_t t = digits[j];
        digits[j] = digits[n - 1 - j];
        digits[n - 1 - j] = t;
    }
    memset(out, '1', zeros);
    for (size_t j = 0; j < n; j++)
        out[zeros + j] = b58_alphabet[digits[j]];
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
    size_t rest = in_len - zeros;
    /* 733/1000 > log(58)/log(256) */
    if (rest > (SIZE_MAX - 1) / 733)
        return PSC_ERR_TOO_BIG;
    size_t bound = rest * 733 / 1000 + 1;

    uint8_t stack[B58_SCRATCH];
    uint8_t *bytes; /* little-endian base-256 value of the non-'1' part */
    if (bound <= sizeof stack)
        bytes = stack;
    else if (out_size >= zeros && out_size - zeros >= bound)
        bytes = out + zeros;
    else
        return PSC_ERR_TOO_BIG;

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

    if (out_size < zeros || out_size - zeros < n)
        return PSC_ERR_TOO_BIG; /* only reachable with the stack scratch */

    for (size_t j = 0; j < n / 2; j++) {
        uint8_t t = bytes[j];
        bytes[j] = bytes[n - 1 - j];
        bytes[n - 1 - j] = t;
    }
    if (zeros)
        memset(out, 0, zeros);
    if (n && bytes != out + zeros)
        memcpy(out + zeros, bytes, n);
    *out_len = zeros + n;
    return PSC_OK;
}

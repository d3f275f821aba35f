/*
 * Fuzz target for the peer id and base58 parsers (libFuzzer entry point;
 * tests/wire/fuzz_main.c drives it where libFuzzer is not available).
 * Besides "no crash, no sanitizer report", it checks the invariants that
 * must hold for every input: what parses re-encodes to the same string,
 * and buffer sizes are honoured exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static void check_string(const char *s)
{
    size_t len = strlen(s);

    uint8_t bin[PSC_PEERID_BIN_MAX];
    size_t n = 0;
    if (psc_peerid_parse(s, bin, sizeof bin, &n) == PSC_OK) {
        if (n == 0 || n > sizeof bin || !psc_peerid_is_valid(s))
            abort();
        /* base58 is canonical: the bytes give back the very string */
        char *back = malloc(2 * len + 2);
        if (!back)
            abort();
        if (psc_base58_encode(bin, n, back, 2 * len + 2) != PSC_OK || strcmp(back, s) != 0)
            abort();
        free(back);
        uint8_t pk[PSC_ED25519_PUBKEY_LEN];
        psc_err e = psc_peerid_ed25519_key(s, pk);
        if (e == PSC_OK) {
            char id[PSC_PEERID_STR_MAX];
            if (psc_peerid_from_ed25519(pk, id, sizeof id) != PSC_OK || strcmp(id, s) != 0)
                abort();
        } else if (e != PSC_ERR_NOT_FOUND) {
            abort();
        }
        /* an exact buffer is enough, one byte less is not */
        uint8_t *exact = malloc(n);
        if (!exact || psc_peerid_parse(s, exact, n, NULL) != PSC_OK ||
            psc_peerid_parse(s, exact, n - 1, NULL) != PSC_ERR_TOO_BIG)
            abort();
        free(exact);
    } else if (psc_peerid_is_valid(s)) {
        abort();
    }

    size_t cap = len + 1;
    uint8_t *out = malloc(cap);
    if (!out)
        abort();
    psc_err de = psc_base58_decode(s, out, cap, &n);
    size_t ones = strspn(s, "1");
    if (de == PSC_ERR_TOO_BIG && len - ones < 1398)
        abort(); /* under the cap (1398 digits are < 2^8192), len + 1 bytes always hold the result */
    if (de == PSC_OK) {
        if (n > len)
            abort(); /* never more bytes than characters */
        uint8_t *exact = malloc(n ? n : 1);
        size_t m;
        if (!exact || psc_base58_decode(s, exact, n, &m) != PSC_OK || m != n || (n && memcmp(exact, out, n)))
            abort();
        if (n && psc_base58_decode(s, exact, n - 1, &m) != PSC_ERR_TOO_BIG)
            abort();
        free(exact);
        char *back = malloc(2 * len + 2);
        if (!back || psc_base58_encode(out, n, back, 2 * len + 2) != PSC_OK || strcmp(back, s) != 0)
            abort();
        free(back);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;

    /* 1. the input as text */
    memcpy(s, data, size);
    s[size] = '\0';
    check_string(s);

    /* 2. mapped onto the alphabet, to get past the character check */
    for (size_t i = 0; i < size; i++)
        s[i] = alphabet[data[i] % 58];
    check_string(s);
    free(s);

    /* 3. as multihash bytes behind a plausible prefix, to reach the
     *    multihash and PublicKey checks more often */
    static const uint8_t prefixes[][6] = {
        {0x00, 0x24, 0x08, 0x01, 0x12, 0x20}, /* Ed25519 identity */
        {0x12, 0x20},                         /* sha2-256 */
        {0x00},                               /* identity, length from the input */
    };
    static const size_t prefix_len[] = {6, 2, 1};
    for (size_t p = 0; p < 3; p++) {
        size_t n = prefix_len[p] + (size < 64 ? size : 64);
        uint8_t bin[70];
        memcpy(bin, prefixes[p], prefix_len[p]);
        memcpy(bin + prefix_len[p], data, n - prefix_len[p]);
        char str[256];
        if (psc_base58_encode(bin, n, str, sizeof str) != PSC_OK)
            abort();
        check_string(str);
    }
    return 0;
}

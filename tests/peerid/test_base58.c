/* Base58btc: known vectors, round trips, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "peerscope/peerid.h"

typedef struct vec {
    const char *bin;
    size_t len;
    const char *b58;
} vec;

/* From the IETF base58 draft and the Bitcoin test suite. */
static const vec vectors[] = {
    {"", 0, ""},
    {"\0", 1, "1"},
    {"\0\0\0\x01", 4, "1112"},
    {"\0\0abc", 5, "11ZiCa"},
    {"\0\0\x28\x7f\xb4\xcd", 6, "11233QC4"},
    {"\xff\xff\xff\xff", 4, "7YXq9G"},
    {"Hello World!", 12, "2NEpo7TZRRrLZSi2U"},
    {"The quick brown fox jumps over the lazy dog", 43,
     "7DdiPPYtxLjCD3wA1po2rvZHTDYjkZYiEtazrfiwJcwnKCizhGFhBGHeRdx"},
};

static void test_known_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vec *v = &vectors[i];
        char s[128];
        assert_int_equal(psc_base58_encode((const uint8_t *)v->bin, v->len, s, sizeof s), PSC_OK);
        assert_string_equal(s, v->b58);

        uint8_t b[128];
        size_t n = 999;
        assert_int_equal(psc_base58_decode(v->b58, b, sizeof b, &n), PSC_OK);
        assert_int_equal(n, v->len);
        if (n)
            assert_memory_equal(b, v->bin, n);
    }
}

/* Heap buffers of the exact size: ASan reports any byte written past them. */
static void test_exact_buffers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vec *v = &vectors[i];
        size_t slen = strlen(v->b58);

        char *s = malloc(slen + 1);
        assert_non_null(s);
        assert_int_equal(psc_base58_encode((const uint8_t *)v->bin, v->len, s, slen + 1), PSC_OK);
        assert_string_equal(s, v->b58);
        free(s);

        /* one byte short: refused, and nothing written */
        s = malloc(slen + 1);
        assert_non_null(s);
        memset(s, 'x', slen + 1);
        assert_int_equal(psc_base58_encode((const uint8_t *)v->bin, v->len, s, slen), PSC_ERR_TOO_BIG);
        for (size_t k = 0; k < slen + 1; k++)
            assert_int_equal(s[k], 'x');
        free(s);

        uint8_t *b = malloc(v->len ? v->len : 1);
        assert_non_null(b);
        size_t n = 0;
        assert_int_equal(psc_base58_decode(v->b58, b, v->len, &n), PSC_OK);
        assert_int_equal(n, v->len);
        if (n)
            assert_memory_equal(b, v->bin, n);
        free(b);

        if (v->len) {
            b = malloc(v->len);
            assert_non_null(b);
            memset(b, 0xAA, v->len);
            n = 12345;
            assert_int_equal(psc_base58_decode(v->b58, b, v->len - 1, &n), PSC_ERR_TOO_BIG);
            assert_int_equal(n, 12345);
            for (size_t k = 0; k < v->len; k++)
                assert_int_equal(b[k], 0xAA);
            free(b);
        }
    }
}

static void test_bad_characters(void **state)
{
    (void)state;
    /* 0 O I l are left out of the alphabet on purpose; others are not base58 at all. */
    const char *bad[] = {"0", "O", "I", "l", "12D3Koo0", "abcOdef", "I11", "1l", " 1", "1 ", "+", "/",
                         "\xc3\xa9", "2NEpo7TZRRrLZSi2U\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t b[64];
        memset(b, 0x55, sizeof b);
        size_t n = 77;
        assert_int_equal(psc_base58_decode(bad[i], b, sizeof b, &n), PSC_ERR_INVALID);
        assert_int_equal(n, 77);
        for (size_t k = 0; k < sizeof b; k++)
            assert_int_equal(b[k], 0x55);
    }
}

static void test_null_arguments(void **state)
{
    (void)state;
    char s[8];
    uint8_t b[8];
    size_t n;
    assert_int_equal(psc_base58_encode(NULL, 1, s, sizeof s), PSC_ERR_INVALID);
    assert_int_equal(psc_base58_encode(b, 1, NULL, 8), PSC_ERR_INVALID);
    assert_int_equal(psc_base58_encode(NULL, 0, s, sizeof s), PSC_OK);
    assert_string_equal(s, "");
    assert_int_equal(psc_base58_encode(NULL, 0, s, 0), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_base58_decode(NULL, b, sizeof b, &n), PSC_ERR_INVALID);
    assert_int_equal(psc_base58_decode("2", b, sizeof b, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_base58_decode("2", NULL, 4, &n), PSC_ERR_INVALID);
    /* an empty string decodes to nothing, even without a buffer */
    assert_int_equal(psc_base58_decode("", NULL, 0, &n), PSC_OK);
    assert_int_equal(n, 0);
}

/* Deterministic pseudo-random bytes, so a failure can be reproduced. */
static uint32_t rng_state = 0x12345678u;
static uint8_t rng_byte(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (uint8_t)rng_state;
}

static void test_random_round_trips(void **state)
{
    (void)state;
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t in[80];
        size_t len = rng_byte() % sizeof in;
        size_t zeros = len ? rng_byte() % (len + 1) % 5 : 0;
        for (size_t i = 0; i < len; i++)
            in[i] = i < zeros ? 0 : rng_byte();

        char s[128];
        assert_int_equal(psc_base58_encode(in, len, s, sizeof s), PSC_OK);
        size_t lead = 0;
        while (s[lead] == '1')
            lead++;
        size_t in_zeros = 0;
        while (in_zeros < len && in[in_zeros] == 0)
            in_zeros++;
        assert_int_equal(lead, in_zeros);

        uint8_t out[80];
        size_t n;
        assert_int_equal(psc_base58_decode(s, out, sizeof out, &n), PSC_OK);
        assert_int_equal(n, len);
        if (len)
            assert_memory_equal(out, in, len);
    }
}

/* At the caps: the largest input round-trips through exactly sized
 * buffers; one more byte or character is refused without touching out,
 * and a bad character is still reported as such. */
static void test_caps(void **state)
{
    (void)state;
    size_t len = 3 + PSC_BASE58_MAX_BYTES; /* the cap leaves leading zeros out */
    uint8_t *in = malloc(len + 1);
    assert_non_null(in);
    for (size_t i = 0; i < len + 1; i++)
        in[i] = i < 3 ? 0 : (uint8_t)(rng_byte() | 1);

    size_t big = 2 * len;
    char *s = malloc(big);
    assert_non_null(s);
    assert_int_equal(psc_base58_encode(in, len, s, big), PSC_OK);
    size_t slen = strlen(s);
    assert_true(slen > len && slen - 3 <= 1399);
    assert_memory_equal(s, "111", 3);

    char *exact = malloc(slen + 1);
    assert_non_null(exact);
    assert_int_equal(psc_base58_encode(in, len, exact, slen + 1), PSC_OK);
    assert_string_equal(exact, s);
    memset(exact, 'x', slen + 1);
    assert_int_equal(psc_base58_encode(in, len, exact, slen), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_base58_encode(in, len + 1, s, big), PSC_ERR_TOO_BIG);
    for (size_t k = 0; k < slen + 1; k++)
        assert_int_equal(exact[k], 'x');
    free(exact);

    uint8_t *back = malloc(len);
    assert_non_null(back);
    size_t n;
    assert_int_equal(psc_base58_decode(s, back, len, &n), PSC_OK);
    assert_int_equal(n, len);
    assert_memory_equal(back, in, len);
    assert_int_equal(psc_base58_decode(s, back, len - 1, &n), PSC_ERR_TOO_BIG);

    /* 1400 digits are over the cap whatever they are, 1399 high ones too;
     * leading '1's are not capped */
    size_t cap = 1400;
    char *lng = malloc(4000 + (slen > cap ? slen : cap) + 1);
    assert_non_null(lng);
    memset(lng, 'z', cap);
    lng[cap] = '\0';
    memset(back, 0x33, len);
    assert_int_equal(psc_base58_decode(lng, back, len, &n), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_base58_decode(lng + 1, back, len, &n), PSC_ERR_TOO_BIG);
    lng[cap - 1] = '0';
    assert_int_equal(psc_base58_decode(lng, back, len, &n), PSC_ERR_INVALID);
    for (size_t k = 0; k < len; k++)
        assert_int_equal(back[k], 0x33);
    memset(lng, '1', 4000);
    memcpy(lng + 4000, s, slen + 1);
    uint8_t *wide = malloc(4000 + len);
    assert_non_null(wide);
    assert_int_equal(psc_base58_decode(lng, wide, 4000 + len, &n), PSC_OK);
    assert_int_equal(n, 4000 + len);
    assert_memory_equal(wide + 4000, in, len);
    char *again = malloc(4000 + slen + 1);
    assert_non_null(again);
    assert_int_equal(psc_base58_encode(wide, n, again, 4000 + slen + 1), PSC_OK);
    assert_string_equal(again, lng);
    free(again);
    free(wide);
    free(lng);
    free(back);
    free(s);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_exact_buffers),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

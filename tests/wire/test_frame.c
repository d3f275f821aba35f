/* FNV-1a and the 12-byte live frame header, byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "peerscope/wire.h"

static void test_fnv1a_vectors(void **state)
{
    (void)state;
    /* Reference values of the FNV-1a 32-bit test suite. */
    assert_int_equal(psc_fnv1a32("", 0), 0x811c9dc5u);
    assert_int_equal(psc_fnv1a32(NULL, 0), 0x811c9dc5u);
    assert_int_equal(psc_fnv1a32("a", 1), 0xe40c292cu);
    assert_int_equal(psc_fnv1a32("foobar", 6), 0xbf9cf968u);
    /* bytes after len are not read */
    assert_int_equal(psc_fnv1a32("foobarXYZ", 6), 0xbf9cf968u);
    /* a zero byte counts */
    assert_int_not_equal(psc_fnv1a32("a\0", 2), 0xe40c292cu);
}

static void test_header_bytes(void **state)
{
    (void)state;
    uint8_t h[12];
    memset(h, 0xee, sizeof h);
    psc_frame_header(h, (const uint8_t *)"foobar", 6);
    static const uint8_t want[12] = {
        0x01, 0x00, 0x00, 0x00, /* version 1, little-endian */
        0x68, 0xf9, 0x9c, 0xbf, /* 0xbf9cf968 */
        0x06, 0x00, 0x00, 0x00, /* length */
    };
    assert_memory_equal(h, want, sizeof want);

    psc_frame_header(h, NULL, 0);
    static const uint8_t want_empty[12] = {0x01, 0, 0, 0, 0xc5, 0x9d, 0x1c, 0x81, 0, 0, 0, 0};
    assert_memory_equal(h, want_empty, sizeof want_empty);
}

/* A heap frame of exactly the given size, so ASan sees any over-read. */
static uint8_t *make_frame(const char *payload, size_t len, size_t *frame_len)
{
    uint8_t *f = malloc(12 + len);
    assert_non_null(f);
    psc_frame_header(f, (const uint8_t *)payload, len);
    memcpy(f + 12, payload, len);
    *frame_len = 12 + len;
    return f;
}

static void test_parse_ok(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = make_frame("hello, peers", 12, &n);
    const uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(psc_frame_parse(f, n, &p, &len), PSC_OK);
    assert_ptr_equal(p, f + 12);
    assert_int_equal(len, 12);
    assert_memory_equal(p, "hello, peers", 12);
    free(f);

    f = make_frame("", 0, &n);
    assert_int_equal(psc_frame_parse(f, n, &p, &len), PSC_OK);
    assert_int_equal(len, 0);
    assert_ptr_equal(p, f + 12);
    free(f);
}

static void expect_parse_error(const uint8_t *f, size_t n, psc_err want)
{
    const uint8_t *p = (const uint8_t *)"untouched";
    size_t len = 777;
    assert_int_equal(psc_frame_parse(f, n, &p, &len), want);
    assert_string_equal((const char *)p, "untouched");
    assert_int_equal(len, 777);
}

static void test_parse_every_byte_flipped(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = make_frame("payload bytes", 13, &n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            f[i] ^= (uint8_t)(1u << bit);
            /* the version word is a protocol error, any other damage a
             * length or checksum mismatch */
            expect_parse_error(f, n, i < 4 ? PSC_ERR_PROTOCOL : PSC_ERR_CORRUPT);
            f[i] ^= (uint8_t)(1u << bit);
        }
    }
    const uint8_t *p;
    size_t len;
    assert_int_equal(psc_frame_parse(f, n, &p, &len), PSC_OK);
    free(f);
}

static void test_parse_lengths(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = make_frame("0123456789", 10, &n);
    /* shorter than a header: protocol error; header but short payload: corrupt */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *g = malloc(cut ? cut : 1);
        assert_non_null(g);
        memcpy(g, f, cut);
        expect_parse_error(g, cut, cut < 12 ? PSC_ERR_PROTOCOL : PSC_ERR_CORRUPT);
        free(g);
    }
    /* a trailing byte the header does not account for */
    uint8_t *g = malloc(n + 1);
    assert_non_null(g);
    memcpy(g, f, n);
    g[n] = 0;
    expect_parse_error(g, n + 1, PSC_ERR_CORRUPT);
    free(g);

    /* a header claiming more than 4 GiB-1 against a small frame */
    f[8] = f[9] = f[10] = f[11] = 0xff;
    expect_parse_error(f, n, PSC_ERR_CORRUPT);
    free(f);

    /* version 2 with a good checksum is still refused */
    f = make_frame("x", 1, &n);
    f[0] = 2;
    expect_parse_error(f, n, PSC_ERR_PROTOCOL);
    free(f);
}

static void test_parse_null_arguments(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = make_frame("abc", 3, &n);
    const uint8_t *p;
    size_t len;
    assert_int_equal(psc_frame_parse(NULL, n, &p, &len), PSC_ERR_INVALID);
    assert_int_equal(psc_frame_parse(f, n, NULL, &len), PSC_ERR_INVALID);
    assert_int_equal(psc_frame_parse(f, n, &p, NULL), PSC_ERR_INVALID);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a_vectors),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_every_byte_flipped),
        cmocka_unit_test(test_parse_lengths),
        cmocka_unit_test(test_parse_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

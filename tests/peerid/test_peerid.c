/* Peer ids: the FIELD-NOTES check vector, random keys, parse rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "peerscope/peerid.h"

static const char zero_seed_peer_id[] = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
static const uint8_t zero_seed_pk[32] = {
    0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d, 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d, 0x73,
    0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6, 0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59, 0xda, 0x29,
};
/* An RSA-era id from the libp2p peer id spec (sha2-256 multihash). */
static const char rsa_peer_id[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

static void encode_bin(const uint8_t *bin, size_t len, char *out, size_t out_size)
{
    assert_int_equal(psc_base58_encode(bin, len, out, out_size), PSC_OK);
}

static void test_check_vector(void **state)
{
    (void)state;
    uint8_t seed[32] = {0}, pk[32], sk[64];
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, pk, sk), PSC_OK);
    assert_memory_equal(pk, zero_seed_pk, 32);
    /* libsodium's secret key is seed || public key */
    assert_memory_equal(sk, seed, 32);
    assert_memory_equal(sk + 32, zero_seed_pk, 32);

    char id[PSC_PEERID_STR_MAX];
    assert_int_equal(psc_peerid_from_ed25519(pk, id, sizeof id), PSC_OK);
    assert_string_equal(id, zero_seed_peer_id);

    uint8_t bin[PSC_PEERID_ED25519_BIN_LEN];
    assert_int_equal(psc_peerid_bin_from_ed25519(pk, bin), PSC_OK);
    static const uint8_t prefix[6] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
    assert_memory_equal(bin, prefix, 6);
    assert_memory_equal(bin + 6, zero_seed_pk, 32);

    uint8_t parsed[PSC_PEERID_BIN_MAX];
    size_t n = 0;
    assert_int_equal(psc_peerid_parse(zero_seed_peer_id, parsed, sizeof parsed, &n), PSC_OK);
    assert_int_equal(n, PSC_PEERID_ED25519_BIN_LEN);
    assert_memory_equal(parsed, bin, n);

    uint8_t back[32];
    assert_int_equal(psc_peerid_ed25519_key(zero_seed_peer_id, back), PSC_OK);
    assert_memory_equal(back, zero_seed_pk, 32);
}

static void test_seed_is_deterministic(void **state)
{
    (void)state;
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    uint8_t pk1[32], sk1[64], pk2[32], sk2[64];
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, pk1, sk1), PSC_OK);
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, pk2, sk2), PSC_OK);
    assert_memory_equal(pk1, pk2, 32);
    assert_memory_equal(sk1, sk2, 64);
    assert_memory_not_equal(pk1, zero_seed_pk, 32);
}

static void test_random_keys_round_trip(void **state)
{
    (void)state;
    uint8_t first[32];
    for (int i = 0; i < 1000; i++) {
        uint8_t pk[32], sk[64];
        assert_int_equal(psc_ed25519_keypair_random(pk, sk), PSC_OK);
        assert_memory_equal(sk + 32, pk, 32);
        if (i == 0)
            memcpy(first, pk, 32);
        else
            assert_memory_not_equal(first, pk, 32);

        char id[PSC_PEERID_STR_MAX];
        assert_int_equal(psc_peerid_from_ed25519(pk, id, sizeof id), PSC_OK);
        assert_memory_equal(id, "12D3KooW", 8);
        assert_true(psc_peerid_is_valid(id));

        uint8_t bin[PSC_PEERID_ED25519_BIN_LEN], parsed[PSC_PEERID_BIN_MAX];
        size_t n;
        assert_int_equal(psc_peerid_bin_from_ed25519(pk, bin), PSC_OK);
        assert_int_equal(psc_peerid_parse(id, parsed, sizeof parsed, &n), PSC_OK);
        assert_int_equal(n, sizeof bin);
        assert_memory_equal(parsed, bin, n);

        uint8_t back[32];
        assert_int_equal(psc_peerid_ed25519_key(id, back), PSC_OK);
        assert_memory_equal(back, pk, 32);
    }
}

static void test_sha256_ids(void **state)
{
    (void)state;
    uint8_t bin[PSC_PEERID_BIN_MAX];
    size_t n;
    assert_int_equal(psc_peerid_parse(rsa_peer_id, bin, sizeof bin, &n), PSC_OK);
    assert_int_equal(n, 34);
    assert_int_equal(bin[0], 0x12);
    assert_int_equal(bin[1], 0x20);
    uint8_t pk[32];
    memset(pk, 0x5a, sizeof pk);
    assert_int_equal(psc_peerid_ed25519_key(rsa_peer_id, pk), PSC_ERR_NOT_FOUND);
    for (size_t i = 0; i < sizeof pk; i++)
        assert_int_equal(pk[i], 0x5a);

    /* all-zero digest: still a well-formed id */
    uint8_t mh[34] = {0x12, 0x20};
    char s[PSC_PEERID_STR_MAX];
    encode_bin(mh, sizeof mh, s, sizeof s);
    assert_string_equal(s, "QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51");
    assert_true(psc_peerid_is_valid(s));
}

/* An inlined secp256k1 key is a valid id, but not an Ed25519 one. */
static void test_secp256k1_identity(void **state)
{
    (void)state;
    uint8_t mh[2 + 4 + 33] = {0x00, 0x25, 0x08, 0x02, 0x12, 0x21, 0x02};
    for (int i = 0; i < 32; i++)
        mh[7 + i] = (uint8_t)i;
    char s[PSC_PEERID_STR_MAX];
    encode_bin(mh, sizeof mh, s, sizeof s);
    assert_string_equal(s, "16Uiu2HAkuRgsVVjk3drXpeXXvuQrZai9RNup3ToH8wH1wXmuTnRC");
    assert_true(psc_peerid_is_valid(s));
    uint8_t pk[32];
    assert_int_equal(psc_peerid_ed25519_key(s, pk), PSC_ERR_NOT_FOUND);
}

/* Build a string from multihash bytes and expect parse to refuse it. */
static void expect_bin_rejected(const uint8_t *bin, size_t len)
{
    char s[512];
    encode_bin(bin, len, s, sizeof s);
    uint8_t out[PSC_PEERID_BIN_MAX];
    memset(out, 0xEE, sizeof out);
    size_t n = 4242;
    assert_int_equal(psc_peerid_parse(s, out, sizeof out, &n), PSC_ERR_INVALID);
    assert_int_equal(n, 4242);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE);
    assert_false(psc_peerid_is_valid(s));
    uint8_t pk[32];
    assert_int_equal(psc_peerid_ed25519_key(s, pk), PSC_ERR_INVALID);
}

static void test_rejects_bad_alphabet(void **state)
{
    (void)state;
    const char bad_chars[] = "0OIl+/= _";
    for (size_t c = 0; bad_chars[c]; c++) {
        char s[sizeof zero_seed_peer_id];
        for (size_t pos = 0; pos < sizeof zero_seed_peer_id - 1; pos += 10) {
            memcpy(s, zero_seed_peer_id, sizeof s);
            s[pos] = bad_chars[c];
            assert_false(psc_peerid_is_valid(s));
            size_t n;
            assert_int_equal(psc_peerid_parse(s, NULL, 0, &n), PSC_ERR_INVALID);
        }
    }
}

static void test_rejects_malformed(void **state)
{
    (void)state;
    uint8_t good[PSC_PEERID_ED25519_BIN_LEN];
    assert_int_equal(psc_peerid_bin_from_ed25519(zero_seed_pk, good), PSC_OK);
    uint8_t b[64];

    /* empty, NULL */
    assert_false(psc_peerid_is_valid(""));
    assert_false(psc_peerid_is_valid(NULL));
    assert_int_equal(psc_peerid_parse("", NULL, 0, NULL), PSC_ERR_INVALID);

    /* truncated: every shorter prefix of the multihash */
    for (size_t len = 1; len < sizeof good; len++)
        expect_bin_rejected(good, len);
    /* truncated string */
    char s[sizeof zero_seed_peer_id];
    memcpy(s, zero_seed_peer_id, sizeof s);
    s[sizeof s - 2] = '\0';
    assert_false(psc_peerid_is_valid(s));

    /* one byte too many */
    memcpy(b, good, sizeof good);
    b[sizeof good] = 0x01;
    expect_bin_rejected(b, sizeof good + 1);

    /* multihash length that does not match the digest */
    memcpy(b, good, sizeof good);
    b[1] = 0x23;
    expect_bin_rejected(b, sizeof good);
    b[1] = 0x25;
    expect_bin_rejected(b, sizeof good);

    /* sha2-256 with the wrong length, in both directions */
    uint8_t sha[40] = {0x12, 0x1f};
    expect_bin_rejected(sha, 2 + 31);
    sha[1] = 0x21;
    expect_bin_rejected(sha, 2 + 33);
    sha[1] = 0x20;
    expect_bin_rejected(sha, 2 + 31); /* declares 32, has 31 */

    /* codes that are not identity or sha2-256: sha1 (0x11), sha2-512
     * (0x13), a two-byte varint code (blake2b-256, 0xb220) */
    uint8_t other[70] = {0x11, 0x14};
    expect_bin_rejected(other, 2 + 20);
    other[0] = 0x13;
    other[1] = 0x40;
    expect_bin_rejected(other, 2 + 64);
    uint8_t blake[4 + 32] = {0xa0, 0xe4, 0x02, 0x20};
    expect_bin_rejected(blake, sizeof blake);

    /* non-minimal varint for the code (0x12 as 0x92 0x00) */
    uint8_t nonmin[35] = {0x92, 0x00, 0x20};
    expect_bin_rejected(nonmin, sizeof nonmin);

    /* identity longer than 42 bytes, though its content is a well-formed
     * PublicKey (ECDSA keys have no fixed size) */
    uint8_t longid[2 + 43] = {0x00, 43, 0x08, 0x03, 0x12, 39};
    expect_bin_rejected(longid, sizeof longid);

    /* identity whose digest is not a PublicKey */
    memcpy(b, good, sizeof good);
    b[2] = 0x10; /* wrong field tag */
    expect_bin_rejected(b, sizeof good);
    memcpy(b, good, sizeof good);
    b[3] = 0x07; /* unknown key type */
    expect_bin_rejected(b, sizeof good);
    memcpy(b, good, sizeof good);
    b[4] = 0x1a; /* Data with the wrong field number */
    expect_bin_rejected(b, sizeof good);
    memcpy(b, good, sizeof good);
    b[5] = 0x1f; /* Data length that does not fill the rest */
    expect_bin_rejected(b, sizeof good);
    /* Ed25519 key of the wrong size, lengths otherwise consistent */
    uint8_t short_key[2 + 4 + 31] = {0x00, 35, 0x08, 0x01, 0x12, 31};
    expect_bin_rejected(short_key, sizeof short_key);
    /* a key type without a fixed size, but no key bytes */
    uint8_t no_key[2 + 4] = {0x00, 0x04, 0x08, 0x03, 0x12, 0x00};
    expect_bin_rejected(no_key, sizeof no_key);
    /* identity of nothing */
    uint8_t empty_id[2] = {0x00, 0x00};
    expect_bin_rejected(empty_id, sizeof empty_id);

    /* far too long to be a peer id at all */
    char huge[600];
    memset(huge, 'z', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_false(psc_peerid_is_valid(huge));
    /* a valid id with text around it */
    assert_false(psc_peerid_is_valid(" 12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"));
    assert_false(psc_peerid_is_valid("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTNa"));
    /* the CIDv1 form is not accepted */
    assert_false(psc_peerid_is_valid("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"));
}

static void test_buffer_sizes(void **state)
{
    (void)state;
    size_t slen = strlen(zero_seed_peer_id);

    char *exact = malloc(slen + 1);
    assert_non_null(exact);
    assert_int_equal(psc_peerid_from_ed25519(zero_seed_pk, exact, slen + 1), PSC_OK);
    assert_string_equal(exact, zero_seed_peer_id);
    free(exact);

    char *small = malloc(slen);
    assert_non_null(small);
    memset(small, '#', slen);
    assert_int_equal(psc_peerid_from_ed25519(zero_seed_pk, small, slen), PSC_ERR_TOO_BIG);
    for (size_t i = 0; i < slen; i++)
        assert_int_equal(small[i], '#');
    free(small);

    uint8_t *bin = malloc(PSC_PEERID_ED25519_BIN_LEN);
    assert_non_null(bin);
    size_t n = 0;
    assert_int_equal(psc_peerid_parse(zero_seed_peer_id, bin, PSC_PEERID_ED25519_BIN_LEN, &n), PSC_OK);
    assert_int_equal(n, PSC_PEERID_ED25519_BIN_LEN);
    memset(bin, 0x77, PSC_PEERID_ED25519_BIN_LEN);
    n = 99;
    assert_int_equal(psc_peerid_parse(zero_seed_peer_id, bin, PSC_PEERID_ED25519_BIN_LEN - 1, &n),
                     PSC_ERR_TOO_BIG);
    assert_int_equal(n, 99);
    for (size_t i = 0; i < PSC_PEERID_ED25519_BIN_LEN; i++)
        assert_int_equal(bin[i], 0x77);
    free(bin);

    /* the length alone, without a buffer */
    n = 0;
    assert_int_equal(psc_peerid_parse(rsa_peer_id, NULL, 0, &n), PSC_OK);
    assert_int_equal(n, 34);
}

static void test_null_arguments(void **state)
{
    (void)state;
    uint8_t seed[32] = {0}, pk[32], sk[64];
    char s[PSC_PEERID_STR_MAX];
    assert_int_equal(psc_ed25519_keypair_from_seed(NULL, pk, sk), PSC_ERR_INVALID);
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, NULL, sk), PSC_ERR_INVALID);
    assert_int_equal(psc_ed25519_keypair_from_seed(seed, pk, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_ed25519_keypair_random(NULL, sk), PSC_ERR_INVALID);
    assert_int_equal(psc_ed25519_keypair_random(pk, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_peerid_from_ed25519(NULL, s, sizeof s), PSC_ERR_INVALID);
    assert_int_equal(psc_peerid_from_ed25519(zero_seed_pk, NULL, 64), PSC_ERR_INVALID);
    uint8_t bin[PSC_PEERID_ED25519_BIN_LEN];
    assert_int_equal(psc_peerid_bin_from_ed25519(NULL, bin), PSC_ERR_INVALID);
    assert_int_equal(psc_peerid_bin_from_ed25519(zero_seed_pk, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_peerid_ed25519_key(NULL, pk), PSC_ERR_INVALID);
    assert_int_equal(psc_peerid_ed25519_key(zero_seed_peer_id, NULL), PSC_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_vector),
        cmocka_unit_test(test_seed_is_deterministic),
        cmocka_unit_test(test_random_keys_round_trip),
        cmocka_unit_test(test_sha256_ids),
        cmocka_unit_test(test_secp256k1_identity),
        cmocka_unit_test(test_rejects_bad_alphabet),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_buffer_sizes),
        cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

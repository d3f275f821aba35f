/* Ed25519 keypairs through libsodium. */
#include <sodium.h>
#include <string.h>

#include "peerscope/peerid.h"

/* crypto_sign_* is Ed25519 in every libsodium release; keep it checked. */
_Static_assert(crypto_sign_PUBLICKEYBYTES == PSC_ED25519_PUBKEY_LEN, "Ed25519 public key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == PSC_ED25519_SECKEY_LEN, "Ed25519 secret key size");
_Static_assert(crypto_sign_SEEDBYTES == PSC_ED25519_SEED_LEN, "Ed25519 seed size");

/*
 * libsodium must be initialised before use (it picks implementations and
 * opens the random source). Doing it at load time keeps the first keypair
 * call off that path; the calls below repeat it defensively because a
 * static link may run user constructors first. sodium_init is idempotent
 * and thread-safe, and changes no process-wide setting a host would notice.
 */
__attribute__((constructor)) static void psc__peerid_sodium_ctor(void)
{
    /* A failure here is reported by the keypair calls, which retry. */
    if (sodium_init() < 0)
        return;
}

static bool sodium_ready(void)
{
    return sodium_init() >= 0;
}

psc_err psc_ed25519_keypair_from_seed(const uint8_t seed[32], uint8_t pk[32], uint8_t sk[64])
{
    if (!seed || !pk || !sk)
        return PSC_ERR_INVALID;
    if (!sodium_ready())
        return PSC_ERR_UNSUPPORTED;
    uint8_t p[crypto_sign_PUBLICKEYBYTES], s[crypto_sign_SECRETKEYBYTES];
    if (crypto_sign_seed_keypair(p, s, seed) != 0) {
        sodium_memzero(s, sizeof s);
        return PSC_ERR_INVALID;
    }
    memcpy(pk, p, sizeof p);
    memcpy(sk, s, sizeof s);
    sodium_memzero(s, sizeof s);
    return PSC_OK;
}

psc_err psc_ed25519_keypair_random(uint8_t pk[32], uint8_t sk[64])
{
    if (!pk || !sk)
        return PSC_ERR_INVALID;
    if (!sodium_ready())
        return PSC_ERR_UNSUPPORTED;
    uint8_t p[crypto_sign_PUBLICKEYBYTES], s[crypto_sign_SECRETKEYBYTES];
    if (crypto_sign_keypair(p, s) != 0) {
        sodium_memzero(s, sizeof s);
        return PSC_ERR_IO;
    }
    memcpy(pk, p, sizeof p);
    memcpy(sk, s, sizeof s);
    sodium_memzero(s, sizeof s);
    return PSC_OK;
}

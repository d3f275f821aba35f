/*
 * libp2p peer ids: parsing and validation of the base58btc multihash form,
 * and the Ed25519 identity form.
 */
#include <string.h>

#include "peerscope/peerid.h"

#define MH_IDENTITY 0x00u
#define MH_SHA2_256 0x12u
#define MH_SHA2_256_LEN 32u
/* libp2p inlines keys whose protobuf encoding is at most 42 bytes. */
#define MH_IDENTITY_MAX 42u

/* libp2p crypto.pb KeyType */
enum { KEY_RSA = 0, KEY_ED25519 = 1, KEY_SECP256K1 = 2, KEY_ECDSA = 3 };

/*
 * Unsigned varint as multiformats defines it: at most 9 bytes, and minimal
 * (no trailing zero continuation byte), so one id has one encoding.
 * Returns the bytes consumed, 0 when malformed or truncated.
 */
static size_t read_uvarint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < 9; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i > 0 && p[i] == 0)
                return 0;
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/*
 * The libp2p PublicKey protobuf, deterministic encoding as the peer id
 * spec requires: field 1 (Type, varint) then field 2 (Data, bytes) filling
 * the rest exactly. Keys whose size is fixed must have it.
 */
static bool parse_public_key(const uint8_t *p, size_t len, uint64_t *type, const uint8_t **data,
                             size_t *data_len)
{
    uint64_t t, n;
    size_t used;
    if (len < 1 || p[0] != 0x08)
        return false;
    p++, len--;
    if (!(used = read_uvarint(p, len, &t)) || t > KEY_ECDSA)
        return false;
    p += used, len -= used;
    if (len < 1 || p[0] != 0x12)
        return false;
    p++, len--;
    if (!(used = read_uvarint(p, len, &n)))
        return false;
    p += used, len -= used;
    if (n != len || n == 0)
        return false;
    if (t == KEY_ED25519 && n != PSC_ED25519_PUBKEY_LEN)
        return false;
    if (t == KEY_SECP256K1 && n != 33)
        return false;
    *type = t;
    *data = p;
    *data_len = (size_t)n;
    return true;
}

typedef struct peerid_info {
    uint8_t bin[PSC_PEERID_BIN_MAX];
    size_t len;
    uint64_t code;
    uint64_t key_type;           /* identity ids only */
    const uint8_t *key;          /* into bin, identity ids only */
    size_t key_len;
} peerid_info;

static psc_err peerid_decode(const char *str, peerid_info *info)
{
    if (!str || !*str)
        return PSC_ERR_INVALID;
    if (psc_base58_decode(str, info->bin, sizeof info->bin, &info->len) != PSC_OK)
        return PSC_ERR_INVALID; /* bad character, or longer than any peer id */

    const uint8_t *p = info->bin;
    size_t len = info->len;
    uint64_t code, dlen;
    size_t used;
    if (!(used = read_uvarint(p, len, &code)))
        return PSC_ERR_INVALID;
    p += used, len -= used;
    if (!(used = read_uvarint(p, len, &dlen)))
        return PSC_ERR_INVALID;
    p += used, len -= used;
    if (dlen != len)
        return PSC_ERR_INVALID;

    info->code = code;
    if (code == MH_SHA2_256)
        return dlen == MH_SHA2_256_LEN ? PSC_OK : PSC_ERR_INVALID;
    if (code == MH_IDENTITY) {
        if (dlen > MH_IDENTITY_MAX)
            return PSC_ERR_INVALID;
        if (!parse_public_key(p, len, &info->key_type, &info->key, &info->key_len))
            return PSC_ERR_INVALID;
        return PSC_OK;
    }
    return PSC_ERR_INVALID;
}

psc_err psc_peerid_parse(const char *str, uint8_t *bin, size_t bin_size, size_t *bin_len)
{
    peerid_info info;
    psc_err e = peerid_decode(str, &info);
    if (e != PSC_OK)
        return e;
    if (bin) {
        if (bin_size < info.len)
            return PSC_ERR_TOO_BIG;
        memcpy(bin, info.bin, info.len);
    }
    if (bin_len)
        *bin_len = info.len;
    return PSC_OK;
}

bool psc_peerid_is_valid(const char *str)
{
    return psc_peerid_parse(str, NULL, 0, NULL) == PSC_OK;
}

psc_err psc_peerid_ed25519_key(const char *str, uint8_t pk[32])
{
    if (!pk)
        return PSC_ERR_INVALID;
    peerid_info info;
    psc_err e = peerid_decode(str, &info);
    if (e != PSC_OK)
        return e;
    if (info.code != MH_IDENTITY || info.key_type != KEY_ED25519)
        return PSC_ERR_NOT_FOUND;
    memcpy(pk, info.key, PSC_ED25519_PUBKEY_LEN);
    return PSC_OK;
}

psc_err psc_peerid_bin_from_ed25519(const uint8_t pk[32], uint8_t out[38])
{
    if (!pk || !out)
        return PSC_ERR_INVALID;
    /* identity multihash (0x00, 36 bytes) of PublicKey{Type: Ed25519, Data: pk} */
    static const uint8_t prefix[6] = {MH_IDENTITY, 0x24, 0x08, KEY_ED25519, 0x12, 0x20};
    memcpy(out, prefix, sizeof prefix);
    memcpy(out + sizeof prefix, pk, PSC_ED25519_PUBKEY_LEN);
    return PSC_OK;
}

psc_err psc_peerid_from_ed25519(const uint8_t pk[32], char *out, size_t out_size)
{
    if (!pk || !out)
        return PSC_ERR_INVALID;
    uint8_t bin[PSC_PEERID_ED25519_BIN_LEN];
    psc_err e = psc_peerid_bin_from_ed25519(pk, bin);
    if (e != PSC_OK)
        return e;
    return psc_base58_encode(bin, sizeof bin, out, out_size);
}

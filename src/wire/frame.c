#include "peerscope/wire.h"
#include "peerscope/version.h"

uint32_t psc_fnv1a32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void psc_frame_header(uint8_t out[12], const uint8_t *payload, size_t len)
{
    put_le32(out, PSC_PROTOCOL_VERSION);
    put_le32(out + 4, psc_fnv1a32(payload, len));
    put_le32(out + 8, (uint32_t)len);
}

psc_err psc_frame_parse(const uint8_t *frame, size_t frame_len, const uint8_t **payload, size_t *payload_len)
{
    if (!frame || !payload || !payload_len)
        return PSC_ERR_INVALID;
    if (frame_len < 12 || get_le32(frame) != PSC_PROTOCOL_VERSION)
        return PSC_ERR_PROTOCOL;
    uint32_t len = get_le32(frame + 8);
    if ((size_t)len != frame_len - 12)
        return PSC_ERR_CORRUPT;
    if (psc_fnv1a32(frame + 12, len) != get_le32(frame + 4))
        return PSC_ERR_CORRUPT;
    *payload = frame + 12;
    *payload_len = len;
    return PSC_OK;
}

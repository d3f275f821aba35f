/*
 * Minimal protobuf wire writer, shared by the hand-written encoders.
 *
 * Encoders run in two passes: a size pass (psc__pb_*_size) that tells the
 * exact encoded length of each nested message, then a write pass into a
 * buffer of exactly that size. Writers never check bounds: the size pass
 * guarantees them. Field order follows field numbers, like protoc.
 * proto3 rule: scalar fields equal to their default (0, false, "") are not
 * written; callers decide by calling the *_opt variants.
 */
#ifndef PSC_WIRE_PBWRITE_H
#define PSC_WIRE_PBWRITE_H

#include <stdint.h>
#include <string.h>

enum {
    PSC__WT_VARINT = 0,
    PSC__WT_I64 = 1,
    PSC__WT_LEN = 2,
    PSC__WT_I32 = 5,
};

static inline size_t psc__pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *psc__pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline size_t psc__pb_tag_size(uint32_t field)
{
    return psc__pb_varint_size((uint64_t)field << 3);
}

static inline uint8_t *psc__pb_put_tag(uint8_t *p, uint32_t field, unsigned wt)
{
    return psc__pb_put_varint(p, ((uint64_t)field << 3) | wt);
}

/* --- sizes of whole fields (tag included) --- */

static inline size_t psc__pb_uint_size(uint32_t field, uint64_t v)
{
    return psc__pb_tag_size(field) + psc__pb_varint_size(v);
}

/* 0 when v is the default and so left out */
static inline size_t psc__pb_uint_size_opt(uint32_t field, uint64_t v)
{
    return v ? psc__pb_uint_size(field, v) : 0;
}

static inline size_t psc__pb_int64_size_opt(uint32_t field, int64_t v)
{
    return v ? psc__pb_uint_size(field, (uint64_t)v) : 0;
}

/* enums are int32: negative values take 10 bytes, as in protobuf */
static inline size_t psc__pb_enum_size_opt(uint32_t field, int32_t v)
{
    return v ? psc__pb_uint_size(field, (uint64_t)(int64_t)v) : 0;
}

static inline size_t psc__pb_len_size(uint32_t field, size_t len)
{
    return psc__pb_tag_size(field) + psc__pb_varint_size(len) + len;
}

static inline size_t psc__pb_bytes_size_opt(uint32_t field, size_t len)
{
    return len ? psc__pb_len_size(field, len) : 0;
}

static inline size_t psc__pb_double_size_opt(uint32_t field, double v)
{
    return v != 0.0 ? psc__pb_tag_size(field) + 8 : 0;
}

/* --- writers --- */

static inline uint8_t *psc__pb_put_uint(uint8_t *p, uint32_t field, uint64_t v)
{
    p = psc__pb_put_tag(p, field, PSC__WT_VARINT);
    return psc__pb_put_varint(p, v);
}

static inline uint8_t *psc__pb_put_uint_opt(uint8_t *p, uint32_t field, uint64_t v)
{
    return v ? psc__pb_put_uint(p, field, v) : p;
}

static inline uint8_t *psc__pb_put_int64_opt(uint8_t *p, uint32_t field, int64_t v)
{
    return v ? psc__pb_put_uint(p, field, (uint64_t)v) : p;
}

static inline uint8_t *psc__pb_put_enum_opt(uint8_t *p, uint32_t field, int32_t v)
{
    return v ? psc__pb_put_uint(p, field, (uint64_t)(int64_t)v) : p;
}

/* tag and length prefix of a length-delimited field whose body follows */
static inline uint8_t *psc__pb_put_len_prefix(uint8_t *p, uint32_t field, size_t len)
{
    p = psc__pb_put_tag(p, field, PSC__WT_LEN);
    return psc__pb_put_varint(p, len);
}

static inline uint8_t *psc__pb_put_bytes(uint8_t *p, uint32_t field, const void *data, size_t len)
{
    p = psc__pb_put_len_prefix(p, field, len);
    if (len)
        memcpy(p, data, len);
    return p + len;
}

static inline uint8_t *psc__pb_put_bytes_opt(uint8_t *p, uint32_t field, const void *data, size_t len)
{
    return len ? psc__pb_put_bytes(p, field, data, len) : p;
}

static inline uint8_t *psc__pb_put_double_opt(uint8_t *p, uint32_t field, double v)
{
    if (v == 0.0)
        return p;
    p = psc__pb_put_tag(p, field, PSC__WT_I64);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(bits >> (8 * i));
    return p;
}

#endif

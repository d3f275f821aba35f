/* Field helpers over pbwrite.h for the record types (size + write pairs). */
#ifndef PSC_CORE_ENCODE_H
#define PSC_CORE_ENCODE_H

#include "core/records.h"
#include "wire/pbwrite.h"

static inline size_t enc_str_size(uint32_t f, psc__str s)
{
    return psc__pb_bytes_size_opt(f, s.len);
}

static inline uint8_t *enc_str(uint8_t *p, uint32_t f, psc__str s)
{
    return psc__pb_put_bytes_opt(p, f, s.p, s.len);
}

static inline size_t enc_bytes_size(uint32_t f, psc__bytes b)
{
    return psc__pb_bytes_size_opt(f, b.len);
}

static inline uint8_t *enc_bytes(uint8_t *p, uint32_t f, psc__bytes b)
{
    return psc__pb_put_bytes_opt(p, f, b.p, b.len);
}

/* repeated string: every element is written, empty ones too */
static inline size_t enc_strv_size(uint32_t f, psc__strv v)
{
    size_t n = 0;
    for (size_t i = 0; i < v.n; i++)
        n += psc__pb_len_size(f, strlen(v.v[i]));
    return n;
}

static inline uint8_t *enc_strv(uint8_t *p, uint32_t f, psc__strv v)
{
    for (size_t i = 0; i < v.n; i++)
        p = psc__pb_put_bytes(p, f, v.v[i], strlen(v.v[i]));
    return p;
}

static inline size_t enc_bool_size(uint32_t f, bool b)
{
    return b ? psc__pb_uint_size(f, 1) : 0;
}

static inline uint8_t *enc_bool(uint8_t *p, uint32_t f, bool b)
{
    return b ? psc__pb_put_uint(p, f, 1) : p;
}

/* a sub-message field, written even when its body is empty */
static inline size_t enc_msg_size(uint32_t f, size_t body)
{
    return psc__pb_len_size(f, body);
}

/* a sub-message field left out when its body is empty */
static inline size_t enc_msg_size_opt(uint32_t f, size_t body)
{
    return body ? psc__pb_len_size(f, body) : 0;
}

static inline size_t enc_gauge_body(const psc_gauge_value *g)
{
    return psc__pb_uint_size_opt(1, g->bytes) + psc__pb_uint_size_opt(2, g->packets) +
           psc__pb_uint_size_opt(3, g->rate);
}

static inline uint8_t *enc_gauge(uint8_t *p, uint32_t f, const psc_gauge_value *g)
{
    p = psc__pb_put_len_prefix(p, f, enc_gauge_body(g));
    p = psc__pb_put_uint_opt(p, 1, g->bytes);
    p = psc__pb_put_uint_opt(p, 2, g->packets);
    return psc__pb_put_uint_opt(p, 3, g->rate);
}

/* 2020 clients read traffic_in/out unconditionally, so both are always there */
static inline size_t enc_traffic_body(const psc_traffic *t)
{
    return enc_msg_size(1, enc_gauge_body(&t->in)) + enc_msg_size(2, enc_gauge_body(&t->out));
}

static inline uint8_t *enc_traffic(uint8_t *p, uint32_t f, const psc_traffic *t)
{
    p = psc__pb_put_len_prefix(p, f, enc_traffic_body(t));
    p = enc_gauge(p, 1, &t->in);
    return enc_gauge(p, 2, &t->out);
}

#endif

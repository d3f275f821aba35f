/* Field helpers over the wire writer for the record types (size + write pairs). */
#ifndef PSC_CORE_ENCODE_H
#define PSC_CORE_ENCODE_H

#include "core/records.h"
#include "wire/wire.h"

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
    return psc__pb_uint_size_opt(PSC__F_DATA_GAUGE__CUM_BYTES, g->bytes) +
           psc__pb_uint_size_opt(PSC__F_DATA_GAUGE__CUM_PACKETS, g->packets) +
           psc__pb_uint_size_opt(PSC__F_DATA_GAUGE__INST_BW, g->rate);
}

static inline uint8_t *enc_gauge(uint8_t *p, uint32_t f, const psc_gauge_value *g)
{
    size_t body = enc_gauge_body(g);
    p = psc__pb_put_len_prefix(p, f, body);
    uint8_t *b = p;
    p = psc__pb_put_uint_opt(p, PSC__F_DATA_GAUGE__CUM_BYTES, g->bytes);
    p = psc__pb_put_uint_opt(p, PSC__F_DATA_GAUGE__CUM_PACKETS, g->packets);
    p = psc__pb_put_uint_opt(p, PSC__F_DATA_GAUGE__INST_BW, g->rate);
    PSC__PB_BODY_END(b, p, body, "DataGauge");
    return p;
}

/* 2020 clients read traffic_in/out unconditionally, so both are always there */
static inline size_t enc_traffic_body(const psc_traffic *t)
{
    return enc_msg_size(PSC__F_TRAFFIC__TRAFFIC_IN, enc_gauge_body(&t->in)) +
           enc_msg_size(PSC__F_TRAFFIC__TRAFFIC_OUT, enc_gauge_body(&t->out));
}

static inline uint8_t *enc_traffic(uint8_t *p, uint32_t f, const psc_traffic *t)
{
    size_t body = enc_traffic_body(t);
    p = psc__pb_put_len_prefix(p, f, body);
    uint8_t *b = p;
    p = enc_gauge(p, PSC__F_TRAFFIC__TRAFFIC_IN, &t->in);
    p = enc_gauge(p, PSC__F_TRAFFIC__TRAFFIC_OUT, &t->out);
    PSC__PB_BODY_END(b, p, body, "Traffic");
    return p;
}

#endif

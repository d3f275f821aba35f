#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core_fixture.h"

static uint64_t fake_wall(void *user)
{
    return ((fake_clock *)user)->wall_ms;
}

static uint64_t fake_mono(void *user)
{
    return ((fake_clock *)user)->mono_ns;
}

psc_clock fake_clock_iface(fake_clock *fc)
{
    psc_clock c = {fake_wall, fake_mono, fc};
    return c;
}

psc_introspector *fixture_intro(fake_clock *fc, const psc_allocator *alloc)
{
    psc_clock clk = fake_clock_iface(fc);
    psc_config cfg = {.struct_size = sizeof cfg, .log_level = PSC_LOG_WARN};
    cfg.clock = &clk;
    cfg.allocator = alloc;
    cfg.runtime.implementation = "test-host";
    cfg.runtime.version = "9.9";
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    assert_non_null(intro);
    return intro;
}

Peerscope__ServerMessage *fixture_snapshot(psc_introspector *intro, psc_msg **msg_out)
{
    psc_msg *msg = NULL;
    assert_int_equal(psc_introspector_snapshot(intro, &msg), PSC_OK);
    assert_non_null(msg);
    assert_int_equal(psc_msg_get_kind(msg), PSC_MSG_STATE);

    size_t plen, flen;
    const uint8_t *payload = psc_msg_payload(msg, &plen);
    const uint8_t *framed = psc_msg_framed(msg, &flen);
    assert_int_equal(flen, plen + PSC_FRAME_HEADER_LEN);
    const uint8_t *pp;
    size_t pl;
    assert_int_equal(psc_frame_parse(framed, flen, &pp, &pl), PSC_OK);
    assert_ptr_equal(pp, payload);
    assert_int_equal(pl, plen);

    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_msg_decode(msg, &m), PSC_OK);
    assert_non_null(m);
    /* our encoder must produce what protobuf-c would, byte for byte */
    size_t repacked = peerscope__server_message__get_packed_size(m);
    assert_int_equal(repacked, plen);
    uint8_t *buf = malloc(repacked ? repacked : 1);
    assert_non_null(buf);
    assert_int_equal(peerscope__server_message__pack(m, buf), plen);
    assert_memory_equal(buf, payload, plen);
    free(buf);
    if (msg_out)
        *msg_out = msg;
    else
        psc_msg_unref(msg);
    return m;
}

Peerscope__State *fixture_state(Peerscope__ServerMessage *m)
{
    assert_non_null(m->version);
    assert_int_equal(m->version->version, 1);
    assert_int_equal(m->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    assert_non_null(m->state);
    assert_non_null(m->state->subsystems);
    assert_non_null(m->state->traffic);
    return m->state;
}

int fixture_bytes_eq(ProtobufCBinaryData b, const void *p, size_t len)
{
    return b.len == len && (len == 0 || memcmp(b.data, p, len) == 0);
}

static void check_gauge(const Peerscope__DataGauge *g, const psc_gauge_value *want)
{
    assert_non_null(g);
    assert_int_equal(g->cum_bytes, want->bytes);
    assert_int_equal(g->cum_packets, want->packets);
    assert_int_equal(g->inst_bw, want->rate);
}

void fixture_check_traffic(const Peerscope__Traffic *t, const psc_traffic *want)
{
    assert_non_null(t);
    check_gauge(t->traffic_in, &want->in);
    check_gauge(t->traffic_out, &want->out);
}

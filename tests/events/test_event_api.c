/*
 * The public event API (peerscope/event.h) through a real introspector:
 * configuration reaches the store, psc_emit uses the configured clock, the
 * Runtime lists declared types, and allocation failure is clean end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../support/test_support.h"
#include "peerscope/event.h"
#include "peerscope/introspector.h"
#include "peerscope/peerscope.pb-c.h"

static uint64_t fake_ms(void *user)
{
    uint64_t *now = user;
    return *now;
}

static void test_emit_and_read(void **state)
{
    (void)state;
    uint64_t now = 1700000000123ull;
    psc_clock clock = {fake_ms, NULL, &now};
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.clock = &clock;
    psc_introspector *in;
    assert_int_equal(psc_introspector_new(&cfg, &in), PSC_OK);

    assert_int_equal(psc_event_declare_well_known(in), PSC_OK);
    const psc_event_type *t;
    assert_int_equal(psc_event_lookup(in, "PeerConnecting", &t), PSC_OK);
    assert_string_equal(psc_event_type_name(t), "PeerConnecting");
    const psc_event_type *same;
    assert_int_equal(psc_event_declare(in, &PSC_EVENT_PEER_CONNECTING, &same), PSC_OK);
    assert_ptr_equal(same, t);
    assert_int_equal(psc_event_lookup(in, "NoSuchType", &same), PSC_ERR_NOT_FOUND);

    psc_event_reader *r;
    assert_int_equal(psc_event_reader_new(in, false, &r), PSC_OK);
    psc_value v[] = {PSC_V_STR("12D3KooWA"), PSC_V_STR("tcp"), PSC_V_STR("INITIATOR")};
    assert_int_equal(psc_emit(in, t, v, 3), PSC_OK);
    now += 5;
    assert_int_equal(psc_emit_at(in, t, 42, v, 3), PSC_OK);
    assert_int_equal(psc_events_emitted(in), 2);

    psc_event_record rec;
    uint64_t missed;
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_OK);
    assert_int_equal(rec.ts, 1700000000123ull); /* the configured clock */
    assert_int_equal(rec.seq, 1);
    assert_int_equal(missed, 0);
    assert_ptr_equal(rec.type, t);
    assert_string_equal(rec.content, "{\"peerId\":\"12D3KooWA\",\"transport\":\"tcp\",\"role\":\"INITIATOR\"}");
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_OK);
    assert_int_equal(rec.ts, 42);
    assert_int_equal(rec.seq, 2);
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_ERR_AGAIN);
    psc_event_reader_free(r);
    psc_introspector_free(in);
}

static void test_config_limits(void **state)
{
    (void)state;
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.event_ring_capacity = 3; /* 4 */
    cfg.max_event_size = 16;
    psc_introspector *in;
    assert_int_equal(psc_introspector_new(&cfg, &in), PSC_OK);
    psc_prop_def p = {"s", PSC_PROP_STRING, false};
    psc_event_def d = {"Small", &p, 1};
    const psc_event_type *t;
    assert_int_equal(psc_event_declare(in, &d, &t), PSC_OK);
    psc_event_reader *r;
    assert_int_equal(psc_event_reader_new(in, false, &r), PSC_OK);
    psc_value fits = PSC_V_STR("12345678"); /* {"s":"12345678"} is 16 bytes */
    psc_value big = PSC_V_STR("123456789");
    assert_int_equal(psc_emit(in, t, &big, 1), PSC_ERR_TOO_BIG);
    for (int i = 0; i < 6; i++)
        assert_int_equal(psc_emit(in, t, &fits, 1), PSC_OK);
    assert_int_equal(psc_events_emitted(in), 6);
    psc_event_record rec;
    uint64_t missed;
    assert_int_equal(psc_event_reader_next(r, &rec, &missed), PSC_OK);
    assert_int_equal(rec.seq, 3);
    assert_int_equal(missed, 2);
    psc_event_reader_free(r);
    psc_introspector_free(in);
}

static void test_null_introspector(void **state)
{
    (void)state;
    const psc_event_type *t = NULL;
    psc_event_reader *r = NULL;
    assert_int_equal(psc_event_declare(NULL, &PSC_EVENT_NEW_BLOCK, &t), PSC_ERR_INVALID);
    assert_int_equal(psc_event_lookup(NULL, "NewBlock", &t), PSC_ERR_INVALID);
    assert_int_equal(psc_event_declare_well_known(NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_emit(NULL, t, NULL, 0), PSC_ERR_INVALID);
    assert_int_equal(psc_emit_at(NULL, t, 1, NULL, 0), PSC_ERR_INVALID);
    assert_int_equal(psc_event_reader_new(NULL, true, &r), PSC_ERR_INVALID);
    assert_int_equal(psc_events_emitted(NULL), 0);
    assert_null(t);
    assert_null(r);
}

/* The Runtime the core builds lists our types with their metadata. */
static void test_runtime_lists_types(void **state)
{
    (void)state;
    psc_introspector *in;
    assert_int_equal(psc_introspector_new(NULL, &in), PSC_OK);
    assert_int_equal(psc_event_declare_well_known(in), PSC_OK);
    psc_msg *m;
    assert_int_equal(psc_introspector_runtime(in, &m), PSC_OK);
    size_t len;
    const uint8_t *p = psc_msg_payload(m, &len);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
    assert_non_null(sm);
    assert_non_null(sm->runtime);
    assert_int_equal(sm->runtime->n_event_types, 12);
    const Peerscope__EventType *et = sm->runtime->event_types[5];
    assert_string_equal(et->name, "OutboundDHTQuery");
    assert_int_equal(et->n_property_types, PSC_EVENT_OUTBOUND_DHT_QUERY.n_props);
    assert_string_equal(et->property_types[3]->name, "peerIds");
    assert_int_equal(et->property_types[3]->type, PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID);
    assert_true(et->property_types[3]->has_multiple);
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
    psc_introspector_free(in);
}

static psc_err api_body(void *arg, psc_test_alloc *ta)
{
    (void)arg;
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.allocator = &ta->iface;
    cfg.event_ring_capacity = 8;
    psc_introspector *in = NULL;
    psc_err e = psc_introspector_new(&cfg, &in);
    if (e != PSC_OK)
        return e;
    psc_event_reader *r = NULL;
    e = psc_event_declare_well_known(in);
    if (e == PSC_OK)
        e = psc_event_reader_new(in, true, &r);
    if (e == PSC_OK) {
        const psc_event_type *t;
        assert_int_equal(psc_event_lookup(in, "SyncCompleted", &t), PSC_OK);
        psc_value v[] = {PSC_V_NUM(100), PSC_V_NUM(2500)};
        assert_int_equal(psc_emit_at(in, t, 9, v, 2), PSC_OK);
        psc_event_record rec;
        assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
        assert_string_equal(rec.content, "{\"height\":100,\"durationMs\":2500}");
    }
    psc_event_reader_free(r);
    psc_introspector_free(in);
    return e;
}

static void test_alloc_failure(void **state)
{
    (void)state;
    psc_test_each_alloc_fails(api_body, NULL, 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emit_and_read),
        cmocka_unit_test(test_config_limits),
        cmocka_unit_test(test_null_introspector),
        cmocka_unit_test(test_runtime_lists_types),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

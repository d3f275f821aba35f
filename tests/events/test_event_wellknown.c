/*
 * Well-known event types: they declare, they are what the 2020 recordings
 * announce (same names, same leading properties, same types), and the
 * library can emit content shaped like the 2020 content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "util/json.h"
#include "peerscope/peerscope.pb-c.h"
#include "../support/test_support.h"

static const psc_event_def *const all[] = {
    &PSC_EVENT_PEER_CONNECTED,      &PSC_EVENT_PEER_DISCONNECTED,    &PSC_EVENT_PEER_CONNECTING,
    &PSC_EVENT_PEER_DISCONNECTING,  &PSC_EVENT_INBOUND_DHT_QUERY,    &PSC_EVENT_OUTBOUND_DHT_QUERY,
    &PSC_EVENT_IDENTITY_KNOWN,      &PSC_EVENT_FIRST_PEER_CONNECTED, &PSC_EVENT_SYNC_STARTED,
    &PSC_EVENT_SYNC_COMPLETED,      &PSC_EVENT_NEW_BLOCK,            &PSC_EVENT_MESSAGE_RECEIVED,
};
#define N_ALL (sizeof all / sizeof all[0])

static void test_declare_all(void **state)
{
    (void)state;
    psc__events *ev;
    assert_int_equal(psc__events_new(NULL, NULL, 0, 0, &ev), PSC_OK);
    assert_int_equal(psc__events_declare_well_known(ev), PSC_OK);
    assert_int_equal(psc__events_type_count(ev), N_ALL);
    /* idempotent */
    assert_int_equal(psc__events_declare_well_known(ev), PSC_OK);
    assert_int_equal(psc__events_type_count(ev), N_ALL);
    for (size_t i = 0; i < N_ALL; i++) {
        const psc_event_type *t;
        assert_int_equal(psc__events_lookup(ev, all[i]->name, &t), PSC_OK);
        assert_int_equal(psc_event_type_prop_count(t), all[i]->n_props);
        /* camelCase property names, nothing a JS client would have to quote oddly */
        for (size_t j = 0; j < all[i]->n_props; j++) {
            const char *n = all[i]->props[j].name;
            assert_true(n[0] >= 'a' && n[0] <= 'z');
            for (const char *c = n; *c; c++)
                assert_true((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'));
        }
    }
    /* a host's own conflicting declaration of a well-known name is refused */
    psc_prop_def p = {"peerId", PSC_PROP_STRING, false};
    psc_event_def mine = {"PeerConnecting", &p, 1};
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &mine, &t), PSC_ERR_EXISTS);
    psc__events_free(ev);
}

static const psc_event_def *find_def(const char *name)
{
    for (size_t i = 0; i < N_ALL; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The 2020 recordings open with a Runtime listing the types they use. */
static void check_recording(const char *file)
{
    size_t len;
    uint8_t *data = psc_test_read_file(psc_test_vector_path(file), &len);
    if (!data)
        fail_msg("cannot read %s (PSC_VECTORS_DIR)", file);
    assert_true(len > 12);
    assert_int_equal(le32(data), 1);
    size_t off = 4;
    Peerscope__Runtime *rt = NULL;
    Peerscope__ServerMessage *sm = NULL;
    while (off + 8 <= len && !rt) {
        uint32_t n = le32(data + off + 4);
        assert_true(off + 8 + n <= len);
        sm = peerscope__server_message__unpack(NULL, n, data + off + 8);
        assert_non_null(sm);
        if (sm->payload_case == PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME)
            rt = sm->runtime;
        else
            peerscope__server_message__free_unpacked(sm, NULL);
        off += 8 + n;
    }
    assert_non_null(rt);
    assert_true(rt->n_event_types >= 4);
    for (size_t i = 0; i < rt->n_event_types; i++) {
        const Peerscope__EventType *et = rt->event_types[i];
        const psc_event_def *d = find_def(et->name);
        if (!d)
            fail_msg("%s: no well-known type %s", file, et->name);
        assert_true(d->n_props >= et->n_property_types);
        for (size_t j = 0; j < et->n_property_types; j++) {
            assert_string_equal(d->props[j].name, et->property_types[j]->name);
            assert_int_equal((int)d->props[j].type, (int)et->property_types[j]->type);
            assert_int_equal(d->props[j].multiple, et->property_types[j]->has_multiple);
        }
    }
    peerscope__server_message__free_unpacked(sm, NULL);
    free(data);
}

static void test_matches_2020_recordings(void **state)
{
    (void)state;
    check_recording("sample-1min.mock");
    check_recording("sample-dht-2min.mock");
}

/* The visualizer flashes DHT queries that carry a peerIds array. */
static void test_dht_query_content(void **state)
{
    (void)state;
    psc__events *ev;
    assert_int_equal(psc__events_new(NULL, NULL, 0, 0, &ev), PSC_OK);
    const psc_event_type *t;
    assert_int_equal(psc__events_declare(ev, &PSC_EVENT_OUTBOUND_DHT_QUERY, &t), PSC_OK);
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(ev, false, &r), PSC_OK);
    const char *ids[] = {"12D3KooWA", NULL, "12D3KooWB"};
    psc_value v[] = {PSC_V_STR("SUCCESS"), PSC_V_NUM(35), PSC_V_NUM(7),   PSC_V_STRS(ids, 3),
                     PSC_V_STR("q1"),      PSC_V_STR("12D3KooWT"),       PSC_V_STR("API"),
                     PSC_V_STR("CONTENT"), PSC_V_STR("OUTBOUND")};
    assert_int_equal(psc__events_emit(ev, t, 1, v, 9), PSC_OK);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
    assert_string_equal(rec.content,
                        "{\"result\":\"SUCCESS\",\"totalTimeMs\":35,\"totalSteps\":7,"
                        "\"peerIds\":[\"12D3KooWA\",null,\"12D3KooWB\"],\"queryId\":\"q1\","
                        "\"targetPeerId\":\"12D3KooWT\",\"trigger\":\"API\",\"type\":\"CONTENT\","
                        "\"direction\":\"OUTBOUND\"}");
    assert_true(psc__json_valid(rec.content, rec.content_len));
    psc_event_reader_free(r);
    psc__events_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declare_all),
        cmocka_unit_test(test_matches_2020_recordings),
        cmocka_unit_test(test_dht_query_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Event messages and EventType bodies, decoded with protobuf-c (an encoder
 * independent of ours) and checked field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "events/event_store.h"
#include "wire/msg.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"
#include "../support/test_support.h"

typedef struct fixture {
    psc__events *ev;
    const psc_event_type *t;
} fixture;

static const psc_prop_def props[] = {
    {"peerId", PSC_PROP_PEERID, false},   {"count", PSC_PROP_NUMBER, false}, {"at", PSC_PROP_TIME, false},
    {"addrs", PSC_PROP_MULTIADDR, true}, {"extra", PSC_PROP_JSON, false},  {"tags", PSC_PROP_STRING, true},
};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || psc__events_new(NULL, NULL, 8, 0, &f->ev) != PSC_OK)
        return -1;
    psc_event_def d = {"Sample", props, sizeof props / sizeof props[0]};
    if (psc__events_declare(f->ev, &d, &f->t) != PSC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    psc__events_free(f->ev);
    free(f);
    return 0;
}

static void check_props(const Peerscope__EventType *et)
{
    assert_int_equal(et->n_property_types, sizeof props / sizeof props[0]);
    for (size_t i = 0; i < et->n_property_types; i++) {
        const Peerscope__EventType__EventProperty *p = et->property_types[i];
        assert_string_equal(p->name, props[i].name);
        assert_int_equal((int)p->type, (int)props[i].type);
        assert_int_equal(p->has_multiple, props[i].multiple);
    }
}

static Peerscope__ServerMessage *decode(const psc_msg *m)
{
    size_t len, flen;
    const uint8_t *payload = psc_msg_payload(m, &len);
    const uint8_t *framed = psc_msg_framed(m, &flen);
    assert_int_equal(flen, len + 12);
    /* header: version 1, FNV-1a of the payload, length; all little-endian */
    assert_int_equal(framed[0] | framed[1] << 8 | framed[2] << 16 | (uint32_t)framed[3] << 24, 1);
    uint32_t sum = framed[4] | framed[5] << 8 | framed[6] << 16 | (uint32_t)framed[7] << 24;
    assert_int_equal(sum, psc_fnv1a32(payload, len));
    assert_int_equal(framed[8] | framed[9] << 8 | framed[10] << 16 | (uint32_t)framed[11] << 24, len);
    assert_int_equal(psc_msg_get_kind(m), PSC_MSG_EVENT);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, payload);
    assert_non_null(sm);
    /* protobuf-c agrees on the size: our bytes are exactly what it would write */
    assert_int_equal(peerscope__server_message__get_packed_size(sm), len);
    assert_non_null(sm->version);
    assert_int_equal(sm->version->version, 1);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
    assert_non_null(sm->event);
    assert_non_null(sm->event->type);
    return sm;
}

static void test_event_with_and_without_metadata(void **state)
{
    fixture *f = *state;
    const char *content = "{\"peerId\":\"QmX\",\"count\":3}";
    psc_event_record rec = {f->t, 1592210385793ull, 42, strlen(content), (char *)content};
    for (int meta = 0; meta <= 1; meta++) {
        psc_msg *m = NULL;
        assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, meta, &m), PSC_OK);
        Peerscope__ServerMessage *sm = decode(m);
        const Peerscope__Event *e = sm->event;
        assert_string_equal(e->type->name, "Sample");
        if (meta)
            check_props(e->type);
        else
            assert_int_equal(e->type->n_property_types, 0);
        assert_int_equal(e->ts, 1592210385793ull);
        assert_string_equal(e->content, content);
        assert_int_equal(e->seq, 42);
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
    }
}

/* Metadata added to a queued plain event: the very bytes a direct encoding gives. */
static void test_metadata_added_later(void **state)
{
    fixture *f = *state;
    psc_event_def none = {"Bare", NULL, 0};
    const psc_event_type *bare;
    assert_int_equal(psc__events_declare(f->ev, &none, &bare), PSC_OK);
    const char *content = "{\"peerId\":\"QmX\"}";
    psc_event_record recs[] = {
        {f->t, 1592210385793ull, 42, strlen(content), (char *)content},
        {f->t, 0, 0, 0, NULL},                   /* every Event field after the type left out */
        {bare, 7, 1ull << 40, 2, "{}"},
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        psc_msg *plain, *direct, *later;
        assert_int_equal(psc__event_msg(&psc__default_alloc, &recs[i], false, &plain), PSC_OK);
        assert_int_equal(psc__event_msg(&psc__default_alloc, &recs[i], true, &direct), PSC_OK);
        assert_int_equal(psc__event_msg_with_meta(&psc__default_alloc, recs[i].type, plain, &later), PSC_OK);
        size_t n1, n2, f1, f2;
        const uint8_t *a = psc_msg_payload(direct, &n1), *b = psc_msg_payload(later, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        const uint8_t *fa = psc_msg_framed(direct, &f1), *fb = psc_msg_framed(later, &f2);
        assert_int_equal(f1, f2);
        assert_memory_equal(fa, fb, 12); /* the same header: checksum included */
        /* and once more from the message that already has it */
        psc_msg *again;
        assert_int_equal(psc__event_msg_with_meta(&psc__default_alloc, recs[i].type, later, &again), PSC_OK);
        assert_memory_equal(psc_msg_payload(again, &n2), a, n1);
        psc_msg_unref(again);
        psc_msg_unref(plain);
        psc_msg_unref(direct);
        psc_msg_unref(later);
    }
    /* only event messages made by the encoder qualify */
    psc_msg *other, *out = NULL;
    assert_int_equal(psc__msg_new(&psc__default_alloc, PSC_MSG_EVENT, 4, &other), PSC_OK);
    memset(psc__msg_payload_mut(other), 0, 4);
    psc__msg_seal(other);
    assert_int_equal(psc__event_msg_with_meta(&psc__default_alloc, f->t, other, &out), PSC_ERR_INVALID);
    assert_null(out);
    psc_msg_unref(other);
}

static void test_event_edge_values(void **state)
{
    fixture *f = *state;
    /* zeros are proto3 defaults and left out, yet decode the same */
    psc_event_record rec = {f->t, 0, 0, 0, NULL};
    psc_msg *m;
    assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, false, &m), PSC_OK);
    Peerscope__ServerMessage *sm = decode(m);
    assert_int_equal(sm->event->ts, 0);
    assert_int_equal(sm->event->seq, 0);
    assert_string_equal(sm->event->content, "");
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);

    /* contents whose length needs 2 and 3 varint bytes */
    const size_t sizes[] = {127, 128, 16383, 16384, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char *c = malloc(sizes[k] + 1);
        assert_non_null(c);
        for (size_t i = 0; i < sizes[k]; i++)
            c[i] = (char)('A' + i % 26);
        c[sizes[k]] = '\0';
        psc_event_record big = {f->t, UINT64_MAX, UINT64_MAX, sizes[k], c};
        assert_int_equal(psc__event_msg(&psc__default_alloc, &big, true, &m), PSC_OK);
        sm = decode(m);
        assert_int_equal(sm->event->ts, UINT64_MAX);
        assert_int_equal(sm->event->seq, UINT64_MAX);
        assert_string_equal(sm->event->content, c);
        check_props(sm->event->type);
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
        free(c);
    }
}

static void test_event_from_reader(void **state)
{
    fixture *f = *state;
    psc_event_reader *r;
    assert_int_equal(psc__events_reader_new(f->ev, false, &r), PSC_OK);
    const char *addrs[] = {"/ip4/1.2.3.4/tcp/1"};
    const char *tags[] = {"x", NULL};
    psc_value v[] = {PSC_V_STR("Qm\xc3\xa9"), PSC_V_NUM(1.5), PSC_V_TIME(9), PSC_V_STRS(addrs, 1),
                     PSC_V_ABSENT, PSC_V_STRS(tags, 2)};
    assert_int_equal(psc__events_emit(f->ev, f->t, 555, v, 6), PSC_OK);
    psc_event_record rec;
    assert_int_equal(psc_event_reader_next(r, &rec, NULL), PSC_OK);
    psc_msg *m;
    assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, true, &m), PSC_OK);
    Peerscope__ServerMessage *sm = decode(m);
    assert_int_equal(sm->event->ts, 555);
    assert_int_equal(sm->event->seq, 1);
    assert_string_equal(sm->event->content,
                        "{\"peerId\":\"Qm\xc3\xa9\",\"count\":1.5,\"at\":9,\"addrs\":[\"/ip4/1.2.3.4/tcp/1\"],"
                        "\"tags\":[\"x\",null]}");
    peerscope__server_message__free_unpacked(sm, NULL);
    psc_msg_unref(m);
    psc_event_reader_free(r);
}

static void test_event_type_body(void **state)
{
    fixture *f = *state;
    psc_event_def none = {"Bare", NULL, 0};
    const psc_event_type *bare;
    assert_int_equal(psc__events_declare(f->ev, &none, &bare), PSC_OK);
    const psc_event_type *types[] = {f->t, bare};
    for (size_t k = 0; k < 2; k++) {
        for (int meta = 0; meta <= 1; meta++) {
            size_t n = psc__event_type_pb_size(types[k], meta);
            uint8_t *buf = malloc(n + 1);
            assert_non_null(buf);
            buf[n] = 0xEE;
            uint8_t *end = psc__event_type_pb_write(buf, types[k], meta);
            assert_ptr_equal(end, buf + n);
            assert_int_equal(buf[n], 0xEE);
            Peerscope__EventType *et = peerscope__event_type__unpack(NULL, n, buf);
            assert_non_null(et);
            assert_string_equal(et->name, psc_event_type_name(types[k]));
            if (meta && k == 0)
                check_props(et);
            else
                assert_int_equal(et->n_property_types, 0);
            assert_int_equal(peerscope__event_type__get_packed_size(et), n);
            peerscope__event_type__free_unpacked(et, NULL);
            free(buf);
        }
    }
    assert_int_equal(psc__event_type_pb_size(NULL, true), 0);
}

static void test_bad_args(void **state)
{
    fixture *f = *state;
    psc_event_record rec = {f->t, 1, 1, 3, NULL};
    psc_msg *m = NULL;
    assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, true, &m), PSC_ERR_INVALID);
    rec.content = "abc";
    assert_int_equal(psc__event_msg(NULL, &rec, true, &m), PSC_ERR_INVALID);
    assert_int_equal(psc__event_msg(&psc__default_alloc, NULL, true, &m), PSC_ERR_INVALID);
    assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, true, NULL), PSC_ERR_INVALID);
    rec.type = NULL;
    assert_int_equal(psc__event_msg(&psc__default_alloc, &rec, true, &m), PSC_ERR_INVALID);
    assert_null(m);
}

typedef struct msg_arg {
    const psc_event_type *t;
} msg_arg;

static psc_err msg_body(void *arg, psc_test_alloc *alloc)
{
    msg_arg *a = arg;
    psc__alloc al;
    psc__alloc_init(&al, &alloc->iface);
    psc_event_record rec = {a->t, 1, 2, 2, "{}"};
    psc_msg *m = NULL;
    psc_err e = psc__event_msg(&al, &rec, true, &m);
    if (e == PSC_OK) {
        size_t len;
        const uint8_t *p = psc_msg_payload(m, &len);
        Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, p);
        if (!sm)
            e = PSC_ERR_CORRUPT;
        peerscope__server_message__free_unpacked(sm, NULL);
        psc_msg_unref(m);
    } else if (m) {
        e = PSC_ERR_STATE; /* out-param written on failure */
    }
    return e;
}

static void test_alloc_failure(void **state)
{
    fixture *f = *state;
    msg_arg a = {f->t};
    assert_int_equal(psc_test_each_alloc_fails(msg_body, &a, 10), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_event_with_and_without_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_added_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_edge_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_from_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_type_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

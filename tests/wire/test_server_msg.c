/*
 * The ServerMessage envelope of the wire module and its checks: a body that
 * fills exactly what its size pass said is sealed; one that does not is
 * refused with PSC_ERR_INTERNAL and a message naming it, never sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wire/wire.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"
#include "../support/test_support.h"

/* A Version body of one varint field: what every test writes. */
static size_t body_size(void)
{
    return psc__pb_uint_size(PSC__F_VERSION__VERSION, 300);
}

static void test_envelope_of_every_kind(void **state)
{
    (void)state;
    const psc_msg_kind kinds[] = {PSC_MSG_STATE, PSC_MSG_RUNTIME, PSC_MSG_EVENT, PSC_MSG_RESPONSE, PSC_MSG_NOTICE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        psc_msg *m;
        uint8_t *p;
        assert_int_equal(psc__wire_sm_new(&psc__default_alloc, kinds[i], 0, &m, &p), PSC_OK);
        assert_int_equal(psc__wire_sm_seal(m, p), PSC_OK);
        assert_int_equal(psc_msg_get_kind(m), kinds[i]);
        size_t len;
        const uint8_t *payload = psc_msg_payload(m, &len);
        assert_int_equal(len, psc__wire_sm_size(kinds[i], 0));
        Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, len, payload);
        assert_non_null(sm);
        assert_non_null(sm->version);
        assert_int_equal(sm->version->version, PSC_PROTOCOL_VERSION);
        assert_int_equal((int)sm->payload_case, (int)kinds[i]); /* kinds are the payload's field numbers */
        peerscope__server_message__free_unpacked(sm, NULL);
        size_t flen;
        const uint8_t *framed = psc_msg_framed(m, &flen);
        assert_int_equal(flen, len + PSC_FRAME_HEADER_LEN);
        const uint8_t *got;
        size_t got_len;
        assert_int_equal(psc_frame_parse(framed, flen, &got, &got_len), PSC_OK);
        assert_ptr_equal(got, payload);
        assert_int_equal(got_len, len);
        psc_msg_unref(m);
    }
}

static void test_exact_body_is_sealed(void **state)
{
    (void)state;
    psc_msg *m;
    uint8_t *p;
    assert_int_equal(psc__wire_sm_new(&psc__default_alloc, PSC_MSG_STATE, body_size(), &m, &p), PSC_OK);
    p = psc__pb_put_uint(p, PSC__F_VERSION__VERSION, 300);
    assert_int_equal(psc__wire_sm_seal(m, p), PSC_OK);
    assert_null(psc__wire_last_error());
    psc_msg_unref(m);
}

static void test_short_or_long_body_is_refused(void **state)
{
    (void)state;
    for (int longer = 0; longer <= 1; longer++) {
        psc_test_alloc ta;
        psc_test_alloc_init(&ta);
        psc__alloc a;
        psc__alloc_init(&a, &ta.iface);
        psc_msg *m;
        uint8_t *p;
        /* short: the size pass promised a byte more than was written;
         * long: the write pass claims to end a byte past the message */
        assert_int_equal(psc__wire_sm_new(&a, PSC_MSG_STATE, body_size() + !longer, &m, &p), PSC_OK);
        p = psc__pb_put_uint(p, PSC__F_VERSION__VERSION, 300);
        assert_int_equal(psc__wire_sm_seal(m, p + longer), PSC_ERR_INTERNAL);
        const char *why = psc__wire_last_error();
        assert_non_null(why);
        assert_non_null(strstr(why, "ServerMessage: wrote"));
        assert_int_equal(ta.live, 0); /* the refused message was freed */
    }
}

static void test_nested_body_mismatch(void **state)
{
    (void)state;
#ifdef PSC_WIRE_CHECKS
    psc_msg *m;
    uint8_t *p;
    size_t inner = body_size();
    size_t body = psc__pb_len_size(PSC__F_SERVER_MESSAGE__VERSION, inner);
    assert_int_equal(psc__wire_sm_new(&psc__default_alloc, PSC_MSG_STATE, body, &m, &p), PSC_OK);
    p = psc__pb_put_len_prefix(p, PSC__F_SERVER_MESSAGE__VERSION, inner);
    uint8_t *b = p;
    p = psc__pb_put_uint(p, PSC__F_VERSION__VERSION, 300);
    /* the total is right, but this body claims one byte it did not write */
    PSC__PB_BODY_END(b, p, inner + 1, "Version");
    assert_int_equal(psc__wire_sm_seal(m, p), PSC_ERR_INTERNAL);
    const char *why = psc__wire_last_error();
    assert_non_null(why);
    assert_non_null(strstr(why, "Version: wrote 3 of 4 bytes"));
    assert_non_null(strstr(why, "test_server_msg.c"));
    /* the next message on this thread starts clean */
    assert_int_equal(psc__wire_sm_new(&psc__default_alloc, PSC_MSG_NOTICE, 0, &m, &p), PSC_OK);
    assert_null(psc__wire_last_error());
    assert_int_equal(psc__wire_sm_seal(m, p), PSC_OK);
    psc_msg_unref(m);
#else
    skip(); /* release builds check each message's total only */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_of_every_kind),
        cmocka_unit_test(test_exact_body_is_sealed),
        cmocka_unit_test(test_short_or_long_body_is_refused),
        cmocka_unit_test(test_nested_body_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

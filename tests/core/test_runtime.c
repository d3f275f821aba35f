/* The Runtime message, the introspector's configuration and its internal accessors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core_fixture.h"
#include "core/core.h"

static Peerscope__Runtime *decode_runtime(psc_msg *msg, Peerscope__ServerMessage **m)
{
    assert_int_equal(psc_msg_get_kind(msg), PSC_MSG_RUNTIME);
    size_t flen, plen;
    const uint8_t *framed = psc_msg_framed(msg, &flen);
    const uint8_t *payload = psc_msg_payload(msg, &plen);
    const uint8_t *pp;
    size_t pl;
    assert_int_equal(psc_frame_parse(framed, flen, &pp, &pl), PSC_OK);
    assert_ptr_equal(pp, payload);
    assert_int_equal(psc_msg_decode(msg, m), PSC_OK);
    assert_non_null((*m)->version);
    assert_int_equal((*m)->version->version, 1);
    assert_int_equal((*m)->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    assert_int_equal(peerscope__server_message__get_packed_size(*m), plen);
    uint8_t *buf = malloc(plen);
    assert_non_null(buf);
    assert_int_equal(peerscope__server_message__pack(*m, buf), plen);
    assert_memory_equal(buf, payload, plen); /* what protobuf-c writes, byte for byte */
    free(buf);
    return (*m)->runtime;
}

static const psc_prop_def CONNECT_PROPS[] = {
    {"peerId", PSC_PROP_PEERID, false},
    {"addrs", PSC_PROP_MULTIADDR, true},
    {"info", PSC_PROP_JSON, false},
};
static const psc_event_def CONNECT = {"Connected", CONNECT_PROPS, 3};
static const psc_event_def BARE = {"Bare", NULL, 0};

static void test_runtime_message(void **state)
{
    (void)state;
    fake_clock fc = {123456, 1};
    psc_clock clk = fake_clock_iface(&fc);
    psc_config cfg = {.struct_size = sizeof cfg, .clock = &clk};
    cfg.runtime.implementation = "my-node";
    cfg.runtime.version = "1.2.3";
    cfg.runtime.peer_id = "QmFirst";
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    fc.wall_ms = 200000;

    psc_msg *msg = NULL;
    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_introspector_runtime(intro, &msg), PSC_OK);
    Peerscope__Runtime *rt = decode_runtime(msg, &m);
    assert_string_equal(rt->implementation, "my-node");
    assert_string_equal(rt->version, "1.2.3");
    assert_string_equal(rt->peer_id, "QmFirst");
    assert_string_equal(rt->peerscope_version, PSC_VERSION_STRING);
    assert_int_equal(rt->start_ts, 123456);
    assert_int_equal(rt->n_event_types, 0);
    /* the session layer serves delta states to any endpoint's clients that ask */
    assert_int_equal(rt->n_capabilities, 1);
    assert_string_equal(rt->capabilities[0], "delta_states");
    /* platform defaults to "os/arch" */
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    char want[300];
    snprintf(want, sizeof want, "%s/%s", u.sysname, u.machine);
    for (char *c = want; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    assert_string_equal(rt->platform, want);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);

    const psc_event_type *t1 = NULL, *t2 = NULL;
    assert_int_equal(psc_event_declare(intro, &CONNECT, &t1), PSC_OK);
    assert_int_equal(psc_event_declare(intro, &BARE, &t2), PSC_OK);
    assert_int_equal(psc_introspector_set_peer_id(intro, "12D3KooWLater"), PSC_OK);
    assert_int_equal(psc_introspector_set_peer_id(intro, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_set_peer_id(intro, "Qm\xe2\x82"), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_set_peer_id(NULL, "x"), PSC_ERR_INVALID);

    assert_int_equal(psc_introspector_runtime(intro, &msg), PSC_OK);
    rt = decode_runtime(msg, &m);
    assert_string_equal(rt->peer_id, "12D3KooWLater");
    assert_int_equal(rt->n_event_types, 2);
    const Peerscope__EventType *et = rt->event_types[0];
    assert_string_equal(et->name, "Connected");
    assert_int_equal(et->n_property_types, 3);
    assert_string_equal(et->property_types[0]->name, "peerId");
    assert_int_equal(et->property_types[0]->type, PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__PEERID);
    assert_false(et->property_types[0]->has_multiple);
    assert_string_equal(et->property_types[1]->name, "addrs");
    assert_int_equal(et->property_types[1]->type, PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__MULTIADDR);
    assert_true(et->property_types[1]->has_multiple);
    assert_int_equal(et->property_types[2]->type, PEERSCOPE__EVENT_TYPE__EVENT_PROPERTY__PROPERTY_TYPE__JSON);
    assert_string_equal(rt->event_types[1]->name, "Bare");
    assert_int_equal(rt->event_types[1]->n_property_types, 0);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);

    /* the well-known types join the list */
    assert_int_equal(psc_event_declare_well_known(intro), PSC_OK);
    assert_int_equal(psc_introspector_runtime(intro, &msg), PSC_OK);
    rt = decode_runtime(msg, &m);
    assert_true(rt->n_event_types > 2);
    bool found = false;
    for (size_t i = 0; i < rt->n_event_types; i++)
        found |= strcmp(rt->event_types[i]->name, PSC_EVENT_PEER_CONNECTED.name) == 0;
    assert_true(found);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);

    assert_int_equal(psc_introspector_runtime(NULL, &msg), PSC_ERR_INVALID);
    assert_int_equal(psc_introspector_runtime(intro, NULL), PSC_ERR_INVALID);
    psc_introspector_free(intro);
}

static void test_config(void **state)
{
    (void)state;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, NULL), PSC_ERR_INVALID);
    psc_config bad = {.struct_size = 0};
    assert_int_equal(psc_introspector_new(&bad, &intro), PSC_ERR_INVALID);
    psc_config lvl = {.struct_size = sizeof lvl, .log_level = (psc_log_level)9};
    assert_int_equal(psc_introspector_new(&lvl, &intro), PSC_ERR_INVALID);
    psc_config not_utf8 = {.struct_size = sizeof not_utf8};
    not_utf8.runtime.version = "1.0\xff";
    assert_int_equal(psc_introspector_new(&not_utf8, &intro), PSC_ERR_INVALID);
    assert_null(intro);
    psc_introspector_free(NULL);

    /* defaults: empty strings, a real clock */
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    assert_true(psc_introspector_now_ms(intro) > 1600000000000ull);
    assert_int_equal(psc_introspector_now_ms(NULL), 0);
    psc_msg *msg = NULL;
    Peerscope__ServerMessage *m = NULL;
    assert_int_equal(psc_introspector_runtime(intro, &msg), PSC_OK);
    Peerscope__Runtime *rt = decode_runtime(msg, &m);
    assert_string_equal(rt->implementation, "");
    assert_string_equal(rt->peer_id, "");
    assert_true(rt->start_ts > 1600000000000ull);
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);
    psc_introspector_free(intro);

    /* the config is copied: the caller's strings may go right away */
    char impl[16] = "temp-impl", plat[16] = "plan9/mips";
    psc_config cfg = {.struct_size = sizeof cfg};
    cfg.runtime.implementation = impl;
    cfg.runtime.platform = plat;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    memset(impl, 'x', sizeof impl - 1);
    memset(plat, 'y', sizeof plat - 1);
    assert_int_equal(psc_introspector_runtime(intro, &msg), PSC_OK);
    rt = decode_runtime(msg, &m);
    assert_string_equal(rt->implementation, "temp-impl");
    assert_string_equal(rt->platform, "plan9/mips");
    peerscope__server_message__free_unpacked(m, NULL);
    psc_msg_unref(msg);
    psc_introspector_free(intro);

    /* a config from an older ABI that ends before the log fields */
    psc_config old = {.struct_size = offsetof(psc_config, log)};
    assert_int_equal(psc_introspector_new(&old, &intro), PSC_OK);
    psc_introspector_free(intro);
}

/* ------------------------------------------------------ internal hooks */

typedef struct endpoint {
    psc_introspector *intro;
    int closes;
    bool detach_on_close;
} endpoint;

static void endpoint_close(void *obj)
{
    endpoint *e = obj;
    e->closes++;
    if (e->detach_on_close)
        psc__intro_detach(e->intro, e);
}

typedef struct logbook {
    int calls;
    char last[600];
} logbook;

static void log_sink(void *user, psc_log_level level, const char *msg)
{
    (void)level;
    logbook *l = user;
    l->calls++;
    snprintf(l->last, sizeof l->last, "%s", msg);
}

static void test_internal_hooks(void **state)
{
    (void)state;
    fake_clock fc = {77, 88};
    psc_clock clk = fake_clock_iface(&fc);
    logbook lb = {0};
    psc_config cfg = {.struct_size = sizeof cfg, .clock = &clk, .log = log_sink, .log_user = &lb,
                      .log_level = PSC_LOG_INFO};
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(&cfg, &intro), PSC_OK);
    assert_non_null(psc__intro_alloc(intro));
    assert_non_null(psc__intro_events(intro));
    assert_int_equal(psc__intro_wall_ms(intro), 77);
    assert_int_equal(psc__intro_mono_ns(intro), 88);

    psc__log(intro, PSC_LOG_DEBUG, "hidden %d", 1);
    assert_int_equal(lb.calls, 0);
    psc__log(intro, PSC_LOG_INFO, "shown %d", 2);
    assert_int_equal(lb.calls, 1);
    assert_string_equal(lb.last, "shown 2");
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    psc__log(intro, PSC_LOG_ERROR, "%s", big); /* bounded, not overflowing */
    assert_int_equal(lb.calls, 2);
    assert_true(strlen(lb.last) < sizeof big - 1);

    endpoint a = {intro, 0, true}, b = {intro, 0, false}, c = {intro, 0, false};
    assert_int_equal(psc__intro_attach(intro, &a, endpoint_close), PSC_OK);
    assert_int_equal(psc__intro_attach(intro, &b, endpoint_close), PSC_OK);
    assert_int_equal(psc__intro_attach(intro, &c, endpoint_close), PSC_OK);
    assert_int_equal(psc__intro_attach(intro, NULL, endpoint_close), PSC_ERR_INVALID);
    assert_int_equal(psc__intro_attach(intro, &a, NULL), PSC_ERR_INVALID);
    psc__intro_detach(intro, &c); /* closed by its owner: not closed again */
    psc__intro_detach(intro, &c); /* idempotent */
    psc_introspector_free(intro);
    assert_int_equal(a.closes, 1);
    assert_int_equal(b.closes, 1);
    assert_int_equal(c.closes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_message),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_internal_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

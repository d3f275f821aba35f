/*
 * GET /recording on the real WebSocket endpoint (port 0, real sockets):
 * there only when a recorder is attached, guarded like the WebSocket
 * (Host, Origin, token), and what it sends is a recording the library's
 * reader opens, big enough to take many writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "peerscope/peerscope.h"
#include "../ws/ws_test_client.h"
#include "rec_check.h"

#define TOKEN "a-token-for-the-recording-test"

typedef struct env {
    psc_introspector *intro;
    psc_recorder *rec;
    psc_endpoint *ep;
    uint16_t port;
    int events;
} env;

static psc_err custom_collect(void *user, psc_collect *ctx, psc_custom_builder *b)
{
    (void)ctx;
    env *e = user;
    /* a few KiB per state, different each time */
    psc_err err = PSC_OK;
    for (int i = 0; i < 64 && err == PSC_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "value-%02d", i);
        err = psc_custom_add_integer(b, name, e->events * 1000 + i);
    }
    return err;
}

static void start(env *e, bool with_recorder, const char *token)
{
    memset(e, 0, sizeof *e);
    assert_int_equal(psc_introspector_new(NULL, &e->intro), PSC_OK);
    static const psc_custom_provider vt = {.struct_size = sizeof vt, .name = "test", .collect = custom_collect};
    assert_int_equal(psc_register_custom(e->intro, &vt, e, NULL), PSC_OK);
    if (with_recorder) {
        psc_recorder_config rc = PSC_RECORDER_CONFIG_INIT;
        rc.interval_ms = PSC_RECORDER_MANUAL;
        rc.full_every = 4;
        assert_int_equal(psc_recorder_new(e->intro, &rc, &e->rec), PSC_OK);
        const psc_event_type *t;
        assert_int_equal(psc_event_declare(e->intro, &PSC_EVENT_PEER_CONNECTED, &t), PSC_OK);
        /* enough to need many 16 KiB writes */
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < 200; i++, e->events++) {
                char addr[64];
                snprintf(addr, sizeof addr, "/ip4/192.0.2.%d/tcp/%d", i % 250, 4000 + e->events);
                psc_value v[] = {PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"), PSC_V_STR("tcp"),
                                 PSC_V_STR("outbound"), PSC_V_STR(addr)};
                assert_int_equal(psc_emit(e->intro, t, v, 4), PSC_OK);
            }
            assert_int_equal(psc_recorder_sample(e->rec), PSC_OK);
        }
    }
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.recorder = e->rec;
    cfg.access_token = token;
    assert_int_equal(psc_ws_endpoint_new(e->intro, &cfg, &e->ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(e->ep), PSC_OK);
    assert_int_equal(psc_ws_port(e->ep, &e->port), PSC_OK);
}

static void stop(env *e)
{
    psc_endpoint_free(e->ep); /* before the recorder it serves */
    psc_recorder_free(e->rec);
    psc_introspector_free(e->intro);
}

typedef struct got {
    int status;
    char headers[4096];
    uint8_t *body;
    size_t len;
} got;

static void get(const env *e, const char *target, const char *extra, got *g)
{
    memset(g, 0, sizeof *g);
    assert_int_equal(wsc_http_get_all(e->port, target, extra, &g->status, g->headers, sizeof g->headers, &g->body,
                                      &g->len),
                     0);
}

static bool header_has(const char *headers, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (const char *p = headers; (p = strstr(p, "\r\n")); p += 2)
        if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
            const char *end = strstr(p + 2, "\r\n");
            const char *v = strstr(p + 2 + n, value);
            return v && (!end || v < end);
        }
    return false;
}

/* The body is the whole recording: what the recorder writes into memory. */
static void check_recording(const env *e, const got *g)
{
    assert_int_equal(g->status, 200);
    assert_true(header_has(g->headers, "content-type", "application/octet-stream"));
    assert_true(header_has(g->headers, "content-disposition", "attachment; filename=\"peerscope-"));
    assert_true(header_has(g->headers, "content-disposition", ".rec\""));
    assert_true(g->len > 100000);
    rec_read x;
    rec_read_buffer(g->body, g->len, true, &x);
    assert_int_equal(x.runtimes, 1);
    assert_int_equal(x.states, 10);
    assert_int_equal(x.events, (size_t)e->events);
    assert_int_equal(x.event[0]->type->n_property_types, 4);
    rec_read_free(&x);
    uint8_t *mem = NULL;
    size_t len = 0;
    assert_int_equal(psc_recorder_write_buffer(e->rec, &mem, &len), PSC_OK);
    assert_int_equal(len, g->len);
    /* the Runtime's start and the states are the same; only Runtime's
     * encoding may differ if types were declared meanwhile (none were) */
    assert_memory_equal(mem, g->body, len);
    psc_recorder_buffer_free(e->rec, mem);
}

static void test_no_recorder(void **state)
{
    (void)state;
    env e;
    start(&e, false, NULL);
    got g;
    get(&e, "/recording", NULL, &g);
    assert_int_equal(g.status, 404);
    free(g.body);
    stop(&e);
}

static void test_without_token(void **state)
{
    (void)state;
    env e;
    start(&e, true, NULL);
    got g;
    get(&e, "/recording", NULL, &g);
    check_recording(&e, &g);
    free(g.body);
    /* twice: each download stands alone */
    get(&e, "/recording", NULL, &g);
    check_recording(&e, &g);
    free(g.body);
    /* the page served by the endpoint itself may fetch it */
    char origin[96];
    snprintf(origin, sizeof origin, "Origin: http://127.0.0.1:%u\r\n", (unsigned)e.port);
    get(&e, "/recording", origin, &g);
    check_recording(&e, &g);
    free(g.body);
    /* another site may not, nor a rebound name */
    get(&e, "/recording", "Origin: http://evil.example\r\n", &g);
    assert_int_equal(g.status, 403);
    free(g.body);
    get(&e, "/recording", "Host: evil.example:80\r\n", &g);
    assert_int_equal(g.status, 403);
    free(g.body);
    /* nothing changed meanwhile for the one that asked right */
    get(&e, "/recording", NULL, &g);
    check_recording(&e, &g);
    free(g.body);
    stop(&e);
}

static void test_with_token(void **state)
{
    (void)state;
    env e;
    start(&e, true, TOKEN);
    got g;
    get(&e, "/recording", NULL, &g);
    assert_int_equal(g.status, 401);
    free(g.body);
    get(&e, "/recording?token=wrong-token-of-some-length", NULL, &g);
    assert_int_equal(g.status, 401);
    free(g.body);
    get(&e, "/recording", "Authorization: Bearer " TOKEN "\r\n", &g);
    check_recording(&e, &g);
    free(g.body);
    get(&e, "/recording?token=" TOKEN, NULL, &g);
    check_recording(&e, &g);
    free(g.body);
    /* with a token the Host is not checked (any name may carry one), the Origin is */
    get(&e, "/recording?token=" TOKEN, "Origin: http://evil.example\r\n", &g);
    assert_int_equal(g.status, 403);
    free(g.body);
    stop(&e);
}

/*
 * A download whose client stops reading stays in progress (the recording
 * is far bigger than what the sockets buffer): a second one is refused
 * meanwhile, and the endpoint closes with it still running (nothing leaks).
 */
static void test_one_at_a_time(void **state)
{
    (void)state;
    env e;
    memset(&e, 0, sizeof e);
    assert_int_equal(psc_introspector_new(NULL, &e.intro), PSC_OK);
    psc_recorder_config rc = PSC_RECORDER_CONFIG_INIT;
    rc.interval_ms = PSC_RECORDER_MANUAL;
    assert_int_equal(psc_recorder_new(e.intro, &rc, &e.rec), PSC_OK);
    const psc_event_type *t;
    assert_int_equal(psc_event_declare(e.intro, &PSC_EVENT_PEER_CONNECTED, &t), PSC_OK);
    for (int batch = 0; batch < 60; batch++) {
        for (int i = 0; i < 4000; i++) {
            char addr[96];
            snprintf(addr, sizeof addr, "/ip4/198.51.100.%d/tcp/%d/p2p-circuit/and/a/longer/address", i % 250, i);
            psc_value v[] = {PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"), PSC_V_STR("tcp"),
                             PSC_V_STR("outbound"), PSC_V_STR(addr)};
            assert_int_equal(psc_emit(e.intro, t, v, 4), PSC_OK);
        }
        assert_int_equal(psc_recorder_sample(e.rec), PSC_OK);
    }
    psc_recorder_stats st = {.struct_size = sizeof st};
    assert_int_equal(psc_recorder_stats_get(e.rec, &st), PSC_OK);
    assert_int_equal(st.events, 240000);
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.recorder = e.rec;
    assert_int_equal(psc_ws_endpoint_new(e.intro, &cfg, &e.ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(e.ep), PSC_OK);
    assert_int_equal(psc_ws_port(e.ep, &e.port), PSC_OK);

    int status = 0;
    char headers[4096];
    int stalled = wsc_http_open(e.port, "/recording", NULL, &status, headers, sizeof headers);
    assert_true(stalled >= 0);
    assert_int_equal(status, 200); /* the server has taken the download slot */
    got g;
    get(&e, "/recording", NULL, &g);
    assert_int_equal(g.status, 503);
    free(g.body);
    stop(&e); /* with the download still in progress */
    close(stalled);
}

int main(void)
{
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_recorder),
        cmocka_unit_test(test_without_token),
        cmocka_unit_test(test_with_token),
        cmocka_unit_test(test_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

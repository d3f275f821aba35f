/*
 * GET /metrics on a real WebSocket endpoint (port 0, loopback): the
 * token, Host and Origin rules, Accept, the switch, top-K, event counts,
 * and one render per snapshot, with a monotonic clock the test moves so
 * that nothing depends on how fast the machine is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/peerscope.h"
#include "../ws/ws_test_client.h"

#define TOKEN "metrics-test-token-0123456789"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

static _Atomic uint64_t mono_ns = 5000000000000u;

static uint64_t test_mono(void *user)
{
    (void)user;
    return atomic_load(&mono_ns);
}

static _Atomic int collects;

static psc_err swarm_collect(void *user, psc_collect *ctx, psc_swarm_builder *b)
{
    (void)user;
    (void)ctx;
    atomic_fetch_add(&collects, 1);
    static const char *const peers[3] = {"12D3KooWPeerA", "12D3KooWPeerB", "12D3KooWPeerC"};
    for (int i = 0; i < 3; i++) {
        uint8_t id = (uint8_t)i;
        psc_connection pc = PSC_CONNECTION_INIT;
        pc.id = &id;
        pc.id_len = 1;
        pc.peer_id = peers[i];
        pc.role = i ? PSC_ROLE_RESPONDER : PSC_ROLE_INITIATOR;
        pc.transport_name = "tcp";
        pc.traffic.in.bytes = 100u * (unsigned)(i + 1);
        pc.traffic.out.bytes = 10u * (unsigned)(i + 1);
        psc_conn_builder *cb;
        psc_err e = psc_swarm_add_connection(b, &pc, &cb);
        if (e)
            return e;
    }
    return PSC_OK;
}

typedef struct env {
    psc_introspector *intro;
    psc_endpoint *ep;
    uint16_t port;
} env;

static void start(env *e, const psc_ws_config *cfg)
{
    memset(e, 0, sizeof *e);
    static const psc_clock clk = {.mono_ns = test_mono};
    psc_config c = PSC_CONFIG_INIT;
    c.clock = &clk;
    assert_int_equal(psc_introspector_new(&c, &e->intro), PSC_OK);
    static const psc_swarm_provider swarm = {sizeof swarm, "test-swarm", swarm_collect, NULL};
    assert_int_equal(psc_register_swarm(e->intro, &swarm, NULL, NULL), PSC_OK);
    assert_int_equal(psc_ws_endpoint_new(e->intro, cfg, &e->ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(e->ep), PSC_OK);
    assert_int_equal(psc_ws_port(e->ep, &e->port), PSC_OK);
}

static void stop(env *e)
{
    psc_endpoint_free(e->ep);
    psc_introspector_free(e->intro);
}

typedef struct reply {
    int status;
    char headers[4096];
    char *body;
    size_t len;
} reply;

static void get(const env *e, const char *target, const char *headers, reply *r)
{
    uint8_t *body = NULL;
    memset(r, 0, sizeof *r);
    assert_int_equal(wsc_http_get_all(e->port, target, headers, &r->status, r->headers, sizeof r->headers, &body,
                                      &r->len),
                     0);
    r->body = (char *)body; /* NUL-terminated by the client */
}

static void done(reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* The value of the sample line that begins with prefix (-1: none). */
static double sample(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static bool header_has(const char *headers, const char *text)
{
    return strstr(headers, text) != NULL;
}

static void token_rules(void **state)
{
    (void)state;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.access_token = TOKEN;
    env e;
    start(&e, &cfg);
    reply r;
    get(&e, "/metrics", NULL, &r);
    assert_int_equal(r.status, 401);
    done(&r);
    get(&e, "/metrics", "Authorization: Bearer not-the-token-at-all-000\r\n", &r);
    assert_int_equal(r.status, 401);
    assert_null(strstr(r.body, "peerscope_"));
    done(&r);
    get(&e, "/metrics", AUTH, &r);
    assert_int_equal(r.status, 200);
    assert_true(header_has(r.headers, "text/plain; version=0.0.4; charset=utf-8"));
    assert_int_equal(sample(r.body, "peerscope_connections{transport=\"tcp\",direction=\"inbound\",status=\"active\"}"),
                     2);
    assert_int_equal(sample(r.body, "peerscope_connection_bytes{transport=\"tcp\",direction=\"in\"}"), 600);
    assert_null(strstr(r.body, "PeerA")); /* no peer id without the top-K option */
    done(&r);
    /* the query form, as for the WebSocket */
    get(&e, "/metrics?token=" TOKEN, NULL, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    /* a foreign page may not read it */
    get(&e, "/metrics", AUTH "Origin: http://evil.example\r\n", &r);
    assert_int_equal(r.status, 403);
    done(&r);
    stop(&e);
}

static void host_rule(void **state)
{
    (void)state;
    /* loopback without a token: the Host must be a loopback name (DNS rebinding) */
    env e;
    start(&e, NULL);
    reply r;
    get(&e, "/metrics", "Host: rebound.example:80\r\n", &r);
    assert_int_equal(r.status, 403);
    done(&r);
    get(&e, "/metrics", "Host: localhost\r\n", &r);
    assert_int_equal(r.status, 200);
    done(&r);
    stop(&e);
}

static void switched_off(void **state)
{
    (void)state;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.disable_metrics = true;
    env e;
    start(&e, &cfg);
    reply r;
    get(&e, "/metrics", NULL, &r);
    assert_int_equal(r.status, 404);
    done(&r);
    stop(&e);

    /* a caller built before the field existed gets the route */
    psc_ws_config old = PSC_WS_CONFIG_INIT;
    old.struct_size = offsetof(psc_ws_config, disable_metrics);
    old.disable_metrics = true; /* beyond its struct_size: not read */
    start(&e, &old);
    get(&e, "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    stop(&e);
}

static void openmetrics_and_top(void **state)
{
    (void)state;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.metrics_top_peers = 100000; /* capped */
    env e;
    start(&e, &cfg);
    reply r;
    get(&e, "/metrics", "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_true(header_has(r.headers, "application/openmetrics-text; version=1.0.0; charset=utf-8"));
    assert_true(r.len > 6 && !strcmp(r.body + r.len - 6, "# EOF\n"));
    assert_non_null(strstr(r.body, "# TYPE peerscope_traffic_bytes counter\n"));
    assert_int_equal(sample(r.body, "peerscope_peer_bytes{peer=\"12D3KooWPeerC\",direction=\"in\"}"), 300);
    assert_int_equal(sample(r.body, "peerscope_peer_bytes{peer=\"12D3KooWPeerA\",direction=\"out\"}"), 10);
    done(&r);
    stop(&e);
}

static void one_render_per_snapshot(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    psc_event_def def = {"MetricsTestEvent", NULL, 0};
    const psc_event_type *t;
    assert_int_equal(psc_event_declare(e.intro, &def, &t), PSC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(psc_emit(e.intro, t, NULL, 0), PSC_OK);
    atomic_store(&collects, 0);
    reply r1, r2, r3;
    get(&e, "/metrics", NULL, &r1);
    assert_int_equal(r1.status, 200);
    assert_int_equal(sample(r1.body, "peerscope_events_total{type=\"MetricsTestEvent\"}"), 3);
    assert_int_equal(sample(r1.body, "peerscope_events_dropped_total"), 0);
    double seq = sample(r1.body, "peerscope_snapshots_total");
    assert_true(seq >= 1);
    assert_int_equal(atomic_load(&collects), 1);
    /* the clock stands still: the same snapshot, the same bytes, no collect */
    assert_int_equal(psc_emit(e.intro, t, NULL, 0), PSC_OK);
    get(&e, "/metrics", NULL, &r2);
    assert_int_equal(r2.len, r1.len);
    assert_memory_equal(r2.body, r1.body, r1.len);
    assert_int_equal(atomic_load(&collects), 1);
    /* the other format of the same snapshot: written, not collected again */
    get(&e, "/metrics", "Accept: application/openmetrics-text\r\n", &r3);
    assert_int_equal(sample(r3.body, "peerscope_snapshots_total"), seq);
    assert_int_equal(atomic_load(&collects), 1);
    done(&r3);
    /* a second later: a new snapshot */
    atomic_fetch_add(&mono_ns, 1000000000u);
    get(&e, "/metrics", NULL, &r3);
    assert_int_equal(sample(r3.body, "peerscope_snapshots_total"), seq + 1);
    assert_int_equal(sample(r3.body, "peerscope_events_total{type=\"MetricsTestEvent\"}"), 4);
    assert_int_equal(atomic_load(&collects), 2);
    done(&r1);
    done(&r2);
    done(&r3);
    stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_rules),         cmocka_unit_test(host_rule),
        cmocka_unit_test(switched_off),        cmocka_unit_test(openmetrics_and_top),
        cmocka_unit_test(one_render_per_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

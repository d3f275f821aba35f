/*
 * Smoke test of the WebSocket endpoint over real sockets on port 0, with
 * the tiny client of ws_test_client.c. The full protocol is covered by the
 * session unit tests and, with the real client library, by tests/integration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peerscope/pb.h"
#include "peerscope/peerscope.h"
#include "ws_test_client.h"

#define TOKEN "s3cret-token-for-the-smoke-test"

typedef struct env {
    psc_introspector *intro;
    psc_endpoint *ep;
    uint16_t port;
} env;

static void start(env *e, const psc_ws_config *cfg)
{
    memset(e, 0, sizeof *e);
    assert_int_equal(psc_introspector_new(NULL, &e->intro), PSC_OK);
    assert_int_equal(psc_ws_endpoint_new(e->intro, cfg, &e->ep), PSC_OK);
    assert_int_equal(psc_ws_port(e->ep, &e->port), PSC_ERR_STATE);
    assert_int_equal(psc_endpoint_start(e->ep), PSC_OK);
    assert_int_equal(psc_ws_port(e->ep, &e->port), PSC_OK);
    assert_true(e->port > 0);
}

static void stop(env *e)
{
    psc_endpoint_free(e->ep);
    psc_introspector_free(e->intro);
}

static void send_cmd(wsc *c, int command, int source, uint64_t id, uint64_t interval)
{
    Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    cmd.command = command;
    cmd.source = source;
    cmd.id = id;
    if (interval) {
        cfg.state_snapshot_interval_ms = interval;
        cmd.config = &cfg;
    }
    uint8_t buf[64];
    size_t n = peerscope__client_command__pack(&cmd, buf);
    assert_int_equal(wsc_send(c, buf, n, 0), 0);
}

/* Next server message, checked against the 2020 framing. */
static Peerscope__ServerMessage *recv_msg(wsc *c, int *frames)
{
    uint8_t *m = NULL;
    size_t len = 0;
    int code = 0;
    char why[128] = "";
    int r = wsc_recv(c, &m, &len, frames, &code, why, sizeof why);
    if (r != 1)
        fail_msg("no message (r=%d, close %d '%s')", r, code, why);
    const uint8_t *payload = NULL;
    size_t plen = 0;
    assert_int_equal(psc_frame_parse(m, len, &payload, &plen), PSC_OK);
    Peerscope__ServerMessage *sm = peerscope__server_message__unpack(NULL, plen, payload);
    free(m);
    assert_non_null(sm);
    return sm;
}

static void expect_response(wsc *c, uint64_t id, bool ok)
{
    Peerscope__ServerMessage *sm = recv_msg(c, NULL);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(sm->response->id, id);
    assert_int_equal(sm->response->result, ok ? PEERSCOPE__COMMAND_RESPONSE__RESULT__OK
                                              : PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
    peerscope__server_message__free_unpacked(sm, NULL);
}

static void ws_connect_ok(wsc *c, uint16_t port, const char *target, const char *headers)
{
    if (wsc_connect(c, port, target, headers) != 0)
        fail_msg("upgrade refused: status %d", c->status);
}

/* ------------------------------------------------------------------ tests */

static void http_routes(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    assert_int_equal(psc_endpoint_start(e.ep), PSC_ERR_STATE);
    char url[128];
    assert_int_equal(psc_endpoint_listen_addr(e.ep, 0, url, sizeof url), PSC_OK);
    char want[64];
    snprintf(want, sizeof want, "ws://127.0.0.1:%u/introspect", (unsigned)e.port);
    assert_string_equal(url, want);
    assert_int_equal(psc_endpoint_listen_addr(e.ep, 1, url, sizeof url), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_endpoint_listen_addr(e.ep, 0, url, 8), PSC_ERR_TOO_BIG);
    assert_string_equal(psc_endpoint_name(e.ep), "ws");

    wsc_http r;
    assert_int_equal(wsc_http_get(e.port, "/healthz", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    assert_non_null(strstr(r.body, "\"sessions\":0"));

    assert_int_equal(wsc_http_get(e.port, "/", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "peerscope"));
    assert_true(wsc_has_header(r.headers, "content-security-policy"));
    assert_true(wsc_has_header(r.headers, "x-content-type-options"));

    assert_int_equal(wsc_http_get(e.port, "/no/such/thing", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_int_equal(wsc_http_get(e.port, "/introspect", NULL, &r), 0);
    assert_int_equal(r.status, 426);
    stop(&e);
}

/* Can this port be reached through one of the machine's other addresses? */
static int reachable_from_outside(uint16_t port)
{
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0)
        return -1;
    int result = -1; /* no other address: cannot tell */
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        struct sockaddr_in sa = *(struct sockaddr_in *)i->ifa_addr;
        if ((ntohl(sa.sin_addr.s_addr) >> 24) == 127)
            continue;
        sa.sin_port = htons(port);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            continue;
        result = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (result)
            break;
    }
    freeifaddrs(ifs);
    return result;
}

static void binds_loopback_only(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    int r = reachable_from_outside(e.port);
    if (r < 0)
        print_message("# no non-loopback IPv4 address here: reachability not checked\n");
    assert_true(r <= 0);
    wsc_http h;
    assert_int_equal(wsc_http_get(e.port, "/healthz", NULL, &h), 0);
    stop(&e);
}

static void hello_round_trip(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    const psc_event_type *t = NULL;
    assert_int_equal(psc_event_declare(e.intro, &PSC_EVENT_PEER_CONNECTED, &t), PSC_OK);

    wsc c;
    ws_connect_ok(&c, e.port, "/introspect", NULL);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 4242, 700);
    Peerscope__ServerMessage *sm = recv_msg(&c, NULL);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
    assert_int_equal(sm->response->id, 4242);
    assert_int_equal(sm->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    assert_int_equal(sm->response->effective_config->state_snapshot_interval_ms, 700);
    assert_int_equal(sm->response->effective_config->retention_period_ms, 120000);
    peerscope__server_message__free_unpacked(sm, NULL);
    assert_int_equal(psc_endpoint_session_count(e.ep), 1);

    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, 2, 0);
    sm = recv_msg(&c, NULL);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    peerscope__server_message__free_unpacked(sm, NULL);

    /* events are pushed as they are emitted (the wake-up path) */
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 3, 0);
    expect_response(&c, 3, true);
    psc_value v[4] = {PSC_V_STR("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"), PSC_V_STR("tcp"),
                      PSC_V_STR("inbound"), PSC_V_STR("/ip4/127.0.0.1/tcp/4001")};
    assert_int_equal(psc_event_type_prop_count(t), 4);
    assert_int_equal(psc_emit(e.intro, t, v, 4), PSC_OK);
    sm = recv_msg(&c, NULL);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT);
    assert_true(sm->event->type->n_property_types > 0);
    peerscope__server_message__free_unpacked(sm, NULL);

    /* states are pushed by the timer */
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, 4, 0);
    expect_response(&c, 4, true);
    sm = recv_msg(&c, NULL);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE);
    peerscope__server_message__free_unpacked(sm, NULL);

    psc_session_info info[2] = {{.struct_size = sizeof info[0]}, {.struct_size = sizeof info[1]}};
    size_t n = 0, total = 0;
    assert_int_equal(psc_endpoint_sessions(e.ep, info, 2, &n, &total), PSC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_true(info[0].hello_done);
    assert_true(info[0].push_events);
    assert_int_equal(info[0].state_snapshot_interval_ms, 700);
    assert_string_equal(info[0].remote, "127.0.0.1");

    wsc_close(&c);
    stop(&e);
}

static void large_messages_are_fragmented(void **state)
{
    (void)state;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.fragment_size = 1024;
    env e;
    start(&e, &cfg);
    /* Enough event types to make the Runtime several fragments long. */
    static const psc_prop_def props[] = {{"someProperty", PSC_PROP_STRING, false}, {"another", PSC_PROP_NUMBER, true}};
    for (int i = 0; i < 120; i++) {
        char name[32];
        snprintf(name, sizeof name, "SomeLongishEventTypeName%03d", i);
        psc_event_def def = {name, props, 2};
        const psc_event_type *t;
        assert_int_equal(psc_event_declare(e.intro, &def, &t), PSC_OK);
    }
    wsc c;
    ws_connect_ok(&c, e.port, "/introspect", NULL);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&c, 1, true);
    int frames = 0;
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, 2, 0);
    Peerscope__ServerMessage *sm = recv_msg(&c, &frames);
    assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME);
    assert_int_equal(sm->runtime->n_event_types, 120);
    peerscope__server_message__free_unpacked(sm, NULL);
    assert_true(frames > 3);

    /* and our own fragmented command is reassembled */
    Peerscope__ClientCommand cmd = PEERSCOPE__CLIENT_COMMAND__INIT;
    cmd.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_PAUSE;
    cmd.id = 77777777;
    uint8_t buf[32];
    size_t n = peerscope__client_command__pack(&cmd, buf);
    assert_int_equal(wsc_send(&c, buf, n, 2), 0);
    expect_response(&c, 77777777, true);
    wsc_close(&c);
    stop(&e);
}

static void token_is_required(void **state)
{
    (void)state;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.access_token = TOKEN;
    env e;
    start(&e, &cfg);
    wsc c;
    assert_int_equal(wsc_connect(&c, e.port, "/introspect", NULL), -1);
    assert_int_equal(c.status, 401);
    assert_int_equal(wsc_connect(&c, e.port, "/introspect?token=wrong-token-of-some-length", NULL), -1);
    assert_int_equal(c.status, 401);
    assert_int_equal(wsc_connect(&c, e.port, "/introspect", "Authorization: Bearer " TOKEN "x\r\n"), -1);
    assert_int_equal(c.status, 401);

    ws_connect_ok(&c, e.port, "/introspect?token=" TOKEN, NULL);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&c, 1, true);
    wsc_close(&c);
    ws_connect_ok(&c, e.port, "/introspect", "Authorization: Bearer " TOKEN "\r\n");
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&c, 1, true);
    wsc_close(&c);

    /* health details only with the token */
    wsc_http r;
    assert_int_equal(wsc_http_get(e.port, "/healthz", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "sessions"));
    assert_int_equal(wsc_http_get(e.port, "/healthz?token=" TOKEN, NULL, &r), 0);
    assert_non_null(strstr(r.body, "sessions"));
    stop(&e);
}

static void hostile_origin_is_refused(void **state)
{
    (void)state;
    static const char *const allowed[] = {"http://127.0.0.1:5000"};
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.allowed_origins = allowed;
    cfg.n_allowed_origins = 1;
    env e;
    start(&e, &cfg);
    wsc c;
    assert_int_equal(wsc_connect(&c, e.port, "/introspect", "Origin: http://evil.example\r\n"), -1);
    assert_int_equal(c.status, 403);
    assert_int_equal(wsc_connect(&c, e.port, "/introspect", "Origin: null\r\n"), -1);
    assert_int_equal(c.status, 403);
    /* configured */
    ws_connect_ok(&c, e.port, "/introspect", "Origin: http://127.0.0.1:5000\r\n");
    wsc_close(&c);
    /* same origin: a page this endpoint served */
    char same[96];
    snprintf(same, sizeof same, "Origin: http://127.0.0.1:%u\r\n", (unsigned)e.port);
    ws_connect_ok(&c, e.port, "/introspect", same);
    wsc_close(&c);
    /* DNS rebinding: a foreign name that resolves here looks same-origin */
    char rebound[160];
    snprintf(rebound, sizeof rebound, "Host: evil.example:%u\r\nOrigin: http://evil.example:%u\r\n",
             (unsigned)e.port, (unsigned)e.port);
    assert_int_equal(wsc_connect(&c, e.port, "/introspect", rebound), -1);
    assert_int_equal(c.status, 403);
    ws_connect_ok(&c, e.port, "/introspect", "Host: localhost\r\n");
    wsc_close(&c);
    /* a WebSocket elsewhere than the configured path */
    assert_int_equal(wsc_connect(&c, e.port, "/other", NULL), -1);
    assert_int_equal(c.status, 404);
    stop(&e);
}

static void limits(void **state)
{
    (void)state;
    psc_endpoint_options o = PSC_ENDPOINT_OPTIONS_INIT;
    o.max_sessions = 1;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.options = &o;
    cfg.max_message_size = 4096;
    env e;
    start(&e, &cfg);
    wsc a, b;
    ws_connect_ok(&a, e.port, "/introspect", NULL);
    send_cmd(&a, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&a, 1, true);
    assert_int_equal(wsc_connect(&b, e.port, "/introspect", NULL), -1);
    assert_int_equal(b.status, 503);

    /* an oversized message closes the session with a reason */
    static uint8_t big[10000];
    memset(big, 0x08, sizeof big);
    assert_int_equal(wsc_send(&a, big, sizeof big, 0), 0);
    uint8_t *m = NULL;
    size_t len;
    int code = 0;
    char why[128] = "";
    assert_int_equal(wsc_recv(&a, &m, &len, NULL, &code, why, sizeof why), 0);
    assert_int_equal(code, 1009);
    assert_non_null(strstr(why, "too large"));
    wsc_close(&a);
    stop(&e);
}

static void abuse_closes_with_reason(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    wsc c;
    ws_connect_ok(&c, e.port, "/introspect", NULL);
    static const uint8_t garbage[] = {0xff, 0xff, 0xff};
    int code = 0;
    char why[128] = "";
    for (int i = 0; i < 9; i++) {
        assert_int_equal(wsc_send(&c, garbage, sizeof garbage, 0), 0);
        Peerscope__ServerMessage *sm = recv_msg(&c, NULL);
        assert_int_equal(sm->payload_case, PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE);
        assert_int_equal(sm->response->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
        peerscope__server_message__free_unpacked(sm, NULL);
    }
    assert_int_equal(wsc_send(&c, garbage, sizeof garbage, 0), 0);
    uint8_t *m = NULL;
    size_t len;
    assert_int_equal(wsc_recv(&c, &m, &len, NULL, &code, why, sizeof why), 0);
    assert_int_equal(code, 1008);
    assert_non_null(strstr(why, "malformed"));
    wsc_close(&c);
    stop(&e);
}

static void close_with_client_connected(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    wsc c;
    ws_connect_ok(&c, e.port, "/introspect", NULL);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&c, 1, true);
    psc_endpoint_close(e.ep);
    psc_endpoint_close(e.ep); /* idempotent */
    assert_int_equal(psc_endpoint_session_count(e.ep), 0);
    int code = 0;
    char why[128] = "";
    uint8_t *m = NULL;
    size_t len;
    assert_int_equal(wsc_recv(&c, &m, &len, NULL, &code, why, sizeof why), 0);
    assert_int_equal(code, 1001);
    wsc_close(&c);
    assert_int_equal(psc_endpoint_start(e.ep), PSC_ERR_STATE);
    stop(&e);
}

static void introspector_freed_first(void **state)
{
    (void)state;
    env e;
    start(&e, NULL);
    wsc c;
    ws_connect_ok(&c, e.port, "/introspect", NULL);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, 1, 0);
    expect_response(&c, 1, true);
    send_cmd(&c, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, 2, 0);
    expect_response(&c, 2, true);
    psc_introspector_free(e.intro); /* closes the endpoint, and its sessions' readers, first */
    assert_true(wsc_wait_closed(&c));
    wsc_close(&c);
    psc_endpoint_free(e.ep);
}

static void config_errors(void **state)
{
    (void)state;
    psc_introspector *intro = NULL;
    assert_int_equal(psc_introspector_new(NULL, &intro), PSC_OK);
    psc_endpoint *ep = NULL;
    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.bind_address = "0.0.0.0";
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_ERR_AUTH);
    cfg.access_token = "short";
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_ERR_INVALID);
    cfg.access_token = TOKEN;
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_OK);
    psc_endpoint_free(ep);
    cfg.access_token = NULL;
    cfg.insecure_allow_unauthenticated_remote = true;
    assert_int_equal(psc_ws_endpoint_new(intro, &cfg, &ep), PSC_OK);
    psc_endpoint_free(ep);
    ep = NULL;

    psc_ws_config c2 = PSC_WS_CONFIG_INIT;
    c2.bind_address = "not-an-address";
    c2.insecure_allow_unauthenticated_remote = true;
    assert_int_equal(psc_ws_endpoint_new(intro, &c2, &ep), PSC_ERR_INVALID);
    psc_ws_config c3 = PSC_WS_CONFIG_INIT;
    c3.tls_cert_path = "/nonexistent/cert.pem";
    assert_int_equal(psc_ws_endpoint_new(intro, &c3, &ep), PSC_ERR_INVALID);
    psc_ws_config c5 = PSC_WS_CONFIG_INIT;
    c5.path = "introspect";
    assert_int_equal(psc_ws_endpoint_new(intro, &c5, &ep), PSC_ERR_INVALID);
    c5.struct_size = 8;
    assert_int_equal(psc_ws_endpoint_new(intro, &c5, &ep), PSC_ERR_INVALID);
    assert_null(ep);

    /* a busy port is an error at start, not a silent other port */
    psc_endpoint *a = NULL, *b = NULL;
    assert_int_equal(psc_ws_endpoint_new(intro, NULL, &a), PSC_OK);
    assert_int_equal(psc_endpoint_start(a), PSC_OK);
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(a, &port), PSC_OK);
    psc_ws_config c6 = PSC_WS_CONFIG_INIT;
    c6.port = port;
    assert_int_equal(psc_ws_endpoint_new(intro, &c6, &b), PSC_OK);
    assert_int_equal(psc_endpoint_start(b), PSC_ERR_IO);
    psc_endpoint_free(b);
    psc_endpoint_free(a);
    psc_introspector_free(intro);
}

/* TLS needs a certificate: made with the openssl tool, checked with curl. */
static void tls(void **state)
{
    (void)state;
    if (system("command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/psc-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char cmd[1024], cert[300], key[300];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 "
             "-keyout %s -out %s >/dev/null 2>&1",
             key, cert);
    assert_int_equal(system(cmd), 0);

    psc_ws_config cfg = PSC_WS_CONFIG_INIT;
    cfg.tls_cert_path = cert;
    cfg.tls_key_path = key;
    env e;
    start(&e, &cfg);
    char url[128];
    assert_int_equal(psc_endpoint_listen_addr(e.ep, 0, url, sizeof url), PSC_OK);
    assert_int_equal(strncmp(url, "wss://", 6), 0);
    snprintf(cmd, sizeof cmd, "curl -sk --max-time 10 https://127.0.0.1:%u/healthz", (unsigned)e.port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[256] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    pclose(p);
    assert_non_null(strstr(out, "\"status\":\"ok\""));
    /* plain HTTP on a TLS port gets nothing useful */
    wsc_http r;
    assert_true(wsc_http_get(e.port, "/healthz", NULL, &r) != 0 || r.status != 200);
    stop(&e);

    /* a key that does not exist: start fails cleanly */
    cfg.tls_key_path = "/nonexistent/key.pem";
    assert_int_equal(psc_introspector_new(NULL, &e.intro), PSC_OK);
    assert_int_equal(psc_ws_endpoint_new(e.intro, &cfg, &e.ep), PSC_OK);
    assert_int_equal(psc_endpoint_start(e.ep), PSC_ERR_IO);
    stop(&e);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

static void generated_tokens(void **state)
{
    (void)state;
    char a[PSC_WS_TOKEN_SIZE], b[PSC_WS_TOKEN_SIZE];
    assert_int_equal(psc_ws_generate_token(a, sizeof a), PSC_OK);
    assert_int_equal(psc_ws_generate_token(b, sizeof b), PSC_OK);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    for (const char *p = a; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    assert_int_equal(psc_ws_generate_token(a, PSC_WS_TOKEN_SIZE - 1), PSC_ERR_TOO_BIG);
    assert_int_equal(psc_ws_generate_token(NULL, 64), PSC_ERR_INVALID);
}

int main(void)
{
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL); /* keep libwebsockets quiet */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_routes),
        cmocka_unit_test(binds_loopback_only),
        cmocka_unit_test(hello_round_trip),
        cmocka_unit_test(large_messages_are_fragmented),
        cmocka_unit_test(token_is_required),
        cmocka_unit_test(hostile_origin_is_refused),
        cmocka_unit_test(limits),
        cmocka_unit_test(abuse_closes_with_reason),
        cmocka_unit_test(close_with_client_connected),
        cmocka_unit_test(introspector_freed_first),
        cmocka_unit_test(config_errors),
        cmocka_unit_test(tls),
        cmocka_unit_test(generated_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The endpoint under hostile or careless clients: access token (header and
 * query), Origin checks, garbage and oversized messages, clients that go
 * away in the middle of a push, and an endpoint that closes under its
 * clients. The server must refuse cleanly and keep serving; nothing leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_util.h"
#include "test_host.h"

#define T_WAIT 8000

typedef struct conn {
    rec r;
    psc_client *c;
} conn;

/* Connect with the given options and wait until open or closed. */
static conn *dial(const char *url, const char *token, const char *origin)
{
    conn *k = calloc(1, sizeof *k);
    assert_non_null(k);
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.token = token;
    cfg.origin = origin;
    cfg.callbacks = &rec_callbacks;
    cfg.user = &k->r;
    assert_int_equal(psc_client_new(&cfg, &k->c), PSC_OK);
    assert_true(wait_loop(psc_client_get_loop(k->c), cond_open, &k->r, T_WAIT));
    return k;
}

static void hang_up(conn *k)
{
    psc_client_free(k->c);
    free(k);
}

/* Open, HELLO answered OK: the session works. */
static void expect_session(const char *url, const char *token, const char *origin)
{
    conn *k = dial(url, token, origin);
    if (k->r.opens != 1)
        fail_msg("%s refused: %d %s", url, k->r.last_close_err, k->r.last_close_reason);
    uint64_t id;
    assert_int_equal(psc_client_hello(k->c, NULL, &id), PSC_OK);
    const rec_item *it = wait_response(psc_client_get_loop(k->c), &k->r, id, T_WAIT);
    assert_non_null(it);
    assert_int_equal(it->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    hang_up(k);
}

static void expect_refused(const char *url, const char *token, const char *origin, psc_err want)
{
    conn *k = dial(url, token, origin);
    assert_int_equal(k->r.opens, 0);
    if (k->r.last_close_err != want)
        fail_msg("%s token %s origin %s: got %d (%s), want %d", url, token ? token : "-", origin ? origin : "-",
                 k->r.last_close_err, k->r.last_close_reason, want);
    hang_up(k);
}

static void test_token(void **state)
{
    test_host_opts o = {.token = "tok-0123456789abcdef"};
    test_host *h = host_fixture(state, &o);
    char url[192];

    expect_refused(h->url, NULL, NULL, PSC_ERR_AUTH);
    expect_refused(h->url, "tok-wrong", NULL, PSC_ERR_AUTH);
    expect_refused(h->url, "tok-0123456789abcde", NULL, PSC_ERR_AUTH); /* a prefix */
    expect_session(h->url, "tok-0123456789abcdef", NULL);

    snprintf(url, sizeof url, "%s?token=tok-0123456789abcdef", h->url);
    expect_session(url, NULL, NULL);
    snprintf(url, sizeof url, "%s?token=nope", h->url);
    expect_refused(url, NULL, NULL, PSC_ERR_AUTH);
    /* a wrong query does not spoil a right header, and the reverse */
    expect_session(url, "tok-0123456789abcdef", NULL);
    snprintf(url, sizeof url, "%s?token=tok-0123456789abcdef", h->url);
    expect_session(url, "tok-wrong", NULL);
    assert_true(host_wait_sessions(h, 0, T_WAIT));
}

/* A clock that stands still unless the test moves it: the lock-out's
 * expiry is tested without waiting and cannot race the machine's speed. */
static _Atomic uint64_t guard_clock_ns = 1000000000000u;
static uint64_t guard_mono(void *user)
{
    (void)user;
    return guard_clock_ns;
}

static void test_token_guessing(void **state)
{
    const psc_clock clk = {.mono_ns = guard_mono};
    test_host_opts o = {.token = "tok-0123456789abcdef", .clock = &clk};
    test_host *h = host_fixture(state, &o);
    char url[192];

    /* no token at all is no guess: never locked out for it */
    for (int i = 0; i < 8; i++)
        expect_refused(h->url, NULL, NULL, PSC_ERR_AUTH);
    expect_session(h->url, "tok-0123456789abcdef", NULL);

    /* five wrong ones are refused as wrong; then even the right one is refused */
    for (int i = 0; i < 5; i++)
        expect_refused(h->url, "tok-guess", NULL, PSC_ERR_AUTH);
    conn *k = dial(h->url, "tok-0123456789abcdef", NULL);
    assert_int_equal(k->r.opens, 0);
    assert_int_equal(k->r.last_close_err, PSC_ERR_AUTH);
    assert_non_null(strstr(k->r.last_close_reason, "429"));
    hang_up(k);
    /* the query form and /healthz are behind the same lock */
    snprintf(url, sizeof url, "%s?token=tok-0123456789abcdef", h->url);
    expect_refused(url, NULL, NULL, PSC_ERR_AUTH);

    /* a second later the right token gets in, and clears the count */
    guard_clock_ns += 1000000000u;
    expect_session(h->url, "tok-0123456789abcdef", NULL);
    for (int i = 0; i < 4; i++)
        expect_refused(h->url, "tok-guess", NULL, PSC_ERR_AUTH);
    expect_session(h->url, "tok-0123456789abcdef", NULL);
    assert_true(host_wait_sessions(h, 0, T_WAIT));
}

static void test_origin(void **state)
{
    static const char *const allowed[] = {"http://127.0.0.1:5000"};
    test_host_opts o = {.origins = allowed, .n_origins = 1};
    test_host *h = host_fixture(state, &o);

    expect_refused(h->url, NULL, "http://evil.example", PSC_ERR_AUTH);
    expect_refused(h->url, NULL, "http://127.0.0.1:5001", PSC_ERR_AUTH);
    expect_refused(h->url, NULL, "null", PSC_ERR_AUTH);
    expect_session(h->url, NULL, "http://127.0.0.1:5000"); /* the visualizer's own server */
    expect_session(h->url, NULL, NULL);                    /* not a browser */
    char same[64];
    snprintf(same, sizeof same, "http://127.0.0.1:%u", (unsigned)h->port);
    expect_session(h->url, NULL, same); /* a page the endpoint served itself */
}

static void test_wrong_path(void **state)
{
    test_host_opts o = {0};
    test_host *h = host_fixture(state, &o);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/elsewhere", (unsigned)h->port);
    expect_refused(url, NULL, NULL, PSC_ERR_PROTOCOL);
}

static void test_garbage(void **state)
{
    test_host_opts o = {0};
    test_host *h = host_fixture(state, &o);
    conn *k = dial(h->url, NULL, NULL);
    psc_client_loop *loop = psc_client_get_loop(k->c);
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};

    /* one malformed command: an ERR, and the session goes on */
    assert_int_equal(psc_client_send_raw(k->c, junk, sizeof junk), PSC_OK);
    assert_true(wait_counter(loop, &k->r.responses, 1, T_WAIT));
    const rec_item *it = rec_response(&k->r, 0);
    assert_non_null(it);
    assert_int_equal(it->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__ERR);
    uint64_t id;
    assert_int_equal(psc_client_hello(k->c, NULL, &id), PSC_OK);
    it = wait_response(loop, &k->r, id, T_WAIT);
    assert_non_null(it);
    assert_int_equal(it->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);

    /* nothing but garbage: closed with a reason */
    for (int i = 0; i < 20; i++)
        assert_int_equal(psc_client_send_raw(k->c, junk, sizeof junk), PSC_OK);
    assert_true(wait_loop(loop, cond_closed, &k->r, T_WAIT));
    assert_int_equal(k->r.last_close_err, PSC_ERR_CLOSED);
    assert_int_equal(k->r.last_close_code, 1008);
    assert_true(strstr(k->r.last_close_reason, "malformed") != NULL);
    hang_up(k);

    /* the server survived */
    expect_session(h->url, NULL, NULL);
}

static void test_oversized(void **state)
{
    test_host_opts o = {.max_message_size = 4096};
    test_host *h = host_fixture(state, &o);

    /* Small enough to leave the client at once: the client then reads the
     * server's close frame and its reason. */
    conn *k = dial(h->url, NULL, NULL);
    uint8_t *blob = calloc(1, 100000);
    assert_non_null(blob);
    assert_int_equal(psc_client_send_raw(k->c, blob, 10000), PSC_OK);
    assert_true(wait_loop(psc_client_get_loop(k->c), cond_closed, &k->r, T_WAIT));
    if (k->r.last_close_err != PSC_ERR_CLOSED)
        fail_msg("oversized: %d %d %s", k->r.last_close_err, k->r.last_close_code, k->r.last_close_reason);
    assert_int_equal(k->r.last_close_code, 1009);
    assert_true(k->r.last_close_reason[0] != 0);
    hang_up(k);

    /* Larger than the socket buffers: the server hangs up while the client
     * is still writing, so the client may only see the connection go. */
    k = dial(h->url, NULL, NULL);
    assert_int_equal(psc_client_send_raw(k->c, blob, 100000), PSC_OK);
    assert_true(wait_loop(psc_client_get_loop(k->c), cond_closed, &k->r, T_WAIT));
    assert_true(k->r.last_close_err == PSC_ERR_CLOSED || k->r.last_close_err == PSC_ERR_IO);
    if (k->r.last_close_err == PSC_ERR_CLOSED)
        assert_int_equal(k->r.last_close_code, 1009);
    hang_up(k);
    free(blob);

    expect_session(h->url, NULL, NULL);
    assert_true(host_wait_sessions(h, 0, T_WAIT));
}

/* Clients leaving while large states and many events are on their way. */
static void test_close_during_push(void **state)
{
    test_host_opts o = {.n_conns = 2000};
    test_host *h = host_fixture(state, &o);
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    conn k[4];
    memset(k, 0, sizeof k);
    for (int i = 0; i < 4; i++) {
        k[i].c = watch_host(h, loop, &k[i].r, 500, false);
    }
    for (int i = 0; i < 4; i++)
        assert_true(wait_counter(loop, &k[i].r.states, 1, T_WAIT));
    host_emit(h, 3000, 200); /* fewer than the ring holds: nobody loses any */
    /* one closes cleanly, one drops its socket, one asks for a state and
     * leaves before the answer; the fourth stays */
    assert_true(wait_counter(loop, &k[0].r.events, 1, T_WAIT));
    assert_int_equal(psc_client_close(k[0].c), PSC_OK);
    psc_client_free(k[1].c);
    k[1].c = NULL;
    assert_int_equal(psc_client_request(k[2].c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_int_equal(psc_client_loop_poll(loop, 0), PSC_OK);
    psc_client_free(k[2].c);
    k[2].c = NULL;
    assert_true(wait_loop(loop, cond_closed, &k[0].r, T_WAIT));
    assert_int_equal(k[0].r.last_close_err, PSC_OK);
    host_emit_wait(h);
    assert_true(wait_sessions(loop, h, 1, T_WAIT));
    /* the one that stayed got everything, in order */
    size_t before = k[3].r.states;
    assert_true(wait_counter(loop, &k[3].r.events, 3000, T_WAIT));
    assert_true(wait_counter(loop, &k[3].r.states, before + 1, T_WAIT));
    assert_int_equal(k[3].r.events_out_of_order, 0);
    assert_int_equal(k[3].r.notices, 0);
    assert_int_equal(k[3].r.errors, 0);
    assert_int_equal(k[3].r.closes, 0);
    psc_client_free(k[0].c);
    psc_client_free(k[3].c);
    psc_client_loop_free(loop);
}

/* The endpoint closes (from a host thread) while clients are connected. */
typedef struct closer {
    test_host *h;
    pthread_t t;
} closer;

static void *close_endpoint(void *arg)
{
    closer *x = arg;
    psc_endpoint_close(x->h->ep);
    return NULL;
}

typedef struct all_closed {
    conn *k;
    int n;
} all_closed;

static bool cond_all_closed(void *arg)
{
    all_closed *a = arg;
    for (int i = 0; i < a->n; i++)
        if (!a->k[i].r.closes)
            return false;
    return true;
}

static void test_endpoint_close(void **state)
{
    test_host_opts o = {.n_conns = 10};
    test_host *h = host_fixture(state, &o);
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    conn k[3];
    memset(k, 0, sizeof k);
    for (int i = 0; i < 3; i++) {
        k[i].c = watch_host(h, loop, &k[i].r, 500, false);
    }
    for (int i = 0; i < 3; i++)
        assert_true(wait_counter(loop, &k[i].r.responses, 3, T_WAIT));
    host_emit(h, 2000, 64);

    closer x = {h, 0};
    assert_int_equal(pthread_create(&x.t, NULL, close_endpoint, &x), 0);
    all_closed a = {k, 3};
    bool closed = wait_loop(loop, cond_all_closed, &a, T_WAIT);
    pthread_join(x.t, NULL);
    assert_true(closed);
    for (int i = 0; i < 3; i++) {
        if (k[i].r.last_close_err != PSC_ERR_CLOSED || k[i].r.last_close_code != 1001)
            fail_msg("client %d: %d code %d %s", i, k[i].r.last_close_err, k[i].r.last_close_code,
                     k[i].r.last_close_reason);
        psc_client_free(k[i].c);
    }
    /* nobody is let in any more */
    expect_refused(h->url, NULL, NULL, PSC_ERR_IO);
    psc_client_loop_free(loop);
}

/* wss: the endpoint with a certificate, the client trusting it. */
/*
 * A TLS handshake with the endpoint offering only versions min..max (the
 * client's security level lowered so that it really offers old ones):
 * true if it completes. The certificate is not checked: only the versions
 * matter here.
 */
static bool tls_handshake(uint16_t port, int min, int max)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, min), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max), 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    SSL_set_fd(ssl, fd);
    bool ok = SSL_connect(ssl) == 1;
    if (ok)
        SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    return ok;
}

static void test_tls(void **state)
{
    const char *cert = getenv("PSC_TEST_CERT"), *key = getenv("PSC_TEST_KEY");
    if (!cert || !key) {
        skip();
        return;
    }
    test_host_opts o = {.tls_cert = cert, .tls_key = key, .token = "tls-token-0123456789"};
    test_host *h = host_fixture(state, &o);
    assert_true(strncmp(h->url, "wss://", 6) == 0);

    conn *k = calloc(1, sizeof *k);
    assert_non_null(k);
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = h->url;
    cfg.token = "tls-token-0123456789";
    cfg.ca_file = cert;
    cfg.callbacks = &rec_callbacks;
    cfg.user = &k->r;
    k->r.check_frames = true;
    assert_int_equal(psc_client_new(&cfg, &k->c), PSC_OK);
    psc_client_loop *loop = psc_client_get_loop(k->c);
    uint64_t id;
    assert_int_equal(psc_client_hello(k->c, NULL, &id), PSC_OK);
    assert_int_equal(psc_client_request(k->c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, NULL), PSC_OK);
    assert_true(wait_counter(loop, &k->r.states, 1, T_WAIT));
    assert_int_equal(rec_response(&k->r, id)->result, PEERSCOPE__COMMAND_RESPONSE__RESULT__OK);
    assert_int_equal(k->r.bad_frames, 0);
    assert_int_equal(psc_client_close(k->c), PSC_OK);
    assert_true(wait_loop(loop, cond_closed, &k->r, T_WAIT));
    assert_int_equal(k->r.last_close_err, PSC_OK);
    hang_up(k);

    /* TLS 1.2 and 1.3 are offered; 1.0 and 1.1 are not */
    assert_true(tls_handshake(h->port, TLS1_2_VERSION, TLS1_2_VERSION));
    assert_true(tls_handshake(h->port, TLS1_3_VERSION, TLS1_3_VERSION));
    assert_false(tls_handshake(h->port, TLS1_VERSION, TLS1_1_VERSION));

    /* not trusted: no session; the token alone does not help */
    expect_refused(h->url, "tls-token-0123456789", NULL, PSC_ERR_IO);
    /* plain ws:// to a TLS port: no session either */
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/introspect", (unsigned)h->port);
    conn *p = dial(url, "tls-token-0123456789", NULL);
    assert_int_equal(p->r.opens, 0);
    hang_up(p);
}

int main(void)
{
    /* Before OpenSSL first reads its configuration: the system's could
     * refuse old protocol versions by itself and hide the endpoint's own
     * setting from test_tls. */
    const char *conf = getenv("PSC_TEST_OPENSSL_CONF");
    if (conf)
        setenv("OPENSSL_CONF", conf, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_token, host_teardown),
        cmocka_unit_test_teardown(test_token_guessing, host_teardown),
        cmocka_unit_test_teardown(test_origin, host_teardown),
        cmocka_unit_test_teardown(test_wrong_path, host_teardown),
        cmocka_unit_test_teardown(test_garbage, host_teardown),
        cmocka_unit_test_teardown(test_oversized, host_teardown),
        cmocka_unit_test_teardown(test_close_during_push, host_teardown),
        cmocka_unit_test_teardown(test_endpoint_close, host_teardown),
        cmocka_unit_test_teardown(test_tls, host_teardown),
    };
    return RUN_TESTS(tests);
}

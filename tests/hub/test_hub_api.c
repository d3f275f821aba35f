/* The public helpers peerscope-hub is built on: peerscope/metrics.h and peerscope/serve.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <peerscope/metrics.h>
#include <peerscope/pb.h>
#include <peerscope/serve.h>

/* A ServerMessage{state} with one open connection, packed (malloc'd). */
static uint8_t *state_payload(size_t *len, uint64_t ts)
{
    Peerscope__Connection conn;
    peerscope__connection__init(&conn);
    conn.peer_id = (char *)"12D3KooWRemote";
    conn.status = PEERSCOPE__STATUS__ACTIVE;
    Peerscope__Connection *conns[] = {&conn};
    Peerscope__Subsystems ss = PEERSCOPE__SUBSYSTEMS__INIT;
    ss.n_connections = 1;
    ss.connections = conns;
    Peerscope__State st = PEERSCOPE__STATE__INIT;
    st.subsystems = &ss;
    st.instant_ts = ts;
    st.start_ts = ts - 1000;
    Peerscope__ServerMessage sm = PEERSCOPE__SERVER_MESSAGE__INIT;
    sm.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    sm.state = &st;
    *len = peerscope__server_message__get_packed_size(&sm);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    peerscope__server_message__pack(&sm, buf);
    return buf;
}

static void test_metrics_nodes(void **state)
{
    (void)state;
    psc_metrics *m = NULL;
    assert_int_equal(psc_metrics_new(&m), PSC_OK);
    size_t len = 0;
    uint8_t *p = state_payload(&len, 1700000000000ull);
    assert_int_equal(psc_metrics_add_state(m, "alpha", p, len), PSC_OK);
    assert_int_equal(psc_metrics_add_state(m, "be\"ta", p, len), PSC_OK);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_not_equal(psc_metrics_add_state(m, "x", junk, sizeof junk), PSC_OK);
    assert_int_equal(psc_metrics_add_state(NULL, "x", p, len), PSC_ERR_INVALID);
    uint8_t *text = NULL;
    size_t tlen = 0;
    assert_int_equal(psc_metrics_write(m, &text, &tlen), PSC_OK);
    char *s = malloc(tlen + 1);
    memcpy(s, text, tlen);
    s[tlen] = 0;
    assert_non_null(strstr(s, "node=\"alpha\""));
    assert_non_null(strstr(s, "node=\"be\\\"ta\""));
    assert_non_null(strstr(s, "# TYPE "));
    assert_null(strstr(s, "node=\"x\""));
    free(s);
    psc_metrics_text_free(text);
    psc_metrics_free(m);
    free(p);
    assert_string_equal(psc_metrics_content_type(), "text/plain; version=0.0.4; charset=utf-8");
}

static void test_escape_label(void **state)
{
    (void)state;
    char buf[16];
    assert_int_equal(psc_metrics_escape_label(buf, sizeof buf, "a\"b\\c\nd"), 10);
    assert_string_equal(buf, "a\\\"b\\\\c\\nd");
    assert_true(psc_metrics_escape_label(buf, 4, "abcdef") >= 4);
    assert_string_equal(buf, "");
    assert_int_equal(psc_metrics_escape_label(NULL, 0, "ab"), 2);
}

static void test_serve_checks(void **state)
{
    (void)state;
    assert_true(psc_serve_token_equal("secret", "secret"));
    assert_false(psc_serve_token_equal("secret", "secreT"));
    assert_false(psc_serve_token_equal("secret", "secret2"));
    assert_false(psc_serve_token_equal("", ""));
    assert_false(psc_serve_token_equal(NULL, "x"));
    const char *tok = NULL;
    size_t tlen = 0;
    assert_true(psc_serve_bearer("  bearer  abc.def ", &tok, &tlen));
    assert_int_equal(tlen, 7);
    assert_memory_equal(tok, "abc.def", 7);
    assert_false(psc_serve_bearer("Basic abc", &tok, &tlen));
    assert_false(psc_serve_bearer("Bearer   ", &tok, &tlen));
    assert_true(psc_serve_is_loopback("127.0.0.1"));
    assert_true(psc_serve_is_loopback("::1"));
    assert_false(psc_serve_is_loopback("10.0.0.1"));
    assert_true(psc_serve_host_allowed("127.0.0.1:7700", "127.0.0.1", true));
    assert_false(psc_serve_host_allowed("evil.example:7700", "127.0.0.1", true));
    assert_true(psc_serve_host_allowed("evil.example:7700", "127.0.0.1", false));
    assert_true(psc_serve_origin_allowed(NULL, "127.0.0.1:7700", false, NULL, 0, false));
    assert_true(psc_serve_origin_allowed("http://127.0.0.1:7700", "127.0.0.1:7700", false, NULL, 0, false));
    assert_false(psc_serve_origin_allowed("http://evil.example", "127.0.0.1:7700", false, NULL, 0, false));
    const char *allowed[] = {"http://evil.example"};
    assert_true(psc_serve_origin_allowed("http://evil.example/", "127.0.0.1:7700", false, allowed, 1, false));
}

static void test_serve_guard(void **state)
{
    (void)state;
    psc_serve_guard *g = NULL;
    assert_int_equal(psc_serve_guard_new(&g), PSC_OK);
    uint64_t now = 1000000, retry = 0;
    bool locked = false;
    for (int i = 0; i < 10 && !locked; i++) {
        assert_true(psc_serve_guard_allows(g, "192.0.2.1", now, NULL));
        psc_serve_guard_failed(g, "192.0.2.1", now);
        locked = !psc_serve_guard_allows(g, "192.0.2.1", now, &retry);
    }
    assert_true(locked);
    assert_true(retry > 0);
    assert_true(psc_serve_guard_allows(g, "192.0.2.2", now, NULL));
    assert_true(psc_serve_guard_allows(g, "192.0.2.1", now + retry, NULL));
    psc_serve_guard_succeeded(g, "192.0.2.1");
    assert_true(psc_serve_guard_allows(g, "192.0.2.1", now + retry, NULL));
    psc_serve_guard_free(g);
    psc_serve_guard_free(NULL);
}

static void test_serve_assets(void **state)
{
    (void)state;
    psc_serve_asset a;
    assert_true(psc_serve_asset_find("/", &a));
    assert_string_equal(a.path, "/index.html");
    assert_true(a.len > 0 && a.data && a.mime && a.etag);
    assert_false(psc_serve_asset_find("/no-such-file.js", &a));
    assert_false(psc_serve_asset_find(NULL, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_nodes), cmocka_unit_test(test_escape_label),
        cmocka_unit_test(test_serve_checks),  cmocka_unit_test(test_serve_guard),
        cmocka_unit_test(test_serve_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

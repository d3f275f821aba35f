/*
 * The push link (psc_ws_config.hub_url) over real loopback sockets: a
 * small libwebsockets server in this test plays the hub. It checks the
 * token and the node name, speaks the session protocol as the hub does
 * (HELLO, REQUEST RUNTIME, PUSH_ENABLE EVENTS with resume, PUSH_ENABLE
 * STATE), drops the link, and counts every event seq it receives. The
 * endpoint runs its own service thread; the hub runs on this thread.
 * Every wait is bounded; nothing depends on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerscope/peerscope.h"
#include "peerscope/peerscope.pb-c.h"
#include "peerscope/wire.h"
#include "transport/ws/ws.h"
#include "ws_test_client.h"
#ifdef PSC_TEST_UV
#include <uv.h>
#endif

#define T_WAIT_MS 30000
#define TOKEN "hub-token-0123456789abcdef"
#define NODE "node a/1"
#define MAX_SEQ 4096

typedef struct hub {
    struct lws_context *ctx;
    int port;
    bool refuse;                  /* answer every upgrade 401 */
    bool drop;                    /* close the link at the next chance */
    struct lws *wsi;
    int upgrades, refusals, links, closes;
    bool bad_token, bad_node;
    char node[160];               /* the node= argument of the last upgrade, as lws decoded it */
    /* commands to send, each a packed ClientCommand */
    uint8_t cmd[8][LWS_PRE + 128];
    size_t cmd_len[8];
    int n_cmd, cmd_sent;
    /* what came back */
    uint8_t *rx;
    size_t rx_len;
    size_t runtimes, states, events, responses_ok, notices;
    uint64_t newest_seq;
    uint8_t seen[MAX_SEQ + 1];    /* times each seq arrived */
    size_t dups;
} hub;

static hub *hub_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void queue_cmd(hub *h, int command, int source, bool resume, uint64_t after_seq)
{
    Peerscope__ClientCommand c = PEERSCOPE__CLIENT_COMMAND__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    v.version = 1;
    c.version = &v;
    c.id = (uint64_t)h->n_cmd + 1;
    c.command = (Peerscope__ClientCommand__Command)command;
    c.source = (Peerscope__ClientCommand__Source)source;
    c.resume_events = resume;
    c.after_seq = after_seq;
    h->cmd_len[h->n_cmd] = peerscope__client_command__pack(&c, h->cmd[h->n_cmd] + LWS_PRE);
    h->n_cmd++;
}

static void on_message(hub *h)
{
    const uint8_t *payload = NULL;
    size_t plen = 0;
    if (psc_frame_parse(h->rx, h->rx_len, &payload, &plen) != PSC_OK)
        return;
    Peerscope__ServerMessage *m = peerscope__server_message__unpack(NULL, plen, payload);
    if (!m)
        return;
    switch (m->payload_case) {
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME:
        h->runtimes++;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE:
        h->states++;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE:
        if (m->response->result == PEERSCOPE__COMMAND_RESPONSE__RESULT__OK)
            h->responses_ok++;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE:
        h->notices++;
        break;
    case PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT: {
        uint64_t seq = m->event->seq;
        h->events++;
        if (seq && seq <= MAX_SEQ) {
            if (h->seen[seq])
                h->dups++;
            h->seen[seq]++;
        }
        if (seq > h->newest_seq)
            h->newest_seq = seq;
        break;
    }
    default:
        break;
    }
    peerscope__server_message__free_unpacked(m, NULL);
}

static int hub_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    hub *h = hub_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        h->upgrades++;
        if (h->refuse) {
            h->refusals++;
            return lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED, "wrong token") ? -1 : 1;
        }
        char auth[128] = "", node[160] = "";
        lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
        if (strcmp(auth, "Bearer " TOKEN))
            h->bad_token = true;
        /* lws returns the value within node, which holds the whole argument */
        const char *v = lws_get_urlarg_by_name(wsi, "node=", node, sizeof node);
        if (!v || strcmp(v, NODE))
            h->bad_node = true;
        snprintf(h->node, sizeof h->node, "%s", v ? v : "");
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        h->wsi = wsi;
        h->links++;
        h->n_cmd = h->cmd_sent = 0;
        /* what the hub sends on every (re)connect (docs/hub.md) */
        queue_cmd(h, PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, false, 0);
        queue_cmd(h, PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, false,
                  0);
        queue_cmd(h, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, true,
                  h->newest_seq);
        queue_cmd(h, PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, false,
                  0);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (h->drop)
            return -1;
        if (h->cmd_sent < h->n_cmd) {
            int i = h->cmd_sent++;
            if (lws_write(wsi, h->cmd[i] + LWS_PRE, h->cmd_len[i], LWS_WRITE_BINARY) < (int)h->cmd_len[i])
                return -1;
            lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        uint8_t *rx = realloc(h->rx, h->rx_len + len);
        if (!rx)
            return -1;
        h->rx = rx;
        memcpy(h->rx + h->rx_len, in, len);
        h->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            on_message(h);
            h->rx_len = 0;
        }
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        if (h->wsi == wsi)
            h->wsi = NULL;
        h->closes++;
        h->rx_len = 0;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols hub_protocols[] = {
    {"hub", hub_cb, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* cert, key: a TLS hub (wss://); NULL: plain ws://. */
static void hub_start_tls(hub *h, const char *cert, const char *key)
{
    memset(h, 0, sizeof *h);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = hub_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = h;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
    }
    h->ctx = lws_create_context(&info);
    assert_non_null(h->ctx);
    h->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(h->ctx, "default"));
    assert_true(h->port > 0);
}

static void hub_start(hub *h)
{
    hub_start_tls(h, NULL, NULL);
}

static void hub_stop(hub *h)
{
    lws_context_destroy(h->ctx);
    free(h->rx);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to bound lws_service's wait */
}

#ifdef PSC_TEST_UV
/* The node's libuv loop, when it runs on one: served by this thread between hub turns. */
static uv_loop_t *node_loop;
#endif

/* Serve the hub until cond holds; false after T_WAIT_MS. */
typedef bool (*cond_fn)(hub *h, void *arg);
static bool serve_until(hub *h, cond_fn cond, void *arg)
{
    uint64_t end = now_ms() + T_WAIT_MS;
    lws_sorted_usec_list_t sul;
    memset(&sul, 0, sizeof sul);
    bool ok = false;
    while (!(ok = cond(h, arg)) && now_ms() < end) {
        lws_sul_schedule(h->ctx, 0, &sul, tick, 10 * LWS_US_PER_MS);
        lws_service(h->ctx, 0);
#ifdef PSC_TEST_UV
        if (node_loop)
            uv_run(node_loop, UV_RUN_NOWAIT);
#endif
    }
    lws_sul_cancel(&sul);
    if (!ok)
        print_message("hub: upgrades %d links %d closes %d runtimes %zu states %zu ok %zu events %zu newest %llu\n",
                      h->upgrades, h->links, h->closes, h->runtimes, h->states, h->responses_ok, h->events,
                      (unsigned long long)h->newest_seq);
    return ok;
}

/* ---------------------------------------------------------------- the node */

typedef struct node {
    psc_introspector *intro;
    psc_endpoint *ep;
    const psc_event_type *type;
    uint64_t emitted;
    pthread_mutex_t mu;
    char log[4096];               /* error lines, from the service thread */
} node;

static void node_log(void *user, psc_log_level level, const char *msg)
{
    node *n = user;
    if (level != PSC_LOG_ERROR)
        return;
    pthread_mutex_lock(&n->mu);
    size_t have = strlen(n->log);
    snprintf(n->log + have, sizeof n->log - have, "%s\n", msg);
    pthread_mutex_unlock(&n->mu);
}

static void node_start_url(node *n, const char *url, const char *token, const char *ca, void *uv_loop)
{
    memset(n, 0, sizeof *n);
    pthread_mutex_init(&n->mu, NULL);
    psc_config cfg = PSC_CONFIG_INIT;
    cfg.log = node_log;
    cfg.log_user = n;
    cfg.runtime.implementation = "hub-link-test";
    assert_int_equal(psc_introspector_new(&cfg, &n->intro), PSC_OK);
    static const psc_prop_def props[] = {{"n", PSC_PROP_NUMBER, false}};
    static const psc_event_def def = {"Tick", props, 1};
    assert_int_equal(psc_event_declare(n->intro, &def, &n->type), PSC_OK);

    psc_endpoint_options opts = PSC_ENDPOINT_OPTIONS_INIT;
    opts.max_sessions = 1;
    psc_ws_config wc = PSC_WS_CONFIG_INIT;
    wc.hub_url = url;
    wc.hub_token = token;
    wc.hub_node = NODE;
    wc.options = &opts;
    wc.uv_loop = uv_loop;
    wc.hub_tls_ca_path = ca;
    assert_int_equal(psc_ws_endpoint_new(n->intro, &wc, &n->ep), PSC_OK);
    /* seconds of backoff would only make the test slow, not different */
    psc__ws_hub_set_backoff(n->ep, 20, 200);
    assert_int_equal(psc_endpoint_start(n->ep), PSC_OK);
}

static void node_start_on(node *n, int hub_port, const char *token, void *uv_loop)
{
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/push", hub_port);
    node_start_url(n, url, token, NULL, uv_loop);
}

static void node_start(node *n, int hub_port, const char *token)
{
    node_start_on(n, hub_port, token, NULL);
}

static void node_emit(node *n, int count)
{
    for (int i = 0; i < count; i++) {
        psc_value v = PSC_V_NUM((double)(n->emitted + 1));
        assert_int_equal(psc_emit(n->intro, n->type, &v, 1), PSC_OK);
        n->emitted++;
    }
}

static void node_stop(node *n)
{
    psc_endpoint_free(n->ep); /* closes the link: must not hang */
    psc_introspector_free(n->intro);
    pthread_mutex_destroy(&n->mu);
}

static psc_ws_hub_info status(node *n)
{
    psc_ws_hub_info info = PSC_WS_HUB_INFO_INIT;
    assert_int_equal(psc_ws_hub_status(n->ep, &info), PSC_OK);
    return info;
}

/* ---------------------------------------------------------------- conditions */

static bool c_ready(hub *h, void *arg)
{
    node *n = arg;
    return h->wsi && h->runtimes >= 1 && h->states >= 1 && h->responses_ok >= 3 && h->newest_seq >= n->emitted;
}

static bool c_down(hub *h, void *arg)
{
    node *n = arg;
    return !h->wsi && !status(n).connected;
}

static bool c_refused_twice(hub *h, void *arg)
{
    node *n = arg;
    return h->refusals >= 2 && strstr(status(n).last_error, "401") != NULL;
}

/* ---------------------------------------------------------------- tests */

static void every_event_once(const hub *h, uint64_t last)
{
    for (uint64_t s = 1; s <= last; s++)
        if (h->seen[s] != 1)
            fail_msg("event seq %llu arrived %u times", (unsigned long long)s, (unsigned)h->seen[s]);
    assert_int_equal(h->dups, 0);
}

/* The hub drops the link, the node emits count events while it is down,
 * and the next link brings every event since the start exactly once. */
static void drop_emit_resume(hub *h, node *n, int count)
{
    int links = h->links;
    h->drop = true;
    lws_callback_on_writable(h->wsi);
    assert_true(serve_until(h, c_down, n));
    h->drop = false;
    node_emit(n, count);
    assert_true(serve_until(h, c_ready, n));
    assert_int_equal(h->links, links + 1);
    every_event_once(h, n->emitted);
}

static void test_link_and_resume(void **state)
{
    (void)state;
    hub h;
    hub_start(&h);
    node n;
    node_start(&n, h.port, TOKEN);
    node_emit(&n, 10);

    assert_true(serve_until(&h, c_ready, &n));
    assert_false(h.bad_token);
    if (h.bad_node)
        fail_msg("the hub got node=\"%s\"", h.node);
    assert_int_equal(h.links, 1);
    every_event_once(&h, 10);
    psc_ws_hub_info info = status(&n);
    assert_true(info.connected);
    assert_int_equal(info.connects, 1);
    assert_true(info.attempts >= 1);
    assert_true(info.connected_since_ms > 0);

    /* the link is a session like any other, named after the hub */
    psc_session_info si[2] = {{.struct_size = sizeof si[0]}, {.struct_size = sizeof si[1]}};
    size_t got = 0, total = 0;
    assert_int_equal(psc_endpoint_sessions(n.ep, si, 2, &got, &total), PSC_OK);
    assert_int_equal(total, 1);
    char want[64];
    snprintf(want, sizeof want, "hub 127.0.0.1:%d", h.port);
    assert_string_equal(si[0].remote, want);
    /* nor does it take the one slot of max_sessions (1): a client still gets in, a second does not */
    uint16_t port = 0;
    assert_int_equal(psc_ws_port(n.ep, &port), PSC_OK);
    wsc *c1 = calloc(1, sizeof *c1), *c2 = calloc(1, sizeof *c2);
    assert_true(c1 && c2);
    assert_int_equal(wsc_connect(c1, port, "/introspect", NULL), 0);
    assert_int_equal(wsc_connect(c2, port, "/introspect", NULL), -1);
    assert_int_equal(c2->status, 503);
    wsc_close(c1);
    wsc_close(c2);
    free(c1);
    free(c2);

    /* the hub drops the link; what the node emits meanwhile must arrive once */
    drop_emit_resume(&h, &n, 20);
    assert_int_equal(h.notices, 0);
    /* and live again */
    node_emit(&n, 5);
    assert_true(serve_until(&h, c_ready, &n));
    every_event_once(&h, 35);
    info = status(&n);
    assert_int_equal(info.connects, 2);
    assert_true(info.attempts >= 2);
    assert_string_equal(info.last_error, "the link closed");

    /* freed while the link is up */
    node_stop(&n);
    hub_stop(&h);
}

static void test_wrong_token(void **state)
{
    (void)state;
    hub h;
    hub_start(&h);
    h.refuse = true;
    node n;
    node_start(&n, h.port, "not-the-right-token-000");
    assert_true(serve_until(&h, c_refused_twice, &n));
    psc_ws_hub_info info = status(&n);
    assert_false(info.connected);
    assert_int_equal(info.connects, 0);
    assert_true(info.attempts >= 2);
    pthread_mutex_lock(&n.mu);
    bool logged = strstr(n.log, "refused the token") != NULL;
    pthread_mutex_unlock(&n.mu);
    assert_true(logged);
    /* freed while waiting for the next attempt */
    node_stop(&n);
    hub_stop(&h);
}

static void test_hub_absent_then_back(void **state)
{
    (void)state;
    /* a port with nobody behind it: the node keeps trying */
    hub h;
    hub_start(&h);
    int port = h.port;
    hub_stop(&h);
    node n;
    node_start(&n, port, TOKEN);
    uint64_t end = now_ms() + T_WAIT_MS;
    while (status(&n).attempts < 3 && now_ms() < end) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling a condition, with a bound */
    }
    psc_ws_hub_info info = status(&n);
    assert_true(info.attempts >= 3);
    assert_false(info.connected);
    assert_true(info.last_error[0] != 0);
    node_stop(&n);
}

/* The public schedule: 0.5 s doubling to 30 s, back to 0.5 s after 10 s up, 30 s for a refused token. */
static void test_backoff_schedule(void **state)
{
    (void)state;
    uint32_t b = PSC__WS_HUB_MIN_BACKOFF_MS, max = PSC__WS_HUB_MAX_BACKOFF_MS;
    const uint32_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(psc__ws_hub_backoff(&b, 500, max, false, 0), want[i]);
    /* a link up for less than 10 s does not reset it */
    assert_int_equal(psc__ws_hub_backoff(&b, 500, max, false, 9999), 30000);
    /* one that stayed up 10 s does */
    assert_int_equal(psc__ws_hub_backoff(&b, 500, max, false, 10000), 500);
    assert_int_equal(psc__ws_hub_backoff(&b, 500, max, false, 0), 1000);
    /* a refused token waits the longest and leaves the schedule alone */
    assert_int_equal(psc__ws_hub_backoff(&b, 500, max, true, 0), 30000);
    assert_int_equal(psc__ws_hub_backoff(&b, 500, max, false, 0), 2000);
}

static void test_config_errors(void **state)
{
    (void)state;
    psc_introspector *in = NULL;
    assert_int_equal(psc_introspector_new(NULL, &in), PSC_OK);
    struct {
        const char *url, *token, *node, *ca;
        psc_err want;
    } cases[] = {
        {"http://127.0.0.1:1/push", NULL, NULL, NULL, PSC_ERR_INVALID},
        {"ws://", NULL, NULL, NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", "short", NULL, NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", "a token with spaces in it", NULL, NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", NULL, "", NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", NULL, "bad\nname", NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", NULL, NULL, "ca.pem", PSC_ERR_INVALID},
        {NULL, TOKEN, NULL, NULL, PSC_ERR_INVALID},
        {NULL, NULL, "name", NULL, PSC_ERR_INVALID},
        {"ws://127.0.0.1:1/push", TOKEN, "ok name", NULL, PSC_OK},
        {"wss://hub.example/push", TOKEN, NULL, "ca.pem", PSC_OK},
    };
    char long_name[PSC__WS_HUB_NODE_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] + 1; i++) {
        psc_ws_config wc = PSC_WS_CONFIG_INIT;
        psc_err want;
        if (i < sizeof cases / sizeof cases[0]) {
            wc.hub_url = cases[i].url;
            wc.hub_token = cases[i].token;
            wc.hub_node = cases[i].node;
            wc.hub_tls_ca_path = cases[i].ca;
            want = cases[i].want;
        } else {
            wc.hub_url = "ws://127.0.0.1:1/push";
            wc.hub_node = long_name;
            want = PSC_ERR_INVALID;
        }
        psc_endpoint *ep = NULL;
        psc_err err = psc_ws_endpoint_new(in, &wc, &ep);
        if (err != want)
            fail_msg("case %zu: got %s", i, psc_strerror(err));
        if (!err) {
            psc_ws_hub_info info = PSC_WS_HUB_INFO_INIT;
            assert_int_equal(psc_ws_hub_status(ep, &info), PSC_OK);
            assert_int_equal(info.attempts, 0);
        }
        psc_endpoint_free(ep);
    }
    /* an endpoint without a hub has no status; bad arguments */
    psc_endpoint *ep = NULL;
    assert_int_equal(psc_ws_endpoint_new(in, NULL, &ep), PSC_OK);
    psc_ws_hub_info info = PSC_WS_HUB_INFO_INIT;
    assert_int_equal(psc_ws_hub_status(ep, &info), PSC_ERR_NOT_FOUND);
    assert_int_equal(psc_ws_hub_status(ep, NULL), PSC_ERR_INVALID);
    info.struct_size = 1;
    assert_int_equal(psc_ws_hub_status(ep, &info), PSC_ERR_INVALID);
    psc_endpoint_free(ep);
    psc_introspector_free(in);
}

static bool c_failed_twice(hub *h, void *arg)
{
    (void)h;
    node *n = arg;
    psc_ws_hub_info i = status(n);
    return i.attempts >= 2 && i.last_error[0];
}

/* wss://: a hub whose self-signed certificate is trusted through hub_tls_ca_path. */
static void test_link_over_tls(void **state)
{
    (void)state;
    const char *cert = getenv("PSC_TEST_CERT"), *key = getenv("PSC_TEST_KEY");
    if (!cert || !key)
        skip(); /* openssl was not there to make a certificate */
    hub h;
    hub_start_tls(&h, cert, key);
    char url[128];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/push", h.port);
    node n;
    node_start_url(&n, url, TOKEN, cert, NULL);
    node_emit(&n, 5);
    assert_true(serve_until(&h, c_ready, &n));
    assert_false(h.bad_token);
    every_event_once(&h, 5);
    node_stop(&n);

    /* without the CA the system's trust store does not know the hub: never up */
    node_start_url(&n, url, TOKEN, NULL, NULL);
    assert_true(serve_until(&h, c_failed_twice, &n));
    psc_ws_hub_info info = status(&n);
    assert_int_equal(info.connects, 0);
    assert_int_equal(h.links, 1);
    node_stop(&n);
    hub_stop(&h);
}

#ifdef PSC_TEST_UV
/* The same link with the endpoint on a libuv loop: this thread runs the loop and the hub in turn. */
static void test_link_on_uv_loop(void **state)
{
    (void)state;
    hub h;
    hub_start(&h);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node_loop = &loop;
    node n;
    node_start_on(&n, h.port, TOKEN, &loop);
    node_emit(&n, 5);
    assert_true(serve_until(&h, c_ready, &n));
    every_event_once(&h, 5);
    drop_emit_resume(&h, &n, 5);

    /* closed while the link is up, on the loop thread; the loop ends it */
    psc_endpoint_close(n.ep);
    uint64_t end = now_ms() + T_WAIT_MS;
    while (!psc_ws_loop_done(n.ep) && now_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_true(psc_ws_loop_done(n.ep));
    node_stop(&n);
    node_loop = NULL;
    /* nothing of the endpoint is left on the loop */
    end = now_ms() + T_WAIT_MS;
    while (uv_loop_alive(&loop) && now_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
    hub_stop(&h);
}
#endif

int main(void)
{
    psc_ws_lws_log(PSC_LOG_ERROR, NULL, NULL); /* keep libwebsockets quiet */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_link_and_resume),
        cmocka_unit_test(test_wrong_token),
        cmocka_unit_test(test_hub_absent_then_back),
        cmocka_unit_test(test_link_over_tls),
#ifdef PSC_TEST_UV
        cmocka_unit_test(test_link_on_uv_loop),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

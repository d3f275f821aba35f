/*
 * psc_client against a scripted server (fake_server.c): URL parsing,
 * refused/failed connections, reassembly, frame checks, every error path
 * of the receive side, commands on the wire, close/reconnect/free, TLS and
 * allocation failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_util.h"
#include "fake_server.h"
#include "wire/wire.h"
#include "peerscope/client.h"
#include "peerscope/wire.h"
#include "../support/test_support.h"

/* ------------------------------------------------------------ helpers */

static rec *new_rec(void)
{
    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rec_init(r);
    return r;
}

static psc_client *connect_to(uint16_t port, const char *path, rec *r, psc_client_config *base)
{
    char url[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u%s", (unsigned)port, path ? path : "");
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    if (base)
        cfg = *base;
    cfg.url = url;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    return c;
}

static bool wait_closed(psc_client *c, rec *r, int ms)
{
    return wait_loop(psc_client_get_loop(c), cond_closed, r, ms);
}

/* A port with nothing listening: bind, read it back, close. */
static uint16_t dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t sl = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static uint8_t *response_frame(uint64_t id, size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__CommandResponse r = PEERSCOPE__COMMAND_RESPONSE__INIT;
    Peerscope__Configuration cfg = PEERSCOPE__CONFIGURATION__INIT;
    v.version = 1;
    r.id = id;
    cfg.retention_period_ms = 120000;
    cfg.state_snapshot_interval_ms = 2000;
    r.effective_config = &cfg;
    m.version = &v;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RESPONSE;
    m.response = &r;
    return frame_msg(&m, len);
}

static uint8_t *state_frame(uint64_t seq, size_t nconn, uint32_t version, size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Version v = PEERSCOPE__VERSION__INIT;
    Peerscope__State s = PEERSCOPE__STATE__INIT;
    Peerscope__Subsystems sub = PEERSCOPE__SUBSYSTEMS__INIT;
    Peerscope__Connection *conns = calloc(nconn ? nconn : 1, sizeof *conns);
    Peerscope__Connection **pc = calloc(nconn ? nconn : 1, sizeof *pc);
    assert_non_null(conns);
    assert_non_null(pc);
    for (size_t i = 0; i < nconn; i++) {
        peerscope__connection__init(&conns[i]);
        conns[i].peer_id = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
        conns[i].latency_ns = i + 1;
        pc[i] = &conns[i];
    }
    sub.n_connections = nconn;
    sub.connections = pc;
    s.subsystems = &sub;
    s.seq = seq;
    v.version = version;
    m.version = &v;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_STATE;
    m.state = &s;
    uint8_t *f = frame_msg(&m, len);
    free(conns);
    free(pc);
    return f;
}

static uint8_t *event_frame(uint64_t seq, size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Event e = PEERSCOPE__EVENT__INIT;
    Peerscope__EventType t = PEERSCOPE__EVENT_TYPE__INIT;
    t.name = "PeerConnected";
    e.type = &t;
    e.ts = 1700000000000u;
    e.content = "{\"peerId\":\"x\"}";
    e.seq = seq;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_EVENT;
    m.event = &e;
    return frame_msg(&m, len);
}

static uint8_t *notice_frame(size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__ServerNotice n = PEERSCOPE__SERVER_NOTICE__INIT;
    n.dropped = 12;
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_NOTICE;
    m.notice = &n;
    return frame_msg(&m, len);
}

static uint8_t *runtime_frame(size_t *len)
{
    Peerscope__ServerMessage m = PEERSCOPE__SERVER_MESSAGE__INIT;
    Peerscope__Runtime rt = PEERSCOPE__RUNTIME__INIT;
    rt.implementation = "fake-host";
    m.payload_case = PEERSCOPE__SERVER_MESSAGE__PAYLOAD_RUNTIME;
    m.runtime = &rt;
    return frame_msg(&m, len);
}

/* ------------------------------------------------------------ url */

static void test_url(void **state)
{
    (void)state;
    psc_client_url u;
    assert_int_equal(psc_client_parse_url("ws://127.0.0.1:9090", &u), PSC_OK);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 9090);
    assert_string_equal(u.path, "/introspect");

    assert_int_equal(psc_client_parse_url("WSS://example.org/x/y?token=a%20b#frag", &u), PSC_OK);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.host, "example.org");
    assert_string_equal(u.path, "/x/y?token=a%20b");

    assert_int_equal(psc_client_parse_url("ws://localhost?token=abc", &u), PSC_OK);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/introspect?token=abc");

    assert_int_equal(psc_client_parse_url("ws://[::1]:8080/", &u), PSC_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/");

    assert_int_equal(psc_client_parse_url("ws://h:65535", &u), PSC_OK);
    assert_int_equal(u.port, 65535);

    static const char *const bad[] = {
        "", "http://h/", "ws:/h", "ws://", "ws://:80", "ws://h:", "ws://h:0", "ws://h:65536",
        "ws://h:80x", "ws://h:-1", "ws://user@h/", "ws://h /x", "ws://h/a b", "ws://h/\r\nX: y",
        "ws://[::1", "ws://[::1]x", "ws://[zz]:1", "ws://h!/", "ws://h:+80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (psc_client_parse_url(bad[i], &u) != PSC_ERR_INVALID)
            fail_msg("accepted bad url '%s'", bad[i]);
    }
    assert_int_equal(psc_client_parse_url(NULL, &u), PSC_ERR_INVALID);
    assert_int_equal(psc_client_parse_url("ws://h", NULL), PSC_ERR_INVALID);

    char longhost[400];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost, "ws://", 5);
    longhost[sizeof longhost - 1] = 0;
    assert_int_equal(psc_client_parse_url(longhost, &u), PSC_ERR_TOO_BIG);
}

/* Random URL-ish strings: never a crash, and what is accepted is sane. */
static void test_url_random(void **state)
{
    (void)state;
    static const char alphabet[] = "ws:/[]?#@.-_09azAZ%: \x01\x7f";
    static const char *const prefixes[] = {"ws://", "wss://", "WS://", "", "ws:/"};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char buf[1400];
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        const char *pre = prefixes[seed % 5];
        size_t pl = strlen(pre);
        size_t n = (size_t)((seed >> 8) % (i % 50 == 0 ? 1300 : 40));
        memcpy(buf, pre, pl);
        uint64_t x = seed;
        for (size_t k = 0; k < n; k++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            buf[pl + k] = alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        buf[pl + n] = 0;
        psc_client_url u;
        memset(&u, 0x5a, sizeof u);
        psc_err e = psc_client_parse_url(buf, &u);
        if (e == PSC_OK) {
            assert_true(u.host[0] != 0);
            assert_true(u.port != 0);
            assert_true(u.path[0] == '/');
            assert_true(memchr(u.host, 0, sizeof u.host) != NULL);
            assert_true(memchr(u.path, 0, sizeof u.path) != NULL);
            for (const char *p = u.path; *p; p++)
                assert_true((unsigned char)*p > 0x20 && *p != 0x7f && *p != '#');
        } else {
            assert_true(e == PSC_ERR_INVALID || e == PSC_ERR_TOO_BIG);
        }
    }
}

static void test_bad_config(void **state)
{
    (void)state;
    psc_client *c = NULL;
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    assert_int_equal(psc_client_new(NULL, &c), PSC_ERR_INVALID);
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_INVALID); /* no url */
    cfg.url = "tcp://x";
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_INVALID);
    cfg.url = "ws://127.0.0.1:1";
    cfg.token = "abc\r\nX-Evil: 1";
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_INVALID);
    cfg.token = "";
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_INVALID);
    cfg.token = NULL;
    cfg.origin = "http://x\n";
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_INVALID);
    assert_null(c);

    psc_client_loop_config lc = PSC_CLIENT_LOOP_CONFIG_INIT;
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(&lc, &loop), PSC_OK);
    assert_int_equal(psc_client_loop_poll(loop, -1), PSC_ERR_INVALID);
    lc.struct_size = 1;
    assert_int_equal(psc_client_loop_new(&lc, &loop), PSC_ERR_INVALID);
    psc_client_loop_free(loop);

    /* NULL-safety of the rest of the API */
    psc_client_free(NULL);
    psc_client_loop_free(NULL);
    assert_int_equal(psc_client_close(NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_client_poll(NULL, 0), PSC_ERR_INVALID);
    assert_int_equal(psc_client_hello(NULL, NULL, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_client_get_state(NULL), PSC_CLIENT_CLOSED);
}

/* ------------------------------------------------------------ failures to connect */

static void test_refused(void **state)
{
    (void)state;
    rec *r = new_rec();
    psc_client *c = connect_to(dead_port(), NULL, r, NULL);
    assert_int_equal(psc_client_get_state(c), PSC_CLIENT_CONNECTING);
    /* commands queue before the connection is up */
    assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_OK);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->last_close_err, PSC_ERR_IO);
    assert_int_equal(r->opens, 0);
    assert_int_equal(r->closes, 1);
    assert_int_equal(psc_client_get_state(c), PSC_CLIENT_CLOSED);
    psc_client_info info = PSC_CLIENT_INFO_INIT;
    assert_int_equal(psc_client_get_info(c, &info), PSC_OK);
    assert_int_equal(info.close_err, PSC_ERR_IO);
    assert_int_equal(info.commands_sent, 0);
    /* closed: commands are refused, a second close too */
    assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_ERR_CLOSED);
    assert_int_equal(psc_client_close(c), PSC_ERR_CLOSED);
    /* on_close came once; more polls add nothing */
    assert_int_equal(psc_client_poll(c, 10), PSC_OK);
    assert_int_equal(r->closes, 1);
    psc_client_free(c);
    free(r);
}

static void check_reject(int status, psc_err want)
{
    fake_server_opts o = {.reject_status = status};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, NULL);
    assert_true(wait_closed(c, r, 5000));
    if (r->last_close_err != want)
        fail_msg("HTTP %d gave %d (%s), want %d", status, r->last_close_err, r->last_close_reason, want);
    assert_int_equal(r->opens, 0);
    psc_client_free(c);
    fake_server_stop(fs);
    free(r);
}

static void test_rejected(void **state)
{
    (void)state;
    check_reject(401, PSC_ERR_AUTH);
    check_reject(403, PSC_ERR_AUTH);
    check_reject(404, PSC_ERR_PROTOCOL);
    check_reject(500, PSC_ERR_PROTOCOL);
}

/* A redirect is not followed: the token must not travel elsewhere. */
static void test_no_redirect(void **state)
{
    (void)state;
    fake_server_opts o = {.reject_status = 302};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.token = "secret";
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, &base);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->last_close_err, PSC_ERR_PROTOCOL);
    psc_client_free(c);
    fake_seen seen;
    fake_server_seen(fs, &seen);
    assert_int_equal(seen.connections, 1);
    assert_string_equal(seen.path, "/introspect");
    fake_server_stop(fs);
    free(r);
}

/* A peer that accepts TCP but never answers the upgrade. */
static void test_connect_timeout(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);

    rec *r = new_rec();
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.connect_timeout_ms = 200;
    psc_client *c = connect_to(ntohs(a.sin_port), NULL, r, &base);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->last_close_err, PSC_ERR_TIMEOUT);
    psc_client_free(c);
    close(fd);
    free(r);
}

/* ------------------------------------------------------------ receive side */

typedef struct script {
    fake_msg msgs[32];
    uint8_t *owned[32];
    size_t n;
} script;

static void add(script *s, uint8_t *data, size_t len, size_t frag, bool text)
{
    s->owned[s->n] = data;
    s->msgs[s->n] = (fake_msg){data, len, text, frag};
    s->n++;
}

static void script_free(script *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->owned[i]);
}

static uint8_t *copy_bytes(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    assert_non_null(d);
    memcpy(d, p, n);
    return d;
}

static void test_receive_paths(void **state)
{
    (void)state;
    script s = {0};
    size_t len;
    uint8_t *f;

    f = response_frame(7, &len);
    add(&s, f, len, 5, false); /* many small fragments */

    f = response_frame(8, &len);
    f[len - 1] ^= 0x40; /* payload changed: checksum mismatch */
    add(&s, f, len, 0, false);

    f = state_frame(3, 40, 1, &len);
    add(&s, f, len, 777, false);

    f = response_frame(9, &len);
    add(&s, f, len, 0, true); /* a text message */

    f = response_frame(10, &len);
    f[0] = 2; /* frame version 2 */
    add(&s, f, len, 0, false);

    add(&s, copy_bytes("\x01\x00\x00\x00\x00", 5), 5, 0, false); /* shorter than a header */

    f = response_frame(11, &len);
    f[8] ^= 1; /* length field off by one */
    add(&s, f, len, 0, false);

    {
        /* ServerMessage.version whose length runs past the end */
        static const uint8_t junk[] = {PSC__F_SERVER_MESSAGE__VERSION << 3 | PSC__WT_LEN, 0xff, 0x01, 0x02};
        uint8_t *g = malloc(12 + sizeof junk);
        assert_non_null(g);
        memcpy(g + 12, junk, sizeof junk);
        psc_frame_header(g, g + 12, sizeof junk);
        add(&s, g, 12 + sizeof junk, 0, false);
    }

    f = state_frame(4, 0, 2, &len); /* ServerMessage.version 2 */
    add(&s, f, len, 0, false);

    f = event_frame(21, &len);
    add(&s, f, len, 0, false);

    f = state_frame(5, 600, 1, &len); /* over the 4 KiB limit set below */
    assert_true(len > 4096 + 12);
    add(&s, f, len, 1000, false);

    f = notice_frame(&len);
    add(&s, f, len, 0, false);

    f = runtime_frame(&len);
    add(&s, f, len, 3, false);

    add(&s, copy_bytes("", 0), 0, 0, false); /* an empty binary message */

    fake_server_opts o = {.script = s.msgs, .n_script = s.n, .close_code = 4000, .close_reason = "done"};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);

    rec *r = new_rec();
    r->check_frames = true;
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.max_message_size = 4096;
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, &base);
    assert_true(wait_closed(c, r, 5000));

    static const struct {
        char kind;
        psc_err err;
        uint64_t id;
    } want[] = {
        {'o', PSC_OK, 0},
        {'R', PSC_OK, 7},
        {'x', PSC_ERR_CORRUPT, 0},
        {'S', PSC_OK, 3},
        {'x', PSC_ERR_PROTOCOL, 0}, /* text */
        {'x', PSC_ERR_PROTOCOL, 0}, /* frame version */
        {'x', PSC_ERR_PROTOCOL, 0}, /* short */
        {'x', PSC_ERR_CORRUPT, 0},  /* length */
        {'x', PSC_ERR_PROTOCOL, 0}, /* not protobuf */
        {'x', PSC_ERR_PROTOCOL, 0}, /* message version */
        {'E', PSC_OK, 21},
        {'x', PSC_ERR_TOO_BIG, 0},
        {'N', PSC_OK, 12},
        {'T', PSC_OK, 0},
        {'x', PSC_ERR_PROTOCOL, 0}, /* empty */
        {'c', PSC_ERR_CLOSED, 0},
    };
    size_t nwant = sizeof want / sizeof want[0];
    for (size_t i = 0; i < r->n && i < nwant; i++) {
        const rec_item *it = &r->items[i];
        if (it->kind != want[i].kind || it->err != want[i].err || (want[i].id && it->id != want[i].id))
            fail_msg("item %zu: got %c err %d id %llu (%s), want %c err %d id %llu", i, it->kind, it->err,
                     (unsigned long long)it->id, it->text, want[i].kind, want[i].err,
                     (unsigned long long)want[i].id);
    }
    assert_int_equal(r->n, nwant);
    assert_int_equal(r->last_close_code, 4000);
    assert_string_equal(r->last_close_reason, "done");
    assert_int_equal(r->responses, 1);
    assert_int_equal(r->states, 1);
    assert_int_equal(r->events, 1);
    assert_int_equal(r->notices, 1);
    assert_int_equal(r->runtimes, 1);
    /* neither the text message nor the oversized one reaches on_frame */
    assert_int_equal(r->frames, s.n - 2);
    /* the frames the library refused for their header fail the independent check too */
    assert_int_equal(r->bad_frames, 5);

    psc_client_info info = PSC_CLIENT_INFO_INIT;
    assert_int_equal(psc_client_get_info(c, &info), PSC_OK);
    assert_int_equal(info.messages, 5);
    assert_int_equal(info.errors, 9);
    assert_int_equal(info.close_err, PSC_ERR_CLOSED);
    assert_int_equal(info.close_code, 4000);

    psc_client_free(c);
    fake_server_stop(fs);
    script_free(&s);
    free(r);
}

/* An empty first message: no buffer was ever allocated. */
static void test_empty_first(void **state)
{
    (void)state;
    script s = {0};
    size_t len;
    add(&s, copy_bytes("", 0), 0, 0, false);
    uint8_t *f = response_frame(3, &len);
    add(&s, f, len, 0, false);
    fake_server_opts o = {.script = s.msgs, .n_script = s.n, .close_code = 1000};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, NULL);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->n, 4);
    assert_int_equal(r->items[1].kind, 'x');
    assert_int_equal(r->items[1].err, PSC_ERR_PROTOCOL);
    assert_int_equal(r->items[2].kind, 'R');
    assert_int_equal(r->items[3].kind, 'c');
    psc_client_free(c);
    fake_server_stop(fs);
    script_free(&s);
    free(r);
}

static void test_drop(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = event_frame(1, &len);
    fake_msg m = {f, len, false, 0};
    fake_server_opts o = {.script = &m, .n_script = 1, .drop_after_script = true};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, NULL);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->events, 1);
    assert_int_equal(r->last_close_err, PSC_ERR_IO);
    assert_int_equal(r->last_close_code, 0);
    psc_client_free(c);
    fake_server_stop(fs);
    free(f);
    free(r);
}

/* ------------------------------------------------------------ commands */

static bool server_has(fake_server *fs, size_t n)
{
    fake_seen seen;
    fake_server_seen(fs, &seen);
    return seen.n_msgs >= n;
}

typedef struct fs_wait {
    fake_server *fs;
    size_t n;
} fs_wait;

static bool cond_server_msgs(void *arg)
{
    fs_wait *w = arg;
    return server_has(w->fs, w->n);
}

static Peerscope__ClientCommand *server_cmd(fake_server *fs, size_t i)
{
    size_t len = 0;
    uint8_t *b = fake_server_msg(fs, i, &len);
    assert_non_null(b);
    Peerscope__ClientCommand *cmd = peerscope__client_command__unpack(NULL, len, b);
    free(b);
    assert_non_null(cmd);
    return cmd;
}

static void test_commands(void **state)
{
    (void)state;
    fake_server_opts o = {0};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.token = "s3cret-token";
    base.origin = "http://127.0.0.1:5000";
    base.first_command_id = 41;
    psc_client *c = connect_to(fake_server_port(fs), "/custom/path?x=1", r, &base);

    psc_client_settings hello = {120000, 2000};
    psc_client_settings upd = {60000, 500};
    uint64_t ids[7];
    assert_int_equal(psc_client_hello(c, &hello, &ids[0]), PSC_OK);
    assert_int_equal(psc_client_request(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, &ids[1]), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, &ids[2]), PSC_OK);
    assert_int_equal(psc_client_push_enable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, &ids[3]), PSC_OK);
    assert_int_equal(psc_client_pause(c, &ids[4]), PSC_OK);
    assert_int_equal(psc_client_resume(c, &ids[5]), PSC_OK);
    assert_int_equal(psc_client_update_config(c, NULL, NULL), PSC_ERR_INVALID);
    assert_int_equal(psc_client_update_config(c, &upd, &ids[6]), PSC_OK);
    assert_int_equal(psc_client_push_disable(c, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, NULL), PSC_OK);
    for (int i = 0; i < 7; i++)
        assert_int_equal(ids[i], 41 + (uint64_t)i);

    Peerscope__ClientCommand raw = PEERSCOPE__CLIENT_COMMAND__INIT;
    raw.id = 5; /* as given: no version, own id */
    raw.command = PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST;
    assert_int_equal(psc_client_send_command(c, &raw), PSC_OK);
    assert_int_equal(psc_client_send_command(c, NULL), PSC_ERR_INVALID);
    static const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(psc_client_send_raw(c, junk, sizeof junk), PSC_OK);
    assert_int_equal(psc_client_send_raw(c, NULL, 3), PSC_ERR_INVALID);

    fs_wait w = {fs, 10};
    assert_true(wait_loop(psc_client_get_loop(c), cond_server_msgs, &w, 5000));
    assert_int_equal(r->opens, 1);

    fake_seen seen;
    fake_server_seen(fs, &seen);
    assert_string_equal(seen.path, "/custom/path?x=1");
    assert_string_equal(seen.authorization, "Bearer s3cret-token");
    assert_string_equal(seen.origin, "http://127.0.0.1:5000");
    assert_string_equal(seen.protocol, ""); /* like the 2020 visualizer: no subprotocol */

    static const struct {
        int command, source;
        bool config;
    } want[] = {
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__HELLO, 0, true},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__REQUEST, PEERSCOPE__CLIENT_COMMAND__SOURCE__RUNTIME, false},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, false},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_ENABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__STATE, false},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_PAUSE, 0, false},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_RESUME, 0, false},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__UPDATE_CONFIG, 0, true},
        {PEERSCOPE__CLIENT_COMMAND__COMMAND__PUSH_DISABLE, PEERSCOPE__CLIENT_COMMAND__SOURCE__EVENTS, false},
    };
    for (size_t i = 0; i < 8; i++) {
        Peerscope__ClientCommand *cmd = server_cmd(fs, i);
        assert_int_equal(cmd->id, 41 + i);
        assert_int_equal(cmd->command, want[i].command);
        assert_int_equal(cmd->source, want[i].source);
        assert_non_null(cmd->version);
        assert_int_equal(cmd->version->version, 1);
        if (want[i].config) {
            assert_non_null(cmd->config);
            psc_client_settings *st = i == 0 ? &hello : &upd;
            assert_int_equal(cmd->config->retention_period_ms, st->retention_period_ms);
            assert_int_equal(cmd->config->state_snapshot_interval_ms, st->state_snapshot_interval_ms);
        } else {
            assert_null(cmd->config);
        }
        peerscope__client_command__free_unpacked(cmd, NULL);
    }
    Peerscope__ClientCommand *cmd = server_cmd(fs, 8);
    assert_int_equal(cmd->id, 5);
    assert_null(cmd->version);
    peerscope__client_command__free_unpacked(cmd, NULL);
    size_t len = 0;
    uint8_t *b = fake_server_msg(fs, 9, &len);
    assert_non_null(b);
    assert_int_equal(len, sizeof junk);
    assert_memory_equal(b, junk, sizeof junk);
    free(b);

    psc_client_info info = PSC_CLIENT_INFO_INIT;
    assert_int_equal(psc_client_get_info(c, &info), PSC_OK);
    assert_int_equal(info.commands_sent, 10);
    assert_int_equal(info.next_command_id, 49);
    assert_int_equal(info.state, PSC_CLIENT_OPEN);

    /* clean close: OK, then nothing more is accepted */
    assert_int_equal(psc_client_close(c), PSC_OK);
    assert_int_equal(psc_client_get_state(c), PSC_CLIENT_CLOSING);
    assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_ERR_CLOSED);
    assert_int_equal(psc_client_close(c), PSC_ERR_CLOSED);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->last_close_err, PSC_OK);

    /* reconnect: same configuration, ids keep counting */
    assert_int_equal(psc_client_reconnect(c), PSC_OK);
    assert_int_equal(psc_client_reconnect(c), PSC_ERR_STATE);
    uint64_t id = 0;
    assert_int_equal(psc_client_hello(c, NULL, &id), PSC_OK);
    assert_int_equal(id, 49);
    w.n = 11;
    assert_true(wait_loop(psc_client_get_loop(c), cond_server_msgs, &w, 5000));
    assert_int_equal(r->opens, 2);
    cmd = server_cmd(fs, 10);
    assert_int_equal(cmd->id, 49);
    assert_null(cmd->config);
    peerscope__client_command__free_unpacked(cmd, NULL);

    psc_client_free(c);
    fake_server_stop(fs);
    free(r);
}

/* Closed before the connection is up: no on_open, a clean on_close. */
static void test_close_connecting(void **state)
{
    (void)state;
    fake_server_opts o = {0};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    for (int round = 0; round < 3; round++) {
        rec *r = new_rec();
        psc_client *c = connect_to(fake_server_port(fs), NULL, r, NULL);
        assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_OK);
        /* round 1 and 2: let the connection progress a little first */
        for (int i = 0; i < round; i++)
            assert_int_equal(psc_client_poll(c, 0), PSC_OK);
        if (r->opens == 0) {
            assert_int_equal(psc_client_close(c), PSC_OK);
            assert_int_equal(psc_client_get_state(c), PSC_CLIENT_CLOSING);
            assert_true(wait_closed(c, r, 5000));
            assert_int_equal(r->opens, 0);
            assert_int_equal(r->last_close_err, PSC_OK);
            psc_client_info info = PSC_CLIENT_INFO_INIT;
            assert_int_equal(psc_client_get_info(c, &info), PSC_OK);
            assert_int_equal(info.commands_sent, 0);
        }
        psc_client_free(c);
        free(r);
    }
    fake_server_stop(fs);
}

/* The 2020 visualizer sends no ClientCommand.version. */
static void test_omit_version(void **state)
{
    (void)state;
    fake_server_opts o = {0};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    rec *r = new_rec();
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.omit_version = true;
    psc_client *c = connect_to(fake_server_port(fs), NULL, r, &base);
    assert_int_equal(psc_client_hello(c, NULL, NULL), PSC_OK);
    fs_wait w = {fs, 1};
    assert_true(wait_loop(psc_client_get_loop(c), cond_server_msgs, &w, 5000));
    fake_seen seen;
    fake_server_seen(fs, &seen);
    assert_string_equal(seen.path, "/introspect");
    assert_string_equal(seen.authorization, "");
    assert_string_equal(seen.origin, "");
    Peerscope__ClientCommand *cmd = server_cmd(fs, 0);
    assert_null(cmd->version);
    assert_int_equal(cmd->id, 1);
    peerscope__client_command__free_unpacked(cmd, NULL);
    psc_client_free(c); /* while open: dropped at once */
    fake_server_stop(fs);
    free(r);
}

/* ------------------------------------------------------------ lifecycle inside callbacks */

static void test_free_in_callback(void **state)
{
    (void)state;
    script s = {0};
    size_t len;
    for (uint64_t i = 1; i <= 5; i++) {
        uint8_t *f = event_frame(i, &len);
        add(&s, f, len, 0, false);
    }
    fake_server_opts o = {.script = s.msgs, .n_script = s.n};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);

    /* two clients on one loop; the first frees itself on its first message */
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    rec *r1 = new_rec(), *r2 = new_rec();
    psc_client_config base = PSC_CLIENT_CONFIG_INIT;
    base.loop = loop;
    psc_client *c1 = connect_to(fake_server_port(fs), NULL, r1, &base);
    psc_client *c2 = connect_to(fake_server_port(fs), NULL, r2, &base);
    r1->free_on_message = true;
    r1->self = c1;
    uint64_t deadline = now_ms() + 5000;
    while (r2->events < 5 && now_ms() < deadline)
        assert_int_equal(psc_client_loop_poll(loop, 50), PSC_OK);
    assert_int_equal(r2->events, 5);
    assert_int_equal(r1->messages, 1);
    assert_null(r1->self);
    assert_int_equal(r1->closes, 0); /* freed: no callback after that */
    for (int i = 0; i < 5; i++)
        assert_int_equal(psc_client_loop_poll(loop, 0), PSC_OK);
    assert_int_equal(r1->messages, 1);

    /* freeing the loop under a client cuts it off */
    psc_client_loop_free(loop);
    assert_int_equal(psc_client_get_state(c2), PSC_CLIENT_CLOSED);
    assert_int_equal(psc_client_hello(c2, NULL, NULL), PSC_ERR_CLOSED);
    assert_int_equal(psc_client_poll(c2, 0), PSC_ERR_CLOSED);
    assert_int_equal(psc_client_reconnect(c2), PSC_ERR_CLOSED);
    assert_null(psc_client_get_loop(c2));
    psc_client_free(c2);

    fake_server_stop(fs);
    script_free(&s);
    free(r1);
    free(r2);
}

typedef struct reenter {
    psc_err poll_err;
    int reconnects;
    int closes;
    psc_client_loop *loop;
} reenter;

static void re_open(void *user, psc_client *c)
{
    reenter *x = user;
    x->poll_err = psc_client_loop_poll(x->loop, 0);
    psc_client_close(c);
}

static void re_close(void *user, psc_client *c, psc_err err, int code, const char *reason)
{
    reenter *x = user;
    (void)err;
    (void)code;
    (void)reason;
    x->closes++;
    if (x->reconnects < 2) {
        x->reconnects++;
        assert_int_equal(psc_client_reconnect(c), PSC_OK);
    }
}

static bool cond_re(void *arg)
{
    return ((reenter *)arg)->closes >= 3;
}

static void test_reentrancy(void **state)
{
    (void)state;
    fake_server_opts o = {0};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    reenter x = {PSC_OK, 0, 0, NULL};
    psc_client_callbacks cb = {sizeof cb, .on_open = re_open, .on_close = re_close};
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u", (unsigned)fake_server_port(fs));
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &cb;
    cfg.user = &x;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    x.loop = psc_client_get_loop(c);
    assert_true(wait_loop(x.loop, cond_re, &x, 5000));
    assert_int_equal(x.poll_err, PSC_ERR_STATE);
    assert_int_equal(x.closes, 3);
    psc_client_free(c);
    fake_server_stop(fs);
}

/* ------------------------------------------------------------ TLS */

static void test_tls(void **state)
{
    (void)state;
    const char *cert = getenv("PSC_TEST_CERT");
    const char *key = getenv("PSC_TEST_KEY");
    if (!cert || !key) {
        skip();
        return;
    }
    size_t len;
    uint8_t *f = event_frame(1, &len);
    fake_msg m = {f, len, false, 0};
    fake_server_opts o = {.script = &m, .n_script = 1, .close_code = 1000, .tls_cert = cert, .tls_key = key};
    fake_server *fs = fake_server_start(&o);
    assert_non_null(fs);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%u", (unsigned)fake_server_port(fs));

    /* 1: self-signed and not trusted: refused */
    rec *r = new_rec();
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    psc_client *c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->opens, 0);
    assert_int_not_equal(r->last_close_err, PSC_OK);
    psc_client_free(c);

    /* 2: allow_insecure */
    rec_init(r);
    cfg.allow_insecure = true;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
    assert_true(wait_closed(c, r, 5000));
    assert_int_equal(r->events, 1);
    assert_int_equal(r->last_close_err, PSC_ERR_CLOSED);
    assert_int_equal(r->last_close_code, 1000);
    psc_client_free(c);

    /* 3: the certificate as CA, private loop then shared loop (own vhost) */
    for (int shared = 0; shared < 2; shared++) {
        rec_init(r);
        psc_client_loop *loop = NULL;
        if (shared)
            assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
        cfg.allow_insecure = false;
        cfg.ca_file = cert;
        cfg.loop = loop;
        assert_int_equal(psc_client_new(&cfg, &c), PSC_OK);
        assert_true(wait_closed(c, r, 5000));
        if (r->events != 1)
            fail_msg("shared=%d: %s (%d)", shared, r->last_close_reason, r->last_close_err);
        psc_client_free(c);
        psc_client_loop_free(loop);
    }

    /* 4: a CA file that does not exist */
    psc_client_loop *loop = NULL;
    assert_int_equal(psc_client_loop_new(NULL, &loop), PSC_OK);
    cfg.loop = loop;
    cfg.ca_file = "/nonexistent/ca.pem";
    c = NULL;
    assert_int_equal(psc_client_new(&cfg, &c), PSC_ERR_IO);
    assert_null(c);
    psc_client_loop_free(loop);

    fake_server_stop(fs);
    free(f);
    free(r);
}

/* ------------------------------------------------------------ allocation failure */

typedef struct nomem_ctx {
    fake_server *fs;
} nomem_ctx;

static psc_err nomem_body(void *arg, psc_test_alloc *t)
{
    nomem_ctx *x = arg;
    rec *r = new_rec();
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u", (unsigned)fake_server_port(x->fs));
    psc_client_config cfg = PSC_CLIENT_CONFIG_INIT;
    cfg.url = url;
    cfg.token = "tok";
    cfg.origin = "http://o";
    cfg.allocator = &t->iface;
    cfg.callbacks = &rec_callbacks;
    cfg.user = r;
    psc_client *c = NULL;
    psc_err err = psc_client_new(&cfg, &c);
    if (err) {
        assert_int_equal(err, PSC_ERR_NOMEM);
        assert_null(c);
        free(r);
        return err;
    }
    err = psc_client_hello(c, NULL, NULL);
    if (err == PSC_OK) {
        assert_true(wait_closed(c, r, 5000));
        for (size_t i = 0; i < r->n; i++)
            if (r->items[i].kind == 'x') {
                assert_int_equal(r->items[i].err, PSC_ERR_NOMEM);
                err = PSC_ERR_NOMEM;
            }
        if (err == PSC_OK) {
            assert_int_equal(r->states, 1);
            assert_int_equal(r->events, 2);
            assert_int_equal(r->last_close_err, PSC_ERR_CLOSED);
        }
    } else {
        assert_int_equal(err, PSC_ERR_NOMEM);
    }
    psc_client_free(c);
    free(r);
    return err;
}

static void test_nomem(void **state)
{
    (void)state;
    script s = {0};
    size_t len;
    uint8_t *f = state_frame(1, 30, 1, &len);
    add(&s, f, len, 100, false);
    f = event_frame(1, &len);
    add(&s, f, len, 0, false);
    f = event_frame(2, &len);
    add(&s, f, len, 0, false);
    fake_server_opts o = {.script = s.msgs, .n_script = s.n, .wait_for_command = true, .close_code = 1001};
    nomem_ctx x = {fake_server_start(&o)};
    assert_non_null(x.fs);
    uint64_t runs = psc_test_each_alloc_fails(nomem_body, &x, 500);
    if (getenv("PSC_TEST_DEBUG"))
        fprintf(stderr, "nomem runs: %llu\n", (unsigned long long)runs);
    assert_true(runs > 5);
    fake_server_stop(x.fs);
    script_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_url_random),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_no_redirect),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_receive_paths),
        cmocka_unit_test(test_empty_first),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_close_connecting),
        cmocka_unit_test(test_omit_version),
        cmocka_unit_test(test_free_in_callback),
        cmocka_unit_test(test_reentrancy),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_nomem),
    };
    return RUN_TESTS(tests);
}
